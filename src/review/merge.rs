//! Combining two changes of one file made from the same original: the rules' fix and
//! the agent's edit (`dash fix --agent`). Line-based, like `git merge-file`, and
//! stricter: two changes that overlap or merely touch (adjacent lines, or insertions
//! at the same place) conflict, and a conflict is never resolved here: the caller
//! drops one side and says so. Merging blindly could interleave a rule's rewrite
//! with the model's, and neither would have been reviewed as the result.

use std::ops::Range;

use similar::{DiffOp, TextDiff};

/// One side's change: base lines `lines` replaced by `with`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Hunk<'t> {
    lines: Range<usize>,
    with: Vec<&'t str>,
}

/// The merged text, and the byte ranges of `base` that `theirs` changed (an insertion
/// is an empty range where it goes), for the preview's labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub text: String,
    pub theirs: Vec<Range<usize>>,
}

/// Where the two changes collide: 1-based line numbers of the base.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("both change lines {first}–{last} of the original")]
pub struct Conflict {
    pub first: usize,
    pub last: usize,
}

fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// The changes that turn `base` into `other`, in base order.
fn hunks<'t>(base: &[&'t str], other: &[&'t str]) -> Vec<Hunk<'t>> {
    let diff = TextDiff::configure().diff_slices(base, other);
    let mut out: Vec<Hunk<'t>> = Vec::new();
    for op in diff.ops() {
        if let DiffOp::Equal { .. } = op {
            continue;
        }
        let old = op.old_range();
        let new = op.new_range();
        // similar reports a replacement as a delete and an insert at the same place:
        // one hunk.
        match out.last_mut() {
            Some(last) if last.lines.end == old.start => {
                last.lines.end = old.end;
                last.with.extend_from_slice(&other[new]);
            }
            _ => out.push(Hunk {
                lines: old,
                with: other[new].to_vec(),
            }),
        }
    }
    out
}

/// Merges `ours` and `theirs`, both made from `base`. Identical changes are taken
/// once; any other pair of changes that overlap or touch is a [`Conflict`].
pub fn three_way(base: &str, ours: &str, theirs: &str) -> Result<Merged, Conflict> {
    let base_lines = lines(base);
    let ours_lines = lines(ours);
    let theirs_lines = lines(theirs);
    let our_hunks = hunks(&base_lines, &ours_lines);
    let their_hunks: Vec<Hunk> = hunks(&base_lines, &theirs_lines)
        .into_iter()
        .filter(|t| !our_hunks.contains(t))
        .collect();
    for t in &their_hunks {
        for o in &our_hunks {
            // Closed intervals: touching changes conflict too.
            if t.lines.start <= o.lines.end && o.lines.start <= t.lines.end {
                let first = t.lines.start.min(o.lines.start) + 1;
                let last = t.lines.end.max(o.lines.end).max(first);
                return Err(Conflict { first, last });
            }
        }
    }
    let mut offsets = Vec::with_capacity(base_lines.len() + 1);
    let mut at = 0;
    for line in &base_lines {
        offsets.push(at);
        at += line.len();
    }
    offsets.push(at);
    let mut all: Vec<&Hunk> = our_hunks.iter().chain(&their_hunks).collect();
    all.sort_by_key(|h| (h.lines.start, h.lines.end));
    let mut text = String::with_capacity(ours.len().max(theirs.len()));
    let mut next = 0;
    for h in all {
        for line in &base_lines[next..h.lines.start] {
            text.push_str(line);
        }
        for line in &h.with {
            text.push_str(line);
        }
        next = h.lines.end;
    }
    for line in &base_lines[next..] {
        text.push_str(line);
    }
    Ok(Merged {
        text,
        theirs: their_hunks
            .iter()
            .map(|h| offsets[h.lines.start]..offsets[h.lines.end])
            .collect(),
    })
}

/// The byte ranges of `base` that `other` changes (for labelling one side alone).
pub fn changed_ranges(base: &str, other: &str) -> Vec<Range<usize>> {
    three_way(base, base, other)
        .map(|m| m.theirs)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "a\nb\nc\nd\ne\nf\ng\n";

    #[test]
    fn separate_changes_merge_and_theirs_are_located_in_the_base() {
        let ours = "A\nb\nc\nd\ne\nf\ng\n";
        let theirs = "a\nb\nc\nd\ne\nF\nF2\ng\n";
        let merged = three_way(BASE, ours, theirs).unwrap();
        assert_eq!(merged.text, "A\nb\nc\nd\ne\nF\nF2\ng\n");
        assert_eq!(merged.theirs, vec![10..12]);
        assert_eq!(&BASE[10..12], "f\n");
    }

    #[test]
    fn overlapping_touching_and_same_place_insertions_conflict() {
        // The same line.
        assert_eq!(
            three_way(BASE, "a\nB\nc\nd\ne\nf\ng\n", "a\nb2\nc\nd\ne\nf\ng\n"),
            Err(Conflict { first: 2, last: 2 })
        );
        // Adjacent lines.
        assert!(three_way(BASE, "a\nB\nc\nd\ne\nf\ng\n", "a\nb\nC\nd\ne\nf\ng\n").is_err());
        // Two insertions at one place (order would be a guess).
        assert!(three_way(BASE, "x\na\nb\nc\nd\ne\nf\ng\n", "y\na\nb\nc\nd\ne\nf\ng\n").is_err());
    }

    #[test]
    fn identical_changes_are_taken_once() {
        let both = "a\nb\nC\nd\ne\nf\ng\n";
        let merged = three_way(BASE, both, both).unwrap();
        assert_eq!(merged.text, both);
        assert!(merged.theirs.is_empty());
    }

    #[test]
    fn no_change_on_either_side() {
        assert_eq!(three_way(BASE, BASE, BASE).unwrap().text, BASE);
        assert_eq!(changed_ranges("a\nb", "a\nb2"), vec![2..3]);
        assert_eq!(changed_ranges("a\n", "a\nnew\n"), vec![2..2]);
    }
}

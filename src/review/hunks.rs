//! The line diff of a change, grouped into hunks, in time linear in the file.
//!
//! A change that dash made carries its edits as ranges of the old text, and the text
//! between two edits is the same on both sides. So the diff is found from the edits:
//! one pass over the text places each stretch of unchanged text in the new text (the
//! [`align`] below), and only the lines around each edit are diffed, with the same
//! Myers as before, inside one hook chain (similar's compaction and replace detection)
//! that sees the whole file, so a hunk is the one a diff of the whole file gives.
//! Diffing every line of a 50 MB file with Myers instead costs time in the product of
//! its length and the number of changed lines, and memory to match.
//!
//! A change whose edits do not explain it (none given, as for a created file; edits
//! that were followed by a formatter rewriting other lines; a hand-built change) is
//! diffed whole, as before.

use std::ops::{Index, Range};

use similar::algorithms::{Capture, Compact, DiffHook, NoFinishHook, Replace, myers};
use similar::{ChangeTag, DiffOp, TextDiff, group_diff_ops};

use super::{CONTEXT, FileChange};

/// The lines of a text (split after `\n` only, as git does: a lone `\r` is not a line
/// break), by the offset each starts at.
pub(crate) struct Lines<'t> {
    text: &'t str,
    /// Start of each line, then the text's length.
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    pub(crate) fn new(text: &'t str) -> Lines<'t> {
        let mut starts =
            Vec::with_capacity(memchr::memchr_iter(b'\n', text.as_bytes()).count() + 2);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|at| at + 1));
        if *starts.last().unwrap_or(&0) != text.len() {
            starts.push(text.len());
        }
        Lines { text, starts }
    }

    pub(crate) fn len(&self) -> usize {
        self.starts.len() - 1
    }

    /// Line `i` with its line break.
    pub(crate) fn line(&self, i: usize) -> &'t str {
        &self.text[self.starts[i]..self.starts[i + 1]]
    }

    /// The offset line `i` starts at (`i == len()`: the text's end).
    pub(crate) fn start(&self, i: usize) -> usize {
        self.starts[i]
    }

    /// Whether `offset` is where a line starts (the text's end counts after a line
    /// break, or in an empty text).
    fn at_line_start(&self, offset: usize) -> bool {
        offset == 0 || self.text.as_bytes()[offset - 1] == b'\n'
    }

    /// The line holding `offset`; at a line start, the line starting there (which is
    /// `len()` at the end of a text that ends with a line break).
    fn line_at(&self, offset: usize) -> usize {
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        if self.at_line_start(offset) {
            line
        } else {
            line.min(self.len().saturating_sub(1))
        }
    }
}

impl Index<usize> for Lines<'_> {
    type Output = str;

    fn index(&self, i: usize) -> &str {
        self.line(i)
    }
}

/// The hunks of a change: similar's ops over line indices, grouped with [`CONTEXT`]
/// lines of context as `grouped_ops` groups them, and the lines they index.
pub(crate) struct Hunks<'t> {
    pub(crate) old: Lines<'t>,
    pub(crate) new: Lines<'t>,
    pub(crate) groups: Vec<Vec<DiffOp>>,
    /// For each group, the rules whose edits fall in it, in the order of the edits,
    /// each once.
    pub(crate) rules: Vec<Vec<&'static str>>,
}

impl<'t> Hunks<'t> {
    pub(crate) fn new(change: &'t FileChange<'_>) -> Hunks<'t> {
        let old_text = change.old.as_deref().unwrap_or("");
        let old = Lines::new(old_text);
        let new = Lines::new(&change.new);
        let around = align(old_text, &change.new, &change.edits)
            .and_then(|regions| ops_around(&old, &new, &regions));
        let ops = match around {
            Some(ops) => ops,
            None => {
                let old_lines: Vec<&str> = (0..old.len()).map(|i| old.line(i)).collect();
                let new_lines: Vec<&str> = (0..new.len()).map(|i| new.line(i)).collect();
                // Myers without a deadline, so the same input always gives the same
                // hunks.
                TextDiff::configure()
                    .diff_slices(&old_lines, &new_lines)
                    .ops()
                    .to_vec()
            }
        };
        let groups = group_diff_ops(ops, CONTEXT);
        let rules = rules(&old, &groups, &change.edits);
        Hunks {
            old,
            new,
            groups,
            rules,
        }
    }

    /// The lines an op covers, each with its tag, in the order a unified diff prints
    /// them (a replacement's old lines, then its new ones).
    pub(crate) fn changes(&self, op: &DiffOp) -> impl Iterator<Item = (ChangeTag, &'t str)> + '_ {
        let (old, new) = (op.old_range(), op.new_range());
        let (old_tag, new_tag) = match op {
            DiffOp::Equal { .. } => (ChangeTag::Equal, None),
            _ => (ChangeTag::Delete, Some(ChangeTag::Insert)),
        };
        let old_lines = old.map(move |i| (old_tag, self.old.line(i)));
        let new_lines = new_tag
            .into_iter()
            .flat_map(move |tag| new.clone().map(move |i| (tag, self.new.line(i))));
        old_lines.chain(new_lines)
    }
}

/// The rules of the edits in each group: an edit is in a group when its range meets
/// the group's old bytes (closed intervals, so insertions and edits of an empty old side
/// count). One sweep: the edits by start, and the ones that may still meet a later
/// group (groups come in order) kept aside, so a file with many edits is not searched
/// once per hunk.
fn rules(
    old: &Lines<'_>,
    groups: &[Vec<DiffOp>],
    edits: &[(Range<usize>, &'static str)],
) -> Vec<Vec<&'static str>> {
    let mut order: Vec<&(Range<usize>, &'static str)> = edits.iter().collect();
    order.sort_by_key(|(range, _)| range.start);
    let mut next = 0;
    let mut open: Vec<&(Range<usize>, &'static str)> = Vec::new();
    groups
        .iter()
        .map(|group| {
            let (lines, _) = super::hunk_ranges(group);
            let bytes = old.start(lines.start)..old.start(lines.end);
            while next < order.len() && order[next].0.start <= bytes.end {
                open.push(order[next]);
                next += 1;
            }
            open.retain(|(range, _)| range.end >= bytes.start);
            let mut rules: Vec<&'static str> = Vec::new();
            for (_, rule) in &open {
                if !rules.contains(rule) {
                    rules.push(rule);
                }
            }
            rules
        })
        .collect()
}

/// The stretches that differ, as (old byte range, new byte range) in order, with the
/// text between two of them (and before the first, and after the last) the same on
/// both sides; `None` when the edits do not explain the change.
///
/// Each stretch of unchanged old text is placed at its first occurrence in the new text
/// after the previous one (the first is anchored at the start and the last at the end).
/// The first occurrence is always a valid choice: if any placement of the stretches in
/// order fits, the earliest ones do too, and the result, whichever it is, is a correct
/// diff (the edited lines are then diffed by Myers, which makes it minimal there).
/// Each search starts where the last one ended, so the whole is linear.
fn align(
    old: &str,
    new: &str,
    edits: &[(Range<usize>, &'static str)],
) -> Option<Vec<(Range<usize>, Range<usize>)>> {
    if edits.is_empty() {
        return None;
    }
    let mut ranges: Vec<Range<usize>> = edits.iter().map(|(range, _)| range.clone()).collect();
    if ranges.iter().any(|r| r.start > r.end || r.end > old.len()) {
        return None;
    }
    ranges.sort_by_key(|r| (r.start, r.end));
    // Overlapping and touching edits are one stretch: the text between two stretches
    // is never empty.
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    let (old_bytes, new_bytes) = (old.as_bytes(), new.as_bytes());
    let first = merged[0].start;
    if !new_bytes.starts_with(&old_bytes[..first]) {
        return None;
    }
    let mut regions = Vec::with_capacity(merged.len());
    // Where the current stretch starts in the new text.
    let mut at = first;
    for pair in merged.windows(2) {
        let same = &old_bytes[pair[0].end..pair[1].start];
        let found = memchr::memmem::find(&new_bytes[at..], same)?;
        regions.push((pair[0].clone(), at..at + found));
        at += found + same.len();
    }
    let last = merged[merged.len() - 1].clone();
    let tail = &old_bytes[last.end..];
    if new_bytes.len() < at + tail.len() || !new_bytes.ends_with(tail) {
        return None;
    }
    regions.push((last, at..new_bytes.len() - tail.len()));
    Some(regions)
}

/// Moves each block that only removes or only adds lines down past the equal lines that
/// repeat it (`x` removed from `x x` is shown as the second one), stopping short of the
/// next block. That is where a diff of the whole file puts such a change (Myers takes
/// the common lines first) and where git's diff puts it too; an edit that removed the
/// first `x` is the same change.
fn slide_down(old: &Lines<'_>, new: &Lines<'_>, blocks: &mut [(Range<usize>, Range<usize>)]) {
    for i in 0..blocks.len() {
        let limit = blocks.get(i + 1).map(|(o, n)| (o.start - 1, n.start - 1));
        let (o, n) = &mut blocks[i];
        let (o_limit, n_limit) = limit.unwrap_or((old.len(), new.len()));
        let (removes, adds) = (o.start < o.end, n.start < n.end);
        if removes && !adds {
            while o.end < o_limit && old.line(o.end) == old.line(o.start) {
                (o.start, o.end, n.start, n.end) = (o.start + 1, o.end + 1, n.start + 1, n.end + 1);
            }
        } else if adds && !removes {
            while n.end < n_limit && new.line(n.end) == new.line(n.start) {
                (o.start, o.end, n.start, n.end) = (o.start + 1, o.end + 1, n.start + 1, n.end + 1);
            }
        }
    }
}

/// The ops of the whole file from its differing stretches: the lines each stretch
/// touches are diffed by Myers (only they: the lines between are equal), and every op
/// goes through the hook chain `TextDiff` uses, so compaction can slide a change over
/// equal neighbours exactly as in a diff of the whole file.
fn ops_around(
    old: &Lines<'_>,
    new: &Lines<'_>,
    regions: &[(Range<usize>, Range<usize>)],
) -> Option<Vec<DiffOp>> {
    // The lines each stretch touches, merged when they touch: whole lines, on each
    // side, with the same number of equal lines between two blocks on both sides.
    let mut blocks: Vec<(Range<usize>, Range<usize>)> = Vec::with_capacity(regions.len());
    // (Built in order, and never overlapping: a block starting inside or right after the
    // last one is merged into it.)
    for (o, n) in regions {
        let start = (old.line_at(o.start), new.line_at(n.start));
        let end = if o.end == old.text.len() {
            // The rest of both texts is the same (nothing, or a last line's end).
            (old.len(), new.len())
        } else if old.at_line_start(o.end) && new.at_line_start(n.end) {
            (old.line_at(o.end), new.line_at(n.end))
        } else {
            (old.line_at(o.end) + 1, new.line_at(n.end) + 1)
        };
        match blocks.last_mut() {
            Some(last) if start.0 <= last.0.end || start.1 <= last.1.end => {
                last.0.end = last.0.end.max(end.0);
                last.1.end = last.1.end.max(end.1);
            }
            _ => blocks.push((start.0..end.0, start.1..end.1)),
        }
    }
    slide_down(old, new, &mut blocks);
    let mut hook = Compact::new(Replace::new(Capture::new()), old, new);
    let (mut old_at, mut new_at) = (0, 0);
    for (o, n) in blocks {
        // Equal text between two stretches holds as many lines on both sides; if the
        // blocks say otherwise, something above is wrong: diff the whole file instead.
        if o.start - old_at != n.start - new_at {
            return None;
        }
        if o.start > old_at {
            hook.equal(old_at, new_at, o.start - old_at).ok();
        }
        if !o.is_empty() || !n.is_empty() {
            myers::diff(
                &mut NoFinishHook::new(&mut hook),
                old,
                o.clone(),
                new,
                n.clone(),
            )
            .ok();
        }
        (old_at, new_at) = (o.end, n.end);
    }
    if old.len() - old_at != new.len() - new_at {
        return None;
    }
    if old.len() > old_at {
        hook.equal(old_at, new_at, old.len() - old_at).ok();
    }
    hook.finish().ok();
    Some(hook.into_inner().into_inner().into_ops())
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;

    fn change<'a>(old: &'a str, new: &'a str, edits: &[Range<usize>]) -> FileChange<'a> {
        FileChange {
            path: "a.ts".into(),
            old: Some(old.into()),
            new: new.into(),
            edits: edits.iter().map(|r| (r.clone(), "t")).collect(),
        }
    }

    /// The groups of the whole-file Myers diff that the edits replace.
    fn myers_groups(old: &str, new: &str) -> Vec<Vec<DiffOp>> {
        let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
        let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
        TextDiff::configure()
            .diff_slices(&old_lines, &new_lines)
            .grouped_ops(CONTEXT)
    }

    #[test]
    fn lines_and_their_offsets() {
        let lines = Lines::new("a\r\nb\rc\nd");
        assert_eq!(lines.len(), 3);
        assert_eq!(
            (0..3).map(|i| lines.line(i)).collect::<Vec<_>>(),
            ["a\r\n", "b\rc\n", "d"]
        );
        assert_eq!(lines.line_at(0), 0);
        assert_eq!(lines.line_at(3), 1);
        assert_eq!(lines.line_at(7), 2);
        assert_eq!(
            lines.line_at(8),
            2,
            "the end of a last line without a break"
        );
        let ended = Lines::new("a\n");
        assert_eq!((ended.len(), ended.line_at(2)), (1, 1));
        assert_eq!(Lines::new("").len(), 0);
    }

    #[test]
    fn stretches_are_placed_between_the_edits() {
        let old = "console.log(a);\nx;\nconsole.log(b);\n";
        let new = old.replace("console.log", "logger.info");
        let regions = align(old, &new, &[(0..11, "c"), (19..30, "c")]).unwrap();
        assert_eq!(regions, [(0..11, 0..11), (19..30, 19..30)]);
        // An insertion, a removal and a rewrite.
        let old = "a\nb\nc\nd\n";
        let new = "import x;\na\nc\nD\n";
        let edits = [(0..0, "i"), (2..4, "r"), (6..7, "w")];
        let regions = align(old, new, &edits).unwrap();
        assert_eq!(regions, [(0..0, 0..10), (2..4, 12..12), (6..7, 14..15)]);
    }

    #[test]
    fn edits_that_do_not_explain_the_change_are_not_used() {
        // The text after the edit changed too (a formatter).
        assert!(align("a;\nb;\n", "A;\nb ;\n", &[(0..1, "t")]).is_none());
        // Out of bounds.
        assert!(align("a", "b", &[(0..5, "t")]).is_none());
        // None at all.
        assert!(align("a", "b", &[]).is_none());
        // Then the whole file is diffed: still the right hunks.
        let c = change("a;\nb;\n", "A;\nb ;\n", &[0..1]);
        assert_eq!(Hunks::new(&c).groups, myers_groups("a;\nb;\n", "A;\nb ;\n"));
    }

    #[test]
    fn a_removed_line_next_to_an_equal_one_slides_as_in_a_whole_diff() {
        // The edit removes the first of two equal lines; compaction over the whole
        // file puts the deletion where Myers on the whole file puts it.
        let old = "a\nx\nx\nb\n";
        let new = "a\nx\nb\n";
        let c = change(old, new, &[2..4]);
        assert_eq!(Hunks::new(&c).groups, myers_groups(old, new));
    }

    #[test]
    fn edits_inside_lines_at_their_ends_and_across_them() {
        let cases: &[(&str, &str, &[Range<usize>])] = &[
            // A final newline removed, then added.
            ("a\n", "a", &[1..2]),
            ("a", "a\n", &[1..1]),
            // A line break removed inside the text.
            ("a\nb\n", "ab\n", &[1..2]),
            // Two edits on one line, one on the next.
            (
                "f(a, b);\ng(c);\n",
                "F(a, B);\ng(C);\n",
                &[0..1, 5..6, 11..12],
            ),
            // An edit that changes nothing.
            ("a\nb\nc\n", "a\nb\nc\n", &[2..3]),
            // Whole file, and an empty file.
            ("a\nb\nc\n", "a\nB\nc\nd\n", &[0..6]),
            ("", "x\n", &[0..0]),
            ("x\n", "", &[0..2]),
        ];
        for (old, new, edits) in cases {
            let c = change(old, new, edits);
            assert!(align(old, new, &c.edits).is_some(), "{old:?} {new:?}");
            assert_eq!(
                Hunks::new(&c).groups,
                myers_groups(old, new),
                "{old:?} → {new:?}"
            );
        }
    }

    /// Applies a patch of one file (as `patch::render` writes it) to `old`, checking
    /// every context and removed line against it: an independent reader of what
    /// `git apply` reads.
    fn apply_patch(old: &str, patch: &str) -> Result<String, String> {
        let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
        let mut out = String::new();
        let mut at = 0;
        let mut lines = patch.split_inclusive('\n').peekable();
        // Skip the file header.
        while let Some(line) = lines.peek() {
            if line.starts_with("@@") {
                break;
            }
            lines.next();
        }
        while let Some(header) = lines.next() {
            let old_start: usize = header
                .strip_prefix("@@ -")
                .and_then(|h| h.split(',').next())
                .and_then(|n| n.parse().ok())
                .ok_or(format!("bad header {header:?}"))?;
            // An empty old side names the line before it.
            let first = if header.starts_with(&format!("@@ -{old_start},0 ")) {
                old_start
            } else {
                old_start - 1
            };
            if first < at {
                return Err(format!("hunks overlap at {header:?}"));
            }
            old_lines[at..first].iter().for_each(|l| out.push_str(l));
            at = first;
            while let Some(line) = lines.peek() {
                if line.starts_with("@@") {
                    break;
                }
                let line = lines.next().unwrap();
                let (marker, body) = line.split_at(1);
                let mut body = body.to_owned();
                if lines.peek().is_some_and(|l| l.starts_with("\\ No newline")) {
                    lines.next();
                    body.pop();
                }
                let body = body.as_str();
                match marker {
                    " " | "-" => {
                        if old_lines.get(at) != Some(&body) {
                            return Err(format!(
                                "line {at} is {:?}, not {body:?}",
                                old_lines.get(at)
                            ));
                        }
                        if marker == " " {
                            out.push_str(body);
                        }
                        at += 1;
                    }
                    "+" => out.push_str(body),
                    other => return Err(format!("bad line marker {other:?}")),
                }
            }
        }
        old_lines[at..].iter().for_each(|l| out.push_str(l));
        Ok(out)
    }

    /// Pieces the texts are made of: few enough to repeat (equal neighbouring lines),
    /// with CRLF, lone `\r`, multi-byte characters and no-newline ends.
    const PIECES: &[&str] = &[
        "a",
        "b\n",
        "\n",
        "\r\n",
        "console.log(1);\n",
        "é",
        "\r",
        "x\ny\n",
        "",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// For random texts and random non-overlapping edits, the patch built from the
        /// edits reproduces the new bytes exactly, applied to the old ones, and so do
        /// the preview's hunks (the same ops); and when the edits explain the change,
        /// they are the ones used.
        #[test]
        fn the_patch_from_the_edits_gives_the_new_text(
            bom in proptest::bool::ANY,
            text in proptest::collection::vec(proptest::sample::select(PIECES), 0..40),
            edits in proptest::collection::vec(
                (0usize..200, 0usize..4, proptest::sample::select(PIECES)),
                0..8,
            ),
        ) {
            use crate::edit::{Changeset, Edit, FileText};
            let mut bytes = if bom { "\u{FEFF}".to_owned() } else { String::new() };
            bytes.push_str(&text.concat());
            let file = FileText::from_bytes(bytes.as_bytes()).unwrap();
            let boundaries: Vec<usize> =
                (0..=file.text.len()).filter(|&i| file.text.is_char_boundary(i)).collect();
            let mut set = Changeset::new();
            for (at, len, replacement) in edits {
                let start = boundaries[at % boundaries.len()];
                let end = boundaries[(at % boundaries.len() + len).min(boundaries.len() - 1)];
                set.push(Edit::replace(start..end, replacement, "prop"));
            }
            let applied = set.apply(&file.text);
            let change = FileChange::modified("a.ts", &file, &applied.text, &applied.applied);
            let old = change.old.as_deref().unwrap();
            let patch = super::super::patch::render(std::slice::from_ref(&change));
            let rebuilt = apply_patch(old, &patch);
            proptest::prop_assert_eq!(rebuilt.as_deref(), Ok(&*change.new), "patch {:?}", patch);
            // In a CRLF file that also has lone `\n`, the line breaks to adapt are found by a
            // diff (`FileText::render`), which may give a `\r` to a line next to an edit:
            // then the edits do not explain every byte, and the whole file is diffed.
            let mixed = file.ending == crate::edit::LineEnding::Crlf
                && file.text.replace("\r\n", "").contains('\n');
            if !applied.applied.is_empty() && !mixed {
                let regions = align(old, &change.new, &change.edits);
                proptest::prop_assert!(regions.is_some(), "the edits explain the change");
                let old_lines = Lines::new(old);
                let new_lines = Lines::new(&change.new);
                proptest::prop_assert!(ops_around(&old_lines, &new_lines, &regions.unwrap()).is_some());
            }
            // The preview shows the same hunks (without colour, lines as in the patch
            // but for their line breaks).
            let preview = super::super::diff::render(&change, false);
            proptest::prop_assert_eq!(
                preview.lines().filter(|l| l.starts_with("@@")).count(),
                patch.lines().filter(|l| l.starts_with("@@")).count()
            );
        }
    }
}

//! Byte-range edits and the per-file set that applies them in one pass.
//!
//! Rules produce edits independently, so two of them may want the same bytes. Peer
//! tools resolve that by silently skipping the later edit (ast-grep) or by re-parsing
//! after every edit (slow). dash sorts the edits once, accepts the first of any
//! overlapping pair and hands every refused edit back to the caller, who reports it
//! and lets the next fix-point pass retry it against the new text.

use std::ops::Range;

/// One byte-range replacement in a file's text (the text after any BOM).
///
/// An empty `range` is a pure insertion at `range.start`; an empty `replacement` is a
/// deletion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub replacement: String,
    /// The id of the rule that made the edit, for previews and reports.
    pub rule: &'static str,
}

impl Edit {
    /// Inserts `text` at byte offset `at`.
    pub fn insert(at: usize, text: impl Into<String>, rule: &'static str) -> Edit {
        Edit {
            range: at..at,
            replacement: text.into(),
            rule,
        }
    }

    /// Deletes the bytes in `range`.
    pub fn delete(range: Range<usize>, rule: &'static str) -> Edit {
        Edit {
            range,
            replacement: String::new(),
            rule,
        }
    }

    /// Replaces the bytes in `range` with `text`.
    pub fn replace(range: Range<usize>, text: impl Into<String>, rule: &'static str) -> Edit {
        Edit {
            range,
            replacement: text.into(),
            rule,
        }
    }

    /// A pure insertion removes nothing, so it can sit at the boundary of another edit.
    fn is_insertion(&self) -> bool {
        self.range.is_empty()
    }

    /// Whether the edit can be applied to `source` at all: a well-formed range inside
    /// the text whose ends are on char boundaries (slicing there cannot panic).
    fn fits(&self, source: &str) -> bool {
        self.range.start <= self.range.end
            && source.is_char_boundary(self.range.start)
            && source.is_char_boundary(self.range.end)
    }
}

/// The edits of one file, checked for overlap and applied in one pass.
#[derive(Debug, Clone, Default)]
pub struct Changeset {
    edits: Vec<Edit>,
}

/// The result of [`Changeset::apply`]: the new text and what happened to every edit.
///
/// Every pushed edit ends up in exactly one of `applied` and `dropped`, both in the
/// order they were considered (by start offset, see [`Changeset::apply`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub text: String,
    pub applied: Vec<Edit>,
    pub dropped: Vec<Edit>,
}

impl Changeset {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, edit: Edit) {
        self.edits.push(edit);
    }

    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    pub fn len(&self) -> usize {
        self.edits.len()
    }

    /// Applies the edits to `source`. Edits are ordered by start (ties: pure insertions
    /// before replacements, then push order); an edit overlapping one already accepted is
    /// not applied and comes back in `dropped` (never silently lost). Two insertions at the
    /// same offset are both applied, in push order. An insertion at the boundary of a
    /// replacement (at its start or end) does not overlap it. Panics never: a range out of
    /// bounds or not on a char boundary is dropped too.
    pub fn apply(&self, source: &str) -> Applied {
        // A stable sort keeps push order among equal keys.
        let mut order: Vec<&Edit> = self.edits.iter().collect();
        order.sort_by_key(|edit| (edit.range.start, !edit.is_insertion()));

        let mut text = String::with_capacity(source.len());
        let mut applied = Vec::new();
        let mut dropped = Vec::new();
        // Everything before `copied` is already in `text`; accepted edits never reach
        // back before it, which is exactly the "no overlap" condition given the order.
        let mut copied = 0;
        for edit in order {
            if !edit.fits(source) || edit.range.start < copied {
                dropped.push(edit.clone());
                continue;
            }
            text.push_str(&source[copied..edit.range.start]);
            text.push_str(&edit.replacement);
            copied = edit.range.end;
            applied.push(edit.clone());
        }
        text.push_str(&source[copied..]);
        Applied {
            text,
            applied,
            dropped,
        }
    }
}

impl Extend<Edit> for Changeset {
    fn extend<I: IntoIterator<Item = Edit>>(&mut self, iter: I) {
        self.edits.extend(iter);
    }
}

impl FromIterator<Edit> for Changeset {
    fn from_iter<I: IntoIterator<Item = Edit>>(iter: I) -> Self {
        Changeset {
            edits: iter.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(source: &str, edits: &[Edit]) -> Applied {
        edits.iter().cloned().collect::<Changeset>().apply(source)
    }

    #[test]
    fn constructors() {
        assert_eq!(Edit::insert(3, "x", "r").range, 3..3);
        let delete = Edit::delete(1..4, "r");
        assert_eq!((delete.range, delete.replacement.as_str()), (1..4, ""));
        let replace = Edit::replace(1..4, "y", "r");
        assert_eq!((replace.range, replace.replacement.as_str()), (1..4, "y"));
        let mut set = Changeset::new();
        assert!(set.is_empty());
        set.push(Edit::insert(0, "a", "r"));
        set.extend([Edit::insert(0, "b", "r")]);
        assert_eq!(set.len(), 2);
        assert!(!set.is_empty());
    }

    #[test]
    fn empty_changeset_returns_source() {
        let out = Changeset::new().apply("abc");
        assert_eq!(out.text, "abc");
        assert!(out.applied.is_empty() && out.dropped.is_empty());
    }

    #[test]
    fn applies_in_offset_order_whatever_the_push_order() {
        let out = apply(
            "console.log(a); console.log(b);",
            &[
                Edit::replace(16..27, "logger.info", "console"),
                Edit::replace(0..11, "logger.info", "console"),
            ],
        );
        assert_eq!(out.text, "logger.info(a); logger.info(b);");
        assert_eq!(out.applied[0].range, 0..11);
        assert!(out.dropped.is_empty());
    }

    #[test]
    fn overlapping_edit_is_dropped_and_returned() {
        let first = Edit::replace(0..5, "X", "a");
        let overlapping = Edit::replace(3..8, "Y", "b");
        let out = apply("0123456789", &[first.clone(), overlapping.clone()]);
        assert_eq!(out.text, "X56789");
        assert_eq!(out.applied, vec![first]);
        assert_eq!(out.dropped, vec![overlapping]);
    }

    #[test]
    fn earlier_start_wins_over_push_order() {
        let late = Edit::replace(3..8, "Y", "b");
        let early = Edit::replace(0..5, "X", "a");
        let out = apply("0123456789", &[late.clone(), early.clone()]);
        assert_eq!(out.text, "X56789");
        assert_eq!(out.dropped, vec![late]);
    }

    #[test]
    fn same_start_replacements_first_pushed_wins() {
        let a = Edit::replace(2..4, "A", "a");
        let b = Edit::replace(2..6, "B", "b");
        let out = apply("0123456789", &[a.clone(), b.clone()]);
        assert_eq!(out.text, "01A456789");
        assert_eq!(out.dropped, vec![b.clone()]);
        let out = apply("0123456789", &[b, a.clone()]);
        assert_eq!(out.text, "01B6789");
        assert_eq!(out.dropped, vec![a]);
    }

    #[test]
    fn contained_edits_are_dropped() {
        // A replacement inside another, and an insertion strictly inside one.
        let outer = Edit::replace(1..9, "O", "a");
        let inner = Edit::replace(3..4, "I", "b");
        let inside = Edit::insert(5, "!", "c");
        let out = apply("0123456789", &[inner.clone(), inside.clone(), outer]);
        assert_eq!(out.text, "0O9");
        assert_eq!(out.dropped, vec![inner, inside]);
    }

    #[test]
    fn adjacent_replacements_both_apply() {
        let out = apply(
            "0123456789",
            &[
                Edit::replace(5..8, "B", "b"),
                Edit::replace(2..5, "A", "a"),
                Edit::delete(8..10, "c"),
            ],
        );
        assert_eq!(out.text, "01AB");
        assert_eq!(out.applied.len(), 3);
        assert!(out.dropped.is_empty());
    }

    #[test]
    fn insertions_at_the_same_offset_apply_in_push_order() {
        let out = apply(
            "ab",
            &[
                Edit::insert(1, "1", "r"),
                Edit::insert(1, "2", "r"),
                Edit::insert(1, "3", "r"),
            ],
        );
        assert_eq!(out.text, "a123b");
        assert!(out.dropped.is_empty());
    }

    #[test]
    fn insertion_at_either_boundary_of_a_replacement_applies() {
        // Pushed after the replacement, the insertion at its start still goes first.
        let out = apply(
            "0123456789",
            &[
                Edit::replace(3..6, "R", "r"),
                Edit::insert(3, "<", "i"),
                Edit::insert(6, ">", "i"),
            ],
        );
        assert_eq!(out.text, "012<R>6789");
        assert!(out.dropped.is_empty());
        assert_eq!(out.applied[0].replacement, "<");
    }

    #[test]
    fn insertions_at_the_ends_of_the_text() {
        let out = apply(
            "ab",
            &[Edit::insert(2, "!", "r"), Edit::insert(0, "^", "r")],
        );
        assert_eq!(out.text, "^ab!");
    }

    #[test]
    fn out_of_bounds_and_reversed_ranges_are_dropped() {
        let past_end = Edit::replace(2..9, "X", "a");
        let insert_past_end = Edit::insert(4, "X", "a");
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = Edit::replace(3..1, "X", "a");
        let ok = Edit::replace(0..1, "Z", "a");
        let out = apply(
            "abc",
            &[
                past_end.clone(),
                insert_past_end.clone(),
                reversed.clone(),
                ok,
            ],
        );
        assert_eq!(out.text, "Zbc");
        assert_eq!(out.dropped.len(), 3);
        for edit in [past_end, insert_past_end, reversed] {
            assert!(out.dropped.contains(&edit));
        }
    }

    #[test]
    fn non_char_boundary_is_dropped() {
        // `é` is two bytes (1..3); offset 2 is inside it.
        let source = "héllo";
        let inside = Edit::replace(2..4, "X", "a");
        let insert_inside = Edit::insert(2, "X", "a");
        let out = apply(source, &[inside.clone(), insert_inside.clone()]);
        assert_eq!(out.text, source);
        assert_eq!(out.dropped, vec![insert_inside, inside]);
        let out = apply(source, &[Edit::replace(1..3, "e", "a")]);
        assert_eq!(out.text, "hello");
    }

    #[test]
    fn a_dropped_edit_does_not_block_later_ones() {
        // The invalid edit must not advance the copy cursor.
        let out = apply(
            "0123456789",
            &[
                Edit::replace(2..99, "X", "a"),
                Edit::replace(4..5, "Y", "b"),
            ],
        );
        assert_eq!(out.text, "0123Y56789");
    }

    /// A small deterministic generator (SplitMix64) so the property tests need no crate
    /// and always check the same cases.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn shuffle<T>(&mut self, items: &mut [T]) {
            for i in (1..items.len()).rev() {
                items.swap(i, self.below(i + 1));
            }
        }
    }

    /// An ASCII source and a few edits (some insertions, some overlapping, some out of
    /// bounds) with distinct replacement texts so results are easy to tell apart.
    fn generate(rng: &mut Rng) -> (String, Vec<Edit>) {
        let len = rng.below(20);
        let source: String = (0..len).map(|i| (b'a' + (i % 26) as u8) as char).collect();
        let count = rng.below(8);
        let edits = (0..count)
            .map(|i| {
                let start = rng.below(len + 2);
                let end = if rng.below(3) == 0 {
                    start
                } else {
                    start + rng.below(5)
                };
                Edit::replace(start..end, format!("<{i}>"), "prop")
            })
            .collect();
        (source, edits)
    }

    /// An independent model of the contract: accept in (start, replacement-after-
    /// insertion, push order) order when the edit is in bounds and overlaps no accepted
    /// edit by the pairwise definition, then rebuild the text from per-offset
    /// insertions and a deletion mask.
    fn model(source: &str, edits: &[Edit]) -> (String, Vec<Edit>) {
        let len = source.len();
        let mut keyed: Vec<(usize, &Edit)> = edits.iter().enumerate().collect();
        keyed.sort_by_key(|(i, e)| (e.range.start, !e.range.is_empty(), *i));
        let overlaps = |a: &Edit, b: &Edit| {
            if a.range.is_empty() && b.range.is_empty() {
                false
            } else if a.range.is_empty() {
                b.range.start < a.range.start && a.range.start < b.range.end
            } else if b.range.is_empty() {
                a.range.start < b.range.start && b.range.start < a.range.end
            } else {
                a.range.start < b.range.end && b.range.start < a.range.end
            }
        };
        let mut accepted: Vec<&Edit> = Vec::new();
        for (_, edit) in keyed {
            let in_bounds = edit.range.start <= edit.range.end && edit.range.end <= len;
            if in_bounds && !accepted.iter().any(|a| overlaps(a, edit)) {
                accepted.push(edit);
            }
        }
        let mut before = vec![String::new(); len + 1];
        let mut deleted = vec![false; len];
        for edit in &accepted {
            before[edit.range.start].push_str(&edit.replacement);
            for flag in &mut deleted[edit.range.clone()] {
                *flag = true;
            }
        }
        let mut text = String::new();
        for (i, inserted) in before.iter().enumerate() {
            text.push_str(inserted);
            if i < len && !deleted[i] {
                text.push_str(&source[i..i + 1]);
            }
        }
        (text, accepted.into_iter().cloned().collect())
    }

    #[test]
    fn property_matches_the_model() {
        let mut rng = Rng(0xDA5B);
        for _ in 0..5000 {
            let (source, edits) = generate(&mut rng);
            let out = apply(&source, &edits);
            let (text, accepted) = model(&source, &edits);
            assert_eq!(out.text, text, "source {source:?} edits {edits:?}");
            assert_eq!(out.applied, accepted, "source {source:?} edits {edits:?}");
            // Nothing lost: every edit is accounted for exactly once.
            assert_eq!(out.applied.len() + out.dropped.len(), edits.len());
        }
    }

    #[test]
    fn property_push_order_does_not_matter_without_ties() {
        let mut rng = Rng(0x5EED);
        let mut checked = 0;
        while checked < 2000 {
            let (source, mut edits) = generate(&mut rng);
            // Push order only breaks ties between edits of the same start and kind.
            let mut keys: Vec<_> = edits
                .iter()
                .map(|e| (e.range.start, e.range.is_empty()))
                .collect();
            keys.sort();
            keys.dedup();
            if keys.len() != edits.len() {
                continue;
            }
            let sorted = {
                let mut sorted = edits.clone();
                sorted.sort_by_key(|e| (e.range.start, !e.range.is_empty()));
                apply(&source, &sorted)
            };
            rng.shuffle(&mut edits);
            assert_eq!(apply(&source, &edits), sorted, "source {source:?}");
            checked += 1;
        }
    }
}

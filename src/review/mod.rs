//! Showing a change before it is written: a coloured preview for people ([`diff`]) and
//! a plain patch for `git apply` ([`patch`]).
//!
//! Both are built from the same line diff, with lines split after `\n` only (git's
//! notion of a line). similar's own line splitter also breaks at a lone `\r`, which
//! would make hunks that git cannot match against the file.

pub mod diff;
mod hunks;
pub mod interactive;
pub mod merge;
pub mod patch;
mod session;

pub use session::{Kind, Proposal, Session, Written};

use std::borrow::Cow;
use std::ops::Range;

use similar::DiffOp;

use crate::edit::{Edit, FileText};
use hunks::Hunks;

/// A change to one file, as reviewed and printed.
///
/// `old` and `new` are the whole file content as on disk (a BOM included, line endings
/// as written), so that a patch reproduces the file byte for byte. They borrow from the
/// proposal where they can: a big file's text is not copied to be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange<'a> {
    /// Repo-relative display path, `/`-separated.
    pub path: String,
    /// None: the file is new.
    pub old: Option<Cow<'a, str>>,
    pub new: Cow<'a, str>,
    /// Old-text byte ranges and the rule that made each edit. The hunks are found from
    /// them when they explain the change (see `hunks`), so they must cover every byte
    /// that differs, or the whole file is diffed.
    pub edits: Cow<'a, [(Range<usize>, &'static str)]>,
}

impl FileChange<'static> {
    /// The change to an existing file: `original` as read, `new_text` as the edits left
    /// it (before [`FileText::to_bytes`]), and the edits whose rules the preview names,
    /// with ranges in `original.text` (the offsets are shifted past a BOM here).
    pub fn modified(
        path: impl Into<String>,
        original: &FileText,
        new_text: &str,
        edits: &[Edit],
    ) -> FileChange<'static> {
        let bom = if original.bom {
            '\u{FEFF}'.len_utf8()
        } else {
            0
        };
        let mut old = String::with_capacity(bom + original.text.len());
        if original.bom {
            old.push('\u{FEFF}');
        }
        old.push_str(&original.text);
        FileChange {
            path: path.into(),
            old: Some(Cow::Owned(old)),
            new: Cow::Owned(original.render(new_text)),
            edits: edits
                .iter()
                .map(|edit| (edit.range.start + bom..edit.range.end + bom, edit.rule))
                .collect(),
        }
    }

    /// A file dash creates (such as a logger module).
    pub fn created(path: impl Into<String>, text: impl Into<String>) -> FileChange<'static> {
        FileChange {
            path: path.into(),
            old: None,
            new: Cow::Owned(text.into()),
            edits: Cow::Borrowed(&[]),
        }
    }
}

impl FileChange<'_> {
    /// Whether writing the change would leave the file as it is.
    pub fn is_unchanged(&self) -> bool {
        self.old.as_deref() == Some(&*self.new)
    }
}

/// Lines of context around each change, as `diff -u` and git use.
const CONTEXT: usize = 3;

/// The lines of `text`, each with its `\n` (the last may have none).
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// The old and new line ranges a hunk covers.
fn hunk_ranges(group: &[DiffOp]) -> (Range<usize>, Range<usize>) {
    let (first, last) = (&group[0], &group[group.len() - 1]);
    (
        first.old_range().start..last.old_range().end,
        first.new_range().start..last.new_range().end,
    )
}

/// `@@ -12,3 +12,4 @@`: 1-based first line and length; an empty side names the line
/// before it (0 at the top of the file), as unified diffs do.
fn hunk_header(group: &[DiffOp]) -> String {
    let (old, new) = hunk_ranges(group);
    let side = |range: Range<usize>| {
        let start = if range.is_empty() {
            range.start
        } else {
            range.start + 1
        };
        format!("{start},{}", range.len())
    };
    format!("@@ -{} +{} @@", side(old), side(new))
}

const NO_NEWLINE: &str = "\\ No newline at end of file";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::Changeset;

    #[test]
    fn modified_keeps_the_bytes_on_disk_and_shifts_ranges_past_the_bom() {
        let original = FileText::from_bytes(b"\xEF\xBB\xBFa;\r\nconsole.log(1);\r\n").unwrap();
        let edit = Edit::replace(4..15, "logger.info", "console");
        let mut set = Changeset::new();
        set.push(edit.clone());
        let applied = set.apply(&original.text);
        let change = FileChange::modified("src/a.ts", &original, &applied.text, &applied.applied);
        assert_eq!(
            change.old.as_deref(),
            Some("\u{FEFF}a;\r\nconsole.log(1);\r\n")
        );
        assert_eq!(change.new, "\u{FEFF}a;\r\nlogger.info(1);\r\n");
        assert_eq!(*change.edits, [(7..18, "console")]);
        assert_eq!(&change.old.as_deref().unwrap()[7..18], "console.log");
        assert!(!change.is_unchanged());
    }

    #[test]
    fn created_and_unchanged() {
        let change = FileChange::created("src/logger.ts", "x\n");
        assert_eq!(change.old, None);
        assert!(!change.is_unchanged());
        let original = FileText::from_bytes(b"a\n").unwrap();
        assert!(FileChange::modified("a.ts", &original, "a\n", &[]).is_unchanged());
    }

    #[test]
    fn lines_split_at_newlines_only() {
        assert_eq!(lines("a\r\nb\rc\nd"), ["a\r\n", "b\rc\n", "d"]);
        assert!(lines("").is_empty());
    }

    #[test]
    fn headers_of_hunks() {
        let old = (1..=20).map(|i| format!("{i}\n")).collect::<String>();
        let new = old
            .replace("10\n", "ten\n")
            .replace("1\n2\n", "1\n1.5\n2\n");
        let change = FileChange {
            path: "a".into(),
            old: Some(old.into()),
            new: new.into(),
            edits: vec![(2..2, "insert"), (18..20, "rename")].into(),
        };
        let hunks = Hunks::new(&change);
        let headers: Vec<String> = hunks.groups.iter().map(|g| hunk_header(g)).collect();
        assert_eq!(headers, ["@@ -1,4 +1,5 @@", "@@ -7,7 +8,7 @@"]);
        assert_eq!(hunks.rules, [vec!["insert"], vec!["rename"]]);
        // A new file: the old side is empty and named by line 0.
        let change = FileChange::created("b", "x\ny\n");
        let hunks = Hunks::new(&change);
        assert_eq!(hunk_header(&hunks.groups[0]), "@@ -0,0 +1,2 @@");
    }
}

//! A file's text as rules see it, and the bytes that go back to disk.
//!
//! Rules work on plain text: no byte-order mark (it would shift every offset and the
//! parser does not want it) and line breaks as they are. Writing back must restore
//! what the file had, so a CRLF file stays CRLF even when a rule inserts a line with a
//! bare `\n`, and a file's odd mix of line endings is not "normalised" by dash: only
//! the line breaks an edit introduced are adapted.

use std::ops::Range;

use similar::{Algorithm, DiffOp, capture_diff_slices};

const BOM: &str = "\u{FEFF}";

/// How a file breaks its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnding {
    Lf,
    Crlf,
}

impl LineEnding {
    pub fn as_str(self) -> &'static str {
        match self {
            LineEnding::Lf => "\n",
            LineEnding::Crlf => "\r\n",
        }
    }
}

/// A file's text as dash edits it, and what must be restored on write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileText {
    /// The file's content after the BOM: what rules parse and edit offsets refer to.
    pub text: String,
    /// Whether the file starts with a UTF-8 byte-order mark.
    pub bom: bool,
    /// The line ending most of the file uses.
    pub ending: LineEnding,
    /// Whether the text ends with a line break.
    pub trailing_newline: bool,
}

impl FileText {
    /// From the exact bytes on disk (UTF-8 required; returns None otherwise). The line
    /// ending is the one the file mostly uses (CRLF if most `\n` are preceded by `\r`).
    pub fn from_bytes(bytes: &[u8]) -> Option<FileText> {
        FileText::from_vec(bytes.to_vec()).ok()
    }

    /// [`FileText::from_bytes`] taking the bytes, whose buffer becomes the text (a big
    /// file is not held twice); the bytes come back when they are not UTF-8.
    pub fn from_vec(mut bytes: Vec<u8>) -> Result<FileText, Vec<u8>> {
        let bom = bytes.starts_with(BOM.as_bytes());
        let body = if bom { &bytes[BOM.len()..] } else { &bytes[..] };
        if std::str::from_utf8(body).is_err() {
            return Err(bytes);
        }
        let newlines = memchr::memchr_iter(b'\n', body).count();
        let crlf = memchr::memmem::find_iter(body, b"\r\n").count();
        let ending = if crlf * 2 > newlines {
            LineEnding::Crlf
        } else {
            LineEnding::Lf
        };
        if bom {
            bytes.drain(..BOM.len());
        }
        let text = String::from_utf8(bytes).expect("checked above");
        let trailing_newline = text.ends_with('\n');
        Ok(FileText {
            text,
            bom,
            ending,
            trailing_newline,
        })
    }

    /// The bytes this text was read from (BOM restored): what the file held.
    pub fn original_bytes(&self) -> Vec<u8> {
        let bom: &[u8] = if self.bom { BOM.as_bytes() } else { b"" };
        let mut bytes = Vec::with_capacity(bom.len() + self.text.len());
        bytes.extend_from_slice(bom);
        bytes.extend_from_slice(self.text.as_bytes());
        bytes
    }

    /// The bytes to write for `new_text`: BOM restored, and any lone `\n` that the edits
    /// introduced into a CRLF file becomes `\r\n` (existing line endings are never touched:
    /// only convert `\n` not already preceded by `\r`). The trailing-newline state of the
    /// original is kept as it was unless the edits deliberately changed the last line.
    ///
    /// The trailing-newline rule needs no code: `new_text` is the original with edits
    /// spliced in, so an untouched end of file is still exactly what it was, and an edit
    /// that reaches the end decided what the end should be. Adding or removing a final
    /// newline here would override a rule (or a user) that changed it on purpose.
    pub fn to_bytes(&self, new_text: &str) -> Vec<u8> {
        self.render(new_text).into_bytes()
    }

    /// [`FileText::render`], borrowing `new_text` when it is already the bytes to write
    /// (no BOM to restore, no line break to adapt): a preview of a big file then copies
    /// nothing.
    pub(crate) fn render_cow<'t>(&self, new_text: &'t str) -> std::borrow::Cow<'t, str> {
        if !self.bom
            && (self.ending == LineEnding::Lf || self.introduced_lone_newlines(new_text).is_empty())
        {
            return std::borrow::Cow::Borrowed(new_text);
        }
        std::borrow::Cow::Owned(self.render(new_text))
    }

    /// [`FileText::to_bytes`] as a string (the result is UTF-8 by construction).
    pub(crate) fn render(&self, new_text: &str) -> String {
        let introduced = match self.ending {
            LineEnding::Lf => Vec::new(),
            LineEnding::Crlf => self.introduced_lone_newlines(new_text),
        };
        let mut out = String::with_capacity(BOM.len() + new_text.len() + introduced.len());
        if self.bom {
            out.push_str(BOM);
        }
        let mut copied = 0;
        for at in introduced {
            out.push_str(&new_text[copied..at]);
            out.push('\r');
            copied = at;
        }
        out.push_str(&new_text[copied..]);
        out
    }

    /// Offsets in `new_text` of the lone `\n` that are not the original's own.
    ///
    /// When the original has no lone `\n` at all (the usual CRLF file), every lone one
    /// in the new text came from an edit. Otherwise the file mixes endings on purpose or
    /// by accident, and the old and new texts are diffed (lines first, then bytes
    /// inside each changed block, so the cost follows the size of the change) to find
    /// the line breaks the edits added.
    fn introduced_lone_newlines(&self, new_text: &str) -> Vec<usize> {
        let lone = lone_newlines(new_text, 0..new_text.len());
        if lone.is_empty() || lone_newlines(&self.text, 0..self.text.len()).is_empty() {
            return lone;
        }
        let old_lines = line_starts(&self.text);
        let new_lines = line_starts(new_text);
        let old_slices = slices(&self.text, &old_lines);
        let new_slices = slices(new_text, &new_lines);
        let mut introduced = Vec::new();
        for op in capture_diff_slices(Algorithm::Myers, &old_slices, &new_slices) {
            match op {
                DiffOp::Equal { .. } | DiffOp::Delete { .. } => {}
                DiffOp::Insert {
                    new_index, new_len, ..
                } => {
                    let block = new_lines[new_index]..new_lines[new_index + new_len];
                    introduced.extend(lone_newlines(new_text, block));
                }
                DiffOp::Replace {
                    old_index,
                    old_len,
                    new_index,
                    new_len,
                } => {
                    let old_block = old_lines[old_index]..old_lines[old_index + old_len];
                    let new_block = new_lines[new_index]..new_lines[new_index + new_len];
                    introduced.extend(self.introduced_in_block(new_text, old_block, new_block));
                }
            }
        }
        introduced
    }
}

impl FileText {
    /// The lone `\n` of a changed block of lines that the byte diff does not match
    /// with a lone `\n` of the old block. A break matched with an old `\r\n` whose
    /// `\r` an edit removed counts as introduced: it was not a lone `\n` before.
    ///
    /// Where the diff is ambiguous (an edited line with a lone `\n` right next to an
    /// inserted line), the two lines may trade endings; no text is lost either way.
    fn introduced_in_block(
        &self,
        new_text: &str,
        old_block: Range<usize>,
        new_block: Range<usize>,
    ) -> Vec<usize> {
        let old_bytes = &self.text.as_bytes()[old_block.clone()];
        let new_bytes = &new_text.as_bytes()[new_block.clone()];
        let old_lone = lone_newlines(&self.text, old_block.clone());
        let mut kept = Vec::new();
        for op in capture_diff_slices(Algorithm::Myers, old_bytes, new_bytes) {
            if let DiffOp::Equal {
                old_index,
                new_index,
                len,
            } = op
            {
                for k in 0..len {
                    let old_at = old_block.start + old_index + k;
                    if old_lone.binary_search(&old_at).is_ok() {
                        kept.push(new_block.start + new_index + k);
                    }
                }
            }
        }
        lone_newlines(new_text, new_block)
            .into_iter()
            .filter(|at| kept.binary_search(at).is_err())
            .collect()
    }
}

/// Offsets of the `\n` in `text[range]` not preceded by `\r` (looking before the range
/// too, so a `\r\n` split across a range boundary is not lone).
fn lone_newlines(text: &str, range: Range<usize>) -> Vec<usize> {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'\n', &bytes[range.clone()])
        .map(|at| range.start + at)
        .filter(|&at| at == 0 || bytes[at - 1] != b'\r')
        .collect()
}

/// Start offsets of the lines of `text` (split after each `\n` only, as git does; a
/// lone `\r` is not a line break), followed by `text.len()`.
fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|at| at + 1));
    if *starts.last().unwrap_or(&0) != text.len() {
        starts.push(text.len());
    }
    starts
}

fn slices<'t>(text: &'t str, starts: &[usize]) -> Vec<&'t str> {
    starts.windows(2).map(|w| &text[w[0]..w[1]]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_vec_is_from_bytes_and_gives_the_bytes_back() {
        for bytes in [
            &b"\xEF\xBB\xBFa;\r\nb;\r\n"[..],
            b"a;\nb",
            b"",
            b"\xEF\xBB\xBF",
            b"a\r\nb\nc\r\n",
        ] {
            let taken = FileText::from_vec(bytes.to_vec()).unwrap();
            assert_eq!(Some(&taken), FileText::from_bytes(bytes).as_ref());
            assert_eq!(taken.original_bytes(), bytes);
            assert_eq!(taken.to_bytes(&taken.text), bytes);
        }
        assert_eq!(FileText::from_vec(b"\xff".to_vec()), Err(b"\xff".to_vec()));
        assert_eq!(FileText::from_bytes(b"\xEF\xBB\xBF\xff"), None);
    }
    use crate::edit::{Changeset, Edit};

    fn edited(file: &FileText, edits: Vec<Edit>) -> String {
        let applied = edits.into_iter().collect::<Changeset>().apply(&file.text);
        assert!(applied.dropped.is_empty());
        String::from_utf8(file.to_bytes(&applied.text)).unwrap()
    }

    #[test]
    fn line_ending_strings() {
        assert_eq!(LineEnding::Lf.as_str(), "\n");
        assert_eq!(LineEnding::Crlf.as_str(), "\r\n");
    }

    #[test]
    fn rejects_invalid_utf8() {
        assert_eq!(FileText::from_bytes(b"let s = '\xff';"), None);
        assert_eq!(FileText::from_bytes(b"\xEF\xBB\xBF\xff"), None);
    }

    #[test]
    fn bom_is_split_off_and_restored() {
        let bytes = b"\xEF\xBB\xBFconst a = 1;\n";
        let file = FileText::from_bytes(bytes).unwrap();
        assert!(file.bom);
        assert_eq!(file.text, "const a = 1;\n");
        assert_eq!(file.to_bytes(&file.text), bytes);
        let out = edited(&file, vec![Edit::replace(6..7, "b", "r")]);
        assert_eq!(out.as_bytes(), b"\xEF\xBB\xBFconst b = 1;\n");
        // Without a BOM none is added.
        let plain = FileText::from_bytes(b"x").unwrap();
        assert!(!plain.bom);
        assert_eq!(plain.to_bytes("y"), b"y");
    }

    #[test]
    fn ending_is_the_majority() {
        let ending = |bytes: &[u8]| FileText::from_bytes(bytes).unwrap().ending;
        assert_eq!(ending(b""), LineEnding::Lf);
        assert_eq!(ending(b"no newline"), LineEnding::Lf);
        assert_eq!(ending(b"a\nb\n"), LineEnding::Lf);
        assert_eq!(ending(b"a\r\nb\r\n"), LineEnding::Crlf);
        assert_eq!(ending(b"a\r\nb\r\nc\n"), LineEnding::Crlf);
        assert_eq!(ending(b"a\r\nb\nc\n"), LineEnding::Lf);
        // A tie is not a majority.
        assert_eq!(ending(b"a\r\nb\n"), LineEnding::Lf);
        // A lone `\r` is not a line break.
        assert_eq!(ending(b"a\rb\r\n"), LineEnding::Crlf);
    }

    #[test]
    fn trailing_newline_is_recorded() {
        assert!(FileText::from_bytes(b"a\n").unwrap().trailing_newline);
        assert!(FileText::from_bytes(b"a\r\n").unwrap().trailing_newline);
        assert!(!FileText::from_bytes(b"a").unwrap().trailing_newline);
        assert!(!FileText::from_bytes(b"").unwrap().trailing_newline);
    }

    #[test]
    fn unchanged_text_gives_the_original_bytes() {
        for bytes in [
            &b"a\r\nb\nc\r\n"[..],
            b"\xEF\xBB\xBFa\r\nb",
            b"a\nb\r\n\r\n",
            b"\n",
            b"x\ry\r\n",
            b"",
        ] {
            let file = FileText::from_bytes(bytes).unwrap();
            assert_eq!(file.to_bytes(&file.text), bytes, "{bytes:?}");
        }
    }

    #[test]
    fn inserted_newline_becomes_crlf_in_a_crlf_file() {
        let file = FileText::from_bytes(b"import a;\r\nrun();\r\n").unwrap();
        assert_eq!(file.ending, LineEnding::Crlf);
        let out = edited(&file, vec![Edit::insert(11, "import log;\nlog();\n", "r")]);
        assert_eq!(out, "import a;\r\nimport log;\r\nlog();\r\nrun();\r\n");
        // A `\r\n` the edit wrote itself is not doubled.
        let out = edited(&file, vec![Edit::insert(11, "x;\r\n", "r")]);
        assert_eq!(out, "import a;\r\nx;\r\nrun();\r\n");
        // A newline inserted at the very start is converted too.
        let out = edited(&file, vec![Edit::insert(0, "\n", "r")]);
        assert_eq!(out, "\r\nimport a;\r\nrun();\r\n");
    }

    #[test]
    fn inserted_newline_stays_lf_in_an_lf_file() {
        let file = FileText::from_bytes(b"a;\nb;\n").unwrap();
        let out = edited(&file, vec![Edit::insert(3, "x;\n", "r")]);
        assert_eq!(out, "a;\nx;\nb;\n");
        // An LF-majority file with some CRLF lines keeps them and gets LF lines.
        let file = FileText::from_bytes(b"a;\r\nb;\nc;\n").unwrap();
        let out = edited(&file, vec![Edit::insert(4, "x;\n", "r")]);
        assert_eq!(out, "a;\r\nx;\nb;\nc;\n");
    }

    #[test]
    fn mixed_endings_are_kept_and_only_new_breaks_converted() {
        // CRLF majority with one lone `\n` line that must stay as it is.
        let original = "a();\r\nb();\nc();\r\nd();\r\ne();\r\n";
        let file = FileText::from_bytes(original.as_bytes()).unwrap();
        assert_eq!(file.ending, LineEnding::Crlf);
        // Edit the line with the lone `\n` itself, insert a line, edit the last line.
        let out = edited(
            &file,
            vec![
                Edit::replace(6..7, "B", "r"),
                Edit::insert(17, "x();\n", "r"),
                Edit::replace(23..24, "E", "r"),
            ],
        );
        assert_eq!(out, "a();\r\nB();\nc();\r\nx();\r\nd();\r\nE();\r\n");
        // Deleting lines elsewhere leaves the lone `\n` alone.
        let out = edited(&file, vec![Edit::delete(17..23, "r")]);
        assert_eq!(out, "a();\r\nb();\nc();\r\ne();\r\n");
    }

    #[test]
    fn a_break_that_lost_its_carriage_return_is_not_an_original_lone_newline() {
        let file = FileText::from_bytes(b"a\nb\r\nc\r\nd\r\n").unwrap();
        assert_eq!(file.ending, LineEnding::Crlf);
        let out = edited(&file, vec![Edit::delete(3..4, "r")]);
        assert_eq!(out, "a\nb\r\nc\r\nd\r\n");
    }

    #[test]
    fn mixed_endings_with_a_multi_line_replacement() {
        let original = "keep\nfoo(1,\r\n  2);\r\nlast\r\n";
        let file = FileText::from_bytes(original.as_bytes()).unwrap();
        assert_eq!(file.ending, LineEnding::Crlf);
        // A rule rewrites the call across its lines with bare `\n`.
        let out = edited(&file, vec![Edit::replace(5..17, "bar(\n  1,\n  2)", "r")]);
        assert_eq!(out, "keep\nbar(\r\n  1,\r\n  2);\r\nlast\r\n");
    }

    #[test]
    fn no_trailing_newline_is_kept() {
        let file = FileText::from_bytes(b"a();\r\nb()").unwrap();
        assert!(!file.trailing_newline);
        let out = edited(&file, vec![Edit::replace(0..1, "A", "r")]);
        assert_eq!(out, "A();\r\nb()");
        // An edit of the last line itself decides what the end is.
        let out = edited(&file, vec![Edit::insert(9, ";\nc()", "r")]);
        assert_eq!(out, "a();\r\nb();\r\nc()");
        let file = FileText::from_bytes(b"a\nb\n").unwrap();
        let out = edited(&file, vec![Edit::delete(2..4, "r")]);
        assert_eq!(out, "a\n");
    }

    #[test]
    fn lone_carriage_returns_are_not_line_breaks() {
        let file = FileText::from_bytes(b"a\rb\r\nc\r\n").unwrap();
        let out = edited(&file, vec![Edit::insert(5, "x\n", "r")]);
        assert_eq!(out, "a\rb\r\nx\r\nc\r\n");
    }
}

//! `dash fix --diff`: every change as one patch that `git apply` (or `patch -p1`)
//! accepts and that recreates the new files byte for byte.
//!
//! Exactness is the point: lines are written as they are (a CRLF line keeps its `\r`),
//! a last line without a line break is marked the way git marks it, and paths that git
//! would quote are quoted the same way.

use std::fmt::Write as _;
use std::io;

use super::{FileChange, Hunks, NO_NEWLINE, hunk_header};

/// A plain patch of all changes that `git apply` accepts and that reproduces the new
/// contents byte for byte: `diff --git a/p b/p` headers, `new file mode 100644` and
/// `--- /dev/null` for new files, `\ No newline at end of file` markers, CRLF lines kept
/// verbatim. Files in the order given.
///
/// Unchanged files are left out. A new empty file is a header without hunks, as git
/// writes it.
pub fn render(changes: &[FileChange<'_>]) -> String {
    let mut out = Vec::new();
    write(&mut out, changes).expect("writing to memory");
    String::from_utf8(out).expect("the patch is UTF-8")
}

/// [`render`] written to `out` a hunk at a time, so a patch of a huge change is never
/// held whole in memory.
pub fn write(out: &mut dyn io::Write, changes: &[FileChange<'_>]) -> io::Result<()> {
    for change in changes.iter().filter(|c| !c.is_unchanged()) {
        write_file(out, change)?;
    }
    Ok(())
}

fn write_file(sink: &mut dyn io::Write, change: &FileChange<'_>) -> io::Result<()> {
    let mut out = String::new();
    let old_name = quote(&format!("a/{}", change.path));
    let new_name = quote(&format!("b/{}", change.path));
    writeln!(out, "diff --git {old_name} {new_name}").ok();
    if change.old.is_none() {
        out.push_str("new file mode 100644\n");
        if change.new.is_empty() {
            return sink.write_all(out.as_bytes());
        }
    }
    let old_side = match change.old {
        Some(_) => old_name.as_str(),
        None => "/dev/null",
    };
    // git ends a name containing a space with a tab so the name's end is unambiguous.
    let end = |name: &str| if name.contains(' ') { "\t" } else { "" };
    writeln!(out, "--- {old_side}{}", end(old_side)).ok();
    writeln!(out, "+++ {new_name}{}", end(&new_name)).ok();
    let hunks = Hunks::new(change);
    for group in &hunks.groups {
        out.push_str(&hunk_header(group));
        out.push('\n');
        for op in group {
            for (tag, line) in hunks.changes(op) {
                let marker = match tag {
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                    similar::ChangeTag::Equal => ' ',
                };
                out.push(marker);
                out.push_str(line);
                if !line.ends_with('\n') {
                    out.push('\n');
                    out.push_str(NO_NEWLINE);
                    out.push('\n');
                }
            }
        }
        sink.write_all(out.as_bytes())?;
        out.clear();
    }
    sink.write_all(out.as_bytes())
}

/// A path as git writes it in a patch: as is, unless it holds a `"`, a `\` or a control
/// character, in which case it is C-quoted (git's `quote_c_style`). Other non-ASCII
/// characters are left as UTF-8, which `git apply` reads whatever `core.quotePath` says.
fn quote(name: &str) -> String {
    if !name
        .chars()
        .any(|c| c == '"' || c == '\\' || c.is_ascii_control())
    {
        return name.to_owned();
    }
    let mut quoted = String::from("\"");
    for c in name.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\x07' => quoted.push_str("\\a"),
            '\x08' => quoted.push_str("\\b"),
            '\t' => quoted.push_str("\\t"),
            '\n' => quoted.push_str("\\n"),
            '\x0b' => quoted.push_str("\\v"),
            '\x0c' => quoted.push_str("\\f"),
            '\r' => quoted.push_str("\\r"),
            c if c.is_ascii_control() => {
                write!(quoted, "\\{:03o}", c as u32).ok();
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modified<'a>(path: &str, old: &'a str, new: &'a str) -> FileChange<'a> {
        FileChange {
            path: path.into(),
            old: Some(old.into()),
            new: new.into(),
            edits: Vec::new().into(),
        }
    }

    #[test]
    fn modified_file() {
        let patch = render(&[modified("src/a.ts", "a\r\nb\r\nc\r\n", "a\r\nB\r\nc\r\n")]);
        assert_eq!(
            patch,
            "diff --git a/src/a.ts b/src/a.ts\n\
             --- a/src/a.ts\n\
             +++ b/src/a.ts\n\
             @@ -1,3 +1,3 @@\n \
             a\r\n\
             -b\r\n\
             +B\r\n \
             c\r\n"
        );
    }

    #[test]
    fn new_files() {
        let patch = render(&[
            FileChange::created("src/log.ts", "x\ny"),
            FileChange::created("empty.ts", ""),
        ]);
        assert_eq!(
            patch,
            "diff --git a/src/log.ts b/src/log.ts\n\
             new file mode 100644\n\
             --- /dev/null\n\
             +++ b/src/log.ts\n\
             @@ -0,0 +1,2 @@\n\
             +x\n\
             +y\n\
             \\ No newline at end of file\n\
             diff --git a/empty.ts b/empty.ts\n\
             new file mode 100644\n"
        );
    }

    #[test]
    fn emptied_file_and_unchanged_file() {
        let patch = render(&[
            modified("same.ts", "a\n", "a\n"),
            modified("e.ts", "a\n", ""),
        ]);
        assert_eq!(
            patch,
            "diff --git a/e.ts b/e.ts\n--- a/e.ts\n+++ b/e.ts\n@@ -1,1 +0,0 @@\n-a\n"
        );
    }

    #[test]
    fn names_are_quoted_like_git() {
        assert_eq!(quote("a/src/app.ts"), "a/src/app.ts");
        assert_eq!(quote("a/my file.ts"), "a/my file.ts");
        assert_eq!(quote("a/été.ts"), "a/été.ts");
        assert_eq!(quote("a/x\"y\\z\t\u{1}.ts"), "\"a/x\\\"y\\\\z\\t\\001.ts\"");
        let patch = render(&[modified("my file.ts", "a\n", "b\n")]);
        assert!(patch.starts_with(
            "diff --git a/my file.ts b/my file.ts\n--- a/my file.ts\t\n+++ b/my file.ts\t\n"
        ));
    }
}

//! The preview `dash fix` prints: a unified diff for people.
//!
//! It differs from the patch in what helps a reader: each hunk names the rules that
//! made it (so a surprising change can be traced to its rule and suppressed), line
//! endings are not shown, and with colour the changed words inside a changed line are
//! emphasised, because a codemod often changes one word of a long line. Control
//! characters are shown as symbols, so a file's content cannot drive the terminal.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;

use owo_colors::{OwoColorize, Style};
use similar::{Algorithm, ChangeTag, DiffOp, capture_diff_slices};

use super::{FileChange, Hunks, NO_NEWLINE, hunk_header};

/// A human preview: `--- a/path` / `+++ b/path` headers, unified hunks with 3 lines of
/// context, each hunk header followed by the rules whose edits fall in it
/// (`@@ -12,3 +12,3 @@ console`), red/green/cyan when `color`, word-level emphasis of the
/// changed parts (similar's inline diff) when `color`.
///
/// The emphasis follows similar's inline diff but with tokens made for code (see
/// `emphasis` below): without similar's `unicode` feature its inline modes split at
/// whitespace or at every character, both poor for source code.
///
/// A new file's old side is `/dev/null`. An unchanged file renders as nothing.
pub fn render(change: &FileChange<'_>, color: bool) -> String {
    let mut out = Vec::new();
    write(&mut out, change, color, None).expect("writing to memory");
    String::from_utf8(out).expect("the preview is UTF-8")
}

/// [`render`] written to `out` a hunk at a time (a huge change is never held as one
/// string), after `category`'s line ([`category_line`]) when given. An unchanged file
/// writes nothing, not even its category.
pub fn write(
    out: &mut dyn io::Write,
    change: &FileChange<'_>,
    color: bool,
    category: Option<&str>,
) -> io::Result<()> {
    if change.is_unchanged() {
        return Ok(());
    }
    if let Some(category) = category {
        out.write_all(category_line(category, color).as_bytes())?;
    }
    out.write_all(file_header(change, color).as_bytes())?;
    each_hunk(change, color, &mut |hunk| out.write_all(hunk.as_bytes()))
}

/// The line above a changed file's header that names its category (its policy decided
/// the change). `git apply` skips text before a file's `---` line, so a preview stays a
/// patch it can apply.
pub fn category_line(category: &str, color: bool) -> String {
    let styles = Styles::new(color);
    let mut out = String::new();
    styles.line(&mut out, styles.note, &format!("category: {category}"));
    out
}

/// The `--- a/path` / `+++ b/path` lines that open a file's preview.
pub fn file_header(change: &FileChange<'_>, color: bool) -> String {
    let styles = Styles::new(color);
    let mut out = String::new();
    let old_name = match change.old {
        Some(_) => format!("a/{}", change.path),
        None => "/dev/null".to_owned(),
    };
    styles.line(&mut out, styles.file, &format!("--- {old_name}"));
    styles.line(&mut out, styles.file, &format!("+++ b/{}", change.path));
    out
}

/// Each hunk of the preview on its own (its `@@` line with the rules, then its lines),
/// in order: what [`render`] prints after the file header, and what `dash fix -i` asks
/// about one at a time. An unchanged file has none.
pub fn render_hunks(change: &FileChange<'_>, color: bool) -> Vec<String> {
    let mut rendered = Vec::new();
    each_hunk(change, color, &mut |hunk| {
        rendered.push(hunk.to_owned());
        Ok(())
    })
    .expect("collecting in memory");
    rendered
}

/// Renders each hunk of the preview in turn and hands it to `sink`.
fn each_hunk(
    change: &FileChange<'_>,
    color: bool,
    sink: &mut dyn FnMut(&str) -> io::Result<()>,
) -> io::Result<()> {
    if change.is_unchanged() {
        return Ok(());
    }
    let styles = Styles::new(color);
    let hunks = Hunks::new(change);
    let mut out = String::new();
    for (group, rules) in hunks.groups.iter().zip(&hunks.rules) {
        out.clear();
        let mut header = hunk_header(group);
        if !rules.is_empty() {
            header.push(' ');
            header.push_str(&rules.join(", "));
        }
        styles.line(&mut out, styles.hunk, &header);
        for op in group {
            render_op(&mut out, &styles, &hunks, op);
        }
        sink(&out)?;
    }
    Ok(())
}

fn render_op(out: &mut String, styles: &Styles, hunks: &Hunks<'_>, op: &DiffOp) {
    if !styles.color {
        for (tag, value) in hunks.changes(op) {
            out.push(marker(tag));
            out.push_str(&visible(without_line_break(value)));
            out.push('\n');
            no_newline_note(out, styles, value);
        }
        return;
    }
    if let DiffOp::Replace {
        old_index,
        old_len,
        new_index,
        new_len,
    } = *op
    {
        let old: Vec<&str> = (old_index..old_index + old_len)
            .map(|i| hunks.old.line(i))
            .collect();
        let new: Vec<&str> = (new_index..new_index + new_len)
            .map(|i| hunks.new.line(i))
            .collect();
        let (old_marks, new_marks) = emphasis(&old, &new);
        for (line, segments) in old.iter().zip(old_marks) {
            emphasised_line(out, styles, ChangeTag::Delete, line, &segments);
        }
        for (line, segments) in new.iter().zip(new_marks) {
            emphasised_line(out, styles, ChangeTag::Insert, line, &segments);
        }
        return;
    }
    for (tag, value) in hunks.changes(op) {
        let segments = [(false, value)];
        emphasised_line(out, styles, tag, value, &segments);
    }
}

/// One coloured line: the marker, then the segments (emphasised or not) up to the
/// line break, so no escape code ever spans a line end.
fn emphasised_line(
    out: &mut String,
    styles: &Styles,
    tag: ChangeTag,
    line: &str,
    segments: &[(bool, &str)],
) {
    let (plain, emphasis) = match tag {
        ChangeTag::Delete => (styles.delete, styles.delete_emphasis),
        ChangeTag::Insert => (styles.insert, styles.insert_emphasis),
        ChangeTag::Equal => (Style::new(), Style::new()),
    };
    let mut left = without_line_break(line).len();
    write!(out, "{}", marker(tag).style(plain)).ok();
    // Merge neighbours of the same kind so the output has few escape codes.
    let mut run = String::new();
    let mut run_emphasised = false;
    for &(emphasised, segment) in segments {
        let shown = &segment[..segment.len().min(left)];
        left -= shown.len();
        if shown.is_empty() {
            continue;
        }
        if emphasised != run_emphasised && !run.is_empty() {
            let style = if run_emphasised { emphasis } else { plain };
            write!(out, "{}", run.style(style)).ok();
            run.clear();
        }
        run_emphasised = emphasised;
        run.push_str(&visible(shown));
    }
    if !run.is_empty() {
        let style = if run_emphasised { emphasis } else { plain };
        write!(out, "{}", run.style(style)).ok();
    }
    out.push('\n');
    no_newline_note(out, styles, line);
}

/// Which parts of a block of replaced lines changed, as `(emphasised, text)` segments
/// per line.
///
/// This is similar's inline diff idea (diff the tokens of the whole block, then map
/// them back to lines) with tokens made for code: identifiers, whitespace runs and
/// single punctuation characters. similar's own inline modes split either at
/// whitespace only (`console.log(value,` is one word) or at every character (which
/// scatters emphasis over common letters). When the two sides share less than half of
/// their text, nothing is emphasised: the lines were rewritten, not edited.
fn emphasis<'t>(old: &[&'t str], new: &[&'t str]) -> (Vec<Segments<'t>>, Vec<Segments<'t>>) {
    let old_tokens = tokens(old);
    let new_tokens = tokens(new);
    let old_text: Vec<&str> = old_tokens.iter().map(|(_, t)| *t).collect();
    let new_text: Vec<&str> = new_tokens.iter().map(|(_, t)| *t).collect();
    let ops = capture_diff_slices(Algorithm::Myers, &old_text, &new_text);
    let mut old_changed = vec![true; old_tokens.len()];
    let mut new_changed = vec![true; new_tokens.len()];
    let mut shared = 0;
    for op in &ops {
        if let DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = *op
        {
            old_changed[old_index..old_index + len].fill(false);
            new_changed[new_index..new_index + len].fill(false);
            shared += old_text[old_index..old_index + len]
                .iter()
                .map(|t| t.len())
                .sum::<usize>();
        }
    }
    let total = old.iter().chain(new).map(|l| l.len()).sum::<usize>();
    if shared * 4 < total {
        old_changed.fill(false);
        new_changed.fill(false);
    }
    (
        segments(old.len(), &old_tokens, &old_changed),
        segments(new.len(), &new_tokens, &new_changed),
    )
}

type Segments<'t> = Vec<(bool, &'t str)>;

fn segments<'t>(lines: usize, tokens: &[(usize, &'t str)], changed: &[bool]) -> Vec<Segments<'t>> {
    let mut per_line = vec![Vec::new(); lines];
    for (&(line, token), &changed) in tokens.iter().zip(changed) {
        per_line[line].push((changed, token));
    }
    per_line
}

/// The tokens of some lines, each with the index of its line.
fn tokens<'t>(lines: &[&'t str]) -> Vec<(usize, &'t str)> {
    #[derive(PartialEq)]
    enum Class {
        Word,
        Space,
        Other,
    }
    let class = |c: char| {
        if c.is_alphanumeric() || c == '_' || c == '$' {
            Class::Word
        } else if c.is_whitespace() {
            Class::Space
        } else {
            Class::Other
        }
    };
    let mut out = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let mut rest = *line;
        while let Some(first) = rest.chars().next() {
            let kind = class(first);
            let len = if kind == Class::Other {
                first.len_utf8()
            } else {
                rest.char_indices()
                    .find(|&(_, c)| class(c) != kind)
                    .map_or(rest.len(), |(at, _)| at)
            };
            out.push((index, &rest[..len]));
            rest = &rest[len..];
        }
    }
    out
}

fn marker(tag: ChangeTag) -> char {
    match tag {
        ChangeTag::Delete => '-',
        ChangeTag::Insert => '+',
        ChangeTag::Equal => ' ',
    }
}

/// A line as shown: its `\n` or `\r\n` is implied by the line break of the output.
fn without_line_break(line: &str) -> &str {
    match line.strip_suffix('\n') {
        Some(line) => line.strip_suffix('\r').unwrap_or(line),
        None => line,
    }
}

/// The text with control characters (other than tab) shown as their Unicode control
/// pictures (`\r` as `␍`, ESC as `␛`). Printed raw, a lone `\r` or an escape sequence
/// in a source file could move the cursor or recolour the terminal and hide part of a
/// change from the person reviewing it.
fn visible(text: &str) -> Cow<'_, str> {
    let hidden = |c: char| c.is_control() && c != '\t';
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match c {
                '\u{7f}' => '\u{2421}',
                c if (c as u32) < 0x20 && c != '\t' => {
                    char::from_u32(0x2400 + c as u32).unwrap_or('\u{FFFD}')
                }
                c if hidden(c) => '\u{FFFD}',
                c => c,
            })
            .collect(),
    )
}

fn no_newline_note(out: &mut String, styles: &Styles, line: &str) {
    if !line.ends_with('\n') {
        styles.line(out, styles.note, NO_NEWLINE);
    }
}

struct Styles {
    color: bool,
    file: Style,
    hunk: Style,
    note: Style,
    delete: Style,
    insert: Style,
    delete_emphasis: Style,
    insert_emphasis: Style,
}

impl Styles {
    fn new(color: bool) -> Styles {
        Styles {
            color,
            file: Style::new().bold(),
            hunk: Style::new().cyan(),
            note: Style::new().dimmed(),
            delete: Style::new().red(),
            insert: Style::new().green(),
            delete_emphasis: Style::new().red().bold().underline(),
            insert_emphasis: Style::new().green().bold().underline(),
        }
    }

    /// One whole line in `style` (plain without colour).
    fn line(&self, out: &mut String, style: Style, text: &str) {
        if self.color {
            writeln!(out, "{}", text.style(style)).ok();
        } else {
            out.push_str(text);
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change<'a>(
        old: &'a str,
        new: &'a str,
        edits: Vec<(std::ops::Range<usize>, &'static str)>,
    ) -> FileChange<'a> {
        FileChange {
            path: "src/app.ts".into(),
            old: Some(old.into()),
            new: new.into(),
            edits: edits.into(),
        }
    }

    #[test]
    fn plain_preview() {
        let old = "import a from 'a';\r\n\r\nfunction f() {\r\n  console.log(a);\r\n}\r\n";
        let new = old.replace("console.log", "logger.info");
        let at = old.find("console").unwrap();
        let text = render(&change(old, &new, vec![(at..at + 11, "console")]), false);
        assert_eq!(
            text,
            "--- a/src/app.ts\n\
             +++ b/src/app.ts\n\
             @@ -1,5 +1,5 @@ console\n \
             import a from 'a';\n \n \
             function f() {\n\
             -  console.log(a);\n\
             +  logger.info(a);\n \
             }\n"
        );
        assert!(!text.contains('\u{1b}'));
    }

    #[test]
    fn missing_final_newline_is_noted_and_new_files_come_from_dev_null() {
        let text = render(&change("a\nb", "a\nc", vec![]), false);
        assert!(
            text.ends_with("-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n")
        );
        let text = render(&FileChange::created("src/log.ts", "export {};\n"), false);
        assert_eq!(
            text,
            "--- /dev/null\n+++ b/src/log.ts\n@@ -0,0 +1,1 @@\n+export {};\n"
        );
    }

    #[test]
    fn code_tokens() {
        let tokens: Vec<&str> = tokens(&["  a.b_c($x, 1);\r\n", "é"])
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        assert_eq!(
            tokens,
            [
                "  ", "a", ".", "b_c", "(", "$x", ",", " ", "1", ")", ";", "\r\n", "é"
            ]
        );
    }

    #[test]
    fn a_rewritten_line_is_not_emphasised() {
        let (old, new) = emphasis(&["alpha beta gamma\n"], &["one two three four\n"]);
        assert!(
            old[0]
                .iter()
                .chain(&new[0])
                .all(|(emphasised, _)| !emphasised)
        );
    }

    #[test]
    fn control_characters_cannot_hide_a_change() {
        let old = "let a = 1; // note\n";
        let new = "let a = 2; /* \u{1b}[2K\r */ // note\n";
        for color in [false, true] {
            let text = render(&change(old, new, vec![]), color);
            assert!(text.contains("\u{241b}[2K\u{240d}"), "{text:?}");
            assert!(!text.contains('\r'), "{text:?}");
        }
        assert_eq!(visible("a\tb\u{7f}\u{85}"), "a\tb\u{2421}\u{FFFD}");
    }

    #[test]
    fn unchanged_renders_nothing() {
        assert_eq!(render(&change("a\n", "a\n", vec![]), true), "");
    }

    #[test]
    fn colour_emphasises_the_changed_word() {
        let old = "const x = 1;\nconsole.log(value, other);\n";
        let new = "const x = 1;\nlogger.info(value, other);\n";
        let text = render(&change(old, new, vec![(13..24, "console")]), true);
        assert!(
            text.contains("\u{1b}[36m@@ -1,2 +1,2 @@ console"),
            "{text:?}"
        );
        let emphasized = |s: &str, style: Style| format!("{}", s.style(style));
        let styles = Styles::new(true);
        // The changed words are emphasised, the unchanged rest of the line is not.
        assert!(
            text.contains(&emphasized("console", styles.delete_emphasis)),
            "{text:?}"
        );
        assert!(
            text.contains(&emphasized("info", styles.insert_emphasis)),
            "{text:?}"
        );
        assert!(
            !text.contains(&emphasized("value", styles.insert_emphasis)),
            "{text:?}"
        );
        assert!(
            text.contains(&emphasized("(value, other);", styles.insert)),
            "{text:?}"
        );
        // Line breaks are never inside a coloured span.
        assert!(!text.contains("\n\u{1b}[0m"), "{text:?}");
    }
}

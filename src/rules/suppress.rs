//! Suppression comments: `// dash-ignore` skips findings on the next line (when the
//! comment stands alone on its line) or on its own line (when it trails code);
//! `// dash-ignore-file` anywhere in a comment skips the whole file. An optional rule
//! list narrows either: `// dash-ignore: console`.

use memchr::memmem;
use tree_sitter::Node;

use crate::syntax::lines::LineIndex;
use crate::syntax::text;

/// The text that marks a suppression comment; also the prefilter needle for them.
pub const MARKER: &[u8] = b"dash-ignore";

/// One suppression comment, already located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// Lines (1-based) whose findings it suppresses.
    pub lines: Vec<u32>,
    pub whole_file: bool,
    /// Empty means every rule.
    pub rules: Vec<String>,
}

impl Suppression {
    pub fn applies_to(&self, rule: &str) -> bool {
        self.rules.is_empty() || self.rules.iter().any(|r| r == rule)
    }
}

/// Parses the text of a comment; `None` if it is not a suppression.
pub fn parse_comment(text: &str) -> Option<(bool, Vec<String>)> {
    let at = text.find("dash-ignore")?;
    let rest = &text[at + "dash-ignore".len()..];
    let (whole_file, rest) = match rest.strip_prefix("-file") {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    // `dash-ignored` or `dash-ignore-files` are other words, not markers.
    if rest.starts_with(|c: char| c.is_alphanumeric() || c == '-' || c == '_') {
        return None;
    }
    let rules = match rest.trim_start().strip_prefix(':') {
        Some(list) => list
            .trim_end_matches("*/")
            .split([',', ' '])
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect(),
        None => Vec::new(),
    };
    Some((whole_file, rules))
}

/// The lines a comment covering `start_line..=end_line` suppresses: its own first line,
/// and the line after it when nothing but white space precedes it on its line.
pub fn covered_lines(
    source: &[u8],
    comment_start: usize,
    start_line: u32,
    end_line: u32,
) -> Vec<u32> {
    let line_begin = source[..comment_start]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let stands_alone = source[line_begin..comment_start]
        .iter()
        .all(|b| b.is_ascii_whitespace());
    let mut lines = vec![start_line];
    if stands_alone {
        lines.push(end_line + 1);
    }
    lines
}

/// Every `dash-ignore` comment of the file, located. Found from the byte occurrences of
/// the marker, so files without one pay nothing.
pub fn in_tree(root: Node, source: &[u8]) -> Vec<Suppression> {
    let mut found = Vec::new();
    let mut last_comment = None;
    let mut lines = LineIndex::new(source);
    for at in memmem::find_iter(source, MARKER) {
        let Some(node) = root.descendant_for_byte_range(at, at + MARKER.len()) else {
            continue;
        };
        if node.kind() != "comment" || last_comment == Some(node.id()) {
            continue;
        }
        last_comment = Some(node.id());
        let Some((whole_file, rules)) = parse_comment(&String::from_utf8_lossy(text(node, source)))
        else {
            continue;
        };
        let start = lines.position(node.start_byte()).line;
        let end = lines.position(node.end_byte()).line;
        let lines = covered_lines(source, node.start_byte(), start, end);
        found.push(Suppression {
            lines,
            whole_file,
            rules,
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_markers() {
        assert_eq!(parse_comment("// dash-ignore"), Some((false, vec![])));
        assert_eq!(
            parse_comment("/* dash-ignore-file */"),
            Some((true, vec![]))
        );
        assert_eq!(
            parse_comment("// dash-ignore: console, tests"),
            Some((false, vec!["console".into(), "tests".into()]))
        );
        assert_eq!(
            parse_comment("/* dash-ignore: console */"),
            Some((false, vec!["console".into()]))
        );
        assert_eq!(parse_comment("// dash-ignored by design"), None);
        assert_eq!(parse_comment("// nothing here"), None);
    }

    #[test]
    fn trailing_and_standalone_comments() {
        let src = b"a(); // dash-ignore\n  // dash-ignore\nb();\n";
        let trailing = src.windows(2).position(|w| w == b"//").unwrap();
        assert_eq!(covered_lines(src, trailing, 1, 1), vec![1]);
        let standalone = trailing
            + 3
            + src[trailing + 3..]
                .windows(2)
                .position(|w| w == b"//")
                .unwrap();
        assert_eq!(covered_lines(src, standalone, 2, 2), vec![2, 3]);
    }
}

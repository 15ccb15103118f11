//! Languages by file extension and per-thread parser reuse.
//!
//! Parsing is the expensive step of every dash command, so a parser is created once per
//! thread and language and reused for every file that thread handles (creating a
//! `tree_sitter::Parser` and loading a grammar costs more than parsing a small file).

mod lang;
pub(crate) mod lexer;
pub mod lines;
pub mod query;

pub use lang::Lang;

use std::cell::RefCell;

use tree_sitter::{Node, Parser, Tree};

thread_local! {
    /// One lazily created parser per language, indexed by `Lang as usize`.
    static PARSERS: RefCell<[Option<Parser>; Lang::COUNT]> = const { RefCell::new([None, None, None]) };
}

/// Parses `source` with the grammar of `lang`, reusing this thread's parser.
///
/// Returns `None` only if tree-sitter gave up (it does not for ordinary input: syntax
/// errors become ERROR nodes inside a tree, they do not fail the parse).
pub fn parse(lang: Lang, source: &[u8]) -> Option<Tree> {
    parse_with(lang, source, None)
}

/// Parses `source` reusing `old`, a tree of the previous text already adjusted with
/// `Tree::edit` for every change: only the changed regions are parsed again, and the
/// result is the tree a fresh parse would give.
pub fn reparse(lang: Lang, source: &[u8], old: &Tree) -> Option<Tree> {
    parse_with(lang, source, Some(old))
}

fn parse_with(lang: Lang, source: &[u8], old: Option<&Tree>) -> Option<Tree> {
    PARSERS.with(|cell| {
        let mut parsers = cell.borrow_mut();
        let parser = parsers[lang as usize].get_or_insert_with(|| {
            let mut parser = Parser::new();
            parser
                .set_language(&lang.grammar())
                .expect("bundled grammars are ABI-compatible with the tree-sitter runtime");
            parser
        });
        parser.parse(source, old)
    })
}

/// Counts ERROR and MISSING nodes: the measure of "parses worse" that edits must not increase.
pub fn error_count(tree: &Tree) -> usize {
    if !tree.root_node().has_error() {
        return 0;
    }
    let mut count = 0;
    let mut cursor = tree.walk();
    'walk: loop {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            count += 1;
        }
        // Only descend into subtrees that contain an error somewhere.
        if node.has_error() && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    count
}

/// The source text of a node (the tree was parsed from `source`, so ranges are valid).
pub fn text<'s>(node: Node<'_>, source: &'s [u8]) -> &'s [u8] {
    &source[node.byte_range()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_language() {
        let ts = parse(Lang::TypeScript, b"const x: number = <number>y;").unwrap();
        assert_eq!(error_count(&ts), 0);
        let tsx = parse(Lang::Tsx, b"const x = <div>{a as number}</div>;").unwrap();
        assert_eq!(error_count(&tsx), 0);
        let js = parse(Lang::JavaScript, b"const x = <div>{a}</div>;").unwrap();
        assert_eq!(error_count(&js), 0);
    }

    #[test]
    fn counts_errors_and_missing_nodes() {
        let tree = parse(Lang::TypeScript, b"function f( { return 1; }\nlet = ;").unwrap();
        assert!(error_count(&tree) >= 2);
        // A type assertion in angle brackets is not valid TSX.
        let tree = parse(Lang::Tsx, b"const x = <number>y;").unwrap();
        assert!(error_count(&tree) >= 1);
    }
}

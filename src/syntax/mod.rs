//! Languages by file extension and per-thread parser reuse.
//!
//! Parsing is the expensive step of every dash command, so a parser is created once per
//! thread and language and reused for every file that thread handles (creating a
//! `tree_sitter::Parser` and loading a grammar costs more than parsing a small file).

mod lang;
pub(crate) mod lexer;
pub mod lines;
pub mod query;
pub mod scope;

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

/// The parent of `node` when it is a `kind` node holding `node` as its `field` child
/// (`field_parent(name, "member_expression", "property")` is the `a.b` whose `b` is
/// `name`). Rules keep their queries to single node kinds, which tree-sitter compiles
/// in a fraction of the time nested patterns take, and check the shape around a match
/// with this.
pub fn field_parent<'t>(node: Node<'t>, kind: &str, field: &str) -> Option<Node<'t>> {
    node.parent()
        .filter(|p| p.kind() == kind && p.child_by_field_name(field) == Some(node))
}

/// The parents of the nodes a walk went through, recorded on the way down, so asking a
/// node for its parent costs a hash lookup. tree-sitter's `Node::parent` descends from
/// the root and scans the children of every node on its way: asked once per console
/// call in a long block or a deep nesting, it makes a fix quadratic.
#[derive(Debug, Default)]
pub struct Ancestry<'t> {
    parents: std::collections::HashMap<usize, Node<'t>>,
}

impl<'t> Ancestry<'t> {
    /// The parent of `node`: recorded when the walk passed through it, otherwise asked of
    /// tree-sitter (correct, only slower; the root has none).
    pub fn parent(&self, node: Node<'t>) -> Option<Node<'t>> {
        match self.parents.get(&node.id()) {
            Some(parent) => Some(*parent),
            None => node.parent(),
        }
    }

    /// `node`'s ancestors, nearest first.
    pub fn ancestors(&self, node: Node<'t>) -> impl Iterator<Item = Node<'t>> + '_ {
        std::iter::successors(self.parent(node), move |n| self.parent(*n))
    }

    /// `node` and its ancestors, nearest first.
    pub fn self_and_ancestors(&self, node: Node<'t>) -> impl Iterator<Item = Node<'t>> + '_ {
        std::iter::successors(Some(node), move |n| self.parent(*n))
    }
}

/// For each `start` (byte offsets of occurrences of a word `len` bytes long), the
/// deepest node spanning exactly `start..start + len`, as
/// `root.descendant_for_byte_range(start, start + len)` finds it when that node spans
/// exactly the range; `None` otherwise (part of a longer name, a string, a comment).
pub fn exact_nodes<'t>(
    root: Node<'t>,
    starts: &[usize],
    len: usize,
) -> std::collections::HashMap<usize, Node<'t>> {
    exact_nodes_up(root, starts, len).0
}

/// [`exact_nodes`], and the ancestry of every node found (their ancestors' parents too).
///
/// One walk from the root that enters only the subtrees holding one of the offsets, so it
/// costs the sum of those subtrees' child counts: linear in the tree's size however many
/// offsets there are and however deep they sit (a descent per offset scans the children
/// of every node on its way, so thousands of hits in one long block would be quadratic).
pub fn exact_nodes_up<'t>(
    root: Node<'t>,
    starts: &[usize],
    len: usize,
) -> (std::collections::HashMap<usize, Node<'t>>, Ancestry<'t>) {
    let mut found = std::collections::HashMap::with_capacity(starts.len());
    let mut ancestry = Ancestry::default();
    let mut wanted = starts.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    // Whether some wanted `start..start + len` lies within `range`.
    let holds = |s: usize, e: usize| {
        let i = wanted.partition_point(|&w| w < s);
        wanted.get(i).is_some_and(|&w| w + len <= e)
    };
    if wanted.is_empty() || !holds(root.start_byte(), root.end_byte()) {
        return (found, ancestry);
    }
    let mut path: Vec<Node<'t>> = Vec::new();
    let mut cursor = root.walk();
    'walk: loop {
        let node = cursor.node();
        let (start, end) = (node.start_byte(), node.end_byte());
        let entered = holds(start, end);
        if entered {
            if let Some(parent) = path.last() {
                ancestry.parents.insert(node.id(), *parent);
            }
            // Parents come before their children, so the deepest exact node wins.
            if end - start == len {
                found.insert(start, node);
            }
            if cursor.goto_first_child() {
                path.push(node);
                continue;
            }
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
            path.pop();
        }
    }
    (found, ancestry)
}

#[cfg(test)]
mod exact_nodes_tests {
    use super::*;

    #[test]
    fn the_walk_finds_what_a_descent_per_offset_finds() {
        // Occurrences as tokens, inside longer names, strings, comments and templates:
        // more than the descent limit, so the walk runs, compared with descents.
        let piece = "console.log(consoleX, 'console', `${console}`); // console\nconst { console: c } = x;\n";
        let source = piece.repeat(40);
        let tree = parse(Lang::TypeScript, source.as_bytes()).unwrap();
        let starts: Vec<usize> = memchr::memmem::find_iter(source.as_bytes(), b"console").collect();
        let walked = exact_nodes(tree.root_node(), &starts, 7);
        let mut descended = std::collections::HashMap::new();
        for &start in &starts {
            if let Some(node) = tree.root_node().descendant_for_byte_range(start, start + 7)
                && node.start_byte() == start
                && node.end_byte() == start + 7
            {
                descended.insert(start, node);
            }
        }
        assert_eq!(walked, descended);
    }

    /// The recorded ancestry is tree-sitter's, for few offsets and many, flat and nested.
    #[test]
    fn the_walk_records_the_ancestors_tree_sitter_gives() {
        let flat = "console.log(1);\nif (a) { console.log(console.x, 'console'); }\n".repeat(50);
        let nested = format!(
            "{}{}",
            "function f(console) { g(() => { console.log(x);\n".repeat(30),
            "}) }\n".repeat(30)
        );
        for source in [
            flat.as_str(),
            nested.as_str(),
            "x; console.log(1)",
            "none here",
        ] {
            let tree = parse(Lang::TypeScript, source.as_bytes()).unwrap();
            let all: Vec<usize> =
                memchr::memmem::find_iter(source.as_bytes(), b"console").collect();
            for starts in [&all[..], &all[..all.len().min(3)]] {
                let (found, ancestry) = exact_nodes_up(tree.root_node(), starts, 7);
                assert_eq!(found, exact_nodes(tree.root_node(), starts, 7));
                for node in found.values() {
                    let ours: Vec<Node> = ancestry.ancestors(*node).collect();
                    let theirs: Vec<Node> =
                        std::iter::successors(node.parent(), |n| n.parent()).collect();
                    assert_eq!(ours, theirs);
                    // Recorded, not asked of tree-sitter.
                    assert!(ours.iter().all(|n| n.parent().is_none() || ancestry.parents.contains_key(&n.id())));
                }
            }
        }
    }
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

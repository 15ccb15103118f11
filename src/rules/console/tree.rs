//! The tree-sitter finder: exact, scope-aware, and the arbiter of the lexical finder.
//!
//! It does not walk the whole tree. Every `console` identifier in the file is one of the
//! byte occurrences of `console`, so one walk that enters only the subtrees holding an
//! occurrence maps each to its node and records its ancestors
//! ([`syntax::exact_nodes_up`]); each is then classified from those ancestors (never
//! `Node::parent`, which descends from the root per call): a member access on it is a
//! use, a declaration of it is a binding that shadows the global inside its scope.

use std::ops::Range;

use memchr::memmem;
use tree_sitter::Node;

use super::{ConsoleUse, FileScan, Method, NEEDLE, RULE_ID, Usage};
use crate::rules::LineIndex;
use crate::rules::suppress::{self, Suppression};
use crate::syntax::scope::binding_scope;
use crate::syntax::{self, Ancestry, Lang, text};

pub fn find(lang: Lang, source: &[u8]) -> FileScan {
    match syntax::parse(lang, source) {
        Some(tree) => find_in_tree(&tree, source),
        None => FileScan {
            uses: Vec::new(),
            syntax_errors: None,
            ignored_file: false,
            declined: None,
        },
    }
}

/// The tree finder on a tree already parsed from `source` (codemods parse once and reuse).
pub fn find_in_tree(tree: &tree_sitter::Tree, source: &[u8]) -> FileScan {
    let root = tree.root_node();
    let syntax_errors = Some(syntax::error_count(tree));

    let suppressions = suppress::in_tree(root, source);
    if suppressions
        .iter()
        .any(|s| s.whole_file && s.applies_to(RULE_ID))
    {
        return FileScan {
            uses: Vec::new(),
            syntax_errors,
            ignored_file: true,
            declined: None,
        };
    }

    let mut candidates = Vec::new();
    let mut shadowed: Vec<Range<usize>> = Vec::new();
    let starts: Vec<usize> = memmem::find_iter(source, NEEDLE).collect();
    // Occurrences that are not a whole token (part of a longer name, in a string or a
    // comment) have no exact node.
    let (nodes, up) = syntax::exact_nodes_up(root, &starts, NEEDLE.len());
    for start in starts {
        let Some(&node) = nodes.get(&start) else {
            continue;
        };
        match node.kind() {
            "identifier" => {
                if let Some(found) = classify_access(&up, node, source) {
                    candidates.push(found);
                } else if let Some(scope) = binding_scope(&up, node) {
                    shadowed.push(scope);
                }
            }
            // `const { console } = x` and, in TypeScript, `class console {}`.
            "shorthand_property_identifier_pattern" | "type_identifier" => {
                if let Some(scope) = binding_scope(&up, node) {
                    shadowed.push(scope);
                }
            }
            _ => {}
        }
    }
    candidates.retain(|c| !shadowed.iter().any(|scope| scope.contains(&c.start)));
    let uses = apply_suppressions(source, candidates, &suppressions);
    FileScan {
        uses,
        syntax_errors,
        ignored_file: false,
        declined: None,
    }
}

/// `console.m`, `console?.m`, `console["m"]`, `console[expr]`, and how that member
/// expression is used.
fn classify_access<'t>(up: &Ancestry<'t>, node: Node<'t>, source: &[u8]) -> Option<ConsoleUse> {
    // `(console).log`, `(console as any).log`, `console!.log`: the object is the global
    // console seen through parentheses, a type assertion or a non-null assertion.
    let mut object = node;
    while let Some(wrapper) = up.parent(object).filter(|p| {
        matches!(
            p.kind(),
            "parenthesized_expression"
                | "as_expression"
                | "satisfies_expression"
                | "non_null_expression"
                | "type_assertion"
        ) && p.named_child(0) == Some(object)
    }) {
        object = wrapper;
    }
    let parent = up.parent(object)?;
    if parent.child_by_field_name("object") != Some(object) {
        return None;
    }
    let method: Method = match parent.kind() {
        "member_expression" => {
            let property = parent.child_by_field_name("property")?;
            if property.kind() == "private_property_identifier" {
                return None;
            }
            Some(String::from_utf8_lossy(text(property, source)).into_owned())
        }
        "subscript_expression" => {
            let index = parent.child_by_field_name("index")?;
            literal_key(index, source)
        }
        _ => return None,
    };
    let usage = if enclosing_call(up, parent).is_some() {
        Usage::Call
    } else {
        Usage::Reference
    };
    Some(ConsoleUse {
        usage,
        method,
        start: node.start_byte(),
        callee_end: parent.end_byte(),
    })
}

/// The key of `console["log"]` or ``console[`log`]``; `None` when computed at run time.
fn literal_key(index: Node, source: &[u8]) -> Option<String> {
    if !matches!(index.kind(), "string" | "template_string") {
        return None;
    }
    let mut cursor = index.walk();
    let children: Vec<Node> = index.named_children(&mut cursor).collect();
    match children.as_slice() {
        [] => Some(String::new()),
        [fragment] if fragment.kind() == "string_fragment" => {
            Some(String::from_utf8_lossy(text(*fragment, source)).into_owned())
        }
        // Escape sequences or substitutions: leave to judgement.
        _ => None,
    }
}

/// The call whose callee is `member` (through parentheses and TypeScript's non-null
/// assertion: `(console.log)(x)`, `console.log!(x)`), if any.
fn enclosing_call<'t>(up: &Ancestry<'t>, member: Node<'t>) -> Option<Node<'t>> {
    let mut expr = member;
    loop {
        let parent = up.parent(expr)?;
        match parent.kind() {
            "parenthesized_expression" | "non_null_expression" => expr = parent,
            "call_expression" => {
                return (parent.child_by_field_name("function") == Some(expr)).then_some(parent);
            }
            _ => return None,
        }
    }
}

/// The `call_expression` of each console call whose `console` starts at one of
/// `starts`, and the ancestry of those calls (their fixes look at what holds them), in
/// one walk of the tree.
pub fn calls_at<'t>(
    root: Node<'t>,
    starts: &[usize],
) -> (std::collections::HashMap<usize, Node<'t>>, Ancestry<'t>) {
    let (nodes, up) = syntax::exact_nodes_up(root, starts, NEEDLE.len());
    let calls = nodes
        .into_iter()
        .filter_map(|(start, node)| Some((start, enclosing_call(&up, up.parent(node)?)?)))
        .collect();
    (calls, up)
}

fn apply_suppressions(
    source: &[u8],
    mut uses: Vec<ConsoleUse>,
    suppressions: &[Suppression],
) -> Vec<ConsoleUse> {
    uses.sort_by_key(|u| u.start);
    if suppressions.is_empty() {
        return uses;
    }
    let mut lines = LineIndex::new(source);
    uses.retain(|u| {
        let line = lines.position(u.start).line;
        !suppressions
            .iter()
            .any(|s| s.applies_to(RULE_ID) && s.lines.contains(&line))
    });
    uses
}

//! What removing a console statement leaves behind, so a removal never leaves an empty
//! block that was not empty before (`if (x) {}`, an empty loop, an empty `catch` that now
//! swallows errors with an unused binding: ESLint's recommended `no-empty` rejects them,
//! and a reviewer reads them as a mistake).
//!
//! When the statement is all of a body (a single-statement body, or the only statement of
//! a block without comments), the owner of that body decides:
//! - a function body may be empty: the statement alone goes;
//! - `if (cond) …` without `else`, whose condition cannot change state: the whole `if`
//!   goes (and the same question is asked of what held it);
//! - `else …`: the `else` clause goes;
//! - anything else (a loop, `catch`, `try`, `finally`, an `if` with an `else` or a
//!   condition that calls something, a label) needs judgement, with the reason.

use tree_sitter::Node;

use crate::syntax::Ancestry;

/// What to remove for a console statement.
pub(super) enum Removal<'t> {
    /// This statement (the console statement itself, or an `if` holding only it).
    Statement(Node<'t>),
    /// This `else` clause, from the end of the branch before it.
    Else { from: usize, clause: Node<'t> },
}

/// Statements whose body is a single statement or a block.
const BODY_OWNERS: &[&str] = &[
    "if_statement",
    "else_clause",
    "for_statement",
    "for_in_statement",
    "while_statement",
    "do_statement",
    "labeled_statement",
    "with_statement",
    "catch_clause",
    "finally_clause",
    "try_statement",
];

/// Decides what removing `statement` (an expression statement) takes with it.
/// `up` holds the statement's ancestors (a lookup, not tree-sitter's `parent()`, which
/// scans from the root: thousands of removals in one block stay linear).
pub(super) fn removal<'t>(
    up: &Ancestry<'t>,
    statement: Node<'t>,
    source: &str,
) -> Result<Removal<'t>, &'static str> {
    let mut target = statement;
    loop {
        let Some((body, owner)) = sole_body(up, target) else {
            return Ok(Removal::Statement(target));
        };
        match owner.kind() {
            "if_statement" if owner.child_by_field_name("consequence") == Some(body) => {
                if owner.child_by_field_name("alternative").is_some() {
                    return Err(
                        "the `if` branch would be left empty while its `else` stays: rewrite the condition by hand",
                    );
                }
                let simple = owner
                    .child_by_field_name("condition")
                    .is_some_and(|c| is_simple(c, source));
                if !simple {
                    return Err(
                        "removing it would leave an empty `if` whose condition calls or changes something",
                    );
                }
                target = owner;
            }
            "else_clause" => {
                let from = owner
                    .prev_sibling()
                    .map(|n| n.end_byte())
                    .ok_or("unusual `else` shape")?;
                let before = source[..from].trim_end();
                let after = source[owner.end_byte()..].trim_start();
                // `if (a) f()` ⏎ `(x)`: without the `else` the next line would continue it.
                if !before.ends_with([';', '}']) && after.starts_with(['(', '[', '`', '+', '-', '/'])
                {
                    return Err("removing the `else` would join the lines around it");
                }
                return Ok(Removal::Else {
                    from,
                    clause: owner,
                });
            }
            "for_statement" | "for_in_statement" | "while_statement" | "do_statement" => {
                return Err("removing it would leave the loop empty: remove the loop by hand");
            }
            "catch_clause" => {
                return Err(
                    "removing it would leave an empty `catch` that silently swallows the error (and an unused binding)",
                );
            }
            "finally_clause" | "try_statement" => {
                return Err("removing it would leave an empty `try`/`finally` block");
            }
            _ => {
                return Err(
                    "removing it would leave an empty labelled or `with` body",
                );
            }
        }
    }
}

/// The body that `statement` is all of, and that body's owner (`if`, loop, `catch`, …),
/// when removing `statement` would empty it. `None` where something else stays (other
/// statements or comments in the block) or where an empty body is fine (a function's).
fn sole_body<'t>(up: &Ancestry<'t>, statement: Node<'t>) -> Option<(Node<'t>, Node<'t>)> {
    let holder = up.parent(statement)?;
    if BODY_OWNERS.contains(&holder.kind()) {
        return Some((statement, holder));
    }
    // The only named child of a block (a comment is a named child too, and keeps the
    // block from being empty). Counts are stored in the node: constant time.
    if holder.kind() == "statement_block" && holder.named_child_count() == 1 {
        let owner = up.parent(holder)?;
        if BODY_OWNERS.contains(&owner.kind()) {
            return Some((holder, owner));
        }
    }
    None
}

/// A condition that cannot change state when evaluated (so dropping it drops nothing):
/// names, property reads, literals, and operators on them. Calls (console calls too),
/// `new`, assignments, updates, `await`, `yield` and `delete` are not.
fn is_simple(node: Node, source: &str) -> bool {
    let mut cursor = node.walk();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "parenthesized_expression" | "binary_expression" | "member_expression"
            | "subscript_expression" | "identifier" | "property_identifier" | "this"
            | "true" | "false" | "null" | "undefined" | "number" | "string" | "string_fragment"
            | "escape_sequence" | "private_property_identifier" => {}
            "unary_expression" => {
                let operator = n
                    .child_by_field_name("operator")
                    .map(|o| &source[o.byte_range()]);
                if operator == Some("delete") {
                    return false;
                }
            }
            _ if !n.is_named() => continue,
            _ => return false,
        }
        stack.extend(n.children(&mut cursor));
    }
    true
}

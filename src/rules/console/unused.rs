//! What removing console calls leaves unused. `const result = await run(); console.log(result)`
//! in a test: removing the call leaves `result` declared and never read, which ESLint's
//! `no-unused-vars` and TypeScript's `noUnusedLocals`/`noUnusedParameters` reject, so a
//! project's lint or type-check step fails after a change that only deleted output
//! (zustand's `(foo) => console.log(foo)` did). Those removals need judgement.
//!
//! Names are counted once for the whole file (one walk of the tree): how often each is
//! written, and how often in a declaring position. A name declared in the file whose every
//! other occurrence is inside the calls being removed would be left unused. Counting by
//! name across scopes can only see more uses than there are (a shadowing declaration
//! elsewhere), never fewer, except for declaring positions this walk does not know: those
//! count as uses, as before this check existed.

use std::collections::HashMap;

use tree_sitter::{Node, TreeCursor};


/// How often each name occurs in a file, and how often it is declared.
#[derive(Debug, Default)]
pub(super) struct NameUses<'s> {
    counts: HashMap<&'s str, (usize, usize)>,
    /// Every name's start, in the order of the text.
    positions: Vec<(usize, &'s str)>,
}

impl<'s> NameUses<'s> {
    /// Counts every identifier of the tree.
    pub(super) fn of(root: Node<'_>, source: &'s str) -> NameUses<'s> {
        let mut counts: HashMap<&'s str, (usize, usize)> = HashMap::new();
        let mut positions = Vec::new();
        let mut cursor = root.walk();
        let mut parents: Vec<Node> = Vec::new();
        loop {
            let node = cursor.node();
            if is_name(node.kind()) {
                let name = &source[node.byte_range()];
                positions.push((node.start_byte(), name));
                let entry = counts.entry(name).or_default();
                entry.0 += 1;
                if declares(node, parents.last().copied(), &cursor) {
                    entry.1 += 1;
                }
            }
            if cursor.goto_first_child() {
                parents.push(node);
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    return NameUses { counts, positions };
                }
                parents.pop();
            }
        }
    }

    /// The names declared in the file that only occur, besides their declarations, in
    /// the `removed` byte ranges (what the fixes delete), sorted.
    pub(super) fn left_unused(&self, removed: &[std::ops::Range<usize>]) -> Vec<&'s str> {
        let mut ranges = removed.to_vec();
        ranges.sort_by_key(|r| r.start);
        let mut merged: Vec<std::ops::Range<usize>> = Vec::new();
        for range in ranges {
            match merged.last_mut() {
                Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
                _ => merged.push(range),
            }
        }
        let mut inside: HashMap<&'s str, usize> = HashMap::new();
        for range in &merged {
            let first = self.positions.partition_point(|(at, _)| *at < range.start);
            for (_, name) in self.positions[first..]
                .iter()
                .take_while(|(at, _)| *at < range.end)
            {
                *inside.entry(name).or_default() += 1;
            }
        }
        let mut unused: Vec<&'s str> = inside
            .into_iter()
            .filter(|(name, count)| {
                self.counts
                    .get(name)
                    .is_some_and(|&(all, declared)| declared > 0 && all == declared + count)
            })
            .map(|(name, _)| name)
            .collect();
        unused.sort_unstable();
        unused
    }

    /// Whether a name in `names` starts inside `range`.
    pub(super) fn mentions(&self, range: &std::ops::Range<usize>, names: &[&str]) -> bool {
        let first = self.positions.partition_point(|(at, _)| *at < range.start);
        self.positions[first..]
            .iter()
            .take_while(|(at, _)| *at < range.end)
            .any(|(_, name)| names.contains(name))
    }
}

/// Node kinds that write a name (a reference, or a declaration in a pattern); property
/// names after `.` and object keys are not names of bindings.
fn is_name(kind: &str) -> bool {
    matches!(
        kind,
        "identifier" | "shorthand_property_identifier" | "shorthand_property_identifier_pattern"
    )
}

/// Whether `node` (a name) declares a binding: a variable, parameter, function, class,
/// import or catch binding, or a name in a destructuring pattern.
fn declares(node: Node<'_>, parent: Option<Node<'_>>, cursor: &TreeCursor<'_>) -> bool {
    if node.kind() == "shorthand_property_identifier_pattern" {
        return true;
    }
    let Some(parent) = parent else {
        return false;
    };
    let field = cursor.field_name();
    match (parent.kind(), field) {
        ("variable_declarator", Some("name"))
        | ("required_parameter" | "optional_parameter", Some("pattern"))
        | ("arrow_function", Some("parameter"))
        | ("catch_clause", Some("parameter"))
        | ("pair_pattern", Some("value"))
        | ("assignment_pattern" | "object_assignment_pattern", Some("left"))
        | ("import_specifier", Some("alias"))
        | (
            "function_declaration"
            | "generator_function_declaration"
            | "function_expression"
            | "class_declaration"
            | "class",
            Some("name"),
        ) => true,
        ("import_specifier", Some("name")) => parent.child_by_field_name("alias").is_none(),
        ("formal_parameters" | "import_clause" | "namespace_import" | "rest_pattern"
        | "array_pattern", None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::NameUses;
    use crate::syntax::{Lang, parse};

    /// The names left unused if the calls whose text starts with `console.` went.
    fn unused(source: &str) -> Vec<String> {
        let tree = parse(Lang::TypeScript, source.as_bytes()).unwrap();
        let uses = NameUses::of(tree.root_node(), source);
        let starts: Vec<usize> = source.match_indices("console.").map(|(at, _)| at).collect();
        let (calls, _) = crate::rules::console::tree::calls_at(tree.root_node(), &starts);
        let removed: Vec<_> = calls.values().map(|c| c.byte_range()).collect();
        uses.left_unused(&removed)
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn names_read_only_by_removed_calls_are_found() {
        assert_eq!(unused("const result = run();\nconsole.log(result);\n"), ["result"]);
        assert_eq!(unused("test('x', (foo) => { console.log(foo); });\n"), ["foo"]);
        assert_eq!(unused("function f(a, b) { g(a); console.log(b); }\n"), ["b"]);
        assert_eq!(unused("import { data } from './d';\nconsole.log(data);\n"), ["data"]);
        assert_eq!(unused("const { a, b: c } = o;\nconsole.log({ a, c });\n"), ["a", "c"]);
        assert_eq!(unused("try { x(); } catch (e) { console.error(e); }\n"), ["e"]);
        // Two calls read it and both go: it is left unused all the same.
        assert_eq!(unused("const v = 1;\nconsole.log(v);\nconsole.info(v);\n"), ["v"]);
    }

    #[test]
    fn names_read_elsewhere_or_not_declared_here_are_not() {
        assert!(unused("const r = run();\nconsole.log(r);\nexpect(r).toBe(1);\n").is_empty());
        assert!(unused("console.log(process.env.X, window, globalValue);\n").is_empty());
        assert!(unused("const o = { k: 1 };\nconsole.log(o.k);\nexport { o };\n").is_empty());
        // A property name is not the binding's name.
        assert!(unused("const k = 1;\nconsole.log(o.k);\nuse(k);\n").is_empty());
    }
}

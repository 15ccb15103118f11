//! The tree-sitter finder: exact, scope-aware, and the arbiter of the lexical finder.
//!
//! It does not walk the whole tree. Every `console` identifier in the file is one of the
//! byte occurrences of `console`, so each occurrence is mapped to its node
//! (`descendant_for_byte_range`, O(depth)) and classified: a member access on it is a use,
//! a declaration of it is a binding that shadows the global inside its scope.

use std::ops::Range;

use memchr::memmem;
use tree_sitter::Node;

use super::{ConsoleUse, FileScan, Method, NEEDLE, RULE_ID, Usage};
use crate::rules::LineIndex;
use crate::rules::suppress::{self, Suppression};
use crate::syntax::{self, Lang, text};

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
    let nodes = syntax::exact_nodes(root, &starts, NEEDLE.len());
    for start in starts {
        let Some(&node) = nodes.get(&start) else {
            continue;
        };
        match node.kind() {
            "identifier" => {
                if let Some(found) = classify_access(node, source) {
                    candidates.push(found);
                } else if let Some(scope) = binding_scope(node) {
                    shadowed.push(scope);
                }
            }
            // `const { console } = x` and, in TypeScript, `class console {}`.
            "shorthand_property_identifier_pattern" | "type_identifier" => {
                if let Some(scope) = binding_scope(node) {
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
fn classify_access(node: Node, source: &[u8]) -> Option<ConsoleUse> {
    // `(console).log`, `(console as any).log`, `console!.log`: the object is the global
    // console seen through parentheses, a type assertion or a non-null assertion.
    let mut object = node;
    while let Some(wrapper) = object.parent().filter(|p| {
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
    let parent = object.parent()?;
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
    let usage = if callee_of_call(parent) {
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

/// Whether the member expression is what a call calls, looking through parentheses and
/// TypeScript's non-null assertion: `(console.log)(x)`, `console.log!(x)`.
fn callee_of_call(member: Node) -> bool {
    enclosing_call(member).is_some()
}

/// The call whose callee is `member` (through parentheses and `!`), if any.
fn enclosing_call(member: Node) -> Option<Node> {
    let mut expr = member;
    loop {
        let parent = expr.parent()?;
        match parent.kind() {
            "parenthesized_expression" | "non_null_expression" => expr = parent,
            "call_expression" => {
                return (parent.child_by_field_name("function") == Some(expr)).then_some(parent);
            }
            _ => return None,
        }
    }
}

/// The `call_expression` of the console call whose `console` starts at `start`.
pub fn call_at(root: Node<'_>, start: usize) -> Option<Node<'_>> {
    let node = root.descendant_for_byte_range(start, start + NEEDLE.len())?;
    enclosing_call(node.parent()?)
}

/// [`call_at`] for many uses at once, linear in the tree's size when they are many.
pub fn calls_at<'t>(
    root: Node<'t>,
    starts: &[usize],
) -> std::collections::HashMap<usize, Node<'t>> {
    syntax::exact_nodes(root, starts, NEEDLE.len())
        .into_iter()
        .filter_map(|(start, node)| Some((start, enclosing_call(node.parent()?)?)))
        .collect()
}

/// A declaration of a name, and where it is visible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The byte range where the name refers to this binding.
    pub scope: Range<usize>,
    /// For imports: the module specifier the name comes from (`./logger`, unquoted).
    pub import_source: Option<String>,
    /// For imports: the name exported by that module (`default`, `*` for a namespace).
    pub imported: Option<String>,
    /// For imports: `import type { … }` or `import { type x }` (no value at run time).
    pub type_only: bool,
}

/// Every declaration of `name` in the file (imports, variables, parameters, functions,
/// classes, catch parameters), found from the byte occurrences of the name.
pub fn bindings_of(root: Node<'_>, source: &[u8], name: &str) -> Vec<Binding> {
    let mut found = Vec::new();
    for start in memmem::find_iter(source, name.as_bytes()) {
        let Some(node) = root.descendant_for_byte_range(start, start + name.len()) else {
            continue;
        };
        if node.start_byte() != start || node.end_byte() != start + name.len() {
            continue;
        }
        if !matches!(
            node.kind(),
            "identifier" | "shorthand_property_identifier_pattern" | "type_identifier"
        ) {
            continue;
        }
        // An ambient `declare const logger` still claims the name for the type checker.
        let Some(scope) = binding_scope(node).or_else(|| ambient_scope(node)) else {
            continue;
        };
        let (import_source, imported) = import_of(node, source);
        let type_only = ancestors(node)
            .take_while(|a| a.kind() != "program")
            .any(|a| {
                (a.kind() == "import_statement" && text(a, source).starts_with(b"import type"))
                    || (a.kind() == "import_specifier" && text(a, source).starts_with(b"type "))
            });
        found.push(Binding {
            scope,
            import_source,
            imported,
            type_only,
        });
    }
    found
}

/// For a name bound by an import, the module and the exported name.
fn import_of(node: Node, source: &[u8]) -> (Option<String>, Option<String>) {
    let Some(statement) = ancestors(node).find(|a| a.kind() == "import_statement") else {
        return (None, None);
    };
    let unquote = |n: Node| {
        String::from_utf8_lossy(text(n, source))
            .trim_matches(['"', '\'', '`'])
            .to_owned()
    };
    let module = statement.child_by_field_name("source").map(unquote);
    let parent = node.parent();
    let imported = match parent.map(|p| p.kind()) {
        Some("import_specifier") => parent
            .and_then(|p| p.child_by_field_name("name"))
            .map(unquote),
        Some("import_clause") => Some("default".to_owned()),
        Some("namespace_import") => Some("*".to_owned()),
        _ => None,
    };
    (module, imported)
}

/// The scope of a name declared inside `declare …` (ambient): the enclosing block.
fn ambient_scope(node: Node) -> Option<Range<usize>> {
    let ambient = ancestors(node).find(|a| a.kind() == "ambient_declaration")?;
    if node.kind() != "shorthand_property_identifier_pattern" && !declares(node)? {
        return None;
    }
    Some(block_scope(ambient.parent()?).byte_range())
}

/// If `node` declares a binding named `console`, the byte range where that binding is
/// visible (and so where `console` is not the global).
fn binding_scope(node: Node) -> Option<Range<usize>> {
    if node.kind() != "shorthand_property_identifier_pattern" && !declares(node)? {
        return None;
    }
    // `declare var console: Console` describes the global, it does not shadow it.
    if ancestors(node).any(|a| a.kind() == "ambient_declaration") {
        return None;
    }
    let owner = declaration_owner(node)?;
    let scope = match owner.kind() {
        // Parameters are visible in the whole function.
        "formal_parameters" => owner.parent()?,
        "arrow_function" | "function_expression" | "generator_function" | "catch_clause" => owner,
        "variable_declarator" => {
            let declaration = owner.parent()?;
            if declaration.kind() == "variable_declaration" {
                function_scope(declaration)
            } else {
                block_scope(declaration)
            }
        }
        "for_in_statement" => {
            let is_var = owner
                .child_by_field_name("kind")
                .is_some_and(|k| k.kind() == "var");
            if is_var { function_scope(owner) } else { owner }
        }
        "function_declaration"
        | "generator_function_declaration"
        | "class_declaration"
        | "abstract_class_declaration"
        | "enum_declaration"
        | "internal_module"
        | "module" => block_scope(owner.parent()?),
        // `class console {}` as an expression: the name is visible in its own body only.
        "class" => owner,
        "import_specifier" | "import_clause" | "namespace_import" | "import_require_clause" => {
            ancestors(owner).last()?
        }
        _ => return None,
    };
    Some(scope.byte_range())
}

/// Whether the identifier (not a pattern shorthand) sits in a declaring position.
fn declares(node: Node) -> Option<bool> {
    let parent = node.parent()?;
    let field_is = |field: &str| parent.child_by_field_name(field) == Some(node);
    Some(match parent.kind() {
        "variable_declarator" => field_is("name"),
        "required_parameter" | "optional_parameter" => field_is("pattern"),
        "formal_parameters"
        | "array_pattern"
        | "rest_pattern"
        | "import_clause"
        | "namespace_import"
        | "import_require_clause" => true,
        "arrow_function" => field_is("parameter"),
        "pair_pattern" => field_is("value"),
        "assignment_pattern" | "object_assignment_pattern" => field_is("left"),
        "import_specifier" => {
            let alias = parent.child_by_field_name("alias");
            alias == Some(node) || (alias.is_none() && field_is("name"))
        }
        "function_declaration"
        | "generator_function_declaration"
        | "function_expression"
        | "generator_function"
        | "class_declaration"
        | "abstract_class_declaration"
        | "class"
        | "enum_declaration"
        | "internal_module"
        | "module" => field_is("name"),
        "catch_clause" => field_is("parameter"),
        "for_in_statement" => field_is("left") && parent.child_by_field_name("kind").is_some(),
        _ => false,
    })
}

/// The node that owns a declared name: the declarator, parameter list, import, function,
/// class or catch clause, looking through destructuring patterns.
fn declaration_owner(node: Node) -> Option<Node> {
    let mut current = node;
    loop {
        let parent = current.parent()?;
        match parent.kind() {
            "object_pattern"
            | "array_pattern"
            | "pair_pattern"
            | "assignment_pattern"
            | "object_assignment_pattern"
            | "rest_pattern"
            | "required_parameter"
            | "optional_parameter"
            | "named_imports" => current = parent,
            // Destructuring assignment (`({ console } = x)`) assigns, it does not declare.
            "assignment_expression" | "augmented_assignment_expression" => return None,
            _ => return Some(parent),
        }
    }
}

fn ancestors(node: Node) -> impl Iterator<Item = Node> {
    std::iter::successors(node.parent(), |n| n.parent())
}

const FUNCTION_SCOPES: &[&str] = &[
    "function_declaration",
    "function_expression",
    "arrow_function",
    "method_definition",
    "generator_function_declaration",
    "generator_function",
    "class_static_block",
    "program",
];

fn function_scope(node: Node) -> Node {
    std::iter::successors(Some(node), |n| n.parent())
        .find(|n| FUNCTION_SCOPES.contains(&n.kind()))
        .unwrap_or(node)
}

fn block_scope(node: Node) -> Node {
    std::iter::successors(Some(node), |n| n.parent())
        .find(|n| {
            matches!(
                n.kind(),
                "statement_block"
                    | "for_statement"
                    | "for_in_statement"
                    | "switch_body"
                    | "class_body"
            ) || FUNCTION_SCOPES.contains(&n.kind())
        })
        .unwrap_or(node)
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

//! Names and where they are visible: declarations found from a name's occurrences and
//! the scope each one covers (block, function, module), following JavaScript's rules
//! for `var`, `let`/`const`, parameters, functions, classes, catch clauses, imports and
//! TypeScript's `declare`, `enum` and `namespace`. The console rule asks whether a
//! `console` is the global; fixes ask whether a name they add is free.

use std::ops::Range;

use memchr::memmem;
use tree_sitter::Node;

use super::{Ancestry, text};

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
    /// Where the declaring name is written.
    pub declared_at: usize,
}

/// Every declaration of `name` in the file (imports, variables, parameters, functions,
/// classes, catch parameters), found from the byte occurrences of the name.
///
/// One walk of the tree for all occurrences (see [`super::exact_nodes_up`]), and the
/// ancestors it recorded for each, so a name used thousands of times costs one pass.
pub fn bindings_of(root: Node<'_>, source: &[u8], name: &str) -> Vec<Binding> {
    let mut found = Vec::new();
    let mut starts: Vec<usize> = memmem::find_iter(source, name.as_bytes()).collect();
    let (nodes, up) = super::exact_nodes_up(root, &starts, name.len());
    starts.retain(|s| nodes.contains_key(s));
    for start in starts {
        let node = nodes[&start];
        if !matches!(
            node.kind(),
            "identifier" | "shorthand_property_identifier_pattern" | "type_identifier"
        ) {
            continue;
        }
        // An ambient `declare const logger` still claims the name for the type checker.
        let Some(scope) = binding_scope(&up, node).or_else(|| ambient_scope(&up, node)) else {
            continue;
        };
        let (import_source, imported) = import_of(&up, node, source);
        let type_only = up
            .ancestors(node)
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
            declared_at: start,
        });
    }
    found
}

/// For a name bound by an import, the module and the exported name.
fn import_of<'t>(
    up: &Ancestry<'t>,
    node: Node<'t>,
    source: &[u8],
) -> (Option<String>, Option<String>) {
    let Some(statement) = up.ancestors(node).find(|a| a.kind() == "import_statement") else {
        return (None, None);
    };
    let unquote = |n: Node| {
        String::from_utf8_lossy(text(n, source))
            .trim_matches(['"', '\'', '`'])
            .to_owned()
    };
    let module = statement.child_by_field_name("source").map(unquote);
    let parent = up.parent(node);
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
pub(crate) fn ambient_scope<'t>(up: &Ancestry<'t>, node: Node<'t>) -> Option<Range<usize>> {
    let ambient = up
        .ancestors(node)
        .find(|a| a.kind() == "ambient_declaration")?;
    if node.kind() != "shorthand_property_identifier_pattern" && !declares(up, node)? {
        return None;
    }
    Some(block_scope(up, up.parent(ambient)?).byte_range())
}

/// If `node` declares a binding named `console`, the byte range where that binding is
/// visible (and so where `console` is not the global).
///
/// `up` holds the ancestors of `node` (from the walk that found it).
pub(crate) fn binding_scope<'t>(up: &Ancestry<'t>, node: Node<'t>) -> Option<Range<usize>> {
    if node.kind() != "shorthand_property_identifier_pattern" && !declares(up, node)? {
        return None;
    }
    // `declare var console: Console` describes the global, it does not shadow it.
    if up
        .ancestors(node)
        .any(|a| a.kind() == "ambient_declaration")
    {
        return None;
    }
    let owner = declaration_owner(up, node)?;
    let scope = match owner.kind() {
        // Parameters are visible in the whole function.
        "formal_parameters" => up.parent(owner)?,
        "arrow_function" | "function_expression" | "generator_function" | "catch_clause" => owner,
        "variable_declarator" => {
            let declaration = up.parent(owner)?;
            if declaration.kind() == "variable_declaration" {
                function_scope(up, declaration)
            } else {
                block_scope(up, declaration)
            }
        }
        "for_in_statement" => {
            let is_var = owner
                .child_by_field_name("kind")
                .is_some_and(|k| k.kind() == "var");
            if is_var {
                function_scope(up, owner)
            } else {
                owner
            }
        }
        "function_declaration"
        | "generator_function_declaration"
        | "class_declaration"
        | "abstract_class_declaration"
        | "enum_declaration"
        | "internal_module"
        | "module" => block_scope(up, up.parent(owner)?),
        // `class console {}` as an expression: the name is visible in its own body only.
        "class" => owner,
        "import_specifier" | "import_clause" | "namespace_import" | "import_require_clause" => {
            up.ancestors(owner).last()?
        }
        _ => return None,
    };
    Some(scope.byte_range())
}

/// Whether the identifier (not a pattern shorthand) sits in a declaring position.
pub(crate) fn declares<'t>(up: &Ancestry<'t>, node: Node<'t>) -> Option<bool> {
    let parent = up.parent(node)?;
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
fn declaration_owner<'t>(up: &Ancestry<'t>, node: Node<'t>) -> Option<Node<'t>> {
    let mut current = node;
    loop {
        let parent = up.parent(current)?;
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

pub(crate) fn function_scope<'t>(up: &Ancestry<'t>, node: Node<'t>) -> Node<'t> {
    up.self_and_ancestors(node)
        .find(|n| FUNCTION_SCOPES.contains(&n.kind()))
        .unwrap_or(node)
}

pub(crate) fn block_scope<'t>(up: &Ancestry<'t>, node: Node<'t>) -> Node<'t> {
    up.self_and_ancestors(node)
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

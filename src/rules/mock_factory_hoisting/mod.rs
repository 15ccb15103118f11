//! `mock-factory-hoisting`: a module mock whose factory cannot work where the runner puts
//! it. `vi.mock` is hoisted above the file's declarations, so a factory reading a
//! top-level `const`/`let` hits the temporal dead zone (fixed by initialising that
//! variable through `vi.hoisted`); babel-jest refuses `jest.mock` factories that reference
//! top-level names not prefixed `mock`; and a module mock inside a test or hook applies to
//! the whole file (vitest) or to nothing already imported (jest).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use tree_sitter::{Node, Tree};

use crate::config::ConfigError;
use crate::edit::Edit;
use crate::rules::testing;
use crate::rules::{
    ALL_LANGS, Emit, FileCx, FileRule, Finding, Fix, FixAvailability, Needs, Resolution, Rule,
    RuleMeta, RunCx, TreeMatches};
use crate::syntax::{self, text};
use crate::workspace::Category;

pub struct MockFactoryHoisting;

static META: RuleMeta = RuleMeta {
    id: "mock-factory-hoisting",
    summary: "a module mock factory that reads variables the hoisted mock cannot see, or a module mock inside a test",
    explanation: include_str!("explanation.md"),
    needles: &["vi.mock", "jest.mock"],
    langs: ALL_LANGS,
    categories: &[Category::Tests],
    query: Some(include_str!("../../../queries/mock-factory-hoisting.scm")),
    fix: FixAvailability::Sometimes,
    needs: Needs::Source,
    group_label: "shape",
    help: "initialise what a `vi.mock` factory reads with `vi.hoisted(() => …)` (`dash fix` does), prefix jest factory variables with `mock`, keep module mocks at the top level",
};

impl Rule for MockFactoryHoisting {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn prepare(&self, _cx: &RunCx<'_>) -> Result<Box<dyn FileRule>, ConfigError> {
        Ok(Box::new(MockFactoryHoisting))
    }
}

const IN_TEST: &str = "a module mock inside a test applies to the whole file (it is hoisted) or, with doMock, only to later imports; move it to the top level or use vi.doMock/jest.doMock with a dynamic import";

/// `vi.mock(…)` / `jest.mock(…)` around its `mock` property: the call, the `vi` or
/// `jest`, and the argument list.
fn module_mock<'t>(method: Node<'t>, source: &[u8]) -> Option<(Node<'t>, Node<'t>, Node<'t>)> {
    let member = syntax::field_parent(method, "member_expression", "property")?;
    let object = member
        .child_by_field_name("object")
        .filter(|o| o.kind() == "identifier" && matches!(text(*o, source), b"vi" | b"jest"))?;
    let call = syntax::field_parent(member, "call_expression", "function")?;
    let arguments = call
        .child_by_field_name("arguments")
        .filter(|a| a.kind() == "arguments")?;
    Some((call, object, arguments))
}

const JEST_PREFIX: &str = "jest.mock factories may only reference variables prefixed `mock`";

impl FileRule for MockFactoryHoisting {
    fn check(&self, file: &FileCx<'_>, tree: &Tree, matches: &TreeMatches, out: &mut Emit) {
        let source = file.text.as_bytes();
        let found: Vec<_> = matches.of(META.id)
            .iter()
            .filter_map(|m| module_mock(m.get("method")?, source))
            .collect();
        if found.is_empty() {
            return;
        }
        let top = TopLevel::collect(tree.root_node(), source);
        // One finding per declaration, however many factories read it.
        let mut reported: HashSet<String> = HashSet::new();
        for (call, object, arguments) in found {
            let object = std::str::from_utf8(text(object, source)).unwrap_or_default();
            let callee = format!("{object}.mock");
            if testing::enclosing_test(call, source).is_some() {
                out.finding(Finding {
                    rule: META.id,
                    group: Cow::Borrowed("in-test"),
                    range: call.start_byte()..arguments.start_byte(),
                    message: Cow::Owned(format!("`{callee}` inside a test or hook")),
                    resolution: Resolution::Judgement(Cow::Borrowed(IN_TEST)),
                });
                continue;
            }
            if !is_top_level_statement(call) {
                continue;
            }
            let Some(factory) = factory(arguments) else {
                continue;
            };
            let refs = References::collect(factory, source);
            for (reference, name) in refs.free() {
                let Some(binding) = top.bindings.get(name) else {
                    continue;
                };
                if reported.contains(name) {
                    continue;
                }
                let finding = if object == "vi" {
                    vitest_finding(binding, reference, name, &top, source)
                } else {
                    jest_finding(binding, reference, name)
                };
                if let Some(finding) = finding {
                    reported.insert(name.to_owned());
                    out.finding(finding);
                }
            }
        }
    }
}

/// The finding for a `vi.mock` factory reading the top-level `name`, if it is one.
fn vitest_finding(
    binding: &Binding<'_>,
    reference: Node,
    name: &str,
    top: &TopLevel<'_>,
    source: &[u8],
) -> Option<Finding> {
    let finding = |message: String, resolution: Resolution| Finding {
        rule: META.id,
        group: Cow::Borrowed("outer-reference"),
        range: reference.byte_range(),
        message: Cow::Owned(message),
        resolution,
    };
    let tdz = |keyword: &str| {
        format!(
            "`vi.mock` is hoisted above `{keyword} {name}`: its factory reads `{name}` before it is initialized"
        )
    };
    let judgement = |reason: String| Resolution::Judgement(Cow::Owned(reason));
    Some(match binding {
        Binding::Single {
            keyword,
            declarator: _,
            exported: true,
        } => finding(
            tdz(keyword),
            judgement(format!(
                "`{name}` is exported, and vitest refuses to hoist an exported declaration (\"Cannot export hoisted variable\"); declare it with `vi.hoisted(() => …)` without `export` (export it separately if it must be)"
            )),
        ),
        Binding::Single {
            keyword,
            declarator,
            exported: false,
        } => {
            let Some(init) = declarator.child_by_field_name("value") else {
                return Some(finding(
                    tdz(keyword),
                    judgement(format!(
                        "`{name}` is declared without an initializer; give it one inside `vi.hoisted(() => …)` by hand"
                    )),
                ));
            };
            let resolution = match top.self_contained(init, declarator.start_byte(), source) {
                Ok(()) => Resolution::Fix(Fix::safe("hoist", hoist(init, source))),
                Err(why) => judgement(format!(
                    "the initializer of `{name}` {why}, so it cannot move into `vi.hoisted(() => …)` as it is; initialise in `vi.hoisted` only what the factory needs, or import it inside the factory (`await import(…)`)"
                )),
            };
            finding(tdz(keyword), resolution)
        }
        Binding::Var => finding(
            format!(
                "`vi.mock` is hoisted above `var {name}`: its factory reads `{name}` while it is still `undefined`"
            ),
            judgement(format!(
                "`{name}` is declared with `var`; initialise it with `vi.hoisted(() => …)` (as `const`) by hand"
            )),
        ),
        Binding::Multiple { keyword } => finding(
            tdz(keyword),
            judgement(format!(
                "`{name}` is declared together with other variables; declare it on its own and wrap its initializer in `vi.hoisted(() => …)`"
            )),
        ),
        Binding::Pattern { keyword } => finding(
            tdz(keyword),
            judgement(format!(
                "`{name}` comes from a destructuring pattern; wrap the whole initializer in `vi.hoisted(() => …)` if it is self-contained"
            )),
        ),
        Binding::Import { .. }
        | Binding::Hoisted
        | Binding::Function
        | Binding::Class
        | Binding::Other => return None,
    })
}

/// The finding for a `jest.mock` factory referencing the top-level `name`, if it is one:
/// babel-jest allows only names prefixed `mock` (case-insensitive) and `jest` itself.
fn jest_finding(binding: &Binding<'_>, reference: Node, name: &str) -> Option<Finding> {
    let allowed = name
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("mock"))
        || matches!(binding, Binding::Import { runner: true });
    (!allowed).then(|| Finding {
        rule: META.id,
        group: Cow::Borrowed("outer-reference"),
        range: reference.byte_range(),
        message: Cow::Owned(format!(
            "the `jest.mock` factory references `{name}`, a top-level name not prefixed `mock`"
        )),
        resolution: Resolution::Judgement(Cow::Borrowed(JEST_PREFIX)),
    })
}

/// `vi.hoisted(() => <init>)` around an initializer (an object literal in parentheses).
fn hoist(init: Node, source: &[u8]) -> Vec<Edit> {
    let object = text(init, source).first() == Some(&b'{');
    let (open, close) = if object {
        ("vi.hoisted(() => (", "))")
    } else {
        ("vi.hoisted(() => ", ")")
    };
    vec![
        Edit::insert(init.start_byte(), open, META.id),
        Edit::insert(init.end_byte(), close, META.id),
    ]
}

/// Whether `call` is a statement of its own at the top level of the file.
fn is_top_level_statement(call: Node) -> bool {
    call.parent().is_some_and(|statement| {
        statement.kind() == "expression_statement"
            && statement.parent().is_some_and(|p| p.kind() == "program")
    })
}

/// The factory of a `mock(path, factory)` call: its second argument, when it is a
/// function written in place.
fn factory(arguments: Node) -> Option<Node> {
    let mut cursor = arguments.walk();
    let factory = arguments
        .named_children(&mut cursor)
        .filter(|a| a.kind() != "comment")
        .nth(1)?;
    is_function(factory).then_some(factory)
}

fn is_function(node: Node) -> bool {
    matches!(
        node.kind(),
        "arrow_function"
            | "function_expression"
            | "function"
            | "generator_function"
            | "generator_function_declaration"
            | "function_declaration"
            | "method_definition"
    )
}

/// What a top-level name is bound to.
#[derive(Debug)]
enum Binding<'t> {
    /// An import; `runner` when from `vitest` or `@jest/globals`.
    Import {
        runner: bool,
    },
    /// Initialised by `vi.hoisted(…)`.
    Hoisted,
    /// `const x = …;` / `let x = …;`: one declarator, a plain name.
    Single {
        keyword: &'static str,
        declarator: Node<'t>,
        /// `export const x = …`: vitest refuses to hoist an exported declaration.
        exported: bool,
    },
    Var,
    /// One of several declarators of a `const`/`let` statement.
    Multiple {
        keyword: &'static str,
    },
    /// Bound by a destructuring pattern.
    Pattern {
        keyword: &'static str,
    },
    Function,
    Class,
    /// Enums, namespaces.
    Other,
}

/// The file's top-level bindings, and where each one's statement starts.
struct TopLevel<'t> {
    bindings: HashMap<String, Binding<'t>>,
    starts: HashMap<String, usize>,
}

impl<'t> TopLevel<'t> {
    fn collect(root: Node<'t>, source: &[u8]) -> TopLevel<'t> {
        let mut top = TopLevel {
            bindings: HashMap::new(),
            starts: HashMap::new(),
        };
        let mut cursor = root.walk();
        for statement in root.named_children(&mut cursor) {
            let declaration = match statement.kind() {
                "export_statement" => match statement.child_by_field_name("declaration") {
                    Some(d) => d,
                    None => continue,
                },
                _ => statement,
            };
            let exported = declaration != statement;
            top.declaration(declaration, statement.start_byte(), exported, source);
        }
        top
    }

    fn bind(&mut self, name: &str, binding: Binding<'t>, start: usize) {
        self.bindings.insert(name.to_owned(), binding);
        self.starts.insert(name.to_owned(), start);
    }

    fn declaration(&mut self, node: Node<'t>, start: usize, exported: bool, source: &[u8]) {
        let name_of = |n: Node| String::from_utf8_lossy(text(n, source)).into_owned();
        match node.kind() {
            "import_statement" => {
                let module = node
                    .child_by_field_name("source")
                    .map(|s| name_of(s).trim_matches(['"', '\'']).to_owned())
                    .unwrap_or_default();
                let runner = module == "vitest" || module == "@jest/globals";
                let mut names = Vec::new();
                import_names(node, source, &mut names);
                for name in names {
                    self.bind(&name, Binding::Import { runner }, start);
                }
            }
            "lexical_declaration" | "variable_declaration" => {
                let keyword: &'static str = match node.child(0).map(|k| k.kind()) {
                    Some("const") => "const",
                    Some("let") => "let",
                    Some("var") => "var",
                    _ => "using",
                };
                let mut cursor = node.walk();
                let declarators: Vec<Node<'t>> = node
                    .named_children(&mut cursor)
                    .filter(|d| d.kind() == "variable_declarator")
                    .collect();
                let several = declarators.len() > 1;
                for declarator in declarators {
                    let Some(name) = declarator.child_by_field_name("name") else {
                        continue;
                    };
                    let hoisted = declarator
                        .child_by_field_name("value")
                        .is_some_and(|v| is_hoisted_call(v, source));
                    let mut names = Vec::new();
                    pattern_names(name, source, &mut names, &mut None);
                    for n in names {
                        let binding = if hoisted {
                            Binding::Hoisted
                        } else if keyword == "var" {
                            Binding::Var
                        } else if keyword == "using" {
                            Binding::Other
                        } else if several {
                            Binding::Multiple { keyword }
                        } else if name.kind() != "identifier" {
                            Binding::Pattern { keyword }
                        } else {
                            Binding::Single {
                                keyword,
                                declarator,
                                exported,
                            }
                        };
                        self.bind(&n, binding, start);
                    }
                }
            }
            "function_declaration" | "generator_function_declaration" => {
                if let Some(name) = node.child_by_field_name("name") {
                    self.bind(&name_of(name), Binding::Function, start);
                }
            }
            "class_declaration" | "abstract_class_declaration" => {
                if let Some(name) = node.child_by_field_name("name") {
                    self.bind(&name_of(name), Binding::Class, start);
                }
            }
            "enum_declaration" | "module" | "internal_module" | "import_alias" => {
                if let Some(name) = node
                    .child_by_field_name("name")
                    .or_else(|| node.named_child(0))
                {
                    self.bind(&name_of(name), Binding::Other, start);
                }
            }
            _ => {}
        }
    }

    /// Whether an initializer can run inside `vi.hoisted`, before the file's imports and
    /// declarations: `Err(why)` when it uses an import or a top-level name that is not
    /// itself hoisted before it, reads a global other than the language's built-ins while
    /// it runs, awaits, or redeclares a top-level name (dash cannot tell which one it
    /// uses then).
    fn self_contained(&self, init: Node, at: usize, source: &[u8]) -> Result<(), String> {
        let refs = References::collect(init, source);
        if let Some(name) = refs
            .declared
            .iter()
            .find(|n| self.bindings.contains_key(*n))
        {
            return Err(format!("declares `{name}` again"));
        }
        if refs.awaits {
            return Err("awaits".to_owned());
        }
        for (reference, name) in refs.free() {
            match self.bindings.get(name) {
                Some(Binding::Import { runner: true }) if name == "vi" => {}
                Some(Binding::Hoisted) if self.starts.get(name).is_some_and(|s| *s < at) => {}
                Some(Binding::Import { .. }) => return Err(format!("uses the import `{name}`")),
                Some(_) => return Err(format!("uses the top-level `{name}`")),
                None if refs.deferred.contains(&reference.id()) => {}
                None if BUILT_INS.contains(&name) => {}
                None => {
                    return Err(format!(
                        "reads the global `{name}` as it runs (in `vi.hoisted` that happens before the file's imports)"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Globals an initializer may use while it runs: the language's built-ins, and `vi`.
const BUILT_INS: &[&str] = &[
    "vi",
    "undefined",
    "NaN",
    "Infinity",
    "Object",
    "Array",
    "Function",
    "String",
    "Number",
    "Boolean",
    "BigInt",
    "Symbol",
    "Math",
    "JSON",
    "Date",
    "RegExp",
    "Promise",
    "Map",
    "Set",
    "WeakMap",
    "WeakSet",
    "WeakRef",
    "Reflect",
    "Proxy",
    "Error",
    "TypeError",
    "RangeError",
    "SyntaxError",
    "ReferenceError",
    "ArrayBuffer",
    "DataView",
    "Uint8Array",
    "Int8Array",
    "Uint16Array",
    "Int16Array",
    "Uint32Array",
    "Int32Array",
    "Float32Array",
    "Float64Array",
    "BigInt64Array",
    "BigUint64Array",
    "URL",
    "URLSearchParams",
    "TextEncoder",
    "TextDecoder",
    "parseInt",
    "parseFloat",
    "isNaN",
    "isFinite",
    "encodeURIComponent",
    "decodeURIComponent",
    "structuredClone",
];

/// `vi.hoisted(…)`, possibly awaited.
fn is_hoisted_call(value: Node, source: &[u8]) -> bool {
    let value = if value.kind() == "await_expression" {
        match value.named_child(0) {
            Some(v) => v,
            None => return false,
        }
    } else {
        value
    };
    value.kind() == "call_expression"
        && value
            .child_by_field_name("function")
            .is_some_and(|f| text(f, source) == b"vi.hoisted")
}

/// The local names an import statement binds.
fn import_names(node: Node, source: &[u8], names: &mut Vec<String>) {
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        match child.kind() {
            "import_clause" | "named_imports" | "namespace_import" => {
                import_names(child, source, names)
            }
            "identifier" => names.push(String::from_utf8_lossy(text(child, source)).into_owned()),
            "import_specifier" => {
                if let Some(local) = child
                    .child_by_field_name("alias")
                    .or_else(|| child.child_by_field_name("name"))
                {
                    names.push(String::from_utf8_lossy(text(local, source)).into_owned());
                }
            }
            _ => {}
        }
    }
}

/// The names a binding pattern binds; with `ids`, the pattern's identifier nodes too.
fn pattern_names(
    node: Node,
    source: &[u8],
    names: &mut Vec<String>,
    ids: &mut Option<&mut HashSet<usize>>,
) {
    match node.kind() {
        "identifier" | "shorthand_property_identifier_pattern" => {
            names.push(String::from_utf8_lossy(text(node, source)).into_owned());
            if let Some(ids) = ids {
                ids.insert(node.id());
            }
        }
        "object_pattern" | "array_pattern" | "rest_pattern" => {
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                pattern_names(child, source, names, ids);
            }
        }
        "pair_pattern" => {
            if let Some(value) = node.child_by_field_name("value") {
                pattern_names(value, source, names, ids);
            }
        }
        "assignment_pattern" | "object_assignment_pattern" => {
            if let Some(left) = node.child_by_field_name("left") {
                pattern_names(left, source, names, ids);
            }
        }
        "required_parameter" | "optional_parameter" => {
            if let Some(pattern) = node.child_by_field_name("pattern") {
                pattern_names(pattern, source, names, ids);
            }
        }
        _ => {}
    }
}

/// The identifiers a piece of code reads, and the names it declares anywhere inside
/// (parameters, variables, functions, classes, catch parameters): a name declared
/// anywhere inside counts as local everywhere inside, which can only hide references.
struct References<'t> {
    /// Identifier references in document order.
    refs: Vec<(Node<'t>, String)>,
    /// Names declared inside.
    declared: HashSet<String>,
    /// Identifier nodes that declare.
    binding_ids: HashSet<usize>,
    /// References inside a function nested in the code (they run later, if at all).
    deferred: HashSet<usize>,
    /// An `await` outside nested functions.
    awaits: bool,
}

impl<'t> References<'t> {
    fn collect(node: Node<'t>, source: &[u8]) -> References<'t> {
        let mut refs = References {
            refs: Vec::new(),
            declared: HashSet::new(),
            binding_ids: HashSet::new(),
            deferred: HashSet::new(),
            awaits: false,
        };
        refs.walk(node, source, false);
        refs
    }

    /// The references to names not declared inside.
    fn free(&self) -> impl Iterator<Item = (Node<'t>, &str)> {
        self.refs
            .iter()
            .filter(|(_, name)| !self.declared.contains(name))
            .map(|(node, name)| (*node, name.as_str()))
    }

    fn declare(&mut self, pattern: Node, source: &[u8]) {
        let mut names = Vec::new();
        pattern_names(
            pattern,
            source,
            &mut names,
            &mut Some(&mut self.binding_ids),
        );
        self.declared.extend(names);
    }

    fn walk(&mut self, node: Node<'t>, source: &[u8], deferred: bool) {
        match node.kind() {
            // Types are erased: they read nothing at run time.
            "type_annotation" | "type_arguments" | "type_parameters" | "comment" => return,
            "as_expression" | "satisfies_expression" | "non_null_expression" => {
                if let Some(expression) = node.named_child(0) {
                    self.walk(expression, source, deferred);
                }
                return;
            }
            "identifier" | "shorthand_property_identifier" => {
                if !self.binding_ids.contains(&node.id()) {
                    if deferred {
                        self.deferred.insert(node.id());
                    }
                    self.refs.push((
                        node,
                        String::from_utf8_lossy(text(node, source)).into_owned(),
                    ));
                }
                return;
            }
            "await_expression" if !deferred => self.awaits = true,
            "variable_declarator" => {
                if let Some(name) = node.child_by_field_name("name") {
                    self.declare(name, source);
                }
            }
            "formal_parameters" => {
                let mut cursor = node.walk();
                let params: Vec<Node> = node.named_children(&mut cursor).collect();
                for param in params {
                    self.declare(param, source);
                }
            }
            "arrow_function" => {
                if let Some(param) = node.child_by_field_name("parameter") {
                    self.declare(param, source);
                }
            }
            "catch_clause" => {
                if let Some(param) = node.child_by_field_name("parameter") {
                    self.declare(param, source);
                }
            }
            "for_in_statement" => {
                if let Some(left) = node.child_by_field_name("left") {
                    self.declare(left, source);
                }
            }
            _ => {}
        }
        if matches!(
            node.kind(),
            "function_expression"
                | "function"
                | "generator_function"
                | "function_declaration"
                | "generator_function_declaration"
                | "class_declaration"
                | "class"
        ) && let Some(name) = node.child_by_field_name("name")
            && name.kind() == "identifier"
        {
            self.declare(name, source);
        }
        // A function's body runs later, if at all (a factory's own body is what is
        // nested in it: only initializers ask what runs now).
        let nested = deferred || is_function(node);
        let mut cursor = node.walk();
        let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        for child in children {
            self.walk(child, source, nested);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{self, Lang};

    fn check(src: &str) -> Vec<(String, String)> {
        let tree = syntax::parse(Lang::TypeScript, src.as_bytes()).unwrap();
        let file = FileCx {
            path: std::path::Path::new("/p/test/a.test.ts"),
            lang: Lang::TypeScript,
            category: Category::Tests,
            text: src,
            newline: "\n",
        };
        let mut out = Emit::new();
        let matches = TreeMatches::new(crate::rules::queries(), file.lang, &tree, src.as_bytes());
        MockFactoryHoisting.check(&file, &tree, &matches, &mut out);
        out.into_findings()
            .into_iter()
            .map(|f| {
                let how = match f.resolution {
                    Resolution::Fix(_) => "fix".to_owned(),
                    Resolution::Judgement(why) => why.into_owned(),
                    Resolution::Report => "report".to_owned(),
                };
                (src[f.range].to_owned(), how)
            })
            .collect()
    }

    #[test]
    fn self_contained_initializers_are_fixed() {
        let found = check("const fake = { n: 1 };\nvi.mock('x', () => ({ fake }));\n");
        assert_eq!(found, vec![("fake".to_owned(), "fix".to_owned())]);
        let found =
            check("const spy = vi.fn(() => Math.max(1, 2));\nvi.mock('x', () => ({ f: spy }));\n");
        assert_eq!(found[0].1, "fix");
    }

    #[test]
    fn initializers_using_imports_or_globals_at_load_time_are_judged() {
        let found = check(
            "import os from 'node:os';\nconst fake = { h: os.hostname };\nvi.mock('x', () => ({ fake }));\n",
        );
        assert!(found[0].1.contains("uses the import `os`"), "{found:?}");
        let found = check("const url = process.env.URL;\nvi.mock('x', () => ({ url }));\n");
        assert!(found[0].1.contains("global `process`"), "{found:?}");
        // Read later, in a function: a global is fine.
        let found = check("const f = () => process.env.URL;\nvi.mock('x', () => ({ f }));\n");
        assert_eq!(found[0].1, "fix");
        let found = check(
            "const a = { x: (() => { const os = 1; return os; })() };\nimport os from 'os';\nvi.mock('x', () => ({ a }));\n",
        );
        assert!(found[0].1.contains("declares `os` again"), "{found:?}");
    }

    #[test]
    fn locals_parameters_and_hoisted_values_are_not_findings() {
        assert!(check(
            "const { m } = vi.hoisted(() => ({ m: vi.fn() }));\nvi.mock('x', (orig) => { const fake = 1; return { m, fake, orig }; });\nconst fake = 2;\n"
        )
        .is_empty());
        assert!(check("const fake = 1;\nvi.mock('x');\n").is_empty());
        assert!(check("const mockFake = 1;\njest.mock('x', () => ({ mockFake }));\n").is_empty());
    }
}

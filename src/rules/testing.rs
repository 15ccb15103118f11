//! What the test rules share: which runner a test file is written for (jest or vitest),
//! the project's runner configuration, and the shapes of test code (`describe`/`it`/
//! `test` calls, hooks, their callbacks).
//!
//! A file's runner is decided by the file itself when it can be: an import from
//! `vitest` or `@jest/globals`, else a use of `vi.` or `jest.`; otherwise the project's
//! (the runner in package.json's dependencies). Globals and imported names are both
//! supported: a fix that needs a runner function the file imports from its runner's
//! module asks for that import too.

use std::path::Path;

use tree_sitter::Node;

use crate::edit::imports::ImportSpec;
use crate::rules::ImportRequest;
use crate::syntax::text;

/// The runner a test file is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    Jest,
    Vitest,
}

impl Runner {
    /// The mock object: `jest` or `vi`.
    pub fn object(self) -> &'static str {
        match self {
            Runner::Jest => "jest",
            Runner::Vitest => "vi",
        }
    }

    /// The module test functions are imported from when they are not globals.
    pub fn module(self) -> &'static str {
        match self {
            Runner::Jest => "@jest/globals",
            Runner::Vitest => "vitest",
        }
    }
}

/// Facts about the project's test setup that every test rule may need, read once per run.
#[derive(Debug, Clone, Default)]
pub struct TestProject {
    /// The runner in package.json's dependencies (vitest wins when both are present,
    /// since a project migrating to vitest keeps jest around longer than the reverse).
    pub runner: Option<Runner>,
    /// `restoreMocks: true` in the runner's configuration: spies are restored after each
    /// test by the runner itself.
    pub restore_mocks: bool,
}

const CONFIG_FILES: &[&str] = &[
    "jest.config.js",
    "jest.config.ts",
    "jest.config.mjs",
    "jest.config.cjs",
    "jest.config.json",
    "vitest.config.ts",
    "vitest.config.mts",
    "vitest.config.js",
    "vitest.config.mjs",
    "vite.config.ts",
    "vite.config.mts",
    "vite.config.js",
    "vite.config.mjs",
];

impl TestProject {
    /// Reads package.json and the runner's configuration files in `root`.
    pub fn detect(root: &Path) -> TestProject {
        let package = std::fs::read_to_string(root.join("package.json")).unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(&package).unwrap_or_default();
        let has = |name: &str| {
            ["dependencies", "devDependencies"]
                .iter()
                .any(|field| json[field].get(name).is_some())
        };
        let runner = if has("vitest") {
            Some(Runner::Vitest)
        } else if has("jest") {
            Some(Runner::Jest)
        } else {
            None
        };
        let mut restore_mocks = json["jest"]["restoreMocks"] == serde_json::Value::Bool(true);
        for name in CONFIG_FILES {
            if let Ok(text) = std::fs::read_to_string(root.join(name)) {
                restore_mocks |= sets_restore_mocks(&text);
            }
        }
        TestProject {
            runner,
            restore_mocks,
        }
    }
}

/// `restoreMocks: true` (or `"restoreMocks": true`) in a configuration file's text.
fn sets_restore_mocks(config: &str) -> bool {
    config.match_indices("restoreMocks").any(|(at, key)| {
        let rest = config[at + key.len()..].trim_start_matches(['"', '\'']);
        rest.trim_start()
            .strip_prefix(':')
            .is_some_and(|v| v.trim_start().starts_with("true"))
    })
}

/// The runner of one test file: its imports, then its uses of `vi.`/`jest.`, then the
/// project's runner; `None` when nothing says (the file is not a jest/vitest file that
/// dash can tell).
pub fn runner_of(root: Node, source: &[u8], project: &TestProject) -> Option<Runner> {
    let mut cursor = root.walk();
    for statement in root.named_children(&mut cursor) {
        if let Some(module) = import_source(statement, source) {
            match module.as_str() {
                "vitest" => return Some(Runner::Vitest),
                "@jest/globals" => return Some(Runner::Jest),
                _ => {}
            }
        }
    }
    let uses = |object: &[u8]| {
        memchr::memmem::find_iter(source, object).any(|at| {
            let before = at.checked_sub(1).map(|i| source[i]);
            !before
                .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'.')
        })
    };
    match (uses(b"vi."), uses(b"jest.")) {
        (true, false) => Some(Runner::Vitest),
        (false, true) => Some(Runner::Jest),
        _ => project.runner.or(Some(Runner::Jest)),
    }
}

/// The module of an `import … from 'm'` statement or a top-level `require('m')`.
fn import_source(statement: Node, source: &[u8]) -> Option<String> {
    let node = match statement.kind() {
        "import_statement" => statement.child_by_field_name("source")?,
        _ => return None,
    };
    Some(unquote(node, source))
}

fn unquote(node: Node, source: &[u8]) -> String {
    String::from_utf8_lossy(text(node, source))
        .trim_matches(['"', '\'', '`'])
        .to_owned()
}

/// Whether the file imports its test functions from `runner`'s module (`import {
/// describe, it } from 'vitest'`) rather than using globals.
pub fn imports_test_functions(root: Node, source: &[u8], runner: Runner) -> bool {
    let mut cursor = root.walk();
    root.named_children(&mut cursor)
        .any(|s| import_source(s, source).as_deref() == Some(runner.module()))
}

/// The import a fix needs to call `name` (`afterEach`, `vi`) in a file that imports its
/// test functions from the runner's module; `None` for files that use globals (the
/// engine skips names the file already imports).
pub fn import_for(
    root: Node,
    source: &[u8],
    runner: Runner,
    name: &str,
    package_is_module: bool,
) -> Option<ImportRequest> {
    imports_test_functions(root, source, runner).then(|| ImportRequest {
        spec: ImportSpec {
            source: runner.module().to_owned(),
            export: name.to_owned(),
            local: name.to_owned(),
            child: None,
        },
        package_is_module,
    })
}

/// Test-defining functions: `describe`, `it`, `test` and their jest aliases.
pub const TEST_FUNCTIONS: &[&str] = &[
    "describe",
    "it",
    "test",
    "fdescribe",
    "fit",
    "xdescribe",
    "xit",
    "xtest",
    "suite",
    "bench",
];

/// Hooks: `beforeAll`, `beforeEach`, `afterAll`, `afterEach`.
pub const HOOKS: &[&str] = &["beforeAll", "beforeEach", "afterAll", "afterEach"];

/// The name at the root of a callee: `it` for `it(…)`, `it.only(…)`, `it.each(t)(…)`,
/// `test.concurrent.skip(…)`.
pub fn callee_root<'t>(callee: Node<'t>, source: &'t [u8]) -> Option<&'t str> {
    let mut node = callee;
    loop {
        match node.kind() {
            "identifier" => return std::str::from_utf8(text(node, source)).ok(),
            "member_expression" => node = node.child_by_field_name("object")?,
            "call_expression" => node = node.child_by_field_name("function")?,
            _ => return None,
        }
    }
}

/// Whether `call` (a `call_expression`) defines a test or suite: `it(…)`, `test.only(…)`,
/// `describe.each(t)(…)`.
pub fn is_test_call(call: Node, source: &[u8]) -> bool {
    call.kind() == "call_expression"
        && call
            .child_by_field_name("function")
            .and_then(|f| callee_root(f, source))
            .is_some_and(|name| TEST_FUNCTIONS.contains(&name))
}

/// Whether a test call is a table test: `it.each(t)(…)`, ``test.each`…`(…)``, whose
/// callback's parameters are the table's columns (never a `done` callback).
pub fn is_each(test: Node, source: &[u8]) -> bool {
    let mut node = test.child_by_field_name("function");
    while let Some(n) = node {
        match n.kind() {
            "member_expression" => {
                if n.child_by_field_name("property")
                    .is_some_and(|p| text(p, source) == b"each")
                {
                    return true;
                }
                node = n.child_by_field_name("object");
            }
            "call_expression" => node = n.child_by_field_name("function"),
            _ => return false,
        }
    }
    false
}

/// Whether `call` registers a hook (`afterEach(…)`).
pub fn is_hook_call(call: Node, source: &[u8]) -> bool {
    call.kind() == "call_expression"
        && call
            .child_by_field_name("function")
            .filter(|f| f.kind() == "identifier")
            .is_some_and(|f| HOOKS.iter().any(|h| h.as_bytes() == text(f, source)))
}

/// The function passed to a test, suite or hook call: its first argument that is an
/// arrow function or function expression.
pub fn callback(call: Node) -> Option<Node> {
    let arguments = call.child_by_field_name("arguments")?;
    let mut cursor = arguments.walk();
    arguments.named_children(&mut cursor).find(|a| {
        matches!(
            a.kind(),
            "arrow_function" | "function_expression" | "function"
        )
    })
}

/// The innermost test/hook call whose callback contains `node`, if any.
pub fn enclosing_test<'t>(node: Node<'t>, source: &[u8]) -> Option<Node<'t>> {
    let mut current = node.parent();
    while let Some(n) = current {
        if matches!(
            n.kind(),
            "arrow_function" | "function_expression" | "function"
        ) && let Some(call) = n.parent().and_then(|args| args.parent())
            && (is_test_call(call, source) || is_hook_call(call, source))
            && callback(call) == Some(n)
        {
            return Some(call);
        }
        current = n.parent();
    }
    None
}

/// A place where a per-test hook cannot restore a spy: see [`place`].
pub const CONCURRENT: &str = "in a concurrent test";
pub const HELPER: &str = "in a function outside the tests";

/// Where `node` runs: `Ok` inside a test body or a `beforeEach` (once per test), else
/// `Err` with a description of the place ("at the top level", "in a `beforeAll`" …).
pub fn place(node: Node, source: &[u8]) -> Result<(), &'static str> {
    let Some(call) = enclosing_test(node, source) else {
        let mut current = node.parent();
        while let Some(n) = current {
            if matches!(
                n.kind(),
                "arrow_function"
                    | "function_expression"
                    | "function"
                    | "function_declaration"
                    | "method_definition"
                    | "generator_function"
                    | "generator_function_declaration"
            ) {
                return Err(HELPER);
            }
            current = n.parent();
        }
        return Err("at the top level");
    };
    let name = call
        .child_by_field_name("function")
        .and_then(|f| callee_root(f, source))
        .unwrap_or("");
    let result = match name {
        "it" | "test" | "fit" | "xit" | "xtest" => Ok(()),
        "beforeEach" => Ok(()),
        "beforeAll" => Err("in a `beforeAll`"),
        "afterEach" => Err("in an `afterEach`"),
        "afterAll" => Err("in an `afterAll`"),
        "bench" => Err("in a benchmark"),
        _ => Err("in a `describe` body"),
    };
    result?;
    // Concurrent tests share the file's hooks: one test's hook would restore another's spy.
    let mut outer = Some(call);
    while let Some(c) = outer {
        let callee = c.child_by_field_name("function").unwrap_or(c);
        if memchr::memmem::find(text(callee, source), b"concurrent").is_some() {
            return Err(CONCURRENT);
        }
        outer = enclosing_test(c, source);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{self, Lang};

    #[test]
    fn restore_mocks_in_configuration_text() {
        assert!(sets_restore_mocks(
            "export default { test: { restoreMocks: true } }"
        ));
        assert!(sets_restore_mocks("{ \"restoreMocks\": true }"));
        assert!(!sets_restore_mocks("{ restoreMocks: false }"));
        assert!(!sets_restore_mocks("// no config"));
    }

    #[test]
    fn runner_from_imports_uses_or_project() {
        let runner = |src: &str, project: Option<Runner>| {
            let tree = syntax::parse(Lang::TypeScript, src.as_bytes()).unwrap();
            runner_of(
                tree.root_node(),
                src.as_bytes(),
                &TestProject {
                    runner: project,
                    restore_mocks: false,
                },
            )
        };
        assert_eq!(
            runner("import { it } from 'vitest';\njest.fn();", None),
            Some(Runner::Vitest)
        );
        assert_eq!(
            runner("import { jest } from '@jest/globals';", None),
            Some(Runner::Jest)
        );
        assert_eq!(runner("const f = vi.fn();", None), Some(Runner::Vitest));
        assert_eq!(runner("const f = jest.fn();", None), Some(Runner::Jest));
        assert_eq!(
            runner("it('x', () => {});", Some(Runner::Vitest)),
            Some(Runner::Vitest)
        );
        assert_eq!(runner("it('x', () => {});", None), Some(Runner::Jest));
    }

    #[test]
    fn test_calls_and_their_callbacks() {
        let src = "describe.each([1])('s', () => { it.only('t', async () => { x(); }); afterEach(() => {}); });";
        let tree = syntax::parse(Lang::TypeScript, src.as_bytes()).unwrap();
        let x = src.find("x()").unwrap();
        let node = tree
            .root_node()
            .descendant_for_byte_range(x, x + 1)
            .unwrap();
        let test = enclosing_test(node, src.as_bytes()).unwrap();
        assert!(is_test_call(test, src.as_bytes()));
        assert!(text(test, src.as_bytes()).starts_with(b"it.only"));
        let hook_at = src.find("afterEach").unwrap();
        let hook = tree
            .root_node()
            .descendant_for_byte_range(hook_at, hook_at + 1)
            .unwrap()
            .parent()
            .unwrap();
        assert!(is_hook_call(hook, src.as_bytes()));
        assert!(callback(hook).is_some());
    }
}

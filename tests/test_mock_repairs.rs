//! `dash test --fix --write` on the two run-driven mock repairs, end to end with the pinned
//! runners: an arrow `vi.fn` implementation constructed with `new` (vitest 4 only: jest 29/30
//! and vitest 2/3 run it, see fixtures/testrun/*/mock-constructor) becomes a `function`;
//! a partial module mock (`vi.mock`/`jest.mock` factory without an export the code uses)
//! spreads the actual module. What must not be repaired is left and reported: an arrow
//! that no `new` reaches, an export the actual module does not have.

use std::path::Path;

mod support;
use support::testrun::{dash, json_run, runner_project};

fn read(root: &Path, file: &str) -> String {
    std::fs::read_to_string(root.join(file)).unwrap()
}

/// `kept|repair` of each repair in the report.
fn repairs(doc: &serde_json::Value) -> Vec<String> {
    doc["repairs"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|r| format!("{}|{}", r["kept"], r["repair"].as_str().unwrap()))
                .collect()
        })
        .unwrap_or_default()
}

/// The code under test constructs the mocked class; the factory's implementation is an
/// arrow. A second arrow mock is only called, never constructed: it stays an arrow.
#[test]
fn an_arrow_mock_constructed_with_new_becomes_a_function_on_vitest4() {
    let test = "import { expect, test, vi } from 'vitest';\nimport { describe } from './src/service.js';\n\nvi.mock('./src/client.js', () => ({\n  Client: vi.fn(() => ({ get: (id) => `fake ${id}` })),\n}));\n\nconst format = vi.fn((text) => text.toUpperCase());\n\ntest('describes a user', () => {\n  expect(format(describe(1))).toBe('FAKE 1');\n});\n";
    let (_dir, root) = runner_project(
        "vitest4",
        &[
            (
                "package.json",
                "{ \"private\": true, \"type\": \"module\", \"scripts\": { \"test\": \"vitest\" } }\n",
            ),
            ("user.test.js", test),
            (
                "src/client.js",
                "export class Client {\n  get(id) {\n    return `real ${id}`;\n  }\n}\n",
            ),
            (
                "src/service.js",
                "import { Client } from './client.js';\n\nexport function describe(id) {\n  return new Client().get(id);\n}\n",
            ),
        ],
    );
    let doc = json_run(&root, &["--fix", "--write", "--reruns", "2"], 0);
    assert_eq!(
        repairs(&doc),
        ["true|arrow mock implementation → function (vitest 4 constructs it with `new`; line 5)"],
        "{doc:#}"
    );
    assert_eq!(
        read(&root, "user.test.js"),
        test.replace(
            "Client: vi.fn(() => ({ get: (id) => `fake ${id}` }))",
            "Client: vi.fn(function () { return { get: (id) => `fake ${id}` }; })"
        )
    );
    dash(&root).arg("test").assert().code(0);
}

/// An arrow that reads `this` would read the instance once it is a `function`: left for a
/// person, with the reason, and the file untouched.
#[test]
fn an_arrow_that_reads_this_is_left_on_vitest4() {
    let test = "import { expect, test, vi } from 'vitest';\n\nconst self = { name: 'outer' };\nconst Make = vi.fn(() => ({ name: this === undefined ? 'none' : 'some' }));\n\ntest('makes one', () => {\n  expect(new Make().name).toBe('none');\n  expect(self.name).toBe('outer');\n});\n";
    let (_dir, root) = runner_project(
        "vitest4",
        &[
            (
                "package.json",
                "{ \"private\": true, \"type\": \"module\", \"scripts\": { \"test\": \"vitest\" } }\n",
            ),
            ("make.test.js", test),
        ],
    );
    let doc = json_run(&root, &["--fix", "--write", "--reruns", "1"], 1);
    let reason = doc["repairs"][0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("reads `this`"), "{doc:#}");
    assert_eq!(doc["repairs"][0]["kept"], false, "{doc:#}");
    assert_eq!(read(&root, "make.test.js"), test);
}

fn partial_project(
    runner: &str,
    exports_bye: bool,
) -> (tempfile::TempDir, std::path::PathBuf, String) {
    let vitest = runner.starts_with("vitest");
    let module = match (vitest, exports_bye) {
        (true, true) => {
            "export const hello = (name) => `hello ${name}`;\nexport function bye(name) {\n  return `bye ${name}`;\n}\n"
        }
        (true, false) => "export const hello = (name) => `hello ${name}`;\n",
        (false, true) => {
            "exports.hello = (name) => `hello ${name}`;\nexports.bye = (name) => `bye ${name}`;\n"
        }
        (false, false) => "exports.hello = (name) => `hello ${name}`;\n",
    };
    let test = if vitest {
        "import { expect, test, vi } from 'vitest';\nimport { bye, hello } from './src/greet.js';\n\nvi.mock('./src/greet.js', () => ({ hello: vi.fn(() => 'fake') }));\n\ntest('greets', () => {\n  expect(hello('a')).toBe('fake');\n  expect(bye('a')).toBe('bye a');\n});\n\ntest('only hello', () => {\n  expect(hello('b')).toBe('fake');\n});\n"
    } else {
        "const { bye, hello } = require('./src/greet');\n\njest.mock('./src/greet', () => ({ hello: jest.fn(() => 'fake') }));\n\ntest('greets', () => {\n  expect(hello('a')).toBe('fake');\n  expect(bye('a')).toBe('bye a');\n});\n\ntest('only hello', () => {\n  expect(hello('b')).toBe('fake');\n});\n"
    };
    let package = if vitest {
        "{ \"private\": true, \"type\": \"module\", \"scripts\": { \"test\": \"vitest\" } }\n"
    } else {
        "{ \"private\": true, \"scripts\": { \"test\": \"jest\" } }\n"
    };
    let (dir, root) = runner_project(
        runner,
        &[
            ("package.json", package),
            ("greet.test.js", test),
            ("src/greet.js", module),
        ],
    );
    (dir, root, test.to_owned())
}

fn partial_mock_repaired_on(runner: &str) {
    let (_dir, root, test) = partial_project(runner, true);
    let doc = json_run(&root, &["--fix", "--write", "--reruns", "2"], 0);
    assert_eq!(
        doc["failures"][0]["class"], "mock-misuse",
        "{runner}: {doc:#}"
    );
    let (before, after) = if runner.starts_with("vitest") {
        (
            "vi.mock('./src/greet.js', () => ({ hello",
            "vi.mock('./src/greet.js', async (importOriginal) => ({ ...(await importOriginal()), hello",
        )
    } else {
        (
            "jest.mock('./src/greet', () => ({ hello",
            "jest.mock('./src/greet', () => ({ ...jest.requireActual('./src/greet'), hello",
        )
    };
    assert_eq!(
        read(&root, "greet.test.js"),
        test.replace(before, after),
        "{runner}: {doc:#}"
    );
    assert_eq!(repairs(&doc).len(), 1, "{runner}: {doc:#}");
    assert!(repairs(&doc)[0].starts_with("true|"), "{runner}: {doc:#}");
    dash(&root).arg("test").assert().code(0);
}

#[test]
fn a_partial_mock_spreads_the_actual_module_on_jest29() {
    partial_mock_repaired_on("jest29");
}

#[test]
fn a_partial_mock_spreads_the_actual_module_on_jest30() {
    partial_mock_repaired_on("jest30");
}

#[test]
fn a_partial_mock_spreads_the_actual_module_on_vitest2() {
    partial_mock_repaired_on("vitest2");
}

#[test]
fn a_partial_mock_spreads_the_actual_module_on_vitest3() {
    partial_mock_repaired_on("vitest3");
}

#[test]
fn a_partial_mock_spreads_the_actual_module_on_vitest4() {
    partial_mock_repaired_on("vitest4");
}

/// The module has no `bye`: the test calls something that does not exist. vitest still
/// says the mock lacks it; the repair is refused with the reason. jest's `bye is not a
/// function` stays an error (no factory explains it). Nothing is written.
#[test]
fn an_export_the_actual_module_lacks_is_left() {
    for runner in ["vitest4", "jest29"] {
        let (_dir, root, test) = partial_project(runner, false);
        let doc = json_run(&root, &["--fix", "--write", "--reruns", "1"], 1);
        if runner == "vitest4" {
            assert_eq!(doc["failures"][0]["class"], "mock-misuse", "{doc:#}");
            let reason = doc["repairs"][0]["reason"].as_str().unwrap_or_default();
            assert!(
                reason.contains("has no export \"bye\"") && reason.contains("real bug"),
                "{doc:#}"
            );
        } else {
            assert_eq!(doc["failures"][0]["class"], "error", "{doc:#}");
        }
        assert_eq!(read(&root, "greet.test.js"), test, "{runner}");
    }
}

/// TypeScript: vitest prints the arrow as esbuild reprinted it (types gone, commas and
/// quotes its own); the arrow given to `mockImplementation` of an automocked class is
/// still found by its tokens, and keeps its types as a `function`.
#[test]
fn a_typescript_mock_implementation_constructed_with_new_on_vitest4() {
    let test = "import { expect, test, vi } from 'vitest';\nimport { Client } from './src/client';\n\nvi.mock('./src/client');\n\ntest('describes a user', () => {\n  vi.mocked(Client).mockImplementation((): any => ({\n    get: (id: number) => `fake ${id}` as string,\n  }));\n  expect(new Client().get(1)).toBe('fake 1');\n});\n";
    let (_dir, root) = runner_project(
        "vitest4",
        &[
            (
                "package.json",
                "{ \"private\": true, \"type\": \"module\", \"scripts\": { \"test\": \"vitest\" } }\n",
            ),
            ("user.test.ts", test),
            (
                "src/client.ts",
                "export class Client {\n  get(id: number): string {\n    return `real ${id}`;\n  }\n}\n",
            ),
        ],
    );
    json_run(&root, &["--fix", "--write", "--reruns", "2"], 0);
    assert_eq!(
        read(&root, "user.test.ts"),
        test.replace(
            "mockImplementation((): any => ({\n    get: (id: number) => `fake ${id}` as string,\n  }));",
            "mockImplementation(function (): any { return {\n    get: (id: number) => `fake ${id}` as string,\n  }; });"
        )
    );
    dash(&root).arg("test").assert().code(0);
}

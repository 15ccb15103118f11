//! Categories beyond path globs, end to end: CLI code (package.json `bin`, a shebang, a
//! commander entry module) and browser code (`'use client'`, service workers, `public/`,
//! browser packages) keep their console calls by default, the preview names each changed
//! file's category, and production calls that tests spy on are left for judgement.

use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;

mod support;
use support::{git, write};

fn dash(cwd: &Path) -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("dash");
    cmd.current_dir(cwd).env("NO_COLOR", "1");
    cmd
}

fn commit(root: &Path) {
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "init"]);
}

fn json(root: &Path, args: &[&str]) -> serde_json::Value {
    let out = dash(root).args(args).output().unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Paths of a fix summary list (`changes`, `needsJudgement`).
fn paths(list: &serde_json::Value) -> Vec<String> {
    let mut paths: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap().to_owned())
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// A Node package with a CLI and client code beside its server, and a front-end package.
fn mixed_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("package.json"),
        r#"{ "name": "app", "main": "src/server.ts", "bin": { "app": "./lib/main.js" }, "workspaces": ["web"] }"#,
    );
    write(&root.join("src/server.ts"), "console.log('listening');\n");
    write(
        &root.join("lib/main.ts"),
        "console.log(JSON.stringify({ ok: true }));\n",
    );
    write(
        &root.join("src/tool.js"),
        "#!/usr/bin/env node\nconsole.log('usage: tool');\n",
    );
    write(
        &root.join("src/entry.ts"),
        "import { program } from 'commander';\nprogram.option('--json').parse(process.argv);\nconsole.log(program.opts());\n",
    );
    write(
        &root.join("src/button.tsx"),
        "'use client';\nexport function B() { console.log('clicked'); return null; }\n",
    );
    write(
        &root.join("src/worker.js"),
        "self.addEventListener('fetch', (event) => { console.log(event.request.url); });\n",
    );
    write(
        &root.join("public/app.js"),
        "console.log('hello from the page');\n",
    );
    write(
        &root.join("e2e_tests/login.ts"),
        "test('login', () => {\n  console.log('step');\n});\n",
    );
    write(
        &root.join("web/package.json"),
        r#"{ "name": "web", "dependencies": { "react-dom": "18" } }"#,
    );
    write(&root.join("web/src/main.tsx"), "console.warn('render');\n");
    // A package that is only a command: all of its modules print its output.
    write(
        &root.join("tool/package.json"),
        r#"{ "name": "tool", "bin": { "tool": "./src/index.js" } }"#,
    );
    write(
        &root.join("tool/src/report.js"),
        "console.log('3 files');\n",
    );
    commit(root);
    dir
}

#[test]
fn cli_and_browser_code_keep_their_console_calls() {
    let dir = mixed_project();
    let root = dir.path();
    let doc = json(root, &["fix", "--format", "json"]);
    // Only the server is rewritten, only the e2e test has a call removed.
    assert_eq!(
        paths(&doc["changes"]),
        vec!["e2e_tests/login.ts", "src/server.ts"]
    );
    assert_eq!(doc["rewritten"], 1);
    assert_eq!(doc["removed"], 1);
    // bin (its TypeScript source), shebang, commander entry, a command-only package,
    // 'use client', service worker, public/, the react-dom package.
    assert_eq!(doc["kept"], 8);
    let categories: Vec<(&str, &str)> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["path"].as_str().unwrap(), c["category"].as_str().unwrap()))
        .collect();
    assert!(categories.contains(&("src/server.ts", "production")));
    assert!(categories.contains(&("e2e_tests/login.ts", "tests")));
}

#[test]
fn scan_json_carries_each_findings_category() {
    let dir = mixed_project();
    let doc = json(dir.path(), &["scan", "--format", "json"]);
    let category = |path: &str| {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path)
            .unwrap_or_else(|| panic!("no finding in {path}"))["category"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    for (path, expected) in [
        ("src/server.ts", "production"),
        ("lib/main.ts", "scripts"),
        ("src/tool.js", "scripts"),
        ("src/entry.ts", "scripts"),
        ("tool/src/report.js", "scripts"),
        ("src/button.tsx", "browser"),
        ("src/worker.js", "browser"),
        ("public/app.js", "browser"),
        ("web/src/main.tsx", "browser"),
        ("e2e_tests/login.ts", "tests"),
    ] {
        assert_eq!(category(path), expected, "{path}");
    }
    assert_eq!(doc["totals"]["browser"], 4);
}

#[test]
fn browser_policy_and_globs_are_configurable() {
    let dir = mixed_project();
    let root = dir.path();
    write(
        &root.join("dash.toml"),
        "[paths]\nbrowser = [\"src/server.ts\"]\n[console]\nbrowser = \"remove\"\n",
    );
    let doc = json(root, &["fix", "--format", "json"]);
    let changed = paths(&doc["changes"]);
    // The configured globs replace the defaults (public/ is production now, and
    // rewritten); browser code found by content or package is still browser.
    assert!(changed.contains(&"src/server.ts".to_owned()), "{changed:?}");
    assert!(
        changed.contains(&"src/button.tsx".to_owned()),
        "{changed:?}"
    );
    assert!(
        changed.contains(&"web/src/main.tsx".to_owned()),
        "{changed:?}"
    );
    let server = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == "src/server.ts")
        .unwrap();
    assert_eq!(server["action"], "remove");
    assert_eq!(server["category"], "browser");
}

#[test]
fn the_preview_names_each_files_category_and_still_applies() {
    let dir = mixed_project();
    let root = dir.path();
    let out = dash(root).arg("fix").output().unwrap();
    assert!(out.status.success());
    let preview = String::from_utf8(out.stdout).unwrap();
    assert!(
        preview.contains("category: production\n--- a/src/server.ts\n"),
        "{preview}"
    );
    assert!(
        preview.contains("category: tests\n--- a/e2e_tests/login.ts\n"),
        "{preview}"
    );
    // The category lines are text before a file's header: `git apply` skips them. The
    // preview's summary below the hunks is left out.
    let patch = preview
        .split("\n\n")
        .filter(|part| part.contains("--- ") || part.starts_with("category:"))
        .collect::<Vec<_>>()
        .join("\n\n");
    std::fs::write(root.join("preview.patch"), format!("{patch}\n")).unwrap();
    let check = std::process::Command::new("git")
        .args(["apply", "--check", "preview.patch"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}\n{patch}",
        String::from_utf8_lossy(&check.stderr)
    );
}

/// A package whose tests spy on console in each runner's way.
fn spied_project(test: &str, test_text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(&root.join("package.json"), r#"{ "name": "p" }"#);
    write(
        &root.join("src/report.ts"),
        "export function report(e: Error) {\n  console.error('failed', e);\n  console.log('reported');\n}\n",
    );
    write(
        &root.join("src/other.ts"),
        "export function other() {\n  console.error('other');\n}\n",
    );
    write(&root.join("src/index.ts"), "export * from './report';\n");
    write(&root.join(test), test_text);
    commit(root);
    dir
}

/// The judgement on `src/report.ts`'s `console.error`, and what happened to the rest.
fn spied_outcome(dir: &Path) -> (Option<String>, Vec<String>) {
    let doc = json(dir, &["fix", "--format", "json"]);
    let judged = doc["needsJudgement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["path"] == "src/report.ts" && j["method"] == "error")
        .map(|j| j["reason"].as_str().unwrap().to_owned());
    let changed: Vec<String> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["rule"] == "console" && c["action"] == "rewrite")
        .map(|c| {
            format!(
                "{}:{}",
                c["path"].as_str().unwrap(),
                c["method"].as_str().unwrap()
            )
        })
        .collect();
    (judged, changed)
}

#[test]
fn production_calls_that_tests_spy_on_need_judgement() {
    for (test, text, line) in [
        (
            "src/report.test.ts",
            "import { report } from './report';\ntest('logs', () => {\n  const spy = jest.spyOn(console, 'error').mockImplementation(() => {});\n  report(new Error('x'));\n  expect(spy).toHaveBeenCalled();\n});\n",
            3,
        ),
        (
            "test/report.spec.ts",
            "import { vi, test, expect } from 'vitest';\nimport { report } from '../src/report.js';\nconst spy = vi.spyOn(console, \"error\");\ntest('logs', () => { report(new Error('x')); expect(spy).toHaveBeenCalled(); });\n",
            3,
        ),
        (
            "test/report.test.js",
            "const sinon = require('sinon');\nconst { report } = require('../src/report');\n\nit('logs', () => {\n  const stub = sinon.stub(console, 'error');\n  report(new Error('x'));\n  stub.restore();\n});\n",
            5,
        ),
        (
            "src/__tests__/report.ts",
            "import { report } from '../report';\nbeforeEach(() => {\n  console.error = jest.fn();\n});\ntest('x', () => report(new Error('x')));\n",
            3,
        ),
        // Through the package's index, which re-exports the module (one level).
        (
            "test/index.test.ts",
            "import { report } from '../src';\ntest('x', () => {\n  vi.spyOn(console, 'error');\n  report(new Error('x'));\n});\n",
            3,
        ),
    ] {
        let dir = spied_project(test, text);
        let (judged, changed) = spied_outcome(dir.path());
        let reason = judged.unwrap_or_else(|| panic!("{test}: not judged; rewritten {changed:?}"));
        assert!(
            reason.starts_with(&format!("{test}:{line} spies on console.error")),
            "{test}: {reason}"
        );
        // The test does not spy on `log`, and does not import `other`.
        assert!(
            changed.contains(&"src/report.ts:log".to_owned()),
            "{test}: {changed:?}"
        );
        assert!(
            changed.contains(&"src/other.ts:error".to_owned()),
            "{test}: {changed:?}"
        );
        assert!(
            !changed.contains(&"src/report.ts:error".to_owned()),
            "{test}: {changed:?}"
        );
    }
}

#[test]
fn a_spy_not_connected_to_the_module_does_not_block_it() {
    for text in [
        // Spies, but imports another module.
        "import { other } from '../src/other';\ntest('x', () => { jest.spyOn(console, 'warn'); other(); });\n",
        // Imports the module, spies on nothing.
        "import { report } from '../src/report';\ntest('x', () => { console.log('debug'); report(new Error('x')); });\n",
        // Imports the module and only reads console.
        "import { report } from '../src/report';\ntest('x', () => { expect(console.error).toBeDefined(); report(new Error('x')); });\n",
    ] {
        let dir = spied_project("test/x.test.ts", text);
        let (judged, changed) = spied_outcome(dir.path());
        assert_eq!(judged, None, "{text}");
        assert!(
            changed.contains(&"src/report.ts:error".to_owned()),
            "{text}: {changed:?}"
        );
    }
}

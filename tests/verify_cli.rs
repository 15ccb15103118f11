//! `dash verify` end to end, on git repositories built by each test. The test-running
//! checks use the pinned jest 29 of `tests/runners/jest29` (installed by `.ci/run`;
//! `DASH_TEST_RUNNERS=<dir>` points elsewhere): without it they fail, never skip.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;

mod support;
use support::{git, write};

fn dash(cwd: &Path) -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("dash");
    cmd.current_dir(cwd).env("NO_COLOR", "1");
    cmd
}

/// A committed repository with the given files.
fn repo(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap().join("app");
    for (path, text) in files {
        write(&root.join(path), text);
    }
    git(&root, &["init", "-q"]);
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "init"]);
    (dir, root)
}

fn stdout(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stdout.clone()).unwrap()
}

#[test]
fn console_checks_pass_and_fail_on_their_limits() {
    let (_dir, root) = repo(&[
        ("src/a.ts", "console.log(1);\nconsole.warn(2);\n"),
        ("src/a.test.ts", "test('x', () => { console.log(3); });\n"),
        ("dash.toml", "[verify]\nmax-console = 3\n"),
    ]);
    let out = dash(&root).args(["verify", "--no-tests"]).assert().code(1);
    let text = stdout(&out);
    assert!(
        text.contains("PASS    max-console        3 (at most 3)\n"),
        "{text}"
    );
    assert!(
        text.contains("FAIL    max-production     2 (at most 0): `dash fix` previews the fixes"),
        "{text}"
    );
    assert!(
        text.contains("SKIPPED max-failing-tests  --no-tests\n"),
        "{text}"
    );
    assert!(text.ends_with("\nverify: 1 of 3 checks failed\n"), "{text}");

    write(
        &root.join("dash.toml"),
        "[verify]\nmax-console = 2\nmax-production = 2\n",
    );
    let text = stdout(&dash(&root).args(["verify", "--no-tests"]).assert().code(1));
    assert!(
        text.contains("FAIL    max-console        3 (at most 2)"),
        "{text}"
    );
    assert!(
        text.contains("PASS    max-production     2 (at most 2)"),
        "{text}"
    );

    write(&root.join("dash.toml"), "[verify]\nmax-production = 2\n");
    let text = stdout(
        &dash(&root)
            .args(["verify", "--no-tests"])
            .assert()
            .success(),
    );
    assert!(!text.contains("max-console"), "no limit, no check: {text}");
    assert!(text.ends_with("\nverify: passed (2 checks)\n"), "{text}");
}

#[test]
fn quiet_prints_the_failed_checks_only() {
    let (_dir, root) = repo(&[("src/a.ts", "console.log(1);\n")]);
    let text = stdout(
        &dash(&root)
            .args(["verify", "--no-tests", "-q"])
            .assert()
            .code(1),
    );
    assert!(
        text.starts_with("FAIL    max-production     1 (at most 0): "),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1, "{text}");
    write(&root.join("src/a.ts"), "export const a = 1;\n");
    dash(&root)
        .args(["verify", "--no-tests", "-q"])
        .assert()
        .success()
        .stdout("");
}

#[test]
fn test_hazards_are_counted_by_rule() {
    let (_dir, root) = repo(&[
        (
            "src/a.test.ts",
            "test.only('x', () => {});\ndescribe.only('y', () => { it('z', () => {}); });\n",
        ),
        ("src/b.ts", "export const b = 1;\n"),
    ]);
    let text = stdout(&dash(&root).args(["verify", "--no-tests"]).assert().code(1));
    assert!(
        text.contains("FAIL    max-test-hazards   2 (at most 0): `dash scan --list --rules "),
        "{text}"
    );
    assert!(text.contains("\n        focused-test: 2\n"), "{text}");
    write(&root.join("dash.toml"), "[verify]\nmax-test-hazards = 2\n");
    dash(&root)
        .args(["verify", "--no-tests"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "PASS    max-test-hazards   2 (at most 2)",
        ));
    write(
        &root.join("dash.toml"),
        "[rules]\ndisable = [\"focused-test\"]\n",
    );
    dash(&root)
        .args(["verify", "--no-tests"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "PASS    max-test-hazards   0 (at most 0)",
        ));
}

#[test]
fn json_and_github_formats() {
    let (_dir, root) = repo(&[
        ("src/a.ts", "console.log(1);\n"),
        ("dash.toml", "[verify]\nmax-console = 5\n"),
    ]);
    let out = dash(&root)
        .args(["verify", "--no-tests", "--format", "json"])
        .assert()
        .code(1);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["passed"], false);
    let checks = doc["checks"].as_array().unwrap();
    let names: Vec<&str> = checks.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["max-console", "max-production", "max-test-hazards"]);
    for check in checks {
        for key in ["name", "limit", "actual", "passed"] {
            assert!(check.get(key).is_some(), "{key} in {check}");
        }
    }
    assert_eq!(checks[0]["limit"], 5);
    assert_eq!(checks[0]["actual"], 1);
    assert_eq!(checks[0]["passed"], true);
    assert_eq!(checks[1]["limit"], 0);
    assert_eq!(checks[1]["actual"], 1);
    assert_eq!(checks[1]["passed"], false);
    assert_eq!(doc["skipped"][0]["name"], "max-failing-tests");

    let out = dash(&root)
        .args(["verify", "--no-tests", "--format", "github"])
        .assert()
        .code(1);
    let text = stdout(&out);
    assert_eq!(text.matches("::error ").count(), 1, "{text}");
    assert!(
        text.contains(
            "::error title=dash verify max-production::1 (at most 0): `dash fix` previews"
        ),
        "{text}"
    );

    // Clean: exit 0, `passed: true`.
    write(&root.join("src/a.ts"), "export const a = 1;\n");
    let out = dash(&root)
        .args(["verify", "--no-tests", "--format", "json"])
        .assert()
        .success();
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["passed"], true);
}

#[test]
fn gates_count_the_verified_worktree_unless_worktrees() {
    let (_dir, root) = repo(&[("src/a.ts", "export const a = 1;\n")]);
    git(&root, &["worktree", "add", "-q", "-b", "wip", "../app-wip"]);
    let wip = root.parent().unwrap().join("app-wip");
    write(&wip.join("src/wip.ts"), "console.log('uncommitted');\n");

    dash(&root)
        .args(["verify", "--no-tests"])
        .assert()
        .success();
    dash(&root)
        .args(["verify", "--no-tests", "--worktrees"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "FAIL    max-production     1 (at most 0)",
        ));
    dash(&wip)
        .args(["verify", "--no-tests"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "FAIL    max-production     1 (at most 0)",
        ));

    // scan shows every worktree but its thresholds count the one named.
    dash(&root)
        .args(["scan", "--max-production", "0"])
        .assert()
        .success()
        .stdout(predicate::str::contains("1 console call in 2 worktrees"))
        .stdout(predicate::str::contains(
            "max-production: 0 of at most 0 in . (ok)",
        ));
    dash(&wip)
        .args(["scan", "--max-production", "0"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "max-production: 1 of at most 0 in . (exceeded)",
        ));
}

#[test]
fn bad_verify_config_is_a_usage_error() {
    for bad in [
        "max-failing = 0",
        "min-coverage = { prod = 80 }",
        "min-coverage = 120",
    ] {
        let (_dir, root) = repo(&[("dash.toml", &format!("[verify]\n{bad}\n"))]);
        dash(&root)
            .args(["verify", "--no-tests"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("dash::config::invalid"));
    }
}

#[test]
fn a_suite_that_cannot_run_fails() {
    let (_dir, root) = repo(&[
        ("package.json", "{ \"scripts\": { \"test\": \"jest\" } }\n"),
        ("src/a.test.js", "test('x', () => {});\n"),
        ("dash.toml", "[verify]\nmin-coverage = 50\n"),
    ]);
    let text = stdout(&dash(&root).arg("verify").assert().code(1));
    assert!(
        text.contains("FAIL    max-failing-tests        not measured (at most 0): install the project's dependencies first"),
        "{text}"
    );
    assert!(
        text.contains("jest is used by the project but not installed"),
        "{text}"
    );
    assert!(
        text.contains("FAIL    min-coverage.production  not measured (at least 50.0%)"),
        "{text}"
    );
    let (_dir, root) = repo(&[("src/a.ts", "export const a = 1;\n")]);
    dash(&root)
        .arg("verify")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("no test runner found"));
}

/// A pinned runner install the runtime tests use (`jest29`, `vitest3`).
fn runner_node_modules(runner: &str, package: &str) -> PathBuf {
    let runners = std::env::var_os("DASH_TEST_RUNNERS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/runners"));
    let modules = runners.join(runner).join("node_modules");
    assert!(
        modules.join(package).join("package.json").is_file(),
        "{} is missing: run `npm ci --prefix tests/runners/{runner}` (or set DASH_TEST_RUNNERS)",
        modules.display()
    );
    modules
}

fn jest_node_modules() -> PathBuf {
    runner_node_modules("jest29", "jest")
}

/// A jest project: one source file half covered, one passing and one failing test.
fn jest_project() -> (tempfile::TempDir, PathBuf) {
    let (dir, root) = repo(&[
        (".gitignore", "node_modules\n"),
        (
            "package.json",
            "{ \"private\": true, \"scripts\": { \"test\": \"jest\" } }\n",
        ),
        (
            "src/math.js",
            "function add(a, b) {\n  return a + b;\n}\nfunction sub(a, b) {\n  const d = a - b;\n  return d;\n}\nmodule.exports = { add, sub };\n",
        ),
        (
            "src/math.test.js",
            "const { add } = require('./math');\ntest('adds', () => {\n  expect(add(1, 2)).toBe(3);\n});\ntest('fails', () => {\n  expect(add(1, 1)).toBe(3);\n});\n",
        ),
    ]);
    std::os::unix::fs::symlink(jest_node_modules(), root.join("node_modules")).unwrap();
    (dir, root)
}

#[test]
fn failing_tests_and_coverage_from_jest() {
    let (_dir, root) = jest_project();
    write(&root.join("dash.toml"), "[verify]\nmin-coverage = 90\n");
    let out = dash(&root)
        .args(["verify", "--format", "json"])
        .assert()
        .code(1);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let check = |name: &str| {
        doc["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {doc}"))
            .clone()
    };
    let failing = check("max-failing-tests");
    assert_eq!(failing["actual"], 1);
    assert_eq!(failing["limit"], 0);
    assert_eq!(failing["passed"], false);
    assert!(
        failing["detail"]
            .as_str()
            .unwrap()
            .starts_with("jest 29.7.0: 1 passed, 1 failed, 0 skipped"),
        "{failing}"
    );
    // add's body is covered, sub's and the export line are not: lines 1, 2, 8 of 1, 2, 4,
    // 5, 6, 8 (istanbul counts statements' lines).
    let coverage = check("min-coverage.production");
    assert_eq!(coverage["limit"], 90.0);
    assert_eq!(coverage["passed"], false);
    let actual = coverage["actual"].as_f64().unwrap();
    assert!(actual > 0.0 && actual < 90.0, "{coverage}");
    assert!(
        coverage["detail"]
            .as_str()
            .unwrap()
            .contains("least covered:\nsrc/math.js "),
        "{coverage}"
    );

    // The suite fixed and the limit met: everything passes, exit 0.
    write(
        &root.join("src/math.test.js"),
        "const { add, sub } = require('./math');\ntest('adds', () => {\n  expect(add(1, 2)).toBe(3);\n});\ntest('subs', () => {\n  expect(sub(3, 1)).toBe(2);\n});\n",
    );
    let text = stdout(&dash(&root).arg("verify").assert().success());
    assert!(
        text.contains("PASS    max-failing-tests        0 (at most 0)"),
        "{text}"
    );
    assert!(
        text.contains("PASS    min-coverage.production  100.0% (at least 90.0%)"),
        "{text}"
    );
    assert!(text.ends_with("verify: passed (4 checks)\n"), "{text}");
    // The runner's reports went to a scratch folder, not into the project.
    assert!(!root.join("coverage").exists());
}

#[test]
fn a_test_file_that_cannot_load_counts_as_failing() {
    let (_dir, root) = jest_project();
    write(
        &root.join("src/math.test.js"),
        "const { add } = require('./math');\ntest('adds', () => {\n  expect(add(1, 2)).toBe(3);\n});\n",
    );
    write(
        &root.join("src/broken.test.js"),
        "require('./nope');\ntest('x', () => {});\n",
    );
    let text = stdout(&dash(&root).arg("verify").assert().code(1));
    assert!(
        text.contains("FAIL    max-failing-tests  1 (at most 0)"),
        "{text}"
    );
    assert!(
        text.contains("jest 29.7.0: 1 passed, 0 failed, 0 skipped"),
        "{text}"
    );
    assert!(
        text.contains(
            "cannot run src/broken.test.js: Cannot find module './nope' from 'src/broken.test.js'"
        ),
        "{text}"
    );
}

#[test]
fn vitest_without_a_coverage_provider_says_what_to_install() {
    let (_dir, root) = repo(&[
        (".gitignore", "node_modules\n"),
        (
            "package.json",
            "{ \"private\": true, \"type\": \"module\", \"scripts\": { \"test\": \"vitest\" } }\n",
        ),
        ("src/m.js", "export const add = (a, b) => a + b;\n"),
        (
            "src/m.test.js",
            "import { test, expect } from 'vitest';\nimport { add } from './m.js';\ntest('a', () => { expect(add(1, 2)).toBe(3); });\ntest('b', () => { expect(add(1, 1)).toBe(3); });\n",
        ),
        ("dash.toml", "[verify]\nmin-coverage = 50\n"),
    ]);
    std::os::unix::fs::symlink(
        runner_node_modules("vitest3", "vitest"),
        root.join("node_modules"),
    )
    .unwrap();
    let text = stdout(&dash(&root).arg("verify").assert().code(1));
    // The suite still ran for the failing tests.
    assert!(
        text.contains("FAIL    max-failing-tests        1 (at most 0): run `npx vitest run` to see the failures\n        vitest 3."),
        "{text}"
    );
    assert!(
        text.contains("FAIL    min-coverage.production  not measured (at least 50.0%): install it next to vitest: npm i -D @vitest/coverage-v8@3."),
        "{text}"
    );
}

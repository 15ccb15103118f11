//! `dash test` end to end, beyond one run: a runner that does not exit is ended, reruns
//! tell order-dependent (`leak`) and flaky failures apart, and the suite can be run through
//! the project's own script (`--command`) with the script's flags kept. The runners are
//! the pinned ones of tests/runners (see tests/support/testrun.rs).

use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin_cmd;

mod support;
use support::testrun::{json_run, mock_object, runner_project, summary, test_imports};

fn dash(cwd: &Path) -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("dash");
    cmd.current_dir(cwd).env("NO_COLOR", "1");
    cmd
}

/// A spy that leaks into the next test of its file, a test that fails on its first two
/// runs and passes from the third (a counter file: flaky with no code change), and a
/// real assertion failure.
fn leak_and_flaky(runner: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let imports = test_imports(runner);
    let mock = mock_object(runner);
    runner_project(
        runner,
        &[
            (
                "clock.test.js",
                &format!(
                    "{imports}const clock = {{ now: () => 'real' }};\n\ntest('fakes the clock', () => {{\n  {mock}.spyOn(clock, 'now').mockReturnValue('fake');\n  expect(clock.now()).toBe('fake');\n}});\n\ntest('reads the real clock', () => {{\n  expect(clock.now()).toBe('real');\n}});\n"
                ),
            ),
            (
                "race.test.js",
                &format!(
                    "{imports}import fs from 'fs';\nimport path from 'path';\n\ntest('wins the race', () => {{\n  const file = path.join(process.cwd(), 'runs.txt');\n  const n = (fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8')) : 0) + 1;\n  fs.writeFileSync(file, String(n));\n  expect(n).toBeGreaterThan(2);\n}});\n"
                ),
            ),
            (
                "math.test.js",
                &format!("{imports}test('adds', () => {{\n  expect(1 + 1).toBe(3);\n}});\n"),
            ),
        ],
    )
}

fn leak_and_flaky_on(runner: &str) {
    let (_dir, root) = leak_and_flaky(runner);
    // jest needs the CommonJS form of the imports.
    if runner.starts_with("jest") {
        let race = std::fs::read_to_string(root.join("race.test.js")).unwrap();
        std::fs::write(
            root.join("race.test.js"),
            race.replace(
                "import fs from 'fs';\nimport path from 'path';",
                "const fs = require('fs');\nconst path = require('path');",
            ),
        )
        .unwrap();
    }
    let doc = json_run(&root, &["--reruns", "3"], 1);
    assert_eq!(
        summary(&doc),
        [
            "clock.test.js|reads the real clock|leak",
            "math.test.js|adds|assertion",
            "race.test.js|wins the race|flaky",
        ],
        "{runner}: {doc:#}"
    );
    let failures = doc["failures"].as_array().unwrap();
    let leak = &failures[0];
    assert_eq!(leak["reruns"]["firstClass"], "assertion");
    assert_eq!(leak["reruns"]["inFile"]["passed"], 0);
    assert_eq!(leak["reruns"]["inFile"]["runs"], 4);
    assert_eq!(leak["reruns"]["alone"]["passed"], 3, "{runner}: {leak:#}");
    // The real failure failed alone at once: one isolation run, no more.
    assert_eq!(failures[1]["reruns"]["alone"]["runs"], 1);
    assert_eq!(failures[1]["reruns"]["alone"]["passed"], 0);
    let flaky = &failures[2];
    // First run and first rerun failed, the second rerun passed; the reruns of its file
    // went on for the leak's sake, and it passed those too.
    assert_eq!(flaky["reruns"]["inFile"]["passed"], 2, "{flaky:#}");
    assert_eq!(flaky["reruns"]["inFile"]["runs"], 4);
    assert_eq!(doc["counts"]["leak"], 1);
    assert_eq!(doc["counts"]["flaky"], 1);

    // Without reruns, one run shows only what it can.
    std::fs::remove_file(root.join("runs.txt")).unwrap();
    let doc = json_run(&root, &["--reruns", "0"], 1);
    assert_eq!(
        summary(&doc),
        [
            "clock.test.js|reads the real clock|assertion",
            "math.test.js|adds|assertion",
            "race.test.js|wins the race|assertion",
        ]
    );
    assert!(doc["failures"][0].get("reruns").is_none());
}

#[test]
fn leak_and_flaky_on_jest29() {
    leak_and_flaky_on("jest29");
}

#[test]
fn leak_and_flaky_on_vitest3() {
    leak_and_flaky_on("vitest3");
}

#[test]
fn leak_and_flaky_on_vitest4() {
    leak_and_flaky_on("vitest4");
}

#[test]
fn a_runner_that_does_not_exit_is_ended() {
    let (_dir, root) = runner_project(
        "jest29",
        &[(
            "timer.test.js",
            "test('starts a timer', () => {\n  setInterval(() => {}, 1000);\n  expect(1).toBe(1);\n});\n",
        )],
    );
    let start = Instant::now();
    let doc = json_run(&root, &[], 1);
    assert!(start.elapsed() < Duration::from_secs(60));
    assert_eq!(summary(&doc), ["-||unawaited"], "{doc:#}");
    let failure = &doc["failures"][0];
    assert!(
        failure["reason"]
            .as_str()
            .unwrap()
            .contains("did not exit 5 s after writing its results"),
        "{failure:#}"
    );
    assert_eq!(
        failure["evidence"][0],
        "Jest did not exit one second after the test run has completed."
    );
    assert_eq!(doc["tests"]["passed"], 1);
    assert_eq!(doc["exitStatus"], serde_json::Value::Null);
}

#[test]
fn a_run_past_the_timeout_is_ended() {
    for runner in ["jest29", "vitest3"] {
        let imports = test_imports(runner);
        let (_dir, root) = runner_project(
            runner,
            &[(
                "wait.test.js",
                &format!(
                    "{imports}test('waits forever', () => new Promise(() => {{}}), 600000);\n"
                ),
            )],
        );
        let start = Instant::now();
        dash(&root)
            .args(["test", "--timeout", "4"])
            .assert()
            .code(1)
            .stderr(predicates::str::contains("dash::test::no_report"))
            // miette wraps the message: "killed by dash after the 4 s --timeout".
            .stderr(predicates::str::contains("--timeout"));
        assert!(start.elapsed() < Duration::from_secs(30), "{runner}");
    }
}

/// An ESM suite whose `test` script sets `--experimental-vm-modules` and a `--config`
/// that selects only `unit/`: dash keeps both when it starts jest itself, and
/// `--command "npm test --"` runs through the script.
#[test]
fn the_test_scripts_flags_and_command_are_used() {
    let (_dir, root) = runner_project(
        "jest29",
        &[
            (
                "package.json",
                "{ \"private\": true, \"type\": \"module\", \"scripts\": { \"test\": \"NODE_OPTIONS=--experimental-vm-modules jest --config jest.unit.config.json\" } }\n",
            ),
            (
                "jest.unit.config.json",
                "{ \"testMatch\": [\"**/unit/**/*.test.js\"], \"transform\": {} }\n",
            ),
            ("add.js", "export const add = (a, b) => a + b;\n"),
            // Top-level await: only an ES module loads.
            (
                "unit/add.test.js",
                "import { expect, test } from '@jest/globals';\nconst { add } = await import('../add.js');\ntest('adds', () => {\n  expect(add(1, 1)).toBe(2);\n});\ntest('adds wrong', () => {\n  expect(add(1, 1)).toBe(3);\n});\n",
            ),
            (
                "other.test.js",
                "test('is not a unit test', () => {\n  expect(1).toBe(2);\n});\n",
            ),
        ],
    );
    let doc = json_run(&root, &["--reruns", "0"], 1);
    assert_eq!(
        summary(&doc),
        ["unit/add.test.js|adds wrong|assertion"],
        "{doc:#}"
    );
    assert_eq!(doc["tests"]["passed"], 1);
    assert!(
        doc["command"]
            .as_str()
            .unwrap()
            .starts_with("NODE_OPTIONS=--experimental-vm-modules npx jest --ci --json"),
        "{}",
        doc["command"]
    );
    assert!(
        doc["command"]
            .as_str()
            .unwrap()
            .contains("--config jest.unit.config.json")
    );

    let doc = json_run(&root, &["--reruns", "1", "--command", "npm test --"], 1);
    assert_eq!(
        doc["command"],
        "npm test -- --ci --json --outputFile=<tmp> --testLocationInResults --coverage=false"
    );
    assert_eq!(
        summary(&doc),
        ["unit/add.test.js|adds wrong|assertion"],
        "{doc:#}"
    );
    // The reruns go through the command too: one rerun of the file, one alone.
    assert_eq!(doc["failures"][0]["reruns"]["inFile"]["runs"], 2);
    assert_eq!(doc["failures"][0]["reruns"]["alone"]["runs"], 1);
}

/// An npm workspace: one run per package that has tests, each with its own runner.
#[test]
fn a_workspace_is_one_run_per_package() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    support::write(
        &root.join("package.json"),
        "{ \"private\": true, \"workspaces\": [\"packages/*\"], \"scripts\": { \"test\": \"npm test --workspaces\" } }\n",
    );
    let (_a_dir, a) = runner_project(
        "jest29",
        &[(
            "math.test.js",
            "test('adds', () => {\n  expect(1 + 1).toBe(3);\n});\n",
        )],
    );
    let (_b_dir, b) = runner_project(
        "vitest3",
        &[(
            "ok.test.js",
            "import { expect, test } from 'vitest';\ntest('ok', () => {\n  expect(1).toBe(1);\n});\n",
        )],
    );
    std::fs::create_dir_all(root.join("packages")).unwrap();
    std::fs::rename(&a, root.join("packages/a")).unwrap();
    std::fs::rename(&b, root.join("packages/b")).unwrap();
    support::write(
        &root.join("packages/docs/package.json"),
        "{ \"scripts\": { \"build\": \"x\" } }\n",
    );

    let doc = json_run(&root, &["--reruns", "0"], 1);
    let packages = doc["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 2, "{doc:#}");
    assert_eq!(packages[0]["runner"]["name"], "jest");
    assert_eq!(summary(&packages[0]), ["math.test.js|adds|assertion"]);
    assert_eq!(packages[1]["runner"]["name"], "vitest");
    assert_eq!(packages[1]["passed"], true);
    assert_eq!(doc["passed"], false);

    let out = dash(&root).args(["test", "--reruns", "0"]).assert().code(1);
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.starts_with("== packages/a ==\npackages/a/math.test.js:1  adds\n"),
        "{text}"
    );
    assert!(text.contains("== packages/b ==\nvitest 3.2"), "{text}");
}

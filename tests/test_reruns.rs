//! `dash test` end to end, beyond one run: a runner that does not exit is ended, reruns
//! tell order-dependent (`leak`) and flaky failures apart, and the suite can be run through
//! the project's own script (`--command`) with the script's flags kept. The runners are
//! the pinned ones of tests/runners (see tests/support/testrun.rs).

use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin_cmd;

mod support;
use support::testrun::{mock_object, runner_project, test_imports};

fn dash(cwd: &Path) -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("dash");
    cmd.current_dir(cwd).env("NO_COLOR", "1");
    cmd
}

fn json_run(root: &Path, args: &[&str], code: i32) -> serde_json::Value {
    let out = dash(root)
        .args(["test", "--format", "json"])
        .args(args)
        .assert()
        .code(code);
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

/// `file|test|class` of each failure.
fn summary(doc: &serde_json::Value) -> Vec<String> {
    doc["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let test: Vec<&str> = f["test"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap())
                .collect();
            format!(
                "{}|{}|{}",
                f["file"].as_str().unwrap_or("-"),
                test.join(" > "),
                f["class"].as_str().unwrap()
            )
        })
        .collect()
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

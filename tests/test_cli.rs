//! `dash test` end to end: projects built in temporary folders from the recorded cases
//! (fixtures/testrun/cases), run with the pinned runners of `tests/runners/<runner>`
//! (installed by `.ci/run`; `DASH_TEST_RUNNERS=<dir>` points elsewhere): without them the
//! tests fail, never skip.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;

mod support;
use support::testrun::{json_run, summary};
use support::write;

fn dash(cwd: &Path) -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("dash");
    cmd.current_dir(cwd).env("NO_COLOR", "1");
    cmd
}

fn runner_node_modules(runner: &str) -> PathBuf {
    let runners = std::env::var_os("DASH_TEST_RUNNERS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/runners"));
    let modules = runners.join(runner).join("node_modules");
    let package = runner.trim_end_matches(|c: char| c.is_ascii_digit());
    assert!(
        modules.join(package).join("package.json").is_file(),
        "{} is missing: run `npm ci --prefix tests/runners/{runner}` (or set DASH_TEST_RUNNERS)",
        modules.display()
    );
    modules
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            write(&target, std::fs::read(entry.path()).unwrap());
        }
    }
}

/// A project with the given cases' files (they do not collide) and the runner installed.
fn project(runner: &str, cases: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap().join("app");
    let kind = runner.trim_end_matches(|c: char| c.is_ascii_digit());
    let sources = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/testrun/cases")
        .join(kind);
    for case in cases {
        copy_dir(&sources.join(case), &root);
    }
    write(
        &root.join("package.json"),
        format!("{{ \"private\": true, \"scripts\": {{ \"test\": \"{kind}\" }} }}\n"),
    );
    std::os::unix::fs::symlink(runner_node_modules(runner), root.join("node_modules")).unwrap();
    (dir, root)
}

const CASES: [&str; 14] = [
    "environment",
    "missing-build",
    "suite-resolution",
    "suite-hoisting",
    "done-callback",
    "timeout",
    "timeout-hook",
    "unhandled",
    "unawaited-assertion",
    "mock-spy-non-function",
    "mock-matcher",
    "assertion",
    "error",
    "leak",
];

/// One project holding a failing test of every class, on each pinned runner.
fn every_class_on(runner: &str) {
    let mut cases = CASES.to_vec();
    if runner.starts_with("jest") {
        cases.push("suite-esm");
    } else {
        cases.push("mock-constructor");
    }
    let (_dir, root) = project(runner, &cases);
    // One rerun is enough to tell the leak (passes alone, fails in its file).
    let doc = json_run(&root, &["--reruns", "1"], 1);
    let mut expected = vec![
        "api.test.js|api > fetches the user|environment",
        "app.test.js||suite",
        "cli.test.js||environment",
        "clock.test.js|reads the real clock|leak",
        "done.test.js|loads the config|done-callback",
        "hook.test.js|after a slow hook|timeout",
        "hoist.test.js||suite",
        "job.test.js|starts the job|unawaited",
        "math.test.js|math > add > adds two numbers|assertion",
        "matcher.test.js|checks a call|mock-misuse",
        "parse.test.js|parses the header|error",
        "reject.test.js|rejects bad input|unawaited",
        "slow.test.js|sync > waits for the queue|timeout",
        "spy.test.js|spies on a value|mock-misuse",
    ];
    if runner.starts_with("jest") {
        expected.push("esm.test.js||suite");
    }
    if runner == "vitest4" {
        expected.push("client.test.js|builds a client|mock-misuse");
    }
    expected.sort();
    assert_eq!(summary(&doc), expected, "{runner}: {doc:#}");
    assert_eq!(doc["version"], 1);
    assert_eq!(
        doc["runner"]["name"],
        runner.trim_end_matches(|c: char| c.is_ascii_digit())
    );
    assert_eq!(doc["counts"]["environment"], 2, "{runner}");
    assert_eq!(doc["passed"], false);
}

#[test]
fn every_class_on_jest29() {
    every_class_on("jest29");
}

#[test]
fn every_class_on_jest30() {
    every_class_on("jest30");
}

#[test]
fn every_class_on_vitest2() {
    every_class_on("vitest2");
}

#[test]
fn every_class_on_vitest3() {
    every_class_on("vitest3");
}

#[test]
fn every_class_on_vitest4() {
    every_class_on("vitest4");
}

/// A test that connects to a localhost port nobody listens on.
fn closed_port_test(runner: &str) -> (tempfile::TempDir, PathBuf, u16) {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let (dir, root) = project(runner, &["assertion"]);
    let import = if runner.starts_with("vitest") {
        "import net from 'node:net';\nimport { expect, test } from 'vitest';\n"
    } else {
        "const net = require('net');\n"
    };
    write(
        &root.join("db.test.js"),
        format!(
            "{import}\ntest('connects to the database', async () => {{\n  await new Promise((resolve, reject) => {{\n    const socket = net.connect({port}, '127.0.0.1', resolve);\n    socket.on('error', reject);\n  }});\n  expect(true).toBe(true);\n}});\n"
        ),
    );
    (dir, root, port)
}

#[test]
fn an_environment_failure_names_host_and_port() {
    for runner in ["jest29", "vitest3"] {
        let (_dir, root, port) = closed_port_test(runner);
        let out = dash(&root).arg("test").assert().code(1);
        let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        let endpoint = format!("127.0.0.1:{port}");
        assert!(
            text.contains(&format!(
                "db.test.js:{}  connects to the database\n  environment: connection refused: {endpoint}\n",
                if runner == "jest29" { 3 } else { 4 }
            )),
            "{runner}: {text}"
        );
        assert!(
            text.contains("2 failures: environment 1, assertion 1"),
            "{text}"
        );
        let doc = json_run(&root, &["--files", "db.test.js"], 1);
        assert_eq!(doc["failures"].as_array().unwrap().len(), 1, "{doc:#}");
        assert_eq!(doc["failures"][0]["endpoint"], endpoint.as_str());
        assert_eq!(doc["tests"]["failed"], 1);
    }
}

#[test]
fn a_passing_suite_exits_0_and_github_annotates_failures() {
    let (_dir, root) = project("jest29", &["assertion"]);
    write(
        &root.join("math.test.js"),
        "const { add } = require('./src/math');\ntest('adds', () => {\n  expect(add(1, 1)).toBe(2);\n});\n",
    );
    let out = dash(&root).arg("test").assert().code(0);
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(
        text,
        "jest 29.7.0: 1 passed, 0 failed, 0 skipped\nno failures\n"
    );

    write(
        &root.join("b.test.js"),
        "test('fails', () => {\n  expect(1).toBe(2);\n});\n",
    );
    let out = dash(&root)
        .args(["test", "--format", "github", "-q"])
        .assert()
        .code(1);
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("::error file=b.test.js,line=1,title=dash test%3A assertion::fails: an assertion failed%0A"),
        "{text}"
    );
    // --files runs only what it names.
    let doc = json_run(&root, &["--files", "math.*"], 0);
    assert_eq!(doc["tests"]["passed"], 1);
    assert_eq!(doc["failures"].as_array().unwrap().len(), 0);
    dash(&root)
        .args(["test", "--files", "nothing/*.js"])
        .assert()
        .code(2);
}

#[test]
fn the_runner_can_be_named() {
    let (_dir, root) = project("vitest3", &["assertion"]);
    // The test script says jest, but only vitest is installed and asked for.
    write(
        &root.join("package.json"),
        "{ \"private\": true, \"scripts\": { \"test\": \"jest\" } }\n",
    );
    dash(&root)
        .arg("test")
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "jest is used by the project but not installed",
        ));
    let doc = json_run(&root, &["--runner", "vitest"], 1);
    assert_eq!(doc["runner"]["name"], "vitest");
    assert_eq!(
        summary(&doc),
        ["math.test.js|math > add > adds two numbers|assertion"]
    );
}

//! `dash test --fix` end to end on projects the tests build in temporary git
//! repositories, run with the pinned runners of tests/runners: per deterministic class a
//! failing test is repaired (proven in the canary, then written) and the suite passes
//! afterwards but for what must stay: an environment failure (reported, its file
//! untouched) and a real assertion failure (left alone). `dash undo` restores the files.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;

mod support;
use support::git;
use support::testrun::runner_project;

fn dash(cwd: &Path) -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("dash");
    cmd.current_dir(cwd).env("NO_COLOR", "1");
    cmd
}

fn cases(runner: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/testrun/cases")
        .join(support::testrun::runner_package(runner))
}

fn case(runner: &str, case: &str, file: &str) -> String {
    std::fs::read_to_string(cases(runner).join(case).join(file)).unwrap()
}

/// A failing test of each deterministic class (done-callback, leak, timeout, suite:
/// mock hoisting), an environment failure and a real assertion failure.
fn project(runner: &str) -> (tempfile::TempDir, PathBuf) {
    let vitest = runner.starts_with("vitest");
    let slow = format!(
        "{}describe('sync', () => {{\n  test('waits for the queue', async () => {{\n    await new Promise((resolve) => setTimeout(resolve, 600));\n  }}, 200);\n  test('stays quick', () => {{\n    expect(1).toBe(1);\n  }});\n}});\n",
        if vitest {
            "import { describe, expect, test } from 'vitest';\n\n"
        } else {
            ""
        }
    );
    // The recorded vitest case calls `done` synchronously, which the rule leaves for a
    // person; this is jest's case (async and `done`), which it repairs.
    let done = if vitest {
        format!(
            "import {{ test }} from 'vitest';\n\n{}",
            case("jest29", "done-callback", "done.test.js")
        )
    } else {
        case(runner, "done-callback", "done.test.js")
    };
    let files = [
        ("done.test.js", done),
        ("clock.test.js", case(runner, "leak", "clock.test.js")),
        (
            "hoist.test.js",
            case(runner, "suite-hoisting", "hoist.test.js"),
        ),
        ("greet.js", case(runner, "suite-hoisting", "greet.js")),
        ("api.test.js", case(runner, "environment", "api.test.js")),
        ("math.test.js", case(runner, "assertion", "math.test.js")),
        ("src/math.js", case(runner, "assertion", "src/math.js")),
        ("slow.test.js", slow),
        (".gitignore", "node_modules\n".to_owned()),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let (dir, root) = runner_project(runner, &files);
    git(&root, &["init", "-q"]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-qm", "failing suite"]);
    (dir, root)
}

fn json(out: &assert_cmd::assert::Assert) -> serde_json::Value {
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

/// `file|tests|kept` of each repair.
fn repairs(doc: &serde_json::Value) -> Vec<String> {
    doc["repairs"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|r| {
                    let tests: Vec<String> = r["tests"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|t| {
                            t.as_array()
                                .unwrap()
                                .iter()
                                .map(|s| s.as_str().unwrap())
                                .collect::<Vec<_>>()
                                .join(" > ")
                        })
                        .collect();
                    format!(
                        "{}|{}|{}",
                        r["file"].as_str().unwrap(),
                        tests.join(";"),
                        r["kept"]
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn classes(doc: &serde_json::Value) -> Vec<String> {
    doc["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}|{}",
                f["file"].as_str().unwrap_or("-"),
                f["class"].as_str().unwrap()
            )
        })
        .collect()
}

fn repairs_every_deterministic_class_on(runner: &str) {
    let (_dir, root) = project(runner);
    let committed = |file: &str| git(&root, &["show", &format!("HEAD:{file}")]);
    let on_disk = |file: &str| std::fs::read_to_string(root.join(file)).unwrap();

    // --fix proves and previews; nothing is written.
    let out = dash(&root)
        .args(["test", "--fix", "--reruns", "2"])
        .assert()
        .code(1);
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("--- a/done.test.js\n+++ b/done.test.js\n"),
        "{runner}: {text}"
    );
    // The raised timeout comes from observed durations, so only its bounds are certain:
    // above the old 200 ms, at most the 60 s cap.
    assert!(text.contains("-  }, 200);\n+  }, "), "{runner}: {text}");
    let raised: u64 = text
        .split("-  }, 200);\n+  }, ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{runner}: no raised timeout in {text}"));
    assert!(
        (201..=60_000).contains(&raised),
        "{runner}: raised to {raised}"
    );
    for file in [
        "done.test.js",
        "clock.test.js",
        "slow.test.js",
        "hoist.test.js",
    ] {
        assert_eq!(
            on_disk(file),
            committed(file),
            "{runner}: --fix wrote {file}"
        );
    }

    let out = dash(&root)
        .args([
            "test", "--fix", "--write", "--reruns", "2", "--format", "json",
        ])
        .assert()
        .code(1);
    let doc = json(&out);
    // mock-factory-hoisting fixes vitest files only: a jest factory is a judgement.
    let vitest = runner.starts_with("vitest");
    assert_eq!(
        repairs(&doc),
        [
            "clock.test.js|reads the real clock|true",
            "done.test.js|loads the config|true",
            &format!("hoist.test.js||{vitest}"),
            "slow.test.js|sync > waits for the queue|true",
        ],
        "{runner}: {doc:#}"
    );
    let timeout = &doc["repairs"][3]["repair"];
    assert!(
        timeout.as_str().unwrap().starts_with("timeout 200 → "),
        "{timeout}"
    );
    // 600 ms of work: the first raise (about 400 ms) still times out in the canary, the
    // next (about 800 ms) holds.
    assert!(
        timeout
            .as_str()
            .unwrap()
            .contains("ms still timed out in the canary)"),
        "{timeout}"
    );
    if !vitest {
        let why = doc["repairs"][2]["reason"].as_str().unwrap();
        assert!(
            why.starts_with("left for a person: mock-factory-hoisting (line 2)"),
            "{why}"
        );
    }
    for repair in doc["repairs"].as_array().unwrap() {
        if repair["kept"] == false {
            continue;
        }
        assert!(
            repair["proof"]
                .as_str()
                .unwrap()
                .starts_with("passed 2 of 2 reruns of its file"),
            "{repair:#}"
        );
    }
    // What must stay, stays: the environment failure and the real assertion failure.
    assert_eq!(on_disk("api.test.js"), committed("api.test.js"));
    assert_eq!(on_disk("math.test.js"), committed("math.test.js"));
    assert!(!on_disk("slow.test.js").contains("}, 200);"));
    assert!(on_disk("clock.test.js").contains("restoreAllMocks()"));
    assert!(!on_disk("done.test.js").contains("done"));

    // Afterwards the suite passes but for those two.
    let out = dash(&root)
        .args(["test", "--format", "json", "--reruns", "0"])
        .assert()
        .code(1);
    let doc = json(&out);
    let mut left = vec!["api.test.js|environment", "math.test.js|assertion"];
    if !vitest {
        left.insert(1, "hoist.test.js|suite");
    }
    assert_eq!(classes(&doc), left, "{runner}: {doc:#}");
    assert_eq!(doc["tests"]["failed"], 2);

    // The write was journaled: `dash undo` restores every file.
    dash(&root).arg("undo").assert().success();
    for file in [
        "done.test.js",
        "clock.test.js",
        "slow.test.js",
        "hoist.test.js",
    ] {
        assert_eq!(on_disk(file), committed(file), "{runner}: undo of {file}");
    }
}

#[test]
fn repairs_every_deterministic_class_on_jest29() {
    repairs_every_deterministic_class_on("jest29");
}

#[test]
fn repairs_every_deterministic_class_on_vitest3() {
    repairs_every_deterministic_class_on("vitest3");
}

/// A candidate that does not make its test pass is rolled back with the reason: adding
/// the missing `await` shows the assertion is really wrong, which no repair may hide.
#[test]
fn an_unproven_repair_is_rolled_back_with_the_reason() {
    let (_dir, root) = runner_project(
        "jest29",
        &[(
            "reject.test.js",
            "test('rejects bad input', () => {\n  expect(Promise.resolve(42)).rejects.toThrow();\n});\n\ntest('a later test', async () => {\n  await new Promise((resolve) => setTimeout(resolve, 20));\n  expect(1).toBe(1);\n});\n",
        )],
    );
    let before = std::fs::read_to_string(root.join("reject.test.js")).unwrap();
    let out = dash(&root)
        .args([
            "test", "--fix", "--write", "--reruns", "1", "--format", "json",
        ])
        .assert()
        .code(1);
    let doc = json(&out);
    assert_eq!(
        repairs(&doc),
        ["reject.test.js|rejects bad input|false"],
        "{doc:#}"
    );
    let repair = &doc["repairs"][0];
    assert_eq!(repair["repair"], "await-async-expect");
    assert!(
        repair["reason"]
            .as_str()
            .unwrap()
            .starts_with("\"rejects bad input\" still fails (assertion"),
        "{repair:#}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("reject.test.js")).unwrap(),
        before
    );
}

/// A timeout in a file with an environment failure is that environment failure: no
/// timeout is raised, and the file is left whole.
#[test]
fn an_environment_failure_is_never_repaired() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let text = format!(
        "const net = require('net');\n\ntest('connects', async () => {{\n  await new Promise((resolve, reject) => {{\n    const socket = net.connect({port}, '127.0.0.1', resolve);\n    socket.on('error', reject);\n  }});\n}});\n\ntest('waits for the server', async () => {{\n  await new Promise((resolve) => setTimeout(resolve, 300));\n}}, 200);\n"
    );
    let (_dir, root) = runner_project("jest29", &[("db.test.js", &text)]);
    let out = dash(&root)
        .args([
            "test", "--fix", "--write", "--reruns", "1", "--format", "json",
        ])
        .assert()
        .code(1);
    let doc = json(&out);
    assert_eq!(doc["counts"]["environment"], 2, "{doc:#}");
    assert!(doc.get("repairs").is_none(), "{doc:#}");
    assert_eq!(
        std::fs::read_to_string(root.join("db.test.js")).unwrap(),
        text
    );
}

/// When every failure is repaired, `--fix --write` exits 0 and the suite passes.
#[test]
fn a_fully_repaired_suite_exits_0() {
    let (_dir, root) = runner_project(
        "vitest4",
        &[("clock.test.js", &case("vitest4", "leak", "clock.test.js"))],
    );
    dash(&root)
        .args(["test", "--fix", "--write", "--reruns", "2"])
        .assert()
        .code(0)
        .stdout(predicates::str::contains(
            "repairs: 1 proven, 0 not; 0 failures left\nwrote 1 file (outside git: not journaled)\n",
        ));
    dash(&root).arg("test").assert().code(0);
}

/// `await result` replaced by an un-awaited `.resolves` (the fault the benchmark injects
/// into commander): the next assertion runs before the promise settled and fails as a
/// plain assertion. dash names the un-awaited line, awaits it in the canary, keeps it.
#[test]
fn an_assertion_run_before_an_unawaited_resolves_settled_is_repaired() {
    let text = "test('queues then runs', async () => {\n  const calls = [];\n  const run = new Promise((resolve) => setTimeout(() => { calls.push('run'); resolve(calls.length); }, 20));\n  expect(run).resolves.toBe(1);\n  expect(calls).toEqual(['run']);\n});\n\ntest('a real bug stays', () => {\n  expect(1 + 1).toBe(3);\n});\n";
    let (_dir, root) = runner_project("jest29", &[("queue.test.js", text)]);
    let out = dash(&root)
        .args([
            "test", "--fix", "--write", "--reruns", "2", "--format", "json",
        ])
        .assert()
        .code(1);
    let doc = json(&out);
    assert_eq!(
        classes(&doc),
        ["queue.test.js|unawaited", "queue.test.js|assertion"],
        "{doc:#}"
    );
    let reason = doc["failures"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("not awaited (line 4)"), "{reason}");
    assert_eq!(
        repairs(&doc),
        ["queue.test.js|queues then runs|true"],
        "{doc:#}"
    );
    let after = std::fs::read_to_string(root.join("queue.test.js")).unwrap();
    assert!(
        after.contains("  await expect(run).resolves.toBe(1);\n"),
        "{after}"
    );
    assert!(after.contains("expect(1 + 1).toBe(3);"), "{after}");
}

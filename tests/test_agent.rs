//! `dash test --fix --agent` end to end on small jest 29 projects (tests/runners/jest29)
//! with a scripted local model (wiremock): a failure no rule repairs goes to the agent
//! with its evidence; the agent's edit is proven in the canary like a rule's repair
//! (kept and previewed as the agent's, written only with `--write --unsafe-fixes`, after
//! which the suite passes), a wrong edit is rolled back with the reason, an environment
//! failure is never sent, a task that hits a limit is reported while the others go on,
//! and the key never appears in the output.

mod agent_support;
mod support;

use std::path::{Path, PathBuf};

use agent_support::{Format, Step, serve};
use serde_json::json;
use support::git;
use support::testrun::runner_project;
use wiremock::MockServer;

const SECRET: &str = "sk-SECRET-test-agent-key-123456789";

const MATH: &str = "exports.add = (a, b) => a - b;\n";
const MATH_TEST: &str = "const { add } = require('./src/math');\n\ndescribe('math', () => {\n  test('adds two numbers', () => {\n    expect(add(1, 2)).toBe(3);\n  });\n  test('adds zero', () => {\n    expect(add(2, 0)).toBe(2);\n  });\n});\n";
/// Fails because the server is not there: an environment failure.
const API_TEST: &str = "const http = require('http');\n\nfunction getStatus(url) {\n  return new Promise((resolve, reject) => {\n    http.get(url, (res) => resolve(res.statusCode)).on('error', reject);\n  });\n}\n\ndescribe('api', () => {\n  test('fetches the user', async () => {\n    const status = await getStatus('http://127.0.0.1:1/user');\n    expect(status).toBe(200);\n  });\n});\n";
/// A test that imports a name the module does not export: the test's own mistake.
const STR_TEST: &str = "const { Shout } = require('./src/str');\n\ntest('shouts', () => {\n  expect(Shout('hi')).toBe('HI!');\n});\n";
const STR: &str = "exports.shout = (s) => s.toUpperCase() + '!';\n";

fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let mut all = files.to_vec();
    all.push((".gitignore", "node_modules\n"));
    let (dir, root) = runner_project("jest29", &all);
    git(&root, &["init", "-q"]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-qm", "failing suite"]);
    (dir, root)
}

fn dash(root: &Path) -> assert_cmd::Command {
    support::isolated_dash(root)
}

/// `dash test --fix --agent` against `server` in `format`, 2 reruns.
fn test_agent(
    root: &Path,
    format: Format,
    server: &MockServer,
    extra: &[&str],
) -> assert_cmd::Command {
    let (model, api) = format.model();
    let mut cmd = dash(root);
    cmd.env(format.key_var(), SECRET)
        .args(["test", "--fix", "--reruns", "2", "--agent", model])
        .args(["--api", api, "--idle-timeout", "10", "--base-url"])
        .arg(server.uri())
        .args(extra);
    cmd
}

async fn run(mut cmd: assert_cmd::Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn requests(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| text(&r.body))
        .collect()
}

fn no_key(out: &std::process::Output) {
    for s in [text(&out.stdout), text(&out.stderr)] {
        assert!(!s.contains(SECRET), "the key was printed: {s}");
    }
}

/// The agent reads the test, fixes `add` in src/math.js and says so.
fn good_fix() -> Vec<Step> {
    vec![
        Step::Calls(vec![(
            "call_1",
            "read_file",
            json!({"path": "math.test.js"}),
        )]),
        Step::Calls(vec![(
            "call_2",
            "edit_file",
            json!({"path": "src/math.js", "old_text": "a - b", "new_text": "a + b"}),
        )]),
        Step::Text("add subtracted instead of adding; it now adds."),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_proven_agent_repair_is_previewed_as_the_agents_and_written_only_with_unsafe_fixes() {
    let (_dir, root) = project(&[("src/math.js", MATH), ("math.test.js", MATH_TEST)]);
    let format = Format::Completions;
    let label = format!("agent ({})", format.model().0);

    // --fix --agent: proven in the canary, previewed, nothing written.
    let server = serve(format, &good_fix()).await;
    let out = run(test_agent(&root, format, &server, &[])).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "--- a/src/math.js\n+++ b/src/math.js\n@@ -1,1 +1,1 @@ {label}\n-exports.add = (a, b) => a - b;\n+exports.add = (a, b) => a + b;\n"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "repaired: math.test.js  math › adds two numbers\n  repair: {label} edits src/math.js: add subtracted instead of adding; it now adds.\n  proof: passed 2 of 2 reruns of the whole suite; 1 test that passed before still passes"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("agent repairs in 1 file: src/math.js (unsafe: in the preview;"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("src/math.js")).unwrap(),
        MATH
    );
    // One task: the failure with its evidence and place.
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert!(
        sent[0].contains("A test fails in math.test.js (jest 29.")
            && sent[0].contains("Test: math › adds two numbers")
            && sent[0].contains("Line: 4")
            && sent[0].contains("Class: assertion")
            && sent[0].contains("Expected: 3")
            && sent[0].contains("expect(add(1, 2)).toBe(3);"),
        "{}",
        sent[0]
    );
    no_key(&out);

    // JSON names the repair as the agent's.
    let server = serve(format, &good_fix()).await;
    let out = run(test_agent(&root, format, &server, &["--format", "json"])).await;
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let repair = &doc["repairs"][0];
    assert_eq!(repair["agent"], format.model().0, "{doc}");
    assert_eq!(repair["kept"], true, "{doc}");
    assert_eq!(
        repair["tests"],
        json!([["math", "adds two numbers"]]),
        "{doc}"
    );

    // --write without --unsafe-fixes: not written, and said so.
    let server = serve(format, &good_fix()).await;
    let out = run(test_agent(&root, format, &server, &["--write"])).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("agent repairs in 1 file: src/math.js (unsafe: not written;"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("src/math.js")).unwrap(),
        MATH
    );

    // --write --unsafe-fixes: written, every failure repaired (exit 0), the suite passes.
    let server = serve(format, &good_fix()).await;
    let out = run(test_agent(
        &root,
        format,
        &server,
        &["--write", "--unsafe-fixes"],
    ))
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("wrote 1 file (`dash undo` restores them)"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("src/math.js")).unwrap(),
        "exports.add = (a, b) => a + b;\n"
    );
    no_key(&out);
    let out = dash(&root)
        .args(["test", "--reruns", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("no failures"),
        "{}",
        text(&out.stdout)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_edit_is_rolled_back_and_an_environment_failure_is_never_sent() {
    let (_dir, root) = project(&[
        ("src/math.js", MATH),
        ("math.test.js", MATH_TEST),
        ("api.test.js", API_TEST),
    ]);
    let format = Format::Anthropic;
    // The edit makes the target pass and breaks the test that passed.
    let server = serve(
        format,
        &[
            Step::Calls(vec![(
                "toolu_1",
                "edit_file",
                json!({"path": "src/math.js", "old_text": "(a, b) => a - b", "new_text": "() => 3"}),
            )]),
            Step::Text("add returns 3 now."),
        ],
    )
    .await;
    let out = run(test_agent(
        &root,
        format,
        &server,
        &["--write", "--unsafe-fixes"],
    ))
    .await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(
            "not repaired: math.test.js  math › adds two numbers\n  repair: agent (anthropic/claude-sonnet-4-5) edits src/math.js: add returns 3 now.\n  why: rolled back: it breaks a test that passed before: \"math › adds zero\" (math.test.js) still fails (assertion"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("wrote 0 files"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(root.join("src/math.js")).unwrap(),
        MATH
    );
    // The environment failure is reported and no task was sent for it: the two
    // requests are the assertion's task.
    assert!(
        stdout.contains("api.test.js:10  api › fetches the user\n  environment:"),
        "{stdout}"
    );
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    for body in &sent {
        assert!(
            !body.contains("fetches the user") && !body.contains("A test fails in api.test.js"),
            "{body}"
        );
    }
    assert!(
        sent[0].contains("A test fails in math.test.js"),
        "{}",
        sent[0]
    );
    no_key(&out);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_that_hits_a_limit_is_reported_and_the_next_is_proven_in_its_file() {
    let (_dir, root) = project(&[
        ("src/math.js", MATH),
        ("math.test.js", MATH_TEST),
        ("src/str.js", STR),
        ("str.test.js", STR_TEST),
    ]);
    let format = Format::Responses;
    // Task 1 (math.test.js) reads twice and reaches --max-turns 2; task 2 (str.test.js)
    // fixes the test's import.
    let server = serve(
        format,
        &[
            Step::Calls(vec![("call_1", "read_file", json!({"path": "math.test.js"}))]),
            Step::Calls(vec![("call_2", "read_file", json!({"path": "src/math.js"}))]),
            Step::Calls(vec![(
                "call_3",
                "edit_file",
                json!({"path": "str.test.js", "old_text": "const { Shout }", "new_text": "const { shout: Shout }"}),
            )]),
            Step::Text("The module exports shout, not Shout."),
        ],
    )
    .await;
    let out = run(test_agent(&root, format, &server, &["--max-turns", "2"])).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("not repaired: math.test.js  math › adds two numbers\n  repair: agent (openai/gpt-5)\n  why: the agent's task did not finish (stopped:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("repaired: str.test.js  shouts\n  repair: agent (openai/gpt-5) edits str.test.js: The module exports shout, not Shout.\n  proof: passed 2 of 2 reruns of its file, in the file's order; 0 tests that passed before still pass"),
        "{stdout}"
    );
    assert!(
        stdout.contains("-const { Shout } = require('./src/str');\n+const { shout: Shout } = require('./src/str');\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("+++ b/src/math.js"), "{stdout}");
    assert_eq!(requests(&server).await.len(), 4);
    no_key(&out);
}

#[test]
fn a_missing_key_stops_before_the_suite_runs() {
    let (_dir, root) = project(&[("src/math.js", MATH), ("math.test.js", MATH_TEST)]);
    let out = dash(&root)
        .args(["test", "--agent", "anthropic/claude-sonnet-4-5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("ANTHROPIC_API_KEY"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).is_empty(), "{}", text(&out.stdout));
}

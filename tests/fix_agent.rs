//! `dash fix --agent` end to end: the findings the rules leave as "needs judgement"
//! handed to an agent on a scripted local model (wiremock, several wire formats); its
//! edits in the preview marked as the agent's, unsafe (written only with
//! `--unsafe-fixes`), combined with the rules' fixes of the same file, dropped on a
//! conflict, confined to the repository, and undone by `dash undo`.

mod agent_support;
mod support;

use std::path::Path;

use agent_support::{ALL, Format, Step, serve};
use serde_json::{Value, json};
use support::{git, write};
use wiremock::MockServer;

const SECRET: &str = "sk-SECRET-fix-agent-key-987654321";

/// A console.trace (needs judgement) far from a console.log (a safe rewrite).
const SERVER: &str = "export function boom(): void {\n  console.trace('here');\n}\n\n\
// padding\n// padding\n// padding\n\nexport function start(): void {\n  console.log('start');\n}\n";
/// A console.trace alone: nothing for the rules to fix.
const TRACE: &str = "export function only(): void {\n  console.trace('only');\n}\n";

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("package.json"),
        "{ \"name\": \"p\", \"type\": \"module\" }\n",
    );
    write(&root.join("src/server.ts"), SERVER);
    write(&root.join("src/trace.ts"), TRACE);
    write(&root.join(".gitignore"), "*.patch\n");
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "init"]);
    dir
}

fn dash(dir: &Path) -> assert_cmd::Command {
    support::isolated_dash(dir)
}

/// `dash fix --agent` against `server` in `format`, on the files named.
fn fix(
    dir: &Path,
    format: Format,
    server: &MockServer,
    extra: &[&str],
    files: &[&str],
) -> assert_cmd::Command {
    let (model, api) = format.model();
    let mut cmd = dash(dir);
    cmd.env(format.key_var(), SECRET)
        .args(["fix", "--agent", model, "--api", api, "--base-url"])
        .arg(server.uri())
        .args(["--idle-timeout", "10"])
        .args(extra)
        .args(files);
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

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap()
}

/// The agent's task on src/server.ts: read it, replace the trace, answer.
fn trace_steps(file: &'static str, old: &'static str, new: &'static str) -> Vec<Step> {
    vec![
        Step::Calls(vec![("call_1", "read_file", json!({"path": file}))]),
        Step::Calls(vec![(
            "call_2",
            "edit_file",
            json!({"path": file, "old_text": old, "new_text": new}),
        )]),
        Step::Text("Replaced console.trace with an error that keeps the stack."),
    ]
}

const OLD: &str = "console.trace('here');";
const NEW: &str = "console.error(new Error('here'));";

#[tokio::test(flavor = "multi_thread")]
async fn the_agent_edit_is_previewed_as_the_agents_and_written_only_with_unsafe_fixes() {
    for format in ALL {
        let dir = repo();
        let server = serve(format, &trace_steps("src/server.ts", OLD, NEW)).await;
        // The preview: the rules' rewrite and the agent's edit, each hunk named.
        let out = run(fix(dir.path(), format, &server, &[], &["src/server.ts"])).await;
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{format:?}: {stdout}\n{stderr}");
        let (model, _) = format.model();
        let label = format!("agent ({model})");
        // The rules' import and the agent's edit share the first hunk; the rewrite is
        // the second's.
        assert!(
            stdout.contains(&format!("@@ -1,5 +1,7 @@ import, {label}\n"))
                && stdout
                    .contains("-  console.trace('here');\n+  console.error(new Error('here'));\n")
                && stdout.contains("@@ -7,5 +9,5 @@ console\n"),
            "{format:?}: {stdout}"
        );
        assert!(stdout.contains("+  logger.info('start');"), "{stdout}");
        assert!(
            stdout.contains(&format!(
                "{label} (edits for findings that need judgement, unsafe)"
            )),
            "{stdout}"
        );
        assert!(
            stdout.contains(
                "agent edits in 1 file: src/server.ts (unsafe: in the preview, not written"
            ),
            "{stdout}"
        );
        // The task carried the file, the line and the rule's reason.
        let sent: Vec<String> = server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .map(|r| text(&r.body))
            .collect();
        assert_eq!(sent.len(), 3, "{format:?}");
        assert!(
            sent[0].contains("Finding in src/server.ts, line 2, column 3: rule `console`")
                && sent[0].contains("console.trace always prints a stack"),
            "{format:?}: {}",
            sent[0]
        );
        assert_eq!(read(dir.path(), "src/server.ts"), SERVER);
        for s in [&stdout, &stderr] {
            assert!(!s.contains(SECRET), "{format:?}: the key was printed");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn write_without_unsafe_fixes_leaves_the_agent_edit_and_with_it_dash_undo_reverts_it() {
    for format in [Format::Anthropic, Format::Completions] {
        let dir = repo();
        let server = serve(format, &trace_steps("src/server.ts", OLD, NEW)).await;
        let out = run(fix(
            dir.path(),
            format,
            &server,
            &["--write"],
            &["src/server.ts"],
        ))
        .await;
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
        let written = read(dir.path(), "src/server.ts");
        assert!(written.contains("logger.info('start')"), "{written}");
        assert!(
            written.contains(OLD),
            "{format:?}: the agent's edit was written"
        );
        assert!(stdout.contains("not written"), "{stdout}");
        dash(dir.path()).arg("undo").assert().success();
        assert_eq!(read(dir.path(), "src/server.ts"), SERVER);
        git(dir.path(), &["clean", "-fdq"]);

        let server = serve(format, &trace_steps("src/server.ts", OLD, NEW)).await;
        let out = run(fix(
            dir.path(),
            format,
            &server,
            &["--write", "--unsafe-fixes"],
            &["src/server.ts"],
        ))
        .await;
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
        let written = read(dir.path(), "src/server.ts");
        assert!(
            written.contains(NEW) && written.contains("logger.info('start')"),
            "{format:?}: {written}"
        );
        assert!(stdout.contains("written with --unsafe-fixes"), "{stdout}");
        // One write, one journal entry: dash undo restores both changes.
        dash(dir.path()).arg("undo").assert().success();
        assert_eq!(read(dir.path(), "src/server.ts"), SERVER);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_patch_holds_the_agent_edit_with_unsafe_fixes_and_git_applies_it() {
    let dir = repo();
    let format = Format::Responses;
    let server = serve(
        format,
        &trace_steps(
            "src/trace.ts",
            "console.trace('only');",
            "console.error(new Error('only'));",
        ),
    )
    .await;
    let out = run(fix(
        dir.path(),
        format,
        &server,
        &["--diff", "--unsafe-fixes"],
        &["src/trace.ts"],
    ))
    .await;
    let patch = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        patch.starts_with("diff --git a/src/trace.ts b/src/trace.ts\n")
            && patch.contains("+  console.error(new Error('only'));\n"),
        "{patch}"
    );
    std::fs::write(dir.path().join("fix.patch"), &patch).unwrap();
    git(dir.path(), &["apply", "--check", "fix.patch"]);
    // Without --unsafe-fixes the patch leaves the agent's edit out (it is what --write
    // would write).
    let server = serve(
        format,
        &trace_steps(
            "src/trace.ts",
            "console.trace('only');",
            "console.error(new Error('only'));",
        ),
    )
    .await;
    let out = run(fix(
        dir.path(),
        format,
        &server,
        &["--diff"],
        &["src/trace.ts"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "");
    assert!(
        text(&out.stderr).contains("not written"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_edit_touching_a_rule_fix_is_dropped_with_a_message() {
    let dir = repo();
    // The agent edits the line next to the one the rules rewrite.
    let server = serve(
        Format::Gemini,
        &trace_steps(
            "src/server.ts",
            "export function start(): void {",
            "export function start(): void { // traced",
        ),
    )
    .await;
    let out = run(fix(
        dir.path(),
        Format::Gemini,
        &server,
        &["--format", "json", "--unsafe-fixes"],
        &["src/server.ts"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let agent = &summary["agent"];
    assert_eq!(agent["files"], json!([]), "{agent}");
    assert_eq!(agent["dropped"][0]["path"], "src/server.ts");
    assert!(
        agent["dropped"][0]["message"]
            .as_str()
            .unwrap()
            .contains("both change lines"),
        "{agent}"
    );
    assert_eq!(agent["tasks"][0]["outcome"], "finished");
    // The rules' fix stands alone.
    assert_eq!(summary["filesChanged"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn edits_outside_the_repository_are_refused_and_nothing_outside_is_written() {
    let dir = repo();
    let outside = tempfile::tempdir().unwrap();
    write(&outside.path().join("victim.ts"), "console.trace('x');\n");
    std::os::unix::fs::symlink(outside.path(), dir.path().join("linked")).unwrap();
    let escape = format!("{}/victim.ts", outside.path().display());
    let steps = vec![
        Step::Calls(vec![
            (
                "call_1",
                "edit_file",
                json!({"path": "../victim.ts", "old_text": "x", "new_text": "y"}),
            ),
            (
                "call_2",
                "write_file",
                json!({"path": escape, "content": "pwned\n"}),
            ),
            (
                "call_3",
                "edit_file",
                json!({"path": "linked/victim.ts", "old_text": "console.trace('x');", "new_text": "pwned"}),
            ),
        ]),
        Step::Text("Could not."),
    ];
    let server = serve(Format::Completions, &steps).await;
    let out = run(fix(
        dir.path(),
        Format::Completions,
        &server,
        &[
            "--write",
            "--unsafe-fixes",
            "--allow-dirty",
            "--format",
            "json",
        ],
        &["src/trace.ts"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["agent"]["files"], json!([]), "{summary}");
    assert_eq!(
        std::fs::read_to_string(outside.path().join("victim.ts")).unwrap(),
        "console.trace('x');\n"
    );
    // Each attempt came back to the model as an error result.
    let sent = server.received_requests().await.unwrap();
    let last = text(&sent.last().unwrap().body);
    assert_eq!(last.matches("\"refused: ").count(), 3, "{last}");
    assert_eq!(read(dir.path(), "src/trace.ts"), TRACE);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_that_hits_its_turn_limit_is_reported_and_the_next_one_runs() {
    let dir = repo();
    // Task 1 (src/server.ts) reads forever; with --max-turns 2 it stops after two
    // replies, its edits dropped. Task 2 (src/trace.ts) reads, edits and finishes.
    let read_server = Step::Calls(vec![(
        "r",
        "edit_file",
        json!({"path": "src/server.ts", "old_text": OLD, "new_text": NEW}),
    )]);
    let steps = vec![
        read_server.clone(),
        read_server,
        Step::Calls(vec![(
            "e",
            "edit_file",
            json!({"path": "src/trace.ts", "old_text": "console.trace('only');", "new_text": "console.error(new Error('only'));"}),
        )]),
        Step::Text("Done."),
    ];
    let server = serve(Format::Anthropic, &steps).await;
    let out = run(fix(
        dir.path(),
        Format::Anthropic,
        &server,
        &["--max-turns", "2", "--format", "json"],
        &[],
    ))
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let tasks = summary["agent"]["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2, "{summary}");
    assert_eq!(tasks[0]["path"], "src/server.ts");
    assert_eq!(tasks[0]["outcome"], "limit");
    assert!(
        tasks[0]["error"]
            .as_str()
            .unwrap()
            .contains("--max-turns 2"),
        "{summary}"
    );
    assert_eq!(tasks[1]["path"], "src/trace.ts");
    assert_eq!(tasks[1]["outcome"], "finished");
    assert_eq!(
        summary["agent"]["files"],
        json!(["src/trace.ts"]),
        "{summary}"
    );
    assert!(!text(&out.stderr).contains(SECRET));
}

#[test]
fn a_missing_key_is_a_usage_error_before_any_call() {
    let dir = repo();
    let out = dash(dir.path())
        .args(["fix", "--agent", "openai/gpt-5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("OPENAI_API_KEY"),
        "{}",
        text(&out.stderr)
    );
    // The agent's options need --agent.
    let out = dash(dir.path())
        .args(["fix", "--max-turns", "3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_judgements_tool_sees_the_finding_and_then_the_agents_edit() {
    let dir = repo();
    let steps = vec![
        Step::Calls(vec![("j1", "judgements", json!({"path": "src"}))]),
        Step::Calls(vec![(
            "e",
            "edit_file",
            json!({"path": "src/trace.ts", "old_text": "console.trace('only');",
                "new_text": "console.error(new Error('only'));"}),
        )]),
        Step::Calls(vec![
            ("j2", "judgements", json!({"path": "src/trace.ts"})),
            ("s", "scan", json!({})),
        ]),
        Step::Text("Done."),
    ];
    let server = serve(Format::Responses, &steps).await;
    let out = run(fix(
        dir.path(),
        Format::Responses,
        &server,
        &[],
        &["src/trace.ts"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let sent: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| text(&r.body))
        .collect();
    assert_eq!(sent.len(), 4);
    assert!(sent[0].contains("\"name\":\"judgements\"") && sent[0].contains("\"name\":\"scan\""));
    // Both files' traces, as on disk.
    assert!(
        sent[1].contains("src/server.ts:2:3 console (trace): needs judgement: console.trace always prints a stack")
            && sent[1].contains("src/trace.ts:2:3 console (trace): needs judgement"),
        "{}",
        sent[1]
    );
    // After the (collected, unwritten) edit: nothing left in src/trace.ts, and scan
    // lists the rest of the repository with what dash fix does.
    assert!(sent[3].contains("(nothing needs judgement)"), "{}", sent[3]);
    assert!(
        sent[3].contains("src/server.ts:10:3 console (log): fix: rewrite"),
        "{}",
        sent[3]
    );
    assert!(
        sent[3].contains("src/trace.ts:2:3 console (error): fix: rewrite"),
        "{}",
        sent[3]
    );
    assert_eq!(read(dir.path(), "src/trace.ts"), TRACE);
}

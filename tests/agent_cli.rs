//! `dash agent` as a user runs it, against scripted local model servers in each wire
//! format: read → edit → done in suggest mode (the diff `git apply` accepts, the
//! `--events` contract), confinement attempts, ambiguous edits, refused commands,
//! auto-edit writes that `dash undo` restores, limits (exit 1, `--save`, `--resume` on
//! another provider), steering from stdin, and the key kept out of every output.

mod agent_support;
mod support;

use std::path::Path;

use agent_support::{ALL, Format, Step, serve};
use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::{Value, json};
use support::{git, write};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "sk-ant-SECRET-agent-key-123456789";
const ORIGINAL: &str = "export const greet = () => 'hello';\nexport const bye = () => 'bye';\n";

/// A git repository with one committed source file.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    write(&dir.path().join("src/greet.ts"), ORIGINAL);
    write(&dir.path().join(".gitignore"), "*.json\nran.txt\nstarted\n");
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "init"]);
    dir
}

/// `dash agent` against `server` in `format`, isolated from the user's environment.
fn agent(dir: &Path, format: Format, server: &MockServer, extra: &[&str]) -> assert_cmd::Command {
    let (model, api) = format.model();
    let mut cmd = support::isolated_dash(dir);
    cmd.env(format.key_var(), SECRET).args([
        "agent",
        "--model",
        model,
        "--api",
        api,
        "--base-url",
        &server.uri(),
    ]);
    if !extra.contains(&"--idle-timeout") {
        cmd.args(["--idle-timeout", "10"]);
    }
    cmd.args(extra);
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

fn events(stdout: &[u8]) -> Vec<Value> {
    text(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The tool_execution_end events, as (toolName, isError, result).
fn tool_ends(events: &[Value]) -> Vec<(String, bool, String)> {
    events
        .iter()
        .filter(|e| e["type"] == "tool_execution_end")
        .map(|e| {
            (
                e["toolName"].as_str().unwrap().to_owned(),
                e["isError"].as_bool().unwrap(),
                e["result"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn bodies(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| text(&r.body))
        .collect()
}

fn read_edit_done() -> Vec<Step> {
    vec![
        Step::Calls(vec![(
            "call_1",
            "read_file",
            json!({"path": "src/greet.ts"}),
        )]),
        Step::Calls(vec![(
            "call_2",
            "edit_file",
            json!({"path": "src/greet.ts", "old_text": "'hello'", "new_text": "'hello, world'"}),
        )]),
        Step::Text("Changed the greeting."),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn suggest_mode_prints_one_diff_git_applies_in_all_four_formats() {
    for format in ALL {
        let dir = repo();
        let server = serve(format, &read_edit_done()).await;
        let out = run(agent(dir.path(), format, &server, &["change the greeting"])).await;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{format:?}: {stderr}");
        let diff = text(&out.stdout);
        assert!(
            diff.starts_with("diff --git a/src/greet.ts b/src/greet.ts\n")
                && diff.contains("-export const greet = () => 'hello';\n+export const greet = () => 'hello, world';\n"),
            "{format:?}: {diff}"
        );
        // The assistant's text and tool activity went to stderr.
        assert!(stderr.contains("Changed the greeting."), "{stderr}");
        assert!(stderr.contains("→ edit_file"), "{stderr}");
        // Nothing was written; the diff applies.
        assert_eq!(
            std::fs::read_to_string(dir.path().join("src/greet.ts")).unwrap(),
            ORIGINAL
        );
        std::fs::write(dir.path().join("fix.patch.json"), &diff).unwrap();
        git(dir.path(), &["apply", "fix.patch.json"]);
        assert!(
            std::fs::read_to_string(dir.path().join("src/greet.ts"))
                .unwrap()
                .contains("'hello, world'")
        );
        // The model saw the file's text as it is, and the six tools.
        let sent = bodies(&server).await;
        assert_eq!(sent.len(), 3, "{format:?}");
        assert!(
            sent[1].contains("export const greet = () => 'hello';"),
            "{format:?}: {}",
            sent[1]
        );
        for tool in [
            "read_file",
            "list_files",
            "search",
            "edit_file",
            "write_file",
            "run_command",
        ] {
            assert!(sent[0].contains(tool), "{format:?}: {tool}");
        }
        for s in [diff, stderr] {
            assert!(!s.contains(SECRET));
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn events_are_ndjson_from_agent_start_to_agent_end_with_the_diff() {
    let dir = repo();
    let server = serve(Format::Completions, &read_edit_done()).await;
    let out = run(agent(
        dir.path(),
        Format::Completions,
        &server,
        &["--events", "change the greeting"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let events = events(&out.stdout);
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types.first(), Some(&"agent_start"));
    assert_eq!(types.last(), Some(&"agent_end"));
    assert_eq!(types.iter().filter(|t| **t == "turn_start").count(), 3);
    assert_eq!(types.iter().filter(|t| **t == "turn_end").count(), 3);
    for t in ["message_start", "message_update", "message_end"] {
        assert!(types.contains(&t), "{t}: {types:?}");
    }
    let starts: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "tool_execution_start")
        .collect();
    assert_eq!(starts.len(), 2);
    assert_eq!(starts[0]["toolName"], "read_file");
    assert_eq!(starts[0]["toolCallId"], "call_1");
    assert_eq!(
        tool_ends(&events)
            .iter()
            .map(|(n, e, _)| (n.as_str(), *e))
            .collect::<Vec<_>>(),
        [("read_file", false), ("edit_file", false)]
    );
    let end = events.last().unwrap();
    assert_eq!(end["outcome"], "finished");
    assert!(
        end["diff"]
            .as_str()
            .unwrap()
            .contains("+export const greet = () => 'hello, world';")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn escapes_are_refused_and_nothing_outside_is_read_or_written() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "OUTSIDE-CONTENT\n").unwrap();
    let dir = repo();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        dir.path().join("link_file"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("link_dir")).unwrap();
    let abs = outside
        .path()
        .join("secret.txt")
        .to_str()
        .unwrap()
        .to_owned();
    let abs: &'static str = Box::leak(abs.into_boxed_str());
    let steps = vec![
        Step::Calls(vec![
            ("c1", "read_file", json!({"path": "../secret.txt"})),
            ("c2", "read_file", json!({"path": abs})),
            ("c3", "read_file", json!({"path": "link_file"})),
            ("c4", "list_files", json!({"path": "link_dir"})),
            (
                "c5",
                "write_file",
                json!({"path": "link_dir/new.txt", "content": "x"}),
            ),
            (
                "c6",
                "edit_file",
                json!({"path": "link_file", "old_text": "OUTSIDE", "new_text": "x"}),
            ),
            ("c7", "search", json!({"pattern": "OUTSIDE"})),
            ("c8", "list_files", json!({})),
        ]),
        Step::Text("Done."),
    ];
    for format in [Format::Anthropic, Format::Gemini] {
        let server = serve(format, &steps).await;
        let saved = dir.path().join("session.json");
        let out = run(agent(
            dir.path(),
            format,
            &server,
            &["--events", "--save", saved.to_str().unwrap(), "look around"],
        ))
        .await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let ends = tool_ends(&events(&out.stdout));
        assert_eq!(ends.len(), 8);
        for (name, is_error, result) in &ends[..6] {
            assert!(is_error, "{name}: {result}");
            assert!(result.starts_with("refused"), "{name}: {result}");
        }
        assert_eq!(ends[6], ("search".into(), false, "(no matches)".into()));
        assert!(!ends[7].1 && !ends[7].2.contains("link_"), "{}", ends[7].2);
        assert!(!outside.path().join("new.txt").exists());
        let saved = std::fs::read_to_string(&saved).unwrap();
        let sent = bodies(&server).await.join("\n");
        for s in [text(&out.stdout), saved, sent.clone()] {
            assert!(!s.contains("OUTSIDE-CONTENT"));
        }
        if let Format::Anthropic = format {
            // Error results carry the wire format's flag.
            assert!(sent.contains("\"is_error\":true"), "{sent}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ambiguous_edit_and_a_command_in_suggest_mode_are_error_results() {
    let dir = repo();
    let steps = vec![
        Step::Calls(vec![
            (
                "c1",
                "edit_file",
                json!({"path": "src/greet.ts", "old_text": "export const", "new_text": "const"}),
            ),
            ("c2", "run_command", json!({"command": "touch ran.txt"})),
        ]),
        Step::Text("Gave up."),
    ];
    let server = serve(Format::Anthropic, &steps).await;
    let saved = dir.path().join("s.json");
    let out = run(agent(
        dir.path(),
        Format::Anthropic,
        &server,
        &["--events", "--save", saved.to_str().unwrap(), "x"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(0));
    let events = events(&out.stdout);
    let ends = tool_ends(&events);
    assert!(
        ends[0].1 && ends[0].2.contains("occurs 2 times"),
        "{:?}",
        ends[0]
    );
    assert!(
        ends[1].1 && ends[1].2.contains("suggest mode"),
        "{:?}",
        ends[1]
    );
    assert!(!dir.path().join("ran.txt").exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("src/greet.ts")).unwrap(),
        ORIGINAL
    );
    assert_eq!(events.last().unwrap()["diff"], "");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    let results: Vec<&Value> = saved["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "toolResult")
        .collect();
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|r| r["isError"] == true));
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_edit_writes_through_the_journal_and_refuses_commands_without_a_terminal() {
    let dir = repo();
    let mut steps = read_edit_done();
    steps.insert(
        2,
        Step::Calls(vec![(
            "c3",
            "run_command",
            json!({"command": "touch ran.txt"}),
        )]),
    );
    let server = serve(Format::Responses, &steps).await;
    let out = run(agent(
        dir.path(),
        Format::Responses,
        &server,
        &["--approval", "auto-edit", "change the greeting"],
    ))
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(stderr.contains("no terminal to ask on"), "{stderr}");
    assert!(stderr.contains("wrote src/greet.ts"), "{stderr}");
    assert!(!dir.path().join("ran.txt").exists());
    let written = std::fs::read_to_string(dir.path().join("src/greet.ts")).unwrap();
    assert!(written.contains("'hello, world'"));
    let mut undo = cargo_bin_cmd!("dash");
    undo.current_dir(dir.path()).arg("undo").assert().success();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("src/greet.ts")).unwrap(),
        ORIGINAL
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn max_turns_stops_with_exit_1_saves_and_resumes_on_another_provider() {
    let dir = repo();
    let server = serve(Format::Anthropic, &read_edit_done()).await;
    let saved = dir.path().join("session.json");
    let out = run(agent(
        dir.path(),
        Format::Anthropic,
        &server,
        &[
            "--max-turns",
            "1",
            "--save",
            saved.to_str().unwrap(),
            "change the greeting",
        ],
    ))
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--max-turns 1"), "{stderr}");
    // The last turn's tools ran; no model call beyond the limit.
    assert_eq!(bodies(&server).await.len(), 1);
    let session = std::fs::read_to_string(&saved).unwrap();
    let ctx: Value = serde_json::from_str(&session).unwrap();
    let roles: Vec<&str> = ctx["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant", "toolResult"]);
    // The six tools of the contract and dash's own two, `scan` and `judgements`.
    assert!(ctx["systemPrompt"].is_string() && ctx["tools"].as_array().unwrap().len() == 8);
    assert!(!session.contains(SECRET));

    // Resumed on OpenAI Chat Completions: the saved tool result goes along.
    let other = serve(Format::Completions, &read_edit_done()[1..]).await;
    let out = run(agent(
        dir.path(),
        Format::Completions,
        &other,
        &["--resume", saved.to_str().unwrap()],
    ))
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let sent = bodies(&other).await;
    assert_eq!(sent.len(), 2);
    assert!(
        sent[0].contains("\"role\":\"tool\"") && sent[0].contains("'hello'"),
        "{}",
        sent[0]
    );
    assert!(text(&out.stdout).contains("+export const greet = () => 'hello, world';"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_key_never_reaches_commands_outputs_or_saved_sessions() {
    let dir = repo();
    let steps = vec![
        Step::Calls(vec![(
            "c1",
            "run_command",
            json!({"command": "echo \"key=[$ANTHROPIC_API_KEY]\"; env | grep -c SECRET || true"}),
        )]),
        Step::Text("The key might be sk-ant-SECRET-agent-key-123456789."),
    ];
    let saved = dir.path().join("s.json");
    for events in [false, true] {
        let server = serve(Format::Anthropic, &steps).await;
        let mut cmd = agent(dir.path(), Format::Anthropic, &server, &[]);
        cmd.args([
            "--approval",
            "full-auto",
            "--save",
            saved.to_str().unwrap(),
            "print the key",
        ]);
        if events {
            cmd.arg("--events");
        }
        let out = run(cmd).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(all.contains("key=[]"), "{all}");
        for (what, s) in [
            ("output", all),
            ("save", std::fs::read_to_string(&saved).unwrap()),
        ] {
            assert!(!s.contains(SECRET), "key leaked in {what}: {s}");
        }
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 2);
        for r in &requests {
            assert!(!text(&r.body).contains(SECRET));
            assert_eq!(r.headers.get("x-api-key").unwrap(), SECRET);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_steering_line_skips_the_remaining_calls_and_follows_the_results() {
    let dir = repo();
    let steps = vec![
        Step::Calls(vec![
            (
                "c1",
                "run_command",
                json!({"command": "touch started; sleep 2; echo one"}),
            ),
            (
                "c2",
                "run_command",
                json!({"command": "echo two > ran.txt"}),
            ),
        ]),
        Step::Text("Stopped as asked."),
    ];
    let server = serve(Format::Completions, &steps).await;
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("dash"));
    let base = agent(dir.path(), Format::Completions, &server, &[]);
    cmd.current_dir(dir.path());
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.args(base.get_args())
        .args([
            "--approval",
            "full-auto",
            "--steer-stdin",
            "--events",
            "run both",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let started = dir.path().join("started");
    let out = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = cmd.spawn().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !started.exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "stop, do not run the second command").unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let ends = tool_ends(&events(&out.stdout));
    assert_eq!(ends.len(), 2);
    assert!(!ends[0].1 && ends[0].2.contains("one"), "{:?}", ends[0]);
    assert!(
        ends[1].1 && ends[1].2.contains("interrupted by the user"),
        "{:?}",
        ends[1]
    );
    assert!(!dir.path().join("ran.txt").exists());
    let sent = bodies(&server).await;
    assert_eq!(sent.len(), 2);
    let second: Value = serde_json::from_str(&sent[1]).unwrap();
    let messages = second["messages"].as_array().unwrap();
    let last = messages.last().unwrap();
    assert_eq!(last["role"], "user");
    assert_eq!(last["content"], "stop, do not run the second command");
    assert_eq!(messages[messages.len() - 2]["role"], "tool");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_stream_ends_in_a_typed_error_exit_3_not_a_hang() {
    let dir = repo();
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(
                    Format::Anthropic.sse(&Step::Text("late")),
                    "text/event-stream",
                )
                .set_delay(std::time::Duration::from_secs(30)),
        )
        .mount(&server)
        .await;
    let saved = dir.path().join("s.json");
    let start = std::time::Instant::now();
    let cmd = agent(
        dir.path(),
        Format::Anthropic,
        &server,
        &[
            "--idle-timeout",
            "1",
            "--save",
            saved.to_str().unwrap(),
            "x",
        ],
    );
    let out = run(cmd).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("dash::agent::provider") && stderr.contains("idle timeout"),
        "{stderr}"
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
    // The session is saved on errors too.
    let ctx: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert_eq!(ctx["messages"][1]["stopReason"], "error");
}

#[tokio::test(flavor = "multi_thread")]
async fn max_cost_at_registry_prices_and_max_tokens_stop_with_exit_1() {
    // One Anthropic reply of 100 input and 20 output tokens costs $0.0006 at
    // claude-sonnet-4-5's registry prices ($3 and $15 per million).
    for (flag, value, named) in [
        ("--max-cost", "0.0005", "--max-cost 0.0005"),
        ("--max-tokens", "100", "--max-tokens 100"),
    ] {
        let dir = repo();
        let server = serve(Format::Anthropic, &read_edit_done()).await;
        let out = run(agent(
            dir.path(),
            Format::Anthropic,
            &server,
            &[flag, value, "x"],
        ))
        .await;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(named), "{stderr}");
        assert_eq!(bodies(&server).await.len(), 1);
    }
    let dir = repo();
    let server = serve(Format::Anthropic, &read_edit_done()).await;
    let out = run(agent(
        dir.path(),
        Format::Anthropic,
        &server,
        &["--max-cost", "0.01", "x"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn timeout_cuts_a_call_in_flight_and_exits_1() {
    let dir = repo();
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(
                    Format::Completions.sse(&Step::Text("late")),
                    "text/event-stream",
                )
                .set_delay(std::time::Duration::from_secs(30)),
        )
        .mount(&server)
        .await;
    let start = std::time::Instant::now();
    let out = run(agent(
        dir.path(),
        Format::Completions,
        &server,
        &["--timeout", "1", "x"],
    ))
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--timeout 1 s reached"), "{stderr}");
    assert!(start.elapsed() < std::time::Duration::from_secs(15));
}

#[tokio::test(flavor = "multi_thread")]
async fn edits_of_one_file_combine_and_new_files_diff_against_dev_null() {
    let dir = repo();
    let steps = vec![
        Step::Calls(vec![
            (
                "c1",
                "edit_file",
                json!({"path": "src/greet.ts", "old_text": "'hello'", "new_text": "'hi'"}),
            ),
            (
                "c2",
                "write_file",
                json!({"path": "src/deep/new.ts", "content": "export const n = 1;\n"}),
            ),
        ]),
        Step::Calls(vec![
            (
                "c3",
                "edit_file",
                json!({"path": "src/greet.ts", "old_text": "'bye'", "new_text": "'ciao'"}),
            ),
            // A later edit sees the collected text of the new file.
            (
                "c4",
                "edit_file",
                json!({"path": "src/deep/new.ts", "old_text": "= 1", "new_text": "= 2"}),
            ),
            ("c5", "read_file", json!({"path": "src/greet.ts"})),
        ]),
        Step::Text("Done."),
    ];
    let server = serve(Format::Gemini, &steps).await;
    let out = run(agent(
        dir.path(),
        Format::Gemini,
        &server,
        &["--events", "x"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let events = events(&out.stdout);
    let ends = tool_ends(&events);
    assert!(ends.iter().all(|(_, e, _)| !e), "{ends:?}");
    assert_eq!(
        ends[4].2,
        "export const greet = () => 'hi';\nexport const bye = () => 'ciao';\n"
    );
    let diff = events.last().unwrap()["diff"].as_str().unwrap().to_owned();
    assert_eq!(diff.matches("diff --git").count(), 2, "{diff}");
    assert!(
        diff.contains(
            "--- /dev/null\n+++ b/src/deep/new.ts\n@@ -0,0 +1,1 @@\n+export const n = 2;\n"
        ),
        "{diff}"
    );
    assert!(!dir.path().join("src/deep").exists());
    std::fs::write(dir.path().join("p.json"), &diff).unwrap();
    git(dir.path(), &["apply", "p.json"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("src/greet.ts")).unwrap(),
        "export const greet = () => 'hi';\nexport const bye = () => 'ciao';\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("src/deep/new.ts")).unwrap(),
        "export const n = 2;\n"
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = repo();
    let mut cmd = cargo_bin_cmd!("dash");
    cmd.current_dir(dir.path())
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join(".config"))
        .env_remove("ANTHROPIC_API_KEY");
    let out = cmd
        .args(["agent", "--model", "anthropic/claude-sonnet-4-5", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("ANTHROPIC_API_KEY"));
    let out = cargo_bin_cmd!("dash")
        .current_dir(dir.path())
        .args(["agent", "--model", "ollama/x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = cargo_bin_cmd!("dash")
        .current_dir(dir.path())
        .args(["agent", "--model", "ollama/x", "--approval", "yolo", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn undo_turn_reverts_the_writes_of_the_last_turn_as_one_unit() {
    let dir = repo();
    write(&dir.path().join("src/other.ts"), "export const n = 1;\n");
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "other"]);
    // Turn 1 edits greet.ts; turn 2 edits other.ts, edits greet.ts again and creates a
    // file: three journal entries for one turn.
    let steps = vec![
        Step::Calls(vec![(
            "c1",
            "edit_file",
            json!({"path": "src/greet.ts", "old_text": "'hello'", "new_text": "'hi'"}),
        )]),
        Step::Calls(vec![
            (
                "c2",
                "edit_file",
                json!({"path": "src/other.ts", "old_text": "1", "new_text": "2"}),
            ),
            (
                "c3",
                "edit_file",
                json!({"path": "src/greet.ts", "old_text": "'bye'", "new_text": "'ciao'"}),
            ),
            (
                "c4",
                "write_file",
                json!({"path": "src/new/extra.ts", "content": "export {};\n"}),
            ),
        ]),
        Step::Text("Done."),
    ];
    let server = serve(Format::Gemini, &steps).await;
    let out = run(agent(
        dir.path(),
        Format::Gemini,
        &server,
        &["--approval", "full-auto", "edit things"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("dash undo --turn"));
    let read = |rel: &str| std::fs::read_to_string(dir.path().join(rel)).unwrap();
    let after_turn_1 = ORIGINAL.replace("'hello'", "'hi'");
    assert_eq!(
        read("src/greet.ts"),
        after_turn_1.replace("'bye'", "'ciao'")
    );
    assert!(dir.path().join("src/new/extra.ts").exists());

    let undo = |args: &[&str]| {
        let mut cmd = cargo_bin_cmd!("dash");
        cmd.current_dir(dir.path()).arg("undo").args(args);
        cmd.output().unwrap()
    };
    let list = text(&undo(&["--list"]).stdout);
    assert_eq!(list.matches("(turn agent-").count(), 4, "{list}");
    // The last turn: three entries, newest first, in one command.
    let out = undo(&["--turn", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "dash.undo.turn");
    assert!(doc["turn"].as_str().unwrap().ends_with("/2"), "{doc}");
    let entries = doc["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{doc}");
    assert!(entries.iter().all(|e| e["state"] == "undone"), "{doc}");
    assert_eq!(read("src/greet.ts"), after_turn_1);
    assert_eq!(read("src/other.ts"), "export const n = 1;\n");
    assert!(!dir.path().join("src/new").exists());
    // Then turn 1.
    let out = undo(&["--turn"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("restored  src/greet.ts"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(read("src/greet.ts"), ORIGINAL);
    // Nothing left.
    let out = undo(&["--turn"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("nothing to undo"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn undo_turn_refuses_when_the_newest_write_is_not_an_agents() {
    let dir = repo();
    write(
        &dir.path().join("package.json"),
        "{ \"name\": \"p\", \"type\": \"module\" }\n",
    );
    write(
        &dir.path().join("src/t.test.ts"),
        "test('x', () => {\n  console.log('x');\n});\n",
    );
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "test"]);
    let mut fix = cargo_bin_cmd!("dash");
    fix.current_dir(dir.path())
        .args(["fix", "--write"])
        .assert()
        .success();
    let mut undo = cargo_bin_cmd!("dash");
    let out = undo
        .current_dir(dir.path())
        .args(["undo", "--turn"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("dash::undo::not_a_turn"), "{stderr}");
    // The fix's write is still there.
    assert!(
        !std::fs::read_to_string(dir.path().join("src/t.test.ts"))
            .unwrap()
            .contains("console.log")
    );
}

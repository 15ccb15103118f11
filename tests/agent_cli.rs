//! `dash agent` as a user runs it, against scripted local model servers in each wire
//! format: read → edit → done in suggest mode (the diff `git apply` accepts, the
//! `--events` contract), confinement attempts, ambiguous edits, refused commands,
//! auto-edit writes that `dash undo` restores, limits (exit 1, `--save`, `--resume` on
//! another provider), steering from stdin, and the key kept out of every output.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::{Value, json};
use support::{git, write};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const SECRET: &str = "sk-ant-SECRET-agent-key-123456789";
const ORIGINAL: &str = "export const greet = () => 'hello';\nexport const bye = () => 'bye';\n";

/// One scripted model reply: tool calls `(id, name, arguments)`, or a final text.
#[derive(Clone)]
enum Step {
    Calls(Vec<(&'static str, &'static str, Value)>),
    Text(&'static str),
}

#[derive(Clone, Copy, Debug)]
enum Format {
    Anthropic,
    Completions,
    Responses,
    Gemini,
}

const ALL: [Format; 4] = [
    Format::Anthropic,
    Format::Completions,
    Format::Responses,
    Format::Gemini,
];

impl Format {
    /// `--model` and `--api` for the format.
    fn model(self) -> (&'static str, &'static str) {
        match self {
            Format::Anthropic => ("anthropic/claude-sonnet-4-5", "anthropic-messages"),
            Format::Completions => ("ollama/qwen3", "openai-completions"),
            Format::Responses => ("openai/gpt-5", "openai-responses"),
            Format::Gemini => ("google/gemini-2.5-flash", "google-generative-ai"),
        }
    }

    fn key_var(self) -> &'static str {
        match self {
            Format::Anthropic => "ANTHROPIC_API_KEY",
            Format::Completions => "OLLAMA_API_KEY",
            Format::Responses => "OPENAI_API_KEY",
            Format::Gemini => "GEMINI_API_KEY",
        }
    }

    /// The step as the format's SSE body.
    fn sse(self, step: &Step) -> String {
        let mut out = String::new();
        let mut event = |name: Option<&str>, data: Value| {
            if let Some(n) = name {
                out.push_str(&format!("event: {n}\n"));
            }
            out.push_str(&format!("data: {data}\n\n"));
        };
        match (self, step) {
            (Format::Anthropic, _) => {
                event(
                    Some("message_start"),
                    json!({"type": "message_start", "message": {"id": "msg_1", "type": "message",
                    "role": "assistant", "model": "claude-sonnet-4-5", "content": [], "stop_reason": null,
                    "usage": {"input_tokens": 100, "output_tokens": 1}}}),
                );
                let stop = match step {
                    Step::Text(text) => {
                        event(
                            Some("content_block_start"),
                            json!({"type": "content_block_start", "index": 0,
                            "content_block": {"type": "text", "text": ""}}),
                        );
                        event(
                            Some("content_block_delta"),
                            json!({"type": "content_block_delta", "index": 0,
                            "delta": {"type": "text_delta", "text": text}}),
                        );
                        event(
                            Some("content_block_stop"),
                            json!({"type": "content_block_stop", "index": 0}),
                        );
                        "end_turn"
                    }
                    Step::Calls(calls) => {
                        for (i, (id, name, args)) in calls.iter().enumerate() {
                            event(
                                Some("content_block_start"),
                                json!({"type": "content_block_start", "index": i,
                                "content_block": {"type": "tool_use", "id": id, "name": name, "input": {}}}),
                            );
                            event(
                                Some("content_block_delta"),
                                json!({"type": "content_block_delta", "index": i,
                                "delta": {"type": "input_json_delta", "partial_json": args.to_string()}}),
                            );
                            event(
                                Some("content_block_stop"),
                                json!({"type": "content_block_stop", "index": i}),
                            );
                        }
                        "tool_use"
                    }
                };
                event(
                    Some("message_delta"),
                    json!({"type": "message_delta", "delta": {"stop_reason": stop},
                    "usage": {"output_tokens": 20}}),
                );
                event(Some("message_stop"), json!({"type": "message_stop"}));
            }
            (Format::Completions, _) => {
                let chunk = |delta: Value, finish: Value| {
                    json!({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "qwen3",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
                };
                let finish = match step {
                    Step::Text(text) => {
                        event(
                            None,
                            chunk(json!({"role": "assistant", "content": text}), Value::Null),
                        );
                        "stop"
                    }
                    Step::Calls(calls) => {
                        for (i, (id, name, args)) in calls.iter().enumerate() {
                            event(
                                None,
                                chunk(
                                    json!({"tool_calls": [{"index": i, "id": id, "type": "function",
                                    "function": {"name": name, "arguments": args.to_string()}}]}),
                                    Value::Null,
                                ),
                            );
                        }
                        "tool_calls"
                    }
                };
                event(None, chunk(json!({}), json!(finish)));
                event(
                    None,
                    json!({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "qwen3",
                    "choices": [], "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}}),
                );
                out.push_str("data: [DONE]\n\n");
            }
            (Format::Responses, _) => {
                event(
                    Some("response.created"),
                    json!({"type": "response.created", "response": {"id": "resp_1", "object": "response",
                    "status": "in_progress", "model": "gpt-5", "output": []}}),
                );
                match step {
                    Step::Text(text) => {
                        let item = json!({"id": "msg_1", "type": "message", "status": "completed",
                            "role": "assistant", "content": [{"type": "output_text", "annotations": [], "text": text}]});
                        event(
                            Some("response.output_item.added"),
                            json!({"type": "response.output_item.added", "output_index": 0,
                            "item": {"id": "msg_1", "type": "message", "status": "in_progress", "role": "assistant", "content": []}}),
                        );
                        event(
                            Some("response.content_part.added"),
                            json!({"type": "response.content_part.added", "item_id": "msg_1", "output_index": 0,
                            "content_index": 0, "part": {"type": "output_text", "annotations": [], "text": ""}}),
                        );
                        event(
                            Some("response.output_text.delta"),
                            json!({"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0,
                            "content_index": 0, "delta": text}),
                        );
                        event(
                            Some("response.output_item.done"),
                            json!({"type": "response.output_item.done", "output_index": 0, "item": item}),
                        );
                    }
                    Step::Calls(calls) => {
                        for (i, (id, name, args)) in calls.iter().enumerate() {
                            let fc = format!("fc_{i}");
                            event(
                                Some("response.output_item.added"),
                                json!({"type": "response.output_item.added", "output_index": i,
                                "item": {"id": fc, "type": "function_call", "status": "in_progress",
                                "arguments": "", "call_id": id, "name": name}}),
                            );
                            event(
                                Some("response.function_call_arguments.delta"),
                                json!({"type": "response.function_call_arguments.delta", "item_id": fc,
                                "output_index": i, "delta": args.to_string()}),
                            );
                            event(
                                Some("response.output_item.done"),
                                json!({"type": "response.output_item.done", "output_index": i,
                                "item": {"id": fc, "type": "function_call", "status": "completed",
                                "arguments": args.to_string(), "call_id": id, "name": name}}),
                            );
                        }
                    }
                }
                event(
                    Some("response.completed"),
                    json!({"type": "response.completed", "response": {"id": "resp_1", "object": "response",
                    "status": "completed", "model": "gpt-5", "output": [],
                    "usage": {"input_tokens": 100, "output_tokens": 20, "total_tokens": 120}}}),
                );
            }
            (Format::Gemini, _) => {
                let parts: Vec<Value> = match step {
                    Step::Text(text) => vec![json!({"text": text})],
                    Step::Calls(calls) => calls
                        .iter()
                        .map(
                            |(_, name, args)| json!({"functionCall": {"name": name, "args": args}}),
                        )
                        .collect(),
                };
                event(
                    None,
                    json!({"candidates": [{"content": {"role": "model", "parts": parts}, "index": 0,
                    "finishReason": "STOP"}], "modelVersion": "gemini-2.5-flash", "responseId": "r1",
                    "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 20, "totalTokenCount": 120}}),
                );
            }
        }
        out
    }
}

/// Serves the script's replies in order, one per request (the last one repeats).
struct Script {
    bodies: Vec<String>,
    next: Arc<AtomicUsize>,
}

impl Respond for Script {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let i = self.next.fetch_add(1, Ordering::SeqCst);
        let body = self.bodies[i.min(self.bodies.len() - 1)].clone();
        ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
    }
}

async fn serve(format: Format, steps: &[Step]) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(Script {
            bodies: steps.iter().map(|s| format.sse(s)).collect(),
            next: Arc::default(),
        })
        .mount(&server)
        .await;
    server
}

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
    let mut cmd = cargo_bin_cmd!("dash");
    let (model, api) = format.model();
    cmd.current_dir(dir)
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join(".config"))
        .env("NO_COLOR", "1");
    for var in [
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "OLLAMA_API_KEY",
    ] {
        cmd.env_remove(var);
    }
    cmd.env(format.key_var(), SECRET).args([
        "agent",
        "--model",
        model,
        "--api",
        api,
        "--base-url",
        &server.uri(),
        "--idle-timeout",
        "10",
    ]);
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
    assert!(ctx["systemPrompt"].is_string() && ctx["tools"].as_array().unwrap().len() == 6);
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

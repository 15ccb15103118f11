//! `dash llm` and `dash models` as a user runs them: against local servers speaking
//! each wire format, the `--events` NDJSON contract, `--save` then `--context`
//! replayed to another provider, `--base-url` with and without `/v1`, and failures
//! that must give a clear error and a non-zero exit without leaking the key.

mod llm_support;

use std::path::Path;

use dash::llm::Api;
use llm_support::fixture;
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod support;

const SECRET: &str = "ollama-SECRET-key-987654321";

/// A `dash` command isolated from the user's environment and config files.
fn dash(home: &Path) -> assert_cmd::Command {
    support::isolated_dash(home)
}

async fn serve(api: Api, fixture_name: &str, route: &str) -> MockServer {
    let body = std::fs::read(fixture(&format!("{}/{fixture_name}.sse", api.as_str()))).unwrap();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(route))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "text/event-stream"))
        .mount(&server)
        .await;
    server
}

/// Runs the command off the async runtime (wiremock serves on it).
async fn run(mut cmd: assert_cmd::Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `(api flag, model, fixture, route, expected stdout)` for each wire format.
const CASES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "openai-completions",
        "ollama/qwen3",
        "parallel_tool_calls",
        "/v1/chat/completions",
        "Checking both.\n[tool call call_paris] get_weather {\"city\":\"Paris\"}\n[tool call call_rome] get_weather {\"city\":\"Rome\"}\n",
    ),
    (
        "openai-responses",
        "openai/gpt-5",
        "reasoning_text_tool",
        "/v1/responses",
        "Looking it up.\n[tool call call_1|fc_1] get_weather {\"city\":\"Beijing\"}\n",
    ),
    (
        "anthropic-messages",
        "anthropic/claude-sonnet-4-5",
        "thinking_text_tool",
        "/v1/messages",
        "Let me check.\n[tool call toolu_01] get_weather {\"city\":\"Paris\",\"days\":3}\n",
    ),
    (
        "google-generative-ai",
        "google/gemini-2.5-flash",
        "thinking_text_parallel_calls",
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
        "Checking two cities.\n[tool call get_weather_1] get_weather {\"city\":\"Paris\"}\n[tool call get_weather_2] get_weather {\"city\":\"Rome\"}\n",
    ),
];

#[tokio::test(flavor = "multi_thread")]
async fn streams_text_and_tool_calls_in_all_four_formats() {
    let home = tempfile::tempdir().unwrap();
    for (api, model, fx, route, want) in CASES {
        let server = serve(api.parse().unwrap(), fx, route).await;
        let mut cmd = dash(home.path());
        cmd.args([
            "llm",
            "--model",
            model,
            "--base-url",
            &server.uri(),
            "--api",
            api,
            "hi",
        ]);
        let out = run(cmd).await;
        assert_eq!(
            text(&out.stdout),
            *want,
            "{api}: stderr {}",
            text(&out.stderr)
        );
        assert!(out.status.success(), "{api}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn events_are_ndjson_with_the_event_name_as_type() {
    let home = tempfile::tempdir().unwrap();
    for (api, model, fx, route, _) in CASES {
        let server = serve(api.parse().unwrap(), fx, route).await;
        let mut cmd = dash(home.path());
        cmd.args([
            "llm",
            "--events",
            "--model",
            model,
            "--base-url",
            &server.uri(),
            "hi",
        ]);
        let out = run(cmd).await;
        assert!(out.status.success(), "{api}: {}", text(&out.stderr));
        let events: Vec<Value> = text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
            .collect();
        let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(types.first(), Some(&"start"), "{api}");
        assert_eq!(types.last(), Some(&"done"), "{api}");
        let allowed = [
            "start",
            "text_start",
            "text_delta",
            "text_end",
            "thinking_start",
            "thinking_delta",
            "thinking_end",
            "toolcall_start",
            "toolcall_delta",
            "toolcall_end",
            "done",
            "error",
        ];
        assert!(types.iter().all(|t| allowed.contains(t)), "{types:?}");
        for e in &events {
            match e["type"].as_str().unwrap() {
                "text_delta" | "thinking_delta" | "toolcall_delta" => {
                    assert!(e["contentIndex"].is_u64() && e["delta"].is_string())
                }
                "toolcall_start" => assert!(e["id"].is_string() && e["toolName"].is_string()),
                "toolcall_end" => assert!(e["toolCall"]["arguments"].is_object()),
                "done" => {
                    assert_eq!(e["reason"], "toolUse");
                    assert_eq!(e["message"]["stopReason"], "toolUse");
                    assert!(e["message"]["usage"]["totalTokens"].is_u64());
                }
                _ => {}
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn saved_context_replays_to_another_provider() {
    let home = tempfile::tempdir().unwrap();
    let saved = home.path().join("ctx.json");
    // Turn 1: Anthropic, with thinking (signed) and a tool call.
    let anthropic = serve(Api::AnthropicMessages, "thinking_text_tool", "/v1/messages").await;
    let mut cmd = dash(home.path());
    cmd.args([
        "llm",
        "--model",
        "anthropic/claude-sonnet-4-5",
        "--base-url",
        &anthropic.uri(),
        "--system",
        "Be brief.",
        "--save",
        saved.to_str().unwrap(),
        "Weather in Paris?",
    ]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ctx: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert_eq!(ctx["systemPrompt"], "Be brief.");
    assert_eq!(ctx["messages"][1]["role"], "assistant");
    assert_eq!(
        ctx["messages"][1]["content"][0]["thinkingSignature"],
        "EqQBCgIYAhIM1gbcDa9GJwZA2b3h"
    );

    // Turn 2: the same context continued on an OpenAI-compatible server.
    let openai = serve(Api::OpenaiCompletions, "text", "/v1/chat/completions").await;
    let mut cmd = dash(home.path());
    cmd.args([
        "llm",
        "--model",
        "ollama/qwen3",
        "--base-url",
        &openai.uri(),
        "--context",
        saved.to_str().unwrap(),
        "--save",
        saved.to_str().unwrap(),
        "And Rome?",
    ]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Hello, world!\n");
    let requests = openai.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    let messages = body["messages"].as_array().unwrap();
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["system", "user", "assistant", "tool", "user"]);
    // Thinking from another model becomes plain text; no signature travels.
    assert_eq!(
        messages[2]["content"],
        "The user wants weather.\n\nLet me check."
    );
    assert!(messages[2].get("reasoning_content").is_none());
    assert_eq!(messages[2]["tool_calls"][0]["id"], "toolu_01");
    // The unanswered call gets a synthetic error result before the next user turn.
    assert_eq!(messages[3]["tool_call_id"], "toolu_01");
    assert_eq!(messages[3]["content"], "No result provided");
    assert!(
        !String::from_utf8_lossy(&requests[0].body).contains("EqQB"),
        "signature leaked"
    );
    let ctx: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert_eq!(ctx["messages"].as_array().unwrap().len(), 4);
    assert_eq!(ctx["messages"][3]["provider"], "ollama");
}

#[tokio::test(flavor = "multi_thread")]
async fn base_url_with_and_without_v1() {
    let home = tempfile::tempdir().unwrap();
    let server = serve(Api::OpenaiCompletions, "text", "/v1/chat/completions").await;
    for base in [
        server.uri(),
        format!("{}/v1", server.uri()),
        format!("{}/v1/", server.uri()),
    ] {
        let mut cmd = dash(home.path());
        cmd.args([
            "llm",
            "--model",
            "openai/gpt-4o",
            "--api",
            "openai-completions",
            "--base-url",
            &base,
            "hi",
        ]);
        let out = run(cmd).await;
        assert_eq!(
            text(&out.stdout),
            "Hello, world!\n",
            "{base}: {}",
            text(&out.stderr)
        );
    }
    let anthropic = serve(Api::AnthropicMessages, "thinking_text_tool", "/v1/messages").await;
    for base in [anthropic.uri(), format!("{}/v1", anthropic.uri())] {
        let mut cmd = dash(home.path());
        cmd.args([
            "llm",
            "--model",
            "anthropic/claude-haiku-4-5",
            "--base-url",
            &base,
            "hi",
        ]);
        assert!(run(cmd).await.status.success(), "{base}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unauthorized_gives_a_clear_error_exit_2_and_no_key_anywhere() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": {"message": format!("Invalid API key {SECRET}"), "type": "invalid_request_error"}})))
        .mount(&server)
        .await;
    let saved = home.path().join("out.json");
    for events in [false, true] {
        let mut cmd = dash(home.path());
        cmd.env("OLLAMA_API_KEY", SECRET).args([
            "llm",
            "--model",
            "ollama/x",
            "--base-url",
            &server.uri(),
            "--save",
            saved.to_str().unwrap(),
            "hi",
        ]);
        if events {
            cmd.arg("--events");
        }
        let out = run(cmd).await;
        assert_eq!(out.status.code(), Some(2));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("dash::llm::auth") && stderr.contains("Invalid API key"),
            "{stderr}"
        );
        assert!(stderr.contains("help:"), "{stderr}");
        for (what, s) in [
            ("stdout", text(&out.stdout)),
            ("stderr", stderr),
            ("save", std::fs::read_to_string(&saved).unwrap()),
        ] {
            assert!(!s.contains(SECRET), "key leaked in {what}: {s}");
        }
    }
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests[0].headers.get("authorization").unwrap(),
        &format!("Bearer {SECRET}")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn truncated_stream_exits_3_with_the_partial_text() {
    let home = tempfile::tempdir().unwrap();
    let server = serve(Api::OpenaiCompletions, "truncated", "/v1/chat/completions").await;
    let mut cmd = dash(home.path());
    cmd.args([
        "llm",
        "--model",
        "ollama/x",
        "--base-url",
        &server.uri(),
        "hi",
    ]);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(text(&out.stdout), "Half a sent\n");
    assert!(text(&out.stderr).contains("dash::llm::stream"));
}

#[test]
fn usage_errors_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let out = dash(home.path())
        .args(["llm", "--model", "openai/gpt-5", "hi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("OPENAI_API_KEY"));
    let out = dash(home.path())
        .args(["llm", "--model", "nope/x", "hi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown provider"));
    let out = dash(home.path())
        .args(["llm", "--model", "ollama/x", "--api", "soap", "hi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let tools = home.path().join("tools.json");
    std::fs::write(
        &tools,
        r#"[{"name": "f", "description": "d", "parameters": {"type": 5}}]"#,
    )
    .unwrap();
    let out = dash(home.path())
        .args([
            "llm",
            "--model",
            "ollama/x",
            "--tools",
            tools.to_str().unwrap(),
            "hi",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("invalid schema"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn models_lists_the_registry_and_user_additions() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".dash")).unwrap();
    std::fs::write(
        home.path().join(".dash/models.toml"),
        "[[models]]\nprovider = \"ollama\"\nid = \"qwen3:8b\"\ncontext_window = 40960\n",
    )
    .unwrap();
    let out = dash(home.path())
        .args(["models", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let models = v["models"].as_array().unwrap();
    assert!(
        models
            .iter()
            .any(|m| m["provider"] == "openai" && m["id"] == "gpt-5")
    );
    let q = models.iter().find(|m| m["id"] == "qwen3:8b").unwrap();
    assert_eq!(q["contextWindow"], 40960);
    assert_eq!(q["baseUrl"], "http://localhost:11434/v1");
    let out = dash(home.path())
        .args(["models", "--provider", "anthropic"])
        .output()
        .unwrap();
    let listing = text(&out.stdout);
    assert!(listing.contains("anthropic/claude-sonnet-4-5") && !listing.contains("openai/"));
    let out = dash(home.path())
        .args(["models", "--provider", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn tools_file_reaches_the_provider_in_its_dialect() {
    let home = tempfile::tempdir().unwrap();
    let tools = home.path().join("tools.json");
    std::fs::write(
        &tools,
        r#"[{"name": "get_weather", "description": "Weather for a city",
             "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                            "required": ["city"], "additionalProperties": false}}]"#,
    )
    .unwrap();
    let server = serve(Api::AnthropicMessages, "thinking_text_tool", "/v1/messages").await;
    let mut cmd = dash(home.path());
    cmd.args([
        "llm",
        "--model",
        "anthropic/claude-sonnet-4-5",
        "--base-url",
        &server.uri(),
        "--tools",
        tools.to_str().unwrap(),
        "weather?",
    ]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let requests = server.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["tools"][0]["name"], "get_weather");
    assert_eq!(
        body["tools"][0]["input_schema"]["additionalProperties"],
        false
    );
    assert_eq!(body["stream"], true);
    assert_eq!(
        requests[0].headers.get("anthropic-version").unwrap(),
        "2023-06-01"
    );
}

/// The exact `--events` output for one recorded stream, reviewed as a snapshot
/// (in `fixtures/llm/snapshots/`); only timestamps are masked.
#[tokio::test(flavor = "multi_thread")]
async fn events_output_snapshot() {
    let home = tempfile::tempdir().unwrap();
    let server = serve(Api::AnthropicMessages, "thinking_text_tool", "/v1/messages").await;
    let mut cmd = dash(home.path());
    cmd.args([
        "llm",
        "--events",
        "--model",
        "anthropic/claude-sonnet-4-5",
        "--base-url",
        &server.uri(),
        "hi",
    ]);
    let out = run(cmd).await;
    assert!(out.status.success());
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../fixtures/llm/snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.add_filter(r#""timestamp":\d+"#, r#""timestamp":"[ms]""#);
    settings.bind(|| insta::assert_snapshot!("anthropic_events_ndjson", text(&out.stdout)));
}

/// `(model, key variable)` per wire format, for runs that send a key.
const KEYED: &[(Api, &str, &str)] = &[
    (Api::OpenaiCompletions, "ollama/x", "OLLAMA_API_KEY"),
    (Api::OpenaiResponses, "openai/gpt-5", "OPENAI_API_KEY"),
    (
        Api::AnthropicMessages,
        "anthropic/claude-sonnet-4-5",
        "ANTHROPIC_API_KEY",
    ),
    (
        Api::GoogleGenerativeAi,
        "google/gemini-2.5-flash",
        "GEMINI_API_KEY",
    ),
];

/// Issue 8, item 18: a server echoing the key mid-stream (in text, thinking, tool
/// arguments and its error event) must not get it printed to stdout or stderr (also
/// with -v, which prints thinking), into `--events`, or into `--save`.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_echoed_mid_stream_reaches_no_output_in_any_format() {
    use llm_support::{ECHO_KEY, key_echo_body, shows_echo_key};
    let home = tempfile::tempdir().unwrap();
    for (api, model, var) in KEYED {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(key_echo_body(*api, ECHO_KEY), "text/event-stream"),
            )
            .mount(&server)
            .await;
        for events in [false, true] {
            let saved = home.path().join("saved.json");
            let mut cmd = dash(home.path());
            cmd.env(var, ECHO_KEY).args([
                "llm",
                "-v",
                "--model",
                model,
                "--base-url",
                &server.uri(),
                "--save",
                saved.to_str().unwrap(),
                "hi",
            ]);
            if events {
                cmd.arg("--events");
            }
            let out = run(cmd).await;
            assert_eq!(out.status.code(), Some(3), "{api}: {}", text(&out.stderr));
            let save = std::fs::read_to_string(&saved).unwrap();
            for (what, s) in [
                ("stdout", text(&out.stdout)),
                ("stderr", text(&out.stderr)),
                ("save", save.clone()),
            ] {
                assert!(
                    !shows_echo_key(&s),
                    "{api} (events: {events}): key in {what}:\n{s}"
                );
                assert!(
                    s.contains("[REDACTED]"),
                    "{api}: {what} shows the redaction:\n{s}"
                );
            }
            let ctx: Value = serde_json::from_str(&save).unwrap();
            assert_eq!(
                ctx["messages"][1]["content"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|c| c["type"] == "toolCall")
                    .unwrap()["arguments"],
                serde_json::json!({"k": "[REDACTED]"}),
                "{api}"
            );
        }
        // The key was sent to the server, so the test would see an echo.
        let sent = server.received_requests().await.unwrap();
        assert!(
            sent[0]
                .headers
                .iter()
                .any(|(_, v)| v.to_str().unwrap_or("").contains(ECHO_KEY)),
            "{api}"
        );
    }
}

/// Issue 8, item 20: the 1.25 GB line. With the default limits, a server that never
/// ends its line gets a typed error naming the limit, and exit 3, not an
/// out-of-memory kill.
#[tokio::test(flavor = "multi_thread")]
async fn an_endless_sse_line_is_cut_at_the_default_limit() {
    let home = tempfile::tempdir().unwrap();
    let base = llm_support::endless_server(
        llm_support::SSE_HEAD,
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"".into(),
        b"a".to_vec(),
    )
    .await;
    let mut cmd = dash(home.path());
    cmd.args(["llm", "--model", "ollama/x", "--base-url", &base, "hi"]);
    let out = run(cmd).await;
    let stderr = flat(&text(&out.stderr));
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("dash::llm::too_large"), "{stderr}");
    assert!(
        stderr.contains("an SSE line in the response from")
            && stderr.contains("is larger than the 16 MiB limit")
            && stderr.contains(&base),
        "{stderr}"
    );
}

/// A diagnostic's text without miette's line wrapping (`|` margins, indentation).
fn flat(s: &str) -> String {
    s.split_whitespace()
        .filter(|w| *w != "|")
        .collect::<Vec<_>>()
        .join(" ")
}

fn assert_too_large(out: &std::process::Output, path: &str, limit: &str) {
    let stderr = flat(&text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("dash::llm::too_large")
            || stderr.contains("dash::models::file")
            || stderr.contains("dash::llm::model"),
        "{stderr}"
    );
    assert!(
        stderr.contains(path) && stderr.contains(&format!("larger than the {limit} limit")),
        "{stderr}"
    );
}

/// `--context /dev/zero` grew until the kernel killed it; files are read with a
/// bound whatever they are (device, FIFO, oversized regular file).
#[cfg(unix)]
#[test]
fn input_files_are_read_with_a_bound() {
    let home = tempfile::tempdir().unwrap();
    for (flag, limit) in [("--context", "64 MiB"), ("--tools", "16 MiB")] {
        let out = dash(home.path())
            .args(["llm", "--model", "ollama/x", flag, "/dev/zero", "hi"])
            .output()
            .unwrap();
        assert_too_large(&out, "/dev/zero", limit);
        assert!(text(&out.stderr).contains("dash::llm::too_large"));
    }
    // A sparse regular file one byte over the limit is refused without reading it.
    let big = home.path().join("big.json");
    std::fs::File::create(&big)
        .unwrap()
        .set_len((64 << 20) + 1)
        .unwrap();
    let out = dash(home.path())
        .args([
            "llm",
            "--model",
            "ollama/x",
            "--context",
            big.to_str().unwrap(),
            "hi",
        ])
        .output()
        .unwrap();
    assert_too_large(&out, "big.json", "64 MiB");
    // A models.toml that never ends, for both commands that read it.
    std::fs::create_dir_all(home.path().join(".dash")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", home.path().join(".dash/models.toml")).unwrap();
    for args in [&["llm", "--model", "ollama/x", "hi"][..], &["models"][..]] {
        let out = dash(home.path()).args(args).output().unwrap();
        assert_too_large(&out, "models.toml", "4 MiB");
    }
}

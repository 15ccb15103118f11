//! Helpers shared by the `llm_*` integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use dash::llm::builder::MessageBuilder;
use dash::llm::providers::parser_for;
use dash::llm::sse::SseParser;
use dash::llm::{Api, Event, Model, Registry, RetryPolicy, StopReason, StreamOptions};

pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/llm")
        .join(rel)
}

/// A registry model speaking `api`, pointed at `base_url`.
pub fn model_for(api: Api, base_url: &str) -> Model {
    let spec = match api {
        Api::OpenaiCompletions => "ollama/test-model",
        Api::OpenaiResponses => "openai/gpt-5",
        Api::AnthropicMessages => "anthropic/claude-sonnet-4-5",
        Api::GoogleGenerativeAi => "google/gemini-2.5-flash",
    };
    let mut m = Registry::builtin().resolve(spec).unwrap();
    m.base_url = base_url.to_owned();
    m
}

/// Options for tests: short timeouts, fast retries.
pub fn fast_options() -> StreamOptions {
    StreamOptions {
        idle_timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            max_retry_after: Duration::from_secs(2),
        },
        ..StreamOptions::default()
    }
}

/// One line per event, stable and readable in assertions.
pub fn summary(e: &Event) -> String {
    match e {
        Event::Start { .. } => "start".into(),
        Event::TextStart { content_index } => format!("text_start {content_index}"),
        Event::TextDelta {
            content_index,
            delta,
        } => format!("text_delta {content_index} {delta:?}"),
        Event::TextEnd {
            content_index,
            content,
        } => format!("text_end {content_index} {content:?}"),
        Event::ThinkingStart { content_index } => format!("thinking_start {content_index}"),
        Event::ThinkingDelta {
            content_index,
            delta,
        } => format!("thinking_delta {content_index} {delta:?}"),
        Event::ThinkingEnd {
            content_index,
            content,
        } => format!("thinking_end {content_index} {content:?}"),
        Event::ToolcallStart {
            content_index,
            id,
            tool_name,
        } => format!("toolcall_start {content_index} {id} {tool_name}"),
        Event::ToolcallDelta {
            content_index,
            delta,
            ..
        } => format!("toolcall_delta {content_index} {delta:?}"),
        Event::ToolcallEnd {
            content_index,
            tool_call,
        } => format!("toolcall_end {content_index} {}", tool_call.arguments),
        Event::Done { reason, .. } => format!("done {reason:?}"),
        Event::Error { reason, kind, .. } => format!("error {reason:?} {kind:?}"),
    }
}

pub fn summaries(events: &[Event]) -> Vec<String> {
    events.iter().map(summary).collect()
}

/// The contract every stream must honour, whatever the provider.
pub fn check_invariants(events: &[Event]) {
    assert!(
        matches!(events.first(), Some(Event::Start { .. })),
        "first event must be start: {:?}",
        summaries(events)
    );
    assert_eq!(
        events.iter().filter(|e| e.is_terminal()).count(),
        1,
        "exactly one terminal event: {:?}",
        summaries(events)
    );
    assert!(events.last().unwrap().is_terminal(), "terminal event last");
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Start { .. }))
            .count(),
        1
    );
    let final_message = match events.last().unwrap() {
        Event::Done { message, reason } => {
            assert_eq!(message.stop_reason, *reason);
            assert!(message.error_message.is_none());
            message
        }
        Event::Error { error, reason, .. } => {
            assert!(matches!(reason, StopReason::Error | StopReason::Aborted));
            assert_eq!(error.stop_reason, *reason);
            assert!(error.error_message.is_some());
            error
        }
        _ => unreachable!(),
    };
    // Deltas rebuild each block's final text; tool deltas concatenate to the final
    // arguments; every start on a completed stream has its end.
    let done = matches!(events.last(), Some(Event::Done { .. }));
    for (i, block) in final_message.content.iter().enumerate() {
        let deltas: String = events
            .iter()
            .filter_map(|e| match e {
                Event::TextDelta {
                    content_index,
                    delta,
                }
                | Event::ThinkingDelta {
                    content_index,
                    delta,
                }
                | Event::ToolcallDelta {
                    content_index,
                    delta,
                    ..
                } if *content_index == i => Some(delta.as_str()),
                _ => None,
            })
            .collect();
        match block {
            dash::llm::Content::Text(t) => assert_eq!(deltas, t.text),
            dash::llm::Content::Thinking(t) => assert_eq!(deltas, t.thinking),
            dash::llm::Content::ToolCall(c) => {
                assert!(c.arguments.is_object());
                if done && !deltas.is_empty() {
                    let parsed: serde_json::Value = serde_json::from_str(&deltas).unwrap();
                    assert_eq!(parsed, c.arguments, "deltas of block {i}");
                }
            }
            dash::llm::Content::Image(_) => {}
        }
        if done {
            let ends = events
                .iter()
                .filter(|e| match e {
                    Event::TextEnd { content_index, .. }
                    | Event::ThinkingEnd { content_index, .. }
                    | Event::ToolcallEnd { content_index, .. } => *content_index == i,
                    _ => false,
                })
                .count();
            assert_eq!(ends, 1, "block {i} ends once: {:?}", summaries(events));
        }
    }
}

/// Runs a recorded body through the pure pipeline (no HTTP), fed in `chunk`-byte
/// pieces.
pub fn replay_offline(api: Api, body: &[u8], chunk: usize) -> Vec<Event> {
    let model = model_for(api, "http://unused");
    let mut builder = MessageBuilder::new(api.as_str(), &model.provider, &model.id, model.cost);
    let mut parser = parser_for(api);
    let mut sse = SseParser::new();
    let mut out = Vec::new();
    for piece in body.chunks(chunk.max(1)) {
        sse.feed(piece, |e, d| {
            if !builder.is_finished() {
                parser.on_event(e, d, &mut builder)
            }
        });
        while let Some(e) = builder.pop_event() {
            out.push(e);
        }
    }
    sse.finish(|e, d| {
        if !builder.is_finished() {
            parser.on_event(e, d, &mut builder)
        }
    });
    if !builder.is_finished() {
        parser.on_eof(&mut builder);
    }
    while let Some(e) = builder.pop_event() {
        out.push(e);
    }
    out
}

/// A key with characters that percent-encoding and JSON escaping change, and a
/// marker (`Echo`) that appears in every form of it and nowhere else in the tests.
pub const ECHO_KEY: &str = "sk-ant-api03+Echo/Key=0123456789abcdef";

/// Whether `s` shows the key in any form (as sent, percent- or JSON-encoded).
pub fn shows_echo_key(s: &str) -> bool {
    s.contains("Echo")
}

fn sse(event: Option<&str>, data: serde_json::Value) -> String {
    match event {
        Some(e) => format!("event: {e}\ndata: {data}\n\n"),
        None => format!("data: {data}\n\n"),
    }
}

/// A stream in `api`'s wire format whose server echoes `key`: in text (split across
/// two deltas), in thinking (Anthropic, the only one of these whose thinking deltas
/// are plain), in a tool call's arguments (split, JSON-escaped `\/`, or whole for
/// Gemini), and finally in a mid-stream error event quoting it as sent, in a
/// `Bearer` header and percent-encoded in a URL.
pub fn key_echo_body(api: Api, key: &str) -> String {
    use serde_json::json;
    let (a, b) = key.split_at(key.len() / 2);
    let escaped = key.replace('/', "\\/");
    let (ea, eb) = escaped.split_at(escaped.len() / 3);
    let args_1 = format!("{{\"k\":\"{ea}");
    let args_2 = format!("{eb}\"}}");
    let pct: String = key
        .bytes()
        .map(|c| {
            if c.is_ascii_alphanumeric() || b"-._~".contains(&c) {
                char::from(c).to_string()
            } else {
                format!("%{c:02X}")
            }
        })
        .collect();
    let message = format!(
        "Invalid credentials {key}: header Authorization: Bearer {key} from https://proxy.example/v1?key={pct}"
    );
    match api {
        Api::OpenaiCompletions => {
            let delta = |d: serde_json::Value| json!({"choices": [{"index": 0, "delta": d}]});
            [
                sse(None, delta(json!({"content": format!("your key: {a}")}))),
                sse(None, delta(json!({"content": format!("{b}.")}))),
                sse(
                    None,
                    delta(json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                        "function": {"name": "f", "arguments": args_1}}]})),
                ),
                sse(
                    None,
                    delta(json!({"tool_calls": [{"index": 0, "function": {"arguments": args_2}}]})),
                ),
                sse(
                    None,
                    json!({"error": {"message": message, "type": "server_error", "code": key}}),
                ),
            ]
            .concat()
        }
        Api::OpenaiResponses => [
            sse(
                Some("response.created"),
                json!({"type": "response.created", "response": {"id": "resp_1", "status": "in_progress", "output": []}}),
            ),
            sse(
                Some("response.output_text.delta"),
                json!({"type": "response.output_text.delta", "output_index": 0, "delta": format!("your key: {a}")}),
            ),
            sse(
                Some("response.output_text.delta"),
                json!({"type": "response.output_text.delta", "output_index": 0, "delta": format!("{b}.")}),
            ),
            sse(
                Some("response.output_item.added"),
                json!({"type": "response.output_item.added", "output_index": 1, "item":
                    {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": ""}}),
            ),
            sse(
                Some("response.function_call_arguments.delta"),
                json!({"type": "response.function_call_arguments.delta", "output_index": 1, "delta": args_1}),
            ),
            sse(
                Some("response.function_call_arguments.delta"),
                json!({"type": "response.function_call_arguments.delta", "output_index": 1, "delta": args_2}),
            ),
            sse(
                Some("error"),
                json!({"type": "error", "code": key, "message": message}),
            ),
        ]
        .concat(),
        Api::AnthropicMessages => {
            let delta = |i: u32, d: serde_json::Value| {
                sse(
                    Some("content_block_delta"),
                    json!({"type": "content_block_delta", "index": i, "delta": d}),
                )
            };
            [
                sse(
                    Some("message_start"),
                    json!({"type": "message_start", "message": {"id": "msg_1", "usage": {"input_tokens": 5}}}),
                ),
                sse(
                    Some("content_block_start"),
                    json!({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}),
                ),
                delta(0, json!({"type": "thinking_delta", "thinking": format!("the key {a}")})),
                delta(0, json!({"type": "thinking_delta", "thinking": b})),
                delta(0, json!({"type": "signature_delta", "signature": key})),
                sse(
                    Some("content_block_stop"),
                    json!({"type": "content_block_stop", "index": 0}),
                ),
                sse(
                    Some("content_block_start"),
                    json!({"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}),
                ),
                delta(1, json!({"type": "text_delta", "text": format!("your key: {a}")})),
                delta(1, json!({"type": "text_delta", "text": format!("{b}.")})),
                sse(
                    Some("content_block_start"),
                    json!({"type": "content_block_start", "index": 2, "content_block":
                        {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}}),
                ),
                delta(2, json!({"type": "input_json_delta", "partial_json": args_1})),
                delta(2, json!({"type": "input_json_delta", "partial_json": args_2})),
                sse(
                    Some("error"),
                    json!({"type": "error", "error": {"type": "api_error", "message": message}}),
                ),
            ]
            .concat()
        }
        Api::GoogleGenerativeAi => {
            let parts = |p: serde_json::Value| {
                json!({"candidates": [{"content": {"role": "model", "parts": p}, "index": 0}]})
            };
            [
                sse(None, parts(json!([{"text": format!("your key: {a}")}]))),
                sse(None, parts(json!([{"text": format!("{b}.")}]))),
                sse(
                    None,
                    parts(json!([{"functionCall": {"name": "f", "args": {"k": key}}}])),
                ),
                sse(
                    None,
                    json!({"error": {"code": 500, "message": message, "status": "INTERNAL"}}),
                ),
            ]
            .concat()
        }
    }
}

/// Response head of an event stream that ends when the connection does.
pub const SSE_HEAD: &str =
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";

/// Serves every connection with `head` (status line and headers), then `prefix`, then
/// `unit` repeated until the client hangs up: a body that never ends.
pub async fn endless_server(head: &'static str, prefix: String, unit: Vec<u8>) -> String {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (prefix, unit) = (prefix.clone(), unit.clone());
            tokio::spawn(async move {
                read_request(&mut sock).await;
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(prefix.as_bytes()).await;
                let block = unit.repeat((65536 / unit.len()).max(1));
                while sock.write_all(&block).await.is_ok() {}
            });
        }
    });
    format!("http://{addr}")
}

/// Reads one HTTP request (head, then Content-Length bytes of body).
pub async fn read_request(sock: &mut tokio::net::TcpStream) {
    use tokio::io::AsyncReadExt;
    let mut req = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match sock.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
        let text = String::from_utf8_lossy(&req).to_ascii_lowercase();
        if let Some(head_end) = text.find("\r\n\r\n") {
            let len = text
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if req.len() >= head_end + 4 + len {
                return;
            }
        }
    }
}

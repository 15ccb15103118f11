//! The HTTP side of a stream: status codes and retries, Retry-After, JSON error
//! bodies, the idle timeout (which keep-alive comments must not reset),
//! cancellation, and keys never leaking into errors.

mod llm_support;

use std::time::Duration;

use dash::llm::{
    Api, ApiKey, Client, Context, ErrorKind, Event, Message, StopReason, StreamOptions, Tool,
};
use llm_support::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-test-SECRET-0123456789";

const OK_BODY: &str = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"}}]}\n\n\
data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";

fn ctx() -> Context {
    Context {
        system_prompt: Some("Be brief.".into()),
        messages: vec![Message::user("hi")],
        tools: vec![Tool::new("f", "does f", json!({"type": "object"}))],
    }
}

async fn run(base: &str, opts: StreamOptions) -> Vec<Event> {
    let model = model_for(Api::OpenaiCompletions, base);
    let mut s = Client::new().unwrap().stream(&model, &ctx(), opts);
    let mut events = Vec::new();
    while let Some(e) = s.next().await {
        events.push(e);
    }
    check_invariants(&events);
    events
}

fn error_of(events: &[Event]) -> (ErrorKind, String) {
    match events.last() {
        Some(Event::Error { kind, error, .. }) => (*kind, error.error_message.clone().unwrap()),
        other => panic!("expected an error, got {other:?}"),
    }
}

fn with_key() -> StreamOptions {
    StreamOptions {
        api_key: Some(ApiKey::new(KEY)),
        ..fast_options()
    }
}

#[tokio::test]
async fn unauthorized_is_a_typed_error_sent_once_and_the_key_is_redacted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {
            "message": format!("Incorrect API key provided: {KEY}."),
            "type": "invalid_request_error", "code": "invalid_api_key"}})))
        .expect(1)
        .mount(&server)
        .await;
    let events = run(&server.uri(), with_key()).await;
    assert_eq!(summaries(&events), ["start", "error Error Auth"]);
    let (_, message) = error_of(&events);
    assert!(message.contains("Incorrect API key provided"), "{message}");
    assert!(message.contains("HTTP 401"));
    assert!(!message.contains(KEY) && message.contains("[REDACTED]"));
    let debug = format!("{:?} {:?}", with_key(), events);
    assert!(!debug.contains(KEY), "Debug output leaks the key");
}

#[tokio::test]
async fn request_carries_system_prompt_tools_and_streaming_usage() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_partial_json(json!({
            "model": "test-model", "stream": true,
            "stream_options": {"include_usage": true},
            "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
            "tools": [{"type": "function", "function": {"name": "f", "description": "does f"}}],
        })))
        .respond_with(ResponseTemplate::new(200).set_body_raw(OK_BODY, "text/event-stream"))
        .expect(1)
        .mount(&server)
        .await;
    let events = run(&format!("{}/v1", server.uri()), fast_options()).await;
    assert_eq!(summaries(&events).last().unwrap(), "done Stop");
    let requests = server.received_requests().await.unwrap();
    let content_types: Vec<_> = requests[0].headers.get_all("content-type").iter().collect();
    assert_eq!(content_types, ["application/json"]);
    assert!(
        requests[0].headers.get("authorization").is_none(),
        "no key, no header"
    );
}

async fn flaky_then_ok(first: ResponseTemplate) -> (MockServer, Vec<Event>) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(first)
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(OK_BODY, "text/event-stream"))
        .expect(1)
        .mount(&server)
        .await;
    let events = run(&server.uri(), fast_options()).await;
    (server, events)
}

#[tokio::test]
async fn rate_limit_with_retry_after_seconds_is_retried() {
    let (_s, events) = flaky_then_ok(
        ResponseTemplate::new(429)
            .insert_header("retry-after", "0")
            .set_body_json(json!({"error": {"message": "slow down"}})),
    )
    .await;
    assert_eq!(summaries(&events).last().unwrap(), "done Stop");
}

#[tokio::test]
async fn rate_limit_with_retry_after_http_date_is_retried() {
    let (_s, events) = flaky_then_ok(
        ResponseTemplate::new(429).insert_header("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"),
    )
    .await;
    assert_eq!(summaries(&events).last().unwrap(), "done Stop");
}

#[tokio::test]
async fn server_error_without_retry_after_is_retried_with_backoff() {
    let (_s, events) =
        flaky_then_ok(ResponseTemplate::new(503).set_body_string("upstream unavailable")).await;
    assert_eq!(
        summaries(&events),
        [
            "start",
            "text_start 0",
            "text_delta 0 \"ok\"",
            "text_end 0 \"ok\"",
            "done Stop"
        ]
    );
}

#[tokio::test]
async fn retry_after_beyond_the_cap_is_reported_not_waited_for() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let events = run(&server.uri(), fast_options()).await;
    let (kind, message) = error_of(&events);
    assert_eq!(kind, ErrorKind::RateLimit);
    assert!(message.contains("retry after 3600 s"), "{message}");
}

#[tokio::test]
async fn persistent_500_gives_up_after_the_configured_retries() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"error": {"message": "boom"}})),
        )
        .expect(3)
        .mount(&server)
        .await;
    let events = run(&server.uri(), fast_options()).await;
    assert_eq!(
        error_of(&events),
        (ErrorKind::Server, "provider error (HTTP 500): boom".into())
    );
}

#[tokio::test]
async fn anthropic_529_overloaded_is_typed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(529).set_body_json(
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        ))
        .mount(&server)
        .await;
    let model = model_for(Api::AnthropicMessages, &server.uri());
    let msg = Client::new()
        .unwrap()
        .complete(
            &model,
            &ctx(),
            StreamOptions {
                retry: dash::llm::RetryPolicy::none(),
                ..fast_options()
            },
        )
        .await;
    assert_eq!(msg.stop_reason, StopReason::Error);
    assert!(msg.error_message.unwrap().contains("overloaded"));
}

#[tokio::test]
async fn json_error_body_with_status_200_is_not_parsed_as_sse() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"error": {"message": "This model's maximum context length is 8192 tokens", "code": "context_length_exceeded"}}),
        ))
        .mount(&server)
        .await;
    let events = run(&server.uri(), fast_options()).await;
    assert_eq!(error_of(&events).0, ErrorKind::ContextOverflow);
}

#[tokio::test]
async fn connection_refused_is_a_network_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let events = run(&format!("http://{addr}"), fast_options()).await;
    assert_eq!(error_of(&events).0, ErrorKind::Network);
}

// ---- a server that writes its body slowly ------------------------------------------

/// Serves every connection with SSE headers, then `chunks` (delay before each).
async fn trickle_server(chunks: Vec<(Duration, String)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let chunks = chunks.clone();
            tokio::spawn(async move {
                let mut req = Vec::new();
                let mut buf = [0u8; 4096];
                // Read the request head and its body (Content-Length bytes).
                loop {
                    let Ok(n) = sock.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    req.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&req).to_ascii_lowercase();
                    if let Some(head_end) = text.find("\r\n\r\n") {
                        let len = text
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if req.len() >= head_end + 4 + len {
                            break;
                        }
                    }
                }
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
                if sock.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for (delay, data) in chunks {
                    tokio::time::sleep(delay).await;
                    if sock.write_all(data.as_bytes()).await.is_err() {
                        return;
                    }
                    let _ = sock.flush().await;
                }
            });
        }
    });
    format!("http://{addr}")
}

fn text_chunk(t: &str) -> String {
    format!(
        "data: {}\n\n",
        json!({"choices": [{"index": 0, "delta": {"content": t}}]})
    )
}

#[tokio::test]
async fn keepalive_comments_do_not_reset_the_idle_timeout() {
    let mut chunks = vec![(Duration::ZERO, text_chunk("Hi"))];
    chunks.extend((0..300).map(|_| (Duration::from_millis(20), ": keep-alive\n\n".to_owned())));
    let base = trickle_server(chunks).await;
    let opts = StreamOptions {
        idle_timeout: Duration::from_millis(300),
        ..fast_options()
    };
    let events = run(&base, opts).await;
    assert_eq!(
        summaries(&events),
        [
            "start",
            "text_start 0",
            "text_delta 0 \"Hi\"",
            "error Error Timeout"
        ]
    );
}

#[tokio::test]
async fn steady_events_slower_than_nothing_but_faster_than_the_timeout_complete() {
    let mut chunks: Vec<_> = (0..6)
        .map(|i| (Duration::from_millis(40), text_chunk(&i.to_string())))
        .collect();
    chunks.push((Duration::ZERO, OK_BODY.to_owned()));
    let base = trickle_server(chunks).await;
    let opts = StreamOptions {
        idle_timeout: Duration::from_secs(3),
        ..fast_options()
    };
    let events = run(&base, opts).await;
    assert_eq!(summaries(&events).last().unwrap(), "done Stop");
    match events.last() {
        Some(Event::Done { message, .. }) => assert_eq!(message.text(), "012345ok"),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn cancellation_ends_with_aborted_and_keeps_the_partial_text() {
    let chunks = (0..200)
        .map(|_| (Duration::from_millis(25), text_chunk("x")))
        .collect();
    let base = trickle_server(chunks).await;
    let opts = fast_options();
    let cancel = opts.cancel.clone();
    let model = model_for(Api::OpenaiCompletions, &base);
    let mut s = Client::new().unwrap().stream(&model, &ctx(), opts);
    let mut events = Vec::new();
    while let Some(e) = s.next().await {
        if matches!(e, Event::TextDelta { .. }) {
            cancel.cancel();
        }
        events.push(e);
    }
    check_invariants(&events);
    let Some(Event::Error {
        reason,
        kind,
        error,
    }) = events.last()
    else {
        panic!("{:?}", summaries(&events))
    };
    assert_eq!((*reason, *kind), (StopReason::Aborted, ErrorKind::Aborted));
    assert!(error.text().starts_with('x'));
}

#[tokio::test]
async fn a_cancelled_token_aborts_before_any_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(OK_BODY, "text/event-stream"))
        .expect(0)
        .mount(&server)
        .await;
    let opts = fast_options();
    opts.cancel.cancel();
    let events = run(&server.uri(), opts).await;
    assert_eq!(summaries(&events), ["start", "error Aborted Aborted"]);
}

#[tokio::test]
async fn a_stream_failing_before_any_content_is_retried_once_start_is_not_repeated() {
    let overloaded = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"usage\":{\"input_tokens\":5}}}\n\n\
event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
    let ok = std::fs::read(fixture("anthropic-messages/thinking_text_tool.sse")).unwrap();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(overloaded, "text/event-stream"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(ok, "text/event-stream"))
        .expect(1)
        .mount(&server)
        .await;
    let model = model_for(Api::AnthropicMessages, &server.uri());
    let mut s = Client::new()
        .unwrap()
        .stream(&model, &ctx(), fast_options());
    let mut events = Vec::new();
    while let Some(e) = s.next().await {
        events.push(e);
    }
    check_invariants(&events);
    assert_eq!(summaries(&events).last().unwrap(), "done ToolUse");
}

#[tokio::test]
async fn an_empty_200_body_is_retried_then_reported_as_truncated() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(": nothing\n\n", "text/event-stream"))
        .expect(3)
        .mount(&server)
        .await;
    let events = run(&server.uri(), fast_options()).await;
    assert_eq!(summaries(&events), ["start", "error Error Truncated"]);
}

#[tokio::test]
async fn into_stream_yields_the_same_events() {
    use futures_util::StreamExt;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(OK_BODY, "text/event-stream"))
        .mount(&server)
        .await;
    let model = model_for(Api::OpenaiCompletions, &server.uri());
    let s = Client::new()
        .unwrap()
        .stream(&model, &ctx(), fast_options());
    let events: Vec<Event> = s.into_stream().collect().await;
    assert_eq!(
        summaries(&events),
        run(&server.uri(), fast_options())
            .await
            .iter()
            .map(summary)
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn the_stream_ends_at_its_terminal_event_even_if_the_body_stays_open() {
    // The server sends a complete reply, then holds the connection open silently.
    let base = trickle_server(vec![
        (Duration::ZERO, OK_BODY.to_owned()),
        (Duration::from_secs(600), String::new()),
    ])
    .await;
    let opts = StreamOptions {
        idle_timeout: Duration::from_secs(300),
        ..fast_options()
    };
    // A generous guard, not a timing assertion: without it a regression would hang.
    let events = tokio::time::timeout(Duration::from_secs(60), run(&base, opts))
        .await
        .expect("the stream must end at [DONE], not wait for the connection to close");
    assert_eq!(summaries(&events).last().unwrap(), "done Stop");
}

// ---- the key echoed back by the server (issue 8, item 18) --------------------------

const APIS: [Api; 4] = [
    Api::OpenaiCompletions,
    Api::OpenaiResponses,
    Api::AnthropicMessages,
    Api::GoogleGenerativeAi,
];

async fn stream_events(model: &dash::llm::Model, opts: StreamOptions) -> Vec<Event> {
    let mut s = Client::new().unwrap().stream(model, &ctx(), opts);
    let mut events = Vec::new();
    while let Some(e) = s.next().await {
        events.push(e);
    }
    check_invariants(&events);
    events
}

fn echo_key_options() -> StreamOptions {
    StreamOptions {
        api_key: Some(ApiKey::new(ECHO_KEY)),
        retry: dash::llm::RetryPolicy::none(),
        ..fast_options()
    }
}

#[tokio::test]
async fn a_key_echoed_mid_stream_is_redacted_from_every_event_in_all_four_formats() {
    for api in APIS {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(key_echo_body(api, ECHO_KEY), "text/event-stream"),
            )
            .mount(&server)
            .await;
        let events = stream_events(&model_for(api, &server.uri()), echo_key_options()).await;
        let ndjson: String = events
            .iter()
            .map(|e| serde_json::to_string(e).unwrap() + "\n")
            .collect();
        assert!(!shows_echo_key(&ndjson), "{api}: the key leaked:\n{ndjson}");
        let Some(Event::Error { error, kind, .. }) = events.last() else {
            panic!("{api}: {:?}", summaries(&events))
        };
        // Responses reports the echoed key as the error's code.
        assert!(
            matches!(kind, ErrorKind::Server | ErrorKind::Provider),
            "{api}: {kind:?}"
        );
        let message = error.error_message.as_deref().unwrap();
        // As sent, after "Bearer", percent-encoded: three forms (and the code).
        assert!(
            message.matches("[REDACTED]").count() >= 3,
            "{api}: {message}"
        );
        assert_eq!(error.text(), "your key: [REDACTED].", "{api}");
        let call = error.tool_calls().next().unwrap();
        assert_eq!(call.arguments, json!({"k": "[REDACTED]"}), "{api}");
        if api == Api::AnthropicMessages {
            let dash::llm::Content::Thinking(t) = &error.content[0] else {
                panic!("{:?}", error.content)
            };
            assert_eq!(t.thinking, "the key [REDACTED]");
            assert_eq!(t.thinking_signature.as_deref(), Some("[REDACTED]"));
        }
    }
}

#[tokio::test]
async fn a_key_echoed_in_an_http_error_body_is_redacted_in_all_four_formats() {
    for api in APIS {
        let server = MockServer::start().await;
        let pct = ECHO_KEY
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D");
        let body = json!({"error": {"message": format!("bad key {ECHO_KEY} (Bearer {ECHO_KEY}, ?key={pct})"),
            "type": "authentication_error", "code": 401, "status": "UNAUTHENTICATED"}});
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(401).set_body_json(body))
            .mount(&server)
            .await;
        let events = stream_events(&model_for(api, &server.uri()), echo_key_options()).await;
        let (kind, message) = error_of(&events);
        assert_eq!(kind, ErrorKind::Auth, "{api}");
        assert!(!shows_echo_key(&format!("{events:?}")), "{api}: {message}");
        assert_eq!(message.matches("[REDACTED]").count(), 3, "{api}: {message}");
    }
}

#[tokio::test]
async fn text_that_only_starts_like_the_key_is_handed_out_unchanged() {
    // The redactor holds back a possible start of the key; when it turns out not to
    // be one, every byte still arrives, in order, before the block ends.
    let body = [
        text_chunk("ends with sk-ant-api03+Ec"),
        text_chunk("lipse, and s"),
        text_chunk("k"),
        OK_BODY.to_owned(),
    ]
    .concat();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "text/event-stream"))
        .mount(&server)
        .await;
    let model = model_for(Api::OpenaiCompletions, &server.uri());
    let events = stream_events(&model, echo_key_options()).await;
    let Some(Event::Done { message, .. }) = events.last() else {
        panic!("{:?}", summaries(&events))
    };
    assert_eq!(message.text(), "ends with sk-ant-api03+Eclipse, and skok");
}

// ---- redirects keep credentials on their origin (issue 8, item 19) ----------------

/// A recorded reply that completes, per wire format.
fn ok_reply(api: Api) -> ResponseTemplate {
    let name = match api {
        Api::OpenaiCompletions => "text",
        Api::OpenaiResponses => "reasoning_text_tool",
        Api::AnthropicMessages => "thinking_text_tool",
        Api::GoogleGenerativeAi => "thinking_text_parallel_calls",
    };
    let body = std::fs::read(fixture(&format!("{}/{name}.sse", api.as_str()))).unwrap();
    ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
}

/// A model with the key in its auth header and in a configured custom header.
fn keyed_model(api: Api, base: &str) -> dash::llm::Model {
    let mut m = model_for(api, base);
    m.headers
        .insert("x-custom-auth".into(), format!("token {KEY}"));
    m.headers
        .insert("openai-organization".into(), "org-1".into());
    m
}

fn keyed_options() -> StreamOptions {
    StreamOptions {
        api_key: Some(ApiKey::new(KEY)),
        retry: dash::llm::RetryPolicy::none(),
        ..fast_options()
    }
}

fn last_is_done(events: &[Event]) -> bool {
    matches!(events.last(), Some(Event::Done { .. }))
}

/// Every header and the query of a received request, as one string to search.
fn request_text(r: &wiremock::Request) -> String {
    let mut s = format!("{} {}\n", r.method, r.url);
    for (k, v) in r.headers.iter() {
        s.push_str(&format!("{k}: {}\n", v.to_str().unwrap_or("?")));
    }
    s
}

#[tokio::test]
async fn a_redirect_to_another_origin_carries_no_credential_in_any_format() {
    for api in APIS {
        for status in [301, 302, 307, 308] {
            let elsewhere = MockServer::start().await;
            Mock::given(method("POST"))
                .and(path("/moved"))
                .respond_with(ok_reply(api))
                .expect(1)
                .mount(&elsewhere)
                .await;
            let origin = MockServer::start().await;
            // The Location echoes the key in the query, as Gemini's `?key=` would.
            Mock::given(method("POST"))
                .respond_with(ResponseTemplate::new(status).insert_header(
                    "location",
                    format!("{}/moved?alt=sse&key={KEY}&api_key=x", elsewhere.uri()).as_str(),
                ))
                .expect(1)
                .mount(&origin)
                .await;
            let model = keyed_model(api, &origin.uri());
            let events = stream_events(&model, keyed_options()).await;
            assert!(
                last_is_done(&events),
                "{api} {status}: {:?}",
                summaries(&events)
            );
            let first = &origin.received_requests().await.unwrap()[0];
            let moved = &elsewhere.received_requests().await.unwrap()[0];
            assert!(request_text(first).contains(KEY), "the origin gets the key");
            let seen = request_text(moved);
            assert!(
                !seen.contains(KEY),
                "{api} {status}: key forwarded:\n{seen}"
            );
            for h in [
                "authorization",
                "x-api-key",
                "x-goog-api-key",
                "x-custom-auth",
                "openai-organization",
            ] {
                assert!(
                    moved.headers.get(h).is_none(),
                    "{api} {status}: {h} forwarded"
                );
            }
            assert_eq!(moved.url.query(), Some("alt=sse"), "{api} {status}");
            // The same POST, body and body headers included.
            assert_eq!(moved.method.as_str(), "POST");
            assert_eq!(moved.body, first.body, "{api} {status}");
            assert_eq!(
                moved.headers.get("content-type").unwrap(),
                "application/json"
            );
            if api == Api::AnthropicMessages {
                assert!(moved.headers.get("anthropic-version").is_some());
            }
        }
    }
}

#[tokio::test]
async fn a_redirect_within_the_origin_keeps_the_credentials() {
    for api in APIS {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/moved"))
            .respond_with(ok_reply(api))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(307).insert_header("location", "/moved"))
            .expect(1)
            .mount(&server)
            .await;
        let events = stream_events(&keyed_model(api, &server.uri()), keyed_options()).await;
        assert!(last_is_done(&events), "{api}: {:?}", summaries(&events));
        let requests = server.received_requests().await.unwrap();
        let moved = requests.iter().find(|r| r.url.path() == "/moved").unwrap();
        assert!(
            request_text(moved).contains(KEY),
            "{api}: same origin keeps the key"
        );
        assert!(moved.headers.get("x-custom-auth").is_some());
    }
}

#[tokio::test]
async fn a_chain_that_leaves_and_comes_back_stays_without_credentials() {
    let origin = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/back"))
        .respond_with(ok_reply(Api::AnthropicMessages))
        .expect(1)
        .mount(&origin)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(308)
                .insert_header("location", format!("{}/back", elsewhere.uri()).as_str()),
        )
        .mount(&origin)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/back", origin.uri()).as_str()),
        )
        .expect(1)
        .mount(&elsewhere)
        .await;
    let model = keyed_model(Api::AnthropicMessages, &origin.uri());
    let events = stream_events(&model, keyed_options()).await;
    assert!(last_is_done(&events), "{:?}", summaries(&events));
    let requests = origin.received_requests().await.unwrap();
    let back = requests.iter().find(|r| r.url.path() == "/back").unwrap();
    assert!(!request_text(back).contains(KEY));
}

#[tokio::test]
async fn redirect_loops_and_see_other_end_in_typed_errors() {
    let looping = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", "/v1/chat/completions"))
        .mount(&looping)
        .await;
    let model = keyed_model(Api::OpenaiCompletions, &looping.uri());
    let (kind, message) = error_of(&stream_events(&model, keyed_options()).await);
    assert_eq!(kind, ErrorKind::BadRequest);
    assert!(message.contains("more than 10 redirects"), "{message}");
    assert_eq!(looping.received_requests().await.unwrap().len(), 11);

    let see_other = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(303).insert_header("location", "/result"))
        .expect(1)
        .mount(&see_other)
        .await;
    let model = keyed_model(Api::OpenaiCompletions, &see_other.uri());
    let (kind, message) = error_of(&stream_events(&model, keyed_options()).await);
    assert_eq!(kind, ErrorKind::BadRequest);
    assert!(
        message.contains("HTTP 303") && message.contains("/result"),
        "{message}"
    );
}

// ---- bounded buffering (issue 8, item 20) ------------------------------------------

fn small_limits() -> StreamOptions {
    StreamOptions {
        limits: dash::llm::Limits {
            sse_line: 64 << 10,
            sse_event: 256 << 10,
            response_body: 4 << 20,
            error_body: 16 << 10,
        },
        retry: dash::llm::RetryPolicy::none(),
        ..fast_options()
    }
}

/// Guards a test of an endless body: without the limit it would never end.
async fn bounded(base: &str, opts: StreamOptions) -> Vec<Event> {
    tokio::time::timeout(Duration::from_secs(60), run(base, opts))
        .await
        .expect("an endless body must be cut by a limit")
}

#[tokio::test]
async fn a_line_that_never_ends_stops_at_the_line_limit() {
    let base = endless_server(
        SSE_HEAD,
        text_chunk("Hi") + "data: {\"x\":\"",
        b"x".to_vec(),
    )
    .await;
    let events = bounded(&base, small_limits()).await;
    assert_eq!(
        summaries(&events)[..3],
        ["start", "text_start 0", "text_delta 0 \"Hi\""]
    );
    let (kind, message) = error_of(&events);
    assert_eq!(kind, ErrorKind::TooLarge);
    assert!(
        message.contains("an SSE line in the response from") && message.contains("64 KiB limit"),
        "{message}"
    );
    assert!(message.contains(&base), "names the stream: {message}");
    // The partial reply is kept.
    let Some(Event::Error { error, .. }) = events.last() else {
        unreachable!()
    };
    assert_eq!(error.text(), "Hi");
}

#[tokio::test]
async fn an_event_that_never_ends_stops_at_the_event_limit() {
    let base = endless_server(SSE_HEAD, String::new(), b"data: 0123456789\n".to_vec()).await;
    let (kind, message) = error_of(&bounded(&base, small_limits()).await);
    assert_eq!(kind, ErrorKind::TooLarge);
    assert!(
        message.contains("an SSE event in") && message.contains("256 KiB limit"),
        "{message}"
    );
}

#[tokio::test]
async fn a_reply_that_never_ends_stops_at_the_response_limit() {
    let base = endless_server(SSE_HEAD, String::new(), text_chunk("x").into_bytes()).await;
    let events = bounded(&base, small_limits()).await;
    let (kind, message) = error_of(&events);
    assert_eq!(kind, ErrorKind::TooLarge);
    assert!(
        message.contains("the response from") && message.contains("4 MiB limit"),
        "{message}"
    );
    let Some(Event::Error { error, .. }) = events.last() else {
        unreachable!()
    };
    assert!(error.text().len() > 1000, "the text so far is kept");
}

#[tokio::test]
async fn an_error_body_that_never_ends_is_read_up_to_its_limit() {
    let head = "HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n";
    let base = endless_server(head, "upstream failed: ".into(), b"z".to_vec()).await;
    let (kind, message) = error_of(&bounded(&base, small_limits()).await);
    assert_eq!(kind, ErrorKind::Server);
    assert!(
        message.starts_with("provider error (HTTP 500): upstream failed: zzz"),
        "{message}"
    );
}

#[tokio::test]
async fn a_line_just_under_the_limit_is_a_normal_event() {
    let long = "y".repeat((64 << 10) - 200);
    let body = text_chunk(&long) + OK_BODY;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "text/event-stream"))
        .mount(&server)
        .await;
    let events = run(&server.uri(), small_limits()).await;
    let Some(Event::Done { message, .. }) = events.last() else {
        panic!("{:?}", summaries(&events))
    };
    assert_eq!(message.text(), long + "ok");
}

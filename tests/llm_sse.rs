//! Byte-exact SSE fixtures for each wire format, served over HTTP by wiremock and
//! asserted as event sequences (plus the stream invariants every provider obeys).
//! Fixtures live in `fixtures/llm/<api>/` and were written from the providers' public
//! API documentation.

mod llm_support;

use dash::llm::{Api, AssistantMessage, Client, Context, Event, Message, StopReason, Usage};
use llm_support::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn api_dir(api: Api) -> &'static str {
    api.as_str()
}

fn expected_path(api: Api) -> &'static str {
    match api {
        Api::OpenaiCompletions => "/v1/chat/completions",
        Api::OpenaiResponses => "/v1/responses",
        Api::AnthropicMessages => "/v1/messages",
        Api::GoogleGenerativeAi => "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
    }
}

/// Serves the fixture and collects the events of one streamed call; also checks
/// that chunking the same bytes differently (1, 3, 17 bytes) changes nothing.
async fn replay(api: Api, name: &str) -> (Vec<String>, AssistantMessage) {
    let body = std::fs::read(fixture(&format!("{}/{name}.sse", api_dir(api)))).unwrap();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(expected_path(api)))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body.clone(), "text/event-stream"))
        .expect(1)
        .mount(&server)
        .await;
    let model = model_for(api, &server.uri());
    let ctx = Context {
        messages: vec![Message::user("hi")],
        ..Context::default()
    };
    // One attempt: these tests are about parsing (retries are tested in llm_http).
    let opts = dash::llm::StreamOptions {
        retry: dash::llm::RetryPolicy::none(),
        ..fast_options()
    };
    let mut stream = Client::new().unwrap().stream(&model, &ctx, opts);
    let mut events = Vec::new();
    while let Some(e) = stream.next().await {
        events.push(e);
    }
    assert!(
        stream.next().await.is_none(),
        "nothing after the terminal event"
    );
    check_invariants(&events);
    for chunk in [1, 3, 17] {
        assert_eq!(
            summaries(&replay_offline(api, &body, chunk)),
            summaries(&events),
            "{name} chunked by {chunk}"
        );
    }
    let message = match events.last().unwrap() {
        Event::Done { message, .. } => message.clone(),
        Event::Error { error, .. } => error.clone(),
        _ => unreachable!(),
    };
    (summaries(&events), *message)
}

fn usage(
    input: u64,
    output: u64,
    cache_read: u64,
    cache_write: u64,
    reasoning: u64,
) -> (u64, u64, u64, u64, u64) {
    (input, output, cache_read, cache_write, reasoning)
}

fn usage_of(u: &Usage) -> (u64, u64, u64, u64, u64) {
    assert_eq!(
        u.total_tokens,
        u.input + u.output + u.cache_read + u.cache_write
    );
    (u.input, u.output, u.cache_read, u.cache_write, u.reasoning)
}

// ---- OpenAI Chat Completions ------------------------------------------------------

#[tokio::test]
async fn completions_text_with_usage_only_final_chunk() {
    let (ev, msg) = replay(Api::OpenaiCompletions, "text").await;
    assert_eq!(
        ev,
        [
            "start",
            "text_start 0",
            "text_delta 0 \"Hello\"",
            "text_delta 0 \", wor\"",
            "text_delta 0 \"ld!\"",
            "text_end 0 \"Hello, world!\"",
            "done Stop"
        ]
    );
    // prompt_tokens 58 includes 8 cached tokens, which `input` excludes.
    assert_eq!(usage_of(&msg.usage), usage(50, 12, 8, 0, 0));
    assert_eq!(msg.raw_stop_reason.as_deref(), Some("stop"));
    assert_eq!(msg.response_id.as_deref(), Some("chatcmpl-1"));
    assert!(msg.usage.cost.total == 0.0, "local models are free");
}

#[tokio::test]
async fn completions_parallel_tool_calls_assembled_by_index() {
    let (ev, msg) = replay(Api::OpenaiCompletions, "parallel_tool_calls").await;
    assert_eq!(
        ev,
        [
            "start",
            "text_start 0",
            "text_delta 0 \"Checking both.\"",
            "text_end 0 \"Checking both.\"",
            "toolcall_start 1 call_paris get_weather",
            "toolcall_delta 1 \"{\\\"ci\"",
            "toolcall_start 2 call_rome get_weather",
            "toolcall_delta 2 \"{\\\"city\\\":\\\"Ro\"",
            "toolcall_delta 1 \"ty\\\":\\\"Par\"",
            "toolcall_delta 1 \"is\\\"}\"",
            "toolcall_delta 2 \"me\\\"}\"",
            "toolcall_end 1 {\"city\":\"Paris\"}",
            "toolcall_end 2 {\"city\":\"Rome\"}",
            "done ToolUse"
        ]
    );
    let ids: Vec<_> = msg.tool_calls().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["call_paris", "call_rome"]);
}

#[tokio::test]
async fn completions_arguments_before_id_make_one_call_not_two() {
    let (ev, _) = replay(Api::OpenaiCompletions, "args_before_id").await;
    assert_eq!(
        ev,
        [
            "start",
            "toolcall_start 0 call_late read_file",
            "toolcall_delta 0 \"{\\\"path\\\":\"",
            "toolcall_delta 0 \"\\\"a.ts\\\"}\"",
            "toolcall_end 0 {\"path\":\"a.ts\"}",
            "done ToolUse"
        ]
    );
}

#[tokio::test]
async fn completions_reasoning_content_counted_once() {
    let (ev, msg) = replay(Api::OpenaiCompletions, "reasoning_content").await;
    assert_eq!(
        ev,
        [
            "start",
            "thinking_start 0",
            "thinking_delta 0 \"Think\"",
            "thinking_delta 0 \"ing.\"",
            "thinking_end 0 \"Thinking.\"",
            "text_start 1",
            "text_delta 1 \"Answer\"",
            "text_end 1 \"Answer\"",
            "done Stop"
        ]
    );
    // DeepSeek-style cache hits; reasoning is part of output, not added to it.
    assert_eq!(usage_of(&msg.usage), usage(6, 30, 4, 0, 20));
    let dash::llm::Content::Thinking(t) = &msg.content[0] else {
        panic!()
    };
    assert_eq!(t.thinking_signature.as_deref(), Some("reasoning_content"));
}

#[tokio::test]
async fn completions_crlf_multiline_data_and_keepalives() {
    let (ev, _) = replay(Api::OpenaiCompletions, "crlf_multiline_keepalive").await;
    assert_eq!(
        ev,
        [
            "start",
            "text_start 0",
            "text_delta 0 \"Hi\"",
            "text_delta 0 \" there\"",
            "text_end 0 \"Hi there\"",
            "done Stop"
        ]
    );
}

#[tokio::test]
async fn completions_stream_cut_before_finish_is_an_error() {
    let (ev, msg) = replay(Api::OpenaiCompletions, "truncated").await;
    assert_eq!(
        ev,
        [
            "start",
            "text_start 0",
            "text_delta 0 \"Half a sent\"",
            "error Error Truncated"
        ]
    );
    assert_eq!(msg.text(), "Half a sent", "partial content is kept");
}

#[tokio::test]
async fn completions_unknown_finish_reason_is_an_error_with_raw_reason() {
    let (ev, msg) = replay(Api::OpenaiCompletions, "unknown_finish").await;
    assert_eq!(ev.last().unwrap(), "error Error Stopped");
    assert_eq!(msg.raw_stop_reason.as_deref(), Some("brand_new_reason"));
    assert!(msg.error_message.unwrap().contains("brand_new_reason"));
}

#[tokio::test]
async fn completions_finish_end_without_done_and_usage_in_choice() {
    let (ev, msg) = replay(Api::OpenaiCompletions, "end_without_done").await;
    assert_eq!(ev.last().unwrap(), "done Stop");
    assert_eq!(usage_of(&msg.usage), usage(5, 2, 0, 0, 0));
}

#[tokio::test]
async fn completions_error_object_mid_stream() {
    let (ev, msg) = replay(Api::OpenaiCompletions, "midstream_error").await;
    assert_eq!(ev.last().unwrap(), "error Error Server");
    assert!(
        msg.error_message
            .as_deref()
            .unwrap()
            .contains("The server had an error")
    );
    assert_eq!(msg.text(), "par");
}

// ---- Anthropic Messages -----------------------------------------------------------

#[tokio::test]
async fn anthropic_thinking_signature_text_and_tool() {
    let (ev, msg) = replay(Api::AnthropicMessages, "thinking_text_tool").await;
    assert_eq!(
        ev,
        [
            "start",
            "thinking_start 0",
            "thinking_delta 0 \"The user wants \"",
            "thinking_delta 0 \"weather.\"",
            "thinking_end 0 \"The user wants weather.\"",
            "text_start 1",
            "text_delta 1 \"Let me check.\"",
            "text_end 1 \"Let me check.\"",
            "toolcall_start 2 toolu_01 get_weather",
            "toolcall_delta 2 \"{\\\"city\\\": \\\"Pa\"",
            "toolcall_delta 2 \"ris\\\", \\\"days\\\": 3}\"",
            "toolcall_end 2 {\"city\":\"Paris\",\"days\":3}",
            "done ToolUse"
        ]
    );
    let dash::llm::Content::Thinking(t) = &msg.content[0] else {
        panic!()
    };
    assert_eq!(
        t.thinking_signature.as_deref(),
        Some("EqQBCgIYAhIM1gbcDa9GJwZA2b3h")
    );
    assert_eq!(usage_of(&msg.usage), usage(565, 48, 2000, 100, 0));
    // $3 / $15 / $0.30 / $3.75 per million tokens.
    let expected = (565.0 * 3.0 + 48.0 * 15.0 + 2000.0 * 0.3 + 100.0 * 3.75) / 1e6;
    assert!((msg.usage.cost.total - expected).abs() < 1e-12);
    assert_eq!(msg.response_id.as_deref(), Some("msg_01"));
}

#[tokio::test]
async fn anthropic_overloaded_error_after_http_200() {
    let (ev, msg) = replay(Api::AnthropicMessages, "overloaded_midstream").await;
    assert_eq!(
        ev,
        [
            "start",
            "text_start 0",
            "text_delta 0 \"Partial\"",
            "error Error Overloaded"
        ]
    );
    assert_eq!(msg.text(), "Partial");
    assert!(msg.error_message.as_deref().unwrap().contains("Overloaded"));
    assert_eq!(
        msg.usage.input, 565,
        "input usage from message_start is kept"
    );
}

#[tokio::test]
async fn anthropic_redacted_thinking_and_tool_without_arguments() {
    let (ev, msg) = replay(Api::AnthropicMessages, "redacted_empty_tool").await;
    assert_eq!(
        ev,
        [
            "start",
            "thinking_start 0",
            "thinking_end 0 \"\"",
            "toolcall_start 1 toolu_02 list_files",
            "toolcall_end 1 {}",
            "done ToolUse"
        ]
    );
    let dash::llm::Content::Thinking(t) = &msg.content[0] else {
        panic!()
    };
    assert!(t.redacted);
    // Null usage fields in message_delta keep the message_start values.
    assert_eq!(usage_of(&msg.usage), usage(565, 21, 2000, 100, 0));
}

#[tokio::test]
async fn anthropic_unknown_stop_reason() {
    let (ev, msg) = replay(Api::AnthropicMessages, "unknown_stop").await;
    assert_eq!(ev.last().unwrap(), "error Error Stopped");
    assert_eq!(msg.raw_stop_reason.as_deref(), Some("brand_new_reason"));
    assert_eq!(msg.text(), "I can");
}

#[tokio::test]
async fn anthropic_stream_without_message_stop() {
    let (ev, _) = replay(Api::AnthropicMessages, "truncated").await;
    assert_eq!(ev.last().unwrap(), "error Error Truncated");
}

// ---- OpenAI Responses -------------------------------------------------------------

#[tokio::test]
async fn responses_reasoning_summary_text_and_function_call() {
    let (ev, msg) = replay(Api::OpenaiResponses, "reasoning_text_tool").await;
    assert_eq!(
        ev,
        [
            "start",
            "thinking_start 0",
            "thinking_delta 0 \"Plan.\"",
            "thinking_delta 0 \"\\n\\n\"",
            "thinking_delta 0 \"Then act.\"",
            "thinking_end 0 \"Plan.\\n\\nThen act.\"",
            "text_start 1",
            "text_delta 1 \"Looking \"",
            "text_delta 1 \"it up.\"",
            "text_end 1 \"Looking it up.\"",
            "toolcall_start 2 call_1|fc_1 get_weather",
            "toolcall_delta 2 \"{\\\"city\\\":\\\"\"",
            "toolcall_delta 2 \"Beijing\\\"}\"",
            "toolcall_end 2 {\"city\":\"Beijing\"}",
            "done ToolUse"
        ]
    );
    assert_eq!(usage_of(&msg.usage), usage(40, 25, 5, 0, 10));
    let dash::llm::Content::Thinking(t) = &msg.content[0] else {
        panic!()
    };
    let item: serde_json::Value =
        serde_json::from_str(t.thinking_signature.as_deref().unwrap()).unwrap();
    assert_eq!(item["encrypted_content"], "gAAAAB-ENC");
    let dash::llm::Content::Text(text) = &msg.content[1] else {
        panic!()
    };
    assert_eq!(text.text_signature.as_deref(), Some("msg_1"));
}

#[tokio::test]
async fn responses_arguments_only_in_done_event() {
    let (ev, _) = replay(Api::OpenaiResponses, "args_only_in_done").await;
    assert_eq!(
        ev,
        [
            "start",
            "toolcall_start 0 call_2|fc_2 read_file",
            "toolcall_delta 0 \"{\\\"path\\\":\\\"a.ts\\\"}\"",
            "toolcall_end 0 {\"path\":\"a.ts\"}",
            "done ToolUse"
        ]
    );
}

#[tokio::test]
async fn responses_failed_and_incomplete_and_truncated() {
    let (ev, msg) = replay(Api::OpenaiResponses, "failed").await;
    assert_eq!(ev, ["start", "error Error Server"]);
    assert!(msg.error_message.unwrap().contains("failed to generate"));
    let (ev, msg) = replay(Api::OpenaiResponses, "incomplete").await;
    assert_eq!(ev.last().unwrap(), "done Length");
    assert_eq!(msg.stop_reason, StopReason::Length);
    let (ev, _) = replay(Api::OpenaiResponses, "truncated").await;
    assert_eq!(ev.last().unwrap(), "error Error Truncated");
}

// ---- Google Gemini ----------------------------------------------------------------

#[tokio::test]
async fn gemini_thoughts_text_and_parallel_calls_without_ids_crlf() {
    let (ev, msg) = replay(Api::GoogleGenerativeAi, "thinking_text_parallel_calls").await;
    assert_eq!(
        ev,
        [
            "start",
            "thinking_start 0",
            "thinking_delta 0 \"Let me think\"",
            "thinking_delta 0 \" about it.\"",
            "thinking_end 0 \"Let me think about it.\"",
            "text_start 1",
            "text_delta 1 \"Checking two cities.\"",
            "text_end 1 \"Checking two cities.\"",
            "toolcall_start 2 get_weather_1 get_weather",
            "toolcall_delta 2 \"{\\\"city\\\":\\\"Paris\\\"}\"",
            "toolcall_end 2 {\"city\":\"Paris\"}",
            "toolcall_start 3 get_weather_2 get_weather",
            "toolcall_delta 3 \"{\\\"city\\\":\\\"Rome\\\"}\"",
            "toolcall_end 3 {\"city\":\"Rome\"}",
            "done ToolUse"
        ]
    );
    // promptTokenCount 129 includes 100 cached; thoughts are part of output once.
    assert_eq!(usage_of(&msg.usage), usage(29, 60, 100, 0, 45));
    assert_eq!(
        msg.tool_calls()
            .next()
            .unwrap()
            .thought_signature
            .as_deref(),
        Some("EqUCCqIC")
    );
    assert_eq!(msg.raw_stop_reason.as_deref(), Some("STOP"));
}

#[tokio::test]
async fn gemini_call_without_args_safety_and_truncation() {
    let (ev, _) = replay(Api::GoogleGenerativeAi, "call_without_args").await;
    assert_eq!(
        ev,
        [
            "start",
            "toolcall_start 0 list_files_1 list_files",
            "toolcall_delta 0 \"{}\"",
            "toolcall_end 0 {}",
            "done ToolUse"
        ]
    );
    let (ev, msg) = replay(Api::GoogleGenerativeAi, "safety").await;
    assert_eq!(ev.last().unwrap(), "error Error Stopped");
    assert_eq!(msg.raw_stop_reason.as_deref(), Some("SAFETY"));
    let (ev, _) = replay(Api::GoogleGenerativeAi, "truncated").await;
    assert_eq!(ev.last().unwrap(), "error Error Truncated");
}

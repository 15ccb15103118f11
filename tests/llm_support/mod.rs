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

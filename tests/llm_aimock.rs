//! Integration tests against `@copilotkit/aimock`, an independent implementation of
//! the four wire formats (nobody on this project wrote it). Each test spawns its own
//! aimock on a free 127.0.0.1 port with the fixtures in `fixtures/llm/aimock/`, and
//! kills it when the test ends.
//!
//! aimock is an npm package pinned in `tests/aimock/package.json`; install it with
//! `npm ci --prefix tests/aimock`. Without it these tests fail (they never skip).
//!
//! Known aimock deviations from the real APIs (not encoded as truth elsewhere):
//! Gemini's finish reason is `FUNCTION_CALL` where Gemini sends `STOP`, Responses
//! item ids use `fc-` instead of `fc_`, and usage counts are zeros or estimates.

mod aimock_support;
mod llm_support;

use aimock_support::Aimock;
use assert_cmd::cargo::cargo_bin_cmd;
use dash::llm::{
    Api, Client, Content, Context, Event, Message, StopReason, Tool, validate_tool_call,
};
use llm_support::*;
use serde_json::json;

fn weather_tool() -> Tool {
    Tool::new(
        "get_weather",
        "Current weather for a city",
        json!({"type": "object", "properties": {
            "city": {"type": "string"}, "units": {"type": "string"},
            "days": {"type": "array", "items": {"type": "integer"}}},
            "required": ["city"]}),
    )
}

async fn turn(api: Api, base: &str, ctx: &Context) -> (Vec<Event>, dash::llm::AssistantMessage) {
    let model = model_for(api, base);
    let mut s = Client::new().unwrap().stream(&model, ctx, fast_options());
    let mut events = Vec::new();
    while let Some(e) = s.next().await {
        events.push(e);
    }
    check_invariants(&events);
    let msg = match events.last() {
        Some(Event::Done { message, .. }) => message.clone(),
        _ => panic!("{api}: {:?} {:?}", summaries(&events), events.last()),
    };
    (events, *msg)
}

#[tokio::test]
async fn multi_turn_with_streamed_tool_call_in_all_four_formats() {
    let mock = Aimock::start();
    for api in Api::ALL {
        let mut ctx = Context {
            system_prompt: Some("You are a weather bot.".into()),
            messages: vec![Message::user("What is the weather in Paris?")],
            tools: vec![weather_tool()],
        };
        let (events, first) = turn(api, &mock.base, &ctx).await;
        assert_eq!(first.stop_reason, StopReason::ToolUse, "{api}");
        assert_eq!(first.text(), "Let me check the weather.", "{api}");
        let calls: Vec<_> = first.tool_calls().cloned().collect();
        assert_eq!(calls.len(), 1, "{api}");
        assert_eq!(calls[0].name, "get_weather");
        assert_eq!(
            calls[0].arguments,
            json!({"city": "Paris", "units": "metric", "days": [1, 2, 3]}),
            "{api}"
        );
        assert!(!calls[0].id.is_empty(), "{api}");
        let args = validate_tool_call(&ctx.tools, &calls[0]).unwrap();
        assert_eq!(args["city"], "Paris");
        if api != Api::GoogleGenerativeAi {
            // Gemini sends a call whole; the others stream the arguments in pieces.
            let deltas = events
                .iter()
                .filter(|e| matches!(e, Event::ToolcallDelta { .. }))
                .count();
            assert!(deltas > 1, "{api}: arguments were not streamed");
        }
        ctx.messages.push(Message::Assistant(first));
        ctx.messages
            .push(Message::tool_result(&calls[0], "sunny, 21 C", false));
        let (_, second) = turn(api, &mock.base, &ctx).await;
        assert_eq!(second.stop_reason, StopReason::Stop, "{api}");
        assert_eq!(
            second.text(),
            "It is sunny in Paris, 21 degrees. Enjoy the walk!",
            "{api}"
        );
    }
}

#[tokio::test]
async fn parallel_tool_calls_in_all_four_formats() {
    let mock = Aimock::start();
    for api in Api::ALL {
        let ctx = Context {
            messages: vec![Message::user("Compare two cities please")],
            tools: vec![weather_tool()],
            ..Context::default()
        };
        let (_, msg) = turn(api, &mock.base, &ctx).await;
        let calls: Vec<_> = msg.tool_calls().collect();
        assert_eq!(calls.len(), 2, "{api}");
        assert_eq!(calls[0].arguments, json!({"city": "Paris"}), "{api}");
        assert_eq!(calls[1].arguments, json!({"city": "Rome"}), "{api}");
        assert_ne!(calls[0].id, calls[1].id, "{api}");
    }
}

#[tokio::test]
async fn a_conversation_hands_off_between_every_pair_of_formats() {
    let mock = Aimock::start();
    for from in Api::ALL {
        for to in Api::ALL {
            let mut ctx = Context {
                messages: vec![Message::user("weather in Paris?")],
                tools: vec![weather_tool()],
                ..Context::default()
            };
            let (_, first) = turn(from, &mock.base, &ctx).await;
            let call = first.tool_calls().next().unwrap().clone();
            ctx.messages.push(Message::Assistant(first));
            ctx.messages
                .push(Message::tool_result(&call, "sunny", false));
            let (_, second) = turn(to, &mock.base, &ctx).await;
            assert!(
                second.text().starts_with("It is sunny"),
                "{from} -> {to}: the tool result was not recognised"
            );
            assert!(second.content.iter().all(|c| matches!(c, Content::Text(_))));
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dash_llm_streams_from_aimock_in_all_four_formats() {
    let mock = Aimock::start();
    let home = tempfile::tempdir().unwrap();
    for (model, api) in [
        ("ollama/llama3", "openai-completions"),
        ("openai/gpt-5", "openai-responses"),
        ("anthropic/claude-sonnet-4-5", "anthropic-messages"),
        ("google/gemini-2.5-flash", "google-generative-ai"),
    ] {
        let mut cmd = cargo_bin_cmd!("dash");
        cmd.current_dir(home.path())
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path())
            .args([
                "llm",
                "--model",
                model,
                "--api",
                api,
                "--base-url",
                &mock.base,
                "hello",
            ]);
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "Hi from aimock, streamed in small chunks.\n",
            "{api}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success());
    }
}

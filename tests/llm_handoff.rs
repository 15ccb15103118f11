//! Contexts produced by each provider (from the recorded fixtures) replayed to every
//! provider: the request must carry no foreign signature, keep the thinking as text,
//! use tool-call ids the target accepts with results that match them, and answer
//! nothing twice. Also: contexts round-trip through JSON unchanged.

mod llm_support;

use dash::llm::providers::{RequestOptions, build_request};
use dash::llm::{Api, Context, Event, Message, ToolCall};
use llm_support::*;
use serde_json::Value;

/// `(fixture, signature it carries, thinking text it carries)` per source API.
fn source(api: Api) -> (&'static str, Option<&'static str>, Option<&'static str>) {
    match api {
        Api::OpenaiCompletions => ("parallel_tool_calls", None, None),
        Api::OpenaiResponses => ("reasoning_text_tool", Some("gAAAAB-ENC"), Some("Then act.")),
        Api::AnthropicMessages => (
            "thinking_text_tool",
            Some("EqQBCgIYAhIM1gbcDa9GJwZA2b3h"),
            Some("The user wants weather."),
        ),
        Api::GoogleGenerativeAi => (
            "thinking_text_parallel_calls",
            Some("EqUCCqIC"),
            Some("Let me think about it."),
        ),
    }
}

/// A context whose assistant turn was produced by `api`: user, assistant, a result
/// for each tool call but the last (left orphaned), then a new user message.
fn context_from(api: Api) -> Context {
    let (fx, _, _) = source(api);
    let body = std::fs::read(fixture(&format!("{}/{fx}.sse", api.as_str()))).unwrap();
    let events = replay_offline(api, &body, 64);
    let Some(Event::Done { message, .. }) = events.last() else {
        panic!("{fx}")
    };
    let calls: Vec<ToolCall> = message.tool_calls().cloned().collect();
    let mut messages = vec![
        Message::user("weather?"),
        Message::Assistant((**message).clone()),
    ];
    for c in &calls[..calls.len() - 1] {
        messages.push(Message::tool_result(
            c,
            format!("result for {}", c.id),
            false,
        ));
    }
    messages.push(Message::user("thanks, and tomorrow?"));
    Context {
        system_prompt: Some("sys".into()),
        messages,
        tools: vec![dash::llm::Tool::new(
            "get_weather",
            "w",
            serde_json::json!({"type": "object"}),
        )],
    }
}

fn valid_id(id: &str, max: usize) -> bool {
    !id.is_empty()
        && id.len() <= max
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `(call ids, result ids)` as the target's request spells them.
fn ids(api: Api, body: &Value) -> (Vec<String>, Vec<String>) {
    let s = |v: &Value| v.as_str().unwrap().to_owned();
    let mut calls = Vec::new();
    let mut results = Vec::new();
    match api {
        Api::OpenaiCompletions => {
            for m in body["messages"].as_array().unwrap() {
                for c in m["tool_calls"].as_array().into_iter().flatten() {
                    calls.push(s(&c["id"]));
                }
                if m["role"] == "tool" {
                    results.push(s(&m["tool_call_id"]));
                }
            }
        }
        Api::OpenaiResponses => {
            for item in body["input"].as_array().unwrap() {
                match item["type"].as_str() {
                    Some("function_call") => calls.push(s(&item["call_id"])),
                    Some("function_call_output") => results.push(s(&item["call_id"])),
                    _ => {}
                }
            }
        }
        Api::AnthropicMessages => {
            for m in body["messages"].as_array().unwrap() {
                for b in m["content"].as_array().into_iter().flatten() {
                    match b["type"].as_str() {
                        Some("tool_use") => calls.push(s(&b["id"])),
                        Some("tool_result") => results.push(s(&b["tool_use_id"])),
                        _ => {}
                    }
                }
            }
        }
        Api::GoogleGenerativeAi => {
            // Gemini pairs calls and responses by name and order, not by id.
            for c in body["contents"].as_array().unwrap() {
                for p in c["parts"].as_array().unwrap() {
                    if let Some(f) = p.get("functionCall") {
                        calls.push(s(&f["name"]));
                    }
                    if let Some(f) = p.get("functionResponse") {
                        results.push(s(&f["name"]));
                    }
                }
            }
        }
    }
    (calls, results)
}

#[test]
fn every_pair_of_providers() {
    for from in Api::ALL {
        let ctx = context_from(from);
        let (_, signature, thinking) = source(from);
        let n_calls = match &ctx.messages[1] {
            Message::Assistant(a) => a.tool_calls().count(),
            _ => unreachable!(),
        };
        for to in Api::ALL {
            let model = model_for(to, "http://127.0.0.1:1");
            let req = build_request(&model, &ctx, &RequestOptions::default());
            let text = req.body.to_string();
            let same = from == to;
            if let Some(sig) = signature {
                assert_eq!(
                    text.contains(sig),
                    same,
                    "{from} -> {to}: signature kept only for the same model"
                );
            }
            if let Some(t) = thinking {
                assert!(text.contains(t), "{from} -> {to}: thinking text lost");
            }
            let (calls, results) = ids(to, &req.body);
            assert_eq!(calls.len(), n_calls, "{from} -> {to}");
            // Every call is answered exactly once, the last one synthetically.
            assert_eq!(results.len(), n_calls, "{from} -> {to}: {results:?}");
            let mut sorted_calls = calls.clone();
            let mut sorted_results = results.clone();
            sorted_calls.sort();
            sorted_results.sort();
            assert_eq!(sorted_calls, sorted_results, "{from} -> {to}");
            let max = match to {
                Api::OpenaiCompletions => 40,
                _ => 64,
            };
            if to != Api::GoogleGenerativeAi && !same {
                assert!(
                    calls.iter().all(|id| valid_id(id, max)),
                    "{from} -> {to}: {calls:?}"
                );
            }
            assert!(text.contains("No result provided"), "{from} -> {to}");
            assert!(text.contains("thanks, and tomorrow?"), "{from} -> {to}");
        }
    }
}

#[test]
fn contexts_from_every_provider_round_trip_through_json() {
    for api in Api::ALL {
        let ctx = context_from(api);
        let json = serde_json::to_string_pretty(&ctx).unwrap();
        let back: Context = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ctx, "{api}");
        assert_eq!(serde_json::to_string_pretty(&back).unwrap(), json, "{api}");
        // No scratch state (raw argument buffers, block indices) in saved messages.
        for forbidden in ["partialJson", "partialArgs", "\"index\""] {
            assert!(!json.contains(forbidden), "{api}: {forbidden}");
        }
    }
}

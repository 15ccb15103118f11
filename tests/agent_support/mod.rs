//! Scripted model servers for the agent tests: each step of a script (tool calls or
//! a final text) as an SSE body in each of the four wire formats, served in order.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// One scripted model reply: tool calls `(id, name, arguments)`, or a final text.
#[derive(Clone)]
pub enum Step {
    Calls(Vec<(&'static str, &'static str, Value)>),
    Text(&'static str),
}

#[derive(Clone, Copy, Debug)]
pub enum Format {
    Anthropic,
    Completions,
    Responses,
    Gemini,
}

pub const ALL: [Format; 4] = [
    Format::Anthropic,
    Format::Completions,
    Format::Responses,
    Format::Gemini,
];

impl Format {
    /// `--model` and `--api` for the format.
    pub fn model(self) -> (&'static str, &'static str) {
        match self {
            Format::Anthropic => ("anthropic/claude-sonnet-4-5", "anthropic-messages"),
            Format::Completions => ("ollama/qwen3", "openai-completions"),
            Format::Responses => ("openai/gpt-5", "openai-responses"),
            Format::Gemini => ("google/gemini-2.5-flash", "google-generative-ai"),
        }
    }

    pub fn key_var(self) -> &'static str {
        match self {
            Format::Anthropic => "ANTHROPIC_API_KEY",
            Format::Completions => "OLLAMA_API_KEY",
            Format::Responses => "OPENAI_API_KEY",
            Format::Gemini => "GEMINI_API_KEY",
        }
    }

    /// The step as the format's SSE body.
    pub fn sse(self, step: &Step) -> String {
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
pub struct Script {
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

pub async fn serve(format: Format, steps: &[Step]) -> MockServer {
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

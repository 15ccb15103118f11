//! OpenAI Responses (`POST /responses`, `stream: true`).
//!
//! Every event is typed (`response.output_text.delta`, …) and tied to an
//! `output_index`; reasoning items are replayed verbatim (encrypted content included)
//! to the same model, which is why the whole item is kept as the thinking signature.
//! Tool-call ids are `call_id|item_id`, as in pi-ai.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{HttpRequest, RequestOptions, WireParser, error_from_body, joined_text, openai_base};
use crate::llm::builder::MessageBuilder;
use crate::llm::error::LlmError;
use crate::llm::handoff;
use crate::llm::models::Model;
use crate::llm::types::{Content, Context, Message, StopReason, UserContent};

fn user_parts(blocks: &[Content], images: bool) -> Vec<Value> {
    blocks
        .iter()
        .filter_map(|c| match c {
            Content::Text(t) => Some(json!({"type": "input_text", "text": t.text})),
            Content::Image(i) if images => Some(json!({
                "type": "input_image",
                "image_url": format!("data:{};base64,{}", i.mime_type, i.data),
            })),
            _ => None,
        })
        .collect()
}

pub fn build_request(model: &Model, ctx: &Context, opts: &RequestOptions) -> HttpRequest {
    let images = model.accepts_images();
    let mut input: Vec<Value> = Vec::new();
    if let Some(s) = ctx.system_prompt.as_deref().filter(|s| !s.is_empty()) {
        let role = if model.reasoning {
            "developer"
        } else {
            "system"
        };
        input.push(json!({"role": role, "content": s}));
    }
    for m in handoff::prepare(&ctx.messages, model) {
        match &m {
            Message::User(u) => {
                let content = match &u.content {
                    UserContent::Text(s) => Value::String(s.clone()),
                    UserContent::Blocks(b) => Value::Array(user_parts(b, images)),
                };
                input.push(json!({"role": "user", "content": content}));
            }
            Message::Assistant(a) => {
                let same = handoff::same_model(a, model);
                for c in &a.content {
                    match c {
                        Content::Text(t) if !t.text.is_empty() => {
                            input.push(json!({"role": "assistant", "content": t.text}));
                        }
                        Content::Thinking(t) => {
                            // Only a reasoning item from this very model can go back.
                            let item = t
                                .thinking_signature
                                .as_deref()
                                .filter(|_| same)
                                .and_then(|s| serde_json::from_str::<Value>(s).ok())
                                .filter(|v| v["type"] == "reasoning");
                            match item {
                                Some(item) => input.push(item),
                                None if !t.thinking.is_empty() => {
                                    input.push(json!({"role": "assistant", "content": t.thinking}))
                                }
                                None => {}
                            }
                        }
                        Content::ToolCall(tc) => {
                            let (call_id, item_id) = match tc.id.split_once('|') {
                                Some((c, i)) => (c, Some(i)),
                                None => (tc.id.as_str(), None),
                            };
                            let mut item = json!({
                                "type": "function_call", "call_id": call_id,
                                "name": tc.name, "arguments": tc.arguments.to_string(),
                            });
                            if let Some(i) = item_id.filter(|i| same && i.starts_with("fc")) {
                                item["id"] = json!(i);
                            }
                            input.push(item);
                        }
                        _ => {}
                    }
                }
            }
            Message::ToolResult(r) => {
                let call_id = r.tool_call_id.split('|').next().unwrap_or(&r.tool_call_id);
                let text = joined_text(&r.content);
                let has_images = images && r.content.iter().any(|c| matches!(c, Content::Image(_)));
                let output = if has_images {
                    let mut parts = user_parts(&r.content, true);
                    if text.is_empty() {
                        parts.insert(
                            0,
                            json!({"type": "input_text", "text": "(see attached image)"}),
                        );
                    }
                    Value::Array(parts)
                } else {
                    Value::String(text)
                };
                input.push(
                    json!({"type": "function_call_output", "call_id": call_id, "output": output}),
                );
            }
        }
    }
    let mut body = json!({"model": model.id, "input": input, "stream": true, "store": false});
    if let Some(n) = opts.max_tokens {
        body["max_output_tokens"] = json!(n);
    }
    if let Some(t) = opts.temperature {
        body["temperature"] = json!(t);
    }
    if let (Some(level), true) = (opts.reasoning, model.reasoning) {
        body["reasoning"] = json!({"effort": level.effort(), "summary": "auto"});
        body["include"] = json!(["reasoning.encrypted_content"]);
    }
    if !ctx.tools.is_empty() {
        body["tools"] = Value::Array(
            ctx.tools
                .iter()
                .map(|t| {
                    json!({"type": "function", "name": t.name, "description": t.description,
                                "parameters": t.parameters, "strict": false})
                })
                .collect(),
        );
    }
    HttpRequest {
        url: format!("{}/responses", openai_base(&model.base_url)),
        headers: vec![("content-type".into(), "application/json".into())],
        body,
    }
}

// ---- stream --------------------------------------------------------------------

/// The fields of all event types, flattened: each event uses a few of them.
#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    output_index: Option<u32>,
    summary_index: Option<u32>,
    #[serde(borrow)]
    delta: Option<Cow<'a, str>>,
    #[serde(borrow)]
    arguments: Option<Cow<'a, str>>,
    // Rare, large fields are boxed so that the per-event struct stays small to move.
    item: Option<Box<Value>>,
    response: Option<Box<WireResponse>>,
    code: Option<Box<str>>,
    message: Option<Box<str>>,
}

#[derive(Deserialize)]
struct WireResponse {
    id: Option<String>,
    status: Option<String>,
    usage: Option<WireUsage>,
    error: Option<Value>,
    incomplete_details: Option<Value>,
}

#[derive(Deserialize)]
struct WireUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    input_tokens_details: Option<InputDetails>,
    output_tokens_details: Option<OutputDetails>,
}

#[derive(Deserialize)]
struct InputDetails {
    cached_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct OutputDetails {
    reasoning_tokens: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Text(usize),
    Thinking(usize, u32),
    Tool(usize),
}

/// Maps `output_index` to the open block.
#[derive(Debug, Default)]
pub struct Parser {
    slots: HashMap<u32, Slot>,
}

impl Parser {
    fn text_slot(&mut self, idx: u32, out: &mut MessageBuilder) -> usize {
        match self.slots.get(&idx) {
            Some(Slot::Text(i)) => *i,
            _ => {
                let i = out.open_text();
                self.slots.insert(idx, Slot::Text(i));
                i
            }
        }
    }

    fn item_done(&mut self, idx: u32, item: &Value, out: &mut MessageBuilder) {
        match item["type"].as_str() {
            Some("message") => {
                let i = self.text_slot(idx, out);
                if let Some(id) = item["id"].as_str() {
                    out.set_text_signature(i, id.to_owned());
                }
                out.close(i);
            }
            Some("reasoning") => {
                let i = match self.slots.get(&idx) {
                    Some(Slot::Thinking(i, _)) => *i,
                    _ => out.open_thinking(),
                };
                out.thinking_signature(i, &item.to_string());
                out.close(i);
            }
            Some("function_call") => {
                let i = match self.slots.get(&idx) {
                    Some(Slot::Tool(i)) => *i,
                    _ => self.open_call(idx, item, out),
                };
                if let Some(a) = item["arguments"].as_str().filter(|a| !a.is_empty()) {
                    out.tool_args_final(i, a);
                }
                out.close(i);
            }
            _ => {}
        }
    }

    fn open_call(&mut self, idx: u32, item: &Value, out: &mut MessageBuilder) -> usize {
        let call_id = item["call_id"].as_str().unwrap_or("");
        let id = match item["id"].as_str() {
            Some(item_id) if !item_id.is_empty() => format!("{call_id}|{item_id}"),
            _ => call_id.to_owned(),
        };
        let i = out.open_tool_call(&id, item["name"].as_str().unwrap_or(""));
        self.slots.insert(idx, Slot::Tool(i));
        i
    }
}

fn apply_usage(u: &WireUsage, out: &mut MessageBuilder) {
    let cached = u
        .input_tokens_details
        .as_ref()
        .and_then(|d| d.cached_tokens)
        .unwrap_or(0);
    let usage = out.usage_mut();
    usage.input = u.input_tokens.unwrap_or(0).saturating_sub(cached);
    usage.cache_read = cached;
    usage.output = u.output_tokens.unwrap_or(0);
    usage.reasoning = u
        .output_tokens_details
        .as_ref()
        .and_then(|d| d.reasoning_tokens)
        .unwrap_or(0);
}

impl WireParser for Parser {
    fn on_event(&mut self, _event: &str, data: &str, out: &mut MessageBuilder) {
        if data.trim() == "[DONE]" {
            return self.on_eof(out);
        }
        let Some(w) = super::parse_or_fail::<Wire<'_>>(data, out) else {
            return;
        };
        let idx = w.output_index.unwrap_or(0);
        match w.kind.as_ref() {
            "response.created" | "response.in_progress" => {
                out.start();
                if let Some(id) = w.response.as_ref().and_then(|r| r.id.as_deref()) {
                    out.set_response_id(id);
                }
            }
            "response.output_item.added" => {
                let Some(item) = &w.item else { return };
                match item["type"].as_str() {
                    Some("reasoning") => {
                        let i = out.open_thinking();
                        self.slots.insert(idx, Slot::Thinking(i, 0));
                    }
                    Some("function_call") => {
                        self.open_call(idx, item, out);
                    }
                    // Message text opens with its first delta (or content part).
                    _ => {}
                }
            }
            "response.content_part.added" => {
                self.text_slot(idx, out);
            }
            "response.output_text.delta" | "response.refusal.delta" => {
                let i = self.text_slot(idx, out);
                out.text_delta(i, w.delta.as_deref().unwrap_or(""));
            }
            "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
                let part = w.summary_index.unwrap_or(0);
                let i = match self.slots.get(&idx).copied() {
                    Some(Slot::Thinking(i, last_part)) => {
                        if part != last_part {
                            // Summary parts are separate paragraphs.
                            out.thinking_delta(i, "\n\n");
                            self.slots.insert(idx, Slot::Thinking(i, part));
                        }
                        i
                    }
                    _ => {
                        let i = out.open_thinking();
                        self.slots.insert(idx, Slot::Thinking(i, part));
                        i
                    }
                };
                out.thinking_delta(i, w.delta.as_deref().unwrap_or(""));
            }
            "response.function_call_arguments.delta" => {
                if let Some(Slot::Tool(i)) = self.slots.get(&idx) {
                    out.tool_args_delta(*i, w.delta.as_deref().unwrap_or(""));
                }
            }
            "response.function_call_arguments.done" => {
                if let (Some(Slot::Tool(i)), Some(a)) = (self.slots.get(&idx), &w.arguments) {
                    out.tool_args_final(*i, a);
                }
            }
            "response.output_item.done" => {
                if let Some(item) = &w.item {
                    self.item_done(idx, item, out);
                }
            }
            "response.completed" | "response.incomplete" | "response.done" => {
                let Some(r) = &w.response else {
                    return out.finish();
                };
                if let Some(u) = &r.usage {
                    apply_usage(u, out);
                }
                let status = r.status.as_deref().unwrap_or("completed");
                let (reason, raw) = match status {
                    "completed" => (StopReason::Stop, status.to_owned()),
                    "incomplete" => {
                        let why = r
                            .incomplete_details
                            .as_ref()
                            .and_then(|d| d["reason"].as_str())
                            .unwrap_or("max_output_tokens");
                        let reason = if why == "max_output_tokens" {
                            StopReason::Length
                        } else {
                            StopReason::Error
                        };
                        (reason, why.to_owned())
                    }
                    other => (StopReason::Error, other.to_owned()),
                };
                out.set_stop(reason, Some(&raw));
                out.finish();
            }
            "response.failed" => {
                let err = w.response.as_ref().and_then(|r| r.error.clone());
                let body = json!({"error": err.unwrap_or(Value::Null)}).to_string();
                out.fail(error_from_body(None, &body, None));
            }
            "error" => {
                let body = json!({"error": {"code": w.code, "message": w.message}}).to_string();
                out.fail(error_from_body(None, &body, None));
            }
            _ => {}
        }
    }

    fn on_eof(&mut self, out: &mut MessageBuilder) {
        // Only `response.completed` (or its failure twins) completes a response.
        out.fail(LlmError::Truncated);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::models::Registry;

    #[test]
    fn same_model_replays_reasoning_items_and_item_ids() {
        let r = Registry::builtin();
        let m = r.resolve("openai/gpt-5").unwrap();
        let item =
            json!({"type": "reasoning", "id": "rs_1", "encrypted_content": "ENC", "summary": []});
        let ctx: Context = serde_json::from_value(json!({"messages": [
            {"role": "user", "content": "q", "timestamp": 0},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "t", "thinkingSignature": item.to_string()},
                {"type": "toolCall", "id": "call_1|fc_1", "name": "f", "arguments": {"a": 1}}
             ], "api": "openai-responses", "provider": "openai", "model": "gpt-5",
             "usage": {"input":0,"output":0,"cacheRead":0,"cacheWrite":0,"totalTokens":0,
                       "cost":{"input":0,"output":0,"cacheRead":0,"cacheWrite":0,"total":0}},
             "stopReason": "toolUse", "timestamp": 0},
            {"role": "toolResult", "toolCallId": "call_1|fc_1", "toolName": "f",
             "content": [{"type": "text", "text": "r"}], "isError": false, "timestamp": 0}
        ]}))
        .unwrap();
        let req = build_request(&m, &ctx, &RequestOptions::default());
        let input = req.body["input"].as_array().unwrap();
        assert_eq!(input[1], item);
        assert_eq!(input[2]["id"], "fc_1");
        assert_eq!(input[2]["call_id"], "call_1");
        assert_eq!(input[3]["call_id"], "call_1");
        assert_eq!(req.url, "https://api.openai.com/v1/responses");
    }
}

//! OpenAI Chat Completions (`POST /chat/completions`, `stream: true`), the format most
//! OpenAI-compatible servers speak; their differences are handled by
//! [`OpenAiCompat`](super::compat::OpenAiCompat) flags.
//!
//! Streaming facts handled here: tool calls are assembled by their `index` (not by
//! id, which some servers repeat or send late, pi #4854); reasoning arrives in
//! `reasoning_content`, `reasoning` or `reasoning_text`; usage comes in a final chunk
//! with `choices: []` (or inside the choice, Moonshot); `finish_reason` may precede
//! the usage chunk, and `[DONE]` ends the stream.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::compat::{MaxTokensField, ThinkingReplay};
use super::{
    First, HttpRequest, List, RequestOptions, WireParser, error_from_body, joined_text, openai_base,
};
use crate::llm::builder::MessageBuilder;
use crate::llm::handoff;
use crate::llm::models::Model;
use crate::llm::types::{Content, Context, Message, StopReason, UserContent};

/// Reasoning delta fields, in the order servers are checked.
const REASONING_FIELDS: [&str; 3] = ["reasoning_content", "reasoning", "reasoning_text"];

pub fn build_request(model: &Model, ctx: &Context, opts: &RequestOptions) -> HttpRequest {
    let compat = model.openai_compat();
    let mut messages: Vec<Value> = Vec::new();
    if let Some(system) = ctx.system_prompt.as_deref().filter(|s| !s.is_empty()) {
        let role = if compat.supports_developer_role && model.reasoning {
            "developer"
        } else {
            "system"
        };
        messages.push(json!({"role": role, "content": system}));
    }
    let history = handoff::prepare(&ctx.messages, model);
    let mut images_after_results: Vec<Value> = Vec::new();
    let mut last_was_result = false;
    for m in &history {
        if !matches!(m, Message::ToolResult(_)) && !images_after_results.is_empty() {
            let mut parts =
                vec![json!({"type": "text", "text": "Attached image(s) from tool result:"})];
            parts.append(&mut images_after_results);
            messages.push(json!({"role": "user", "content": parts}));
        }
        match m {
            Message::User(u) => {
                if last_was_result && compat.requires_assistant_after_tool_result {
                    messages.push(
                        json!({"role": "assistant", "content": "I have processed the tool results."}),
                    );
                }
                let content = match &u.content {
                    UserContent::Text(s) => Value::String(s.clone()),
                    UserContent::Blocks(blocks) => Value::Array(
                        blocks
                            .iter()
                            .filter_map(|b| user_part(b, model.accepts_images()))
                            .collect(),
                    ),
                };
                messages.push(json!({"role": "user", "content": content}));
            }
            Message::Assistant(a) => {
                let mut text = String::new();
                let mut reasoning: Map<String, Value> = Map::new();
                let mut calls = Vec::new();
                for c in &a.content {
                    match c {
                        Content::Text(t) => push_paragraph(&mut text, &t.text),
                        Content::Thinking(t) if !t.redacted => match compat.thinking_replay {
                            ThinkingReplay::Field => {
                                let field = t
                                    .thinking_signature
                                    .as_deref()
                                    .filter(|s| REASONING_FIELDS.contains(s))
                                    .unwrap_or("reasoning_content");
                                let entry = reasoning
                                    .entry(field.to_owned())
                                    .or_insert_with(|| Value::String(String::new()));
                                if let Value::String(s) = entry {
                                    s.push_str(&t.thinking);
                                }
                            }
                            ThinkingReplay::Text => push_paragraph(&mut text, &t.thinking),
                            ThinkingReplay::Drop => {}
                        },
                        Content::ToolCall(tc) => calls.push(json!({
                            "id": tc.id,
                            "type": "function",
                            "function": {"name": tc.name, "arguments": tc.arguments.to_string()},
                        })),
                        _ => {}
                    }
                }
                if text.is_empty() && calls.is_empty() {
                    continue;
                }
                let mut msg = json!({
                    "role": "assistant",
                    "content": if text.is_empty() { Value::Null } else { Value::String(text) },
                });
                if !calls.is_empty() {
                    msg["tool_calls"] = Value::Array(calls);
                }
                for (k, v) in reasoning {
                    msg[k] = v;
                }
                messages.push(msg);
            }
            Message::ToolResult(r) => {
                let mut text = joined_text(&r.content);
                for c in &r.content {
                    if let (Content::Image(img), true) = (c, model.accepts_images()) {
                        images_after_results.push(image_url(&img.mime_type, &img.data));
                    }
                }
                if text.is_empty() {
                    text = "(see attached image)".into();
                }
                let mut msg =
                    json!({"role": "tool", "tool_call_id": r.tool_call_id, "content": text});
                if compat.requires_tool_result_name {
                    msg["name"] = Value::String(r.tool_name.clone());
                }
                messages.push(msg);
            }
        }
        last_was_result = matches!(m, Message::ToolResult(_));
    }
    if !images_after_results.is_empty() {
        let mut parts =
            vec![json!({"type": "text", "text": "Attached image(s) from tool result:"})];
        parts.append(&mut images_after_results);
        messages.push(json!({"role": "user", "content": parts}));
    }

    let mut body = json!({"model": model.id, "messages": messages, "stream": true});
    if compat.supports_usage_in_streaming {
        body["stream_options"] = json!({"include_usage": true});
    }
    if let Some(n) = opts.max_tokens {
        let field = match compat.max_tokens_field {
            MaxTokensField::MaxTokens => "max_tokens",
            MaxTokensField::MaxCompletionTokens => "max_completion_tokens",
        };
        body[field] = json!(n);
    }
    if let Some(t) = opts.temperature {
        body["temperature"] = json!(t);
    }
    if compat.supports_store {
        body["store"] = json!(false);
    }
    if let (Some(level), true, true) = (
        opts.reasoning,
        model.reasoning,
        compat.supports_reasoning_effort,
    ) {
        body["reasoning_effort"] = json!(level.effort());
    }
    if !ctx.tools.is_empty() {
        let tools: Vec<Value> = ctx
            .tools
            .iter()
            .map(|t| {
                let mut f = json!({"name": t.name, "description": t.description, "parameters": t.parameters});
                if compat.supports_strict_mode {
                    f["strict"] = json!(false);
                }
                json!({"type": "function", "function": f})
            })
            .collect();
        body["tools"] = Value::Array(tools);
    }
    HttpRequest {
        url: format!("{}/chat/completions", openai_base(&model.base_url)),
        headers: vec![("content-type".into(), "application/json".into())],
        body,
    }
}

/// Joins text blocks into the single string assistant content must be (pi #2008),
/// keeping them apart as paragraphs.
fn push_paragraph(text: &mut String, block: &str) {
    if block.is_empty() {
        return;
    }
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(block);
}

fn image_url(mime: &str, data: &str) -> Value {
    json!({"type": "image_url", "image_url": {"url": format!("data:{mime};base64,{data}")}})
}

fn user_part(c: &Content, images: bool) -> Option<Value> {
    match c {
        Content::Text(t) => Some(json!({"type": "text", "text": t.text})),
        Content::Image(i) if images => Some(image_url(&i.mime_type, &i.data)),
        _ => None,
    }
}

// ---- stream --------------------------------------------------------------------

#[derive(Deserialize)]
struct Chunk<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    choices: Option<First<Choice<'a>>>,
    // Boxed, like every rarely present field here: serde moves these structs by
    // value through several layers per event, and small structs move cheaply.
    usage: Option<Box<WireUsage>>,
    error: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct Choice<'a> {
    #[serde(borrow)]
    delta: Option<Delta<'a>>,
    #[serde(borrow)]
    finish_reason: Option<Cow<'a, str>>,
    usage: Option<Box<WireUsage>>,
}

#[derive(Deserialize)]
struct Delta<'a> {
    #[serde(borrow)]
    content: Option<Cow<'a, str>>,
    #[serde(borrow)]
    refusal: Option<Box<Cow<'a, str>>>,
    #[serde(borrow)]
    reasoning_content: Option<Box<Cow<'a, str>>>,
    #[serde(borrow)]
    reasoning: Option<Box<Cow<'a, str>>>,
    #[serde(borrow)]
    reasoning_text: Option<Box<Cow<'a, str>>>,
    #[serde(borrow)]
    tool_calls: Option<List<ToolCallDelta<'a>>>,
}

#[derive(Deserialize)]
struct ToolCallDelta<'a> {
    index: Option<u32>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    function: Option<FunctionDelta<'a>>,
}

#[derive(Deserialize)]
struct FunctionDelta<'a> {
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    arguments: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
struct WireUsage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    prompt_tokens_details: Option<PromptDetails>,
    completion_tokens_details: Option<CompletionDetails>,
    /// DeepSeek reports cache hits here instead of `prompt_tokens_details`.
    prompt_cache_hit_tokens: Option<u64>,
}

#[derive(Deserialize, Default)]
struct PromptDetails {
    cached_tokens: Option<u64>,
    cache_write_tokens: Option<u64>,
}

#[derive(Deserialize, Default)]
struct CompletionDetails {
    reasoning_tokens: Option<u64>,
}

/// Parser state: which block is open and where each tool-call index went.
#[derive(Debug, Default)]
pub struct Parser {
    text: Option<usize>,
    thinking: Option<usize>,
    /// `(wire index, content index, id)` of every tool call so far.
    calls: Vec<(u32, usize, String)>,
    have_id: bool,
}

impl Parser {
    fn close_text_and_thinking(&mut self, out: &mut MessageBuilder) {
        if let Some(i) = self.text.take() {
            out.close(i);
        }
        if let Some(i) = self.thinking.take() {
            out.close(i);
        }
    }

    fn tool_call(&mut self, tc: &ToolCallDelta<'_>, out: &mut MessageBuilder) {
        let id = tc.id.as_deref().filter(|s| !s.is_empty());
        let f = tc.function.as_ref();
        let name = f.and_then(|f| f.name.as_deref()).filter(|s| !s.is_empty());
        // Servers that omit `index` (rare) get one by id: a new id is a new call.
        let index = tc.index.unwrap_or_else(|| match (id, self.calls.last()) {
            (Some(id), Some((_, _, last))) if last != id => self.calls.len() as u32,
            (_, Some((idx, _, _))) => *idx,
            (_, None) => 0,
        });
        let slot = match self.calls.iter().position(|(w, _, _)| *w == index) {
            Some(p) => {
                let ci = self.calls[p].1;
                if id.is_some() || name.is_some() {
                    out.set_tool_identity(ci, id, name);
                    if let Some(id) = id {
                        self.calls[p].2 = id.to_owned();
                    }
                }
                ci
            }
            None => {
                self.close_text_and_thinking(out);
                let ci = out.open_tool_call(id.unwrap_or(""), name.unwrap_or(""));
                self.calls.push((index, ci, id.unwrap_or("").to_owned()));
                ci
            }
        };
        if let Some(args) = f.and_then(|f| f.arguments.as_deref()) {
            out.tool_args_delta(slot, args);
        }
    }
}

fn map_finish(reason: &str) -> StopReason {
    match reason {
        // "end" and "eos" are sent by Ollama / LM Studio / some llama.cpp builds.
        "stop" | "end" | "eos" => StopReason::Stop,
        "length" => StopReason::Length,
        "tool_calls" | "function_call" => StopReason::ToolUse,
        _ => StopReason::Error,
    }
}

fn apply_usage(u: &WireUsage, out: &mut MessageBuilder) {
    let cached = u
        .prompt_cache_hit_tokens
        .or_else(|| {
            u.prompt_tokens_details
                .as_ref()
                .and_then(|d| d.cached_tokens)
        })
        .unwrap_or(0);
    let usage = out.usage_mut();
    usage.input = u.prompt_tokens.unwrap_or(0).saturating_sub(cached);
    usage.cache_read = cached;
    usage.cache_write = u
        .prompt_tokens_details
        .as_ref()
        .and_then(|d| d.cache_write_tokens)
        .unwrap_or(0);
    // `completion_tokens` already includes reasoning (pi #2709 double-counted it).
    usage.output = u.completion_tokens.unwrap_or(0);
    usage.reasoning = u
        .completion_tokens_details
        .as_ref()
        .and_then(|d| d.reasoning_tokens)
        .unwrap_or(0);
}

impl WireParser for Parser {
    fn on_event(&mut self, _event: &str, data: &str, out: &mut MessageBuilder) {
        let data = data.trim();
        if data == "[DONE]" {
            out.finish();
            return;
        }
        let Some(chunk) = super::parse_or_fail::<Chunk<'_>>(data, out) else {
            return;
        };
        if chunk.error.is_some() {
            out.fail(error_from_body(None, data, None));
            return;
        }
        out.start();
        if let (false, Some(id)) = (self.have_id, chunk.id.as_deref()) {
            out.set_response_id(id);
            self.have_id = true;
        }
        if let Some(u) = &chunk.usage {
            apply_usage(u, out);
        }
        // Only the first choice is used (dash never asks for n > 1).
        let Some(choice) = chunk.choices.and_then(|c| c.0) else {
            return;
        };
        if let Some(u) = &choice.usage {
            apply_usage(u, out);
        }
        if let Some(delta) = &choice.delta {
            let reasoning = [
                (&delta.reasoning_content, REASONING_FIELDS[0]),
                (&delta.reasoning, REASONING_FIELDS[1]),
                (&delta.reasoning_text, REASONING_FIELDS[2]),
            ]
            .into_iter()
            .find_map(|(v, name)| {
                v.as_deref()
                    .map(Cow::as_ref)
                    .filter(|s| !s.is_empty())
                    .map(|s| (s, name))
            });
            if let Some((text, field)) = reasoning {
                if let Some(i) = self.text.take() {
                    out.close(i);
                }
                let i = match self.thinking {
                    Some(i) => i,
                    None => {
                        let i = out.open_thinking();
                        out.thinking_signature(i, field);
                        self.thinking = Some(i);
                        i
                    }
                };
                out.thinking_delta(i, text);
            }
            let content = delta.content.as_deref().filter(|s| !s.is_empty()).or(delta
                .refusal
                .as_deref()
                .map(Cow::as_ref)
                .filter(|s| !s.is_empty()));
            if let Some(text) = content {
                if let Some(i) = self.thinking.take() {
                    out.close(i);
                }
                let i = *self.text.get_or_insert_with(|| out.open_text());
                out.text_delta(i, text);
            }
            if let Some(calls) = &delta.tool_calls {
                for tc in calls.iter() {
                    self.tool_call(tc, out);
                }
            }
        }
        if let Some(reason) = choice.finish_reason.as_deref() {
            out.set_stop(map_finish(reason), Some(reason));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::models::Registry;
    use crate::llm::providers::RequestOptions;
    use crate::llm::types::Tool;

    #[test]
    fn request_follows_compat_flags() {
        let r = Registry::builtin();
        let ctx = Context {
            system_prompt: Some("sys".into()),
            messages: vec![Message::user("hi")],
            tools: vec![Tool {
                name: "f".into(),
                description: "d".into(),
                parameters: json!({"type": "object"}),
            }],
        };
        let opts = RequestOptions {
            max_tokens: Some(100),
            ..Default::default()
        };
        let mut m = r.resolve("ollama/llama3").unwrap();
        m.base_url = "http://127.0.0.1:1".into();
        let req = build_request(&m, &ctx, &opts);
        assert_eq!(req.url, "http://127.0.0.1:1/v1/chat/completions");
        assert_eq!(req.body["messages"][0]["role"], "system");
        assert_eq!(req.body["max_tokens"], 100);
        assert!(req.body.get("store").is_none());
        assert!(req.body["tools"][0]["function"].get("strict").is_none());
        assert_eq!(req.body["stream_options"]["include_usage"], true);

        let mut m = r.resolve("openai/gpt-5").unwrap();
        m.api = crate::llm::models::Api::OpenaiCompletions;
        let req = build_request(&m, &ctx, &opts);
        assert_eq!(req.url, "https://api.openai.com/v1/chat/completions");
        assert_eq!(req.body["messages"][0]["role"], "developer");
        assert_eq!(req.body["max_completion_tokens"], 100);
        assert_eq!(req.body["store"], false);
        assert_eq!(req.body["tools"][0]["function"]["strict"], false);
    }

    #[test]
    fn finish_reasons() {
        assert_eq!(map_finish("end"), StopReason::Stop);
        assert_eq!(map_finish("tool_calls"), StopReason::ToolUse);
        assert_eq!(map_finish("content_filter"), StopReason::Error);
        assert_eq!(map_finish("something_new"), StopReason::Error);
    }
}

//! Anthropic Messages (`POST /v1/messages`, `stream: true`).
//!
//! The stream names every event (`message_start`, `content_block_start|delta|stop`,
//! `message_delta`, `message_stop`, `ping`, `error`); blocks carry the provider's
//! `index`, mapped here to positions in the message. An `error` event can arrive
//! after HTTP 200 (`overloaded_error` mid-stream) and becomes a typed error.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{HttpRequest, PromptCache, RequestOptions, WireParser, error_from_body};
use crate::llm::builder::MessageBuilder;
use crate::llm::handoff;
use crate::llm::models::Model;
use crate::llm::types::{Content, Context, Message, StopReason, UserContent};

/// The Messages API version header value.
pub const API_VERSION: &str = "2023-06-01";

/// Output limit when the caller sets none (the API requires `max_tokens`).
fn default_max_tokens(model: &Model) -> u64 {
    model.max_tokens.clamp(1, 32_000)
}

fn messages_url(base: &str) -> String {
    let b = base.trim_end_matches('/');
    if b.ends_with("/v1") {
        format!("{b}/messages")
    } else {
        format!("{b}/v1/messages")
    }
}

fn content_block(c: &Content, images: bool) -> Option<Value> {
    match c {
        Content::Text(t) if !t.text.is_empty() => Some(json!({"type": "text", "text": t.text})),
        Content::Image(i) if images => Some(json!({
            "type": "image",
            "source": {"type": "base64", "media_type": i.mime_type, "data": i.data},
        })),
        _ => None,
    }
}

pub fn build_request(model: &Model, ctx: &Context, opts: &RequestOptions) -> HttpRequest {
    let images = model.accepts_images();
    let mut messages: Vec<Value> = Vec::new();
    for m in handoff::prepare(&ctx.messages, model) {
        match &m {
            Message::User(u) => {
                let content = match &u.content {
                    UserContent::Text(s) => Value::String(s.clone()),
                    UserContent::Blocks(b) => {
                        Value::Array(b.iter().filter_map(|c| content_block(c, images)).collect())
                    }
                };
                messages.push(json!({"role": "user", "content": content}));
            }
            Message::Assistant(a) => {
                let blocks: Vec<Value> = a
                    .content
                    .iter()
                    .filter_map(|c| match c {
                        Content::Thinking(t) if t.redacted => Some(json!({
                            "type": "redacted_thinking",
                            "data": t.thinking_signature.clone().unwrap_or_default(),
                        })),
                        // Thinking without a signature cannot be replayed as thinking.
                        Content::Thinking(t) => match &t.thinking_signature {
                            Some(sig) => Some(json!({"type": "thinking", "thinking": t.thinking, "signature": sig})),
                            None if !t.thinking.is_empty() => Some(json!({"type": "text", "text": t.thinking})),
                            None => None,
                        },
                        Content::ToolCall(tc) => Some(json!({
                            "type": "tool_use", "id": tc.id, "name": tc.name, "input": tc.arguments,
                        })),
                        other => content_block(other, false),
                    })
                    .collect();
                if !blocks.is_empty() {
                    messages.push(json!({"role": "assistant", "content": blocks}));
                }
            }
            Message::ToolResult(r) => {
                let mut content: Vec<Value> = r
                    .content
                    .iter()
                    .filter_map(|c| content_block(c, images))
                    .collect();
                if !content.iter().any(|b| b["type"] == "text") {
                    content.insert(0, json!({"type": "text", "text": if content.is_empty() { "(no output)" } else { "(see attached image)" }}));
                }
                let block = json!({
                    "type": "tool_result", "tool_use_id": r.tool_call_id,
                    "content": content, "is_error": r.is_error,
                });
                // Consecutive results travel together in one user message.
                match messages.last_mut() {
                    Some(last)
                        if last["role"] == "user"
                            && last["content"]
                                .as_array()
                                .and_then(|a| a.first())
                                .is_some_and(|b| b["type"] == "tool_result") =>
                    {
                        if let Some(a) = last["content"].as_array_mut() {
                            a.push(block);
                        }
                    }
                    _ => messages.push(json!({"role": "user", "content": [block]})),
                }
            }
        }
    }
    let max_tokens = opts.max_tokens.unwrap_or_else(|| default_max_tokens(model));
    let mut body = json!({
        "model": model.id,
        "messages": messages,
        "max_tokens": max_tokens,
        "stream": true,
    });
    let cache = opts.cache == PromptCache::Short;
    if let Some(s) = ctx.system_prompt.as_deref().filter(|s| !s.is_empty()) {
        body["system"] = if cache {
            json!([{"type": "text", "text": s, "cache_control": {"type": "ephemeral"}}])
        } else {
            json!(s)
        };
    }
    if cache {
        mark_last_user_turn(&mut body["messages"]);
    }
    match (opts.reasoning, model.reasoning) {
        (Some(level), true) => {
            let budget = level
                .budget()
                .min(max_tokens.saturating_sub(1024).max(1024));
            body["thinking"] = json!({"type": "enabled", "budget_tokens": budget});
            if max_tokens <= budget {
                body["max_tokens"] = json!(budget + 1024);
            }
            // Temperature must be left at its default while thinking.
        }
        _ => {
            if let Some(t) = opts.temperature {
                body["temperature"] = json!(t);
            }
        }
    }
    if !ctx.tools.is_empty() {
        body["tools"] = Value::Array(
            ctx.tools
                .iter()
                .map(|t| json!({"name": t.name, "description": t.description, "input_schema": input_schema(&t.parameters)}))
                .collect(),
        );
    }
    HttpRequest {
        url: messages_url(&model.base_url),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("anthropic-version".into(), API_VERSION.into()),
        ],
        body,
    }
}

/// Puts a cache breakpoint on the last block of the last user message, so the whole
/// conversation up to it is cached for the next request.
fn mark_last_user_turn(messages: &mut Value) {
    let Some(last) = messages
        .as_array_mut()
        .and_then(|m| m.iter_mut().rev().find(|m| m["role"] == "user"))
    else {
        return;
    };
    if let Value::String(text) = &last["content"] {
        last["content"] = json!([{"type": "text", "text": text}]);
    }
    if let Some(block) = last["content"].as_array_mut().and_then(|b| b.last_mut()) {
        block["cache_control"] = json!({"type": "ephemeral"});
    }
}

/// The full schema is forwarded (pi kept only `properties`/`required` and lost
/// `$defs`, `additionalProperties`, …); only `$schema` goes, and `type: object` is
/// ensured because the API requires it at the root.
fn input_schema(schema: &Value) -> Value {
    let mut s = schema.clone();
    if let Value::Object(map) = &mut s {
        map.remove("$schema");
        map.entry("type").or_insert_with(|| json!("object"));
        s
    } else {
        json!({"type": "object"})
    }
}

// ---- stream --------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Wire<'a> {
    MessageStart {
        message: StartMessage,
    },
    ContentBlockStart {
        index: u32,
        content_block: StartBlock,
    },
    ContentBlockDelta {
        index: u32,
        #[serde(borrow)]
        delta: BlockDelta<'a>,
    },
    ContentBlockStop {
        index: u32,
    },
    MessageDelta {
        delta: MessageDeltaBody,
        usage: Option<WireUsage>,
    },
    MessageStop,
    Ping,
    Error {
        error: Value,
    },
    #[serde(other)]
    Unknown,
}

#[derive(Deserialize)]
struct StartMessage {
    id: Option<String>,
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StartBlock {
    Text {
        #[serde(default)]
        text: String,
    },
    Thinking {
        #[serde(default)]
        thinking: String,
    },
    RedactedThinking {
        data: String,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: Value,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta<'a> {
    TextDelta {
        #[serde(borrow)]
        text: Cow<'a, str>,
    },
    ThinkingDelta {
        #[serde(borrow)]
        thinking: Cow<'a, str>,
    },
    SignatureDelta {
        #[serde(borrow)]
        signature: Cow<'a, str>,
    },
    InputJsonDelta {
        #[serde(borrow)]
        partial_json: Cow<'a, str>,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct MessageDeltaBody {
    stop_reason: Option<String>,
}

/// Every field may be missing or null in `message_delta` (proxies, pi #1045): only
/// present values overwrite what `message_start` reported.
#[derive(Deserialize, Default)]
struct WireUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
}

fn apply_usage(u: &WireUsage, out: &mut MessageBuilder) {
    let usage = out.usage_mut();
    // `input_tokens` already excludes cache reads and writes here.
    if let Some(v) = u.input_tokens {
        usage.input = v;
    }
    if let Some(v) = u.output_tokens {
        usage.output = v;
    }
    if let Some(v) = u.cache_read_input_tokens {
        usage.cache_read = v;
    }
    if let Some(v) = u.cache_creation_input_tokens {
        usage.cache_write = v;
    }
}

fn map_stop(reason: &str) -> StopReason {
    match reason {
        "end_turn" | "stop_sequence" | "pause_turn" => StopReason::Stop,
        "max_tokens" | "model_context_window_exceeded" => StopReason::Length,
        "tool_use" => StopReason::ToolUse,
        // `refusal`, `sensitive` and anything new: an error carrying the raw reason.
        _ => StopReason::Error,
    }
}

/// Maps the provider's block `index` to the message's content index.
#[derive(Debug, Default)]
pub struct Parser {
    blocks: HashMap<u32, usize>,
    /// Tool calls whose `content_block_start` carried a non-empty `input` (no deltas
    /// will follow for it in some proxies).
    start_inputs: HashMap<usize, String>,
}

/// `content_block_delta`, flattened for speed.
#[derive(Deserialize)]
struct HotDelta<'a> {
    index: u32,
    #[serde(borrow)]
    delta: FlatDelta<'a>,
}

#[derive(Deserialize)]
struct FlatDelta<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(borrow)]
    thinking: Option<Cow<'a, str>>,
    #[serde(borrow)]
    signature: Option<Cow<'a, str>>,
    #[serde(borrow)]
    partial_json: Option<Cow<'a, str>>,
}

impl Parser {
    fn on_delta(&mut self, index: u32, delta: BlockDelta<'_>, out: &mut MessageBuilder) {
        let Some(&i) = self.blocks.get(&index) else {
            return;
        };
        match delta {
            BlockDelta::TextDelta { text } => out.text_delta(i, &text),
            BlockDelta::ThinkingDelta { thinking } => out.thinking_delta(i, &thinking),
            BlockDelta::SignatureDelta { signature } => out.thinking_signature(i, &signature),
            BlockDelta::InputJsonDelta { partial_json } => {
                if !partial_json.is_empty() {
                    self.start_inputs.remove(&i);
                }
                out.tool_args_delta(i, &partial_json)
            }
            BlockDelta::Other => {}
        }
    }
}

impl WireParser for Parser {
    fn on_event(&mut self, event: &str, data: &str, out: &mut MessageBuilder) {
        // Deltas are nearly every event of a stream: they take a flat struct, which
        // serde parses without the buffering an internally tagged enum needs.
        if event == "content_block_delta"
            && let Ok(d) = serde_json::from_str::<HotDelta<'_>>(data)
        {
            let delta = match (d.delta.kind.as_ref(), d.delta.text) {
                ("text_delta", Some(text)) => BlockDelta::TextDelta { text },
                ("thinking_delta", _) => BlockDelta::ThinkingDelta {
                    thinking: d.delta.thinking.unwrap_or_default(),
                },
                ("signature_delta", _) => BlockDelta::SignatureDelta {
                    signature: d.delta.signature.unwrap_or_default(),
                },
                ("input_json_delta", _) => BlockDelta::InputJsonDelta {
                    partial_json: d.delta.partial_json.unwrap_or_default(),
                },
                _ => BlockDelta::Other,
            };
            return self.on_delta(d.index, delta, out);
        }
        let Some(wire) = super::parse_or_fail::<Wire<'_>>(data, out) else {
            return;
        };
        match wire {
            Wire::MessageStart { message } => {
                out.start();
                if let Some(id) = &message.id {
                    out.set_response_id(id);
                }
                if let Some(u) = &message.usage {
                    apply_usage(u, out);
                }
            }
            Wire::ContentBlockStart {
                index,
                content_block,
            } => {
                let ci = match content_block {
                    StartBlock::Text { text } => {
                        let i = out.open_text();
                        out.text_delta(i, &text);
                        i
                    }
                    StartBlock::Thinking { thinking } => {
                        let i = out.open_thinking();
                        out.thinking_delta(i, &thinking);
                        i
                    }
                    StartBlock::RedactedThinking { data } => out.redacted_thinking(data),
                    StartBlock::ToolUse { id, name, input } => {
                        let i = out.open_tool_call(&id, &name);
                        if input.as_object().is_some_and(|o| !o.is_empty()) {
                            self.start_inputs.insert(i, input.to_string());
                        }
                        i
                    }
                    StartBlock::Other => return,
                };
                self.blocks.insert(index, ci);
            }
            Wire::ContentBlockDelta { index, delta } => self.on_delta(index, delta, out),
            Wire::ContentBlockStop { index } => {
                if let Some(&i) = self.blocks.get(&index) {
                    if let Some(input) = self.start_inputs.remove(&i) {
                        out.tool_args_final(i, &input);
                    }
                    out.close(i);
                }
            }
            Wire::MessageDelta { delta, usage } => {
                if let Some(u) = &usage {
                    apply_usage(u, out);
                }
                if let Some(r) = delta.stop_reason.as_deref() {
                    out.set_stop(map_stop(r), Some(r));
                }
            }
            Wire::MessageStop => out.finish(),
            Wire::Ping | Wire::Unknown => {}
            Wire::Error { error } => {
                let body = json!({"error": error}).to_string();
                out.fail(error_from_body(None, &body, None));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::models::Registry;

    #[test]
    fn deltas_parse_the_same_with_or_without_the_event_name() {
        use crate::llm::types::ModelCost;
        let start =
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#;
        let delta = r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a\"b"}}"#;
        for name in ["content_block_delta", ""] {
            let mut b = MessageBuilder::new("anthropic-messages", "p", "m", ModelCost::default());
            let mut p = Parser::default();
            p.on_event("content_block_start", start, &mut b);
            p.on_event(name, delta, &mut b);
            assert_eq!(b.partial().text(), "a\"b", "event name {name:?}");
        }
    }

    #[test]
    fn prompt_cache_marks_system_and_last_user_turn_or_nothing() {
        let r = Registry::builtin();
        let m = r.resolve("anthropic/claude-sonnet-4-5").unwrap();
        let ctx = Context {
            system_prompt: Some("sys".into()),
            messages: vec![Message::user("one"), Message::user("two")],
            tools: vec![],
        };
        let req = build_request(&m, &ctx, &RequestOptions::default());
        assert_eq!(
            req.body["system"],
            json!([{"type": "text", "text": "sys", "cache_control": {"type": "ephemeral"}}])
        );
        assert_eq!(req.body["messages"][0]["content"], "one");
        assert_eq!(
            req.body["messages"][1]["content"],
            json!([{"type": "text", "text": "two", "cache_control": {"type": "ephemeral"}}])
        );
        let off = RequestOptions {
            cache: PromptCache::Off,
            ..RequestOptions::default()
        };
        let req = build_request(&m, &ctx, &off);
        assert_eq!(req.body["system"], "sys");
        assert!(!req.body.to_string().contains("cache_control"));
    }

    #[test]
    fn url_with_or_without_v1() {
        assert_eq!(messages_url("http://h:1"), "http://h:1/v1/messages");
        assert_eq!(messages_url("http://h:1/v1/"), "http://h:1/v1/messages");
    }

    #[test]
    fn tool_results_are_merged_and_schema_forwarded_whole() {
        let r = Registry::builtin();
        let m = r.resolve("anthropic/claude-sonnet-4-5").unwrap();
        let ctx: Context = serde_json::from_value(json!({
            "messages": [
                {"role": "user", "content": "go", "timestamp": 0},
                {"role": "assistant", "content": [
                    {"type": "toolCall", "id": "a", "name": "f", "arguments": {}},
                    {"type": "toolCall", "id": "b", "name": "f", "arguments": {"x": 1}}
                 ], "api": "anthropic-messages", "provider": "anthropic", "model": "claude-sonnet-4-5",
                 "usage": {"input":0,"output":0,"cacheRead":0,"cacheWrite":0,"totalTokens":0,
                           "cost":{"input":0,"output":0,"cacheRead":0,"cacheWrite":0,"total":0}},
                 "stopReason": "toolUse", "timestamp": 0},
                {"role": "toolResult", "toolCallId": "a", "toolName": "f", "content": [{"type":"text","text":"1"}], "isError": false, "timestamp": 0},
                {"role": "toolResult", "toolCallId": "b", "toolName": "f", "content": [], "isError": true, "timestamp": 0}
            ],
            "tools": [{"name": "f", "description": "d", "parameters":
                {"$schema": "x", "type": "object", "$defs": {"A": {}}, "additionalProperties": false}}]
        }))
        .unwrap();
        let req = build_request(&m, &ctx, &RequestOptions::default());
        let msgs = req.body["messages"].as_array().unwrap();
        assert_eq!(msgs.len(), 3);
        assert_eq!(msgs[2]["content"].as_array().unwrap().len(), 2);
        assert_eq!(msgs[2]["content"][1]["is_error"], true);
        // The default short cache marks the latest user turn (here: the results).
        assert_eq!(msgs[2]["content"][1]["cache_control"]["type"], "ephemeral");
        assert!(msgs[0]["content"][0].get("cache_control").is_none());
        let schema = &req.body["tools"][0]["input_schema"];
        assert!(schema.get("$schema").is_none());
        assert!(schema.get("$defs").is_some() && schema["additionalProperties"] == false);
        assert_eq!(req.body["max_tokens"], 32000);
    }
}

//! Google Gemini (`POST {base}/models/{id}:streamGenerateContent?alt=sse`).
//!
//! Each event is a whole `GenerateContentResponse` whose parts are appended to the
//! message: text (or thought text when `thought: true`) merges into the open block of
//! the same kind; a `functionCall` arrives complete, often without an id, and becomes
//! a start/delta/end triple. The finish reason is `STOP` even when the turn calls
//! tools; the builder turns that into `toolUse`. Usage is cumulative per chunk.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{First, HttpRequest, RequestOptions, WireParser, error_from_body, joined_text};
use crate::llm::builder::MessageBuilder;
use crate::llm::handoff;
use crate::llm::models::Model;
use crate::llm::types::{Content, Context, Message, StopReason, UserContent};

fn stream_url(model: &Model) -> String {
    let b = model.base_url.trim_end_matches('/');
    let rest = b.split_once("://").map_or(b, |(_, r)| r);
    let base = if rest.contains('/') {
        b.to_owned()
    } else {
        format!("{b}/v1beta")
    };
    format!("{base}/models/{}:streamGenerateContent?alt=sse", model.id)
}

fn part(c: &Content, images: bool) -> Option<Value> {
    match c {
        Content::Text(t) if !t.text.is_empty() => Some(json!({"text": t.text})),
        Content::Image(i) if images => {
            Some(json!({"inlineData": {"mimeType": i.mime_type, "data": i.data}}))
        }
        _ => None,
    }
}

/// Gemini accepts a subset of JSON Schema in `parametersJsonSchema`; `$schema` is
/// the one keyword schemars emits that it rejects.
fn sanitize_schema(schema: &Value) -> Value {
    let mut s = schema.clone();
    if let Value::Object(m) = &mut s {
        m.remove("$schema");
    }
    s
}

pub fn build_request(model: &Model, ctx: &Context, opts: &RequestOptions) -> HttpRequest {
    let images = model.accepts_images();
    let mut contents: Vec<Value> = Vec::new();
    let push = |contents: &mut Vec<Value>, role: &str, parts: Vec<Value>| {
        if parts.is_empty() {
            return;
        }
        // Consecutive turns of one role are merged (tool results especially).
        match contents.last_mut() {
            Some(last) if last["role"] == role => {
                if let Some(a) = last["parts"].as_array_mut() {
                    a.extend(parts);
                }
            }
            _ => contents.push(json!({"role": role, "parts": parts})),
        }
    };
    for m in handoff::prepare(&ctx.messages, model) {
        match &m {
            Message::User(u) => {
                let parts = match &u.content {
                    UserContent::Text(s) => vec![json!({"text": s})],
                    UserContent::Blocks(b) => b.iter().filter_map(|c| part(c, images)).collect(),
                };
                push(&mut contents, "user", parts);
            }
            Message::Assistant(a) => {
                let parts = a
                    .content
                    .iter()
                    .filter_map(|c| match c {
                        Content::Text(t) if !t.text.is_empty() => {
                            let mut p = json!({"text": t.text});
                            if let Some(sig) = &t.text_signature {
                                p["thoughtSignature"] = json!(sig);
                            }
                            Some(p)
                        }
                        Content::Thinking(t) if !t.redacted && !t.thinking.is_empty() => {
                            let mut p = json!({"text": t.thinking, "thought": true});
                            if let Some(sig) = &t.thinking_signature {
                                p["thoughtSignature"] = json!(sig);
                            }
                            Some(p)
                        }
                        Content::ToolCall(tc) => {
                            let mut p =
                                json!({"functionCall": {"name": tc.name, "args": tc.arguments}});
                            if let Some(sig) = &tc.thought_signature {
                                p["thoughtSignature"] = json!(sig);
                            }
                            Some(p)
                        }
                        _ => None,
                    })
                    .collect();
                push(&mut contents, "model", parts);
            }
            Message::ToolResult(r) => {
                let text = joined_text(&r.content);
                let key = if r.is_error { "error" } else { "output" };
                let mut parts = vec![json!({"functionResponse": {
                    "name": r.tool_name, "response": {key: text},
                }})];
                parts.extend(
                    r.content
                        .iter()
                        .filter(|c| matches!(c, Content::Image(_)))
                        .filter_map(|c| part(c, images)),
                );
                push(&mut contents, "user", parts);
            }
        }
    }
    let mut body = json!({"contents": contents});
    if let Some(s) = ctx.system_prompt.as_deref().filter(|s| !s.is_empty()) {
        body["systemInstruction"] = json!({"parts": [{"text": s}]});
    }
    let mut generation = serde_json::Map::new();
    if let Some(n) = opts.max_tokens {
        generation.insert("maxOutputTokens".into(), json!(n));
    }
    if let Some(t) = opts.temperature {
        generation.insert("temperature".into(), json!(t));
    }
    if let (Some(level), true) = (opts.reasoning, model.reasoning) {
        generation.insert(
            "thinkingConfig".into(),
            json!({"includeThoughts": true, "thinkingBudget": level.budget()}),
        );
    }
    if !generation.is_empty() {
        body["generationConfig"] = Value::Object(generation);
    }
    if !ctx.tools.is_empty() {
        let decls: Vec<Value> = ctx
            .tools
            .iter()
            .map(|t| {
                json!({"name": t.name, "description": t.description,
                            "parametersJsonSchema": sanitize_schema(&t.parameters)})
            })
            .collect();
        body["tools"] = json!([{"functionDeclarations": decls}]);
    }
    HttpRequest {
        url: stream_url(model),
        headers: vec![("content-type".into(), "application/json".into())],
        body,
    }
}

// ---- stream --------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Chunk<'a> {
    #[serde(borrow)]
    candidates: Option<First<Candidate<'a>>>,
    // Boxed: serde moves these structs by value per event; small ones move cheaply.
    usage_metadata: Option<Box<UsageMetadata>>,
    response_id: Option<String>,
    error: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate<'a> {
    #[serde(borrow)]
    content: Option<CandidateContent<'a>>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct CandidateContent<'a> {
    #[serde(borrow, default)]
    parts: Vec<Part<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Part<'a> {
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(default)]
    thought: bool,
    thought_signature: Option<String>,
    function_call: Option<Box<FunctionCall>>,
}

#[derive(Deserialize)]
struct FunctionCall {
    id: Option<String>,
    name: String,
    args: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageMetadata {
    prompt_token_count: Option<u64>,
    candidates_token_count: Option<u64>,
    thoughts_token_count: Option<u64>,
    cached_content_token_count: Option<u64>,
}

fn map_finish(reason: &str) -> StopReason {
    match reason {
        "STOP" => StopReason::Stop,
        "MAX_TOKENS" => StopReason::Length,
        // Not sent by the Gemini API itself, but by some emulations of it (aimock).
        "FUNCTION_CALL" => StopReason::ToolUse,
        // SAFETY, RECITATION, MALFORMED_FUNCTION_CALL, BLOCKLIST, … and unknowns.
        _ => StopReason::Error,
    }
}

#[derive(Debug, Default)]
pub struct Parser {
    text: Option<usize>,
    thinking: Option<usize>,
    calls: usize,
}

impl WireParser for Parser {
    fn on_event(&mut self, _event: &str, data: &str, out: &mut MessageBuilder) {
        let Some(chunk) = super::parse_or_fail::<Chunk<'_>>(data, out) else {
            return;
        };
        if chunk.error.is_some() {
            out.fail(error_from_body(None, data, None));
            return;
        }
        out.start();
        if let Some(id) = &chunk.response_id {
            out.set_response_id(id);
        }
        if let Some(u) = &chunk.usage_metadata {
            let cached = u.cached_content_token_count.unwrap_or(0);
            let thoughts = u.thoughts_token_count.unwrap_or(0);
            let usage = out.usage_mut();
            // promptTokenCount includes the cached part (pi #2148 billed it twice).
            usage.input = u.prompt_token_count.unwrap_or(0).saturating_sub(cached);
            usage.cache_read = cached;
            usage.output = u.candidates_token_count.unwrap_or(0) + thoughts;
            usage.reasoning = thoughts;
        }
        let Some(cand) = chunk.candidates.and_then(|c| c.0) else {
            return;
        };
        for p in cand.content.map(|c| c.parts).unwrap_or_default() {
            if let Some(fc) = p.function_call {
                for open in [self.text.take(), self.thinking.take()]
                    .into_iter()
                    .flatten()
                {
                    out.close(open);
                }
                self.calls += 1;
                let id = fc
                    .id
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| format!("{}_{}", fc.name, self.calls));
                let i = out.open_tool_call(&id, &fc.name);
                let args = fc.args.unwrap_or_else(|| json!({}));
                out.tool_args_delta(i, &args.to_string());
                if let Some(sig) = p.thought_signature {
                    out.set_tool_thought_signature(i, sig);
                }
                out.close(i);
                continue;
            }
            let text = p.text.as_deref().unwrap_or("");
            if p.thought {
                if let Some(i) = self.text.take() {
                    out.close(i);
                }
                let i = *self.thinking.get_or_insert_with(|| out.open_thinking());
                out.thinking_delta(i, text);
                if let Some(sig) = p.thought_signature {
                    out.thinking_signature(i, &sig);
                }
            } else if !text.is_empty() {
                if let Some(i) = self.thinking.take() {
                    out.close(i);
                }
                let i = *self.text.get_or_insert_with(|| out.open_text());
                out.text_delta(i, text);
                if let Some(sig) = p.thought_signature {
                    out.set_text_signature(i, sig);
                }
            } else if let Some(sig) = p.thought_signature {
                // An empty final part may carry the signature of the block before it.
                if let Some(i) = self.text {
                    out.set_text_signature(i, sig);
                } else if let Some(i) = self.thinking {
                    out.thinking_signature(i, &sig);
                }
            }
        }
        if let Some(r) = cand.finish_reason.as_deref() {
            out.set_stop(map_finish(r), Some(r));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::models::Registry;

    #[test]
    fn url_and_merged_tool_results() {
        let r = Registry::builtin();
        let mut m = r.resolve("google/gemini-2.5-flash").unwrap();
        assert_eq!(
            stream_url(&m),
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
        );
        m.base_url = "http://127.0.0.1:5".into();
        assert!(stream_url(&m).starts_with("http://127.0.0.1:5/v1beta/models/"));
        let ctx: Context = serde_json::from_value(json!({"messages": [
            {"role": "user", "content": "q", "timestamp": 0},
            {"role": "assistant", "content": [
                {"type": "toolCall", "id": "a", "name": "f", "arguments": {}},
                {"type": "toolCall", "id": "b", "name": "g", "arguments": {}}
             ], "api": "google-generative-ai", "provider": "google", "model": "gemini-2.5-flash",
             "usage": {"input":0,"output":0,"cacheRead":0,"cacheWrite":0,"totalTokens":0,
                       "cost":{"input":0,"output":0,"cacheRead":0,"cacheWrite":0,"total":0}},
             "stopReason": "toolUse", "timestamp": 0},
            {"role": "toolResult", "toolCallId": "a", "toolName": "f", "content": [{"type":"text","text":"1"}], "isError": false, "timestamp": 0},
            {"role": "toolResult", "toolCallId": "b", "toolName": "g", "content": [{"type":"text","text":"no"}], "isError": true, "timestamp": 0}
        ]}))
        .unwrap();
        let req = build_request(&m, &ctx, &RequestOptions::default());
        let contents = req.body["contents"].as_array().unwrap();
        assert_eq!(contents.len(), 3);
        assert_eq!(
            contents[2]["parts"][1]["functionResponse"]["response"]["error"],
            "no"
        );
    }
}

//! The data model shared by every provider: messages, content blocks, usage, stop
//! reasons, tools and the conversation context.
//!
//! Everything here serialises to the same camelCase JSON as pi-ai (`role` and `type`
//! tags, timestamps in milliseconds), so a context saved by dash is plain JSON that
//! pi-based tools can read and that dash can replay to any provider.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Milliseconds since the Unix epoch, the timestamp unit of every message.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A block of message content. Which kinds a role may hold is a convention of the
/// providers (users send text and images, assistants text, thinking and tool calls,
/// tool results text and images); one enum keeps conversion code simple.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Content {
    Text(TextContent),
    Thinking(ThinkingContent),
    Image(ImageContent),
    ToolCall(ToolCall),
}

impl Content {
    /// A plain text block.
    pub fn text(text: impl Into<String>) -> Self {
        Content::Text(TextContent {
            text: text.into(),
            text_signature: None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TextContent {
    pub text: String,
    /// Provider metadata needed to replay the block to the same model (an OpenAI
    /// Responses message id, a Gemini thought signature). Opaque; stripped on handoff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_signature: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThinkingContent {
    pub thinking: String,
    /// Opaque per provider: the Anthropic signature, the whole OpenAI Responses
    /// reasoning item as JSON, the name of the delta field an OpenAI-compatible server
    /// used (`reasoning_content`), or a Gemini thought signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking_signature: Option<String>,
    /// The signature holds Anthropic `redacted_thinking` data; the text is empty.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub redacted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageContent {
    /// Base64 without a `data:` prefix.
    pub data: String,
    pub mime_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// Always a JSON object once the call is complete (not schema-validated).
    pub arguments: Value,
    /// Gemini thought signature attached to the call; replayed to the same model only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thought_signature: Option<String>,
}

/// What a user message holds: a bare string (the common case, kept as a string so a
/// saved context round-trips byte for byte) or a list of blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum UserContent {
    Text(String),
    Blocks(Vec<Content>),
}

impl UserContent {
    /// The content as blocks, whichever form it was written in.
    pub fn blocks(&self) -> Vec<Content> {
        match self {
            UserContent::Text(s) => vec![Content::text(s.clone())],
            UserContent::Blocks(b) => b.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserMessage {
    pub content: UserContent,
    pub timestamp: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssistantMessage {
    pub content: Vec<Content>,
    /// The wire format that produced the message (`anthropic-messages`, …). A string,
    /// not [`crate::llm::Api`], so contexts written by other tools still load.
    pub api: String,
    pub provider: String,
    pub model: String,
    pub usage: Usage,
    pub stop_reason: StopReason,
    /// The provider's own stop reason, kept verbatim (`end_turn`, `STOP`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_stop_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_id: Option<String>,
    pub timestamp: u64,
}

impl AssistantMessage {
    /// An empty message for a response that is about to stream.
    pub fn empty(api: &str, provider: &str, model: &str) -> Self {
        AssistantMessage {
            content: Vec::new(),
            api: api.to_owned(),
            provider: provider.to_owned(),
            model: model.to_owned(),
            usage: Usage::default(),
            stop_reason: StopReason::Stop,
            raw_stop_reason: None,
            error_message: None,
            response_id: None,
            timestamp: now_ms(),
        }
    }

    /// The concatenated text blocks (thinking excluded).
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter_map(|c| match c {
                Content::Text(t) => Some(t.text.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The tool calls, in content order.
    pub fn tool_calls(&self) -> impl Iterator<Item = &ToolCall> {
        self.content.iter().filter_map(|c| match c {
            Content::ToolCall(t) => Some(t),
            _ => None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolResultMessage {
    pub tool_call_id: String,
    pub tool_name: String,
    pub content: Vec<Content>,
    /// Free-form data for the application (never sent to the model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
    pub is_error: bool,
    pub timestamp: u64,
}

/// A message of the conversation. There is no system role: the system prompt lives on
/// [`Context`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "camelCase")]
pub enum Message {
    User(UserMessage),
    Assistant(AssistantMessage),
    ToolResult(ToolResultMessage),
}

impl Message {
    /// A user message holding one string.
    pub fn user(text: impl Into<String>) -> Self {
        Message::User(UserMessage {
            content: UserContent::Text(text.into()),
            timestamp: now_ms(),
        })
    }

    /// A tool result holding one text block.
    pub fn tool_result(call: &ToolCall, text: impl Into<String>, is_error: bool) -> Self {
        Message::ToolResult(ToolResultMessage {
            tool_call_id: call.id.clone(),
            tool_name: call.name.clone(),
            content: vec![Content::text(text)],
            details: None,
            is_error,
            timestamp: now_ms(),
        })
    }
}

/// Token counts and their cost. `input` never includes cache reads (every adapter
/// subtracts them when the provider folds them in), and `reasoning` is the part of
/// `output` spent thinking, counted once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
    /// Subset of `output`; omitted from JSON when zero so pi transcripts round-trip.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reasoning: u64,
    pub total_tokens: u64,
    pub cost: Cost,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Usage {
    /// Recomputes `totalTokens` and the cost from the counts and per-million rates.
    pub fn finalize(&mut self, rates: &ModelCost) {
        self.total_tokens = self.input + self.output + self.cache_read + self.cache_write;
        let per = |tokens: u64, rate: f64| tokens as f64 * rate / 1_000_000.0;
        self.cost = Cost {
            input: per(self.input, rates.input),
            output: per(self.output, rates.output),
            cache_read: per(self.cache_read, rates.cache_read),
            cache_write: per(self.cache_write, rates.cache_write),
            total: 0.0,
        };
        self.cost.total =
            self.cost.input + self.cost.output + self.cost.cache_read + self.cost.cache_write;
    }
}

/// Cost in USD of one response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cost {
    pub input: f64,
    pub output: f64,
    pub cache_read: f64,
    pub cache_write: f64,
    pub total: f64,
}

/// Model prices in USD per million tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelCost {
    #[serde(default)]
    pub input: f64,
    #[serde(default)]
    pub output: f64,
    #[serde(default, alias = "cache_read")]
    pub cache_read: f64,
    #[serde(default, alias = "cache_write")]
    pub cache_write: f64,
}

/// Why a response ended. Provider reasons that fit none of these (content filters,
/// unknown values) become `error`, with the original kept in `rawStopReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StopReason {
    Stop,
    Length,
    ToolUse,
    Error,
    Aborted,
}

/// A tool the model may call: a name, what it does, and a JSON Schema for its
/// arguments (see [`crate::llm::tools`] for deriving one from a Rust type).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub description: String,
    pub parameters: Value,
}

/// Everything a provider needs to produce the next assistant message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Context {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    #[serde(default)]
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pi_shaped_context_round_trips_unchanged() {
        let original = json!({
            "systemPrompt": "Be brief.",
            "messages": [
                {"role": "user", "content": "What is the weather?", "timestamp": 1},
                {"role": "user", "content": [
                    {"type": "text", "text": "and this"},
                    {"type": "image", "data": "aGk=", "mimeType": "image/png"}
                ], "timestamp": 2},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "Need a tool.", "thinkingSignature": "sig"},
                    {"type": "thinking", "thinking": "", "thinkingSignature": "opaque", "redacted": true},
                    {"type": "text", "text": "Checking.", "textSignature": "msg_1"},
                    {"type": "toolCall", "id": "call_1", "name": "weather",
                     "arguments": {"city": "Paris"}, "thoughtSignature": "ts"}
                ], "api": "anthropic-messages", "provider": "anthropic", "model": "claude-sonnet-4-5",
                 "usage": {"input": 10, "output": 5, "cacheRead": 2, "cacheWrite": 1, "reasoning": 3,
                           "totalTokens": 18,
                           "cost": {"input": 0.1, "output": 0.2, "cacheRead": 0.0, "cacheWrite": 0.0, "total": 0.3}},
                 "stopReason": "toolUse", "rawStopReason": "tool_use", "timestamp": 3},
                {"role": "toolResult", "toolCallId": "call_1", "toolName": "weather",
                 "content": [{"type": "text", "text": "sunny"}], "details": {"raw": 1},
                 "isError": false, "timestamp": 4}
            ],
            "tools": [{"name": "weather", "description": "Weather", "parameters": {"type": "object"}}]
        });
        let ctx: Context = serde_json::from_value(original.clone()).unwrap();
        assert_eq!(serde_json::to_value(&ctx).unwrap(), original);
    }

    #[test]
    fn usage_finalize_prices_every_bucket() {
        let mut u = Usage {
            input: 1_000_000,
            output: 500_000,
            cache_read: 2_000_000,
            cache_write: 0,
            reasoning: 100,
            ..Usage::default()
        };
        u.finalize(&ModelCost {
            input: 3.0,
            output: 15.0,
            cache_read: 0.3,
            cache_write: 3.75,
        });
        assert_eq!(u.total_tokens, 3_500_000);
        assert!((u.cost.total - (3.0 + 7.5 + 0.6)).abs() < 1e-9);
    }

    #[test]
    fn stop_reasons_use_pi_spelling() {
        assert_eq!(
            serde_json::to_string(&StopReason::ToolUse).unwrap(),
            "\"toolUse\""
        );
    }
}

//! The one event vocabulary every provider is translated into.
//!
//! A stream is `start`, then any number of block events, then exactly one of `done` or
//! `error`. Events are **delta-only**: unlike pi-ai they do not carry the whole
//! message-so-far (which would make every event cost as much as the message). The
//! message-so-far is available by reference from
//! [`LlmStream::partial`](crate::llm::LlmStream::partial) between events; `done`
//! and `error` hand over the final message by value.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::ErrorKind;
use super::types::{AssistantMessage, StopReason, ToolCall};

/// One step of a streamed assistant response. Serialises to one JSON object whose
/// `type` is the event name (`text_delta`, `toolcall_end`, `done`, …); field names are
/// camelCase as in pi-ai. The rare large payloads are boxed so that the frequent
/// delta events stay small to move (this matters at millions of events per second).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum Event {
    /// Always the first event, exactly once: when the provider began answering, or
    /// just before `error` when the request failed before that, so every stream has
    /// the same shape. Retries are invisible: `start` is never repeated.
    Start {
        provider: String,
        model: String,
    },
    TextStart {
        content_index: usize,
    },
    TextDelta {
        content_index: usize,
        delta: String,
    },
    /// The block is complete; `content` is its whole text.
    TextEnd {
        content_index: usize,
        content: String,
    },
    ThinkingStart {
        content_index: usize,
    },
    ThinkingDelta {
        content_index: usize,
        delta: String,
    },
    ThinkingEnd {
        content_index: usize,
        content: String,
    },
    /// A tool call began; its id may still be empty when the provider sends it later.
    ToolcallStart {
        content_index: usize,
        id: String,
        tool_name: String,
    },
    /// `delta` is the raw JSON fragment. `arguments` is a best-effort parse of all
    /// fragments so far; it is present only when it was recomputed: on every delta
    /// while the arguments are under 1 KiB, then each time they have doubled
    /// (see [`crate::llm::partial_json::PartialArgs`]), so that long arguments stay
    /// linear. Consumers keep the last one they saw.
    ToolcallDelta {
        content_index: usize,
        delta: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        // Boxed: serde_json's `preserve_order` (which oxc_resolver turns on for package.json
        // `exports`, whose key order is meaningful) makes a `Value` map three times larger.
        arguments: Option<Box<Value>>,
    },
    /// The call is complete and its arguments fully parsed (not schema-validated).
    ToolcallEnd {
        content_index: usize,
        tool_call: Box<ToolCall>,
    },
    /// The response ended normally; `reason` is `stop`, `length` or `toolUse`.
    Done {
        reason: StopReason,
        message: Box<AssistantMessage>,
    },
    /// The response failed; `reason` is `error` or `aborted`, `error` is the message
    /// with everything received so far and `errorMessage` set.
    Error {
        reason: StopReason,
        kind: ErrorKind,
        error: Box<AssistantMessage>,
    },
}

impl Event {
    /// The event's `type` string.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Start { .. } => "start",
            Event::TextStart { .. } => "text_start",
            Event::TextDelta { .. } => "text_delta",
            Event::TextEnd { .. } => "text_end",
            Event::ThinkingStart { .. } => "thinking_start",
            Event::ThinkingDelta { .. } => "thinking_delta",
            Event::ThinkingEnd { .. } => "thinking_end",
            Event::ToolcallStart { .. } => "toolcall_start",
            Event::ToolcallDelta { .. } => "toolcall_delta",
            Event::ToolcallEnd { .. } => "toolcall_end",
            Event::Done { .. } => "done",
            Event::Error { .. } => "error",
        }
    }

    /// `done` or `error`: nothing follows.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Event::Done { .. } | Event::Error { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_stay_small() {
        assert!(
            std::mem::size_of::<Event>() <= 80,
            "{}",
            std::mem::size_of::<Event>()
        );
    }

    #[test]
    fn events_serialise_with_snake_type_and_camel_fields() {
        let e = Event::ToolcallStart {
            content_index: 2,
            id: "call_1".into(),
            tool_name: "weather".into(),
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type": "toolcall_start", "contentIndex": 2, "id": "call_1", "toolName": "weather"})
        );
        assert_eq!(e.name(), v["type"]);
        let back: Event = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
    }
}

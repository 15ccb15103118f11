//! What an agent run reports, as plain serde data: one JSON object per event whose
//! `type` is the event name (`agent_start`, `tool_execution_end`, …) and whose fields
//! are camelCase, as in pi-agent-core.
//!
//! The sequence of a run: `agent_start`; per turn `turn_start`, the messages injected
//! before the model call (the prompt, steering or follow-ups) as `message_start` +
//! `message_end`, the assistant reply as `message_start`, `message_update`s and
//! `message_end`, then per tool call `tool_execution_start`, `tool_execution_end` and
//! the result's `message_start` + `message_end`; `turn_end`; finally `agent_end`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::llm::{AssistantMessage, Event, Message, ToolResultMessage};

/// One event of an agent run. Large payloads are boxed so that the frequent
/// `message_update` stays small to move.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum AgentEvent {
    /// Always first, exactly once per run.
    AgentStart,
    /// A turn is one model reply and the execution of its tool calls.
    TurnStart,
    /// A message enters the conversation: a user message (prompt, steering,
    /// follow-up), the assistant reply as it begins, or a tool result.
    MessageStart { message: Box<Message> },
    /// One streamed event of the assistant reply (delta-only, like the llm layer's
    /// events: the message so far is not repeated).
    MessageUpdate { assistant_message_event: Box<Event> },
    /// The message is complete (the assistant reply with its usage and stop reason).
    MessageEnd { message: Box<Message> },
    ToolExecutionStart {
        tool_call_id: String,
        tool_name: String,
        /// Boxed: a `Value` map is large under serde_json's `preserve_order`.
        args: Box<Value>,
    },
    /// `result` is the text sent back to the model; `isError` is true for failures,
    /// refusals, validation errors and skipped calls alike.
    ToolExecutionEnd {
        tool_call_id: String,
        tool_name: String,
        result: String,
        is_error: bool,
    },
    TurnEnd {
        message: Box<AssistantMessage>,
        tool_results: Vec<ToolResultMessage>,
    },
    /// Always last, exactly once per run: the messages this run added and how it
    /// ended (`finished`, `limit`, `error`, `aborted`, `stopped`).
    AgentEnd {
        messages: Vec<Message>,
        outcome: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
}

impl AgentEvent {
    /// The event's `type` string.
    pub fn name(&self) -> &'static str {
        match self {
            AgentEvent::AgentStart => "agent_start",
            AgentEvent::TurnStart => "turn_start",
            AgentEvent::MessageStart { .. } => "message_start",
            AgentEvent::MessageUpdate { .. } => "message_update",
            AgentEvent::MessageEnd { .. } => "message_end",
            AgentEvent::ToolExecutionStart { .. } => "tool_execution_start",
            AgentEvent::ToolExecutionEnd { .. } => "tool_execution_end",
            AgentEvent::TurnEnd { .. } => "turn_end",
            AgentEvent::AgentEnd { .. } => "agent_end",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_with_snake_type_and_camel_fields() {
        let e = AgentEvent::ToolExecutionEnd {
            tool_call_id: "c1".into(),
            tool_name: "read_file".into(),
            result: "x".into(),
            is_error: true,
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type": "tool_execution_end", "toolCallId": "c1",
                "toolName": "read_file", "result": "x", "isError": true})
        );
        assert_eq!(v["type"], e.name());
        assert_eq!(serde_json::from_value::<AgentEvent>(v).unwrap(), e);
        assert_eq!(
            serde_json::to_value(AgentEvent::AgentStart).unwrap(),
            serde_json::json!({"type": "agent_start"})
        );
    }

    #[test]
    fn updates_stay_small() {
        assert!(std::mem::size_of::<AgentEvent>() <= 96);
    }
}

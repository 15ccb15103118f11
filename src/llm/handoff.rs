//! Replaying a conversation to a model other than the one that produced it.
//!
//! Provider-specific parts of a saved context are only meaningful to the model that
//! wrote them: thinking signatures, encrypted reasoning, tool-call id formats. Before
//! every request the history is rewritten for the target model (pi-ai's
//! `transformMessages`, research note §1.7):
//!
//! * assistant messages that ended in `error` or `aborted` are dropped (their
//!   half-finished content makes providers reject the request), and so are tool
//!   results that answer calls of dropped messages;
//! * thinking is kept verbatim only for the same provider + API + model; otherwise it
//!   becomes plain text (no `<thinking>` tags, so models do not learn to imitate
//!   them), redacted thinking is dropped, and all signatures are stripped;
//! * tool-call ids are rewritten into the target's allowed alphabet and length, and
//!   the matching tool results follow;
//! * a tool call left without a result before the conversation moves on gets a
//!   synthetic error result, because every API requires calls to be answered.

use std::collections::{HashMap, HashSet};

use super::models::{Api, Model};
use super::types::{
    AssistantMessage, Content, Message, StopReason, TextContent, ToolCall, ToolResultMessage,
    now_ms,
};

/// Text of the synthetic result given to an unanswered tool call.
pub const NO_RESULT: &str = "No result provided";

/// Whether `msg` was produced by exactly `target`.
pub fn same_model(msg: &AssistantMessage, target: &Model) -> bool {
    msg.provider == target.provider && msg.api == target.api.as_str() && msg.model == target.id
}

fn sanitize(id: &str, max: usize) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(max)
        .collect()
}

/// A tool-call id rewritten into what `api` accepts.
pub fn normalize_tool_call_id(api: Api, id: &str) -> String {
    match api {
        // `[a-zA-Z0-9_-]{1,64}` is enforced by the Messages API.
        Api::AnthropicMessages => sanitize(id, 64),
        // Chat Completions ids: OpenAI caps them at 40 characters; Responses-style
        // `call|item` pairs keep their call part.
        Api::OpenaiCompletions => sanitize(id.split('|').next().unwrap_or(id), 40),
        // Responses pairs `call_id|item_id`; an item id from another model would be
        // checked against reasoning items that are not replayed, so only the call
        // part survives.
        Api::OpenaiResponses => sanitize(id.split('|').next().unwrap_or(id), 64)
            .trim_end_matches('_')
            .to_owned(),
        Api::GoogleGenerativeAi => sanitize(id, 64),
    }
}

/// Rewrites `messages` for `target` (see the module documentation).
pub fn prepare(messages: &[Message], target: &Model) -> Vec<Message> {
    let mut out = Vec::with_capacity(messages.len());
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut used: HashSet<String> = HashSet::new();
    let mut unanswered: Vec<(String, String)> = Vec::new();
    for m in messages {
        match m {
            Message::Assistant(a) => {
                if matches!(a.stop_reason, StopReason::Error | StopReason::Aborted) {
                    continue;
                }
                answer_orphans(&mut out, &mut unanswered);
                let same = same_model(a, target);
                let mut content = Vec::with_capacity(a.content.len());
                for c in &a.content {
                    match c {
                        Content::Thinking(t)
                            if same && (t.redacted || t.thinking_signature.is_some()) =>
                        {
                            content.push(c.clone());
                        }
                        Content::Thinking(t) if t.redacted || t.thinking.trim().is_empty() => {}
                        Content::Thinking(t) if same => content.push(c.clone()),
                        Content::Thinking(t) => content.push(Content::text(t.thinking.clone())),
                        Content::Text(t) if same => content.push(c.clone()),
                        Content::Text(t) => content.push(Content::Text(TextContent {
                            text: t.text.clone(),
                            text_signature: None,
                        })),
                        Content::ToolCall(tc) => {
                            let new_id = if same {
                                tc.id.clone()
                            } else {
                                unique_id(normalize_tool_call_id(target.api, &tc.id), &mut used)
                            };
                            used.insert(new_id.clone());
                            ids.insert(tc.id.clone(), new_id.clone());
                            unanswered.push((new_id.clone(), tc.name.clone()));
                            content.push(Content::ToolCall(ToolCall {
                                id: new_id,
                                name: tc.name.clone(),
                                arguments: tc.arguments.clone(),
                                thought_signature: if same {
                                    tc.thought_signature.clone()
                                } else {
                                    None
                                },
                            }));
                        }
                        Content::Image(_) => {}
                    }
                }
                if content.is_empty() {
                    continue;
                }
                out.push(Message::Assistant(AssistantMessage {
                    content,
                    ..a.clone()
                }));
            }
            Message::ToolResult(r) => {
                let Some(new_id) = ids.get(&r.tool_call_id) else {
                    continue;
                };
                unanswered.retain(|(id, _)| id != new_id);
                out.push(Message::ToolResult(ToolResultMessage {
                    tool_call_id: new_id.clone(),
                    ..r.clone()
                }));
            }
            Message::User(_) => {
                answer_orphans(&mut out, &mut unanswered);
                out.push(m.clone());
            }
        }
    }
    out
}

fn unique_id(mut id: String, used: &mut HashSet<String>) -> String {
    if id.is_empty() {
        id = "call".into();
    }
    if !used.contains(&id) {
        return id;
    }
    (2..)
        .map(|n| format!("{id}_{n}"))
        .find(|c| !used.contains(c))
        .expect("an unused suffix exists")
}

fn answer_orphans(out: &mut Vec<Message>, unanswered: &mut Vec<(String, String)>) {
    for (id, name) in unanswered.drain(..) {
        out.push(Message::ToolResult(ToolResultMessage {
            tool_call_id: id,
            tool_name: name,
            content: vec![Content::text(NO_RESULT)],
            details: None,
            is_error: true,
            timestamp: now_ms(),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::models::Registry;
    use crate::llm::types::{ThinkingContent, Usage};
    use serde_json::json;

    fn assistant(model: &Model, content: Vec<Content>, stop: StopReason) -> Message {
        Message::Assistant(AssistantMessage {
            content,
            api: model.api.as_str().into(),
            provider: model.provider.clone(),
            model: model.id.clone(),
            usage: Usage::default(),
            stop_reason: stop,
            raw_stop_reason: None,
            error_message: None,
            response_id: None,
            timestamp: 0,
        })
    }

    fn thinking(text: &str, sig: Option<&str>, redacted: bool) -> Content {
        Content::Thinking(ThinkingContent {
            thinking: text.into(),
            thinking_signature: sig.map(Into::into),
            redacted,
        })
    }

    fn call(id: &str) -> Content {
        Content::ToolCall(ToolCall {
            id: id.into(),
            name: "f".into(),
            arguments: json!({}),
            thought_signature: Some("sig".into()),
        })
    }

    #[test]
    fn same_model_keeps_everything_other_model_gets_text() {
        let r = Registry::builtin();
        let claude = r.resolve("anthropic/claude-sonnet-4-5").unwrap();
        let gpt = r.resolve("openai/gpt-5").unwrap();
        let history = vec![
            Message::user("hi"),
            assistant(
                &claude,
                vec![
                    thinking("reasoning", Some("SIG"), false),
                    thinking("", Some("REDACTED"), true),
                    thinking("  ", None, false),
                    Content::text("answer"),
                ],
                StopReason::Stop,
            ),
        ];
        let same = prepare(&history, &claude);
        assert_eq!(
            same,
            history[..1]
                .iter()
                .cloned()
                .chain([assistant(
                    &claude,
                    vec![
                        thinking("reasoning", Some("SIG"), false),
                        thinking("", Some("REDACTED"), true),
                        Content::text("answer"),
                    ],
                    StopReason::Stop,
                )])
                .collect::<Vec<_>>()
        );
        let other = prepare(&history, &gpt);
        let Message::Assistant(a) = &other[1] else {
            panic!()
        };
        assert_eq!(
            a.content,
            vec![Content::text("reasoning"), Content::text("answer")]
        );
    }

    #[test]
    fn ids_are_normalised_orphans_answered_errors_dropped() {
        let r = Registry::builtin();
        let resp = r.resolve("openai/gpt-5").unwrap();
        let claude = r.resolve("anthropic/claude-sonnet-4-5").unwrap();
        let history = vec![
            Message::user("go"),
            assistant(
                &resp,
                vec![call("call_1|fc_abc+/="), call("call 2")],
                StopReason::ToolUse,
            ),
            Message::ToolResult(ToolResultMessage {
                tool_call_id: "call_1|fc_abc+/=".into(),
                tool_name: "f".into(),
                content: vec![Content::text("ok")],
                details: None,
                is_error: false,
                timestamp: 0,
            }),
            assistant(&resp, vec![Content::text("half")], StopReason::Aborted),
            Message::user("again"),
        ];
        let out = prepare(&history, &claude);
        let kinds: Vec<_> = out
            .iter()
            .map(|m| match m {
                Message::User(_) => "user".to_owned(),
                Message::Assistant(a) => format!(
                    "assistant:{}",
                    a.tool_calls()
                        .map(|c| c.id.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                Message::ToolResult(t) => format!("result:{}:{}", t.tool_call_id, t.is_error),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "user",
                "assistant:call_1_fc_abc___,call_2",
                "result:call_1_fc_abc___:false",
                "result:call_2:true",
                "user"
            ]
        );
        let Message::Assistant(a) = &out[1] else {
            panic!()
        };
        assert!(a.tool_calls().all(|c| c.thought_signature.is_none()));
    }

    #[test]
    fn colliding_ids_stay_distinct() {
        let r = Registry::builtin();
        let gpt = r.resolve("openai/gpt-5").unwrap();
        let claude = r.resolve("anthropic/claude-sonnet-4-5").unwrap();
        let history = vec![assistant(
            &gpt,
            vec![call("a|1"), call("a|2")],
            StopReason::ToolUse,
        )];
        let out = prepare(
            &history,
            &r.resolve("groq/llama-3.3-70b-versatile").unwrap(),
        );
        let Message::Assistant(a) = &out[0] else {
            panic!()
        };
        let ids: Vec<_> = a.tool_calls().map(|c| c.id.clone()).collect();
        assert_eq!(ids, ["a", "a_2"]);
        let _ = claude;
    }
}

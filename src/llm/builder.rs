//! The provider-neutral half of every adapter: it owns the message being built, turns
//! "a block opened / grew / closed" into [`Event`]s, and enforces the stream
//! invariants in one place so no adapter can break them:
//!
//! * `start` comes first and exactly once; exactly one terminal event (`done` or
//!   `error`) comes last and nothing follows it;
//! * every `*_start` gets its `*_end` before `done` (open blocks are closed in order);
//! * scratch state (raw argument buffers) lives beside the message, never in it, so a
//!   saved message on any path (done, error, abort) holds only public fields;
//! * a tool call whose id and name have not arrived yet (argument fragments sent
//!   first, pi issue #4854) is announced only once its name is known;
//! * every string from the wire passes the [`Redactor`] here, on its way into the
//!   message and the events, so the API key never reaches an output
//!   ([`crate::llm::redact`] says why this is the one place).

use std::borrow::Cow;
use std::collections::VecDeque;

use serde_json::Value;

use super::error::LlmError;
use super::events::Event;
use super::partial_json::PartialArgs;
use super::redact::Redactor;
use super::types::{
    AssistantMessage, Content, ModelCost, StopReason, TextContent, ThinkingContent, ToolCall, Usage,
};

/// Per-block state. `tail` is what the redactor keeps back because it could be the
/// start of the key (see [`Redactor::stream`]); it is handed out when the block ends.
#[derive(Debug)]
enum Scratch {
    Text {
        open: bool,
        tail: String,
    },
    Thinking {
        open: bool,
        tail: String,
    },
    Tool {
        open: bool,
        announced: bool,
        args: PartialArgs,
        /// Fragments received before the call was announced.
        held: String,
        tail: String,
    },
}

impl Scratch {
    fn tail(&mut self) -> &mut String {
        match self {
            Scratch::Text { tail, .. }
            | Scratch::Thinking { tail, .. }
            | Scratch::Tool { tail, .. } => tail,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    Streaming,
    Finished,
}

/// Builds one [`AssistantMessage`] from provider callbacks and queues the events.
#[derive(Debug)]
pub struct MessageBuilder {
    message: AssistantMessage,
    scratch: Vec<Scratch>,
    phase: Phase,
    stop: Option<(StopReason, Option<String>)>,
    rates: ModelCost,
    out: VecDeque<Event>,
    error: Option<LlmError>,
    redactor: Option<Redactor>,
}

impl MessageBuilder {
    pub fn new(api: &str, provider: &str, model: &str, rates: ModelCost) -> Self {
        MessageBuilder {
            message: AssistantMessage::empty(api, provider, model),
            scratch: Vec::new(),
            phase: Phase::Idle,
            stop: None,
            rates,
            out: VecDeque::new(),
            error: None,
            redactor: None,
        }
    }

    /// Redacts the secret of `r` from everything built from now on (the stream
    /// passes the API key's redactor; `None` redacts nothing).
    pub fn with_redactor(mut self, r: Option<Redactor>) -> Self {
        self.redactor = r;
        self
    }

    /// `s` redacted (borrowed when there is nothing to remove).
    fn clean<'a>(&self, s: &'a str) -> Cow<'a, str> {
        match &self.redactor {
            Some(r) => r.redact(s),
            None => Cow::Borrowed(s),
        }
    }

    /// A streamed fragment of block `i`, redacted: what can be handed out now (the
    /// possible start of the key stays in the block's tail).
    fn stream_clean<'a>(&mut self, i: usize, delta: &'a str) -> Cow<'a, str> {
        match (&self.redactor, self.scratch.get_mut(i)) {
            (Some(r), Some(s)) => Cow::Owned(r.stream(s.tail(), delta)),
            _ => Cow::Borrowed(delta),
        }
    }

    /// Hands out what block `i` kept back; called when the block ends.
    fn flush(&mut self, i: usize) {
        let Some(s) = self.scratch.get_mut(i) else {
            return;
        };
        let tail = std::mem::take(s.tail());
        if tail.is_empty() {
            return;
        }
        match s {
            Scratch::Text { .. } => self.push_text(i, &tail),
            Scratch::Thinking { .. } => self.push_thinking(i, &tail),
            Scratch::Tool { .. } => self.push_args(i, &tail),
        }
    }

    /// The message so far (content, usage); meaningful between events.
    pub fn partial(&self) -> &AssistantMessage {
        &self.message
    }

    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Finished
    }

    pub fn pop_event(&mut self) -> Option<Event> {
        self.out.pop_front()
    }

    /// The error the stream failed with, if it did.
    pub fn error(&self) -> Option<&LlmError> {
        self.error.as_ref()
    }

    /// Marks `start` as already emitted (by an earlier attempt of the same stream).
    pub fn mark_started(&mut self) {
        if self.phase == Phase::Idle {
            self.phase = Phase::Streaming;
        }
    }

    /// Emits `start` if it has not been emitted yet.
    pub fn start(&mut self) {
        if self.phase == Phase::Idle {
            self.phase = Phase::Streaming;
            self.out.push_back(Event::Start {
                provider: self.message.provider.clone(),
                model: self.message.model.clone(),
            });
        }
    }

    fn push_block(&mut self, block: Content, scratch: Scratch) -> usize {
        self.start();
        self.message.content.push(block);
        self.scratch.push(scratch);
        self.message.content.len() - 1
    }

    pub fn open_text(&mut self) -> usize {
        let i = self.push_block(
            Content::text(""),
            Scratch::Text {
                open: true,
                tail: String::new(),
            },
        );
        self.out.push_back(Event::TextStart { content_index: i });
        i
    }

    pub fn text_delta(&mut self, i: usize, delta: &str) {
        if delta.is_empty() || self.is_finished() {
            return;
        }
        let delta = self.stream_clean(i, delta);
        self.push_text(i, &delta);
    }

    fn push_text(&mut self, i: usize, delta: &str) {
        if delta.is_empty() {
            return;
        }
        if let Some(Content::Text(t)) = self.message.content.get_mut(i) {
            t.text.push_str(delta);
            self.out.push_back(Event::TextDelta {
                content_index: i,
                delta: delta.to_owned(),
            });
        }
    }

    pub fn set_text_signature(&mut self, i: usize, sig: String) {
        if let Some(Content::Text(t)) = self.message.content.get_mut(i) {
            t.text_signature = Some(sig);
        }
    }

    pub fn open_thinking(&mut self) -> usize {
        let i = self.push_block(
            Content::Thinking(ThinkingContent {
                thinking: String::new(),
                thinking_signature: None,
                redacted: false,
            }),
            Scratch::Thinking {
                open: true,
                tail: String::new(),
            },
        );
        self.out
            .push_back(Event::ThinkingStart { content_index: i });
        i
    }

    pub fn thinking_delta(&mut self, i: usize, delta: &str) {
        if delta.is_empty() || self.is_finished() {
            return;
        }
        let delta = self.stream_clean(i, delta);
        self.push_thinking(i, &delta);
    }

    fn push_thinking(&mut self, i: usize, delta: &str) {
        if delta.is_empty() {
            return;
        }
        if let Some(Content::Thinking(t)) = self.message.content.get_mut(i) {
            t.thinking.push_str(delta);
            self.out.push_back(Event::ThinkingDelta {
                content_index: i,
                delta: delta.to_owned(),
            });
        }
    }

    /// Appends to the thinking signature (Anthropic streams it in `signature_delta`s).
    pub fn thinking_signature(&mut self, i: usize, sig: &str) {
        if let Some(Content::Thinking(t)) = self.message.content.get_mut(i) {
            t.thinking_signature
                .get_or_insert_with(String::new)
                .push_str(sig);
        }
    }

    /// A redacted thinking block (opaque data, no text): opened and closed at once.
    pub fn redacted_thinking(&mut self, data: String) -> usize {
        let i = self.open_thinking();
        if let Some(Content::Thinking(t)) = self.message.content.get_mut(i) {
            t.thinking_signature = Some(data);
            t.redacted = true;
        }
        self.close(i);
        i
    }

    /// Opens a tool call. `name` may be empty when the provider sends arguments first;
    /// the call is then announced when [`Self::set_tool_identity`] supplies a name.
    pub fn open_tool_call(&mut self, id: &str, name: &str) -> usize {
        let (id, name) = (self.clean(id).into_owned(), self.clean(name).into_owned());
        let i = self.push_block(
            Content::ToolCall(ToolCall {
                id,
                name: name.clone(),
                arguments: Value::Object(serde_json::Map::new()),
                thought_signature: None,
            }),
            Scratch::Tool {
                open: true,
                announced: false,
                args: PartialArgs::default(),
                held: String::new(),
                tail: String::new(),
            },
        );
        if !name.is_empty() {
            self.announce(i);
        }
        i
    }

    /// Fills in an id or name that arrived after the call was opened.
    pub fn set_tool_identity(&mut self, i: usize, id: Option<&str>, name: Option<&str>) {
        let id = id
            .filter(|s| !s.is_empty())
            .map(|s| self.clean(s).into_owned());
        let name = name
            .filter(|s| !s.is_empty())
            .map(|s| self.clean(s).into_owned());
        if let Some(Content::ToolCall(c)) = self.message.content.get_mut(i) {
            if let Some(id) = id {
                c.id = id;
            }
            if let Some(name) = name {
                c.name = name;
            }
            if !c.name.is_empty() {
                self.announce(i);
            }
        }
    }

    fn announce(&mut self, i: usize) {
        let Some(Scratch::Tool {
            announced, held, ..
        }) = self.scratch.get_mut(i)
        else {
            return;
        };
        if *announced {
            return;
        }
        *announced = true;
        let held = std::mem::take(held);
        if let Some(Content::ToolCall(c)) = self.message.content.get(i) {
            self.out.push_back(Event::ToolcallStart {
                content_index: i,
                id: c.id.clone(),
                tool_name: c.name.clone(),
            });
        }
        if !held.is_empty() {
            self.emit_args_delta(i, held, true);
        }
    }

    pub fn tool_args_delta(&mut self, i: usize, fragment: &str) {
        if fragment.is_empty() || self.is_finished() {
            return;
        }
        let fragment = self.stream_clean(i, fragment);
        self.push_args(i, &fragment);
    }

    fn push_args(&mut self, i: usize, fragment: &str) {
        if fragment.is_empty() {
            return;
        }
        let Some(Scratch::Tool {
            announced,
            args,
            held,
            ..
        }) = self.scratch.get_mut(i)
        else {
            return;
        };
        if *announced {
            self.emit_args_delta(i, fragment.to_owned(), false);
        } else {
            // Keep the parse state current; the event waits for the announcement.
            args.push(fragment);
            held.push_str(fragment);
        }
    }

    /// Emits a `toolcall_delta`; `pushed` says whether the fragment is already in the
    /// parser (fragments held back before the announcement are).
    fn emit_args_delta(&mut self, i: usize, fragment: String, pushed: bool) {
        let Some(Scratch::Tool { args, .. }) = self.scratch.get_mut(i) else {
            return;
        };
        let parsed = if pushed {
            args.current()
        } else {
            args.push(&fragment)
        };
        if let (Some(v @ Value::Object(_)), Some(Content::ToolCall(c))) =
            (&parsed, self.message.content.get_mut(i))
        {
            c.arguments = v.clone();
        }
        self.out.push_back(Event::ToolcallDelta {
            content_index: i,
            delta: fragment,
            arguments: parsed.map(Box::new),
        });
    }

    /// The provider's complete argument string (Responses `arguments.done`, a Gemini
    /// function call). Replaces whatever fragments arrived; if no fragment did, it is
    /// also emitted as a single delta so consumers see the arguments stream by.
    pub fn tool_args_final(&mut self, i: usize, full: &str) {
        // What was held back belongs before the final text is compared with it.
        self.flush(i);
        let full = self.clean(full);
        let full = full.as_ref();
        let Some(Scratch::Tool {
            args, announced, ..
        }) = self.scratch.get_mut(i)
        else {
            return;
        };
        if args.as_str() == full {
            return;
        }
        if args.is_empty() && *announced {
            self.emit_args_delta(i, full.to_owned(), false);
        } else {
            args.replace(full);
        }
    }

    pub fn set_tool_thought_signature(&mut self, i: usize, sig: String) {
        let sig = self.clean(&sig).into_owned();
        if let Some(Content::ToolCall(c)) = self.message.content.get_mut(i) {
            c.thought_signature = Some(sig);
        }
    }

    pub fn has_tool_calls(&self) -> bool {
        self.message
            .content
            .iter()
            .any(|c| matches!(c, Content::ToolCall(_)))
    }

    /// Completes block `i` and emits its end event (no-op when already closed).
    pub fn close(&mut self, i: usize) {
        self.flush(i);
        let Some(s) = self.scratch.get_mut(i) else {
            return;
        };
        match s {
            Scratch::Text { open, .. } if *open => {
                *open = false;
                if let Some(Content::Text(TextContent { text, .. })) = self.message.content.get(i) {
                    self.out.push_back(Event::TextEnd {
                        content_index: i,
                        content: text.clone(),
                    });
                }
            }
            Scratch::Thinking { open, .. } if *open => {
                *open = false;
                if let Some(Content::Thinking(t)) = self.message.content.get(i) {
                    self.out.push_back(Event::ThinkingEnd {
                        content_index: i,
                        content: t.thinking.clone(),
                    });
                }
            }
            Scratch::Tool { open, .. } if *open => {
                *open = false;
                self.announce(i);
                let Some(Scratch::Tool { args, .. }) = self.scratch.get_mut(i) else {
                    return;
                };
                let mut final_args = args.finish();
                *args = PartialArgs::default();
                if let Some(r) = &self.redactor {
                    // A key written with JSON escapes the fragments did not show.
                    r.redact_value(&mut final_args);
                }
                if let Some(Content::ToolCall(c)) = self.message.content.get_mut(i) {
                    c.arguments = final_args;
                    self.out.push_back(Event::ToolcallEnd {
                        content_index: i,
                        tool_call: Box::new(c.clone()),
                    });
                }
            }
            _ => {}
        }
    }

    pub fn usage_mut(&mut self) -> &mut Usage {
        &mut self.message.usage
    }

    pub fn set_response_id(&mut self, id: &str) {
        if !id.is_empty() {
            self.message.response_id = Some(self.clean(id).into_owned());
        }
    }

    /// Records the provider's stop reason (mapped, and the raw value).
    pub fn set_stop(&mut self, reason: StopReason, raw: Option<&str>) {
        let raw = raw.map(|r| self.clean(r).into_owned());
        self.stop = Some((reason, raw.clone()));
        self.message.raw_stop_reason = raw;
    }

    /// The last pass over the finished message: fields that are not streamed as
    /// events (signatures, which arrive in pieces) are redacted whole here.
    fn scrub(&mut self) {
        let Some(r) = &self.redactor else {
            return;
        };
        let opt = |s: &mut Option<String>| {
            if let Some(s) = s {
                r.redact_in_place(s);
            }
        };
        for c in &mut self.message.content {
            match c {
                Content::Text(t) => {
                    r.redact_in_place(&mut t.text);
                    opt(&mut t.text_signature);
                }
                Content::Thinking(t) => {
                    r.redact_in_place(&mut t.thinking);
                    opt(&mut t.thinking_signature);
                }
                Content::ToolCall(c) => {
                    r.redact_in_place(&mut c.id);
                    r.redact_in_place(&mut c.name);
                    r.redact_value(&mut c.arguments);
                    opt(&mut c.thought_signature);
                }
                Content::Image(_) => {}
            }
        }
        opt(&mut self.message.raw_stop_reason);
        opt(&mut self.message.response_id);
    }

    pub fn stop_reason(&self) -> Option<StopReason> {
        self.stop.as_ref().map(|(r, _)| *r)
    }

    /// Ends the stream normally: closes open blocks, finalises usage and emits
    /// `done` (or `error` when the provider's stop reason was an error, such as a
    /// content filter or an unknown value).
    pub fn finish(&mut self) {
        if self.is_finished() {
            return;
        }
        self.start();
        for i in 0..self.scratch.len() {
            self.close(i);
        }
        let (mut reason, raw) = self.stop.clone().unwrap_or((StopReason::Stop, None));
        if reason == StopReason::Stop && self.has_tool_calls() {
            // Gemini and Responses report a plain stop when the turn calls tools.
            reason = StopReason::ToolUse;
        }
        if reason == StopReason::Error {
            let raw = raw.unwrap_or_default();
            let err = if raw.is_empty() {
                LlmError::Protocol("the provider ended the response with an error".into())
            } else {
                LlmError::Stopped { raw }
            };
            self.fail(err);
            return;
        }
        self.message.stop_reason = reason;
        self.message.usage.finalize(&self.rates);
        self.scrub();
        self.phase = Phase::Finished;
        self.scratch.clear();
        self.out.push_back(Event::Done {
            reason,
            message: Box::new(self.message.clone()),
        });
    }

    /// Ends the stream with an error, keeping everything received so far. Open tool
    /// calls keep their best-effort arguments; no end events are emitted for open
    /// blocks (the `error` event is the end of everything).
    pub fn fail(&mut self, err: LlmError) {
        if self.is_finished() {
            return;
        }
        self.start();
        let err = match &self.redactor {
            Some(r) => err.redact(r),
            None => err,
        };
        // What the redactor held back was received; it is part of the partial reply.
        for i in 0..self.scratch.len() {
            self.flush(i);
        }
        for (i, s) in self.scratch.iter().enumerate() {
            if let (
                Scratch::Tool {
                    args, open: true, ..
                },
                Some(Content::ToolCall(c)),
            ) = (s, self.message.content.get_mut(i))
            {
                c.arguments = args.finish();
            }
        }
        self.scratch.clear();
        let reason = if err == LlmError::Aborted {
            StopReason::Aborted
        } else {
            StopReason::Error
        };
        self.message.stop_reason = reason;
        self.message.error_message = Some(err.to_string());
        self.message.usage.finalize(&self.rates);
        self.scrub();
        self.phase = Phase::Finished;
        self.out.push_back(Event::Error {
            reason,
            kind: err.kind(),
            error: Box::new(self.message.clone()),
        });
        self.error = Some(err);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn drain(b: &mut MessageBuilder) -> Vec<Event> {
        std::iter::from_fn(|| b.pop_event()).collect()
    }

    fn builder() -> MessageBuilder {
        MessageBuilder::new("openai-completions", "test", "m", ModelCost::default())
    }

    #[test]
    fn finish_closes_open_blocks_and_emits_one_done() {
        let mut b = builder();
        let t = b.open_text();
        b.text_delta(t, "Hi");
        let c = b.open_tool_call("call_1", "f");
        b.tool_args_delta(c, r#"{"a":"#);
        b.tool_args_delta(c, "1}");
        b.finish();
        b.finish();
        b.fail(LlmError::Truncated);
        let names: Vec<_> = drain(&mut b).iter().map(Event::name).collect();
        assert_eq!(
            names,
            [
                "start",
                "text_start",
                "text_delta",
                "toolcall_start",
                "toolcall_delta",
                "toolcall_delta",
                "text_end",
                "toolcall_end",
                "done"
            ]
        );
        assert_eq!(b.partial().stop_reason, StopReason::ToolUse);
        assert_eq!(
            b.partial().tool_calls().next().unwrap().arguments,
            json!({"a": 1})
        );
    }

    #[test]
    fn arguments_before_name_are_held_until_announced() {
        let mut b = builder();
        let c = b.open_tool_call("", "");
        b.tool_args_delta(c, r#"{"x":"#);
        assert_eq!(drain(&mut b).len(), 1); // only start
        b.set_tool_identity(c, Some("call_9"), Some("look"));
        b.tool_args_delta(c, "2}");
        b.finish();
        let ev = drain(&mut b);
        assert!(
            matches!(&ev[0], Event::ToolcallStart { id, tool_name, .. } if id == "call_9" && tool_name == "look")
        );
        assert!(matches!(&ev[1], Event::ToolcallDelta { delta, .. } if delta == r#"{"x":"#));
        assert!(matches!(&ev[2], Event::ToolcallDelta { delta, .. } if delta == "2}"));
        assert!(
            matches!(&ev[3], Event::ToolcallEnd { tool_call, .. } if tool_call.arguments == json!({"x": 2}))
        );
    }

    #[test]
    fn failure_keeps_partial_content_and_is_terminal() {
        let mut b = builder();
        let t = b.open_text();
        b.text_delta(t, "partial");
        let c = b.open_tool_call("id", "f");
        b.tool_args_delta(c, r#"{"k":"v"#);
        b.fail(LlmError::Aborted);
        b.finish();
        let ev = drain(&mut b);
        let Event::Error {
            reason,
            error,
            kind,
        } = ev.last().unwrap()
        else {
            panic!("{ev:?}")
        };
        assert_eq!(*reason, StopReason::Aborted);
        assert_eq!(*kind, super::super::error::ErrorKind::Aborted);
        assert_eq!(error.text(), "partial");
        assert_eq!(
            error.tool_calls().next().unwrap().arguments,
            json!({"k": "v"})
        );
        assert_eq!(ev.iter().filter(|e| e.is_terminal()).count(), 1);
    }

    #[test]
    fn deltas_carry_a_best_effort_parse_and_the_partial_follows() {
        let mut b = builder();
        let c = b.open_tool_call("id", "f");
        for frag in [r#"{"path": "src/"#, r#"a.ts", "li"#, r#"nes": [1, 2"#] {
            b.tool_args_delta(c, frag);
        }
        let parses: Vec<_> = drain(&mut b)
            .into_iter()
            .filter_map(|e| match e {
                Event::ToolcallDelta { arguments, .. } => Some(arguments.map(|a| *a)),
                _ => None,
            })
            .collect();
        assert_eq!(
            parses,
            [
                Some(json!({"path": "src/"})),
                Some(json!({"path": "src/a.ts"})),
                Some(json!({"path": "src/a.ts", "lines": [1, 2]})),
            ]
        );
        assert_eq!(
            b.partial().tool_calls().next().unwrap().arguments,
            json!({"path": "src/a.ts", "lines": [1, 2]})
        );
    }

    #[test]
    fn error_stop_reason_becomes_error_event() {
        let mut b = builder();
        b.set_stop(StopReason::Error, Some("content_filter"));
        b.finish();
        let ev = drain(&mut b);
        assert!(
            matches!(ev.last(), Some(Event::Error { error, .. }) if error.raw_stop_reason.as_deref() == Some("content_filter"))
        );
    }
}

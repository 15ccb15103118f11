//! The agent: pi-agent-core's loop in Rust. A run streams a model reply, executes its
//! tool calls one after another, feeds the results back, and goes round until the
//! model answers without tool calls and nothing is queued.
//!
//! Steering (`steer`) is polled once when a run starts and after each tool execution:
//! when a message is queued, the turn's remaining tool calls are skipped with an error
//! result saying the user interrupted, and the message follows the results as a user
//! message before the next model call. Follow-ups (`follow_up`) are polled only when
//! the agent would otherwise stop. `abort` cancels the model stream and the running
//! tool. Budgets are checked before every model call.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::budget::{Budget, LimitHit, Spent};
use super::error::AgentError;
use super::events::AgentEvent;
use crate::llm::redact::Redactor;
use crate::llm::{
    AssistantMessage, Client, Context, ErrorKind, Event, Message, Model, StopReason, StreamOptions,
    Tool, ToolCall, ToolResultMessage, validate_tool_call,
};

/// A boxed future, for the one async method of [`Toolbox`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a tool call produced: the text the model receives, and whether it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutput {
    pub text: String,
    pub is_error: bool,
}

impl ToolOutput {
    pub fn ok(text: impl Into<String>) -> Self {
        ToolOutput {
            text: text.into(),
            is_error: false,
        }
    }

    pub fn error(text: impl Into<String>) -> Self {
        ToolOutput {
            text: text.into(),
            is_error: true,
        }
    }
}

/// The tools an agent can call. Arguments arrive validated against the tool's schema
/// (a validation failure never reaches `execute`: it is an error result the model can
/// act on); a failure is an error output, never a panic or an `Err`.
pub trait Toolbox: Send {
    /// Name, description and JSON Schema of every tool.
    fn tools(&self) -> Vec<Tool>;
    /// Runs one call. `cancel` is the run's abort signal.
    fn execute<'a>(
        &'a mut self,
        name: &'a str,
        args: &'a Value,
        cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, ToolOutput>;
    /// A turn begins (before its model call): the calls until the next are its own.
    /// The repository tools journal each turn's writes under one turn id, so
    /// `dash undo --turn` undoes them together.
    fn turn_start(&mut self) {}
}

/// What a before-hook decides about a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Not run; the reason is the error result.
    Block(String),
}

/// Hooks around each tool call (pi's `beforeToolCall`/`afterToolCall`): approval
/// lives here. Both see the validated arguments.
pub trait Hooks: Send {
    fn before_tool_call(&mut self, _call: &ToolCall, _args: &Value) -> Verdict {
        Verdict::Allow
    }
    fn after_tool_call(&mut self, _call: &ToolCall, _args: &Value, _output: &mut ToolOutput) {}
}

/// The text of a tool result for a call skipped because the user steered.
pub const INTERRUPTED: &str =
    "Skipped: interrupted by the user, who sent a new message; this call was not run.";

/// The state shared with [`AgentHandle`]s: the queues and the abort signal.
#[derive(Debug, Default)]
struct Shared {
    steering: Mutex<VecDeque<Message>>,
    follow_ups: Mutex<VecDeque<Message>>,
    cancel: Mutex<CancellationToken>,
}

fn take(queue: &Mutex<VecDeque<Message>>) -> Vec<Message> {
    queue
        .lock()
        .map(|mut q| q.drain(..).collect())
        .unwrap_or_default()
}

/// Steers, queues follow-ups and aborts a running agent from another task or thread
/// (the agent itself is borrowed mutably while it runs).
#[derive(Debug, Clone)]
pub struct AgentHandle(Arc<Shared>);

impl AgentHandle {
    /// Delivered after the tool execution in progress (or before the next model call);
    /// the turn's remaining tool calls are skipped.
    pub fn steer(&self, text: impl Into<String>) {
        if let Ok(mut q) = self.0.steering.lock() {
            q.push_back(Message::user(text));
        }
    }

    /// Delivered when the agent would otherwise stop.
    pub fn follow_up(&self, text: impl Into<String>) {
        if let Ok(mut q) = self.0.follow_ups.lock() {
            q.push_back(Message::user(text));
        }
    }

    /// Cancels the model stream or tool in progress; the run ends with
    /// [`AgentError::Aborted`].
    pub fn abort(&self) {
        if let Ok(token) = self.0.cancel.lock() {
            token.cancel();
        }
    }

    fn has_queued(&self) -> bool {
        let len = |q: &Mutex<VecDeque<Message>>| q.lock().map(|q| q.len()).unwrap_or(0);
        len(&self.0.steering) + len(&self.0.follow_ups) > 0
    }
}

type Listener = Box<dyn FnMut(&AgentEvent) + Send>;

/// An agent: a model, a conversation, tools, hooks, a budget and listeners.
pub struct Agent<T: Toolbox> {
    client: Client,
    model: Model,
    options: StreamOptions,
    context: Context,
    toolbox: T,
    hooks: Vec<Box<dyn Hooks>>,
    handle: AgentHandle,
    budget: Budget,
    spent: Spent,
    listeners: Vec<Option<Listener>>,
    redactor: Option<Redactor>,
}

impl<T: Toolbox> std::fmt::Debug for Agent<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("model", &self.model.spec())
            .field("messages", &self.context.messages.len())
            .finish_non_exhaustive()
    }
}

impl<T: Toolbox> Agent<T> {
    /// An agent on `context` (its system prompt and messages; its tools are replaced
    /// by the toolbox's). `options` are used for every model call (its `cancel` is
    /// replaced by the run's).
    pub fn new(
        client: Client,
        model: Model,
        options: StreamOptions,
        mut context: Context,
        toolbox: T,
    ) -> Agent<T> {
        context.tools = toolbox.tools();
        let redactor = options
            .api_key
            .as_ref()
            .and_then(|k| Redactor::new(k.expose()));
        Agent {
            client,
            model,
            options,
            context,
            toolbox,
            hooks: Vec::new(),
            handle: AgentHandle(Arc::default()),
            budget: Budget::default(),
            spent: Spent::default(),
            listeners: Vec::new(),
            redactor,
        }
    }

    pub fn with_budget(mut self, budget: Budget) -> Agent<T> {
        self.budget = budget;
        self
    }

    pub fn add_hooks(&mut self, hooks: Box<dyn Hooks>) {
        self.hooks.push(hooks);
    }

    /// Calls `listener` with every event, in order; returns an id for
    /// [`Agent::unsubscribe`].
    pub fn subscribe(&mut self, listener: impl FnMut(&AgentEvent) + Send + 'static) -> usize {
        self.listeners.push(Some(Box::new(listener)));
        self.listeners.len() - 1
    }

    pub fn unsubscribe(&mut self, id: usize) {
        if let Some(slot) = self.listeners.get_mut(id) {
            *slot = None;
        }
    }

    /// A handle to steer, follow up and abort while a run borrows the agent.
    pub fn handle(&self) -> AgentHandle {
        self.handle.clone()
    }

    pub fn steer(&self, text: impl Into<String>) {
        self.handle.steer(text);
    }

    pub fn follow_up(&self, text: impl Into<String>) {
        self.handle.follow_up(text);
    }

    pub fn abort(&self) {
        self.handle.abort();
    }

    /// The conversation so far (system prompt, messages, tools): what `--save` writes.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// The tools (to read what they collected after a run).
    pub fn toolbox(&self) -> &T {
        &self.toolbox
    }

    /// The tools, taken back (to hand them to the next agent: `dash fix --agent` runs
    /// one agent per task over the same collected edits).
    pub fn into_toolbox(self) -> T {
        self.toolbox
    }

    /// What the runs so far have spent.
    pub fn spent(&self) -> &Spent {
        &self.spent
    }

    /// Adds `text` as a user message and runs until the agent stops.
    pub async fn prompt(&mut self, text: impl Into<String>) -> Result<(), AgentError> {
        self.run(vec![Message::user(text)], true).await
    }

    /// Runs from the conversation as it is: its last message must be a user message
    /// or a tool result, unless steering or follow-up messages are queued.
    pub async fn r#continue(&mut self) -> Result<(), AgentError> {
        match self.context.messages.last() {
            None if !self.handle.has_queued() => Err(AgentError::NothingToContinue(
                "the conversation is empty".into(),
            )),
            Some(Message::Assistant(_)) if !self.handle.has_queued() => {
                Err(AgentError::NothingToContinue(
                    "the conversation ends with the assistant's reply".into(),
                ))
            }
            Some(Message::Assistant(_)) | None => {
                let mut pending = take(&self.handle.0.steering);
                if pending.is_empty() {
                    pending = take(&self.handle.0.follow_ups);
                }
                self.run(pending, false).await
            }
            Some(_) => self.run(Vec::new(), true).await,
        }
    }

    fn emit(&mut self, event: AgentEvent) {
        for listener in self.listeners.iter_mut().flatten() {
            listener(&event);
        }
    }

    /// Adds a message to the conversation with its start and end events.
    fn push(&mut self, message: Message) {
        self.emit(AgentEvent::MessageStart {
            message: Box::new(message.clone()),
        });
        self.emit(AgentEvent::MessageEnd {
            message: Box::new(message.clone()),
        });
        self.context.messages.push(message);
    }

    async fn run(&mut self, prompts: Vec<Message>, poll_first: bool) -> Result<(), AgentError> {
        let cancel = CancellationToken::new();
        if let Ok(mut token) = self.handle.0.cancel.lock() {
            *token = cancel.clone();
        }
        let start = self.context.messages.len();
        self.emit(AgentEvent::AgentStart);
        let result = self.run_loop(prompts, poll_first, &cancel).await;
        let messages = self.context.messages[start..].to_vec();
        let (outcome, error) = match &result {
            Ok(()) => ("finished", None),
            Err(e) => (e.outcome(), Some(e.to_string())),
        };
        self.emit(AgentEvent::AgentEnd {
            messages,
            outcome: outcome.to_owned(),
            error,
        });
        result
    }

    async fn run_loop(
        &mut self,
        prompts: Vec<Message>,
        poll_first: bool,
        cancel: &CancellationToken,
    ) -> Result<(), AgentError> {
        let mut pending = prompts;
        if poll_first {
            pending.extend(take(&self.handle.0.steering));
        }
        loop {
            let mut first = true;
            let mut more_tools = false;
            while first || more_tools || !pending.is_empty() {
                first = false;
                if let Some(hit) = self.budget.check(&self.spent) {
                    // Queued messages still join the conversation, so a saved session
                    // resumes with them.
                    for message in pending.drain(..) {
                        self.push(message);
                    }
                    return Err(AgentError::Limit(hit));
                }
                if cancel.is_cancelled() {
                    return Err(AgentError::Aborted);
                }
                self.emit(AgentEvent::TurnStart);
                self.toolbox.turn_start();
                for message in pending.drain(..) {
                    self.push(message);
                }
                let reply = self.stream_reply(cancel).await;
                let reply = match reply {
                    Ok(reply) => reply,
                    Err((message, err)) => {
                        self.emit(AgentEvent::TurnEnd {
                            message: Box::new(message),
                            tool_results: Vec::new(),
                        });
                        return Err(err);
                    }
                };
                let (results, steering) = self.execute_calls(&reply, cancel).await;
                more_tools = !results.is_empty();
                self.emit(AgentEvent::TurnEnd {
                    message: Box::new(reply),
                    tool_results: results,
                });
                if cancel.is_cancelled() {
                    return Err(AgentError::Aborted);
                }
                pending = if steering.is_empty() {
                    take(&self.handle.0.steering)
                } else {
                    steering
                };
            }
            pending = take(&self.handle.0.follow_ups);
            if pending.is_empty() {
                return Ok(());
            }
        }
    }

    /// Streams one reply into the conversation. On failure, the (partial) reply is
    /// kept in the conversation and returned with the error.
    async fn stream_reply(
        &mut self,
        cancel: &CancellationToken,
    ) -> Result<AssistantMessage, (AssistantMessage, AgentError)> {
        let call_cancel = cancel.child_token();
        let options = StreamOptions {
            cancel: call_cancel.clone(),
            ..self.options.clone()
        };
        let mut stream = self.client.stream(&self.model, &self.context, options);
        let deadline = self.budget.deadline(&self.spent);
        let mut timed_out = false;
        let mut last = None;
        loop {
            let next = match deadline {
                Some(at) if !timed_out => {
                    tokio::select! {
                        event = stream.next() => event,
                        () = tokio::time::sleep_until(at.into()) => {
                            timed_out = true;
                            call_cancel.cancel();
                            continue;
                        }
                    }
                }
                _ => stream.next().await,
            };
            let Some(event) = next else { break };
            match event {
                Event::Start { .. } => {
                    // The message as it begins: the parser may already hold more of
                    // it, which the updates deliver.
                    let p = stream.partial();
                    let empty = AssistantMessage::empty(&p.api, &p.provider, &p.model);
                    let partial = Message::Assistant(empty);
                    self.emit(AgentEvent::MessageStart {
                        message: Box::new(partial),
                    });
                }
                Event::Done { message, .. } => last = Some((*message, None)),
                Event::Error { error, kind, .. } => last = Some((*error, Some(kind))),
                other => self.emit(AgentEvent::MessageUpdate {
                    assistant_message_event: Box::new(other),
                }),
            }
        }
        let (message, kind) = last.unwrap_or_else(|| (stream.partial().clone(), None));
        self.spent.add(&message.usage);
        self.emit(AgentEvent::MessageEnd {
            message: Box::new(Message::Assistant(message.clone())),
        });
        self.context
            .messages
            .push(Message::Assistant(message.clone()));
        let err = match kind {
            _ if timed_out => Some(AgentError::Limit(LimitHit::Time {
                limit: self.budget.timeout.unwrap_or_default(),
            })),
            Some(ErrorKind::Aborted) => Some(AgentError::Aborted),
            Some(ErrorKind::Stopped) => Some(AgentError::Stopped {
                reason: message
                    .raw_stop_reason
                    .clone()
                    .unwrap_or_else(|| "content filter".into()),
            }),
            Some(kind) => Some(AgentError::Provider {
                kind,
                message: message
                    .error_message
                    .clone()
                    .unwrap_or_else(|| "the call failed".into()),
            }),
            None if message.stop_reason == StopReason::Length => Some(AgentError::Stopped {
                reason: "length".into(),
            }),
            None => None,
        };
        match err {
            Some(err) => Err((message, err)),
            None => Ok(message),
        }
    }

    /// Executes the reply's tool calls in order. Returns the results and the steering
    /// messages that arrived (which skipped the remaining calls).
    async fn execute_calls(
        &mut self,
        reply: &AssistantMessage,
        cancel: &CancellationToken,
    ) -> (Vec<ToolResultMessage>, Vec<Message>) {
        let calls: Vec<ToolCall> = reply.tool_calls().cloned().collect();
        let mut results = Vec::with_capacity(calls.len());
        let mut steering = Vec::new();
        for call in &calls {
            self.emit(AgentEvent::ToolExecutionStart {
                tool_call_id: call.id.clone(),
                tool_name: call.name.clone(),
                args: Box::new(call.arguments.clone()),
            });
            let mut output = if !steering.is_empty() {
                ToolOutput::error(INTERRUPTED)
            } else if cancel.is_cancelled() {
                ToolOutput::error("Skipped: the run was aborted; this call was not run.")
            } else {
                self.execute(call, cancel).await
            };
            if let Some(r) = &self.redactor {
                r.redact_in_place(&mut output.text);
            }
            self.emit(AgentEvent::ToolExecutionEnd {
                tool_call_id: call.id.clone(),
                tool_name: call.name.clone(),
                result: output.text.clone(),
                is_error: output.is_error,
            });
            let message = Message::tool_result(call, output.text, output.is_error);
            if let Message::ToolResult(r) = &message {
                results.push(r.clone());
            }
            self.push(message);
            if steering.is_empty() {
                steering = take(&self.handle.0.steering);
            }
        }
        (results, steering)
    }

    async fn execute(&mut self, call: &ToolCall, cancel: &CancellationToken) -> ToolOutput {
        let args = match validate_tool_call(&self.context.tools, call) {
            Ok(args) => args,
            Err(e) => return ToolOutput::error(e.to_string()),
        };
        for hook in &mut self.hooks {
            if let Verdict::Block(reason) = hook.before_tool_call(call, &args) {
                return ToolOutput::error(reason);
            }
        }
        let mut output = self.toolbox.execute(&call.name, &args, cancel).await;
        for hook in &mut self.hooks {
            hook.after_tool_call(call, &args, &mut output);
        }
        output
    }
}

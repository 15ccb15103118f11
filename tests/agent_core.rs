//! The agent library on its own, against scripted local servers: the event sequence
//! of pi-agent-core, follow-ups, `continue`, abort, hooks, and the wall-time budget
//! cutting a stalled call short.

mod agent_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_support::{Format, Step, serve};
use dash::agent::agent_loop::BoxFuture;
use dash::agent::{
    Agent, AgentError, AgentEvent, AgentHandle, Budget, Hooks, LimitHit, ToolOutput, Toolbox,
    Verdict,
};
use dash::llm::{Client, Context, Message, Registry, RetryPolicy, StreamOptions, Tool, ToolCall};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use wiremock::MockServer;

type OnCall = Box<dyn Fn(&str) + Send>;

/// A toolbox with one tool, `echo {text}`, that records its calls and can abort or
/// steer the agent from inside a call.
#[derive(Default)]
struct Echo {
    calls: Arc<Mutex<Vec<String>>>,
    on_call: Option<OnCall>,
}

impl Toolbox for Echo {
    fn tools(&self) -> Vec<Tool> {
        vec![Tool::new(
            "echo",
            "Echo the text",
            json!({"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}),
        )]
    }

    fn execute<'a>(
        &'a mut self,
        _name: &'a str,
        args: &'a Value,
        _cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            let text = args["text"].as_str().unwrap_or_default().to_owned();
            self.calls.lock().unwrap().push(text.clone());
            if let Some(f) = &self.on_call {
                f(&text);
            }
            ToolOutput::ok(format!("echo: {text}"))
        })
    }
}

fn agent(server: &MockServer, toolbox: Echo) -> (Agent<Echo>, Arc<Mutex<Vec<AgentEvent>>>) {
    let mut model = Registry::builtin().resolve("ollama/test-model").unwrap();
    model.base_url = server.uri();
    let options = StreamOptions {
        idle_timeout: Duration::from_secs(10),
        retry: RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        },
        ..StreamOptions::default()
    };
    let mut agent = Agent::new(
        Client::new().unwrap(),
        model,
        options,
        Context::default(),
        toolbox,
    );
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    agent.subscribe(move |e| sink.lock().unwrap().push(e.clone()));
    (agent, events)
}

fn names(events: &Mutex<Vec<AgentEvent>>) -> Vec<String> {
    events
        .lock()
        .unwrap()
        .iter()
        .map(|e| match e {
            AgentEvent::MessageStart { message } | AgentEvent::MessageEnd { message } => {
                let role = match message.as_ref() {
                    Message::User(_) => "user",
                    Message::Assistant(_) => "assistant",
                    Message::ToolResult(_) => "toolResult",
                };
                format!("{} {role}", e.name())
            }
            _ => e.name().to_owned(),
        })
        .filter(|n| n != "message_update")
        .collect()
}

fn calls(n: usize) -> Step {
    const IDS: [&str; 3] = ["c1", "c2", "c3"];
    const TEXTS: [&str; 3] = ["a", "b", "c"];
    Step::Calls(
        (0..n)
            .map(|i| (IDS[i], "echo", json!({"text": TEXTS[i]})))
            .collect(),
    )
}

#[tokio::test]
async fn one_tool_turn_then_an_answer_has_pi_agent_cores_event_sequence() {
    let server = serve(Format::Completions, &[calls(1), Step::Text("done")]).await;
    let (mut agent, events) = agent(&server, Echo::default());
    agent.prompt("go").await.unwrap();
    assert_eq!(
        names(&events),
        [
            "agent_start",
            "turn_start",
            "message_start user",
            "message_end user",
            "message_start assistant",
            "message_end assistant",
            "tool_execution_start",
            "tool_execution_end",
            "message_start toolResult",
            "message_end toolResult",
            "turn_end",
            "turn_start",
            "message_start assistant",
            "message_end assistant",
            "turn_end",
            "agent_end",
        ]
    );
    let roles: Vec<&str> = agent
        .context()
        .messages
        .iter()
        .map(|m| match m {
            Message::User(_) => "user",
            Message::Assistant(_) => "assistant",
            Message::ToolResult(_) => "toolResult",
        })
        .collect();
    assert_eq!(roles, ["user", "assistant", "toolResult", "assistant"]);
    assert_eq!(agent.spent().turns, 2);
    // `continue` from the assistant's answer with nothing queued is refused.
    assert!(matches!(
        agent.r#continue().await,
        Err(AgentError::NothingToContinue(_))
    ));
}

#[tokio::test]
async fn a_follow_up_runs_when_the_agent_would_stop() {
    let server = serve(
        Format::Completions,
        &[Step::Text("first"), Step::Text("second")],
    )
    .await;
    let (mut agent, _events) = agent(&server, Echo::default());
    agent.follow_up("and then?");
    agent.prompt("go").await.unwrap();
    let sent = server.received_requests().await.unwrap();
    assert_eq!(sent.len(), 2);
    let body: Value = serde_json::from_slice(&sent[1].body).unwrap();
    let last = body["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["content"], "and then?");
}

#[tokio::test]
async fn steering_during_a_tool_skips_the_rest_and_precedes_the_next_call() {
    let server = serve(Format::Completions, &[calls(3), Step::Text("ok")]).await;
    let handle: Arc<Mutex<Option<AgentHandle>>> = Arc::default();
    let h = handle.clone();
    let echo = Echo {
        on_call: Some(Box::new(move |text| {
            if text == "a" {
                h.lock().unwrap().as_ref().unwrap().steer("change of plan");
            }
        })),
        ..Echo::default()
    };
    let ran = echo.calls.clone();
    let (mut agent, events) = agent(&server, echo);
    *handle.lock().unwrap() = Some(agent.handle());
    agent.prompt("go").await.unwrap();
    assert_eq!(*ran.lock().unwrap(), ["a"]);
    let ends: Vec<(bool, String)> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            AgentEvent::ToolExecutionEnd {
                is_error, result, ..
            } => Some((*is_error, result.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(ends.len(), 3);
    assert!(!ends[0].0);
    assert!(
        ends[1..]
            .iter()
            .all(|(e, r)| *e && r.contains("interrupted by the user"))
    );
    let n = names(&events);
    let second_turn = n.iter().rposition(|x| x == "turn_start").unwrap();
    assert_eq!(n[second_turn + 1], "message_start user");
}

#[tokio::test]
async fn abort_in_a_tool_ends_the_run_without_another_model_call() {
    let server = serve(Format::Completions, &[calls(2), Step::Text("never")]).await;
    let handle: Arc<Mutex<Option<AgentHandle>>> = Arc::default();
    let h = handle.clone();
    let echo = Echo {
        on_call: Some(Box::new(move |_| {
            h.lock().unwrap().as_ref().unwrap().abort()
        })),
        ..Echo::default()
    };
    let (mut agent, events) = agent(&server, echo);
    *handle.lock().unwrap() = Some(agent.handle());
    assert_eq!(agent.prompt("go").await, Err(AgentError::Aborted));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    let events = events.lock().unwrap();
    assert!(
        matches!(events.last(), Some(AgentEvent::AgentEnd { outcome, .. }) if outcome == "aborted")
    );
    let skipped = events.iter().any(|e| {
        matches!(e,
        AgentEvent::ToolExecutionEnd { is_error: true, result, .. } if result.contains("aborted"))
    });
    assert!(skipped);
}

struct Guard;

impl Hooks for Guard {
    fn before_tool_call(&mut self, _call: &ToolCall, args: &Value) -> Verdict {
        if args["text"] == "b" {
            Verdict::Block("b is not allowed".into())
        } else {
            Verdict::Allow
        }
    }

    fn after_tool_call(&mut self, _call: &ToolCall, _args: &Value, output: &mut ToolOutput) {
        output.text.push_str(" (checked)");
    }
}

#[tokio::test]
async fn hooks_block_calls_and_rewrite_results_and_bad_arguments_are_error_results() {
    let bad = Step::Calls(vec![("c9", "echo", json!({"nope": 1}))]);
    let server = serve(Format::Completions, &[calls(2), bad, Step::Text("ok")]).await;
    let echo = Echo::default();
    let ran = echo.calls.clone();
    let (mut agent, _events) = agent(&server, echo);
    agent.add_hooks(Box::new(Guard));
    agent.prompt("go").await.unwrap();
    assert_eq!(*ran.lock().unwrap(), ["a"]);
    let results: Vec<(bool, String)> = agent
        .context()
        .messages
        .iter()
        .filter_map(|m| match m {
            Message::ToolResult(r) => Some((r.is_error, format!("{:?}", r.content))),
            _ => None,
        })
        .collect();
    assert!(!results[0].0 && results[0].1.contains("echo: a (checked)"));
    assert!(results[1].0 && results[1].1.contains("b is not allowed"));
    assert!(
        results[2].0 && results[2].1.contains("Validation failed"),
        "{results:?}"
    );
}

#[tokio::test]
async fn the_wall_time_budget_cuts_a_stalled_call_short() {
    let server = MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_raw(
                    Format::Completions.sse(&Step::Text("late")),
                    "text/event-stream",
                )
                .set_delay(Duration::from_secs(30)),
        )
        .mount(&server)
        .await;
    let (agent, _events) = agent(&server, Echo::default());
    let mut agent = agent.with_budget(Budget {
        timeout: Some(Duration::from_millis(500)),
        ..Budget::default()
    });
    let start = std::time::Instant::now();
    let result = agent.prompt("go").await;
    assert!(
        matches!(result, Err(AgentError::Limit(LimitHit::Time { .. }))),
        "{result:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(5));
}

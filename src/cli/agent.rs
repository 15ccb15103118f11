//! `dash agent`: the agent on the repository at the current directory. It composes
//! the `agent` library (model → tools → approval hook → budget → run) and prints:
//! without `--events`, the assistant's text, tool activity and a summary on stderr
//! and the final diff (suggest mode) on stdout; with `--events`, one JSON event per
//! line on stdout and nothing else there.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Args;

use super::llm::{diag, parse_api, read_json, registry_error};
use super::{Exit, GlobalArgs};
use crate::agent::{Agent, AgentEvent, Answer, Approval, ApprovalHook, Budget, RepoTools, Root};
use crate::llm::redact::Redactor;
use crate::llm::{Client, Context, Event, Message, Registry, StreamOptions, limits};

/// Run the agent on the repository at the current directory. Edits are reviewed
/// proposals: in suggest mode (the default) nothing is written and the whole change
/// is printed as one diff for `git apply`; auto-edit and full-auto write them
/// (journaled: `dash undo` restores them).
#[derive(Debug, Clone, Args)]
#[command(after_help = concat!(
    "Examples:\n  dash agent -m anthropic/claude-sonnet-4-5 \"make the failing test in src/date.test.ts pass\" > fix.patch\n  \
dash agent -m openai/gpt-5 --approval auto-edit --max-cost 0.50 \"remove the unused exports\"\n  \
dash agent -m ollama/qwen3:8b --base-url http://localhost:11434 --events \"list the TODOs\"\n\n",
    "Exit codes:\n  0  the agent finished\n  1  stopped by a limit (--max-turns, --max-cost, --max-tokens, --timeout)\n  \
2  usage, configuration or key error\n  3  provider error (after retries), or the model stopped for length or a content filter"
))]
pub struct AgentArgs {
    /// The model, as PROVIDER/ID (as in `dash llm`; keys from the usual env vars).
    #[arg(short, long, value_name = "PROVIDER/ID")]
    pub model: String,
    /// Send the requests to this server instead of the provider's.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Wire format to speak instead of the model's own: openai-completions,
    /// openai-responses, anthropic-messages or google-generative-ai.
    #[arg(long, value_name = "API", value_parser = parse_api)]
    pub api: Option<crate::llm::Api>,
    /// suggest: collect edits, print one diff, run no command; auto-edit: write edits,
    /// ask before each command; full-auto: write edits and run commands.
    #[arg(long, value_enum, default_value_t = Approval::Suggest)]
    pub approval: Approval,
    /// Print every event as one JSON object per line on stdout.
    #[arg(long)]
    pub events: bool,
    /// Write the session ({systemPrompt, messages, tools}, as `dash llm --save`).
    #[arg(long, value_name = "FILE.json")]
    pub save: Option<PathBuf>,
    /// Continue a saved session (from `--save` or `dash llm --save`).
    #[arg(long, value_name = "FILE.json")]
    pub resume: Option<PathBuf>,
    /// Stop (exit 1) before a model reply beyond this many.
    #[arg(long, value_name = "N")]
    pub max_turns: Option<u64>,
    /// Stop (exit 1) before a model call once this much (USD, registry prices) is spent.
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,
    /// Stop (exit 1) before a model call once this many tokens are spent.
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u64>,
    /// Stop (exit 1) after this many seconds of wall time.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Read steering messages from stdin, one per line, while the agent runs.
    #[arg(long)]
    pub steer_stdin: bool,
    /// Seconds a command may run before it is killed.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    pub command_timeout: u64,
    /// Seconds of silence from the model's server before the call fails.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    pub idle_timeout: u64,
    /// What to do. Optional with --resume when the session awaits a reply.
    #[arg(value_name = "TASK")]
    pub task: Option<String>,
}

const SYSTEM_PROMPT: &str = "You are a coding agent working in a software repository. \
Use the tools to inspect and change it: paths are relative to the repository root, and \
nothing outside the repository can be read or written. Read a file before editing it; \
edit_file replaces text that must occur exactly once. Make the smallest change that does \
the task, then answer with a short summary of what you changed and why.";

/// The repository the command runs in: git's top level, else the current folder.
pub(super) fn repo_root() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    std::process::Command::new("git")
        .args(["rev-parse", "--show-toplevel"])
        .current_dir(&cwd)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| PathBuf::from(s.trim_end()))
        .filter(|p| p.is_dir())
        .unwrap_or(cwd)
}

/// A model ready to call: resolved from the registry (with `--base-url`/`--api`), its
/// key, the redactor that keeps the key out of output, and the providers' key
/// variables that commands must not see. Shared by `dash agent` and `dash fix --agent`.
pub(super) struct Connection {
    pub model: crate::llm::Model,
    pub options: StreamOptions,
    pub redactor: Option<Redactor>,
    pub hidden_env: Vec<String>,
}

/// Resolves `spec` (PROVIDER/ID) for the repository at `root_dir`; a missing key is a
/// usage error (exit 2) naming the variables to set.
pub(super) fn connect(
    root_dir: &Path,
    spec: &str,
    base_url: Option<&str>,
    api: Option<crate::llm::Api>,
    idle_timeout: u64,
) -> miette::Result<Connection> {
    let registry =
        Registry::load(&Registry::default_user_files(root_dir)).map_err(registry_error)?;
    let mut model = if base_url.is_some() {
        registry.resolve_unlisted(spec)
    } else {
        registry.resolve(spec)
    }
    .map_err(registry_error)?;
    if let Some(url) = base_url {
        model.base_url = url.to_owned();
    }
    if let Some(api) = api {
        model.api = api;
    }
    let provider = registry.provider(&model.provider);
    let api_key = registry.api_key(&model.provider);
    if api_key.is_none() && provider.is_some_and(|p| !p.key_optional) && base_url.is_none() {
        let vars = provider
            .map(|p| p.api_key_env.join(" or "))
            .unwrap_or_default();
        return Err(diag(
            "dash::agent::missing_key",
            format!("no API key for provider {:?}", model.provider),
            format!("set {vars} in the environment"),
        ));
    }
    let redactor = api_key.as_ref().and_then(|k| Redactor::new(k.expose()));
    // Commands never see any provider's key.
    let mut hidden_env: Vec<String> = registry
        .providers()
        .flat_map(|p| p.api_key_env.iter().cloned())
        .collect();
    hidden_env.sort();
    hidden_env.dedup();
    let options = StreamOptions {
        api_key,
        idle_timeout: Duration::from_secs(idle_timeout.max(1)),
        ..StreamOptions::default()
    };
    Ok(Connection {
        model,
        options,
        redactor,
        hidden_env,
    })
}

/// Runs the command.
pub fn run(global: &GlobalArgs, args: AgentArgs) -> miette::Result<Exit> {
    let root_dir = repo_root();
    let mut context: Context = match &args.resume {
        Some(p) => read_json(p, "context", limits::MAX_CONTEXT_FILE)?,
        None => Context::default(),
    };
    if context.system_prompt.is_none() {
        context.system_prompt = Some(SYSTEM_PROMPT.to_owned());
    }
    if args.task.is_none() && args.resume.is_none() {
        return Err(diag(
            "dash::agent::usage",
            "no TASK given",
            "dash agent --model PROVIDER/ID \"TASK\" (or --resume FILE to continue a session)",
        ));
    }
    let Connection {
        model,
        options,
        redactor,
        hidden_env,
    } = connect(
        &root_dir,
        &args.model,
        args.base_url.as_deref(),
        args.api,
        args.idle_timeout,
    )?;
    let root = Root::new(&root_dir).map_err(|e| {
        diag(
            "dash::agent::root",
            format!("cannot open the repository at {}: {e}", root_dir.display()),
            "run dash agent inside the repository",
        )
    })?;
    let tools = RepoTools::new(
        root,
        args.approval,
        Duration::from_secs(args.command_timeout.max(1)),
    )
    .hide_env(hidden_env)
    .with_dash_tools();
    let client =
        Client::new().map_err(|e| diag("dash::agent::client", e.to_string(), "this is a bug"))?;
    let budget = Budget {
        max_turns: args.max_turns,
        max_tokens: args.max_tokens,
        max_cost: args.max_cost,
        timeout: args.timeout.map(Duration::from_secs),
    };
    let mut agent = Agent::new(client, model, options, context, tools).with_budget(budget);
    let ask = (args.approval == Approval::AutoEdit
        && !args.steer_stdin
        && std::io::stdin().is_terminal()
        && std::io::stderr().is_terminal())
    .then(|| Box::new(ask_on_terminal) as Box<dyn FnMut(&str, &str) -> Answer + Send>);
    agent.add_hooks(Box::new(ApprovalHook::new(args.approval, ask)));
    let agent_end = Arc::new(Mutex::new(None));
    let printer = Printer {
        events: args.events,
        quiet: global.quiet,
        at_line_start: true,
        agent_end: agent_end.clone(),
        redactor: redactor.clone(),
    };
    agent.subscribe(printer.into_listener());
    if args.steer_stdin {
        let handle = agent.handle();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if !line.trim().is_empty() {
                    handle.steer(line);
                }
            }
        });
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| diag("dash::agent::runtime", e.to_string(), "this is a bug"))?;
    let result = runtime.block_on(async {
        let handle = agent.handle();
        let ctrl_c = tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                handle.abort();
            }
        });
        let result = match &args.task {
            Some(task) => agent.prompt(task.clone()).await,
            None => agent.r#continue().await,
        };
        ctrl_c.abort();
        result
    });
    if let Some(path) = &args.save {
        save(path, agent.context(), redactor.as_ref())?;
    }
    let diff = (args.approval == Approval::Suggest)
        .then(|| crate::review::patch::render(&agent.toolbox().changes().session().changes()));
    finish(&args, global, &agent, diff, &agent_end, redactor.as_ref());
    match result {
        Ok(()) => Ok(Exit::Clean),
        Err(e) => Err(miette::Report::new(e)),
    }
}

/// Prints what comes after the run: `agent_end` (with the diff) or the diff and the
/// summary.
fn finish(
    args: &AgentArgs,
    global: &GlobalArgs,
    agent: &Agent<RepoTools>,
    diff: Option<String>,
    agent_end: &Mutex<Option<AgentEvent>>,
    redactor: Option<&Redactor>,
) {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.events {
        let end = agent_end.lock().ok().and_then(|mut e| e.take());
        if let Some(end) = end {
            let mut line = serde_json::to_string(&end).expect("events serialise");
            if let Some(diff) = diff {
                // `type` stays the first field: the diff is appended to the object.
                line.pop();
                line.push_str(",\"diff\":");
                line.push_str(&serde_json::to_string(&diff).expect("strings serialise"));
                line.push('}');
            }
            let _ = writeln!(out, "{}", redact(redactor, &line));
        }
        let _ = out.flush();
        return;
    }
    if let Some(diff) = &diff {
        let _ = out.write_all(diff.as_bytes());
        let _ = out.flush();
    }
    if global.quiet {
        return;
    }
    let spent = agent.spent();
    let mut summary = format!(
        "dash agent: {} turn{}, {} tokens, ${:.4}",
        spent.turns,
        if spent.turns == 1 { "" } else { "s" },
        spent.tokens,
        spent.cost
    );
    match &diff {
        Some(d) if d.is_empty() => summary.push_str("; no changes"),
        Some(_) => {
            let n = agent.toolbox().changes().session().proposals().len();
            summary.push_str(&format!(
                "; {n} file{} changed (the diff is on stdout; apply it with `git apply`)",
                if n == 1 { "" } else { "s" }
            ));
        }
        None => {
            let mut written = agent.toolbox().written().to_vec();
            written.sort();
            written.dedup();
            if written.is_empty() {
                summary.push_str("; nothing written");
            } else {
                summary.push_str(&format!(
                    "; wrote {} (`dash undo --turn` restores the last turn's writes, `dash undo` one write)",
                    written.join(", ")
                ));
            }
        }
    }
    eprintln!("{summary}");
}

/// Writes the session as `dash llm --save` does, with the key redacted from every
/// string (it never reaches the file even if the model or a tool echoed it).
fn save(path: &Path, ctx: &Context, redactor: Option<&Redactor>) -> miette::Result<()> {
    let mut value = serde_json::to_value(ctx).expect("contexts serialise");
    if let Some(r) = redactor {
        r.redact_value(&mut value);
    }
    let json = serde_json::to_string_pretty(&value).expect("values serialise");
    std::fs::write(path, json + "\n").map_err(|e| {
        diag(
            "dash::agent::save",
            format!("cannot write {}: {e}", path.display()),
            "check that the directory exists and is writable",
        )
    })
}

/// Asks on the terminal whether to run a command (auto-edit mode).
fn ask_on_terminal(command: &str, pattern: &str) -> Answer {
    loop {
        eprint!("dash agent: run `{command}`? [y]es, [n]o, [a]lways for `{pattern}` commands: ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        match std::io::stdin().lock().read_line(&mut line) {
            Ok(0) | Err(_) => return Answer::No,
            Ok(_) => {}
        }
        match line.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" => return Answer::Yes,
            "n" | "no" => return Answer::No,
            "a" | "always" => return Answer::Always,
            _ => {}
        }
    }
}

/// Renders events: NDJSON on stdout (`agent_end` held back for the diff), or text
/// and tool activity on stderr.
pub(super) struct Printer {
    events: bool,
    quiet: bool,
    at_line_start: bool,
    agent_end: Arc<Mutex<Option<AgentEvent>>>,
    redactor: Option<Redactor>,
}

impl Printer {
    /// Text and tool activity on stderr (`quiet`: nothing), never stdout: for
    /// `dash fix --agent`, whose stdout is the preview, the patch or the JSON summary.
    pub(super) fn stderr(quiet: bool, redactor: Option<Redactor>) -> Printer {
        Printer {
            events: false,
            quiet,
            at_line_start: true,
            agent_end: Arc::default(),
            redactor,
        }
    }

    pub(super) fn into_listener(mut self) -> impl FnMut(&AgentEvent) + Send + 'static {
        move |event| self.on(event)
    }

    fn on(&mut self, event: &AgentEvent) {
        if let AgentEvent::AgentEnd { .. } = event {
            if let Ok(mut slot) = self.agent_end.lock() {
                *slot = Some(event.clone());
            }
            return;
        }
        if self.events {
            let line = serde_json::to_string(event).expect("events serialise");
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            let _ = writeln!(out, "{}", redact(self.redactor.as_ref(), &line));
            let _ = out.flush();
            return;
        }
        if self.quiet {
            return;
        }
        let mut err = std::io::stderr().lock();
        match event {
            AgentEvent::MessageUpdate {
                assistant_message_event,
            } => {
                if let Event::TextDelta { delta, .. } = assistant_message_event.as_ref() {
                    let _ = write!(err, "{delta}");
                    self.at_line_start = delta.ends_with('\n');
                }
            }
            AgentEvent::MessageEnd { message }
                if matches!(message.as_ref(), Message::Assistant(_)) && !self.at_line_start =>
            {
                let _ = writeln!(err);
                self.at_line_start = true;
            }
            AgentEvent::ToolExecutionStart {
                tool_name, args, ..
            } => {
                let _ = writeln!(err, "→ {tool_name} {}", clip(&args.to_string(), 200));
            }
            AgentEvent::ToolExecutionEnd {
                result, is_error, ..
            } => {
                let first = result.lines().next().unwrap_or_default();
                let mark = if *is_error { "✗" } else { "✓" };
                let lines = result.lines().count();
                let more = if lines > 1 {
                    format!(" (+{} lines)", lines - 1)
                } else {
                    String::new()
                };
                let _ = writeln!(err, "  {mark} {}{more}", clip(first, 160));
            }
            _ => {}
        }
        let _ = err.flush();
    }
}

/// `line` without the key (JSON-escaped forms included).
fn redact<'a>(redactor: Option<&Redactor>, line: &'a str) -> std::borrow::Cow<'a, str> {
    match redactor {
        Some(r) => r.redact(line),
        None => std::borrow::Cow::Borrowed(line),
    }
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}

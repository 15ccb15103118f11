//! `dash llm`: one streamed model call from the command line. It only composes the
//! `llm` library (registry → model → context → stream) and prints; it is what users
//! (and the integration tests) drive to check a provider end to end.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use miette::{MietteDiagnostic, Report};

use super::{Exit, GlobalArgs};
use crate::llm::limits;
use crate::llm::{
    Api, AssistantMessage, Client, Context, ErrorKind, Event, Message, Model, PromptCache,
    ReasoningLevel, Registry, RegistryError, RequestOptions, StreamOptions, Tool,
};

/// Stream one reply from a model. Text goes to stdout as it arrives, tool calls as
/// `[tool call ID] NAME ARGS` lines; with -v, thinking and token usage go to stderr.
#[derive(Debug, Clone, Args)]
#[command(after_help = concat!(
    "Examples:\n  dash llm -m anthropic/claude-sonnet-4-5 \"Explain this stack trace\"\n  \
dash llm -m ollama/qwen3:8b --base-url http://localhost:11434 \"hi\"\n\n",
    "Exit codes:\n  0  a reply arrived\n  2  usage error, missing key, bad request or context too long\n  \
3  the stream failed (network, rate limit, server error, timeout)"
))]
pub struct LlmArgs {
    /// The model, as PROVIDER/ID (e.g. anthropic/claude-sonnet-4-5, ollama/qwen3:8b).
    #[arg(short, long, value_name = "PROVIDER/ID")]
    pub model: String,
    /// Send the request to this server instead of the provider's (with or without
    /// a trailing /v1). Any model id is then accepted.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Wire format to speak instead of the model's own: openai-completions,
    /// openai-responses, anthropic-messages or google-generative-ai.
    #[arg(long, value_name = "API", value_parser = parse_api)]
    pub api: Option<Api>,
    /// System prompt (replaces the one in --context).
    #[arg(long, value_name = "TEXT")]
    pub system: Option<String>,
    /// JSON array of tools: [{"name", "description", "parameters": JSON Schema}].
    #[arg(long, value_name = "FILE.json")]
    pub tools: Option<PathBuf>,
    /// A saved context (JSON) to continue.
    #[arg(long, value_name = "FILE.json")]
    pub context: Option<PathBuf>,
    /// Write the resulting context (with the reply) to this file.
    #[arg(long, value_name = "FILE.json")]
    pub save: Option<PathBuf>,
    /// Print every event as one JSON object per line instead of the text.
    #[arg(long)]
    pub events: bool,
    /// Output-token limit.
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u64>,
    /// Sampling temperature (ignored while a model thinks).
    #[arg(long, value_name = "T")]
    pub temperature: Option<f64>,
    /// Ask a reasoning model to think: minimal, low, medium or high.
    #[arg(long, value_name = "LEVEL", value_parser = parse_reasoning)]
    pub reasoning: Option<ReasoningLevel>,
    /// Send no prompt-cache markers (Anthropic caches the system prompt and the
    /// conversation so far by default).
    #[arg(long)]
    pub no_cache: bool,
    /// Seconds of silence from the server before giving up.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    pub idle_timeout: u64,
    /// The user message. Optional with --context when its last message awaits a reply.
    pub prompt: Option<String>,
    #[command(flatten)]
    pub verbose: super::VerboseArg,
}

pub(super) fn parse_api(s: &str) -> Result<Api, String> {
    s.parse()
}

fn parse_reasoning(s: &str) -> Result<ReasoningLevel, String> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| format!("unknown level {s:?}; expected minimal, low, medium or high"))
}

pub(super) fn diag(code: &str, message: impl Into<String>, help: impl Into<String>) -> Report {
    Report::new(
        MietteDiagnostic::new(message.into())
            .with_code(code)
            .with_help(help.into()),
    )
}

pub(super) fn registry_error(e: RegistryError) -> Report {
    let help = match &e {
        RegistryError::File { .. } => {
            "fix the file; the format is the one of `dash models --format json`"
        }
        RegistryError::TooLarge { .. } => {
            "a models.toml lists providers and models; point the path at a regular file that holds one"
        }
        _ => {
            "run `dash models` to list models; ollama, vllm and lmstudio accept any id, \
             and --base-url accepts any id for any provider"
        }
    };
    diag("dash::llm::model", e.to_string(), help)
}

/// Reads a JSON input file of at most `limit` bytes (see `dash::llm::limits`): a
/// larger file, a device or a pipe that never ends is refused with
/// `dash::llm::too_large` after reading `limit + 1` bytes at most.
pub(super) fn read_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &'static str,
    limit: u64,
) -> miette::Result<T> {
    let text = limits::read_text(path, what, limit)?;
    serde_json::from_str(&text).map_err(|e| {
        diag(
            "dash::llm::input",
            format!("{} is not a valid {what}: {e}", path.display()),
            format!("see `dash llm --help` for the {what} format"),
        )
    })
}

/// The model after `--base-url` and `--api`.
fn model(registry: &Registry, args: &LlmArgs) -> miette::Result<Model> {
    let mut m = if args.base_url.is_some() {
        registry.resolve_unlisted(&args.model)
    } else {
        registry.resolve(&args.model)
    }
    .map_err(registry_error)?;
    if let Some(url) = &args.base_url {
        m.base_url = url.clone();
    }
    if let Some(api) = args.api {
        m.api = api;
    }
    Ok(m)
}

fn context(args: &LlmArgs) -> miette::Result<Context> {
    let mut ctx: Context = match &args.context {
        Some(p) => read_json(p, "context", limits::MAX_CONTEXT_FILE)?,
        None => Context::default(),
    };
    if let Some(s) = &args.system {
        ctx.system_prompt = Some(s.clone());
    }
    if let Some(p) = &args.tools {
        let tools: Vec<Tool> = read_json(p, "tools file", limits::MAX_TOOLS_FILE)?;
        for t in &tools {
            if let Err(e) = jsonschema::validator_for(&t.parameters) {
                return Err(diag(
                    "dash::llm::input",
                    format!(
                        "tool {:?} in {} has an invalid schema: {e}",
                        t.name,
                        p.display()
                    ),
                    "`parameters` must be a JSON Schema object",
                ));
            }
        }
        ctx.tools
            .retain(|old| !tools.iter().any(|t| t.name == old.name));
        ctx.tools.extend(tools);
    }
    match &args.prompt {
        Some(p) => ctx.messages.push(Message::user(p.clone())),
        None if matches!(
            ctx.messages.last(),
            Some(Message::User(_) | Message::ToolResult(_))
        ) => {}
        None => {
            return Err(diag(
                "dash::llm::usage",
                "nothing to send: no PROMPT, and the context does not end with a user message or tool result",
                "pass a prompt: dash llm --model PROVIDER/ID \"PROMPT\"",
            ));
        }
    }
    Ok(ctx)
}

/// Runs the command.
pub fn run(global: &GlobalArgs, args: LlmArgs) -> miette::Result<Exit> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let registry = Registry::load(&Registry::default_user_files(&cwd)).map_err(registry_error)?;
    let model = model(&registry, &args)?;
    let mut ctx = context(&args)?;
    let provider = registry.provider(&model.provider);
    let api_key = registry.api_key(&model.provider);
    let key_needed = provider.is_some_and(|p| !p.key_optional) && args.base_url.is_none();
    if api_key.is_none() && key_needed {
        let vars = provider
            .map(|p| p.api_key_env.join(" or "))
            .unwrap_or_default();
        return Err(diag(
            "dash::llm::missing_key",
            format!("no API key for provider {:?}", model.provider),
            format!("set {vars} in the environment"),
        ));
    }
    let opts = StreamOptions {
        api_key,
        request: RequestOptions {
            max_tokens: args.max_tokens,
            temperature: args.temperature,
            reasoning: args.reasoning,
            cache: if args.no_cache {
                PromptCache::Off
            } else {
                PromptCache::Short
            },
        },
        idle_timeout: Duration::from_secs(args.idle_timeout.max(1)),
        ..StreamOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| diag("dash::llm::runtime", e.to_string(), "this is a bug"))?;
    let client =
        Client::new().map_err(|e| diag("dash::llm::client", e.to_string(), "this is a bug"))?;
    let (message, kind) = runtime.block_on(stream(&client, &model, &ctx, opts, &args, global))?;
    ctx.messages.push(Message::Assistant(message.clone()));
    if let Some(path) = &args.save {
        save(path, &ctx)?;
    }
    match kind {
        None => Ok(Exit::Clean),
        Some(kind) => {
            let report = failure(kind, &message, &model);
            eprintln!("{report:?}");
            Ok(match kind {
                ErrorKind::Auth
                | ErrorKind::Config
                | ErrorKind::BadRequest
                | ErrorKind::ContextOverflow => Exit::Usage,
                _ => Exit::Partial,
            })
        }
    }
}

/// Streams to the terminal; returns the final message and the error kind if failed.
async fn stream(
    client: &Client,
    model: &Model,
    ctx: &Context,
    opts: StreamOptions,
    args: &LlmArgs,
    global: &GlobalArgs,
) -> miette::Result<(AssistantMessage, Option<ErrorKind>)> {
    let cancel = opts.cancel.clone();
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel();
        }
    });
    let mut s = client.stream(model, ctx, opts);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut result = None;
    let mut at_line_start = true;
    while let Some(event) = s.next().await {
        if args.events {
            let line = serde_json::to_string(&event).expect("events serialise");
            let _ = writeln!(out, "{line}");
        } else {
            match &event {
                Event::TextDelta { delta, .. } => {
                    let _ = write!(out, "{delta}");
                    at_line_start = delta.ends_with('\n');
                }
                Event::ThinkingDelta { delta, .. } if global.verbose => {
                    eprint!("{delta}");
                }
                Event::ToolcallEnd { tool_call, .. } => {
                    if !at_line_start {
                        let _ = writeln!(out);
                    }
                    let _ = writeln!(
                        out,
                        "[tool call {}] {} {}",
                        tool_call.id, tool_call.name, tool_call.arguments
                    );
                    at_line_start = true;
                }
                _ => {}
            }
        }
        let _ = out.flush();
        match event {
            Event::Done { message, .. } => result = Some((*message, None)),
            Event::Error { error, kind, .. } => result = Some((*error, Some(kind))),
            _ => {}
        }
    }
    if !args.events && !at_line_start {
        let _ = writeln!(out);
    }
    ctrl_c.abort();
    let (message, kind) = result.expect("a stream always ends with done or error");
    if !args.events && global.verbose {
        let u = &message.usage;
        eprintln!(
            "tokens: {} in ({} cached read, {} cache write), {} out ({} reasoning); cost ${:.6}; stop {:?}",
            u.input,
            u.cache_read,
            u.cache_write,
            u.output,
            u.reasoning,
            u.cost.total,
            message.stop_reason
        );
    }
    Ok((message, kind))
}

pub(super) fn save(path: &Path, ctx: &Context) -> miette::Result<()> {
    let json = serde_json::to_string_pretty(ctx).expect("contexts serialise");
    std::fs::write(path, json + "\n").map_err(|e| {
        diag(
            "dash::llm::save",
            format!("cannot write {}: {e}", path.display()),
            "check that the directory exists and is writable",
        )
    })
}

/// The diagnostic for a failed call: a code per error kind and a help line that says
/// what to do about it.
fn failure(kind: ErrorKind, message: &AssistantMessage, model: &Model) -> Report {
    let text = message
        .error_message
        .clone()
        .unwrap_or_else(|| "the call failed".into());
    let (code, help) = match kind {
        ErrorKind::Auth => (
            "auth",
            format!(
                "check the API key for {} (the environment variable named by `dash models --format json`)",
                model.provider
            ),
        ),
        ErrorKind::RateLimit => (
            "rate_limit",
            "the provider is rate limiting; wait and try again".into(),
        ),
        ErrorKind::Overloaded => (
            "overloaded",
            "the provider is overloaded; try again later".into(),
        ),
        ErrorKind::ContextOverflow => (
            "context_overflow",
            format!(
                "the conversation exceeds the model's context window ({} tokens); shorten it",
                model.context_window
            ),
        ),
        ErrorKind::BadRequest => (
            "bad_request",
            "the provider rejected the request; check --model, --api and --base-url".into(),
        ),
        ErrorKind::Server | ErrorKind::Provider => (
            "provider",
            "the failure is on the provider's side; try again later".into(),
        ),
        ErrorKind::Network => (
            "network",
            format!(
                "could not reach {}; check --base-url and that the server is running",
                model.base_url
            ),
        ),
        ErrorKind::Timeout => (
            "timeout",
            "the server stopped sending events; raise --idle-timeout or try again".into(),
        ),
        ErrorKind::Aborted => (
            "aborted",
            "interrupted; the partial reply is kept in --save".into(),
        ),
        ErrorKind::Truncated | ErrorKind::Protocol => (
            "stream",
            format!(
                "the server's reply was incomplete or not in the {} format; check --api",
                model.api
            ),
        ),
        ErrorKind::Stopped => (
            "stopped",
            "the model ended the reply abnormally (content filter or an unknown stop reason)"
                .into(),
        ),
        ErrorKind::Config => ("config", "check the model configuration".into()),
        ErrorKind::TooLarge => (
            "too_large",
            format!(
                "the server at {} sent more than any real reply holds; check --base-url and the server",
                model.base_url
            ),
        ),
    };
    diag(&format!("dash::llm::{code}"), text, help)
}

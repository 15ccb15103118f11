//! `dash fix --agent PROVIDER/ID`: each finding the rules left as "needs judgement"
//! becomes one task for the agent, run in suggest mode (edits collected, never written
//! by the agent), one task after another over the same collected edits. What the
//! tasks collected becomes proposals of the same review session as the rules' fixes:
//! combined with a rule's fix of the same file only where the two do not touch
//! (`review::merge`; a conflict drops the agent's edit and says so), reparsed like a
//! rule's fix, labelled `agent (PROVIDER/ID)` in the preview, and unsafe: written only
//! with `--unsafe-fixes` or when accepted in `-i`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::agent::{Connection, Printer, connect};
use super::llm::{diag, parse_api};
use super::{Exit, GlobalArgs};
use crate::agent::judgement::{JudgementTask, SYSTEM_PROMPT};
use crate::agent::{Agent, AgentError, Approval, ApprovalHook, Budget, RepoTools, Root};
use crate::edit::FileText;
use crate::edit::check_parse;
use crate::exit::HasExit;
use crate::llm::{Client, Context};
use crate::review::merge::{changed_ranges, three_way};
use crate::review::{Kind, Proposal, Session};
use crate::syntax::Lang;
use crate::workspace::display_path;

/// Turns per task when `--max-turns` is not given: reading the file, an edit, a check
/// and an answer fit, and a model that loops stops early.
pub const DEFAULT_TURNS: u64 = 8;

#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Agent (findings that need judgement)")]
pub struct FixAgentArgs {
    /// Hand each finding left as "needs judgement" to an agent on this model
    /// (PROVIDER/ID, as in `dash llm`; keys from the usual env vars). Its edits join the
    /// preview marked `agent (PROVIDER/ID)` and are unsafe: written only with
    /// --unsafe-fixes, or when accepted in -i.
    #[arg(long, value_name = "PROVIDER/ID")]
    pub agent: Option<String>,
    /// Send the agent's requests to this server instead of the provider's.
    #[arg(long, value_name = "URL", requires = "agent")]
    pub base_url: Option<String>,
    /// Wire format the agent speaks instead of the model's own: openai-completions,
    /// openai-responses, anthropic-messages or google-generative-ai.
    #[arg(long, value_name = "API", value_parser = parse_api, requires = "agent")]
    pub api: Option<crate::llm::Api>,
    /// Each task stops after this many model replies [default: 8].
    #[arg(long, value_name = "N", requires = "agent")]
    pub max_turns: Option<u64>,
    /// Each task stops once this much (USD, registry prices) is spent.
    #[arg(long, value_name = "USD", requires = "agent")]
    pub max_cost: Option<f64>,
    /// Each task stops once this many tokens are spent.
    #[arg(long, value_name = "N", requires = "agent")]
    pub max_tokens: Option<u64>,
    /// Each task stops after this many seconds.
    #[arg(long, value_name = "SECS", requires = "agent")]
    pub timeout: Option<u64>,
    /// Seconds of silence from the model's server before a call fails [default: 120].
    #[arg(long, value_name = "SECS", requires = "agent")]
    pub idle_timeout: Option<u64>,
}

/// A finding to hand over: where its file is and the task.
#[derive(Debug, Clone)]
pub struct Handover {
    /// The file, absolute.
    pub path: PathBuf,
    /// The top of the file's worktree (the agent's repository).
    pub root: PathBuf,
    pub task: JudgementTask,
}

/// How one task ended.
#[derive(Debug, Clone, Serialize)]
pub struct TaskReport {
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub rule: &'static str,
    pub method: String,
    /// `finished`, `limit`, `error`, `stopped`, `aborted`, or `skipped` (not run after
    /// an abort or a configuration error).
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub turns: u64,
    pub tokens: u64,
    pub cost: f64,
    #[serde(skip)]
    pub label: String,
}

/// An agent edit that was not kept, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Dropped {
    pub path: String,
    pub message: String,
}

/// What the tasks produced.
#[derive(Debug)]
pub struct AgentRun {
    /// `agent (PROVIDER/ID)`: the label of its edits in the preview.
    pub label: &'static str,
    pub model: String,
    pub tasks: Vec<TaskReport>,
    /// One proposal per file the agent changed: combined with the rules' proposal of
    /// the same file where there is one (it replaces it), else the agent's alone.
    pub proposals: Vec<Proposal>,
    pub dropped: Vec<Dropped>,
    /// The worst exit a task's end asks for (`Partial` for a task that did not finish,
    /// `Usage` for a key or configuration error).
    pub exit: Exit,
}

/// The agent part of `dash fix --json`.
#[derive(Debug, Serialize)]
pub struct AgentSummary {
    pub model: String,
    pub tasks: Vec<TaskReport>,
    /// Files with agent edits in the preview.
    pub files: Vec<String>,
    pub dropped: Vec<Dropped>,
    /// Whether the agent's edits are in what is written (`--unsafe-fixes`).
    pub applied: bool,
}

impl AgentRun {
    pub fn summary(&self, applied: bool) -> AgentSummary {
        AgentSummary {
            model: self.model.clone(),
            tasks: self.tasks.clone(),
            files: self.proposals.iter().map(|p| p.display.clone()).collect(),
            dropped: self.dropped.clone(),
            applied,
        }
    }

    /// `rules` with the agent's proposals: a file both changed gets the combined one.
    pub fn join(&self, rules: &Session) -> Session {
        let mut session = rules.empty_like();
        for p in rules.proposals() {
            if !self.proposals.iter().any(|a| a.path == p.path) {
                session.propose(p.clone());
            }
        }
        for p in &self.proposals {
            session.propose(p.clone());
        }
        session
    }
}

/// A model connection, a client and a runtime, and the per-task budget: what each
/// task of one run needs. `dash fix --agent` and `dash test --agent` run their tasks
/// through it, one after another.
pub(super) struct TaskRunner {
    model: crate::llm::Model,
    options: crate::llm::StreamOptions,
    redactor: Option<crate::llm::redact::Redactor>,
    hidden_env: Vec<String>,
    client: Client,
    runtime: tokio::runtime::Runtime,
    budget: Budget,
    quiet: bool,
    /// `agent (PROVIDER/ID)`: the label of its edits in the preview.
    pub label: &'static str,
    /// PROVIDER/ID as resolved.
    pub spec: String,
}

/// How one task ended: the tools back (with what they collected), the run's result,
/// what it spent and the model's last text.
pub(super) struct TaskEnd {
    pub tools: RepoTools,
    pub result: Result<(), AgentError>,
    pub spent: crate::agent::Spent,
    pub answer: String,
}

impl TaskRunner {
    /// Resolves `spec` (keys from the environment; a missing key is exit 2) for the
    /// repository at `top`, with `args`' server, wire format and limits.
    pub fn connect(
        args: &FixAgentArgs,
        spec: &str,
        top: &Path,
        quiet: bool,
    ) -> miette::Result<TaskRunner> {
        let Connection {
            model,
            options,
            redactor,
            hidden_env,
        } = connect(
            top,
            spec,
            args.base_url.as_deref(),
            args.api,
            args.idle_timeout.unwrap_or(120),
        )?;
        let spec = model.spec();
        // One string per run, for the preview's `&'static str` labels.
        let label: &'static str = Box::leak(format!("agent ({spec})").into_boxed_str());
        let client = Client::new()
            .map_err(|e| diag("dash::agent::client", e.to_string(), "this is a bug"))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| diag("dash::agent::runtime", e.to_string(), "this is a bug"))?;
        let budget = Budget {
            max_turns: Some(args.max_turns.unwrap_or(DEFAULT_TURNS)),
            max_tokens: args.max_tokens,
            max_cost: args.max_cost,
            timeout: args.timeout.map(Duration::from_secs),
        };
        Ok(TaskRunner {
            model,
            options,
            redactor,
            hidden_env,
            client,
            runtime,
            budget,
            quiet,
            label,
            spec,
        })
    }

    /// Suggest-mode tools over the repository at `root` (edits collected, never
    /// written; commands refused; no provider key in a command's environment).
    pub fn tools(&self, root: &Path) -> miette::Result<RepoTools> {
        let root = Root::new(root).map_err(|e| {
            diag(
                "dash::agent::root",
                format!("cannot open the repository at {}: {e}", root.display()),
                "run dash inside the repository",
            )
        })?;
        Ok(
            RepoTools::new(root, Approval::Suggest, Duration::from_secs(120))
                .hide_env(self.hidden_env.clone()),
        )
    }

    /// `text` with the key replaced, for anything printed or reported.
    pub fn redact(&self, text: &str) -> String {
        match &self.redactor {
            Some(r) => r.redact(text).into_owned(),
            None => text.to_owned(),
        }
    }

    /// Runs one task (`system` prompt, user `prompt`) over `tools` in suggest mode;
    /// the text and tool activity go to stderr (nothing when quiet). Ctrl-C aborts it.
    pub fn run(&self, tools: RepoTools, system: &str, prompt: String) -> TaskEnd {
        let context = Context {
            system_prompt: Some(system.to_owned()),
            ..Context::default()
        };
        let mut agent = Agent::new(
            self.client.clone(),
            self.model.clone(),
            self.options.clone(),
            context,
            tools,
        )
        .with_budget(self.budget);
        agent.add_hooks(Box::new(ApprovalHook::new(Approval::Suggest, None)));
        agent.subscribe(Printer::stderr(self.quiet, self.redactor.clone()).into_listener());
        let result = self.runtime.block_on(async {
            let handle = agent.handle();
            let ctrl_c = tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    handle.abort();
                }
            });
            let result = agent.prompt(prompt).await;
            ctrl_c.abort();
            result
        });
        let spent = *agent.spent();
        let answer = agent
            .context()
            .messages
            .iter()
            .rev()
            .find_map(|m| match m {
                crate::llm::Message::Assistant(a) if !a.text().trim().is_empty() => {
                    Some(self.redact(a.text().trim()))
                }
                _ => None,
            })
            .unwrap_or_default();
        TaskEnd {
            tools: agent.into_toolbox(),
            result,
            spent,
            answer,
        }
    }
}

/// Runs one task per handover (in order), then turns what they collected into
/// proposals against the rules' `session`. Progress goes to stderr (nothing with
/// `-q`); stdout is left to the caller.
pub fn run(
    args: &FixAgentArgs,
    global: &GlobalArgs,
    spec: &str,
    handovers: Vec<Handover>,
    rules: &Session,
    cwd: Option<&Path>,
) -> miette::Result<AgentRun> {
    let top = handovers
        .first()
        .map(|h| h.root.clone())
        .unwrap_or_else(super::agent::repo_root);
    let runner = TaskRunner::connect(args, spec, &top, global.quiet)?;
    let label = runner.label;
    let mut run = AgentRun {
        label,
        model: runner.spec.clone(),
        tasks: Vec::new(),
        proposals: Vec::new(),
        dropped: Vec::new(),
        exit: Exit::Clean,
    };
    if handovers.is_empty() {
        return Ok(run);
    }
    // One toolbox per repository, kept across its tasks: a later task sees the edits
    // an earlier one collected.
    let mut toolboxes: Vec<(PathBuf, Option<RepoTools>)> = Vec::new();
    let total = handovers.len();
    let mut stop: Option<&'static str> = None;
    for (i, handover) in handovers.into_iter().enumerate() {
        let task = &handover.task;
        let mut report = TaskReport {
            path: task.path.clone(),
            line: task.line,
            column: task.column,
            rule: task.rule,
            method: task.group.clone(),
            outcome: "skipped",
            error: None,
            turns: 0,
            tokens: 0,
            cost: 0.0,
            label: task.label(),
        };
        if let Some(why) = stop {
            report.error = Some(why.to_owned());
            run.tasks.push(report);
            continue;
        }
        if !global.quiet {
            eprintln!(
                "{label}: task {}/{total}: {} — {}",
                i + 1,
                task.label(),
                task.reason
            );
        }
        let slot = match toolboxes.iter().position(|(r, _)| *r == handover.root) {
            Some(at) => at,
            None => {
                let tools = runner.tools(&handover.root)?.with_dash_tools();
                toolboxes.push((handover.root.clone(), Some(tools)));
                toolboxes.len() - 1
            }
        };
        let tools = toolboxes[slot].1.take().expect("a toolbox is put back");
        let before = tools.changes().clone();
        let text = std::fs::read(&handover.path)
            .ok()
            .and_then(|b| FileText::from_bytes(&b))
            .map(|t| t.text)
            .unwrap_or_default();
        let end = runner.run(tools, SYSTEM_PROMPT, task.prompt(&text));
        report.turns = end.spent.turns;
        report.tokens = end.spent.tokens;
        report.cost = end.spent.cost;
        let mut tools = end.tools;
        match end.result {
            Ok(()) => report.outcome = "finished",
            Err(err) => {
                // A task that did not finish leaves nothing: half an edit is worse than
                // the finding left as it is.
                tools.restore_changes(before);
                report.outcome = err.outcome();
                let message = runner.redact(&err.to_string());
                if !global.quiet {
                    eprintln!(
                        "{label}: {}: {message}; its edits were dropped",
                        task.label()
                    );
                }
                report.error = Some(message);
                let exit = err.exit();
                if exit == Exit::Usage {
                    run.exit = Exit::Usage;
                    stop = Some("not run: an earlier task failed for the key or configuration");
                } else {
                    if run.exit != Exit::Usage {
                        run.exit = Exit::Partial;
                    }
                    if matches!(err, AgentError::Aborted) {
                        stop = Some("not run: aborted");
                    }
                }
            }
        }
        toolboxes[slot].1 = Some(tools);
        run.tasks.push(report);
    }
    for (_, tools) in toolboxes {
        let tools = tools.expect("every toolbox is put back");
        propose(&tools, rules, label, cwd, &mut run);
    }
    Ok(run)
}

/// The proposals of what `tools` collected, each checked like a rule's fix.
fn propose(
    tools: &RepoTools,
    rules: &Session,
    label: &'static str,
    cwd: Option<&Path>,
    run: &mut AgentRun,
) {
    for (_, abs, original, text) in tools.changes().files() {
        let display = display_path(abs, cwd);
        let rule = rules.proposals().iter().find(|p| same_file(&p.path, abs));
        match proposal(abs, original, text, rule, label, display.clone()) {
            Ok(Some(p)) => run.proposals.push(p),
            Ok(None) => {}
            Err(message) => run.dropped.push(Dropped {
                path: display,
                message,
            }),
        }
    }
}

/// The proposal of the agent's `text` for the file at `abs` (`original`: its bytes
/// when the agent first read it, `None` if it created the file), combined with the
/// rules' proposal of the same file if any. `Ok(None)`: nothing changes; `Err`: why
/// the agent's edit is dropped.
fn proposal(
    abs: &Path,
    original: Option<&[u8]>,
    text: &str,
    rule: Option<&Proposal>,
    label: &'static str,
    display: String,
) -> Result<Option<Proposal>, String> {
    let lang = Lang::from_path(abs);
    let Some(original) = original else {
        if rule.is_some() {
            return Err(
                "a rule's fix creates the same file; the agent's version was dropped".into(),
            );
        }
        if let Some(lang) = lang {
            check_parse(lang, "", text)
                .map_err(|err| format!("the agent's new file does not parse: {err}"))?;
        }
        return Ok(Some(Proposal {
            path: abs.to_path_buf(),
            display,
            change: Kind::Create {
                text: text.to_owned(),
            },
        }));
    };
    let Some(file_text) = FileText::from_bytes(original) else {
        return Ok(None);
    };
    if file_text.text == text {
        return Ok(None);
    }
    let (new_text, edits) = match rule.map(|p| &p.change) {
        None => {
            let edits = changed_ranges(&file_text.text, text)
                .into_iter()
                .map(|r| (r, label))
                .collect();
            (text.to_owned(), edits)
        }
        Some(Kind::Create { .. }) => {
            return Err("a rule's fix creates this file; the agent's edit was dropped".into());
        }
        Some(
            change @ Kind::Modify {
                new_text: rule_text,
                edits: rule_edits,
                ..
            },
        ) => {
            if change.original().as_deref() != Some(original) {
                return Err(
                    "the file changed on disk between the rules' read and the agent's; \
                     the agent's edit was dropped"
                        .into(),
                );
            }
            let merged = three_way(&file_text.text, rule_text, text).map_err(|conflict| {
                format!(
                    "the agent's edit and the rules' fixes {conflict}; the agent's edit was \
                     dropped (apply the rules' fixes, then run again)"
                )
            })?;
            let mut edits = rule_edits.clone();
            edits.extend(merged.theirs.into_iter().map(|r| (r, label)));
            (merged.text, edits)
        }
    };
    if let Some(lang) = lang {
        check_parse(lang, &file_text.text, &new_text).map_err(|err| {
            format!(
                "with the agent's edit the file would parse worse ({err}); the agent's edit was dropped"
            )
        })?;
    }
    Ok(Some(Proposal {
        path: rule.map_or_else(|| abs.to_path_buf(), |p| p.path.clone()),
        display: rule.map_or(display, |p| p.display.clone()),
        change: Kind::Modify {
            on_disk: None,
            file_text,
            new_text,
            edits,
        },
    }))
}

/// Whether two paths name one file (links resolved where they exist).
fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(x), Ok(y)) if x == y
        )
}

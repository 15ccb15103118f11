//! `dash fix`: the fixes of every enabled rule over a workspace. A preview by default;
//! `--write` applies, `--diff` prints a patch, `--check` only answers whether anything
//! would change, `-i` walks the preview hunk by hunk and writes the accepted ones. Safe
//! fixes only, unless `--unsafe-fixes`.

use std::borrow::Cow;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use miette::Diagnostic;
use rayon::prelude::*;
use serde::Serialize;
use thiserror::Error;

use super::{Exit, GlobalArgs};
use crate::edit::format::Formatting;
use crate::edit::{FileText, WriteError};
use crate::engine::fix::{FileFix, FixOptions, Record};
use crate::engine::{self, Engine};
use crate::review::{self, Kind, Proposal, Session};
use crate::rules::console::RULE_ID as CONSOLE;
use crate::rules::console::logger::{self as console_logger, LoggerModule, LoggerTarget};
use crate::rules::console::spies;
use crate::rules::{Applicability, FileCx, Mode, RunCx};
use crate::workspace::source::{Candidate, Skip};
use crate::workspace::{SourceFile, Workspace, display_path, git};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
#[command(after_help = concat!(
    "Examples:\n  dash fix                  preview every change\n  \
dash fix --write          apply them\n  \
dash fix --diff | git apply\n  \
dash fix --check          in CI: exit 1 if anything would change\n  \
dash fix -q --write       apply, print only errors\n  \
dash fix --agent anthropic/claude-sonnet-4-5 -i   the agent proposes edits for what needs judgement\n\n",
    "Exit codes:\n  0  done, or nothing to change\n  1  --check: something would change\n  \
2  usage or configuration error; --write refused over uncommitted changes\n  \
3  some files could not be read, or changed on disk before they were written (the rest were);\n     \
with --agent: a task stopped by a limit or a provider error (the other tasks ran)"
))]
pub struct FixArgs {
    /// Files or folders to fix.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Apply the changes (atomically, file by file).
    #[arg(long, conflicts_with_all = ["diff", "check"])]
    pub write: bool,
    /// Print a plain patch that `git apply` accepts (run from the repository's top).
    #[arg(long, conflicts_with = "check")]
    pub diff: bool,
    /// Write nothing; exit 1 if anything would change (for CI).
    #[arg(long)]
    pub check: bool,
    /// Review each hunk of the preview (y/n/a/d/q, then Enter) and write the accepted
    /// ones. Needs a terminal on standard input.
    #[arg(short, long, conflicts_with_all = ["write", "diff", "check", "format"])]
    pub interactive: bool,
    /// Run only these rules (ids from `dash rules`; default: every enabled rule).
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub rules: Option<Vec<String>>,
    /// Apply unsafe fixes too (they can change behaviour; the preview marks them).
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write even where files to change have uncommitted changes.
    #[arg(long)]
    pub allow_dirty: bool,
    /// Include the repository's other worktrees when a worktree's top is named.
    #[arg(long)]
    pub worktrees: bool,
    /// Prove the change before it counts: apply it in a canary copy of the tree, run the
    /// project's checks there per package (type-check, tests, loading each changed module
    /// with node) and keep only the files that leave every check as green as before; the
    /// others are rolled back and named. With --diff or the preview: check only.
    #[arg(long, conflicts_with_all = ["check", "interactive"])]
    pub verify: bool,
    /// The most seconds the whole --verify run may take (default: `run-timeout` under
    /// [verify], else 1800). When it runs out, the running check is ended and the files not
    /// proven by then are left out and named (exit 3).
    #[arg(long, value_name = "SECONDS", requires = "verify", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub verify_timeout: Option<u64>,
    /// Do not run the project's formatter on the changed files (`[format]`; by default
    /// prettier or biome, when the project configures and installs one, formats each changed
    /// file that it already left unchanged before the fix).
    #[arg(long)]
    pub no_format: bool,
    #[command(flatten)]
    pub walk: super::WalkArgs,
    #[command(flatten)]
    pub project: super::ProjectArgs,
    #[command(flatten)]
    pub agent: super::fix_agent::FixAgentArgs,
}

#[derive(Debug, Error, Diagnostic)]
pub enum FixError {
    #[error("refusing to write: {count} file(s) to change have uncommitted changes:\n{list}")]
    #[diagnostic(
        code(dash::fix::dirty),
        help(
            "commit or stash them first, so the fix can be reviewed and undone on its own, or pass --allow-dirty"
        )
    )]
    Dirty { count: usize, list: String },
    #[error(
        "refusing to write: cannot tell whether the files to change in {worktree} have uncommitted changes: {reason}"
    )]
    #[diagnostic(
        code(dash::fix::dirty_check),
        help(
            "fix what git reports (for \"dubious ownership\": git config --global --add safe.directory <path>), or pass --allow-dirty to write without the check"
        )
    )]
    DirtyCheck { worktree: String, reason: String },
    #[error("dash fix -i needs a terminal on standard input")]
    #[diagnostic(
        code(dash::fix::not_a_terminal),
        help(
            "run it in a terminal; in scripts, use `dash fix --diff` and `git apply`, or `dash fix --write`"
        )
    )]
    NotATerminal,
}

impl crate::exit::HasExit for FixError {
    /// A refusal to write into uncommitted work: the run did nothing, like a usage error
    /// (README documents 2); the user decides (commit, stash or `--allow-dirty`).
    fn exit(&self) -> Exit {
        match self {
            FixError::Dirty { .. } | FixError::DirtyCheck { .. } => Exit::Usage,
            // Asking where nobody can answer is a misuse of the command.
            FixError::NotATerminal => Exit::Usage,
        }
    }
}

/// What happened to one file.
enum Outcome {
    /// Nothing to change; `kept` calls left by a keep policy, and calls that need judgement.
    Unchanged {
        kept: usize,
        judgements: Vec<Record>,
        unfixed: Vec<Record>,
    },
    Changed {
        /// The text as read (it is the bytes read, BOM aside: see `FileText::from_vec`);
        /// None once [`session`] has moved it, with `fix.new_text` and `fix.edits`, into
        /// the file's proposal (the results are not asked for them after that).
        file_text: Option<FileText>,
        fix: FileFix,
        /// What the project's formatter did with the new text.
        formatting: crate::edit::format::Formatting,
    },
    Refused {
        reason: String,
        fix: FileFix,
    },
    Skipped(Skip),
    Failed(String),
}

struct FileResult<'w> {
    file: &'w SourceFile,
    /// The file's category: its path's and package's, refined by its text where it was
    /// read (`workspace::content`).
    category: crate::workspace::Category,
    outcome: Outcome,
}

pub fn run(args: &FixArgs, global: &GlobalArgs) -> miette::Result<Exit> {
    if args.interactive && !std::io::stdin().is_terminal() {
        return Err(FixError::NotATerminal.into());
    }
    let (config, workspace) =
        super::load_workspace(&args.paths, &args.walk, args.worktrees, global)?;
    let selected = engine::select(&config, args.rules.as_deref())?;
    let root = super::project_root(&config, &args.paths);
    let limit = config.limits.max_file_size;
    // The test files are read first (once: the fix below uses these bytes), so the
    // console calls that tests spy on are known before any production file is fixed.
    let (preread, spies) = if selected.iter().any(|r| r.meta().id == CONSOLE) {
        super::with_threads(global.threads, || read_tests(&workspace, &selected, limit))
    } else {
        (workspace.files.iter().map(|_| None).collect(), None)
    };
    let engine = Engine::prepare(
        &selected,
        &RunCx {
            config: &config,
            mode: Mode::Fix,
            root: &root,
            exact: false,
            console_spies: spies.as_ref(),
        },
    )?;
    let options = FixOptions {
        unsafe_fixes: args.unsafe_fixes,
        ..FixOptions::default()
    };

    let styles = crate::edit::style::StyleCache::new();
    let formatter = crate::edit::format::Formatter::new(&config.format, !args.no_format);
    let mut results: Vec<FileResult> = super::with_threads(global.threads, || {
        workspace
            .files
            .par_iter()
            .zip(preread.into_par_iter())
            .map(|(file, read)| {
                let (category, outcome) =
                    fix_one(file, read, &engine, limit, &options, &styles, &formatter);
                FileResult {
                    file,
                    category,
                    outcome,
                }
            })
            .collect()
    });
    // The formatter's servers (one node process per prettier project) end with the fixing.
    drop(formatter);

    let cwd = std::env::current_dir()
        .ok()
        .and_then(|d| std::fs::canonicalize(d).ok());
    let mut session = session(&mut results, &engine, cwd.as_deref());
    // Nothing is ever written outside the worktrees of the run (a symbolic link
    // followed out with -L, a logger module configured as `../x`).
    session.confine(workspace.worktrees.iter().map(|w| w.root.clone()));
    let writing = args.write || args.interactive;
    // The findings left for judgement go to the agent, if one is named. Its edits are
    // in the preview (and `-i`) always, and in what is written or patched only with
    // --unsafe-fixes.
    let agent = match &args.agent.agent {
        Some(spec) => {
            let handovers = handovers(&results, &workspace);
            if writing && !args.allow_dirty {
                // Before any model call: refusing afterwards would waste the run.
                let mut files = modified(session.proposals());
                files.extend(
                    handovers
                        .iter()
                        .map(|h| (h.path.clone(), h.task.path.clone())),
                );
                refuse_dirty(&workspace, &files)?;
            }
            Some(super::fix_agent::run(
                &args.agent,
                global,
                spec,
                handovers,
                &session,
                cwd.as_deref(),
            )?)
        }
        None => None,
    };
    // `preview` is what is shown and reviewed (`-i`); `session` what is written or
    // patched: the same with --unsafe-fixes.
    let mut preview = agent.as_ref().map(|a| a.join(&session));
    if args.unsafe_fixes
        && let Some(joined) = preview.take()
    {
        session = joined;
    }
    // --verify: only what kept the project's checks as green as before is shown, patched
    // or written (src/promote); the rest is rolled back and named.
    let mut rolled_back = false;
    if args.verify {
        if args.write && !args.allow_dirty {
            // Before the checks run: refusing after them would waste them.
            refuse_dirty(&workspace, &modified(session.proposals()))?;
        }
        let not_runtime: std::collections::HashSet<&Path> = results
            .iter()
            .filter(|r| r.category != crate::workspace::Category::Production)
            .map(|r| r.file.path.as_path())
            .collect();
        let tops: Vec<PathBuf> = workspace.worktrees.iter().map(|w| w.root.clone()).collect();
        // A Ctrl-C or a CI job's SIGTERM ends the running check and removes the canary.
        crate::interrupt::install();
        let run_timeout = args.verify_timeout.or(config.verify.run_timeout).map_or(
            crate::promote::DEFAULT_RUN_TIMEOUT,
            std::time::Duration::from_secs,
        );
        let progress = super::verify_progress::VerifyProgress::new(
            super::progress_line::wanted(
                std::io::stderr().is_terminal(),
                args.format == Format::Json,
                global.quiet,
                super::progress_line::in_ci(std::env::var("CI").ok().as_deref()),
            ),
            run_timeout,
        );
        let mut verified = crate::promote::verify(
            &session,
            &config.verify,
            &tops,
            &|p: &Path| !not_runtime.contains(p),
            &crate::promote::Options {
                run_timeout,
                watch: &|status| progress.step(status),
            },
        )?;
        progress.clear();
        drop_unneeded_creations(&mut verified, &results, &engine);
        // Files rolled back, or not proven before the run's time ran out, are left out.
        rolled_back =
            !verified.report.rolled_back.is_empty() || !verified.report.unverified.is_empty();
        if !global.quiet || rolled_back {
            eprint!("{}", verified.report.render());
        }
        session = verified.session;
        preview = None;
    }
    let preview = preview.as_ref().unwrap_or(&session);
    let created = session
        .proposals()
        .iter()
        .filter(|p| matches!(p.change, Kind::Create { .. }))
        .count();
    // The logger the summary names: the package's of the first rewritten file.
    let logger = selected.iter().any(|r| r.meta().id == CONSOLE).then(|| {
        let users: Vec<&Path> = results
            .iter()
            .filter(|r| match &r.outcome {
                Outcome::Changed { fix, .. } => fix
                    .fixed
                    .iter()
                    .any(|c| c.rule == CONSOLE && c.action == Some("rewrite")),
                _ => false,
            })
            .map(|r| r.file.path.as_path())
            .collect();
        console_logger::for_summary(&config, &root, &users)
    });
    let mut summary = Summary::new(
        &results,
        logger.as_ref().map(|(l, others)| (l, *others)),
        created > 0,
        cwd.as_deref(),
        args.format == Format::Json,
    );
    summary.files_created = created;
    summary.agent = agent.as_ref().map(|a| a.summary(args.unsafe_fixes));
    let quiet = global.quiet;
    let color = super::color_enabled(global.color, std::io::stdout().is_terminal());

    let mut stdout = std::io::stdout().lock();
    // A file refused by a check (a rule's refusal, a parse regression) could not be
    // processed: exit 3 for the preview, `--check` and `--write` alike (DESIGN §1). So
    // is a finding whose agent task did not finish (2 for a key or configuration
    // error).
    let mut exit = if summary.failed > 0 || !summary.refused.is_empty() {
        Exit::Partial
    } else {
        Exit::Clean
    };
    // Files rolled back or left unverified by --verify were not written (the rest were):
    // exit 3.
    if rolled_back && exit == Exit::Clean {
        exit = Exit::Partial;
    }
    match agent.as_ref().map(|a| a.exit) {
        Some(Exit::Usage) => exit = Exit::Usage,
        Some(Exit::Partial) if exit == Exit::Clean => exit = Exit::Partial,
        _ => {}
    }
    if args.interactive {
        if !args.allow_dirty {
            refuse_dirty(&workspace, &modified(preview.proposals()))?;
        }
        return Ok(interactive(preview, exit, color, &mut stdout));
    }
    if args.write {
        if !args.allow_dirty {
            refuse_dirty(&workspace, &modified(session.proposals()))?;
        }
        let written = session.write();
        for err in written.failed {
            let err: WriteError = err;
            eprintln!("{:?}", miette::Report::new(err));
            exit = Exit::Partial;
        }
        let journal = written.journal;
        if let Some(err) = journal.error {
            eprintln!("{:?}", miette::Report::new(err));
            exit = Exit::Partial;
        }
        for warning in journal.warnings {
            eprintln!("{:?}", miette::Report::new(warning));
        }
        summary.written = Some(written.files);
        summary.journal = (written.files > 0).then_some(JournalSummary {
            ids: journal.ids,
            not_journaled: journal.unjournaled,
        });
        print_summary(&mut stdout, &summary, args.format, color, quiet);
    } else if args.diff {
        // Paths relative to the top of each file's worktree, as `git apply` reads them
        // wherever it runs in that worktree; a name that is not UTF-8 cannot be written
        // in a patch dash can promise, so that file is left out and named.
        let mut changes = Vec::new();
        for proposal in session.proposals() {
            let root = workspace
                .worktrees
                .iter()
                .filter(|w| proposal.path.starts_with(&w.root))
                .max_by_key(|w| w.root.as_os_str().len());
            let relative = root
                .and_then(|w| proposal.path.strip_prefix(&w.root).ok())
                .unwrap_or(&proposal.path);
            match relative.to_str() {
                Some(path) => {
                    let mut change = proposal.file_change();
                    change.path = path.to_owned();
                    changes.push(change);
                }
                None => {
                    eprintln!(
                        "error: {}: the name is not UTF-8, so it is left out of the patch",
                        proposal.path.display()
                    );
                    exit = Exit::Partial;
                }
            }
        }
        // Written as it is produced: a huge change is never one string in memory.
        let mut out = std::io::BufWriter::with_capacity(1 << 16, &mut stdout);
        let _ = review::patch::write(&mut out, &changes).and_then(|()| out.flush());
        drop(out);
        print_summary(
            &mut std::io::stderr().lock(),
            &summary,
            args.format,
            false,
            quiet,
        );
    } else if args.check {
        print_summary(&mut stdout, &summary, args.format, color, quiet);
        if !session.is_empty() && exit == Exit::Clean {
            exit = Exit::Findings;
        }
    } else {
        if args.format == Format::Text {
            let changes = preview.changes();
            // Each changed file's category, by the path the preview shows.
            let categories: std::collections::HashMap<&str, &'static str> = results
                .iter()
                .map(|r| (r.file.display.as_str(), r.category.name()))
                .collect();
            // Written a hunk at a time as it is produced: a huge change is never one
            // string in memory.
            let mut out = std::io::BufWriter::with_capacity(1 << 16, &mut stdout);
            for change in &changes {
                let category = categories.get(change.path.as_str()).copied();
                if review::diff::write(&mut out, change, color, category).is_err() {
                    break;
                }
            }
            let _ = out.flush();
            drop(out);
            let agent_label = agent.as_ref().map(|a| a.label);
            if !quiet && let Some(legend) = legend(&changes, &results, agent_label) {
                let _ = writeln!(stdout, "{legend}\n");
            }
        }
        print_summary(&mut stdout, &summary, args.format, color, quiet);
    }
    let _ = stdout.flush();
    Ok(exit)
}

/// `-i`: walks the hunks with the reviewer, then writes the accepted ones through the
/// session like `--write` (atomic, staleness-checked). Ctrl-C before the end writes
/// nothing.
fn interactive(session: &Session, mut exit: Exit, color: bool, stdout: &mut dyn Write) -> Exit {
    if session.is_empty() {
        let _ = writeln!(stdout, "nothing to change");
        return exit;
    }
    let mut stdin = std::io::stdin().lock();
    let walked = match review::interactive::walk(session, color, &mut stdin, stdout) {
        Ok(walked) => walked,
        Err(err) => {
            eprintln!("error: reading answers: {err}");
            return Exit::Partial;
        }
    };
    let written = walked.session.write();
    for err in written.failed {
        eprintln!("{:?}", miette::Report::new(err));
        exit = Exit::Partial;
    }
    let _ = writeln!(
        stdout,
        "applied {} of {} hunk{}; wrote {} file{}",
        walked.accepted,
        walked.total,
        if walked.total == 1 { "" } else { "s" },
        written.files,
        if written.files == 1 { "" } else { "s" },
    );
    exit
}

/// Reads, fixes and classifies one file (pure except for the read and the formatter),
/// with its category refined by its text.
fn fix_one(
    file: &SourceFile,
    read: Option<std::io::Result<Candidate>>,
    engine: &Engine,
    limit: u64,
    options: &FixOptions,
    styles: &crate::edit::style::StyleCache,
    formatter: &crate::edit::format::Formatter,
) -> (crate::workspace::Category, Outcome) {
    let unchanged = || Outcome::Unchanged {
        kept: 0,
        judgements: Vec::new(),
        unfixed: Vec::new(),
    };
    let loaded = match read {
        // Read by the test pre-pass: classified again for this engine's rules.
        Some(Ok(Candidate::Text { bytes, .. })) => Ok(engine.candidate(file, bytes, limit)),
        Some(other) => other,
        None => engine.load(file, limit),
    };
    let (original, hits) = match loaded {
        Ok(Candidate::Text { bytes, hits }) => (bytes, hits),
        Ok(Candidate::NoNeedle { .. }) => return (file.category, unchanged()),
        Ok(Candidate::Skipped(skip)) => return (file.category, Outcome::Skipped(skip)),
        Err(err) => return (file.category, Outcome::Failed(err.to_string())),
    };
    let category = crate::workspace::content::refine(file.category, &original);
    (
        category,
        fix_text(
            file,
            category,
            engine,
            original,
            hits,
            options,
            ProjectStyle { styles, formatter },
        ),
    )
}

/// How the project writes code: its declared quotes and semicolons, and its formatter.
#[derive(Clone, Copy)]
struct ProjectStyle<'a> {
    styles: &'a crate::edit::style::StyleCache,
    formatter: &'a crate::edit::format::Formatter,
}

/// Fixes one file's bytes as read.
fn fix_text(
    file: &SourceFile,
    category: crate::workspace::Category,
    engine: &Engine,
    original: Vec<u8>,
    hits: u64,
    options: &FixOptions,
    project: ProjectStyle<'_>,
) -> Outcome {
    // The bytes become the text: a big file is not held twice while it is fixed.
    let Ok(file_text) = FileText::from_vec(original) else {
        return Outcome::Skipped(Skip::NotUtf8 { offset: 0 });
    };
    let hits = hits & engine.wanted(category, file.lang);
    let cx = FileCx {
        path: &file.path,
        lang: file.lang,
        category,
        text: &file_text.text,
        newline: file_text.ending.as_str(),
    };
    let kept = engine
        .rules_in(hits)
        .filter(|p| !p.rule.applies(&cx))
        .map(|p| p.rule.kept(&cx))
        .sum();
    // Code the fix writes follows the project's declared quotes and semicolons.
    let options = FixOptions {
        style: project.styles.for_file(&file.path),
        ..*options
    };
    let fix = engine::fix::fix_file(&cx, &engine.fix_candidates(&cx), &options);
    if let Some(refusal) = &fix.refused {
        return Outcome::Refused {
            reason: refusal.to_string(),
            fix: without_text(fix),
        };
    }
    if fix.changed(&file_text.text) {
        // The project's formatter on the new text: what the preview shows is what is
        // written. A formatted text is checked like the fix's own.
        let mut fix = fix;
        let formatting = match project
            .formatter
            .format(&file.path, &file_text.text, &fix.new_text)
        {
            Ok((text, formatting)) => {
                if text != fix.new_text {
                    if let Err(regression) =
                        crate::edit::check_parse(file.lang, &file_text.text, &text)
                    {
                        return Outcome::Refused {
                            reason: format!("the formatted text does not parse: {regression}"),
                            fix: without_text(fix),
                        };
                    }
                    fix.new_text = text;
                }
                formatting
            }
            Err(reason) => {
                return Outcome::Refused {
                    reason,
                    fix: without_text(fix),
                };
            }
        };
        Outcome::Changed {
            file_text: Some(file_text),
            fix,
            formatting,
        }
    } else {
        Outcome::Unchanged {
            kept,
            judgements: fix.judgements,
            unfixed: fix.unfixed,
        }
    }
}

/// A refused fix as the results keep it: its records, not its text (nothing of it is
/// written or shown).
fn without_text(fix: FileFix) -> FileFix {
    FileFix {
        new_text: String::new(),
        edits: Vec::new(),
        ..fix
    }
}

/// Reads the run's test files (the other files get `None`: the fix reads them) and finds
/// the production modules whose console calls they spy on (`console::spies`). A test file
/// is kept as read when it holds a needle of a rule that applies to tests, for the fix.
#[allow(clippy::type_complexity)]
fn read_tests(
    workspace: &Workspace,
    selected: &[&'static dyn crate::rules::Rule],
    limit: u64,
) -> (
    Vec<Option<std::io::Result<Candidate>>>,
    Option<std::sync::Arc<spies::ConsoleSpies>>,
) {
    use crate::workspace::Category;
    let needles: Vec<&str> = selected
        .iter()
        .map(|r| r.meta())
        .filter(|m| m.categories.contains(&Category::Tests))
        .flat_map(|m| m.needles.iter().copied())
        .collect();
    let Ok(needles) = aho_corasick::AhoCorasick::new(&needles) else {
        return (workspace.files.iter().map(|_| None).collect(), None);
    };
    let read: Vec<Option<std::io::Result<Candidate>>> = workspace
        .files
        .par_iter()
        .map(|file| {
            (file.category == Category::Tests).then(|| {
                crate::workspace::source::read_candidate(&file.path, &file.source, limit, |b| {
                    u64::from(needles.is_match(b))
                })
            })
        })
        .collect();
    let tests: Vec<spies::TestText> = workspace
        .files
        .iter()
        .zip(&read)
        .filter_map(|(file, read)| match read {
            Some(Ok(Candidate::Text { bytes, .. })) => Some(spies::TestText {
                path: &file.path,
                display: &file.display,
                text: bytes,
            }),
            _ => None,
        })
        .collect();
    let known: std::collections::HashSet<&Path> =
        workspace.files.iter().map(|f| f.path.as_path()).collect();
    let production: std::collections::HashMap<&Path, bool> = workspace
        .files
        .iter()
        .map(|f| (f.path.as_path(), f.category == Category::Production))
        .collect();
    let found = spies::ConsoleSpies::find(
        &tests,
        &known,
        &|p| production.get(p).copied().unwrap_or(false),
        &|p| {
            let size = std::fs::metadata(p).ok()?.len();
            (size <= limit).then(|| std::fs::read(p).ok()).flatten()
        },
    );
    (
        read,
        (!found.is_empty()).then(|| std::sync::Arc::new(found)),
    )
}

/// Every change as a proposal: the changed files, and the files rules propose to create
/// when some applied fix needs them (console: the logger module).
///
/// Each changed file's texts and edits are moved out of its result, not copied: a big
/// file's text then exists as the original and the new text, not once more per copy.
fn session(results: &mut [FileResult], engine: &Engine, cwd: Option<&Path>) -> Session {
    let mut session = Session::new();
    for r in results.iter_mut() {
        if let Outcome::Changed { file_text, fix, .. } = &mut r.outcome
            && let Some(file_text) = file_text.take()
        {
            session.propose(Proposal {
                path: r.file.path.clone(),
                display: r.file.display.clone(),
                change: Kind::Modify {
                    on_disk: None,
                    file_text,
                    new_text: std::mem::take(&mut fix.new_text),
                    edits: std::mem::take(&mut fix.edits),
                },
            });
        }
    }
    for prepared in &engine.rules {
        let users = rule_users(results, prepared.meta.id, |_| true);
        for (path, text) in prepared.rule.new_files(&users) {
            session.propose(Proposal {
                display: display_path(&path, cwd),
                path,
                change: Kind::Create { text },
            });
        }
    }
    session
}

/// The users of the files a rule creates (the files whose applied fixes of that rule are
/// not removals), among the files `kept` accepts.
fn rule_users<'r>(
    results: &'r [FileResult],
    rule: &str,
    kept: impl Fn(&Path) -> bool,
) -> Vec<&'r Path> {
    results
        .iter()
        .filter(|r| match &r.outcome {
            Outcome::Changed { fix, .. } => fix
                .fixed
                .iter()
                .any(|c| c.rule == rule && c.action != Some("remove")),
            _ => false,
        })
        .map(|r| r.file.path.as_path())
        .filter(|path| kept(path))
        .collect()
}

/// A file a rule creates (a package's new logger module) is written only with a file that
/// needs it: when `--verify` rolled back every file that imports it, it is rolled back too
/// (alone it would be an orphan module).
fn drop_unneeded_creations(
    verified: &mut crate::promote::Verified,
    results: &[FileResult],
    engine: &Engine,
) {
    let kept: std::collections::HashSet<PathBuf> = verified
        .session
        .proposals()
        .iter()
        .filter(|p| matches!(p.change, Kind::Modify { .. }))
        .map(|p| p.path.clone())
        .collect();
    let needed: std::collections::HashSet<PathBuf> = engine
        .rules
        .iter()
        .flat_map(|prepared| {
            let users = rule_users(results, prepared.meta.id, |p| kept.contains(p));
            prepared.rule.new_files(&users)
        })
        .map(|(path, _)| path)
        .collect();
    let mut dropped = Vec::new();
    verified.session.retain(|p| {
        let keep = !matches!(p.change, Kind::Create { .. }) || needed.contains(&p.path);
        if !keep {
            dropped.push(p.display.clone());
        }
        keep
    });
    for file in dropped {
        verified.report.promoted = verified.report.promoted.saturating_sub(1);
        verified
            .report
            .rolled_back
            .push(crate::promote::RolledBack {
                file,
                reasons: vec![
                    "created for files that were all rolled back: not needed without them".into(),
                ],
            });
    }
    verified
        .report
        .rolled_back
        .sort_by(|a, b| a.file.cmp(&b.file));
}

/// The files a write would modify (absolute path, as displayed): the dirty check's
/// input.
fn modified(proposals: &[Proposal]) -> Vec<(PathBuf, String)> {
    proposals
        .iter()
        .filter(|p| matches!(p.change, Kind::Modify { .. }))
        .map(|p| (p.path.clone(), p.display.clone()))
        .collect()
}

/// Files with uncommitted changes among `files` (those `--write` would change).
fn refuse_dirty(workspace: &Workspace, files: &[(PathBuf, String)]) -> Result<(), FixError> {
    let mut dirty = Vec::new();
    for (index, worktree) in workspace.worktrees.iter().enumerate() {
        // Each file belongs to the innermost worktree holding it.
        let mine: Vec<&(PathBuf, String)> = files
            .iter()
            .filter(|(path, _)| {
                workspace
                    .worktrees
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| path.starts_with(&w.root))
                    .max_by_key(|(_, w)| w.root.as_os_str().len())
                    .is_some_and(|(i, _)| i == index)
            })
            .collect();
        // Without git there is nothing committed to compare with (and nothing to lose
        // that git would keep); in a repository, a check that cannot run refuses.
        if worktree.kind == crate::workspace::WorktreeKind::Plain || mine.is_empty() {
            continue;
        }
        dirty.extend(dirty_in(&worktree.root, &worktree.path, &mine)?);
    }
    dirty_error(dirty)
}

/// The displayed names of those of `files` (in the worktree at `root`) that are not as
/// committed; a git that cannot answer is an error naming the worktree (`shown`).
fn dirty_in(
    root: &Path,
    shown: &str,
    files: &[&(PathBuf, String)],
) -> Result<Vec<String>, FixError> {
    let paths: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
    let found = git::dirty_files(root, &paths).map_err(|reason| FixError::DirtyCheck {
        worktree: shown.to_owned(),
        reason,
    })?;
    Ok(files
        .iter()
        .filter(|(p, _)| found.contains(p))
        .map(|(_, d)| d.clone())
        .collect())
}

/// Refuses when any of `files` (absolute path, as displayed) has uncommitted changes, for
/// a command without a [`Workspace`] (`dash test --fix --write`): each file is checked in
/// the innermost git worktree holding it; a file outside git is never refused, and a git
/// that cannot answer refuses, as in [`refuse_dirty`].
pub(crate) fn refuse_dirty_files(files: &[(PathBuf, String)]) -> Result<(), FixError> {
    let mut by_worktree: std::collections::BTreeMap<PathBuf, Vec<&(PathBuf, String)>> =
        std::collections::BTreeMap::new();
    for file in files {
        let Some(top) = file.0.parent().and_then(git::enclosing_worktree) else {
            continue;
        };
        by_worktree.entry(top).or_default().push(file);
    }
    let mut dirty = Vec::new();
    for (top, mine) in by_worktree {
        dirty.extend(dirty_in(&top, &top.display().to_string(), &mine)?);
    }
    dirty_error(dirty)
}

/// `Dirty` naming these files, or `Ok` when there are none.
fn dirty_error(mut dirty: Vec<String>) -> Result<(), FixError> {
    if dirty.is_empty() {
        return Ok(());
    }
    dirty.sort();
    dirty.dedup();
    let list = dirty
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n");
    Err(FixError::Dirty {
        count: dirty.len(),
        list,
    })
}

#[derive(Debug, Serialize)]
struct Located {
    path: String,
    line: u32,
    column: u32,
    rule: &'static str,
    /// The finding's group (console: the method).
    method: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    applicability: Option<Applicability>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<Cow<'static, str>>,
    /// The file's category (its policy decided what happened).
    category: crate::workspace::Category,
}

#[derive(Debug, Serialize)]
struct Problem {
    path: String,
    message: String,
}

/// What the project's formatter did with the changed files.
#[derive(Debug, Default, Serialize)]
struct FormattingSummary {
    /// Files formatted, by formatter (`prettier`, `biome`, or the configured command).
    formatted: std::collections::BTreeMap<String, usize>,
    /// Files left as the fix made them because the formatter would also have changed
    /// their original text (lines dash did not touch).
    #[serde(rename = "notClean")]
    not_clean: Vec<String>,
    /// Changed files for which no formatter is configured or installed.
    #[serde(rename = "noFormatter")]
    no_formatter: usize,
}

#[derive(Debug, Serialize)]
struct LoggerSummary {
    module: String,
    export: String,
    style: crate::config::LoggerStyle,
    origin: &'static str,
    created: bool,
    /// How many other packages' loggers rewritten files import (a monorepo: each
    /// package uses its own).
    #[serde(rename = "otherPackages", skip_serializing_if = "is_zero")]
    other_packages: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Where `--write` recorded the write for `dash undo`.
#[derive(Debug, Serialize)]
struct JournalSummary {
    /// Journal entry ids (one per worktree written to).
    ids: Vec<String>,
    /// Files written outside any git repository: not recorded, not undoable.
    #[serde(rename = "notJournaled")]
    not_journaled: Vec<String>,
}

/// Everything the summary and `--format json` report.
#[derive(Debug, Serialize)]
struct Summary {
    schema: &'static str,
    version: u32,
    /// The console rule's logger (absent when console does not run).
    #[serde(skip_serializing_if = "Option::is_none")]
    logger: Option<LoggerSummary>,
    #[serde(rename = "filesChanged")]
    files_changed: usize,
    /// Files a rule creates (console: the logger module).
    #[serde(rename = "filesCreated")]
    files_created: usize,
    /// Console calls rewritten to the logger.
    rewritten: usize,
    /// Console calls removed.
    removed: usize,
    /// Calls left as they are by a `keep` policy.
    kept: usize,
    /// Fixes of the other rules (the test rules).
    #[serde(rename = "otherFixes")]
    other_fixes: usize,
    changes: Vec<Located>,
    #[serde(rename = "needsJudgement")]
    needs_judgement: Vec<Located>,
    /// Findings with an unsafe fix this run did not apply, and findings without a fix.
    unfixed: Vec<Located>,
    refused: Vec<Problem>,
    skipped: Vec<Problem>,
    errors: Vec<Problem>,
    formatting: FormattingSummary,
    #[serde(skip)]
    failed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    written: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    journal: Option<JournalSummary>,
    /// `--agent`: the tasks, the files the agent changed, the edits dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    agent: Option<super::fix_agent::AgentSummary>,
}

impl Summary {
    fn new(
        results: &[FileResult],
        logger: Option<(&LoggerTarget, usize)>,
        created: bool,
        cwd: Option<&Path>,
        // Every change located (only the JSON report lists them; a big file has
        // hundreds of thousands).
        list_changes: bool,
    ) -> Summary {
        let logger = logger.map(|(logger, others)| LoggerSummary {
            module: match &logger.module {
                LoggerModule::File(path) => display_path(path, cwd),
                LoggerModule::Specifier(s) => s.clone(),
            },
            export: logger.export.clone(),
            style: logger.style,
            origin: logger.origin,
            created,
            other_packages: others,
        });
        let mut s = Summary {
            schema: "dash.fix",
            version: 1,
            logger,
            files_changed: 0,
            files_created: 0,
            rewritten: 0,
            removed: 0,
            kept: 0,
            other_fixes: 0,
            changes: vec![],
            needs_judgement: vec![],
            unfixed: vec![],
            refused: vec![],
            skipped: vec![],
            errors: vec![],
            formatting: FormattingSummary::default(),
            failed: 0,
            written: None,
            journal: None,
            agent: None,
        };
        let located = |r: &FileResult, c: &Record| Located {
            path: r.file.display.clone(),
            category: r.category,
            line: c.position.line,
            column: c.position.column,
            rule: c.rule,
            method: c.group.clone(),
            action: c.action,
            applicability: c.applicability,
            reason: c.reason.clone(),
        };
        for r in results {
            let path = &r.file.display;
            let located = |c: &Record| located(r, c);
            match &r.outcome {
                Outcome::Unchanged {
                    kept,
                    judgements,
                    unfixed,
                } => {
                    s.kept += kept;
                    s.needs_judgement.extend(judgements.iter().map(located));
                    s.unfixed.extend(unfixed.iter().map(located));
                }
                Outcome::Changed {
                    fix, formatting, ..
                } => {
                    s.files_changed += 1;
                    match formatting {
                        Formatting::Formatted(name) => {
                            *s.formatting.formatted.entry(name.clone()).or_default() += 1
                        }
                        Formatting::NotClean(name) => s.formatting.not_clean.push(format!(
                            "{path} ({name} would also change lines dash did not touch)"
                        )),
                        Formatting::NoFormatter => s.formatting.no_formatter += 1,
                        Formatting::Off => {}
                    }
                    for c in &fix.fixed {
                        match (c.rule, c.action) {
                            (CONSOLE, Some("rewrite")) => s.rewritten += 1,
                            (CONSOLE, Some("remove")) => s.removed += 1,
                            _ => s.other_fixes += 1,
                        }
                        if list_changes {
                            s.changes.push(located(c));
                        }
                    }
                    s.needs_judgement.extend(fix.judgements.iter().map(located));
                    s.unfixed.extend(fix.unfixed.iter().map(located));
                }
                Outcome::Refused { reason, fix } => {
                    s.refused.push(Problem {
                        path: path.clone(),
                        message: reason.clone(),
                    });
                    s.needs_judgement.extend(fix.judgements.iter().map(located));
                }
                Outcome::Skipped(skip) => s.skipped.push(Problem {
                    path: path.clone(),
                    message: skip.to_string(),
                }),
                Outcome::Failed(message) => {
                    s.failed += 1;
                    s.errors.push(Problem {
                        path: path.clone(),
                        message: message.clone(),
                    });
                }
            }
        }
        s
    }
}

/// How a record is named in the summary: `console.log`, or the rule id.
fn label(c: &Located) -> String {
    if c.rule == CONSOLE {
        format!("console.{}", c.method)
    } else {
        c.rule.to_owned()
    }
}

/// The names on the preview's hunk headers, each with what its fixes did here and whether
/// any was unsafe: `rules: console (console → logger), focused-test (unfocus, unsafe),
/// import (imports the fixes need)`. `None` when no hunk names anything.
fn legend(
    changes: &[review::FileChange<'_>],
    results: &[FileResult],
    agent: Option<&'static str>,
) -> Option<String> {
    // An unsafe fix's edits are labelled `<rule> (unsafe)` on the headers.
    let mut shown: Vec<&str> = Vec::new();
    for change in changes {
        for (_, origin) in change.edits.iter() {
            let id = origin.strip_suffix(" (unsafe)").unwrap_or(origin);
            if !shown.contains(&id) {
                shown.push(id);
            }
        }
    }
    let mut rules: Vec<(&str, Vec<&'static str>, bool)> = shown
        .iter()
        .map(|id| {
            let what = if *id == crate::edit::imports::RULE_ID {
                vec!["imports the fixes need"]
            } else if Some(*id) == agent {
                vec!["edits for findings that need judgement"]
            } else {
                Vec::new()
            };
            // The agent's edits are unsafe: written only with --unsafe-fixes or -i.
            (*id, what, Some(*id) == agent)
        })
        .collect();
    for r in results {
        let Outcome::Changed { fix, .. } = &r.outcome else {
            continue;
        };
        for record in &fix.fixed {
            let Some(entry) = rules.iter_mut().find(|(id, _, _)| *id == record.rule) else {
                continue;
            };
            if let Some(action) = record.action {
                let action = match (record.rule, action) {
                    (CONSOLE, "rewrite") => "console → logger",
                    (CONSOLE, "remove") => "console call removed",
                    (_, other) => other,
                };
                if !entry.1.contains(&action) {
                    entry.1.push(action);
                }
            }
            entry.2 |= record.applicability == Some(Applicability::Unsafe);
        }
    }
    if rules.is_empty() {
        return None;
    }
    // Registry order; what is not a rule (imports) last.
    let rank = |id: &str| {
        crate::rules::RULES
            .iter()
            .position(|r| r.meta().id == id)
            .unwrap_or(usize::MAX)
    };
    rules.sort_by_key(|(id, _, _)| rank(id));
    let entries: Vec<String> = rules
        .into_iter()
        .map(|(id, mut what, unsafe_)| {
            what.sort();
            let mut what: Vec<&str> = what;
            if unsafe_ {
                what.push("unsafe");
            }
            if what.is_empty() {
                id.to_owned()
            } else {
                format!("{id} ({})", what.join(", "))
            }
        })
        .collect();
    Some(format!(
        "rules: {}; `dash rules ID` explains each",
        entries.join(", ")
    ))
}

/// The summary after a preview, a patch, a check or a write. Quiet (`-q`): only the
/// errors (files that could not be read); `--format json` is the output itself and is
/// printed whole.
fn print_summary(out: &mut dyn Write, s: &Summary, format: Format, color: bool, quiet: bool) {
    use owo_colors::OwoColorize;
    if format == Format::Json {
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(s).expect("summary serializes")
        );
        return;
    }
    if quiet {
        for e in &s.errors {
            let _ = writeln!(out, "error: {}: {}", e.path, e.message);
        }
        return;
    }
    let bold = |t: String| if color { t.bold().to_string() } else { t };
    let (verb, created_verb) = if s.written.is_some() {
        ("changed", "created")
    } else {
        ("would change", "would be created")
    };
    let created = match s.files_created {
        0 => String::new(),
        n => format!(" and {n} {created_verb}"),
    };
    let judged = format!(
        "{} need{} judgement",
        s.needs_judgement.len(),
        if s.needs_judgement.len() == 1 {
            "s"
        } else {
            ""
        }
    );
    // The console counts only when the console rule ran.
    let counts = if s.logger.is_some() {
        format!(
            "{} call{} rewritten to the logger, {} removed, {} kept by policy, {judged}",
            s.rewritten,
            if s.rewritten == 1 { "" } else { "s" },
            s.removed,
            s.kept,
        )
    } else {
        format!(
            "{} fix{}, {judged}",
            s.other_fixes,
            if s.other_fixes == 1 { "" } else { "es" }
        )
    };
    let _ = writeln!(
        out,
        "{}",
        bold(format!(
            "{} file{} {verb}{created}: {counts}",
            s.files_changed,
            if s.files_changed == 1 { "" } else { "s" },
        ))
    );
    if s.other_fixes > 0 {
        let _ = writeln!(
            out,
            "{} test-rule fix{} {}",
            s.other_fixes,
            if s.other_fixes == 1 { "" } else { "es" },
            if s.written.is_some() {
                "applied"
            } else {
                "to apply"
            }
        );
    }
    for (name, n) in &s.formatting.formatted {
        let _ = writeln!(
            out,
            "{n} changed file{} formatted with {name}",
            if *n == 1 { "" } else { "s" }
        );
    }
    if !s.formatting.not_clean.is_empty() {
        let _ = writeln!(
            out,
            "not formatted (the formatter would also reformat code dash did not change):"
        );
        for line in &s.formatting.not_clean {
            let _ = writeln!(out, "  {line}");
        }
    }
    if s.formatting.no_formatter > 0 {
        let _ = writeln!(
            out,
            "{} changed file{} not formatted: no [format] command, and no prettier or biome configuration with the formatter installed in node_modules",
            s.formatting.no_formatter,
            if s.formatting.no_formatter == 1 {
                ""
            } else {
                "s"
            },
        );
    }
    if let Some(logger) = &s.logger {
        let created = if logger.created {
            if s.written.is_some() {
                ", created"
            } else {
                ", to be created"
            }
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "logger: {{ {} }} from {} ({:?} style; {}{created}){}",
            logger.export,
            logger.module,
            logger.style,
            logger.origin,
            match logger.other_packages {
                0 => String::new(),
                1 => "; 1 other package imports its own".to_owned(),
                n => format!("; {n} other packages import their own"),
            }
        );
    }
    if !s.needs_judgement.is_empty() {
        let _ = writeln!(out, "\nneeds judgement (left as it is):");
        for j in &s.needs_judgement {
            let _ = writeln!(
                out,
                "  {}:{}:{} {}: {}",
                j.path,
                j.line,
                j.column,
                label(j),
                j.reason.as_deref().unwrap_or("")
            );
        }
    }
    if let Some(agent) = &s.agent {
        print_agent(out, agent, s.written.is_some());
    }
    if !s.unfixed.is_empty() {
        let _ = writeln!(out, "\nnot fixed:");
        for u in &s.unfixed {
            let _ = writeln!(
                out,
                "  {}:{}:{} {}: {}",
                u.path,
                u.line,
                u.column,
                label(u),
                u.reason.as_deref().unwrap_or("")
            );
        }
    }
    if !s.refused.is_empty() {
        let _ = writeln!(out, "\nleft unchanged:");
        for r in &s.refused {
            let _ = writeln!(out, "  {}: {}", r.path, r.message);
        }
    }
    for skip in &s.skipped {
        let _ = writeln!(out, "note: {}: {}", skip.path, skip.message);
    }
    for e in &s.errors {
        let _ = writeln!(out, "error: {}: {}", e.path, e.message);
    }
    if let Some(written) = s.written {
        let _ = writeln!(
            out,
            "wrote {written} file{}",
            if written == 1 { "" } else { "s" }
        );
        if let Some(journal) = &s.journal {
            if !journal.ids.is_empty() {
                let _ = writeln!(
                    out,
                    "recorded as {}: `dash undo` restores what was written",
                    journal.ids.join(", ")
                );
            }
            if !journal.not_journaled.is_empty() {
                let _ = writeln!(
                    out,
                    "note: not in a git repository, so not recorded for `dash undo`: {}",
                    journal.not_journaled.join(", ")
                );
            }
        }
    } else if s.files_changed > 0 {
        let _ = writeln!(out, "\nnothing was written; run with --write to apply");
    }
}

/// The agent's part of the summary: its tasks, the files it changed and whether they
/// are written, and the edits dropped.
fn print_agent(out: &mut dyn Write, agent: &super::fix_agent::AgentSummary, written: bool) {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let finished = agent
        .tasks
        .iter()
        .filter(|t| t.outcome == "finished")
        .count();
    let turns: u64 = agent.tasks.iter().map(|t| t.turns).sum();
    let tokens: u64 = agent.tasks.iter().map(|t| t.tokens).sum();
    let cost: f64 = agent.tasks.iter().map(|t| t.cost).sum();
    let _ = writeln!(
        out,
        "\nagent ({}): {}, {finished} finished; {}, {tokens} tokens, ${cost:.4}",
        agent.model,
        plural(agent.tasks.len(), "task"),
        plural(turns as usize, "turn"),
    );
    for t in agent.tasks.iter().filter(|t| t.outcome != "finished") {
        let _ = writeln!(
            out,
            "  {}: {}: {}",
            t.label,
            t.outcome,
            t.error.as_deref().unwrap_or("")
        );
    }
    if !agent.files.is_empty() {
        let files = format!(
            "agent edits in {}: {}",
            plural(agent.files.len(), "file"),
            agent.files.join(", ")
        );
        let _ = match (agent.applied, written) {
            (true, true) => writeln!(out, "{files} (unsafe; written with --unsafe-fixes)"),
            (true, false) => writeln!(out, "{files} (unsafe; included with --unsafe-fixes)"),
            (false, _) => writeln!(
                out,
                "{files} (unsafe: in the preview, not written; apply them with --write \
                 --unsafe-fixes, or review them with -i)"
            ),
        };
    }
    for d in &agent.dropped {
        let _ = writeln!(out, "  dropped: {}: {}", d.path, d.message);
    }
}

/// Every finding left for judgement, as a task for the agent, in path and line order.
fn handovers(results: &[FileResult], workspace: &Workspace) -> Vec<super::fix_agent::Handover> {
    let mut out = Vec::new();
    for r in results {
        let judgements = match &r.outcome {
            Outcome::Unchanged { judgements, .. } => judgements,
            Outcome::Changed { fix, .. } | Outcome::Refused { fix, .. } => &fix.judgements,
            Outcome::Skipped(_) | Outcome::Failed(_) => continue,
        };
        let Some(worktree) = workspace.worktrees.get(r.file.worktree) else {
            continue;
        };
        let Ok(rel) = r.file.path.strip_prefix(&worktree.root) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        for j in judgements {
            out.push(super::fix_agent::Handover {
                path: r.file.path.clone(),
                root: worktree.root.clone(),
                task: crate::agent::judgement::JudgementTask {
                    path: rel.clone(),
                    line: j.position.line,
                    column: j.position.column,
                    rule: j.rule,
                    group: j.group.clone(),
                    reason: j.reason.as_deref().unwrap_or("").to_owned(),
                },
            });
        }
    }
    out.sort_by(|a, b| {
        (&a.task.path, a.task.line, a.task.column).cmp(&(&b.task.path, b.task.line, b.task.column))
    });
    out
}

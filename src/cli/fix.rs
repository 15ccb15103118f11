//! `dash fix`: the console codemod over a workspace. A preview by default; `--write`
//! applies, `--diff` prints a patch, `--check` only answers whether anything would change.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use miette::Diagnostic;
use rayon::prelude::*;
use serde::Serialize;
use thiserror::Error;

use super::{Exit, GlobalArgs};
use crate::config::Config;
use crate::edit::{self, FileText, WriteError};
use crate::fix::{self, FileFix, FileInput, FixContext, LoggerModule, LoggerTarget};
use crate::review::{self, FileChange};
use crate::rules::console;
use crate::rules::console::fix::Action;
use crate::workspace::source::{self, Candidate, Skip};
use crate::workspace::{SourceFile, Workspace, display_path, git};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RuleName {
    Console,
}

#[derive(Debug, clap::Args)]
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
    /// Rules to run.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "console")]
    pub rules: Vec<RuleName>,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write even where files to change have uncommitted changes.
    #[arg(long)]
    pub allow_dirty: bool,
    /// Include the repository's other worktrees when a worktree's top is named.
    #[arg(long)]
    pub worktrees: bool,
    #[command(flatten)]
    pub walk: super::WalkArgs,
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
}

/// What happened to one file.
enum Outcome {
    /// Nothing to change; `kept` calls left by a keep policy, and calls that need judgement.
    Unchanged {
        kept: usize,
        judgements: Vec<fix::CallRecord>,
    },
    Changed {
        original: Vec<u8>,
        file_text: FileText,
        fix: FileFix,
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
    outcome: Outcome,
}

pub fn run(args: &FixArgs, global: &GlobalArgs) -> miette::Result<Exit> {
    let (config, workspace) =
        super::load_workspace(&args.paths, &args.walk, args.worktrees, global)?;
    let start = args
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    let root = fix::logger::project_root(&config, &start);
    let logger = fix::logger::discover(&config, &root);
    let ctx = FixContext {
        config: &config,
        logger: &logger,
        package_is_module: fix::logger::package_is_module(&root),
        requires_extension: fix::logger::project_requires_extensions(&root),
    };

    let results: Vec<FileResult> = super::with_threads(global.threads, || {
        workspace
            .files
            .par_iter()
            .map(|file| FileResult {
                file,
                outcome: fix_one(file, &ctx, &config),
            })
            .collect()
    });

    let cwd = std::env::current_dir()
        .ok()
        .and_then(|d| std::fs::canonicalize(d).ok());
    let new_module = new_logger_module(&logger, &results, cwd.as_deref());
    let summary = Summary::new(&results, &logger, new_module.as_ref(), cwd.as_deref());
    // Diffs are built only where they are printed.
    let changes = || file_changes(&results, new_module.as_ref());
    let color = super::color_enabled(global.color, std::io::stdout().is_terminal());

    let mut stdout = std::io::stdout().lock();
    let mut exit = if summary.failed > 0 {
        Exit::Partial
    } else {
        Exit::Clean
    };
    if args.write {
        if !args.allow_dirty {
            refuse_dirty(&workspace, &results)?;
        }
        let written = apply(&results, new_module.as_ref(), &mut exit);
        let mut summary = summary;
        summary.written = Some(written);
        print_summary(&mut stdout, &summary, args.format, color);
    } else if args.diff {
        let _ = stdout.write_all(review::patch::render(&changes()).as_bytes());
        print_summary(&mut std::io::stderr().lock(), &summary, args.format, false);
    } else if args.check {
        print_summary(&mut stdout, &summary, args.format, color);
        let would_change = summary.files_changed > 0 || new_module.is_some();
        if would_change && exit == Exit::Clean {
            exit = Exit::Findings;
        }
    } else {
        if args.format == Format::Text {
            for change in &changes() {
                let _ = stdout.write_all(review::diff::render(change, color).as_bytes());
            }
        }
        print_summary(&mut stdout, &summary, args.format, color);
    }
    let _ = stdout.flush();
    Ok(exit)
}

/// Reads, fixes and classifies one file (pure except for the read).
fn fix_one(file: &SourceFile, ctx: &FixContext, config: &Config) -> Outcome {
    let original =
        match source::read_candidate(&file.path, config.limits.max_file_size, console::NEEDLE) {
            Ok(Candidate::Text(bytes)) => bytes,
            Ok(Candidate::NoNeedle { .. }) => {
                return Outcome::Unchanged {
                    kept: 0,
                    judgements: Vec::new(),
                };
            }
            Ok(Candidate::Skipped(skip)) => return Outcome::Skipped(skip),
            Err(err) => return Outcome::Failed(err.to_string()),
        };
    let Some(file_text) = FileText::from_bytes(&original) else {
        return Outcome::Skipped(Skip::NotUtf8 { offset: 0 });
    };
    let input = FileInput {
        path: &file.path,
        lang: file.lang,
        category: file.category,
        text: &file_text.text,
        newline: file_text.ending.as_str(),
    };
    let fix = fix::fix_file(&input, ctx);
    if let Some(refusal) = &fix.refused {
        return Outcome::Refused {
            reason: refusal.to_string(),
            fix,
        };
    }
    if fix.changed(&file_text.text) {
        Outcome::Changed {
            original,
            file_text,
            fix,
        }
    } else {
        let kept = if ctx.config.policy_for(file.category) == crate::config::ConsolePolicy::Keep {
            console::scan(file.lang, file_text.text.as_bytes(), false)
                .uses
                .len()
        } else {
            0
        };
        Outcome::Unchanged {
            kept,
            judgements: fix.judgements,
        }
    }
}

/// The logger module to create, when one is proposed and some change imports it.
fn new_logger_module(
    logger: &LoggerTarget,
    results: &[FileResult],
    cwd: Option<&Path>,
) -> Option<(PathBuf, String, String)> {
    let text = logger.create.as_ref()?;
    let LoggerModule::File(path) = &logger.module else {
        return None;
    };
    let needed = results.iter().any(|r| matches!(&r.outcome, Outcome::Changed { fix, .. } if fix.import_added || fix.fixed.iter().any(|c| c.action == Some(Action::Rewrite))));
    needed.then(|| (path.clone(), display_path(path, cwd), text.clone()))
}

fn file_changes(
    results: &[FileResult],
    new_module: Option<&(PathBuf, String, String)>,
) -> Vec<FileChange> {
    let mut changes: Vec<FileChange> = results
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Changed {
                original,
                file_text,
                fix,
            } => {
                // The diff shows the bytes as they will be written (BOM and CRLF kept).
                let old = String::from_utf8_lossy(original).into_owned();
                let new = String::from_utf8_lossy(&file_text.to_bytes(&fix.new_text)).into_owned();
                let bom = if file_text.bom { 3 } else { 0 };
                let edits = fix
                    .edits
                    .iter()
                    .map(|(range, rule)| (range.start + bom..range.end + bom, *rule))
                    .collect();
                Some(FileChange {
                    path: r.file.display.clone(),
                    old: Some(old),
                    new,
                    edits,
                })
            }
            _ => None,
        })
        .collect();
    if let Some((_, display, text)) = new_module {
        changes.push(FileChange {
            path: display.clone(),
            old: None,
            new: text.clone(),
            edits: vec![],
        });
        changes.sort_by(|a, b| a.path.cmp(&b.path));
    }
    changes
}

/// Files with uncommitted changes among those `--write` would change.
fn refuse_dirty(workspace: &Workspace, results: &[FileResult]) -> Result<(), FixError> {
    let mut dirty = Vec::new();
    for (index, worktree) in workspace.worktrees.iter().enumerate() {
        let files: Vec<PathBuf> = results
            .iter()
            .filter(|r| r.file.worktree == index && matches!(r.outcome, Outcome::Changed { .. }))
            .map(|r| r.file.path.clone())
            .collect();
        if let Some(found) = git::dirty_files(&worktree.root, &files) {
            dirty.extend(
                results
                    .iter()
                    .filter(|r| found.contains(&r.file.path))
                    .map(|r| r.file.display.clone()),
            );
        }
    }
    if dirty.is_empty() {
        return Ok(());
    }
    dirty.sort();
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

/// Writes every changed file (and the new logger module first); a file that changed on
/// disk since it was read is skipped with a diagnostic, and the rest go on.
fn apply(
    results: &[FileResult],
    new_module: Option<&(PathBuf, String, String)>,
    exit: &mut Exit,
) -> usize {
    let mut written = 0;
    if let Some((path, _, text)) = new_module {
        match edit::create_new(path, text.as_bytes()) {
            Ok(()) => written += 1,
            Err(err) => {
                eprintln!("{:?}", miette::Report::new(err));
                *exit = Exit::Partial;
                return written;
            }
        }
    }
    for result in results {
        let Outcome::Changed {
            original,
            file_text,
            fix,
        } = &result.outcome
        else {
            continue;
        };
        match edit::write_if_unchanged(
            &result.file.path,
            original,
            &file_text.to_bytes(&fix.new_text),
        ) {
            Ok(()) => written += 1,
            Err(
                err @ (WriteError::Changed { .. }
                | WriteError::Exists { .. }
                | WriteError::Io { .. }),
            ) => {
                eprintln!("{:?}", miette::Report::new(err));
                *exit = Exit::Partial;
            }
        }
    }
    written
}

#[derive(Debug, Serialize)]
struct Located {
    path: String,
    line: u32,
    column: u32,
    method: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct Problem {
    path: String,
    message: String,
}

#[derive(Debug, Serialize)]
struct LoggerSummary {
    module: String,
    export: String,
    style: crate::config::LoggerStyle,
    origin: &'static str,
    created: bool,
}

/// Everything the summary and `--format json` report.
#[derive(Debug, Serialize)]
struct Summary {
    schema: &'static str,
    version: u32,
    logger: LoggerSummary,
    #[serde(rename = "filesChanged")]
    files_changed: usize,
    rewritten: usize,
    removed: usize,
    /// Calls left as they are by a `keep` policy.
    kept: usize,
    changes: Vec<Located>,
    #[serde(rename = "needsJudgement")]
    needs_judgement: Vec<Located>,
    refused: Vec<Problem>,
    skipped: Vec<Problem>,
    errors: Vec<Problem>,
    #[serde(skip)]
    failed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    written: Option<usize>,
}

impl Summary {
    fn new(
        results: &[FileResult],
        logger: &LoggerTarget,
        new_module: Option<&(PathBuf, String, String)>,
        cwd: Option<&Path>,
    ) -> Summary {
        let module = match &logger.module {
            LoggerModule::File(path) => display_path(path, cwd),
            LoggerModule::Specifier(s) => s.clone(),
        };
        let mut s = Summary {
            schema: "dash.fix",
            version: 1,
            logger: LoggerSummary {
                module,
                export: logger.export.clone(),
                style: logger.style,
                origin: logger.origin,
                created: new_module.is_some(),
            },
            files_changed: 0,
            rewritten: 0,
            removed: 0,
            kept: 0,
            changes: vec![],
            needs_judgement: vec![],
            refused: vec![],
            skipped: vec![],
            errors: vec![],
            failed: 0,
            written: None,
        };
        let located = |path: &str, c: &fix::CallRecord| Located {
            path: path.to_owned(),
            line: c.position.line,
            column: c.position.column,
            method: c.method.clone(),
            action: c.action.map(|a| {
                if a == Action::Rewrite {
                    "rewrite"
                } else {
                    "remove"
                }
            }),
            reason: c.reason,
        };
        for r in results {
            let path = &r.file.display;
            match &r.outcome {
                Outcome::Unchanged { kept, judgements } => {
                    s.kept += kept;
                    s.needs_judgement
                        .extend(judgements.iter().map(|c| located(path, c)));
                }
                Outcome::Changed { fix, .. } => {
                    s.files_changed += 1;
                    for c in &fix.fixed {
                        match c.action {
                            Some(Action::Rewrite) => s.rewritten += 1,
                            Some(Action::Remove) => s.removed += 1,
                            None => {}
                        }
                        s.changes.push(located(path, c));
                    }
                    s.needs_judgement
                        .extend(fix.judgements.iter().map(|c| located(path, c)));
                }
                Outcome::Refused { reason, fix } => {
                    s.refused.push(Problem {
                        path: path.clone(),
                        message: reason.clone(),
                    });
                    s.needs_judgement
                        .extend(fix.judgements.iter().map(|c| located(path, c)));
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

fn print_summary(out: &mut dyn Write, s: &Summary, format: Format, color: bool) {
    use owo_colors::OwoColorize;
    if format == Format::Json {
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(s).expect("summary serializes")
        );
        return;
    }
    let bold = |t: String| if color { t.bold().to_string() } else { t };
    let verb = if s.written.is_some() {
        "changed"
    } else {
        "would change"
    };
    let _ = writeln!(
        out,
        "{}",
        bold(format!(
            "{} file{} {verb}: {} call{} rewritten to the logger, {} removed, {} kept by policy, {} need{} judgement",
            s.files_changed,
            if s.files_changed == 1 { "" } else { "s" },
            s.rewritten,
            if s.rewritten == 1 { "" } else { "s" },
            s.removed,
            s.kept,
            s.needs_judgement.len(),
            if s.needs_judgement.len() == 1 {
                "s"
            } else {
                ""
            },
        ))
    );
    let created = if s.logger.created {
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
        "logger: {{ {} }} from {} ({:?} style; {}{created})",
        s.logger.export, s.logger.module, s.logger.style, s.logger.origin
    );
    if !s.needs_judgement.is_empty() {
        let _ = writeln!(out, "\nneeds judgement (left as it is):");
        for j in &s.needs_judgement {
            let _ = writeln!(
                out,
                "  {}:{}:{} console.{}: {}",
                j.path,
                j.line,
                j.column,
                j.method,
                j.reason.unwrap_or("")
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
    } else if s.files_changed > 0 {
        let _ = writeln!(out, "\nnothing was written; run with --write to apply");
    }
}

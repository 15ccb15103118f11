//! `dash undo`: restores the files of the last `--write` (any command) from the
//! journal under the worktree's git dir, byte for byte and mode for mode, refusing
//! each file changed since; `--turn` restores every write of the newest agent turn
//! (an agent journals each edit as it makes it, so a turn is several entries);
//! `--list` shows the recorded writes.

use std::io::{IsTerminal, Write};

use miette::Diagnostic;
use serde::Serialize;
use thiserror::Error;

use super::{Exit, GlobalArgs};
use crate::journal::{self, Action, FileStatus, Journal, UndoOutcome, Undone};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct UndoArgs {
    /// The write to undo (an id from `--list`); it must be the newest not undone yet.
    pub id: Option<String>,
    /// List the recorded writes, newest first, instead of undoing one.
    #[arg(long, conflicts_with = "id")]
    pub list: bool,
    /// Undo every write of the newest agent turn (`dash agent` in auto-edit or
    /// full-auto mode records each edit as it is made), newest first.
    #[arg(long, conflicts_with_all = ["id", "list"])]
    pub turn: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Error, Diagnostic)]
pub enum UndoCliError {
    #[error("{} is not in a git repository, where dash keeps its undo journal", dir.display())]
    #[diagnostic(
        code(dash::undo::no_repository),
        help(
            "run dash undo inside the worktree that was written to; writes outside a git repository are not recorded"
        )
    )]
    NotInRepository { dir: std::path::PathBuf },
}

impl crate::exit::HasExit for UndoCliError {
    fn exit(&self) -> Exit {
        Exit::Usage
    }
}

pub fn run(args: &UndoArgs, global: &GlobalArgs) -> miette::Result<Exit> {
    let cwd = std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .map_err(|err| miette::miette!("cannot read the current folder: {err}"))?;
    let journal = Journal::locate(&cwd).ok_or(UndoCliError::NotInRepository { dir: cwd })?;
    let color = super::color_enabled(global.color, std::io::stdout().is_terminal());
    let mut stdout = std::io::stdout().lock();
    if args.list {
        let entries = journal.entries()?;
        print_list(&mut stdout, &entries, args.format, color);
        let _ = stdout.flush();
        return Ok(Exit::Clean);
    }
    let undone: Vec<Undone> = if args.turn {
        super::with_threads(global.threads, || journal::undo_turn(&journal))?
    } else {
        vec![super::with_threads(global.threads, || {
            journal::undo(&journal, args.id.as_deref())
        })?]
    };
    if args.turn && args.format == Format::Json {
        // One document for the turn: its entries, newest first.
        let doc = TurnJson {
            schema: "dash.undo.turn",
            version: 1,
            turn: undone
                .first()
                .and_then(|u| u.entry.turn.as_deref())
                .unwrap_or_default(),
            entries: undone.iter().map(undo_json).collect(),
        };
        let _ = writeln!(
            stdout,
            "{}",
            serde_json::to_string_pretty(&doc).expect("undo serializes")
        );
    } else {
        for one in &undone {
            print_undone(&mut stdout, one, args.format, global.quiet, color);
        }
    }
    let _ = stdout.flush();
    let failed = |pred: fn(&UndoOutcome) -> bool| {
        undone
            .iter()
            .flat_map(|u| &u.files)
            .any(|f| pred(&f.outcome))
    };
    Ok(if failed(|o| matches!(o, UndoOutcome::Failed(_))) {
        Exit::Partial
    } else if failed(|o| matches!(o, UndoOutcome::Refused(_))) {
        Exit::Findings
    } else {
        Exit::Clean
    })
}

#[derive(Serialize)]
struct ListJson<'a> {
    schema: &'static str,
    version: u32,
    entries: Vec<ListEntry<'a>>,
}

#[derive(Serialize)]
struct ListEntry<'a> {
    id: &'a str,
    time: &'a str,
    command: String,
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    turn: Option<&'a str>,
    files: Vec<ListFile<'a>>,
}

#[derive(Serialize)]
struct ListFile<'a> {
    path: &'a str,
    action: Action,
    written: bool,
}

fn print_list(out: &mut dyn Write, entries: &[journal::Entry], format: Format, color: bool) {
    use owo_colors::OwoColorize;
    let newest_first = entries.iter().rev();
    if format == Format::Json {
        let doc = ListJson {
            schema: "dash.undo.list",
            version: 1,
            entries: newest_first
                .map(|e| ListEntry {
                    id: &e.id,
                    time: &e.time,
                    command: e.command_line(),
                    state: e.state.as_str(),
                    turn: e.turn.as_deref(),
                    files: e
                        .files
                        .iter()
                        .map(|f| ListFile {
                            path: &f.path,
                            action: f.action,
                            written: f.status != FileStatus::Unwritten,
                        })
                        .collect(),
                })
                .collect(),
        };
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).expect("list serializes")
        );
        return;
    }
    if entries.is_empty() {
        let _ = writeln!(out, "no recorded writes");
        return;
    }
    for entry in newest_first {
        let id = if color {
            entry.id.bold().to_string()
        } else {
            entry.id.clone()
        };
        let turn = entry
            .turn
            .as_deref()
            .map(|t| format!("  (turn {t})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{id}  {:<13} {}  {}{turn}",
            entry.state.as_str(),
            entry.time,
            entry.command_line()
        );
        for file in &entry.files {
            let action = match file.action {
                Action::Modify => "modified",
                Action::Create => "created ",
            };
            let note = if file.status == FileStatus::Unwritten {
                " (not written)"
            } else {
                ""
            };
            let _ = writeln!(out, "  {action} {}{note}", file.path);
        }
    }
}

#[derive(Serialize)]
struct TurnJson<'a> {
    schema: &'static str,
    version: u32,
    turn: &'a str,
    entries: Vec<UndoJson<'a>>,
}

fn undo_json(undone: &Undone) -> UndoJson<'_> {
    let entry = &undone.entry;
    UndoJson {
        schema: "dash.undo",
        version: 1,
        id: &entry.id,
        command: entry.command_line(),
        state: entry.state.as_str(),
        files: &undone.files,
    }
}

#[derive(Serialize)]
struct UndoJson<'a> {
    schema: &'static str,
    version: u32,
    id: &'a str,
    command: String,
    state: &'static str,
    files: &'a [journal::FileUndo],
}

fn print_undone(out: &mut dyn Write, undone: &Undone, format: Format, quiet: bool, color: bool) {
    use owo_colors::OwoColorize;
    let entry = &undone.entry;
    if format == Format::Json {
        let doc = undo_json(undone);
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).expect("undo serializes")
        );
        return;
    }
    let count =
        |pred: fn(&UndoOutcome) -> bool| undone.files.iter().filter(|f| pred(&f.outcome)).count();
    let restored = count(|o| matches!(o, UndoOutcome::Restored));
    let removed = count(|o| matches!(o, UndoOutcome::Removed));
    let refused = count(|o| matches!(o, UndoOutcome::Refused(_) | UndoOutcome::Failed(_)));
    if !quiet {
        let verb = if undone.complete() {
            "undid"
        } else {
            "partly undid"
        };
        let head = format!("{verb} {} ({})", entry.id, entry.command_line());
        let _ = writeln!(
            out,
            "{}",
            if color { head.bold().to_string() } else { head }
        );
    }
    for file in &undone.files {
        let (label, reason) = match &file.outcome {
            UndoOutcome::Restored => ("restored", None),
            UndoOutcome::Removed => ("removed", None),
            UndoOutcome::Unchanged => ("unchanged", Some("already as before the write")),
            UndoOutcome::NotWritten => ("unchanged", Some("not written by that run")),
            UndoOutcome::Refused(reason) => ("refused", Some(reason.as_str())),
            UndoOutcome::Failed(reason) => ("failed", Some(reason.as_str())),
        };
        let problem = matches!(label, "refused" | "failed");
        if quiet && !problem {
            continue;
        }
        let _ = match reason {
            Some(reason) => writeln!(out, "  {label:<9} {}: {reason}", file.path),
            None => writeln!(out, "  {label:<9} {}", file.path),
        };
    }
    if quiet {
        return;
    }
    let _ = writeln!(
        out,
        "{restored} file{} restored, {removed} removed, {refused} refused",
        if restored == 1 { "" } else { "s" }
    );
    if refused > 0 {
        let _ = writeln!(
            out,
            "the refused files were left as they are; once they hold what dash wrote again (or \
             you restored them yourself), `dash undo` finishes this write"
        );
    }
}

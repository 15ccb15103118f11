//! `dash undo`: restoring the files of one entry, newest first.
//!
//! Each file is compared with the entry's hashes before anything is touched: a file
//! that still holds what dash wrote is restored (bytes and mode) or, if dash created
//! it, removed; a file that already holds the bytes before (never written, because
//! the write died before it, or restored by hand) needs nothing; anything else was
//! changed since, and is refused and named, never overwritten. The restores go
//! through `edit` (atomic, and only if the file is still what was compared).

use std::fs;
use std::io;

use rayon::prelude::*;
use serde::Serialize;

use super::{Action, Entry, FileStatus, Journal, JournalError, State, hash, id, rfc3339};
use crate::edit::{self, WriteError};

/// What `dash undo` did to one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome", content = "reason")]
pub enum UndoOutcome {
    /// Its bytes and mode before the write are back.
    Restored,
    /// dash had created it; it is gone (and the folders made for it, if empty).
    Removed,
    /// It already held its content before the write (never written, or restored).
    Unchanged,
    /// dash did not write it in that run.
    NotWritten,
    /// Changed since dash wrote it: left as it is.
    Refused(String),
    /// Could not be restored (I/O, a damaged journal copy): left as it is.
    Failed(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct FileUndo {
    pub path: String,
    #[serde(flatten)]
    pub outcome: UndoOutcome,
}

/// The result of undoing one entry.
#[derive(Debug, Clone)]
pub struct Undone {
    pub entry: Entry,
    pub files: Vec<FileUndo>,
}

impl Undone {
    /// Whether every file is back as it was (the entry is then marked undone).
    pub fn complete(&self) -> bool {
        self.files
            .iter()
            .all(|f| !matches!(f.outcome, UndoOutcome::Refused(_) | UndoOutcome::Failed(_)))
    }
}

/// Why an entry cannot be undone now.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum UndoError {
    #[error("nothing to undo: the journal in {} has no write left to undo", dir.display())]
    #[diagnostic(
        code(dash::undo::nothing),
        help(
            "`dash undo --list` shows the recorded writes; writes are recorded by `--write` runs"
        )
    )]
    Nothing { dir: std::path::PathBuf },
    #[error("no recorded write has the id {id}")]
    #[diagnostic(
        code(dash::undo::unknown),
        help("`dash undo --list` shows the recorded ids")
    )]
    Unknown { id: String },
    #[error("{id} is already undone")]
    #[diagnostic(
        code(dash::undo::already),
        help("`dash undo` undoes the newest write not undone yet: {newest}")
    )]
    AlreadyUndone { id: String, newest: String },
    #[error("{id} is not the newest write: undo {newer} first")]
    #[diagnostic(
        code(dash::undo::order),
        help(
            "writes are undone newest first: a later write may have changed the same files, and restoring an older state over it would lose that change"
        )
    )]
    OutOfOrder { id: String, newer: String },
    #[error("the newest write, {id} ({command}), is not an agent's turn")]
    #[diagnostic(
        code(dash::undo::not_a_turn),
        help(
            "`dash undo` undoes it; --turn undoes the writes of the newest agent turn (`dash agent --approval auto-edit` or full-auto) together"
        )
    )]
    NotATurn { id: String, command: String },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Journal(#[from] JournalError),
}

impl crate::exit::HasExit for UndoError {
    fn exit(&self) -> crate::exit::Exit {
        match self {
            UndoError::Journal(err) => err.exit(),
            _ => crate::exit::Exit::Usage,
        }
    }
}

/// Undoes the writes of the newest agent turn as one unit: the newest entry not undone
/// must carry a turn, and it and the entries before it of the same turn (recorded one
/// after another) are undone newest first. Stops at the first entry not undone
/// completely: what it refused is named, and the entries before it stay as they are
/// (undoing them under a file left changed would restore an older state over it);
/// `dash undo --turn` continues once the refused files are dealt with.
pub fn undo_turn(journal: &Journal) -> Result<Vec<Undone>, UndoError> {
    let entries = journal.entries()?;
    let open: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.state != State::Undone)
        .collect();
    let newest = open.last().ok_or_else(|| UndoError::Nothing {
        dir: journal.dir.clone(),
    })?;
    let Some(turn) = newest.turn.clone() else {
        return Err(UndoError::NotATurn {
            id: newest.id.clone(),
            command: newest.command_line(),
        });
    };
    let ids: Vec<String> = open
        .iter()
        .rev()
        .take_while(|e| e.turn.as_deref() == Some(turn.as_str()))
        .map(|e| e.id.clone())
        .collect();
    let mut undone = Vec::with_capacity(ids.len());
    for id in ids {
        let one = undo(journal, Some(&id))?;
        let complete = one.complete();
        undone.push(one);
        if !complete {
            break;
        }
    }
    Ok(undone)
}

/// Undoes the entry `id` (default: the newest not undone) if it is the newest not
/// undone, and records the outcome in it: `undone` when every file is back, else
/// `partly-undone` (and `dash undo` can be run again once the refused files are dealt
/// with: the restored ones then count as unchanged).
pub fn undo(journal: &Journal, id: Option<&str>) -> Result<Undone, UndoError> {
    let entries = journal.entries()?;
    let open: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.state != State::Undone)
        .collect();
    let newest = open.last().copied();
    let entry = match id {
        None => newest.ok_or_else(|| UndoError::Nothing {
            dir: journal.dir.clone(),
        })?,
        Some(id) => {
            let entry = entries
                .iter()
                .find(|e| e.id == id)
                .ok_or_else(|| UndoError::Unknown { id: id.to_owned() })?;
            if entry.state == State::Undone {
                return Err(UndoError::AlreadyUndone {
                    id: id.to_owned(),
                    newest: newest.map_or_else(|| "none".to_owned(), |e| e.id.clone()),
                });
            }
            if newest.is_some_and(|n| n.id != entry.id) {
                let newer: Vec<&str> = open
                    .iter()
                    .filter(|e| e.id > entry.id)
                    .rev()
                    .map(|e| e.id.as_str())
                    .collect();
                return Err(UndoError::OutOfOrder {
                    id: id.to_owned(),
                    newer: newer.join(", then "),
                });
            }
            entry
        }
    };
    let mut entry = entry.clone();
    // Files are independent, and each restore waits for its sync: in parallel.
    let files: Vec<FileUndo> = entry
        .files
        .par_iter()
        .map(|file| FileUndo {
            path: file.path.clone(),
            outcome: undo_file(journal, file),
        })
        .collect();
    // Then the folders dash made for the files it created, innermost first (files
    // created in one run may share them); a folder holding anything else stays.
    let mut folders: Vec<&str> = entry
        .files
        .iter()
        .zip(&files)
        .filter(|(_, undone)| undone.outcome == UndoOutcome::Removed)
        .flat_map(|(file, _)| file.created_dirs.iter().map(String::as_str))
        .collect();
    folders.sort_by(|a, b| b.cmp(a));
    folders.dedup();
    for dir in folders {
        edit::remove_dir_if_empty(&dir.split('/').fold(journal.top.clone(), |p, c| p.join(c)));
    }
    let mut undone = Undone {
        entry: entry.clone(),
        files,
    };
    entry.state = if undone.complete() {
        State::Undone
    } else {
        State::PartlyUndone
    };
    entry.undone = Some(rfc3339(id::now_micros()));
    journal
        .save(&entry, false)
        .map_err(|err| UndoError::Journal(journal.io(err)))?;
    undone.entry = entry;
    Ok(undone)
}

fn undo_file(journal: &Journal, file: &super::FileRecord) -> UndoOutcome {
    if file.status == FileStatus::Unwritten {
        return UndoOutcome::NotWritten;
    }
    let path = journal.path_of(file);
    let current = match fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(err) if err.kind() == io::ErrorKind::NotFound => None,
        Err(err) => return UndoOutcome::Failed(format!("cannot read it: {err}")),
    };
    let current_hash = current.as_deref().map(hash);
    let is_after = current_hash.as_deref() == Some(file.after.hash.as_str());
    let failed = |err: WriteError| match err {
        WriteError::Changed { .. } => {
            UndoOutcome::Refused("it changed while dash was restoring it".to_owned())
        }
        other => UndoOutcome::Failed(miette_chain(&other)),
    };
    match (&file.action, &file.before, current) {
        (Action::Create, _, None) => UndoOutcome::Unchanged,
        (Action::Create, _, Some(current)) if is_after => {
            match edit::remove_if_unchanged(&path, &current) {
                Ok(()) => UndoOutcome::Removed,
                Err(err) => failed(err),
            }
        }
        (Action::Create, _, Some(_)) => {
            UndoOutcome::Refused("changed since dash created it; left as it is".to_owned())
        }
        (Action::Modify, _, None) => {
            UndoOutcome::Refused("deleted since dash wrote it; left as it is".to_owned())
        }
        (Action::Modify, Some(before), Some(current)) if is_after => {
            let bytes = match journal.blob(&before.hash) {
                Ok(bytes) => bytes,
                Err(err) => {
                    return UndoOutcome::Failed(format!(
                        "the journal's copy of its content before cannot be read: {err}"
                    ));
                }
            };
            match edit::restore_if_unchanged(&path, &current, &bytes, before.mode_bits()) {
                Ok(()) => UndoOutcome::Restored,
                Err(err) => failed(err),
            }
        }
        (Action::Modify, Some(before), Some(_))
            if current_hash.as_deref() == Some(before.hash.as_str()) =>
        {
            UndoOutcome::Unchanged
        }
        (Action::Modify, Some(_), Some(_)) => {
            UndoOutcome::Refused("changed since dash wrote it; left as it is".to_owned())
        }
        (Action::Modify, None, Some(_)) => {
            UndoOutcome::Failed("the journal entry lacks the content before".to_owned())
        }
    }
}

/// An error and its causes on one line.
fn miette_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

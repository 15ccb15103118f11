//! Recording a session's write: [`Recording::begin`] before any file is touched,
//! [`Recording::finish`] after.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{
    Action, Entry, FileRecord, FileStatus, Journal, JournalError, KEEP, SCHEMA, State, Version,
    created_mode, format_id, hash, id, mode_of, rfc3339,
};

/// A file a session is about to write.
#[derive(Debug, Clone, Copy)]
pub struct Planned<'a> {
    /// Absolute path.
    pub path: &'a Path,
    /// As printed.
    pub display: &'a str,
    /// The bytes as read; `None` for a file to create.
    pub before: Option<&'a [u8]>,
    /// The bytes to write.
    pub after: &'a [u8],
}

/// One journal's entry of a write in progress.
struct Group {
    journal: Journal,
    entry: Entry,
    /// For each of the entry's files, the index of its planned file.
    planned: Vec<usize>,
}

/// A write in progress: its `pending` entries (one per worktree written to).
pub struct Recording {
    groups: Vec<Group>,
    unjournaled: Vec<String>,
}

/// What the journal holds of a finished write, for the write's summary.
#[derive(Debug, Default)]
pub struct Recorded {
    /// The entry's id (one per worktree when the write spanned several; usually one).
    pub ids: Vec<String>,
    /// Files outside any git repository, as displayed: written, but not undoable.
    pub unjournaled: Vec<String>,
    /// The journal could not be recorded, so nothing was written.
    pub error: Option<JournalError>,
    /// The files were written but an entry could not be marked done (it stays
    /// `pending`, which `dash undo` handles) or pruning failed.
    pub warnings: Vec<JournalError>,
}

impl Recording {
    /// Records every planned file as a `pending` entry in the journal of its worktree,
    /// with the bytes before stored as blobs, before anything is written. On error
    /// the entries made so far are removed and nothing may be written.
    /// `turn`: the agent turn making the write, if an agent is (see [`Entry::turn`]).
    pub fn begin(
        files: &[Planned<'_>],
        command: Vec<String>,
        turn: Option<&str>,
    ) -> Result<Recording, JournalError> {
        let mut by_top: HashMap<PathBuf, Option<usize>> = HashMap::new();
        let mut groups: Vec<Group> = Vec::new();
        let mut unjournaled = Vec::new();
        let now = id::now_micros();
        for (index, file) in files.iter().enumerate() {
            let top = crate::workspace::git::enclosing_worktree(
                file.path.parent().unwrap_or(Path::new("/")),
            );
            let group = top.and_then(|top| {
                *by_top.entry(top.clone()).or_insert_with(|| {
                    Journal::of_worktree(&top).map(|journal| {
                        groups.push(Group {
                            journal,
                            entry: Entry {
                                schema: SCHEMA.to_owned(),
                                version: 1,
                                id: String::new(),
                                time: String::new(),
                                command: command.clone(),
                                state: State::Pending,
                                files: Vec::new(),
                                undone: None,
                                turn: turn.map(str::to_owned),
                            },
                            planned: Vec::new(),
                        });
                        groups.len() - 1
                    })
                })
            });
            let record = group.and_then(|g| file_record(&groups[g].journal, file));
            match (group, record) {
                (Some(g), Some(record)) => {
                    let record = record.map_err(|source| JournalError::Unrecorded {
                        dir: groups[g].journal.dir.clone(),
                        source,
                    })?;
                    groups[g].entry.files.push(record);
                    groups[g].planned.push(index);
                }
                _ => unjournaled.push(file.display.to_owned()),
            }
        }
        groups.retain(|g| !g.entry.files.is_empty());
        let mut recording = Recording {
            groups,
            unjournaled,
        };
        if let Err(err) = recording.save_pending(files, now) {
            recording.abandon();
            return Err(match err {
                JournalError::Io { dir, source } => JournalError::Unrecorded { dir, source },
                other => other,
            });
        }
        Ok(recording)
    }

    /// Gives every entry an id after the newest of its journal (so ids sort in the
    /// order writes were recorded even if the clock steps back), saves it as a new
    /// entry, then stores the blobs of the bytes before.
    fn save_pending(&mut self, files: &[Planned<'_>], now: u64) -> Result<(), JournalError> {
        for group in &mut self.groups {
            let journal = &group.journal;
            let newest = journal.newest_micros()?.map_or(0, |m| m + 1);
            let mut micros = now.max(newest);
            // Another write may take the same id between our look and our save.
            loop {
                group.entry.id = format_id(micros);
                group.entry.time = rfc3339(micros);
                match journal.save(&group.entry, true) {
                    Ok(()) => break,
                    Err(err) if err.kind() == io::ErrorKind::AlreadyExists => micros += 1,
                    Err(err) => {
                        group.entry.id.clear();
                        return Err(journal.io(err));
                    }
                }
            }
            // In parallel: each blob is synced before the files are written, and the
            // syncs of many small files overlap (one journal commit of the file system
            // serves several), which matters when a fix touches hundreds of files.
            let blobs: Vec<(&str, &[u8])> = group
                .entry
                .files
                .iter()
                .zip(&group.planned)
                .filter_map(|(record, &index)| {
                    Some((record.before.as_ref()?.hash.as_str(), files[index].before?))
                })
                .collect();
            blobs
                .par_iter()
                .try_for_each(|(hash, bytes)| journal.put_blob(hash, bytes))
                .map_err(|err| journal.io(err))?;
            journal.sync_blobs();
        }
        Ok(())
    }

    /// Removes the entries of a write that will not happen.
    fn abandon(&self) {
        for group in &self.groups {
            if !group.entry.id.is_empty() {
                let _ = fs::remove_file(group.journal.entry_path(&group.entry.id));
            }
        }
    }

    /// Marks each file written or not (`written[i]` for `files[i]` of [`begin`]), with
    /// the mode it has now, marks the entries `done`, and prunes each journal.
    ///
    /// [`begin`]: Recording::begin
    pub fn finish(mut self, written: &[bool]) -> Recorded {
        let mut recorded = Recorded {
            unjournaled: std::mem::take(&mut self.unjournaled),
            ..Recorded::default()
        };
        for group in &mut self.groups {
            for (record, &index) in group.entry.files.iter_mut().zip(&group.planned) {
                if written.get(index).copied().unwrap_or(false) {
                    record.status = FileStatus::Written;
                    if let Ok(meta) = fs::metadata(group.journal.path_of(record)) {
                        record.after.mode = mode_of(&meta);
                    }
                } else {
                    record.status = FileStatus::Unwritten;
                }
            }
            group.entry.state = State::Done;
            if let Err(err) = group.journal.save(&group.entry, false) {
                recorded.warnings.push(group.journal.io(err));
            }
            if let Err(err) = group.journal.prune(KEEP) {
                recorded.warnings.push(err);
            }
            recorded.ids.push(group.entry.id.clone());
        }
        recorded.ids.sort();
        recorded.ids.dedup();
        recorded
    }

    /// The ids of the pending entries (for tests that stop a write halfway).
    pub fn ids(&self) -> Vec<String> {
        self.groups.iter().map(|g| g.entry.id.clone()).collect()
    }
}

/// The record of one planned file in `journal`; `None` when the file is not inside
/// the journal's worktree (then it is not journaled).
fn file_record(journal: &Journal, file: &Planned<'_>) -> Option<io::Result<FileRecord>> {
    let relative = file.path.strip_prefix(&journal.top).ok()?;
    let path = relative
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect::<Option<Vec<&str>>>()?
        .join("/");
    if path.is_empty() {
        return None;
    }
    let after_hash = hash(file.after);
    Some((|| {
        Ok(match file.before {
            Some(before) => {
                let mode = mode_of(&fs::metadata(file.path)?);
                FileRecord {
                    path,
                    action: Action::Modify,
                    before: Some(Version {
                        hash: hash(before),
                        mode: mode.clone(),
                    }),
                    // `edit::write_if_unchanged` keeps the file's permissions.
                    after: Version {
                        hash: after_hash,
                        mode,
                    },
                    status: FileStatus::Pending,
                    created_dirs: Vec::new(),
                }
            }
            None => FileRecord {
                created_dirs: missing_folders(journal, file.path),
                path,
                action: Action::Create,
                before: None,
                after: Version {
                    hash: after_hash,
                    mode: created_mode(),
                },
                status: FileStatus::Pending,
            },
        })
    })())
}

/// The folders above `path` that do not exist yet, outermost first, relative to the
/// journal's worktree.
fn missing_folders(journal: &Journal, path: &Path) -> Vec<String> {
    let mut missing: Vec<String> = path
        .ancestors()
        .skip(1)
        .take_while(|dir| fs::symlink_metadata(dir).is_err())
        .filter_map(|dir| dir.strip_prefix(&journal.top).ok())
        .filter_map(|dir| {
            dir.components()
                .map(|c| c.as_os_str().to_str())
                .collect::<Option<Vec<&str>>>()
                .map(|parts| parts.join("/"))
        })
        .filter(|dir| !dir.is_empty())
        .collect();
    missing.reverse();
    missing
}

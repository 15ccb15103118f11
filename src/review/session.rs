//! The one path every change takes, whoever proposed it (rules today; the agent and the
//! pre-commit hook next): a [`Proposal`] per file, collected in a [`Session`] that
//! previews them as diffs, renders them as one patch, and writes them through
//! [`crate::edit`] (atomically, and never over a file that changed since it was read),
//! recording each write in the [`crate::journal`] first so `dash undo` can restore it.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::FileChange;
use crate::edit::{self, FileText, WriteError};
use crate::journal::{self, Planned, Recorded, Recording};

/// A proposed change to one file.
#[derive(Debug, Clone)]
pub struct Proposal {
    /// Absolute path.
    pub path: PathBuf,
    /// As printed: repository- or working-directory-relative, `/`-separated.
    pub display: String,
    pub change: Kind,
}

/// What the proposal does to its file.
#[derive(Debug, Clone)]
pub enum Kind {
    /// An existing file: its text as read (the bytes on disk are [`Kind::original`]), the
    /// text after the edits, and each edit as a range of the original text with the rule
    /// that made it.
    Modify {
        file_text: FileText,
        new_text: String,
        edits: Vec<(std::ops::Range<usize>, &'static str)>,
        /// The bytes on disk when they are not `file_text`'s (the pre-commit hook writes a
        /// fixed staged text over a working copy that differs from it); `None` otherwise.
        on_disk: Option<Vec<u8>>,
    },
    /// A file that does not exist yet (such as a logger module).
    Create { text: String },
}

impl Kind {
    /// The bytes on disk before the change (`None` for a file to create): the text as
    /// read, with its BOM. Borrowed unless there is a BOM to put back, so a big file's text
    /// is held once.
    pub fn original(&self) -> Option<Cow<'_, [u8]>> {
        match self {
            Kind::Modify {
                on_disk: Some(bytes),
                ..
            } => Some(Cow::Borrowed(bytes)),
            Kind::Modify { file_text, .. } if file_text.bom => {
                Some(Cow::Owned(file_text.original_bytes()))
            }
            Kind::Modify { file_text, .. } => Some(Cow::Borrowed(file_text.text.as_bytes())),
            Kind::Create { .. } => None,
        }
    }
}

impl Proposal {
    /// The change as a preview and a patch show it: the bytes as they will be written
    /// (BOM and CRLF kept), edits shifted past a BOM. Borrowed from the proposal where
    /// the bytes are the proposal's own (the original always; the new text unless a BOM
    /// or a CRLF line break has to be restored), so showing a change copies no text.
    pub fn file_change(&self) -> FileChange<'_> {
        match &self.change {
            Kind::Modify {
                file_text,
                new_text,
                edits,
                on_disk,
            } => {
                let bom = if file_text.bom { 3 } else { 0 };
                FileChange {
                    path: self.display.clone(),
                    old: Some(match on_disk {
                        Some(bytes) => String::from_utf8_lossy(bytes),
                        None if file_text.bom => Cow::Owned(format!("\u{FEFF}{}", file_text.text)),
                        None => Cow::Borrowed(file_text.text.as_str()),
                    }),
                    new: file_text.render_cow(new_text),
                    edits: if bom == 0 {
                        Cow::Borrowed(edits)
                    } else {
                        edits
                            .iter()
                            .map(|(range, rule)| (range.start + bom..range.end + bom, *rule))
                            .collect()
                    },
                }
            }
            Kind::Create { text } => FileChange {
                path: self.display.clone(),
                old: None,
                new: Cow::Borrowed(text),
                edits: Cow::Borrowed(&[]),
            },
        }
    }
}

/// The proposals of one run, in display order.
#[derive(Debug, Default)]
pub struct Session {
    proposals: Vec<Proposal>,
    /// Where writing is allowed (canonical folders); empty: not confined.
    roots: Vec<PathBuf>,
    /// The agent turn whose write this is, recorded in the journal entry.
    turn: Option<String>,
}

/// What writing a session did.
#[derive(Debug, Default)]
pub struct Written {
    pub files: usize,
    /// Files left as they were, and why (changed on disk since read, already exists, I/O).
    pub failed: Vec<WriteError>,
    /// The undo journal's entry of this write (`error`: it could not be recorded, and
    /// nothing was written).
    pub journal: Recorded,
}

impl Session {
    pub fn new() -> Session {
        Session::default()
    }

    /// Only paths inside `roots` (the repositories of the run) may be written: a
    /// proposal whose real location (symbolic links followed, `..` resolved) is outside
    /// them is refused when the session is written.
    pub fn confine(&mut self, roots: impl IntoIterator<Item = PathBuf>) {
        self.roots = roots
            .into_iter()
            .map(|r| std::fs::canonicalize(&r).unwrap_or(r))
            .collect();
    }

    /// A session without proposals, confined like this one (for the hunks a reviewer
    /// accepts out of this one).
    pub fn empty_like(&self) -> Session {
        Session {
            proposals: Vec::new(),
            roots: self.roots.clone(),
            turn: self.turn.clone(),
        }
    }

    /// Records the write as part of an agent turn (`<run>/<turn>`), so `dash undo
    /// --turn` undoes it with the turn's other writes.
    pub fn in_turn(&mut self, turn: impl Into<String>) {
        self.turn = Some(turn.into());
    }

    pub fn propose(&mut self, proposal: Proposal) {
        let at = self
            .proposals
            .partition_point(|p| p.display <= proposal.display);
        self.proposals.insert(at, proposal);
    }

    pub fn proposals(&self) -> &[Proposal] {
        &self.proposals
    }

    /// Keeps only the proposals `keep` accepts.
    pub fn retain(&mut self, keep: impl FnMut(&Proposal) -> bool) {
        self.proposals.retain(keep);
    }

    pub fn is_empty(&self) -> bool {
        self.proposals.is_empty()
    }

    /// Every proposal as a reviewable change, in display order.
    pub fn changes(&self) -> Vec<FileChange<'_>> {
        self.proposals.iter().map(Proposal::file_change).collect()
    }

    /// Writes every proposal: new files first (a modified file may import one), then
    /// the modified files, each atomically and only if unchanged since it was read. A
    /// failure is recorded and the rest go on; a new file that cannot be created stops
    /// the run before anything that might depend on it is written.
    ///
    /// Before anything is written, the write is recorded in the undo journal of each
    /// worktree written to (files outside a git repository are written unrecorded and
    /// named in [`Written::journal`]); if the journal cannot be recorded, nothing is
    /// written: a write the user was promised to be able to undo must be undoable.
    pub fn write(&self) -> Written {
        let mut outside = Vec::new();
        let mut inside: Vec<&Proposal> = Vec::with_capacity(self.proposals.len());
        for proposal in &self.proposals {
            if self.roots.is_empty() {
                inside.push(proposal);
                continue;
            }
            let real = real_location(&proposal.path);
            if self.roots.iter().any(|root| real.starts_with(root)) {
                inside.push(proposal);
            } else {
                outside.push(WriteError::Outside {
                    path: proposal.path.clone(),
                    real,
                });
            }
        }
        // A file to create that is refused may be what the others import: then
        // nothing is written, as when creating it fails.
        let refused_creation = self.proposals.iter().any(|p| {
            matches!(p.change, Kind::Create { .. })
                && outside
                    .iter()
                    .any(|e| matches!(e, WriteError::Outside { path, .. } if *path == p.path))
        });
        if refused_creation {
            return Written {
                failed: outside,
                ..Written::default()
            };
        }
        let mut written = self.write_proposals(&inside);
        written.failed.splice(0..0, outside);
        written
    }

    /// [`Session::write`] of the proposals allowed to be written (borrowed, not
    /// copied: a big file's texts are not duplicated to be written).
    fn write_proposals(&self, proposals: &[&Proposal]) -> Written {
        let mut written = Written::default();
        if proposals.is_empty() {
            return written;
        }
        // The bytes to write, borrowed from the new text when it needs no BOM or line
        // break restored.
        let after: Vec<Cow<'_, [u8]>> = proposals
            .iter()
            .map(|proposal| match &proposal.change {
                Kind::Modify {
                    file_text,
                    new_text,
                    ..
                } => match file_text.render_cow(new_text) {
                    Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
                    Cow::Owned(text) => Cow::Owned(text.into_bytes()),
                },
                Kind::Create { text } => Cow::Borrowed(text.as_bytes()),
            })
            .collect();
        let before: Vec<Option<Cow<'_, [u8]>>> =
            proposals.iter().map(|p| p.change.original()).collect();
        let planned: Vec<Planned> = proposals
            .iter()
            .zip(&after)
            .zip(&before)
            .map(|((proposal, after), before)| Planned {
                path: &proposal.path,
                display: &proposal.display,
                before: before.as_deref(),
                after,
            })
            .collect();
        let recording =
            match Recording::begin(&planned, journal::command_line(), self.turn.as_deref()) {
                Ok(recording) => recording,
                Err(err) => {
                    written.journal.error = Some(err);
                    return written;
                }
            };
        let mut done = vec![false; proposals.len()];
        write_files(proposals, &before, &after, &mut done, &mut written);
        written.journal = recording.finish(&done);
        written
    }
}

/// The writes themselves; `done[i]` tells whether proposal `i` was written.
fn write_files(
    proposals: &[&Proposal],
    before: &[Option<Cow<'_, [u8]>>],
    after: &[Cow<'_, [u8]>],
    done: &mut [bool],
    written: &mut Written,
) {
    for (i, proposal) in proposals.iter().enumerate() {
        if let Kind::Create { .. } = &proposal.change {
            match edit::create_new(&proposal.path, &after[i]) {
                Ok(()) => {
                    written.files += 1;
                    done[i] = true;
                }
                Err(err) => {
                    written.failed.push(err);
                    return;
                }
            }
        }
    }
    // Each write is independent (atomic, staleness-checked, fsynced): in parallel,
    // the fsyncs overlap instead of adding up. Results are taken in proposal order.
    use rayon::prelude::*;
    let results: Vec<(usize, Result<(), edit::WriteError>)> = proposals
        .par_iter()
        .enumerate()
        .filter_map(|(i, proposal)| match (&proposal.change, &before[i]) {
            (Kind::Modify { .. }, Some(original)) => Some((
                i,
                edit::write_if_unchanged(&proposal.path, original, &after[i]),
            )),
            _ => None,
        })
        .collect();
    for (i, result) in results {
        match result {
            Ok(()) => {
                written.files += 1;
                done[i] = true;
            }
            Err(err) => written.failed.push(err),
        }
    }
}

/// Where writing `path` really lands: symbolic links followed for the file and the
/// folders that exist, `..` and `.` resolved for the parts that do not exist yet.
fn real_location(path: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    let mut missing = Vec::new();
    let mut existing = path;
    loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            let mut out = real;
            for part in missing.iter().rev() {
                match part {
                    std::path::Component::ParentDir => {
                        out.pop();
                    }
                    std::path::Component::CurDir => {}
                    other => out.push(other.as_os_str()),
                }
            }
            return out;
        }
        let Some(parent) = existing.parent() else {
            return path.to_path_buf();
        };
        if let Some(last) = existing.components().next_back() {
            missing.push(last);
        }
        existing = parent;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modify(dir: &std::path::Path, name: &str, old: &str, new: &str) -> Proposal {
        let path = dir.join(name);
        std::fs::write(&path, old).unwrap();
        let original = old.as_bytes().to_vec();
        Proposal {
            display: name.to_owned(),
            change: Kind::Modify {
                file_text: FileText::from_bytes(&original).unwrap(),
                on_disk: None,
                new_text: new.to_owned(),
                edits: vec![(0..old.len(), "t")],
            },
            path,
        }
    }

    #[test]
    fn proposals_are_kept_in_display_order_and_written_new_files_first() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = Session::new();
        session.propose(modify(dir.path(), "b.ts", "b\r\n", "bb\n"));
        session.propose(Proposal {
            path: dir.path().join("a.ts"),
            display: "a.ts".into(),
            change: Kind::Create { text: "a\n".into() },
        });
        let order: Vec<&str> = session
            .proposals()
            .iter()
            .map(|p| p.display.as_str())
            .collect();
        assert_eq!(order, ["a.ts", "b.ts"]);
        // The preview shows the bytes as written: CRLF kept.
        assert_eq!(session.changes()[1].new, "bb\r\n");
        let written = session.write();
        assert_eq!(written.files, 2);
        assert!(written.failed.is_empty());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.ts")).unwrap(),
            "a\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("b.ts")).unwrap(),
            "bb\r\n"
        );
    }

    #[test]
    fn nothing_is_written_outside_the_confining_roots() {
        let repo = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let mut session = Session::new();
        session.propose(modify(repo.path(), "inside.ts", "a\n", "b\n"));
        // A link inside the repository to a file outside it, and a new file whose path
        // climbs out with `..`.
        std::fs::write(elsewhere.path().join("target.ts"), "x\n").unwrap();
        std::os::unix::fs::symlink(
            elsewhere.path().join("target.ts"),
            repo.path().join("link.ts"),
        )
        .unwrap();
        let original = b"x\n".to_vec();
        session.propose(Proposal {
            path: repo.path().join("link.ts"),
            display: "link.ts".into(),
            change: Kind::Modify {
                file_text: FileText::from_bytes(&original).unwrap(),
                on_disk: None,
                new_text: "y\n".into(),
                edits: vec![],
            },
        });
        let climbing = repo.path().join("src/../../logger.ts");
        session.propose(Proposal {
            path: climbing.clone(),
            display: "logger.ts".into(),
            change: Kind::Create { text: "z\n".into() },
        });
        session.confine([repo.path().to_path_buf()]);
        let written = session.write();
        // The refused new file may be what the others import: nothing is written.
        assert_eq!(written.files, 0);
        assert_eq!(written.failed.len(), 2);
        assert!(
            written
                .failed
                .iter()
                .all(|e| matches!(e, WriteError::Outside { .. }))
        );
        assert_eq!(
            std::fs::read_to_string(elsewhere.path().join("target.ts")).unwrap(),
            "x\n"
        );
        assert!(!repo.path().parent().unwrap().join("logger.ts").exists());
        assert_eq!(
            std::fs::read_to_string(repo.path().join("inside.ts")).unwrap(),
            "a\n"
        );
    }

    #[test]
    fn a_file_changed_since_read_is_refused_and_the_rest_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = Session::new();
        session.propose(modify(dir.path(), "a.ts", "a\n", "x\n"));
        session.propose(modify(dir.path(), "b.ts", "b\n", "y\n"));
        std::fs::write(dir.path().join("a.ts"), "edited\n").unwrap();
        let written = session.write();
        assert_eq!(written.files, 1);
        assert!(matches!(written.failed[..], [WriteError::Changed { .. }]));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.ts")).unwrap(),
            "edited\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("b.ts")).unwrap(),
            "y\n"
        );
    }
}

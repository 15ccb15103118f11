//! The write journal behind `dash undo` (DESIGN.md §4, §7).
//!
//! Every write of a [`crate::review::Session`] (`dash fix --write` today; `dash test
//! --fix`, the agent and the hook next) is recorded here *before* any file is touched:
//! for each file its repository-relative path, its bytes before (a blob named by their
//! SHA-256), the hash and mode before, and the hash and mode it is about to get. The
//! entry is written atomically as `pending`, then marked `done` once the files are
//! written, so a write that dies halfway still leaves an entry `dash undo` can use: it
//! compares each file with the hashes and restores only what dash wrote.
//!
//! Where: `<git dir>/dash/journal/{entries,blobs}` of the worktree the files belong to,
//! the per-worktree git dir (`git rev-parse --absolute-git-dir`), not the common one.
//! A journal answers "what was the last write *here*": with one journal for all the
//! worktrees of a repository, a write in one worktree (often another agent's, running
//! in parallel) would become "the last write" of every other, and `dash undo` would
//! either refuse out of order or touch files of a tree the user is not in. git keeps
//! per-worktree state (HEAD, index, the HEAD reflog) in the same place for the same
//! reason, and `git worktree remove` deletes that folder, so the copies of a removed
//! worktree's files go with it. Inside `.git`, the journal is never committed, packed
//! or shown by `git status`.
//!
//! Outside a git repository nothing is journaled and the write says so: there is no
//! private place to keep copies of source files (a `.dash/` folder in the project
//! would show up as untracked, be committed, packed by `npm pack` and copied into
//! images), and no tree to be relative to.

mod id;
mod record;
mod undo;

pub use id::{format_id, parse_id, rfc3339};
pub use record::{Planned, Recorded, Recording};
pub use undo::{FileUndo, UndoError, UndoOutcome, Undone, undo, undo_turn};

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

/// How many entries a journal keeps; older ones are pruned with the blobs that only
/// they referenced.
pub const KEEP: usize = 50;

/// Blobs younger than this are never pruned: a concurrent write may have stored them
/// and not yet recorded the entry that references them.
const BLOB_GRACE: std::time::Duration = std::time::Duration::from_secs(3600);

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum JournalError {
    #[error("cannot record this write in the undo journal in {}", dir.display())]
    #[diagnostic(
        code(dash::journal::unrecorded),
        help(
            "nothing was written: dash records every write so that `dash undo` can restore it; check the permissions and free space of that folder"
        )
    )]
    Unrecorded {
        dir: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot read or update the undo journal in {}", dir.display())]
    #[diagnostic(
        code(dash::journal::io),
        help("check the permissions and free space of that folder")
    )]
    Io {
        dir: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot read the undo journal entry {}", path.display())]
    #[diagnostic(
        code(dash::journal::damaged),
        help(
            "the entry is not a journal entry dash can read; move it out of the journal folder to use the other entries"
        )
    )]
    Damaged { path: PathBuf, reason: String },
}

impl crate::exit::HasExit for JournalError {
    fn exit(&self) -> crate::exit::Exit {
        crate::exit::Exit::Partial
    }
}

/// Where an entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Recorded, files being written (or the write died: the entry is still undoable).
    Pending,
    /// Every file dash could write was written.
    Done,
    /// `dash undo` restored some files and refused others; it can be run again.
    PartlyUndone,
    /// Restored; `dash undo` moves on to the entry before.
    Undone,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Done => "done",
            State::PartlyUndone => "partly-undone",
            State::Undone => "undone",
        }
    }
}

/// What happened to one file of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileStatus {
    /// Recorded before writing; whether it was written is read from its content.
    Pending,
    Written,
    /// dash did not write it (changed since read, or the run stopped before it).
    Unwritten,
}

/// Whether the write modified an existing file or created a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Modify,
    Create,
}

/// A file's content and mode at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// `sha256:<hex>`.
    pub hash: String,
    /// The Unix `st_mode` in octal as git writes it (`100644`); absent elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

impl Version {
    /// The permission bits to restore, if recorded.
    pub fn mode_bits(&self) -> Option<u32> {
        self.mode
            .as_deref()
            .and_then(|m| u32::from_str_radix(m, 8).ok())
    }
}

/// One file of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Relative to the worktree's top, `/`-separated.
    pub path: String,
    pub action: Action,
    /// Absent for a created file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Version>,
    /// What dash writes; recorded before writing (so a crashed write can be recognised)
    /// and the mode confirmed after.
    pub after: Version,
    pub status: FileStatus,
    /// Folders dash made for a created file, outermost first, so undo removes them too.
    #[serde(default, rename = "createdDirs", skip_serializing_if = "Vec::is_empty")]
    pub created_dirs: Vec<String>,
}

/// One recorded write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub schema: String,
    pub version: u32,
    pub id: String,
    /// RFC 3339, UTC.
    pub time: String,
    /// The command line that made the write, program name first.
    pub command: Vec<String>,
    pub state: State,
    pub files: Vec<FileRecord>,
    /// When `dash undo` last touched the entry (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undone: Option<String>,
    /// The agent turn that made the write (`<run>/<turn>`), when an agent did: each of
    /// its edits is an entry of its own (written as it is made), and `dash undo --turn`
    /// undoes the entries of the newest turn together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn: Option<String>,
}

pub const SCHEMA: &str = "dash.journal";

impl Entry {
    /// The command line as a person would type it back.
    pub fn command_line(&self) -> String {
        self.command
            .iter()
            .map(|arg| shell_quote(arg))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,@+%".contains(&b));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// The command line of this process, with the program named by its file name only.
pub fn command_line() -> Vec<String> {
    let mut args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if let Some(first) = args.first_mut()
        && let Some(name) = Path::new(first.as_str()).file_name()
    {
        *first = name.to_string_lossy().into_owned();
    }
    args
}

/// `sha256:<hex>` of `bytes`.
pub fn hash(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in digest.as_ref() {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// The mode recorded for a file's metadata.
pub fn mode_of(meta: &fs::Metadata) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(format!("{:o}", meta.mode()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// The mode `edit::create_new` gives a new file.
pub fn created_mode() -> Option<String> {
    cfg!(unix).then(|| "100644".to_owned())
}

/// The journal of one worktree.
#[derive(Debug, Clone)]
pub struct Journal {
    /// The worktree's top: entries' paths are relative to it.
    pub top: PathBuf,
    /// `<git dir>/dash/journal`.
    pub dir: PathBuf,
}

/// The per-worktree git dir of the worktree whose top is `top` (`None` outside git),
/// where dash keeps what belongs to one worktree (the journal, `--verify`'s cache).
pub fn git_dir(top: &Path) -> Option<PathBuf> {
    // The folder is named explicitly: a GIT_DIR inherited from a hook must not
    // point the journal at another repository.
    let output = Command::new("git")
        .arg("-C")
        .arg(top)
        .args(["rev-parse", "--absolute-git-dir"])
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_COMMON_DIR")
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let git_dir = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    (!git_dir.is_empty()).then(|| PathBuf::from(git_dir))
}

impl Journal {
    /// The journal of the worktree that `start` (a file or folder, which need not exist
    /// yet) belongs to; `None` outside a git repository.
    pub fn locate(start: &Path) -> Option<Journal> {
        let top = crate::workspace::git::enclosing_worktree(start)?;
        Journal::of_worktree(&top)
    }

    /// The journal of the worktree whose top is `top`.
    pub fn of_worktree(top: &Path) -> Option<Journal> {
        let git_dir = git_dir(top)?;
        Some(Journal {
            top: top.to_path_buf(),
            dir: git_dir.join("dash").join("journal"),
        })
    }

    fn entries_dir(&self) -> PathBuf {
        self.dir.join("entries")
    }

    fn blobs_dir(&self) -> PathBuf {
        self.dir.join("blobs")
    }

    fn io(&self, source: io::Error) -> JournalError {
        JournalError::Io {
            dir: self.dir.clone(),
            source,
        }
    }

    fn entry_path(&self, id: &str) -> PathBuf {
        self.entries_dir().join(format!("{id}.json"))
    }

    /// The absolute path of a recorded file.
    pub fn path_of(&self, file: &FileRecord) -> PathBuf {
        file.path
            .split('/')
            .fold(self.top.clone(), |p, c| p.join(c))
    }

    /// The time of the newest entry's id, read from the file names only (a damaged
    /// entry must not stop new writes from being recorded after it).
    fn newest_micros(&self) -> Result<Option<u64>, JournalError> {
        let listing = match fs::read_dir(self.entries_dir()) {
            Ok(listing) => listing,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(self.io(err)),
        };
        let mut newest = None;
        for item in listing {
            let item = item.map_err(|err| self.io(err))?;
            let name = item.file_name();
            let micros = name
                .to_str()
                .and_then(|n| n.strip_suffix(".json"))
                .and_then(parse_id);
            newest = newest.max(micros);
        }
        Ok(newest)
    }

    /// Every entry, oldest first. A file in the entries folder that is not a readable
    /// entry is an error: skipping it could make `dash undo` undo out of order.
    pub fn entries(&self) -> Result<Vec<Entry>, JournalError> {
        let mut entries = Vec::new();
        let listing = match fs::read_dir(self.entries_dir()) {
            Ok(listing) => listing,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(entries),
            Err(err) => return Err(self.io(err)),
        };
        for item in listing {
            let item = item.map_err(|err| self.io(err))?;
            let name = item.file_name().to_string_lossy().into_owned();
            let Some(id) = name.strip_suffix(".json") else {
                continue; // temp files of a write in progress
            };
            let path = item.path();
            let damaged = |reason: String| JournalError::Damaged {
                path: path.clone(),
                reason,
            };
            let bytes = fs::read(&path).map_err(|err| self.io(err))?;
            let entry: Entry =
                serde_json::from_slice(&bytes).map_err(|err| damaged(err.to_string()))?;
            if entry.schema != SCHEMA || entry.id != id || parse_id(id).is_none() {
                return Err(damaged(format!("not a {SCHEMA} entry named by its id")));
            }
            entries.push(entry);
        }
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(entries)
    }

    /// Writes `entry` atomically; `new` refuses to replace an existing entry (two
    /// writes that picked the same id), reported as `AlreadyExists`.
    fn save(&self, entry: &Entry, new: bool) -> io::Result<()> {
        let folder = self.entries_dir();
        fs::create_dir_all(&folder)?;
        let mut json = serde_json::to_vec_pretty(entry).map_err(io::Error::other)?;
        json.push(b'\n');
        let temp = write_temp(&folder, &json)?;
        let target = self.entry_path(&entry.id);
        if new {
            temp.persist_noclobber(&target).map_err(|e| e.error)?;
        } else {
            temp.persist(&target).map_err(|e| e.error)?;
        }
        sync_folder(&folder);
        Ok(())
    }

    /// Stores `bytes` as the blob of `hash`. Always rewritten (a rename over an equal
    /// blob), so its time is fresh and a concurrent prune leaves it alone.
    fn put_blob(&self, hash: &str, bytes: &[u8]) -> io::Result<()> {
        let folder = self.blobs_dir();
        fs::create_dir_all(&folder)?;
        let temp = write_temp(&folder, bytes)?;
        temp.persist(folder.join(blob_name(hash)))
            .map_err(|e| e.error)?;
        Ok(())
    }

    /// Makes the blobs' names durable (their content is synced as each is written).
    fn sync_blobs(&self) {
        sync_folder(&self.blobs_dir());
    }

    /// The bytes of a blob, checked against their hash.
    pub fn blob(&self, hash: &str) -> io::Result<Vec<u8>> {
        let bytes = fs::read(self.blobs_dir().join(blob_name(hash)))?;
        if self::hash(&bytes) != hash {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the journal's copy is damaged (its hash does not match)",
            ));
        }
        Ok(bytes)
    }

    /// Keeps the newest [`KEEP`] entries and the blobs they reference; leftovers of
    /// interrupted journal writes go too. Best effort: a failure leaves more behind.
    pub fn prune(&self, keep: usize) -> Result<(), JournalError> {
        let entries = self.entries()?;
        let excess = entries.len().saturating_sub(keep);
        for old in &entries[..excess] {
            let _ = fs::remove_file(self.entry_path(&old.id));
        }
        let referenced: std::collections::HashSet<String> = entries[excess..]
            .iter()
            .flat_map(|e| e.files.iter())
            .filter_map(|f| f.before.as_ref().map(|v| blob_name(&v.hash).to_owned()))
            .collect();
        let now = std::time::SystemTime::now();
        let old_enough = |meta: &fs::Metadata| {
            meta.modified()
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age >= BLOB_GRACE)
        };
        for folder in [self.blobs_dir(), self.entries_dir()] {
            let Ok(listing) = fs::read_dir(&folder) else {
                continue;
            };
            for item in listing.flatten() {
                let name = item.file_name().to_string_lossy().into_owned();
                let stray = name.starts_with(".dash-")
                    || (folder == self.blobs_dir() && !referenced.contains(&name));
                if stray && item.metadata().is_ok_and(|m| old_enough(&m)) {
                    let _ = fs::remove_file(item.path());
                }
            }
        }
        Ok(())
    }
}

/// The file name of a blob: the hex digest.
fn blob_name(hash: &str) -> &str {
    hash.strip_prefix("sha256:").unwrap_or(hash)
}

fn write_temp(folder: &Path, bytes: &[u8]) -> io::Result<tempfile::NamedTempFile> {
    let mut temp = tempfile::Builder::new()
        .prefix(".dash-")
        .suffix(".tmp")
        .tempfile_in(folder)?;
    temp.write_all(bytes)?;
    temp.flush()?;
    temp.as_file().sync_all()?;
    Ok(temp)
}

fn sync_folder(folder: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = fs::File::open(folder) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = folder;
}

#[cfg(test)]
mod tests;

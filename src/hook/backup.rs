//! The hook's backup: before `--fix` touches the index or a working file, everything it
//! will touch is saved under `.git/dash/hook-backup/`, and removed once the run is done.
//! A run that finds a backup (the previous one was killed, or the machine went down)
//! restores it first. lint-staged keeps a stash for the same reason; its users lost work
//! when a run was killed between steps (lint-staged#583, #1428), which is what this
//! guards against.
//!
//! The backup is written in a `.tmp` folder and renamed into place, so it is either
//! complete or absent; nothing is touched before the rename. Restoring is per entry and
//! careful: an index entry or a working file is put back only while it still holds what
//! the killed run left there (its old or its new content); anything changed since is
//! left alone, named, and the backup kept for the user.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::HookError;
use super::git::Repo;

const DIR: &str = "dash/hook-backup";
const TMP: &str = "dash/hook-backup.tmp";

/// One path the run will change.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// Relative to the top of the worktree, `/`-separated.
    pub path: String,
    /// The index entry before (mode, oid); `None` for a file the run adds.
    pub index_before: Option<(String, String)>,
    /// The index entry the run writes.
    pub index_after: (String, String),
    /// The working file before and after, as bytes (`None` before: the run creates it;
    /// `None` after: the run leaves the working file alone).
    #[serde(skip)]
    pub working_before: Option<Vec<u8>>,
    #[serde(skip)]
    pub working_after: Option<Vec<u8>>,
    /// Whether the working file is saved (`<n>.before`/`<n>.after`) and was present.
    pub working: Working,
}

/// What happens to the working file of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Working {
    /// Left alone.
    Untouched,
    /// Rewritten.
    Modified,
    /// Created by the run.
    Created,
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    version: u32,
    entries: Vec<Entry>,
}

/// Where the backup of `repo` lives.
pub fn dir(repo: &Repo) -> PathBuf {
    repo.git_dir.join(DIR)
}

/// Saves `entries` (with their working bytes) as the backup; complete or absent.
pub fn save(repo: &Repo, entries: &[Entry]) -> Result<(), HookError> {
    let tmp = repo.git_dir.join(TMP);
    let io = |source| HookError::Backup {
        path: tmp.clone(),
        source,
    };
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io)?;
    }
    std::fs::create_dir_all(&tmp).map_err(io)?;
    for (n, entry) in entries.iter().enumerate() {
        for (suffix, bytes) in [
            ("before", &entry.working_before),
            ("after", &entry.working_after),
        ] {
            if let Some(bytes) = bytes {
                write_synced(&tmp.join(format!("{n}.{suffix}")), bytes).map_err(io)?;
            }
        }
    }
    let manifest = Manifest {
        version: 1,
        entries: entries.to_vec(),
    };
    let json = serde_json::to_vec_pretty(&manifest).expect("the manifest serializes");
    write_synced(&tmp.join("manifest.json"), &json).map_err(io)?;
    let done = dir(repo);
    std::fs::rename(&tmp, &done).map_err(|source| HookError::Backup {
        path: done.clone(),
        source,
    })?;
    if let Some(parent) = done.parent()
        && let Ok(folder) = std::fs::File::open(parent)
    {
        let _ = folder.sync_all();
    }
    Ok(())
}

/// Removes the backup once a run is complete.
pub fn remove(repo: &Repo) -> Result<(), HookError> {
    let path = dir(repo);
    std::fs::remove_dir_all(&path).map_err(|source| HookError::Backup { path, source })
}

/// What restoring a backup did.
#[derive(Debug, Default)]
pub struct Restored {
    /// Paths put back as they were before the killed run.
    pub restored: Vec<String>,
    /// Paths changed since the killed run, left as they are now, and why.
    pub left: Vec<String>,
    /// Where the backup was kept because something was left (else it is removed).
    pub kept: Option<PathBuf>,
}

/// Restores a backup left by a run that did not finish; `None` when there is none. An
/// incomplete backup (the run died while saving it) means nothing was touched yet, and
/// is removed.
pub fn restore(repo: &Repo) -> Result<Option<Restored>, HookError> {
    let tmp = repo.git_dir.join(TMP);
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|source| HookError::Backup {
            path: tmp.clone(),
            source,
        })?;
    }
    let dir = dir(repo);
    let manifest_path = dir.join("manifest.json");
    let io = |source| HookError::Backup {
        path: manifest_path.clone(),
        source,
    };
    let text = match std::fs::read(&manifest_path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            if dir.exists() {
                std::fs::remove_dir_all(&dir).map_err(io)?;
            }
            return Ok(None);
        }
        Err(err) => return Err(io(err)),
    };
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|err| io(std::io::Error::new(std::io::ErrorKind::InvalidData, err)))?;

    let mut done = Restored::default();
    let paths: Vec<&str> = manifest.entries.iter().map(|e| e.path.as_str()).collect();
    let current = repo.index_entries(&paths)?;
    let mut index = Vec::new();
    for (n, entry) in manifest.entries.iter().enumerate() {
        let mut left = Vec::new();
        // The index entry: back to what it was, if it still holds either state.
        let now = current.get(&entry.path);
        if now != entry.index_before.as_ref() {
            if now == Some(&entry.index_after) {
                index.push(match &entry.index_before {
                    Some((mode, oid)) => (mode.clone(), oid.clone(), entry.path.clone()),
                    None => ("0".into(), "0".repeat(40), entry.path.clone()),
                });
            } else {
                left.push("its index entry was changed since");
            }
        }
        // The working file.
        let path = repo.top.join(&entry.path);
        let read = |suffix: &str| std::fs::read(dir.join(format!("{n}.{suffix}")));
        match entry.working {
            Working::Untouched => {}
            Working::Modified => {
                let before = read("before").map_err(io)?;
                let after = read("after").map_err(io)?;
                match std::fs::read(&path) {
                    Ok(bytes) if bytes == before => {}
                    Ok(bytes) if bytes == after => {
                        if crate::edit::write_if_unchanged(&path, &after, &before).is_err() {
                            left.push("its working file could not be written");
                        }
                    }
                    _ => left.push("its working file was changed since"),
                }
            }
            Working::Created => {
                let after = read("after").map_err(io)?;
                match std::fs::read(&path) {
                    Ok(bytes) if bytes == after => {
                        if std::fs::remove_file(&path).is_err() {
                            left.push("the file it created could not be removed");
                        }
                    }
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                    _ => left.push("the file it created was changed since"),
                }
            }
        }
        if left.is_empty() {
            done.restored.push(entry.path.clone());
        } else {
            done.left.push(format!(
                "{}: left as it is: {}",
                entry.path,
                left.join(", ")
            ));
        }
    }
    repo.set_index(&index)?;
    if done.left.is_empty() {
        std::fs::remove_dir_all(&dir).map_err(io)?;
    } else {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let kept = dir.with_file_name(format!("hook-backup-{stamp}"));
        std::fs::rename(&dir, &kept).map_err(io)?;
        done.kept = Some(kept);
    }
    Ok(Some(done))
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

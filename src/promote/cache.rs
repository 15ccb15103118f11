//! The baseline cache: each check's result on the untouched tree, kept under the
//! worktree's git dir (`<git dir>/dash/verify-cache/<key>.json`) so a second `--verify`
//! over the same tree does not pay for it again.
//!
//! The key is a hash of the tree as the canary sees it (every file git does not ignore,
//! by path and contents, the lockfiles included), the package, and the check's command:
//! any edit anywhere in the tree, or another command, is another key. Installed
//! dependencies (`node_modules`) are not hashed; a lockfile change is.

use std::io::Read;
use std::path::{Path, PathBuf};

use ring::digest::{Context, SHA256};

use super::checks::Measure;

/// How many results are kept; the oldest are removed past it.
const KEEP: usize = 256;

/// Bumped when [`Measure`] or the checks change meaning.
const VERSION: &str = "dash-verify-cache-1";

pub struct Cache {
    dir: Option<PathBuf>,
}

impl Cache {
    /// The cache of the worktree whose top is `top`; outside git, none (every baseline
    /// is measured).
    pub fn of_worktree(top: &Path) -> Cache {
        Cache {
            dir: crate::journal::git_dir(top).map(|d| d.join("dash").join("verify-cache")),
        }
    }

    pub fn key(tree: &str, package: &str, check: &str) -> String {
        let mut hash = Context::new(&SHA256);
        for part in [VERSION, tree, package, check] {
            hash.update(part.as_bytes());
            hash.update(&[0]);
        }
        hex(hash.finish().as_ref())
    }

    pub fn get(&self, key: &str) -> Option<Measure> {
        let text = std::fs::read(self.dir.as_ref()?.join(format!("{key}.json"))).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Stores a result; a cache that cannot be written only costs the next run time.
    pub fn put(&self, key: &str, measure: &Measure) {
        let Some(dir) = &self.dir else { return };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let Ok(text) = serde_json::to_vec(measure) else {
            return;
        };
        let Ok(mut file) = tempfile::NamedTempFile::new_in(dir) else {
            return;
        };
        if std::io::Write::write_all(&mut file, &text).is_ok() {
            let _ = file.persist(dir.join(format!("{key}.json")));
        }
        prune(dir);
    }
}

fn prune(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let modified = e.metadata().ok()?.modified().ok()?;
            Some((modified, e.path()))
        })
        .collect();
    if files.len() <= KEEP {
        return;
    }
    files.sort();
    for (_, path) in &files[..files.len() - KEEP] {
        let _ = std::fs::remove_file(path);
    }
}

/// A hash of every file under `root` (the canary's copy), by relative path and contents;
/// links by their target, never followed (the linked `node_modules` are not hashed).
pub fn tree_hash(root: &Path) -> std::io::Result<String> {
    let mut entries = Vec::new();
    collect(root, root, &mut entries)?;
    entries.sort();
    let mut hash = Context::new(&SHA256);
    let mut buffer = vec![0u8; 1 << 16];
    for (rel, kind) in entries {
        hash.update(rel.as_bytes());
        hash.update(&[0]);
        match kind {
            Entry::Link(target) => {
                hash.update(b"link:");
                hash.update(target.as_bytes());
            }
            Entry::File => {
                let mut file = std::fs::File::open(root.join(&rel))?;
                loop {
                    let n = file.read(&mut buffer)?;
                    if n == 0 {
                        break;
                    }
                    hash.update(&buffer[..n]);
                }
            }
        }
        hash.update(&[0]);
    }
    Ok(hex(hash.finish().as_ref()))
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Entry {
    File,
    Link(String),
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, Entry)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if kind.is_symlink() {
            let target = std::fs::read_link(&path)?;
            out.push((rel, Entry::Link(target.to_string_lossy().into_owned())));
        } else if kind.is_dir() {
            collect(root, &path, out)?;
        } else {
            out.push((rel, Entry::File));
        }
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promote::checks::Status;

    #[test]
    fn the_hash_follows_contents_and_names_not_linked_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/a.js"), "a").unwrap();
        let first = tree_hash(root).unwrap();
        assert_eq!(tree_hash(root).unwrap(), first);
        std::fs::write(root.join("src/a.js"), "b").unwrap();
        let second = tree_hash(root).unwrap();
        assert_ne!(second, first);
        std::fs::rename(root.join("src/a.js"), root.join("src/b.js")).unwrap();
        assert_ne!(tree_hash(root).unwrap(), second);
    }

    #[test]
    fn results_round_trip_under_the_git_dir() {
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("git")
            .args(["init", "-q"])
            .current_dir(dir.path())
            .status()
            .unwrap();
        assert!(ok.success());
        let cache = Cache::of_worktree(dir.path());
        let key = Cache::key("tree", "pkg", "load src/a.js");
        assert_ne!(key, Cache::key("tree", "pkg", "load src/b.js"));
        assert_eq!(cache.get(&key), None);
        let measure = Measure::Load {
            status: Status::Exit(1),
            error: Some("TypeError: x".into()),
        };
        cache.put(&key, &measure);
        assert_eq!(cache.get(&key), Some(measure));
        assert!(
            dir.path()
                .join(".git/dash/verify-cache")
                .join(format!("{key}.json"))
                .is_file()
        );
        // Outside git: nothing is kept, nothing fails.
        let outside = Cache { dir: None };
        outside.put(
            &key,
            &Measure::Load {
                status: Status::Exit(0),
                error: None,
            },
        );
        assert_eq!(outside.get(&key), None);
    }
}

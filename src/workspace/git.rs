//! Git facts dash needs, read by asking `git` itself (three read-only queries do not
//! justify linking a git implementation) or, for a folder's HEAD, by reading the file.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One entry of `git worktree list --porcelain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorktreeEntry {
    pub path: PathBuf,
    pub head: Option<String>,
    /// Short branch name (`main`), or `None` when detached or bare.
    pub branch: Option<String>,
    pub bare: bool,
    pub locked: bool,
    pub prunable: bool,
}

/// The folder holding `.git` (file or folder) at or above `start`, if any.
pub fn enclosing_worktree(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| has_git_marker(dir))
        .map(Path::to_path_buf)
}

/// Whether `dir` is the top of a worktree or repository of its own.
pub fn has_git_marker(dir: &Path) -> bool {
    std::fs::symlink_metadata(dir.join(".git")).is_ok()
}

/// Every worktree of the repository that `dir` belongs to, main first, as git lists
/// them (locked and prunable ones included). `None` if git is missing or says no.
pub fn list_worktrees(dir: &Path) -> Option<Vec<WorktreeEntry>> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["worktree", "list", "--porcelain", "-z"])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    Some(parse_worktree_list(&String::from_utf8_lossy(
        &output.stdout,
    )))
}

/// Parses the NUL-separated porcelain format: attributes separated by NUL, records by an
/// empty attribute.
pub fn parse_worktree_list(porcelain: &str) -> Vec<WorktreeEntry> {
    let mut entries = Vec::new();
    let mut current: Option<WorktreeEntry> = None;
    for field in porcelain.split('\0') {
        if field.is_empty() {
            entries.extend(current.take());
            continue;
        }
        let (key, value) = field.split_once(' ').unwrap_or((field, ""));
        match key {
            "worktree" => {
                entries.extend(current.take());
                current = Some(WorktreeEntry {
                    path: PathBuf::from(value),
                    head: None,
                    branch: None,
                    bare: false,
                    locked: false,
                    prunable: false,
                });
            }
            _ => {
                let Some(entry) = current.as_mut() else {
                    continue;
                };
                match key {
                    "HEAD" => entry.head = Some(value.to_owned()),
                    "branch" => {
                        entry.branch = Some(
                            value
                                .strip_prefix("refs/heads/")
                                .unwrap_or(value)
                                .to_owned(),
                        )
                    }
                    "bare" => entry.bare = true,
                    "locked" => entry.locked = true,
                    "prunable" => entry.prunable = true,
                    _ => {}
                }
            }
        }
    }
    entries.extend(current);
    entries
}

/// The branch checked out in the worktree at `dir` (read from its HEAD file), or the
/// short commit id when detached.
pub fn head_of(dir: &Path) -> (Option<String>, Option<String>) {
    let Some(git_dir) = git_dir_of(dir) else {
        return (None, None);
    };
    let Ok(head) = std::fs::read_to_string(git_dir.join("HEAD")) else {
        return (None, None);
    };
    let head = head.trim();
    match head.strip_prefix("ref: ") {
        Some(reference) => (
            Some(
                reference
                    .strip_prefix("refs/heads/")
                    .unwrap_or(reference)
                    .to_owned(),
            ),
            None,
        ),
        None => (None, Some(head.to_owned())),
    }
}

/// `.git` is a folder in a main worktree and a file `gitdir: <path>` in linked worktrees
/// and submodules.
fn git_dir_of(dir: &Path) -> Option<PathBuf> {
    let marker = dir.join(".git");
    let meta = std::fs::metadata(&marker).ok()?;
    if meta.is_dir() {
        return Some(marker);
    }
    let text = std::fs::read_to_string(&marker).ok()?;
    let target = text.trim().strip_prefix("gitdir:")?.trim();
    let target = Path::new(target);
    Some(if target.is_absolute() {
        target.to_path_buf()
    } else {
        dir.join(target)
    })
}

/// Which of `files` (absolute, inside the worktree at `root`) have uncommitted changes:
/// modified, staged, or untracked. `None` when git cannot tell (not a repository).
pub fn dirty_files(root: &Path, files: &[PathBuf]) -> Option<Vec<PathBuf>> {
    if files.is_empty() {
        return Some(Vec::new());
    }
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["status", "--porcelain", "-z", "--untracked-files=all", "--"])
        .args(files)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let top = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .ok()?;
    let top = PathBuf::from(String::from_utf8_lossy(&top.stdout).trim());
    let text = String::from_utf8_lossy(&output.stdout);
    let mut dirty = Vec::new();
    let mut fields = text.split('\0');
    while let Some(entry) = fields.next() {
        if entry.len() < 4 {
            continue;
        }
        let (status, path) = entry.split_at(3);
        dirty.push(top.join(path));
        // Renames and copies carry the original path as an extra field.
        if status.starts_with('R') || status.starts_with('C') {
            fields.next();
        }
    }
    Some(dirty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_porcelain_records() {
        let text = "worktree /r/main\0HEAD 1111\0branch refs/heads/main\0\0\
                    worktree /r/feature\0HEAD 2222\0detached\0locked on a usb disk\0\0\
                    worktree /r/gone\0HEAD 3333\0branch refs/heads/old\0prunable gitdir file points to non-existent location\0\0";
        let entries = parse_worktree_list(text);
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].branch.as_deref(), Some("main"));
        assert_eq!(entries[1].branch, None);
        assert!(entries[1].locked);
        assert_eq!(entries[1].head.as_deref(), Some("2222"));
        assert!(entries[2].prunable);
        assert_eq!(entries[2].path, PathBuf::from("/r/gone"));
    }

    #[test]
    fn bare_repositories_are_marked() {
        let entries = parse_worktree_list("worktree /r/bare.git\0bare\0\0");
        assert!(entries[0].bare);
    }
}

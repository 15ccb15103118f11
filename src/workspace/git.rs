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

/// The files among `files` (absolute, inside the worktree at `root`) that are not
/// exactly as committed: modified, staged, untracked, or ignored by git (so not
/// committed either). Any number of files and any bytes in their names work.
///
/// An error when git cannot answer (not installed, "dubious ownership", a broken
/// repository): a check that cannot run must refuse, never pass.
pub fn dirty_files(root: &Path, files: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let top = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !top.status.success() {
        return Err(String::from_utf8_lossy(&top.stderr).trim().to_owned());
    }
    let mut top_bytes = top.stdout;
    while top_bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        top_bytes.pop();
    }
    let top = PathBuf::from(std::ffi::OsString::from_vec(top_bytes));
    // The whole worktree's status (no pathspecs: no argument-length limit, any bytes in
    // names), then the files asked about. `--ignored=matching` lists an ignored folder
    // once, with a trailing `/`: everything under it is ignored too.
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "status",
            "--porcelain",
            "-z",
            "--untracked-files=all",
            "--ignored=matching",
        ])
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
    }
    let mut exact = std::collections::HashSet::new();
    let mut folders = Vec::new();
    let mut fields = output.stdout.split(|b| *b == 0);
    while let Some(entry) = fields.next() {
        if entry.len() < 4 {
            continue;
        }
        let (status, path) = entry.split_at(3);
        match path.strip_suffix(b"/") {
            Some(folder) => folders.push(top.join(std::ffi::OsStr::from_bytes(folder))),
            None => {
                exact.insert(top.join(std::ffi::OsStr::from_bytes(path)));
            }
        }
        // Renames and copies carry the original path as an extra field.
        if status.starts_with(b"R") || status.starts_with(b"C") {
            fields.next();
        }
    }
    let dirty = files
        .iter()
        .filter(|f| exact.contains(*f) || folders.iter().any(|d| f.starts_with(d)))
        .cloned()
        .collect();
    Ok(dirty)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_git(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    #[test]
    fn dirty_files_sees_every_kind_of_uncommitted_file_and_refuses_when_git_cannot_answer() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        run_git(&root, &["init", "-q"]);
        let odd = root.join(std::ffi::OsStr::from_bytes(b"caf\xe9 \\ name.ts"));
        for name in ["clean.ts", "modified.ts", "staged.ts"] {
            std::fs::write(root.join(name), "a\n").unwrap();
        }
        std::fs::write(&odd, "a\n").unwrap();
        std::fs::write(root.join(".gitignore"), "ignored.ts\n").unwrap();
        run_git(&root, &["add", "."]);
        run_git(&root, &["commit", "-qm", "init"]);
        std::fs::write(root.join("modified.ts"), "b\n").unwrap();
        std::fs::write(root.join("staged.ts"), "b\n").unwrap();
        run_git(&root, &["add", "staged.ts"]);
        std::fs::write(root.join("untracked.ts"), "b\n").unwrap();
        std::fs::write(root.join("ignored.ts"), "b\n").unwrap();
        std::fs::write(&odd, "b\n").unwrap();
        let names = [
            "clean.ts",
            "modified.ts",
            "staged.ts",
            "untracked.ts",
            "ignored.ts",
        ];
        let mut files: Vec<PathBuf> = names.iter().map(|n| root.join(n)).collect();
        files.push(odd.clone());
        let mut dirty = dirty_files(&root, &files).unwrap();
        dirty.sort();
        let mut expected: Vec<PathBuf> = names[1..].iter().map(|n| root.join(n)).collect();
        expected.push(odd);
        expected.sort();
        assert_eq!(dirty, expected);
        // A repository git cannot read: an error, never "nothing is dirty".
        std::fs::write(root.join(".git/HEAD"), "garbage\n").unwrap();
        assert!(dirty_files(&root, &files).is_err());
    }

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

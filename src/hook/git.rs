//! The git plumbing the hook needs, each as few processes as possible: one to find the
//! repository, one to list what is staged (with modes and blob ids), one
//! `cat-file --batch` for every staged blob, one `update-index --index-info` for every
//! index entry written. Plumbing commands, never porcelain, so the output is stable and
//! `GIT_INDEX_FILE` (which `git commit` sets for its hooks) is honoured throughout.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::HookError;

/// The repository a hook run is about.
#[derive(Debug, Clone)]
pub struct Repo {
    /// The top of the worktree (absolute).
    pub top: PathBuf,
    /// Its git directory (absolute; a linked worktree's own).
    pub git_dir: PathBuf,
}

/// One staged file: its index entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staged {
    /// Relative to the top of the worktree, `/`-separated, as git prints it.
    pub path: String,
    /// `100644` or `100755` (other modes are never listed: links, submodules).
    pub mode: String,
    pub oid: String,
}

impl Repo {
    /// The repository holding `dir` (one `git rev-parse`).
    pub fn discover(dir: &Path) -> Result<Repo, HookError> {
        let output = git(dir)
            .args(["rev-parse", "--show-toplevel", "--absolute-git-dir"])
            .output()
            .map_err(|err| HookError::git("rev-parse", err.to_string()))?;
        if !output.status.success() {
            return Err(HookError::NotARepository {
                dir: dir.to_path_buf(),
            });
        }
        let text = String::from_utf8_lossy(&output.stdout);
        let mut lines = text.lines();
        match (lines.next(), lines.next()) {
            (Some(top), Some(git_dir)) => Ok(Repo {
                top: PathBuf::from(top),
                git_dir: PathBuf::from(git_dir),
            }),
            _ => Err(HookError::NotARepository {
                dir: dir.to_path_buf(),
            }),
        }
    }

    fn git(&self) -> Command {
        git(&self.top)
    }

    /// Files added, copied or modified in the index relative to HEAD (every file in a
    /// repository without commits), regular files only; renames count as additions.
    pub fn staged(&self) -> Result<Vec<Staged>, HookError> {
        let output = self
            .git()
            .args([
                "diff",
                "--cached",
                "--raw",
                "-z",
                "--no-abbrev",
                "--no-renames",
                "--no-ext-diff",
                "--diff-filter=ACM",
            ])
            .output()
            .map_err(|err| HookError::git("diff --cached", err.to_string()))?;
        check(&output, "diff --cached")?;
        Ok(parse_raw(&output.stdout))
    }

    /// The content of each blob, in order, through one `git cat-file --batch`.
    pub fn read_blobs(&self, oids: &[&str]) -> Result<Vec<Vec<u8>>, HookError> {
        if oids.is_empty() {
            return Ok(Vec::new());
        }
        let failed = |err: std::io::Error| HookError::git("cat-file --batch", err.to_string());
        let mut child = self
            .git()
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(failed)?;
        let mut stdin = child.stdin.take().expect("piped");
        let request: String = oids.iter().map(|oid| format!("{oid}\n")).collect();
        // Written from a thread: git answers while it reads, and a full pipe either way
        // would otherwise deadlock on many files.
        let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut blobs = Vec::with_capacity(oids.len());
        let mut header = String::new();
        for oid in oids {
            header.clear();
            stdout.read_line(&mut header).map_err(failed)?;
            let mut fields = header.split_whitespace();
            let (Some(_), Some("blob"), Some(size)) = (fields.next(), fields.next(), fields.next())
            else {
                let _ = child.kill();
                let _ = child.wait();
                return Err(HookError::git(
                    "cat-file --batch",
                    format!("no blob {oid}: {}", header.trim()),
                ));
            };
            let size: usize = size
                .parse()
                .map_err(|_| HookError::git("cat-file --batch", header.clone()))?;
            let mut blob = vec![0; size + 1];
            stdout.read_exact(&mut blob).map_err(failed)?;
            blob.pop(); // the newline after each object
            blobs.push(blob);
        }
        let _ = writer.join();
        let status = child.wait().map_err(failed)?;
        if !status.success() {
            return Err(HookError::git("cat-file --batch", format!("{status}")));
        }
        Ok(blobs)
    }

    /// Writes `bytes` as a blob (no clean filters: the bytes are a staged blob's, fixed)
    /// and returns its id.
    pub fn write_blob(&self, bytes: &[u8]) -> Result<String, HookError> {
        let output = self.with_stdin(&["hash-object", "-w", "--no-filters", "--stdin"], bytes)?;
        Ok(String::from_utf8_lossy(&output).trim().to_owned())
    }

    /// Sets index entries in one `git update-index --index-info` (mode `0` removes).
    pub fn set_index(&self, entries: &[(String, String, String)]) -> Result<(), HookError> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut input = Vec::new();
        for (mode, oid, path) in entries {
            input.extend_from_slice(format!("{mode} {oid}\t{path}").as_bytes());
            input.push(0);
        }
        self.with_stdin(&["update-index", "-z", "--index-info"], &input)?;
        Ok(())
    }

    /// The stage-0 index entries of `paths`: path → (mode, oid).
    pub fn index_entries(
        &self,
        paths: &[&str],
    ) -> Result<std::collections::HashMap<String, (String, String)>, HookError> {
        let mut entries = std::collections::HashMap::new();
        if paths.is_empty() {
            return Ok(entries);
        }
        let output = self
            .git()
            .args(["ls-files", "-s", "-z", "--full-name", "--"])
            .args(paths.iter().map(|p| format!(":(literal){p}")))
            .output()
            .map_err(|err| HookError::git("ls-files -s", err.to_string()))?;
        check(&output, "ls-files -s")?;
        for record in output.stdout.split(|&b| b == 0) {
            let record = String::from_utf8_lossy(record);
            let Some((meta, path)) = record.split_once('\t') else {
                continue;
            };
            let mut fields = meta.split(' ');
            if let (Some(mode), Some(oid), Some("0")) =
                (fields.next(), fields.next(), fields.next())
            {
                entries.insert(path.to_owned(), (mode.to_owned(), oid.to_owned()));
            }
        }
        Ok(entries)
    }

    /// A three-way merge of `ours` (the working file) and `theirs` (the fixed blob) from
    /// their common `base` (the staged blob), with `git merge-file`: `None` when they
    /// conflict. Changes on adjacent lines conflict, as they do in every git merge.
    pub fn merge(
        &self,
        scratch: &Path,
        ours: &[u8],
        base: &[u8],
        theirs: &[u8],
    ) -> Result<Option<Vec<u8>>, HookError> {
        let io = |err: std::io::Error| HookError::git("merge-file", err.to_string());
        let dir = tempfile::tempdir_in(scratch).map_err(io)?;
        let names = ["ours", "base", "theirs"];
        for (name, bytes) in names.iter().zip([ours, base, theirs]) {
            std::fs::write(dir.path().join(name), bytes).map_err(io)?;
        }
        let output = Command::new("git")
            .current_dir(dir.path())
            .args(["merge-file", "-p", "--quiet", "ours", "base", "theirs"])
            .output()
            .map_err(io)?;
        match output.status.code() {
            Some(0) => Ok(Some(output.stdout)),
            // The number of conflicts (git caps it at 127); negative values are errors.
            Some(1..=127) => Ok(None),
            _ => Err(HookError::git(
                "merge-file",
                String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            )),
        }
    }

    /// The hooks folder: `core.hooksPath` when set (relative to the top), else the
    /// repository's `hooks` (shared by its worktrees).
    pub fn hooks_dir(&self) -> Result<PathBuf, HookError> {
        let output = self
            .git()
            .args(["rev-parse", "--git-path", "hooks"])
            .output()
            .map_err(|err| HookError::git("rev-parse --git-path hooks", err.to_string()))?;
        check(&output, "rev-parse --git-path hooks")?;
        let path = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        Ok(if path.is_absolute() {
            path
        } else {
            self.top.join(path)
        })
    }

    fn with_stdin(&self, args: &[&str], input: &[u8]) -> Result<Vec<u8>, HookError> {
        let what = args[0];
        let failed = |err: std::io::Error| HookError::git(what, err.to_string());
        let mut child = self
            .git()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(failed)?;
        let mut stdin = child.stdin.take().expect("piped");
        let input = input.to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let output = child.wait_with_output().map_err(failed)?;
        let _ = writer.join();
        check(&output, what)?;
        Ok(output.stdout)
    }
}

fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command.arg("-C").arg(dir);
    command
}

fn check(output: &std::process::Output, what: &str) -> Result<(), HookError> {
    if output.status.success() {
        Ok(())
    } else {
        Err(HookError::git(
            what,
            String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        ))
    }
}

/// Parses `git diff --raw -z`: `:old-mode new-mode old-oid new-oid status NUL path NUL`.
fn parse_raw(raw: &[u8]) -> Vec<Staged> {
    let mut staged = Vec::new();
    let mut fields = raw.split(|&b| b == 0);
    while let Some(meta) = fields.next() {
        if meta.is_empty() {
            continue;
        }
        let Some(path) = fields.next() else { break };
        let meta = String::from_utf8_lossy(meta);
        let parts: Vec<&str> = meta.trim_start_matches(':').split(' ').collect();
        let [_, mode, _, oid, _] = parts[..] else {
            continue;
        };
        if mode != "100644" && mode != "100755" {
            continue;
        }
        staged.push(Staged {
            path: String::from_utf8_lossy(path).into_owned(),
            mode: mode.to_owned(),
            oid: oid.to_owned(),
        });
    }
    staged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_raw_diff_records() {
        let raw = b":000000 100644 0000 aaaa A\0src/a b.ts\0\
                    :100644 100755 bbbb cccc M\0bin/x.js\0\
                    :000000 120000 0000 dddd A\0link.ts\0\
                    :000000 160000 0000 eeee A\0sub\0";
        let staged = parse_raw(raw);
        assert_eq!(
            staged,
            vec![
                Staged {
                    path: "src/a b.ts".into(),
                    mode: "100644".into(),
                    oid: "aaaa".into()
                },
                Staged {
                    path: "bin/x.js".into(),
                    mode: "100755".into(),
                    oid: "cccc".into()
                },
            ]
        );
    }
}

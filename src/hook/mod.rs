//! The pre-commit hook: the enabled rules on exactly what is staged, and with `--fix`
//! their safe fixes written into the index and merged into the working tree without
//! losing an unstaged byte.
//!
//! What is checked is the index, never the working tree: the staged files are listed
//! with their blob ids (`git diff --cached --raw`), every blob is read through one
//! `git cat-file --batch`, and each goes through the same candidate checks, prefilter and
//! engine as `dash scan`. A fix is computed on the staged blob; the fixed blob replaces
//! it in the index, and the working file gets the same change: written as is when the
//! working file is the staged blob, else merged three ways (working, staged, fixed) with
//! `git merge-file`. If any merge conflicts, nothing is written anywhere and the commit
//! stops. Before anything is touched, [`backup`] saves it; a killed run is restored by
//! the next one.

pub mod backup;
pub mod git;
pub mod install;

use std::path::{Path, PathBuf};

use miette::Diagnostic;
use rayon::prelude::*;
use thiserror::Error;

use crate::edit::FileText;
use crate::engine::fix::FixOptions;
use crate::engine::scan::check_file;
use crate::engine::{Engine, fix::fix_file};
use crate::review::{Kind, Proposal, Session};
use crate::rules::console::RULE_ID as CONSOLE;
use crate::rules::{FileCx, LineIndex};
use crate::workspace::source::{Candidate, Source};
use crate::workspace::{Categorizer, Category, SourceFile, display_path};

pub use git::{Repo, Staged};

#[derive(Debug, Error, Diagnostic)]
pub enum HookError {
    #[error("{} is not inside a git repository", dir.display())]
    #[diagnostic(
        code(dash::hook::not_a_repository),
        help("the hook checks what is staged in a git repository; run it from inside one")
    )]
    NotARepository { dir: PathBuf },
    #[error("git {what} failed: {message}")]
    #[diagnostic(
        code(dash::hook::git),
        help("nothing was changed by this step; check that git works in this repository")
    )]
    Git { what: String, message: String },
    #[error("cannot write the hook's backup at {}", path.display())]
    #[diagnostic(
        code(dash::hook::backup),
        help("nothing was changed; check the permissions and free space of the .git folder")
    )]
    Backup {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} exists and is not dash's hook", path.display())]
    #[diagnostic(
        code(dash::hook::exists),
        help(
            "`dash hook install --chain` keeps it and runs it before dash; `--force` replaces it"
        )
    )]
    HookExists { path: PathBuf },
    #[error("cannot write {}", path.display())]
    #[diagnostic(
        code(dash::hook::install),
        help("check the permissions of the hooks folder")
    )]
    Install {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "writing the fixes failed, so the backup was restored (anything it could not restore is named):\n{message}"
    )]
    #[diagnostic(
        code(dash::hook::write),
        help("a file changed while the hook ran; commit again")
    )]
    RolledBack { message: String },
}

impl HookError {
    pub(crate) fn git(what: &str, message: String) -> HookError {
        HookError::Git {
            what: what.to_owned(),
            message,
        }
    }
}

impl crate::exit::HasExit for HookError {
    fn exit(&self) -> crate::exit::Exit {
        use crate::exit::Exit;
        match self {
            HookError::NotARepository { .. } | HookError::HookExists { .. } => Exit::Usage,
            HookError::Git { .. }
            | HookError::Backup { .. }
            | HookError::Install { .. }
            | HookError::RolledBack { .. } => Exit::Partial,
        }
    }
}

/// The environment variable that makes a run sleep after a step (`backup`, `index` or
/// `worktree`) so tests can kill it there. Tests only.
pub const PAUSE_ENV: &str = "DASH_HOOK_PAUSE_AFTER";

fn pause_after(step: &str) {
    if std::env::var(PAUSE_ENV).is_ok_and(|v| v == step) {
        eprintln!("dash hook: paused after {step}");
        std::thread::sleep(std::time::Duration::from_secs(600));
    }
}

/// A staged file to check: its index entry, and the file as the engine sees it.
pub struct StagedFile {
    pub staged: Staged,
    pub file: SourceFile,
}

/// The staged JavaScript/TypeScript files of `repo` that a walk would list (the default
/// excludes and `[paths] exclude` apply), categorized by `[paths]` and their packages (the
/// staged text refines it where it is read).
pub fn staged_files(
    repo: &Repo,
    config: &crate::config::Config,
    cwd: Option<&Path>,
) -> Result<Vec<StagedFile>, miette::Report> {
    let categorizer = Categorizer::new(config)?;
    // Package facts (`bin`, browser packages) from the working tree's package.json files.
    let packages = crate::workspace::Packages::default();
    let excludes = crate::workspace::category::compile(config, &config.paths.exclude)?;
    let mut files: Vec<StagedFile> = repo
        .staged()?
        .into_iter()
        .filter_map(|staged| {
            let lang = crate::syntax::Lang::from_path(Path::new(&staged.path))?;
            if crate::workspace::excluded_by_default(&staged.path)
                || excludes.is_match(&staged.path)
            {
                return None;
            }
            let path = repo.top.join(&staged.path);
            let category =
                packages.categorize(&path, &repo.top, categorizer.categorize(&staged.path));
            Some(StagedFile {
                file: SourceFile {
                    display: display_path(&path, cwd),
                    path,
                    lang,
                    worktree: 0,
                    category,
                    source: Source::StagedBlob {
                        oid: staged.oid.clone(),
                    },
                },
                staged,
            })
        })
        .collect();
    files.sort_by(|a, b| a.file.display.cmp(&b.file.display));
    Ok(files)
}

/// A finding in staged content, located.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Located {
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub rule: &'static str,
    pub group: String,
    pub message: String,
    pub category: Category,
}

/// What the hook found in (and did to) one staged file.
#[derive(Debug)]
pub struct Checked {
    pub index: usize,
    /// Findings in the content that would be committed (after the fixes, with `--fix`).
    pub findings: Vec<Located>,
    /// Not analyzed, and why.
    pub skipped: Option<String>,
    /// With `--fix`: the fixed blob and how many fixes made it, when something changed.
    pub fixed: Option<(Vec<u8>, usize)>,
    /// Whether a fix used the logger module the console rule proposes to create.
    pub uses_new_logger: bool,
}

/// Checks (and with `fix`, fixes) every staged file: `blobs[i]` is the content of
/// `files[i]`.
pub fn check(
    files: &[StagedFile],
    blobs: Vec<Vec<u8>>,
    scan: &Engine,
    fix: Option<&Engine>,
    limit: u64,
) -> Vec<Checked> {
    files
        .par_iter()
        .zip(blobs.into_par_iter())
        .enumerate()
        .map(|(index, (staged, bytes))| check_one(index, &staged.file, bytes, scan, fix, limit))
        .collect()
}

fn check_one(
    index: usize,
    file: &SourceFile,
    bytes: Vec<u8>,
    scan: &Engine,
    fix: Option<&Engine>,
    limit: u64,
) -> Checked {
    let mut checked = Checked {
        index,
        findings: Vec::new(),
        skipped: None,
        fixed: None,
        uses_new_logger: false,
    };
    // What the staged text says (a shebang, `'use client'`, a CLI's entry).
    let category = crate::workspace::content::refine(file.category, &bytes);
    let mut bytes = bytes;
    if let Some(engine) = fix
        && let Candidate::Text { bytes: raw, .. } = engine.candidate(file, bytes.clone(), limit)
        && let Some(file_text) = FileText::from_bytes(&raw)
    {
        let cx = FileCx {
            path: &file.path,
            lang: file.lang,
            category,
            text: &file_text.text,
            newline: file_text.ending.as_str(),
        };
        {
            // The project's declared quotes and semicolons (read per file: the hook fixes
            // the few staged files).
            let result = fix_file(
                &cx,
                &engine.fix_candidates(&cx),
                &FixOptions {
                    unsafe_fixes: false,
                    style: crate::edit::style::StyleCache::new().for_file(&file.path),
                },
            );
            if result.refused.is_none() && result.changed(&file_text.text) {
                checked.uses_new_logger = result
                    .fixed
                    .iter()
                    .any(|r| r.rule == CONSOLE && r.action != Some("remove"));
                let fixed = file_text.to_bytes(&result.new_text);
                checked.fixed = Some((fixed.clone(), result.fixed.len()));
                bytes = fixed;
            }
        }
    }
    match scan.candidate(file, bytes, limit) {
        Candidate::Text { bytes, hits } => {
            let Ok(text) = std::str::from_utf8(crate::workspace::source::without_bom(&bytes))
            else {
                return checked;
            };
            let cx = FileCx {
                path: &file.path,
                lang: file.lang,
                category,
                text,
                newline: "\n",
            };
            let rules = scan.applicable(hits & scan.wanted(category, file.lang), &cx);
            if rules.is_empty() {
                return checked;
            }
            if let Some((_, found)) = check_file(&cx, &rules, false) {
                let mut lines = LineIndex::new(text.as_bytes());
                let mut found = found;
                found.sort_by_key(|f| f.range.start);
                checked.findings = found
                    .into_iter()
                    .map(|f| {
                        let at = lines.position(f.range.start);
                        Located {
                            path: file.display.clone(),
                            line: at.line,
                            column: at.column,
                            rule: f.rule,
                            group: f.group.into_owned(),
                            message: f.message.into_owned(),
                            category,
                        }
                    })
                    .collect();
            }
        }
        Candidate::NoNeedle { .. } => {}
        Candidate::Skipped(skip) => checked.skipped = Some(skip.to_string()),
    }
    checked
}

/// The findings that block a commit: console calls in production code beyond
/// `[hook] max-production` (all of them then), and every finding of another rule.
/// Console calls elsewhere are policy for `dash fix`, not the hook's business.
pub fn blocking(findings: &[Located], max_production: u64) -> Vec<Located> {
    let production: Vec<&Located> = findings
        .iter()
        .filter(|f| f.rule == CONSOLE && f.category == Category::Production)
        .collect();
    let mut out: Vec<Located> = findings
        .iter()
        .filter(|f| f.rule != CONSOLE)
        .cloned()
        .collect();
    if production.len() as u64 > max_production {
        out.extend(production.into_iter().cloned());
    }
    out.sort();
    out
}

/// A planned change to one staged file.
#[derive(Debug)]
pub struct Planned {
    pub path: String,
    pub display: String,
    pub mode: String,
    pub old_oid: String,
    pub fixed: Vec<u8>,
    pub working: WorkingPlan,
}

/// What the fix does to the working file.
#[derive(Debug)]
pub enum WorkingPlan {
    /// Rewrite it from `before` to `after`.
    Write { before: Vec<u8>, after: Vec<u8> },
    /// Leave it alone: deleted or not a regular file in the working tree (an unstaged
    /// change the fix must not undo), or it already holds the fix.
    Leave,
    /// The fix and the unstaged changes overlap: nothing may be written.
    Conflict,
}

/// Decides, for each fixed blob, what happens to its working file; writes nothing.
pub fn plan(
    repo: &Repo,
    files: &[StagedFile],
    staged_blobs: &[Vec<u8>],
    checked: &[Checked],
) -> Result<Vec<Planned>, HookError> {
    let scratch = repo.git_dir.join("dash");
    let mut planned = Vec::new();
    for c in checked {
        let Some((fixed, _)) = &c.fixed else { continue };
        let StagedFile { staged, file } = &files[c.index];
        let base = &staged_blobs[c.index];
        let working = match std::fs::symlink_metadata(&file.path) {
            Ok(meta) if meta.is_file() => {
                let current = std::fs::read(&file.path).map_err(|err| {
                    HookError::git("read", format!("{}: {err}", file.path.display()))
                })?;
                if current == *base && roundtrips(fixed) {
                    WorkingPlan::Write {
                        before: current,
                        after: fixed.clone(),
                    }
                } else if current == *base {
                    WorkingPlan::Conflict
                } else if current == *fixed {
                    WorkingPlan::Leave
                } else {
                    std::fs::create_dir_all(&scratch).map_err(|source| HookError::Backup {
                        path: scratch.clone(),
                        source,
                    })?;
                    match repo.merge(&scratch, &current, base, fixed)? {
                        Some(merged) if roundtrips(&merged) => WorkingPlan::Write {
                            before: current,
                            after: merged,
                        },
                        _ => WorkingPlan::Conflict,
                    }
                }
            }
            _ => WorkingPlan::Leave,
        };
        planned.push(Planned {
            path: staged.path.clone(),
            display: file.display.clone(),
            mode: staged.mode.clone(),
            old_oid: staged.oid.clone(),
            fixed: fixed.clone(),
            working,
        });
    }
    Ok(planned)
}

/// Whether bytes survive the trip through [`FileText`] that every write takes.
fn roundtrips(bytes: &[u8]) -> bool {
    FileText::from_bytes(bytes).is_some_and(|t| t.to_bytes(&t.text) == bytes)
}

/// A file a fix needs that does not exist yet (the console rule's logger module).
#[derive(Debug)]
pub struct NewFile {
    pub path: PathBuf,
    pub display: String,
    pub text: String,
}

/// Writes a conflict-free plan: backup, blobs, index, working files, and the new files
/// (created and staged). On any failure after the backup, everything is restored.
pub fn apply(repo: &Repo, planned: &[Planned], new_files: &[NewFile]) -> Result<(), HookError> {
    let mut entries = Vec::new();
    let mut session = Session::new();
    session.confine([repo.top.clone()]);
    for p in planned {
        let oid = repo.write_blob(&p.fixed)?;
        let (working, before, after) = match &p.working {
            WorkingPlan::Write { before, after } => {
                let file_text = FileText::from_bytes(after).expect("checked by plan");
                session.propose(Proposal {
                    path: repo.top.join(&p.path),
                    display: p.display.clone(),
                    change: Kind::Modify {
                        on_disk: Some(before.clone()),
                        new_text: file_text.text.clone(),
                        file_text,
                        edits: Vec::new(),
                    },
                });
                (
                    backup::Working::Modified,
                    Some(before.clone()),
                    Some(after.clone()),
                )
            }
            WorkingPlan::Leave => (backup::Working::Untouched, None, None),
            WorkingPlan::Conflict => unreachable!("a plan with conflicts is never applied"),
        };
        entries.push(backup::Entry {
            path: p.path.clone(),
            index_before: Some((p.mode.clone(), p.old_oid.clone())),
            index_after: (p.mode.clone(), oid),
            working_before: before,
            working_after: after,
            working,
        });
    }
    for new in new_files {
        let relative = new
            .path
            .strip_prefix(&repo.top)
            .unwrap_or(&new.path)
            .to_string_lossy()
            .replace('\\', "/");
        let oid = repo.write_blob(new.text.as_bytes())?;
        session.propose(Proposal {
            path: new.path.clone(),
            display: new.display.clone(),
            change: Kind::Create {
                text: new.text.clone(),
            },
        });
        entries.push(backup::Entry {
            path: relative,
            index_before: None,
            index_after: ("100644".into(), oid),
            working_before: None,
            working_after: Some(new.text.as_bytes().to_vec()),
            working: backup::Working::Created,
        });
    }
    backup::save(repo, &entries)?;
    pause_after("backup");
    let index: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| {
            (
                e.index_after.0.clone(),
                e.index_after.1.clone(),
                e.path.clone(),
            )
        })
        .collect();
    if let Err(err) = repo.set_index(&index) {
        return Err(roll_back(repo, err.to_string()));
    }
    pause_after("index");
    let written = session.write();
    if !written.failed.is_empty() {
        let message = written
            .failed
            .iter()
            .map(|e| format!("  {e}"))
            .collect::<Vec<_>>()
            .join("\n");
        return Err(roll_back(repo, message));
    }
    pause_after("worktree");
    backup::remove(repo)
}

fn roll_back(repo: &Repo, message: String) -> HookError {
    match backup::restore(repo) {
        Ok(Some(restored)) if !restored.left.is_empty() => HookError::RolledBack {
            message: format!("{message}\n{}", restored.left.join("\n")),
        },
        Ok(_) => HookError::RolledBack { message },
        Err(err) => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn a_working_file_changed_during_the_run_rolls_everything_back() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q"]);
        std::fs::write(root.join("a.ts"), "console.log(1);\n").unwrap();
        git(root, &["add", "a.ts"]);
        let repo = Repo::discover(root).unwrap();
        let index_before = git(root, &["ls-files", "-s"]);
        let oid = index_before.split(' ').nth(1).unwrap().to_owned();
        // The plan read the working file as "old"; it now holds something else, so the
        // staleness-checked write refuses it after the index was already written.
        let planned = vec![Planned {
            path: "a.ts".into(),
            display: "a.ts".into(),
            mode: "100644".into(),
            old_oid: oid,
            fixed: b"fixed\n".to_vec(),
            working: WorkingPlan::Write {
                before: b"old\n".to_vec(),
                after: b"fixed\n".to_vec(),
            },
        }];
        let err = apply(&repo, &planned, &[]).unwrap_err();
        assert!(matches!(err, HookError::RolledBack { .. }), "{err}");
        assert_eq!(git(root, &["ls-files", "-s"]), index_before);
        assert_eq!(
            std::fs::read_to_string(root.join("a.ts")).unwrap(),
            "console.log(1);\n"
        );
        assert!(!backup::dir(&repo).exists());
    }

    #[test]
    fn blocking_counts_production_console_calls_against_the_limit() {
        let at = |rule: &'static str, category| Located {
            path: "a.ts".into(),
            line: 1,
            column: 1,
            rule,
            group: "log".into(),
            message: String::new(),
            category,
        };
        let found = vec![
            at(CONSOLE, Category::Production),
            at(CONSOLE, Category::Production),
            at(CONSOLE, Category::Tests),
            at("focused-test", Category::Tests),
        ];
        assert_eq!(blocking(&found, 0).len(), 3);
        assert_eq!(blocking(&found, 1).len(), 3);
        assert_eq!(blocking(&found, 2).len(), 1);
    }
}

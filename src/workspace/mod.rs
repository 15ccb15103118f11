//! What to analyze: the worktrees behind the paths a user names, and every source file
//! in them, each with its worktree and category.
//!
//! Teams working with many git worktrees want one inventory across them, so naming the
//! top of a worktree brings in every worktree of that repository (as `git worktree list`
//! has them, locked and prunable ones included). Folders found during the walk that hold
//! a `.git` of their own (nested repositories, worktrees placed inside another) are rows
//! of their own too, and a file belongs to the innermost worktree that holds it.

// Errors carry config text for diagnostics; they are cold and happen once per run.
#![allow(clippy::result_large_err)]

pub mod category;
pub mod content;
pub mod git;
pub(crate) mod package;
pub mod source;
mod walk;

use rayon::prelude::*;
use std::path::{Path, PathBuf};

use miette::Diagnostic;
use serde::Serialize;
use thiserror::Error;

pub use category::{Categorizer, Category};
pub(crate) use package::Packages;

use crate::config::{Config, ConfigError};
use crate::syntax::Lang;

#[derive(Debug, Error, Diagnostic)]
pub enum WorkspaceError {
    #[error("{}: no such file or folder", path.display())]
    #[diagnostic(
        code(dash::path::missing),
        help("check the path; dash scans the folders and files you name")
    )]
    Missing { path: PathBuf },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] ConfigError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WorktreeKind {
    /// The main worktree of a repository.
    Main,
    /// A linked worktree (`git worktree add`).
    Linked,
    /// A repository or worktree found inside a scanned folder.
    Nested,
    /// No git: the scanned path itself.
    Plain,
}

#[derive(Debug, Clone, Serialize)]
pub struct Worktree {
    /// Absolute, canonical.
    #[serde(skip)]
    pub root: PathBuf,
    /// As printed: relative to the working directory when inside it.
    pub path: String,
    pub kind: WorktreeKind,
    pub branch: Option<String>,
    pub head: Option<String>,
    pub locked: bool,
    pub prunable: bool,
    /// The folder is gone (a prunable worktree): nothing to walk.
    pub missing: bool,
    /// A path the user named is in this worktree (not merely another worktree of the same
    /// repository, or a repository nested in a named folder): thresholds count these.
    #[serde(skip)]
    pub named: bool,
}

/// A source file to analyze.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    /// As printed: relative to the working directory when inside it, `/`-separated.
    pub display: String,
    pub lang: Lang,
    pub worktree: usize,
    pub category: Category,
    /// Where its bytes are read from (the working tree, or a staged blob).
    pub source: source::Source,
}

/// A path the walk could not enter or read (permission denied, a symlink loop, a broken
/// link): reported, and the rest goes on.
#[derive(Debug, Clone, Serialize)]
pub struct WalkProblem {
    pub path: String,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct WalkOptions {
    pub hidden: bool,
    pub no_ignore: bool,
    pub follow_links: bool,
    /// Bring in the repository's other worktrees when a worktree's top is scanned.
    pub worktrees: bool,
    pub threads: usize,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            hidden: false,
            no_ignore: false,
            follow_links: false,
            worktrees: true,
            threads: 0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Workspace {
    pub worktrees: Vec<Worktree>,
    /// Sorted by display path; no duplicates.
    pub files: Vec<SourceFile>,
    pub problems: Vec<WalkProblem>,
    /// Files walked that are not JavaScript/TypeScript sources dash handles are never
    /// listed; this counts the ones excluded by default rules (`.d.ts`, `*.min.js`).
    pub excluded: usize,
}

impl Workspace {
    pub fn discover(
        paths: &[PathBuf],
        config: &Config,
        options: &WalkOptions,
    ) -> Result<Workspace, WorkspaceError> {
        Self::discover_with(paths, config, options, &|_| ()).map(|(workspace, _)| workspace)
    }

    /// [`Workspace::discover`], calling `visit` on each file in the walk's thread that
    /// finds it; the results come back in the workspace's file order (`visit` sees the
    /// file before its worktree index is final: the index is set afterwards).
    pub fn discover_with<T: Send>(
        paths: &[PathBuf],
        config: &Config,
        options: &WalkOptions,
        visit: &(dyn Fn(&SourceFile) -> T + Sync),
    ) -> Result<(Workspace, Vec<T>), WorkspaceError> {
        let cwd = std::env::current_dir()
            .ok()
            .and_then(|d| std::fs::canonicalize(d).ok());
        let display = |p: &Path| display_path(p, cwd.as_deref());
        let categorizer = Categorizer::new(config)?;
        let packages = package::Packages::default();
        let excludes = category::compile(config, &config.paths.exclude)?;

        let mut worktrees: Vec<Worktree> = Vec::new();
        let mut roots: Vec<PathBuf> = Vec::new();
        let add_worktree = |wt: Worktree, worktrees: &mut Vec<Worktree>| match worktrees
            .iter_mut()
            .find(|w| w.root == wt.root)
        {
            Some(known) => known.named |= wt.named,
            None => worktrees.push(wt),
        };
        for path in paths {
            let canonical = std::fs::canonicalize(path)
                .map_err(|_| WorkspaceError::Missing { path: path.clone() })?;
            roots.push(canonical.clone());
            let Some(top) = git::enclosing_worktree(if canonical.is_dir() {
                &canonical
            } else {
                canonical.parent().unwrap_or(&canonical)
            }) else {
                add_worktree(plain_worktree(&canonical, &display), &mut worktrees);
                continue;
            };
            let listed = if options.worktrees && canonical == top {
                git::list_worktrees(&top)
            } else {
                None
            };
            match listed {
                Some(entries) => {
                    for (i, entry) in entries.into_iter().filter(|e| !e.bare).enumerate() {
                        let root = std::fs::canonicalize(&entry.path).unwrap_or(entry.path.clone());
                        let missing = !root.is_dir();
                        if !missing {
                            roots.push(root.clone());
                        }
                        let kind = if i == 0 {
                            WorktreeKind::Main
                        } else {
                            WorktreeKind::Linked
                        };
                        add_worktree(
                            Worktree {
                                path: display(&root),
                                named: root == top,
                                root,
                                kind,
                                branch: entry.branch,
                                head: entry.head,
                                locked: entry.locked,
                                prunable: entry.prunable,
                                missing,
                            },
                            &mut worktrees,
                        );
                    }
                }
                None => {
                    let (branch, head) = git::head_of(&top);
                    add_worktree(
                        Worktree {
                            path: display(&top),
                            root: top,
                            kind: WorktreeKind::Main,
                            branch,
                            head,
                            locked: false,
                            prunable: false,
                            missing: false,
                            named: true,
                        },
                        &mut worktrees,
                    );
                }
            }
        }
        roots.sort();
        roots.dedup();

        let known_roots: Vec<PathBuf> = worktrees.iter().map(|w| w.root.clone()).collect();
        // Each file as the walk finds it: its innermost worktree (the longest root holding
        // it, nested repositories found so far included), its category from the path
        // inside that worktree and from its package (`bin`, browser packages), then
        // `visit`. What the file's own text says is added where it is read
        // (`content::refine`).
        let source_file = |path: PathBuf, lang: Lang, nested: &walk::Nested| {
            let nested = nested.read().unwrap_or_else(|p| p.into_inner());
            let root = known_roots
                .iter()
                .chain(nested.iter())
                .filter(|root| path.starts_with(root))
                .max_by_key(|root| root.as_os_str().len())?
                .clone();
            drop(nested);
            let relative = path.strip_prefix(&root).ok()?;
            let relative = relative.to_string_lossy().replace('\\', "/");
            let category = packages.categorize(&path, &root, categorizer.categorize(&relative));
            let file = SourceFile {
                display: display(&path),
                category,
                path,
                lang,
                worktree: usize::MAX,
                source: source::Source::Disk,
            };
            let visited = visit(&file);
            Some((file, root, visited))
        };
        let walked = walk::walk(&roots, &known_roots, &excludes, options, &source_file);

        for nested in walked.nested_repos {
            if worktrees.iter().any(|w| w.root == nested) {
                continue;
            }
            let (branch, head) = git::head_of(&nested);
            worktrees.push(Worktree {
                path: display(&nested),
                root: nested,
                kind: WorktreeKind::Nested,
                branch,
                head,
                locked: false,
                prunable: false,
                missing: false,
                named: false,
            });
        }
        worktrees.sort_by(|a, b| a.path.cmp(&b.path));
        let index: std::collections::HashMap<&Path, usize> = worktrees
            .iter()
            .enumerate()
            .map(|(i, w)| (w.root.as_path(), i))
            .collect();

        let mut found = walked.files;
        found.par_sort_by(|a, b| a.0.display.cmp(&b.0.display));
        found.dedup_by(|a, b| a.0.path == b.0.path);
        let (files, visited): (Vec<SourceFile>, Vec<T>) = found
            .into_iter()
            .map(|(mut file, root, visited)| {
                file.worktree = index[root.as_path()];
                (file, visited)
            })
            .unzip();

        let mut problems = walked.problems;
        problems.sort_by(|a, b| a.path.cmp(&b.path));
        Ok((
            Workspace {
                worktrees,
                files,
                problems,
                excluded: walked.excluded,
            },
            visited,
        ))
    }
}

fn plain_worktree(path: &Path, display: &impl Fn(&Path) -> String) -> Worktree {
    let root = if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent().unwrap_or(path).to_path_buf()
    };
    Worktree {
        path: display(&root),
        root,
        kind: WorktreeKind::Plain,
        branch: None,
        head: None,
        locked: false,
        prunable: false,
        missing: false,
        named: true,
    }
}

/// Whether the walk would leave out this worktree-relative path by default (see
/// `walk::excluded_by_default`).
pub fn excluded_by_default(relative: &str) -> bool {
    walk::excluded_by_default(relative)
}

/// Relative to `cwd` when inside it (`.` for `cwd` itself), else absolute; `/`-separated.
pub fn display_path(path: &Path, cwd: Option<&Path>) -> String {
    // Every walked file is shown this way: compare bytes first (a component-wise
    // `strip_prefix` and two copies per file added up), and fall back for anything odd.
    if let (Some(cwd), Some(full)) = (cwd.and_then(Path::to_str), path.to_str())
        && let Some(rest) = full.strip_prefix(cwd)
        && let Some(rest) = rest.strip_prefix('/')
        && is_plain(rest)
    {
        return if rest.contains('\\') {
            rest.replace('\\', "/")
        } else {
            rest.to_owned()
        };
    }
    let shown = match cwd.and_then(|cwd| path.strip_prefix(cwd).ok()) {
        Some(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
        Some(rel) => rel.to_path_buf(),
        None => path.to_path_buf(),
    };
    shown.to_string_lossy().replace('\\', "/")
}

/// Whether a relative path has no `.`/`..` components or doubled separators that
/// `Path::strip_prefix` would read differently from a byte comparison.
fn is_plain(rest: &str) -> bool {
    rest.split('/')
        .all(|part| !part.is_empty() && part != "." && part != "..")
}

#[cfg(test)]
mod display_tests {
    use super::display_path;
    use std::path::Path;

    #[test]
    fn display_paths_relative_to_the_working_directory() {
        let cwd = Some(Path::new("/repo/app"));
        for (path, shown) in [
            ("/repo/app/src/a.ts", "src/a.ts"),
            ("/repo/app", "."),
            ("/repo/apple/b.ts", "/repo/apple/b.ts"),
            ("/other/c.ts", "/other/c.ts"),
            ("/repo/app/.hidden/d.ts", ".hidden/d.ts"),
            ("/repo/app/x\\y.ts", "x/y.ts"),
        ] {
            assert_eq!(display_path(Path::new(path), cwd), shown, "{path}");
        }
        assert_eq!(display_path(Path::new("/r/a.ts"), None), "/r/a.ts");
    }
}

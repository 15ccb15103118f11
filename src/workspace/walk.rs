//! The parallel walk (the `ignore` crate, ripgrep's walker): .gitignore and friends,
//! hidden folders, the default excludes, symlink loops.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use globset::GlobSet;
use ignore::{WalkBuilder, WalkState};

use super::{WalkOptions, WalkProblem};
use crate::syntax::Lang;

/// Folders that hold generated or third-party code in JavaScript projects.
const EXCLUDED_DIRS: &[&str] = &["node_modules", "dist", "build", "coverage"];

/// Whether a worktree-relative, `/`-separated path is one the walk never lists (inside
/// a generated or third-party folder, or not hand-written code): the hook, which gets
/// its paths from the index rather than a walk, skips the same files.
pub(super) fn excluded_by_default(relative: &str) -> bool {
    let mut parts = relative.split('/');
    let name = parts.next_back().unwrap_or("");
    parts.any(|dir| EXCLUDED_DIRS.contains(&dir)) || excluded_file(name)
}

/// Files that are not hand-written executable code.
fn excluded_file(name: &str) -> bool {
    name.ends_with(".d.ts")
        || name.ends_with(".d.mts")
        || name.ends_with(".d.cts")
        || name.contains(".min.")
        || name.ends_with("-min.js")
}

/// What the walk found; `files` holds what `visit` made of each source file.
pub(super) struct Walked<T> {
    pub files: Vec<T>,
    pub nested_repos: Vec<PathBuf>,
    pub problems: Vec<WalkProblem>,
    pub excluded: usize,
}

impl<T> Default for Walked<T> {
    fn default() -> Self {
        Walked {
            files: Vec::new(),
            nested_repos: Vec::new(),
            problems: Vec::new(),
            excluded: 0,
        }
    }
}

/// The nested repositories found so far. A folder is visited before the walk lists
/// its entries, so every file below a nested repository sees it here.
pub(super) type Nested = std::sync::RwLock<Vec<PathBuf>>;

/// Walks `roots` on `options.threads` threads, calling `visit` on each source file in
/// the thread that found it (with the nested repositories known at that point): the
/// scan analyzes files there, as ripgrep searches them, so no thread waits for the whole
/// walk to end before its first file.
pub(super) fn walk<T: Send>(
    roots: &[PathBuf],
    known_roots: &[PathBuf],
    excludes: &GlobSet,
    options: &WalkOptions,
    visit: &(dyn Fn(PathBuf, Lang, &Nested) -> Option<T> + Sync),
) -> Walked<T> {
    let Some((first, rest)) = roots.split_first() else {
        return Walked::default();
    };
    let mut builder = WalkBuilder::new(first);
    for root in rest {
        builder.add(root);
    }
    builder
        .hidden(!options.hidden)
        .follow_links(options.follow_links)
        .threads(options.threads)
        .git_ignore(!options.no_ignore)
        .git_exclude(!options.no_ignore)
        .git_global(!options.no_ignore)
        .ignore(!options.no_ignore)
        .parents(!options.no_ignore)
        // Respect .gitignore in folders that are not (yet) git repositories too, like a
        // freshly unpacked project: what the author ignored is not their source.
        .require_git(false);

    let roots_for_filter: Vec<PathBuf> = roots.to_vec();
    let known: Vec<PathBuf> = known_roots
        .iter()
        .filter(|r| !roots.contains(r))
        .cloned()
        .collect();
    let excludes = excludes.clone();
    builder.filter_entry(move |entry| {
        let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
        if entry.depth() == 0 {
            return true;
        }
        if is_dir
            && EXCLUDED_DIRS
                .iter()
                .any(|d| d.as_bytes() == entry.file_name().as_encoded_bytes())
        {
            return false;
        }
        // Another worktree that is walked as a root of its own.
        if is_dir && known.iter().any(|k| k == entry.path()) {
            return false;
        }
        if !excludes.is_empty() {
            let relative = roots_for_filter
                .iter()
                .filter_map(|r| entry.path().strip_prefix(r).ok())
                .min_by_key(|p| p.as_os_str().len());
            if let Some(relative) = relative {
                let relative = relative.to_string_lossy();
                if excludes.is_match(relative.as_ref())
                    || (is_dir && excludes.is_match(format!("{relative}/")))
                {
                    return false;
                }
            }
        }
        true
    });

    let found = Mutex::new(Walked::default());
    let nested: Nested = Nested::default();
    builder.build_parallel().run(|| {
        let found = &found;
        let nested = &nested;
        let mut local = Walked::default();
        // Each worker collects locally and merges once, at drop, to avoid contention.
        struct Flush<'a, T> {
            local: Walked<T>,
            into: &'a Mutex<Walked<T>>,
        }
        impl<T> Drop for Flush<'_, T> {
            fn drop(&mut self) {
                let mut all = self.into.lock().unwrap_or_else(|p| p.into_inner());
                all.files.append(&mut self.local.files);
                all.nested_repos.append(&mut self.local.nested_repos);
                all.problems.append(&mut self.local.problems);
                all.excluded += self.local.excluded;
            }
        }
        local.files.reserve(256);
        let mut flush = Flush { local, into: found };
        Box::new(move |result| {
            let local = &mut flush.local;
            match result {
                Ok(entry) => {
                    let Some(file_type) = entry.file_type() else {
                        return WalkState::Continue;
                    };
                    if file_type.is_dir() {
                        if entry.depth() > 0 && super::git::has_git_marker(entry.path()) {
                            local.nested_repos.push(entry.path().to_path_buf());
                            nested
                                .write()
                                .unwrap_or_else(|p| p.into_inner())
                                .push(entry.path().to_path_buf());
                        }
                    } else if file_type.is_file()
                        && let Some(lang) = Lang::from_path(entry.path())
                    {
                        if excluded_file(&entry.file_name().to_string_lossy()) {
                            local.excluded += 1;
                        } else {
                            local.files.extend(visit(entry.into_path(), lang, nested));
                        }
                    }
                }
                Err(err) => local.problems.push(problem(err)),
            }
            WalkState::Continue
        })
    });
    found.into_inner().unwrap_or_else(|p| p.into_inner())
}

fn problem(err: ignore::Error) -> WalkProblem {
    let path = error_path(&err)
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let message = match &err {
        ignore::Error::WithPath { err, .. } => err.to_string(),
        ignore::Error::WithDepth { err, .. } => match err.as_ref() {
            ignore::Error::WithPath { err, .. } => err.to_string(),
            other => other.to_string(),
        },
        other => other.to_string(),
    };
    WalkProblem { path, message }
}

fn error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}

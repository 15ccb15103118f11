//! The canary: a copy of the package where each candidate repair is tried and proven
//! before anything in the project changes.
//!
//! A temporary copy of the package's files (everything but `node_modules` and `.git`)
//! with a `node_modules` whose entries link to the package's, rather than a `git worktree add` of HEAD: the copy is
//! exactly the working tree that just failed (uncommitted and untracked files included,
//! with nothing to replay), it works outside git too, and it never adds a worktree or
//! a branch to the user's repository that a crash could leave behind. The package's own
//! `node_modules` is linked inside the copy and the nearest one above the package (a
//! hoisted workspace install) next to it, so that Node resolves as in the project.
//!
//! `dash fix --verify` ([`crate::promote`]) uses [`Canary::of_tree`]: a copy of a whole
//! working tree (the files git does not ignore, so no build output or caches), because a
//! package's checks read files outside it (a base `tsconfig.json`, a sibling package), with
//! every `node_modules` folder linked where it is.

use std::path::{Path, PathBuf};

/// A copy of a package in a temporary folder, removed when dropped.
pub struct Canary {
    _dir: tempfile::TempDir,
    /// Removed by the interrupt handler if a signal ends dash first.
    _on_interrupt: crate::interrupt::Scratch,
    /// The copy's root (where the runner runs).
    pub root: PathBuf,
}

impl Canary {
    pub fn new(package: &Path) -> std::io::Result<Canary> {
        let dir = tempfile::Builder::new().prefix("dash-canary-").tempdir()?;
        let on_interrupt = crate::interrupt::scratch(dir.path());
        let base = std::fs::canonicalize(dir.path())?;
        let name = package.file_name().unwrap_or_else(|| "package".as_ref());
        let root = base.join(name);
        copy_tree(package, &root)?;
        let own = package.join("node_modules");
        if own.is_dir() {
            link_modules(&own, &root.join("node_modules"))?;
        }
        link_hoisted(package, &base)?;
        Ok(Canary {
            _dir: dir,
            _on_interrupt: on_interrupt,
            root,
        })
    }

    /// A copy of the working tree at `top`: every file and folder that git would not
    /// ignore (`.gitignore`, `.git/info/exclude`; also outside git), links kept as links,
    /// and every `node_modules` folder linked in place instead of copied.
    pub fn of_tree(top: &Path) -> std::io::Result<Canary> {
        let dir = tempfile::Builder::new().prefix("dash-canary-").tempdir()?;
        let on_interrupt = crate::interrupt::scratch(dir.path());
        let base = std::fs::canonicalize(dir.path())?;
        let name = top.file_name().unwrap_or_else(|| "tree".as_ref());
        let root = base.join(name);
        let walk = ignore::WalkBuilder::new(top)
            .hidden(false)
            .ignore(false)
            .git_global(false)
            .parents(false)
            .require_git(false)
            .follow_links(false)
            .filter_entry(|e| e.file_name() != ".git" && e.file_name() != "node_modules")
            .build();
        for entry in walk {
            let entry = entry.map_err(std::io::Error::other)?;
            let rel = entry.path().strip_prefix(top).unwrap_or(entry.path());
            let target = root.join(rel);
            let Some(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                std::fs::create_dir_all(&target)?;
                let modules = entry.path().join("node_modules");
                if modules.is_dir() {
                    link_modules(&modules, &target.join("node_modules"))?;
                }
            } else if kind.is_symlink() {
                symlink(&std::fs::read_link(entry.path())?, &target)?;
            } else {
                std::fs::copy(entry.path(), &target)?;
            }
        }
        link_hoisted(top, &base)?;
        Ok(Canary {
            _dir: dir,
            _on_interrupt: on_interrupt,
            root,
        })
    }

    /// Replaces a file of the copy (`rel` is relative to the package).
    pub fn write(&self, rel: &str, text: &str) -> std::io::Result<()> {
        std::fs::write(self.root.join(rel), text)
    }

    /// Writes a file of the copy, making its folders (for a file a change creates).
    pub fn write_bytes(&self, rel: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, bytes)
    }

    /// Removes a file of the copy if it is there (a created file rolled back).
    pub fn remove(&self, rel: &Path) -> std::io::Result<()> {
        match std::fs::remove_file(self.root.join(rel)) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }

    pub fn read(&self, rel: &str) -> std::io::Result<String> {
        std::fs::read_to_string(self.root.join(rel))
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == "node_modules" || name == ".git" {
            continue;
        }
        let kind = entry.file_type()?;
        let target = to.join(&name);
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_symlink() {
            symlink(&std::fs::read_link(entry.path())?, &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Links the nearest `node_modules` above `original` next to the copy in `base`, so
/// packages hoisted to a workspace root still resolve from the copy.
fn link_hoisted(original: &Path, base: &Path) -> std::io::Result<()> {
    match original
        .ancestors()
        .skip(1)
        .map(|dir| dir.join("node_modules"))
        .find(|dir| dir.is_dir())
    {
        Some(hoisted) => link_modules(&hoisted, &base.join("node_modules")),
        None => Ok(()),
    }
}

/// Gives the copy a `node_modules` of its own whose entries link to the project's: a
/// folder, not a link to the project's folder. A check that reinstalls (pnpm's
/// `verifyDepsBeforeRun`, a `pretest` install) then replaces the copy's entries, not the
/// project's. With the whole folder linked, pnpm run in a copy relinked the project's
/// packages to the copy's temporary path, and every one of them broke when it was removed.
fn link_modules(original: &Path, copy: &Path) -> std::io::Result<()> {
    std::fs::create_dir(copy)?;
    for entry in std::fs::read_dir(original)? {
        let entry = entry?;
        symlink(&entry.path(), &copy.join(entry.file_name()))?;
    }
    Ok(())
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    if target.is_dir() {
        std::os::windows::fs::symlink_dir(target, link)
    } else {
        std::os::windows::fs::symlink_file(target, link)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reinstall_in_the_copy_leaves_the_projects_node_modules_alone() {
        let dir = tempfile::tempdir().unwrap();
        let package = dir.path().join("app");
        std::fs::create_dir_all(package.join("node_modules/.pnpm/vitest@4/node_modules/vitest"))
            .unwrap();
        std::fs::write(package.join("node_modules/.modules.yaml"), "layout: 5\n").unwrap();
        symlink(
            Path::new(".pnpm/vitest@4/node_modules/vitest"),
            &package.join("node_modules/vitest"),
        )
        .unwrap();
        let canary = Canary::new(&package).unwrap();
        let copy = canary.root.join("node_modules");
        assert!(
            !std::fs::symlink_metadata(&copy)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(
            copy.join("vitest").exists(),
            "entries resolve through the links"
        );
        // What pnpm does when it relinks: replace the entry and rewrite its state file.
        std::fs::remove_file(copy.join("vitest")).unwrap();
        symlink(Path::new("/nowhere/vitest"), &copy.join("vitest")).unwrap();
        std::fs::remove_file(copy.join(".modules.yaml")).unwrap();
        std::fs::write(copy.join(".modules.yaml"), "layout: 6\n").unwrap();
        drop(canary);
        assert_eq!(
            std::fs::read_link(package.join("node_modules/vitest")).unwrap(),
            Path::new(".pnpm/vitest@4/node_modules/vitest")
        );
        assert_eq!(
            std::fs::read_to_string(package.join("node_modules/.modules.yaml")).unwrap(),
            "layout: 5\n"
        );
    }

    #[test]
    fn copies_the_working_tree_and_links_node_modules() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path();
        let package = repo.join("packages/app");
        std::fs::create_dir_all(package.join("src")).unwrap();
        std::fs::create_dir_all(package.join("node_modules/jest")).unwrap();
        std::fs::create_dir_all(package.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join("node_modules/vitest")).unwrap();
        std::fs::write(package.join("src/a.test.js"), "test('a', () => {});\n").unwrap();
        let canary = Canary::new(&package).unwrap();
        assert_eq!(
            canary.read("src/a.test.js").unwrap(),
            "test('a', () => {});\n"
        );
        assert!(canary.root.join("node_modules/jest").is_dir());
        assert!(canary.root.join("../node_modules/vitest").is_dir());
        assert!(!canary.root.join(".git").exists());
        canary.write("src/a.test.js", "changed").unwrap();
        // The project is untouched.
        assert_eq!(
            std::fs::read_to_string(package.join("src/a.test.js")).unwrap(),
            "test('a', () => {});\n"
        );
        let root = canary.root.clone();
        drop(canary);
        assert!(!root.exists());
    }

    #[test]
    fn a_tree_copy_leaves_out_ignored_files_and_links_every_node_modules() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().join("repo");
        let app = top.join("packages/app");
        std::fs::create_dir_all(app.join("node_modules/pino")).unwrap();
        std::fs::create_dir_all(app.join("dist")).unwrap();
        std::fs::create_dir_all(top.join("node_modules/typescript")).unwrap();
        std::fs::create_dir_all(top.join(".git")).unwrap();
        std::fs::write(top.join(".gitignore"), "dist/\nnode_modules/\n").unwrap();
        std::fs::write(top.join("tsconfig.base.json"), "{}").unwrap();
        std::fs::write(app.join("index.js"), "exports.a = 1;\n").unwrap();
        std::fs::write(app.join("dist/index.js"), "built").unwrap();
        let canary = Canary::of_tree(&top).unwrap();
        let root = &canary.root;
        assert_eq!(
            std::fs::read_to_string(root.join("tsconfig.base.json")).unwrap(),
            "{}"
        );
        assert!(root.join("packages/app/index.js").is_file());
        assert!(!root.join("packages/app/dist").exists());
        assert!(!root.join(".git").exists());
        assert!(root.join("node_modules/typescript").is_dir());
        assert!(root.join("packages/app/node_modules/pino").is_dir());
        // A folder of its own whose entries link to the project's.
        assert!(!root.join("packages/app/node_modules").is_symlink());
        assert!(root.join("packages/app/node_modules/pino").is_symlink());
        canary
            .write_bytes(Path::new("packages/app/src/new.js"), b"x")
            .unwrap();
        assert!(root.join("packages/app/src/new.js").is_file());
        canary.remove(Path::new("packages/app/src/new.js")).unwrap();
        canary.remove(Path::new("packages/app/src/new.js")).unwrap();
        assert!(!app.join("src").exists());
    }
}

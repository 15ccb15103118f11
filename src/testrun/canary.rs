//! The canary: a copy of the package where each candidate repair is tried and proven
//! before anything in the project changes.
//!
//! A temporary copy of the package's files (everything but `node_modules` and `.git`)
//! with its `node_modules` linked, rather than a `git worktree add` of HEAD: the copy is
//! exactly the working tree that just failed (uncommitted and untracked files included,
//! with nothing to replay), it works outside git too, and it never adds a worktree or
//! a branch to the user's repository that a crash could leave behind. The package's own
//! `node_modules` is linked inside the copy and the nearest one above the package (a
//! hoisted workspace install) next to it, so that Node resolves as in the project.

use std::path::{Path, PathBuf};

/// A copy of a package in a temporary folder, removed when dropped.
pub struct Canary {
    _dir: tempfile::TempDir,
    /// The copy's root (where the runner runs).
    pub root: PathBuf,
}

impl Canary {
    pub fn new(package: &Path) -> std::io::Result<Canary> {
        let dir = tempfile::Builder::new().prefix("dash-canary-").tempdir()?;
        let base = std::fs::canonicalize(dir.path())?;
        let name = package.file_name().unwrap_or_else(|| "package".as_ref());
        let root = base.join(name);
        copy_tree(package, &root)?;
        let own = package.join("node_modules");
        if own.is_dir() {
            symlink(&own, &root.join("node_modules"))?;
        }
        if let Some(hoisted) = package
            .ancestors()
            .skip(1)
            .map(|dir| dir.join("node_modules"))
            .find(|dir| dir.is_dir())
        {
            symlink(&hoisted, &base.join("node_modules"))?;
        }
        Ok(Canary { _dir: dir, root })
    }

    /// Replaces a file of the copy (`rel` is relative to the package).
    pub fn write(&self, rel: &str, text: &str) -> std::io::Result<()> {
        std::fs::write(self.root.join(rel), text)
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

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_dir(target, link)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

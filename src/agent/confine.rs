//! Confinement: every path a tool receives is relative to the repository root and
//! must stay inside it. `..` that climbs above the root, absolute paths, and paths
//! whose existing part resolves (through symlinks) outside the root are refused
//! before anything is read or written; so is git's own folder.

use std::path::{Component, Path, PathBuf};

/// The repository the tools work in.
#[derive(Debug, Clone)]
pub struct Root {
    /// Canonical (symlinks resolved), so containment is a prefix test.
    canonical: PathBuf,
}

/// A path that passed confinement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confined {
    /// Absolute, under the root (as given, not resolved: a link inside the root that
    /// points inside the root is kept as the link).
    pub abs: PathBuf,
    /// Repository-relative, `/`-separated, normalised (`""` for the root).
    pub rel: String,
}

impl Root {
    pub fn new(root: &Path) -> std::io::Result<Root> {
        Ok(Root {
            canonical: root.canonicalize()?,
        })
    }

    pub fn path(&self) -> &Path {
        &self.canonical
    }

    /// Checks `path` (as the model wrote it). Errors are the text of an error result.
    pub fn resolve(&self, path: &str) -> Result<Confined, String> {
        if path.contains('\0') {
            return Err(format!("refused: {path:?} contains a NUL byte"));
        }
        let given = Path::new(path);
        if given.is_absolute() || path.starts_with('/') || path.starts_with('\\') {
            return Err(format!(
                "refused: {path:?} is absolute; paths are relative to the repository root"
            ));
        }
        let mut parts: Vec<String> = Vec::new();
        for component in given.components() {
            match component {
                Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
                Component::CurDir => {}
                Component::ParentDir => {
                    if parts.pop().is_none() {
                        return Err(format!(
                            "refused: {path:?} leads outside the repository (`..` above its root)"
                        ));
                    }
                }
                Component::RootDir | Component::Prefix(_) => {
                    return Err(format!(
                        "refused: {path:?} is absolute; paths are relative to the repository root"
                    ));
                }
            }
        }
        if parts.first().is_some_and(|p| p == ".git") {
            return Err(format!("refused: {path:?} is inside git's own folder"));
        }
        let rel = parts.join("/");
        let abs = parts.iter().fold(self.canonical.clone(), |p, c| p.join(c));
        self.check_links(&abs, path)?;
        Ok(Confined { abs, rel })
    }

    /// The deepest existing ancestor of `abs` (itself included) must resolve inside
    /// the root; a dangling link is refused, since writing through it would create its
    /// target wherever it points.
    fn check_links(&self, abs: &Path, shown: &str) -> Result<(), String> {
        let mut probe = abs.to_path_buf();
        loop {
            match std::fs::symlink_metadata(&probe) {
                Ok(meta) => {
                    let resolved = match probe.canonicalize() {
                        Ok(r) => r,
                        Err(_) if meta.file_type().is_symlink() => {
                            return Err(format!(
                                "refused: {shown:?} goes through a symbolic link whose target does not exist"
                            ));
                        }
                        Err(e) => return Err(format!("cannot resolve {shown:?}: {e}")),
                    };
                    if resolved.starts_with(&self.canonical) {
                        return Ok(());
                    }
                    return Err(format!(
                        "refused: {shown:?} resolves outside the repository (through a symbolic link)"
                    ));
                }
                Err(_) => {
                    if !probe.pop() || !probe.starts_with(&self.canonical) {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Whether an absolute path found by a walk (not followed through links) resolves
    /// inside the root.
    pub fn contains_resolved(&self, abs: &Path) -> bool {
        abs.canonicalize()
            .is_ok_and(|r| r.starts_with(&self.canonical))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, tempfile::TempDir, Root) {
        let repo = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(repo.path().join("src")).unwrap();
        std::fs::write(repo.path().join("src/a.ts"), "a").unwrap();
        std::fs::write(outside.path().join("secret.txt"), "s").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(outside.path(), repo.path().join("out")).unwrap();
            std::os::unix::fs::symlink(
                outside.path().join("secret.txt"),
                repo.path().join("secret"),
            )
            .unwrap();
            std::os::unix::fs::symlink("src/a.ts", repo.path().join("inside")).unwrap();
        }
        let root = Root::new(repo.path()).unwrap();
        (repo, outside, root)
    }

    #[test]
    fn paths_inside_are_accepted_and_normalised() {
        let (_repo, _outside, root) = setup();
        assert_eq!(root.resolve("src/./a.ts").unwrap().rel, "src/a.ts");
        assert_eq!(root.resolve("src/../src/a.ts").unwrap().rel, "src/a.ts");
        assert_eq!(
            root.resolve("new/dir/file.ts").unwrap().rel,
            "new/dir/file.ts"
        );
        assert_eq!(root.resolve(".").unwrap().rel, "");
    }

    #[test]
    fn escapes_are_refused() {
        let (_repo, outside, root) = setup();
        for bad in ["../x", "src/../../x", "/etc/passwd", ".git/config"] {
            let err = root.resolve(bad).unwrap_err();
            assert!(err.starts_with("refused"), "{bad}: {err}");
        }
        let abs = outside.path().join("secret.txt");
        assert!(root.resolve(abs.to_str().unwrap()).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_resolving_outside_are_refused_and_inside_accepted() {
        let (_repo, _outside, root) = setup();
        for bad in ["secret", "out", "out/secret.txt", "out/new.txt"] {
            let err = root.resolve(bad).unwrap_err();
            assert!(err.contains("outside the repository"), "{bad}: {err}");
        }
        assert_eq!(root.resolve("inside").unwrap().rel, "inside");
    }
}

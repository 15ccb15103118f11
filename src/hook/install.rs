//! `dash hook install`: a `pre-commit` script in the repository's hooks folder
//! (`core.hooksPath` respected) that runs `dash hook run`. An existing hook that is not
//! dash's is never overwritten silently: `--force` replaces it, `--chain` keeps it
//! (renamed) and runs it first.

use std::path::{Path, PathBuf};

use super::HookError;
use super::git::Repo;

/// The line that marks a hook as dash's own (so reinstalling replaces it).
pub const MARKER: &str = "# dash pre-commit hook";

/// What an existing foreign hook is renamed to with `--chain`.
pub const CHAINED: &str = "pre-commit.before-dash";

#[derive(Debug, Clone, Copy, Default)]
pub struct InstallOptions {
    pub force: bool,
    pub chain: bool,
    /// The hook runs `dash hook run --fix`.
    pub fix: bool,
}

/// What install did.
#[derive(Debug)]
pub struct Installed {
    pub path: PathBuf,
    /// The foreign hook kept and run first.
    pub chained: Option<PathBuf>,
    /// A foreign hook that `--force` replaced.
    pub replaced: bool,
}

/// The command the hook runs.
pub fn command(fix: bool) -> &'static str {
    if fix {
        "dash hook run --fix"
    } else {
        "dash hook run"
    }
}

/// The hook script; `chained` names the kept hook to run first.
pub fn script(fix: bool, chained: bool) -> String {
    let mut s = format!(
        "#!/bin/sh\n{MARKER} (written by `dash hook install`; `dash hook install --force` rewrites it)\n"
    );
    if chained {
        s.push_str(&format!(
            "\"$(dirname \"$0\")/{CHAINED}\" \"$@\" || exit $?\n"
        ));
    }
    s.push_str(
        "if ! command -v dash >/dev/null 2>&1; then\n  \
         echo 'dash hook: `dash` is not on PATH; install it (npm or cargo install) or remove this hook' >&2\n  \
         exit 1\nfi\n",
    );
    s.push_str(&format!("exec {}\n", command(fix)));
    s
}

/// Writes the hook.
pub fn install(repo: &Repo, options: InstallOptions) -> Result<Installed, HookError> {
    let dir = repo.hooks_dir()?;
    let path = dir.join("pre-commit");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| HookError::Install { path, source }
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let existing = match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => return Err(io(&path)(err)),
    };
    let ours = |bytes: &[u8]| String::from_utf8_lossy(bytes).contains(MARKER);
    let chained_path = dir.join(CHAINED);
    let mut installed = Installed {
        path: path.clone(),
        chained: None,
        replaced: false,
    };
    match &existing {
        Some(bytes) if !ours(bytes) => {
            if options.chain {
                if chained_path.exists() {
                    // Renaming would lose the hook chained before.
                    return Err(HookError::HookExists { path: chained_path });
                }
                std::fs::rename(&path, &chained_path).map_err(io(&path))?;
                installed.chained = Some(chained_path.clone());
            } else if options.force {
                installed.replaced = true;
            } else {
                return Err(HookError::HookExists { path });
            }
        }
        // Reinstalling keeps a chain set up before.
        Some(bytes) if String::from_utf8_lossy(bytes).contains(CHAINED) => {
            installed.chained = Some(chained_path.clone());
        }
        _ => {}
    }
    let text = script(options.fix, installed.chained.is_some());
    write_executable(&dir, &path, text.as_bytes()).map_err(io(&path))?;
    Ok(installed)
}

/// A complete script or none: a temp file in the hooks folder, made executable, renamed
/// over the hook.
fn write_executable(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o755))?;
    }
    temp.persist(path).map_err(|err| err.error)?;
    Ok(())
}

/// The lines for hook managers that own `.git/hooks` themselves.
pub fn manager_lines(fix: bool) -> String {
    let run = command(fix);
    format!(
        "husky (v9): put this line in .husky/pre-commit:\n  {run}\n\n\
         lefthook: add to lefthook.yml:\n  pre-commit:\n    commands:\n      dash:\n        run: {run}\n\n\
         pre-commit (pre-commit.com): add to .pre-commit-config.yaml:\n  \
         - repo: local\n    hooks:\n      - id: dash\n        name: dash\n        entry: {run}\n        \
         language: system\n        pass_filenames: false\n"
    )
}

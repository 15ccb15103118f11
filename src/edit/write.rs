//! Putting edited bytes on disk without ever losing what was there.
//!
//! Peer tools write with a plain `fs::write`: a crash or a full disk halfway leaves a
//! truncated source file, and a file that an editor or an agent changed after the
//! preview is silently clobbered. dash writes a complete temp file next to the target,
//! syncs it, and renames it over the target (a rename within one folder is atomic), and
//! only after checking that the target still holds exactly the bytes dash read.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum WriteError {
    #[error("{} changed since dash read it; not overwriting it", path.display())]
    #[diagnostic(
        code(dash::edit::changed),
        help("the file was left as it is now; run dash again to fix its current content")
    )]
    Changed { path: PathBuf },
    #[error("{} already exists; not overwriting it", path.display())]
    #[diagnostic(
        code(dash::edit::exists),
        help("the existing file was left as it is; move it away or point dash at it in dash.toml")
    )]
    Exists { path: PathBuf },
    #[error("{} is outside the repository (it resolves to {}); not writing it", path.display(), real.display())]
    #[diagnostic(
        code(dash::edit::outside),
        help(
            "dash only writes inside the repositories it works on: check symbolic links (-L), the paths given and [logger] module in dash.toml"
        )
    )]
    Outside { path: PathBuf, real: PathBuf },
    #[error("cannot write {}", path.display())]
    #[diagnostic(
        code(dash::edit::io),
        help("the file was left unchanged; check the permissions and free space of its folder")
    )]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Replaces the file at `path` with `new_bytes` if its content is still exactly `original`
/// (else WriteError::Changed, file untouched). Atomic: a temp file in the same folder
/// (tempfile::NamedTempFile::new_in), written, flushed and synced, given the original's
/// permissions, then renamed over the path. If `path` is a symlink, the link's target is
/// written and the link kept. Never leaves a temp file behind on error.
///
/// The content is compared twice: before any work, and again after the temp file is
/// complete, right before the rename, so the window in which a concurrent writer can be
/// lost is the rename itself. Hard links to the file keep the old content (a rename
/// gives the path a new inode), as with every editor that saves atomically.
pub fn write_if_unchanged(
    path: &Path,
    original: &[u8],
    new_bytes: &[u8],
) -> Result<(), WriteError> {
    write_if_unchanged_with(path, original, new_bytes, None, || {})
}

/// [`write_if_unchanged`], giving the file the Unix permission bits `mode` instead of
/// keeping the current ones (`dash undo` restores a file mode for mode as well as byte
/// for byte). `None`, and on other platforms, keeps them.
pub fn restore_if_unchanged(
    path: &Path,
    original: &[u8],
    new_bytes: &[u8],
    mode: Option<u32>,
) -> Result<(), WriteError> {
    write_if_unchanged_with(path, original, new_bytes, mode, || {})
}

/// [`write_if_unchanged`] with a hook run just before the final check, so tests can
/// change the file at the worst moment.
fn write_if_unchanged_with(
    path: &Path,
    original: &[u8],
    new_bytes: &[u8],
    mode: Option<u32>,
    before_final_check: impl FnOnce(),
) -> Result<(), WriteError> {
    let io_error = |source| WriteError::Io {
        path: path.to_owned(),
        source,
    };
    // Writing to the resolved path replaces the link's target and leaves the link.
    let target = match fs::canonicalize(path) {
        Ok(target) => target,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Err(WriteError::Changed {
                path: path.to_owned(),
            });
        }
        Err(err) => return Err(io_error(err)),
    };
    let metadata = fs::metadata(&target).map_err(io_error)?;
    if !metadata.is_file() {
        return Err(io_error(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    ensure_unchanged(path, &target, original)?;

    let folder = target.parent().unwrap_or(Path::new("."));
    let mut temp = temp_file_in(folder).map_err(io_error)?;
    // On any error below, `temp` is dropped, which deletes the temp file.
    write_all_synced(&mut temp, new_bytes, |file| {
        keep_owner(file, &metadata);
        // After the owner: changing the owner may clear set-id bits.
        file.set_permissions(permissions(&metadata, mode))
    })
    .map_err(io_error)?;

    before_final_check();
    ensure_unchanged(path, &target, original)?;
    temp.persist(&target).map_err(|err| io_error(err.error))?;
    sync_folder(folder);
    Ok(())
}

/// Creates a new file (and its parent folders) atomically; WriteError::Exists if present.
///
/// The file appears complete or not at all, with mode 0644 on Unix (what git records
/// for an ordinary source file). The final rename refuses to replace a file created in
/// the meantime, so an existing file is never overwritten.
pub fn create_new(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let io_error = |source| WriteError::Io {
        path: path.to_owned(),
        source,
    };
    let exists = || WriteError::Exists {
        path: path.to_owned(),
    };
    // `symlink_metadata` so that even a dangling link counts as present.
    if fs::symlink_metadata(path).is_ok() {
        return Err(exists());
    }
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::create_dir_all(folder).map_err(io_error)?;
    let mut temp = temp_file_in(folder).map_err(io_error)?;
    write_all_synced(&mut temp, bytes, set_new_file_mode).map_err(io_error)?;
    temp.persist_noclobber(path).map_err(|err| {
        if err.error.kind() == io::ErrorKind::AlreadyExists {
            exists()
        } else {
            io_error(err.error)
        }
    })?;
    sync_folder(folder);
    Ok(())
}

/// Removes the file at `path` if its content is still exactly `original` (else
/// WriteError::Changed, file untouched); `dash undo` uses it for files dash created.
///
/// The file is first renamed to a hidden name in its folder (atomic: from then on no
/// writer can reach it by its path), checked, and only then deleted; if it changed in
/// the meantime it is put back, never over a file created at its path since. A
/// symlink is refused: dash creates regular files only.
pub fn remove_if_unchanged(path: &Path, original: &[u8]) -> Result<(), WriteError> {
    let io_error = |source| WriteError::Io {
        path: path.to_owned(),
        source,
    };
    let changed = || WriteError::Changed {
        path: path.to_owned(),
    };
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => {
            return Err(io_error(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            )));
        }
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Err(changed()),
        Err(err) => return Err(io_error(err)),
    }
    ensure_unchanged(path, path, original)?;
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    // A free hidden name: the temp file is created and kept only to reserve it.
    let aside = temp_file_in(folder)
        .and_then(|temp| temp.into_temp_path().keep().map_err(|err| err.error))
        .map_err(io_error)?;
    if let Err(err) = fs::rename(path, &aside) {
        let _ = fs::remove_file(&aside);
        return Err(io_error(err));
    }
    match fs::read(&aside) {
        Ok(current) if current == original => {
            fs::remove_file(&aside).map_err(io_error)?;
            sync_folder(folder);
            Ok(())
        }
        _ => {
            // Put it back unless something new took the path (then both are kept and
            // the hidden copy is named in the error).
            match fs::hard_link(&aside, path) {
                Ok(()) => {
                    let _ = fs::remove_file(&aside);
                    Err(changed())
                }
                Err(err) => Err(io_error(io::Error::new(
                    err.kind(),
                    format!(
                        "it changed while being removed and its path was taken; its content is in {}",
                        aside.display()
                    ),
                ))),
            }
        }
    }
}

/// Removes `dir` if it is an empty folder (`dash undo` removes the folders dash made
/// for a file it created); anything else is left alone.
pub fn remove_dir_if_empty(dir: &Path) -> bool {
    fs::remove_dir(dir).is_ok()
}

/// The permissions a replaced file gets: its own, or `mode`'s bits where given.
fn permissions(metadata: &fs::Metadata, mode: Option<u32>) -> fs::Permissions {
    #[cfg(unix)]
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt;
        return fs::Permissions::from_mode(mode & 0o7777);
    }
    #[cfg(not(unix))]
    let _ = mode;
    metadata.permissions()
}

/// A hidden, recognisable name, in case a crash leaves one behind.
fn temp_file_in(folder: &Path) -> io::Result<NamedTempFile> {
    tempfile::Builder::new()
        .prefix(".dash-")
        .suffix(".tmp")
        .tempfile_in(folder)
}

fn write_all_synced(
    temp: &mut NamedTempFile,
    bytes: &[u8],
    finish: impl FnOnce(&File) -> io::Result<()>,
) -> io::Result<()> {
    temp.write_all(bytes)?;
    temp.flush()?;
    finish(temp.as_file())?;
    temp.as_file().sync_all()
}

/// Compares the file's current content with what dash read.
fn ensure_unchanged(path: &Path, target: &Path, original: &[u8]) -> Result<(), WriteError> {
    let io_error = |source| WriteError::Io {
        path: path.to_owned(),
        source,
    };
    let changed = || WriteError::Changed {
        path: path.to_owned(),
    };
    let file = match File::open(target) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Err(changed()),
        Err(source) => return Err(io_error(source)),
    };
    // Compared a block at a time: a big file is not read into memory a second time.
    let mut reader = io::BufReader::with_capacity(1 << 16, file);
    let mut rest = original;
    loop {
        let block = io::BufRead::fill_buf(&mut reader).map_err(io_error)?;
        if block.is_empty() {
            return if rest.is_empty() {
                Ok(())
            } else {
                Err(changed())
            };
        }
        let n = block.len();
        if n > rest.len() || block != &rest[..n] {
            return Err(changed());
        }
        rest = &rest[n..];
        io::BufRead::consume(&mut reader, n);
    }
}

/// Gives the temp file the original's owner and group when they differ from ours.
/// Best effort: only root (or the owner, for the group) may do it, and a user who can
/// write the file but not chown it gets the same result as saving from an editor.
#[cfg(unix)]
fn keep_owner(file: &File, original: &fs::Metadata) {
    use std::os::unix::fs::MetadataExt;
    let Ok(ours) = file.metadata() else { return };
    if ours.uid() != original.uid() || ours.gid() != original.gid() {
        let _ = std::os::unix::fs::fchown(file, Some(original.uid()), Some(original.gid()));
    }
}

#[cfg(not(unix))]
fn keep_owner(_file: &File, _original: &fs::Metadata) {}

#[cfg(unix)]
fn set_new_file_mode(file: &File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn set_new_file_mode(_file: &File) -> io::Result<()> {
    Ok(())
}

/// Makes the rename itself durable. Best effort: the new content is already in place
/// and complete, so a failure here is no reason to report the write as failed.
fn sync_folder(folder: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = File::open(folder) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = folder;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything in `folder` except `keep`, to prove no temp file was left.
    fn entries(folder: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ts");
        fs::write(&path, "old").unwrap();
        write_if_unchanged(&path, b"old", b"new content").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new content");
        assert_eq!(entries(dir.path()), ["a.ts"]);
    }

    #[cfg(unix)]
    #[test]
    fn keeps_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        for mode in [0o755, 0o644, 0o600] {
            let path = dir.path().join(format!("script-{mode:o}.js"));
            fs::write(&path, "old").unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            write_if_unchanged(&path, b"old", b"new").unwrap();
            let meta = fs::metadata(&path).unwrap();
            assert_eq!(meta.permissions().mode() & 0o7777, mode);
            assert_eq!(fs::read(&path).unwrap(), b"new");
        }
    }

    #[cfg(unix)]
    #[test]
    fn writes_through_a_symlink_and_keeps_the_link() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("real")).unwrap();
        let target = dir.path().join("real/a.ts");
        fs::write(&target, "old").unwrap();
        let link = dir.path().join("link.ts");
        std::os::unix::fs::symlink("real/a.ts", &link).unwrap();

        write_if_unchanged(&link, b"old", b"new").unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(fs::read_link(&link).unwrap(), Path::new("real/a.ts"));
        assert_eq!(fs::read(&target).unwrap(), b"new");
        // The temp file was made next to the target, and is gone.
        assert_eq!(entries(&dir.path().join("real")), ["a.ts"]);
        assert_eq!(entries(dir.path()), ["link.ts", "real"]);
    }

    #[test]
    fn refuses_a_file_that_changed_since_it_was_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ts");
        fs::write(&path, "edited by someone else").unwrap();
        let err = write_if_unchanged(&path, b"what dash read", b"new").unwrap_err();
        assert!(matches!(err, WriteError::Changed { .. }), "{err:?}");
        assert_eq!(fs::read(&path).unwrap(), b"edited by someone else");
        assert_eq!(entries(dir.path()), ["a.ts"]);
    }

    #[test]
    fn refuses_a_change_made_while_the_temp_file_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ts");
        fs::write(&path, "old").unwrap();
        let err = write_if_unchanged_with(&path, b"old", b"new", None, || {
            fs::write(&path, "raced").unwrap();
        })
        .unwrap_err();
        assert!(matches!(err, WriteError::Changed { .. }), "{err:?}");
        assert_eq!(fs::read(&path).unwrap(), b"raced");
        assert_eq!(entries(dir.path()), ["a.ts"]);
    }

    #[test]
    fn a_deleted_file_counts_as_changed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gone.ts");
        let err = write_if_unchanged(&path, b"old", b"new").unwrap_err();
        assert!(matches!(err, WriteError::Changed { .. }), "{err:?}");
        assert!(!path.exists());
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn a_folder_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("src");
        fs::create_dir(&path).unwrap();
        let err = write_if_unchanged(&path, b"", b"new").unwrap_err();
        assert!(matches!(err, WriteError::Io { .. }), "{err:?}");
        assert_eq!(entries(dir.path()), ["src"]);
    }

    #[cfg(unix)]
    #[test]
    fn restore_sets_the_mode_it_is_given() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cli.js");
        fs::write(&path, "after").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        restore_if_unchanged(&path, b"after", b"before", Some(0o100755)).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"before");
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o7777, 0o755);
        let err = restore_if_unchanged(&path, b"after", b"x", None).unwrap_err();
        assert!(matches!(err, WriteError::Changed { .. }), "{err:?}");
        assert_eq!(entries(dir.path()), ["cli.js"]);
    }

    #[test]
    fn remove_if_unchanged_removes_only_what_dash_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logger.ts");
        fs::write(&path, "edited").unwrap();
        let err = remove_if_unchanged(&path, b"created").unwrap_err();
        assert!(matches!(err, WriteError::Changed { .. }), "{err:?}");
        assert_eq!(fs::read(&path).unwrap(), b"edited");
        fs::write(&path, "created").unwrap();
        remove_if_unchanged(&path, b"created").unwrap();
        assert!(entries(dir.path()).is_empty());
        let err = remove_if_unchanged(&path, b"created").unwrap_err();
        assert!(matches!(err, WriteError::Changed { .. }), "{err:?}");
        assert!(remove_dir_if_empty(dir.path()));
    }

    #[cfg(unix)]
    #[test]
    fn remove_if_unchanged_refuses_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("real.ts"), "x").unwrap();
        let link = dir.path().join("logger.ts");
        std::os::unix::fs::symlink("real.ts", &link).unwrap();
        let err = remove_if_unchanged(&link, b"x").unwrap_err();
        assert!(matches!(err, WriteError::Io { .. }), "{err:?}");
        assert_eq!(entries(dir.path()), ["logger.ts", "real.ts"]);
    }

    #[test]
    fn create_new_makes_folders_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("src/utils/logger.ts");
        create_new(&path, b"export const logger = console;\n").unwrap();
        assert_eq!(
            fs::read(&path).unwrap(),
            b"export const logger = console;\n"
        );
        assert_eq!(entries(&dir.path().join("src/utils")), ["logger.ts"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o7777, 0o644);
        }
    }

    #[test]
    fn create_new_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logger.ts");
        fs::write(&path, "mine").unwrap();
        let err = create_new(&path, b"dash's").unwrap_err();
        assert!(matches!(err, WriteError::Exists { .. }), "{err:?}");
        assert_eq!(fs::read(&path).unwrap(), b"mine");
        assert_eq!(entries(dir.path()), ["logger.ts"]);
    }

    #[cfg(unix)]
    #[test]
    fn create_new_refuses_a_dangling_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logger.ts");
        std::os::unix::fs::symlink("nowhere.ts", &path).unwrap();
        let err = create_new(&path, b"x").unwrap_err();
        assert!(matches!(err, WriteError::Exists { .. }), "{err:?}");
        assert!(!dir.path().join("nowhere.ts").exists());
        assert_eq!(entries(dir.path()), ["logger.ts"]);
    }

    #[test]
    fn create_new_fails_cleanly_when_a_parent_is_a_file() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("src"), "a file").unwrap();
        let err = create_new(&dir.path().join("src/logger.ts"), b"x").unwrap_err();
        assert!(matches!(err, WriteError::Io { .. }), "{err:?}");
        assert_eq!(entries(dir.path()), ["src"]);
    }

    #[test]
    fn errors_are_diagnostics_with_codes() {
        use miette::Diagnostic;
        let path = PathBuf::from("a.ts");
        let errors = [
            WriteError::Changed { path: path.clone() },
            WriteError::Exists { path: path.clone() },
            WriteError::Io {
                path,
                source: io::Error::other("disk full"),
            },
        ];
        for err in errors {
            assert!(err.code().unwrap().to_string().starts_with("dash::edit::"));
            assert!(err.help().is_some());
            assert!(err.to_string().contains("a.ts"));
        }
    }
}

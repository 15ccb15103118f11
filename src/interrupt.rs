//! What SIGINT, SIGTERM and SIGHUP do while dash runs a project's checks in a scratch copy
//! (`dash fix --verify`): the running check's process group is killed, every scratch
//! folder is removed, and dash exits 128 + the signal's number (130, 143, 129).
//!
//! Why this is needed: each check runs in a process group of its own (so that a hung
//! runner is ended with its workers), which also means a Ctrl-C on the terminal does not
//! reach it, and a `TempDir` is removed by its destructor, which a signal's default
//! action never runs. Without this, a Ctrl-C or a CI job's SIGTERM left the canary copy
//! in `$TMPDIR` and a test runner still running in it.
//!
//! The registry is global because a signal is: children and folders are registered where
//! they are made ([`spawn`], [`scratch`]) and deregistered when their guard drops. A child
//! is spawned with the registry locked, so the handler either sees it or runs before it
//! exists (the handler exits holding the lock: nothing is spawned after it).
//! Nothing happens until [`install`] is called; commands that do not call it keep the
//! default actions.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, Once};

struct Registry {
    /// Process groups (their leaders' pids) of the checks running now.
    groups: Vec<u32>,
    /// Scratch folders to remove, with the id of their guard.
    dirs: Vec<(u64, PathBuf)>,
    next: u64,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    groups: Vec::new(),
    dirs: Vec::new(),
    next: 0,
});

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running child's process group, registered until this drops (after it was reaped).
pub(crate) struct Group(u32);

impl Drop for Group {
    fn drop(&mut self) {
        let mut registry = registry();
        if let Some(at) = registry.groups.iter().position(|g| *g == self.0) {
            registry.groups.swap_remove(at);
        }
    }
}

/// Spawns `cmd` (which must lead its own process group: `process_group(0)`) and registers
/// its group, both under the registry's lock.
pub(crate) fn spawn(cmd: &mut Command) -> std::io::Result<(Child, Group)> {
    let mut registry = registry();
    let child = cmd.spawn()?;
    let id = child.id();
    registry.groups.push(id);
    Ok((child, Group(id)))
}

/// A scratch folder, removed by the handler if a signal comes before this drops.
pub(crate) struct Scratch(u64);

impl Drop for Scratch {
    fn drop(&mut self) {
        registry().dirs.retain(|(id, _)| *id != self.0);
    }
}

pub(crate) fn scratch(dir: &Path) -> Scratch {
    let mut registry = registry();
    registry.next += 1;
    let id = registry.next;
    registry.dirs.push((id, dir.to_path_buf()));
    Scratch(id)
}

/// The exit status after signal `number` (the shell's convention).
pub(crate) fn exit_code(number: i32) -> i32 {
    128 + number
}

/// The signal's name, for the message.
fn name(number: i32) -> &'static str {
    match number {
        1 => "SIGHUP",
        2 => "SIGINT",
        15 => "SIGTERM",
        _ => "a signal",
    }
}

/// Kills every registered group and removes every registered folder; returns the
/// folders that could not be removed. The registry stays locked (the caller exits).
fn clean_up(registry: &mut Registry) -> Vec<PathBuf> {
    for group in registry.groups.drain(..) {
        kill_group(group);
    }
    registry
        .dirs
        .drain(..)
        .filter_map(|(_, dir)| match std::fs::remove_dir_all(&dir) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Some(dir),
            _ => None,
        })
        .collect()
}

fn kill_group(leader: u32) {
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{leader}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    #[cfg(not(unix))]
    let _ = leader;
}

/// Handles SIGINT, SIGTERM and SIGHUP from now on for the rest of the process: clean up,
/// say so on standard error, exit 128 + n. Idempotent; the handlers are in place when it
/// returns. Where they cannot be set up (no signal support), the defaults stay.
pub(crate) fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        #[cfg(unix)]
        if let Err(err) = install_unix() {
            eprintln!("dash: cannot handle interrupts ({err}); a Ctrl-C may leave scratch folders in the temporary folder");
        }
    });
}

#[cfg(unix)]
fn install_unix() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Registered here, before returning, so that no signal falls between.
    let (mut int, mut term, mut hup) = {
        let _context = runtime.enter();
        (
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
            signal(SignalKind::hangup())?,
        )
    };
    std::thread::Builder::new()
        .name("dash-interrupt".into())
        .spawn(move || {
            let number = runtime.block_on(async {
                tokio::select! {
                    _ = int.recv() => 2,
                    _ = term.recv() => 15,
                    _ = hup.recv() => 1,
                }
            });
            let mut registry = registry();
            let left = clean_up(&mut registry);
            use std::io::IsTerminal;
            let mut message = String::new();
            if std::io::stderr().is_terminal() {
                // Over the progress line.
                message.push_str("\r\x1b[2K");
            }
            message.push_str(&format!(
                "dash: stopped by {}: the running checks were ended and the scratch copies removed\n",
                name(number)
            ));
            for dir in left {
                message.push_str(&format!("dash: could not remove {}\n", dir.display()));
            }
            eprint!("{message}");
            std::process::exit(exit_code(number));
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_up_kills_the_groups_and_removes_the_folders_registered() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("kept");
        let gone = dir.path().join("gone");
        std::fs::create_dir_all(gone.join("deep")).unwrap();
        std::fs::create_dir_all(&kept).unwrap();
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let (mut child, group) = spawn(&mut cmd).unwrap();
        let guard = scratch(&gone);
        let dropped = scratch(&kept);
        drop(dropped);
        // Only what this test registered: other tests may run beside it.
        let mut mine = Registry {
            groups: vec![group.0],
            dirs: registry()
                .dirs
                .iter()
                .filter(|(id, _)| *id == guard.0)
                .cloned()
                .collect(),
            next: 0,
        };
        assert!(!registry().dirs.iter().any(|(_, d)| d == &kept));
        assert!(clean_up(&mut mine).is_empty());
        let status = child.wait().unwrap();
        assert!(!status.success(), "killed");
        assert!(!gone.exists());
        assert!(kept.exists());
        drop(group);
        drop(guard);
        assert!(!registry().groups.contains(&child.id()));
        assert_eq!((exit_code(2), exit_code(15), exit_code(1)), (130, 143, 129));
        assert_eq!(name(15), "SIGTERM");
    }
}

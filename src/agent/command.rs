//! `run_command`: `sh -c COMMAND` in the repository root, stdin empty, stdout and
//! stderr merged into one pipe (so their interleaving is the real one), the API key
//! variables removed from its environment, killed with its whole process group on
//! timeout or abort. The output is bounded; the result ends with the exit code.

use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::agent_loop::ToolOutput;

/// Output kept from a command (the start; the rest is counted and dropped).
pub const MAX_OUTPUT: usize = 64 * 1024;

/// Runs `command`; a non-zero exit, a timeout or an abort is an error result.
pub async fn run(
    root: &Path,
    command: &str,
    timeout: Duration,
    env_remove: &[String],
    cancel: &CancellationToken,
) -> ToolOutput {
    let (reader, writer) = match std::io::pipe() {
        Ok(pair) => pair,
        Err(e) => return ToolOutput::error(format!("cannot start the command: {e}")),
    };
    let writer2 = match writer.try_clone() {
        Ok(w) => w,
        Err(e) => return ToolOutput::error(format!("cannot start the command: {e}")),
    };
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer2)
        .kill_on_drop(true);
    #[cfg(unix)]
    cmd.process_group(0);
    for var in env_remove {
        cmd.env_remove(var);
    }
    let spawned = cmd.spawn();
    // The child holds the only write ends now; dropping ours lets the reader end.
    drop(cmd);
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => return ToolOutput::error(format!("cannot start `sh -c`: {e}")),
    };
    let collect = tokio::task::spawn_blocking(move || read_bounded(reader));
    let pid = child.id();
    let status = tokio::select! {
        status = child.wait() => Ok(status),
        () = tokio::time::sleep(timeout) => Err(format!("timed out after {} s; killed", timeout.as_secs())),
        () = cancel.cancelled() => Err("aborted; killed".to_owned()),
    };
    if status.is_err() {
        kill_group(pid);
        let _ = child.kill().await;
    }
    // Grandchildren that escaped the group could hold the pipe open: wait a little.
    let output = match tokio::time::timeout(Duration::from_secs(2), collect).await {
        Ok(Ok(text)) => text,
        _ => String::from("(output unavailable: the pipe stayed open)\n"),
    };
    let mut text = output;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    match status {
        Ok(Ok(status)) => match status.code() {
            Some(0) => {
                text.push_str("[exit code 0]");
                ToolOutput::ok(text)
            }
            Some(code) => {
                text.push_str(&format!("[exit code {code}]"));
                ToolOutput::error(text)
            }
            None => {
                text.push_str("[killed by a signal]");
                ToolOutput::error(text)
            }
        },
        Ok(Err(e)) => ToolOutput::error(format!("{text}[cannot wait for the command: {e}]")),
        Err(why) => ToolOutput::error(format!("{text}[{why}]")),
    }
}

fn read_bounded(mut reader: std::io::PipeReader) -> String {
    let mut kept = Vec::new();
    let mut dropped = 0usize;
    let mut buf = [0u8; 8192];
    loop {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = MAX_OUTPUT.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                dropped += n.saturating_sub(room);
            }
        }
    }
    let mut text = String::from_utf8_lossy(&kept).into_owned();
    if dropped > 0 {
        text.push_str(&format!("\n… ({dropped} more bytes of output not shown)\n"));
    }
    text
}

/// Kills the command's process group (it was made the leader of its own group).
fn kill_group(pid: Option<u32>) {
    #[cfg(unix)]
    if let Some(pid) = pid {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    #[cfg(not(unix))]
    let _ = pid;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(f: impl std::future::Future<Output = ToolOutput>) -> ToolOutput {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn output_is_merged_and_ends_with_the_exit_code() {
        let dir = tempfile::tempdir().unwrap();
        let cancel = CancellationToken::new();
        let out = block(run(
            dir.path(),
            "echo out; echo err >&2; exit 3",
            Duration::from_secs(10),
            &[],
            &cancel,
        ));
        assert!(out.is_error);
        assert_eq!(out.text, "out\nerr\n[exit code 3]");
        let ok = block(run(
            dir.path(),
            "pwd; cat",
            Duration::from_secs(10),
            &[],
            &cancel,
        ));
        assert!(!ok.is_error, "{}", ok.text);
        assert!(ok.text.ends_with("[exit code 0]"));
    }

    #[test]
    fn a_command_past_its_timeout_is_killed_with_its_children() {
        let dir = tempfile::tempdir().unwrap();
        let start = std::time::Instant::now();
        let out = block(run(
            dir.path(),
            "echo started; sleep 30 & sleep 30",
            Duration::from_millis(300),
            &[],
            &CancellationToken::new(),
        ));
        assert!(out.is_error);
        assert!(out.text.starts_with("started\n"), "{}", out.text);
        assert!(out.text.contains("timed out"), "{}", out.text);
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn removed_variables_are_not_seen() {
        let dir = tempfile::tempdir().unwrap();
        // PATH is always set; removing it is visible.
        let out = block(run(
            dir.path(),
            "echo \"[${HOME:-unset}]\"",
            Duration::from_secs(10),
            &["HOME".to_owned()],
            &CancellationToken::new(),
        ));
        assert_eq!(out.text, "[unset]\n[exit code 0]");
    }
}

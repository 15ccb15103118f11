//! `dash fix -i` in a real terminal: tmux runs it on a temporary repository, the test
//! types answers with `send-keys`, reads the screen with `capture-pane`, and checks the
//! files afterwards. tmux is required (CI installs it); without it these tests fail
//! with a message saying so.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin_cmd;

mod agent_support;
mod support;
use support::{git, write};

const SERVER: &str = "import { start } from './start.js';\n\nconsole.log('one');\nstart();\nconst a = 1;\nconst b = 2;\nconst c = 3;\nconst d = 4;\nconst e = 5;\nconst f = 6;\nconsole.log('two');\n";
const START: &str = "export function start() {\n  console.info('started');\n}\n";

/// A committed project with three files to change: `src/server.ts` (two hunks),
/// `src/start.ts` (one) and the logger module dash creates (one).
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("package.json"),
        "{ \"name\": \"p\", \"type\": \"module\" }\n",
    );
    write(&root.join("tsconfig.json"), "{}\n");
    write(&root.join("src/server.ts"), SERVER);
    write(&root.join("src/start.ts"), START);
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "init"]);
    dir
}

/// One tmux server on a private socket, running `dash fix -i` in `cwd`; killed on drop.
struct Terminal {
    socket: PathBuf,
    exit_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Terminal {
    fn start(cwd: &Path, args: &str) -> Terminal {
        match Command::new("tmux").arg("-V").output() {
            Ok(out) if out.status.success() => {}
            _ => panic!(
                "tmux is not installed: the `dash fix -i` terminal tests need it (apt-get install -y tmux)"
            ),
        }
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("tmux.sock");
        let exit_file = dir.path().join("exit");
        let script = format!(
            "cd '{}' && NO_COLOR=1 '{}' fix -i {args}; echo $? > '{}'; sleep 600",
            cwd.display(),
            env!("CARGO_BIN_EXE_dash"),
            exit_file.display(),
        );
        let terminal = Terminal {
            socket,
            exit_file,
            _dir: dir,
        };
        let out = terminal.tmux(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "50",
            "sh",
            "-c",
            &script,
        ]);
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        terminal
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs")
    }

    /// Everything the pane printed so far, scrollback included.
    fn screen(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-J", "-S", "-"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until `text` appears `times` times on the screen.
    fn wait_for(&self, text: &str, times: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if screen.matches(text).count() >= times {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?} (x{times}); the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types an answer and Enter.
    fn answer(&self, keys: &str) {
        let out = self.tmux(&["send-keys", keys, "Enter"]);
        assert!(out.status.success(), "tmux send-keys failed");
    }

    /// The exit code of dash, once it has ended.
    fn exit_code(&self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(text) = std::fs::read_to_string(&self.exit_file)
                && !text.trim().is_empty()
            {
                return text.trim().parse().unwrap();
            }
            assert!(
                Instant::now() < deadline,
                "dash did not exit; the screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

fn read(root: &Path, path: &str) -> String {
    std::fs::read_to_string(root.join(path)).unwrap()
}

#[test]
fn hunks_are_accepted_rejected_and_explained_one_by_one() {
    let dir = project();
    let root = dir.path();
    let term = Terminal::start(root, "");

    // Files in display order: src/server.ts (2 hunks), src/start.ts, the logger.
    let screen = term.wait_for("(1/2) Apply this hunk to src/server.ts [y,n,a,d,q,?]? ", 1);
    assert!(screen.contains("--- a/src/server.ts\n+++ b/src/server.ts\n"));
    assert!(
        screen.contains("@@ -1,6 +1,7 @@ import, console\n"),
        "the hunk header names its rules:\n{screen}"
    );
    assert!(screen.contains("-console.log('one');\n+logger.info('one');\n"));
    assert!(
        !screen.contains("console.log('two')"),
        "only the first hunk is shown before the first answer:\n{screen}"
    );
    term.answer("?");
    term.wait_for("q - quit: write the hunks applied so far, nothing else", 1);
    term.wait_for("(1/2) Apply this hunk to src/server.ts", 2);
    term.answer("y");
    let screen = term.wait_for("(2/2) Apply this hunk to src/server.ts", 1);
    assert!(screen.contains("-console.log('two');\n+logger.info('two');\n"));
    term.answer("n");
    term.wait_for("(1/1) Apply this hunk to src/start.ts", 1);
    term.answer("n");
    let screen = term.wait_for("(1/1) Create src/utils/logger.ts [y,n,a,d,q,?]? ", 1);
    assert!(screen.contains("--- /dev/null\n+++ b/src/utils/logger.ts\n"));
    term.answer("y");
    let screen = term.wait_for("applied 2 of 4 hunks; wrote 2 files", 1);
    assert_eq!(term.exit_code(), 0, "screen:\n{screen}");

    assert_eq!(
        read(root, "src/server.ts"),
        SERVER
            .replace(
                "'./start.js';\n",
                "'./start.js';\nimport { logger } from './utils/logger.js';\n"
            )
            .replace("console.log('one')", "logger.info('one')")
    );
    assert_eq!(read(root, "src/start.ts"), START);
    assert!(read(root, "src/utils/logger.ts").contains("export const logger"));
}

#[test]
fn accept_the_rest_of_a_file_then_quit_keeps_what_was_accepted() {
    let dir = project();
    let root = dir.path();
    let term = Terminal::start(root, "");
    term.wait_for("(1/2) Apply this hunk to src/server.ts", 1);
    term.answer("a");
    // `a` took both hunks of server.ts without asking about the second.
    term.wait_for("(1/1) Apply this hunk to src/start.ts", 1);
    term.answer("q");
    let screen = term.wait_for("applied 2 of 4 hunks; wrote 1 file", 1);
    assert!(!screen.contains("(2/2)"), "screen:\n{screen}");
    assert!(!screen.contains("Create src/utils/logger.ts"));
    assert_eq!(term.exit_code(), 0);
    assert_eq!(
        read(root, "src/server.ts"),
        SERVER
            .replace(
                "'./start.js';\n",
                "'./start.js';\nimport { logger } from './utils/logger.js';\n"
            )
            .replace("console.log(", "logger.info(")
    );
    assert_eq!(read(root, "src/start.ts"), START);
    assert!(!root.join("src/utils/logger.ts").exists());
}

#[test]
fn rejecting_the_rest_of_each_file_writes_nothing() {
    let dir = project();
    let root = dir.path();
    let term = Terminal::start(root, "");
    term.wait_for("(1/2) Apply this hunk to src/server.ts", 1);
    term.answer("d");
    term.wait_for("(1/1) Apply this hunk to src/start.ts", 1);
    term.answer("d");
    term.wait_for("(1/1) Create src/utils/logger.ts", 1);
    term.answer("n");
    term.wait_for("applied 0 of 4 hunks; wrote 0 files", 1);
    assert_eq!(term.exit_code(), 0);
    assert_eq!(read(root, "src/server.ts"), SERVER);
    assert_eq!(read(root, "src/start.ts"), START);
    assert!(!root.join("src/utils/logger.ts").exists());
}

#[test]
fn without_a_terminal_it_is_a_usage_error_and_writes_nothing() {
    let dir = project();
    let root = dir.path();
    cargo_bin_cmd!("dash")
        .current_dir(root)
        .env("NO_COLOR", "1")
        .args(["fix", "-i"])
        .write_stdin("y\ny\ny\ny\n")
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "dash fix -i needs a terminal on standard input",
        ));
    assert_eq!(read(root, "src/server.ts"), SERVER);
    assert!(!root.join("src/utils/logger.ts").exists());
}

#[test]
fn interactive_excludes_the_other_modes() {
    let dir = project();
    for other in ["--write", "--diff", "--check"] {
        cargo_bin_cmd!("dash")
            .current_dir(dir.path())
            .args(["fix", "-i", other])
            .assert()
            .code(2);
    }
}

#[test]
fn an_agent_hunk_accepted_in_review_is_written_without_unsafe_fixes() {
    use agent_support::{Format, Step, serve};
    use serde_json::json;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("package.json"),
        "{ \"name\": \"p\", \"type\": \"module\" }\n",
    );
    let trace = "export function only(): void {\n  console.trace('only');\n}\n";
    write(&root.join("src/trace.ts"), trace);
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "init"]);
    // The scripted model serves from this test's runtime while dash runs in tmux.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(serve(
        Format::Completions,
        &[
            Step::Calls(vec![(
                "e",
                "edit_file",
                json!({"path": "src/trace.ts", "old_text": "console.trace('only');",
                    "new_text": "console.error(new Error('only'));"}),
            )]),
            Step::Text("Done."),
        ],
    ));
    let args = format!(
        "--agent ollama/qwen3 --api openai-completions --base-url {} src/trace.ts",
        server.uri()
    );
    let term = Terminal::start(root, &args);
    let screen = term.wait_for("(1/1) Apply this hunk to src/trace.ts", 1);
    assert!(
        screen.contains("@@ -1,3 +1,3 @@ agent (ollama/qwen3)\n"),
        "the hunk names the agent:\n{screen}"
    );
    term.answer("y");
    let screen = term.wait_for("applied 1 of 1 hunk; wrote 1 file", 1);
    assert_eq!(term.exit_code(), 0, "screen:\n{screen}");
    assert_eq!(
        read(root, "src/trace.ts"),
        trace.replace(
            "console.trace('only');",
            "console.error(new Error('only'));"
        )
    );
}

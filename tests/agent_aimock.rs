//! `dash agent` against `@copilotkit/aimock`, an independent implementation of the
//! four wire formats: a read → edit → done session in suggest mode in each, whose diff
//! `git apply --check` accepts. The fixtures (`fixtures/llm/aimock-agent/`) match on
//! the task and on the last tool result, so each reply follows from what dash sent
//! back: the file's text after `read_file`, the suggest-mode note after `edit_file`.
//!
//! Needs `npm ci --prefix tests/aimock` (the tests fail without it, never skip).

mod aimock_support;
mod support;

use std::path::{Path, PathBuf};

use aimock_support::Aimock;
use serde_json::Value;
use support::{git, write};

const ORIGINAL: &str = "export const greet = () => 'hello';\nexport const bye = () => 'bye';\n";
const SECRET: &str = "sk-SECRET-aimock-agent-key-13579";

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    write(&dir.path().join("src/greet.ts"), ORIGINAL);
    write(&dir.path().join(".gitignore"), "*.patch\n");
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "init"]);
    dir
}

/// `dash agent` in suggest mode, `--events`, against aimock in `api`.
fn agent(dir: &Path, model: &str, api: &str, key_var: &str, base: &str) -> std::process::Output {
    let mut cmd = support::isolated_dash(dir);
    cmd.env(key_var, SECRET)
        .args(["agent", "--model", model, "--api", api, "--base-url", base])
        .args(["--idle-timeout", "10", "--max-turns", "6", "--events"])
        .arg("change the aimock greeting to 'hello, world'")
        .output()
        .unwrap()
}

#[test]
fn read_edit_done_in_all_four_formats_gives_a_diff_git_applies() {
    let mock = Aimock::with_fixtures(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/llm/aimock-agent"),
    );
    for (model, api, key) in [
        (
            "anthropic/claude-sonnet-4-5",
            "anthropic-messages",
            "ANTHROPIC_API_KEY",
        ),
        ("ollama/qwen3", "openai-completions", "OLLAMA_API_KEY"),
        ("openai/gpt-5", "openai-responses", "OPENAI_API_KEY"),
        (
            "google/gemini-2.5-flash",
            "google-generative-ai",
            "GEMINI_API_KEY",
        ),
    ] {
        let dir = repo();
        let out = agent(dir.path(), model, api, key, &mock.base);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{api}: {stderr}\n{stdout}");
        let events: Vec<Value> = stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        // Three replies: read_file, edit_file, the final text; both tools succeeded.
        let turns = events.iter().filter(|e| e["type"] == "turn_start").count();
        assert_eq!(turns, 3, "{api}: {stdout}");
        let tools: Vec<(&str, bool)> = events
            .iter()
            .filter(|e| e["type"] == "tool_execution_end")
            .map(|e| {
                (
                    e["toolName"].as_str().unwrap(),
                    e["isError"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            tools,
            [("read_file", false), ("edit_file", false)],
            "{api}: {stdout}"
        );
        let end = events.last().unwrap();
        assert_eq!(end["type"], "agent_end", "{api}");
        assert_eq!(end["outcome"], "finished", "{api}");
        let diff = end["diff"].as_str().unwrap();
        assert!(
            diff.contains("-export const greet = () => 'hello';\n+export const greet = () => 'hello, world';\n"),
            "{api}: {diff}"
        );
        // Nothing written; the diff applies to the tree as it is.
        assert_eq!(
            std::fs::read_to_string(dir.path().join("src/greet.ts")).unwrap(),
            ORIGINAL
        );
        std::fs::write(dir.path().join("agent.patch"), diff).unwrap();
        git(dir.path(), &["apply", "--check", "agent.patch"]);
        assert!(
            !stdout.contains(SECRET) && !stderr.contains(SECRET),
            "{api}"
        );
    }
}

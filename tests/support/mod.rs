//! Helpers shared by the integration tests that build git repositories.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::Path;
use std::process::Command;

pub mod testrun;

/// Runs git in `dir` with a fixed identity, `main` as the default branch and no
/// line-ending conversion (the tests are about bytes); panics on failure. Returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "core.autocrlf=false",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Writes a file, creating its folders.
pub fn write(path: &Path, text: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().expect("a file has a folder")).unwrap();
    std::fs::write(path, text).unwrap();
}

/// `dash` in `dir`, isolated from the user's environment: `HOME` and the config folder
/// inside `dir`, no provider key inherited, no colour. Tests of the llm layer and the
/// agent set the one key they mean to use.
pub fn isolated_dash(dir: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("dash");
    cmd.current_dir(dir)
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join(".config"))
        .env("NO_COLOR", "1");
    for var in [
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "OLLAMA_API_KEY",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

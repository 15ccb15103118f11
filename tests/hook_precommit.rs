//! The repository's `.pre-commit-hooks.yaml`, run by the pre-commit framework itself
//! (`pre-commit try-repo`, which clones this repository and runs the named hook on a
//! project's staged files). Needs `pre-commit` on PATH (`pip install pre-commit==4.6.2`);
//! without it this test fails, naming the command to run, rather than passing unseen.

use std::path::{Path, PathBuf};
use std::process::Command;

mod support;
use support::{git, write};

fn path_with_dash() -> String {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_dash"));
    format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn try_repo(project: &Path, home: &Path, hook: &str) -> std::process::Output {
    Command::new("pre-commit")
        .current_dir(project)
        .args(["try-repo", env!("CARGO_MANIFEST_DIR"), hook, "--verbose"])
        .env("PATH", path_with_dash())
        .env("PRE_COMMIT_HOME", home)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn pre_commit_try_repo_runs_the_shipped_hooks() {
    let version = Command::new("pre-commit").arg("--version").output();
    assert!(
        version.as_ref().is_ok_and(|o| o.status.success()),
        "pre-commit is not installed; run `pip install pre-commit==4.6.2` (CI does)"
    );
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("package.json"),
        "{ \"name\": \"p\", \"type\": \"module\" }\n",
    );
    write(
        &root.join("src/logger.ts"),
        "export const logger = { info: (...a: unknown[]) => a };\n",
    );
    write(&root.join("src/a.ts"), "export const a = 1;\n");
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "init"]);

    // Clean staged content passes.
    write(&root.join("src/a.ts"), "export const a = 2;\n");
    git(root, &["add", "."]);
    let out = try_repo(root, home.path(), "dash");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("dash (staged content)") && text.contains("Passed"),
        "{text}"
    );

    // A staged console call in production fails the hook, with dash's message.
    write(
        &root.join("src/a.ts"),
        "export const a = 2;\nconsole.log(a);\n",
    );
    git(root, &["add", "."]);
    let out = try_repo(root, home.path(), "dash");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("Failed"), "{text}");
    assert!(
        text.contains("src/a.ts:2:1 console.log in production code"),
        "{text}"
    );

    // The fixing hook fixes the index and the working tree alike, so it passes and the
    // commit would hold the fix.
    let out = try_repo(root, home.path(), "dash-fix");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    let staged = git(root, &["show", ":src/a.ts"]);
    assert!(staged.contains("logger.info(a)"), "{staged}");
    assert_eq!(
        std::fs::read_to_string(root.join("src/a.ts")).unwrap(),
        staged
    );
}

//! `dash hook run` and `dash hook install` end to end, on git repositories built by each
//! test: what is checked is the staged blob, never the working file; fixes reach the
//! index and the working tree without losing an unstaged byte; a killed run is restored.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;

mod support;
use support::{git, write};

const LOGGER: &str = "export const logger = { info: (...a: unknown[]) => a };\n";
const CLEAN: &str = "import { x } from './x';\n\nexport function f() {\n  return x;\n}\n";
const WITH_CALL: &str =
    "import { x } from './x';\n\nexport function f() {\n  console.log('hi');\n  return x;\n}\n";
const FIXED: &str = "import { x } from './x';\nimport { logger } from './logger';\n\nexport function f() {\n  logger.info('hi');\n  return x;\n}\n";

/// A committed project with a logger module and one clean production file.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("package.json"),
        "{ \"name\": \"p\", \"type\": \"module\" }\n",
    );
    write(&root.join("src/logger.ts"), LOGGER);
    write(&root.join("src/a.ts"), CLEAN);
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "init"]);
    dir
}

fn dash(cwd: &Path) -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("dash");
    cmd.current_dir(cwd).env("NO_COLOR", "1");
    cmd
}

fn staged(root: &Path, path: &str) -> String {
    git(root, &["show", &format!(":{path}")])
}

fn read(root: &Path, path: &str) -> String {
    std::fs::read_to_string(root.join(path)).unwrap()
}

#[test]
fn a_console_call_only_in_the_working_copy_passes() {
    let dir = project();
    let root = dir.path();
    write(&root.join("src/b.ts"), "export const b = 1;\n");
    git(root, &["add", "src/b.ts"]);
    // Unstaged only: the working file has the call, the index does not.
    write(
        &root.join("src/b.ts"),
        "export const b = 1;\nconsole.log(b);\n",
    );
    dash(root).args(["hook", "run"]).assert().code(0);
}

#[test]
fn a_console_call_only_in_the_staged_blob_blocks() {
    let dir = project();
    let root = dir.path();
    write(&root.join("src/a.ts"), WITH_CALL);
    git(root, &["add", "src/a.ts"]);
    // The working file no longer has it; the commit would.
    write(&root.join("src/a.ts"), CLEAN);
    dash(root)
        .args(["hook", "run"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "src/a.ts:4:3 console.log in production code",
        ))
        .stderr(predicate::str::contains("dash hook run --fix"))
        .stderr(predicate::str::contains("dash fix src/a.ts"));
}

#[test]
fn cli_and_browser_code_staged_with_console_calls_do_not_block() {
    let dir = project();
    let root = dir.path();
    // The staged text decides: a shebang, a 'use client' directive.
    write(
        &root.join("src/tool.js"),
        "#!/usr/bin/env node\nconsole.log('usage');\n",
    );
    write(
        &root.join("src/button.tsx"),
        "'use client';\nexport const B = () => console.log('click');\n",
    );
    // The package decides: a front-end package of the repository.
    write(
        &root.join("web/package.json"),
        "{ \"dependencies\": { \"vue\": \"3\" } }\n",
    );
    write(&root.join("web/src/main.ts"), "console.warn('mounted');\n");
    git(root, &["add", "."]);
    dash(root).args(["hook", "run"]).assert().code(0);
    // The same call in production code blocks.
    write(&root.join("src/b.ts"), "console.log('b');\n");
    git(root, &["add", "."]);
    dash(root)
        .args(["hook", "run"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "src/b.ts:1:1 console.log in production code",
        ));
}

#[test]
fn test_rule_findings_block_and_console_in_tests_does_not() {
    let dir = project();
    let root = dir.path();
    write(
        &root.join("src/a.test.ts"),
        "test('x', () => {\n  console.log('debug');\n});\n",
    );
    git(root, &["add", "."]);
    dash(root).args(["hook", "run"]).assert().code(0);
    write(
        &root.join("src/b.test.ts"),
        "test.only('y', () => {\n  expect(1).toBe(1);\n});\n",
    );
    git(root, &["add", "."]);
    dash(root)
        .args(["hook", "run"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("src/b.test.ts:1:1 focused-test"));
}

#[test]
fn hook_config_relaxes_the_policy_and_rejects_unknown_keys() {
    let dir = project();
    let root = dir.path();
    write(&root.join("src/a.ts"), WITH_CALL);
    git(root, &["add", "src/a.ts"]);
    write(&root.join("dash.toml"), "[hook]\nmax-production = 1\n");
    dash(root).args(["hook", "run"]).assert().code(0);
    write(
        &root.join("dash.toml"),
        "[hook]\nrules = [\"focused-test\"]\n",
    );
    dash(root).args(["hook", "run"]).assert().code(0);
    write(&root.join("dash.toml"), "[hook]\nmax-prod = 1\n");
    dash(root)
        .args(["hook", "run"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("max-prod"));
}

#[test]
fn fix_with_a_fully_staged_file_fixes_index_and_working_tree() {
    let dir = project();
    let root = dir.path();
    write(&root.join("src/a.ts"), WITH_CALL);
    git(root, &["add", "src/a.ts"]);
    dash(root)
        .args(["hook", "run", "--fix"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("fixed src/a.ts"));
    assert_eq!(staged(root, "src/a.ts"), FIXED);
    assert_eq!(read(root, "src/a.ts"), FIXED);
    assert!(!root.join(".git/dash/hook-backup").exists());
    dash(root).args(["hook", "run"]).assert().code(0);
}

#[test]
fn fix_with_a_partially_staged_file_keeps_the_unstaged_hunk_byte_for_byte() {
    let dir = project();
    let root = dir.path();
    let mut long = String::from(
        "import { x } from './x';\n\nexport function f() {\n  console.log('hi');\n  return x;\n}\n",
    );
    for i in 0..8 {
        long.push_str(&format!("export const k{i} = {i};\n"));
    }
    write(&root.join("src/a.ts"), &long);
    git(root, &["add", "src/a.ts"]);
    // Unstaged: a change far from the fix, with odd bytes (CRLF, trailing spaces, tab).
    let working = long.replace(
        "export const k7 = 7;\n",
        "export const k7 = 70;  \r\n\t// wip, not for this commit\n",
    );
    write(&root.join("src/a.ts"), &working);
    dash(root).args(["hook", "run", "--fix"]).assert().code(0);
    let fixed_staged = long
        .replace(
            "import { x } from './x';\n",
            "import { x } from './x';\nimport { logger } from './logger';\n",
        )
        .replace("console.log('hi')", "logger.info('hi')");
    assert_eq!(staged(root, "src/a.ts"), fixed_staged);
    let fixed_working = working
        .replace(
            "import { x } from './x';\n",
            "import { x } from './x';\nimport { logger } from './logger';\n",
        )
        .replace("console.log('hi')", "logger.info('hi')");
    assert_eq!(read(root, "src/a.ts"), fixed_working);
    // What is left unstaged is exactly the unstaged hunk.
    let diff = git(root, &["diff", "-U0", "--", "src/a.ts"]);
    assert!(
        diff.contains(
            "-export const k7 = 7;\n+export const k7 = 70;  \r\n+\t// wip, not for this commit\n"
        ),
        "{diff}"
    );
}

#[test]
fn a_conflicting_partial_staging_stops_with_nothing_written() {
    let dir = project();
    let root = dir.path();
    write(&root.join("src/a.ts"), WITH_CALL);
    write(&root.join("src/c.ts"), "console.log('c');\n");
    git(root, &["add", "."]);
    // Unstaged: the very line the fix rewrites.
    let working = WITH_CALL.replace("console.log('hi')", "console.log('hi', 2)");
    write(&root.join("src/a.ts"), &working);
    let index_before = git(root, &["ls-files", "-s"]);
    dash(root)
        .args(["hook", "run", "--fix"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nothing was written"))
        .stderr(predicate::str::contains("  src/a.ts"));
    assert_eq!(git(root, &["ls-files", "-s"]), index_before);
    assert_eq!(read(root, "src/a.ts"), working);
    // src/c.ts could have been fixed on its own, but nothing is written anywhere.
    assert_eq!(read(root, "src/c.ts"), "console.log('c');\n");
    assert!(!root.join(".git/dash/hook-backup").exists());
}

#[test]
fn fix_creates_and_stages_the_logger_module_when_there_is_none() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("package.json"),
        "{ \"name\": \"p\", \"type\": \"module\" }\n",
    );
    write(&root.join("src/a.ts"), "console.log('a');\n");
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    let out = dash(root).args(["hook", "run", "--fix"]).assert().code(0);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("created and staged"), "{stderr}");
    let listed = git(root, &["diff", "--cached", "--name-only"]);
    let created: Vec<&str> = listed.lines().filter(|l| l.contains("logger")).collect();
    assert_eq!(created.len(), 1, "{listed}");
    assert_eq!(staged(root, created[0]), read(root, created[0]));
    assert!(staged(root, "src/a.ts").contains("logger.info('a')"));
}

#[test]
fn a_fixing_hook_inside_git_commit_commits_the_fix() {
    let dir = project();
    let root = dir.path();
    dash(root)
        .args(["hook", "install", "--fix"])
        .env("PATH", path_with_dash())
        .assert()
        .success();
    write(&root.join("src/a.ts"), WITH_CALL);
    git(root, &["add", "src/a.ts"]);
    let status = Command::new("git")
        .current_dir(root)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "x",
        ])
        .env("PATH", path_with_dash())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(git(root, &["show", "HEAD:src/a.ts"]), FIXED);
    assert_eq!(read(root, "src/a.ts"), FIXED);
    assert_eq!(git(root, &["status", "--porcelain"]), "");
}

#[test]
fn a_checking_hook_inside_git_commit_blocks_the_commit() {
    let dir = project();
    let root = dir.path();
    dash(root)
        .args(["hook", "install"])
        .env("PATH", path_with_dash())
        .assert()
        .success();
    write(&root.join("src/a.ts"), WITH_CALL);
    git(root, &["add", "src/a.ts"]);
    let head = git(root, &["rev-parse", "HEAD"]);
    let output = Command::new("git")
        .current_dir(root)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "x",
        ])
        .env("PATH", path_with_dash())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("block this commit"));
    assert_eq!(git(root, &["rev-parse", "HEAD"]), head);
}

/// PATH with the dash under test first.
fn path_with_dash() -> String {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_dash"));
    format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn install_writes_an_executable_hook_and_prints_manager_lines() {
    let dir = project();
    let root = dir.path();
    dash(root)
        .args(["hook", "install"])
        .assert()
        .success()
        .stdout(predicate::str::contains(".git/hooks/pre-commit"))
        .stdout(predicate::str::contains(".husky/pre-commit"))
        .stdout(predicate::str::contains("lefthook.yml"));
    let hook = root.join(".git/hooks/pre-commit");
    let text = std::fs::read_to_string(&hook).unwrap();
    assert!(text.starts_with("#!/bin/sh\n") && text.ends_with("exec dash hook run\n"));
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&hook).unwrap().permissions());
    assert_eq!(mode & 0o111, 0o111);
    // Reinstalling dash's own hook is fine.
    dash(root)
        .args(["hook", "install", "--fix"])
        .assert()
        .success();
    assert!(
        std::fs::read_to_string(&hook)
            .unwrap()
            .ends_with("exec dash hook run --fix\n")
    );
}

#[test]
fn install_respects_core_hooks_path() {
    let dir = project();
    let root = dir.path();
    git(root, &["config", "core.hooksPath", "githooks"]);
    dash(root).args(["hook", "install"]).assert().success();
    assert!(root.join("githooks/pre-commit").is_file());
    assert!(!root.join(".git/hooks/pre-commit").exists());
}

#[test]
fn install_refuses_a_foreign_hook_unless_forced_or_chained() {
    let dir = project();
    let root = dir.path();
    let hook = root.join(".git/hooks/pre-commit");
    let foreign = "#!/bin/sh\necho foreign-ran >> \"$(git rev-parse --git-dir)/foreign.log\"\n";
    write(&hook, foreign);
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    dash(root)
        .args(["hook", "install"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--chain"));
    assert_eq!(read(root, ".git/hooks/pre-commit"), foreign);

    dash(root)
        .args(["hook", "install", "--chain"])
        .assert()
        .success();
    assert_eq!(read(root, ".git/hooks/pre-commit.before-dash"), foreign);
    // The chained hook runs first, then dash.
    write(&root.join("src/a.ts"), WITH_CALL);
    git(root, &["add", "src/a.ts"]);
    let output = Command::new(&hook)
        .current_dir(root)
        .env("PATH", path_with_dash())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(read(root, ".git/foreign.log"), "foreign-ran\n");
    // A failing chained hook stops before dash.
    write(
        &root.join(".git/hooks/pre-commit.before-dash"),
        "#!/bin/sh\nexit 7\n",
    );
    let status = Command::new(&hook)
        .current_dir(root)
        .env("PATH", path_with_dash())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(7));

    // --force replaces (and a second --chain would lose the kept hook: refused).
    dash(root)
        .args(["hook", "install", "--force"])
        .assert()
        .success();
    write(&hook, foreign);
    dash(root)
        .args(["hook", "install", "--chain"])
        .assert()
        .code(2);
}

/// Runs `dash hook run --fix` paused after `step`, kills it with SIGKILL there, and
/// returns whether it reached the step.
fn kill_at(root: &Path, step: &str) -> bool {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dash"))
        .current_dir(root)
        .args(["hook", "run", "--fix"])
        .env("DASH_HOOK_PAUSE_AFTER", step)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    for line in stderr.lines() {
        if line.unwrap().contains("paused after") {
            child.kill().unwrap();
            child.wait().unwrap();
            return true;
        }
    }
    child.wait().unwrap();
    false
}

#[test]
fn a_run_killed_at_any_step_is_restored_by_the_next() {
    for step in ["backup", "index", "worktree"] {
        let dir = project();
        let root = dir.path();
        let mut long = String::from(WITH_CALL);
        for i in 0..6 {
            long.push_str(&format!("export const k{i} = {i};\n"));
        }
        write(&root.join("src/a.ts"), &long);
        write(&root.join("src/b.ts"), "console.log('b');\n");
        git(root, &["add", "."]);
        let working = long.replace("k5 = 5", "k5 = 55");
        write(&root.join("src/a.ts"), &working);
        let index_before = git(root, &["ls-files", "-s"]);
        assert!(kill_at(root, step), "{step}");
        assert!(root.join(".git/dash/hook-backup/manifest.json").exists());
        dash(root)
            .args(["hook", "run"])
            .assert()
            .code(1)
            .stderr(predicate::str::contains("previous run was interrupted"))
            .stderr(predicate::str::contains("restored src/a.ts"));
        assert_eq!(git(root, &["ls-files", "-s"]), index_before, "{step}");
        assert_eq!(read(root, "src/a.ts"), working, "{step}");
        assert_eq!(read(root, "src/b.ts"), "console.log('b');\n", "{step}");
        assert!(!root.join(".git/dash/hook-backup").exists());
        // And the next fixing run completes.
        dash(root).args(["hook", "run", "--fix"]).assert().code(0);
        assert!(read(root, "src/a.ts").contains("k5 = 55"));
        assert!(read(root, "src/a.ts").contains("logger.info('hi')"));
    }
}

#[test]
fn a_restore_leaves_files_changed_since_and_keeps_the_backup() {
    let dir = project();
    let root = dir.path();
    write(&root.join("src/a.ts"), WITH_CALL);
    git(root, &["add", "."]);
    assert!(kill_at(root, "worktree"));
    // The user edits the file after the killed run.
    write(&root.join("src/a.ts"), "// mine\n");
    dash(root)
        .args(["hook", "run"])
        .assert()
        .stderr(predicate::str::contains("src/a.ts: left as it is"))
        .stderr(predicate::str::contains("backup is kept"));
    assert_eq!(read(root, "src/a.ts"), "// mine\n");
}

#[test]
fn outside_a_repository_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    dash(dir.path())
        .args(["hook", "run"])
        .env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not inside a git repository"));
}

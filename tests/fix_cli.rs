//! `dash fix` end to end, on git repositories built by each test.

use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;

mod support;
use support::{git, write};

/// A committed project: production code (LF, CRLF, BOM, executable script), a test, a
/// script, and no logger module yet.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    support::write_production_files(root);
    write(
        &root.join("src/a.test.ts"),
        "test('x', () => {\n  console.log('debug');\n});\n",
    );
    write(&root.join("scripts/seed.ts"), "console.log('seeding');\n");
    write(
        &root.join("src/judge.ts"),
        "export const rows = [1];\nconsole.table(rows);\n",
    );
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

fn snapshot(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in walk(root) {
        let rel = entry
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        files.push((rel, std::fs::read(&entry).unwrap()));
    }
    files.sort();
    files
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == ".git") {
            continue;
        }
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn preview_writes_nothing_and_shows_the_diff() {
    let dir = project();
    let before = snapshot(dir.path());
    dash(dir.path())
        .arg("fix")
        .assert()
        .success()
        .stdout(predicate::str::contains("+++ b/src/server.ts"))
        .stdout(predicate::str::contains("+logger.info('starting');"))
        .stdout(predicate::str::contains("+++ b/src/utils/logger.ts"))
        .stdout(predicate::str::contains("src/judge.ts:2:1 console.table"))
        .stdout(predicate::str::contains("nothing was written"));
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn write_applies_keeps_bytes_and_a_second_run_changes_nothing() {
    let dir = project();
    let root = dir.path();
    dash(root)
        .args(["fix", "--write"])
        .assert()
        .success()
        .stdout(predicate::str::contains("wrote"));
    let server = std::fs::read_to_string(root.join("src/server.ts")).unwrap();
    assert_eq!(
        server,
        "import { start } from './start.js';\nimport { logger } from './utils/logger.js';\n\nlogger.info('starting');\nstart();\n"
    );
    let start = std::fs::read(root.join("src/start.ts")).unwrap();
    assert_eq!(start, b"import { logger } from './utils/logger';\r\n\r\nexport function start() {\r\n  logger.info('started');\r\n}\r\n");
    let bom = std::fs::read(root.join("src/bom.ts")).unwrap();
    assert!(bom.starts_with(b"\xEF\xBB\xBF"), "BOM kept");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(root.join("src/cli.js"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o755, "permissions kept");
    assert_eq!(
        std::fs::read_to_string(root.join("src/a.test.ts")).unwrap(),
        "test('x', () => {\n});\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("scripts/seed.ts")).unwrap(),
        "console.log('seeding');\n"
    );
    assert!(
        root.join("src/utils/logger.ts").is_file(),
        "the logger module was created"
    );

    // Commit, then a second run has nothing to do.
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "fixed"]);
    let after = snapshot(root);
    dash(root).args(["fix", "--check"]).assert().success();
    dash(root).args(["fix", "--write"]).assert().success();
    assert_eq!(snapshot(root), after);
}

#[test]
fn diff_output_applied_with_git_equals_write() {
    let by_patch = project();
    let patch = dash(by_patch.path())
        .args(["fix", "--diff"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let patch_file = by_patch.path().join("../dash-fix.patch");
    std::fs::write(&patch_file, &patch).unwrap();
    git(
        by_patch.path(),
        &["apply", "--whitespace=nowarn", patch_file.to_str().unwrap()],
    );
    std::fs::remove_file(&patch_file).unwrap();

    let by_write = project();
    dash(by_write.path())
        .args(["fix", "--write"])
        .assert()
        .success();

    let strip_modes = |files: Vec<(String, Vec<u8>)>| files;
    assert_eq!(
        strip_modes(snapshot(by_patch.path())),
        strip_modes(snapshot(by_write.path()))
    );
}

#[test]
fn check_exit_codes() {
    let dir = project();
    dash(dir.path()).args(["fix", "--check"]).assert().code(1);
    dash(dir.path())
        .args(["fix", "--check", "scripts"])
        .assert()
        .code(0);
}

#[test]
fn dirty_files_are_not_written_without_allow_dirty() {
    let dir = project();
    let root = dir.path();
    write(
        &root.join("src/server.ts"),
        "import { start } from './start.js';\n\nconsole.log('starting, edited');\nstart();\n",
    );
    let before = snapshot(root);
    dash(root)
        .args(["fix", "--write"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("uncommitted changes"))
        .stderr(predicate::str::contains("src/server.ts"))
        .stderr(predicate::str::contains("--allow-dirty"));
    assert_eq!(snapshot(root), before);
    dash(root)
        .args(["fix", "--write", "--allow-dirty"])
        .assert()
        .success();
    assert!(
        std::fs::read_to_string(root.join("src/server.ts"))
            .unwrap()
            .contains("logger.info('starting, edited')")
    );
}

#[test]
fn json_lists_every_change() {
    let dir = project();
    let out = dash(dir.path())
        .args(["fix", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["schema"], "dash.fix");
    assert_eq!(doc["rewritten"], 4);
    assert_eq!(doc["removed"], 1);
    assert_eq!(doc["kept"], 1);
    assert_eq!(doc["needsJudgement"][0]["method"], "table");
    assert_eq!(doc["logger"]["created"], true);
    let changes = doc["changes"].as_array().unwrap();
    assert!(
        changes
            .iter()
            .any(|c| c["path"] == "src/server.ts" && c["line"] == 3 && c["action"] == "rewrite")
    );
}

#[test]
fn summary_counts_created_files_and_the_legend_explains_the_headers() {
    let dir = project();
    write(
        &dir.path().join("src/b.test.ts"),
        "test.only('y', () => {});\n",
    );
    let out = dash(dir.path())
        .args(["fix", "--unsafe-fixes"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("@@ focused-test (unsafe)\n"), "{text}");
    assert!(
        text.contains(
            "\nrules: console (console call removed, console → logger), focused-test (unfocus, unsafe), import (imports the fixes need); `dash rules ID` explains each\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("6 files would change and 1 would be created: "),
        "{text}"
    );
    // Only the rules that appear: a run of one rule names that one.
    dash(dir.path())
        .args(["fix", "--unsafe-fixes", "--rules", "focused-test"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "\nrules: focused-test (unfocus, unsafe); `dash rules ID` explains each\n",
        ))
        .stdout(predicate::str::contains("1 file would change: "));
    dash(dir.path())
        .args(["fix", "--write", "--allow-dirty"])
        .assert()
        .success()
        .stdout(predicate::str::contains("files changed and 1 created: "));
}

#[test]
fn quiet_drops_the_summary_but_not_the_output_or_errors() {
    let dir = project();
    let root = dir.path();
    // Preview: the diffs only.
    let out = dash(root)
        .args(["fix", "-q"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("+logger.info('starting');"), "{text}");
    for summary in [
        "would change",
        "\nrules: ",
        "\nlogger: {",
        "needs judgement",
        "nothing was written",
    ] {
        assert!(!text.contains(summary), "{summary} in {text}");
    }
    // --check: the exit code only.
    dash(root)
        .args(["fix", "--check", "-q"])
        .assert()
        .code(1)
        .stdout("");
    // --write: nothing on success, files written.
    dash(root)
        .args(["fix", "--write", "--quiet"])
        .assert()
        .success()
        .stdout("");
    assert!(root.join("src/utils/logger.ts").is_file());
    // An unreadable file is still reported.
    write(&root.join("src/late.ts"), "console.log('late');\n");
    let late = root.join("src/late.ts");
    std::fs::set_permissions(&late, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    if std::fs::read(&late).is_err() {
        dash(root)
            .args(["fix", "--check", "-q"])
            .assert()
            .code(3)
            .stdout(predicate::str::contains("error: src/late.ts"));
    }
}

#[test]
fn diff_from_a_subfolder_names_paths_from_the_repository_top() {
    let dir = project();
    let src = dir.path().join("src");
    let patch = dash(&src)
        .args(["fix", "--diff", "."])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(patch.clone()).unwrap();
    assert!(
        text.contains("diff --git a/src/server.ts b/src/server.ts"),
        "{text}"
    );
    // git apply, run in that same subfolder, applies it (paths are from the top).
    let patch_file = dir.path().join("../sub.patch");
    std::fs::write(&patch_file, &patch).unwrap();
    git(
        &src,
        &["apply", "--whitespace=nowarn", patch_file.to_str().unwrap()],
    );
    std::fs::remove_file(&patch_file).unwrap();
    assert!(
        std::fs::read_to_string(src.join("server.ts"))
            .unwrap()
            .contains("logger.info('starting')")
    );
}

//! `dash rules`, rule selection (`--rules`, `[rules]`) and the safe/unsafe split of
//! `dash fix`, end to end on a temporary git repository.

use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;

mod support;
use support::{git, write};

fn dash(cwd: &Path) -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("dash");
    cmd.current_dir(cwd).env("NO_COLOR", "1");
    cmd
}

/// A committed project with a production console call and a focused test.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(&root.join("package.json"), "{ \"name\": \"p\" }\n");
    write(&root.join("src/app.ts"), "console.log('up');\n");
    write(
        &root.join("test/app.test.ts"),
        "it.only('a', () => {});\nit('b', () => {});\n",
    );
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "init"]);
    dir
}

#[test]
fn rules_lists_every_rule_and_explains_one() {
    let dir = tempfile::tempdir().unwrap();
    let listed = dash(dir.path()).arg("rules").assert().success();
    let out = String::from_utf8(listed.get_output().stdout.clone()).unwrap();
    for rule in dash::rules::RULES {
        assert!(out.contains(rule.meta().id), "{} listed", rule.meta().id);
    }
    dash(dir.path())
        .args(["rules", "focused-test"])
        .assert()
        .success()
        .stdout(predicate::str::contains("## What it does"))
        .stdout(predicate::str::contains("## Fix safety"));
    dash(dir.path())
        .args(["rules", "no-such-rule"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("dash::rules::unknown"));
}

#[test]
fn scan_reports_every_enabled_rule_and_rules_selects() {
    let dir = project();
    let json = |args: &[&str]| -> serde_json::Value {
        let out = dash(dir.path())
            .args(["scan", "--format", "json"])
            .args(args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice(&out).unwrap()
    };
    let all = json(&[]);
    let rules: Vec<&str> = all["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["console", "focused-test"]);
    assert_eq!(all["findings"][1]["group"], "only");
    let only = json(&["--rules", "focused-test"]);
    assert_eq!(only["findings"].as_array().unwrap().len(), 1);
    assert_eq!(only["rules"], serde_json::json!(["focused-test"]));
    dash(dir.path())
        .args(["scan", "--rules", "nope"])
        .assert()
        .code(2);
    // [rules] disable in dash.toml; an unknown id there points into the file.
    write(
        &dir.path().join("dash.toml"),
        "[rules]\ndisable = [\"focused-test\"]\n",
    );
    assert_eq!(json(&[])["findings"].as_array().unwrap().len(), 1);
    write(
        &dir.path().join("dash.toml"),
        "[rules]\ndisable = [\"focussed\"]\n",
    );
    dash(dir.path())
        .arg("scan")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown rule `focussed`"));
}

#[test]
fn unsafe_fixes_are_applied_only_when_asked() {
    let dir = project();
    let root = dir.path();
    let test = root.join("test/app.test.ts");
    dash(root)
        .args(["fix", "--write", "--rules", "focused-test"])
        .assert()
        .success()
        .stdout(predicate::str::contains("unsafe fix available"));
    assert!(
        std::fs::read_to_string(&test)
            .unwrap()
            .starts_with("it.only(")
    );
    dash(root)
        .args(["fix", "--rules", "focused-test", "--unsafe-fixes"])
        .assert()
        .success()
        .stdout(predicate::str::contains("focused-test (unsafe)"));
    dash(root)
        .args([
            "fix",
            "--write",
            "--rules",
            "focused-test",
            "--unsafe-fixes",
        ])
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(&test).unwrap(),
        "it('a', () => {});\nit('b', () => {});\n"
    );
}

#[test]
fn a_refused_file_exits_3_for_preview_check_and_write() {
    let dir = project();
    let root = dir.path();
    // `logger` is taken by something else: the console rule refuses the file.
    write(
        &root.join("src/taken.ts"),
        "const logger = 1;\nconsole.log(logger);\n",
    );
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "taken"]);
    for args in [&["fix"][..], &["fix", "--check"], &["fix", "--write"]] {
        dash(root)
            .args(args)
            .args(["--rules", "console"])
            .assert()
            .code(3)
            .stdout(predicate::str::contains(
                "src/taken.ts: `logger` is already bound",
            ));
    }
}

#[test]
fn a_logger_module_outside_the_repository_is_never_created() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    write(&root.join("package.json"), "{ \"name\": \"p\" }\n");
    write(&root.join("src/app.ts"), "console.log('up');\n");
    write(
        &root.join("dash.toml"),
        "[logger]\nmodule = \"../outside/logger.ts\"\n",
    );
    git(&root, &["init", "-q"]);
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "init"]);
    // Its calls are left for judgement, with the reason: a relative import of it would
    // leave the package (the write's own confinement is the second line of defence).
    dash(&root)
        .args(["fix", "--write", "--rules", "console"])
        .assert()
        .stdout(predicate::str::contains("outside this file's package"));
    assert!(!dir.path().join("outside").exists());
    // The file that would import it is left as it was.
    assert_eq!(
        std::fs::read_to_string(root.join("src/app.ts")).unwrap(),
        "console.log('up');\n"
    );
}

#[test]
fn a_relative_config_path_means_the_same_project() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    write(&root.join("package.json"), "{ \"name\": \"p\" }\n");
    write(
        &root.join("src/log.ts"),
        "export const logger = { info: (...a: unknown[]) => console.log(...a) };\n",
    );
    write(&root.join("src/app.ts"), "console.log('up');\n");
    write(
        &root.join("dash.toml"),
        "[logger]\nmodule = \"src/log.ts\"\n",
    );
    git(&root, &["init", "-q"]);
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "init"]);
    dash(&root)
        .args([
            "fix",
            "--write",
            "--rules",
            "console",
            "--config",
            "dash.toml",
        ])
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(root.join("src/app.ts")).unwrap(),
        "import { logger } from './log';\n\nlogger.info('up');\n"
    );
    // The logger module itself is never rewritten to call itself.
    assert!(
        std::fs::read_to_string(root.join("src/log.ts"))
            .unwrap()
            .contains("console.log(...a)")
    );
}

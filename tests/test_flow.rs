//! `dash test`'s workflow around the runs: no progress line where standard error is not a
//! terminal, `--fix --write` refusing files with uncommitted changes as `dash fix --write`
//! does, and a workspace package that cannot run reported without stopping the others.
//! The runners are the pinned ones of tests/runners (see tests/support/testrun.rs).

use std::path::Path;

mod support;
use support::git;
use support::testrun::{dash, runner_project};

/// A committed jest 29 project whose spy leaks into the next test (`leak`, repaired by
/// `restore-spies`), with a tracked notes file.
fn leaking_repo() -> (tempfile::TempDir, std::path::PathBuf) {
    let leak = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/testrun/cases/jest/leak/clock.test.js"),
    )
    .unwrap();
    let (dir, root) = runner_project(
        "jest29",
        &[
            ("clock.test.js", &leak),
            ("NOTES.md", "notes\n"),
            (".gitignore", "node_modules\n"),
        ],
    );
    git(&root, &["init", "-q"]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-qm", "leaking suite"]);
    (dir, root)
}

fn fix_write(root: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    dash(root)
        .args(["test", "--fix", "--write", "--reruns", "2"])
        .args(extra)
        .assert()
}

/// A jest 29 project with a passing file and a failing one.
fn failing_project() -> (tempfile::TempDir, std::path::PathBuf) {
    runner_project(
        "jest29",
        &[
            (
                "ok.test.js",
                "test('ok', () => {\n  expect(1).toBe(1);\n});\n",
            ),
            (
                "math.test.js",
                "test('adds', () => {\n  expect(1 + 1).toBe(3);\n});\n",
            ),
        ],
    )
}

fn stderr(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(out.get_output().stderr.clone()).unwrap()
}

fn stdout(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

/// Standard error is a pipe here: nothing of the progress line, in every phase (the run,
/// the reruns), whatever `CI` says; the report on standard output is whole.
#[test]
fn no_progress_line_when_stderr_is_not_a_terminal() {
    let (_dir, root) = failing_project();
    for ci in [None, Some("false")] {
        let mut cmd = dash(&root);
        match ci {
            Some(v) => cmd.env("CI", v),
            None => cmd.env_remove("CI"),
        };
        let out = cmd.args(["test", "--reruns", "1"]).assert().code(1);
        assert_eq!(stderr(&out), "", "progress written to a pipe");
        let text = stdout(&out);
        assert!(!text.contains('\r'), "{text:?}");
        assert!(
            text.starts_with("math.test.js:1  adds\n  assertion:"),
            "{text}"
        );
        assert!(text.ends_with("1 failure: assertion 1\n"), "{text}");
    }
}

/// `--fix --write` refuses as `dash fix --write` does (the same diagnostic, exit 2,
/// nothing written): when git cannot tell whether the file to repair is committed, and
/// when it has uncommitted changes; `--allow-dirty` writes the repair into them.
#[test]
fn write_refuses_a_file_to_repair_with_uncommitted_changes() {
    let (_dir, root) = leaking_repo();
    let clock = root.join("clock.test.js");
    let committed = std::fs::read_to_string(&clock).unwrap();

    // A repository git cannot read: refused, never "nothing is dirty".
    let head = std::fs::read(root.join(".git/HEAD")).unwrap();
    std::fs::write(root.join(".git/HEAD"), "garbage\n").unwrap();
    let out = fix_write(&root, &[]).code(2);
    let err = stderr(&out);
    assert!(err.contains("dash::fix::dirty_check"), "{err}");
    assert!(
        err.contains("cannot tell whether the files to change"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&clock).unwrap(), committed);
    std::fs::write(root.join(".git/HEAD"), head).unwrap();

    // The file to repair has a person's uncommitted edit.
    let edited = format!("{committed}\n// work in progress\n");
    std::fs::write(&clock, &edited).unwrap();
    let out = fix_write(&root, &[]).code(2);
    let err = stderr(&out);
    assert!(err.contains("dash::fix::dirty"), "{err}");
    assert!(
        err.contains("1 file(s) to change have uncommitted changes"),
        "{err}"
    );
    assert!(err.contains("clock.test.js"), "{err}");
    assert!(err.contains("--allow-dirty"), "{err}");
    assert_eq!(stdout(&out), "");
    assert_eq!(std::fs::read_to_string(&clock).unwrap(), edited);

    let out = fix_write(&root, &["--allow-dirty"]).code(0);
    assert!(stdout(&out).contains("wrote 1 file"), "{}", stdout(&out));
    let repaired = std::fs::read_to_string(&clock).unwrap();
    assert_ne!(repaired, edited);
    assert!(repaired.contains("// work in progress"), "{repaired}");
    dash(&root).args(["test", "--reruns", "0"]).assert().code(0);
}

/// "Dirty" is about the files the write changes, as in `dash fix`: an uncommitted edit
/// of another file (tracked or not) does not refuse, and the repair is written alone.
#[test]
fn other_uncommitted_files_do_not_refuse_the_write() {
    let (_dir, root) = leaking_repo();
    std::fs::write(root.join("NOTES.md"), "notes, edited\n").unwrap();
    std::fs::write(root.join("scratch.txt"), "untracked\n").unwrap();
    let out = fix_write(&root, &[]).code(0);
    assert_eq!(stderr(&out), "");
    assert!(
        stdout(&out).contains("wrote 1 file (`dash undo` restores them)"),
        "{}",
        stdout(&out)
    );
    let changed = git(&root, &["status", "--porcelain"]);
    assert_eq!(changed, " M NOTES.md\n M clock.test.js\n?? scratch.txt\n");
    // Undone, the tree is as the person left it.
    dash(&root).arg("undo").assert().success();
    assert_eq!(
        git(&root, &["status", "--porcelain"]),
        " M NOTES.md\n?? scratch.txt\n"
    );
}

/// A two-package npm workspace run through each package's own script: `packages/a`'s
/// `test` script is broken (its runner file does not exist), `packages/b`'s spy leaks.
/// `a` is reported (class, exit status, the end of its output) and fails the run; `b`
/// still runs and is repaired, in every format.
#[test]
fn a_package_that_cannot_run_does_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    support::write(
        &root.join("package.json"),
        "{ \"private\": true, \"workspaces\": [\"packages/*\"] }\n",
    );
    let (_a_dir, a) = runner_project(
        "jest29",
        &[
            (
                "package.json",
                "{ \"name\": \"a\", \"private\": true, \"scripts\": { \"test\": \"node ./scripts/run-tests.js\" }, \"devDependencies\": { \"jest\": \"29\" } }\n",
            ),
            (
                "ok.test.js",
                "test('ok', () => {\n  expect(1).toBe(1);\n});\n",
            ),
        ],
    );
    let leak = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/testrun/cases/jest/leak/clock.test.js"),
    )
    .unwrap();
    let (_b_dir, b) = runner_project(
        "jest29",
        &[
            (
                "package.json",
                "{ \"name\": \"b\", \"private\": true, \"scripts\": { \"test\": \"jest\" } }\n",
            ),
            ("clock.test.js", &leak),
        ],
    );
    std::fs::create_dir_all(root.join("packages")).unwrap();
    std::fs::rename(&a, root.join("packages/a")).unwrap();
    std::fs::rename(&b, root.join("packages/b")).unwrap();
    let run = ["test", "--command", "npm test --"];

    let out = dash(&root)
        .args(run)
        .args(["--format", "json", "--fix", "--write", "--reruns", "2"])
        .assert()
        .code(1);
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let packages = doc["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 2, "{doc:#}");
    let broken = &packages[0];
    assert_eq!(broken["notRun"], "dash::test::no_report", "{doc:#}");
    assert_eq!(broken["passed"], false);
    assert_eq!(broken["runner"]["name"], "jest");
    assert_eq!(broken["exitStatus"], 1, "{doc:#}");
    let failure = &broken["failures"][0];
    assert_eq!(failure["file"], serde_json::Value::Null);
    assert_eq!(failure["class"], "error");
    assert!(
        failure["reason"]
            .as_str()
            .unwrap()
            .starts_with("the suite of packages/a could not run: `npm test --"),
        "{failure:#}"
    );
    let evidence: Vec<&str> = failure["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        evidence.contains(&"code: 'MODULE_NOT_FOUND',")
            && evidence.contains(&"npm error Lifecycle script `test` failed with error:"),
        "{evidence:?}"
    );
    let repaired = &packages[1];
    assert_eq!(repaired["counts"]["leak"], 1, "{doc:#}");
    assert_eq!(repaired["repairs"][0]["kept"], true, "{doc:#}");
    assert_eq!(doc["passed"], false);
    let clock = std::fs::read_to_string(root.join("packages/b/clock.test.js")).unwrap();
    assert_ne!(clock, leak, "b was not repaired");

    // b passes now; a still cannot run: the text and GitHub reports say so, exit 1.
    let out = dash(&root)
        .args(run)
        .args(["--reruns", "0"])
        .assert()
        .code(1);
    let text = stdout(&out);
    assert!(
        text.starts_with("== packages/a ==\n(the whole run)  \n  error: the suite of packages/a could not run: `npm test --"),
        "{text}"
    );
    assert!(text.contains("  | code: 'MODULE_NOT_FOUND',\n"), "{text}");
    assert!(
        text.contains("jest 29.7.0: the suite did not run (error)\n== packages/b ==\njest 29.7.0: 2 passed, 0 failed, 0 skipped\nno failures\n"),
        "{text}"
    );
    let out = dash(&root)
        .args(run)
        .args(["--reruns", "0", "--format", "github"])
        .assert()
        .code(1);
    let gh = stdout(&out);
    assert!(
        gh.contains(
            "::error title=dash test%3A error::the suite of packages/a could not run: `npm test --"
        ),
        "{gh}"
    );
}

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

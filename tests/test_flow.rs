//! `dash test`'s workflow around the runs: no progress line where standard error is not a
//! terminal, `--fix --write` refusing files with uncommitted changes as `dash fix --write`
//! does, and a workspace package that cannot run reported without stopping the others.
//! The runners are the pinned ones of tests/runners (see tests/support/testrun.rs).

mod support;
use support::testrun::{dash, runner_project};

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

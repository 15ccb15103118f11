//! Projects for `dash test` end-to-end tests: files written into a temporary folder, with
//! a pinned runner of `tests/runners/<runner>` (installed by `.ci/run`;
//! `DASH_TEST_RUNNERS=<dir>` points elsewhere) linked as its node_modules. Without the
//! runner the tests fail, never skip.

use std::path::{Path, PathBuf};

use super::write;

/// `tests/runners/<runner>/node_modules`, which must hold the runner.
pub fn runner_node_modules(runner: &str) -> PathBuf {
    let runners = std::env::var_os("DASH_TEST_RUNNERS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/runners"));
    let modules = runners.join(runner).join("node_modules");
    let package = runner_package(runner);
    assert!(
        modules.join(package).join("package.json").is_file(),
        "{} is missing: run `npm ci --prefix tests/runners/{runner}` (or set DASH_TEST_RUNNERS)",
        modules.display()
    );
    modules
}

/// `jest` for `jest29`.
pub fn runner_package(runner: &str) -> &str {
    runner.trim_end_matches(|c: char| c.is_ascii_digit())
}

/// A project in `<tmp>/app` with these files, a package.json whose `test` script runs the
/// runner (unless the files hold one), and the runner linked as node_modules.
pub fn runner_project(runner: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap().join("app");
    for (path, text) in files {
        write(&root.join(path), text);
    }
    if !root.join("package.json").exists() {
        write(
            &root.join("package.json"),
            format!(
                "{{ \"private\": true, \"scripts\": {{ \"test\": \"{}\" }} }}\n",
                runner_package(runner)
            ),
        );
    }
    std::os::unix::fs::symlink(runner_node_modules(runner), root.join("node_modules")).unwrap();
    (dir, root)
}

/// The import line test files need under vitest (jest provides globals).
pub fn test_imports(runner: &str) -> &'static str {
    if runner.starts_with("vitest") {
        "import { afterEach, expect, test, vi } from 'vitest';\n"
    } else {
        ""
    }
}

/// `jest` or `vi`.
pub fn mock_object(runner: &str) -> &'static str {
    if runner.starts_with("vitest") {
        "vi"
    } else {
        "jest"
    }
}

/// `dash` in `cwd`, without colour.
pub fn dash(cwd: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("dash");
    cmd.current_dir(cwd).env("NO_COLOR", "1");
    cmd
}

/// `dash test --format json ARGS` in `root`, expecting exit `code`: the report.
pub fn json_run(root: &Path, args: &[&str], code: i32) -> serde_json::Value {
    let out = dash(root)
        .args(["test", "--format", "json"])
        .args(args)
        .assert()
        .code(code);
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

/// `file|test|class` of each failure.
pub fn summary(doc: &serde_json::Value) -> Vec<String> {
    doc["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let test: Vec<&str> = f["test"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap())
                .collect();
            format!(
                "{}|{}|{}",
                f["file"].as_str().unwrap_or("-"),
                test.join(" > "),
                f["class"].as_str().unwrap()
            )
        })
        .collect()
}

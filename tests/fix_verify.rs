//! `dash fix --verify` end to end: the change is proven in a canary copy with the
//! project's own checks (loading changed modules with node, tsc, the test script), only
//! what keeps them as green as before is written, and the culprits are named.
//!
//! The TypeScript cases use the compiler pinned in `tests/runners/tsc/` (install it with
//! `npm ci --prefix tests/runners/tsc`); node and npm must be on PATH.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;

mod support;
use support::{git, write};

fn commit(root: &Path) {
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "init"]);
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// The pinned TypeScript's node_modules.
fn tsc_modules() -> PathBuf {
    let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/runners/tsc/node_modules");
    assert!(
        modules.join(".bin/tsc").is_file(),
        "the pinned TypeScript is not installed: run `npm ci --prefix tests/runners/tsc --no-audit --no-fund`"
    );
    modules
}

/// A CommonJS server whose logger option names an export that does not exist: the
/// module that logs while loading breaks, the one that logs later still loads.
fn cjs_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("package.json"),
        "{ \"name\": \"server\", \"version\": \"1.0.0\", \"main\": \"src/server.js\" }\n",
    );
    write(
        &root.join("src/log.js"),
        "exports.logger = { info: (...a) => process.stdout.write(a.join(' ') + '\\n'), error: (...a) => process.stderr.write(a.join(' ') + '\\n') };\n",
    );
    write(
        &root.join("src/server.js"),
        "const util = require('./util');\nconsole.log('starting', util.name);\n",
    );
    write(
        &root.join("src/util.js"),
        "exports.name = 'util';\nexports.report = function (x) {\n  console.error('failed', x);\n};\n",
    );
    write(
        &root.join("dash.toml"),
        "[logger]\nmodule = \"src/log.js\"\nexport = \"nope\"\n",
    );
    commit(root);
    dir
}

#[test]
fn a_module_that_no_longer_loads_is_rolled_back_and_named_and_the_rest_written() {
    let dir = cjs_project();
    let root = dir.path();
    let server = read(&root.join("src/server.js"));
    let out = cargo_bin_cmd!("dash")
        .current_dir(root)
        .args(["fix", "--write", "--verify"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Some files were not written (the rest were): exit 3.
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("rolled back src/server.js:"), "{stderr}");
    assert!(
        stderr.contains(
            "loading src/server.js with node: it no longer loads with node (exit status 1): TypeError: Cannot read properties of undefined (reading 'info') (it loaded before)"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("rolled back src/util.js"), "{stderr}");
    assert!(
        stderr.contains("1 of 2 changed files kept every check as green as before"),
        "{stderr}"
    );
    // The culprit is as it was; the other file is written, and journaled.
    assert_eq!(read(&root.join("src/server.js")), server);
    assert!(read(&root.join("src/util.js")).contains("logger.error('failed', x);"));
    assert_eq!(
        git(root, &["status", "--porcelain"]),
        " M src/util.js\n",
        "only util.js changed"
    );
    // What was written still loads under node.
    let node = std::process::Command::new("node")
        .arg("-e")
        .arg("require('./src/util.js')")
        .current_dir(root)
        .status()
        .unwrap();
    assert!(node.success());
}

#[test]
fn verify_with_diff_checks_only_and_the_baseline_is_cached() {
    let dir = cjs_project();
    let root = dir.path();
    let run = || {
        cargo_bin_cmd!("dash")
            .current_dir(root)
            .args(["fix", "--diff", "--verify"])
            .output()
            .unwrap()
    };
    let first = run();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(3), "{stderr}");
    let patch = String::from_utf8_lossy(&first.stdout);
    // The patch holds what was proven, not the culprit.
    assert!(patch.contains("+++ b/src/util.js"), "{patch}");
    assert!(!patch.contains("src/server.js"), "{patch}");
    assert!(
        stderr.contains("0 baseline results from the cache"),
        "{stderr}"
    );
    // Nothing written.
    assert_eq!(git(root, &["status", "--porcelain"]), "");
    let second = run();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("2 baseline results from the cache"),
        "{stderr}"
    );
    assert_eq!(second.stdout, first.stdout);
    assert!(root.join(".git/dash/verify-cache").is_dir());
    // A change to the tree is another baseline.
    write(&root.join("src/other.js"), "exports.x = 1;\n");
    let third = run();
    let stderr = String::from_utf8_lossy(&third.stderr);
    assert!(
        stderr.contains("0 baseline results from the cache"),
        "{stderr}"
    );
}

/// A TypeScript project with one type error before any change.
fn ts_project(export: &str, with_tsc: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("package.json"),
        "{ \"name\": \"ts\", \"version\": \"1.0.0\", \"private\": true }\n",
    );
    write(
        &root.join("tsconfig.json"),
        "{ \"compilerOptions\": { \"strict\": true, \"target\": \"es2020\", \"module\": \"commonjs\", \"noEmit\": true }, \"include\": [\"src\"] }\n",
    );
    write(
        &root.join("src/log.ts"),
        "export const logger = { info: (...a: unknown[]) => void a, error: (...a: unknown[]) => void a };\n",
    );
    write(
        &root.join("src/index.ts"),
        "export function start(port: number): void {\n  console.log('listening on', port);\n}\n",
    );
    write(
        &root.join("src/legacy.ts"),
        "export const count: number = 'three';\n",
    );
    write(
        &root.join("dash.toml"),
        format!("[logger]\nmodule = \"src/log.ts\"\nexport = \"{export}\"\n"),
    );
    write(&root.join(".gitignore"), "node_modules\n");
    commit(root);
    if with_tsc {
        std::os::unix::fs::symlink(tsc_modules(), root.join("node_modules")).unwrap();
    }
    dir
}

#[test]
fn a_typescript_change_that_keeps_the_error_count_is_promoted() {
    let dir = ts_project("logger", true);
    let root = dir.path();
    let out = cargo_bin_cmd!("dash")
        .current_dir(root)
        .args(["fix", "--write", "--verify"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "type-check (`tsc --noEmit -p tsconfig.json`): before 1 error (exit status 2); after 1 error (exit status 2)"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("rolled back"), "{stderr}");
    assert!(read(&root.join("src/index.ts")).contains("logger.info('listening on', port);"));
}

#[test]
fn a_typescript_change_that_adds_a_type_error_is_rolled_back_with_the_error() {
    let dir = ts_project("nope", true);
    let root = dir.path();
    let before = read(&root.join("src/index.ts"));
    let out = cargo_bin_cmd!("dash")
        .current_dir(root)
        .args(["fix", "--write", "--verify"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("rolled back src/index.ts:"), "{stderr}");
    assert!(
        stderr.contains("2 type errors after the change, 1 before"),
        "{stderr}"
    );
    // The error the change added is shown, not the one that was there before.
    assert!(stderr.contains("error TS2305"), "{stderr}");
    assert!(!stderr.contains("error TS2322"), "{stderr}");
    assert_eq!(read(&root.join("src/index.ts")), before);
    assert_eq!(git(root, &["status", "--porcelain"]), "");
}

#[test]
fn a_missing_type_checker_refuses_and_writes_nothing() {
    let dir = ts_project("logger", false);
    let root = dir.path();
    let out = cargo_bin_cmd!("dash")
        .current_dir(root)
        .args(["fix", "--write", "--verify"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("dash::fix::verify::no_typecheck"),
        "{stderr}"
    );
    assert!(stderr.contains("no TypeScript compiler"), "{stderr}");
    assert_eq!(git(root, &["status", "--porcelain"]), "");
    // Named in dash.toml, the command is used instead (and a broken one is not a pass).
    write(
        &root.join("dash.toml"),
        "[logger]\nmodule = \"src/log.ts\"\nexport = \"logger\"\n[verify]\ntypecheck = \"no-such-type-checker --noEmit\"\n",
    );
    git(root, &["commit", "-qam", "typecheck"]);
    let out = cargo_bin_cmd!("dash")
        .current_dir(root)
        .args(["fix", "--write", "--verify"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // It fails the same before and after: not worse, so the change is promoted; what
    // the check said is in the report.
    assert!(
        stderr.contains(
            "type-check (`no-such-type-checker --noEmit`): before 0 errors (exit status 127)"
        ),
        "{stderr}"
    );
}

#[test]
fn a_test_script_that_fails_after_the_change_rolls_the_culprit_back() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("package.json"),
        "{ \"name\": \"lib\", \"version\": \"1.0.0\", \"scripts\": { \"test\": \"node test/check.js\" } }\n",
    );
    write(
        &root.join("src/log.js"),
        "exports.logger = { warn: () => {}, info: () => {} };\n",
    );
    // Logs only when called: it loads either way, and only the test sees the break.
    write(
        &root.join("src/parse.js"),
        "exports.parse = function (s) {\n  if (!s) console.warn('empty input');\n  return s.split(',');\n};\n",
    );
    write(
        &root.join("src/fine.js"),
        "exports.fine = function () {\n  console.info('fine');\n};\n",
    );
    write(
        &root.join("test/check.js"),
        "const { parse } = require('../src/parse');\nif (parse('').length !== 1) process.exit(1);\n",
    );
    write(
        &root.join("dash.toml"),
        "[logger]\nmodule = \"src/log.js\"\nexport = \"missing\"\n",
    );
    commit(root);
    let out = cargo_bin_cmd!("dash")
        .current_dir(root)
        .args(["fix", "--write", "--verify"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr
            .contains("tests (`npm test`, exit status): before exit status 0; after exit status 0"),
        "{stderr}"
    );
    assert!(stderr.contains("rolled back src/parse.js:"), "{stderr}");
    assert!(
        stderr.contains("the tests passed before and now end with exit status 1"),
        "{stderr}"
    );
    assert_eq!(git(root, &["status", "--porcelain"]), " M src/fine.js\n");
}

#[test]
fn a_jest_test_that_passed_before_must_still_pass() {
    let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/runners/jest29/node_modules");
    assert!(
        modules.join("jest/package.json").is_file(),
        "jest 29 is not installed: run `npm ci --prefix tests/runners/jest29 --no-audit --no-fund`"
    );
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("package.json"),
        "{ \"name\": \"calc\", \"version\": \"1.0.0\", \"scripts\": { \"test\": \"jest\" }, \"devDependencies\": { \"jest\": \"29.7.0\" } }\n",
    );
    write(
        &root.join("src/log.js"),
        "exports.logger = { warn: () => {}, info: () => {} };\n",
    );
    write(
        &root.join("src/math.js"),
        "exports.add = function (a, b) {\n  if (a < 0) console.warn('negative', a);\n  return a + b;\n};\n",
    );
    write(
        &root.join("src/other.js"),
        "exports.hello = function () {\n  console.info('hello');\n};\n",
    );
    write(
        &root.join("src/math.test.js"),
        "const { add } = require('./math');\ntest('adds', () => expect(add(1, 2)).toBe(3));\ntest('adds negatives', () => expect(add(-1, 1)).toBe(0));\n",
    );
    write(
        &root.join("dash.toml"),
        "[logger]\nmodule = \"src/log.js\"\nexport = \"missing\"\n",
    );
    write(&root.join(".gitignore"), "node_modules\n");
    commit(root);
    std::os::unix::fs::symlink(&modules, root.join("node_modules")).unwrap();
    let out = cargo_bin_cmd!("dash")
        .current_dir(root)
        .args(["fix", "--write", "--verify"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(
            "tests (jest/vitest, each test): before 2 passed, 0 failed; after 2 passed, 0 failed"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("rolled back src/math.js:"), "{stderr}");
    assert!(
        stderr.contains(
            "1 test that passed before no longer passes: src/math.test.js › adds negatives"
        ),
        "{stderr}"
    );
    assert_eq!(git(root, &["status", "--porcelain"]), " M src/other.js\n");
}

#[test]
fn a_created_logger_module_must_load_and_is_promoted_with_its_importers() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("package.json"),
        "{ \"name\": \"app\", \"version\": \"1.0.0\", \"main\": \"src/server.js\" }\n",
    );
    write(
        &root.join("src/server.js"),
        "const util = require('./util');\nconsole.log('starting', util.name);\n",
    );
    write(&root.join("src/util.js"), "exports.name = 'util';\n");
    commit(root);
    let out = cargo_bin_cmd!("dash")
        .current_dir(root)
        .args(["fix", "--write", "--verify"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("loading src/server.js with node: before loads; after loads"),
        "{stderr}"
    );
    assert!(
        stderr.contains("loading src/utils/logger.js with node: before not there yet; after loads"),
        "{stderr}"
    );
    assert!(root.join("src/utils/logger.js").is_file());
    // The server still starts, and logs through the new module.
    let node = std::process::Command::new("node")
        .arg("src/server.js")
        .current_dir(root)
        .output()
        .unwrap();
    assert!(node.status.success());
    assert!(String::from_utf8_lossy(&node.stdout).contains("\"msg\":\"starting\""));
}

/// A project whose one change (util.js) is checked by `test`, run as the [verify] test
/// command.
fn project_checked_by(test: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    write(
        &root.join("package.json"),
        "{ \"name\": \"lib\", \"version\": \"1.0.0\" }\n",
    );
    write(
        &root.join("src/log.js"),
        "exports.logger = { error: () => {}, info: () => {} };\n",
    );
    write(
        &root.join("src/util.js"),
        "exports.report = function (x) {\n  console.error('failed', x);\n};\n",
    );
    write(
        &root.join("dash.toml"),
        format!(
            "[logger]\nmodule = \"src/log.js\"\nexport = \"logger\"\n\n[verify]\ntest = {}\n",
            toml_string(test)
        ),
    );
    commit(&root);
    std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
    dir
}

fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The scratch folders dash made under `tmp`.
fn scratch_left(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("dash-"))
        .collect()
}

/// Whether process `pid` is gone (or a zombie waiting to be reaped by init).
#[cfg(target_os = "linux")]
fn gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_sigterm_ends_the_running_check_removes_the_canary_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let started = dir.path().join("started");
    // The check says its pid once running (the shell execs sleep: same pid), then hangs.
    let project = project_checked_by(&format!(
        "echo $$ > {0}.tmp && mv {0}.tmp {0} && exec sleep 300",
        started.display()
    ));
    let root = project.path().join("repo");
    let tmp = project.path().join("tmp");
    let before = read(&root.join("src/util.js"));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dash"))
        .current_dir(&root)
        .args(["fix", "--write", "--verify"])
        .env("TMPDIR", &tmp)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Until the check runs (the baseline, in the canary); a dash that ends first fails.
    while !started.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "dash ended ({status}) before the check started: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let check = read(&started).trim().to_owned();
    assert!(!scratch_left(&tmp).is_empty(), "the canary is there");
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{stderr}");
    assert!(stderr.contains("stopped by SIGTERM"), "{stderr}");
    // The kill is sent before dash exits; its delivery is the kernel's (allow it a moment
    // on a loaded machine).
    let waited = std::time::Instant::now();
    while !gone(&check) && waited.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(gone(&check), "the check's process {check} was ended");
    assert_eq!(
        scratch_left(&tmp),
        Vec::<String>::new(),
        "no scratch folder left"
    );
    let worktrees = git(&root, &["worktree", "list", "--porcelain"]);
    assert_eq!(
        worktrees
            .lines()
            .filter(|l| l.starts_with("worktree "))
            .count(),
        1,
        "{worktrees}"
    );
    // Nothing promoted, nothing journaled.
    assert_eq!(read(&root.join("src/util.js")), before);
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
}

#[test]
fn a_run_out_of_time_ends_the_check_and_writes_nothing_unproven() {
    // The check passes at once on the untouched tree and hangs once the change is in: the
    // run timeout ends it, and the change, never proven, is left out and named.
    let project = project_checked_by(
        "if grep -q console.error src/util.js; then exit 0; else exec sleep 300; fi",
    );
    let root = project.path().join("repo");
    let tmp = project.path().join("tmp");
    let before = read(&root.join("src/util.js"));
    let out = cargo_bin_cmd!("dash")
        .current_dir(&root)
        .args(["fix", "--write", "--verify", "--verify-timeout", "3"])
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Some files were not processed: exit 3, never a silent pass.
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("verify: stopped: the run timeout (3s; --verify-timeout, `run-timeout` under [verify]) ran out"),
        "{stderr}"
    );
    assert!(
        stderr.contains("not verified, left out (1):\n  src/util.js\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("0 of 1 changed file kept every check as green as before"),
        "{stderr}"
    );
    assert_eq!(read(&root.join("src/util.js")), before);
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
    assert_eq!(scratch_left(&tmp), Vec::<String>::new());
    // The same limit from dash.toml; a bad value is a configuration error.
    let toml = read(&root.join("dash.toml"));
    std::fs::write(root.join("dash.toml"), format!("{toml}run-timeout = 2\n")).unwrap();
    let out = cargo_bin_cmd!("dash")
        .current_dir(&root)
        .args(["fix", "--diff", "--verify"])
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("the run timeout (2s;"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing unproven in the patch");
    std::fs::write(root.join("dash.toml"), format!("{toml}run-timeout = 0\n")).unwrap();
    let out = cargo_bin_cmd!("dash")
        .current_dir(&root)
        .args(["fix", "--diff", "--verify"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn git_ignored_build_outputs_are_built_in_the_canary_and_the_projects_are_untouched() {
    // The tests load the package through its `main`, a git-ignored `dist` that the canary
    // lacks: the build runs there first, on the untouched copy and with each change.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("package.json"),
        "{ \"name\": \"lib\", \"version\": \"1.0.0\", \"main\": \"dist/index.js\", \"scripts\": { \"build\": \"node build.js\", \"test\": \"node test/check.js\" } }\n",
    );
    write(&root.join(".gitignore"), "dist/\n");
    write(
        &root.join("build.js"),
        "const fs = require('fs');\nfs.mkdirSync('dist', { recursive: true });\nfor (const f of ['index.js', 'log.js']) fs.copyFileSync('src/' + f, 'dist/' + f);\n",
    );
    write(
        &root.join("src/log.js"),
        "exports.logger = { warn: () => {}, info: () => {} };\n",
    );
    // Logs while loading: with a logger export that does not exist, it throws.
    write(
        &root.join("src/index.js"),
        "console.warn('loading');\nexports.answer = 42;\n",
    );
    write(
        &root.join("src/other.js"),
        "exports.other = function () {\n  console.info('other');\n};\n",
    );
    write(
        &root.join("test/check.js"),
        "if (require('..').answer !== 42) process.exit(1);\n",
    );
    write(
        &root.join("dash.toml"),
        "[logger]\nmodule = \"src/log.js\"\nexport = \"missing\"\n",
    );
    commit(root);
    // The project's own build, as a user has it.
    let built = std::process::Command::new("node")
        .arg("build.js")
        .current_dir(root)
        .status()
        .unwrap();
    assert!(built.success());
    let dist = read(&root.join("dist/index.js"));
    let out = cargo_bin_cmd!("dash")
        .current_dir(root)
        .args(["fix", "--write", "--verify"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("build (`npm run build`): before exit status 0; after exit status 0"),
        "{stderr}"
    );
    assert!(stderr.contains("rolled back src/index.js:"), "{stderr}");
    assert!(
        stderr.contains("tests (`npm test`, exit status): the tests passed before and now end with exit status 1"),
        "{stderr}"
    );
    assert_eq!(git(root, &["status", "--porcelain"]), " M src/other.js\n");
    // The canary's builds never reached the project's outputs.
    assert_eq!(read(&root.join("dist/index.js")), dist);
}

#[test]
fn a_build_that_does_not_run_in_the_copy_is_left_out_and_the_checks_run_without_it() {
    // zustand's build calls pnpm, whose dependency check fails in the copy: the build is
    // left out (and said so), and the tests, which do not need it, still decide.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("package.json"),
        "{ \"name\": \"lib\", \"version\": \"1.0.0\", \"main\": \"dist/index.js\", \"scripts\": { \"build\": \"node -e \\\"process.exit(require('fs').existsSync('.git') ? 0 : 1)\\\"\", \"test\": \"node test/check.js\" } }\n",
    );
    write(&root.join(".gitignore"), "dist/\n");
    write(
        &root.join("src/log.js"),
        "exports.logger = { warn: () => {}, info: () => {} };\n",
    );
    write(
        &root.join("src/index.js"),
        "console.warn('loading');\nexports.answer = 42;\n",
    );
    write(
        &root.join("test/check.js"),
        "if (require('../src/index.js').answer !== 42) process.exit(1);\n",
    );
    write(
        &root.join("dash.toml"),
        "[logger]\nmodule = \"src/log.js\"\nexport = \"missing\"\n",
    );
    commit(root);
    let out = cargo_bin_cmd!("dash")
        .current_dir(root)
        .args(["fix", "--write", "--verify"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("build (`npm run build`) does not run in the copy"),
        "{stderr}"
    );
    // The breaking change is still caught by the tests.
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("rolled back src/index.js:"), "{stderr}");
    assert_eq!(git(root, &["status", "--porcelain"]), "");
}

#[test]
fn a_created_logger_whose_users_are_all_rolled_back_is_not_written() {
    // The test compares what the module prints: rewritten to the new logger's JSON lines,
    // it fails, the module is rolled back, and the logger module created for it with it.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("package.json"),
        "{ \"name\": \"app\", \"version\": \"1.0.0\", \"scripts\": { \"test\": \"node test/check.js\" } }\n",
    );
    write(
        &root.join("src/index.js"),
        "exports.greet = function () {\n  console.log('hello');\n};\n",
    );
    write(
        &root.join("test/check.js"),
        "const { execFileSync } = require('child_process');\nconst out = execFileSync('node', ['-e', \"require('./src/index.js').greet()\"]).toString();\nif (out !== 'hello\\n') process.exit(1);\n",
    );
    commit(root);
    let out = cargo_bin_cmd!("dash")
        .current_dir(root)
        .args(["fix", "--write", "--verify"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("rolled back src/index.js:"), "{stderr}");
    assert!(
        stderr.contains("created for files that were all rolled back"),
        "{stderr}"
    );
    assert_eq!(
        git(root, &["status", "--porcelain", "--untracked-files=all"]),
        ""
    );
}

//! The project's own checks of one package, run in the canary: the type-check, the test
//! script, and loading each changed runtime module with node. Each is measured into a
//! [`Measure`] that can be compared with the same check on the untouched tree: "as green
//! as before" is decided here ([`Measure::worse_than`]).

use std::collections::BTreeSet;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::VerifyError;
use crate::testrun::{self, RunOptions, Selection};

/// How long a module may keep running after it loaded before it counts as loaded (a
/// server listening): errors thrown in the first ticks after loading are still seen.
const SETTLE_MS: u64 = 300;

/// How many type errors a result keeps, to tell the ones a change added.
const KEEP_ERRORS: usize = 200;

/// What one check runs, decided once per package before anything runs.
#[derive(Debug, Clone)]
pub enum Check {
    /// The project's build (`line` run in `dir`, relative to the tree's top; empty: the
    /// top), first among a package's checks when the canary lacks build outputs that a
    /// package.json names ([`super::build`]).
    Build { dir: String, line: String },
    /// `tsc --noEmit -p <project>` with the project's own tsc, or `[verify] typecheck`.
    TypeCheck { command: Tool, label: String },
    /// jest or vitest, run by dash with its JSON reporter: each test compared.
    Runner,
    /// A shell line (`npm test`, `[verify] test`): its exit status compared.
    Script { line: String },
    /// Loading one changed module (path relative to the tree's top) with node.
    Load { module: String },
}

/// A program and its arguments, or a shell line.
#[derive(Debug, Clone)]
pub enum Tool {
    Program { program: PathBuf, args: Vec<String> },
    Shell(String),
}

impl Check {
    /// What the report calls it.
    pub fn name(&self) -> String {
        match self {
            Check::Build { dir, line } if dir.is_empty() => format!("build (`{line}`)"),
            Check::Build { dir, line } => format!("build (`{line}` in {dir})"),
            Check::TypeCheck { label, .. } => format!("type-check (`{label}`)"),
            Check::Runner => "tests (jest/vitest, each test)".into(),
            Check::Script { line } => format!("tests (`{line}`, exit status)"),
            Check::Load { module } => format!("loading {module} with node"),
        }
    }

    /// What identifies the check's result for the baseline cache (with the tree's hash).
    pub fn key(&self) -> String {
        match self {
            Check::Build { dir, line } => format!("build {dir} {line}"),
            Check::TypeCheck { command, .. } => format!("typecheck {command:?}"),
            Check::Runner => "runner".into(),
            Check::Script { line } => format!("script {line}"),
            Check::Load { module } => format!("load {module}"),
        }
    }
}

/// One check's result, with paths of the canary made relative (`<tree>`), so a cached
/// baseline from another canary compares equal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Measure {
    TypeCheck {
        errors: u64,
        status: Status,
        /// The error lines (at most [`KEEP_ERRORS`]), or the output's last lines when none
        /// was counted.
        first: Vec<String>,
    },
    Tests {
        /// `file › describe › title` of every passed test.
        passed: BTreeSet<String>,
        failed: u64,
        status: Status,
        /// The run did not produce a report (the runner's error), or the tail of a failure.
        problem: Option<String>,
    },
    Script {
        status: Status,
        tail: Vec<String>,
    },
    Build {
        status: Status,
        tail: Vec<String>,
    },
    Load {
        status: Status,
        /// The error's first line, when it did not load.
        error: Option<String>,
    },
    /// The baseline of a module the change creates (a new logger module): it must load.
    Absent,
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Exit(i32),
    /// Killed by a signal other than dash's.
    Signal,
    /// Still running at the timeout, and killed by dash.
    TimedOut,
}

impl Status {
    pub(crate) fn ok(self) -> bool {
        self == Status::Exit(0)
    }

    fn describe(self) -> String {
        match self {
            Status::Exit(n) => format!("exit status {n}"),
            Status::Signal => "killed by a signal".into(),
            Status::TimedOut => "timed out".into(),
        }
    }
}

impl Measure {
    /// The test files with a test that passed in `before` and not in `self` (tests are
    /// `file › describe › title`); none for other checks.
    pub fn files_that_lost_tests(&self, before: &Measure) -> BTreeSet<String> {
        match (before, self) {
            (Measure::Tests { passed: b, .. }, Measure::Tests { passed: a, .. }) => b
                .difference(a)
                .filter_map(|test| test.split(" › ").next())
                .map(str::to_owned)
                .collect(),
            _ => BTreeSet::new(),
        }
    }

    /// This result as if only the tests of `files` had run: what a run narrowed to those
    /// files is compared with.
    pub fn only_files(&self, files: &[String]) -> Measure {
        match self {
            Measure::Tests {
                passed,
                failed,
                status,
                problem,
            } => Measure::Tests {
                passed: passed
                    .iter()
                    .filter(|t| {
                        t.split(" › ")
                            .next()
                            .is_some_and(|f| files.iter().any(|x| x == f))
                    })
                    .cloned()
                    .collect(),
                failed: *failed,
                status: *status,
                problem: problem.clone(),
            },
            other => other.clone(),
        }
    }

    /// Why this result (after the change) is less green than `before`, if it is.
    pub fn worse_than(&self, before: &Measure) -> Option<String> {
        match (before, self) {
            (
                Measure::TypeCheck {
                    errors: b,
                    status: bs,
                    first: before_lines,
                },
                Measure::TypeCheck {
                    errors: a,
                    status: as_,
                    first,
                },
            ) => {
                // The errors the change added, as far as lines tell them apart.
                let new: Vec<String> = first
                    .iter()
                    .filter(|l| !before_lines.contains(l))
                    .take(5)
                    .cloned()
                    .collect();
                let shown = if new.is_empty() { first } else { &new };
                if a > b {
                    Some(format!(
                        "{a} type error{} after the change, {b} before{}",
                        plural(*a),
                        lines(&shown[..shown.len().min(5)])
                    ))
                } else if bs.ok() && !as_.ok() {
                    Some(format!(
                        "the type-check passed before and now ends with {}{}",
                        as_.describe(),
                        lines(&shown[..shown.len().min(5)])
                    ))
                } else {
                    None
                }
            }
            (
                Measure::Tests {
                    passed: b,
                    status: bs,
                    ..
                },
                Measure::Tests {
                    passed: a,
                    status: as_,
                    problem,
                    ..
                },
            ) => {
                let lost: Vec<&String> = b.difference(a).collect();
                if !lost.is_empty() {
                    let mut why = format!(
                        "{} test{} that passed before no longer pass{}: {}",
                        lost.len(),
                        plural(lost.len() as u64),
                        if lost.len() == 1 { "es" } else { "" },
                        lost.iter()
                            .take(3)
                            .map(|t| t.as_str())
                            .collect::<Vec<_>>()
                            .join("; ")
                    );
                    if let Some(problem) = problem {
                        why.push_str(&format!("\n    {problem}"));
                    }
                    Some(why)
                } else if bs.ok() && !as_.ok() {
                    Some(format!(
                        "the test run passed before and now ends with {}{}",
                        as_.describe(),
                        problem
                            .as_ref()
                            .map(|p| format!("\n    {p}"))
                            .unwrap_or_default()
                    ))
                } else {
                    None
                }
            }
            (Measure::Script { status: bs, .. }, Measure::Script { status: as_, tail }) => {
                (bs.ok() && !as_.ok()).then(|| {
                    format!(
                        "the tests passed before and now end with {}{}",
                        as_.describe(),
                        lines(tail)
                    )
                })
            }
            (Measure::Build { status: bs, .. }, Measure::Build { status: as_, tail }) => {
                (bs.ok() && !as_.ok()).then(|| {
                    format!(
                        "the build passed before and now ends with {}{}",
                        as_.describe(),
                        lines(tail)
                    )
                })
            }
            (
                Measure::Load {
                    status: bs,
                    error: be,
                },
                Measure::Load {
                    status: as_,
                    error: ae,
                },
            ) => {
                let same = bs == as_ && be == ae;
                if as_.ok() || same || (*bs == Status::TimedOut && *as_ == Status::TimedOut) {
                    None
                } else {
                    let before = match (bs, be) {
                        (Status::Exit(0), _) => "it loaded before".to_owned(),
                        (_, Some(e)) => format!("before: {e}"),
                        (s, None) => format!("before: {}", s.describe()),
                    };
                    Some(format!(
                        "it no longer loads with node ({}): {} ({before})",
                        as_.describe(),
                        ae.as_deref().unwrap_or("no error message")
                    ))
                }
            }
            (Measure::Absent, Measure::Load { status, error }) => (!status.ok()).then(|| {
                format!(
                    "the module the change creates does not load with node ({}): {}",
                    status.describe(),
                    error.as_deref().unwrap_or("no error message")
                )
            }),
            _ => Some("the check changed kind (internal error)".into()),
        }
    }

    /// One line for the report.
    pub fn summary(&self) -> String {
        match self {
            Measure::TypeCheck { errors, status, .. } => {
                format!("{errors} error{} ({})", plural(*errors), status.describe())
            }
            Measure::Tests {
                passed,
                failed,
                problem,
                ..
            } => {
                let mut s = format!("{} passed, {failed} failed", passed.len());
                if problem.is_some() && passed.is_empty() && *failed == 0 {
                    s = "no report".into();
                }
                s
            }
            Measure::Script { status, .. } | Measure::Build { status, .. } => status.describe(),
            Measure::Absent => "not there yet".into(),
            Measure::Load { status, error } => match (status, error) {
                (Status::Exit(0), _) => "loads".into(),
                (Status::TimedOut, _) => "still running at the timeout".into(),
                (_, Some(e)) => e.clone(),
                (s, None) => s.describe(),
            },
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn lines(lines: &[String]) -> String {
    lines.iter().map(|l| format!("\n    {l}")).collect()
}

/// What the checks of one package are, and their limits.
#[derive(Debug, Clone)]
pub struct Limits {
    pub timeout: Duration,
    pub load_timeout: Duration,
}

/// The checks of the package at `package` (absolute, in the project), `modules` being
/// the changed runtime modules in it (relative to the tree's top). A check that applies
/// but cannot run (a tsconfig.json without tsc, node missing) is an error, never skipped.
pub fn plan(
    top: &Path,
    package: &Path,
    modules: &[String],
    config: &crate::config::VerifyConfig,
) -> Result<Vec<Check>, VerifyError> {
    let mut checks = Vec::new();
    let display = super::package_name(top, package);
    if let Some(line) = &config.typecheck {
        checks.push(Check::TypeCheck {
            command: Tool::Shell(line.clone()),
            label: line.clone(),
        });
    } else if package.join("tsconfig.json").is_file() {
        // The project's own tsc, else its tsgo (TypeScript's native port, same flags and
        // output: fastify-monorepo type-checks with it and has no tsc).
        let (name, tsc) = ["tsc", "tsgo"]
            .iter()
            .find_map(|name| {
                package
                    .ancestors()
                    .map(|dir| dir.join("node_modules/.bin").join(name))
                    .find(|bin| bin.is_file())
                    .map(|bin| (*name, bin))
            })
            .ok_or_else(|| VerifyError::NoTypeChecker {
                package: display.clone(),
            })?;
        checks.push(Check::TypeCheck {
            command: Tool::Program {
                program: tsc,
                args: vec![
                    "--noEmit".into(),
                    "-p".into(),
                    "tsconfig.json".into(),
                    "--pretty".into(),
                    "false".into(),
                ],
            },
            label: format!("{name} --noEmit -p tsconfig.json"),
        });
    }
    if let Some(line) = &config.test {
        checks.push(Check::Script { line: line.clone() });
    } else if let Some(script) = test_script(package) {
        let uses_runner = script
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .any(|word| word == "jest" || word == "vitest");
        if uses_runner {
            // Installed? Refuse now rather than after the canary is made.
            testrun::detect(package).map_err(|err| VerifyError::Runner {
                package: display.clone(),
                reason: err.to_string(),
            })?;
            checks.push(Check::Runner);
        } else {
            checks.push(Check::Script {
                line: "npm test".into(),
            });
        }
    }
    if !modules.is_empty() {
        let node = Command::new("node")
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !node.is_ok_and(|s| s.success()) {
            return Err(VerifyError::NoNode { package: display });
        }
    }
    checks.extend(modules.iter().map(|m| Check::Load { module: m.clone() }));
    Ok(checks)
}

/// The package's `test` script, unless it is npm's placeholder that always fails.
pub(crate) fn test_script(package: &Path) -> Option<String> {
    let text = std::fs::read_to_string(package.join("package.json")).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    let script = manifest.get("scripts")?.get("test")?.as_str()?.trim();
    if script.is_empty() || script.contains("Error: no test specified") {
        return None;
    }
    Some(script.to_owned())
}

/// Runs one check in the canary. `tree` is the canary's top; `package` the package's
/// folder in it.
///
/// `files` narrows the test runner to those test files (relative to the package; empty:
/// the whole suite), as the bisection reruns only the files that lost tests.
pub fn run(
    check: &Check,
    tree: &Path,
    package: &Path,
    limits: &Limits,
    files: &[String],
) -> Result<Measure, VerifyError> {
    let relative = |text: &str| {
        let root = tree.to_string_lossy();
        text.replace(&format!("{root}/"), "")
            .replace(root.as_ref(), "<tree>")
    };
    match check {
        Check::Build { dir, line } => {
            let mut cmd = shell(line);
            cmd.current_dir(tree.join(dir));
            let ran = bounded(cmd, limits.timeout, line)?;
            let text = relative(&format!("{}\n{}", ran.stdout, ran.stderr));
            Ok(Measure::Build {
                status: ran.status,
                tail: if ran.status.ok() {
                    Vec::new()
                } else {
                    tail(&text, 5)
                },
            })
        }
        Check::TypeCheck { command, label } => {
            let mut cmd = match command {
                Tool::Program { program, args } => {
                    let mut cmd = Command::new(program);
                    cmd.args(args);
                    cmd
                }
                Tool::Shell(line) => shell(line),
            };
            cmd.current_dir(package);
            let ran = bounded(cmd, limits.timeout, label)?;
            let text = relative(&format!("{}\n{}", ran.stdout, ran.stderr));
            let errors: Vec<&str> = text.lines().filter(|l| is_type_error(l)).collect();
            let first = if errors.is_empty() && !ran.status.ok() {
                tail(&text, 5)
            } else {
                errors
                    .iter()
                    .take(KEEP_ERRORS)
                    .map(|l| l.to_string())
                    .collect()
            };
            Ok(Measure::TypeCheck {
                errors: errors.len() as u64,
                status: ran.status,
                first,
            })
        }
        Check::Script { line } => {
            let mut cmd = shell(line);
            cmd.current_dir(package).env("CI", "true");
            let ran = bounded(cmd, limits.timeout, line)?;
            let text = relative(&format!("{}\n{}", ran.stdout, ran.stderr));
            Ok(Measure::Script {
                status: ran.status,
                tail: if ran.status.ok() {
                    Vec::new()
                } else {
                    tail(&text, 5)
                },
            })
        }
        Check::Runner => {
            let runner = testrun::detect(package).map_err(|err| VerifyError::Runner {
                package: relative(&package.to_string_lossy()),
                reason: err.to_string(),
            })?;
            let flags = testrun::script_flags(package, runner.kind);
            let options = RunOptions {
                timeout: Some(limits.timeout),
                script_args: flags.runner_args,
                node_options: flags.node_options,
                ..RunOptions::default()
            };
            let root = package.to_string_lossy().into_owned();
            Ok(
                match testrun::run_with(
                    &runner,
                    false,
                    &Selection {
                        files: files.to_vec(),
                        name: None,
                    },
                    &options,
                ) {
                    Ok(outcome) => {
                        let files =
                            testrun::results::parse_files(&outcome.report).unwrap_or_default();
                        let passed = files
                            .iter()
                            .flat_map(|f| {
                                let file = testrun::classify::relative(&root, &f.path);
                                f.tests
                                    .iter()
                                    .filter(|t| t.status == "passed")
                                    .map(move |t| format!("{file} › {}", t.path().join(" › ")))
                            })
                            .collect();
                        let status = match (outcome.ended, outcome.status) {
                            (testrun::Ended::TimedOut { .. }, _) => Status::TimedOut,
                            (_, Some(n)) => Status::Exit(n),
                            (_, None) => Status::Signal,
                        };
                        Measure::Tests {
                            passed,
                            failed: outcome.results.failures(),
                            status,
                            problem: (!status.ok())
                                .then(|| relative(&outcome.tail))
                                .map(|t| tail(&t, 5).join("\n    ")),
                        }
                    }
                    Err(err) => Measure::Tests {
                        passed: BTreeSet::new(),
                        failed: 0,
                        status: Status::Exit(1),
                        problem: Some(relative(&err.to_string())),
                    },
                },
            )
        }
        Check::Load { module } => {
            let path = tree.join(module);
            let script = format!(
                "const u = require('url').pathToFileURL(process.argv[1]).href;\
                 import(u).then(() => {{ setTimeout(() => process.exit(0), {SETTLE_MS}).unref(); }},\
                 (e) => {{ process.stderr.write('dash-load-error: ' + String(e && e.stack || e).split('\\n')[0] + '\\n'); process.exit(1); }});"
            );
            let mut cmd = Command::new("node");
            cmd.arg("-e").arg(script).arg(&path).current_dir(package);
            let ran = bounded(cmd, limits.load_timeout, &format!("node {module}"))?;
            let error = (!ran.status.ok() && ran.status != Status::TimedOut)
                .then(|| first_error(&relative(&ran.stderr)));
            Ok(Measure::Load {
                status: ran.status,
                error,
            })
        }
    }
}

/// A line of tsc's output that reports an error (`file(1,2): error TS2322: …`).
fn is_type_error(line: &str) -> bool {
    let Some(at) = line.find("error TS") else {
        return false;
    };
    (at == 0 || line[..at].ends_with(": ") || line[..at].ends_with("- "))
        && line[at + 8..].starts_with(|c: char| c.is_ascii_digit())
}

/// The error's first line: dash's own report of a failed import, else the first line
/// naming an error (node prints the source line and a caret above an uncaught one),
/// else the last line printed.
fn first_error(stderr: &str) -> String {
    if let Some(line) = stderr
        .lines()
        .find_map(|l| l.strip_prefix("dash-load-error: "))
    {
        return line.trim().to_owned();
    }
    stderr
        .lines()
        .map(str::trim)
        .find(|l| {
            let name = l.split([':', ' ', '[']).next().unwrap_or("");
            (name.ends_with("Error") || name.ends_with("Exception")) && l.len() > name.len()
        })
        .or_else(|| stderr.lines().map(str::trim).rfind(|l| !l.is_empty()))
        .unwrap_or("")
        .to_owned()
}

fn tail(text: &str, n: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| l.trim_end().to_owned())
        .collect()
}

fn shell(line: &str) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(line);
    cmd
}

struct Ran {
    status: Status,
    stdout: String,
    stderr: String,
}

/// How much of a check's output is kept (each stream): tsc on a broken project can
/// print megabytes, and only counts and first lines are needed.
const MAX_OUTPUT: u64 = 8 << 20;

/// Runs `cmd` in its own process group, stdin empty, output to temporary files (a pipe
/// could fill and block it), killing the group at `timeout`.
fn bounded(mut cmd: Command, timeout: Duration, what: &str) -> Result<Ran, VerifyError> {
    let start_error = |reason: String| VerifyError::CannotStart {
        command: what.to_owned(),
        reason,
    };
    let mut out = tempfile::tempfile().map_err(|e| start_error(e.to_string()))?;
    let mut err = tempfile::tempfile().map_err(|e| start_error(e.to_string()))?;
    cmd.stdin(Stdio::null())
        .stdout(out.try_clone().map_err(|e| start_error(e.to_string()))?)
        .stderr(err.try_clone().map_err(|e| start_error(e.to_string()))?);
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let (mut child, _group) =
        crate::interrupt::spawn(&mut cmd).map_err(|e| start_error(e.to_string()))?;
    let started = Instant::now();
    let mut poll = Duration::from_millis(10);
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| start_error(e.to_string()))? {
            break match status.code() {
                Some(n) => Status::Exit(n),
                None => Status::Signal,
            };
        }
        if started.elapsed() >= timeout {
            let _ = testrun::run::kill_group(&mut child);
            break Status::TimedOut;
        }
        std::thread::sleep(poll);
        poll = (poll * 2).min(Duration::from_millis(100));
    };
    let read = |file: &mut std::fs::File| {
        let mut bytes = Vec::new();
        let _ = file.rewind();
        let _ = file.take(MAX_OUTPUT).read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Ok(Ran {
        status,
        stdout: read(&mut out),
        stderr: read(&mut err),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_narrowed_to_the_files_that_lost_tests_compares_with_their_baseline() {
        let tests = |passed: &[&str], status: Status| Measure::Tests {
            passed: passed.iter().map(|t| t.to_string()).collect(),
            failed: 0,
            status,
            problem: None,
        };
        let before = tests(
            &[
                "a.test.js › adds",
                "a.test.js › subtracts",
                "b.test.js › logs",
                "c.test.js › x",
            ],
            Status::Exit(0),
        );
        let after = tests(&["a.test.js › adds", "c.test.js › x"], Status::Exit(1));
        let focus: Vec<String> = after.files_that_lost_tests(&before).into_iter().collect();
        assert_eq!(focus, ["a.test.js", "b.test.js"]);
        // A narrowed rerun where both files pass again is as green as their baseline…
        let narrowed = before.only_files(&focus);
        let rerun = tests(
            &[
                "a.test.js › adds",
                "a.test.js › subtracts",
                "b.test.js › logs",
            ],
            Status::Exit(0),
        );
        assert_eq!(rerun.worse_than(&narrowed), None);
        // …and one where a test of those files still fails is worse, named.
        let rerun = tests(&["a.test.js › adds", "b.test.js › logs"], Status::Exit(1));
        assert!(
            rerun
                .worse_than(&narrowed)
                .is_some_and(|why| why.contains("a.test.js › subtracts"))
        );
        assert!(
            tests(&[], Status::Exit(0))
                .files_that_lost_tests(&tests(&[], Status::Exit(0)))
                .is_empty()
        );
    }

    #[test]
    fn the_type_check_is_the_projects_tsc_else_its_tsgo_else_a_refusal() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path();
        let package = top.join("packages/api");
        std::fs::create_dir_all(&package).unwrap();
        std::fs::write(package.join("tsconfig.json"), "{}").unwrap();
        let config = crate::config::VerifyConfig::default();
        let labels = || -> Result<Vec<String>, String> {
            plan(top, &package, &[], &config)
                .map(|checks| {
                    checks
                        .iter()
                        .filter_map(|c| match c {
                            Check::TypeCheck { label, .. } => Some(label.clone()),
                            _ => None,
                        })
                        .collect()
                })
                .map_err(|e| e.to_string())
        };
        assert!(
            labels()
                .unwrap_err()
                .contains("no node_modules/.bin/tsc or tsgo")
        );
        std::fs::create_dir_all(top.join("node_modules/.bin")).unwrap();
        std::fs::write(top.join("node_modules/.bin/tsgo"), "").unwrap();
        assert_eq!(labels().unwrap(), ["tsgo --noEmit -p tsconfig.json"]);
        std::fs::write(top.join("node_modules/.bin/tsc"), "").unwrap();
        assert_eq!(labels().unwrap(), ["tsc --noEmit -p tsconfig.json"]);
    }

    #[test]
    fn type_errors_are_counted_in_both_formats() {
        assert!(is_type_error(
            "src/a.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'."
        ));
        assert!(is_type_error(
            "src/a.ts:3:7 - error TS2322: Type 'string' is not assignable"
        ));
        assert!(is_type_error(
            "error TS5058: The specified path does not exist"
        ));
        assert!(!is_type_error("console.log('error TS is a string')"));
        assert!(!is_type_error("Found 2 errors."));
    }

    #[test]
    fn the_first_error_line_is_found_past_nodes_source_excerpt() {
        let stderr = "/x/src/a.js:2\nlogger.info('x')\n       ^\n\nTypeError: Cannot read properties of undefined (reading 'info')\n    at Object.<anonymous> (/x/src/a.js:2:8)\n";
        assert_eq!(
            first_error(stderr),
            "TypeError: Cannot read properties of undefined (reading 'info')"
        );
        assert_eq!(
            first_error("dash-load-error: Error: Cannot find module './log'\n"),
            "Error: Cannot find module './log'"
        );
        assert_eq!(first_error("something odd\nat the end\n"), "at the end");
    }

    fn load(status: Status, error: Option<&str>) -> Measure {
        Measure::Load {
            status,
            error: error.map(str::to_owned),
        }
    }

    #[test]
    fn a_module_that_loaded_must_still_load() {
        let loaded = load(Status::Exit(0), None);
        let broken = load(Status::Exit(1), Some("TypeError: x"));
        assert_eq!(loaded.worse_than(&loaded), None);
        assert!(
            broken
                .worse_than(&loaded)
                .unwrap()
                .contains("it loaded before")
        );
        // Failing as before is not worse; failing differently is.
        assert_eq!(broken.worse_than(&broken), None);
        assert!(
            load(Status::Exit(1), Some("ReferenceError: y"))
                .worse_than(&broken)
                .is_some()
        );
        assert_eq!(loaded.worse_than(&broken), None);
        // A server still running at the timeout before and after.
        let running = load(Status::TimedOut, None);
        assert_eq!(running.worse_than(&running), None);
        assert!(running.worse_than(&loaded).is_some());
    }

    #[test]
    fn a_module_the_change_creates_must_load() {
        assert_eq!(
            load(Status::Exit(0), None).worse_than(&Measure::Absent),
            None
        );
        let why = load(Status::Exit(1), Some("SyntaxError: x"))
            .worse_than(&Measure::Absent)
            .unwrap();
        assert!(
            why.contains("the module the change creates does not load"),
            "{why}"
        );
        assert!(why.contains("SyntaxError: x"), "{why}");
    }

    #[test]
    fn type_errors_may_not_grow() {
        let m = |errors, code| Measure::TypeCheck {
            errors,
            status: Status::Exit(code),
            first: vec![],
        };
        assert_eq!(m(1, 2).worse_than(&m(1, 2)), None);
        assert_eq!(m(0, 0).worse_than(&m(1, 2)), None);
        assert!(
            m(2, 2)
                .worse_than(&m(1, 2))
                .unwrap()
                .contains("2 type errors")
        );
        // No error counted, yet it failed where it passed: worse.
        assert!(m(0, 1).worse_than(&m(0, 0)).is_some());
    }

    #[test]
    fn tests_that_passed_must_still_pass() {
        let m = |passed: &[&str], code| Measure::Tests {
            passed: passed.iter().map(|s| s.to_string()).collect(),
            failed: 0,
            status: Status::Exit(code),
            problem: None,
        };
        assert_eq!(m(&["a", "b"], 0).worse_than(&m(&["a", "b"], 0)), None);
        assert_eq!(m(&["a", "b", "c"], 1).worse_than(&m(&["a"], 1)), None);
        let why = m(&["a"], 1).worse_than(&m(&["a", "b"], 1)).unwrap();
        assert!(
            why.contains("1 test that passed before no longer passes: b"),
            "{why}"
        );
        let script = |code| Measure::Script {
            status: Status::Exit(code),
            tail: vec![],
        };
        assert!(script(1).worse_than(&script(0)).is_some());
        assert_eq!(script(1).worse_than(&script(1)), None);
        assert_eq!(script(0).worse_than(&script(1)), None);
        let timed_out = Measure::Script {
            status: Status::TimedOut,
            tail: vec![],
        };
        assert!(timed_out.worse_than(&script(0)).is_some());
    }

    #[test]
    fn a_command_past_its_timeout_is_killed() {
        let start = Instant::now();
        let ran = bounded(shell("sleep 30"), Duration::from_millis(200), "sleep").unwrap();
        assert_eq!(ran.status, Status::TimedOut);
        assert!(start.elapsed() < Duration::from_secs(10));
        let ran = bounded(
            shell("echo out; echo err >&2; exit 3"),
            Duration::from_secs(10),
            "x",
        )
        .unwrap();
        assert_eq!(ran.status, Status::Exit(3));
        assert_eq!(ran.stdout, "out\n");
        assert_eq!(ran.stderr, "err\n");
    }
}

//! Invoking a runner: `node <runner bin> <args>` in the project's folder, with the JSON
//! reporter writing into a scratch folder (never into the project), and with coverage
//! through istanbul's json-summary reporter when asked.
//!
//! The report is always written to a file (`--outputFile`): on stdout it would be mixed
//! with whatever the tests print. The runner's own output is captured to files as well
//! (pipes could fill and block it) and only its tail is kept, for the reason of a failure.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};

use super::TestRunError;
use super::coverage::{self, FileCoverage};
use super::detect::{Kind, Runner, find_package};
use super::results::{self, Results};

/// How many lines of the runner's output a failure quotes.
const TAIL_LINES: usize = 15;

/// One run of the suite.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The command, as a user would type it in the project's folder.
    pub command: String,
    /// The runner's exit status (`None`: killed by a signal).
    pub status: Option<i32>,
    pub results: Results,
    /// Per-file line coverage, when the run measured it.
    pub coverage: Option<Vec<FileCoverage>>,
    /// The end of the runner's output (stdout, then stderr), colour codes removed.
    pub tail: String,
    /// The JSON report as written.
    pub report: String,
    /// Everything the runner printed: stdout, then stderr.
    pub output: String,
}

/// Which tests a run covers: all, or some files (as the runner takes them: paths or
/// patterns) and a test-name pattern.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub files: Vec<String>,
    /// A regular expression on the describe path and title joined by spaces (`-t`).
    pub name: Option<String>,
}

/// Whether the runner can measure coverage: jest ships istanbul; vitest needs a provider
/// package installed next to it.
pub fn coverage_ready(runner: &Runner) -> Result<(), TestRunError> {
    let provider = runner.kind == Kind::Jest
        || ["@vitest/coverage-v8", "@vitest/coverage-istanbul"]
            .iter()
            .any(|p| find_package(&runner.root, p).is_some());
    if provider {
        Ok(())
    } else {
        Err(TestRunError::NoCoverageProvider {
            version: runner.version.clone(),
        })
    }
}

/// Runs the suite once, with coverage when `with_coverage`.
pub fn run(runner: &Runner, with_coverage: bool) -> Result<Outcome, TestRunError> {
    run_selected(runner, with_coverage, &Selection::default())
}

/// Runs the selected tests once.
pub fn run_selected(
    runner: &Runner,
    with_coverage: bool,
    selection: &Selection,
) -> Result<Outcome, TestRunError> {
    if with_coverage {
        coverage_ready(runner)?;
    }
    let scratch = tempfile::Builder::new()
        .prefix("dash-testrun-")
        .tempdir()
        .map_err(TestRunError::Scratch)?;
    let report = scratch.path().join("results.json");
    let coverage_dir = scratch.path().join("coverage");
    let mut args = arguments(
        runner.kind,
        &runner.version,
        &report,
        with_coverage.then_some(&*coverage_dir),
    );
    if let Some(name) = &selection.name {
        args.push("-t".into());
        args.push(name.into());
    }
    // jest reads file arguments as regular expressions unless told they are paths.
    if runner.kind == Kind::Jest && !selection.files.is_empty() {
        args.push("--runTestsByPath".into());
    }
    args.extend(selection.files.iter().map(OsString::from));
    let command = display_command(runner, &args);

    let stdout =
        std::fs::File::create(scratch.path().join("stdout")).map_err(TestRunError::Scratch)?;
    let stderr =
        std::fs::File::create(scratch.path().join("stderr")).map_err(TestRunError::Scratch)?;
    let status = Command::new("node")
        .arg(&runner.bin)
        .args(&args)
        .current_dir(&runner.root)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .status()
        .map_err(|err| TestRunError::CannotStart {
            command: command.clone(),
            reason: err.to_string(),
        })?;
    let tail = tail(scratch.path());
    let output = ["stdout", "stderr"]
        .iter()
        .map(|name| {
            String::from_utf8_lossy(&std::fs::read(scratch.path().join(name)).unwrap_or_default())
                .into_owned()
        })
        .collect::<Vec<_>>()
        .join("\n");
    let status_text = status
        .code()
        .map_or_else(|| "killed by a signal".to_owned(), |c| c.to_string());
    let no_report = |what: &'static str| TestRunError::NoReport {
        command: command.clone(),
        what,
        status: status_text.clone(),
        tail: if tail.is_empty() {
            String::new()
        } else {
            format!(":\n{tail}")
        },
    };
    let bad_report = |what: &'static str, reason: String| TestRunError::BadReport {
        command: command.clone(),
        what,
        reason,
    };

    let text = std::fs::read_to_string(&report).map_err(|_| no_report("JSON report"))?;
    let results = results::parse(&text).map_err(|reason| bad_report("JSON report", reason))?;
    let coverage = if with_coverage {
        let summary = coverage_dir.join("coverage-summary.json");
        let text = std::fs::read_to_string(&summary).map_err(|_| no_report("coverage summary"))?;
        Some(coverage::parse(&text).map_err(|reason| bad_report("coverage summary", reason))?)
    } else {
        None
    };
    Ok(Outcome {
        command,
        status: status.code(),
        results,
        coverage,
        tail,
        report: text,
        output,
    })
}

/// The runner's arguments: the JSON reporter into `report` with each test's location,
/// coverage's json-summary into `coverage` when given. vitest also keeps its default
/// reporter, whose text has what its JSON lacks (timeouts' messages, unhandled errors;
/// test-domain.md §2.2); naming both also stops it choosing a reporter of its own.
/// vitest 2 takes `includeTaskLocation` from its configuration only.
pub fn arguments(
    kind: Kind,
    version: &str,
    report: &Path,
    coverage: Option<&Path>,
) -> Vec<OsString> {
    let flag = |name: &str, value: &Path| {
        let mut arg = OsString::from(name);
        arg.push("=");
        arg.push(value);
        arg
    };
    let mut args: Vec<OsString> = Vec::new();
    match kind {
        Kind::Jest => {
            args.push("--ci".into());
            args.push("--json".into());
            args.push(flag("--outputFile", report));
            args.push("--testLocationInResults".into());
            if let Some(dir) = coverage {
                args.push("--coverage".into());
                args.push("--coverageReporters=json-summary".into());
                args.push(flag("--coverageDirectory", dir));
            }
        }
        Kind::Vitest => {
            args.push("run".into());
            args.push("--reporter=default".into());
            args.push("--reporter=json".into());
            args.push(flag("--outputFile.json", report));
            let major = version
                .split('.')
                .next()
                .and_then(|m| m.parse::<u32>().ok());
            if major.is_none_or(|m| m >= 3) {
                args.push("--includeTaskLocation".into());
            }
            if let Some(dir) = coverage {
                args.push("--coverage.enabled".into());
                args.push("--coverage.reporter=json-summary".into());
                args.push(flag("--coverage.reportsDirectory", dir));
            }
        }
    }
    args
}

/// `npx jest --json …`, with the scratch paths shortened, for messages.
fn display_command(runner: &Runner, args: &[OsString]) -> String {
    let mut words = vec!["npx".to_owned(), runner.kind.package().to_owned()];
    words.extend(args.iter().map(|a| {
        let a = a.to_string_lossy();
        match a.split_once('=') {
            Some((name, value)) if Path::new(value).is_absolute() => format!("{name}=<tmp>"),
            _ => a.into_owned(),
        }
    }));
    words.join(" ")
}

/// The last lines of what the runner printed.
fn tail(scratch: &Path) -> String {
    let mut lines: Vec<String> = Vec::new();
    for name in ["stdout", "stderr"] {
        let text = std::fs::read(scratch.join(name)).unwrap_or_default();
        let text = results::strip_ansi(&String::from_utf8_lossy(&text));
        lines.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| format!("  {}", l.trim_end())),
        );
    }
    let start = lines.len().saturating_sub(TAIL_LINES);
    lines[start..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reporter_flags() {
        let args = |kind, cov: Option<&Path>| {
            arguments(kind, "3.2.4", Path::new("/t/r.json"), cov)
                .into_iter()
                .map(|a| a.into_string().unwrap())
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            args(Kind::Jest, None),
            "--ci --json --outputFile=/t/r.json --testLocationInResults"
        );
        assert_eq!(
            args(Kind::Jest, Some(Path::new("/t/c"))),
            "--ci --json --outputFile=/t/r.json --testLocationInResults --coverage --coverageReporters=json-summary --coverageDirectory=/t/c"
        );
        assert_eq!(
            args(Kind::Vitest, Some(Path::new("/t/c"))),
            "run --reporter=default --reporter=json --outputFile.json=/t/r.json --includeTaskLocation --coverage.enabled --coverage.reporter=json-summary --coverage.reportsDirectory=/t/c"
        );
        let vitest2 = arguments(Kind::Vitest, "2.1.9", Path::new("/t/r.json"), None);
        assert!(!vitest2.iter().any(|a| a == "--includeTaskLocation"));
    }
}

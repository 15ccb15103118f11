//! The `dash test` report: the run's counts, the failures per class, and each failure
//! with its place, test, class and evidence, as text, JSON or GitHub annotations.
//!
//! The JSON document (version 1) is
//! `{"version":1,"runner":{"name","version"},"command","exitStatus","root","tests":{"passed","failed","skipped"},"counts":{CLASS:N},"failures":[…],"passed"}`,
//! each failure `{"file","test":[…],"line","class","reason","evidence":[…],"cause":{"file","line","column"},"endpoint","reportedAs"}`;
//! paths are relative to `root`, absent values are `null` (`reportedAs` is left out).
//! A package of a workspace whose suite could not run (no runner installed, the runner
//! could not start, crashed or was killed before writing its results) is a report of its
//! own with `"notRun": "<the error's code>"`, no tests, and one failure of the whole run
//! (`"file": null`) whose evidence is the end of the runner's output.

use std::fmt::Write;

use owo_colors::OwoColorize;
use serde::Serialize;

use super::TestRunError;
use super::classify::{Class, Failure, counts};
use super::prove::Repair;

/// One run of `dash test`, classified.
#[derive(Debug, Clone, Serialize)]
pub struct TestReport {
    pub version: u32,
    pub runner: RunnerInfo,
    pub command: String,
    #[serde(rename = "exitStatus")]
    pub exit_status: Option<i32>,
    /// The project folder the suite ran in.
    pub root: String,
    pub tests: Counts,
    pub counts: std::collections::BTreeMap<&'static str, usize>,
    pub failures: Vec<Failure>,
    /// No failure and the runner exited 0.
    pub passed: bool,
    /// `--fix`: every candidate repair, kept (proven) or rolled back (with the reason).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub repairs: Vec<Repair>,
    /// The suite could not run: the error's diagnostic code (`dash::test::no_report`).
    #[serde(rename = "notRun", skip_serializing_if = "Option::is_none")]
    pub not_run: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunnerInfo {
    pub name: &'static str,
    pub version: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
    pub skipped: u64,
}

impl TestReport {
    pub fn new(
        runner: RunnerInfo,
        command: String,
        exit_status: Option<i32>,
        root: String,
        tests: Counts,
        failures: Vec<Failure>,
    ) -> TestReport {
        let passed = failures.is_empty() && exit_status == Some(0);
        TestReport {
            version: 1,
            runner,
            command,
            exit_status,
            root,
            tests,
            counts: counts(&failures)
                .into_iter()
                .map(|(c, n)| (c.name(), n))
                .collect(),
            failures,
            passed,
            repairs: Vec::new(),
            not_run: None,
        }
    }

    /// The report of a package whose suite could not run (`package`: its folder as
    /// displayed): one failure of the whole run, classed by why: the runner missing or
    /// not startable is `environment` (nothing in the tests' code), a run killed at
    /// `--timeout` is `timeout`, a run that crashed or wrote no readable results is
    /// `error`; its evidence is the end of what the runner printed.
    pub fn not_run(
        runner: RunnerInfo,
        root: String,
        package: &str,
        err: &TestRunError,
    ) -> TestReport {
        let (class, command, exit_status, what, evidence) = match err {
            TestRunError::NoRunner { .. }
            | TestRunError::NotInstalled { .. }
            | TestRunError::BadPackage { .. } => (
                Class::Environment,
                String::new(),
                None,
                err.to_string(),
                Vec::new(),
            ),
            TestRunError::CannotStart { command, reason } => (
                Class::Environment,
                command.clone(),
                None,
                format!("cannot start `{command}`: {reason}"),
                Vec::new(),
            ),
            TestRunError::NoReport {
                command,
                what,
                status,
                tail,
            } => (
                if status.starts_with("killed by dash after") {
                    Class::Timeout
                } else {
                    Class::Error
                },
                command.clone(),
                status.parse::<i32>().ok(),
                format!("`{command}` wrote no {what} (exit status {status})"),
                tail.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && *l != ":")
                    .map(str::to_owned)
                    .collect(),
            ),
            TestRunError::BadReport { command, .. } => (
                Class::Error,
                command.clone(),
                None,
                err.to_string(),
                Vec::new(),
            ),
            TestRunError::NoCoverageProvider { .. } | TestRunError::Scratch(_) => (
                Class::Error,
                String::new(),
                None,
                err.to_string(),
                Vec::new(),
            ),
        };
        let failure = Failure {
            file: None,
            test: Vec::new(),
            line: None,
            class,
            reason: format!("the suite of {package} could not run: {what}"),
            evidence,
            cause: None,
            endpoint: None,
            reported_as: None,
            reruns: None,
        };
        let mut report = TestReport::new(
            runner,
            command,
            exit_status,
            root,
            Counts {
                passed: 0,
                failed: 0,
                skipped: 0,
            },
            vec![failure],
        );
        report.not_run = Some(err.code_name());
        report
    }

    /// Failures no kept repair covers (all of them without `--fix`).
    pub fn left(&self) -> Vec<&Failure> {
        self.failures
            .iter()
            .filter(|f| {
                !self.repairs.iter().any(|r| {
                    r.kept
                        && f.file.as_deref() == Some(r.file.as_str())
                        && r.tests.contains(&f.test)
                })
            })
            .collect()
    }
}

pub fn json(report: &TestReport) -> String {
    let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
    text.push('\n');
    text
}

/// A workspace's runs, one report per package:
/// `{"version":1,"packages":[<report>…],"passed"}` (each report as [`json`] prints it).
pub fn json_packages(reports: &[TestReport]) -> String {
    let doc = serde_json::json!({
        "version": 1,
        "packages": reports,
        "passed": reports.iter().all(|r| r.passed),
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// `file:line` of a failure, with `show` making a project path printable.
fn place(failure: &Failure, show: &dyn Fn(&str) -> String) -> String {
    match (&failure.file, failure.line) {
        (Some(file), Some(line)) => format!("{}:{line}", show(file)),
        (Some(file), None) => show(file),
        (None, _) => "(the whole run)".into(),
    }
}

fn test_name(failure: &Failure) -> String {
    if failure.file.is_none() {
        String::new()
    } else if failure.test.is_empty() {
        "(the file could not run)".into()
    } else {
        failure.test.join(" › ")
    }
}

pub fn text(
    report: &TestReport,
    color: bool,
    quiet: bool,
    show: &dyn Fn(&str) -> String,
) -> String {
    let mut out = String::new();
    for failure in &report.failures {
        let class = failure.class.name();
        let class = if !color {
            class.to_owned()
        } else if failure.class == Class::Environment {
            class.yellow().to_string()
        } else {
            class.red().to_string()
        };
        let _ = writeln!(out, "{}  {}", place(failure, show), test_name(failure));
        let _ = writeln!(out, "  {class}: {}", failure.reason);
        for line in &failure.evidence {
            let _ = writeln!(out, "  | {line}");
        }
        if let Some(cause) = &failure.cause {
            let _ = writeln!(
                out,
                "  at {}:{}:{}",
                show(&cause.file),
                cause.line,
                cause.column
            );
        }
        if let Some(blamed) = &failure.reported_as {
            let _ = writeln!(
                out,
                "  (the runner reported it against: {})",
                blamed.join(" › ")
            );
        }
        out.push('\n');
    }
    for repair in &report.repairs {
        let tests: Vec<String> = repair
            .tests
            .iter()
            .map(|t| {
                if t.is_empty() {
                    "(the file)".to_owned()
                } else {
                    t.join(" › ")
                }
            })
            .collect();
        let verdict = if repair.kept {
            "repaired"
        } else {
            "not repaired"
        };
        let verdict = match (color, repair.kept) {
            (false, _) => verdict.to_owned(),
            (true, true) => verdict.green().to_string(),
            (true, false) => verdict.yellow().to_string(),
        };
        let _ = writeln!(
            out,
            "{verdict}: {}  {}",
            show(&repair.file),
            tests.join("; ")
        );
        if repair.repair != "none" {
            let _ = writeln!(out, "  repair: {}", repair.repair);
        }
        if let Some(proof) = &repair.proof {
            let _ = writeln!(out, "  proof: {proof}");
        }
        if let Some(reason) = &repair.reason {
            let _ = writeln!(out, "  why: {reason}");
        }
        out.push('\n');
    }
    if quiet {
        return out;
    }
    let t = &report.tests;
    if report.not_run.is_some() {
        let _ = writeln!(
            out,
            "{}: the suite did not run ({})",
            [report.runner.name, report.runner.version.as_str()]
                .join(" ")
                .trim_end(),
            report.failures.first().map_or("error", |f| f.class.name())
        );
        return out;
    }
    let _ = writeln!(
        out,
        "{} {}: {} passed, {} failed, {} skipped",
        report.runner.name, report.runner.version, t.passed, t.failed, t.skipped
    );
    if report.failures.is_empty() {
        if report.exit_status == Some(0) {
            let _ = writeln!(out, "no failures");
        } else {
            let _ = writeln!(
                out,
                "no failure recognised, but `{}` exited with status {}",
                report.command,
                report
                    .exit_status
                    .map_or_else(|| "killed by a signal".into(), |s| s.to_string())
            );
        }
    } else {
        let per_class: Vec<String> = report
            .counts
            .iter()
            .map(|(c, n)| (Class::ALL.iter().position(|k| k.name() == *c), c, n))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|(_, c, n)| format!("{c} {n}"))
            .collect();
        let _ = writeln!(
            out,
            "{} failure{}: {}",
            report.failures.len(),
            if report.failures.len() == 1 { "" } else { "s" },
            per_class.join(", ")
        );
    }
    if !report.repairs.is_empty() {
        let kept = report.repairs.iter().filter(|r| r.kept).count();
        let _ = writeln!(
            out,
            "repairs: {kept} proven, {} not; {} failure{} left",
            report.repairs.len() - kept,
            report.left().len(),
            if report.left().len() == 1 { "" } else { "s" },
        );
    }
    out
}

pub fn github(report: &TestReport, quiet: bool, show: &dyn Fn(&str) -> String) -> String {
    use crate::report::github::{escape_data, escape_property};
    let mut out = text(report, false, quiet, show);
    for failure in &report.failures {
        let mut props = Vec::new();
        if let Some(file) = &failure.file {
            props.push(format!("file={}", escape_property(&show(file))));
            if let Some(line) = failure.line {
                props.push(format!("line={line}"));
            }
        }
        props.push(format!(
            "title={}",
            escape_property(&format!("dash test: {}", failure.class.name()))
        ));
        let name = test_name(failure);
        let mut message = if name.is_empty() {
            failure.reason.clone()
        } else {
            format!("{name}: {}", failure.reason)
        };
        for line in &failure.evidence {
            message.push('\n');
            message.push_str(line);
        }
        // With --fix: what became of its repair (proven, or why it is left).
        for repair in report.repairs.iter().filter(|r| {
            failure.file.as_deref() == Some(r.file.as_str()) && r.tests.contains(&failure.test)
        }) {
            message.push('\n');
            match (&repair.proof, &repair.reason) {
                (Some(proof), _) if repair.kept => {
                    message.push_str(&format!("repaired ({}): {proof}", repair.repair));
                }
                (_, Some(why)) => message.push_str(&format!("not repaired: {why}")),
                _ => message.push_str("not repaired"),
            }
        }
        let _ = writeln!(
            out,
            "::error {}::{}",
            props.join(","),
            escape_data(&message)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testrun::classify::Location;

    fn report() -> TestReport {
        TestReport::new(
            RunnerInfo {
                name: "jest",
                version: "29.7.0".into(),
            },
            "npx jest --ci".into(),
            Some(1),
            "/p".into(),
            Counts {
                passed: 3,
                failed: 1,
                skipped: 0,
            },
            vec![Failure {
                file: Some("api.test.js".into()),
                test: vec!["api".into(), "fetches".into()],
                line: Some(10),
                class: Class::Environment,
                reason: "connection refused: 127.0.0.1:1".into(),
                evidence: vec!["Error: connect ECONNREFUSED 127.0.0.1:1".into()],
                cause: Some(Location {
                    file: "src/api.js".into(),
                    line: 4,
                    column: 2,
                }),
                endpoint: Some("127.0.0.1:1".into()),
                reported_as: None,
                reruns: None,
            }],
        )
    }

    #[test]
    fn a_suite_that_could_not_run() {
        let runner = || RunnerInfo {
            name: "jest",
            version: "29.7.0".into(),
        };
        let crashed = TestRunError::NoReport {
            command: "npm test -- --ci".into(),
            what: "JSON report",
            status: "2".into(),
            tail: ":\n  > b@1.0.0 test\n  sh: jest-broken: not found".into(),
        };
        let r = TestReport::not_run(runner(), "/w/packages/b".into(), "packages/b", &crashed);
        assert!(!r.passed);
        assert_eq!(r.exit_status, Some(2));
        assert_eq!(r.not_run, Some("dash::test::no_report"));
        let show = |p: &str| p.to_owned();
        assert_eq!(
            text(&r, false, false, &show),
            "(the whole run)  \n  error: the suite of packages/b could not run: `npm test -- --ci` wrote no JSON report (exit status 2)\n  | > b@1.0.0 test\n  | sh: jest-broken: not found\n\njest 29.7.0: the suite did not run (error)\n"
        );
        let doc: serde_json::Value = serde_json::from_str(&json(&r)).unwrap();
        assert_eq!(doc["notRun"], "dash::test::no_report");
        assert_eq!(doc["exitStatus"], 2);
        assert_eq!(doc["failures"][0]["file"], serde_json::Value::Null);
        assert_eq!(doc["failures"][0]["class"], "error");
        assert_eq!(
            doc["failures"][0]["evidence"][1],
            "sh: jest-broken: not found"
        );
        let gh = github(&r, true, &show);
        assert!(
            gh.contains("::error title=dash test%3A error::the suite of packages/b could not run: `npm test -- --ci` wrote no JSON report (exit status 2)%0A> b@1.0.0 test%0Ash: jest-broken: not found\n"),
            "{gh}"
        );

        let timed_out = TestRunError::NoReport {
            command: "npx vitest run".into(),
            what: "JSON report",
            status: "killed by dash after the 5 s --timeout".into(),
            tail: String::new(),
        };
        let r = TestReport::not_run(runner(), "/w/a".into(), "a", &timed_out);
        assert_eq!(r.failures[0].class, Class::Timeout);
        assert_eq!(r.exit_status, None);
        assert!(r.failures[0].evidence.is_empty());
        let missing = TestRunError::NotInstalled {
            runner: "vitest",
            root: "/w/c".into(),
        };
        let r = TestReport::not_run(
            RunnerInfo {
                name: "none",
                version: String::new(),
            },
            "/w/c".into(),
            "c",
            &missing,
        );
        assert_eq!(r.failures[0].class, Class::Environment);
        assert!(
            text(&r, false, false, &show).ends_with("none: the suite did not run (environment)\n")
        );
    }

    /// The JSON's `notRun` is the diagnostic's own code.
    #[test]
    fn not_run_codes_are_the_diagnostics() {
        use miette::Diagnostic;
        let errors = [
            TestRunError::NoRunner {
                package_json: "/p/package.json".into(),
            },
            TestRunError::NotInstalled {
                runner: "jest",
                root: "/p".into(),
            },
            TestRunError::BadPackage {
                path: "/p".into(),
                reason: String::new(),
            },
            TestRunError::CannotStart {
                command: String::new(),
                reason: String::new(),
            },
            TestRunError::NoReport {
                command: String::new(),
                what: "JSON report",
                status: String::new(),
                tail: String::new(),
            },
            TestRunError::BadReport {
                command: String::new(),
                what: "JSON report",
                reason: String::new(),
            },
            TestRunError::NoCoverageProvider {
                version: String::new(),
            },
            TestRunError::Scratch(std::io::Error::other("x")),
        ];
        for err in errors {
            assert_eq!(
                Some(err.code_name().to_owned()),
                err.code().map(|c| c.to_string())
            );
        }
    }

    #[test]
    fn formats() {
        let show = |p: &str| p.to_owned();
        let r = report();
        assert!(!r.passed);
        assert_eq!(
            text(&r, false, false, &show),
            "api.test.js:10  api › fetches\n  environment: connection refused: 127.0.0.1:1\n  | Error: connect ECONNREFUSED 127.0.0.1:1\n  at src/api.js:4:2\n\njest 29.7.0: 3 passed, 1 failed, 0 skipped\n1 failure: environment 1\n"
        );
        let doc: serde_json::Value = serde_json::from_str(&json(&r)).unwrap();
        assert_eq!(doc["version"], 1);
        assert_eq!(doc["counts"]["environment"], 1);
        assert_eq!(doc["failures"][0]["endpoint"], "127.0.0.1:1");
        assert_eq!(doc["failures"][0]["class"], "environment");
        assert_eq!(doc["failures"][0]["test"][1], "fetches");
        assert!(doc["failures"][0].get("reportedAs").is_none());
        let gh = github(&r, true, &show);
        assert!(
            gh.contains("::error file=api.test.js,line=10,title=dash test%3A environment::api › fetches: connection refused: 127.0.0.1:1%0AError: connect ECONNREFUSED 127.0.0.1:1\n"),
            "{gh}"
        );
        // With --fix, each annotation says what became of its repair.
        let mut r = r;
        r.repairs.push(Repair {
            file: "api.test.js".into(),
            tests: vec![vec!["api".into(), "fetches".into()]],
            repair: "none".into(),
            kept: false,
            proof: None,
            reason: Some(
                "an environment failure in the same file: the file is left as it is".into(),
            ),
            agent: None,
        });
        r.repairs.push(Repair {
            file: "api.test.js".into(),
            tests: vec![vec!["api".into(), "fetches".into()]],
            repair: "timeout 5 → 10 ms".into(),
            kept: true,
            proof: Some("passed".into()),
            reason: None,
            agent: None,
        });
        let gh = github(&r, true, &show);
        assert!(
            gh.contains("%0Anot repaired: an environment failure in the same file: the file is left as it is%0Arepaired (timeout 5 → 10 ms): passed\n"),
            "{gh}"
        );
        assert_eq!(gh.matches("::error").count(), 1, "{gh}");
    }
}

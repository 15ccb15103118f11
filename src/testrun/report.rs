//! The `dash test` report: the run's counts, the failures per class, and each failure
//! with its place, test, class and evidence, as text, JSON or GitHub annotations.
//!
//! The JSON document (version 1) is
//! `{"version":1,"runner":{"name","version"},"command","exitStatus","root","tests":{"passed","failed","skipped"},"counts":{CLASS:N},"failures":[…],"passed"}`,
//! each failure `{"file","test":[…],"line","class","reason","evidence":[…],"cause":{"file","line","column"},"endpoint","reportedAs"}`;
//! paths are relative to `root`, absent values are `null` (`reportedAs` is left out).

use std::fmt::Write;

use owo_colors::OwoColorize;
use serde::Serialize;

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
        }
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
        let mut message = format!("{}: {}", test_name(failure), failure.reason);
        for line in &failure.evidence {
            message.push('\n');
            message.push_str(line);
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
    }
}

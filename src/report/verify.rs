//! The `dash verify` report: one entry per check of the readiness checklist (its limit,
//! what was measured, whether it passed, what to run about it), printed as text, JSON or
//! GitHub annotations.
//!
//! The JSON document is `{"checks":[{"name","limit","actual","passed"}],"passed"}` plus
//! fields a script can ignore (`status`, `fix`, `detail`, `skipped`). A skipped check
//! (`--no-tests`) is not in `checks`, whose entries all measured something or failed to,
//! but in `skipped`, so nobody reads a skip as a pass.

use std::fmt::Write;

use owo_colors::OwoColorize;
use serde::Serialize;

/// A limit or a measure: a count, or a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Figure {
    Count(u64),
    Percent(f64),
}

impl Figure {
    fn show(self) -> String {
        match self {
            Figure::Count(n) => n.to_string(),
            Figure::Percent(p) => format!("{p:.1}%"),
        }
    }
}

/// A check that ran (or tried to: `actual` is absent when nothing could be measured, and
/// then it failed).
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub limit: Figure,
    pub actual: Option<Figure>,
    pub passed: bool,
    /// What to run about it.
    pub fix: String,
    /// More about the figure: a breakdown, the least covered files, why nothing was measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Check {
    /// `actual ≤ limit` for a count, `actual ≥ limit` for a percentage.
    pub fn measured(name: impl Into<String>, limit: Figure, actual: Figure, fix: String) -> Check {
        let passed = match (limit, actual) {
            (Figure::Count(l), Figure::Count(a)) => a <= l,
            (Figure::Percent(l), Figure::Percent(a)) => a >= l,
            _ => false,
        };
        Check {
            name: name.into(),
            limit,
            actual: Some(actual),
            passed,
            fix,
            detail: None,
        }
    }

    /// A check that could not measure anything: a failure, with the reason.
    pub fn unmeasured(
        name: impl Into<String>,
        limit: Figure,
        reason: String,
        fix: String,
    ) -> Check {
        Check {
            name: name.into(),
            limit,
            actual: None,
            passed: false,
            fix,
            detail: Some(reason),
        }
    }

    fn comparison(&self) -> &'static str {
        match self.limit {
            Figure::Count(_) => "at most",
            Figure::Percent(_) => "at least",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    pub checks: Vec<Check>,
    pub skipped: Vec<Skipped>,
}

impl VerifyReport {
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }
}

#[derive(Serialize)]
struct Document<'a> {
    checks: Vec<JsonCheck<'a>>,
    passed: bool,
    skipped: &'a [Skipped],
}

#[derive(Serialize)]
struct JsonCheck<'a> {
    #[serde(flatten)]
    check: &'a Check,
    status: &'static str,
}

pub fn json(report: &VerifyReport) -> String {
    let doc = Document {
        checks: report
            .checks
            .iter()
            .map(|check| JsonCheck {
                check,
                status: if check.passed { "pass" } else { "fail" },
            })
            .collect(),
        passed: report.passed(),
        skipped: &report.skipped,
    };
    let mut text = serde_json::to_string_pretty(&doc).expect("the report serializes");
    text.push('\n');
    text
}

/// One line per check, `PASS`/`FAIL`/`SKIPPED`, the figure against the limit, and what to
/// run for a failure; details indented below; the verdict last. Quiet: the failed checks
/// only.
pub fn text(report: &VerifyReport, color: bool, quiet: bool) -> String {
    let width = report
        .checks
        .iter()
        .map(|c| c.name.len())
        .chain(report.skipped.iter().map(|s| s.name.len()))
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for check in report.checks.iter().filter(|c| !quiet || !c.passed) {
        let status = if check.passed { "PASS" } else { "FAIL" };
        let status = match (color, check.passed) {
            (false, _) => format!("{status:<7}"),
            (true, true) => format!("{:<7}", status.green()),
            (true, false) => format!("{:<7}", status.red().bold()),
        };
        let actual = check
            .actual
            .map_or_else(|| "not measured".to_owned(), Figure::show);
        let mut line = format!(
            "{status} {:<width$}  {actual} ({} {})",
            check.name,
            check.comparison(),
            check.limit.show()
        );
        if !check.passed {
            let _ = write!(line, ": {}", check.fix);
        }
        let _ = writeln!(out, "{}", line.trim_end());
        if let Some(detail) = &check.detail {
            for l in detail.lines() {
                let _ = writeln!(out, "        {l}");
            }
        }
    }
    if quiet {
        return out;
    }
    for skipped in &report.skipped {
        let _ = writeln!(
            out,
            "{:<7} {:<width$}  {}",
            "SKIPPED", skipped.name, skipped.reason
        );
    }
    let failed = report.checks.iter().filter(|c| !c.passed).count();
    let verdict = if failed == 0 {
        format!(
            "verify: passed ({} check{})",
            report.checks.len(),
            plural(report.checks.len())
        )
    } else {
        format!(
            "verify: {failed} of {} check{} failed",
            report.checks.len(),
            plural(report.checks.len())
        )
    };
    let _ = writeln!(
        out,
        "\n{}",
        if color {
            verdict.bold().to_string()
        } else {
            verdict
        }
    );
    out
}

/// The text report as log lines, then an error annotation per failed check.
pub fn github(report: &VerifyReport, quiet: bool) -> String {
    let mut out = text(report, false, quiet);
    for check in report.checks.iter().filter(|c| !c.passed) {
        let actual = check
            .actual
            .map_or_else(|| "not measured".to_owned(), Figure::show);
        let mut message = format!(
            "{actual} ({} {}): {}",
            check.comparison(),
            check.limit.show(),
            check.fix
        );
        if let Some(detail) = &check.detail {
            message.push('\n');
            message.push_str(detail);
        }
        let _ = writeln!(
            out,
            "::error title=dash verify {}::{}",
            super::github::escape_property(&check.name),
            super::github::escape_data(&message)
        );
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> VerifyReport {
        VerifyReport {
            checks: vec![
                Check::measured(
                    "max-production",
                    Figure::Count(0),
                    Figure::Count(2),
                    "run `dash fix --write`".into(),
                ),
                Check::measured(
                    "min-coverage.production",
                    Figure::Percent(80.0),
                    Figure::Percent(85.25),
                    String::new(),
                ),
                Check::unmeasured(
                    "max-failing-tests",
                    Figure::Count(0),
                    "cannot start `npx jest`: no node".into(),
                    "install Node.js".into(),
                ),
            ],
            skipped: vec![],
        }
    }

    #[test]
    fn counts_are_at_most_and_percentages_at_least() {
        let r = report();
        assert!(!r.checks[0].passed);
        assert!(r.checks[1].passed);
        assert!(!r.checks[2].passed);
        assert!(!r.passed());
        assert!(Check::measured("x", Figure::Count(3), Figure::Count(3), String::new()).passed);
        assert!(
            !Check::measured(
                "x",
                Figure::Percent(80.0),
                Figure::Percent(79.9),
                String::new()
            )
            .passed
        );
    }

    #[test]
    fn text_lines() {
        let text = text(&report(), false, false);
        let quiet = super::text(&report(), false, true);
        assert!(
            !quiet.contains("PASS") && !quiet.contains("verify:"),
            "{quiet}"
        );
        assert_eq!(quiet.matches("FAIL").count(), 2, "{quiet}");
        assert!(text.starts_with(
            "FAIL    max-production           2 (at most 0): run `dash fix --write`\n\
             PASS    min-coverage.production  85.2% (at least 80.0%)\n\
             FAIL    max-failing-tests        not measured (at most 0): install Node.js\n        cannot start"
        ), "{text}");
        assert!(text.ends_with("\nverify: 2 of 3 checks failed\n"), "{text}");
    }

    #[test]
    fn json_shape() {
        let doc: serde_json::Value = serde_json::from_str(&json(&report())).unwrap();
        assert_eq!(doc["passed"], false);
        assert_eq!(doc["checks"][0]["name"], "max-production");
        assert_eq!(doc["checks"][0]["limit"], 0);
        assert_eq!(doc["checks"][0]["actual"], 2);
        assert_eq!(doc["checks"][0]["passed"], false);
        assert_eq!(doc["checks"][1]["actual"], 85.25);
        assert!(doc["checks"][2]["actual"].is_null());
    }

    #[test]
    fn github_annotations_for_failures_only() {
        let out = github(&report(), false);
        assert_eq!(out.matches("::error ").count(), 2, "{out}");
        assert!(
            out.contains("\n::error title=dash verify max-production::2 (at most 0): run `dash fix --write`\n"),
            "{out}"
        );
        assert!(out.contains("install Node.js%0Acannot start"), "{out}");
    }
}

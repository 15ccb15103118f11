//! `--format json`: the scan report as one JSON document, schema `dash.scan` version 2
//! (version 2: findings of every rule, each with `rule`, `group` and `message`; counts per
//! rule and group; the `rules` that ran).
//!
//! The schema is versioned: fields may be added within a version, never renamed or
//! removed. README documents every field.

use serde::Serialize;

use super::{Count, FileError, Note, ScanReport, Threshold, WorktreeRow};
use crate::engine::scan::{Finding, Stats};

pub const SCHEMA: &str = "dash.scan";
pub const VERSION: u32 = 2;

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    version: u32,
    tool: Tool,
    rules: &'a [&'static str],
    worktrees: &'a [WorktreeRow],
    totals: Totals,
    counts: &'a [Count],
    findings: &'a [Finding],
    notes: &'a [Note],
    errors: &'a [FileError],
    #[serde(rename = "syntaxErrors")]
    syntax_errors: &'a [String],
    thresholds: &'a [Threshold],
    #[serde(skip_serializing_if = "Option::is_none")]
    stats: Option<JsonStats>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Totals {
    findings: usize,
    files: usize,
    production: usize,
    tests: usize,
    scripts: usize,
    examples: usize,
    browser: usize,
}

#[derive(Serialize)]
struct JsonStats {
    #[serde(flatten)]
    stats: Stats,
    #[serde(rename = "elapsedMs")]
    elapsed_ms: f64,
    #[serde(rename = "walkMs")]
    walk_ms: f64,
}

/// Renders the document; `stats` adds run statistics (which include a time, so they are
/// off by default to keep the output byte-for-byte reproducible).
pub fn render(report: &ScanReport, stats: bool) -> String {
    use crate::workspace::Category::*;
    let by = |c| report.findings.iter().filter(|f| f.category == c).count();
    let doc = Document {
        schema: SCHEMA,
        version: VERSION,
        tool: Tool {
            name: "dash",
            version: env!("CARGO_PKG_VERSION"),
        },
        rules: &report.rules,
        worktrees: &report.worktrees,
        totals: Totals {
            findings: report.findings.len(),
            files: report.worktrees.iter().map(|w| w.files).sum(),
            production: by(Production),
            tests: by(Tests),
            scripts: by(Scripts),
            examples: by(Examples),
            browser: by(Browser),
        },
        counts: &report.counts,
        findings: &report.findings,
        notes: &report.notes,
        errors: &report.errors,
        syntax_errors: &report.syntax_error_files,
        thresholds: &report.thresholds,
        stats: stats.then_some(JsonStats {
            stats: report.stats,
            elapsed_ms: report.stats.elapsed.as_secs_f64() * 1000.0,
            walk_ms: report.stats.walk.as_secs_f64() * 1000.0,
        }),
    };
    let mut text = serde_json::to_string_pretty(&doc).expect("the report serializes");
    text.push('\n');
    text
}

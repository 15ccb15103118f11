//! The scan report: findings aggregated per worktree × category × rule and group (console:
//! the method), notes about
//! skipped files, errors, thresholds, and the formats they are printed in.

pub mod github;
pub mod json;
pub mod sarif;
pub mod text;
pub mod verify;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::scan::{Analysis, Finding, Outcome, Stats};
use crate::rules::console::RULE_ID as CONSOLE;
use crate::workspace::{Category, Workspace, Worktree};

/// A file that was not analyzed, and why (not an error).
#[derive(Debug, Clone, Serialize, thiserror::Error, miette::Diagnostic)]
#[error("{path}: {message}")]
#[diagnostic(code(dash::skipped), severity(Advice))]
pub struct Note {
    pub path: String,
    pub message: String,
}

/// A file or folder that could not be processed.
#[derive(Debug, Clone, Serialize, thiserror::Error, miette::Diagnostic)]
#[error("{path}: {message}")]
#[diagnostic(
    code(dash::unreadable),
    help(
        "the rest of the files were analyzed; fix the permissions or exclude the path in dash.toml [paths] exclude"
    )
)]
pub struct FileError {
    pub path: String,
    pub message: String,
}

/// A limit from `--max-*` or `[verify]`, and how the scan measured against it.
#[derive(Debug, Clone, Serialize)]
pub struct Threshold {
    pub name: &'static str,
    pub limit: u64,
    pub actual: u64,
    pub exceeded: bool,
    /// The worktrees counted (their printed paths).
    pub worktrees: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WorktreeRow {
    #[serde(flatten)]
    pub worktree: Worktree,
    pub files: usize,
    pub findings: usize,
}

/// Counts for one worktree, category and rule, by group (console's methods sorted as
/// [`method_order`]).
#[derive(Debug, Clone, Serialize)]
pub struct Count {
    pub worktree: usize,
    pub category: Category,
    pub rule: &'static str,
    pub group: String,
    pub count: usize,
}

#[derive(Debug, Clone)]
pub struct ScanReport {
    /// The ids of the rules that ran, in registry order.
    pub rules: Vec<&'static str>,
    pub worktrees: Vec<WorktreeRow>,
    pub findings: Vec<Finding>,
    pub counts: Vec<Count>,
    pub notes: Vec<Note>,
    pub errors: Vec<FileError>,
    pub thresholds: Vec<Threshold>,
    pub stats: Stats,
    /// Files that contain syntax errors (their findings may be incomplete).
    pub syntax_error_files: Vec<String>,
    /// Files the token finder left to a full parse: `path:line: reason` (for `-v`).
    pub parsed_files: Vec<String>,
}

/// The usual methods first, in the order people think of them; others alphabetically.
pub fn method_order(method: &str) -> (usize, &str) {
    const USUAL: [&str; 6] = ["log", "info", "warn", "error", "debug", "trace"];
    (
        USUAL
            .iter()
            .position(|m| *m == method)
            .unwrap_or(USUAL.len()),
        method,
    )
}

/// Counts are grouped by worktree, category, rule (rank, id) and group (rank, name).
type GroupKey = (usize, Category, usize, &'static str, (usize, String));

#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    pub max_console: Option<u64>,
    pub max_production: Option<u64>,
    /// Count every worktree in the report, not only those the user named: another
    /// worktree's uncommitted work must not fail a gate run in a clean one.
    pub all_worktrees: bool,
}

impl ScanReport {
    pub fn new(
        workspace: &Workspace,
        rules: Vec<&'static str>,
        analysis: Analysis,
        limits: Limits,
    ) -> ScanReport {
        let mut findings = Vec::new();
        let mut notes = Vec::new();
        let mut errors: Vec<FileError> = workspace
            .problems
            .iter()
            .map(|p| FileError {
                path: p.path.clone(),
                message: p.message.clone(),
            })
            .collect();
        let mut syntax_error_files = Vec::new();
        let mut parsed_files = Vec::new();
        let mut files_per_worktree = vec![0usize; workspace.worktrees.len()];
        for result in analysis.results {
            let file = &workspace.files[result.file];
            files_per_worktree[file.worktree] += 1;
            match result.outcome {
                Outcome::Skipped(skip) => notes.push(Note {
                    path: file.display.clone(),
                    message: skip.to_string(),
                }),
                Outcome::Failed(message) => errors.push(FileError {
                    path: file.display.clone(),
                    message,
                }),
                Outcome::Parsed {
                    syntax_errors,
                    declined,
                } => {
                    if syntax_errors > 0 {
                        syntax_error_files.push(file.display.clone());
                    }
                    if let Some((line, why)) = declined {
                        parsed_files.push(format!("{}:{line}: {why}", file.display));
                    }
                }
                _ => {}
            }
            findings.extend(result.findings);
        }
        findings.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));

        // Rules in registry order, console's methods in the order people think of them.
        let rule_rank = |id: &str| {
            crate::rules::RULES
                .iter()
                .position(|r| r.meta().id == id)
                .unwrap_or(usize::MAX)
        };
        let mut grouped: BTreeMap<GroupKey, usize> = BTreeMap::new();
        for f in &findings {
            let (rank, group) = method_order(&f.group);
            *grouped
                .entry((
                    f.worktree,
                    f.category,
                    rule_rank(f.rule),
                    f.rule,
                    (rank, group.to_owned()),
                ))
                .or_default() += 1;
        }
        let counts = grouped
            .into_iter()
            .map(|((worktree, category, _, rule, (_, group)), count)| Count {
                worktree,
                category,
                rule,
                group,
                count,
            })
            .collect();

        let worktrees = workspace
            .worktrees
            .iter()
            .enumerate()
            .map(|(i, w)| WorktreeRow {
                worktree: w.clone(),
                files: files_per_worktree[i],
                findings: findings.iter().filter(|f| f.worktree == i).count(),
            })
            .collect();

        // The console thresholds count console calls only, in the worktrees they gate.
        let gated = |f: &&Finding| {
            f.rule == CONSOLE && (limits.all_worktrees || workspace.worktrees[f.worktree].named)
        };
        let total = findings.iter().filter(gated).count() as u64;
        let production = findings
            .iter()
            .filter(gated)
            .filter(|f| f.category == Category::Production)
            .count() as u64;
        let counted: Vec<String> = workspace
            .worktrees
            .iter()
            .filter(|w| limits.all_worktrees || w.named)
            .map(|w| w.path.clone())
            .collect();
        let mut thresholds = Vec::new();
        for (name, limit, actual) in [
            ("max-console", limits.max_console, total),
            ("max-production", limits.max_production, production),
        ] {
            if let Some(limit) = limit {
                thresholds.push(Threshold {
                    name,
                    limit,
                    actual,
                    exceeded: actual > limit,
                    worktrees: counted.clone(),
                });
            }
        }
        notes.sort_by(|a, b| a.path.cmp(&b.path));
        errors.sort_by(|a, b| a.path.cmp(&b.path));
        ScanReport {
            rules,
            worktrees,
            findings,
            counts,
            notes,
            errors,
            thresholds,
            stats: analysis.stats,
            syntax_error_files,
            parsed_files,
        }
    }

    /// How many findings of `rule` there are (in worktree `worktree`, when given).
    pub fn count_of(&self, rule: &str, worktree: Option<usize>) -> usize {
        self.findings
            .iter()
            .filter(|f| f.rule == rule && worktree.is_none_or(|w| f.worktree == w))
            .count()
    }

    pub fn thresholds_exceeded(&self) -> bool {
        self.thresholds.iter().any(|t| t.exceeded)
    }

    /// Every console method that appears, in display order.
    pub fn methods(&self) -> Vec<String> {
        let mut methods: Vec<String> = self
            .counts
            .iter()
            .filter(|c| c.rule == CONSOLE)
            .map(|c| c.group.clone())
            .collect();
        methods.sort_by(|a, b| method_order(a).cmp(&method_order(b)));
        methods.dedup();
        methods
    }
}

//! Runs the analysis over a workspace: each file is read, prefiltered, and handed to the
//! console rule, in parallel; the outcome of every file is kept so reports can say what
//! was found, what was skipped and why, and what failed.

use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;

use crate::config::Config;
use crate::rules::console::{self, ConsoleUse, Usage};
use crate::rules::{LineIndex, Position};
use crate::workspace::source::{self, Candidate, Skip};
use crate::workspace::{Category, SourceFile, Workspace};

/// One console call, located.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub path: String,
    pub line: u32,
    pub column: u32,
    #[serde(rename = "endLine")]
    pub end_line: u32,
    #[serde(rename = "endColumn")]
    pub end_column: u32,
    pub rule: &'static str,
    pub method: String,
    pub category: Category,
    /// Index into the report's worktrees.
    pub worktree: usize,
}

/// What happened to one file.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The bytes do not contain any rule's needle: never parsed.
    Prefiltered,
    /// Decided by the lexical finder.
    Lexed,
    /// Parsed with tree-sitter; the count of ERROR/MISSING nodes, and why the lexical
    /// finder declined (line, reason) unless `--exact` asked for the parse.
    Parsed {
        syntax_errors: usize,
        declined: Option<(u32, &'static str)>,
    },
    /// `// dash-ignore-file`.
    Ignored,
    Skipped(Skip),
    /// Could not be read.
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct FileResult {
    pub file: usize,
    pub outcome: Outcome,
    pub findings: Vec<Finding>,
    pub bytes: u64,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Stats {
    pub files: usize,
    pub prefiltered: usize,
    pub lexed: usize,
    pub parsed: usize,
    pub skipped: usize,
    pub failed: usize,
    pub bytes: u64,
    #[serde(skip)]
    pub elapsed: Duration,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct AnalysisOptions {
    /// Parse every candidate file with tree-sitter (no lexical fast path).
    pub exact: bool,
}

pub struct Analysis {
    pub results: Vec<FileResult>,
    pub stats: Stats,
}

/// Analyzes every file of the workspace; results come back in the workspace's file order.
pub fn analyze(workspace: &Workspace, config: &Config, options: AnalysisOptions) -> Analysis {
    let started = Instant::now();
    let results: Vec<FileResult> = workspace
        .files
        .par_iter()
        .enumerate()
        .map(|(index, file)| analyze_file(index, file, config, options))
        .collect();
    let mut stats = Stats {
        files: results.len(),
        ..Stats::default()
    };
    for result in &results {
        stats.bytes += result.bytes;
        match result.outcome {
            Outcome::Prefiltered | Outcome::Ignored => stats.prefiltered += 1,
            Outcome::Lexed => stats.lexed += 1,
            Outcome::Parsed { .. } => stats.parsed += 1,
            Outcome::Skipped(_) => stats.skipped += 1,
            Outcome::Failed(_) => stats.failed += 1,
        }
    }
    stats.elapsed = started.elapsed();
    Analysis { results, stats }
}

fn analyze_file(
    index: usize,
    file: &SourceFile,
    config: &Config,
    options: AnalysisOptions,
) -> FileResult {
    let result = |outcome, findings, bytes| FileResult {
        file: index,
        outcome,
        findings,
        bytes,
    };
    let raw = match source::read_candidate(&file.path, config.limits.max_file_size, console::NEEDLE)
    {
        Ok(Candidate::Text(raw)) => raw,
        Ok(Candidate::NoNeedle { len }) => return result(Outcome::Prefiltered, Vec::new(), len),
        Ok(Candidate::Skipped(skip)) => return result(Outcome::Skipped(skip), Vec::new(), 0),
        Err(err) => return result(Outcome::Failed(err.to_string()), Vec::new(), 0),
    };
    let bytes = raw.len() as u64;
    let text = source::without_bom(&raw);
    let scan = console::scan(file.lang, text, options.exact);
    if scan.ignored_file {
        return result(Outcome::Ignored, Vec::new(), bytes);
    }
    let outcome = match scan.syntax_errors {
        Some(syntax_errors) => Outcome::Parsed {
            syntax_errors,
            declined: scan
                .declined
                .map(|(at, why)| (LineIndex::new(text).position(at).line, why)),
        },
        None => Outcome::Lexed,
    };
    let findings = findings(file, text, &scan.uses);
    result(outcome, findings, bytes)
}

/// Positions are relative to the text after any byte-order mark, which is what editors
/// count too.
fn findings(file: &SourceFile, bytes: &[u8], uses: &[ConsoleUse]) -> Vec<Finding> {
    let mut lines = LineIndex::new(bytes);
    uses.iter()
        .filter(|u| u.usage == Usage::Call)
        .map(|u| {
            let start = lines.position(u.start);
            let end = lines.position(u.callee_end);
            finding(file, start, end, u.method_name())
        })
        .collect()
}

fn finding(file: &SourceFile, start: Position, end: Position, method: &str) -> Finding {
    Finding {
        path: file.display.clone(),
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
        rule: console::RULE_ID,
        method: method.to_owned(),
        category: file.category,
        worktree: file.worktree,
    }
}

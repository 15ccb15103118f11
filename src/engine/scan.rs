//! The scan: each file of a workspace is read once, prefiltered for every rule at once,
//! decided by the rules' byte-level fast paths where they are sure, and parsed once for
//! the rest; suppression comments are applied here, for every rule alike. The outcome of
//! every file is kept so reports can say what was found, what was skipped and why, and
//! what failed.

use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;

use super::Engine;
use crate::rules::suppress::{self, Suppression};
use crate::rules::{Emit, FileCx, Finding as RuleFinding, LineIndex, Quick, TreeMatches};
use crate::syntax;
use crate::workspace::source::{self, Candidate, Skip};
use crate::workspace::{Category, SourceFile, Workspace};

/// One finding, located for reports.
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
    /// The finding's kind within its rule (console: the method).
    pub group: String,
    pub message: String,
    pub category: Category,
    /// Index into the report's worktrees.
    pub worktree: usize,
}

/// What happened to one file.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The bytes contain no needle of any rule that applies: never parsed.
    Prefiltered,
    /// Decided by the rules' byte-level fast paths.
    Lexed,
    /// Parsed with tree-sitter; the count of ERROR/MISSING nodes, and why a fast path
    /// declined (line, reason) unless `--exact` asked for the parse.
    Parsed {
        syntax_errors: usize,
        declined: Option<(u32, &'static str)>,
    },
    /// `// dash-ignore-file` for every rule that applies.
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
    /// The analysis (read, prefilter, rules) of every file.
    #[serde(skip)]
    pub elapsed: Duration,
    /// Finding the files: worktrees, the walk, categories (set by the caller).
    #[serde(skip)]
    pub walk: Duration,
    /// The files were analyzed as the walk found them ([`analyze_walking`]): `elapsed`
    /// is the walk and the analysis together, and `walk` is not measured apart.
    pub overlapped: bool,
}

pub struct Analysis {
    pub results: Vec<FileResult>,
    pub stats: Stats,
}

/// Scans every file of the workspace; results come back in the workspace's file order.
pub fn analyze(workspace: &Workspace, engine: &Engine, limit: u64, exact: bool) -> Analysis {
    let started = Instant::now();
    let results: Vec<FileResult> = workspace
        .files
        .par_iter()
        .enumerate()
        .map(|(index, file)| scan_file(index, file, engine, limit, exact))
        .collect();
    let mut analysis = summarize(results);
    analysis.stats.elapsed = started.elapsed();
    analysis
}

/// Finds the workspace `paths` name and scans each file in the walk's thread as soon as
/// the walk finds it (as ripgrep searches), so the analysis never waits for the walk to
/// end: with one thread or sixteen, no core sits idle at the seam between the two.
#[allow(
    clippy::result_large_err,
    reason = "configuration errors carry the file's text to point into it; once per run"
)]
pub fn analyze_walking(
    paths: &[std::path::PathBuf],
    config: &crate::config::Config,
    options: &crate::workspace::WalkOptions,
    engine: &Engine,
    exact: bool,
) -> Result<(Workspace, Analysis), crate::workspace::WorkspaceError> {
    let started = Instant::now();
    let limit = config.limits.max_file_size;
    let (workspace, results) = Workspace::discover_with(paths, config, options, &|file| {
        scan_file(0, file, engine, limit, exact)
    })?;
    // Worktree indexes are final only once the walk has found every nested repository.
    let results = results
        .into_iter()
        .zip(&workspace.files)
        .enumerate()
        .map(|(index, (mut result, file))| {
            result.file = index;
            for finding in &mut result.findings {
                finding.worktree = file.worktree;
            }
            result
        })
        .collect();
    let mut analysis = summarize(results);
    analysis.stats.elapsed = started.elapsed();
    analysis.stats.overlapped = true;
    Ok((workspace, analysis))
}

fn summarize(results: Vec<FileResult>) -> Analysis {
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
    Analysis { results, stats }
}

fn scan_file(
    index: usize,
    file: &SourceFile,
    engine: &Engine,
    limit: u64,
    exact: bool,
) -> FileResult {
    let result = |outcome, findings, bytes| FileResult {
        file: index,
        outcome,
        findings,
        bytes,
    };
    let (raw, hits) = match engine.load(file, limit) {
        Ok(Candidate::Text { bytes, hits }) => (bytes, hits),
        Ok(Candidate::NoNeedle { len }) => return result(Outcome::Prefiltered, Vec::new(), len),
        Ok(Candidate::Skipped(skip)) => return result(Outcome::Skipped(skip), Vec::new(), 0),
        Err(err) => return result(Outcome::Failed(err.to_string()), Vec::new(), 0),
    };
    let bytes = raw.len() as u64;
    let Ok(text) = std::str::from_utf8(source::without_bom(&raw)) else {
        // read_candidate validated UTF-8; a BOM strip cannot break it.
        return result(
            Outcome::Skipped(Skip::NotUtf8 { offset: 0 }),
            Vec::new(),
            bytes,
        );
    };
    // What the text says (a shebang, `'use client'`, a CLI's entry) on the bytes in hand.
    let category = crate::workspace::content::refine(file.category, text.as_bytes());
    let cx = FileCx {
        path: &file.path,
        lang: file.lang,
        category,
        text,
        newline: "\n",
    };
    let rules = engine.applicable(hits & engine.wanted(category, file.lang), &cx);
    if rules.is_empty() {
        return result(Outcome::Prefiltered, Vec::new(), bytes);
    }
    let (outcome, found) = match check_file(&cx, &rules, exact) {
        Some(checked) => checked,
        None => return result(Outcome::Ignored, Vec::new(), bytes),
    };
    result(outcome, locate(file, category, text, found), bytes)
}

/// Runs `rules` on one file: fast paths first (unless `exact`), one parse for the rules
/// that need a tree or when suppression comments must be located. `None`: the file is
/// ignored by `dash-ignore-file` for every rule.
pub fn check_file(
    cx: &FileCx<'_>,
    rules: &[&super::Prepared],
    exact: bool,
) -> Option<(Outcome, Vec<RuleFinding>)> {
    let mut found = Vec::new();
    let mut needs_tree = Vec::new();
    let mut declined = None;
    for prepared in rules {
        if exact {
            needs_tree.push(*prepared);
            continue;
        }
        match prepared.rule.quick(cx) {
            Quick::Decided(findings) => found.extend(findings),
            Quick::NeedsTree(why) => {
                declined = declined.or(why);
                needs_tree.push(*prepared);
            }
        }
    }
    let has_marker = memchr::memmem::find(cx.text.as_bytes(), suppress::MARKER).is_some();
    if needs_tree.is_empty() && !has_marker {
        return Some((Outcome::Lexed, found));
    }
    let Some(tree) = syntax::parse(cx.lang, cx.text.as_bytes()) else {
        return Some((Outcome::Lexed, found));
    };
    let mut emit = Emit::new();
    let matches = TreeMatches::new(crate::rules::queries(), cx.lang, &tree, cx.text.as_bytes());
    for prepared in &needs_tree {
        prepared.rule.check(cx, &tree, &matches, &mut emit);
    }
    found.extend(emit.into_findings());
    let suppressions = suppress::in_tree(tree.root_node(), cx.text.as_bytes());
    if !suppressions.is_empty()
        && rules.iter().all(|p| {
            suppressions
                .iter()
                .any(|s| s.whole_file && s.applies_to(p.meta.id))
        })
    {
        return None;
    }
    let found = apply_suppressions(cx.text.as_bytes(), found, &suppressions);
    let outcome = Outcome::Parsed {
        syntax_errors: syntax::error_count(&tree),
        declined: declined
            .map(|(at, why)| (LineIndex::new(cx.text.as_bytes()).position(at).line, why)),
    };
    Some((outcome, found))
}

/// Drops the findings a `dash-ignore` comment covers (by rule and line).
pub fn apply_suppressions(
    source: &[u8],
    mut found: Vec<RuleFinding>,
    suppressions: &[Suppression],
) -> Vec<RuleFinding> {
    found.sort_by_key(|f| f.range.start);
    if suppressions.is_empty() {
        return found;
    }
    let mut lines = LineIndex::new(source);
    found.retain(|f| {
        let line = lines.position(f.range.start).line;
        !suppressions
            .iter()
            .any(|s| s.applies_to(f.rule) && (s.whole_file || s.lines.contains(&line)))
    });
    found
}

/// Positions are relative to the text after any byte-order mark, which is what editors
/// count too.
fn locate(
    file: &SourceFile,
    category: Category,
    text: &str,
    mut found: Vec<RuleFinding>,
) -> Vec<Finding> {
    found.sort_by_key(|f| f.range.start);
    // Starts are visited in order; ends get their own forward pass (nested findings end
    // out of order), so both stay linear.
    let mut ends = vec![None; found.len()];
    let mut by_end: Vec<usize> = (0..found.len()).collect();
    by_end.sort_by_key(|&i| found[i].range.end);
    let mut lines = LineIndex::new(text.as_bytes());
    for i in by_end {
        ends[i] = Some(lines.position(found[i].range.end));
    }
    let mut lines = LineIndex::new(text.as_bytes());
    found
        .into_iter()
        .zip(ends)
        .map(|(f, end)| {
            let start = lines.position(f.range.start);
            let end = end.expect("every end was located");
            Finding {
                path: file.display.clone(),
                line: start.line,
                column: start.column,
                end_line: end.line,
                end_column: end.column,
                rule: f.rule,
                group: f.group.into_owned(),
                message: f.message.into_owned(),
                category,
                worktree: file.worktree,
            }
        })
        .collect()
}

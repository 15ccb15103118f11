//! The human report: one table per worktree (categories × methods, with totals) and the
//! other rules' counts, or with `--list` one line per finding instead; then the
//! thresholds and the run's statistics when asked for.

use std::fmt::Write;

use owo_colors::OwoColorize;

use super::ScanReport;
use crate::rules::console::RULE_ID as CONSOLE;
use crate::workspace::{Category, WorktreeKind};

#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    pub list: bool,
    pub stats: bool,
    pub color: bool,
}

pub fn render(report: &ScanReport, options: TextOptions) -> String {
    let mut out = String::new();
    let bold = |s: &str| {
        if options.color {
            s.bold().to_string()
        } else {
            s.to_owned()
        }
    };
    // `--list` is the list and nothing else (thresholds and stats only when asked for).
    if options.list {
        for f in &report.findings {
            let _ = writeln!(
                out,
                "{}:{}:{} {} {}",
                f.path,
                f.line,
                f.column,
                if f.rule == CONSOLE { &f.group } else { f.rule },
                f.category.name()
            );
        }
    } else {
        render_tables(&mut out, report, &bold);
    }

    if !report.thresholds.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        for t in &report.thresholds {
            let verdict = if t.exceeded { "exceeded" } else { "ok" };
            // Say which worktrees count when the report shows others too.
            let scope = if t.worktrees.len() < report.worktrees.len() {
                format!(" in {}", t.worktrees.join(", "))
            } else {
                String::new()
            };
            let line = format!(
                "{}: {} of at most {}{scope} ({verdict})",
                t.name, t.actual, t.limit
            );
            let _ = writeln!(
                out,
                "{}",
                if t.exceeded && options.color {
                    line.red().to_string()
                } else {
                    line
                }
            );
        }
    }

    if options.stats {
        let s = &report.stats;
        if !out.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(out, "files walked      {}", s.files);
        let _ = writeln!(
            out,
            "prefiltered out   {} (no needle in their bytes, never parsed)",
            s.prefiltered
        );
        let _ = writeln!(out, "decided by tokens {}", s.lexed);
        let _ = writeln!(out, "parsed            {}", s.parsed);
        let _ = writeln!(out, "skipped / failed  {} / {}", s.skipped, s.failed);
        let _ = writeln!(out, "bytes read        {}", s.bytes);
        if s.overlapped {
            let _ = writeln!(
                out,
                "walk + analysis   {:.1} ms (each file analyzed as the walk finds it)",
                s.elapsed.as_secs_f64() * 1000.0
            );
        } else {
            let _ = writeln!(
                out,
                "walk time         {:.1} ms",
                s.walk.as_secs_f64() * 1000.0
            );
            let _ = writeln!(
                out,
                "analysis time     {:.1} ms",
                s.elapsed.as_secs_f64() * 1000.0
            );
        }
    }
    out
}

/// The console table per worktree, then the other rules' counts.
fn render_tables(out: &mut String, report: &ScanReport, bold: &dyn Fn(&str) -> String) {
    let methods = report.methods();
    let files: usize = report.worktrees.iter().map(|w| w.files).sum();
    let console_calls = report.count_of(CONSOLE, None);
    let _ = writeln!(
        out,
        "{}",
        bold(&format!(
            "{} console call{} in {} worktree{} ({} source file{})",
            console_calls,
            plural(console_calls),
            report.worktrees.len(),
            plural(report.worktrees.len()),
            files,
            plural(files)
        ))
    );

    for (index, row) in report.worktrees.iter().enumerate() {
        out.push('\n');
        let w = &row.worktree;
        let mut header = w.path.clone();
        let mut tags = Vec::new();
        match (&w.branch, &w.head) {
            (Some(branch), _) => tags.push(branch.clone()),
            (None, Some(head)) if w.kind != WorktreeKind::Plain => {
                tags.push(format!("detached {}", &head[..head.len().min(8)]))
            }
            _ => {}
        }
        match w.kind {
            WorktreeKind::Linked => tags.push("linked".into()),
            WorktreeKind::Nested => tags.push("nested repo".into()),
            WorktreeKind::Main | WorktreeKind::Plain => {}
        }
        if w.locked {
            tags.push("locked".into());
        }
        if w.prunable {
            tags.push("prunable".into());
        }
        if w.missing {
            tags.push("folder missing".into());
        }
        if !tags.is_empty() {
            header = format!("{header} ({})", tags.join(", "));
        }
        let _ = writeln!(out, "{}", bold(&header));
        let worktree_calls = report.count_of(CONSOLE, Some(index));
        if worktree_calls == 0 {
            let _ = writeln!(
                out,
                "  no console calls in {} file{}",
                row.files,
                plural(row.files)
            );
            continue;
        }
        let columns: Vec<&String> = methods
            .iter()
            .filter(|m| {
                report
                    .counts
                    .iter()
                    .any(|c| c.worktree == index && c.rule == CONSOLE && &c.group == *m)
            })
            .collect();
        let width = columns.iter().map(|m| m.len()).max().unwrap_or(0).max(5);
        let _ = write!(out, "  {:<12}", "");
        for m in &columns {
            let _ = write!(out, " {m:>width$}");
        }
        let _ = writeln!(out, " {:>width$}", "total");
        let mut column_totals = vec![0usize; columns.len()];
        for category in Category::ALL {
            let cells: Vec<usize> = columns
                .iter()
                .map(|m| {
                    report
                        .counts
                        .iter()
                        .find(|c| {
                            c.worktree == index
                                && c.category == category
                                && c.rule == CONSOLE
                                && &c.group == *m
                        })
                        .map_or(0, |c| c.count)
                })
                .collect();
            let total: usize = cells.iter().sum();
            if total == 0 {
                continue;
            }
            let _ = write!(out, "  {:<12}", category.name());
            for (i, cell) in cells.iter().enumerate() {
                column_totals[i] += cell;
                let _ = write!(out, " {cell:>width$}");
            }
            let _ = writeln!(out, " {total:>width$}");
        }
        let _ = write!(out, "  {:<12}", "total");
        for total in &column_totals {
            let _ = write!(out, " {total:>width$}");
        }
        let _ = writeln!(out, " {:>width$}", worktree_calls);
    }

    render_other_rules(out, report, bold);
}

/// The findings of every rule but console: one line per rule with its count, per
/// worktree and category (nothing when there are none, so a console-only report reads as
/// it always did).
fn render_other_rules(out: &mut String, report: &ScanReport, bold: &dyn Fn(&str) -> String) {
    let others: Vec<&super::Count> = report.counts.iter().filter(|c| c.rule != CONSOLE).collect();
    if others.is_empty() {
        return;
    }
    let total: usize = others.iter().map(|c| c.count).sum();
    out.push('\n');
    let _ = writeln!(
        out,
        "{}",
        bold(&format!("{total} other finding{}", plural(total)))
    );
    let mut rows: Vec<(usize, &str, &str, usize)> = Vec::new();
    for c in others {
        match rows.iter_mut().find(|(w, cat, rule, _)| {
            *w == c.worktree && *cat == c.category.name() && *rule == c.rule
        }) {
            Some(row) => row.3 += c.count,
            None => rows.push((c.worktree, c.category.name(), c.rule, c.count)),
        }
    }
    let width = rows.iter().map(|r| r.2.len()).max().unwrap_or(0);
    for (worktree, category, rule, count) in rows {
        let _ = writeln!(
            out,
            "  {:<w$}  {count:>5}  {category} in {}",
            rule,
            report.worktrees[worktree].worktree.path,
            w = width
        );
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

//! The progress line of `dash test` on a terminal: files and tests done and failed, read
//! from the runner's own text output as it is written, and the phase dash is in (the
//! run, the reruns, the proof of each repair).
//!
//! Why the text and not the JSON reports: jest's `--json --outputFile` and vitest's json
//! reporter both write their report once, at the end of the run, so only the text moves
//! while the suite runs. Both runners print a line per finished test file in that text
//! even when it goes to a file (jest: `PASS`/`FAIL <file>`, then a `● <describe › title>`
//! block per failing test; vitest 2–4: `✓`/`❯ <file> (N tests | F failed)`), and a final
//! `Tests:` line with the exact counts. jest prints a line per test only in verbose runs (one
//! test file), so on jest the passed tests are known only where it prints them; the line
//! then says how many tests failed without a total. Nothing here decides anything: the
//! report is still built from the JSON.
//!
//! This module is pure (text in, counts and a line out): `cli/test.rs` draws the line.

use super::detect::Kind;
use super::results::strip_ansi;

/// What the runner's text has shown so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub files_done: u64,
    pub files_failed: u64,
    /// Tests that passed, where the runner prints them (vitest; jest's verbose runs).
    pub tests_passed: Option<u64>,
    pub tests_failed: u64,
}

/// Reads a runner's output as it arrives, stream by stream (stdout 0, stderr 1), line by
/// line: a line is read once it ends.
#[derive(Debug, Clone)]
pub struct Scanner {
    kind: Kind,
    partial: [String; 2],
    pub tally: Tally,
    /// jest reprints every failure after "Summary of all failing tests" (more than 20
    /// files): they are not counted twice.
    in_summary: bool,
}

impl Scanner {
    pub fn new(kind: Kind) -> Scanner {
        Scanner {
            kind,
            partial: [String::new(), String::new()],
            tally: Tally::default(),
            in_summary: false,
        }
    }

    /// A new piece of one stream's output (`stream`: 0 stdout, 1 stderr).
    pub fn feed(&mut self, stream: usize, chunk: &str) {
        let stream = stream.min(1);
        let mut buffer = std::mem::take(&mut self.partial[stream]);
        buffer.push_str(chunk);
        let mut rest = buffer.as_str();
        while let Some(end) = rest.find('\n') {
            let line = &rest[..end];
            self.line(line.trim_end_matches('\r'));
            rest = &rest[end + 1..];
        }
        self.partial[stream] = rest.to_owned();
    }

    fn line(&mut self, raw: &str) {
        let line = strip_ansi(raw);
        match self.kind {
            Kind::Jest => jest_line(&line, &mut self.tally, &mut self.in_summary),
            Kind::Vitest => vitest_line(&line, &mut self.tally),
        }
    }
}

fn jest_line(line: &str, tally: &mut Tally, in_summary: &mut bool) {
    let text = line.trim();
    if text.starts_with("Summary of all failing tests") {
        *in_summary = true;
        return;
    }
    // `Tests:       1 failed, 2 skipped, 5 passed, 8 total`: the exact counts, at the end.
    if let Some(counts) = text.strip_prefix("Tests:") {
        let (passed, failed) = passed_and_failed(counts.split(','));
        tally.tests_passed = Some(passed);
        tally.tests_failed = failed;
        return;
    }
    if let Some(files) = text.strip_prefix("Test Suites:") {
        let count = |what: &str| {
            files.split(',').find_map(|part| {
                let mut words = part.split_whitespace();
                let n = words.next()?.parse::<u64>().ok()?;
                (words.next()? == what).then_some(n)
            })
        };
        tally.files_failed = count("failed").unwrap_or(0);
        tally.files_done = count("total")
            .map(|total| total - count("skipped").unwrap_or(0))
            .unwrap_or(tally.files_done);
        return;
    }
    if *in_summary {
        return;
    }
    if let Some(rest) = text
        .strip_prefix("PASS ")
        .or_else(|| text.strip_prefix("FAIL "))
        && !rest.trim().is_empty()
    {
        tally.files_done += 1;
        if text.starts_with("FAIL") {
            tally.files_failed += 1;
        }
        return;
    }
    // A failing test's block: `● describe › title` (not a console block, nor a file that
    // could not load: that is its file's failure).
    if let Some(name) = text.strip_prefix("● ") {
        if !(name.starts_with("Console") || name.starts_with("Test suite failed to run")) {
            tally.tests_failed += 1;
        }
        return;
    }
    // Verbose runs (one test file): a line per test.
    if let Some(first) = text.chars().next()
        && first == '✓'
        && line.starts_with("  ")
    {
        *tally.tests_passed.get_or_insert(0) += 1;
    }
}

fn vitest_line(line: &str, tally: &mut Tally) {
    let text = line.trim();
    // `Tests  1 failed | 5 passed | 2 skipped (8)`: the exact counts, at the end.
    if let Some(counts) = text.strip_prefix("Tests ") {
        let (passed, failed) = vitest_counts(counts);
        tally.tests_passed = Some(passed);
        tally.tests_failed = failed;
        return;
    }
    if let Some(counts) = text.strip_prefix("Test Files ") {
        let (passed, failed) = vitest_counts(counts);
        tally.files_done = passed + failed;
        tally.files_failed = failed;
        return;
    }
    // A finished file, one space in: `✓ a.test.js (3 tests) 4ms`,
    // `❯ b.test.js (2 tests | 1 failed) 7ms`, `↓ c.test.js (1 test | 1 skipped)`. The
    // tests under a failing file are indented further and are counted by its line.
    let indent = line.len() - line.trim_start().len();
    if indent > 1 {
        return;
    }
    let mut chars = text.chars();
    let Some(mark) = chars.next() else { return };
    if !matches!(mark, '✓' | '❯' | '×' | '↓' | '✗') {
        return;
    }
    let Some(open) = text.rfind(" (") else { return };
    let Some(close) = text[open..].find(')') else {
        return;
    };
    let inside = &text[open + 2..open + close];
    let mut total = None;
    let mut failed = 0;
    let mut skipped = 0;
    for part in inside.split('|') {
        let mut words = part.split_whitespace();
        let (Some(n), Some(what)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(n) = n.parse::<u64>() else { continue };
        match what {
            "test" | "tests" => total = Some(n),
            "failed" => failed = n,
            "skipped" | "todo" => skipped += n,
            _ => {}
        }
    }
    let Some(total) = total else { return };
    tally.files_done += 1;
    if failed > 0 || matches!(mark, '❯' | '×' | '✗') {
        tally.files_failed += 1;
    }
    *tally.tests_passed.get_or_insert(0) += total.saturating_sub(failed + skipped);
    tally.tests_failed += failed;
}

/// `1 failed | 5 passed | 2 skipped (8)` → (passed, failed).
fn vitest_counts(text: &str) -> (u64, u64) {
    let text = text.split(" (").next().unwrap_or(text);
    passed_and_failed(text.split('|'))
}

/// (passed, failed) from count parts like `5 passed`, `1 failed`, `2 skipped`.
fn passed_and_failed<'a>(parts: impl Iterator<Item = &'a str>) -> (u64, u64) {
    let mut passed = 0;
    let mut failed = 0;
    for part in parts {
        let mut words = part.split_whitespace();
        let (Some(n), Some(what)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(n) = n.parse::<u64>() else { continue };
        match what {
            "passed" => passed = n,
            "failed" => failed = n,
            _ => {}
        }
    }
    (passed, failed)
}

/// What dash is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// The run of the suite.
    Run,
    /// Rerunning the failing files together (flaky): run `run` of at most `of`.
    Reruns { run: u32, of: u32 },
    /// A failing test run alone (leak): the `run`-th such run.
    Alone { run: u32 },
    /// `--fix`: proving the repairs of file `file` of `of` (its name), candidate
    /// `candidate`, rerun `rerun` of `reruns`.
    Proving {
        file: usize,
        of: usize,
        name: String,
        candidate: u32,
        rerun: u32,
        reruns: u32,
    },
}

/// Everything the line shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// In a workspace: package `n` of `of`, and its folder as displayed.
    pub package: Option<(usize, usize, String)>,
    pub phase: Phase,
    /// The current run's tally.
    pub tally: Tally,
}

/// The progress line (no newline): the package, the phase, then files and tests done and
/// failed in the current run. The drawer cuts it to the terminal's width (a longer line
/// would wrap, and the next `\r` could not rewrite it).
pub fn line(status: &Status) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some((n, of, name)) = &status.package {
        parts.push(format!("{name} ({n}/{of})"));
    }
    parts.push(match &status.phase {
        Phase::Run => "running the suite".to_owned(),
        Phase::Reruns { run, of } => format!("rerunning the failing files {run}/{of}"),
        Phase::Alone { run } => format!("running failing tests alone: run {run}"),
        Phase::Proving {
            file,
            of,
            name,
            candidate,
            rerun,
            reruns,
        } => format!(
            "proving repairs of {name} (file {file}/{of}): candidate {candidate}, rerun {rerun}/{reruns}"
        ),
    });
    let t = &status.tally;
    parts.push(format!(
        "{} file{} done, {} failed",
        t.files_done,
        if t.files_done == 1 { "" } else { "s" },
        t.files_failed
    ));
    parts.push(match t.tests_passed {
        Some(passed) => format!(
            "{} test{} done, {} failed",
            passed + t.tests_failed,
            if passed + t.tests_failed == 1 {
                ""
            } else {
                "s"
            },
            t.tests_failed
        ),
        None => format!(
            "{} test{} failed",
            t.tests_failed,
            if t.tests_failed == 1 { "" } else { "s" }
        ),
    });
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(kind: Kind, text: &str) -> Tally {
        let mut s = Scanner::new(kind);
        s.feed(1, text);
        s.tally
    }

    #[test]
    fn jest_files_and_failures_as_they_arrive() {
        let mut s = Scanner::new(Kind::Jest);
        s.feed(
            1,
            "PASS ./a.test.js\nFAIL ./b.test.js\n  ● math › adds\n\n    expect(",
        );
        assert_eq!(
            s.tally,
            Tally {
                files_done: 2,
                files_failed: 1,
                tests_passed: None,
                tests_failed: 1
            }
        );
        // A line is counted once it ends, whatever the chunks.
        s.feed(1, "received).toBe(3)\n  ● Console\n  ● math › sub");
        assert_eq!(s.tally.tests_failed, 1);
        s.feed(
            1,
            "tracts\nFAIL ./c.test.js\n  ● Test suite failed to run\n",
        );
        assert_eq!(s.tally.tests_failed, 2);
        assert_eq!((s.tally.files_done, s.tally.files_failed), (3, 2));
        // The summary reprints the failures; the last lines hold the exact counts.
        s.feed(
            1,
            "Summary of all failing tests\nFAIL ./b.test.js\n  ● math › adds\n\nTest Suites: 2 failed, 1 passed, 3 total\nTests:       2 failed, 1 skipped, 7 passed, 10 total\n",
        );
        assert_eq!(
            s.tally,
            Tally {
                files_done: 3,
                files_failed: 2,
                tests_passed: Some(7),
                tests_failed: 2
            }
        );
    }

    #[test]
    fn jest_verbose_lines_count_passed_tests() {
        let recorded = include_str!("../../fixtures/testrun/jest29/assertion.txt");
        let t = scan(Kind::Jest, recorded);
        assert_eq!((t.files_done, t.files_failed, t.tests_failed), (1, 1, 1));
        let t = scan(
            Kind::Jest,
            "FAIL ./m.test.js\n  m\n    ✓ one (2 ms)\n    ✕ two (1 ms)\n\n  ● m › two\n",
        );
        assert_eq!(t.tests_passed, Some(1));
        assert_eq!(t.tests_failed, 1);
    }

    #[test]
    fn vitest_file_lines_of_every_version() {
        for runner in ["vitest2", "vitest3", "vitest4"] {
            let recorded = match runner {
                "vitest2" => include_str!("../../fixtures/testrun/vitest2/leak.txt"),
                "vitest3" => include_str!("../../fixtures/testrun/vitest3/leak.txt"),
                _ => include_str!("../../fixtures/testrun/vitest4/leak.txt"),
            };
            // Up to the file's line only: the tests under it are not counted again.
            let file_part = recorded.split("Test Files").next().unwrap();
            let t = scan(Kind::Vitest, file_part);
            assert_eq!(
                t,
                Tally {
                    files_done: 1,
                    files_failed: 1,
                    tests_passed: Some(1),
                    tests_failed: 1
                },
                "{runner}"
            );
            assert_eq!(scan(Kind::Vitest, recorded), t, "{runner}: the summary");
        }
        let t = scan(
            Kind::Vitest,
            " ✓ |web| a.test.ts (3 tests | 1 skipped) 4ms\n ↓ b.test.ts (2 tests | 2 skipped)\n ❯ c.test.ts (0 test)\n",
        );
        assert_eq!(
            t,
            Tally {
                files_done: 3,
                files_failed: 1,
                tests_passed: Some(2),
                tests_failed: 0
            }
        );
    }

    #[test]
    fn the_line() {
        let tally = Tally {
            files_done: 12,
            files_failed: 2,
            tests_passed: Some(338),
            tests_failed: 3,
        };
        let status = Status {
            package: Some((2, 3, "packages/web".into())),
            phase: Phase::Run,
            tally,
        };
        assert_eq!(
            line(&status),
            "packages/web (2/3) · running the suite · 12 files done, 2 failed · 341 tests done, 3 failed"
        );
        let proving = Status {
            package: None,
            phase: Phase::Proving {
                file: 3,
                of: 7,
                name: "slow.test.js".into(),
                candidate: 1,
                rerun: 2,
                reruns: 5,
            },
            tally: Tally {
                files_done: 1,
                files_failed: 0,
                tests_passed: None,
                tests_failed: 1,
            },
        };
        assert_eq!(
            line(&proving),
            "proving repairs of slow.test.js (file 3/7): candidate 1, rerun 2/5 · 1 file done, 0 failed · 1 test failed"
        );
        assert_eq!(
            line(&Status {
                package: None,
                phase: Phase::Reruns { run: 2, of: 5 },
                tally: Tally::default()
            }),
            "rerunning the failing files 2/5 · 0 files done, 0 failed · 0 tests failed"
        );
    }
}

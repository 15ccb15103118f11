//! Draws `dash test`'s progress line (`testrun::progress`) on standard error: one line,
//! rewritten in place (`\r` and a cleared line, cut to the terminal's width), cleared at
//! the end. Only on a terminal, and not for `--format json`, `-q` or CI (`CI` set): a log
//! or a pipe gets nothing of it.

use std::sync::{Arc, Mutex};

use crate::testrun::progress::{Phase, Scanner, Status, Tally, line};
use crate::testrun::{Kind, Watch};

/// The line's state, shared with the watcher the runs write into.
struct State {
    status: Status,
    scanner: Option<Scanner>,
    /// Cleared for good: the agent prints its own lines on standard error.
    stopped: bool,
}

pub(crate) struct Progress {
    bar: Option<indicatif::ProgressBar>,
    state: Arc<Mutex<State>>,
}

/// Whether the progress line is drawn: standard error is a terminal, the output is not
/// JSON, not `-q`, and not in CI.
pub(crate) fn wanted(stderr_is_terminal: bool, json: bool, quiet: bool, ci: bool) -> bool {
    stderr_is_terminal && !json && !quiet && !ci
}

/// Whether this is a CI job: `CI` set to anything but empty, `false` or `0` (GitHub
/// Actions, GitLab, CircleCI and most others set `CI=true`; their logs are not terminals
/// either, but some allocate one).
pub(crate) fn in_ci(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

impl Progress {
    pub(crate) fn new(enabled: bool) -> Progress {
        let bar = enabled.then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::stderr_with_hz(10),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template("{wide_msg}") {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            state: Arc::new(Mutex::new(State {
                status: Status {
                    package: None,
                    phase: Phase::Run,
                    tally: Tally::default(),
                },
                scanner: None,
                stopped: false,
            })),
        }
    }

    /// In a workspace: package `n` of `of` starts.
    pub(crate) fn package(&self, n: usize, of: usize, name: &str) {
        self.update(|s| s.status.package = Some((n, of, name.to_owned())));
    }

    /// A new run starts, in `phase`: its tally starts from nothing.
    pub(crate) fn run(&self, phase: Phase, kind: Kind) {
        self.update(|s| {
            s.status.phase = phase;
            s.status.tally = Tally::default();
            s.scanner = Some(Scanner::new(kind));
        });
    }

    /// What a run is told of its output: `None` when nothing is drawn.
    pub(crate) fn watch(&self) -> Option<Watch> {
        self.bar.as_ref()?;
        let state = Arc::clone(&self.state);
        let bar = self.bar.clone();
        Some(Watch(Arc::new(move |stream: usize, text: &str| {
            let Ok(mut s) = state.lock() else { return };
            if s.stopped {
                return;
            }
            let Some(scanner) = s.scanner.as_mut() else {
                return;
            };
            scanner.feed(stream, text);
            let tally = scanner.tally;
            if tally != s.status.tally {
                s.status.tally = tally;
                if let Some(bar) = &bar {
                    bar.set_message(line(&s.status));
                }
            }
        })))
    }

    /// The line is removed for good (before the report, or before the agent prints its
    /// own lines: they would be drawn over).
    pub(crate) fn clear(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.stopped = true;
        }
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn update(&self, change: impl FnOnce(&mut State)) {
        let Some(bar) = &self.bar else { return };
        if let Ok(mut s) = self.state.lock() {
            if s.stopped {
                return;
            }
            change(&mut s);
            bar.set_message(line(&s.status));
        }
    }
}

impl Drop for Progress {
    /// An error ends the command early: the line is not left behind.
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawn_only_on_a_terminal_outside_json_quiet_and_ci() {
        assert!(wanted(true, false, false, false));
        assert!(!wanted(false, false, false, false));
        assert!(!wanted(true, true, false, false));
        assert!(!wanted(true, false, true, false));
        assert!(!wanted(true, false, false, true));
        assert!(in_ci(Some("true")) && in_ci(Some("1")));
        assert!(!in_ci(None) && !in_ci(Some("")) && !in_ci(Some("false")) && !in_ci(Some("0")));
    }

    #[test]
    fn a_hidden_line_watches_nothing() {
        let p = Progress::new(false);
        assert!(p.watch().is_none());
        p.run(Phase::Run, Kind::Jest);
        p.clear();
    }
}

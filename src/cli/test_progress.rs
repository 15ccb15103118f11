//! Draws `dash test`'s progress line (`testrun::progress`) on standard error, through the
//! shared [`Line`](super::progress_line::Line) (a terminal only, never in JSON, `-q` or CI).

use std::sync::{Arc, Mutex};

use super::progress_line::Line;
pub(crate) use super::progress_line::{in_ci, wanted};
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
    line: Line,
    state: Arc<Mutex<State>>,
}

impl Progress {
    pub(crate) fn new(enabled: bool) -> Progress {
        Progress {
            line: Line::new(enabled),
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
        if !self.line.drawn() {
            return None;
        }
        let state = Arc::clone(&self.state);
        let drawn = self.line.clone();
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
                drawn.set(line(&s.status));
            }
        })))
    }

    /// The line is removed for good (before the report, or before the agent prints its
    /// own lines: they would be drawn over).
    pub(crate) fn clear(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.stopped = true;
        }
        self.line.clear();
    }

    fn update(&self, change: impl FnOnce(&mut State)) {
        if !self.line.drawn() {
            return;
        }
        if let Ok(mut s) = self.state.lock() {
            if s.stopped {
                return;
            }
            change(&mut s);
            self.line.set(line(&s.status));
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
    fn a_hidden_line_watches_nothing() {
        let p = Progress::new(false);
        assert!(p.watch().is_none());
        p.run(Phase::Run, Kind::Jest);
        p.clear();
    }
}

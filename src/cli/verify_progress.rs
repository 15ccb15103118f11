//! Draws `dash fix --verify`'s progress line (`promote::progress`) on standard error
//! through the shared [`Line`]: the package, the stage, the check running and the time
//! against the run's limit. The time moves while a check runs (a tsc or a test suite can
//! take minutes), so a ticker thread redraws it every half second until cleared.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::progress_line::Line;
use crate::promote::progress::{Status, line};

struct State {
    status: Option<Status>,
    stopped: bool,
}

pub(crate) struct VerifyProgress {
    line: Line,
    state: Arc<Mutex<State>>,
    started: Instant,
    limit: Duration,
}

impl VerifyProgress {
    pub(crate) fn new(enabled: bool, limit: Duration) -> VerifyProgress {
        let progress = VerifyProgress {
            line: Line::new(enabled),
            state: Arc::new(Mutex::new(State {
                status: None,
                stopped: false,
            })),
            started: Instant::now(),
            limit,
        };
        if progress.line.drawn() {
            let state = Arc::clone(&progress.state);
            let drawn = progress.line.clone();
            let (started, limit) = (progress.started, limit);
            let _ = std::thread::Builder::new()
                .name("dash-verify-progress".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(Duration::from_millis(500));
                        let Ok(s) = state.lock() else { return };
                        if s.stopped {
                            return;
                        }
                        if let Some(status) = &s.status {
                            drawn.set(line(status, started.elapsed(), limit));
                        }
                    }
                });
        }
        progress
    }

    /// A check starts.
    pub(crate) fn step(&self, status: &Status) {
        if !self.line.drawn() {
            return;
        }
        if let Ok(mut s) = self.state.lock() {
            if s.stopped {
                return;
            }
            self.line
                .set(line(status, self.started.elapsed(), self.limit));
            s.status = Some(status.clone());
        }
    }

    /// The line is removed for good (before the report).
    pub(crate) fn clear(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.stopped = true;
        }
        self.line.clear();
    }
}

impl Drop for VerifyProgress {
    /// A refusal ends the run early: the line is not left behind.
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promote::progress::Stage;

    #[test]
    fn a_hidden_line_takes_steps_and_draws_nothing() {
        let p = VerifyProgress::new(false, Duration::from_secs(60));
        p.step(&Status {
            package: ".".into(),
            n: 1,
            of: 1,
            stage: Stage::Baseline,
            check: "x".into(),
        });
        assert!(p.state.lock().unwrap().status.is_none());
        p.clear();
        assert!(p.state.lock().unwrap().stopped);
    }
}

//! Where `dash fix --verify` is, for the progress line on a terminal: the package, the
//! stage (its baseline, the change, the bisection), the check running, and the time spent
//! against the run's limit. A verify run took 3 to 10 minutes on real projects with no
//! sign of life; this says what it is waiting for.
//!
//! Pure (a status in, a line out): `cli/verify_progress.rs` draws it, and the promote
//! driver reports each step through a [`Watch`].

use std::time::Duration;

/// What the driver is doing in one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// The checks on the untouched copy.
    Baseline,
    /// The checks with every change of the package applied.
    Change,
    /// Bisecting a change that made a check worse: `trying` of the package's `of` changed
    /// files applied, at depth `round` (1: halves of the whole set).
    Bisect {
        trying: usize,
        of: usize,
        round: u32,
    },
    /// The files the bisection kept, checked whole once more.
    Confirm { files: usize },
}

/// Everything the line shows but the time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The package as the report names it, and its place among the run's (`n` of `of`).
    pub package: String,
    pub n: usize,
    pub of: usize,
    pub stage: Stage,
    /// The check running (its report name).
    pub check: String,
}

/// Told each step of the run (a check starting); the driver never waits on it.
pub type Watch<'a> = &'a dyn Fn(&Status);

/// The line (no newline): `verify packages/api (1/3) · 1m 05s of 30m · checks of the
/// change · tests (`npm test`, exit status)`. The drawer cuts it to the terminal's width,
/// so the time comes before the check's name (a shell line can be long).
pub fn line(status: &Status, elapsed: Duration, limit: Duration) -> String {
    let mut package = "verify".to_owned();
    if status.package != "." {
        package.push(' ');
        package.push_str(&status.package);
    }
    if status.of > 1 {
        package.push_str(&format!(" ({}/{})", status.n, status.of));
    }
    let stage = match &status.stage {
        Stage::Baseline => "baseline checks (untouched copy)".to_owned(),
        Stage::Change => "checks of the change".to_owned(),
        Stage::Bisect { trying, of, round } => format!(
            "bisecting: {trying} of {of} file{}, round {round}",
            if *of == 1 { "" } else { "s" }
        ),
        Stage::Confirm { files } => format!(
            "rechecking the {files} file{} kept",
            if *files == 1 { "" } else { "s" }
        ),
    };
    format!(
        "{package} · {} of {} · {stage} · {}",
        running(elapsed),
        clock(limit),
        status.check,
    )
}

/// The time spent, steady in width as it runs: `45s`, `1m 00s`, `1m 05s`, `1h 02m`.
fn running(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, (s / 60) % 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s:02}s"),
        (h, m, _) => format!("{h}h {m:02}m"),
    }
}

/// A limit as the line and the report show it: `45s`, `1m 05s`, `30m`, `1h 02m`.
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, (s / 60) % 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m {s:02}s"),
        (h, m, _) => format!("{h}h {m:02}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(stage: Stage, of: usize) -> Status {
        Status {
            package: "packages/api".into(),
            n: 2,
            of,
            stage,
            check: "type-check (`tsc --noEmit -p tsconfig.json`)".into(),
        }
    }

    #[test]
    fn each_stage_of_the_line() {
        let limit = Duration::from_secs(1800);
        assert_eq!(
            line(&status(Stage::Baseline, 3), Duration::from_secs(65), limit),
            "verify packages/api (2/3) · 1m 05s of 30m · baseline checks (untouched copy) · type-check (`tsc --noEmit -p tsconfig.json`)"
        );
        assert_eq!(
            line(&status(Stage::Change, 1), Duration::from_secs(7), limit),
            "verify packages/api · 7s of 30m · checks of the change · type-check (`tsc --noEmit -p tsconfig.json`)"
        );
        let top = Status {
            package: ".".into(),
            ..status(Stage::Change, 1)
        };
        assert!(line(&top, Duration::ZERO, limit).starts_with("verify · 0s of 30m · "));
        let bisect = Stage::Bisect {
            trying: 3,
            of: 7,
            round: 2,
        };
        assert!(
            line(&status(bisect, 1), Duration::ZERO, limit)
                .contains(" · bisecting: 3 of 7 files, round 2 · ")
        );
        assert!(
            line(
                &status(Stage::Confirm { files: 1 }, 1),
                Duration::ZERO,
                limit
            )
            .contains(" · rechecking the 1 file kept · ")
        );
    }

    #[test]
    fn the_clock() {
        assert_eq!(clock(Duration::from_millis(999)), "0s");
        assert_eq!(clock(Duration::from_secs(59)), "59s");
        assert_eq!(clock(Duration::from_secs(60)), "1m");
        assert_eq!(clock(Duration::from_secs(61)), "1m 01s");
        assert_eq!(clock(Duration::from_secs(3600)), "1h 00m");
        assert_eq!(clock(Duration::from_secs(3725)), "1h 02m");
        assert_eq!(running(Duration::from_secs(60)), "1m 00s");
        assert_eq!(running(Duration::from_secs(125)), "2m 05s");
        assert_eq!(running(Duration::from_secs(7)), "7s");
    }
}

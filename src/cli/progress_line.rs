//! The progress line that long commands draw on standard error (`dash test`, `dash fix
//! --verify`): one line, rewritten in place (`\r` and a cleared line, cut to the
//! terminal's width), cleared at the end. Only on a terminal, and not for `--format json`,
//! `-q` or CI (`CI` set): a log or a pipe gets nothing of it. What the line says is each
//! command's own (`testrun::progress`, `promote::progress`).

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

/// The drawn line, or nothing when it is not wanted. Clones draw the same line.
#[derive(Clone)]
pub(crate) struct Line {
    bar: Option<indicatif::ProgressBar>,
}

impl Line {
    pub(crate) fn new(enabled: bool) -> Line {
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
        Line { bar }
    }

    /// Whether anything is drawn.
    pub(crate) fn drawn(&self) -> bool {
        self.bar.is_some()
    }

    pub(crate) fn set(&self, text: String) {
        if let Some(bar) = &self.bar {
            bar.set_message(text);
        }
    }

    /// Removes the line (before a report is printed).
    pub(crate) fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
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
        assert!(!Line::new(false).drawn());
    }
}

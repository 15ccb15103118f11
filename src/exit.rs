//! The exit codes every command shares (DESIGN.md §1), and the trait that lets each
//! error type say its own: the command line maps an error to its code through
//! [`HasExit`], never by a blanket rule.

/// The exit codes shared by every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Clean, or done.
    Clean = 0,
    /// Findings or policy violations (thresholds exceeded, `--check` would change files).
    Findings = 1,
    /// Usage or configuration error.
    Usage = 2,
    /// Some inputs could not be processed; the rest were.
    Partial = 3,
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit as u8)
    }
}

/// An error that knows which exit code it ends a run with.
pub trait HasExit {
    fn exit(&self) -> Exit;
}

impl HasExit for crate::config::ConfigError {
    fn exit(&self) -> Exit {
        Exit::Usage
    }
}

impl HasExit for crate::engine::SelectError {
    fn exit(&self) -> Exit {
        Exit::Usage
    }
}

impl HasExit for crate::workspace::WorkspaceError {
    fn exit(&self) -> Exit {
        Exit::Usage
    }
}

impl HasExit for crate::edit::WriteError {
    fn exit(&self) -> Exit {
        Exit::Partial
    }
}

/// The exit code of an error that reached the command line: its own when its type says
/// one, else a usage error (clap and argument errors).
pub fn of(report: &miette::Report) -> Exit {
    fn try_as<E: HasExit + std::fmt::Display + std::fmt::Debug + Send + Sync + 'static>(
        report: &miette::Report,
    ) -> Option<Exit> {
        report.downcast_ref::<E>().map(HasExit::exit)
    }
    try_as::<crate::config::ConfigError>(report)
        .or_else(|| try_as::<crate::engine::SelectError>(report))
        .or_else(|| try_as::<crate::workspace::WorkspaceError>(report))
        .or_else(|| try_as::<crate::edit::WriteError>(report))
        .or_else(|| try_as::<crate::cli::FixError>(report))
        .or_else(|| try_as::<crate::journal::JournalError>(report))
        .or_else(|| try_as::<crate::journal::UndoError>(report))
        .or_else(|| try_as::<crate::cli::UndoCliError>(report))
        .or_else(|| try_as::<crate::testrun::TestRunError>(report))
        .or_else(|| try_as::<crate::hook::HookError>(report))
        .or_else(|| try_as::<crate::agent::AgentError>(report))
        .or_else(|| try_as::<crate::cli::TestCliError>(report))
        .or_else(|| try_as::<crate::promote::VerifyError>(report))
        .unwrap_or(Exit::Usage)
}

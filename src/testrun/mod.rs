//! Running a project's own test suite: which runner it uses ([`detect`]), how to invoke
//! it with a machine-readable reporter ([`run`]), and what its reports say ([`results`],
//! [`coverage`]).
//!
//! This is the part of `dash test` that `dash verify` needs: counts of passed and failed
//! tests and line coverage per file. It never guesses a result: a runner that cannot be
//! found, cannot start, or writes no report is an error with the reason, so a gate built
//! on it fails instead of passing on nothing.

pub mod canary;
pub mod classify;
pub mod coverage;
pub mod detect;
pub mod mock_repair;
pub mod progress;
pub mod prove;
pub mod repair;
pub mod report;
pub mod rerun;
pub mod results;
pub mod run;
pub mod workspaces;

use std::path::PathBuf;

use miette::Diagnostic;
use thiserror::Error;

pub use detect::{Kind, Runner, ScriptFlags, detect, detect_as, script_flags};
pub use run::{Ended, Outcome, RunOptions, Selection, Watch, run, run_selected, run_with};

#[derive(Debug, Error, Diagnostic)]
pub enum TestRunError {
    #[error("no test runner found: neither jest nor vitest is in {} or installed in node_modules", package_json.display())]
    #[diagnostic(
        code(dash::test::no_runner),
        help("dash runs jest and vitest suites; install one (npm i -D jest) or pass --no-tests")
    )]
    NoRunner { package_json: PathBuf },
    #[error("{runner} is used by the project but not installed (no node_modules/{runner}/package.json above {})", root.display())]
    #[diagnostic(
        code(dash::test::not_installed),
        help("install the project's dependencies first (npm ci, pnpm install, yarn install)")
    )]
    NotInstalled { runner: &'static str, root: PathBuf },
    #[error("cannot read {}: {reason}", path.display())]
    #[diagnostic(
        code(dash::test::package),
        help("reinstall the project's dependencies (npm ci)")
    )]
    BadPackage { path: PathBuf, reason: String },
    #[error("cannot start `{command}`: {reason}")]
    #[diagnostic(
        code(dash::test::start),
        help("the runner is started with `node`; check that Node.js is installed and on PATH")
    )]
    CannotStart { command: String, reason: String },
    #[error("`{command}` wrote no {what} (exit status {status}){tail}")]
    #[diagnostic(
        code(dash::test::no_report),
        help("run the command yourself to see why the runner stopped")
    )]
    NoReport {
        command: String,
        what: &'static str,
        status: String,
        tail: String,
    },
    #[error("cannot parse the {what} written by `{command}`: {reason}")]
    #[diagnostic(
        code(dash::test::bad_report),
        help(
            "dash reads jest's and vitest's JSON reporters; report the runner's version if this persists"
        )
    )]
    BadReport {
        command: String,
        what: &'static str,
        reason: String,
    },
    #[error(
        "vitest needs a coverage provider to measure coverage: neither @vitest/coverage-v8 nor @vitest/coverage-istanbul is installed"
    )]
    #[diagnostic(
        code(dash::test::coverage_provider),
        help("install it next to vitest: npm i -D @vitest/coverage-v8@{version}")
    )]
    NoCoverageProvider { version: String },
    #[error("cannot create a scratch folder for the runner's reports: {0}")]
    #[diagnostic(
        code(dash::test::scratch),
        help("check that the temporary folder ($TMPDIR) is writable")
    )]
    Scratch(#[source] std::io::Error),
}

impl TestRunError {
    /// The diagnostic's code, for machine-read reports (`dash::test::no_report`).
    pub fn code_name(&self) -> &'static str {
        match self {
            TestRunError::NoRunner { .. } => "dash::test::no_runner",
            TestRunError::NotInstalled { .. } => "dash::test::not_installed",
            TestRunError::BadPackage { .. } => "dash::test::package",
            TestRunError::CannotStart { .. } => "dash::test::start",
            TestRunError::NoReport { .. } => "dash::test::no_report",
            TestRunError::BadReport { .. } => "dash::test::bad_report",
            TestRunError::NoCoverageProvider { .. } => "dash::test::coverage_provider",
            TestRunError::Scratch(_) => "dash::test::scratch",
        }
    }
}

impl crate::exit::HasExit for TestRunError {
    /// A suite that cannot be run is a failed gate, never a pass.
    fn exit(&self) -> crate::exit::Exit {
        crate::exit::Exit::Findings
    }
}

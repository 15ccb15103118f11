//! `dash scan`: the findings of every enabled rule across worktrees.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use super::{Exit, GlobalArgs};
use crate::engine::{self, Engine};
use crate::report::{self, Limits, ScanReport};
use crate::rules::{Mode, RunCx};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Github,
    Sarif,
}

#[derive(Debug, clap::Args)]
#[command(after_help = concat!(
    "Examples:\n  dash scan\n  dash scan src --list\n  dash scan --format sarif > dash.sarif\n  \
dash scan --max-production 0 --format github\n\n",
    "Exit codes:\n  0  done (findings alone do not fail a scan)\n  1  a --max-* limit exceeded\n  \
2  usage or configuration error\n  3  some files could not be read (the rest were scanned)"
))]
pub struct ScanArgs {
    /// Files or folders to scan; the top of a git worktree brings in all its worktrees.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Run only these rules (ids from `dash rules`; default: every enabled rule).
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub rules: Option<Vec<String>>,
    /// Print one line per finding instead of the tables: `path:line:col method category`.
    #[arg(long)]
    pub list: bool,
    /// Print files walked, prefiltered out, parsed, bytes and time.
    #[arg(long)]
    pub stats: bool,
    /// Exit 1 when there are more console calls than this in total (default: [verify] max-console).
    /// Counts the worktrees of the paths given, not the other worktrees the report shows.
    #[arg(long, value_name = "N")]
    pub max_console: Option<u64>,
    /// Exit 1 when there are more console calls than this in production code (default: [verify] max-production).
    /// Counts the worktrees of the paths given, not the other worktrees the report shows.
    #[arg(long, value_name = "N")]
    pub max_production: Option<u64>,
    /// Scan only the given paths, not the repository's other worktrees.
    #[arg(long)]
    pub no_worktrees: bool,
    /// Parse every candidate file with tree-sitter instead of deciding plain cases from
    /// tokens (slower; the answer is the same, this is for cross-checking).
    #[arg(long)]
    pub exact: bool,
    #[command(flatten)]
    pub verbose: super::VerboseArg,
    #[command(flatten)]
    pub walk: super::WalkArgs,
    #[command(flatten)]
    pub project: super::ProjectArgs,
}

pub fn run(args: &ScanArgs, global: &GlobalArgs) -> miette::Result<Exit> {
    let config = super::load_config(&args.paths, global)?;
    let options = super::walk_options(&args.walk, !args.no_worktrees, global);
    let selected = engine::select(&config, args.rules.as_deref())?;
    let root = super::project_root(&config, &args.paths);
    let engine = Engine::prepare(
        &selected,
        &RunCx {
            config: &config,
            mode: Mode::Scan,
            root: &root,
            exact: args.exact,
            console_spies: None,
        },
    )?;
    let (workspace, analysis) = super::with_threads(global.threads, || {
        engine::scan::analyze_walking(&args.paths, &config, &options, &engine, args.exact)
            .map_err(miette::Report::new)
    })?;
    let rules = selected.iter().map(|r| r.meta().id).collect();
    let limits = Limits {
        max_console: args.max_console.or(config.verify.max_console),
        max_production: args.max_production.or(config.verify.max_production),
        all_worktrees: false,
    };
    let report = ScanReport::new(&workspace, rules, analysis, limits);

    let rendered = match args.format {
        Format::Text => report::text::render(
            &report,
            report::text::TextOptions {
                list: args.list,
                stats: args.stats,
                color: super::color_enabled(global.color, std::io::stdout().is_terminal()),
            },
        ),
        Format::Json => report::json::render(&report, args.stats),
        Format::Github => report::github::render(&report),
        Format::Sarif => report::sarif::render(&report),
    };
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`dash scan | head`) is not an error worth a message.
    let _ = stdout
        .write_all(rendered.as_bytes())
        .and_then(|()| stdout.flush());

    if !global.quiet && args.format == Format::Text {
        for note in &report.notes {
            eprintln!("note: {note}");
        }
        if global.verbose {
            for path in &report.syntax_error_files {
                eprintln!("note: {path}: has syntax errors; findings in it may be incomplete");
            }
            for parsed in &report.parsed_files {
                eprintln!("note: parsed {parsed}");
            }
        }
    }
    for error in &report.errors {
        eprintln!("{:?}", miette::Report::new(error.clone()));
    }
    Ok(if !report.errors.is_empty() {
        Exit::Partial
    } else if report.thresholds_exceeded() {
        Exit::Findings
    } else {
        Exit::Clean
    })
}

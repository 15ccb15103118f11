//! Command-line entry: argument parsing, dispatch to one module per command, and the
//! translation of outcomes into the exit codes every command shares.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod hook;
mod llm;
mod models;
mod rules;

pub use crate::exit::Exit;
pub use fix::FixError;

/// Flags every command understands.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// When to colour output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Worker threads (0 = one per core).
    #[arg(short = 'j', long, global = true, default_value_t = 0)]
    pub threads: usize,
    /// Use this dash.toml instead of discovering one by walking up.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Print less (no notes, no summary).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more (skipped files and why).
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

/// How the files of a command are found; shared by every command that walks a tree.
#[derive(Debug, Clone, clap::Args)]
pub struct WalkArgs {
    /// Include hidden files and folders.
    #[arg(long)]
    pub hidden: bool,
    /// Do not honour .gitignore, .ignore and git's exclude files.
    #[arg(long)]
    pub no_ignore: bool,
    /// Follow symbolic links (loops are detected and reported).
    #[arg(short = 'L', long)]
    pub follow: bool,
}

/// Loads the configuration (discovered from the first path unless `--config`) and
/// finds the workspace the paths name.
pub fn load_workspace(
    paths: &[std::path::PathBuf],
    walk: &WalkArgs,
    worktrees: bool,
    global: &GlobalArgs,
) -> miette::Result<(crate::config::Config, crate::workspace::Workspace)> {
    let start = paths
        .first()
        .cloned()
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    let config = crate::config::Config::load(global.config.as_deref(), &start)?;
    let options = crate::workspace::WalkOptions {
        hidden: walk.hidden,
        no_ignore: walk.no_ignore,
        follow_links: walk.follow,
        worktrees,
        threads: global.threads,
    };
    let workspace = crate::workspace::Workspace::discover(paths, &config, &options)?;
    Ok((config, workspace))
}

/// The project a run is about (where dash.toml is, else the nearest package.json above
/// the first path): rules read its package.json, tsconfig and logger from there.
pub fn project_root(
    config: &crate::config::Config,
    paths: &[std::path::PathBuf],
) -> std::path::PathBuf {
    let start = paths
        .first()
        .cloned()
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    crate::rules::console::logger::project_root(config, &start)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Parser)]
#[command(
    name = "dash",
    version,
    about = "Take a TypeScript/JavaScript codebase to production readiness"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Rewrite console.* into the project's logger (a preview unless --write).
    Fix(fix::FixArgs),
    /// Findings of every enabled rule (console calls, test hazards) per worktree and category.
    Scan(scan::ScanArgs),
    /// The pre-commit hook: check (and fix) exactly what is staged; install it.
    Hook(hook::HookArgs),
    /// List every rule, or explain one (`dash rules ID`).
    Rules(rules::RulesArgs),
    /// Stream one reply from a model (any provider, any of the four wire formats).
    Llm(llm::LlmArgs),
    /// List the model registry.
    Models(models::ModelsArgs),
}

mod fix;
mod scan;

/// Parses the process arguments, runs the command and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                Exit::Usage.into()
            } else {
                Exit::Clean.into()
            };
        }
    };
    install_error_hook(cli.global.color);
    let result: miette::Result<Exit> = match cli.command {
        Command::Fix(args) => fix::run(&args, &cli.global),
        Command::Scan(args) => scan::run(&args, &cli.global),
        Command::Rules(args) => rules::run(&args, &cli.global),
        Command::Hook(args) => hook::run(&args, &cli.global),
        Command::Llm(args) => llm::run(&cli.global, args),
        Command::Models(args) => models::run(&cli.global, args),
    };
    match result {
        Ok(exit) => exit.into(),
        Err(report) => {
            eprintln!("{report:?}");
            crate::exit::of(&report).into()
        }
    }
}

/// Whether to colour a stream, following `--color`, `NO_COLOR` and whether it is a terminal.
pub fn color_enabled(choice: ColorChoice, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

fn install_error_hook(choice: ColorChoice) {
    use std::io::IsTerminal;
    let color = color_enabled(choice, std::io::stderr().is_terminal());
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .color(color)
                .unicode(color)
                .build(),
        )
    }));
}

/// Runs `work` on a rayon pool of `threads` workers (0: one per core).
pub fn with_threads<T: Send>(threads: usize, work: impl FnOnce() -> T + Send) -> T {
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    }
}

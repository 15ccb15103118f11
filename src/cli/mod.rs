//! Command-line entry: argument parsing, dispatch to one module per command, and the
//! translation of outcomes into the exit codes every command shares.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod agent;
mod hook;
mod llm;
mod models;
mod rules;
mod undo;

pub use crate::exit::Exit;
pub use fix::FixError;
pub use test::TestCliError;
pub use undo::UndoCliError;

/// What a command is run with: the flags every command understands (`--color`, `-q`),
/// and the ones only some do, filled in from those commands' own flags
/// ([`ProjectArgs`], [`VerboseArg`]) so that help lists no flag a command ignores.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// When to colour output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only the command's output and errors: no notes, hints or summaries.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Worker threads (0 = one per core); from [`ProjectArgs`].
    #[arg(skip)]
    pub threads: usize,
    /// From [`ProjectArgs`].
    #[arg(skip)]
    pub config: Option<std::path::PathBuf>,
    /// From [`VerboseArg`].
    #[arg(skip)]
    pub verbose: bool,
}

impl GlobalArgs {
    /// With a command's configuration and thread flags.
    fn with_project(&self, project: &ProjectArgs) -> GlobalArgs {
        GlobalArgs {
            threads: project.threads,
            config: project.config.clone(),
            ..self.clone()
        }
    }

    fn with_verbose(&self, verbose: &VerboseArg) -> GlobalArgs {
        GlobalArgs {
            verbose: verbose.verbose,
            ..self.clone()
        }
    }
}

/// Flags of the commands that read dash.toml and walk a project.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Project options")]
pub struct ProjectArgs {
    /// Use this dash.toml instead of discovering one by walking up.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Worker threads (0 = one per core).
    #[arg(short = 'j', long, default_value_t = 0)]
    pub threads: usize,
}

/// `-v`, for the commands that have more to say.
#[derive(Debug, Clone, clap::Args)]
pub struct VerboseArg {
    /// Print more (scan: files parsed and why, files with syntax errors; llm: thinking, usage).
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
}

/// How the files of a command are found; shared by every command that walks a tree.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Walk options")]
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
    let config = load_config(paths, global)?;
    let options = walk_options(walk, worktrees, global);
    // The walk's own threads and the files' categorization honour `-j` as the analysis does.
    let workspace = with_threads(global.threads, || {
        crate::workspace::Workspace::discover(paths, &config, &options).map_err(miette::Report::new)
    })?;
    Ok((config, workspace))
}

/// The configuration for `paths`: `--config`, else discovered from the first path.
pub fn load_config(
    paths: &[std::path::PathBuf],
    global: &GlobalArgs,
) -> miette::Result<crate::config::Config> {
    let start = paths
        .first()
        .cloned()
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    Ok(crate::config::Config::load(
        global.config.as_deref(),
        &start,
    )?)
}

/// How the walk goes, from the command line.
pub fn walk_options(
    walk: &WalkArgs,
    worktrees: bool,
    global: &GlobalArgs,
) -> crate::workspace::WalkOptions {
    crate::workspace::WalkOptions {
        hidden: walk.hidden,
        no_ignore: walk.no_ignore,
        follow_links: walk.follow,
        worktrees,
        threads: global.threads,
    }
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
    about = "Take a TypeScript/JavaScript codebase to production readiness",
    after_help = "Examples:\n  dash scan                 what there is: console calls and test hazards\n  \
dash fix                  preview the fixes; --write applies them\n  \
dash verify               the readiness checklist, for CI\n  \
dash rules focused-test   what a rule does and why\n\n\
Exit codes (every command):\n  0  clean, or done\n  1  findings, a limit exceeded, a check failed\n  \
2  usage or configuration error\n  3  some inputs could not be processed (the rest were)\n\n\
`dash help COMMAND` shows a command's options, examples and exit codes."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply the fixes of every enabled rule: console calls to the logger, test hazards (a preview unless --write).
    Fix(fix::FixArgs),
    /// Findings of every enabled rule (console calls, test hazards) per worktree and category.
    Scan(scan::ScanArgs),
    /// The pre-commit hook: check (and fix) exactly what is staged; install it.
    Hook(hook::HookArgs),
    /// List every rule, or explain one (`dash rules ID`).
    Rules(rules::RulesArgs),
    /// Run the agent on this repository: edits as reviewed proposals (a diff unless --approval allows writes).
    Agent(agent::AgentArgs),
    /// Stream one reply from a model (any provider, any of the four wire formats).
    Llm(llm::LlmArgs),
    /// List the model registry.
    Models(models::ModelsArgs),
    /// Restore the files of the last --write, unless changed since (--list: recorded writes).
    Undo(undo::UndoArgs),
    /// The readiness checklist as one CI gate: console calls, test hazards, failing tests, coverage.
    Verify(verify::VerifyArgs),
    /// Run the jest/vitest suite and classify every failure (environment, timeout, un-awaited, mock misuse...).
    Test(test::TestArgs),
}

mod fix;
mod fix_agent;
mod progress_line;
mod scan;
mod test;
mod test_agent;
mod test_progress;
mod verify;
mod verify_progress;

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
    // `dash -q scan -v`: clap checks the conflict only when both are given after the
    // command, since -q is global and -v is the command's.
    let verbose = match &cli.command {
        Command::Scan(args) => args.verbose.verbose,
        Command::Llm(args) => args.verbose.verbose,
        _ => false,
    };
    if verbose && cli.global.quiet {
        let _ = <Cli as clap::CommandFactory>::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "the argument '--quiet' cannot be used with '--verbose'",
            )
            .print();
        return Exit::Usage.into();
    }
    install_error_hook(cli.global.color);
    let result: miette::Result<Exit> = match cli.command {
        Command::Fix(args) => fix::run(&args, &cli.global.with_project(&args.project)),
        Command::Scan(args) => scan::run(
            &args,
            &cli.global
                .with_project(&args.project)
                .with_verbose(&args.verbose),
        ),
        Command::Rules(args) => rules::run(&args, &cli.global),
        Command::Hook(args) => {
            let global = match &args.command {
                hook::HookCommand::Run(run) => cli.global.with_project(&run.project),
                hook::HookCommand::Install(_) => cli.global.clone(),
            };
            hook::run(&args, &global)
        }
        Command::Llm(args) => {
            let global = cli.global.with_verbose(&args.verbose);
            llm::run(&global, args)
        }
        Command::Agent(args) => agent::run(&cli.global, args),
        Command::Models(args) => models::run(&cli.global, args),
        Command::Undo(args) => undo::run(&args, &cli.global),
        Command::Verify(args) => verify::run(&args, &cli.global.with_project(&args.project)),
        Command::Test(args) => test::run(&args, &cli.global.with_project(&args.project)),
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

//! `dash hook run [--fix]`, what the pre-commit hook calls, and `dash hook install`.

use std::path::{Path, PathBuf};

use super::{Exit, GlobalArgs};
use crate::config::Config;
use crate::engine::{self, Engine};
use crate::hook::{self, Repo, install};
use crate::rules::{Mode, RunCx};
use crate::workspace::display_path;

#[derive(Debug, clap::Args)]
pub struct HookArgs {
    #[command(subcommand)]
    pub command: HookCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum HookCommand {
    /// Check exactly what is staged (exit 1 blocks the commit); --fix writes the safe
    /// fixes into the index and the working tree.
    Run(RunArgs),
    /// Write .git/hooks/pre-commit (core.hooksPath respected) and print the lines for
    /// husky, lefthook and pre-commit.
    Install(InstallArgs),
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub project: super::ProjectArgs,
    /// Apply the safe fixes to the staged content (index and working tree; never losing
    /// an unstaged change: when a fix overlaps one, nothing is written and the commit
    /// stops).
    #[arg(long)]
    pub fix: bool,
}

#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// Replace an existing pre-commit hook that is not dash's.
    #[arg(long, conflicts_with = "chain")]
    pub force: bool,
    /// Keep an existing pre-commit hook (renamed pre-commit.before-dash) and run it first.
    #[arg(long)]
    pub chain: bool,
    /// The hook applies the safe fixes (`dash hook run --fix`).
    #[arg(long)]
    pub fix: bool,
}

pub fn run(args: &HookArgs, global: &GlobalArgs) -> miette::Result<Exit> {
    match &args.command {
        HookCommand::Run(run) => run_hook(run, global),
        HookCommand::Install(install) => run_install(install, global),
    }
}

fn cwd() -> (PathBuf, Option<PathBuf>) {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let canonical = std::fs::canonicalize(&cwd).ok();
    (cwd, canonical)
}

fn run_hook(args: &RunArgs, global: &GlobalArgs) -> miette::Result<Exit> {
    let (cwd, canonical) = cwd();
    let repo = Repo::discover(&cwd)?;
    if let Some(restored) = hook::backup::restore(&repo)? {
        eprintln!(
            "dash hook: the previous run was interrupted; restored {} file(s) from {}",
            restored.restored.len(),
            display_path(&hook::backup::dir(&repo), canonical.as_deref())
        );
        for path in &restored.restored {
            eprintln!("  restored {path}");
        }
        for left in &restored.left {
            eprintln!("  {left}");
        }
        if let Some(kept) = &restored.kept {
            eprintln!(
                "  the backup is kept at {} for you to compare",
                kept.display()
            );
        }
    }
    let config = Config::load(global.config.as_deref(), &repo.top)?;
    let files = hook::staged_files(&repo, &config, canonical.as_deref())?;
    if files.is_empty() {
        return Ok(Exit::Clean);
    }
    let oids: Vec<&str> = files.iter().map(|f| f.staged.oid.as_str()).collect();
    let blobs = repo.read_blobs(&oids)?;

    let selected = engine::select(&config, config.hook.rules.as_deref())?;
    let root = super::project_root(&config, std::slice::from_ref(&repo.top));
    let prepare = |mode| -> miette::Result<Engine> {
        Ok(Engine::prepare(
            &selected,
            &RunCx {
                config: &config,
                mode,
                root: &root,
                exact: false,
                console_spies: None,
            },
        )?)
    };
    let scan = prepare(Mode::Scan)?;
    let fixer = if args.fix {
        Some(prepare(Mode::Fix)?)
    } else {
        None
    };
    let limit = config.limits.max_file_size;
    let checked = super::with_threads(global.threads, || {
        hook::check(&files, blobs.clone(), &scan, fixer.as_ref(), limit)
    });

    if !global.quiet {
        for c in &checked {
            if let Some(skip) = &c.skipped {
                eprintln!("note: {}: {skip}", files[c.index].file.display);
            }
        }
    }

    let mut exit = Exit::Clean;
    if let Some(fixer) = &fixer
        && checked.iter().any(|c| c.fixed.is_some())
    {
        let planned = hook::plan(&repo, &files, &blobs, &checked)?;
        let conflicts: Vec<&hook::Planned> = planned
            .iter()
            .filter(|p| matches!(p.working, hook::WorkingPlan::Conflict))
            .collect();
        if !conflicts.is_empty() {
            eprintln!(
                "dash hook: the fixes overlap unstaged changes in {} file(s); nothing was written (index and working tree are as they were):",
                conflicts.len()
            );
            for p in &conflicts {
                eprintln!("  {}", p.display);
            }
            eprintln!(
                "stage or stash the unstaged changes of these files, or fix them yourself (`dash fix {}` previews the fixes), then commit again",
                conflicts
                    .iter()
                    .map(|p| p.display.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            return Ok(Exit::Findings);
        }
        let users: Vec<&Path> = checked
            .iter()
            .filter(|c| c.uses_new_logger)
            .map(|c| files[c.index].file.path.as_path())
            .collect();
        let new_files: Vec<hook::NewFile> = fixer
            .rules
            .iter()
            .flat_map(|p| p.rule.new_files(&users))
            .map(|(path, text)| hook::NewFile {
                display: display_path(&path, canonical.as_deref()),
                path,
                text,
            })
            .collect();
        hook::apply(&repo, &planned, &new_files)?;
        if !global.quiet {
            let fixes: usize = checked
                .iter()
                .filter_map(|c| c.fixed.as_ref().map(|f| f.1))
                .sum();
            eprintln!(
                "dash hook: {fixes} fix(es) applied to {} staged file(s), in the index and the working tree",
                planned.len()
            );
            for p in &planned {
                let note = match p.working {
                    hook::WorkingPlan::Write { .. } => "",
                    _ => " (index only: the working file was left as it is)",
                };
                eprintln!("  fixed {}{note}", p.display);
            }
            for new in &new_files {
                eprintln!("  created and staged {}", new.display);
            }
        }
    }

    let findings: Vec<hook::Located> = checked
        .iter()
        .flat_map(|c| c.findings.iter().cloned())
        .collect();
    let blocking = hook::blocking(&findings, config.hook.max_production);
    if !blocking.is_empty() {
        exit = Exit::Findings;
        eprintln!(
            "dash hook: {} finding(s) in the staged content block this commit:",
            blocking.len()
        );
        for f in &blocking {
            let what = if f.rule == crate::rules::console::RULE_ID {
                format!("console.{} in {} code", f.group, f.category.name())
            } else {
                format!("{}: {}", f.rule, f.message)
            };
            eprintln!("  {}:{}:{} {what}", f.path, f.line, f.column);
        }
        let mut paths: Vec<&str> = blocking.iter().map(|f| f.path.as_str()).collect();
        paths.dedup();
        if args.fix {
            eprintln!(
                "these need a decision the safe fixes cannot make: `dash fix {}` shows them; fix them, stage, and commit again",
                paths.join(" ")
            );
        } else {
            eprintln!(
                "run `dash hook run --fix` to apply the safe fixes to the staged content (index and working tree), or `dash fix {}` to preview them; then commit again",
                paths.join(" ")
            );
        }
    } else if global.verbose {
        eprintln!(
            "dash hook: {} staged file(s) checked; nothing blocks the commit",
            files.len()
        );
    }
    Ok(exit)
}

fn run_install(args: &InstallArgs, global: &GlobalArgs) -> miette::Result<Exit> {
    let (cwd, canonical) = cwd();
    let repo = Repo::discover(&cwd)?;
    let installed = install::install(
        &repo,
        install::InstallOptions {
            force: args.force,
            chain: args.chain,
            fix: args.fix,
        },
    )?;
    let shown = |p: &std::path::Path| display_path(p, canonical.as_deref());
    println!(
        "installed {} (runs `{}`)",
        shown(&installed.path),
        install::command(args.fix)
    );
    if let Some(chained) = &installed.chained {
        println!(
            "kept the existing hook as {}; it runs first",
            shown(chained)
        );
    }
    if installed.replaced {
        println!("replaced the existing hook (--force)");
    }
    if !global.quiet {
        println!("\nwith a hook manager instead:\n");
        print!("{}", install::manager_lines(args.fix));
    }
    Ok(Exit::Clean)
}

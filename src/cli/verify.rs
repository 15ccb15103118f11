//! `dash verify`: the readiness checklist as one CI gate. Console calls and static test
//! hazards come from the same scan as `dash scan`; failing tests and coverage from one run
//! of the project's own suite (`testrun`); the limits from `[verify]` in dash.toml.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::{Exit, GlobalArgs};
use crate::config::Config;
use crate::engine::{self, Engine};
use crate::report::verify::{Check, Figure, Skipped, VerifyReport};
use crate::report::{Limits, ScanReport};
use crate::rules::console::RULE_ID as CONSOLE;
use crate::rules::{Mode, RunCx};
use crate::testrun::{self, coverage::FileCoverage};
use crate::workspace::{Categorizer, Category, Workspace, display_path};

/// Defaults when `[verify]` leaves a limit out: production code has no console calls,
/// the tests no known hazards, and no test fails. `max-console` and `min-coverage` have no
/// default (tests and scripts may print; what coverage is enough is the team's call).
const DEFAULT_MAX_PRODUCTION: u64 = 0;
const DEFAULT_MAX_TEST_HAZARDS: u64 = 0;
const DEFAULT_MAX_FAILING_TESTS: u64 = 0;
/// How many of the least covered production files a failing coverage check names.
const LEAST_COVERED: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Github,
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Checks and limits ([verify] in dash.toml; default in brackets):\n  \
max-console        console calls in all categories [no check]\n  \
max-production     console calls in production code [0]\n  \
max-test-hazards   findings of the test rules (`dash rules`) [0]\n  \
max-failing-tests  failed tests plus test files that cannot run [0]; runs the suite\n  \
min-coverage       line coverage in percent: 80 (production) or { production = 80, tests = 50 } [no check]\n\n\
The suite runs once, with the project's jest or vitest (node_modules/<runner>), its JSON reporter\n\
and, for min-coverage, istanbul's json-summary reporter (vitest needs @vitest/coverage-v8).\n\n\
Examples:\n  dash verify\n  dash verify --no-tests --format github\n  dash verify --format json > verify.json\n\n\
Exit codes:\n  0  every check passed\n  1  a check failed (a suite that cannot run is a failure)\n  \
2  usage or configuration error\n  3  every check passed but some files could not be read"
)]
pub struct VerifyArgs {
    /// The project to verify (the suite runs where its dash.toml, else package.json, is).
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Do not run the test suite: max-failing-tests and min-coverage say SKIPPED.
    #[arg(long)]
    pub no_tests: bool,
    /// Count every worktree of the repository, not only the one verified.
    #[arg(long)]
    pub worktrees: bool,
    #[command(flatten)]
    pub walk: super::WalkArgs,
    #[command(flatten)]
    pub project: super::ProjectArgs,
}

pub fn run(args: &VerifyArgs, global: &GlobalArgs) -> miette::Result<Exit> {
    let paths = std::slice::from_ref(&args.path);
    let (config, workspace) = super::load_workspace(paths, &args.walk, args.worktrees, global)?;
    let root = super::project_root(&config, paths);
    let selected = engine::select(&config, None)?;
    let engine = Engine::prepare(
        &selected,
        &RunCx {
            config: &config,
            mode: Mode::Scan,
            root: &root,
            exact: false,
            console_spies: None,
        },
    )?;
    let analysis = super::with_threads(global.threads, || {
        engine::scan::analyze(&workspace, &engine, config.limits.max_file_size, false)
    });
    let rules: Vec<&'static str> = selected.iter().map(|r| r.meta().id).collect();
    let scan = ScanReport::new(&workspace, rules.clone(), analysis, Limits::default());

    let mut report = VerifyReport::default();
    static_checks(
        &mut report,
        &config,
        &workspace,
        &scan,
        &rules,
        args.worktrees,
    );
    test_checks(&mut report, &config, &workspace, &root, args.no_tests);

    let color = super::color_enabled(global.color, std::io::stdout().is_terminal());
    let rendered = match args.format {
        Format::Text => crate::report::verify::text(&report, color, global.quiet),
        Format::Json => crate::report::verify::json(&report),
        Format::Github => crate::report::verify::github(&report, global.quiet),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(rendered.as_bytes())
        .and_then(|()| stdout.flush());
    for error in &scan.errors {
        eprintln!("{:?}", miette::Report::new(error.clone()));
    }
    Ok(if !report.passed() {
        Exit::Findings
    } else if !scan.errors.is_empty() {
        Exit::Partial
    } else {
        Exit::Clean
    })
}

/// Console calls and test hazards, counted in the verified worktree (every worktree with
/// `--worktrees`).
fn static_checks(
    report: &mut VerifyReport,
    config: &Config,
    workspace: &Workspace,
    scan: &ScanReport,
    rules: &[&'static str],
    all_worktrees: bool,
) {
    let counted =
        |f: &&crate::engine::scan::Finding| all_worktrees || workspace.worktrees[f.worktree].named;
    let findings: Vec<_> = scan.findings.iter().filter(counted).collect();
    let console_fix = "`dash fix` previews the fixes, `dash fix --write` applies them; `dash scan --list` lists the calls";
    let console_on = rules.contains(&CONSOLE);
    let limits = [
        ("max-console", config.verify.max_console, None),
        (
            "max-production",
            Some(
                config
                    .verify
                    .max_production
                    .unwrap_or(DEFAULT_MAX_PRODUCTION),
            ),
            Some(Category::Production),
        ),
    ];
    for (name, limit, category) in limits {
        let Some(limit) = limit else { continue };
        if !console_on {
            report.skipped.push(Skipped {
                name: name.into(),
                reason: "the console rule is disabled ([rules] in dash.toml)".into(),
            });
            continue;
        }
        let actual = findings
            .iter()
            .filter(|f| f.rule == CONSOLE && category.is_none_or(|c| f.category == c))
            .count() as u64;
        report.checks.push(Check::measured(
            name,
            Figure::Count(limit),
            Figure::Count(actual),
            console_fix.into(),
        ));
    }

    let test_rules: Vec<&str> = rules.iter().copied().filter(|r| *r != CONSOLE).collect();
    let limit = config
        .verify
        .max_test_hazards
        .unwrap_or(DEFAULT_MAX_TEST_HAZARDS);
    if test_rules.is_empty() {
        report.skipped.push(Skipped {
            name: "max-test-hazards".into(),
            reason: "every test rule is disabled ([rules] in dash.toml)".into(),
        });
        return;
    }
    let hazards: Vec<_> = findings.iter().filter(|f| f.rule != CONSOLE).collect();
    let mut check = Check::measured(
        "max-test-hazards",
        Figure::Count(limit),
        Figure::Count(hazards.len() as u64),
        format!(
            "`dash scan --list --rules {}` lists them; `dash fix --write` applies the safe fixes (`--unsafe-fixes` the rest)",
            test_rules.join(",")
        ),
    );
    if !hazards.is_empty() {
        let mut by_rule: Vec<(&str, usize)> = Vec::new();
        for f in &hazards {
            match by_rule.iter_mut().find(|(r, _)| *r == f.rule) {
                Some(entry) => entry.1 += 1,
                None => by_rule.push((f.rule, 1)),
            }
        }
        by_rule.sort();
        check.detail = Some(
            by_rule
                .iter()
                .map(|(rule, n)| format!("{rule}: {n}"))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    report.checks.push(check);
}

/// Failing tests and coverage, from one run of the suite (with coverage only when a
/// coverage limit is set).
fn test_checks(
    report: &mut VerifyReport,
    config: &Config,
    workspace: &Workspace,
    root: &Path,
    no_tests: bool,
) {
    let failing_limit = Figure::Count(
        config
            .verify
            .max_failing_tests
            .unwrap_or(DEFAULT_MAX_FAILING_TESTS),
    );
    let coverage_limits = &config.verify.min_coverage;
    let coverage_name = |c: Category| format!("min-coverage.{}", c.name());
    if no_tests {
        report.skipped.push(Skipped {
            name: "max-failing-tests".into(),
            reason: "--no-tests".into(),
        });
        for (category, _) in coverage_limits {
            report.skipped.push(Skipped {
                name: coverage_name(*category),
                reason: "--no-tests".into(),
            });
        }
        return;
    }
    let help_of = |err: &testrun::TestRunError| {
        miette::Diagnostic::help(err)
            .map(|h| h.to_string())
            .unwrap_or_default()
    };
    let unmeasured_coverage = |report: &mut VerifyReport, reason: &str, help: &str| {
        for (category, limit) in coverage_limits {
            report.checks.push(Check::unmeasured(
                coverage_name(*category),
                Figure::Percent(*limit),
                reason.to_owned(),
                help.to_owned(),
            ));
        }
    };
    // Without a coverage provider the suite still runs, for the failing tests.
    let mut coverage_error = None;
    let outcome = testrun::detect(root).and_then(|runner| {
        if !coverage_limits.is_empty() {
            coverage_error = testrun::run::coverage_ready(&runner).err();
        }
        let with_coverage = !coverage_limits.is_empty() && coverage_error.is_none();
        let outcome = testrun::run(&runner, with_coverage)?;
        Ok((runner, outcome))
    });
    let (runner, outcome) = match outcome {
        Ok(found) => found,
        Err(err) => {
            let help = help_of(&err);
            report.checks.push(Check::unmeasured(
                "max-failing-tests",
                failing_limit,
                err.to_string(),
                help.clone(),
            ));
            unmeasured_coverage(
                report,
                "the suite did not run (see max-failing-tests)",
                &help,
            );
            return;
        }
    };
    let see = match runner.kind {
        testrun::Kind::Jest => "npx jest",
        testrun::Kind::Vitest => "npx vitest run",
    };
    let results = &outcome.results;
    let mut check = Check::measured(
        "max-failing-tests",
        failing_limit,
        Figure::Count(results.failures()),
        format!("run `{see}` to see the failures"),
    );
    let mut detail = vec![format!(
        "{} {}: {} passed, {} failed, {} skipped",
        runner.kind.package(),
        runner.version,
        results.passed,
        results.failed,
        results.skipped
    )];
    let cwd = std::env::current_dir()
        .ok()
        .and_then(|d| std::fs::canonicalize(d).ok());
    for broken in &results.broken_files {
        detail.push(format!(
            "cannot run {}: {}",
            display_path(Path::new(&broken.path), cwd.as_deref()),
            broken.message
        ));
    }
    // Every test passed yet the runner failed (vitest's unhandled errors, a crash after
    // the report): not a pass.
    if check.passed && results.failures() == 0 && outcome.status != Some(0) {
        check.passed = false;
        check.fix = format!("run `{see}`: it exits with an error though no test failed");
        detail.push(format!(
            "`{}` exited with status {}",
            outcome.command,
            outcome
                .status
                .map_or_else(|| "killed by a signal".into(), |s| s.to_string())
        ));
        if !outcome.tail.is_empty() {
            detail.push(outcome.tail.clone());
        }
    }
    check.detail = Some(detail.join("\n"));
    report.checks.push(check);

    if let Some(err) = coverage_error {
        unmeasured_coverage(report, &err.to_string(), &help_of(&err));
    } else if let Some(files) = &outcome.coverage {
        coverage_checks(report, config, workspace, root, files, cwd.as_deref());
    }
}

/// Lines covered per category, against each `min-coverage` limit; a failing production
/// check names the least covered production files.
fn coverage_checks(
    report: &mut VerifyReport,
    config: &Config,
    workspace: &Workspace,
    root: &Path,
    files: &[FileCoverage],
    cwd: Option<&Path>,
) {
    let categorizer = Categorizer::new(config).ok();
    let category_of = |path: &Path| -> Category {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some(file) = workspace.files.iter().find(|f| f.path == path) {
            return file.category;
        }
        let base = workspace
            .worktrees
            .iter()
            .filter(|w| path.starts_with(&w.root))
            .max_by_key(|w| w.root.as_os_str().len())
            .map_or(root, |w| w.root.as_path());
        let relative = path.strip_prefix(base).unwrap_or(&path);
        categorizer.as_ref().map_or(Category::Production, |c| {
            c.categorize(&relative.to_string_lossy().replace('\\', "/"))
        })
    };
    let categorized: Vec<(Category, &FileCoverage)> =
        files.iter().map(|f| (category_of(&f.path), f)).collect();
    for (category, limit) in &config.verify.min_coverage {
        let mine: Vec<&FileCoverage> = categorized
            .iter()
            .filter(|(c, _)| c == category)
            .map(|(_, f)| *f)
            .collect();
        let covered: u64 = mine.iter().map(|f| f.covered).sum();
        let total: u64 = mine.iter().map(|f| f.total).sum();
        let name = format!("min-coverage.{}", category.name());
        if total == 0 {
            report.checks.push(Check::unmeasured(
                name,
                Figure::Percent(*limit),
                format!("the coverage report has no {} lines", category.name()),
                "make the tests load this code (jest `collectCoverageFrom`, vitest `coverage.include`)".into(),
            ));
            continue;
        }
        let actual = (testrun::coverage::percent(covered, total) * 100.0).floor() / 100.0;
        let mut least: Vec<&&FileCoverage> = mine.iter().filter(|f| f.total > 0).collect();
        least.sort_by(|a, b| {
            a.percent()
                .total_cmp(&b.percent())
                .then_with(|| a.path.cmp(&b.path))
        });
        let named: Vec<String> = least
            .iter()
            .take(LEAST_COVERED)
            .map(|f| {
                format!(
                    "{} {:.1}% ({} of {} lines)",
                    display_path(&f.path, cwd),
                    f.percent(),
                    f.covered,
                    f.total
                )
            })
            .collect();
        let mut check = Check::measured(
            name,
            Figure::Percent(*limit),
            Figure::Percent(actual),
            format!("add tests for the least covered {} files", category.name()),
        );
        check.detail = Some(format!(
            "{covered} of {total} lines in {} file{}{}",
            mine.len(),
            if mine.len() == 1 { "" } else { "s" },
            if check.passed || named.is_empty() {
                String::new()
            } else {
                format!("; least covered:\n{}", named.join("\n"))
            }
        ));
        report.checks.push(check);
    }
}

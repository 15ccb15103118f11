//! `dash fix --verify`: canary apply. A change is applied in a canary copy of the tree
//! (the working tree as it is, [`crate::testrun::canary::Canary::of_tree`]), the project's
//! own checks run there per package it touches ([`checks`]: the type-check, the test
//! script, loading each changed runtime module with node), and each is compared with the
//! same check on the untouched copy (the baseline, [`cache`]d by the tree's hash). Only
//! what keeps every check as green as before is promoted: a package whose checks got
//! worse is bisected by file to the culprits, which are rolled back (left out of the
//! session) and reported with the check's output. The project is never touched here; the
//! result is the session to write, preview or patch.
//!
//! Why a copy and not `git worktree add`: as in `dash test --fix`, the copy is exactly the
//! tree the user has (uncommitted work included), it works outside git, and a crash
//! leaves no worktree or branch behind in the user's repository.

pub mod build;
pub mod cache;
pub mod checks;
pub mod progress;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use miette::Diagnostic;
use serde::Serialize;
use thiserror::Error;

use crate::config::VerifyConfig;
use crate::review::{Kind, Proposal, Session};
use crate::testrun::canary::Canary;
use cache::Cache;
use checks::{Check, Limits, Measure};

/// Defaults when `[verify]` does not set them.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
pub const DEFAULT_LOAD_TIMEOUT: Duration = Duration::from_secs(10);
/// The whole run's limit when neither `--verify-timeout` nor `[verify] run-timeout` sets
/// one: generous (zustand's run took 3 to 10 minutes), yet a CI job is not held for hours.
pub const DEFAULT_RUN_TIMEOUT: Duration = Duration::from_secs(1800);

#[derive(Debug, Error, Diagnostic)]
pub enum VerifyError {
    #[error(
        "cannot verify package {package}: it has a tsconfig.json but no TypeScript compiler is installed (no node_modules/.bin/tsc or tsgo in it or above it)"
    )]
    #[diagnostic(
        code(dash::fix::verify::no_typecheck),
        help(
            "install the project's dependencies (npm ci, pnpm install), or set `typecheck` under [verify] in dash.toml to the command that type-checks it; nothing was written"
        )
    )]
    NoTypeChecker { package: String },
    #[error("cannot verify package {package}: node cannot be started to load the changed modules")]
    #[diagnostic(
        code(dash::fix::verify::no_node),
        help("install Node.js and put it on PATH; nothing was written")
    )]
    NoNode { package: String },
    #[error("cannot verify package {package}: its tests cannot be run: {reason}")]
    #[diagnostic(
        code(dash::fix::verify::runner),
        help(
            "install the project's dependencies, or set `test` under [verify] in dash.toml; nothing was written"
        )
    )]
    Runner { package: String, reason: String },
    #[error("cannot verify: `{command}` cannot be started: {reason}")]
    #[diagnostic(
        code(dash::fix::verify::start),
        help("check the command (the [verify] keys in dash.toml); nothing was written")
    )]
    CannotStart { command: String, reason: String },
    #[error(
        "cannot verify package {package}: the {check} does not run on the untouched tree: {reason}"
    )]
    #[diagnostic(
        code(dash::fix::verify::baseline),
        help(
            "run it yourself in the project; a check that cannot run before the change cannot tell whether the change broke it (nothing was written)"
        )
    )]
    Baseline {
        package: String,
        check: String,
        reason: String,
    },
    #[error("cannot make the canary copy of {}: {source}", top.display())]
    #[diagnostic(
        code(dash::fix::verify::canary),
        help("check that the temporary folder ($TMPDIR) is writable and has room")
    )]
    Canary {
        top: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl crate::exit::HasExit for VerifyError {
    /// A check that cannot run refuses the whole write (nothing was written): the user
    /// must fix the setup or the configuration, like a refusal over uncommitted work.
    fn exit(&self) -> crate::exit::Exit {
        crate::exit::Exit::Usage
    }
}

/// What the verification found, for the report.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub packages: Vec<PackageReport>,
    pub rolled_back: Vec<RolledBack>,
    /// Changed files proposed and promoted.
    pub proposed: usize,
    pub promoted: usize,
    /// Check runs made in the canary, and baseline results read from the cache.
    pub runs: u32,
    pub cached: u32,
    /// Changed files left out because the run's time ran out before they were proven.
    pub unverified: Vec<String>,
    /// Why the run stopped early (the run timeout, where it was), when it did.
    pub stopped: Option<String>,
    /// Packages whose build does not run in the copy (a script that needs what only the
    /// project's own install has, such as pnpm's dependency check): their checks ran
    /// without build outputs, as the project's own checks would on a fresh clone.
    pub unbuilt: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct PackageReport {
    /// Relative to the tree's top (`.` for the top).
    pub package: String,
    pub checks: Vec<CheckReport>,
}

#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub check: String,
    pub before: String,
    /// With what was promoted (the same as `before` when nothing was).
    pub after: String,
}

#[derive(Debug, Serialize)]
pub struct RolledBack {
    pub file: String,
    /// Each check it made worse, and how (the check's first lines).
    pub reasons: Vec<String>,
}

impl Report {
    /// The report as text, one package after another, then the culprits.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for package in &self.packages {
            out.push_str(&format!("verify: package {}\n", package.package));
            if package.checks.is_empty() {
                out.push_str(
                    "  no check applies (no tsconfig.json, no test script, no changed runtime JavaScript module)\n",
                );
            }
            for check in &package.checks {
                out.push_str(&format!(
                    "  {}: before {}; after {}\n",
                    check.check, check.before, check.after
                ));
            }
        }
        for rolled in &self.rolled_back {
            out.push_str(&format!("rolled back {}:\n", rolled.file));
            for reason in &rolled.reasons {
                out.push_str(&format!("  {reason}\n"));
            }
        }
        for unbuilt in &self.unbuilt {
            out.push_str(&format!("verify: {unbuilt}\n"));
        }
        if let Some(stopped) = &self.stopped {
            out.push_str(&format!("verify: stopped: {stopped}\n"));
        }
        if !self.unverified.is_empty() {
            out.push_str(&format!(
                "not verified, left out ({}):\n",
                self.unverified.len()
            ));
            for file in &self.unverified {
                out.push_str(&format!("  {file}\n"));
            }
        }
        out.push_str(&format!(
            "verify: {} of {} changed file{} kept every check as green as before; {} check run{} in the canary, {} baseline result{} from the cache\n",
            self.promoted,
            self.proposed,
            if self.proposed == 1 { "" } else { "s" },
            self.runs,
            if self.runs == 1 { "" } else { "s" },
            self.cached,
            if self.cached == 1 { "" } else { "s" },
        ));
        out
    }
}

/// The verified session and the report.
pub struct Verified {
    pub session: Session,
    pub report: Report,
}

/// How one verify run is bounded and watched.
pub struct Options<'a> {
    /// The whole run's limit: past it, the running check is stopped and what was not
    /// proven yet is left out ([`Report::unverified`]).
    pub run_timeout: Duration,
    /// Told each check as it starts (the progress line).
    pub watch: progress::Watch<'a>,
}

/// Verifies every proposal of `session` in a canary of its worktree (`tops`: the
/// worktrees' tops). `runtime` tells which changed files are runtime code (production),
/// whose JavaScript modules are loaded with node.
pub fn verify(
    session: &Session,
    config: &VerifyConfig,
    tops: &[PathBuf],
    runtime: &dyn Fn(&Path) -> bool,
    options: &Options,
) -> Result<Verified, VerifyError> {
    let run = Run {
        limits: Limits {
            timeout: config.timeout.map_or(DEFAULT_TIMEOUT, Duration::from_secs),
            load_timeout: config
                .load_timeout
                .map_or(DEFAULT_LOAD_TIMEOUT, Duration::from_secs),
        },
        deadline: Instant::now() + options.run_timeout,
        run_timeout: options.run_timeout,
        watch: options.watch,
        last: RefCell::new(None),
    };
    let proposals = session.proposals();
    let mut keep = vec![true; proposals.len()];
    let mut report = Report {
        proposed: proposals.len(),
        ..Report::default()
    };
    let mut by_top: BTreeMap<&Path, Vec<usize>> = BTreeMap::new();
    for (i, proposal) in proposals.iter().enumerate() {
        // A proposal outside every worktree is refused by the session when written.
        if let Some(top) = tops
            .iter()
            .filter(|t| proposal.path.starts_with(t))
            .max_by_key(|t| t.as_os_str().len())
        {
            by_top.entry(top.as_path()).or_default().push(i);
        }
    }
    for (top, files) in by_top {
        verify_tree(
            top,
            &files,
            proposals,
            config,
            &run,
            runtime,
            &mut keep,
            &mut report,
        )?;
    }
    report.unverified.sort();
    let mut verified = session.empty_like();
    for (proposal, keep) in proposals.iter().zip(&keep) {
        if *keep {
            verified.propose(proposal.clone());
        }
    }
    report.promoted = keep.iter().filter(|k| **k).count();
    Ok(Verified {
        session: verified,
        report,
    })
}

/// One package: its folder, the proposals in it, and its checks.
struct Package {
    dir: PathBuf,
    name: String,
    files: Vec<usize>,
    checks: Vec<Check>,
    baseline: Vec<Measure>,
}

/// The run's limits and watcher, shared by every tree and package.
struct Run<'a> {
    limits: Limits,
    /// When the whole run's time is up.
    deadline: Instant,
    run_timeout: Duration,
    watch: progress::Watch<'a>,
    /// The last step told, to say where the run stopped.
    last: RefCell<Option<progress::Status>>,
}

/// Why a step did not finish: an error (the whole run is refused), or the run's time ran
/// out (what was not proven yet is left out; what was, stands).
enum Stop {
    Failed(VerifyError),
    OutOfTime,
}

impl From<VerifyError> for Stop {
    fn from(err: VerifyError) -> Stop {
        Stop::Failed(err)
    }
}

impl Run<'_> {
    fn expired(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Tells the watcher that `check` starts in package `n` of `of`.
    fn tell(&self, package: &Package, n: usize, of: usize, stage: progress::Stage, check: &Check) {
        let status = progress::Status {
            package: package.name.clone(),
            n: n + 1,
            of,
            stage,
            check: check.name(),
        };
        (self.watch)(&status);
        *self.last.borrow_mut() = Some(status);
    }

    /// Runs one check, bounded by its own timeout and by what is left of the run's. A
    /// result that came after the deadline is not used: the check may have been cut short.
    fn run(
        &self,
        check: &Check,
        tree: &Path,
        dir: &Path,
        files: &[String],
    ) -> Result<Measure, Stop> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Stop::OutOfTime);
        }
        let limits = Limits {
            timeout: self.limits.timeout.min(left),
            load_timeout: self.limits.load_timeout.min(left),
        };
        let measure = checks::run(check, tree, dir, &limits, files)?;
        if self.expired() {
            return Err(Stop::OutOfTime);
        }
        Ok(measure)
    }

    /// Where the run stopped, for the report.
    fn stopped(&self) -> String {
        let limit = progress::clock(self.run_timeout);
        match &*self.last.borrow() {
            Some(status) => format!(
                "the run timeout ({limit}; --verify-timeout, `run-timeout` under [verify]) ran out in package {} while running {} ({}); that check was ended",
                status.package,
                status.check,
                match &status.stage {
                    progress::Stage::Baseline => "baseline".to_owned(),
                    progress::Stage::Change => "the change".to_owned(),
                    progress::Stage::Bisect { .. } => "bisecting".to_owned(),
                    progress::Stage::Confirm { .. } =>
                        "rechecking what the bisection kept".to_owned(),
                }
            ),
            None => format!(
                "the run timeout ({limit}; --verify-timeout, `run-timeout` under [verify]) ran out before the checks"
            ),
        }
    }

    /// The run's time ran out: `files` were not proven and are left out.
    fn out_of_time(
        &self,
        files: impl IntoIterator<Item = usize>,
        proposals: &[Proposal],
        keep: &mut [bool],
        report: &mut Report,
    ) {
        for i in files {
            keep[i] = false;
            report.unverified.push(proposals[i].display.clone());
        }
        if report.stopped.is_none() {
            report.stopped = Some(self.stopped());
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn verify_tree(
    top: &Path,
    files: &[usize],
    proposals: &[Proposal],
    config: &VerifyConfig,
    run: &Run,
    runtime: &dyn Fn(&Path) -> bool,
    keep: &mut [bool],
    report: &mut Report,
) -> Result<(), VerifyError> {
    let mut grouped: BTreeMap<PathBuf, Vec<usize>> = BTreeMap::new();
    for &i in files {
        grouped
            .entry(package_of(top, &proposals[i].path, config))
            .or_default()
            .push(i);
    }
    // Every plan before the canary is made: a check that cannot run refuses at once.
    let mut packages = Vec::new();
    for (dir, files) in grouped {
        let modules: Vec<String> = files
            .iter()
            .map(|&i| &proposals[i].path)
            .filter(|path| runtime(path) && is_javascript(path))
            .filter_map(|path| relative(top, path))
            .collect();
        let checks = checks::plan(top, &dir, &modules, config)?;
        packages.push(Package {
            name: package_name(top, &dir),
            dir,
            files,
            checks,
            baseline: Vec::new(),
        });
    }
    if packages.iter().all(|p| p.checks.is_empty()) {
        report
            .packages
            .extend(packages.into_iter().map(|p| PackageReport {
                package: p.name,
                checks: Vec::new(),
            }));
        return Ok(());
    }
    if run.expired() {
        run.out_of_time(files.iter().copied(), proposals, keep, report);
        return Ok(());
    }
    let canary = Canary::of_tree(top).map_err(|source| VerifyError::Canary {
        top: top.to_path_buf(),
        source,
    })?;
    let tree = cache::tree_hash(&canary.root).map_err(|source| VerifyError::Canary {
        top: top.to_path_buf(),
        source,
    })?;
    let cache = Cache::of_worktree(top);
    // Build outputs a package.json names that the canary lacks (git ignores them): the
    // build runs first in every package checked (src/promote/build.rs).
    let builds = build::checks(&canary.root);
    for package in packages.iter_mut().filter(|p| !p.checks.is_empty()) {
        package.checks.splice(0..0, builds.iter().cloned());
    }

    // The baseline: every check on the untouched copy (or from the cache). Nothing is
    // proven without it.
    match baseline(&mut packages, top, &canary, &tree, &cache, run, report) {
        Ok(()) => {}
        Err(Stop::OutOfTime) => {
            run.out_of_time(files.iter().copied(), proposals, keep, report);
            return Ok(());
        }
        Err(Stop::Failed(err)) => return Err(err),
    }

    // Everything applied, then each package checked; a package that got worse is bisected.
    for package in &packages {
        for &i in &package.files {
            apply(&canary, top, &proposals[i], true)?;
        }
    }
    let count = packages.len();
    for (n, package) in packages.iter().enumerate() {
        let (after, culprits) =
            match check_package(package, n, count, proposals, top, &canary, run, report) {
                Ok(found) => found,
                Err(Stop::OutOfTime) => {
                    // This package and the ones after it were not proven; the ones before
                    // stand as checked.
                    let left = packages[n..].iter().flat_map(|p| p.files.iter().copied());
                    run.out_of_time(left, proposals, keep, report);
                    break;
                }
                Err(Stop::Failed(err)) => return Err(err),
            };
        for (i, reasons) in culprits {
            keep[i] = false;
            report.rolled_back.push(RolledBack {
                file: proposals[i].display.clone(),
                reasons,
            });
        }
        report.packages.push(PackageReport {
            package: package.name.clone(),
            checks: package
                .checks
                .iter()
                .zip(&package.baseline)
                .map(|(check, before)| {
                    // A check that did not run on what was promoted (a module rolled
                    // back, or nothing promoted) stands as before.
                    let after = after
                        .iter()
                        .find(|(c, _)| c.key() == check.key())
                        .map_or(before, |(_, m)| m);
                    CheckReport {
                        check: check.name(),
                        before: before.summary(),
                        after: after.summary(),
                    }
                })
                .collect(),
        });
    }
    report.rolled_back.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(())
}

/// Every package's checks on the untouched canary, or from the cache.
fn baseline(
    packages: &mut [Package],
    top: &Path,
    canary: &Canary,
    tree: &str,
    cache: &Cache,
    run: &Run,
    report: &mut Report,
) -> Result<(), Stop> {
    let count = packages.len();
    for (n, package) in packages.iter_mut().enumerate() {
        let dir = in_canary(canary, top, &package.dir);
        let absent = |check: &Check| matches!(check, Check::Load { module } if !canary.root.join(module).exists());
        // The build comes from the cache only when every other check does: one that runs
        // needs the build made in this canary.
        let all_cached = package.checks.iter().all(|check| {
            matches!(check, Check::Build { .. })
                || absent(check)
                || cache
                    .get(&Cache::key(tree, &package.name, &check.key()))
                    .is_some()
        });
        let mut measures = Vec::new();
        let mut unbuilt = None;
        for check in &package.checks {
            // A module the change creates has no baseline: it only has to load.
            if let Check::Load { module } = check
                && !canary.root.join(module).exists()
            {
                measures.push(Measure::Absent);
                continue;
            }
            let key = Cache::key(tree, &package.name, &check.key());
            let cached = match check {
                Check::Build { .. } if !all_cached => None,
                _ => cache.get(&key),
            };
            let measure = match cached {
                Some(measure) => {
                    report.cached += 1;
                    measure
                }
                None => {
                    run.tell(package, n, count, progress::Stage::Baseline, check);
                    let measure = run.run(check, &canary.root, &dir, &[])?;
                    report.runs += 1;
                    // A build that does not run in the copy is left out rather than
                    // refusing: the checks then run as on a fresh clone, and a test that
                    // needs the build fails before and after alike.
                    if let Measure::Build { status, .. } = &measure
                        && !status.ok()
                    {
                        report.unbuilt.push(format!(
                            "package {}: {} does not run in the copy ({}); its checks ran without build outputs",
                            package.name,
                            check.name(),
                            measure.summary()
                        ));
                        unbuilt = Some(check.key());
                        continue;
                    }
                    refuse_unusable(&package.name, check, &measure)?;
                    cache.put(&key, &measure);
                    measure
                }
            };
            measures.push(measure);
        }
        if let Some(key) = unbuilt {
            package.checks.retain(|c| c.key() != key);
        }
        package.baseline = measures;
    }
    Ok(())
}

/// The package's folder in the canary.
fn in_canary(canary: &Canary, top: &Path, dir: &Path) -> PathBuf {
    canary.root.join(dir.strip_prefix(top).unwrap_or(dir))
}

/// What each check of a checked package showed with what is promoted, and the culprits
/// rolled back with their reasons.
type Checked = (Vec<(Check, Measure)>, Vec<(usize, Vec<String>)>);

/// The checks of one package with all its changes, and the bisection when one got worse.
#[allow(clippy::too_many_arguments)]
fn check_package(
    package: &Package,
    n: usize,
    count: usize,
    proposals: &[Proposal],
    top: &Path,
    canary: &Canary,
    run: &Run,
    report: &mut Report,
) -> Result<Checked, Stop> {
    let dir = in_canary(canary, top, &package.dir);
    let of = package.files.len();
    let mut eval = |subset: &[usize], stage: progress::Stage, focus: Option<&[String]>| {
        // A file a rule creates (the logger module) is in every step: the files that
        // import it are judged with it there, so a culprit's reason is its own error
        // rather than the missing module; it goes only with a file that needs it (the
        // caller drops one whose users were all rolled back).
        for &i in &package.files {
            let created = matches!(proposals[i].change, Kind::Create { .. });
            apply(canary, top, &proposals[i], created || subset.contains(&i))?;
        }
        let step = Step {
            package,
            n,
            count,
            stage,
        };
        evaluate(
            &step, subset, proposals, top, canary, &dir, run, report, focus,
        )
    };
    let all = eval(&package.files, progress::Stage::Change, None)?;
    if all.regressions.is_empty() {
        return Ok((all.measures, Vec::new()));
    }
    // The bisection reruns only the test files that lost tests with everything applied
    // (a whole suite per step made a 412-test suite take 20 minutes); the set it keeps is
    // then checked in full, and if that set is worse after all (files that break other
    // test files only together), the bisection is done again with every check whole.
    let focus = focus_of(package, &all.measures);
    let bisecting = |subset: &[usize], round| progress::Stage::Bisect {
        trying: subset.len(),
        of,
        round,
    };
    let mut search = Bisect::default();
    search.step(
        &package.files,
        all.regressions.clone(),
        &mut |subset, round| eval(subset, bisecting(subset, round), Some(&focus)),
    )?;
    if !search.good.is_empty() {
        let whole = eval(
            &search.good,
            progress::Stage::Confirm {
                files: search.good.len(),
            },
            None,
        )?;
        if whole.regressions.is_empty() {
            search.last_pass = Some(whole.measures);
        } else {
            search = Bisect::default();
            search.step(&package.files, all.regressions, &mut |subset, round| {
                eval(subset, bisecting(subset, round), None)
            })?;
        }
    }
    // Nothing promoted: every check stands as before.
    let after = search.last_pass.unwrap_or_default();
    // The canary holds what is promoted, for the packages checked after this one.
    for &i in &package.files {
        apply(canary, top, &proposals[i], search.good.contains(&i))?;
    }
    Ok((after, search.culprits))
}

/// The test files that lost tests in `measures` (a package's checks with everything
/// applied) against its baseline.
fn focus_of(package: &Package, measures: &[(Check, checks::Measure)]) -> Vec<String> {
    package
        .checks
        .iter()
        .zip(&package.baseline)
        .filter(|(check, _)| matches!(check, Check::Runner))
        .flat_map(|(check, before)| {
            measures
                .iter()
                .filter(|(c, _)| c.key() == check.key())
                .flat_map(|(_, after)| after.files_that_lost_tests(before))
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// A baseline that cannot be compared with: the tests wrote no report, a check timed out.
fn refuse_unusable(package: &str, check: &Check, measure: &Measure) -> Result<(), VerifyError> {
    let reason = match measure {
        Measure::Tests {
            problem: Some(problem),
            passed,
            failed,
            ..
        } if passed.is_empty() && *failed == 0 => Some(problem.clone()),
        Measure::Build { status, tail } if !status.ok() => Some(format!(
            "it ends with {}{}",
            match status {
                checks::Status::Exit(n) => format!("exit status {n}"),
                checks::Status::Signal => "a signal".into(),
                checks::Status::TimedOut => {
                    "a timeout (raise `timeout` under [verify] in dash.toml)".into()
                }
            },
            tail.iter()
                .map(|l| format!("\n    {l}"))
                .collect::<String>()
        )),
        Measure::TypeCheck {
            status: checks::Status::TimedOut,
            ..
        }
        | Measure::Tests {
            status: checks::Status::TimedOut,
            ..
        }
        | Measure::Script {
            status: checks::Status::TimedOut,
            ..
        } => Some("it timed out (raise `timeout` under [verify] in dash.toml)".into()),
        _ => None,
    };
    match reason {
        Some(reason) => Err(VerifyError::Baseline {
            package: package.to_owned(),
            check: check.name(),
            reason,
        }),
        None => Ok(()),
    }
}

/// The checks of a package on one subset of its files.
struct Evaluation {
    /// Each check that ran, with its result.
    measures: Vec<(Check, Measure)>,
    /// Each check made worse: "check: why".
    regressions: Vec<String>,
}

/// Where an evaluation stands, for the progress line.
struct Step<'a> {
    package: &'a Package,
    n: usize,
    count: usize,
    stage: progress::Stage,
}

#[allow(clippy::too_many_arguments)]
fn evaluate(
    step: &Step,
    subset: &[usize],
    proposals: &[Proposal],
    top: &Path,
    canary: &Canary,
    dir: &Path,
    run: &Run,
    report: &mut Report,
    focus: Option<&[String]>,
) -> Result<Evaluation, Stop> {
    let package = step.package;
    let applied: Vec<String> = subset
        .iter()
        .filter_map(|&i| relative(top, &proposals[i].path))
        .collect();
    let mut evaluation = Evaluation {
        measures: Vec::new(),
        regressions: Vec::new(),
    };
    for (check, before) in package.checks.iter().zip(&package.baseline) {
        // A module not applied is the untouched one: its baseline stands.
        if let Check::Load { module } = check
            && !applied.contains(module)
        {
            continue;
        }
        // Narrowed to the focus files: only those run, compared with their baseline; with
        // no file to rerun, the runner is left out of this step.
        let (files, before) = match (check, focus) {
            (Check::Runner, Some([])) => continue,
            (Check::Runner, Some(files)) => (files, &before.only_files(files)),
            _ => (&[][..], before),
        };
        run.tell(package, step.n, step.count, step.stage.clone(), check);
        let after = run.run(check, &canary.root, dir, files)?;
        report.runs += 1;
        if let Some(why) = after.worse_than(before) {
            evaluation
                .regressions
                .push(format!("{}: {why}", check.name()));
        }
        evaluation.measures.push((check.clone(), after));
    }
    Ok(evaluation)
}

/// Finds the largest set of files that keeps the checks green, adding halves greedily:
/// a half that passes together with what passed so far is kept whole; one that fails is
/// split again, down to single files, which are the culprits. Every set kept was checked.
#[derive(Default)]
struct Bisect {
    good: Vec<usize>,
    culprits: Vec<(usize, Vec<String>)>,
    last_pass: Option<Vec<(Check, Measure)>>,
}

/// Checks one trial set at a depth of the bisection (1: halves of the whole set).
type Trial<'a, E> = dyn FnMut(&[usize], u32) -> Result<Evaluation, E> + 'a;

impl Bisect {
    /// `set` fails on top of `good` with `regressions`.
    fn step<E>(
        &mut self,
        set: &[usize],
        regressions: Vec<String>,
        eval: &mut Trial<'_, E>,
    ) -> Result<(), E> {
        self.step_at(set, regressions, 1, eval)
    }

    fn step_at<E>(
        &mut self,
        set: &[usize],
        regressions: Vec<String>,
        round: u32,
        eval: &mut Trial<'_, E>,
    ) -> Result<(), E> {
        if set.len() == 1 {
            self.culprits.push((set[0], regressions));
            return Ok(());
        }
        let (a, b) = set.split_at(set.len() / 2);
        for half in [a, b] {
            let mut trial = self.good.clone();
            trial.extend_from_slice(half);
            let evaluation = eval(&trial, round)?;
            if evaluation.regressions.is_empty() {
                self.good = trial;
                self.last_pass = Some(evaluation.measures);
            } else {
                self.step_at(half, evaluation.regressions, round + 1, eval)?;
            }
        }
        Ok(())
    }
}

/// Puts one proposal's text (`on`) or the original back into the canary.
fn apply(canary: &Canary, top: &Path, proposal: &Proposal, on: bool) -> Result<(), VerifyError> {
    let rel = proposal.path.strip_prefix(top).unwrap_or(&proposal.path);
    let result = match (&proposal.change, on) {
        (
            Kind::Modify {
                file_text,
                new_text,
                ..
            },
            true,
        ) => canary.write_bytes(rel, &file_text.to_bytes(new_text)),
        (change @ Kind::Modify { .. }, false) => {
            canary.write_bytes(rel, &change.original().unwrap_or_default())
        }
        (Kind::Create { text }, true) => canary.write_bytes(rel, text.as_bytes()),
        (Kind::Create { .. }, false) => canary.remove(rel),
    };
    result.map_err(|source| VerifyError::Canary {
        top: top.to_path_buf(),
        source,
    })
}

/// The package whose checks prove a change of `path`: the nearest package.json above it
/// inside `top` that has checks of its own (a tsconfig.json, a test script, or the
/// `[verify]` commands), else the nearest package.json, else `top`. A workspace whose
/// type-check and tests are the root's (changesets: a root tsconfig.json and vitest run
/// over every package, none in `packages/*`) is checked there: with the nearest
/// package.json alone, a change in a package got no check at all and was promoted.
fn package_of(top: &Path, path: &Path, config: &VerifyConfig) -> PathBuf {
    let manifests: Vec<&Path> = path
        .ancestors()
        .skip(1)
        .take_while(|dir| dir.starts_with(top))
        .filter(|dir| dir.join("package.json").is_file())
        .collect();
    let own_checks = |dir: &Path| {
        config.typecheck.is_some()
            || config.test.is_some()
            || dir.join("tsconfig.json").is_file()
            || checks::test_script(dir).is_some()
    };
    manifests
        .iter()
        .find(|dir| own_checks(dir))
        .or(manifests.first())
        .copied()
        .unwrap_or(top)
        .to_path_buf()
}

/// A package as the report names it: relative to the top, `.` for the top.
pub(crate) fn package_name(top: &Path, dir: &Path) -> String {
    match relative(top, dir) {
        Some(rel) if !rel.is_empty() => rel,
        _ => ".".into(),
    }
}

fn relative(top: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(top).ok()?;
    Some(rel.to_string_lossy().replace('\\', "/"))
}

/// A module node loads as JavaScript (TypeScript needs a build or a loader).
fn is_javascript(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("js" | "cjs" | "mjs")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval_with(bad: &'static [usize]) -> impl FnMut(&[usize]) -> Result<Evaluation, VerifyError> {
        move |set: &[usize]| {
            Ok(Evaluation {
                measures: Vec::new(),
                regressions: set
                    .iter()
                    .filter(|i| bad.contains(i))
                    .map(|i| format!("file {i} breaks"))
                    .collect(),
            })
        }
    }

    #[test]
    fn bisection_finds_every_culprit_and_keeps_the_rest() {
        for bad in [&[3usize][..], &[0, 7], &[1, 2, 3, 4, 5, 6, 7, 8], &[8]] {
            let files: Vec<usize> = (0..9).collect();
            let mut search = Bisect::default();
            let mut eval = eval_with(bad);
            let first = eval(&files).unwrap().regressions;
            let mut rounds = Vec::new();
            search
                .step(&files, first, &mut |set, round| {
                    rounds.push(round);
                    eval(set)
                })
                .unwrap();
            // Halves of the whole set first, then deeper as a failing half is split.
            assert_eq!(rounds[0], 1);
            assert!(rounds.contains(&2), "{rounds:?}");
            assert!(rounds.iter().all(|r| (1..=4).contains(r)), "{rounds:?}");
            let mut culprits: Vec<usize> = search.culprits.iter().map(|c| c.0).collect();
            culprits.sort();
            assert_eq!(culprits, bad);
            let mut good = search.good.clone();
            good.sort();
            let expected: Vec<usize> = files.iter().copied().filter(|i| !bad.contains(i)).collect();
            assert_eq!(good, expected);
            for (i, reasons) in &search.culprits {
                assert_eq!(reasons, &vec![format!("file {i} breaks")]);
            }
        }
    }

    #[test]
    fn files_that_break_only_together_lose_one_of_them() {
        // 2 and 5 each pass alone and fail together: one is kept, the other rolled back.
        let eval = |set: &[usize]| -> Result<Evaluation, VerifyError> {
            let both = set.contains(&2) && set.contains(&5);
            Ok(Evaluation {
                measures: Vec::new(),
                regressions: if both {
                    vec!["together".into()]
                } else {
                    vec![]
                },
            })
        };
        let files: Vec<usize> = (0..8).collect();
        let mut search = Bisect::default();
        search
            .step(&files, vec!["together".into()], &mut |set, _| eval(set))
            .unwrap();
        assert_eq!(search.culprits.len(), 1);
        assert_eq!(search.good.len(), 7);
        assert!(eval(&search.good).unwrap().regressions.is_empty());
    }

    #[test]
    fn the_package_is_the_nearest_package_json_inside_the_tree() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path();
        std::fs::create_dir_all(top.join("packages/app/src/deep")).unwrap();
        std::fs::write(top.join("package.json"), "{}").unwrap();
        std::fs::write(top.join("packages/app/package.json"), "{}").unwrap();
        let config = VerifyConfig::default();
        let of = |path: &str| package_of(top, &top.join(path), &config);
        assert_eq!(of("packages/app/src/deep/a.js"), top.join("packages/app"));
        assert_eq!(of("tools/b.js"), top.to_path_buf());
        // The checks are the root's: a change in the package is checked there.
        std::fs::write(top.join("tsconfig.json"), "{}").unwrap();
        assert_eq!(of("packages/app/src/deep/a.js"), top.to_path_buf());
        // Unless the package has its own.
        std::fs::write(
            top.join("packages/app/package.json"),
            r#"{ "scripts": { "test": "vitest" } }"#,
        )
        .unwrap();
        assert_eq!(of("packages/app/src/deep/a.js"), top.join("packages/app"));
        assert_eq!(package_name(top, top), ".");
        assert_eq!(package_name(top, &top.join("packages/app")), "packages/app");
        assert!(is_javascript(Path::new("a.mjs")));
        assert!(!is_javascript(Path::new("a.ts")));
    }
}

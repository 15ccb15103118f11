//! `dash test`: run the project's jest or vitest suite (once per workspace package),
//! classify every failure (`testrun::classify`), rerun the failing files and tests to tell
//! flaky and order-dependent failures apart (`testrun::rerun`), and report. With `--fix`,
//! candidate repairs are proven in a canary copy (`testrun::prove`) and previewed;
//! `--fix --write` writes the proven ones through `review::Session`. Without `--write`
//! nothing in the project is written: the runner's reports go to a scratch folder.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::test_progress::{self, Progress};
use super::{Exit, GlobalArgs};
use crate::review::{self, Kind as ReviewKind, Proposal, Session};
use crate::testrun::classify::{self, Failure, Input};
use crate::testrun::progress::Phase;
use crate::testrun::report::{self, Counts, RunnerInfo, TestReport};
use crate::testrun::results::FileResult;
use crate::testrun::{self, Kind, RunOptions, Selection};
use crate::workspace::display_path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RunnerChoice {
    Auto,
    Jest,
    Vitest,
}

#[derive(Debug, clap::Args)]
#[command(
    group(clap::ArgGroup::new("fixing").args(["fix", "agent"]).multiple(true)),
    after_help = "Each failure is classified, in this order: environment (a service or build that is\n\
missing: the host and port are named), suite (the file cannot load: module resolution,\n\
ESM/CJS, mock hoisting), done-callback, timeout, unawaited (an un-awaited assertion, a\n\
floating rejection, async work left running), leak (fails in its file, passes alone),\n\
mock-misuse, assertion, error (an exception that is not an assertion), flaky (passes on a\n\
rerun with no change). A failure is placed by its stack frame, not by the test the runner\n\
blames. Reruns (--reruns) cover only the failing files and tests.\n\n\
The suite runs with the project's jest or vitest (node_modules/<runner>, with the test\n\
script's --config and node options), or through --command; a workspace root runs each\n\
package with tests. A runner still running 5 s after writing its results is killed.\n\n\
--fix tries repairs (the static test rules on the failing files, a test's own timeout raised\n\
from what was observed) in a canary copy of the project, and keeps one only if its tests\n\
pass on every rerun of the file, in order, and every test that passed still passes. It\n\
never skips a test, adds retries, raises a global timeout, touches an assertion or a file\n\
with an environment failure. --fix --write applies the proven repairs (`dash undo`); like\n\
`dash fix --write` it refuses (exit 2, nothing written) when a file to repair has\n\
uncommitted changes, unless --allow-dirty.\n\n\
--agent PROVIDER/ID (implies --fix) hands each failure still left (not environment) to an\n\
agent, one task each with its evidence; its edits are proven the same way (the whole suite\n\
is rerun when it edits a file other than the test file) and are unsafe: --write applies\n\
them only with --unsafe-fixes.\n\n\
Examples:\n  dash test\n  dash test --files 'src/**/*.test.ts' --format github\n  dash test --command 'npm test --'\n  dash test --fix            preview the proven repairs\n  dash test --fix --write    apply them\n  dash test --fix --agent anthropic/claude-sonnet-4-5   the agent tries what is left\n\n\
Exit codes:\n  0  every test passed (with --fix --write: every failure was repaired)\n  1  a test failed, or the suite could not run\n  2  usage or configuration error, or --write refused: a file to repair has uncommitted changes\n  3  --write: a repaired file could not be written"
)]
pub struct TestArgs {
    /// The project to test (the suite runs where its dash.toml, else package.json, is).
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Which runner: detected from the project, or the installed jest or vitest.
    #[arg(long, value_enum, default_value_t = RunnerChoice::Auto)]
    pub runner: RunnerChoice,
    /// Run only the test files matching these globs (relative to the project).
    #[arg(long, value_name = "GLOB", num_args = 1..)]
    pub files: Vec<String>,
    /// Rerun each failing file up to N times (flaky: passes on some) and each test that
    /// failed every time alone up to N times (leak: passes alone); 0 turns reruns off.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub reruns: u32,
    /// End a run that takes longer than this many seconds (its process group is killed).
    /// A runner still running 5 s after writing its results is always ended.
    #[arg(long = "timeout", id = "run_timeout", value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Run through this command (e.g. "npm test --"), dash's reporter flags appended,
    /// instead of starting the runner with node.
    #[arg(long, value_name = "COMMAND")]
    pub command: Option<String>,
    /// Try the repairs of the failures in a canary copy of the project, keep those that
    /// pass every rerun, and show them as a diff. Writes nothing without --write.
    #[arg(long)]
    pub fix: bool,
    /// With --fix: apply the proven repairs (journaled: `dash undo` restores them).
    #[arg(long, requires = "fixing")]
    pub write: bool,
    /// With --write: write even where the files to repair have uncommitted changes.
    #[arg(long, requires = "write")]
    pub allow_dirty: bool,
    /// With --write: apply the agent's proven repairs too (they can change behaviour:
    /// the preview marks them).
    #[arg(long, requires = "write")]
    pub unsafe_fixes: bool,
    #[command(flatten)]
    pub project: super::ProjectArgs,
    #[command(flatten)]
    pub agent: super::test_agent::TestAgentArgs,
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum TestCliError {
    #[error("invalid --files glob `{glob}`: {reason}")]
    #[diagnostic(code(dash::test::glob), help("globs look like 'src/**/*.test.ts'"))]
    Glob { glob: String, reason: String },
    #[error("no test file matches --files {globs}")]
    #[diagnostic(
        code(dash::test::no_files),
        help("the globs are matched against paths relative to the project ({root})")
    )]
    NoFiles { globs: String, root: String },
}

impl crate::exit::HasExit for TestCliError {
    fn exit(&self) -> Exit {
        Exit::Usage
    }
}

pub fn run(args: &TestArgs, global: &GlobalArgs) -> miette::Result<Exit> {
    let paths = std::slice::from_ref(&args.path);
    let config = crate::config::Config::load(global.config.as_deref(), &args.path)?;
    let root = super::project_root(&config, paths);
    let root = std::fs::canonicalize(&root).unwrap_or(root);
    // A workspace root that does not run the suite itself: one run per package with tests.
    let packages = if args.files.is_empty() {
        testrun::workspaces::packages(&root)
    } else {
        None
    };
    let cwd = std::env::current_dir()
        .ok()
        .and_then(|d| std::fs::canonicalize(d).ok());
    let color = super::color_enabled(global.color, std::io::stdout().is_terminal());
    let render = |report: &TestReport, package: &Path| {
        let show = |rel: &str| display_path(&package.join(rel), cwd.as_deref());
        match args.format {
            Format::Text => report::text(report, color, global.quiet, &show),
            Format::Json => report::json(report),
            Format::Github => report::github(report, global.quiet, &show),
        }
    };
    // --agent implies --fix: the agent's repairs are candidates like the rules'.
    let fixing = args.fix || args.agent.agent.agent.is_some();
    // The model is resolved before the suite runs: a missing key is exit 2 at once.
    let mut agent = match &args.agent.agent.agent {
        Some(spec) => Some(super::test_agent::TestAgent::connect(
            &args.agent,
            spec,
            &root,
            global.quiet,
        )?),
        None => None,
    };
    let engine = if fixing {
        let rules: Vec<String> = testrun::repair::TEST_RULES
            .iter()
            .map(|r| (*r).to_owned())
            .collect();
        let selected = crate::engine::select(&config, Some(&rules))?;
        Some(crate::engine::Engine::prepare(
            &selected,
            &crate::rules::RunCx {
                config: &config,
                mode: crate::rules::Mode::Fix,
                root: &root,
                exact: false,
                console_spies: None,
            },
        )?)
    } else {
        None
    };
    let single = packages.is_none();
    let packages = packages.unwrap_or_else(|| vec![root.clone()]);
    let mut reports = Vec::new();
    // `session`: what --write writes (the agent's repairs only with --unsafe-fixes);
    // `preview`: what --fix shows (the agent's repairs always).
    let mut session = Session::new();
    session.confine([root.clone()]);
    let mut preview = session.empty_like();
    let mut agent_files: Vec<String> = Vec::new();
    let progress = Progress::new(test_progress::wanted(
        std::io::stderr().is_terminal(),
        args.format == Format::Json,
        global.quiet,
        test_progress::in_ci(std::env::var("CI").ok().as_deref()),
    ));
    for (n, package) in packages.iter().enumerate() {
        if !single {
            progress.package(
                n + 1,
                packages.len(),
                &display_path(package, cwd.as_deref()),
            );
        }
        let (report, repaired, by_agent) =
            match test_package(package, args, engine.as_ref(), agent.as_mut(), &progress) {
                Ok(done) => done,
                // In a workspace, a package whose suite cannot run (its runner missing, not
                // starting, crashing, past --timeout, writing no results) is reported and
                // fails the run; the other packages still run and are repaired.
                Err(err) if !single => match err.downcast::<testrun::TestRunError>() {
                    Ok(err) => (
                        not_run(package, args, &err, cwd.as_deref()),
                        Vec::new(),
                        Vec::new(),
                    ),
                    Err(err) => return Err(err),
                },
                Err(err) => return Err(err),
            };
        let mut rules = Vec::new();
        for file in &repaired {
            let path = package.join(&file.file);
            let edits = changed_ranges(&file.file_text.text, &file.new_text, &file.labels);
            rules.push(Proposal {
                display: display_path(&path, cwd.as_deref()),
                path,
                change: ReviewKind::Modify {
                    on_disk: None,
                    file_text: file.file_text.clone(),
                    new_text: file.new_text.clone(),
                    edits,
                },
            });
        }
        let rules_label = |rel: &str| {
            repaired
                .iter()
                .find(|r| r.file == rel)
                .map_or("dash-test", |r| match r.labels.as_slice() {
                    [one] => *one,
                    _ => "dash-test",
                })
        };
        let agents = match &agent {
            Some(agent) => super::test_agent::proposals(
                package,
                &by_agent,
                &rules_label,
                agent.label(),
                &|path| display_path(path, cwd.as_deref()),
            ),
            None => Vec::new(),
        };
        agent_files.extend(agents.iter().map(|p| p.display.clone()));
        for p in &rules {
            if !agents.iter().any(|a| a.path == p.path) {
                preview.propose(p.clone());
                if !args.unsafe_fixes {
                    session.propose(p.clone());
                }
            }
        }
        for p in &agents {
            preview.propose(p.clone());
        }
        if args.unsafe_fixes {
            for p in preview.proposals().to_vec() {
                if !session.proposals().iter().any(|q| q.path == p.path) {
                    session.propose(p);
                }
            }
        } else {
            for p in rules {
                if agents.iter().any(|a| a.path == p.path) {
                    session.propose(p);
                }
            }
        }
        reports.push(report);
    }
    progress.clear();
    let mut rendered = if single {
        render(&reports[0], &packages[0])
    } else {
        match args.format {
            Format::Json => report::json_packages(&reports),
            _ => {
                let mut text = String::new();
                for (report, package) in reports.iter().zip(&packages) {
                    if !global.quiet || !report.failures.is_empty() {
                        text.push_str(&format!(
                            "== {} ==\n",
                            display_path(package, cwd.as_deref())
                        ));
                    }
                    text.push_str(&render(report, package));
                }
                if packages.is_empty() && !global.quiet {
                    text.push_str("no package of the workspace has tests\n");
                }
                text
            }
        }
    };
    let mut exit = if reports.iter().all(|r| r.passed) {
        Exit::Clean
    } else {
        Exit::Findings
    };
    if args.write {
        // As `dash fix --write`: a file to repair with uncommitted changes is refused
        // (exit 2, nothing written), so the repair can be reviewed and undone on its own
        // and never mixes with a person's edits of the same file; git that cannot answer
        // refuses too. Other uncommitted files are part of what the proof ran on and are
        // not written: they do not refuse.
        if !args.allow_dirty {
            let files: Vec<(PathBuf, String)> = session
                .proposals()
                .iter()
                .map(|p| (p.path.clone(), p.display.clone()))
                .collect();
            super::fix::refuse_dirty_files(&files)?;
        }
        let written = session.write();
        for err in written.failed {
            eprintln!("{:?}", miette::Report::new(err));
            exit = Exit::Partial;
        }
        if let Some(err) = written.journal.error {
            eprintln!("{:?}", miette::Report::new(err));
            exit = Exit::Partial;
        }
        // An agent repair covers its failure only when written (--unsafe-fixes).
        let left = |r: &TestReport| {
            r.failures.iter().any(|f| {
                !r.repairs.iter().any(|rep| {
                    rep.kept
                        && (rep.agent.is_none() || args.unsafe_fixes)
                        && f.file.as_deref() == Some(rep.file.as_str())
                        && rep.tests.contains(&f.test)
                })
            })
        };
        if exit != Exit::Partial && !reports.iter().any(left) {
            exit = Exit::Clean;
        }
        if !global.quiet && args.format != Format::Json {
            rendered.push_str(&format!(
                "wrote {} file{}{}\n",
                written.files,
                if written.files == 1 { "" } else { "s" },
                if written.files > 0 && written.journal.ids.is_empty() {
                    " (outside git: not journaled)"
                } else if written.files > 0 {
                    " (`dash undo` restores them)"
                } else {
                    ""
                }
            ));
            if !agent_files.is_empty() && !args.unsafe_fixes {
                rendered.push_str(&format!(
                    "agent repairs in {}: {} (unsafe: not written; --unsafe-fixes writes them)\n",
                    plural(agent_files.len(), "file"),
                    agent_files.join(", ")
                ));
            }
        }
    } else if fixing && args.format == Format::Text {
        let mut shown = String::new();
        for change in preview.changes() {
            shown.push_str(&review::diff::render(&change, color));
        }
        rendered.insert_str(0, &shown);
        if !agent_files.is_empty() && !global.quiet {
            rendered.push_str(&format!(
                "agent repairs in {}: {} (unsafe: in the preview; --write --unsafe-fixes writes them)\n",
                plural(agent_files.len(), "file"),
                agent_files.join(", ")
            ));
        }
    }
    if let Some(agent) = &agent
        && agent.exit == Exit::Usage
    {
        exit = Exit::Usage;
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(rendered.as_bytes())
        .and_then(|()| stdout.flush());
    Ok(exit)
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The changed regions of `old` (line-wise), each labelled for the preview's hunks: with
/// the one repair's label, or `dash-test` when several repairs share the file.
fn changed_ranges(
    old: &str,
    new: &str,
    labels: &[&'static str],
) -> Vec<(std::ops::Range<usize>, &'static str)> {
    let label = match labels {
        [one] => *one,
        _ => "dash-test",
    };
    let diff = similar::TextDiff::from_lines(old, new);
    let starts: Vec<usize> = std::iter::once(0)
        .chain(old.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let offset = |line: usize| starts.get(line).copied().unwrap_or(old.len());
    diff.ops()
        .iter()
        .filter(|op| op.tag() != similar::DiffTag::Equal)
        .map(|op| {
            let lines = op.old_range();
            (offset(lines.start)..offset(lines.end), label)
        })
        .collect()
}

/// Runs one package's suite, classifies its failures and reruns what reruns can tell.
#[allow(clippy::type_complexity)]
fn test_package(
    root: &Path,
    args: &TestArgs,
    engine: Option<&crate::engine::Engine>,
    agent: Option<&mut super::test_agent::TestAgent>,
    progress: &Progress,
) -> miette::Result<(
    TestReport,
    Vec<testrun::prove::Repaired>,
    Vec<super::test_agent::AgentFile>,
)> {
    let wanted = match args.runner {
        RunnerChoice::Auto => None,
        RunnerChoice::Jest => Some(Kind::Jest),
        RunnerChoice::Vitest => Some(Kind::Vitest),
    };
    let runner = testrun::detect_as(root, wanted)?;
    let mut selection = Selection::default();
    if !args.files.is_empty() {
        selection.files = matching_files(root, &args.files)?;
    }
    let flags = testrun::script_flags(root, runner.kind);
    let options = RunOptions {
        timeout: args
            .timeout
            .map(|s| std::time::Duration::from_secs_f64(s.max(0.0))),
        command: args.command.clone(),
        script_args: flags.runner_args,
        node_options: flags.node_options,
        watch: progress.watch(),
        ..RunOptions::default()
    };
    progress.run(Phase::Run, runner.kind);
    let outcome = testrun::run_with(&runner, false, &selection, &options)?;
    let root_text = root.to_string_lossy().into_owned();
    let (first, mut failures) = classified(&outcome, root)?;
    let (mut file_runs, mut alone_runs) = (0, 0);
    testrun::rerun::rerun(&mut failures, args.reruns, &root_text, &mut |selection| {
        if selection.name.is_some() {
            alone_runs += 1;
            progress.run(Phase::Alone { run: alone_runs }, runner.kind);
        } else {
            file_runs += 1;
            progress.run(
                Phase::Reruns {
                    run: file_runs,
                    of: args.reruns,
                },
                runner.kind,
            );
        }
        let outcome = testrun::run_with(&runner, false, selection, &options)?;
        let (files, failures) = classified(&outcome, root)?;
        Ok(testrun::rerun::Rerun { files, failures })
    })?;
    let mut proving = Proving::new(&failures, args.reruns);
    let mut in_canary = |canary: &Path, selection: &Selection| {
        progress.run(proving.next(canary, selection), runner.kind);
        let mut runner = runner.clone();
        runner.root = canary.to_path_buf();
        let outcome = testrun::run_with(&runner, false, selection, &options)?;
        let (files, failures) = classified(&outcome, canary)?;
        Ok(testrun::rerun::Rerun { files, failures })
    };
    let mut proven = match engine {
        Some(engine) => Some(testrun::prove::prove_all(
            root,
            &failures,
            &first,
            engine,
            args.reruns,
            &mut in_canary,
        )?),
        None => None,
    };
    let mut by_agent = Vec::new();
    if let (Some(agent), Some(proven)) = (agent, proven.as_mut()) {
        let state = super::test_agent::Proven {
            repairs: &proven.repairs,
            files: proven
                .files
                .iter()
                .map(|f| (f.file.clone(), f.new_text.clone()))
                .collect(),
            suite: selection
                .files
                .iter()
                .map(|f| {
                    Path::new(f)
                        .strip_prefix(root)
                        .map_or_else(|_| f.clone(), |rel| rel.to_string_lossy().into_owned())
                })
                .collect(),
        };
        // The agent prints its own lines on standard error.
        progress.clear();
        let found = agent.repair(
            root,
            &format!("{} {}", runner.kind.package(), runner.version),
            &failures,
            &first,
            &state,
            args.reruns,
            &mut in_canary,
        )?;
        proven.repairs.extend(found.repairs);
        by_agent = found.files;
    }
    let results = &outcome.results;
    let mut report = TestReport::new(
        RunnerInfo {
            name: runner.kind.package(),
            version: runner.version.clone(),
        },
        outcome.command.clone(),
        outcome.status,
        root_text,
        Counts {
            passed: results.passed,
            failed: results.failed,
            skipped: results.skipped,
        },
        failures,
    );
    let repaired = match proven {
        Some(proven) => {
            report.repairs = proven.repairs;
            proven.files
        }
        None => Vec::new(),
    };
    Ok((report, repaired, by_agent))
}

/// The report of a workspace package whose suite could not run, with its runner when it
/// can be found.
fn not_run(
    package: &Path,
    args: &TestArgs,
    err: &testrun::TestRunError,
    cwd: Option<&Path>,
) -> TestReport {
    let wanted = match args.runner {
        RunnerChoice::Auto => None,
        RunnerChoice::Jest => Some(Kind::Jest),
        RunnerChoice::Vitest => Some(Kind::Vitest),
    };
    let runner = match testrun::detect_as(package, wanted) {
        Ok(runner) => RunnerInfo {
            name: runner.kind.package(),
            version: runner.version,
        },
        Err(_) => RunnerInfo {
            name: "none",
            version: String::new(),
        },
    };
    TestReport::not_run(
        runner,
        package.to_string_lossy().into_owned(),
        &display_path(package, cwd),
        err,
    )
}

/// Which proof a canary run belongs to, for the progress line. `prove_all` proves the
/// failing files in their sorted order, each candidate rerun up to `reruns` times (fewer
/// when it fails early); a candidate is known by the text it wrote into the canary.
struct Proving {
    files: Vec<String>,
    reruns: u32,
    file: Option<String>,
    text: Option<Vec<u8>>,
    candidate: u32,
    rerun: u32,
}

impl Proving {
    fn new(failures: &[Failure], reruns: u32) -> Proving {
        let mut files: Vec<String> = failures.iter().filter_map(|f| f.file.clone()).collect();
        files.sort_unstable();
        files.dedup();
        Proving {
            files,
            reruns: reruns.max(1),
            file: None,
            text: None,
            candidate: 0,
            rerun: 0,
        }
    }

    /// The phase of the next canary run of `selection`.
    fn next(&mut self, canary: &Path, selection: &Selection) -> Phase {
        let file = selection.files.first().map(|f| {
            Path::new(f)
                .strip_prefix(canary)
                .map_or_else(|_| f.clone(), |r| r.to_string_lossy().into_owned())
        });
        let text = selection.files.first().and_then(|f| std::fs::read(f).ok());
        if file != self.file {
            self.file = file;
            self.candidate = 0;
            self.text = None;
        }
        if text != self.text || self.rerun >= self.reruns {
            self.text = text;
            self.candidate += 1;
            self.rerun = 0;
        }
        self.rerun += 1;
        let name = self.file.clone().unwrap_or_default();
        Phase::Proving {
            file: self
                .files
                .iter()
                .position(|f| *f == name)
                .map_or(0, |i| i + 1),
            of: self.files.len(),
            name,
            candidate: self.candidate,
            rerun: self.rerun,
            reruns: self.reruns,
        }
    }
}

/// Every file and test of a run's report, and its failures classified.
fn classified(
    outcome: &testrun::Outcome,
    root: &Path,
) -> Result<(Vec<FileResult>, Vec<Failure>), testrun::TestRunError> {
    let files = testrun::results::parse_files(&outcome.report).map_err(|reason| {
        testrun::TestRunError::BadReport {
            command: outcome.command.clone(),
            what: "JSON report",
            reason,
        }
    })?;
    let root_text = root.to_string_lossy();
    let source = |rel: &str| std::fs::read_to_string(root.join(rel)).ok();
    let mut failures = classify::classify(&Input {
        root: &root_text,
        files: &files,
        text: &outcome.output,
        source: &source,
    });
    classify::ended_early(outcome.ended, &mut failures);
    Ok((files, failures))
}

/// The files under `root` (outside node_modules and hidden folders) that match a glob,
/// sorted, as absolute paths.
fn matching_files(root: &Path, globs: &[String]) -> Result<Vec<String>, TestCliError> {
    let mut builder = globset::GlobSetBuilder::new();
    for glob in globs {
        let parsed = globset::GlobBuilder::new(glob)
            .literal_separator(true)
            .build()
            .map_err(|e| TestCliError::Glob {
                glob: glob.clone(),
                reason: e.to_string(),
            })?;
        builder.add(parsed);
    }
    let set = builder.build().map_err(|e| TestCliError::Glob {
        glob: globs.join(" "),
        reason: e.to_string(),
    })?;
    let mut files: Vec<String> = ignore::WalkBuilder::new(root)
        .filter_entry(|e| e.file_name() != "node_modules")
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .filter(|e| {
            e.path()
                .strip_prefix(root)
                .is_ok_and(|rel| set.is_match(rel))
        })
        .map(|e| e.path().to_string_lossy().into_owned())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(TestCliError::NoFiles {
            globs: globs.join(" "),
            root: root.display().to_string(),
        });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testrun::classify::Class;

    fn failure(file: &str) -> Failure {
        Failure {
            file: Some(file.into()),
            test: vec!["t".into()],
            line: None,
            class: Class::Timeout,
            reason: String::new(),
            evidence: Vec::new(),
            cause: None,
            endpoint: None,
            reported_as: None,
            reruns: None,
        }
    }

    /// A candidate is known by the text it wrote into the canary: a new text (the next
    /// candidate, after one rolled back early) starts its reruns from 1.
    #[test]
    fn the_proof_phase_follows_files_candidates_and_reruns() {
        let dir = tempfile::tempdir().unwrap();
        let canary = dir.path();
        let write = |name: &str, text: &str| std::fs::write(canary.join(name), text).unwrap();
        let select = |name: &str| Selection {
            files: vec![canary.join(name).to_string_lossy().into_owned()],
            name: None,
        };
        let mut proving = Proving::new(&[failure("b.test.js"), failure("a.test.js")], 2);
        let phase = |p: Phase| match p {
            Phase::Proving {
                file,
                of,
                name,
                candidate,
                rerun,
                reruns,
            } => format!("{name} {file}/{of} c{candidate} r{rerun}/{reruns}"),
            other => format!("{other:?}"),
        };
        write("a.test.js", "one");
        assert_eq!(
            phase(proving.next(canary, &select("a.test.js"))),
            "a.test.js 1/2 c1 r1/2"
        );
        assert_eq!(
            phase(proving.next(canary, &select("a.test.js"))),
            "a.test.js 1/2 c1 r2/2"
        );
        // Rolled back at its first rerun: the next candidate's text.
        write("a.test.js", "two");
        assert_eq!(
            phase(proving.next(canary, &select("a.test.js"))),
            "a.test.js 1/2 c2 r1/2"
        );
        write("a.test.js", "three");
        assert_eq!(
            phase(proving.next(canary, &select("a.test.js"))),
            "a.test.js 1/2 c3 r1/2"
        );
        write("b.test.js", "one");
        assert_eq!(
            phase(proving.next(canary, &select("b.test.js"))),
            "b.test.js 2/2 c1 r1/2"
        );
    }
}

//! Invoking a runner: `node <runner bin> <args>` in the project's folder, with the JSON
//! reporter writing into a scratch folder (never into the project), and with coverage
//! through istanbul's json-summary reporter when asked.
//!
//! The report is always written to a file (`--outputFile`): on stdout it would be mixed
//! with whatever the tests print. The runner's own output is captured to files as well
//! (pipes could fill and block it) and only its tail is kept, for the reason of a failure.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::TestRunError;
use super::coverage::{self, FileCoverage};
use super::detect::{Kind, Runner, find_package};
use super::results::{self, Results};

/// How many lines of the runner's output a failure quotes.
const TAIL_LINES: usize = 15;

/// One run of the suite.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The command, as a user would type it in the project's folder.
    pub command: String,
    /// The runner's exit status (`None`: killed by a signal).
    pub status: Option<i32>,
    pub results: Results,
    /// Per-file line coverage, when the run measured it.
    pub coverage: Option<Vec<FileCoverage>>,
    /// The end of the runner's output (stdout, then stderr), colour codes removed.
    pub tail: String,
    /// The JSON report as written.
    pub report: String,
    /// Everything the runner printed: stdout, then stderr.
    pub output: String,
    /// Whether dash had to end the run.
    pub ended: Ended,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The runner exited on its own.
    Exited,
    /// The runner wrote its report but kept running (jest's "did not exit", a leaked
    /// server or timer): its process group was killed `grace` after the report appeared.
    Hung { grace: Duration },
    /// The run passed `--timeout`: its process group was killed.
    TimedOut { limit: Duration },
}

/// How long a runner may keep running once its report is complete. jest gives open
/// handles one second (`openHandlesTimeout`) before it prints "did not exit"; vitest's
/// `teardownTimeout` is 10 s but it only waits that long when something hangs too.
pub const GRACE: Duration = Duration::from_secs(5);

/// How a run is started and bounded.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// How long the runner may keep running after its report is written.
    pub grace: Duration,
    /// The most the whole run may take.
    pub timeout: Option<Duration>,
    /// Run through this shell command (`npm test --`), dash's arguments appended, instead
    /// of `node <runner bin>`.
    pub command: Option<String>,
    /// Arguments the project's `test` script passes the runner (`--config jest.e2e.js`),
    /// added to dash's own when dash starts the runner itself.
    pub script_args: Vec<String>,
    /// Options for `node` itself (`--experimental-vm-modules`), from the `test` script.
    pub node_options: Vec<String>,
    /// Told each new piece of the runner's output while it runs (the progress line).
    pub watch: Option<Watch>,
}

/// Receives the runner's output as it is written: the stream (0 stdout, 1 stderr) and
/// whole lines of it (the last piece, when the run ends, may lack its newline).
#[derive(Clone)]
pub struct Watch(pub std::sync::Arc<WatchFn>);

/// See [`Watch`].
pub type WatchFn = dyn Fn(usize, &str) + Send + Sync;

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Watch")
    }
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            grace: GRACE,
            timeout: None,
            command: None,
            script_args: Vec::new(),
            node_options: Vec::new(),
            watch: None,
        }
    }
}

/// Which tests a run covers: all, or some files (as the runner takes them: paths or
/// patterns) and a test-name pattern.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub files: Vec<String>,
    /// A regular expression on the describe path and title joined by spaces (`-t`).
    pub name: Option<String>,
}

/// Whether the runner can measure coverage: jest ships istanbul; vitest needs a provider
/// package installed next to it.
pub fn coverage_ready(runner: &Runner) -> Result<(), TestRunError> {
    let provider = runner.kind == Kind::Jest
        || ["@vitest/coverage-v8", "@vitest/coverage-istanbul"]
            .iter()
            .any(|p| find_package(&runner.root, p).is_some());
    if provider {
        Ok(())
    } else {
        Err(TestRunError::NoCoverageProvider {
            version: runner.version.clone(),
        })
    }
}

/// Runs the suite once, with coverage when `with_coverage`.
pub fn run(runner: &Runner, with_coverage: bool) -> Result<Outcome, TestRunError> {
    run_selected(runner, with_coverage, &Selection::default())
}

/// Runs the selected tests once.
pub fn run_selected(
    runner: &Runner,
    with_coverage: bool,
    selection: &Selection,
) -> Result<Outcome, TestRunError> {
    run_with(runner, with_coverage, selection, &RunOptions::default())
}

/// Runs the selected tests once, started and bounded as `options` say.
pub fn run_with(
    runner: &Runner,
    with_coverage: bool,
    selection: &Selection,
    options: &RunOptions,
) -> Result<Outcome, TestRunError> {
    if with_coverage {
        coverage_ready(runner)?;
    }
    let scratch = tempfile::Builder::new()
        .prefix("dash-testrun-")
        .tempdir()
        .map_err(TestRunError::Scratch)?;
    let _removed_on_interrupt = crate::interrupt::scratch(scratch.path());
    let report = scratch.path().join("results.json");
    let coverage_dir = scratch.path().join("coverage");
    let mut args = arguments(
        runner.kind,
        &runner.version,
        &report,
        with_coverage.then_some(&*coverage_dir),
    );
    // `npm test --` already runs the script with its flags.
    if options.command.is_none() {
        args.extend(options.script_args.iter().map(OsString::from));
    }
    if let Some(name) = &selection.name {
        args.push("-t".into());
        args.push(name.into());
    }
    // jest reads file arguments as regular expressions unless told they are paths.
    if runner.kind == Kind::Jest && !selection.files.is_empty() {
        args.push("--runTestsByPath".into());
    }
    args.extend(selection.files.iter().map(OsString::from));
    let command = display_command(runner, options, &args);

    let stdout =
        std::fs::File::create(scratch.path().join("stdout")).map_err(TestRunError::Scratch)?;
    let stderr =
        std::fs::File::create(scratch.path().join("stderr")).map_err(TestRunError::Scratch)?;
    let mut cmd = match &options.command {
        Some(shell) => {
            let mut line = shell.clone();
            for arg in &args {
                line.push(' ');
                line.push_str(&shell_quote(&arg.to_string_lossy()));
            }
            let mut cmd = Command::new("sh");
            cmd.arg("-c").arg(line);
            cmd
        }
        None => {
            let mut cmd = Command::new("node");
            cmd.args(&options.node_options).arg(&runner.bin).args(&args);
            cmd
        }
    };
    cmd.current_dir(&runner.root)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr);
    // Its own process group, so that a hung runner is ended with its workers.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let (child, _group) =
        crate::interrupt::spawn(&mut cmd).map_err(|err| TestRunError::CannotStart {
            command: command.clone(),
            reason: err.to_string(),
        })?;
    let (status, ended) = wait_bounded(child, &report, scratch.path(), options).map_err(|err| {
        TestRunError::CannotStart {
            command: command.clone(),
            reason: err.to_string(),
        }
    })?;
    let tail = tail(scratch.path());
    let output = ["stdout", "stderr"]
        .iter()
        .map(|name| {
            String::from_utf8_lossy(&std::fs::read(scratch.path().join(name)).unwrap_or_default())
                .into_owned()
        })
        .collect::<Vec<_>>()
        .join("\n");
    let status_text = match ended {
        Ended::Exited => status
            .code()
            .map_or_else(|| "killed by a signal".to_owned(), |c| c.to_string()),
        Ended::Hung { .. } => "killed: it did not exit after its report".to_owned(),
        Ended::TimedOut { limit } => format!(
            "killed by dash after the {} s --timeout",
            limit.as_secs_f64()
        ),
    };
    let no_report = |what: &'static str| TestRunError::NoReport {
        command: command.clone(),
        what,
        status: status_text.clone(),
        tail: if tail.is_empty() {
            String::new()
        } else {
            format!(":\n{tail}")
        },
    };
    let bad_report = |what: &'static str, reason: String| TestRunError::BadReport {
        command: command.clone(),
        what,
        reason,
    };

    let text = std::fs::read_to_string(&report).map_err(|_| no_report("JSON report"))?;
    let results = results::parse(&text).map_err(|reason| bad_report("JSON report", reason))?;
    let coverage = if with_coverage {
        let summary = coverage_dir.join("coverage-summary.json");
        let text = std::fs::read_to_string(&summary).map_err(|_| no_report("coverage summary"))?;
        Some(coverage::parse(&text).map_err(|reason| bad_report("coverage summary", reason))?)
    } else {
        None
    };
    Ok(Outcome {
        command,
        status: status.code(),
        results,
        coverage,
        tail,
        report: text,
        output,
        ended,
    })
}

/// Waits for the runner, ending its process group when it passes `options.timeout`, or
/// when it is still running `options.grace` after its report became complete JSON (the
/// report is written before jest waits on open handles).
fn wait_bounded(
    mut child: Child,
    report: &Path,
    scratch: &Path,
    options: &RunOptions,
) -> std::io::Result<(std::process::ExitStatus, Ended)> {
    let start = Instant::now();
    let mut complete_at: Option<Instant> = None;
    let mut last_size: Option<u64> = None;
    let mut poll = Duration::from_millis(20);
    let mut read = [0u64; 2];
    let mut watch = |last: bool| {
        if let Some(watch) = &options.watch {
            for (stream, name) in ["stdout", "stderr"].iter().enumerate() {
                if let Some(text) = new_output(&scratch.join(name), &mut read[stream], last) {
                    (watch.0)(stream, &text);
                }
            }
        }
    };
    loop {
        if let Some(status) = child.try_wait()? {
            watch(true);
            return Ok((status, Ended::Exited));
        }
        watch(false);
        let now = Instant::now();
        if let Some(limit) = options.timeout
            && now.duration_since(start) >= limit
        {
            return Ok((kill_group(&mut child)?, Ended::TimedOut { limit }));
        }
        match complete_at {
            Some(at) if now.duration_since(at) >= options.grace => {
                return Ok((
                    kill_group(&mut child)?,
                    Ended::Hung {
                        grace: options.grace,
                    },
                ));
            }
            Some(_) => {}
            None => {
                // Parsed only when its size changed: a report is read whole once or twice.
                let size = std::fs::metadata(report).ok().map(|m| m.len());
                if size.is_some() && size != last_size {
                    last_size = size;
                    let text = std::fs::read(report).unwrap_or_default();
                    if serde_json::from_slice::<serde::de::IgnoredAny>(&text).is_ok() {
                        complete_at = Some(now);
                    }
                }
            }
        }
        std::thread::sleep(poll);
        poll = (poll * 2).min(Duration::from_millis(200));
    }
}

/// What `file` gained since `offset` (advanced past it): whole lines only unless `last`.
fn new_output(file: &Path, offset: &mut u64, last: bool) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(file).ok()?;
    f.seek(SeekFrom::Start(*offset)).ok()?;
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes).ok()?;
    let end = if last {
        bytes.len()
    } else {
        bytes.iter().rposition(|b| *b == b'\n')? + 1
    };
    if end == 0 {
        return None;
    }
    *offset += end as u64;
    Some(String::from_utf8_lossy(&bytes[..end]).into_owned())
}

/// Kills the runner's process group (it leads its own), then reaps it.
pub(crate) fn kill_group(child: &mut Child) -> std::io::Result<std::process::ExitStatus> {
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    child.wait()
}

/// `word` quoted for `sh` when it needs to be.
pub fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The runner's arguments: the JSON reporter into `report` with each test's location,
/// coverage's json-summary into `coverage` when given. vitest also keeps its default
/// reporter, whose text has what its JSON lacks (timeouts' messages, unhandled errors;
/// test-domain.md §2.2); naming both also stops it choosing a reporter of its own.
/// vitest 2 takes `includeTaskLocation` from its configuration only.
pub fn arguments(
    kind: Kind,
    version: &str,
    report: &Path,
    coverage: Option<&Path>,
) -> Vec<OsString> {
    let flag = |name: &str, value: &Path| {
        let mut arg = OsString::from(name);
        arg.push("=");
        arg.push(value);
        arg
    };
    let mut args: Vec<OsString> = Vec::new();
    match kind {
        Kind::Jest => {
            args.push("--ci".into());
            args.push("--json".into());
            args.push(flag("--outputFile", report));
            args.push("--testLocationInResults".into());
            if let Some(dir) = coverage {
                args.push("--coverage".into());
                args.push("--coverageReporters=json-summary".into());
                args.push(flag("--coverageDirectory", dir));
            } else {
                // A project that turns coverage on in its config would pay for it on every
                // rerun and canary run, and a subset of its files misses its thresholds:
                // an exit 1 that no test caused.
                args.push("--coverage=false".into());
            }
        }
        Kind::Vitest => {
            args.push("run".into());
            args.push("--reporter=default".into());
            args.push("--reporter=json".into());
            args.push(flag("--outputFile.json", report));
            let major = version
                .split('.')
                .next()
                .and_then(|m| m.parse::<u32>().ok());
            if major.is_none_or(|m| m >= 3) {
                args.push("--includeTaskLocation".into());
            }
            if let Some(dir) = coverage {
                args.push("--coverage.enabled".into());
                args.push("--coverage.reporter=json-summary".into());
                args.push(flag("--coverage.reportsDirectory", dir));
            } else {
                args.push("--coverage.enabled=false".into());
            }
        }
    }
    args
}

/// `npx jest --json …` (or the `--command` with dash's arguments), with the scratch paths
/// shortened, for messages.
fn display_command(runner: &Runner, options: &RunOptions, args: &[OsString]) -> String {
    let mut words = match &options.command {
        Some(shell) => vec![shell.clone()],
        None => {
            let mut words = Vec::new();
            if !options.node_options.is_empty() {
                words.push(format!("NODE_OPTIONS={}", options.node_options.join(" ")));
            }
            words.extend(["npx".to_owned(), runner.kind.package().to_owned()]);
            words
        }
    };
    words.extend(args.iter().map(|a| {
        let a = a.to_string_lossy();
        match a.split_once('=') {
            Some((name, value)) if Path::new(value).is_absolute() => format!("{name}=<tmp>"),
            _ => a.into_owned(),
        }
    }));
    words.join(" ")
}

/// The last lines of what the runner printed.
fn tail(scratch: &Path) -> String {
    let mut lines: Vec<String> = Vec::new();
    for name in ["stdout", "stderr"] {
        let text = std::fs::read(scratch.join(name)).unwrap_or_default();
        let text = results::strip_ansi(&String::from_utf8_lossy(&text));
        lines.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| format!("  {}", l.trim_end())),
        );
    }
    let start = lines.len().saturating_sub(TAIL_LINES);
    lines[start..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_watched_in_whole_lines() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("stderr");
        let mut offset = 0;
        assert_eq!(new_output(&file, &mut offset, false), None);
        std::fs::write(&file, "PASS ./a.test.js\nFAIL ./b.te").unwrap();
        assert_eq!(
            new_output(&file, &mut offset, false).as_deref(),
            Some("PASS ./a.test.js\n")
        );
        assert_eq!(new_output(&file, &mut offset, false), None);
        std::fs::write(&file, "PASS ./a.test.js\nFAIL ./b.test.js\nTests:").unwrap();
        assert_eq!(
            new_output(&file, &mut offset, false).as_deref(),
            Some("FAIL ./b.test.js\n")
        );
        // When the run has ended, the rest too.
        assert_eq!(
            new_output(&file, &mut offset, true).as_deref(),
            Some("Tests:")
        );
        assert_eq!(new_output(&file, &mut offset, true), None);
    }

    #[test]
    fn reporter_flags() {
        let args = |kind, cov: Option<&Path>| {
            arguments(kind, "3.2.4", Path::new("/t/r.json"), cov)
                .into_iter()
                .map(|a| a.into_string().unwrap())
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            args(Kind::Jest, None),
            "--ci --json --outputFile=/t/r.json --testLocationInResults --coverage=false"
        );
        assert_eq!(
            args(Kind::Vitest, None),
            "run --reporter=default --reporter=json --outputFile.json=/t/r.json --includeTaskLocation --coverage.enabled=false"
        );
        assert_eq!(
            args(Kind::Jest, Some(Path::new("/t/c"))),
            "--ci --json --outputFile=/t/r.json --testLocationInResults --coverage --coverageReporters=json-summary --coverageDirectory=/t/c"
        );
        assert_eq!(
            args(Kind::Vitest, Some(Path::new("/t/c"))),
            "run --reporter=default --reporter=json --outputFile.json=/t/r.json --includeTaskLocation --coverage.enabled --coverage.reporter=json-summary --coverage.reportsDirectory=/t/c"
        );
        let vitest2 = arguments(Kind::Vitest, "2.1.9", Path::new("/t/r.json"), None);
        assert!(!vitest2.iter().any(|a| a == "--includeTaskLocation"));
    }
}

//! Runtime proof of the test-rule fixtures: every `fixtures/<rule>/<case>.toml` whose
//! `[case]` table names a `runtime` (`jest` or `vitest`) is run on real test runners,
//! once as written (`<case>.input.<ext>`) and once fixed (`<case>.output.<ext>`).
//!
//! - `runtime = "jest"` runs under jest 29 and jest 30, `runtime = "vitest"` under
//!   vitest 2, 3 and 4. The runners are npm projects pinned in `tests/runners/<name>/`;
//!   install each with `npm ci --prefix tests/runners/<name> --no-audit --no-fund`.
//!   Without them this test fails (it never skips).
//! - The file is copied into a fresh `scratch-*` folder inside the runner project (so
//!   `node_modules` resolves) under the basename of the case's `path`, which must be a
//!   name the runner collects (`*.test.js`, `*.test.mjs`, …).
//! - `before = "fail"` (the default): the input run must exit non-zero (a failing test,
//!   a suite that cannot load, or an unhandled error, which vitest reports only in its
//!   exit status). `before = "skips"`: the input run must leave some of the file's tests
//!   unrun (pending / skipped), whatever its exit status (vitest refuses `.only` when
//!   `CI` is set); the output run must then pass that many tests.
//! - The output run must exit 0 with every test of the file passed, none skipped.
//!
//! Each input runs alone (its exit status is the verdict). The outputs of one runner run
//! together in one process, each in its own folder; only when that run is not clean are
//! they run again one by one, to say which output fails. At most two runner processes run
//! at a time; each runner project handles its cases one after another (the runners keep
//! caches inside their `node_modules`). Set `DASH_RUNTIME_LOGS=<dir>` to keep every run's
//! console output there.

use std::collections::VecDeque;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const JEST_RUNNERS: &[&str] = &["jest29", "jest30"];
const VITEST_RUNNERS: &[&str] = &["vitest2", "vitest3", "vitest4"];
/// Runner processes at a time.
const PARALLEL: usize = 2;
/// A run that takes longer than this is killed and reported.
const RUN_LIMIT: Duration = Duration::from_secs(120);
/// How much of a failing run's console output goes into the report.
const TAIL_LINES: usize = 40;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Family {
    Jest,
    Vitest,
}

impl Family {
    fn runners(self) -> &'static [&'static str] {
        match self {
            Family::Jest => JEST_RUNNERS,
            Family::Vitest => VITEST_RUNNERS,
        }
    }

    fn package(self) -> &'static str {
        match self {
            Family::Jest => "jest",
            Family::Vitest => "vitest",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Before {
    Fail,
    Skips,
}

struct Case {
    /// `<rule>/<case>`
    id: String,
    input: PathBuf,
    output: PathBuf,
    family: Family,
    before: Before,
    /// The file name the runner sees (basename of the case's `path`).
    file_name: String,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every runtime case under `fixtures/`, sorted by id. Malformed cases are errors.
fn runtime_cases(errors: &mut Vec<String>) -> Vec<Case> {
    let mut cases = Vec::new();
    let fixtures = root().join("fixtures");
    for rule in std::fs::read_dir(&fixtures).expect("fixtures folder") {
        let rule = rule.unwrap().path();
        if !rule.is_dir() {
            continue;
        }
        let rule_name = rule.file_name().unwrap().to_string_lossy().into_owned();
        let entries: Vec<PathBuf> = std::fs::read_dir(&rule)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        for toml_path in entries
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        {
            let name = toml_path
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let id = format!("{rule_name}/{name}");
            let text = std::fs::read_to_string(toml_path).unwrap();
            let table: toml::Table = match text.parse() {
                Ok(t) => t,
                Err(e) => {
                    errors.push(format!("{id}.toml: {e}"));
                    continue;
                }
            };
            let Some(case) = table.get("case").and_then(|c| c.as_table()) else {
                continue;
            };
            let get = |key: &str| case.get(key).and_then(|v| v.as_str());
            let family = match get("runtime") {
                None => continue,
                Some("jest") => Family::Jest,
                Some("vitest") => Family::Vitest,
                Some(other) => {
                    errors.push(format!(
                        "{id}.toml: unknown runtime {other:?} (jest or vitest)"
                    ));
                    continue;
                }
            };
            let before = match get("before") {
                None | Some("fail") => Before::Fail,
                Some("skips") => Before::Skips,
                Some(other) => {
                    errors.push(format!(
                        "{id}.toml: unknown before {other:?} (fail or skips)"
                    ));
                    continue;
                }
            };
            let input_prefix = format!("{name}.input.");
            let Some(input) = entries.iter().find(|p| {
                p.file_name()
                    .is_some_and(|f| f.to_string_lossy().starts_with(&input_prefix))
            }) else {
                errors.push(format!("{id}: no {name}.input.<ext> next to the toml"));
                continue;
            };
            let input_file = input.file_name().unwrap().to_string_lossy().into_owned();
            let ext = &input_file[input_prefix.len()..];
            let output = rule.join(format!("{name}.output.{ext}"));
            if !output.is_file() {
                errors.push(format!(
                    "{id}: a runtime case needs {name}.output.{ext} (the fixed file)"
                ));
                continue;
            }
            let Some(path) = get("path") else {
                errors.push(format!(
                    "{id}.toml: a runtime case needs [case] path (e.g. \"test/x.test.{ext}\")"
                ));
                continue;
            };
            let file_name = Path::new(path)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if !file_name.ends_with(&format!(".{ext}"))
                || !(file_name.contains(".test.") || file_name.contains(".spec."))
            {
                errors.push(format!(
                    "{id}.toml: path {path:?} must be a *.test.{ext} or *.spec.{ext} file, \
                     so that the runner collects it"
                ));
                continue;
            }
            cases.push(Case {
                id,
                input: input.clone(),
                output,
                family,
                before,
                file_name,
            });
        }
    }
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    cases
}

/// The reason a runner project is unusable (not installed, or installed at another
/// version than its package.json pins), if it is.
fn runner_problem(runner: &str, family: Family) -> Option<String> {
    let dir = root().join("tests/runners").join(runner);
    let package = family.package();
    let install = format!("run `npm ci --prefix tests/runners/{runner} --no-audit --no-fund`");
    let read_json = |path: &Path| -> Option<serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
    };
    let Some(pinned) = read_json(&dir.join("package.json")) else {
        return Some(format!("{}: no package.json", dir.display()));
    };
    let pinned = pinned["devDependencies"][package]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let installed_manifest = dir.join("node_modules").join(package).join("package.json");
    let Some(installed) = read_json(&installed_manifest) else {
        return Some(format!(
            "runner {runner} is not installed ({} is missing): {install}",
            installed_manifest.display()
        ));
    };
    let installed = installed["version"].as_str().unwrap_or_default();
    (installed != pinned).then(|| {
        format!("runner {runner} has {package} {installed} installed, package.json pins {pinned}: {install}")
    })
}

/// What one runner process did.
struct Outcome {
    exit: Option<i32>,
    timed_out: bool,
    elapsed: Duration,
    log: String,
    /// The runner's JSON report, when it wrote one.
    report: Option<serde_json::Value>,
    /// The path each file had, relative to the scratch folder, in the order given.
    files: Vec<String>,
}

#[derive(Debug, Default, PartialEq)]
struct Counts {
    total: u64,
    passed: u64,
    failed: u64,
    /// pending / skipped / todo (tests the file defines that did not run)
    not_run: u64,
    /// `testResults[]` entries (files) whose status is not "passed"
    failed_files: u64,
    /// `testResults[]` entries counted
    files: u64,
}

/// The counts of the report's files whose path ends with `/<file>` (every file when
/// `file` is None).
fn counts(report: &serde_json::Value, file: Option<&str>) -> Counts {
    let mut c = Counts::default();
    for result in report["testResults"].as_array().into_iter().flatten() {
        let name = result["name"]
            .as_str()
            .unwrap_or_default()
            .replace('\\', "/");
        if file.is_some_and(|f| !name.ends_with(&format!("/{f}"))) {
            continue;
        }
        c.files += 1;
        if result["status"].as_str() != Some("passed") {
            c.failed_files += 1;
        }
        for test in result["assertionResults"].as_array().into_iter().flatten() {
            c.total += 1;
            match test["status"].as_str() {
                Some("passed") => c.passed += 1,
                Some("failed") => c.failed += 1,
                _ => c.not_run += 1,
            }
        }
    }
    c
}

/// Runs the runner once on `sources` (copied to `<scratch>/<i>/<file name>`, or to
/// `<scratch>/<file name>` for a single file).
fn run_files(runner: &str, family: Family, sources: &[(&Path, &str)]) -> Outcome {
    let dir = root().join("tests/runners").join(runner);
    let scratch = tempfile::Builder::new()
        .prefix("scratch-")
        .tempdir_in(&dir)
        .expect("scratch folder in the runner project");
    let rel = scratch
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let mut files = Vec::new();
    let mut args = Vec::new();
    for (i, (source, file_name)) in sources.iter().enumerate() {
        let file = if sources.len() == 1 {
            file_name.to_string()
        } else {
            format!("{i}/{file_name}")
        };
        let target = scratch.path().join(&file);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(source, &target).expect("copy the case file");
        args.push(format!("{rel}/{file}"));
        files.push(file);
    }
    let report_path = format!("{rel}/report.json");
    let mut cmd = Command::new("node");
    match family {
        Family::Jest => {
            cmd.args([
                "node_modules/jest/bin/jest.js",
                "--ci",
                "--watchman=false",
                "--rootDir",
                &rel,
                "--cacheDirectory",
                "node_modules/.cache/jest",
                "--json",
                &format!("--outputFile={report_path}"),
                "--runTestsByPath",
            ]);
            cmd.args(&args);
        }
        Family::Vitest => {
            cmd.args(["node_modules/vitest/vitest.mjs", "run"]);
            cmd.args(&args);
            cmd.args([
                "--reporter=default",
                "--reporter=json",
                &format!("--outputFile.json={report_path}"),
            ]);
        }
    }
    let log_path = scratch.path().join("console.log");
    let log = File::create(&log_path).unwrap();
    cmd.current_dir(&dir)
        .env("NO_COLOR", "1")
        .env("FORCE_COLOR", "0")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    let start = Instant::now();
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            return Outcome {
                exit: None,
                timed_out: false,
                elapsed: start.elapsed(),
                log: format!("could not start `node` (is Node.js on PATH?): {e}"),
                report: None,
                files,
            };
        }
    };
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > RUN_LIMIT {
            timed_out = true;
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    let log = String::from_utf8_lossy(&std::fs::read(&log_path).unwrap_or_default()).into_owned();
    let report = std::fs::read_to_string(scratch.path().join("report.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    Outcome {
        exit: status.code(),
        timed_out,
        elapsed,
        log,
        report,
        files,
    }
    // `scratch` is removed here.
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    let from = lines.len().saturating_sub(TAIL_LINES);
    let mut out = String::new();
    if from > 0 {
        out.push_str(&format!("    [… {from} earlier lines]\n"));
    }
    for line in &lines[from..] {
        out.push_str("    | ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn describe(outcome: &Outcome, file: Option<&str>) -> String {
    let exit = match (outcome.timed_out, outcome.exit) {
        (true, _) => format!("killed after {}s", RUN_LIMIT.as_secs()),
        (false, Some(code)) => format!("exit {code}"),
        (false, None) => "killed by a signal".to_owned(),
    };
    match &outcome.report {
        Some(report) => {
            let c = counts(report, file);
            format!(
                "{exit}, {} tests: {} passed, {} failed, {} not run",
                c.total, c.passed, c.failed, c.not_run
            )
        }
        None => format!("{exit}, no JSON report"),
    }
}

/// One runner's work: its cases, the summary lines and the problems found.
struct Job<'a> {
    runner: &'static str,
    family: Family,
    cases: Vec<&'a Case>,
    summary: Vec<String>,
    problems: Vec<String>,
}

impl Job<'_> {
    fn log(&mut self, what: &str, phase: &str, outcome: &Outcome, file: Option<&str>) {
        if let Some(dir) = std::env::var_os("DASH_RUNTIME_LOGS").map(PathBuf::from) {
            std::fs::create_dir_all(&dir).unwrap();
            let name = format!("{}-{}-{phase}.log", what.replace('/', "-"), self.runner);
            std::fs::write(dir.join(name), &outcome.log).unwrap();
        }
        self.summary.push(format!(
            "{:<8} {:<40} {:<6} {:>6.2}s  {}",
            self.runner,
            what,
            phase,
            outcome.elapsed.as_secs_f64(),
            describe(outcome, file)
        ));
    }

    fn fail(&mut self, case: &str, phase: &str, outcome: &Outcome, file: Option<&str>, why: &str) {
        self.problems.push(format!(
            "{case} on {}, {phase} ({}): {why}\n  {}\n{}",
            self.runner,
            if phase == "before" { "input" } else { "output" },
            describe(outcome, file),
            tail(&outcome.log)
        ));
    }

    fn run(&mut self) {
        let cases = self.cases.clone();
        // Before: one run per input; the tests each input defines (for "skips").
        let mut defined = Vec::new();
        for case in &cases {
            let outcome = run_files(self.runner, self.family, &[(&case.input, &case.file_name)]);
            self.log(&case.id, "before", &outcome, None);
            defined.push(outcome.report.as_ref().map(|r| counts(r, None).total));
            let why = if outcome.timed_out {
                Some("the run hung")
            } else {
                match case.before {
                    Before::Fail if outcome.exit == Some(0) => {
                        Some("expected the input to fail (non-zero exit), it passed")
                    }
                    Before::Fail => None,
                    Before::Skips => match &outcome.report {
                        None => Some("expected a JSON report with skipped tests, none was written"),
                        Some(report) => {
                            let c = counts(report, None);
                            (c.total == 0 || c.not_run == 0).then_some(
                                "expected the input to leave some of its tests unrun, all ran",
                            )
                        }
                    },
                }
            };
            if let Some(why) = why {
                self.fail(&case.id, "before", &outcome, None, why);
            }
        }

        // After: all outputs in one run; one by one only when that run is not clean.
        let sources: Vec<(&Path, &str)> = cases
            .iter()
            .map(|c| (c.output.as_path(), c.file_name.as_str()))
            .collect();
        let batch = run_files(self.runner, self.family, &sources);
        self.log(
            &format!("all {} outputs", cases.len()),
            "after",
            &batch,
            None,
        );
        let batch_clean = batch.exit == Some(0)
            && !batch.timed_out
            && cases
                .iter()
                .zip(&batch.files)
                .zip(&defined)
                .all(|((case, file), defined)| {
                    after_problem(case, &batch, Some(file), *defined).is_none()
                });
        if batch_clean {
            return;
        }
        for (case, defined) in cases.iter().zip(&defined) {
            let outcome = run_files(self.runner, self.family, &[(&case.output, &case.file_name)]);
            self.log(&case.id, "after", &outcome, None);
            if let Some(why) = after_problem(case, &outcome, None, *defined) {
                self.fail(&case.id, "after", &outcome, None, &why);
            }
        }
        if self.problems.is_empty() {
            self.fail(
                &format!("all {} outputs together", cases.len()),
                "after",
                &batch,
                None,
                "each output passes alone, but not all together",
            );
        }
    }
}

/// Why the output run of `case` (the file `file` of `outcome`, or all of it) is not a
/// clean pass; `defined` is the number of tests the input run reported.
fn after_problem(
    case: &Case,
    outcome: &Outcome,
    file: Option<&str>,
    defined: Option<u64>,
) -> Option<String> {
    if outcome.timed_out {
        return Some("the run hung".to_owned());
    }
    if outcome.exit != Some(0) {
        return Some("expected the output to pass (exit 0)".to_owned());
    }
    let Some(report) = &outcome.report else {
        return Some("no JSON report was written".to_owned());
    };
    let c = counts(report, file);
    if c.files == 0 || c.total == 0 {
        Some("the output ran no tests".to_owned())
    } else if c.passed != c.total || c.failed_files > 0 {
        Some("expected every test of the output to run and pass".to_owned())
    } else if case.before == Before::Skips && defined != Some(c.total) {
        Some(format!(
            "the output ran {} tests, the input run reported {defined:?}",
            c.total
        ))
    } else {
        None
    }
}

#[test]
fn runtime_fixtures_fail_before_and_pass_after() {
    let started = Instant::now();
    let mut failures = Vec::new();
    let cases = runtime_cases(&mut failures);
    for family in [Family::Jest, Family::Vitest] {
        if !cases.iter().any(|c| c.family == family) {
            failures.push(format!("no runtime cases for {family:?} under fixtures/"));
        }
    }

    // One job per runner project, the vitest ones (more cases) first.
    let mut jobs = VecDeque::new();
    for family in [Family::Vitest, Family::Jest] {
        let mine: Vec<&Case> = cases.iter().filter(|c| c.family == family).collect();
        if mine.is_empty() {
            continue;
        }
        for &runner in family.runners() {
            match runner_problem(runner, family) {
                Some(problem) => failures.push(problem),
                None => jobs.push_back(Job {
                    runner,
                    family,
                    cases: mine.clone(),
                    summary: Vec::new(),
                    problems: Vec::new(),
                }),
            }
        }
    }
    let queue = Mutex::new(jobs);
    let done = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL {
            scope.spawn(|| {
                loop {
                    let Some(mut job) = queue.lock().unwrap().pop_front() else {
                        break;
                    };
                    job.run();
                    done.lock().unwrap().push(job);
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap();
    done.sort_by_key(|job| job.runner);
    let mut summary = Vec::new();
    for job in done {
        summary.extend(job.summary);
        failures.extend(job.problems);
    }
    println!(
        "{} runtime case(s), {} run(s) in {:.1}s:\n{}",
        cases.len(),
        summary.len(),
        started.elapsed().as_secs_f64(),
        summary.join("\n")
    );
    assert!(
        failures.is_empty(),
        "{} runtime fixture failure(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

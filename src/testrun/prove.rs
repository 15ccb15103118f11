//! `dash test --fix`: each candidate repair ([`super::repair`]) is applied in the canary
//! ([`super::canary`]) and kept only if, on every one of the reruns of its whole file (the
//! tests in their original order), each test it targets passes and every test of the
//! file that passed before still passes; otherwise it is rolled back there and reported
//! with the reason. Candidates of one file are tried in turn on top of the ones kept.
//! The project is never touched here: the result is the proven text of each file.

use std::path::Path;

use serde::Serialize;

use super::TestRunError;
use super::canary::Canary;
use super::classify::{Class, Failure, relative};
use super::mock_repair::{self, Fault};
use super::repair::{self, Candidate};
use super::rerun::Rerun;
use super::results::FileResult;
use super::run::Selection;
use crate::edit::FileText;
use crate::engine::Engine;

/// Runs a selection in the canary (its root given) and classifies the run.
pub type ProveRunFn<'a> = dyn FnMut(&Path, &Selection) -> Result<Rerun, TestRunError> + 'a;

/// One candidate repair and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Repair {
    pub file: String,
    /// The tests it had to make pass (`[]`: the file had to load).
    pub tests: Vec<Vec<String>>,
    /// What it does ("done-callback", "timeout 5000 → 10000 ms (observed 5003 ms)").
    pub repair: String,
    pub kept: bool,
    /// For a kept repair: what the reruns showed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<String>,
    /// For one rolled back or not tried: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For the agent's repair (`dash test --agent`): the model, PROVIDER/ID. Such a
    /// repair is unsafe: written only with `--unsafe-fixes`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
}

/// A file whose proven text differs from the project's.
#[derive(Debug, Clone)]
pub struct Repaired {
    pub file: String,
    pub original: Vec<u8>,
    pub file_text: FileText,
    pub new_text: String,
    /// The labels of the kept repairs, for the preview's hunks.
    pub labels: Vec<&'static str>,
}

/// Everything `--fix` found out.
#[derive(Debug, Default)]
pub struct Outcome {
    pub repairs: Vec<Repair>,
    pub files: Vec<Repaired>,
    /// Runs made in the canary.
    pub runs: u32,
}

/// Tries every candidate for the failures of the package at `package`.
pub fn prove_all(
    package: &Path,
    failures: &[Failure],
    first: &[FileResult],
    engine: &Engine,
    reruns: u32,
    run: &mut ProveRunFn<'_>,
) -> Result<Outcome, TestRunError> {
    let reruns = reruns.max(1);
    let root = package.to_string_lossy().into_owned();
    let mut files: Vec<&str> = failures.iter().filter_map(|f| f.file.as_deref()).collect();
    files.sort_unstable();
    files.dedup();
    let mut outcome = Outcome::default();
    // Nothing any candidate could repair (only assertions, say): no canary to copy.
    if files.is_empty() || !failures.iter().any(repairable) {
        return Ok(outcome);
    }
    let canary = Canary::new(package).map_err(TestRunError::Scratch)?;
    for file in files {
        let in_file: Vec<&Failure> = failures
            .iter()
            .filter(|f| f.file.as_deref() == Some(file))
            .collect();
        if in_file.iter().any(|f| f.class == Class::Environment) {
            let tests: Vec<Vec<String>> = in_file
                .iter()
                .filter(|f| f.class != Class::Environment && repairable(f))
                .map(|f| f.test.clone())
                .collect();
            if !tests.is_empty() {
                outcome.repairs.push(Repair {
                    file: file.to_owned(),
                    tests,
                    repair: "none".into(),
                    kept: false,
                    proof: None,
                    reason: Some(
                        "an environment failure in the same file: the file is left as it is".into(),
                    ),
                    agent: None,
                });
            }
            continue;
        }
        let path = package.join(file);
        let Ok(original) = std::fs::read(&path) else {
            continue;
        };
        let Some(file_text) = FileText::from_bytes(&original) else {
            continue;
        };
        let before: Vec<Vec<String>> = first
            .iter()
            .filter(|r| relative(&root, &r.path) == file)
            .flat_map(|r| r.tests.iter())
            .filter(|t| t.status == "passed")
            .map(|t| t.path())
            .collect();
        let mut current = file_text.text.clone();
        let mut labels = Vec::new();
        // Returns why a candidate was not kept (None: kept).
        let mut attempt = |candidate: Result<Candidate, String>,
                           tests: Vec<Vec<String>>,
                           current: &mut String,
                           outcome: &mut Outcome|
         -> Result<Option<String>, TestRunError> {
            let candidate = match candidate {
                Ok(c) => c,
                Err(reason) => {
                    outcome.repairs.push(Repair {
                        file: file.to_owned(),
                        tests,
                        repair: "none".into(),
                        kept: false,
                        proof: None,
                        reason: Some(reason.clone()),
                        agent: None,
                    });
                    return Ok(Some(reason));
                }
            };
            let write = |text: &str| {
                std::fs::write(canary.root.join(file), file_text.to_bytes(text))
                    .map_err(TestRunError::Scratch)
            };
            write(&candidate.text)?;
            let verdict = prove_one(&canary, file, &tests, &before, reruns, run, outcome)?;
            let kept = verdict.is_ok();
            if kept {
                *current = candidate.text.clone();
                labels.push(candidate.label);
            } else {
                write(current)?;
            }
            let reason = verdict.as_ref().err().cloned();
            outcome.repairs.push(Repair {
                file: file.to_owned(),
                tests,
                repair: candidate.repair,
                kept,
                proof: verdict.as_ref().ok().cloned(),
                reason: verdict.err(),
                agent: None,
            });
            Ok(reason)
        };

        let targets = repair::static_targets(failures, file);
        if !targets.is_empty() {
            let candidate = repair::rules_fix(engine, &path, &current);
            attempt(candidate, targets, &mut current, &mut outcome)?;
        }
        // Run-driven mock repairs: one candidate per fault, its targets every failure of
        // the file that the fault explains.
        let mut faults: Vec<(Fault, Vec<Vec<String>>)> = Vec::new();
        for failure in &in_file {
            let message = first
                .iter()
                .filter(|r| relative(&root, &r.path) == file)
                .flat_map(|r| r.tests.iter())
                .find(|t| t.path() == failure.test)
                .map(|t| t.messages.join("\n"))
                .unwrap_or_default();
            let Some(fault) = Fault::of(failure, &message) else {
                continue;
            };
            match faults.iter_mut().find(|(f, _)| *f == fault) {
                Some((_, tests)) => tests.push(failure.test.clone()),
                None => faults.push((fault, vec![failure.test.clone()])),
            }
        }
        for (fault, tests) in faults {
            let candidate = fault.candidate(&path, &current, &mock_repair::read_disk);
            attempt(candidate, tests, &mut current, &mut outcome)?;
        }
        for failure in &in_file {
            if !timed_out(failure) {
                continue;
            }
            let observed = first
                .iter()
                .filter(|r| relative(&root, &r.path) == file)
                .flat_map(|r| r.tests.iter())
                .find(|t| t.path() == failure.test)
                .and_then(|t| t.duration);
            // A raised timeout that still times out is raised again from itself (the
            // test was stopped there, so it needs more), replacing the attempt in the
            // report; the repair names the test's own timeout and the one that held.
            let mut base = current.clone();
            let mut seen = observed;
            let mut first: Option<(u64, u64)> = None;
            for raise in 1..=repair::TIMEOUT_RAISES {
                let mut candidate = repair::timeout_fix(&path, &base, &failure.test, seen);
                let mut next = None;
                if let Ok(c) = &mut candidate {
                    let (from, to) = c.raised.unwrap_or_default();
                    match first {
                        None => first = Some((from, observed.unwrap_or(0.0).max(0.0) as u64)),
                        Some((own, observed_ms)) => {
                            c.repair = format!(
                                "timeout {own} → {to} ms (observed {observed_ms} ms; {from} ms still timed out in the canary)"
                            );
                        }
                    }
                    next = Some(c.text.clone());
                }
                let tests = vec![failure.test.clone()];
                let why = attempt(candidate, tests, &mut current, &mut outcome)?;
                match (why, next) {
                    (Some(why), Some(next))
                        if raise < repair::TIMEOUT_RAISES && still_times_out(&why) =>
                    {
                        outcome.repairs.pop();
                        base = next;
                        seen = None;
                    }
                    _ => break,
                }
            }
        }
        if current != file_text.text {
            outcome.files.push(Repaired {
                file: file.to_owned(),
                original,
                file_text: file_text.clone(),
                new_text: current,
                labels,
            });
        }
    }
    Ok(outcome)
}

/// Whether a rolled-back repair's reason is its target timing out again (the reason
/// `prove_one` gives: `"<test>" still fails (timeout: …) on rerun k of n …`).
fn still_times_out(reason: &str) -> bool {
    !reason.starts_with("it breaks a test") && reason.contains(" still fails (timeout: ")
}

/// A failure some candidate may repair: a static class, or a timeout.
fn repairable(failure: &Failure) -> bool {
    repair::static_class(failure.class) || timed_out(failure)
}

/// A timeout, also one that turned out flaky.
fn timed_out(failure: &Failure) -> bool {
    failure.class == Class::Timeout
        || (failure.class == Class::Flaky
            && failure
                .reruns
                .is_some_and(|r| r.first_class == Class::Timeout))
}

/// Runs the file `reruns` times in the canary: `Ok(proof)` when every target passed and
/// every test that passed before still passed on every run, else `Err(reason)`.
fn prove_one(
    canary: &Canary,
    file: &str,
    targets: &[Vec<String>],
    before: &[Vec<String>],
    reruns: u32,
    run: &mut ProveRunFn<'_>,
    outcome: &mut Outcome,
) -> Result<Result<String, String>, TestRunError> {
    let selection = Selection {
        files: vec![canary.root.join(file).to_string_lossy().into_owned()],
        name: None,
    };
    let of_file = |tests: &[Vec<String>]| -> Vec<TestRef> {
        tests.iter().map(|t| (file.to_owned(), t.clone())).collect()
    };
    let verdict = prove_tests(
        &canary.root,
        &selection,
        Scope::File,
        &of_file(targets),
        &of_file(before),
        &[],
        reruns,
        run,
        &mut outcome.runs,
    )?;
    Ok(verdict.result)
}

/// Every test that passed in a run of the package at `package` (its report's files), as
/// (file relative to the package, describe path and title).
pub fn passed_tests(package: &Path, files: &[FileResult]) -> Vec<TestRef> {
    let root = package.to_string_lossy();
    files
        .iter()
        .flat_map(|r| {
            let file = relative(&root, &r.path);
            r.tests
                .iter()
                .filter(|t| t.status == "passed")
                .map(move |t| (file.clone(), t.path()))
        })
        .collect()
}

/// A test to check in a rerun: its file (relative to the package) and its describe path
/// and title (`[]`: the file had to load).
pub type TestRef = (String, Vec<String>);

/// What a proof reran: one test file (its tests in their order) or the whole suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    File,
    Suite,
}

/// What [`prove_tests`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// `Ok(proof)` or `Err(why it was rolled back)`.
    pub result: Result<String, String>,
    /// For each watched test: whether it passed on every rerun (all false when the
    /// proof stopped early).
    pub watched: Vec<bool>,
}

/// Runs `selection` in the canary at `root` `reruns` times: proven when every target
/// passed and every test in `before` still passed on every run. `watch`: tests not
/// required, reported back when they passed on every run (a failure an edit repaired
/// besides its target). `runs` counts the runs made.
#[allow(clippy::too_many_arguments)]
pub fn prove_tests(
    root: &Path,
    selection: &Selection,
    scope: Scope,
    targets: &[TestRef],
    before: &[TestRef],
    watch: &[TestRef],
    reruns: u32,
    run: &mut ProveRunFn<'_>,
    runs: &mut u32,
) -> Result<Verdict, TestRunError> {
    let root_text = root.to_string_lossy().into_owned();
    let mut watched = vec![true; watch.len()];
    let named = |(file, test): &TestRef, why: &str| match scope {
        Scope::File => named(test, why),
        Scope::Suite if test.is_empty() => format!("the file {file} {why}"),
        Scope::Suite => format!("\"{}\" ({file}) {why}", test.join(" › ")),
    };
    let stop = |reason: String| Verdict {
        result: Err(reason),
        watched: vec![false; watch.len()],
    };
    for k in 1..=reruns {
        let rerun = run(root, selection)?;
        *runs += 1;
        for target in targets {
            if let Err(why) = passed(&rerun, &root_text, &target.0, &target.1) {
                return Ok(stop(format!(
                    "{} on rerun {k} of {reruns} with the repair",
                    named(target, &why)
                )));
            }
        }
        for test in before {
            if let Err(why) = passed(&rerun, &root_text, &test.0, &test.1) {
                return Ok(stop(format!(
                    "it breaks a test that passed before: {} on rerun {k} of {reruns}",
                    named(test, &why)
                )));
            }
        }
        for (ok, test) in watched.iter_mut().zip(watch) {
            *ok = *ok && passed(&rerun, &root_text, &test.0, &test.1).is_ok();
        }
    }
    let what = match scope {
        Scope::File => "its file, in the file's order",
        Scope::Suite => "the whole suite",
    };
    Ok(Verdict {
        result: Ok(format!(
            "passed {reruns} of {reruns} reruns of {what}; {} test{} that passed before still pass{}",
            before.len(),
            if before.len() == 1 { "" } else { "s" },
            if before.len() == 1 { "es" } else { "" },
        )),
        watched,
    })
}

fn named(test: &[String], why: &str) -> String {
    if test.is_empty() {
        format!("the file {why}")
    } else {
        format!("\"{}\" {why}", test.join(" › "))
    }
}

/// Whether `test` (`[]`: the file itself) passed in a rerun, else what happened.
fn passed(rerun: &Rerun, root: &str, file: &str, test: &[String]) -> Result<(), String> {
    if let Some(f) = rerun
        .failures
        .iter()
        .find(|f| f.file.as_deref() == Some(file) && (test.is_empty() || f.test == test))
    {
        return Err(format!("still fails ({}: {})", f.class.name(), f.reason));
    }
    let result = rerun
        .files
        .iter()
        .find(|r| relative(root, &r.path) == file)
        .ok_or_else(|| "did not run".to_owned())?;
    if test.is_empty() {
        return if result.failed && result.tests.is_empty() {
            Err("still cannot load".into())
        } else {
            Ok(())
        };
    }
    match result.tests.iter().find(|t| t.path() == test) {
        Some(t) if t.status == "passed" => Ok(()),
        Some(t) => Err(format!("is {}", t.status)),
        None => Err("did not run".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::still_times_out;

    #[test]
    fn only_a_target_timing_out_again_raises_again() {
        assert!(still_times_out(
            "\"sync › waits\" still fails (timeout: the test timed out after 406 ms) on rerun 1 of 3 with the repair"
        ));
        assert!(!still_times_out(
            "\"sync › waits\" still fails (assertion: an assertion failed) on rerun 1 of 3 with the repair"
        ));
        assert!(!still_times_out(
            "it breaks a test that passed before: \"b\" still fails (timeout: the test timed out after 5000 ms) on rerun 2 of 3"
        ));
        assert!(!still_times_out(
            "its timeout (60000 ms) is already at the 60000 ms cap"
        ));
    }
}

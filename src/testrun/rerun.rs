//! Reruns: the two classes one run cannot show. A test that passes on some of N reruns of
//! its file with no code change is **flaky**; a test that fails in its file on every run
//! but passes on every run alone (`-t` and its file) is **order-dependent** (`leak`:
//! state left by an earlier test of the file).
//!
//! Only the affected files and tests are rerun: first the files holding a rerunnable
//! failure, together, N times (a test that passes once is flaky, and the reruns stop as
//! soon as every target has passed once); then each test that failed every time, alone,
//! up to N times (the first failure alone ends its isolation: it fails by itself); only
//! wrong values and exceptions are isolated, not timeouts or escaped rejections.
//! Environment, suite and done-callback failures are not rerun: their cause is outside
//! the order of the tests or in the test's code.

use std::collections::BTreeMap;

use super::TestRunError;
use super::classify::{Class, Failure, RerunCounts, Tally, relative};
use super::results::FileResult;
use super::run::Selection;

/// What a rerun showed: every file and test of its report, and its classified failures
/// (a failure is placed by its stack frame, so a test the report says passed can hold an
/// escaped rejection the runner blamed on another).
#[derive(Debug, Clone, Default)]
pub struct Rerun {
    pub files: Vec<FileResult>,
    pub failures: Vec<Failure>,
}

/// Runs some tests and classifies the run.
pub type RunFn<'a> = dyn FnMut(&Selection) -> Result<Rerun, TestRunError> + 'a;

/// Whether reruns can change what a failure of this class means.
pub fn rerunnable(failure: &Failure) -> bool {
    failure.file.is_some()
        && !failure.test.is_empty()
        && matches!(
            failure.class,
            Class::Timeout | Class::Unawaited | Class::MockMisuse | Class::Assertion | Class::Error
        )
}

/// Whether a failure that fails every rerun in its file is also run alone: a leak shows
/// as a wrong value or an exception. A timeout or an escaped rejection is about the test's
/// own async work, and alone it can pass only because the run ends before the escape.
fn isolated(class: Class) -> bool {
    matches!(class, Class::MockMisuse | Class::Assertion | Class::Error)
}

/// The `-t` pattern that selects exactly the test with this describe path and title:
/// both runners match it against the names joined by spaces (vitest may prefix a space
/// for the file's own suite, so the start is a space or the beginning).
pub fn name_pattern(path: &[String]) -> String {
    format!("(^|\\s){}$", regex::escape(&path.join(" ")))
}

/// How many runs the reruns took, for the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spent {
    pub file_runs: u32,
    pub alone_runs: u32,
}

/// Reruns the rerunnable failures, reclassifying the flaky and order-dependent ones.
/// `root` is the project folder as the runner reports paths; `run` runs a selection.
pub fn rerun(
    failures: &mut [Failure],
    reruns: u32,
    root: &str,
    run: &mut RunFn<'_>,
) -> Result<Spent, TestRunError> {
    let mut spent = Spent::default();
    let targets: Vec<usize> = (0..failures.len())
        .filter(|&i| rerunnable(&failures[i]))
        .collect();
    if targets.is_empty() || reruns == 0 {
        return Ok(spent);
    }
    let mut files: Vec<String> = targets
        .iter()
        .filter_map(|&i| failures[i].file.clone())
        .collect();
    files.sort();
    files.dedup();
    let absolute = |rel: &str| format!("{}/{rel}", root.trim_end_matches('/'));

    // In their files: the first run counts as a failure.
    let mut in_file: BTreeMap<usize, Tally> = targets
        .iter()
        .map(|&i| (i, Tally { passed: 0, runs: 1 }))
        .collect();
    let selection = Selection {
        files: files.iter().map(|f| absolute(f)).collect(),
        name: None,
    };
    for _ in 0..reruns {
        let results = run(&selection)?;
        spent.file_runs += 1;
        for &i in &targets {
            let tally = in_file.get_mut(&i).expect("every target has a tally");
            tally.runs += 1;
            if status(&results, root, &failures[i]) == Some(true) {
                tally.passed += 1;
            }
        }
        if in_file.values().all(|t| t.passed > 0) {
            break;
        }
    }

    for &i in &targets {
        let tally = in_file[&i];
        let first_class = failures[i].class;
        if tally.passed > 0 {
            let failure = &mut failures[i];
            failure.class = Class::Flaky;
            failure.reason = format!(
                "passed {} of {} runs of its file with no change (first seen as {})",
                tally.passed,
                tally.runs,
                first_class.name()
            );
            failure.reruns = Some(RerunCounts {
                first_class,
                in_file: tally,
                alone: None,
            });
            continue;
        }
        if !isolated(first_class) {
            failures[i].reruns = Some(RerunCounts {
                first_class,
                in_file: tally,
                alone: None,
            });
            continue;
        }
        let file = failures[i].file.clone().unwrap_or_default();
        let selection = Selection {
            files: vec![absolute(&file)],
            name: Some(name_pattern(&failures[i].test)),
        };
        let mut alone = Tally::default();
        for _ in 0..reruns {
            let results = run(&selection)?;
            spent.alone_runs += 1;
            alone.runs += 1;
            match status(&results, root, &failures[i]) {
                Some(true) => alone.passed += 1,
                // Failed alone, or the pattern did not select it: not order-dependent.
                _ => break,
            }
        }
        let failure = &mut failures[i];
        failure.reruns = Some(RerunCounts {
            first_class,
            in_file: tally,
            alone: Some(alone),
        });
        if alone.passed == reruns {
            failure.class = Class::Leak;
            failure.reason = format!(
                "order-dependent: passes alone ({} of {} runs) and fails in its file ({} of {} runs): state left by an earlier test",
                alone.passed, alone.runs, tally.runs, tally.runs
            );
        } else if alone.passed > 0 {
            failure.class = Class::Flaky;
            failure.reason = format!(
                "passed {} of {} runs alone and failed the others, with no change (first seen as {})",
                alone.passed,
                alone.runs,
                first_class.name()
            );
        }
    }
    Ok(spent)
}

/// Whether the failure's test passed in this rerun (`None`: it did not run): it failed
/// when the rerun's classification places a failure on it, whoever the runner blamed.
fn status(rerun: &Rerun, root: &str, failure: &Failure) -> Option<bool> {
    let file = failure.file.as_deref()?;
    if rerun
        .failures
        .iter()
        .any(|f| f.file.as_deref() == Some(file) && f.test == failure.test)
    {
        return Some(false);
    }
    rerun
        .files
        .iter()
        .filter(|r| relative(root, &r.path) == file)
        .flat_map(|r| r.tests.iter())
        .find(|t| t.path() == failure.test)
        .and_then(|t| match t.status.as_str() {
            "passed" => Some(true),
            "failed" => Some(false),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testrun::results::TestResult;

    fn failure(file: &str, test: &str, class: Class) -> Failure {
        Failure {
            file: Some(file.into()),
            test: vec![test.into()],
            line: Some(1),
            class,
            reason: "an assertion failed".into(),
            evidence: Vec::new(),
            cause: None,
            endpoint: None,
            reported_as: None,
            reruns: None,
        }
    }

    fn results(tests: &[(&str, &str, bool)]) -> Rerun {
        let mut files: Vec<FileResult> = Vec::new();
        for (file, title, passed) in tests {
            let path = format!("/p/{file}");
            if !files.iter().any(|f| f.path == path) {
                files.push(FileResult {
                    path: path.clone(),
                    ..FileResult::default()
                });
            }
            let entry = files.iter_mut().find(|f| f.path == path).unwrap();
            entry.tests.push(TestResult {
                title: (*title).into(),
                status: if *passed { "passed" } else { "failed" }.into(),
                ..TestResult::default()
            });
        }
        Rerun {
            files,
            failures: Vec::new(),
        }
    }

    #[test]
    fn a_failure_placed_by_its_frame_fails_the_test_the_report_passed() {
        let mut failures = vec![failure("a.test.js", "starts", Class::Assertion)];
        rerun(&mut failures, 2, "/p", &mut |_: &Selection| {
            let mut r = results(&[("a.test.js", "starts", true), ("a.test.js", "next", false)]);
            r.failures
                .push(failure("a.test.js", "starts", Class::Unawaited));
            Ok(r)
        })
        .unwrap();
        assert_eq!(failures[0].class, Class::Assertion);
    }

    #[test]
    fn the_pattern_selects_one_test() {
        let p = name_pattern(&["a (b)".into(), "c.d".into()]);
        let re = regex::Regex::new(&p).unwrap();
        assert!(re.is_match("a (b) c.d"));
        assert!(re.is_match(" a (b) c.d"));
        assert!(!re.is_match("a (b) c.d2"));
        assert!(!re.is_match("xa (b) c.d"));
    }

    #[test]
    fn passes_alone_fails_in_file_is_a_leak() {
        let mut failures = vec![failure("a.test.js", "reads", Class::Assertion)];
        let mut calls = Vec::new();
        let spent = rerun(&mut failures, 3, "/p", &mut |s: &Selection| {
            calls.push(s.clone());
            Ok(results(&[("a.test.js", "reads", s.name.is_some())]))
        })
        .unwrap();
        assert_eq!(failures[0].class, Class::Leak);
        assert_eq!(
            spent,
            Spent {
                file_runs: 3,
                alone_runs: 3
            }
        );
        assert_eq!(calls[0].files, ["/p/a.test.js"]);
        assert_eq!(calls[3].name.as_deref(), Some("(^|\\s)reads$"));
        let counts = failures[0].reruns.unwrap();
        assert_eq!(counts.first_class, Class::Assertion);
        assert_eq!(counts.in_file, Tally { passed: 0, runs: 4 });
        assert_eq!(counts.alone, Some(Tally { passed: 3, runs: 3 }));
    }

    #[test]
    fn passing_on_a_rerun_is_flaky_and_stops_the_reruns() {
        let mut failures = vec![failure("a.test.js", "races", Class::Timeout)];
        let mut n = 0;
        let spent = rerun(&mut failures, 5, "/p", &mut |_: &Selection| {
            n += 1;
            Ok(results(&[("a.test.js", "races", n == 2)]))
        })
        .unwrap();
        assert_eq!(failures[0].class, Class::Flaky);
        assert_eq!(spent.file_runs, 2);
        assert_eq!(spent.alone_runs, 0);
        assert!(
            failures[0].reason.contains("passed 1 of 3 runs"),
            "{}",
            failures[0].reason
        );
    }

    #[test]
    fn failing_alone_keeps_the_class_and_environment_is_not_rerun() {
        let mut failures = vec![
            failure("a.test.js", "adds", Class::Assertion),
            failure("b.test.js", "connects", Class::Environment),
        ];
        let mut calls = 0;
        rerun(&mut failures, 2, "/p", &mut |_: &Selection| {
            calls += 1;
            Ok(results(&[
                ("a.test.js", "adds", false),
                ("b.test.js", "connects", true),
            ]))
        })
        .unwrap();
        assert_eq!(failures[0].class, Class::Assertion);
        assert_eq!(failures[1].class, Class::Environment);
        assert_eq!(failures[1].reruns, None);
        // Two reruns of the file, then one alone: it failed, so no second.
        assert_eq!(calls, 3);
        assert_eq!(
            failures[0].reruns.unwrap().alone,
            Some(Tally { passed: 0, runs: 1 })
        );
    }
}

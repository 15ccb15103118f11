//! A failure `dash test` could not repair by rule, as a task for the agent
//! (`dash test --fix --agent`): the test file, the describe path and title, the line,
//! the class with its reason and the output lines that decided it, and the first stack
//! frame in the project, with the lines around the test and around that frame. The
//! prompt is built from the files as the agent will read them, so what it is told and
//! what it sees agree.

use crate::testrun::classify::Failure;

/// Lines of the test file shown on each side of the test's line.
const TEST_CONTEXT: u32 = 12;
/// Lines shown on each side of the cause's line.
const CAUSE_CONTEXT: u32 = 6;

/// The system prompt of every task: what a repair may and may not do, and how it is
/// judged (the canary proof), so that the model aims at what will be kept.
pub const SYSTEM_PROMPT: &str = "You are a coding agent helping `dash test`, a tool that \
runs a JavaScript/TypeScript project's jest or vitest suite, classifies each failure and \
repairs what it can prove. Each task is one failing test that dash's own repairs could not \
fix. Use the tools to read the test, the code it exercises and anything else you need, then \
make the smallest edit that makes the test pass for the right reason: fix the code under \
test when the test states the behaviour the code evidently intends; fix the test only when \
the test itself is wrong. Never skip, delete or rename a test, never remove or weaken an \
assertion (no looser matchers, no deleted expectations), never add retries, never raise a \
global timeout, never change other tests. Paths are relative to the project root. Your \
edits are not written: dash applies them in a copy of the project and keeps them only if \
the test passes on every rerun of its file, in the file's order, and every test that passed \
before still passes (the whole suite is rerun when you edit a file other than the test \
file); a kept edit is shown to a person for review. Do not run commands. If the failure is \
not the code's or the test's fault, or you cannot tell what is intended, change nothing and \
say why. End with one sentence saying what you changed.";

/// One failure for the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureTask {
    /// The test file, relative to the project, `/`-separated.
    pub file: String,
    /// The describe path and the title; empty when the file could not run.
    pub test: Vec<String>,
    pub line: Option<u32>,
    /// The class's name (`assertion`, `error`, …).
    pub class: &'static str,
    pub reason: String,
    pub evidence: Vec<String>,
    /// The first frame in the project: file (relative), line, column.
    pub cause: Option<(String, u32, u32)>,
    /// `jest 29.7.0`.
    pub runner: String,
    /// Why dash's own repair did not apply, when one was tried.
    pub tried: Option<String>,
}

impl FailureTask {
    /// The task of a failure with a file (`None` for a problem of the whole run).
    pub fn new(failure: &Failure, runner: &str, tried: Option<String>) -> Option<FailureTask> {
        Some(FailureTask {
            file: failure.file.clone()?,
            test: failure.test.clone(),
            line: failure.line,
            class: failure.class.name(),
            reason: failure.reason.clone(),
            evidence: failure.evidence.clone(),
            cause: failure
                .cause
                .as_ref()
                .map(|c| (c.file.clone(), c.line, c.column)),
            runner: runner.to_owned(),
            tried,
        })
    }

    /// `file:line describe › title`, as progress and the report name the task.
    pub fn label(&self) -> String {
        let place = match self.line {
            Some(line) => format!("{}:{line}", self.file),
            None => self.file.clone(),
        };
        if self.test.is_empty() {
            format!("{place} (the file could not run)")
        } else {
            format!("{place} {}", self.test.join(" › "))
        }
    }

    /// The user message of the task. `read` gives a project file's text as the agent
    /// will see it (the test file and the cause's file are quoted from it).
    pub fn prompt(&self, read: &dyn Fn(&str) -> Option<String>) -> String {
        let mut out = format!("A test fails in {} ({}).\n", self.file, self.runner);
        if self.test.is_empty() {
            out.push_str("The whole file could not run.\n");
        } else {
            out.push_str(&format!("Test: {}\n", self.test.join(" › ")));
        }
        if let Some(line) = self.line {
            out.push_str(&format!("Line: {line}\n"));
        }
        out.push_str(&format!("Class: {} ({})\n", self.class, self.reason));
        if let Some(tried) = &self.tried {
            out.push_str(&format!("dash's own repair: {tried}\n"));
        }
        if !self.evidence.is_empty() {
            out.push_str("\nThe runner's output that decided the class:\n```\n");
            for line in &self.evidence {
                out.push_str(line);
                out.push('\n');
            }
            out.push_str("```\n");
        }
        if let Some((file, line, column)) = &self.cause {
            out.push_str(&format!(
                "\nThe first stack frame in the project: {file}:{line}:{column}\n"
            ));
        }
        if let Some(text) = read(&self.file) {
            let around = self.line.unwrap_or(1);
            out.push_str(&excerpt(&self.file, &text, around, TEST_CONTEXT));
        }
        if let Some((file, line, _)) = &self.cause
            && *file != self.file
            && let Some(text) = read(file)
        {
            out.push_str(&excerpt(file, &text, *line, CAUSE_CONTEXT));
        }
        out.push_str(&format!(
            "\nMake this test pass with the smallest correct edit (read the files first; \
             edit with edit_file), or change nothing and say why. The test file is {}.",
            self.file
        ));
        out
    }
}

/// Lines `line ± context` of `text`, numbered, the line itself marked.
fn excerpt(file: &str, text: &str, line: u32, context: u32) -> String {
    let first = line.saturating_sub(context).max(1);
    let last = line + context;
    let mut out = format!("\n{file} (lines {first}–{last}):\n```\n");
    for (n, l) in text.lines().enumerate() {
        let n = n as u32 + 1;
        if n < first || n > last {
            continue;
        }
        let mark = if n == line { ">" } else { " " };
        out.push_str(&format!("{mark}{n:>5} | {l}\n"));
    }
    out.push_str("```\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testrun::classify::{Class, Location};

    fn failure() -> Failure {
        Failure {
            file: Some("math.test.js".into()),
            test: vec!["math".into(), "adds".into()],
            line: Some(4),
            class: Class::Assertion,
            reason: "an assertion failed".into(),
            evidence: vec!["Expected: 3".into(), "Received: -1".into()],
            cause: Some(Location {
                file: "math.test.js".into(),
                line: 5,
                column: 24,
            }),
            endpoint: None,
            reported_as: None,
            reruns: None,
        }
    }

    #[test]
    fn the_prompt_carries_the_test_its_class_evidence_and_lines() {
        let task = FailureTask::new(&failure(), "jest 29.7.0", None).unwrap();
        assert_eq!(task.label(), "math.test.js:4 math › adds");
        let test = "const { add } = require('./src/math');\n\ndescribe('math', () => {\n  test('adds', () => {\n    expect(add(1, 2)).toBe(3);\n  });\n});\n";
        let prompt = task.prompt(&|f| (f == "math.test.js").then(|| test.to_owned()));
        assert!(
            prompt.starts_with(
                "A test fails in math.test.js (jest 29.7.0).\nTest: math › adds\nLine: 4\n\
                 Class: assertion (an assertion failed)\n"
            ),
            "{prompt}"
        );
        assert!(
            prompt.contains("```\nExpected: 3\nReceived: -1\n```\n"),
            "{prompt}"
        );
        assert!(
            prompt.contains("The first stack frame in the project: math.test.js:5:24"),
            "{prompt}"
        );
        assert!(
            prompt.contains(">    4 |   test('adds', () => {\n     5 |     expect"),
            "{prompt}"
        );
    }

    #[test]
    fn the_cause_in_another_file_is_quoted_too_and_a_run_wide_failure_is_no_task() {
        let mut f = failure();
        f.cause = Some(Location {
            file: "src/math.js".into(),
            line: 1,
            column: 1,
        });
        let task = FailureTask::new(&f, "jest 29.7.0", Some("none applies".into())).unwrap();
        let prompt = task.prompt(&|f| match f {
            "src/math.js" => Some("exports.add = (a, b) => a - b;\n".into()),
            _ => None,
        });
        assert!(
            prompt.contains("dash's own repair: none applies\n"),
            "{prompt}"
        );
        assert!(
            prompt.contains(
                "src/math.js (lines 1–7):\n```\n>    1 | exports.add = (a, b) => a - b;\n```"
            ),
            "{prompt}"
        );
        f.file = None;
        assert!(FailureTask::new(&f, "jest", None).is_none());
    }
}

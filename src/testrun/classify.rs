//! Why each test failed: every failure of a run becomes a [`Failure`] with its class, the
//! output lines that decided it, and where the cause is.
//!
//! The JSON report gives the structure (files, tests, their lines, their messages); the
//! text the runner printed gives what the JSON lacks (research/test-domain.md §2): vitest
//! 3/4 timeouts say only `STACK_TRACE_ERROR` in JSON, unhandled errors and "Cannot log
//! after tests are done" exist only as text. Classes are tried in a fixed order
//! ([`Class`]): a cause that explains the symptoms of a later class wins (a test that
//! times out because a server is down is an environment failure, not a timeout).
//!
//! Failures are attributed by stack frame, not by the title the runner blames: jest 29
//! reports a floating rejection against the *next* test of the file, and vitest names "the
//! latest test that might've caused the error". The frame inside the test file says which
//! test's body the error came from.

use std::collections::BTreeMap;

use serde::Serialize;

use super::mock_repair::{CONSTRUCTED_ARROW, MISSING_EXPORT, missing_export};
use super::results::{FileResult, TestResult, strip_ansi};
use super::run::Ended;

/// Why a test failed, in the order the classes are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// A service or build the tests need is missing: connection refused, unknown host, a
    /// database driver's connection error, a missing build under `dist`. Never a test fix.
    Environment,
    /// The file could not run: module resolution, ESM/CJS, mock hoisting.
    Suite,
    /// jest's `done` mixed with a promise or called twice; vitest's deprecated `done`.
    DoneCallback,
    /// A test or hook ran past its timeout.
    Timeout,
    /// An un-awaited assertion, a floating rejection, or async work left running after
    /// the test (logging after the tests are done).
    Unawaited,
    /// Order-dependent: passes alone, fails in its file (state leaked from an earlier test).
    Leak,
    /// A mock API used wrongly: spying on a non-function, a matcher on a non-mock, a mock
    /// factory missing an export, an arrow `vi.fn` used with `new`.
    MockMisuse,
    /// An assertion failed: a real bug, or a test that needs a human.
    Assertion,
    /// An exception that is not an assertion (a `TypeError` in the code under test).
    Error,
    /// Passed on some reruns and failed on others.
    Flaky,
}

impl Class {
    pub const ALL: [Class; 10] = [
        Class::Environment,
        Class::Suite,
        Class::DoneCallback,
        Class::Timeout,
        Class::Unawaited,
        Class::Leak,
        Class::MockMisuse,
        Class::Assertion,
        Class::Error,
        Class::Flaky,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Class::Environment => "environment",
            Class::Suite => "suite",
            Class::DoneCallback => "done-callback",
            Class::Timeout => "timeout",
            Class::Unawaited => "unawaited",
            Class::Leak => "leak",
            Class::MockMisuse => "mock-misuse",
            Class::Assertion => "assertion",
            Class::Error => "error",
            Class::Flaky => "flaky",
        }
    }
}

/// A place in a project file (path relative to the project, `/`-separated).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

/// One classified failure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    /// The test file, relative to the project; `None` for a problem of the whole run
    /// (jest did not exit).
    pub file: Option<String>,
    /// The describe path and the title; empty for a file that could not run.
    pub test: Vec<String>,
    /// The line of the test (its `test(` call), when known.
    pub line: Option<u32>,
    pub class: Class,
    /// What was recognised, in a few words.
    pub reason: String,
    /// The output lines that decided the class.
    pub evidence: Vec<String>,
    /// The first frame in a project file (the test file or the code under test).
    pub cause: Option<Location>,
    /// For environment failures: the host and port (or host) that could not be reached.
    pub endpoint: Option<String>,
    /// The test the runner blamed, when the stack frame shows another test's body.
    #[serde(rename = "reportedAs", skip_serializing_if = "Option::is_none")]
    pub reported_as: Option<Vec<String>>,
    /// What the reruns showed, when the failure was rerun (`leak`, `flaky`, or a failure
    /// that failed every rerun).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reruns: Option<RerunCounts>,
}

/// Passes out of runs: in its file (the first run included) and alone (`-t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RerunCounts {
    /// The class the first run gave, before the reruns.
    #[serde(rename = "firstClass")]
    pub first_class: Class,
    #[serde(rename = "inFile")]
    pub in_file: Tally,
    /// Absent when the test was not run alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alone: Option<Tally>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Tally {
    pub passed: u32,
    pub runs: u32,
}

/// What a classification needs to know about a run.
pub struct Input<'a> {
    /// The project folder as the runner saw it (absolute paths in the output start with it).
    pub root: &'a str,
    pub files: &'a [FileResult],
    /// stdout, then stderr.
    pub text: &'a str,
    /// A project file's text, by its path relative to the project.
    pub source: &'a dyn Fn(&str) -> Option<String>,
}

/// Every failure of the run, sorted by file, line and test.
pub fn classify(input: &Input) -> Vec<Failure> {
    let text = strip_ansi(input.text);
    let blocks = vitest_blocks(&text);
    let mut failures = Vec::new();
    for file in input.files {
        let rel = relative(input.root, &file.path);
        let spans = spans(file, &rel, input.source);
        let failed: Vec<&TestResult> = file.tests.iter().filter(|t| t.failed()).collect();
        if failed.is_empty() && file.failed {
            let mut lines: Vec<String> = file.message.lines().map(str::to_owned).collect();
            if let Some(block) = blocks.suites.get(&rel) {
                lines.extend(block.iter().cloned());
            }
            failures.push(suite_failure(input, &rel, &lines));
            continue;
        }
        for test in failed {
            let mut lines: Vec<String> = test
                .messages
                .iter()
                .flat_map(|m| m.lines().map(str::to_owned).collect::<Vec<_>>())
                .collect();
            if let Some(block) = blocks.tests.get(&(rel.clone(), test.path())) {
                lines.extend(block.iter().cloned());
            }
            failures.push(test_failure(input, &rel, test, &spans, &lines));
        }
    }
    failures.extend(unhandled_errors(input, &text));
    failures.extend(jest_text_problems(input, &text));
    environment_explains_timeouts(&mut failures);
    failures.sort_by(|a, b| {
        (&a.file, a.line, &a.test, a.class).cmp(&(&b.file, b.line, &b.test, b.class))
    });
    failures.dedup_by(|a, b| a.file == b.file && a.test == b.test && a.class == b.class);
    failures
}

/// Counts per class, in class order, classes with no failure left out.
pub fn counts(failures: &[Failure]) -> Vec<(Class, usize)> {
    Class::ALL
        .iter()
        .map(|c| (*c, failures.iter().filter(|f| f.class == *c).count()))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// A file that failed without a failed test: it could not load.
fn suite_failure(input: &Input, rel: &str, lines: &[String]) -> Failure {
    let frames = frames(input.root, lines);
    let cause = first_project_frame(&frames);
    let mut failure = Failure {
        file: Some(rel.to_owned()),
        test: Vec::new(),
        line: None,
        class: Class::Suite,
        reason: String::new(),
        evidence: Vec::new(),
        cause,
        endpoint: None,
        reported_as: None,
        reruns: None,
    };
    if let Some(verdict) = environment(lines) {
        verdict.apply(&mut failure);
    } else if let Some(verdict) = suite(lines) {
        verdict.apply(&mut failure);
    } else {
        failure.reason = "the file could not run".into();
        failure.evidence = first_lines(lines, 2);
    }
    failure
}

/// A failed test.
fn test_failure(
    input: &Input,
    rel: &str,
    test: &TestResult,
    spans: &[Span],
    lines: &[String],
) -> Failure {
    let frames = frames(input.root, lines);
    let cause = first_project_frame(&frames);
    let line = test
        .line
        .or_else(|| spans.iter().find(|s| s.path == test.path()).map(|s| s.line));
    let mut failure = Failure {
        file: Some(rel.to_owned()),
        test: test.path(),
        line,
        class: Class::Error,
        reason: String::new(),
        evidence: Vec::new(),
        cause: cause.clone(),
        endpoint: None,
        reported_as: None,
        reruns: None,
    };
    let verdict = environment(lines)
        .or_else(|| suite(lines))
        .or_else(|| done_callback(lines))
        .or_else(|| timeout(lines))
        .or_else(|| misattributed(rel, test, spans, &frames, lines, &mut failure))
        .or_else(|| unawaited_source(input, cause.as_ref(), lines))
        .or_else(|| mock_misuse(lines))
        .or_else(|| jest_partial_mock(input, rel, lines))
        .or_else(|| {
            assertion(lines)?;
            unawaited_before(input, rel, test, spans, cause.as_ref(), lines)
        })
        .or_else(|| assertion(lines))
        .unwrap_or_else(|| Verdict {
            class: Class::Error,
            reason: "an exception that is not an assertion".into(),
            evidence: first_lines(lines, 1),
            endpoint: None,
        });
    verdict.apply(&mut failure);
    failure
}

/// A class with what decided it.
struct Verdict {
    class: Class,
    reason: String,
    evidence: Vec<String>,
    endpoint: Option<String>,
}

impl Verdict {
    fn new(class: Class, reason: impl Into<String>, evidence: Vec<String>) -> Verdict {
        Verdict {
            class,
            reason: reason.into(),
            evidence,
            endpoint: None,
        }
    }

    fn apply(self, failure: &mut Failure) {
        failure.class = self.class;
        failure.reason = self.reason;
        failure.evidence = self.evidence;
        failure.endpoint = self.endpoint;
    }
}

/// The first line containing any of `needles`, trimmed.
fn find<'a>(lines: &'a [String], needles: &[&str]) -> Option<&'a str> {
    lines
        .iter()
        .map(|l| l.trim())
        .find(|l| needles.iter().any(|n| l.contains(n)))
}

fn first_lines(lines: &[String], n: usize) -> Vec<String> {
    lines
        .iter()
        .map(|l| l.trim().trim_start_matches('●').trim())
        .filter(|l| !l.is_empty() && *l != "Test suite failed to run")
        .take(n)
        .map(str::to_owned)
        .collect()
}

/// Network errors, database drivers' connection errors, a build missing under `dist`.
fn environment(lines: &[String]) -> Option<Verdict> {
    const NETWORK: [(&str, &str); 6] = [
        ("ECONNREFUSED", "connection refused"),
        ("ENOTFOUND", "host not found"),
        ("EAI_AGAIN", "host name lookup failed (EAI_AGAIN)"),
        ("ECONNRESET", "connection reset"),
        ("ETIMEDOUT", "connection timed out"),
        ("socket hang up", "socket hang up"),
    ];
    for (code, reason) in NETWORK {
        if let Some(line) = find(lines, &[code]) {
            let endpoint = line
                .split(code)
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .map(|t| t.trim_matches(|c: char| matches!(c, '\'' | '"' | ',' | ')' | '(')))
                .filter(|t| !t.is_empty() && t.chars().any(|c| c.is_ascii_alphanumeric()))
                .map(str::to_owned);
            let reason = match &endpoint {
                Some(at) => format!("{reason}: {at}"),
                None => reason.to_owned(),
            };
            return Some(Verdict {
                endpoint,
                ..Verdict::new(Class::Environment, reason, vec![line.to_owned()])
            });
        }
    }
    const DATABASE: [&str; 9] = [
        "MongoNetworkError",
        "MongoServerSelectionError",
        "SequelizeConnectionRefusedError",
        "SequelizeConnectionError",
        "Connection terminated unexpectedly",
        "Can't reach database server at",
        "ER_ACCESS_DENIED_ERROR",
        "password authentication failed for user",
        "Redis connection to",
    ];
    if let Some(line) = find(lines, &DATABASE) {
        return Some(Verdict::new(
            Class::Environment,
            "the database cannot be reached",
            vec![line.to_owned()],
        ));
    }
    let missing = lines.iter().map(|l| l.trim()).find(|l| {
        (l.contains("Cannot find module")
            || l.contains("ERR_MODULE_NOT_FOUND")
            || l.contains("Failed to load url"))
            && module_specifier(l).is_some_and(|m| m.split(['/', '\\']).any(|s| s == "dist"))
    })?;
    Some(Verdict::new(
        Class::Environment,
        format!(
            "the build is missing: {} (run the project's build first)",
            module_specifier(missing).unwrap_or_default()
        ),
        vec![missing.to_owned()],
    ))
}

/// The first quoted (or, for vitest 2, unquoted) module named in a resolution error.
fn module_specifier(line: &str) -> Option<String> {
    if let Some(rest) = line.split("Failed to load url ").nth(1) {
        return rest.split_whitespace().next().map(str::to_owned);
    }
    let start = line.find(['\'', '"'])?;
    let quote = line[start..].chars().next()?;
    let rest = &line[start + 1..];
    rest.find(quote).map(|end| rest[..end].to_owned())
}

/// A file that cannot load: module resolution, ESM/CJS, mock hoisting.
fn suite(lines: &[String]) -> Option<Verdict> {
    const HOISTING: [&str; 3] = [
        "is not allowed to reference any out-of-scope variables",
        "There was an error when mocking a module",
        "Cannot mock \"",
    ];
    if let Some(line) = find(lines, &HOISTING) {
        let mut evidence = vec![line.to_owned()];
        evidence.extend(
            find(lines, &["Invalid variable access", "before initialization"]).map(str::to_owned),
        );
        return Some(Verdict::new(
            Class::Suite,
            "mock hoisting: the mock factory uses a variable that is not initialised yet",
            evidence,
        ));
    }
    const ESM: [&str; 7] = [
        "Cannot use import statement outside a module",
        "Must use import to load ES Module",
        "Unexpected token 'export'",
        "Jest encountered an unexpected token",
        "ERR_REQUIRE_ESM",
        "require() of ES Module",
        "Cannot use 'import.meta' outside a module",
    ];
    if let Some(line) = find(lines, &ESM) {
        let mut evidence = vec![line.to_owned()];
        if let Some(detail) = find(
            lines,
            &[
                "Cannot use import statement outside a module",
                "Unexpected token",
            ],
        ) && detail != line
        {
            evidence.push(detail.to_owned());
        }
        return Some(Verdict::new(
            Class::Suite,
            "ESM/CJS: ES module syntax loaded as CommonJS (or the reverse)",
            evidence,
        ));
    }
    const RESOLUTION: [&str; 4] = [
        "Cannot find module",
        "Failed to load url",
        "ERR_MODULE_NOT_FOUND",
        "error TS2307",
    ];
    let line = find(lines, &RESOLUTION)?;
    Some(Verdict::new(
        Class::Suite,
        match module_specifier(line) {
            Some(m) => format!("module resolution: {m} cannot be found"),
            None => "module resolution".into(),
        },
        vec![line.to_owned()],
    ))
}

fn done_callback(lines: &[String]) -> Option<Verdict> {
    const DONE: [(&str, &str); 4] = [
        (
            "cannot both take a 'done' callback and return something",
            "takes `done` and returns a promise",
        ),
        (
            "Expected done to be called once, but it was called multiple times",
            "`done` called more than once",
        ),
        (
            "done() callback is deprecated",
            "vitest has no `done` callback",
        ),
        (
            "while waiting for `done()` to be called",
            "`done` never called",
        ),
    ];
    DONE.iter().find_map(|(needle, reason)| {
        find(lines, &[needle])
            .map(|line| Verdict::new(Class::DoneCallback, *reason, vec![line.to_owned()]))
    })
}

fn timeout(lines: &[String]) -> Option<Verdict> {
    let line = find(
        lines,
        &[
            "Exceeded timeout of",
            "Test timed out in",
            "Hook timed out in",
        ],
    )?;
    let hook = line.contains("for a hook") || line.contains("Hook timed out");
    let ms = ["timeout of ", "timed out in "]
        .iter()
        .find_map(|m| line.split(m).nth(1))
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .unwrap_or_default();
    let what = if hook { "a hook" } else { "the test" };
    Some(Verdict::new(
        Class::Timeout,
        if ms.is_empty() {
            format!("{what} timed out")
        } else {
            format!("{what} timed out after {ms} ms")
        },
        vec![
            line.trim_start_matches("thrown: ")
                .trim_matches('"')
                .to_owned(),
        ],
    ))
}

/// jest 29's misattribution: the error's frame in the test file lies in another (earlier)
/// test's body and no frame lies in the blamed test's body, so the error escaped from that
/// other test after it had passed (a floating rejection, an un-awaited `.rejects`).
fn misattributed(
    rel: &str,
    test: &TestResult,
    spans: &[Span],
    frames: &[Location],
    lines: &[String],
    failure: &mut Failure,
) -> Option<Verdict> {
    let own = span_of(spans, &test.path())?;
    let in_file: Vec<&Location> = frames.iter().filter(|f| f.file == rel).collect();
    let first = in_file.first()?;
    if in_file.iter().any(|f| own.contains(f.line)) {
        return None;
    }
    let origin = spans.iter().rev().find(|s| s.line <= first.line)?;
    if origin.path == own.path || origin.line > own.line {
        return None;
    }
    failure.reported_as = Some(test.path());
    failure.test = origin.path.clone();
    failure.line = Some(origin.line);
    failure.cause = Some((*first).clone());
    Some(Verdict::new(
        Class::Unawaited,
        format!(
            "escaped from \"{}\" after it finished (stack frame {}:{}); the runner reported it against \"{}\"",
            origin.path.join(" › "),
            first.file,
            first.line,
            test.path().join(" › ")
        ),
        first_lines(lines, 1),
    ))
}

/// The cause line is a promise nobody waits for: `Promise.reject(...)`, or an
/// `expect(...).resolves/.rejects` assertion, neither awaited nor returned.
fn unawaited_source(input: &Input, cause: Option<&Location>, lines: &[String]) -> Option<Verdict> {
    let cause = cause?;
    let text = (input.source)(&cause.file)?;
    let code = text
        .lines()
        .nth(cause.line.checked_sub(1)? as usize)?
        .trim();
    let waited = ["await ", "return ", "throw ", "yield "]
        .iter()
        .any(|w| code.starts_with(w) || code.contains(&format!("= {w}")))
        || code.starts_with("=>");
    let floating = code.contains("Promise.reject(");
    let assertion = code.contains(".rejects.") || code.contains(".resolves.");
    if waited || !(floating || assertion) {
        return None;
    }
    let mut evidence = first_lines(lines, 1);
    evidence.push(format!("{}:{}: {code}", cause.file, cause.line));
    if let Some(warning) = find(lines, &["was not awaited"]) {
        evidence.push(warning.to_owned());
    }
    Some(Verdict::new(
        Class::Unawaited,
        if assertion {
            "an assertion on a promise that is not awaited"
        } else {
            "a rejected promise nobody awaits"
        },
        evidence,
    ))
}

/// An assertion failed in the test file after an `expect(...).resolves/.rejects` earlier in
/// the same test that is neither awaited nor returned: the test went on before that promise
/// settled, so what the failing assertion reads may not have happened yet (`await result`
/// replaced by an un-awaited `.resolves`). Awaiting it is the candidate; the canary proves it.
fn unawaited_before(
    input: &Input,
    rel: &str,
    test: &TestResult,
    spans: &[Span],
    cause: Option<&Location>,
    lines: &[String],
) -> Option<Verdict> {
    let cause = cause.filter(|c| c.file == rel)?;
    let own = span_of(spans, &test.path())?;
    if !own.contains(cause.line) {
        return None;
    }
    let text = (input.source)(rel)?;
    let (line, code) = unawaited_line(&text, own.line, cause.line)?;
    let mut evidence = first_lines(lines, 1);
    evidence.push(format!("{rel}:{line}: {code}"));
    Some(Verdict::new(
        Class::Unawaited,
        format!(
            "an assertion failed at line {} after an assertion on a promise that is not awaited (line {line}): the test went on before it settled",
            cause.line
        ),
        evidence,
    ))
}

/// The first line in `from..to` (1-based, `to` excluded) that starts an
/// `expect(...).resolves/.rejects` statement that is not awaited or returned.
fn unawaited_line(text: &str, from: u32, to: u32) -> Option<(u32, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i as u32 + 1, l.trim()))
        .filter(|(n, _)| *n >= from && *n < to)
        .find(|(_, code)| {
            code.starts_with("expect(")
                && (code.contains(".resolves.") || code.contains(".rejects."))
        })
}

fn mock_misuse(lines: &[String]) -> Option<Verdict> {
    const MOCK: [(&str, &str); 11] = [
        (
            "property because it is not a function",
            "spying on a property that is not a function",
        ),
        (
            "cannot spy on a non-function value",
            "spying on a property that is not a function",
        ),
        (
            "can only spy on a function",
            "spying on a property that is not a function",
        ),
        (
            "does not exist in the provided object",
            "spying on a property that does not exist",
        ),
        (
            "is not defined on the object",
            "spying on a property that does not exist",
        ),
        (
            "Cannot use spyOn on a primitive value",
            "spying on something that is not an object",
        ),
        (
            "could not find an object to spy upon",
            "spying on something that is not an object",
        ),
        (
            "received value must be a mock or spy function",
            "a mock matcher on a function that is not a mock",
        ),
        (
            "is not a spy or a call to a spy",
            "a mock matcher on a function that is not a mock",
        ),
        ("export is defined on the", MISSING_EXPORT),
        (
            "The vi.fn() mock did not use 'function' or 'class'",
            CONSTRUCTED_ARROW,
        ),
    ];
    if let Some(v) = MOCK.iter().find_map(|(needle, reason)| {
        find(lines, &[needle])
            .map(|line| Verdict::new(Class::MockMisuse, *reason, vec![line.to_owned()]))
    }) {
        return Some(v);
    }
    // vitest 4: `TypeError: () => ({ ... }) is not a constructor`: an arrow
    // implementation given to `vi.fn` and called with `new`.
    let line = lines
        .iter()
        .map(|l| l.trim())
        .find(|l| l.contains("is not a constructor") && l.contains("=>"))?;
    Some(Verdict::new(
        Class::MockMisuse,
        CONSTRUCTED_ARROW,
        vec![line.to_owned()],
    ))
}

/// jest's `TypeError: bye is not a function` (or `(0 , _greet.bye)`, `greet.bye`) when a
/// `jest.mock` factory of the test file returns an object without `bye` and the actual
/// module exports it: a partial mock. Without that factory it is an ordinary error.
fn jest_partial_mock(input: &Input, rel: &str, lines: &[String]) -> Option<Verdict> {
    let message = lines.join("\n");
    let (export, _) = missing_export(&message).filter(|(_, module)| module.is_none())?;
    let text = (input.source)(rel)?;
    let read = |path: &std::path::Path| (input.source)(&path.to_string_lossy());
    if !super::mock_repair::jest_partial_mock(std::path::Path::new(rel), &text, &export, &read) {
        return None;
    }
    let line = find(lines, &[" is not a function"])?;
    Some(Verdict::new(
        Class::MockMisuse,
        MISSING_EXPORT,
        vec![line.to_owned()],
    ))
}

fn assertion(lines: &[String]) -> Option<Verdict> {
    let line = find(
        lines,
        &[
            "AssertionError",
            "expect(received)",
            "expect(jest.fn())",
            "JestAssertionError",
            "toMatchSnapshot",
            "toMatchInlineSnapshot",
        ],
    )
    .or_else(|| {
        {
            // jest's diff without a matcher line (custom matchers).
            lines.iter().any(|l| l.trim().starts_with("Expected:"))
                && lines.iter().any(|l| l.trim().starts_with("Received:"))
        }
        .then(|| find(lines, &["Expected:"]))
        .flatten()
    })?;
    let mut evidence = vec![line.to_owned()];
    for prefix in ["Expected:", "Received:"] {
        if let Some(l) = lines
            .iter()
            .map(|l| l.trim())
            .find(|l| l.starts_with(prefix))
            && l != line
        {
            evidence.push(l.to_owned());
        }
    }
    Some(Verdict::new(
        Class::Assertion,
        "an assertion failed",
        evidence,
    ))
}

/// A timeout in a file whose output shows an environment failure is that failure's
/// symptom (test-domain.md §1.1): never a reason to raise a timeout.
fn environment_explains_timeouts(failures: &mut [Failure]) {
    let mut by_file: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
    for f in failures.iter().filter(|f| f.class == Class::Environment) {
        if let Some(file) = &f.file {
            by_file
                .entry(file.clone())
                .or_insert_with(|| (f.evidence.join(" "), f.endpoint.clone()));
        }
    }
    for f in failures.iter_mut().filter(|f| f.class == Class::Timeout) {
        let Some((evidence, endpoint)) = f.file.as_ref().and_then(|file| by_file.get(file)) else {
            continue;
        };
        f.class = Class::Environment;
        f.reason = format!(
            "{}, and the same file shows an environment failure",
            f.reason
        );
        f.evidence.push(evidence.clone());
        f.endpoint.clone_from(endpoint);
    }
}

// ---- locations -------------------------------------------------------------------------

/// A test's line and describe path; its body runs to the next test's line.
#[derive(Debug, Clone)]
struct Span {
    line: u32,
    path: Vec<String>,
    /// The next test's line, if any.
    end: Option<u32>,
}

impl Span {
    fn contains(&self, line: u32) -> bool {
        line >= self.line && self.end.is_none_or(|end| line < end)
    }
}

fn span_of<'a>(spans: &'a [Span], path: &[String]) -> Option<&'a Span> {
    spans.iter().find(|s| s.path == path)
}

/// The tests of a file in line order: the runner's locations, else the line where the
/// title first appears as a string literal after its describe titles (jest 30 gives no
/// location for timed-out tests, vitest 2 none at all).
fn spans(file: &FileResult, rel: &str, source: &dyn Fn(&str) -> Option<String>) -> Vec<Span> {
    let text = source(rel);
    let mut spans: Vec<Span> = file
        .tests
        .iter()
        .filter_map(|t| {
            let line = t
                .line
                .or_else(|| text.as_deref().and_then(|s| find_title(s, t)))?;
            Some(Span {
                line,
                path: t.path(),
                end: None,
            })
        })
        .collect();
    spans.sort_by_key(|s| s.line);
    let starts: Vec<u32> = spans.iter().map(|s| s.line).collect();
    for (i, span) in spans.iter_mut().enumerate() {
        span.end = starts[i + 1..].iter().copied().find(|l| *l > span.line);
    }
    spans
}

/// The line of `test.title` as a string literal, after the lines of its describe titles.
fn find_title(source: &str, test: &TestResult) -> Option<u32> {
    let mut from = 0usize;
    let lines: Vec<&str> = source.lines().collect();
    for title in test.path() {
        let quoted = ['\'', '"', '`'].map(|q| format!("{q}{title}{q}"));
        let at = lines[from..]
            .iter()
            .position(|l| quoted.iter().any(|q| l.contains(q.as_str())))?;
        from += at;
    }
    u32::try_from(from + 1).ok()
}

/// The project-relative form of a path the runner printed (absolute, `file://`, or
/// relative to the project).
pub fn relative(root: &str, path: &str) -> String {
    let path = path.strip_prefix("file://").unwrap_or(path);
    let root = root.trim_end_matches('/');
    let rel = path
        .strip_prefix(root)
        .map(|p| p.trim_start_matches('/'))
        .unwrap_or(path);
    rel.replace('\\', "/")
}

/// Stack frames in output lines: `at f (PATH:L:C)`, `at PATH:L:C`, vitest's `❯ [f] PATH:L:C`.
/// Frames outside the project (node internals, node_modules) are dropped.
fn frames(root: &str, lines: &[String]) -> Vec<Location> {
    let mut found = Vec::new();
    for line in lines {
        let line = line.trim();
        let rest = if let Some(rest) = line.strip_prefix("at ") {
            rest
        } else if let Some(rest) = line.strip_prefix('❯') {
            rest.trim()
        } else {
            continue;
        };
        let target = match (rest.rfind('('), rest.ends_with(')')) {
            (Some(open), true) => &rest[open + 1..rest.len() - 1],
            _ => rest.rsplit(' ').next().unwrap_or(rest),
        };
        let mut parts = target.rsplitn(3, ':');
        let (Some(column), Some(number), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let (Ok(line_no), Ok(column)) = (number.parse::<u32>(), column.parse::<u32>()) else {
            continue;
        };
        if path.starts_with("node:") || path.contains("node_modules") || path.contains('<') {
            continue;
        }
        let path = path.strip_prefix("file://").unwrap_or(path);
        let absolute = path.starts_with('/');
        if absolute && !path.starts_with(root.trim_end_matches('/')) {
            continue;
        }
        let rel = relative(root, path);
        if rel.starts_with("../") {
            continue;
        }
        found.push(Location {
            file: rel.trim_start_matches("./").to_owned(),
            line: line_no,
            column,
        });
    }
    found
}

fn first_project_frame(frames: &[Location]) -> Option<Location> {
    frames.first().cloned()
}

// ---- what exists only as text ----------------------------------------------------------

/// vitest's "Failed Tests" and "Failed Suites" sections: the lines under each ` FAIL `
/// header, by file and test path (suites by file).
#[derive(Default)]
struct Blocks {
    tests: BTreeMap<(String, Vec<String>), Vec<String>>,
    suites: BTreeMap<String, Vec<String>>,
}

fn vitest_blocks(text: &str) -> Blocks {
    let mut blocks = Blocks::default();
    let mut current: Option<(String, Option<Vec<String>>)> = None;
    let mut lines: Vec<String> = Vec::new();
    let mut flush = |current: &mut Option<(String, Option<Vec<String>>)>,
                     lines: &mut Vec<String>| {
        if let Some((file, test)) = current.take() {
            let taken = std::mem::take(lines);
            match test {
                Some(path) => blocks.tests.entry((file, path)).or_default().extend(taken),
                None => blocks.suites.entry(file).or_default().extend(taken),
            }
        }
        lines.clear();
    };
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(header) = trimmed.strip_prefix("FAIL ") {
            flush(&mut current, &mut lines);
            let header = without_project(header.trim());
            if let Some((file, _)) = header.split_once(" [ ") {
                current = Some((file.trim().to_owned(), None));
            } else {
                let mut parts = header.split(" > ");
                let file = parts.next().unwrap_or("");
                // vitest 4 with task locations: `file.test.js:5:1`.
                let file = strip_location(file);
                current = Some((file.to_owned(), Some(parts.map(str::to_owned).collect())));
            }
        } else if trimmed.starts_with('⎯') {
            flush(&mut current, &mut lines);
        } else if current.is_some() {
            lines.push(line.to_owned());
        }
    }
    flush(&mut current, &mut lines);
    blocks
}

/// A vitest `projects` run labels each header with its project: `|unit| a.test.js > t`
/// without colours, a badge (` unit ` on a coloured background, `unit  a.test.js > t` once
/// the colours are stripped) with them → `a.test.js > t`.
fn without_project(header: &str) -> &str {
    if let Some((_, rest)) = header
        .strip_prefix('|')
        .and_then(|rest| rest.split_once("| "))
    {
        return rest.trim_start();
    }
    match header.split_once("  ") {
        Some((label, rest)) if !label.contains([' ', '/', '\\']) && !rest.trim().is_empty() => {
            rest.trim_start()
        }
        _ => header,
    }
}

/// `a.test.js:5:1` → `a.test.js`.
fn strip_location(file: &str) -> &str {
    let mut end = file;
    for _ in 0..2 {
        match end.rsplit_once(':') {
            Some((head, tail)) if tail.chars().all(|c| c.is_ascii_digit()) && !tail.is_empty() => {
                end = head
            }
            _ => break,
        }
    }
    end
}

/// vitest's "Unhandled Errors": each error, attributed to the test whose body holds its
/// first frame in the test file (vitest's own "latest test" guess is the fallback).
fn unhandled_errors(input: &Input, text: &str) -> Vec<Failure> {
    let mut out = Vec::new();
    let mut block: Option<Vec<String>> = None;
    let mut finish = |block: Vec<String>| {
        let origin = block.iter().find_map(|l| {
            l.split("This error originated in \"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .map(str::to_owned)
        });
        let latest = block.iter().find_map(|l| {
            l.split("The latest test that might've caused the error is \"")
                .nth(1)
                .and_then(|r| r.rsplit_once("\". ").map(|(t, _)| t.to_owned()))
        });
        let frames = frames(input.root, &block);
        let file = origin
            .clone()
            .or_else(|| frames.first().map(|f| f.file.clone()));
        let result = file.as_ref().and_then(|f| {
            input
                .files
                .iter()
                .find(|r| relative(input.root, &r.path) == *f)
        });
        let spans = match (result, &file) {
            (Some(result), Some(f)) => spans(result, f, input.source),
            _ => Vec::new(),
        };
        let in_file = frames
            .iter()
            .find(|l| Some(&l.file) == file.as_ref())
            .cloned();
        let by_frame = in_file
            .as_ref()
            .and_then(|at| spans.iter().rev().find(|s| s.line <= at.line));
        let (test, line) = match by_frame {
            Some(span) => (span.path.clone(), Some(span.line)),
            None => match &latest {
                Some(title) => {
                    let span = spans
                        .iter()
                        .find(|s| s.path.join(" > ") == *title || s.path.last() == Some(title));
                    (
                        span.map_or_else(|| vec![title.clone()], |s| s.path.clone()),
                        span.map(|s| s.line),
                    )
                }
                None => (Vec::new(), None),
            },
        };
        let reported_as = latest.as_ref().and_then(|title| {
            (by_frame.is_some() && test.last() != Some(title) && test.join(" > ") != *title)
                .then(|| vec![title.clone()])
        });
        let body: Vec<String> = block
            .iter()
            .filter(|l| !l.trim().starts_with('❯') && !l.trim().is_empty())
            .cloned()
            .collect();
        let mut failure = Failure {
            file: file.clone(),
            test,
            line,
            class: Class::Unawaited,
            reason: String::new(),
            evidence: Vec::new(),
            cause: in_file.or_else(|| frames.first().cloned()),
            endpoint: None,
            reported_as,
            reruns: None,
        };
        if let Some(verdict) = environment(&body) {
            verdict.apply(&mut failure);
        } else {
            let kind = block
                .first()
                .map(|l| l.trim().to_owned())
                .unwrap_or_default();
            failure.reason = format!(
                "an unhandled error after the test ({})",
                kind.to_lowercase()
            );
            failure.evidence = first_lines(&body[1.min(body.len())..], 1);
        }
        out.push(failure);
    };
    // The blocks are recognised by their own titles: vitest 2 prints the "Unhandled
    // Errors" heading on stdout and the blocks under it on stderr.
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('⎯') {
            let title = trimmed.trim_matches('⎯').trim();
            if let Some(done) = block.take() {
                finish(done);
            }
            if title.starts_with("Unhandled Rejection")
                || title.starts_with("Unhandled Error ")
                || title == "Unhandled Error"
            {
                block = Some(vec![title.to_owned()]);
            }
            continue;
        }
        if let Some(block) = block.as_mut() {
            block.push(line.to_owned());
        }
    }
    if let Some(done) = block.take() {
        finish(done);
    }
    out
}

/// jest's texts with no place in its JSON: logging after the tests are done (attributed
/// to the test whose body holds the frame), and a process that does not exit.
fn jest_text_problems(input: &Input, text: &str) -> Vec<Failure> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.contains("Cannot log after tests are done") {
            let block: Vec<String> = lines[i..]
                .iter()
                .take(40)
                .enumerate()
                .take_while(|(j, l)| *j == 0 || !l.contains("Cannot log after tests are done"))
                .map(|(_, l)| l.to_string())
                .collect();
            let frames = frames(input.root, &block);
            let cause = frames.first().cloned();
            let result = cause.as_ref().and_then(|c| {
                input
                    .files
                    .iter()
                    .find(|r| relative(input.root, &r.path) == c.file)
            });
            let span = match (result, &cause) {
                (Some(r), Some(c)) => spans(r, &c.file, input.source)
                    .into_iter()
                    .rev()
                    .find(|s| s.line <= c.line),
                _ => None,
            };
            let mut evidence = vec![line.trim().trim_start_matches('●').trim().to_owned()];
            evidence.extend(
                block
                    .iter()
                    .map(|l| l.trim())
                    .find(|l| l.starts_with("Attempted to log"))
                    .map(str::to_owned),
            );
            out.push(Failure {
                file: cause.as_ref().map(|c| c.file.clone()),
                test: span.as_ref().map(|s| s.path.clone()).unwrap_or_default(),
                line: span.as_ref().map(|s| s.line),
                class: Class::Unawaited,
                reason: "logs after the tests are done: async work left running".into(),
                evidence,
                cause,
                endpoint: None,
                reported_as: None,
                reruns: None,
            });
        } else if line.contains("Jest did not exit") {
            out.push(Failure {
                file: None,
                test: Vec::new(),
                line: None,
                class: Class::Unawaited,
                reason: "the run did not exit: open handles left by the tests".into(),
                evidence: vec![line.trim().to_owned()],
                cause: None,
                endpoint: None,
                reported_as: None,
                reruns: None,
            });
        }
    }
    out
}

/// A run dash had to end: a failure of the whole run, in place of jest's own "did not
/// exit" line (kept as evidence), since that line alone cannot say the run was killed.
pub fn ended_early(ended: Ended, failures: &mut Vec<Failure>) {
    let (class, reason) = match ended {
        Ended::Exited => return,
        Ended::Hung { grace } => (
            Class::Unawaited,
            format!(
                "the runner did not exit {} s after writing its results: async work or open handles left by the tests; dash killed it",
                grace.as_secs_f64()
            ),
        ),
        Ended::TimedOut { limit } => (
            Class::Timeout,
            format!(
                "the run passed the {} s --timeout; dash killed it",
                limit.as_secs_f64()
            ),
        ),
    };
    let mut evidence = Vec::new();
    failures.retain(|f| {
        let whole_run = f.file.is_none() && f.class == Class::Unawaited;
        if whole_run {
            evidence.extend(f.evidence.iter().cloned());
        }
        !whole_run
    });
    failures.push(Failure {
        file: None,
        test: Vec::new(),
        line: None,
        class,
        reason,
        evidence,
        cause: None,
        endpoint: None,
        reported_as: None,
        reruns: None,
    });
    failures.sort_by(|a, b| {
        (&a.file, a.line, &a.test, a.class).cmp(&(&b.file, b.line, &b.test, b.class))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/testrun")
    }

    /// The classification of a recorded run (tests/testrun_record.sh), with the case's
    /// sources as the project.
    fn recorded(runner: &str, case: &str) -> Vec<Failure> {
        let dir = fixtures().join(runner);
        let json = std::fs::read_to_string(dir.join(format!("{case}.json"))).unwrap();
        let text = std::fs::read_to_string(dir.join(format!("{case}.txt"))).unwrap();
        let files = crate::testrun::results::parse_files(&json)
            .unwrap_or_else(|e| panic!("{runner}/{case}.json: {e}"));
        let kind = runner.trim_end_matches(|c: char| c.is_ascii_digit());
        let sources = fixtures().join("cases").join(kind).join(case);
        let source = move |rel: &str| std::fs::read_to_string(sources.join(rel)).ok();
        classify(&Input {
            root: "/project",
            files: &files,
            text: &text,
            source: &source,
        })
    }

    /// `file|test path|class` for each failure.
    fn summary(failures: &[Failure]) -> Vec<String> {
        failures
            .iter()
            .map(|f| {
                format!(
                    "{}|{}|{}",
                    f.file.as_deref().unwrap_or("-"),
                    f.test.join(" > "),
                    f.class.name()
                )
            })
            .collect()
    }

    const RUNNERS: [&str; 5] = ["jest29", "jest30", "vitest2", "vitest3", "vitest4"];

    /// What each recorded case must classify as, on every runner that has the case.
    fn expected(runner: &str, case: &str) -> Vec<&'static str> {
        let jest = runner.starts_with("jest");
        match case {
            "environment" => vec!["api.test.js|api > fetches the user|environment"],
            "missing-build" => vec!["cli.test.js||environment"],
            "suite-resolution" => vec!["app.test.js||suite"],
            "suite-esm" => vec!["esm.test.js||suite"],
            "suite-hoisting" => vec!["hoist.test.js||suite"],
            "done-callback" => vec!["done.test.js|loads the config|done-callback"],
            "timeout" => vec!["slow.test.js|sync > waits for the queue|timeout"],
            "timeout-hook" => vec!["hook.test.js|after a slow hook|timeout"],
            "unhandled" => vec!["job.test.js|starts the job|unawaited"],
            "unawaited-assertion" => vec!["reject.test.js|rejects bad input|unawaited"],
            "mock-spy-non-function" => vec!["spy.test.js|spies on a value|mock-misuse"],
            "mock-matcher" => vec!["matcher.test.js|checks a call|mock-misuse"],
            // An arrow `vi.fn` works with `new` before vitest 4.
            "mock-constructor" if runner == "vitest4" => {
                vec!["client.test.js|builds a client|mock-misuse"]
            }
            // jest 29 and 30 too: their mock calls the arrow (measured).
            "mock-constructor" => vec![],
            // vitest names the export and the module; jest says only `bye is not a
            // function`, which the test file's jest.mock factory and the module's exports
            // explain.
            "mock-partial" => vec!["greet.test.js|greets|mock-misuse"],
            "assertion" => vec!["math.test.js|math > add > adds two numbers|assertion"],
            "error" => vec!["parse.test.js|parses the header|error"],
            // Order-dependent only once reruns show it passes alone; from one run, the
            // assertion it is.
            "leak" => vec!["clock.test.js|reads the real clock|assertion"],
            "log-after" if jest => vec!["late.test.js|schedules a log|unawaited"],
            other => panic!("{runner}: no expectation for the case {other}"),
        }
    }

    fn cases(runner: &str) -> Vec<String> {
        let mut cases: Vec<String> = std::fs::read_dir(fixtures().join(runner))
            .unwrap_or_else(|e| panic!("{runner}: {e} (record with tests/testrun_record.sh)"))
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                name.strip_suffix(".json").map(str::to_owned)
            })
            .collect();
        cases.sort();
        cases
    }

    #[test]
    fn every_recorded_case_is_classified() {
        for runner in RUNNERS {
            let kind = runner.trim_end_matches(|c: char| c.is_ascii_digit());
            let mut recorded_cases = cases(runner);
            let mut sources: Vec<String> = std::fs::read_dir(fixtures().join("cases").join(kind))
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            sources.sort();
            recorded_cases.sort();
            assert_eq!(recorded_cases, sources, "{runner}: re-record the fixtures");
            for case in recorded_cases {
                let failures = recorded(runner, &case);
                assert_eq!(
                    summary(&failures),
                    expected(runner, &case),
                    "{runner}/{case}: {failures:#?}"
                );
                for f in &failures {
                    assert!(!f.evidence.is_empty(), "{runner}/{case}: no evidence");
                    assert!(!f.reason.is_empty(), "{runner}/{case}: no reason");
                }
            }
        }
    }

    #[test]
    fn environment_names_the_endpoint() {
        for runner in RUNNERS {
            let f = &recorded(runner, "environment")[0];
            assert_eq!(f.endpoint.as_deref(), Some("127.0.0.1:1"), "{runner}");
            assert_eq!(f.evidence, ["Error: connect ECONNREFUSED 127.0.0.1:1"]);
            assert!(f.line.is_some(), "{runner}");
            let f = &recorded(runner, "missing-build")[0];
            assert!(f.reason.contains("../dist/index.js"), "{runner}: {f:?}");
        }
    }

    #[test]
    fn floating_rejections_are_attributed_by_stack_frame() {
        // jest 29 blames the next test, vitest names "the latest test": the frame in the
        // test file is inside "starts the job".
        for runner in ["jest29", "vitest2", "vitest3", "vitest4"] {
            let f = &recorded(runner, "unhandled")[0];
            assert_eq!(
                f.reported_as.as_deref(),
                Some(&["an innocent bystander".to_owned()][..]),
                "{runner}"
            );
            let cause = f.cause.as_ref().unwrap();
            assert_eq!(cause.file, "job.test.js");
            assert_eq!(cause.line, if runner == "jest29" { 2 } else { 4 });
        }
        let f = &recorded("jest29", "unawaited-assertion")[0];
        assert_eq!(
            f.reported_as.as_deref(),
            Some(&["a later test".to_owned()][..])
        );
        // jest 30 blames the right test; the source line shows the floating promise.
        let f = &recorded("jest30", "unhandled")[0];
        assert_eq!(f.reported_as, None);
        assert!(f.evidence[1].contains("Promise.reject("), "{f:?}");
    }

    #[test]
    fn the_cause_is_the_first_project_frame() {
        for runner in RUNNERS {
            let f = &recorded(runner, "error")[0];
            let cause = f.cause.as_ref().unwrap();
            assert_eq!(
                (cause.file.as_str(), cause.line),
                ("src/parse.js", 2),
                "{runner}"
            );
            let f = &recorded(runner, "assertion")[0];
            let cause = f.cause.as_ref().unwrap();
            let line = if runner.starts_with("jest") { 6 } else { 7 };
            assert_eq!(
                (cause.file.as_str(), cause.line),
                ("math.test.js", line),
                "{runner}"
            );
            assert_eq!(f.line, Some(line - 1), "{runner}");
        }
    }

    #[test]
    fn timeouts_read_from_the_text_when_the_json_lost_them() {
        for runner in ["vitest3", "vitest4"] {
            let json =
                std::fs::read_to_string(fixtures().join(runner).join("timeout.json")).unwrap();
            assert!(json.contains("STACK_TRACE_ERROR"), "{runner}");
            let f = &recorded(runner, "timeout")[0];
            assert_eq!(f.evidence, ["Error: Test timed out in 100ms."], "{runner}");
            assert_eq!(f.reason, "the test timed out after 100 ms");
        }
    }

    fn failure(class: Class, file: &str, evidence: &str) -> Failure {
        Failure {
            file: Some(file.into()),
            test: vec!["t".into()],
            line: Some(1),
            class,
            reason: "r".into(),
            evidence: vec![evidence.into()],
            cause: None,
            endpoint: Some("db:5432".into()).filter(|_| class == Class::Environment),
            reported_as: None,
            reruns: None,
        }
    }

    #[test]
    fn an_environment_failure_explains_the_timeouts_of_its_file() {
        let mut failures = vec![
            failure(
                Class::Environment,
                "a.test.js",
                "connect ECONNREFUSED db:5432",
            ),
            failure(Class::Timeout, "a.test.js", "Exceeded timeout of 5000 ms"),
            failure(Class::Timeout, "b.test.js", "Exceeded timeout of 5000 ms"),
        ];
        environment_explains_timeouts(&mut failures);
        assert_eq!(failures[1].class, Class::Environment);
        assert_eq!(failures[1].endpoint.as_deref(), Some("db:5432"));
        assert_eq!(failures[2].class, Class::Timeout);
    }

    #[test]
    fn a_partial_mock_names_the_export_on_every_runner() {
        for runner in RUNNERS {
            let f = &recorded(runner, "mock-partial")[0];
            assert_eq!(f.reason, MISSING_EXPORT, "{runner}");
            let evidence = if runner.starts_with("jest") {
                "TypeError: bye is not a function"
            } else {
                "Error: [vitest] No \"bye\" export is defined on the \"./src/greet\" mock. Did you forget to return it from \"vi.mock\"?"
            };
            assert_eq!(f.evidence, [evidence], "{runner}");
        }
        let f = &recorded("vitest4", "mock-constructor")[0];
        assert_eq!(f.reason, CONSTRUCTED_ARROW);
    }

    #[test]
    fn messages_without_a_recording() {
        let lines = |s: &str| s.lines().map(str::to_owned).collect::<Vec<_>>();
        let env = environment(&lines(
            "TypeError: fetch failed\n  cause: getaddrinfo ENOTFOUND smee.io",
        ))
        .unwrap();
        assert_eq!(env.endpoint.as_deref(), Some("smee.io"));
        let env = environment(&lines(
            "MongoServerSelectionError: connect ECONNREFUSED ::1:27017",
        ))
        .unwrap();
        assert_eq!(env.endpoint.as_deref(), Some("::1:27017"));
        let env = environment(&lines("MongoNetworkError: failed to connect to server")).unwrap();
        assert_eq!(env.class, Class::Environment);
        assert!(environment(&lines("Error: socket hang up")).is_some());
        assert!(environment(&lines("Cannot find module './lib/x' from 'a.test.js'")).is_none());
        let done = done_callback(&lines(
            "thrown: \"Exceeded timeout of 5000 ms for a test while waiting for `done()` to be called.",
        ))
        .unwrap();
        assert_eq!(done.class, Class::DoneCallback);
        assert!(
            done_callback(&lines(
                "Expected done to be called once, but it was called multiple times."
            ))
            .is_some()
        );
        let t = timeout(&lines("thrown: \"Exceeded timeout of 5000 ms for a test.")).unwrap();
        assert_eq!(t.reason, "the test timed out after 5000 ms");
        for message in [
            "Property `missing` does not exist in the provided object",
            "The property \"missing\" is not defined on the object.",
            "Cannot use spyOn on a primitive value; undefined given",
            "[vitest] No \"bye\" export is defined on the \"./src/greet\" mock. Did you forget to return it from \"vi.mock\"?",
        ] {
            assert_eq!(
                mock_misuse(&lines(message)).unwrap().class,
                Class::MockMisuse,
                "{message}"
            );
        }
        assert!(mock_misuse(&lines("TypeError: Client is not a constructor")).is_none());
        let esm = suite(&lines(
            "Error [ERR_REQUIRE_ESM]: require() of ES Module /p/node_modules/x/index.js",
        ))
        .unwrap();
        assert!(esm.reason.starts_with("ESM/CJS"));
        assert!(
            suite(&lines(
                "src/a.ts:1:1 - error TS2307: Cannot find module '@x/y'"
            ))
            .is_some()
        );
    }

    #[test]
    fn vitest_project_labels_are_not_part_of_the_file() {
        let text = " FAIL  |unit| test/unit/diff.spec.js:15:3 > getDiffCommand > uses the diff\nError: Test timed out in 100ms.\n⎯⎯⎯⎯\n FAIL  |e2e| test/e2e/a.test.js [ test/e2e/a.test.js ]\nError: Cannot find module 'x'\n";
        let blocks = vitest_blocks(text);
        let key = (
            "test/unit/diff.spec.js".to_owned(),
            vec!["getDiffCommand".to_owned(), "uses the diff".to_owned()],
        );
        assert_eq!(
            blocks.tests.get(&key).map(Vec::as_slice),
            Some(&["Error: Test timed out in 100ms.".to_owned()][..])
        );
        assert!(
            blocks.suites.contains_key("test/e2e/a.test.js"),
            "{:?}",
            blocks.suites
        );
        assert_eq!(without_project("a.test.js > t"), "a.test.js > t");
        assert_eq!(
            without_project("unit  test/unit/diff.spec.js:15:5 > getDiffCommand > t"),
            "test/unit/diff.spec.js:15:5 > getDiffCommand > t"
        );
        assert_eq!(
            without_project("a.test.js > two  spaces in a title"),
            "a.test.js > two  spaces in a title"
        );
    }

    #[test]
    fn an_unawaited_resolves_before_a_failed_assertion_is_found() {
        let text = "test('hooks', async () => {\n  const result = program.parseAsync([]);\n  expect(result).resolves.toBe(program);\n  expect(calls).toEqual(['before']);\n});\n\ntest('awaited', async () => {\n  await expect(p).resolves.toBe(1);\n  return expect(q).rejects.toThrow();\n  expect(calls).toEqual([]);\n});\n";
        assert_eq!(
            unawaited_line(text, 1, 4),
            Some((3, "expect(result).resolves.toBe(program);"))
        );
        // only lines before the failing one, within the range
        assert_eq!(unawaited_line(text, 1, 3), None);
        assert_eq!(unawaited_line(text, 4, 6), None);
        // awaited and returned assertions are not candidates
        assert_eq!(unawaited_line(text, 7, 10), None);
    }

    #[test]
    fn counts_follow_the_class_order() {
        let failures = vec![
            failure(Class::Assertion, "a", "x"),
            failure(Class::Environment, "b", "ECONNREFUSED"),
            failure(Class::Assertion, "c", "x"),
        ];
        assert_eq!(
            counts(&failures),
            vec![(Class::Environment, 1), (Class::Assertion, 2)]
        );
    }
}

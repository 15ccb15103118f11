//! The JSON reports of jest (`--json --outputFile F`) and vitest (`--reporter=json
//! --outputFile F`), read for their counts.
//!
//! The two are shaped alike (vitest copied jest's), with differences that matter here: a
//! test file that cannot even load (a syntax error, a missing module) has no failed test
//! in either, only a failed `testResults[]` entry with no assertions and a `message`; so a
//! file that failed to run counts as a failure of its own, or a suite that cannot load
//! would pass a "no failing tests" gate.

use serde::Serialize;

/// What a run's report says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Results {
    pub passed: u64,
    /// Failed tests.
    pub failed: u64,
    /// Skipped and todo tests.
    pub skipped: u64,
    /// Test files that failed without a failed test: they could not run.
    #[serde(rename = "brokenFiles")]
    pub broken_files: Vec<BrokenFile>,
    /// The runner's own verdict.
    pub success: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenFile {
    /// As the runner wrote it (absolute).
    pub path: String,
    /// The first line of the runner's message.
    pub message: String,
}

impl Results {
    /// Failed tests plus files that could not run.
    pub fn failures(&self) -> u64 {
        self.failed + self.broken_files.len() as u64
    }
}

/// Parses either runner's report.
pub fn parse(text: &str) -> Result<Results, String> {
    let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let count = |key: &str| -> Result<u64, String> {
        match doc.get(key) {
            Some(v) => v.as_u64().ok_or_else(|| format!("`{key}` is not a count")),
            None => Ok(0),
        }
    };
    if doc.get("numTotalTests").is_none() || doc.get("testResults").is_none() {
        return Err("no `numTotalTests` or `testResults`: not a jest/vitest JSON report".into());
    }
    let mut broken_files = Vec::new();
    for file in doc["testResults"].as_array().into_iter().flatten() {
        let failed_file = file["status"].as_str() == Some("failed");
        let failed_test = file["assertionResults"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|a| a["status"].as_str() == Some("failed"));
        if failed_file && !failed_test {
            let message = file["message"].as_str().unwrap_or("");
            broken_files.push(BrokenFile {
                path: file["name"].as_str().unwrap_or("").to_owned(),
                message: first_line(message),
            });
        }
    }
    broken_files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Results {
        passed: count("numPassedTests")?,
        failed: count("numFailedTests")?,
        skipped: count("numPendingTests")? + count("numTodoTests")?,
        broken_files,
        success: doc["success"].as_bool().unwrap_or(false),
    })
}

/// One test file of a report, with every test in it, for classifying failures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileResult {
    /// As the runner wrote it (absolute).
    pub path: String,
    /// Whether the runner says the file failed.
    pub failed: bool,
    /// The file's own message (a file that could not run), colour codes removed.
    pub message: String,
    pub tests: Vec<TestResult>,
}

/// One test of a report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TestResult {
    /// The enclosing `describe` titles, outermost first.
    pub ancestors: Vec<String>,
    pub title: String,
    /// `passed`, `failed`, `pending`/`skipped`, `todo`.
    pub status: String,
    /// Milliseconds, when the runner measured it.
    pub duration: Option<f64>,
    /// The failure messages with their stacks, colour codes removed.
    pub messages: Vec<String>,
    /// The line of the `test(`/`it(` call (jest `--testLocationInResults`, vitest
    /// `--includeTaskLocation`); absent for jest's timed-out tests.
    pub line: Option<u32>,
}

impl TestResult {
    pub fn failed(&self) -> bool {
        self.status == "failed"
    }

    /// The describe path and the title.
    pub fn path(&self) -> Vec<String> {
        let mut path = self.ancestors.clone();
        path.push(self.title.clone());
        path
    }
}

/// Every file and test of either runner's report, in the report's order.
pub fn parse_files(text: &str) -> Result<Vec<FileResult>, String> {
    let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let files = doc["testResults"]
        .as_array()
        .ok_or("no `testResults`: not a jest/vitest JSON report")?;
    let text_of = |v: &serde_json::Value| strip_ansi(v.as_str().unwrap_or(""));
    Ok(files
        .iter()
        .map(|file| FileResult {
            path: file["name"].as_str().unwrap_or("").to_owned(),
            failed: file["status"].as_str() == Some("failed"),
            message: text_of(&file["message"]),
            tests: file["assertionResults"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|test| TestResult {
                    ancestors: test["ancestorTitles"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|t| t.as_str().map(str::to_owned))
                        .collect(),
                    title: test["title"].as_str().unwrap_or("").to_owned(),
                    status: test["status"].as_str().unwrap_or("").to_owned(),
                    duration: test["duration"].as_f64(),
                    messages: test["failureMessages"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(text_of)
                        .collect(),
                    line: test["location"]["line"]
                        .as_u64()
                        .and_then(|l| u32::try_from(l).ok()),
                })
                .collect(),
        })
        .collect())
}

/// The first line that says something (jest starts messages with blank lines and `●`).
fn first_line(message: &str) -> String {
    let plain = strip_ansi(message);
    plain
        .lines()
        .map(|l| l.trim().trim_start_matches('●').trim())
        .find(|l| !l.is_empty() && *l != "Test suite failed to run")
        .unwrap_or("")
        .to_owned()
}

/// Removes terminal colour codes (jest colours its messages even in JSON).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trimmed from a jest 29 run: one failed test, one passed, one file that cannot load.
    const JEST: &str = r#"{"numFailedTestSuites":2,"numFailedTests":1,"numPassedTestSuites":0,
      "numPassedTests":1,"numPendingTestSuites":0,"numPendingTests":1,"numRuntimeErrorTestSuites":1,
      "numTodoTests":0,"numTotalTestSuites":2,"numTotalTests":3,"success":false,
      "testResults":[
        {"assertionResults":[{"status":"passed","title":"a"},{"status":"failed","title":"b"},{"status":"pending","title":"c"}],
         "message":"  ● b\n\n expect(received)","name":"/p/a.test.js","status":"failed"},
        {"assertionResults":[],"message":"  \u001b[1m● \u001b[22mTest suite failed to run\n\n    Cannot find module './nope' from 'b.test.js'\n","name":"/p/b.test.js","status":"failed"}
      ]}"#;

    /// Trimmed from a vitest 3 run: the same shape without runtime-error counts.
    const VITEST: &str = r#"{"numTotalTestSuites":1,"numPassedTestSuites":1,"numFailedTestSuites":0,
      "numPendingTestSuites":0,"numTotalTests":2,"numPassedTests":1,"numFailedTests":0,
      "numPendingTests":0,"numTodoTests":1,"success":true,
      "testResults":[{"assertionResults":[{"status":"passed"},{"status":"todo"}],"status":"passed","message":"","name":"/p/a.test.ts"}]}"#;

    #[test]
    fn jest_counts_and_broken_files() {
        let r = parse(JEST).unwrap();
        assert_eq!((r.passed, r.failed, r.skipped), (1, 1, 1));
        assert_eq!(
            r.broken_files,
            vec![BrokenFile {
                path: "/p/b.test.js".into(),
                message: "Cannot find module './nope' from 'b.test.js'".into(),
            }]
        );
        assert_eq!(r.failures(), 2);
        assert!(!r.success);
    }

    #[test]
    fn vitest_counts() {
        let r = parse(VITEST).unwrap();
        assert_eq!((r.passed, r.failed, r.skipped, r.failures()), (1, 0, 1, 0));
        assert!(r.success);
    }

    #[test]
    fn other_json_is_an_error() {
        assert!(parse("{}").is_err());
        assert!(parse("not json").is_err());
        assert!(parse(r#"{"numTotalTests":"x","testResults":[],"numFailedTests":"x"}"#).is_err());
    }
}

//! Candidate repairs for classified failures (`dash test --fix`). A candidate is a new
//! text for one test file and the tests it must make pass; nothing here runs or writes
//! (the canary proves, `review::Session` writes).
//!
//! Two sources:
//! - the static test rules (await-async-expect, done-callback, restore-spies,
//!   mock-factory-hoisting), through the engine's fix driver as `dash fix` runs them, on
//!   the failing files only. restore-spies' hook is also the repair of a confirmed `leak`.
//! - run-driven: a test that timed out gets its own timeout raised from what the run
//!   observed: max(2 × observed, 2 × current), capped at 60 s; a numeric third argument
//!   is replaced, a missing one added; an expression or vitest's options-object form is
//!   left (the reason is reported).
//!
//! Never: `.skip`, retries, a raised global timeout, a touched assertion. A file with an
//! environment failure is left whole: its failures are not the tests' fault.

use std::path::Path;

use tree_sitter::Node;

use super::classify::{Class, Failure};
use crate::engine::Engine;
use crate::engine::fix::{FixOptions, fix_file};
use crate::rules::FileCx;
use crate::rules::testing::{callback, callee_root, is_each, is_test_call};
use crate::syntax::{self, Lang};
use crate::workspace::Category;

/// The static rules a test repair may use.
pub const TEST_RULES: [&str; 4] = [
    "await-async-expect",
    "done-callback",
    "mock-factory-hoisting",
    "restore-spies",
];

/// A per-test timeout is never raised past this.
pub const TIMEOUT_CAP_MS: u64 = 60_000;

/// What jest and vitest use when neither the test nor the configuration says.
pub const DEFAULT_TIMEOUT_MS: u64 = 5_000;

/// The classes a static rule can repair (a file that cannot load: mock hoisting).
pub fn static_class(class: Class) -> bool {
    matches!(
        class,
        Class::Suite | Class::DoneCallback | Class::Unawaited | Class::Leak | Class::MockMisuse
    )
}

/// One candidate repair of one file.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The new text of the file.
    pub text: String,
    /// What it does, for the report: "done-callback" or "timeout 5000 → 10000 ms".
    pub repair: String,
    /// The label of its edits in the preview's hunks.
    pub label: &'static str,
    /// A raised timeout: (the test's timeout before, after), in ms.
    pub raised: Option<(u64, u64)>,
}

/// The static rules' fix of a test file's `text` (at `path`, which decides its grammar
/// and where imports point), or why there is none (a rule's judgement, with its reason).
pub fn rules_fix(engine: &Engine, path: &Path, text: &str) -> Result<Candidate, String> {
    let lang = Lang::from_path(path).ok_or("not a JavaScript or TypeScript file")?;
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let cx = FileCx {
        path,
        lang,
        category: Category::Tests,
        text,
        newline,
    };
    let fix = fix_file(&cx, &engine.fix_candidates(&cx), &FixOptions::default());
    if let Some(refusal) = &fix.refused {
        return Err(format!("the test rules' fix was refused: {refusal}"));
    }
    if !fix.changed(text) {
        let judgements: Vec<String> = fix
            .judgements
            .iter()
            .chain(&fix.unfixed)
            .map(|r| match &r.reason {
                Some(reason) => format!("{} (line {}): {reason}", r.rule, r.position.line),
                None => format!("{} (line {})", r.rule, r.position.line),
            })
            .collect();
        return Err(if judgements.is_empty() {
            "no static test rule applies to the file".to_owned()
        } else {
            format!("left for a person: {}", judgements.join("; "))
        });
    }
    let mut rules: Vec<&'static str> = fix.fixed.iter().map(|r| r.rule).collect();
    rules.sort_unstable();
    rules.dedup();
    Ok(Candidate {
        text: fix.new_text,
        repair: rules.join(", "),
        label: rules.first().copied().unwrap_or("dash-test"),
        raised: None,
    })
}

/// The failing tests a file's static fix must make pass.
pub fn static_targets(failures: &[Failure], file: &str) -> Vec<Vec<String>> {
    failures
        .iter()
        .filter(|f| f.file.as_deref() == Some(file) && static_class(f.class))
        .filter(|f| !super::mock_repair::run_driven(f))
        .map(|f| f.test.clone())
        .collect()
}

/// The timeout of the test at `test` (describe path and title) raised from `observed`
/// milliseconds: the new text, or why not.
pub fn timeout_fix(
    path: &Path,
    text: &str,
    test: &[String],
    observed: Option<f64>,
) -> Result<Candidate, String> {
    let lang = Lang::from_path(path).ok_or("not a JavaScript or TypeScript file")?;
    let tree = syntax::parse(lang, text.as_bytes()).ok_or("the file does not parse")?;
    let source = text.as_bytes();
    let mut found = Vec::new();
    find_test(tree.root_node(), source, &mut Vec::new(), test, &mut found);
    let call = match found.as_slice() {
        [call] => *call,
        [] => return Err("the test's call was not found in the file".into()),
        _ => return Err("more than one test has this name".into()),
    };
    if is_each(call, source) {
        return Err("a table test (.each): its timeout is shared by every row".into());
    }
    let arguments = call
        .child_by_field_name("arguments")
        .ok_or("the test has no arguments")?;
    let mut cursor = arguments.walk();
    let args: Vec<Node> = arguments.named_children(&mut cursor).collect();
    let function = callback(call).ok_or("the test has no function")?;
    if args.get(1) != Some(&function) {
        return Err("the test takes an options object: its timeout is left to a person".into());
    }
    let current = match args.get(2) {
        None => None,
        Some(arg) if arg.kind() == "number" => Some(
            std::str::from_utf8(syntax::text(*arg, source))
                .ok()
                .and_then(|n| n.replace('_', "").parse::<f64>().ok())
                .ok_or("the test's timeout is not a plain number")? as u64,
        ),
        Some(_) => return Err("the test's timeout is an expression".into()),
    };
    let now = current.unwrap_or(DEFAULT_TIMEOUT_MS);
    let observed = observed.unwrap_or(0.0).max(0.0) as u64;
    let raised = raised_timeout(observed, now);
    if raised <= now {
        return Err(format!(
            "its timeout ({now} ms) is already at the {TIMEOUT_CAP_MS} ms cap"
        ));
    }
    let mut new_text = String::with_capacity(text.len() + 8);
    match args.get(2) {
        Some(arg) => {
            new_text.push_str(&text[..arg.start_byte()]);
            new_text.push_str(&raised.to_string());
            new_text.push_str(&text[arg.end_byte()..]);
        }
        None => {
            new_text.push_str(&text[..function.end_byte()]);
            new_text.push_str(&format!(", {raised}"));
            new_text.push_str(&text[function.end_byte()..]);
        }
    }
    Ok(Candidate {
        text: new_text,
        repair: format!("timeout {now} → {raised} ms (observed {observed} ms)"),
        label: "test-timeout",
        raised: Some((now, raised)),
    })
}

/// How many times a raised timeout that still timed out in the canary is doubled again
/// (2×, then 4×, 8×, 16× the test's own timeout at most, always under the cap): a test
/// that timed out was stopped at its timeout, so what it observed is a lower bound.
pub const TIMEOUT_RAISES: u32 = 4;

/// max(2 × observed, 2 × current), capped at 60 s.
pub fn raised_timeout(observed_ms: u64, current_ms: u64) -> u64 {
    observed_ms
        .saturating_mul(2)
        .max(current_ms.saturating_mul(2))
        .min(TIMEOUT_CAP_MS)
}

/// The `it`/`test` calls whose describe path and title are `want`.
fn find_test<'t>(
    node: Node<'t>,
    source: &[u8],
    describes: &mut Vec<String>,
    want: &[String],
    found: &mut Vec<Node<'t>>,
) {
    let mut pushed = false;
    if is_test_call(node, source) {
        let name = node
            .child_by_field_name("function")
            .and_then(|f| callee_root(f, source))
            .unwrap_or("");
        let title = first_string(node, source);
        if matches!(name, "describe" | "fdescribe" | "xdescribe" | "suite") {
            describes.push(title.clone().unwrap_or_default());
            pushed = true;
        } else if let Some(title) = title
            && want
                .split_last()
                .is_some_and(|(last, path)| *last == title && path == describes.as_slice())
        {
            found.push(node);
        }
    }
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        find_test(child, source, describes, want, found);
    }
    if pushed {
        describes.pop();
    }
}

/// The call's first argument when it is a plain string.
fn first_string(call: Node, source: &[u8]) -> Option<String> {
    let arguments = call.child_by_field_name("arguments")?;
    let first = arguments.named_child(0)?;
    match first.kind() {
        "string" => {
            let raw = std::str::from_utf8(syntax::text(first, source)).ok()?;
            Some(raw[1..raw.len().saturating_sub(1).max(1)].to_owned())
        }
        "template_string" if first.named_child_count() == 0 => {
            let raw = std::str::from_utf8(syntax::text(first, source)).ok()?;
            Some(raw.trim_matches('`').to_owned())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path() -> &'static Path {
        Path::new("/p/slow.test.js")
    }

    #[test]
    fn the_bound() {
        assert_eq!(raised_timeout(5003, 5000), 10_006);
        assert_eq!(raised_timeout(100, 5000), 10_000);
        assert_eq!(raised_timeout(40_000, 30_000), 60_000);
    }

    #[test]
    fn adds_or_replaces_the_tests_own_timeout() {
        let text = "describe('sync', () => {\n  test('waits', async () => {\n    await x();\n  });\n  test('other', () => {}, 2000);\n});\ntest('waits', () => {});\n";
        let c = timeout_fix(path(), text, &["sync".into(), "waits".into()], Some(5004.0)).unwrap();
        assert_eq!(
            c.text,
            "describe('sync', () => {\n  test('waits', async () => {\n    await x();\n  }, 10008);\n  test('other', () => {}, 2000);\n});\ntest('waits', () => {});\n"
        );
        assert_eq!(c.repair, "timeout 5000 → 10008 ms (observed 5004 ms)");
        let c = timeout_fix(path(), text, &["sync".into(), "other".into()], Some(2001.0)).unwrap();
        assert!(
            c.text.contains("test('other', () => {}, 4002);"),
            "{}",
            c.text
        );
    }

    #[test]
    fn leaves_what_a_person_must_decide() {
        let why = |text: &str| timeout_fix(path(), text, &["t".into()], Some(5000.0)).unwrap_err();
        assert!(why("test('t', () => {}, LIMIT);").contains("expression"));
        assert!(why("test('t', { timeout: 100 }, () => {});").contains("options object"));
        assert!(why("test.each([1])('t', () => {});").contains("table test"));
        assert!(why("test('t', () => {}, 60000);").contains("cap"));
        assert!(why("test('t', () => {});\ntest('t', () => {});").contains("more than one"));
        assert!(why("test('u', () => {});").contains("not found"));
    }
}

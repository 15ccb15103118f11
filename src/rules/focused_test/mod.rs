//! `focused-test`: `.only` (and jest's `fit`/`fdescribe`) left in a test file.

use std::borrow::Cow;

use tree_sitter::Tree;

use crate::config::ConfigError;
use crate::edit::Edit;
use crate::rules::testing;
use crate::rules::{
    ALL_LANGS, Emit, FileCx, FileRule, Finding, Fix, FixAvailability, Needs, Resolution, Rule,
    RuleMeta, RunCx, TreeMatches};
use crate::syntax::{self, text};
use crate::workspace::Category;

pub struct FocusedTest;

static META: RuleMeta = RuleMeta {
    id: "focused-test",
    summary: "`.only` left in a test file: every other test is silently skipped",
    explanation: include_str!("explanation.md"),
    needles: &[".only", "fit(", "fdescribe("],
    langs: ALL_LANGS,
    categories: &[Category::Tests],
    query: Some(include_str!("../../../queries/focused-test.scm")),
    fix: FixAvailability::Always,
    needs: Needs::Source,
    group_label: "shape",
    help: "remove `.only` (`dash fix --unsafe-fixes` does)",
};

impl Rule for FocusedTest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn prepare(&self, _cx: &RunCx<'_>) -> Result<Box<dyn FileRule>, ConfigError> {
        Ok(Box::new(FocusedTest))
    }
}

impl FileRule for FocusedTest {
    fn check(&self, file: &FileCx<'_>, _tree: &Tree, matches: &TreeMatches, out: &mut Emit) {
        let source = file.text.as_bytes();
        for m in matches.of(META.id) {
            let only = m.get("only");
            let member =
                only.and_then(|o| syntax::field_parent(o, "member_expression", "property"));
            if let (Some(member), Some(only)) = (member, only) {
                // `it.only` as (part of) the callee of a test call; not `x.only`.
                let Some(object) = member.child_by_field_name("object") else {
                    continue;
                };
                let is_test = testing::callee_root(object, source)
                    .is_some_and(|name| testing::TEST_FUNCTIONS.contains(&name))
                    && is_callee(member);
                if !is_test {
                    continue;
                }
                let name = String::from_utf8_lossy(text(object, source)).into_owned();
                out.finding(Finding {
                    rule: META.id,
                    group: Cow::Borrowed("only"),
                    range: member.start_byte()..only.end_byte(),
                    message: Cow::Owned(format!(
                        "`{name}.only` runs only this test and silently skips the others"
                    )),
                    resolution: Resolution::Fix(Fix::unsafe_(
                        "unfocus",
                        vec![Edit::delete(object.end_byte()..only.end_byte(), META.id)],
                    )),
                });
            } else if let Some(focused) = m
                .get("focused")
                .filter(|f| syntax::field_parent(*f, "call_expression", "function").is_some())
            {
                let name = text(focused, source);
                let plain = if name == b"fit" { "it" } else { "describe" };
                out.finding(Finding {
                    rule: META.id,
                    group: Cow::Owned(String::from_utf8_lossy(name).into_owned()),
                    range: focused.byte_range(),
                    message: Cow::Owned(format!(
                        "`{}` runs only this test and silently skips the others",
                        String::from_utf8_lossy(name)
                    )),
                    resolution: Resolution::Fix(Fix::unsafe_(
                        "unfocus",
                        vec![Edit::replace(focused.byte_range(), plain, META.id)],
                    )),
                });
            }
        }
    }
}

/// Whether a member expression is a callee, directly or through further members and
/// calls: `it.only(…)`, `it.only.each(t)(…)`.
fn is_callee(member: tree_sitter::Node) -> bool {
    let mut node = member;
    while let Some(parent) = node.parent() {
        match parent.kind() {
            "call_expression" if parent.child_by_field_name("function") == Some(node) => {
                return true;
            }
            "member_expression" if parent.child_by_field_name("object") == Some(node) => {
                node = parent
            }
            _ => return false,
        }
    }
    false
}

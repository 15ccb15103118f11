//! `await-async-expect`: `expect(p).resolves…`/`expect(p).rejects…` neither awaited nor
//! returned, so the assertion settles after its test has finished.

use std::borrow::Cow;

use tree_sitter::{Node, Tree};

use crate::config::ConfigError;
use crate::edit::Edit;
use crate::rules::testing::{self, Runner, TestProject};
use crate::rules::{
    ALL_LANGS, Emit, FileCx, FileRule, Finding, Fix, FixAvailability, Needs, Resolution, Rule,
    RuleMeta, RunCx, TreeMatches};
use crate::syntax::{self, text};
use crate::workspace::Category;

pub struct AwaitAsyncExpect;

static META: RuleMeta = RuleMeta {
    id: "await-async-expect",
    summary: "`expect(…).resolves`/`.rejects` not awaited: the assertion settles after the test ends",
    explanation: include_str!("explanation.md"),
    needles: &[".resolves", ".rejects"],
    langs: ALL_LANGS,
    categories: &[Category::Tests],
    query: Some(include_str!("../../../queries/await-async-expect.scm")),
    fix: FixAvailability::Sometimes,
    needs: Needs::Source,
    group_label: "modifier",
    help: "`await` the assertion and make the test callback `async` (`dash fix` does)",
};

struct Prepared {
    project: TestProject,
}

impl Rule for AwaitAsyncExpect {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn prepare(&self, cx: &RunCx<'_>) -> Result<Box<dyn FileRule>, ConfigError> {
        Ok(Box::new(Prepared {
            project: TestProject::detect(cx.root),
        }))
    }
}

/// Suites: their callbacks cannot be `async`.
const SUITES: &[&str] = &["describe", "fdescribe", "xdescribe", "suite"];

/// Node kinds that start a new function scope.
const FUNCTIONS: &[&str] = &[
    "arrow_function",
    "function_expression",
    "function",
    "function_declaration",
    "generator_function",
    "generator_function_declaration",
    "method_definition",
    "class_static_block",
];

impl FileRule for Prepared {
    fn check(&self, file: &FileCx<'_>, tree: &Tree, matches: &TreeMatches, out: &mut Emit) {
        let source = file.text.as_bytes();
        let runner = testing::runner_of(tree.root_node(), source, &self.project);
        // Callbacks (by start byte) that already got their `async` insertion this pass.
        let mut made_async: Vec<usize> = Vec::new();
        for m in matches.of(META.id) {
            let Some((member, modifier)) = m.get("modifier").and_then(|m| expect_member(m, source))
            else {
                continue;
            };
            let Some(call) = assertion_call(member, source) else {
                continue;
            };
            let Some(statement) = call.parent().filter(|p| p.kind() == "expression_statement")
            else {
                // Awaited, returned, an arrow's body, in an array, passed on: not floating.
                continue;
            };
            let group = String::from_utf8_lossy(text(modifier, source)).into_owned();
            let Some(resolution) = resolve(statement, call, runner, source, &mut made_async) else {
                continue;
            };
            out.finding(Finding {
                rule: META.id,
                group: Cow::Owned(group.clone()),
                range: call.byte_range(),
                message: Cow::Owned(format!(
                    "`expect(…).{group}` is not awaited: the assertion settles after the test has finished"
                )),
                resolution,
            });
        }
    }
}

/// `expect(p).resolves` around its `resolves` / `rejects` property.
fn expect_member<'t>(modifier: Node<'t>, source: &[u8]) -> Option<(Node<'t>, Node<'t>)> {
    let member = syntax::field_parent(modifier, "member_expression", "property")?;
    let object = member.child_by_field_name("object")?;
    let callee = object.child_by_field_name("function")?;
    (object.kind() == "call_expression"
        && callee.kind() == "identifier"
        && text(callee, source) == b"expect")
        .then_some((member, modifier))
}

/// The matcher call that completes the assertion starting at `member`
/// (`expect(p).resolves`): `.toBe(1)` or `.not.toBe(1)` called; `None` for anything
/// else (no matcher, a further `.then(…)`).
fn assertion_call<'t>(member: Node<'t>, source: &[u8]) -> Option<Node<'t>> {
    let mut node = member.parent().filter(|p| {
        p.kind() == "member_expression" && p.child_by_field_name("object") == Some(member)
    })?;
    if node
        .child_by_field_name("property")
        .is_some_and(|p| text(p, source) == b"not")
    {
        let inner = node;
        node = inner.parent().filter(|p| {
            p.kind() == "member_expression" && p.child_by_field_name("object") == Some(inner)
        })?;
    }
    let call = node.parent().filter(|p| {
        p.kind() == "call_expression" && p.child_by_field_name("function") == Some(node)
    })?;
    Some(call)
}

/// What to do with a floating assertion statement: `None` when it is not in a test at all.
fn resolve(
    statement: Node,
    call: Node,
    runner: Option<Runner>,
    source: &[u8],
    made_async: &mut Vec<usize>,
) -> Option<Resolution> {
    let function = enclosing_function(statement)?;
    let test = testing::enclosing_test(statement, source)?;
    let callback = testing::callback(test)?;
    if callback != function {
        return Some(Resolution::Judgement(Cow::Borrowed(
            "inside a nested function of the test (a `forEach` or `.then` callback …): awaiting \
             inside a nested callback changes when it runs; await or return the promise where \
             the test can wait for it",
        )));
    }
    if testing::callee_root(test.child_by_field_name("function")?, source)
        .is_some_and(|name| SUITES.contains(&name))
    {
        return Some(Resolution::Judgement(Cow::Borrowed(
            "directly in a suite's body (`describe`), which cannot be async: move the \
             assertion into a test",
        )));
    }
    if statement.parent() != callback.child_by_field_name("body") {
        return Some(Resolution::Judgement(Cow::Borrowed(
            "inside a block (`if`, loop, `try`) of the test: awaiting it there changes which \
             code sees the assertion's failure and when; review the control flow",
        )));
    }
    let mut edits = vec![Edit::insert(call.start_byte(), "await ", META.id)];
    if !is_async(callback) {
        if callback.kind() == "generator_function" {
            return Some(Resolution::Judgement(Cow::Borrowed(
                "the test callback is a generator function",
            )));
        }
        if let Some(reason) = parameters_forbid_async(test, callback, runner, source) {
            return Some(Resolution::Judgement(Cow::Borrowed(reason)));
        }
        if !made_async.contains(&callback.start_byte()) {
            made_async.push(callback.start_byte());
            edits.push(Edit::insert(callback.start_byte(), "async ", META.id));
        }
    }
    Some(Resolution::Fix(Fix::safe("await", edits)))
}

/// The innermost function (of any kind) containing `node`.
fn enclosing_function(node: Node) -> Option<Node> {
    let mut current = node.parent();
    while let Some(n) = current {
        if FUNCTIONS.contains(&n.kind()) {
            return Some(n);
        }
        current = n.parent();
    }
    None
}

fn is_async(function: Node) -> bool {
    let mut cursor = function.walk();
    function
        .children(&mut cursor)
        .take_while(|c| !c.is_named() || c.kind() == "identifier")
        .any(|c| c.kind() == "async")
}

/// Why the callback's parameters make adding `async` uncertain, if they do.
fn parameters_forbid_async(
    test: Node,
    callback: Node,
    runner: Option<Runner>,
    source: &[u8],
) -> Option<&'static str> {
    let parameters: Vec<Node> = match callback.child_by_field_name("parameter") {
        Some(single) => vec![single],
        None => {
            let list = callback.child_by_field_name("parameters")?;
            let mut cursor = list.walk();
            list.named_children(&mut cursor)
                .filter(|p| p.kind() != "comment")
                .collect()
        }
    };
    let first = parameters.first()?;
    if testing::is_each(test, source) {
        return Some(
            "a `.each` test whose callback takes parameters: one of them may be jest's `done` \
             callback, and an async test cannot take one; add `await` and `async` by hand",
        );
    }
    // vitest's first parameter is the test context: `({ expect }) =>` is not `done`.
    let pattern = match first.kind() {
        "required_parameter" => first.child_by_field_name("pattern").map(|p| p.kind()),
        kind => Some(kind),
    };
    if runner == Some(Runner::Vitest) && matches!(pattern, Some("object_pattern")) {
        return None;
    }
    Some(
        "the test callback takes a `done` parameter: an async test cannot also take `done` \
         (jest: \"Test functions cannot both take a 'done' callback and return something\"); \
         drop `done` first (see the `done-callback` rule)",
    )
}


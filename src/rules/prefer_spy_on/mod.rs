//! `prefer-spy-on`: `obj.method = jest.fn(…)` in a test file replaces a method for good;
//! `jest.spyOn(obj, 'method').mockImplementation(…)` can be restored.

use std::borrow::Cow;

use tree_sitter::{Node, Tree};

use crate::config::ConfigError;
use crate::edit::Edit;
use crate::rules::testing::TestProject;
use crate::rules::{
    Quick,
    ALL_LANGS, Emit, FileCx, FileRule, Finding, Fix, FixAvailability, Needs, Resolution, Rule,
    RuleMeta, RunCx, TreeMatches};
use crate::syntax::text;
use crate::workspace::Category;

pub struct PreferSpyOn;

static META: RuleMeta = RuleMeta {
    id: "prefer-spy-on",
    summary: "a method replaced by assigning `jest.fn()` cannot be restored: use `jest.spyOn`",
    explanation: include_str!("explanation.md"),
    needles: &["jest.fn", "vi.fn"],
    langs: ALL_LANGS,
    categories: &[Category::Tests],
    query: Some(include_str!("../../../queries/prefer-spy-on.scm")),
    fix: FixAvailability::Sometimes,
    needs: Needs::Source,
    group_label: "shape",
    help: "replace `obj.method = jest.fn(impl)` with `jest.spyOn(obj, 'method').mockImplementation(impl)` (`dash fix --unsafe-fixes` does)",
};

/// Objects whose properties are often absent or not configurable in the test
/// environment (`window.matchMedia` in jsdom, `global.fetch` on old Node): `spyOn` throws
/// there, which is why tests assign them.
const GLOBALS: &[&str] = &[
    "global",
    "globalThis",
    "window",
    "self",
    "document",
    "navigator",
];

impl Rule for PreferSpyOn {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn prepare(&self, cx: &RunCx<'_>) -> Result<Box<dyn FileRule>, ConfigError> {
        Ok(Box::new(Prepared {
            restore_mocks: TestProject::detect(cx.root).restore_mocks,
        }))
    }
}

struct Prepared {
    /// `restoreMocks: true` in the runner's configuration.
    restore_mocks: bool,
}

/// `jest.fn(…)` at the root of an assigned value, and what follows it.
struct MockFn<'t> {
    /// `jest` or `vi`.
    object: &'static str,
    call: Node<'t>,
    /// The implementation passed to it, if any.
    implementation: Option<Node<'t>>,
}

impl FileRule for Prepared {
    /// A finding needs `jest.fn`/`vi.fn` right after an assignment's `=`: when no
    /// occurrence has one before it (white space aside), the file has none and is not
    /// parsed. An occurrence after a comment is left to the tree.
    fn quick(&self, file: &FileCx<'_>) -> Quick {
        let bytes = file.text.as_bytes();
        // `….name = jest.fn` or `…[key] = jest.fn`: a member assigned (a declaration
        // `const f = jest.fn()` is not a finding).
        let assigned = |at: usize| {
            let before = bytes[..at].trim_ascii_end();
            let target = match before {
                // A comment between `=` and the call: the tree decides.
                [.., b'/'] => return true,
                [.., prev, b'='] if !matches!(prev, b'=' | b'!' | b'<' | b'>') => {
                    before[..before.len() - 1].trim_ascii_end()
                }
                _ => return false,
            };
            if target.ends_with(b"]") {
                return true;
            }
            let name_start = target
                .iter()
                .rposition(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$')))
                .map_or(0, |i| i + 1);
            target[..name_start].trim_ascii_end().ends_with(b".")
        };
        let first = META
            .needles
            .iter()
            .filter_map(|needle| {
                memchr::memmem::find_iter(bytes, needle.as_bytes()).find(|&at| assigned(at))
            })
            .min();
        match first {
            Some(at) => Quick::NeedsTree(Some((at, "`jest.fn`/`vi.fn` after an `=`"))),
            None => Quick::Decided(Vec::new()),
        }
    }

    fn check(&self, file: &FileCx<'_>, tree: &Tree, matches: &TreeMatches, out: &mut Emit) {
        let source = file.text.as_bytes();
        let mut quote = None;
        for m in matches.of(META.id) {
            let Some((assignment, left, right)) = m.get("statement").and_then(assigned_member)
            else {
                continue;
            };
            let Some(mock) = mock_fn(right, source) else {
                continue;
            };
            let Some((object, property)) = target(left) else {
                continue;
            };
            let object_text = String::from_utf8_lossy(text(object, source)).into_owned();
            if object_text == "module"
                || object_text == "exports"
                || object_text == "module.exports"
                || property.kind() == "private_property_identifier"
            {
                continue;
            }
            let resolution = match self.why_not(assignment, object, property, &mock, source) {
                Some(reason) => Resolution::Judgement(Cow::Owned(reason)),
                None => {
                    let quote = *quote.get_or_insert_with(|| prevailing_quote(tree, source));
                    Resolution::Fix(Fix::unsafe_(
                        "spy-on",
                        std::iter::once(rewrite(left, object, property, &mock, quote, source))
                            .chain(asi_guard(assignment, source))
                            .collect(),
                    ))
                }
            };
            let left_text = String::from_utf8_lossy(text(left, source)).into_owned();
            out.finding(Finding {
                rule: META.id,
                group: Cow::Borrowed("assign-fn"),
                range: assignment.byte_range(),
                message: Cow::Owned(format!(
                    "`{left_text} = {}.fn(…)` replaces the method for good (`restoreAllMocks` cannot put it back): use `{}.spyOn`",
                    mock.object, mock.object
                )),
                resolution,
            });
        }
    }
}

impl Prepared {
    /// Why the rewrite is not certain enough to offer, if it is not.
    fn why_not(
        &self,
        assignment: Node,
        object: Node,
        property: Node,
        mock: &MockFn,
        source: &[u8],
    ) -> Option<String> {
        // `(api as any).dispatch = jest.fn()`: the cast says the property is not in the
        // object's type, the usual sign that it does not exist yet; `spyOn` throws then.
        if matches!(
            object.kind(),
            "as_expression" | "satisfies_expression" | "type_assertion"
        ) {
            return Some(format!(
                "the object is cast (`{}`), so `{}` is probably not one of its properties yet: `spyOn` throws on a property that does not exist",
                String::from_utf8_lossy(text(object, source)),
                property_name(property, source)
            ));
        }
        let root = root_name(object, source);
        if let Some(global) = GLOBALS.iter().find(|g| Some(**g) == root.as_deref()) {
            return Some(format!(
                "`{global}` properties are often absent or not configurable in the test environment (jsdom, older Node): `spyOn` throws there; {}",
                if mock.object == "vi" {
                    "use `vi.stubGlobal` with `unstubGlobals: true`, or save and restore the original in an `afterEach`"
                } else {
                    "save and restore the original in an `afterEach`"
                }
            ));
        }
        if let Some(implementation) = mock.implementation {
            let name = property_name(property, source);
            if !name.is_empty()
                && memchr::memmem::find(text(implementation, source), name.as_bytes()).is_some()
            {
                return Some(format!(
                    "the implementation mentions `{name}`: after `spyOn` that name is the spy itself, and calling it from the implementation would recurse"
                ));
            }
        }
        let restores = self.restore_mocks
            || [&b"restoreAllMocks"[..], b"mockRestore", b"restoreMocks"]
                .iter()
                .any(|n| memchr::memmem::find(source, n).is_some());
        if restores && let Err(place) = crate::rules::testing::place(assignment, source) {
            return Some(format!(
                "the method is replaced {place} and this file restores spies after each test: a spy would be restored after the first test while the assignment lasts for all of them"
            ));
        }
        None
    }
}

/// The `jest.fn(…)` / `vi.fn(…)` call at the root of `value`, through `.mock…(…)`
/// calls only.
fn mock_fn<'t>(value: Node<'t>, source: &[u8]) -> Option<MockFn<'t>> {
    let mut call = value;
    loop {
        if call.kind() != "call_expression" {
            return None;
        }
        let function = call.child_by_field_name("function")?;
        if function.kind() != "member_expression" {
            return None;
        }
        let object = function.child_by_field_name("object")?;
        let property = text(function.child_by_field_name("property")?, source);
        if object.kind() == "identifier" && property == b"fn" {
            let object = match text(object, source) {
                b"jest" => "jest",
                b"vi" => "vi",
                _ => return None,
            };
            let arguments = call.child_by_field_name("arguments")?;
            if arguments.kind() != "arguments" || arguments.named_child_count() > 1 {
                return None;
            }
            let implementation = arguments.named_child(0);
            if implementation.is_some_and(|a| matches!(a.kind(), "spread_element" | "comment")) {
                return None;
            }
            return Some(MockFn {
                object,
                call,
                implementation,
            });
        }
        if !property.starts_with(b"mock") {
            return None;
        }
        call = object;
    }
}

/// The object and property of an assignment's left side: `obj.m`, `obj['m']`.
fn target(left: Node) -> Option<(Node, Node)> {
    let (object, property) = match left.kind() {
        "member_expression" => (
            left.child_by_field_name("object")?,
            left.child_by_field_name("property")?,
        ),
        "subscript_expression" => (
            left.child_by_field_name("object")?,
            left.child_by_field_name("index")?,
        ),
        _ => return None,
    };
    if object.kind() == "super" {
        return None;
    }
    Some((unparenthesized(object), property))
}

fn unparenthesized(mut node: Node) -> Node {
    while node.kind() == "parenthesized_expression" && node.named_child_count() == 1 {
        match node.named_child(0) {
            Some(inner) => node = inner,
            None => break,
        }
    }
    node
}

/// The identifier at the root of `obj.a.b` (`obj`), or `this`.
fn root_name(object: Node, source: &[u8]) -> Option<String> {
    let mut node = object;
    loop {
        match node.kind() {
            "identifier" | "this" => {
                return Some(String::from_utf8_lossy(text(node, source)).into_owned());
            }
            "member_expression" | "subscript_expression" => {
                node = unparenthesized(node.child_by_field_name("object")?)
            }
            _ => return None,
        }
    }
}

/// `m` for `obj.m` and `obj['m']`; empty for a computed key.
fn property_name(property: Node, source: &[u8]) -> String {
    let raw = String::from_utf8_lossy(text(property, source));
    match property.kind() {
        "property_identifier" => raw.into_owned(),
        "string" => raw.trim_matches(['\'', '"']).to_owned(),
        _ => String::new(),
    }
}

/// `obj.m = jest.fn(impl).mockReturnValue(x)` →
/// `jest.spyOn(obj, 'm').mockImplementation(impl).mockReturnValue(x)` (eslint's
/// `jest/prefer-spy-on` output). Without an implementation, jest's `.mockImplementation()`
/// makes the spy return `undefined` like `jest.fn()`; vitest's would call the original
/// method, so vitest gets `.mockImplementation(() => {})`.
/// The `;` that semicolon-free code puts before a statement starting with `(`
/// (`;(api as any).x = …`): once the statement starts with `jest.`/`vi.` it guards
/// nothing, and formatters flag it. Deleted only when it stands alone before the
/// statement on its line.
fn asi_guard(assignment: Node, source: &[u8]) -> Option<Edit> {
    let statement = assignment
        .parent()
        .filter(|p| p.kind() == "expression_statement")?;
    let start = statement.start_byte();
    if text(statement, source).first() != Some(&b'(') {
        return None;
    }
    let line_start = source[..start]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let before = &source[line_start..start];
    let semicolon = before.iter().rposition(|&b| b == b';')?;
    let alone = before[..semicolon].iter().all(u8::is_ascii_whitespace)
        && before[semicolon + 1..].iter().all(u8::is_ascii_whitespace);
    alone.then(|| Edit::delete(line_start + semicolon..start, META.id))
}

fn rewrite(
    left: Node,
    object: Node,
    property: Node,
    mock: &MockFn,
    quote: char,
    source: &[u8],
) -> Edit {
    let object_text = String::from_utf8_lossy(text(object, source));
    let key = match property.kind() {
        "property_identifier" => format!(
            "{quote}{}{quote}",
            String::from_utf8_lossy(text(property, source))
        ),
        _ => String::from_utf8_lossy(text(property, source)).into_owned(),
    };
    let implementation = match (mock.implementation, mock.object) {
        (Some(implementation), _) => {
            String::from_utf8_lossy(text(implementation, source)).into_owned()
        }
        (None, "vi") => "() => {}".to_owned(),
        (None, _) => String::new(),
    };
    Edit::replace(
        left.start_byte()..mock.call.end_byte(),
        format!(
            "{}.spyOn({object_text}, {key}).mockImplementation({implementation})",
            mock.object
        ),
        META.id,
    )
}

/// The quote most of the file's string literals use (single on a tie).
fn prevailing_quote(tree: &Tree, source: &[u8]) -> char {
    let (mut single, mut double) = (0usize, 0usize);
    let mut cursor = tree.walk();
    let mut visited_children = false;
    loop {
        if !visited_children {
            let node = cursor.node();
            if node.kind() == "string" {
                match source.get(node.start_byte()) {
                    Some(b'\'') => single += 1,
                    Some(b'"') => double += 1,
                    _ => {}
                }
            } else if cursor.goto_first_child() {
                continue;
            }
        }
        if cursor.goto_next_sibling() {
            visited_children = false;
        } else if cursor.goto_parent() {
            visited_children = true;
        } else {
            break;
        }
    }
    if double > single { '"' } else { '\'' }
}

/// `obj.method = <call>` / `obj['method'] = <call>` as the whole of `statement`: the
/// assignment, its target and its call.
fn assigned_member(statement: Node<'_>) -> Option<(Node<'_>, Node<'_>, Node<'_>)> {
    let mut cursor = statement.walk();
    let assignment = statement
        .named_children(&mut cursor)
        .find(|c| c.kind() != "comment")
        .filter(|c| c.kind() == "assignment_expression")?;
    let left = assignment
        .child_by_field_name("left")
        .filter(|l| matches!(l.kind(), "member_expression" | "subscript_expression"))?;
    let right = assignment
        .child_by_field_name("right")
        .filter(|r| r.kind() == "call_expression")?;
    Some((assignment, left, right))
}


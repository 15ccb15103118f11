//! `restore-spies`: a test file creates spies with `jest.spyOn`/`vi.spyOn` and never
//! restores them, so a stub leaks into every test that runs after it.

use std::borrow::Cow;

use tree_sitter::{Node, Tree};

use crate::config::ConfigError;
use crate::edit::Edit;
use crate::rules::console::logger::package_is_module;
use crate::rules::testing::{self, Runner, TestProject};
use crate::rules::{
    ALL_LANGS, Emit, FileCx, FileRule, Finding, Fix, FixAvailability, Needs, Resolution, Rule,
    RuleMeta, RunCx, Quick, TreeMatches};
use crate::syntax::lexer::{self, Kind};
use crate::syntax::{self, text};
use crate::workspace::Category;

pub struct RestoreSpies;

static META: RuleMeta = RuleMeta {
    id: "restore-spies",
    summary: "spies created with `spyOn` are never restored: they leak into later tests",
    explanation: include_str!("explanation.md"),
    needles: &["spyOn"],
    langs: ALL_LANGS,
    categories: &[Category::Tests],
    query: Some(include_str!("../../../queries/restore-spies.scm")),
    fix: FixAvailability::Sometimes,
    needs: Needs::Source,
    group_label: "shape",
    help: "restore spies after each test: `afterEach(() => { jest.restoreAllMocks(); })` (or `restoreMocks: true`)",
};

impl Rule for RestoreSpies {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn prepare(&self, cx: &RunCx<'_>) -> Result<Box<dyn FileRule>, ConfigError> {
        Ok(Box::new(Prepared {
            project: TestProject::detect(cx.root),
            package_is_module: package_is_module(cx.root),
        }))
    }
}

struct Prepared {
    project: TestProject,
    package_is_module: bool,
}

impl FileRule for Prepared {
    fn applies(&self, _file: &FileCx<'_>) -> bool {
        // The runner restores every spy after each test itself.
        !self.project.restore_mocks
    }

    /// Without a restore in an after hook, the file's first `jest.spyOn(`/`vi.spyOn(` is
    /// the finding, and tokens find it as surely as the tree (comments, strings and
    /// templates understood). A suppression comment or an unusual shape
    /// (`jest?.spyOn`, `x.jest.spyOn`, `jest.spyOn<T>(`) is left to the tree.
    fn quick(&self, file: &FileCx<'_>) -> Quick {
        let bytes = file.text.as_bytes();
        if let Some(at) = memchr::memmem::find(bytes, b"dash-ignore") {
            return Quick::NeedsTree(Some((at, "a suppression comment")));
        }
        let tokens = match lexer::tokens(file.lang, bytes, bytes.len()) {
            Ok(tokens) => tokens,
            Err(why) => return Quick::NeedsTree(Some(why)),
        };
        let text = |t: &lexer::Token| &bytes[t.start..t.end];
        // `.restoreAllMocks` / `.mockRestore` inside the parentheses of an `afterEach(…)`
        // or `afterAll(…)` call: the spies are restored, no finding (a restore anywhere
        // else does not count, as in `check`).
        let mut hooks: Vec<std::ops::Range<usize>> = Vec::new();
        let mut open: Vec<Option<usize>> = Vec::new();
        for (i, token) in tokens.iter().enumerate() {
            match token.kind {
                Kind::LParen => {
                    let hook = i >= 1
                        && tokens[i - 1].kind == Kind::Ident
                        && matches!(text(&tokens[i - 1]), b"afterEach" | b"afterAll")
                        && (i < 2 || !matches!(tokens[i - 2].kind, Kind::Dot | Kind::QuestionDot));
                    open.push(hook.then_some(token.start));
                }
                Kind::RParen => {
                    if let Some(Some(start)) = open.pop() {
                        hooks.push(start..token.end);
                    }
                }
                _ => {}
            }
        }
        let restored = tokens.iter().enumerate().any(|(i, token)| {
            token.kind == Kind::Ident
                && matches!(text(token), b"restoreAllMocks" | b"mockRestore")
                && i >= 1
                && matches!(tokens[i - 1].kind, Kind::Dot | Kind::QuestionDot)
                && hooks.iter().any(|h| h.contains(&token.start))
        });
        if restored {
            return Quick::Decided(Vec::new());
        }
        for (i, token) in tokens.iter().enumerate() {
            if token.kind != Kind::Ident || text(token) != b"spyOn" || i < 2 {
                continue;
            }
            let (object, dot) = (&tokens[i - 2], &tokens[i - 1]);
            let is_runner = object.kind == Kind::Ident && matches!(text(object), b"jest" | b"vi");
            match dot.kind {
                Kind::QuestionDot if is_runner => {
                    return Quick::NeedsTree(Some((token.start, "`?.spyOn`")));
                }
                Kind::Dot if is_runner => {}
                _ => continue,
            }
            let chained = i >= 3 && matches!(tokens[i - 3].kind, Kind::Dot | Kind::QuestionDot);
            if chained || tokens.get(i + 1).map(|t| t.kind) != Some(Kind::LParen) {
                return Quick::NeedsTree(Some((token.start, "unusual `spyOn` call")));
            }
            let object = std::str::from_utf8(text(object)).unwrap_or("jest");
            return Quick::Decided(vec![finding(object, tokens[i - 2].start..token.end, Resolution::Report)]);
        }
        Quick::Decided(Vec::new())
    }

    fn check(&self, file: &FileCx<'_>, tree: &Tree, matches: &TreeMatches, out: &mut Emit) {
        let source = file.text.as_bytes();
        let root = tree.root_node();
        let mut spies: Vec<(Node, &str)> = Vec::new();
        let mut configured: Vec<(Node, bool)> = Vec::new();
        let mut restored = false;
        for m in matches.of(META.id) {
            let Some(property) = m.get("property") else {
                continue;
            };
            let Some(member) = syntax::field_parent(property, "member_expression", "property")
            else {
                continue;
            };
            let call = syntax::field_parent(member, "call_expression", "function");
            match text(property, source) {
                b"spyOn" => {
                    let object = member
                        .child_by_field_name("object")
                        .filter(|o| o.kind() == "identifier")
                        .map(|o| text(o, source));
                    match (call, object) {
                        (Some(call), Some(b"jest")) => spies.push((call, "jest")),
                        (Some(call), Some(b"vi")) => spies.push((call, "vi")),
                        _ => {}
                    }
                }
                b"restoreAllMocks" | b"mockRestore" => restored |= in_after_hook(member, source),
                method => {
                    if let Some(call) = call {
                        configured.push((call, method == b"replaceProperty"));
                    }
                }
            }
        }
        if restored {
            return;
        }
        let Some(&(first, object)) = spies.first() else {
            return;
        };
        let runner = if object == "vi" {
            Runner::Vitest
        } else {
            Runner::Jest
        };
        let resolution = match why_not_safe(&spies, &configured, runner, source) {
            Some(reason) => Resolution::Judgement(Cow::Owned(reason)),
            None => Resolution::Fix(
                Fix::safe(
                    "restore",
                    vec![restore_hook(root, file.text, file.newline, object)],
                )
                .with_import(testing::import_for(
                    root,
                    source,
                    runner,
                    "afterEach",
                    self.package_is_module,
                )
                .map(std::sync::Arc::new)),
            ),
        };
        let callee = first.child_by_field_name("function").unwrap_or(first);
        out.finding(finding(object, callee.byte_range(), resolution));
    }
}

/// The file's finding, at its first spy's callee.
fn finding(object: &str, range: std::ops::Range<usize>, resolution: Resolution) -> Finding {
    Finding {
        rule: META.id,
        group: Cow::Borrowed("unrestored"),
        range,
        message: Cow::Owned(format!(
            "`{object}.spyOn` spies in this file are never restored: each one leaks into the tests that run after it"
        )),
        resolution,
    }
}

/// Why adding the hook could break the file, if it could: a spy that must outlive one
/// test, spies of both runners, or mocks configured where the hook would reset them.
fn why_not_safe(
    spies: &[(Node, &str)],
    configured: &[(Node, bool)],
    runner: Runner,
    source: &[u8],
) -> Option<String> {
    if spies.iter().any(|(_, o)| *o != spies[0].1) {
        return Some("the file creates spies with both `jest.spyOn` and `vi.spyOn`".to_owned());
    }
    for (spy, object) in spies {
        if let Err(place) = testing::place(*spy, source) {
            let why = match place {
                testing::CONCURRENT => {
                    "concurrent tests overlap, so one test's `afterEach` could restore another test's spy while it runs"
                }
                testing::HELPER => {
                    "whether restoring it after each test is right depends on where the function is called"
                }
                _ => {
                    "restoring it after each test would break the tests that run after the first; restore it in an `afterAll`, or create it in a `beforeEach`"
                }
            };
            return Some(format!(
                "a spy is created {place} (`{object}.spyOn`): {why}"
            ));
        }
    }
    for (call, replaces) in configured {
        // `restoreAllMocks` restores replaced properties (jest) and, on vitest 2 and 3,
        // resets the implementation of every mock, not only spies.
        if (*replaces || runner == Runner::Vitest)
            && let Err(place) = testing::place(*call, source)
        {
            let name = call
                .child_by_field_name("function")
                .and_then(|f| f.child_by_field_name("property"))
                .map(|p| String::from_utf8_lossy(text(p, source)).into_owned())
                .unwrap_or_default();
            return Some(if *replaces {
                format!(
                    "a property is replaced {place} (`{name}`): `restoreAllMocks` would put it back after the first test"
                )
            } else {
                format!(
                    "a mock is configured {place} (`.{name}(…)`): `vi.restoreAllMocks` resets it after the first test on vitest 2 and 3"
                )
            });
        }
    }
    None
}

/// Whether `node` sits in an `afterEach`/`afterAll` call (its callback, or the hook's
/// argument itself: `afterEach(jest.restoreAllMocks)`).
fn in_after_hook(node: Node, source: &[u8]) -> bool {
    let mut current = node.parent();
    while let Some(n) = current {
        if testing::is_hook_call(n, source)
            && n.child_by_field_name("function")
                .is_some_and(|f| matches!(text(f, source), b"afterEach" | b"afterAll"))
        {
            return true;
        }
        current = n.parent();
    }
    false
}

/// The edit that adds `afterEach(() => { <object>.restoreAllMocks(); })` once, at the top
/// level after the last import or `require` (before the first statement in a file
/// without), between blank lines, in the file's indentation and semicolon style.
fn restore_hook(root: Node, source: &str, newline: &str, object: &str) -> Edit {
    let bytes = source.as_bytes();
    let mut cursor = root.walk();
    let top: Vec<Node> = root.named_children(&mut cursor).collect();
    let semicolon = crate::edit::imports::semicolon_style(&top, bytes);
    let indent = indent_unit(source);
    let hook = format!(
        "afterEach(() => {{{newline}{indent}{object}.restoreAllMocks(){semicolon}{newline}}}){semicolon}"
    );
    let at = match top.iter().rev().find(|s| is_import(**s, bytes)) {
        Some(last) => match source[last.end_byte()..].find('\n') {
            Some(nl) => last.end_byte() + nl + 1,
            None => source.len(),
        },
        None => first_statement(&top, bytes).map_or(source.len(), |s| s.start_byte()),
    };
    let before = &source[..at];
    let after = &source[at..];
    let mut text = String::new();
    if !before.is_empty() && !before.ends_with('\n') {
        text.push_str(newline);
    }
    if !before.is_empty() && !is_blank_line_end(before) {
        text.push_str(newline);
    }
    text.push_str(&hook);
    text.push_str(newline);
    if !after.is_empty() && !starts_with_blank_line(after) {
        text.push_str(newline);
    }
    Edit::insert(at, text, META.id)
}

/// Whether the text before an insertion point ends with an empty line (or is a run of
/// line ends only).
fn is_blank_line_end(before: &str) -> bool {
    let without = before.strip_suffix('\n').unwrap_or(before);
    let without = without.strip_suffix('\r').unwrap_or(without);
    let last_line = without.rsplit('\n').next().unwrap_or("");
    before.ends_with('\n') && last_line.trim().is_empty()
}

fn starts_with_blank_line(after: &str) -> bool {
    let first = after.split('\n').next().unwrap_or("");
    after.contains('\n') && first.trim().is_empty()
}

/// A top-level `import`, `const x = require('m')` or `require('m');`.
fn is_import(statement: Node, source: &[u8]) -> bool {
    match statement.kind() {
        "import_statement" => true,
        "lexical_declaration" | "variable_declaration" => {
            let mut cursor = statement.walk();
            let mut declarators = statement
                .named_children(&mut cursor)
                .filter(|d| d.kind() == "variable_declarator")
                .peekable();
            declarators.peek().is_some()
                && declarators.all(|d| {
                    d.child_by_field_name("value")
                        .is_some_and(|v| is_require(v, source))
                })
        }
        "expression_statement" => statement
            .named_child(0)
            .is_some_and(|e| is_require(e, source)),
        _ => false,
    }
}

/// `require('m')`, possibly followed by members or calls (`require('m').default`).
fn is_require(expression: Node, source: &[u8]) -> bool {
    let mut node = expression;
    loop {
        match node.kind() {
            "call_expression" => {
                let Some(function) = node.child_by_field_name("function") else {
                    return false;
                };
                if function.kind() == "identifier" {
                    return text(function, source) == b"require";
                }
                node = function;
            }
            "member_expression" => match node.child_by_field_name("object") {
                Some(object) => node = object,
                None => return false,
            },
            "await_expression" => match node.named_child(0) {
                Some(inner) => node = inner,
                None => return false,
            },
            _ => return false,
        }
    }
}

/// The first top-level statement that is not a comment, the shebang or a directive; a
/// comment block right above it (not the file's first comment: a header or a docblock
/// with `@jest-environment`) goes with it.
fn first_statement<'t>(top: &[Node<'t>], source: &[u8]) -> Option<Node<'t>> {
    let directive = |s: &Node| {
        s.kind() == "expression_statement" && s.named_child(0).is_some_and(|e| e.kind() == "string")
    };
    let index = top
        .iter()
        .position(|s| !matches!(s.kind(), "comment" | "hash_bang_line") && !directive(s))?;
    let mut start = index;
    while start > 1
        && top[start - 1].kind() == "comment"
        && top[start - 1].end_position().row + 1 >= top[start].start_position().row
        && !matches!(top[start - 2].kind(), "hash_bang_line")
    {
        start -= 1;
    }
    // The statement must start its line (it does at the top level, save for odd layouts).
    let node = top[start];
    let line_start = node.start_byte() == 0 || source[node.start_byte() - 1] == b'\n';
    Some(if line_start { node } else { top[index] })
}

/// One level of indentation in the file: a tab when most indented lines start with one,
/// four spaces when no line is indented by fewer, else two spaces.
pub(crate) fn indent_unit(source: &str) -> &'static str {
    let mut tabs = 0;
    let mut spaced = 0;
    let mut smallest = usize::MAX;
    for line in source.lines() {
        let content = line.trim_start_matches([' ', '\t']);
        if content.is_empty() || content.starts_with('*') || content.len() == line.len() {
            continue;
        }
        if line.starts_with('\t') {
            tabs += 1;
        } else {
            spaced += 1;
            smallest = smallest.min(line.len() - line.trim_start_matches(' ').len());
        }
    }
    if tabs > spaced {
        "\t"
    } else if spaced > 0 && smallest == 4 {
        "    "
    } else {
        "  "
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_mocks_in_the_config_turns_the_rule_off() {
        let file = FileCx {
            path: std::path::Path::new("/p/test/a.test.ts"),
            lang: crate::syntax::Lang::TypeScript,
            category: Category::Tests,
            text: "it('a', () => { jest.spyOn(o, 'm'); });",
            newline: "\n",
        };
        let rule = |restore_mocks| Prepared {
            project: TestProject {
                runner: Some(Runner::Jest),
                restore_mocks,
            },
            package_is_module: false,
        };
        assert!(!rule(true).applies(&file));
        assert!(rule(false).applies(&file));
    }

    #[test]
    fn indentation_of_a_file() {
        assert_eq!(indent_unit("a {\n  b\n    c\n}\n"), "  ");
        assert_eq!(indent_unit("a {\n    b\n        c\n}\n"), "    ");
        assert_eq!(indent_unit("a {\n\tb\n\t\tc\n}\n"), "\t");
        assert_eq!(indent_unit("/**\n * doc\n */\na {\n    b\n}\n"), "    ");
        assert_eq!(indent_unit("a;\n"), "  ");
    }

    #[test]
    fn blank_lines_around_the_insertion_point() {
        assert!(is_blank_line_end("a;\n\n"));
        assert!(is_blank_line_end("a;\r\n\r\n"));
        assert!(!is_blank_line_end("a;\n"));
        assert!(starts_with_blank_line("\nb"));
        assert!(starts_with_blank_line("\r\nb"));
        assert!(!starts_with_blank_line("b\n"));
    }
}

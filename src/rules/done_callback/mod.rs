//! `done-callback`: a test or hook callback taking jest's `done` callback (vitest has
//! none): `async (done) =>` fails under jest, and a promise chain ending in `done()`
//! reads better, and fails better, as an `async` test.

use std::borrow::Cow;

use tree_sitter::{Node, Tree};

use crate::config::ConfigError;
use crate::edit::Edit;
use crate::rules::testing::{self, Runner, TestProject};
use crate::rules::{
    ALL_LANGS, Emit, FileCx, FileRule, Finding, Fix, FixAvailability, Needs, Quick, Resolution,
    Rule, RuleMeta, RunCx, TreeMatches};
use crate::syntax::lexer::{self, Kind, Token};
use crate::syntax::text;
use crate::workspace::Category;

pub struct DoneCallback;

static META: RuleMeta = RuleMeta {
    id: "done-callback",
    summary: "test or hook taking a `done` callback: fails when async (jest), unsupported by vitest",
    explanation: include_str!("explanation.md"),
    needles: &["done"],
    langs: ALL_LANGS,
    categories: &[Category::Tests],
    query: Some(include_str!("../../../queries/done-callback.scm")),
    fix: FixAvailability::Sometimes,
    needs: Needs::Source,
    group_label: "shape",
    help: "drop the `done` parameter and make the callback `async`, awaiting the promise (`dash fix` does for the usual shapes)",
};

struct Prepared {
    project: TestProject,
}

impl Rule for DoneCallback {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn prepare(&self, cx: &RunCx<'_>) -> Result<Box<dyn FileRule>, ConfigError> {
        Ok(Box::new(Prepared {
            project: TestProject::detect(cx.root),
        }))
    }
}

/// Suites: their callbacks take no `done`.
const SUITES: &[&str] = &["describe", "fdescribe", "xdescribe", "suite", "bench"];

impl FileRule for Prepared {
    /// Most test files mention `done` only in prose or names: the rule can only find
    /// something where a function taking a parameter is passed straight to a call that
    /// may be a test or hook, and the tokens show there is none.
    fn quick(&self, file: &FileCx<'_>) -> Quick {
        let bytes = file.text.as_bytes();
        match lexer::tokens(file.lang, bytes, bytes.len()) {
            Ok(tokens) => match callback_with_parameter(&tokens, bytes) {
                Some(at) => Quick::NeedsTree(Some((at, "a test or hook callback with a parameter"))),
                None => Quick::Decided(Vec::new()),
            },
            Err(why) => Quick::NeedsTree(Some(why)),
        }
    }

    fn check(&self, file: &FileCx<'_>, tree: &Tree, matches: &TreeMatches, out: &mut Emit) {
        let source = file.text.as_bytes();
        let runner = testing::runner_of(tree.root_node(), source, &self.project);
        for m in matches.of(META.id) {
            let Some(call) = m.get("call") else {
                continue;
            };
            if !(testing::is_test_call(call, source) || testing::is_hook_call(call, source))
                || testing::is_each(call, source)
            {
                continue;
            }
            let Some(callback) = testing::callback(call)
                .filter(|c| matches!(c.kind(), "arrow_function" | "function_expression"))
            else {
                continue;
            };
            let root = call
                .child_by_field_name("function")
                .and_then(|f| testing::callee_root(f, source));
            if root.is_some_and(|name| SUITES.contains(&name)) {
                continue;
            }
            let parameters = parameters(callback);
            let Some(&first) = parameters.first() else {
                continue;
            };
            // A destructured first parameter is vitest's test context, never `done`.
            let Some(name) = binding_name(first, source) else {
                continue;
            };
            let Some(body) = callback.child_by_field_name("body") else {
                continue;
            };
            let mut uses = Vec::new();
            collect_uses(body, name, source, &mut uses);
            let called = uses.iter().any(|u| is_callee(*u));
            // Under vitest the first parameter is the test context: only a call to it (or
            // a parameter named `done`) is the jest habit this rule is about.
            if runner == Some(Runner::Vitest) && !called && (name != "done" || uses.is_empty()) {
                continue;
            }
            let asynchronous = is_async(callback);
            let shape = Shape {
                callback,
                parameters: &parameters,
                body,
                name,
                uses: &uses,
            };
            let (group, resolution) = if asynchronous {
                ("async-done", shape.async_done(source))
            } else if shape.single_then(source).is_some() {
                ("then-done", shape.then_done(file.text))
            } else {
                (
                    "other",
                    Resolution::Judgement(Cow::Borrowed(shape.why(source))),
                )
            };
            let message = match (runner, asynchronous) {
                (Some(Runner::Vitest), _) => Cow::Owned(format!(
                    "vitest has no `done` callback: `{name}` is the test context, and calling it \
                     throws \"done() callback is deprecated, use promise instead\""
                )),
                (_, true) => Cow::Owned(format!(
                    "an `async` test taking a `done` callback (`{name}`) fails: \"Test functions \
                     cannot both take a 'done' callback and return something\""
                )),
                (_, false) => Cow::Owned(format!(
                    "`done` callback (`{name}`): a failure before it is called surfaces as a \
                     timeout; an `async` test reports the failure itself"
                )),
            };
            out.finding(Finding {
                rule: META.id,
                group: Cow::Borrowed(group),
                range: first.byte_range(),
                message,
                resolution,
            });
        }
    }
}

/// Where a function literal whose first parameter could be `done` is passed directly to
/// a call that may be a test or hook (a superset of what `check` reports: a callee the
/// tokens cannot name counts, as does a parenthesized argument).
fn callback_with_parameter(tokens: &[Token], source: &[u8]) -> Option<usize> {
    // One entry per open bracket: whether it is the argument list of such a call.
    let mut open: Vec<bool> = Vec::new();
    // For each `)` seen, the index of its `(`; the open `(`s.
    let mut opener = vec![usize::MAX; tokens.len()];
    let mut parens: Vec<usize> = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let starts_argument = match token.kind {
            Kind::LParen => {
                parens.push(i);
                open.push(i > 0 && may_be_test_call(tokens, i - 1, &opener, source));
                open.last() == Some(&true)
            }
            Kind::Punct(b',') => open.last() == Some(&true),
            Kind::LBracket | Kind::LBrace => {
                open.push(false);
                false
            }
            // `` `…${ `` opens a substitution; `}…${` closes one and opens the next.
            Kind::TemplateHead if source[token.start] == b'`' => {
                open.push(false);
                false
            }
            Kind::Template if source[token.start] == b'}' => {
                open.pop();
                false
            }
            Kind::RParen => {
                open.pop();
                if let Some(at) = parens.pop() {
                    opener[i] = at;
                }
                false
            }
            Kind::RBracket | Kind::RBrace => {
                open.pop();
                false
            }
            _ => false,
        };
        if starts_argument && function_with_parameter(&tokens[i + 1..], source) {
            return tokens.get(i + 1).map(|t| t.start);
        }
    }
    None
}

/// Whether the callee ending at token `last` may be a test or hook: the root of its
/// chain (`it` in `it.only`, `describe` in `describe.each(t)`, as `testing::callee_root`
/// finds it in the tree) is a test function or hook, or something tokens cannot follow.
fn may_be_test_call(tokens: &[Token], last: usize, opener: &[usize], source: &[u8]) -> bool {
    let mut at = last;
    // Bounded: a callee chain is short; a long one is left to the tree.
    for _ in 0..64 {
        let token = tokens[at];
        match token.kind {
            Kind::Ident => {
                if at >= 2 && matches!(tokens[at - 1].kind, Kind::Dot | Kind::QuestionDot) {
                    at -= 2;
                    continue;
                }
                let name = &source[token.start..token.end];
                return testing::TEST_FUNCTIONS
                    .iter()
                    .chain(testing::HOOKS)
                    .any(|f| f.as_bytes() == name);
            }
            // A call in the chain (`describe.each(t)(…)`, `a.b(c).d(…)`): on to its callee.
            Kind::RParen if opener[at] != usize::MAX && opener[at] > 0 => {
                at = opener[at] - 1;
            }
            // Type arguments (`test<Ctx>(…)`, `new Promise<void>(…)`): back to their name.
            Kind::Punct(b'>') => match type_arguments_start(tokens, at) {
                Some(open) if open > 0 => at = open - 1,
                _ => return true,
            },
            // An optional call (`it?.(…)`): the callee is before the `?.`.
            Kind::QuestionDot if at > 0 => at -= 1,
            // A computed member (`it['only']`) or a tagged template: left to the tree.
            Kind::RBracket | Kind::Template => return true,
            // Not a callee (an operator, a parenthesized expression, a function literal):
            // the tree finds no callee root either.
            _ => return false,
        }
    }
    true
}

/// The `<` that opens the type arguments closed by the `>` at `close`, if the tokens
/// between look like types (no statement punctuation; `=>` inside is a function type).
fn type_arguments_start(tokens: &[Token], close: usize) -> Option<usize> {
    let arrow = |at: usize| {
        at > 0
            && tokens[at - 1].kind == Kind::Punct(b'=')
            && tokens[at - 1].end == tokens[at].start
    };
    if arrow(close) {
        return None;
    }
    let mut depth = 0usize;
    let mut at = close;
    loop {
        let token = tokens[at];
        match token.kind {
            Kind::Punct(b'>') if !arrow(at) => depth += 1,
            Kind::Punct(b'<') if token.end == token.start + 1 => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(at);
                }
            }
            Kind::Punct(b';') | Kind::LBrace | Kind::RBrace => return None,
            _ => {}
        }
        at = at.checked_sub(1)?;
        if close - at > 64 {
            return None;
        }
    }
}

/// Whether `tokens` start with a function literal whose first parameter is not
/// destructured: `(done) =>`, `done =>`, `async function (done)`, `<T>(done) =>`, or a
/// parenthesized expression (which tokens cannot tell from an arrow's parameters).
fn function_with_parameter(tokens: &[Token], source: &[u8]) -> bool {
    let word = |k: usize, w: &[u8]| {
        tokens
            .get(k)
            .is_some_and(|t| t.kind == Kind::Ident && &source[t.start..t.end] == w)
    };
    let arrow_at = |k: usize| match (tokens.get(k), tokens.get(k + 1)) {
        (Some(eq), Some(gt)) => {
            eq.kind == Kind::Punct(b'=') && gt.kind == Kind::Punct(b'>') && eq.end == gt.start
        }
        _ => false,
    };
    let first_parameter = |k: usize| {
        tokens.get(k).is_some_and(|t| {
            !matches!(
                t.kind,
                Kind::RParen | Kind::LBrace | Kind::LBracket | Kind::Punct(b'.')
            )
        })
    };
    // `async` starts an async function unless it is the parameter itself (`async => …`).
    let mut k = usize::from(word(0, b"async") && !arrow_at(1));
    if word(k, b"function") {
        k += 1;
        if tokens.get(k).is_some_and(|t| t.kind == Kind::Punct(b'*')) {
            k += 1;
        }
        if tokens.get(k).is_some_and(|t| t.kind == Kind::Ident) {
            k += 1;
        }
        return tokens.get(k).is_some_and(|t| t.kind == Kind::LParen) && first_parameter(k + 1);
    }
    match tokens.get(k).map(|t| t.kind) {
        Some(Kind::LParen) => first_parameter(k + 1),
        Some(Kind::Ident) => arrow_at(k + 1),
        Some(Kind::Punct(b'<')) => true,
        _ => false,
    }
}

/// A test callback and its `done` parameter, with every use of it in the body.
struct Shape<'a, 't> {
    callback: Node<'t>,
    parameters: &'a [Node<'t>],
    body: Node<'t>,
    name: &'a str,
    uses: &'a [Node<'t>],
}

impl<'t> Shape<'_, 't> {
    /// Shape B: `async (done) => { …; done(); }` → `async () => { …; }`; and
    /// `async (done) => { … }` that never uses `done` → `async () => { … }`: the test's
    /// promise already says when it ends, nothing waits for `done`, so dropping it removes
    /// only the runner's refusal ("cannot both take a 'done' callback and return something").
    fn async_done(&self, source: &[u8]) -> Resolution {
        if self.parameters.len() == 1 && self.uses.is_empty() {
            return Resolution::Fix(Fix::safe("drop done", vec![self.drop_parameters()]));
        }
        let last = self.final_done(self.body, source);
        match last {
            Some(statement) if self.parameters.len() == 1 && self.uses.len() == 1 => {
                Resolution::Fix(Fix::safe(
                    "drop done",
                    vec![
                        self.drop_parameters(),
                        Edit::delete(statement_line(statement, source), META.id),
                    ],
                ))
            }
            _ => Resolution::Judgement(Cow::Borrowed(self.why(source))),
        }
    }

    /// Shape A: `(done) => { p.then((v) => { …; done(); }); }` →
    /// `async () => { const v = await p; …; }`.
    fn then_done(&self, text: &str) -> Resolution {
        let source = text.as_bytes();
        match self.then_done_edits(text) {
            Ok(edits) => Resolution::Fix(Fix::safe("await", edits)),
            Err(None) => Resolution::Judgement(Cow::Borrowed(self.why(source))),
            Err(Some(reason)) => Resolution::Judgement(Cow::Borrowed(reason)),
        }
    }

    /// The edits of shape A; `Err(Some(reason))` for a chain that does not fit it,
    /// `Err(None)` when the uses of `done` decide (see [`Shape::why`]).
    fn then_done_edits(&self, text: &str) -> Result<Vec<Edit>, Option<&'static str>> {
        let source = text.as_bytes();
        let (statement, promise, inner) = self.single_then(source).ok_or(None)?;
        if self.parameters.len() != 1 || self.uses.len() != 1 {
            return Err(None);
        }
        let inner_body = inner.child_by_field_name("body").ok_or(None)?;
        let done = self.final_done(inner_body, source).ok_or(None)?;
        if contains_kind(inner_body, &["return_statement"]) {
            return Err(Some(
                "the `.then` callback returns early: after the rewrite that `return` would \
                 end the test instead of leaving `done()` uncalled; rewrite it by hand",
            ));
        }
        let inner_parameters = parameters(inner);
        let head = match inner_parameters.as_slice() {
            [] => format!("await {};", str_of(promise, text)),
            [parameter] => {
                let binding = simple_binding(*parameter).ok_or(Some(
                    "the `.then` callback's parameter has a default value or is optional: \
                     rewrite it by hand",
                ))?;
                let mut names = Vec::new();
                bound_names(binding, source, &mut names);
                let mut clash = Vec::new();
                for name in &names {
                    collect_uses(promise, name, source, &mut clash);
                }
                if !clash.is_empty() {
                    return Err(Some(
                        "the promise's expression uses a name the `.then` callback's \
                         parameter binds: `const x = await f(x)` would not see the outer \
                         one; rename it by hand",
                    ));
                }
                format!(
                    "const {} = await {};",
                    str_of(*parameter, text),
                    str_of(promise, text)
                )
            }
            _ => {
                return Err(Some(
                    "the `.then` callback takes several parameters: rewrite it by hand",
                ));
            }
        };
        let open = inner_body.start_byte() + 1;
        let end = done.prev_named_sibling().map_or(open, |n| n.end_byte());
        let kept = &text[open..end.max(open)];
        let first = inner_body.named_child(0).ok_or(None)?;
        let kept = match (leading_indent(first, text), leading_indent(statement, text)) {
            (Some(from), Some(to)) if from.len() > to.len() && from.starts_with(to) => {
                let mut verbatim = Vec::new();
                multiline_strings(inner_body, &mut verbatim);
                reindent(kept, open, from, to, &verbatim).unwrap_or_else(|| kept.to_owned())
            }
            _ => kept.to_owned(),
        };
        let mut edits = self.make_async_without_parameters();
        edits.push(Edit::replace(
            statement.byte_range(),
            format!("{head}{kept}"),
            META.id,
        ));
        Ok(edits)
    }

    /// The body's only statement when it is `p.then(cb);` with one arrow callback whose
    /// body is a block: (the statement, `p`, `cb`).
    fn single_then(&self, source: &[u8]) -> Option<(Node<'t>, Node<'t>, Node<'t>)> {
        if self.body.kind() != "statement_block" || self.body.named_child_count() != 1 {
            return None;
        }
        let statement = self
            .body
            .named_child(0)
            .filter(|s| s.kind() == "expression_statement")?;
        let call = statement
            .named_child(0)
            .filter(|c| c.kind() == "call_expression")?;
        let member = call
            .child_by_field_name("function")
            .filter(|f| f.kind() == "member_expression")?;
        if member
            .child_by_field_name("property")
            .is_none_or(|p| text(p, source) != b"then")
        {
            return None;
        }
        let promise = member.child_by_field_name("object")?;
        let arguments = call.child_by_field_name("arguments")?;
        if arguments.named_child_count() != 1 {
            return None;
        }
        let inner = arguments
            .named_child(0)
            .filter(|a| a.kind() == "arrow_function")?;
        inner
            .child_by_field_name("body")
            .filter(|b| b.kind() == "statement_block")?;
        Some((statement, promise, inner))
    }

    /// The last statement of `block` when it is `done();`.
    fn final_done(&self, block: Node<'t>, source: &[u8]) -> Option<Node<'t>> {
        if block.kind() != "statement_block" {
            return None;
        }
        let last =
            block.named_child(u32::try_from(block.named_child_count().checked_sub(1)?).ok()?)?;
        let call = last
            .named_child(0)
            .filter(|c| last.kind() == "expression_statement" && c.kind() == "call_expression")?;
        let function = call.child_by_field_name("function")?;
        let empty = call
            .child_by_field_name("arguments")
            .is_some_and(|a| a.kind() == "arguments" && a.named_child_count() == 0);
        (function.kind() == "identifier" && text(function, source) == self.name.as_bytes() && empty)
            .then_some(last)
    }

    /// `(done)` → `()`.
    fn drop_parameters(&self) -> Edit {
        let list = self
            .callback
            .child_by_field_name("parameters")
            .or_else(|| self.callback.child_by_field_name("parameter"))
            .unwrap_or(self.parameters[0]);
        Edit::replace(list.byte_range(), "()", META.id)
    }

    /// `(done) =>` → `async () =>`, `function (done)` → `async function ()`: one edit
    /// for arrows, whose parameters start the function.
    fn make_async_without_parameters(&self) -> Vec<Edit> {
        let drop = self.drop_parameters();
        if drop.range.start == self.callback.start_byte() {
            vec![Edit::replace(drop.range, "async ()", META.id)]
        } else {
            vec![
                Edit::insert(self.callback.start_byte(), "async ", META.id),
                drop,
            ]
        }
    }

    /// Why a finding is left for judgement.
    fn why(&self, source: &[u8]) -> &'static str {
        let calls: Vec<&Node> = self.uses.iter().filter(|u| is_callee(**u)).collect();
        if self.parameters.len() > 1 {
            "the callback takes more than one parameter: rewrite it by hand"
        } else if self.uses.is_empty() {
            "`done` is never called, so the test waits for it until it times out: drop the \
             parameter if the test is synchronous, or await what it waits for"
        } else if calls.len() < self.uses.len() {
            "`done` is passed on as a value (`.catch(done)`, `.end(done)`, an event handler, a \
             helper): turn what calls it into a promise and await it (eslint's \
             `no-done-callback` suggests `new Promise((done) => …)`)"
        } else if calls.iter().any(|c| {
            c.parent()
                .and_then(|call| call.child_by_field_name("arguments"))
                .is_some_and(|a| a.named_child_count() > 0)
        }) {
            "`done(…)` is called with an argument (an error): the rewrite must reject or throw \
             instead; do it by hand"
        } else if calls.len() > 1 {
            "`done()` is called in several places: which one ends the test is control flow \
             to rewrite by hand"
        } else if self.final_done(self.body, source).is_some() {
            "`done()` ends a test that is not one promise chain: drop the parameter and the \
             final `done()` once nothing asynchronous is left pending (await it)"
        } else {
            "`done()` is not the last statement (comments included) of the test or of its \
             single `.then` arrow callback: rewrite the test with `async`/`await` by hand"
        }
    }
}

/// The parameters of a function, comments aside.
fn parameters(function: Node) -> Vec<Node> {
    if let Some(single) = function.child_by_field_name("parameter") {
        return vec![single];
    }
    let Some(list) = function.child_by_field_name("parameters") else {
        return Vec::new();
    };
    let mut cursor = list.walk();
    list.named_children(&mut cursor)
        .filter(|p| p.kind() != "comment")
        .collect()
}

/// The name of a parameter that is a plain identifier (`done`, TypeScript's
/// `done: DoneCallback`).
fn binding_name<'s>(parameter: Node, source: &'s [u8]) -> Option<&'s str> {
    let node = match parameter.kind() {
        "identifier" => parameter,
        "required_parameter" if parameter.child_by_field_name("value").is_none() => parameter
            .child_by_field_name("pattern")
            .filter(|p| p.kind() == "identifier")?,
        _ => return None,
    };
    std::str::from_utf8(text(node, source)).ok()
}

/// The pattern of a parameter that can become `const <parameter> = …` as written: an
/// identifier or a destructuring pattern, typed or not, without a default.
fn simple_binding(parameter: Node) -> Option<Node> {
    let pattern = match parameter.kind() {
        "required_parameter" if parameter.child_by_field_name("value").is_none() => {
            parameter.child_by_field_name("pattern")?
        }
        "required_parameter" => return None,
        _ => parameter,
    };
    matches!(
        pattern.kind(),
        "identifier" | "object_pattern" | "array_pattern"
    )
    .then_some(pattern)
}

/// Every name a pattern binds (conservatively: every identifier in it).
fn bound_names<'s>(pattern: Node, source: &'s [u8], names: &mut Vec<&'s str>) {
    if matches!(
        pattern.kind(),
        "identifier" | "shorthand_property_identifier_pattern"
    ) {
        if let Ok(name) = std::str::from_utf8(text(pattern, source)) {
            names.push(name);
        }
        return;
    }
    let mut cursor = pattern.walk();
    for child in pattern.named_children(&mut cursor) {
        bound_names(child, source, names);
    }
}

/// Every reference to `name` under `node` (identifiers and `{ name }` shorthands).
fn collect_uses<'t>(node: Node<'t>, name: &str, source: &[u8], uses: &mut Vec<Node<'t>>) {
    if matches!(node.kind(), "identifier" | "shorthand_property_identifier")
        && text(node, source) == name.as_bytes()
    {
        uses.push(node);
        return;
    }
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        collect_uses(child, name, source, uses);
    }
}

/// Whether any node under `node` (itself included) is of one of `kinds`.
fn contains_kind(node: Node, kinds: &[&str]) -> bool {
    let mut cursor = node.walk();
    kinds.contains(&node.kind())
        || node
            .named_children(&mut cursor)
            .any(|c| contains_kind(c, kinds))
}

/// Whether an identifier is the callee of a call: `done()`.
fn is_callee(identifier: Node) -> bool {
    identifier.parent().is_some_and(|p| {
        p.kind() == "call_expression" && p.child_by_field_name("function") == Some(identifier)
    })
}

fn is_async(function: Node) -> bool {
    function.child(0).is_some_and(|c| c.kind() == "async")
}


fn str_of<'s>(node: Node, text: &'s str) -> &'s str {
    &text[node.byte_range()]
}

/// The spaces and tabs before `node` when it is the first thing on its line.
fn leading_indent<'s>(node: Node, text: &'s str) -> Option<&'s str> {
    let start = node.start_byte();
    let line = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let indent = &text[line..start];
    indent
        .bytes()
        .all(|b| b == b' ' || b == b'\t')
        .then_some(indent)
}

/// Lines after the first lose `from` for `to`; blank lines, and lines that start inside
/// a string or template in `verbatim` (ranges of the text, `kept` starting at `offset`),
/// stay as they are; `None` when another line does not start with `from`.
fn reindent(
    kept: &str,
    offset: usize,
    from: &str,
    to: &str,
    verbatim: &[std::ops::Range<usize>],
) -> Option<String> {
    let mut lines = kept.split('\n');
    let first = lines.next().unwrap_or_default();
    let mut out = first.to_owned();
    let mut at = offset + first.len() + 1;
    for line in lines {
        out.push('\n');
        let inside = verbatim.iter().any(|r| r.start < at && at < r.end);
        if inside || line.trim().is_empty() {
            out.push_str(line);
        } else {
            out.push_str(to);
            out.push_str(line.strip_prefix(from)?);
        }
        at += line.len() + 1;
    }
    Some(out)
}

/// The ranges of strings and templates under `node` that span lines (their text must
/// not be reindented).
fn multiline_strings(node: Node, ranges: &mut Vec<std::ops::Range<usize>>) {
    if matches!(node.kind(), "template_string" | "string")
        && node.start_position().row != node.end_position().row
    {
        ranges.push(node.byte_range());
        return;
    }
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        multiline_strings(child, ranges);
    }
}

/// The statement with its line when nothing else is on it, else with the spaces before it.
fn statement_line(statement: Node, source: &[u8]) -> std::ops::Range<usize> {
    let (start, end) = (statement.start_byte(), statement.end_byte());
    let mut before = start;
    while before > 0 && matches!(source[before - 1], b' ' | b'\t') {
        before -= 1;
    }
    let mut after = end;
    while after < source.len() && matches!(source[after], b' ' | b'\t' | b'\r') {
        after += 1;
    }
    let line_start = before == 0 || source[before - 1] == b'\n';
    if line_start && after < source.len() && source[after] == b'\n' {
        before..after + 1
    } else {
        before..end
    }
}

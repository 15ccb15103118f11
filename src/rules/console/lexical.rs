//! The lexical finder: proves console calls from tokens alone, or declines.
//!
//! Tree-sitter parses about 6–7 MB/s per core; a tokenizer runs an order of magnitude
//! faster. On real trees a few percent of files mention `console`, but those files are
//! the big ones, so parsing them would dominate a scan. This module tokenizes a file up
//! to its last `console` occurrence (comments, strings, template literals, regular
//! expressions and JSX are understood, so text inside them is never taken for code) and
//! decides each occurrence:
//!
//! - `x.console` is a property, not the global: ignored;
//! - `console.m(`, `console?.m(`, `console.m?.(`, `console["m"](` are calls;
//!   `console.m` followed by `;`, `,`, `.`, `=`, … is a reference;
//! - anything else — `console` not followed by `.`, `?.` or `["…"]` (that is every way to
//!   declare a binding named `console`, which would shadow the global), `new console.X`,
//!   `console.m<T>(`, ``console.m`…` ``, `(console.m)(`, a `/` after `}` that could start a
//!   regular expression, an unterminated literal, a `dash-ignore` comment — makes it
//!   return `None`, and the caller falls back to the tree finder.
//!
//! Declining is always safe; answering wrongly is not. The tests run both finders on the
//! same inputs and require identical answers.

use memchr::memmem;

use super::{ConsoleUse, NEEDLE, Usage};
use crate::syntax::lexer::{self, CONTROL_KEYWORDS, Kind, Token};
use crate::rules::suppress;
use crate::syntax::Lang;

/// Returns every console use in `source`, or `None` when it cannot be certain.
pub fn find(lang: Lang, source: &[u8]) -> Option<Vec<ConsoleUse>> {
    decide(lang, source).ok()
}

/// Every console use in `source`, or where and why the lexical finder declined (a byte
/// offset and a reason, shown by `dash scan -v`).
pub fn decide(lang: Lang, source: &[u8]) -> Result<Vec<ConsoleUse>, (usize, &'static str)> {
    let Some(last) = memmem::rfind(source, NEEDLE) else {
        return Ok(Vec::new());
    };
    // Suppression comments need line-accurate comment handling: leave them to the tree.
    if let Some(at) = memmem::find(source, suppress::MARKER) {
        return Err((at, "suppression comment"));
    }
    let tokens = lexer::tokens(lang, source, last + NEEDLE.len())?;
    decide_tokens(source, &tokens)
}

/// Decides every `console` identifier token, or declines the whole file.
fn decide_tokens(src: &[u8], tokens: &[Token]) -> Result<Vec<ConsoleUse>, (usize, &'static str)> {
    let mut uses = Vec::new();
    let mut shadowed: Vec<std::ops::Range<usize>> = Vec::new();
    for i in 0..tokens.len() {
        match decide_one(src, tokens, i)? {
            Decided::NotAUse => {}
            Decided::Use(u) => uses.push(u),
            Decided::Shadows(scope) => shadowed.push(scope),
        }
    }
    uses.retain(|u| !shadowed.iter().any(|scope| scope.contains(&u.start)));
    Ok(uses)
}

/// What one token is to the console rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decided {
    /// Not a `console` identifier, or one that is not a use of the global.
    NotAUse,
    Use(ConsoleUse),
    /// A block-scoped binding named `console`, visible in this byte range.
    Shadows(std::ops::Range<usize>),
}

/// Decides token `i`. Looks at most [`ARGUMENT_SCAN`] tokens either side of it, except
/// for a `const console`/`let console` binding, whose scope it finds by walking to the
/// enclosing braces.
pub(crate) fn decide_one(
    src: &[u8],
    tokens: &[Token],
    i: usize,
) -> Result<Decided, (usize, &'static str)> {
    let text = |t: &Token| &src[t.start..t.end];
    let kind_at = |i: usize| tokens.get(i).map(|t| t.kind);
    let token = &tokens[i];
    if token.kind != Kind::Ident || text(token) != NEEDLE {
        return Ok(Decided::NotAUse);
    }
    // `declare const console: C` describes a value; whether it shadows the global is
    // the tree's call (in a module it is the same global object at run time).
    if i >= 2 && text(&tokens[i - 2]) == b"declare" {
        return Err((token.start, "`declare`d `console`"));
    }
    if let Some(scope) = block_binding_scope(src, tokens, i) {
        return Ok(Decided::Shadows(scope));
    }
    // `(console).log`, `(console as any).log`, `console!.log`: the tree sees through
    // parentheses and assertions.
    match kind_at(i + 1) {
        Some(Kind::Punct(b'!')) => return Err((token.start, "`console!`")),
        Some(Kind::Ident) if matches!(text(&tokens[i + 1]), b"as" | b"satisfies") => {
            return Err((token.start, "`console as …`"));
        }
        Some(Kind::RParen) if i > 0 && tokens[i - 1].kind == Kind::LParen => {
            return Err((token.start, "`(console)`"));
        }
        _ => {}
    }
    if i > 0 {
        match tokens[i - 1].kind {
            // `x.console`, `x?.console`: a property, not the global.
            Kind::Dot | Kind::QuestionDot => return Ok(Decided::NotAUse),
            // `new console.Console()`, `@console.x`: not a plain call; let the tree decide.
            Kind::Punct(b'@') => return Err((token.start, "`@console`")),
            Kind::Ident if text(&tokens[i - 1]) == b"new" => {
                return Err((token.start, "`new console`"));
            }
            _ => {}
        }
    }
    let (method, callee_end, after) = match kind_at(i + 1) {
        Some(Kind::Dot | Kind::QuestionDot) => {
            let name = tokens
                .get(i + 2)
                .filter(|t| t.kind == Kind::Ident)
                .ok_or((token.start, "`console.` not followed by a name"))?;
            (
                Some(String::from_utf8_lossy(text(name)).into_owned()),
                name.end,
                i + 3,
            )
        }
        Some(Kind::LBracket) => {
            let computed = (token.start, "computed `console[…]` key");
            let key = tokens.get(i + 2).ok_or(computed)?;
            let close = tokens
                .get(i + 3)
                .filter(|t| t.kind == Kind::RBracket)
                .ok_or(computed)?;
            let name = match key.kind {
                Kind::Str { simple: true } => &src[key.start + 1..key.end - 1],
                Kind::Template if !src[key.start..key.end].contains(&b'\\') => {
                    &src[key.start + 1..key.end - 1]
                }
                _ => return Err(computed),
            };
            (
                Some(String::from_utf8_lossy(name).into_owned()),
                close.end,
                i + 4,
            )
        }
        // `typeof console`, `x = console`: the global as a value, no binding.
        _ if i > 0 && is_value_context(src, tokens, i) => return Ok(Decided::NotAUse),
        // `jest.spyOn(console, 'log')`: an argument, no binding.
        Some(Kind::Punct(b',') | Kind::RParen) if is_call_argument(src, tokens, i) => {
            return Ok(Decided::NotAUse);
        }
        // A binding, a label, a key, a type: the tree decides.
        _ => return Err((token.start, "`console` not followed by a member access")),
    };
    let usage = match kind_at(after) {
        Some(Kind::LParen) => Usage::Call,
        // `f(a, console.log)` or `if (console.time)`: an argument or a condition. A
        // directly parenthesized `(console.log)(x)` is a call, left to the tree.
        Some(Kind::RParen) if !directly_parenthesized(src, tokens, i) => Usage::Reference,
        Some(Kind::QuestionDot) if kind_at(after + 1) == Some(Kind::LParen) => Usage::Call,
        // An identifier: a new statement after ASI, or `as`/`satisfies`, which make
        // the member a value even inside parentheses.
        Some(
            Kind::Dot
            | Kind::QuestionDot
            | Kind::RBrace
            | Kind::RBracket
            | Kind::Increment
            | Kind::Ident,
        )
        | None => Usage::Reference,
        Some(Kind::Punct(
            b';' | b',' | b'=' | b':' | b'?' | b'|' | b'&' | b'+' | b'-' | b'*' | b'%' | b'^'
            | b'/' | b'>',
        )) => Usage::Reference,
        // `!` (non-null call), `<` (generic call), templates (tagged calls), `)`
        // (maybe a parenthesized callee): the tree decides.
        _ => return Err((token.start, "unusual token after `console.<method>`")),
    };
    Ok(Decided::Use(ConsoleUse {
        usage,
        method,
        start: token.start,
        callee_end,
    }))
}

/// `const console = …` / `let console: T = …`: a block-scoped binding, visible from the
/// `{` that encloses it to the matching `}` (the whole file at top level). Returns that
/// byte range. `var` (function-scoped) and destructuring are left to the tree.
fn block_binding_scope(src: &[u8], tokens: &[Token], i: usize) -> Option<std::ops::Range<usize>> {
    let prev = tokens.get(i.checked_sub(1)?)?;
    if prev.kind != Kind::Ident || !matches!(&src[prev.start..prev.end], b"const" | b"let") {
        return None;
    }
    if !matches!(tokens.get(i + 1)?.kind, Kind::Punct(b'=' | b':')) {
        return None;
    }
    let mut depth = 0usize;
    let mut parens = 0usize;
    let mut open = None;
    for j in (0..i).rev() {
        match tokens[j].kind {
            Kind::RParen => parens += 1,
            // `for (let console = …;;)` is scoped to the loop: the tree decides.
            Kind::LParen if parens == 0 => return None,
            Kind::LParen => parens -= 1,
            Kind::RBrace => depth += 1,
            Kind::LBrace if depth == 0 => {
                open = Some(j);
                break;
            }
            Kind::LBrace => depth -= 1,
            _ => {}
        }
    }
    let Some(open) = open else {
        return Some(0..src.len());
    };
    let mut depth = 0usize;
    for token in &tokens[i + 1..] {
        match token.kind {
            Kind::LBrace => depth += 1,
            Kind::RBrace if depth == 0 => return Some(tokens[open].start..token.end),
            Kind::RBrace => depth -= 1,
            _ => {}
        }
    }
    // The block continues past where tokenizing stopped: shadowed to the end.
    Some(tokens[open].start..src.len())
}

/// Tokens before which an identifier is read as a value and never declared.
const VALUE_KEYWORDS: &[&[u8]] = &[
    b"return",
    b"typeof",
    b"void",
    b"delete",
    b"await",
    b"yield",
    b"throw",
    b"in",
    b"instanceof",
];

/// Whether the token before `console` (at `i`) makes it a value: after `=`, `!`, `?` or a
/// keyword such as `typeof`, a name is never a declaration, unless `=>` follows it.
fn is_value_context(src: &[u8], tokens: &[Token], i: usize) -> bool {
    // `x = console => …`, `a ? console => 1 : b`: an arrow function's parameter.
    let arrow_follows = tokens
        .get(i + 1)
        .is_some_and(|t| t.kind == Kind::Punct(b'='))
        && tokens
            .get(i + 2)
            .is_some_and(|t| t.kind == Kind::Punct(b'>') && t.start == tokens[i + 1].end);
    if arrow_follows {
        return false;
    }
    let prev = &tokens[i - 1];
    match prev.kind {
        Kind::Punct(b'=' | b'!' | b'?') => true,
        Kind::Ident => VALUE_KEYWORDS.contains(&&src[prev.start..prev.end]),
        _ => false,
    }
}

/// Keywords that put a parenthesized list after them that is not a call's arguments.
const NOT_A_CALLEE: &[&[u8]] = &[
    b"function",
    b"if",
    b"for",
    b"while",
    b"switch",
    b"catch",
    b"with",
    b"return",
    b"typeof",
    b"void",
    b"delete",
    b"await",
    b"yield",
    b"in",
    b"of",
    b"new",
    b"async",
    b"get",
    b"set",
    b"static",
    b"constructor",
];

/// How far the argument check looks for the enclosing parentheses, in tokens: enough for
/// real argument lists, and it keeps the check linear.
pub(crate) const ARGUMENT_SCAN: usize = 256;

/// Whether `console` at `i` is one argument of a call such as `spyOn(console, 'log')`:
/// the enclosing `(` follows a callee (a name that is not a declaring keyword, `)` or
/// `]`), and the matching `)` is not followed by `{`, `=>` or `:`, which would make the
/// list a parameter list (function, method, arrow, typed signature).
fn is_call_argument(src: &[u8], tokens: &[Token], i: usize) -> bool {
    // Back to the enclosing `(`.
    let mut depth = 0usize;
    let mut open = None;
    for j in (i.saturating_sub(ARGUMENT_SCAN)..i).rev() {
        match tokens[j].kind {
            Kind::RParen | Kind::RBracket | Kind::RBrace => depth += 1,
            Kind::LBracket | Kind::LBrace if depth == 0 => return false, // a pattern or literal
            Kind::LParen | Kind::LBracket | Kind::LBrace if depth > 0 => depth -= 1,
            Kind::LParen => {
                open = Some(j);
                break;
            }
            _ => {}
        }
    }
    let Some(open) = open else { return false };
    let Some(callee) = open.checked_sub(1).map(|j| &tokens[j]) else {
        return false;
    };
    let is_keyword =
        |t: &Token| t.kind == Kind::Ident && NOT_A_CALLEE.contains(&&src[t.start..t.end]);
    let callee_ok = match callee.kind {
        // `function f(console)` and `get f(console)` are declarations.
        Kind::Ident => {
            !is_keyword(callee) && !open.checked_sub(2).is_some_and(|j| is_keyword(&tokens[j]))
        }
        Kind::RParen | Kind::RBracket => true,
        _ => false,
    };
    if !callee_ok {
        return false;
    }
    // Forward to the matching `)` and look at what follows it.
    let mut depth = 0usize;
    for j in i + 1..(i + ARGUMENT_SCAN).min(tokens.len()) {
        match tokens[j].kind {
            Kind::LParen | Kind::LBracket | Kind::LBrace => depth += 1,
            Kind::RParen if depth == 0 => {
                return match tokens.get(j + 1).map(|t| t.kind) {
                    Some(Kind::LBrace | Kind::Punct(b':')) => false,
                    Some(Kind::Punct(b'=')) => tokens
                        .get(j + 2)
                        .is_some_and(|t| t.kind != Kind::Punct(b'>')),
                    _ => true,
                };
            }
            Kind::RParen | Kind::RBracket | Kind::RBrace => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Whether `console.<m>` at `i` is wrapped in its own parentheses, `(console.m)`, which
/// is a call when another `(` follows; a condition such as `if (console.time)` is not.
fn directly_parenthesized(src: &[u8], tokens: &[Token], i: usize) -> bool {
    match i.checked_sub(1).map(|j| tokens[j].kind) {
        Some(Kind::LParen) => !i.checked_sub(2).is_some_and(|j| {
            tokens[j].kind == Kind::Ident
                && CONTROL_KEYWORDS.contains(&&src[tokens[j].start..tokens[j].end])
        }),
        _ => false,
    }
}

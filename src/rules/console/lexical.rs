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
    let mut lexer = Lexer::new(source, lang.allows_jsx());
    match lexer.run(last + NEEDLE.len()) {
        Some(()) => decide_tokens(source, &lexer.tokens),
        None => Err(lexer
            .why
            .unwrap_or((lexer.pos, "unterminated literal or comment"))),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ident,
    /// A number, a regular expression, a private name or a whole JSX element: a value
    /// that nothing in this module looks inside.
    Value,
    /// A string literal; `simple` when it holds no escape sequence.
    Str {
        simple: bool,
    },
    /// A template literal without substitutions, or the last piece of one.
    Template,
    /// The piece of a template literal before a `${`.
    TemplateHead,
    Dot,
    QuestionDot,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    /// `++` or `--`.
    Increment,
    /// Any other punctuator, by its first byte.
    Punct(u8),
}

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

/// What an open `{` belongs to, so the matching `}` resumes the right mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Brace {
    Block,
    /// `${` inside a template literal.
    Template,
    /// `{` inside JSX (an attribute value or a child expression).
    Jsx,
}

struct Lexer<'s> {
    src: &'s [u8],
    pos: usize,
    jsx: bool,
    tokens: Vec<Token>,
    braces: Vec<Brace>,
    /// For each open `(`: whether it is the head of `if`/`while`/`for`/`with`, after
    /// whose `)` a `/` starts a regular expression.
    parens: Vec<bool>,
    /// Whether the last `)` closed a control-statement head.
    last_paren_was_control: bool,
    /// Where and why tokenizing stopped short, when it did.
    why: Option<(usize, &'static str)>,
}

impl Lang {
    fn allows_jsx(self) -> bool {
        !matches!(self, Lang::TypeScript)
    }
}

const KEYWORDS_BEFORE_EXPRESSION: &[&[u8]] = &[
    b"return",
    b"typeof",
    b"instanceof",
    b"in",
    b"of",
    b"new",
    b"delete",
    b"void",
    b"throw",
    b"case",
    b"do",
    b"else",
    b"yield",
    b"await",
];

const CONTROL_KEYWORDS: &[&[u8]] = &[b"if", b"while", b"for", b"with"];

impl<'s> Lexer<'s> {
    fn new(src: &'s [u8], jsx: bool) -> Self {
        Lexer {
            src,
            pos: 0,
            jsx,
            tokens: Vec::with_capacity(src.len() / 6),
            braces: Vec::new(),
            parens: Vec::new(),
            last_paren_was_control: false,
            why: None,
        }
    }

    /// Declines, remembering the first reason.
    fn no<T>(&mut self, why: &'static str) -> Option<T> {
        self.why.get_or_insert((self.pos, why));
        None
    }

    fn peek(&self, offset: usize) -> u8 {
        self.src.get(self.pos + offset).copied().unwrap_or(0)
    }

    fn push(&mut self, kind: Kind, start: usize) {
        self.tokens.push(Token {
            kind,
            start,
            end: self.pos,
        });
    }

    /// Tokenizes until a few tokens past byte `until` (enough to decide the last
    /// occurrence), or the end of the file. `None` means "not certain".
    fn run(&mut self, until: usize) -> Option<()> {
        if self.src.starts_with(b"#!") {
            self.pos = memchr::memchr(b'\n', self.src).unwrap_or(self.src.len());
        }
        let mut past_until = 0;
        while self.skip_trivia()? {
            if self.pos >= until {
                past_until += 1;
                if past_until > 6 {
                    break;
                }
            }
            self.token()?;
        }
        Some(())
    }

    /// Skips white space and comments; `Some(false)` at the end of input.
    fn skip_trivia(&mut self) -> Option<bool> {
        loop {
            let Some(&b) = self.src.get(self.pos) else {
                return Some(false);
            };
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => self.pos += 1,
                b'/' if self.peek(1) == b'/' => {
                    self.pos = memchr::memchr2(b'\n', b'\r', &self.src[self.pos..])
                        .map_or(self.src.len(), |i| self.pos + i);
                }
                b'/' if self.peek(1) == b'*' => {
                    let end = memmem::find(&self.src[self.pos + 2..], b"*/")?;
                    self.pos += 2 + end + 2;
                }
                0xc2 if self.peek(1) == 0xa0 => self.pos += 2, // no-break space
                0xef if self.peek(1) == 0xbb && self.peek(2) == 0xbf => self.pos += 3, // BOM
                0xe2 if self.peek(1) == 0x80 && matches!(self.peek(2), 0xa8 | 0xa9) => {
                    self.pos += 3
                } // line/para separator
                _ => return Some(true),
            }
        }
    }

    /// Whether an expression may start here, judged by the previous token. `None` when
    /// that cannot be known without a parser (after `}`).
    fn expression_may_start(&self) -> Option<bool> {
        let Some(prev) = self.tokens.last() else {
            return Some(true);
        };
        Some(match prev.kind {
            // `x.return / 2`: after a dot a keyword is a property name, a value.
            Kind::Ident => {
                KEYWORDS_BEFORE_EXPRESSION.contains(&&self.src[prev.start..prev.end])
                    && !self.tokens.len().checked_sub(2).is_some_and(|i| {
                        matches!(self.tokens[i].kind, Kind::Dot | Kind::QuestionDot)
                    })
            }
            Kind::Value | Kind::Str { .. } | Kind::Template | Kind::RBracket | Kind::Increment => {
                false
            }
            Kind::RParen => self.last_paren_was_control,
            Kind::RBrace => return None,
            _ => true,
        })
    }

    fn token(&mut self) -> Option<()> {
        let start = self.pos;
        let b = self.src[self.pos];
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'$' | 0x80.. => {
                self.ident();
                self.push(Kind::Ident, start);
            }
            b'0'..=b'9' => {
                self.number();
                self.push(Kind::Value, start);
            }
            b'.' if self.peek(1).is_ascii_digit() => {
                self.number();
                self.push(Kind::Value, start);
            }
            b'"' | b'\'' => {
                let simple = self.string(b)?;
                self.push(Kind::Str { simple }, start);
            }
            b'`' => {
                self.pos += 1;
                let kind = self.template_rest()?;
                self.push(kind, start);
            }
            b'#' => {
                self.pos += 1;
                self.ident();
                self.push(Kind::Value, start);
            }
            b'\\' => return self.no("unicode escape outside a literal"),
            b'/' => {
                let Some(may_start) = self.expression_may_start() else {
                    return self.no("`/` after `}`");
                };
                if may_start {
                    self.regex()?;
                    self.push(Kind::Value, start);
                } else {
                    self.pos += if self.peek(1) == b'=' { 2 } else { 1 };
                    self.push(Kind::Punct(b'/'), start);
                }
            }
            b'<' if self.jsx
                && !matches!(self.peek(1), b'<' | b'=')
                && self
                    .expression_may_start()
                    .or_else(|| self.no("`<` after `}`"))? =>
            {
                self.jsx_element()?;
                self.push(Kind::Value, start);
            }
            b'(' => {
                let control = self.tokens.last().is_some_and(|t| {
                    t.kind == Kind::Ident && CONTROL_KEYWORDS.contains(&&self.src[t.start..t.end])
                });
                self.parens.push(control);
                self.pos += 1;
                self.push(Kind::LParen, start);
            }
            b')' => {
                let Some(control) = self.parens.pop() else {
                    return self.no("unbalanced `)`");
                };
                self.last_paren_was_control = control;
                self.pos += 1;
                self.push(Kind::RParen, start);
            }
            b'{' => {
                self.braces.push(Brace::Block);
                self.pos += 1;
                self.push(Kind::LBrace, start);
            }
            b'}' => match self.braces.pop().or_else(|| self.no("unbalanced `}`"))? {
                Brace::Block => {
                    self.pos += 1;
                    self.push(Kind::RBrace, start);
                }
                Brace::Template => {
                    self.pos += 1;
                    let kind = self.template_rest()?;
                    self.push(kind, start);
                }
                // The JSX scanner consumes its own closing braces.
                Brace::Jsx => return self.no("unbalanced `}` in JSX"),
            },
            b'[' => {
                self.pos += 1;
                self.push(Kind::LBracket, start);
            }
            b']' => {
                self.pos += 1;
                self.push(Kind::RBracket, start);
            }
            b'.' => {
                if self.peek(1) == b'.' && self.peek(2) == b'.' {
                    self.pos += 3;
                    self.push(Kind::Punct(b'.'), start);
                } else {
                    self.pos += 1;
                    self.push(Kind::Dot, start);
                }
            }
            b'?' if self.peek(1) == b'.' && !self.peek(2).is_ascii_digit() => {
                self.pos += 2;
                self.push(Kind::QuestionDot, start);
            }
            // `<<`, `<=`, `<<=`: one punctuator, so the second `<` is never taken for JSX.
            b'<' if matches!(self.peek(1), b'<' | b'=') => {
                self.pos += if self.peek(1) == b'<' && self.peek(2) == b'=' {
                    3
                } else {
                    2
                };
                self.push(Kind::Punct(b'<'), start);
            }
            b'+' | b'-' if self.peek(1) == b => {
                self.pos += 2;
                self.push(Kind::Increment, start);
            }
            _ => {
                self.pos += 1;
                self.push(Kind::Punct(b), start);
            }
        }
        Some(())
    }

    fn ident(&mut self) {
        while let Some(&b) = self.src.get(self.pos) {
            match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'$' => self.pos += 1,
                // Non-ASCII: identifier characters, except the spaces skip_trivia knows.
                0xc2 if self.peek(1) == 0xa0 => break,
                0xef if self.peek(1) == 0xbb => break,
                0xe2 if self.peek(1) == 0x80 && matches!(self.peek(2), 0xa8 | 0xa9) => break,
                0x80.. => self.pos += 1,
                _ => break,
            }
        }
    }

    /// Greedy: digits, letters, `_`, `.` and an exponent sign. Over-consuming inside a
    /// number is harmless (no `console` lives in a number); under-consuming is not.
    fn number(&mut self) {
        while let Some(&b) = self.src.get(self.pos) {
            match b {
                b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'.' => self.pos += 1,
                b'+' | b'-' if matches!(self.src[self.pos - 1], b'e' | b'E') => self.pos += 1,
                _ => break,
            }
        }
    }

    /// A quoted string; `Some(simple)` where `simple` means no escapes.
    fn string(&mut self, quote: u8) -> Option<bool> {
        self.pos += 1;
        let mut simple = true;
        loop {
            let rest = &self.src[self.pos..];
            let i = memchr::memchr3(quote, b'\\', b'\n', rest)?;
            if rest[..i].contains(&b'\r') {
                return None;
            }
            self.pos += i;
            match self.src[self.pos] {
                b'\\' => {
                    simple = false;
                    self.pos += if self.peek(1) == b'\r' && self.peek(2) == b'\n' {
                        3
                    } else {
                        2
                    };
                }
                b'\n' => return None, // unterminated
                _ => {
                    self.pos += 1;
                    return Some(simple);
                }
            }
        }
    }

    /// The rest of a template literal after `` ` `` or after the `}` closing a
    /// substitution: `Template` when it ends, `TemplateHead` when a `${` opens.
    fn template_rest(&mut self) -> Option<Kind> {
        loop {
            let rest = &self.src[self.pos..];
            let i = memchr::memchr3(b'`', b'\\', b'$', rest)?;
            self.pos += i;
            match self.src[self.pos] {
                b'`' => {
                    self.pos += 1;
                    return Some(Kind::Template);
                }
                b'\\' => self.pos += 2,
                _ if self.peek(1) == b'{' => {
                    self.pos += 2;
                    self.braces.push(Brace::Template);
                    return Some(Kind::TemplateHead);
                }
                _ => self.pos += 1,
            }
        }
    }

    fn regex(&mut self) -> Option<()> {
        self.pos += 1;
        let mut in_class = false;
        loop {
            let b = *self.src.get(self.pos)?;
            self.pos += 1;
            match b {
                b'\\' => self.pos += 1,
                b'[' => in_class = true,
                b']' => in_class = false,
                b'/' if !in_class => break,
                b'\n' | b'\r' => return None,
                _ => {}
            }
        }
        self.ident(); // flags
        Some(())
    }

    /// A whole JSX element (or fragment) starting at `<`, including nested elements and
    /// the expressions in its braces. Expressions are tokenized like any other code, so
    /// `console` inside `{…}` is still decided. Generic arrow functions in TSX
    /// (`<T,>(x) => …`) are declined.
    fn jsx_element(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            // At a `<`: an opening tag, a closing tag or a fragment.
            debug_assert_eq!(self.src.get(self.pos), Some(&b'<'));
            self.pos += 1;
            self.skip_jsx_space();
            let closing = self.peek(0) == b'/';
            if closing {
                self.pos += 1;
            }
            // Tag name: `div`, `Foo.Bar`, `svg:rect`, `my-element`, or empty for `<>`.
            let name_start = self.pos;
            while matches!(self.peek(0), b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'$' | b'.' | b':' | b'-' | 0x80..)
            {
                self.pos += 1;
            }
            let named = self.pos > name_start;
            if !closing && !named && self.peek(0) != b'>' {
                return self.no("`<` that is not a JSX tag");
            }
            self.skip_jsx_space();
            if !closing
                && named
                && matches!(self.peek(0), b',' | b'e')
                && self.looks_like_type_parameters()
            {
                return self.no("TSX type parameters");
            }
            // Attributes until `>` or `/>`.
            let self_closing = loop {
                self.skip_jsx_space();
                match *self.src.get(self.pos)? {
                    b'>' => {
                        self.pos += 1;
                        break false;
                    }
                    b'/' if self.peek(1) == b'>' => {
                        self.pos += 2;
                        break true;
                    }
                    b'"' | b'\'' => {
                        // JSX attribute strings have no escapes and may span lines.
                        let quote = self.src[self.pos];
                        let end = memchr::memchr(quote, &self.src[self.pos + 1..])?;
                        self.pos += end + 2;
                    }
                    b'{' => self.jsx_expression()?,
                    b'<' => return self.no("JSX element as an attribute value"),
                    b'a'..=b'z'
                    | b'0'..=b'9'
                    | b'A'..=b'Z'
                    | b'_'
                    | b'$'
                    | b'-'
                    | b':'
                    | b'='
                    | b'.'
                    | 0x80.. => self.pos += 1,
                    _ => return self.no("unexpected byte in a JSX tag"),
                }
            };
            if closing {
                depth = depth
                    .checked_sub(1)
                    .or_else(|| self.no("unbalanced JSX closing tag"))?;
            } else if !self_closing {
                depth += 1;
            }
            if depth == 0 {
                return Some(());
            }
            // Children: text, `{expression}` and nested elements, until the next `<`.
            loop {
                let rest = &self.src[self.pos..];
                let i = memchr::memchr2(b'<', b'{', rest)?;
                self.pos += i;
                if self.src[self.pos] == b'<' {
                    break;
                }
                self.jsx_expression()?;
            }
        }
    }

    /// `<T,>` or `<T extends U>` at an expression start in TSX: type parameters.
    fn looks_like_type_parameters(&self) -> bool {
        self.peek(0) == b',' || self.src[self.pos..].starts_with(b"extends")
    }

    fn skip_jsx_space(&mut self) {
        while matches!(self.peek(0), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        // Comments inside tags: `<div /* note */ a="1">`.
        if self.peek(0) == b'/' && matches!(self.peek(1), b'*' | b'/') {
            let _ = self.skip_trivia();
            self.skip_jsx_space();
        }
    }

    /// `{ … }` inside JSX, tokenized as code; the closing brace returns to JSX.
    fn jsx_expression(&mut self) -> Option<()> {
        let start = self.pos;
        self.pos += 1;
        self.push(Kind::LBrace, start);
        let depth = self.braces.len();
        self.braces.push(Brace::Jsx);
        loop {
            if !self.skip_trivia()? {
                return None;
            }
            if self.src[self.pos] == b'}' && self.braces.len() == depth + 1 {
                self.braces.pop();
                let start = self.pos;
                self.pos += 1;
                self.push(Kind::RBrace, start);
                return Some(());
            }
            self.token()?;
        }
    }
}

/// Decides every `console` identifier token, or declines the whole file.
fn decide_tokens(src: &[u8], tokens: &[Token]) -> Result<Vec<ConsoleUse>, (usize, &'static str)> {
    let text = |t: &Token| &src[t.start..t.end];
    let kind_at = |i: usize| tokens.get(i).map(|t| t.kind);
    let mut uses = Vec::new();
    let mut shadowed: Vec<std::ops::Range<usize>> = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        if token.kind != Kind::Ident || text(token) != NEEDLE {
            continue;
        }
        // `declare const console: C` describes a value; whether it shadows the global is
        // the tree's call (in a module it is the same global object at run time).
        if i >= 2 && text(&tokens[i - 2]) == b"declare" {
            return Err((token.start, "`declare`d `console`"));
        }
        if let Some(scope) = block_binding_scope(src, tokens, i) {
            shadowed.push(scope);
            continue;
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
                Kind::Dot | Kind::QuestionDot => continue,
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
            _ if i > 0 && is_value_context(src, tokens, i) => continue,
            // `jest.spyOn(console, 'log')`: an argument, no binding.
            Some(Kind::Punct(b',') | Kind::RParen) if is_call_argument(src, tokens, i) => continue,
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
        uses.push(ConsoleUse {
            usage,
            method,
            start: token.start,
            callee_end,
        });
    }
    uses.retain(|u| !shadowed.iter().any(|scope| scope.contains(&u.start)));
    Ok(uses)
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
const ARGUMENT_SCAN: usize = 256;

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

//! A JavaScript/TypeScript/JSX tokenizer that understands comments, strings, template
//! literals, regular expressions and JSX, so text inside them is never taken for code.
//! It runs an order of magnitude faster than a tree-sitter parse, which is why rules use
//! it for byte-level fast paths (`FileRule::quick`): whenever it cannot be certain (a `/`
//! that may start a regular expression, an unterminated literal) it stops and says where
//! and why, and the rule falls back to the tree.

use memchr::memmem;

use crate::syntax::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
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
pub(crate) struct Token {
    pub(crate) kind: Kind,
    pub(crate) start: usize,
    pub(crate) end: usize,
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

pub(crate) struct Lexer<'s> {
    src: &'s [u8],
    pub(crate) pos: usize,
    jsx: bool,
    pub(crate) tokens: Vec<Token>,
    braces: Vec<Brace>,
    /// For each open `(`: whether it is the head of `if`/`while`/`for`/`with`, after
    /// whose `)` a `/` starts a regular expression.
    parens: Vec<bool>,
    /// Whether the last `)` closed a control-statement head.
    last_paren_was_control: bool,
    /// Where and why tokenizing stopped short, when it did.
    pub(crate) why: Option<(usize, &'static str)>,
    /// Whether a JSX element was read (its text is one `Value` token).
    pub(crate) saw_jsx: bool,
}

impl Lang {
    pub(crate) fn allows_jsx(self) -> bool {
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

pub(crate) const CONTROL_KEYWORDS: &[&[u8]] = &[b"if", b"while", b"for", b"with"];

impl<'s> Lexer<'s> {
    pub(crate) fn new(src: &'s [u8], jsx: bool) -> Self {
        Lexer {
            src,
            pos: 0,
            jsx,
            tokens: Vec::with_capacity(src.len() / 6),
            braces: Vec::new(),
            parens: Vec::new(),
            last_paren_was_control: false,
            why: None,
            saw_jsx: false,
        }
    }

    /// A lexer that keeps at most about `batch` tokens at a time ([`Lexer::run_batch`]),
    /// for files too big to hold every token.
    pub(crate) fn streaming(src: &'s [u8], jsx: bool, batch: usize) -> Self {
        let mut lexer = Lexer::new(&src[..0], jsx);
        lexer.src = src;
        lexer.tokens.reserve(batch);
        lexer
    }

    /// Tokenizes until `tokens` holds `limit` tokens or the input ends: `Some(true)` when
    /// input remains, `Some(false)` at its end, `None` when not certain (see `why`).
    pub(crate) fn run_batch(&mut self, limit: usize) -> Option<bool> {
        if self.pos == 0 && self.src.starts_with(b"#!") {
            self.pos = memchr::memchr(b'\n', self.src).unwrap_or(self.src.len());
        }
        while self.tokens.len() < limit {
            if !self.skip_trivia()? {
                return Some(false);
            }
            self.token()?;
        }
        Some(true)
    }

    /// Drops all but the last `keep` tokens (the lexer itself looks back two).
    pub(crate) fn drain_front(&mut self, keep: usize) -> usize {
        let drop = self.tokens.len().saturating_sub(keep.max(2));
        self.tokens.drain(..drop);
        drop
    }

    /// Whether every bracket opened was closed (at the end of input).
    pub(crate) fn balanced(&self) -> bool {
        self.braces.is_empty() && self.parens.is_empty()
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
    pub(crate) fn run(&mut self, until: usize) -> Option<()> {
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
                self.saw_jsx = true;
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

/// The tokens of `source` up to offset `until` (the whole file with `source.len()`), or
/// where and why tokenizing stopped short.
pub(crate) fn tokens(
    lang: Lang,
    source: &[u8],
    until: usize,
) -> Result<Vec<Token>, (usize, &'static str)> {
    let mut lexer = Lexer::new(source, lang.allows_jsx());
    match lexer.run(until) {
        Some(()) => Ok(lexer.tokens),
        None => Err(lexer
            .why
            .unwrap_or((lexer.pos, "unterminated literal or comment"))),
    }
}

/// How a streamed file ended.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StreamEnd {
    /// A JSX element was read (its text is one opaque token).
    pub(crate) saw_jsx: bool,
}

/// Tokens per batch of [`stream`]: a few hundred kilobytes, whatever the file's size.
const STREAM_BATCH: usize = 1 << 15;

/// Tokenizes all of `source` and calls `visit(tokens, i)` for every token in order,
/// without holding every token at once: `tokens[i]` is the token visited, and at least
/// `margin` tokens before and after it are in `tokens` (fewer only at the ends of the
/// file). Stops at the first decline of the lexer or of `visit`, and declines when a
/// bracket is left open at the end.
pub(crate) fn stream(
    lang: Lang,
    source: &[u8],
    margin: usize,
    mut visit: impl FnMut(&[Token], usize) -> Result<(), (usize, &'static str)>,
) -> Result<StreamEnd, (usize, &'static str)> {
    let batch = STREAM_BATCH.max(4 * margin);
    let mut lexer = Lexer::streaming(source, lang.allows_jsx(), batch + 2 * margin);
    let mut next = 0;
    loop {
        let limit = lexer.tokens.len() + batch;
        let more = match lexer.run_batch(limit) {
            Some(more) => more,
            None => {
                return Err(lexer
                    .why
                    .unwrap_or((lexer.pos, "unterminated literal or comment")));
            }
        };
        let end = if more {
            lexer.tokens.len().saturating_sub(margin)
        } else {
            lexer.tokens.len()
        };
        while next < end {
            visit(&lexer.tokens, next)?;
            next += 1;
        }
        if !more {
            break;
        }
        next -= lexer.drain_front(lexer.tokens.len() - next + margin);
    }
    if !lexer.balanced() {
        return Err((
            source.len(),
            "a bracket is left open at the end of the file",
        ));
    }
    Ok(StreamEnd {
        saw_jsx: lexer.saw_jsx,
    })
}

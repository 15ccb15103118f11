//! The console rule from tokens, for files too big to parse whole (`engine::large`): the
//! uses of the global console ([`lexical::decide_one`]), each call's arguments described
//! from bracket-matched tokens exactly as the tree would describe them ([`fix::Arg`]),
//! or a decline whenever that cannot be certain — and then the file takes the tree path.
//!
//! Declining is always correct; a different answer from the tree path never is. So this
//! module declines the whole file on anything the tree path would decide from context it
//! does not have here: a binding of `console`, an assignment to it, a call nested in
//! another's arguments, an argument shape it cannot classify, and any name of a logging
//! function in a declaring position (the tree path's "own logging function" judgement).

use std::ops::Range;

use super::fix::{Arg, ArgKind, LOG_FUNCTION_NAMES};
use super::lexical::{self, ARGUMENT_SCAN, Decided};
use super::{ConsoleUse, Usage};
use crate::rules::suppress;
use crate::syntax::Lang;
use crate::syntax::lexer::{self, Kind, Token};

/// Why the token path declined: a byte offset and a reason.
pub(crate) type Decline = (usize, &'static str);

/// One console use, with its call's arguments when it is a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenUse {
    pub(crate) console: ConsoleUse,
    pub(crate) call: Option<TokenCall>,
}

/// A call's argument list as the policy needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenCall {
    pub(crate) args: Vec<Arg>,
    /// The text between the parentheses.
    pub(crate) inner: Range<usize>,
    /// A comment stands among the arguments (not inside one of them).
    pub(crate) comment: bool,
}

/// How far past a token the scan may need to look: an argument list longer than this
/// declines the file.
const MARGIN: usize = 8 * ARGUMENT_SCAN;

/// Every console use of `source` with its call's arguments, or why not certain.
#[cfg(test)]
pub(crate) fn scan(lang: Lang, source: &str) -> Result<Vec<TokenUse>, Decline> {
    let mut uses = Vec::new();
    scan_each(lang, source, |u| uses.push(u))?;
    Ok(uses)
}

/// Calls `each` with every console use of `source` and its call's arguments, in order,
/// as it is read (a big file's uses are never all held at once), or says why it is not
/// certain (after which the uses already given must be discarded).
pub(crate) fn scan_each(
    lang: Lang,
    source: &str,
    mut each: impl FnMut(TokenUse),
) -> Result<(), Decline> {
    let src = source.as_bytes();
    if let Some(at) = memchr::memmem::find(src, suppress::MARKER) {
        return Err((at, "suppression comment"));
    }
    if let Some(&at) = super::fix::console_assignment_candidates(source).first() {
        return Err((at, "`console =` somewhere in the file"));
    }
    let typescript = matches!(lang, Lang::TypeScript | Lang::Tsx);
    // The end of the last call's argument list: a use before it is nested.
    let mut open_until = 0;
    lexer::stream(lang, src, MARGIN, |tokens, i| {
        let token = &tokens[i];
        if token.kind != Kind::Ident {
            return Ok(());
        }
        let word = &src[token.start..token.end];
        if LOG_FUNCTION_NAMES.contains(&std::str::from_utf8(word).unwrap_or("")) {
            declares_a_name(src, tokens, i)?;
            return Ok(());
        }
        let console = match lexical::decide_one(src, tokens, i)? {
            Decided::NotAUse => return Ok(()),
            Decided::Shadows(_) => return Err((token.start, "a binding named `console`")),
            Decided::Use(u) => u,
        };
        if console.start < open_until {
            return Err((console.start, "a console use inside a console call's arguments"));
        }
        let call = match console.usage {
            Usage::Reference => None,
            Usage::Call => {
                let (call, close) = call_of(src, tokens, i, console.callee_end, typescript)?;
                open_until = close;
                Some(call)
            }
        };
        each(TokenUse { console, call });
        Ok(())
    })?;
    Ok(())
}

/// Whether every occurrence of `name` in `tail` (the text after a file's head) is a
/// member access on it (`name.x`, `name?.x`) and not a TypeScript `namespace name.x` /
/// `module name.x`: read from the bytes, so occurrences in strings and comments count
/// too. Every binding of the name has an occurrence this rejects, so when it holds, the
/// head holds every binding of the name.
pub(crate) fn only_members_of(tail: &[u8], name: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80;
    memchr::memmem::find_iter(tail, name.as_bytes()).all(|at| {
        let end = at + name.len();
        if at > 0 && word(tail[at - 1]) || tail.get(end).is_some_and(|&b| word(b)) {
            return true; // part of a longer name
        }
        let rest = &tail[end..];
        let skip = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let rest = &rest[skip..];
        let member = rest.starts_with(b".") || rest.starts_with(b"?.");
        let before = tail[..at].trim_ascii_end();
        let declared = [&b"namespace"[..], b"module"].iter().any(|k| {
            before.ends_with(k)
                && !before[..before.len() - k.len()]
                    .last()
                    .is_some_and(|&b| word(b))
        });
        member && !declared
    })
}

/// Declines when a logging function's name (`log`, `info` …) at `i` is in a declaring
/// position: after `function` (or `function*`), before `=`, `:`, `!`, `?` or `<`, or a
/// method shorthand `name(…) {` / `name(…): T {`. Those are every way the tree path's
/// enclosing-function check can name a function or count a logger object's member.
fn declares_a_name(src: &[u8], tokens: &[Token], i: usize) -> Result<(), Decline> {
    let at = tokens[i].start;
    let word = |t: &Token| &src[t.start..t.end];
    let prev = i.checked_sub(1).map(|j| &tokens[j]);
    let after_function = match prev {
        Some(p) if p.kind == Kind::Ident && word(p) == b"function" => true,
        Some(p) if p.kind == Kind::Punct(b'*') => true,
        _ => false,
    };
    if after_function {
        return Err((at, "a logging function's name is declared"));
    }
    let after_dot = prev.is_some_and(|p| matches!(p.kind, Kind::Dot | Kind::QuestionDot));
    let next = tokens.get(i + 1);
    let then = tokens.get(i + 2).filter(|t| next.is_some_and(|n| n.end == t.start));
    let bound = Err((at, "a logging function's name is declared or bound"));
    match next.map(|t| t.kind) {
        // `log = …`, not `log == …` or the arrow `log => …`.
        Some(Kind::Punct(b'=')) => match then.map(|t| t.kind) {
            Some(Kind::Punct(b'=' | b'>')) => Ok(()),
            _ => bound,
        },
        // `log: …` (a key, a typed variable), `log!: T`, `log?: T`, `log?(…)`.
        Some(Kind::Punct(b':')) => bound,
        Some(Kind::Punct(b'!' | b'?'))
            if tokens
                .get(i + 2)
                .is_some_and(|t| matches!(t.kind, Kind::Punct(b':') | Kind::LParen)) =>
        {
            bound
        }
        Some(Kind::Punct(b'<')) if !after_dot => Err((at, "a logging function's name is declared")),
        Some(Kind::LParen) if !after_dot => {
            let close = close_of(src, tokens, i + 1).ok_or((at, "an argument list too long"))?;
            match tokens.get(close + 1).map(|t| t.kind) {
                Some(Kind::LBrace | Kind::Punct(b':')) => {
                    Err((at, "a method named like a logging function"))
                }
                _ => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// The call whose callee `console.<method>` (token `i`) ends at `callee_end`: its
/// arguments, and the byte offset of its closing parenthesis.
fn call_of(
    src: &[u8],
    tokens: &[Token],
    i: usize,
    callee_end: usize,
    typescript: bool,
) -> Result<(TokenCall, usize), Decline> {
    let at = tokens[i].start;
    let unusual = (at, "unusual call shape");
    let next = (i + 1..tokens.len())
        .find(|&j| tokens[j].start >= callee_end)
        .ok_or(unusual)?;
    let open = match tokens[next].kind {
        Kind::LParen => next,
        Kind::QuestionDot if tokens.get(next + 1).map(|t| t.kind) == Some(Kind::LParen) => {
            next + 1
        }
        _ => return Err(unusual),
    };
    let close = close_of(src, tokens, open).ok_or((at, "an argument list too long to decide"))?;
    // Split at the commas of the list itself; check the trivia around the list's own
    // punctuation for comments.
    let mut args = Vec::new();
    let mut comment = false;
    let trivia = |a: usize, b: usize| src[a..b].contains(&b'/');
    let mut start = open + 1;
    let mut j = open + 1;
    comment |= trivia(tokens[open].end, tokens[open + 1].start);
    while j < close {
        match tokens[j].kind {
            Kind::LParen | Kind::LBracket | Kind::LBrace => {
                j = close_of(src, tokens, j).ok_or(unusual)? + 1;
            }
            Kind::TemplateHead if src[tokens[j].start] == b'`' => {
                j = close_of(src, tokens, j).ok_or(unusual)? + 1;
            }
            Kind::Punct(b',') => {
                if start == j {
                    return Err((tokens[j].start, "an empty argument"));
                }
                comment |= trivia(tokens[j - 1].end, tokens[j].start)
                    || trivia(tokens[j].end, tokens[j + 1].start);
                args.push(arg_of(src, &tokens[start..j], typescript)?);
                start = j + 1;
                j += 1;
            }
            _ => j += 1,
        }
    }
    if j != close {
        return Err(unusual);
    }
    if start < close {
        args.push(arg_of(src, &tokens[start..close], typescript)?);
    }
    comment |= trivia(tokens[close - 1].end, tokens[close].start);
    Ok((
        TokenCall {
            args,
            inner: tokens[open].end..tokens[close].start,
            comment,
        },
        tokens[close].end,
    ))
}

/// The index of the token closing the bracket (or template literal) opened at `open`,
/// when it is in `tokens` and every bracket between matches.
fn close_of(src: &[u8], tokens: &[Token], open: usize) -> Option<usize> {
    // What each open bracket expects: `)`, `]`, `}` or the end of a template.
    let mut expected: Vec<Kind> = Vec::new();
    // A template piece that follows a substitution starts at the `}` closing it.
    let after_substitution = |t: &Token| src[t.start] == b'}';
    for (j, t) in tokens.iter().enumerate().skip(open) {
        match t.kind {
            Kind::LParen => expected.push(Kind::RParen),
            Kind::LBracket => expected.push(Kind::RBracket),
            Kind::LBrace => expected.push(Kind::RBrace),
            // A template's start (`` `…${ ``) opens; its middle pieces (`}…${`) are
            // neither; its last piece (`` }…` ``) closes.
            Kind::TemplateHead if !after_substitution(t) => expected.push(Kind::Template),
            Kind::RParen | Kind::RBracket | Kind::RBrace if expected.pop() != Some(t.kind) => {
                return None;
            }
            Kind::Template if after_substitution(t) && expected.pop() != Some(Kind::Template) => {
                return None;
            }
            _ => {}
        }
        if expected.is_empty() {
            // Closed, or `open` opened nothing.
            return (j > open).then_some(j);
        }
    }
    None
}

/// Names that stand alone as a value of their own kind (`this`, `null` …): no decision
/// of the policy depends on which.
const OWN_KIND_VALUES: &[&[u8]] = &[b"this", b"null", b"true", b"false", b"undefined", b"super"];

/// Words that start an expression this module does not classify (`new X().y` is a member,
/// `function () {}.call()` a call …): the file is declined.
const UNCLASSIFIED_STARTS: &[&[u8]] = &[
    b"new", b"function", b"class", b"async", b"yield", b"import", b"let", b"static",
    b"get", b"set", b"of", b"if", b"else", b"for", b"while", b"do", b"return", b"var",
    b"const", b"switch", b"case", b"default", b"break", b"continue", b"throw", b"try",
    b"catch", b"finally", b"with", b"debugger", b"extends", b"export", b"enum",
    b"implements", b"interface", b"package", b"private", b"protected", b"public", b"in",
    b"instanceof", b"as", b"satisfies", b"type", b"declare", b"abstract", b"keyof",
    b"readonly", b"unique", b"infer", b"is", b"asserts", b"namespace", b"module",
];

/// One argument's tokens described as the tree would describe its node, or a decline.
fn arg_of(src: &[u8], t: &[Token], typescript: bool) -> Result<Arg, Decline> {
    let range = t[0].start..t[t.len() - 1].end;
    let unsure = (t[0].start, "an argument this path cannot classify");
    let kind = classify(src, t, typescript).ok_or(unsure)?;
    Ok(Arg { kind, range })
}

/// `typescript`: non-null assertions and `as`/`satisfies` exist (in JavaScript they are
/// syntax errors, which the tree reads its own way).
fn classify(src: &[u8], t: &[Token], typescript: bool) -> Option<ArgKind> {
    let word = |i: usize| &src[t[i].start..t[i].end];
    let starts_template = |i: usize| src[t[i].start] == b'`';
    // `...xs`
    if t[0].kind == Kind::Punct(b'.') {
        return Some(ArgKind::Spread);
    }
    // A prefix operator: a unary, binary, conditional or await expression, whatever follows.
    match t[0].kind {
        Kind::Punct(b'!' | b'-' | b'+' | b'~') | Kind::Increment => return Some(ArgKind::Other),
        Kind::Ident if matches!(word(0), b"typeof" | b"void" | b"delete") => {
            return (t.len() > 1).then_some(ArgKind::Other);
        }
        Kind::Ident if word(0) == b"await" => {
            return match t.get(1).map(|n| n.kind) {
                Some(Kind::Ident | Kind::Str { .. } | Kind::Template) => Some(ArgKind::Other),
                _ => None,
            };
        }
        _ => {}
    }
    // The primary expression.
    let (mut kind, mut i) = match t[0].kind {
        Kind::Str { .. } => (ArgKind::String, 1),
        Kind::Template if starts_template(0) => (ArgKind::Template, 1),
        Kind::TemplateHead if starts_template(0) => (ArgKind::Template, close_of(src, t, 0)? + 1),
        Kind::LBrace => (ArgKind::Object, close_of(src, t, 0)? + 1),
        Kind::LParen | Kind::LBracket => (ArgKind::Other, close_of(src, t, 0)? + 1),
        Kind::Value if src[t[0].start] != b'#' => (ArgKind::Other, 1),
        Kind::Ident if OWN_KIND_VALUES.contains(&word(0)) => (ArgKind::Other, 1),
        Kind::Ident if UNCLASSIFIED_STARTS.contains(&word(0)) => return None,
        Kind::Ident => (ArgKind::Identifier, 1),
        _ => return None,
    };
    // Member accesses, calls, subscripts, tagged templates and non-null assertions on it;
    // then either the end, or an operator that makes the whole a binary, conditional,
    // assignment or arrow expression.
    loop {
        let Some(next) = t.get(i) else {
            return Some(kind);
        };
        let callee = t[0].start..t[i.saturating_sub(1)].end;
        match next.kind {
            Kind::Dot | Kind::QuestionDot => {
                let after = t.get(i + 1)?;
                match after.kind {
                    Kind::Ident => {
                        kind = ArgKind::Member {
                            property: Some(after.start..after.end),
                        };
                        i += 2;
                    }
                    Kind::Value if src[after.start] == b'#' => {
                        kind = ArgKind::Member { property: None };
                        i += 2;
                    }
                    Kind::LParen if next.kind == Kind::QuestionDot => {
                        kind = ArgKind::Call { callee };
                        i = close_of(src, t, i + 1)? + 1;
                    }
                    Kind::LBracket if next.kind == Kind::QuestionDot => {
                        kind = ArgKind::Other;
                        i = close_of(src, t, i + 1)? + 1;
                    }
                    _ => return None,
                }
            }
            Kind::LParen => {
                kind = ArgKind::Call { callee };
                i = close_of(src, t, i)? + 1;
            }
            Kind::LBracket => {
                kind = ArgKind::Other;
                i = close_of(src, t, i)? + 1;
            }
            Kind::Template if starts_template(i) => {
                kind = ArgKind::Call { callee };
                i += 1;
            }
            Kind::TemplateHead if starts_template(i) => {
                kind = ArgKind::Call { callee };
                i = close_of(src, t, i)? + 1;
            }
            // `a != b` (the lexer gives `!` and `=` apart) or TypeScript's `a!`.
            Kind::Punct(b'!') => {
                if t.get(i + 1).is_some_and(|n| n.kind == Kind::Punct(b'=') && n.start == next.end)
                {
                    return Some(ArgKind::Other);
                }
                if !typescript {
                    return None;
                }
                kind = ArgKind::Other;
                i += 1;
            }
            Kind::Punct(
                b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|' | b'^' | b'>' | b'=' | b'?' | b':',
            )
            | Kind::Increment => return Some(ArgKind::Other),
            Kind::Ident
                if matches!(&src[next.start..next.end], b"instanceof" | b"in")
                    || (typescript && matches!(&src[next.start..next.end], b"as" | b"satisfies")) =>
            {
                return Some(ArgKind::Other);
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(code: &str) -> Result<Vec<(ArgKind, String)>, Decline> {
        let uses = scan(Lang::TypeScript, code)?;
        let call = uses[0].call.as_ref().expect("a call");
        Ok(call
            .args
            .iter()
            .map(|a| (a.kind.clone(), code[a.range.clone()].to_owned()))
            .collect())
    }

    #[test]
    fn arguments_are_classified_as_the_tree_would() {
        let k = kinds("console.log('a', `b${c}`, { d }, e, f.g, h(i), ...j, k + 1, l!.m);\n")
            .unwrap();
        let names: Vec<&str> = k.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            names,
            ["'a'", "`b${c}`", "{ d }", "e", "f.g", "h(i)", "...j", "k + 1", "l!.m"]
        );
        assert_eq!(k[0].0, ArgKind::String);
        assert_eq!(k[1].0, ArgKind::Template);
        assert_eq!(k[2].0, ArgKind::Object);
        assert_eq!(k[3].0, ArgKind::Identifier);
        assert!(matches!(k[4].0, ArgKind::Member { property: Some(_) }));
        assert!(matches!(k[5].0, ArgKind::Call { .. }));
        assert_eq!(k[6].0, ArgKind::Spread);
        assert_eq!(k[7].0, ArgKind::Other);
        assert!(matches!(k[8].0, ArgKind::Member { property: Some(_) }));
    }

    #[test]
    fn every_decline_reason() {
        let declines = [
            "// dash-ignore\nconsole.log(1);\n",
            "console = other;\nconsole.log(1);\n",
            "const console = c;\nconsole.log(1);\n",
            "console.log(console.log(1));\n",
            "console.log(new Date());\n",
            "console.log(a < b);\n",
            "function log(x) {}\nconsole.log(1);\n",
            "const o = { info(x) { console.log(x); } };\n",
            "const o = { error: 1 };\nconsole.log(1);\n",
            "console.log(a,, b);\n",
            "console.log(1);\n}\n",
        ];
        for code in declines {
            assert!(scan(Lang::TypeScript, code).is_err(), "{code}");
        }
    }

    #[test]
    fn comments_among_arguments_are_seen_and_inside_one_are_not() {
        let among = scan(Lang::TypeScript, "console.log('a', /* c */ b);\n").unwrap();
        assert!(among[0].call.as_ref().unwrap().comment);
        let inside = scan(Lang::TypeScript, "console.log('a', { /* c */ b });\n").unwrap();
        assert!(!inside[0].call.as_ref().unwrap().comment);
    }
}

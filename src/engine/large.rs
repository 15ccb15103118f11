//! The token path of the fix driver, for files too big to parse whole.
//!
//! Tree-sitter parses about 6 MB/s and holds some 40 bytes per source byte; the lexer
//! (`syntax::lexer`) reads the same file an order of magnitude faster and, streamed, in
//! constant memory. So a big file is fixed from its tokens, with tree-sitter parsing only
//! its *head*: the prefix up to a top-level statement boundary after everything the
//! import placement reads (every import, every export that names a module, every
//! top-level `require`, and a few statements more). The path is taken only when every
//! rule that runs on the file answers from tokens ([`FileRule::check_tokens`]) and
//! everything is certain; otherwise [`fix`] returns `None` and the file takes the tree
//! path exactly as before. Declining is always correct; answering differently from the
//! tree path never is (the property tests compare both).
//!
//! One pass applies the fixes and the import; the result is validated without a full
//! parse: the edited head must parse without errors (the head had none), and the whole
//! result must lex, balanced, to the same tokens outside the edits (compared as a
//! fingerprint of every token's kind, place and length, in two streaming passes).
//!
//! [`FileRule::check_tokens`]: crate::rules::FileRule::check_tokens

use std::collections::BTreeMap;

use super::Prepared;
use super::fix::{
    Candidate, FileFix, FixOptions, Pending, Refusal, locate, rules_fixing, sort_findings,
};
use crate::edit::imports;
use crate::edit::{Changeset, Edit};
use crate::rules::{FileCx, Head, ImportRequest, suppress};
use crate::syntax::lexer::{self, Kind, Token};
use crate::syntax::{self, Lang};

/// Files of at least this many bytes take the token path when they can.
pub const LARGE_FILE: usize = 1 << 20;

/// The most a head may hold: a longer one costs what the tree path costs.
const MAX_HEAD: usize = 1 << 20;

/// Top-level statements a head holds at least (the import placement samples the first
/// five for the file's semicolon style).
const MIN_HEAD_STATEMENTS: usize = 6;

/// Why the token path declined: a byte offset and a reason.
pub(crate) type Decline = (usize, &'static str);

/// Whether the token path is enabled (`DASH_TREE_ONLY=1` turns it off, for comparing
/// both paths on the same input).
pub fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("DASH_TREE_ONLY").is_none_or(|v| v.is_empty()))
}

/// Fixes `file` from its tokens, as [`super::fix::fix_file`] would from its tree, or
/// `None` when that is not certain. Called for files of [`LARGE_FILE`] bytes or more;
/// tests call it at any size.
pub fn fix(file: &FileCx<'_>, candidates: &[&Prepared], options: &FixOptions) -> Option<FileFix> {
    decide(file, candidates, options).ok()
}

/// [`fix`], or where and why it declined.
pub(crate) fn decide(
    file: &FileCx<'_>,
    candidates: &[&Prepared],
    options: &FixOptions,
) -> Result<FileFix, Decline> {
    let original = file.text;
    let has_needle = |p: &Prepared, text: &str| {
        p.meta
            .needles
            .iter()
            .any(|n| memchr::memmem::find(text.as_bytes(), n.as_bytes()).is_some())
    };
    let rules: Vec<&Prepared> = candidates
        .iter()
        .copied()
        .filter(|p| has_needle(p, original))
        .collect();
    // Several rules may make work for each other over passes: the tree path decides.
    let [rule] = rules.as_slice() else {
        return Err((0, "not exactly one rule runs on the file"));
    };
    if let Some(at) = memchr::memmem::find(original.as_bytes(), suppress::MARKER) {
        return Err((at, "suppression comment"));
    }
    let scan = head_scan(file.lang, original.as_bytes())?;
    let head_tree = syntax::parse(file.lang, &original.as_bytes()[..scan.cut])
        .ok_or((0, "the head did not parse"))?;
    check_head(&head_tree, original, scan.cut)?;
    let head = Head {
        tree: &head_tree,
        len: scan.cut,
    };
    let mut emit = rule
        .rule
        .check_tokens(file, &head)
        .ok_or((0, "the rule cannot answer from tokens"))?;
    if let Some(reason) = emit.refusal.take() {
        let rule = emit.findings.first().map_or("", |f| f.rule);
        return Ok(FileFix {
            refused: Some(Refusal::Rule { rule, reason }),
            new_text: original.to_owned(),
            ..FileFix::default()
        });
    }

    let mut fixes = Vec::with_capacity(emit.findings.len());
    let mut judgements: Vec<Pending> = Vec::new();
    let mut unfixed: Vec<Pending> = Vec::new();
    let rules_fixing = rules_fixing(&emit.findings);
    // One pass: offsets are the original's.
    sort_findings(
        emit.findings,
        options,
        |offset| offset,
        &mut fixes,
        &mut judgements,
        &mut unfixed,
    );
    let accepted =
        in_order_and_apart(fixes).ok_or((0, "fixes overlap: a second pass would be needed"))?;
    // The accepted fixes' edits go to the changeset and their records are kept: a big
    // file has hundreds of thousands, so nothing is held twice.
    let mut changeset = Changeset::new();
    let mut fixed: Vec<Pending> = Vec::with_capacity(accepted.len());
    // Each import once, with the first offset that uses it.
    let mut requests: Vec<(ImportRequest, Option<usize>)> = Vec::new();
    for (start, rule, group, fix) in accepted {
        let at = fix.edits.iter().map(|e| e.range.start).min();
        for request in &fix.imports {
            match requests.iter_mut().find(|(r, _)| r == &**request) {
                Some((_, first)) => {
                    *first = match (*first, at) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    }
                }
                None => requests.push((ImportRequest::clone(request), at)),
            }
        }
        changeset.extend(fix.edits);
        fixed.push((
            start,
            rule,
            group,
            Some(fix.action),
            Some(fix.applicability),
            None,
        ));
    }
    let root = head_tree.root_node();
    let extension = file.path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let mut modules: BTreeMap<String, Edit> = BTreeMap::new();
    for (request, first_use) in requests {
        if imports::existing_local(root, original.as_bytes(), &request.spec).is_some() {
            continue;
        }
        if modules.contains_key(&request.spec.source) {
            return Err((
                0,
                "two imports from one module: a second pass would merge them",
            ));
        }
        let system = imports::module_system(
            root,
            original.as_bytes(),
            extension,
            request.package_is_module,
        );
        if let Some(edit) = imports::ensure_with_prevailing(
            root,
            original,
            &request.spec,
            system,
            file.newline,
            first_use,
            options.style,
            scan.prevailing_quote,
        ) {
            changeset.push(edit.clone());
            modules.insert(request.spec.source.clone(), edit);
        }
    }
    if changeset.is_empty() {
        return Ok(FileFix {
            new_text: original.to_owned(),
            judgements: locate(original, judgements),
            unfixed: locate(original, unfixed),
            passes: 1,
            ..FileFix::default()
        });
    }
    let applied = changeset.apply(original);
    drop(changeset);
    if !applied.dropped.is_empty() {
        return Err((0, "an edit was dropped: a second pass would be needed"));
    }
    if rules_fixing > 1 {
        return Err((
            0,
            "several rules fixed: a second pass would confirm the fix point",
        ));
    }
    // A rule whose needle a fix brings in would join on a second pass.
    if candidates
        .iter()
        .any(|c| !std::ptr::eq(*c, *rule) && has_needle(c, &applied.text))
    {
        return Err((0, "a fix brings in another rule's needle"));
    }
    validate(
        file.lang,
        original,
        &applied.text,
        &applied.applied,
        scan.cut,
    )?;

    let imports_added = modules.len();
    let edits = applied
        .applied
        .iter()
        .map(|e| (e.range.clone(), e.rule))
        .collect();
    Ok(FileFix {
        new_text: applied.text,
        fixed: locate(original, fixed),
        judgements: locate(original, judgements),
        unfixed: locate(original, unfixed),
        edits,
        imports_added,
        refused: None,
        passes: 1,
    })
}

/// What one streaming pass over a file finds for its head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeadScan {
    /// The head is `text[..cut]`.
    pub(crate) cut: usize,
    /// The quote most of the file's string literals use (not counting those inside
    /// template substitutions), as `imports` counts them on a tree; `None` on a tie.
    pub(crate) prevailing_quote: Option<char>,
}

/// Keywords that start a statement and cannot continue an expression before them, so
/// that a top-level `}`, a line break and one of them is a statement boundary.
const STATEMENT_KEYWORDS: &[&[u8]] = &[
    b"export",
    b"function",
    b"class",
    b"const",
    b"var",
    b"if",
    b"for",
    b"switch",
    b"try",
    b"throw",
    b"return",
    b"interface",
    b"enum",
    b"import",
];

/// The fixes sorted by where they start, when each starts at or after the end of every
/// fix before it (one per console call, and calls are not nested: always, in practice);
/// `None` when two could overlap, which the tree path's pass-by-pass acceptance decides.
/// Linear, and in place: a big file's fixes are not held twice.
fn in_order_and_apart(mut fixes: Vec<Candidate>) -> Option<Vec<Candidate>> {
    let start = |fix: &crate::rules::Fix| fix.edits.iter().map(|e| e.range.start).min();
    fixes.sort_by_key(|(_, _, _, fix)| start(fix));
    let mut end = 0;
    for (_, _, _, fix) in &fixes {
        if start(fix).is_some_and(|s| s < end) {
            return None;
        }
        end = fix
            .edits
            .iter()
            .map(|e| e.range.end)
            .max()
            .unwrap_or(end)
            .max(end);
    }
    Some(fixes)
}

/// Finds the head cut: a depth-0 `;` (not inside `for (…)`, not followed by `else` or
/// `while`, which would continue its statement) or a depth-0 `}` that ends a statement
/// (see [`STATEMENT_KEYWORDS`]) after every token that decides the
/// import placement — a top-level `import` (not `import(` or `import.meta`), the first
/// top-level `export` and every one that may name a module (`export *`, `export {`,
/// `export type {`/`*`, `export import`), every top-level `require` — with one more
/// statement boundary after the last of them and at least [`MIN_HEAD_STATEMENTS`] before
/// it. Counts the file's quotes on the way.
pub(crate) fn head_scan(lang: Lang, src: &[u8]) -> Result<HeadScan, Decline> {
    let mut depth = 0usize;
    let mut templates = 0usize;
    let (mut single, mut double) = (0usize, 0usize);
    let mut need: Option<usize> = None;
    let mut exported = false;
    let mut cuts: Vec<usize> = Vec::new();
    let end = lexer::stream(lang, src, 4, |tokens, i| {
        let t = &tokens[i];
        let word = |t: &Token| &src[t.start..t.end];
        let next = tokens.get(i + 1);
        match t.kind {
            Kind::LParen | Kind::LBracket | Kind::LBrace => depth += 1,
            Kind::RParen | Kind::RBracket => depth = depth.saturating_sub(1),
            Kind::RBrace => {
                depth = depth.saturating_sub(1);
                // `}` ends a top-level statement when a line break and a keyword that
                // cannot continue an expression follow it (`function f() {}` ⏎ `export …`).
                let ends = depth == 0
                    && next.is_some_and(|n| {
                        n.kind == Kind::Ident
                            && STATEMENT_KEYWORDS.contains(&word(n))
                            && src[t.end..n.start].contains(&b'\n')
                    });
                if ends && t.end <= MAX_HEAD {
                    cuts.push(t.end);
                }
            }
            Kind::TemplateHead if src[t.start] == b'`' => {
                depth += 1;
                templates += 1;
            }
            Kind::Template if src[t.start] == b'}' => {
                depth = depth.saturating_sub(1);
                templates = templates.saturating_sub(1);
            }
            Kind::Str { .. } if templates == 0 => match src[t.start] {
                b'"' => double += 1,
                _ => single += 1,
            },
            Kind::Punct(b';') if depth == 0 => {
                let continues = next.is_some_and(|n| {
                    n.kind == Kind::Ident && matches!(word(n), b"else" | b"while")
                });
                if !continues && t.end <= MAX_HEAD {
                    cuts.push(t.end);
                }
            }
            Kind::Ident if depth == 0 => {
                let member = i > 0 && matches!(tokens[i - 1].kind, Kind::Dot | Kind::QuestionDot);
                let next_kind = next.map(|n| n.kind);
                let decides = !member
                    && match word(t) {
                        b"import" => !matches!(next_kind, Some(Kind::LParen | Kind::Dot)),
                        b"require" => true,
                        b"export" => {
                            let first = !exported;
                            exported = true;
                            first
                                || match next {
                                    Some(n) if n.kind == Kind::Ident => {
                                        matches!(word(n), b"import" | b"type")
                                    }
                                    Some(n) => matches!(n.kind, Kind::Punct(b'*') | Kind::LBrace),
                                    None => false,
                                }
                        }
                        _ => false,
                    };
                if decides {
                    if t.start > MAX_HEAD {
                        return Err((t.start, "an import or require beyond the head's limit"));
                    }
                    need = Some(t.start);
                }
            }
            _ => {}
        }
        Ok(())
    })?;
    if end.saw_jsx {
        // The tree counts the quotes of JSX children's strings but not of attributes'.
        return Err((0, "JSX"));
    }
    let first_after = need.map(|at| cuts.partition_point(|&c| c <= at));
    let index = first_after
        .map_or(0, |k| k + 1)
        .max(MIN_HEAD_STATEMENTS - 1);
    let cut = *cuts
        .get(index)
        .ok_or((MAX_HEAD, "no head within the limit"))?;
    Ok(HeadScan {
        cut,
        prevailing_quote: match single.cmp(&double) {
            std::cmp::Ordering::Greater => Some('\''),
            std::cmp::Ordering::Less => Some('"'),
            std::cmp::Ordering::Equal => None,
        },
    })
}

/// The parsed head is what the whole file's parse has there: no syntax error, its last
/// statement ends at the cut, enough statements, and one after the last import or
/// require (the placement looks at the statement after it).
fn check_head(tree: &tree_sitter::Tree, text: &str, cut: usize) -> Result<(), Decline> {
    let root = tree.root_node();
    if root.has_error() {
        return Err((0, "the head has a syntax error"));
    }
    let mut cursor = root.walk();
    let top: Vec<tree_sitter::Node> = root
        .named_children(&mut cursor)
        .filter(|n| !matches!(n.kind(), "comment" | "hash_bang_line"))
        .collect();
    if top.len() < MIN_HEAD_STATEMENTS || top.last().map(|n| n.end_byte()) != Some(cut) {
        return Err((cut, "the head does not end with its statements"));
    }
    let deciding = |n: &tree_sitter::Node| {
        let code = &text.as_bytes()[n.byte_range()];
        n.kind() == "import_statement"
            || (matches!(n.kind(), "lexical_declaration" | "variable_declaration")
                && memchr::memmem::find(code, b"require").is_some())
    };
    if top.last().is_some_and(deciding) {
        return Err((cut, "the head ends with an import"));
    }
    Ok(())
}

/// The result is sound without a full parse: the edited head parses without errors, and
/// the whole text lexes (balanced) to the original's tokens outside the edits.
fn validate(
    lang: Lang,
    original: &str,
    new: &str,
    edits: &[Edit],
    cut: usize,
) -> Result<(), Decline> {
    let mut new_cut = cut as isize;
    for e in edits {
        if e.range.start <= cut && cut <= e.range.end {
            return Err((cut, "an edit touches the head's end"));
        }
        if e.range.end < cut {
            new_cut += e.replacement.len() as isize - e.range.len() as isize;
        }
    }
    let new_cut = new_cut as usize;
    let head =
        syntax::parse(lang, &new.as_bytes()[..new_cut]).ok_or((0, "the head did not parse"))?;
    if head.root_node().has_error() {
        return Err((0, "the edited head has a syntax error"));
    }
    drop(head);
    let old_ranges: Vec<(std::ops::Range<usize>, isize)> = edits
        .iter()
        .map(|e| {
            let delta = e.replacement.len() as isize - e.range.len() as isize;
            (e.range.clone(), delta)
        })
        .collect();
    let before = fingerprint(lang, original.as_bytes(), &old_ranges)?;
    // The same edits as ranges of the new text.
    let mut shift = 0isize;
    let new_ranges: Vec<(std::ops::Range<usize>, isize)> = old_ranges
        .iter()
        .zip(edits)
        .map(|((range, delta), e)| {
            let start = (range.start as isize + shift) as usize;
            shift += delta;
            (start..start + e.replacement.len(), 0)
        })
        .collect();
    drop(old_ranges);
    let after = fingerprint(lang, new.as_bytes(), &new_ranges)?;
    if before != after {
        return Err((0, "the tokens outside the edits changed"));
    }
    Ok(())
}

/// A fingerprint of every token of `src` that no range of `edits` (in order, disjoint)
/// touches: its kind, its length and its offset shifted by the length changes (the
/// second of each pair) of the edits before it, with the number of such tokens. The
/// original's tokens, shifted by the edits, and the new text's, shifted by nothing
/// around the edits' new ranges, must agree. Declines where the text does not lex.
fn fingerprint(
    lang: Lang,
    src: &[u8],
    edits: &[(std::ops::Range<usize>, isize)],
) -> Result<(u64, u64, usize), Decline> {
    let mut next = 0;
    let mut shift = 0isize;
    let (mut h1, mut h2, mut count) = (0xcbf2_9ce4_8422_2325u64, 0x9e37_79b9_7f4a_7c15u64, 0usize);
    lexer::stream(lang, src, 0, |tokens, i| {
        let t = &tokens[i];
        // The edits wholly before the token (an insertion at its start too).
        while let Some((r, delta)) = edits.get(next) {
            let before = if r.is_empty() {
                r.start <= t.start
            } else {
                r.end <= t.start
            };
            if !before {
                break;
            }
            shift += delta;
            next += 1;
        }
        if edits.get(next).is_some_and(|(r, _)| r.start < t.end) {
            return Ok(()); // inside or across an edit
        }
        for word in [
            kind_code(t.kind),
            (t.start as isize + shift) as u64,
            (t.end - t.start) as u64,
        ] {
            h1 = (h1 ^ word).wrapping_mul(0x0000_0100_0000_01b3);
            h2 = (h2.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
        count += 1;
        Ok(())
    })?;
    Ok((h1, h2, count))
}

fn kind_code(kind: Kind) -> u64 {
    match kind {
        Kind::Ident => 1,
        Kind::Value => 2,
        Kind::Str { simple } => 3 + simple as u64,
        Kind::Template => 5,
        Kind::TemplateHead => 6,
        Kind::Dot => 7,
        Kind::QuestionDot => 8,
        Kind::LParen => 9,
        Kind::RParen => 10,
        Kind::LBracket => 11,
        Kind::RBracket => 12,
        Kind::LBrace => 13,
        Kind::RBrace => 14,
        Kind::Increment => 15,
        Kind::Punct(b) => 16 + b as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixes_apart_are_sorted_and_overlapping_ones_refused() {
        let fix = |ranges: &[(usize, usize)]| {
            let edits = ranges
                .iter()
                .map(|&(a, b)| Edit::replace(a..b, "x", "t"))
                .collect();
            (
                ranges[0].0,
                "t",
                String::new(),
                crate::rules::Fix::safe("x", edits),
            )
        };
        let apart = in_order_and_apart(vec![
            fix(&[(20, 25)]),
            fix(&[(0, 5), (7, 10)]),
            fix(&[(10, 12)]),
        ])
        .expect("apart");
        let starts: Vec<usize> = apart.iter().map(|f| f.0).collect();
        assert_eq!(starts, [0, 10, 20]);
        assert!(in_order_and_apart(vec![fix(&[(0, 10)]), fix(&[(5, 12)])]).is_none());
        assert!(in_order_and_apart(vec![fix(&[(0, 5), (8, 20)]), fix(&[(10, 12)])]).is_none());
    }

    fn cut(code: &str) -> Result<&str, Decline> {
        head_scan(Lang::TypeScript, code.as_bytes()).map(|h| &code[..h.cut])
    }

    #[test]
    fn the_head_ends_after_the_imports_and_a_statement_more() {
        let code = "import { a } from './a';\nconst b = 1;\nimport c from 'c';\nf();\ng();\nh();\ni();\nj();\nk();\nl();\n";
        // Six statements at least, one after the last import.
        assert_eq!(cut(code).unwrap(), &code[..code.find("h();").unwrap() + 4]);
        let code = "a();\nb();\nc();\nd();\ne();\nf();\nconst x = require('x');\ng();\nh();\n";
        assert_eq!(cut(code).unwrap(), &code[..code.find("g();").unwrap() + 4]);
    }

    #[test]
    fn the_head_is_cut_only_where_a_statement_ends() {
        // Not inside `for (…)`, not before `else` or `while`, not inside braces.
        let code = "for (let i = 0; i < 1; i++) x();\nif (a) b(); else c();\ndo d(); while (e);\nfunction f() { g(); }\nexport function h() {}\nconst v = 1;\nw();\ny();\nz();\n";
        let head = cut(code).unwrap();
        assert!(head.ends_with(';') || head.ends_with('}'), "{head}");
        let cuts: Vec<usize> = {
            let mut all = Vec::new();
            for n in 1..=code.len() {
                if let Ok(h) = head_scan(Lang::TypeScript, &code.as_bytes()[..n]) {
                    all.push(h.cut);
                }
            }
            all
        };
        for at in cuts {
            let before = &code[..at];
            assert!(
                !before.ends_with("b();") && !before.ends_with("d();"),
                "{before}"
            );
            assert!(
                !before.ends_with("i = 0;") && !before.ends_with("g();"),
                "{before}"
            );
        }
        // `}` then a line break and `export`: a boundary.
        assert!(cut("function a() {}\nexport function b() {}\nexport function c() {}\nexport function d() {}\nexport function e() {}\nexport function f() {}\nexport function g() {}\nexport const h = 1;\n").is_ok());
    }

    #[test]
    fn the_head_declines_what_it_cannot_cut() {
        // Too few statements, JSX, no statement boundary at all.
        assert!(cut("import a from 'a';\nb();\n").is_err());
        assert!(
            head_scan(
                Lang::Tsx,
                b"a();\nb();\nc();\nd();\ne();\nconst x = <div />;\nf();\ng();\n"
            )
            .is_err()
        );
        assert!(cut("a()\nb()\nc()\nd()\ne()\nf()\ng()\n").is_err());
    }

    #[test]
    fn prevailing_quotes_skip_template_substitutions() {
        let code = "a('x');\nb(\"y\");\nc(`${\"z\"}${\"w\"}`);\nd();\ne();\nf();\ng();\n";
        assert_eq!(
            head_scan(Lang::TypeScript, code.as_bytes())
                .unwrap()
                .prevailing_quote,
            None
        );
    }
}

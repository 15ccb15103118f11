//! Both finders on the same inputs: the tree finder must give the expected answer, and
//! the lexical finder must give the same answer or decline.

use super::*;
use crate::rules::LineIndex;

/// `(line, method, usage)` of each use, in source order.
fn summary(source: &str, uses: &[ConsoleUse]) -> Vec<(u32, String, Usage)> {
    let mut lines = LineIndex::new(source.as_bytes());
    uses.iter()
        .map(|u| {
            (
                lines.position(u.start).line,
                u.method_name().to_owned(),
                u.usage,
            )
        })
        .collect()
}

/// Checks one case and returns whether the lexical finder decided it.
fn check(lang: Lang, source: &str, expected: &[(u32, &str, Usage)]) -> bool {
    let exact = tree::find(lang, source.as_bytes());
    let expected: Vec<(u32, String, Usage)> = expected
        .iter()
        .map(|(l, m, u)| (*l, (*m).to_owned(), *u))
        .collect();
    assert_eq!(
        summary(source, &exact.uses),
        expected,
        "tree finder on {lang:?}:\n{source}"
    );
    match lexical::find(lang, source.as_bytes()) {
        Some(fast) => {
            assert_eq!(
                fast, exact.uses,
                "lexical finder disagrees on {lang:?}:\n{source}"
            );
            true
        }
        None => false,
    }
}

use Usage::{Call, Reference};

/// `(line, method, usage)` triples a case expects.
type Expected<'a> = &'a [(u32, &'a str, Usage)];

#[test]
fn plain_calls_are_decided_lexically() {
    let src = "console.log('a');\nconsole.error(err, 'b');\nfoo(); console.warn(`x ${y}`);\n";
    for lang in [Lang::TypeScript, Lang::Tsx, Lang::JavaScript] {
        assert!(check(
            lang,
            src,
            &[(1, "log", Call), (2, "error", Call), (3, "warn", Call)]
        ));
    }
}

#[test]
fn optional_chaining_and_computed_access() {
    let src = "console?.log(1);\nconsole.log?.(2);\nconsole['info'](3);\nconsole[\"debug\"]?.(4);\nconsole[level](5);\n";
    let decided = check(
        Lang::TypeScript,
        src,
        &[
            (1, "log", Call),
            (2, "log", Call),
            (3, "info", Call),
            (4, "debug", Call),
            (5, "[computed]", Call),
        ],
    );
    assert!(!decided, "a computed key is left to the tree");
    assert!(check(
        Lang::TypeScript,
        "console[`table`](rows);\n",
        &[(1, "table", Call)]
    ));
}

#[test]
fn comments_strings_templates_and_regexes_are_not_calls() {
    let src = r#"// console.log('comment')
/* console.log('block')
   console.error() */
const s = "console.log('string')";
const t = 'console.warn("single")';
const u = `console.info(${console.debug('real')})`;
const r = /console.log\(/g;
const d = a / b / console.error('after division');
"#;
    let decided = check(
        Lang::TypeScript,
        src,
        &[(6, "debug", Call), (8, "error", Call)],
    );
    assert!(decided);
    assert!(check(
        Lang::JavaScript,
        src,
        &[(6, "debug", Call), (8, "error", Call)]
    ));
}

#[test]
fn shadowed_console_is_not_the_global() {
    let cases: &[(&str, Expected)] = &[
        (
            "function f(console) {\n  console.log(1);\n}\nconsole.log(2);\n",
            &[(4, "log", Call)],
        ),
        ("const console = makeLogger();\nconsole.log(1);\n", &[]),
        (
            "{\n  let console = x;\n  console.log(1);\n}\nconsole.log(2);\n",
            &[(5, "log", Call)],
        ),
        (
            "function f() {\n  if (a) { var console = x; }\n  console.log(1);\n}\nconsole.log(2);\n",
            &[(5, "log", Call)],
        ),
        ("import console from './console';\nconsole.log(1);\n", &[]),
        (
            "import { logger as console } from './log';\nconsole.log(1);\n",
            &[],
        ),
        (
            "import { console as c } from './log';\nconsole.log(1);\n",
            &[(2, "log", Call)],
        ),
        ("import * as console from './log';\nconsole.log(1);\n", &[]),
        ("const { console } = globalThis;\nconsole.log(1);\n", &[]),
        (
            "const f = ({ console }) => console.log(1);\nconsole.log(2);\n",
            &[(2, "log", Call)],
        ),
        (
            "const f = console => console.log(1);\nconsole.log(2);\n",
            &[(2, "log", Call)],
        ),
        (
            "try { x() } catch (console) { console.log(1) }\nconsole.log(2);\n",
            &[(2, "log", Call)],
        ),
        (
            "for (const console of list) { console.log(1) }\nconsole.log(2);\n",
            &[(2, "log", Call)],
        ),
        ("function console() {}\nconsole.log(1);\n", &[]),
        (
            "const g = function console() { console.log(1) };\nconsole.log(2);\n",
            &[(2, "log", Call)],
        ),
        (
            "({ console } = other);\nconsole.log(1);\n",
            &[(2, "log", Call)],
        ),
    ];
    for (src, expected) in cases {
        check(Lang::JavaScript, src, expected);
        check(Lang::TypeScript, src, expected);
    }
    // TypeScript-only forms.
    check(
        Lang::TypeScript,
        "function f(console?: Console) {\n  console.log(1);\n}\nconsole.log(2);\n",
        &[(4, "log", Call)],
    );
    check(
        Lang::TypeScript,
        "declare var console: Console;\nconsole.log(1);\n",
        &[(2, "log", Call)],
    );
    check(
        Lang::TypeScript,
        "import console = require('x');\nconsole.log(1);\n",
        &[],
    );
    check(Lang::TypeScript, "class console {}\nconsole.log(1);\n", &[]);
}

#[test]
fn references_are_told_apart_from_calls() {
    let src = "items.forEach(console.log);\nconst log = console.log.bind(console);\nconsole.log = jest.fn();\nconst x = cond ? console.warn : null;\n";
    check(
        Lang::TypeScript,
        src,
        &[
            (1, "log", Reference),
            (2, "log", Reference),
            (3, "log", Reference),
            (4, "warn", Reference),
        ],
    );
}

#[test]
fn identifiers_after_the_member_make_it_a_value() {
    let src = "const log = ok ? console.error : console.log\nlog('x')\nconst w = (console.warn as any)(1);\n";
    assert!(check(
        Lang::TypeScript,
        src,
        &[
            (1, "error", Reference),
            (1, "log", Reference),
            (3, "warn", Reference)
        ]
    ));
}

#[test]
fn unusual_callees_are_left_to_the_tree() {
    assert!(!check(
        Lang::TypeScript,
        "(console.log)('x');\n",
        &[(1, "log", Call)]
    ));
    assert!(!check(
        Lang::TypeScript,
        "console.log!('x');\n",
        &[(1, "log", Call)]
    ));
    assert!(!check(
        Lang::TypeScript,
        "console.log`tagged`;\n",
        &[(1, "log", Call)]
    ));
    assert!(!check(
        Lang::TypeScript,
        "new console.Console(process.stdout);\n",
        &[(1, "Console", Reference)]
    ));
    check(
        Lang::TypeScript,
        "this.console.log('x');\nwindow.console.log('y');\n",
        &[],
    );
}

#[test]
fn jsx_text_is_not_code_but_jsx_expressions_are() {
    let src = "export const A = () => (\n  <div title=\"console.log('attr')\" onClick={() => console.log('click')}>\n    Don't console.log(here)\n    {console.error('child')}\n    <br />\n  </div>\n);\nconsole.info('after');\n";
    assert!(check(
        Lang::Tsx,
        src,
        &[(2, "log", Call), (4, "error", Call), (8, "info", Call)]
    ));
    assert!(check(
        Lang::JavaScript,
        src,
        &[(2, "log", Call), (4, "error", Call), (8, "info", Call)]
    ));
    let fragment = "const f = <>\n  <p>it's {console.log(1)}</p>\n</>;\n";
    assert!(check(Lang::Tsx, fragment, &[(2, "log", Call)]));
}

#[test]
fn typescript_angle_brackets_are_not_jsx() {
    let src = "const n = <number>value;\nconst a = b < c;\nfunction g<T>(x: T) { console.log(x); }\nconst m = new Map<string, number>();\nconsole.log(m);\n";
    assert!(check(
        Lang::TypeScript,
        src,
        &[(3, "log", Call), (5, "log", Call)]
    ));
}

#[test]
fn regex_after_control_parentheses() {
    let src = "if (x) /console.log('no')/.test(s);\nconst y = (a + b) / 2; console.log(y);\n";
    assert!(check(Lang::JavaScript, src, &[(2, "log", Call)]));
}

#[test]
fn suppression_comments() {
    let src = "console.log(1); // dash-ignore\n// dash-ignore\nconsole.log(2);\nconsole.log(3);\n/* dash-ignore: other-rule */\nconsole.log(4);\n";
    assert!(!check(
        Lang::TypeScript,
        src,
        &[(4, "log", Call), (6, "log", Call)]
    ));
    let whole = tree::find(Lang::TypeScript, b"// dash-ignore-file\nconsole.log(1);\n");
    assert!(whole.ignored_file);
    assert!(whole.uses.is_empty());
    // A marker in a string is not a comment.
    assert!(!check(
        Lang::TypeScript,
        "const s = 'dash-ignore';\nconsole.log(1);\n",
        &[(2, "log", Call)]
    ));
}

#[test]
fn crlf_and_bom_and_shebang() {
    let src = "#!/usr/bin/env node\r\n\u{feff}console.log(1);\r\nconsole.warn(2);\r\n";
    check(
        Lang::JavaScript,
        src,
        &[(2, "log", Call), (3, "warn", Call)],
    );
}

#[test]
fn unterminated_input_declines_instead_of_guessing() {
    assert_eq!(
        lexical::find(Lang::TypeScript, b"const s = 'open\nconsole.log(1);\n"),
        None
    );
    assert_eq!(
        lexical::find(Lang::TypeScript, b"/* never closed console.log(1)"),
        None
    );
    assert_eq!(
        lexical::find(Lang::TypeScript, b"x = `open ${console.log(1)}"),
        None
    );
}

#[test]
fn property_named_like_a_keyword_before_division() {
    let src = "const half = range.of / 2; console.log(half);\n";
    assert!(check(Lang::TypeScript, src, &[(1, "log", Call)]));
}

#[test]
fn block_scoped_bindings_are_decided_lexically() {
    let src = "function f() {\n  if (a) {\n    const console = make();\n    console.log(1);\n  }\n  console.log(2);\n}\nlet console: Console = other;\nconsole.log(3);\n";
    assert!(check(Lang::TypeScript, src, &[]));
    let src = "function f() {\n  {\n    let console = make();\n    console.log(1);\n  }\n  console.log(2);\n}\n";
    assert!(check(Lang::JavaScript, src, &[(6, "log", Call)]));
    let src = "for (let console = a; x; ) { console.log(1); }\nconsole.log(2);\n";
    assert!(!check(Lang::JavaScript, src, &[(2, "log", Call)]));
    // A `console` object key or a type annotation is not a binding.
    check(
        Lang::TypeScript,
        "const x = { console: 1 };\nconsole.log(x);\n",
        &[(2, "log", Call)],
    );
}

#[test]
fn class_expressions_namespaces_and_enums_named_console_shadow_it() {
    // A class expression's name is visible in its own body only.
    check(
        Lang::TypeScript,
        "const C = class console {\n  static log(x: number) { return x; }\n  m() { console.log(1); }\n};\nconsole.log(2);\n",
        &[(5, "log", Call)],
    );
    check(
        Lang::JavaScript,
        "const C = class console { m() { console.log(1); } };\n",
        &[],
    );
    // A namespace or enum declares a binding in its enclosing block.
    check(
        Lang::TypeScript,
        "namespace console {\n  export function log(x: number) {}\n  console.log(2);\n}\nconsole.log(3);\n",
        &[],
    );
    check(
        Lang::TypeScript,
        "function f() {\n  enum console { log }\n  return console.log;\n}\nconsole.log(1);\n",
        &[(5, "log", Call)],
    );
}

#[test]
fn the_global_seen_through_parentheses_and_assertions() {
    check(
        Lang::TypeScript,
        "(console as any).log(1);\nconsole!.log(2);\n(console).log(3);\n(console satisfies Console).warn(4);\n",
        &[(1, "log", Call), (2, "log", Call), (3, "log", Call), (4, "warn", Call)],
    );
    check(Lang::JavaScript, "(console).error(e);\n", &[(1, "error", Call)]);
}

#[test]
fn a_declared_console_is_the_global_at_run_time() {
    // `declare` emits nothing: `console` is still the global object when the code runs.
    check(
        Lang::TypeScript,
        "export {};\ndeclare const console: { log(x: number): void };\nconsole.log(1);\n",
        &[(3, "log", Call)],
    );
}

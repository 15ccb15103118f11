//! The token path for big files (`engine::large`) against the tree path on generated
//! files: whenever the token path answers, its `FileFix` (new text, records, edits,
//! imports, refusal) must be exactly the tree path's. The fragments cover console calls
//! with every argument shape the policy distinguishes, strings, templates, regular
//! expressions and comments, imports and requires in ESM and CommonJS, and the shapes
//! that must make the token path decline.

use std::path::{Path, PathBuf};

use dash::config::{Config, ConsolePolicy, LoggerStyle};
use dash::engine::Prepared;
use dash::engine::fix::{FileFix, FixOptions, fix_file};
use dash::engine::large;
use dash::rules::console::logger::{LoggerModule, LoggerTarget};
use dash::rules::console::{Console, ConsoleFixer};
use dash::rules::{FileCx, Rule};
use dash::syntax::Lang;
use dash::workspace::Category;
use proptest::prelude::*;

/// Statements of the body: console calls of every argument shape, and what surrounds them.
const BODY: &[&str] = &[
    "console.log('plain');",
    "console.log(\"double\");",
    "console.info(`template ${user.id} done`);",
    "console.warn('slow', user.id);",
    "console.error('failed', err);",
    "console.error('failed', error);",
    "console.error('failed', e.message);",
    "console.log('value', value);",
    "console.log({ a: 1, b: 'x' }, 'structured');",
    "console.log('fields', { a: 1 });",
    "console.log('spread', ...rest);",
    "console.log('two', a, b);",
    "console.log(a, b);",
    "console.log('a', 'b');",
    "console.log('call', compute(x));",
    "console.log(JSON.stringify(data));",
    "console.log(JSON.stringify(data, null, 2));",
    "console.log(chalk.red('coloured'));",
    "console.log('\\x1b[31mred\\x1b[0m');",
    "console.log('count: %d', n);",
    "console.log('100% done', n);",
    "console.log('sum', a + b);",
    "console.log('neg', -a);",
    "console.log('not', !a);",
    "console.log('typeof', typeof a);",
    "console.log('cond', a ? b : c);",
    "console.log('arrow', (x) => x);",
    "console.log('arr', [1, 2]);",
    "console.log('sub', a[0]);",
    "console.log('opt', a?.b);",
    "console.log('optcall', a?.(b));",
    "console.log('nonnull', a!.b);",
    "console.log('nn', a!);",
    "console.log('ne', a != b);",
    "console.log('tagged', tag`x${y}`);",
    "console.log('str member', 'abc'.length);",
    "console.log('paren', (a));",
    "console.log('paren member', (a).b);",
    "console.log('chain', a.b.c(d).e);",
    "console.log('this', this.x);",
    "console.log('null', null);",
    "console.log('num', 42);",
    "console.log('re', /a,b/.test(s));",
    "console.log('as', a as string);",
    "console.log('await', await load());",
    "console.log('trailing',);",
    "console.log('c', /* among */ value);",
    "console.log('c', { /* inside */ value });",
    "console.log('c', value // line\n);",
    "console.log();",
    "console.debug(value);",
    "console.trace('where');",
    "console.table(rows);",
    "console.clearHistory();",
    "console?.log('optional');",
    "console.log?.('optional call');",
    "console['warn']('keyed');",
    "items.forEach(console.log);",
    "const v = console.log('value');",
    "x && console.log('short');",
    "if (x) console.log('if body'); else y();",
    "const f = () => console.log('arrow');",
    "function g(n) { console.log('in function', n); }",
    "const o = { m() { console.log('method'); } };",
    "class C { run() { console.warn('class'); } }",
    "try { run(); } catch (e) { console.error('caught', e); }",
    "// console.log('comment');",
    "const s = \"console.log('string')\";",
    "const t = `console.log(${'in template'})`;",
    "const r = /console\\.log\\(/g;",
    "let n = 1;",
    "const q = 'single';",
    "const d = \"double\";",
    "for (let i = 0; i < 3; i++) { n += i; }",
    "do n--; while (n > 0);",
    "export const k = 1;",
    "export function h() { return 'h'; }",
    "const req = require('./other');",
    "import('./lazy').then((m) => m);",
    "const logger = make();",
    "logger.info('already');",
    "function log(x) { console.log(x); }",
    "const api = { error: (m) => console.error(m), warn: (m) => console.warn(m) };",
    "console = fake;",
    "const console = fake;",
    "console.log(console.log('nested'));",
    "console.log('new', new Date());",
    "// dash-ignore\nconsole.log('ignored');",
];

/// What a file may start with: imports and requires in both module systems.
const HEADS: &[&str] = &[
    "",
    "'use strict';\n",
    "#!/usr/bin/env node\n",
    "/**\n * License header.\n */\n",
    "import { a } from './a';\n",
    "import { logger } from './utils/logger';\n",
    "import { format } from './utils/logger';\n",
    "import type { logger } from './utils/logger';\n",
    "import * as path from 'path';\nimport { z } from \"./z\";\n",
    "const fs = require('fs');\n",
    "const { x } = require('./utils/logger');\n",
    "export * from './re';\n",
];

fn program(head: &str, body: &[usize], crlf: bool) -> String {
    let mut text = String::from(head);
    for &i in body {
        text.push_str(BODY[i % BODY.len()]);
        text.push('\n');
    }
    if crlf {
        text = text.replace('\n', "\r\n");
    }
    text
}

fn same(tree: &FileFix, tokens: &FileFix) -> Result<(), String> {
    let pairs: [(&str, String, String); 8] = [
        ("new text", tree.new_text.clone(), tokens.new_text.clone()),
        (
            "fixed",
            format!("{:?}", tree.fixed),
            format!("{:?}", tokens.fixed),
        ),
        (
            "judgements",
            format!("{:?}", tree.judgements),
            format!("{:?}", tokens.judgements),
        ),
        (
            "unfixed",
            format!("{:?}", tree.unfixed),
            format!("{:?}", tokens.unfixed),
        ),
        (
            "edits",
            format!("{:?}", tree.edits),
            format!("{:?}", tokens.edits),
        ),
        (
            "imports",
            tree.imports_added.to_string(),
            tokens.imports_added.to_string(),
        ),
        (
            "refused",
            format!("{:?}", tree.refused),
            format!("{:?}", tokens.refused),
        ),
        ("passes", tree.passes.to_string(), tokens.passes.to_string()),
    ];
    for (what, a, b) in pairs {
        if a != b {
            return Err(format!("{what} differ:\n--- tree\n{a}\n--- tokens\n{b}"));
        }
    }
    Ok(())
}

/// Runs both paths on `text`; `Some(())` when the token path answered (and agreed).
fn compare(
    text: &str,
    lang: Lang,
    ext: &str,
    style: LoggerStyle,
    module: bool,
) -> Result<bool, String> {
    let mut config = Config::default();
    config.console.production = ConsolePolicy::Logger;
    let logger = LoggerTarget {
        module: LoggerModule::File(PathBuf::from("/p/src/utils/logger.ts")),
        export: "logger".into(),
        style,
        create: None,
        origin: "test",
    };
    let console = Prepared {
        meta: Console.meta(),
        rule: Box::new(ConsoleFixer::with_logger(&config, logger, module, false)),
    };
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let path = PathBuf::from(format!("/p/src/file.{ext}"));
    let file = FileCx {
        path: Path::new(&path),
        lang,
        category: Category::Production,
        text,
        newline,
    };
    let options = FixOptions::default();
    let tree = fix_file(&file, &[&console], &options);
    match large::fix(&file, &[&console], &options) {
        None => Ok(false),
        Some(tokens) => same(&tree, &tokens)
            .map(|()| true)
            .map_err(|e| format!("{e}\n--- input ({ext}, {style:?})\n{text}")),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn the_token_path_answers_as_the_tree_path(
        head in 0..HEADS.len(),
        body in proptest::collection::vec(0..BODY.len(), 6..16),
        style in 0..3usize,
        ext in 0..3usize,
        module in any::<bool>(),
        crlf in proptest::bool::weighted(0.1),
    ) {
        let text = program(HEADS[head], &body, crlf);
        let style = [LoggerStyle::Console, LoggerStyle::Pino, LoggerStyle::Winston][style];
        let (lang, ext) = [(Lang::TypeScript, "ts"), (Lang::JavaScript, "js"), (Lang::JavaScript, "cjs")][ext];
        if let Err(e) = compare(&text, lang, ext, style, module) {
            prop_assert!(false, "{}", e);
        }
    }
}

/// The generated files are not all declined: the property above is not vacuous.
#[test]
fn the_token_path_answers_often() {
    let mut answered = 0;
    let total = BODY.len();
    let at = |s: &str| BODY.iter().position(|b| *b == s).unwrap();
    let plain = [
        at("let n = 1;"),
        at("const q = 'single';"),
        at("const d = \"double\";"),
    ];
    for i in 0..total {
        // Each body statement among plain ones that every path handles.
        let body = [plain[0], 0, plain[1], i, plain[2], 3, 4, plain[0]];
        let text = program(HEADS[i % HEADS.len()], &body, false);
        if compare(&text, Lang::TypeScript, "ts", LoggerStyle::Pino, true).unwrap() {
            answered += 1;
        }
    }
    assert!(answered * 2 > total, "answered {answered} of {total}");
}

/// The heads every module system gives: an import after many statements, requires.
#[test]
fn imports_are_placed_as_the_tree_places_them() {
    let cases = [
        ("import { a } from './a';\nconst b = 1;\n", "ts"),
        ("const fs = require('fs');\nconst b = 1;\n", "cjs"),
        ("'use strict';\nconst b = 1;\n", "cjs"),
        ("/* header */\n\nconst b = 1;\n", "ts"),
        ("const b = \"1\";\n", "js"),
    ];
    for (head, ext) in cases {
        let mut text = head.to_owned();
        for i in 0..8 {
            text.push_str(&format!("const v{i} = \"{i}\";\nconsole.log('n', v{i});\n"));
        }
        let lang = if ext == "ts" {
            Lang::TypeScript
        } else {
            Lang::JavaScript
        };
        assert!(
            compare(&text, lang, ext, LoggerStyle::Pino, false).unwrap(),
            "declined:\n{text}"
        );
    }
}

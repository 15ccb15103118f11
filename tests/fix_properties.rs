//! Properties of the fix pipeline on many inputs: it never makes a file parse worse, and
//! running it on its own output changes nothing. Inputs are programs generated from
//! statement templates (console calls in every position dash distinguishes, nested,
//! shadowed, in JSX, among comments and strings) and every fixture input.

use std::path::{Path, PathBuf};

use dash::config::{Config, ConsolePolicy, LoggerStyle};
use dash::engine::Prepared;
use dash::engine::fix::{FixOptions, Refusal, fix_file};
use dash::rules::console::logger::{LoggerModule, LoggerTarget};
use dash::rules::console::{Console, ConsoleFixer};
use dash::rules::{FileCx, Rule};
use dash::syntax::{self, Lang};
use dash::workspace::Category;

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const STATEMENTS: &[&str] = &[
    "console.log('a');",
    "console.error('failed', err);",
    "console.warn('slow', user.id);",
    "console.info({ a: 1 }, 'structured');",
    "console.debug(`t ${x}`);",
    "console.log('spread', ...rest);",
    "console.log('two', a, b);",
    "console.table(rows);",
    "console[level]('computed');",
    "console?.log('optional');",
    "console.log?.('optional call');",
    "console.log(console.log('nested'));",
    "const v = console.log('value');",
    "x && console.log('short');",
    "if (x) console.log('if body');",
    "for (const i of xs) console.log(i);",
    "const f = () => console.log('arrow');",
    "items.forEach(console.log);",
    "function g(console) { console.log('shadowed'); }",
    "// console.log('comment')",
    "const s = \"console.log('string')\";",
    "console.log('trailing'); // note",
    "/* block */ console.log('after block comment');",
    "await Promise.resolve(console.log('await'));",
    "const o = { m() { console.log('method'); } };",
    "class C { run() { console.warn('class'); } }",
    "try { run(); } catch (e) { console.error('caught', e); }",
    "switch (k) { case 1: console.log('case'); break; }",
    "label: console.log('labelled');",
];

const PREAMBLES: &[&str] = &[
    "",
    "#!/usr/bin/env node\n",
    "'use strict';\n",
    "/**\n * License header.\n */\n",
    "import { a } from './a';\n",
    "import { format } from './utils/logger';\n",
    "const fs = require('fs');\n",
    "// dash-ignore\n",
];

fn program(rng: &mut Rng) -> String {
    let mut text = String::from(rng.pick(PREAMBLES));
    let count = 1 + rng.next() % 8;
    for _ in 0..count {
        let statement = rng.pick(STATEMENTS);
        if rng.next().is_multiple_of(4) {
            text.push_str(&format!(
                "function wrap{}() {{\n  {statement}\n}}\n",
                rng.next() % 1000
            ));
        } else {
            text.push_str(statement);
            text.push('\n');
        }
    }
    if rng.next().is_multiple_of(5) {
        text = text.replace('\n', "\r\n");
    }
    text
}

fn check(lang: Lang, text: &str, failures: &mut Vec<String>) {
    for policy in [ConsolePolicy::Logger, ConsolePolicy::Remove] {
        for style in [
            LoggerStyle::Console,
            LoggerStyle::Pino,
            LoggerStyle::Winston,
        ] {
            let mut config = Config::default();
            config.console.production = policy;
            let logger = LoggerTarget {
                module: LoggerModule::File(PathBuf::from("/p/src/utils/logger.ts")),
                export: "logger".into(),
                style,
                create: None,
                origin: "test",
            };
            let console = Prepared {
                meta: Console.meta(),
                rule: Box::new(ConsoleFixer::with_logger(&config, logger, true, false)),
            };
            let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
            let path = Path::new("/p/src/file.ts");
            let run = |t: &str| {
                fix_file(
                    &FileCx {
                        path,
                        lang,
                        category: Category::Production,
                        text: t,
                        newline,
                    },
                    &[&console],
                    &FixOptions::default(),
                )
            };
            let once = run(text);
            // The pipeline refuses results that parse worse; a refusal is a dash bug.
            if let Some(Refusal::ParseRegression { .. }) = once.refused {
                failures.push(format!(
                    "{policy:?}/{style:?}: the fix was refused for parsing worse:\n{text}"
                ));
                continue;
            }
            let errors = |t: &str| {
                syntax::parse(lang, t.as_bytes())
                    .map_or(usize::MAX, |tree| syntax::error_count(&tree))
            };
            if errors(&once.new_text) > errors(text) {
                failures.push(format!(
                    "{policy:?}/{style:?}: parses worse:\n{text}\n---\n{}",
                    once.new_text
                ));
                continue;
            }
            let twice = run(&once.new_text);
            if twice.new_text != once.new_text {
                failures.push(format!(
                    "{policy:?}/{style:?}: not idempotent:\n{text}\n--- once\n{}\n--- twice\n{}",
                    once.new_text, twice.new_text
                ));
            }
        }
    }
}

#[test]
fn generated_programs() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut failures = Vec::new();
    for _ in 0..300 {
        let text = program(&mut rng);
        // `await` at top level and labels are fine in modules; parse errors in the input
        // are allowed (the property is "no worse").
        check(Lang::TypeScript, &text, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} failure(s), first:\n{}",
        failures.len(),
        failures[0]
    );
}

#[test]
fn fixture_inputs_in_every_mode() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/console");
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some((_, ext)) = name.split_once(".input.") else {
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text.trim_start_matches('\u{feff}');
        check(Lang::from_extension(ext).unwrap(), text, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} failure(s), first:\n{}",
        failures.len(),
        failures[0]
    );
}

//! `dash fix`'s per-file driver on the generated big inputs of `benches/bigfiles.sh`
//! (issue 8, defect 21: every stage linear in the file's size).
//!
//!   cargo bench --bench fix
//!
//! Each input comes in two sizes, the second twice the first: a linear stage takes about
//! twice as long on it, a quadratic one four times.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use dash::config::{Config, ConsolePolicy, LoggerStyle};
use dash::engine::Prepared;
use dash::engine::fix::{FixOptions, fix_file};
use dash::rules::console::logger::{LoggerModule, LoggerTarget};
use dash::rules::console::{Console, ConsoleFixer};
use dash::rules::{FileCx, Rule};
use dash::syntax::Lang;
use dash::workspace::Category;
use divan::{Bencher, black_box, counter::BytesCount};

fn main() {
    divan::main();
}

/// A test file with `n` `console.log(…)` statements to remove, 20 per test case.
fn removals(n: usize) -> String {
    let mut s = String::from(
        "import { describe, it, expect } from \"vitest\";\n\ndescribe(\"many\", () => {\n",
    );
    for i in 0..n / 20 {
        writeln!(s, "  it(\"case {i}\", () => {{").unwrap();
        for j in 0..20 {
            writeln!(s, "    console.log(\"step {j} of case {i}\", value{j});").unwrap();
        }
        writeln!(s, "    expect({i}).toBe({i});\n  }});").unwrap();
    }
    s.push_str("});\n");
    s
}

/// `n` console calls: a quarter in functions nested inside each other's blocks, the rest
/// in `console.log(console.log(console.log(…)))` chains.
fn nested(n: usize) -> String {
    let depth = n / 4;
    let mut s = String::new();
    for i in 0..depth {
        writeln!(
            s,
            "function f{i}(x) {{ if (x) {{ console.info(\"in f{i}\", x);"
        )
        .unwrap();
    }
    s.push_str(&"}}\n".repeat(depth));
    for i in 0..depth {
        writeln!(s, "console.log(console.log(console.log(\"chain {i}\")));").unwrap();
    }
    s
}

/// `n` functions of plausible service code, three console calls each.
fn production(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        write!(
            s,
            "/** Loads user {i} and logs what happened. */\n\
             export async function loadUser{i}(id: string, repo: Repo): Promise<User | undefined> {{\n  \
             const started = Date.now();\n  const pattern = /^[a-z0-9-]+$/i;\n  \
             if (!pattern.test(id)) {{\n    console.warn(`invalid id ${{id}}`);\n    return undefined;\n  }}\n  \
             // console.log(\"not a call: a comment\");\n  const message = \"console.log(not a call)\";\n  \
             const user = await repo.find(id);\n  console.log(\"loaded\", user);\n  \
             if (Date.now() - started > 1000) console.error(\"slow lookup\", message.length);\n  \
             return user ?? undefined;\n}}\n\n"
        )
        .unwrap();
    }
    s
}

/// `n` top-level `console.log` calls.
fn toplevel(n: usize) -> String {
    (0..n)
        .map(|i| format!("console.log(\"line\", {i});\n"))
        .collect()
}

fn run(bencher: Bencher, text: String, lang: Lang, category: Category) {
    let mut config = Config::default();
    config.console.tests = ConsolePolicy::Remove;
    let logger = LoggerTarget {
        module: LoggerModule::File(PathBuf::from("/p/src/logger.ts")),
        export: "logger".into(),
        style: LoggerStyle::Console,
        create: None,
        origin: "bench",
    };
    let console = Prepared {
        meta: Console.meta(),
        rule: Box::new(ConsoleFixer::with_logger(&config, logger, true, false)),
    };
    let path = Path::new("/p/src/file.ts");
    bencher.counter(BytesCount::of_str(&text)).bench(|| {
        let file = FileCx {
            path,
            lang,
            category,
            text: black_box(&text),
            newline: "\n",
        };
        fix_file(&file, &[&console], &FixOptions::default())
    });
}

#[divan::bench(args = [4_000, 8_000], sample_count = 5)]
fn remove_statements(bencher: Bencher, n: usize) {
    run(bencher, removals(n), Lang::TypeScript, Category::Tests);
}

#[divan::bench(args = [5_000, 10_000], sample_count = 5)]
fn nested_calls(bencher: Bencher, n: usize) {
    run(bencher, nested(n), Lang::TypeScript, Category::Production);
}

#[divan::bench(args = [50_000, 100_000], sample_count = 5)]
fn toplevel_calls(bencher: Bencher, n: usize) {
    run(bencher, toplevel(n), Lang::JavaScript, Category::Production);
}

/// About 2.6 and 5.3 MB (the 50 MB file of `bigfiles.sh` is measured whole-process).
#[divan::bench(args = [5_000, 10_000], sample_count = 5)]
fn production_file(bencher: Bencher, n: usize) {
    run(
        bencher,
        production(n),
        Lang::TypeScript,
        Category::Production,
    );
}

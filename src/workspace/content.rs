//! What a production file's own text says about its category, decided on the bytes the
//! run already read (never a second read): a shebang makes it a script, a `'use client'`
//! directive, a service worker's `self.addEventListener('fetch', …)`/`importScripts` or a
//! UMD bundle's wrapper makes it browser code, and the entry module of a commander/yargs/cac/meow/clipanion
//! program (it imports the library and hands it the arguments) makes it CLI code, whose
//! console output is the product.

use std::sync::LazyLock;

use regex::bytes::Regex;

use super::Category;

/// An import or require of a CLI argument parser.
static CLI_IMPORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:\bfrom\s*|\brequire\s*\(\s*|\bimport\s*\(\s*|\bimport\s+)['"](?:commander|yargs|yargs/yargs|cac|meow|clipanion|sade|citty)['"]"#,
    )
    .expect("valid regex")
});

/// The arguments handed to the parser: `.parse(…)`/`.parseAsync(…)` (not `JSON.parse`),
/// yargs' `.argv`, `process.argv`, meow's call, clipanion's `runExit`, citty's `runMain`.
static CLI_RUN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:[^N\s]\s*\.\s*parse(?:Async)?\s*\(|\.argv\b|\bmeow\s*\(|\brunExit\s*\(|\brunMain\s*\()",
    )
    .expect("valid regex")
});

/// A service worker's (or web worker's) globals.
static WORKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\bself\s*\.\s*addEventListener\s*\(\s*['"](?:fetch|install|activate|push|sync|notificationclick)['"]|\bimportScripts\s*\("#,
    )
    .expect("valid regex")
});

/// The category of a file whose path and package said `category`, from its bytes.
/// Only production files move: a test with a shebang is still a test.
pub fn refine(category: Category, bytes: &[u8]) -> Category {
    if category != Category::Production {
        return category;
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.starts_with(b"#!") {
        return Category::Scripts;
    }
    if has_directive(bytes, b"use client") || WORKER.is_match(bytes) || is_umd_bundle(bytes) {
        return Category::Browser;
    }
    if CLI_IMPORT.is_match(bytes) && CLI_RUN.is_match(bytes) {
        return Category::Scripts;
    }
    category
}

/// A UMD bundle (Rollup's, webpack's `libraryTarget: 'umd'`): built for browsers, and
/// recognised by its AMD branch (`define.amd` exists only in browser module loaders) in
/// the wrapper that opens the file.
fn is_umd_bundle(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(2048)];
    memchr::memmem::find(head, b"typeof define === 'function' && define.amd").is_some()
        || memchr::memmem::find(head, b"typeof define === \"function\" && define.amd").is_some()
        || memchr::memmem::find(head, b"typeof define==\"function\"&&define.amd").is_some()
        || memchr::memmem::find(head, b"typeof define==='function'&&define.amd").is_some()
}

/// Whether the directive prologue (the string statements that open a module, after
/// comments) holds `directive`.
fn has_directive(bytes: &[u8], directive: &[u8]) -> bool {
    let mut rest = bytes;
    loop {
        rest = skip_trivia(rest);
        let Some(&quote) = rest.first().filter(|q| matches!(q, b'\'' | b'"')) else {
            return false;
        };
        let Some(end) = rest[1..].iter().position(|&b| b == quote || b == b'\n') else {
            return false;
        };
        if rest[1 + end] != quote {
            return false;
        }
        let value = &rest[1..1 + end];
        rest = skip_trivia(&rest[end + 2..]);
        // A directive is a whole statement: `'a' + b` is an expression.
        let statement_ends = match rest.first() {
            Some(b';') | None => true,
            Some(_) => bytes_had_newline(bytes, rest),
        };
        if !statement_ends {
            return false;
        }
        if value == directive {
            return true;
        }
        if rest.first() == Some(&b';') {
            rest = &rest[1..];
        }
    }
}

/// Whether a line break precedes `rest`'s first byte since the last string (ASI ended the
/// directive): checked on the trivia just skipped.
fn bytes_had_newline(all: &[u8], rest: &[u8]) -> bool {
    let at = all.len() - rest.len();
    all[..at]
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_whitespace())
        .any(|&b| b == b'\n')
}

/// Skips whitespace and comments.
fn skip_trivia(mut rest: &[u8]) -> &[u8] {
    loop {
        let trimmed = rest.trim_ascii_start();
        if let Some(after) = trimmed.strip_prefix(b"//") {
            let end = memchr::memchr(b'\n', after).map_or(after.len(), |i| i + 1);
            rest = &after[end..];
        } else if let Some(after) = trimmed.strip_prefix(b"/*") {
            match memchr::memmem::find(after, b"*/") {
                Some(i) => rest = &after[i + 2..],
                None => return &[],
            }
        } else {
            return trimmed;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Category::*;

    fn refined(text: &str) -> Category {
        refine(Production, text.as_bytes())
    }

    #[test]
    fn shebang_is_a_script() {
        assert_eq!(refined("#!/usr/bin/env node\nconsole.log(1)\n"), Scripts);
        assert_eq!(refined("\u{feff}#!/usr/bin/env node\n"), Scripts);
        assert_eq!(refined("// #!/usr/bin/env node\n"), Production);
        assert_eq!(refine(Tests, b"#!/usr/bin/env node\n"), Tests);
    }

    #[test]
    fn use_client_is_browser() {
        assert_eq!(refined("'use client'\nexport function A() {}\n"), Browser);
        assert_eq!(refined("\"use client\";\nimport x from 'y'\n"), Browser);
        assert_eq!(
            refined("// Button\n/* c */ 'use strict';\n'use client'\n"),
            Browser
        );
        assert_eq!(refined("import x from 'y'\n'use client'\n"), Production);
        assert_eq!(refined("const a = 'use client'\n"), Production);
        assert_eq!(refined("'use client' + x\n"), Production);
        assert_eq!(
            refined("'use server'\nexport async function a() {}\n"),
            Production
        );
    }

    #[test]
    fn service_workers_are_browser() {
        assert_eq!(
            refined("self.addEventListener('fetch', (e) => { console.log(e) })\n"),
            Browser
        );
        assert_eq!(refined("importScripts('workbox.js')\n"), Browser);
        assert_eq!(
            refined("emitter.addEventListener('fetch', f)\n"),
            Production
        );
    }

    #[test]
    fn umd_bundles_are_browser() {
        let umd = "/*! v1 */\n(function (global, factory) {\n  typeof exports === 'object' && typeof module !== 'undefined' ? module.exports = factory() :\n  typeof define === 'function' && define.amd ? define(factory) :\n  (global.io = factory());\n})(this, (function () { console.log(1) }));\n";
        assert_eq!(refined(umd), Browser);
        // Far from the opening wrapper, the words are only words.
        let late = format!(
            "{}\n// typeof define === 'function' && define.amd\n",
            "x();\n".repeat(600)
        );
        assert_eq!(refined(&late), Production);
    }

    #[test]
    fn cli_entry_modules_are_scripts() {
        for text in [
            "import { program } from 'commander'\nprogram.option('-j').parse(process.argv)\n",
            "const { Command } = require(\"commander\")\nnew Command().parseAsync()\n",
            "import yargs from 'yargs'\nimport { hideBin } from 'yargs/helpers'\nconst argv = yargs(hideBin(process.argv)).argv\n",
            "import meow from 'meow'\nconst cli = meow('usage', { importMeta: import.meta })\n",
            "import { cac } from 'cac'\nconst cli = cac('x')\ncli.parse()\n",
            "import { Cli } from 'clipanion'\ncli.runExit(process.argv.slice(2))\n",
        ] {
            assert_eq!(refined(text), Scripts, "{text}");
        }
        for text in [
            // A subcommand's module: it builds a command and hands it back.
            "import { Command } from 'commander'\nexport const sub = new Command('x')\n",
            // `JSON.parse` is not the parser's.
            "import { Command } from 'commander'\nexport const a = JSON.parse(s)\n",
            // Arguments without a CLI library.
            "const port = process.argv[2]\nconsole.log(port)\n",
            "import { x } from 'commander-like'\nx.parse()\n",
        ] {
            assert_eq!(refined(text), Production, "{text}");
        }
    }
}

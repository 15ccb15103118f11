//! Where the logger comes from: dash.toml `[logger]`, an existing logger module, a
//! logging library in package.json, or a new module that `dash fix` proposes.

use std::path::{Path, PathBuf};

use super::packages::Runtime;
use crate::config::{Config, LoggerStyle};

/// The module files are rewritten to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoggerModule {
    /// A file in the repository (absolute path); imports are relative to each file.
    File(PathBuf),
    /// A package name or a path alias (`@acme/log`, `@/lib/logger`), written as it is.
    Specifier(String),
}

/// The resolved logger: module, export, call style, and the module's text if dash must
/// create it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggerTarget {
    pub module: LoggerModule,
    pub export: String,
    pub style: LoggerStyle,
    /// Set when the module does not exist yet: its content, shown in the preview and
    /// created by `--write`.
    pub create: Option<String>,
    /// How it was found, for the summary.
    pub origin: &'static str,
}

/// Existing modules looked for, in order, under the project root.
const CANDIDATES: &[&str] = &[
    "src/utils/logger",
    "src/logger",
    "src/lib/logger",
    "src/util/logger",
    "src/utils/log",
    "lib/logger",
    "utils/logger",
    "logger",
];
const EXTENSIONS: &[&str] = &["ts", "mts", "js", "mjs", "cjs", "tsx"];

/// The folder whose `src/` holds the logger: where dash.toml is, else the nearest folder
/// with a package.json above `start`, else `start` itself.
pub fn project_root(config: &Config, start: &Path) -> PathBuf {
    if let Some(root) = config.root() {
        return root.to_path_buf();
    }
    let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
    let start = if start.is_file() {
        start.parent().map(Path::to_path_buf).unwrap_or(start)
    } else {
        start
    };
    start
        .ancestors()
        .find(|d| d.join("package.json").is_file())
        .map(Path::to_path_buf)
        .unwrap_or(start)
}

/// The logger a run's summary names: that of the first file (by path) whose calls were
/// rewritten, else the run root's; and how many other loggers the rewritten files of
/// other packages import.
pub fn for_summary(config: &Config, root: &Path, users: &[&Path]) -> (LoggerTarget, usize) {
    let packages = super::packages::Packages::new(config, root);
    let mut users = users.to_vec();
    users.sort();
    let mut loggers: Vec<LoggerTarget> = Vec::new();
    for user in users {
        let logger = packages.of(user).logger.clone();
        if !loggers.contains(&logger) {
            loggers.push(logger);
        }
    }
    if loggers.is_empty() {
        let root = super::packages::canonical(root);
        loggers.push(packages.package(&root).logger.clone());
    }
    let others = loggers.len() - 1;
    (loggers.swap_remove(0), others)
}

/// `[logger] module` of dash.toml: a path (relative to the dash.toml's folder, else the
/// package's) or a package name / path alias written as it is.
pub(crate) fn configured(config: &Config, root: &Path, runtime: Runtime) -> LoggerTarget {
    let configured_export = config.logger.export.clone();
    let module = config.logger.module.clone().unwrap_or_default();
    let looks_like_path = module.starts_with("./")
        || module.starts_with("../")
        || module.contains('.') && !module.starts_with('@');
    if looks_like_path {
        let base = config.root().unwrap_or(root);
        let path = super::packages::canonical(&base.join(module.trim_start_matches("./")));
        let existing = std::fs::read_to_string(&path).ok();
        let (export, style) = match &existing {
            Some(text) => (export_of(text), style_of(text)),
            None => ("logger".to_owned(), LoggerStyle::Console),
        };
        let create = existing.is_none().then(|| {
            let esm = module_is_esm(&path, runtime);
            new_module(root, &path, LoggerStyle::Console, esm).1
        });
        return LoggerTarget {
            module: LoggerModule::File(path),
            export: configured_export.unwrap_or(export),
            style: config.logger.style.unwrap_or(style),
            create,
            origin: "dash.toml [logger]",
        };
    }
    LoggerTarget {
        module: LoggerModule::Specifier(module),
        export: configured_export.unwrap_or_else(|| "logger".to_owned()),
        style: config.logger.style.unwrap_or(LoggerStyle::Console),
        create: None,
        origin: "dash.toml [logger]",
    }
}

/// The first of the usual logger paths that exists under the package root.
pub(crate) fn existing(config: &Config, root: &Path) -> Option<LoggerTarget> {
    for candidate in CANDIDATES {
        for ext in EXTENSIONS {
            let path = root.join(format!("{candidate}.{ext}"));
            if let Ok(text) = std::fs::read_to_string(&path) {
                return Some(LoggerTarget {
                    module: LoggerModule::File(path),
                    export: config.logger.export.clone().unwrap_or_else(|| export_of(&text)),
                    style: config.logger.style.unwrap_or_else(|| style_of(&text)),
                    create: None,
                    origin: "existing logger module",
                });
            }
        }
    }
    None
}

/// A module named like a logger elsewhere in the package, when it exports one: a
/// `logger` binding, or a default export of a pino/winston instance.
pub(crate) fn existing_module(config: &Config, path: &Path) -> Option<LoggerTarget> {
    let text = std::fs::read_to_string(path).ok()?;
    let style = style_of(&text);
    let default_library = style != LoggerStyle::Console
        && (text.contains("export default") || text.contains("module.exports ="));
    (exports_named_logger(&text) || default_library).then(|| LoggerTarget {
        module: LoggerModule::File(path.to_path_buf()),
        export: config
            .logger
            .export
            .clone()
            .unwrap_or_else(|| export_of(&text)),
        style: config.logger.style.unwrap_or(style),
        create: None,
        origin: "existing logger module",
    })
}

/// A new module inside the package at `root`, in the language and module system its
/// code runs as: TypeScript only for a TypeScript package; `.js` ESM under `"type":
/// "module"` or when its `.js` files are written with `import`, `.mjs` in a package of
/// `.mjs` files, else CommonJS `.js`.
pub(crate) fn new_logger(config: &Config, root: &Path, runtime: Runtime) -> LoggerTarget {
    let library = package_library(root);
    let ext = if runtime.typescript {
        "ts"
    } else if runtime.mjs {
        "mjs"
    } else {
        "js"
    };
    let path = root.join(format!("{}.{ext}", new_module_stem(root)));
    let style = config.logger.style.unwrap_or(match library {
        Some("pino") => LoggerStyle::Pino,
        Some("winston") => LoggerStyle::Winston,
        _ => LoggerStyle::Console,
    });
    let esm = module_is_esm(&path, runtime);
    let (origin, text) = new_module(root, &path, style, esm);
    LoggerTarget {
        module: LoggerModule::File(path),
        export: config
            .logger
            .export
            .clone()
            .unwrap_or_else(|| "logger".to_owned()),
        style,
        create: Some(text),
        origin,
    }
}

/// Whether a module dash creates at `path` is written as ESM.
fn module_is_esm(path: &Path, runtime: Runtime) -> bool {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "mjs" | "mts" => true,
        "cjs" | "cts" => false,
        "ts" | "tsx" => true,
        _ => runtime.is_module || runtime.js_esm,
    }
}

/// Where a new logger module goes: `src/utils/logger` in the usual layout, else beside
/// the code of a project that keeps it in `lib/` or `source/`.
fn new_module_stem(root: &Path) -> &'static str {
    if root.join("src").is_dir() {
        "src/utils/logger"
    } else if root.join("lib").is_dir() {
        "lib/logger"
    } else if root.join("source").is_dir() {
        "source/logger"
    } else {
        "src/utils/logger"
    }
}

/// The named export a module offers as its logger: `logger` when it exports that name,
/// `default` when it only has a default export.
fn export_of(text: &str) -> String {
    if exports_named_logger(text) {
        "logger".to_owned()
    } else if text.contains("export default") || text.contains("module.exports =") {
        "default".to_owned()
    } else {
        "logger".to_owned()
    }
}

/// Whether the module exports a binding named `logger`.
pub(crate) fn exports_named_logger(text: &str) -> bool {
    let named = [
        "export const logger",
        "export let logger",
        "export var logger",
        "export function logger",
        "exports.logger",
        "export { logger",
    ];
    // `module.exports = { logger }` and `export { a, logger }` name it too.
    let in_braces = |opening: &str| {
        text.match_indices(opening).any(|(at, _)| {
            let rest = &text[at + opening.len()..];
            let inner = &rest[..rest.find('}').unwrap_or(rest.len())];
            inner
                .split(',')
                .any(|part| part.trim().split([':', ' ']).next() == Some("logger"))
        })
    };
    named.iter().any(|n| text.contains(n))
        || in_braces("module.exports = {")
        || in_braces("export {")
}

/// The call style of a module's logger: its own imports, else (an entry that re-exports
/// it) the package it belongs to.
pub(crate) fn style_of_module(path: &Path, text: &str) -> LoggerStyle {
    match style_of(text) {
        LoggerStyle::Console => path
            .ancestors()
            .find(|d| d.join("package.json").is_file())
            .and_then(package_library)
            .map_or(LoggerStyle::Console, |lib| match lib {
                "pino" => LoggerStyle::Pino,
                "winston" => LoggerStyle::Winston,
                _ => LoggerStyle::Console,
            }),
        style => style,
    }
}

/// pino or winston when the module imports them (a mention in a comment does not count).
fn style_of(text: &str) -> LoggerStyle {
    let imports = |lib: &str| {
        ["'", "\""].iter().any(|q| {
            text.contains(&format!("from {q}{lib}{q}"))
                || text.contains(&format!("require({q}{lib}{q})"))
        })
    };
    if imports("pino") {
        LoggerStyle::Pino
    } else if imports("winston") {
        LoggerStyle::Winston
    } else {
        LoggerStyle::Console
    }
}

/// pino, winston or consola among the package's dependencies.
fn package_library(root: &Path) -> Option<&'static str> {
    let text = std::fs::read_to_string(root.join("package.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    ["pino", "winston", "consola"].into_iter().find(|lib| {
        ["dependencies", "devDependencies", "peerDependencies"]
            .iter()
            .any(|section| json[section].get(lib).is_some())
    })
}

/// Whether the package declares `"type": "module"`.
pub fn package_is_module(root: &Path) -> bool {
    std::fs::read_to_string(root.join("package.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|j| j["type"] == "module")
}

/// The text of a logger module to create at `path`, and how it was chosen.
fn new_module(
    root: &Path,
    path: &Path,
    style: LoggerStyle,
    esm: bool,
) -> (&'static str, String) {
    let typescript = path.extension().is_some_and(|e| e == "ts" || e == "mts");
    match (package_library(root), style) {
        (Some("pino"), _) => (
            "new module wrapping pino (found in package.json)",
            wrap(
                esm,
                "import pino from 'pino';",
                "const pino = require('pino');",
                "pino({ level: process.env.LOG_LEVEL ?? 'info' })",
                typescript.then_some("pino.Logger"),
            ),
        ),
        (Some("winston"), _) => (
            "new module wrapping winston (found in package.json)",
            wrap(
                esm,
                "import winston from 'winston';",
                "const winston = require('winston');",
                "winston.createLogger({\n  level: process.env.LOG_LEVEL ?? 'info',\n  format: winston.format.json(),\n  transports: [new winston.transports.Console()],\n})",
                typescript.then_some("winston.Logger"),
            ),
        ),
        (Some("consola"), _) => (
            "new module wrapping consola (found in package.json)",
            wrap(
                esm,
                "import { consola } from 'consola';",
                "const { consola } = require('consola');",
                "consola",
                typescript.then_some("typeof consola"),
            ),
        ),
        _ => (
            "new structured logger module (none found)",
            structured_logger(typescript, esm),
        ),
    }
}

/// The module's text. In TypeScript the export carries its type (`annotation`), so the
/// module also compiles under `isolatedDeclarations`, which requires it.
fn wrap(esm: bool, import: &str, require: &str, value: &str, annotation: Option<&str>) -> String {
    let header =
        "// The project's logger. Created by `dash fix`; console.* calls are routed here.\n";
    let annotation = annotation.map(|t| format!(": {t}")).unwrap_or_default();
    if esm {
        format!("{header}{import}\n\nexport const logger{annotation} = {value};\n")
    } else {
        format!("{header}{require}\n\nconst logger = {value};\n\nmodule.exports = {{ logger }};\n")
    }
}

/// A dependency-free structured logger: JSON lines, levels, `LOG_LEVEL`, and `child(fields)`
/// for loggers whose every line carries some fields (`[logger] source = "module"`).
fn structured_logger(typescript: bool, esm: bool) -> String {
    let ts = |typed: &'static str, plain: &'static str| if typescript { typed } else { plain };
    let level_type = ts(
        "type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';\ntype Fields = Record<string, unknown>;\n\n/** What `logger` and each of its children can do. */\nexport interface Logger {\n  trace(...args: unknown[]): void;\n  debug(...args: unknown[]): void;\n  info(...args: unknown[]): void;\n  warn(...args: unknown[]): void;\n  error(...args: unknown[]): void;\n  /** A logger whose every line also carries `fields`. */\n  child(fields: Fields): Logger;\n}\n\n",
        "",
    );
    let level_type = if typescript && !esm {
        // A CommonJS module has no `export` keyword: the interface stays local.
        level_type.replace("export interface", "interface")
    } else {
        level_type.to_owned()
    };
    let record = ts(": Record<Level, number>", "");
    let write_sig = ts("(level: Level, fields: Fields, args: unknown[]): void", "(level, fields, args)");
    let entry_type = ts(": Record<string, unknown>", "");
    let value_type = ts("(value: unknown): unknown", "(value)");
    let cast = ts(" as Level", "");
    let make_sig = ts("(fields: Fields): Logger", "(fields)");
    let args = ts("...args: unknown[]", "...args");
    let more = ts("more: Fields", "more");
    // Node's `process` read through globalThis, typed here: the module then compiles
    // without @types/node and runs in a browser too.
    let proc = ts(
        "(globalThis as unknown as {\n  process?: {\n    env?: Record<string, string | undefined>;\n    stdout?: { write(line: string): unknown };\n    stderr?: { write(line: string): unknown };\n  };\n}).process",
        "globalThis.process",
    );
    let body = format!(
        r#"/**
 * The project's structured logger: one JSON object per line (stdout; stderr for warn and
 * error), with a timestamp, the level, the message and any further arguments. Set
 * LOG_LEVEL to trace, debug, info (default), warn or error. `logger.child({{ module }})`
 * gives a logger whose lines also carry those fields. Created by `dash fix`, which routes
 * console.* calls here; swap in pino or winston when you need more.
 */
{level_type}const order{record} = {{ trace: 10, debug: 20, info: 30, warn: 40, error: 50 }};
const proc = {proc};
const threshold = order[String(proc?.env?.['LOG_LEVEL'] ?? 'info').toLowerCase(){cast}] ?? order.info;

function serialize{value_type} {{
  return value instanceof Error ? {{ name: value.name, message: value.message, stack: value.stack }} : value;
}}

function write{write_sig} {{
  if (order[level] < threshold) return;
  const [first, ...rest] = args;
  const entry{entry_type} = {{ time: new Date().toISOString(), level, ...fields }};
  if (typeof first === 'string') entry['msg'] = first;
  else if (first !== undefined) rest.unshift(first);
  if (rest.length > 0) entry['args'] = rest.map(serialize);
  let line;
  try {{
    line = JSON.stringify(entry);
  }} catch {{
    line = JSON.stringify({{ ...entry, args: rest.map(String) }});
  }}
  if (proc?.stdout) {{
    (order[level] >= order.warn ? (proc.stderr ?? proc.stdout) : proc.stdout).write(line + '\n');
  }} else {{
    globalThis.console.log(line); // in a browser, the console is the only sink
  }}
}}

function make{make_sig} {{
  return {{
"#
    );
    let methods = ["trace", "debug", "info", "warn", "error"]
        .iter()
        .map(|l| format!("    {l}: ({args}) => write('{l}', fields, args),\n"))
        .collect::<String>();
    let make = format!(
        "{body}{methods}    child: ({more}) => make({{ ...fields, ...more }}),\n  }};\n}}\n\n"
    );
    if esm {
        let annotation = ts(": Logger", "");
        format!("{make}export const logger{annotation} = make({{}});\n")
    } else {
        format!("{make}const logger = make({{}});\n\nmodule.exports = {{ logger }};\n")
    }
}

/// How a file at `file` imports the logger, before any resolution: the first of
/// [`specifier_candidates`] (a package name or alias as it is).
pub fn specifier_for(
    target: &LoggerTarget,
    file: &Path,
    relative_imports: &[String],
    requires_extension: bool,
) -> String {
    match &target.module {
        LoggerModule::Specifier(s) => s.clone(),
        LoggerModule::File(path) => {
            specifier_candidates(path, file, relative_imports, requires_extension)
                .swap_remove(0)
        }
    }
}

/// The relative specifiers a file at `file` could import `module` with, the file's own
/// convention first: the extension its other relative imports use (none, `.js`, or
/// `.ts`), or, in a file without any, the project's (`requires_extension`). The resolver
/// decides which of them the file's runtime actually loads.
pub(crate) fn specifier_candidates(
    module: &Path,
    file: &Path,
    relative_imports: &[String],
    requires_extension: bool,
) -> Vec<String> {
    let from = file.parent().unwrap_or(Path::new("."));
    let relative = relative_path(from, module);
    let stem = relative
        .trim_end_matches(|c| c != '.')
        .trim_end_matches('.');
    let stem = if stem.is_empty() || stem.ends_with('/') || stem.ends_with('.') {
        relative.as_str()
    } else {
        stem
    };
    let module_ext = module.extension().and_then(|e| e.to_str()).unwrap_or("");
    let uses = |ext: &str| relative_imports.iter().any(|i| i.ends_with(ext));
    let js_convention = uses(".js")
        || uses(".mjs")
        || uses(".cjs")
        || (relative_imports.is_empty() && requires_extension);
    let mapped = match module_ext {
        "ts" | "tsx" | "js" | "jsx" => ".js".to_owned(),
        "mts" | "mjs" => ".mjs".to_owned(),
        "cts" | "cjs" => ".cjs".to_owned(),
        other => format!(".{other}"),
    };
    let own = format!("{stem}.{module_ext}");
    let mapped = format!("{stem}{mapped}");
    let bare = stem.to_owned();
    let mut out = if uses(".ts") || uses(".tsx") {
        vec![own, mapped, bare]
    } else if js_convention {
        vec![mapped, own, bare]
    } else {
        vec![bare, mapped, own]
    };
    let mut seen = std::collections::HashSet::new();
    out.retain(|s| seen.insert(s.clone()));
    out
}

/// `./x` or `../../x` from folder `from` to file `to` (both absolute).
fn relative_path(from: &Path, to: &Path) -> String {
    let from: Vec<_> = from.components().collect();
    let to_parts: Vec<_> = to.components().collect();
    let common = from
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let ups = from.len() - common;
    let mut out = if ups == 0 {
        "./".to_owned()
    } else {
        "../".repeat(ups)
    };
    let rest: Vec<String> = to_parts[common..]
        .iter()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    out.push_str(&rest.join("/"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(path: &str) -> LoggerTarget {
        LoggerTarget {
            module: LoggerModule::File(PathBuf::from(path)),
            export: "logger".into(),
            style: LoggerStyle::Console,
            create: None,
            origin: "test",
        }
    }

    #[test]
    fn specifiers_follow_the_files_convention() {
        let t = target("/p/src/utils/logger.ts");
        assert_eq!(
            specifier_for(&t, Path::new("/p/src/server.ts"), &[], false),
            "./utils/logger"
        );
        assert_eq!(
            specifier_for(&t, Path::new("/p/src/routes/a.ts"), &["./b".into()], true),
            "../utils/logger"
        );
        assert_eq!(
            specifier_for(
                &t,
                Path::new("/p/src/routes/a.ts"),
                &["../db/pool.js".into()],
                false
            ),
            "../utils/logger.js"
        );
        assert_eq!(
            specifier_for(
                &t,
                Path::new("/p/tests/a.test.ts"),
                &["../src/x.ts".into()],
                false
            ),
            "../src/utils/logger.ts"
        );
        assert_eq!(
            specifier_for(&t, Path::new("/p/src/utils/format.ts"), &[], false),
            "./logger"
        );
        // No relative import to follow: the project's NodeNext convention decides.
        assert_eq!(
            specifier_for(&t, Path::new("/p/src/utils/format.ts"), &[], true),
            "./logger.js"
        );
        let alias = LoggerTarget {
            module: LoggerModule::Specifier("@/lib/logger".into()),
            ..t
        };
        assert_eq!(
            specifier_for(&alias, Path::new("/p/src/a.ts"), &["./b.js".into()], true),
            "@/lib/logger"
        );
    }

    #[test]
    fn export_and_style_detection() {
        assert_eq!(
            export_of("import pino from 'pino';\nexport const logger = pino();"),
            "logger"
        );
        assert_eq!(export_of("const l = {};\nexport default l;"), "default");
        assert_eq!(
            export_of("const logger = {};\nmodule.exports = { logger };"),
            "logger"
        );
        assert_eq!(
            export_of("const a = 1, logger = {};\nexport { a, logger };"),
            "logger"
        );
        assert_eq!(export_of("module.exports = createLogger();"), "default");
        assert_eq!(style_of("import pino from 'pino'"), LoggerStyle::Pino);
        assert_eq!(
            style_of("const w = require('winston')"),
            LoggerStyle::Winston
        );
        assert_eq!(
            style_of("export const logger = console"),
            LoggerStyle::Console
        );
        // A mention in a comment is not an import.
        let generated = "// swap in pino or winston when you need more\nexport const logger = {};";
        assert_eq!(style_of(generated), LoggerStyle::Console);
    }
}

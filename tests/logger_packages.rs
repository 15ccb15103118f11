//! The logger per package and every written specifier resolved as the runtime will
//! (issue 8, defects 5 and 6), end to end: `dash fix --write` on temporary git
//! repositories, then node (and tsc) on the result.

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::cargo_bin_cmd;

mod support;
use support::{git, write};

fn dash(cwd: &Path) -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("dash");
    cmd.current_dir(cwd).env("NO_COLOR", "1");
    cmd
}

fn repo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    (dir, root)
}

fn commit(root: &Path) {
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "init"]);
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `dash fix --write --rules console` in `root`, which must exit 0: its stdout.
fn fix_write(root: &Path) -> String {
    let out = dash(root)
        .args(["fix", "--write", "--rules", "console"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    stdout
}

/// `node <file>` in `cwd`: exit code, stdout, stderr.
fn node(cwd: &Path, file: &str) -> (Option<i32>, String, String) {
    let out = Command::new("node")
        .arg(file)
        .current_dir(cwd)
        .output()
        .expect("node runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The `msg` and `args` of each JSON line dash's structured logger wrote.
fn logged(output: &str) -> Vec<(String, serde_json::Value)> {
    output
        .lines()
        .map(|line| {
            let entry: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
            (
                entry["msg"].as_str().unwrap_or_default().to_owned(),
                entry["args"].clone(),
            )
        })
        .collect()
}

#[test]
fn each_workspace_package_imports_its_own_logger_and_none_crosses_a_package() {
    let (_dir, root) = repo();
    write(
        &root.join("package.json"),
        r#"{ "name": "mono", "private": true, "workspaces": ["packages/*"] }"#,
    );
    write(&root.join(".gitignore"), "node_modules\n");
    // A: a pino logger in an unusual place.
    write(&root.join("packages/a/package.json"), r#"{ "name": "a" }"#);
    write(
        &root.join("packages/a/src/infra/log.js"),
        "const pino = require('pino');\n\nconst logger = pino();\n\nmodule.exports = { logger };\n",
    );
    write(
        &root.join("packages/a/src/server.js"),
        "const http = require('http');\n\nconsole.log('a up', { status: http.STATUS_CODES[200] });\n",
    );
    // B: a winston logger as the module's default export.
    write(&root.join("packages/b/package.json"), r#"{ "name": "b" }"#);
    write(
        &root.join("packages/b/lib/logger.js"),
        "const winston = require('winston');\n\nmodule.exports = winston.createLogger();\n",
    );
    write(
        &root.join("packages/b/lib/jobs/run.js"),
        "console.warn('b job');\n",
    );
    // C depends on the workspace package @x/log, whose entry exports a logger.
    write(
        &root.join("packages/log/package.json"),
        r#"{ "name": "@x/log", "main": "index.js" }"#,
    );
    write(
        &root.join("packages/log/index.js"),
        "exports.logger = {\n  info: (...args) => process.stdout.write(`info ${args.join(' ')}\\n`),\n};\n",
    );
    write(
        &root.join("packages/c/package.json"),
        r#"{ "name": "c", "dependencies": { "@x/log": "*" } }"#,
    );
    write(
        &root.join("packages/c/src/index.js"),
        "console.log('c up');\n",
    );
    // The logger package's own console output is its job.
    write(&root.join("packages/log/print.js"), "console.log('raw');\n");
    commit(&root);
    // What npm install does for a workspace dependency.
    std::fs::create_dir_all(root.join("node_modules/@x")).unwrap();
    std::os::unix::fs::symlink(root.join("packages/log"), root.join("node_modules/@x/log"))
        .unwrap();
    let before_c = node(&root, "packages/c/src/index.js");

    let stdout = fix_write(&root);

    let a = read(&root.join("packages/a/src/server.js"));
    assert!(
        a.starts_with(
            "const http = require('http');\nconst { logger } = require('./infra/log');\n"
        ),
        "{a}\n{stdout}"
    );
    assert!(a.contains("logger.info"), "{a}");
    let b = read(&root.join("packages/b/lib/jobs/run.js"));
    assert!(b.contains("require('../logger')"), "{b}");
    assert!(b.contains("logger.warn('b job')"), "{b}");
    let c = read(&root.join("packages/c/src/index.js"));
    assert!(c.contains("require('@x/log')"), "{c}");
    for text in [&a, &b, &c] {
        assert!(
            !text.contains("../../"),
            "a relative import leaves its package: {text}"
        );
    }
    // No logger module was created anywhere: each package had one, and the summary
    // says the packages import different ones.
    assert!(!stdout.contains("created"), "{stdout}");
    assert!(
        stdout.contains("; 2 other packages import their own"),
        "{stdout}"
    );
    assert!(!root.join("src").exists());
    assert!(!root.join("packages/c/src/utils").exists());
    assert!(
        stdout.contains(
            "packages/log/print.js:1:1 console.log: this package (@x/log) is a logger itself"
        ),
        "{stdout}"
    );
    assert_eq!(
        read(&root.join("packages/log/print.js")),
        "console.log('raw');\n"
    );
    // C still runs, and logs through the workspace logger.
    let after_c = node(&root, "packages/c/src/index.js");
    assert_eq!(before_c, (Some(0), "c up\n".to_owned(), String::new()));
    assert_eq!(after_c, (Some(0), "info c up\n".to_owned(), String::new()));
}

#[test]
fn a_commonjs_javascript_package_under_a_typescript_root_gets_a_javascript_logger_node_loads() {
    let (_dir, root) = repo();
    write(
        &root.join("package.json"),
        r#"{ "name": "app", "private": true }"#,
    );
    write(
        &root.join("tsconfig.json"),
        r#"{ "compilerOptions": { "strict": true } }"#,
    );
    write(
        &root.join("web/src/main.ts"),
        "export const x: number = 1;\n",
    );
    write(&root.join("server/package.json"), r#"{ "name": "server" }"#);
    // Semicolon-free CommonJS that uses the logger in its first statement after the
    // requires.
    write(
        &root.join("server/src/index.js"),
        "'use strict'\nconst path = require('path')\n\nfunction main() {\n  console.log('listening on', path.basename('/srv/app'))\n  console.error('no cache')\n}\n\nmain()\n",
    );
    commit(&root);
    let before = node(&root, "server/src/index.js");
    assert_eq!(
        before,
        (
            Some(0),
            "listening on app\n".to_owned(),
            "no cache\n".to_owned()
        )
    );

    let stdout = fix_write(&root);

    let logger = root.join("server/src/utils/logger.js");
    assert!(logger.is_file(), "{stdout}");
    assert!(!root.join("server/src/utils/logger.ts").exists());
    assert!(read(&logger).contains("module.exports = { logger };"));
    let index = read(&root.join("server/src/index.js"));
    assert!(
        index.contains("const { logger } = require('./utils/logger')"),
        "{index}"
    );

    let (code, out, err) = node(&root, "server/src/index.js");
    assert_eq!(code, before.0, "{err}");
    assert_eq!(
        logged(&out),
        vec![("listening on".to_owned(), serde_json::json!(["app"]))]
    );
    assert_eq!(
        logged(&err),
        vec![("no cache".to_owned(), serde_json::Value::Null)]
    );
}

#[test]
fn type_module_javascript_gets_an_esm_logger_imported_with_its_extension() {
    let (_dir, root) = repo();
    write(
        &root.join("package.json"),
        r#"{ "name": "esm", "type": "module" }"#,
    );
    write(
        &root.join("src/index.js"),
        "import { sep } from 'node:path';\nimport { answer } from './answer.js';\n\nconsole.info('answer', answer, sep);\n",
    );
    write(&root.join("src/answer.js"), "export const answer = 42;\n");
    write(&root.join("src/bare.js"), "console.log('bare');\n");
    commit(&root);
    fix_write(&root);
    let logger = read(&root.join("src/utils/logger.js"));
    assert!(logger.contains("export const logger"), "{logger}");
    assert!(read(&root.join("src/index.js")).contains("from './utils/logger.js'"));
    // A file without relative imports of its own still names the extension node needs.
    assert!(read(&root.join("src/bare.js")).contains("from './utils/logger.js'"));
    let (code, out, err) = node(&root, "src/index.js");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        logged(&out),
        vec![("answer".to_owned(), serde_json::json!([42, "/"]))]
    );
    let (code, out, err) = node(&root, "src/bare.js");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        logged(&out),
        vec![("bare".to_owned(), serde_json::Value::Null)]
    );
}

/// The pinned tsc (tests/runners/tsc) linked into `root` as its node_modules, and a
/// function that runs it on `root`'s tsconfig.json.
fn typechecker(root: &Path) -> impl Fn() -> std::process::Output + '_ {
    let tsc = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/runners/tsc/node_modules");
    assert!(
        tsc.join(".bin/tsc").is_file(),
        "the pinned TypeScript is not installed: run `npm ci --prefix tests/runners/tsc --no-audit --no-fund`"
    );
    std::os::unix::fs::symlink(&tsc, root.join("node_modules")).unwrap();
    move || {
        Command::new("node")
            .args(["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"])
            .current_dir(root)
            .output()
            .unwrap()
    }
}

#[test]
fn a_nodenext_typescript_package_gets_js_specifiers_that_tsc_accepts() {
    let (_dir, root) = repo();
    write(
        &root.join("package.json"),
        r#"{ "name": "api", "type": "module" }"#,
    );
    write(
        &root.join("tsconfig.json"),
        r#"{ "compilerOptions": { "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true, "noEmit": true, "types": [] }, "include": ["src"] }"#,
    );
    write(
        &root.join("src/utils/logger.ts"),
        "export const logger = {\n  info: (...args: unknown[]): void => {\n    void args;\n  },\n};\n",
    );
    write(
        &root.join("src/routes/users.ts"),
        "export function list(): string[] {\n  console.info('listing');\n  return [];\n}\n",
    );
    write(
        &root.join("src/server.ts"),
        "import { list } from './routes/users.js';\n\nconsole.info('users', list().length);\n",
    );
    write(&root.join(".gitignore"), "node_modules\n");
    commit(&root);
    let typecheck = typechecker(&root);
    assert!(typecheck().status.success());
    fix_write(&root);
    let users = read(&root.join("src/routes/users.ts"));
    assert!(users.contains("from '../utils/logger.js'"), "{users}");
    let server = read(&root.join("src/server.ts"));
    assert!(server.contains("from './utils/logger.js'"), "{server}");
    let after = typecheck();
    assert!(
        after.status.success(),
        "{}",
        String::from_utf8_lossy(&after.stdout)
    );
}

/// The logger dash creates compiles under the strictest options real projects set
/// (zustand's `isolatedDeclarations`, fastify-monorepo's
/// `noPropertyAccessFromIndexSignature`, no `@types/node`), and NodeNext that a shared
/// config sets through `extends` (changesets' `@tsconfig/node22`) gives `.js` specifiers.
#[test]
fn the_created_typescript_logger_compiles_under_strict_options_and_extended_nodenext() {
    let (_dir, root) = repo();
    write(
        &root.join("package.json"),
        r#"{ "name": "lib", "type": "module" }"#,
    );
    write(
        &root.join("tsconfig.base.json"),
        r#"{ "compilerOptions": { "module": "NodeNext" } }"#,
    );
    write(
        &root.join("tsconfig.json"),
        r#"{
  // options real projects set
  "extends": "./tsconfig.base",
  "compilerOptions": { "strict": true, "isolatedDeclarations": true, "declaration": true,
    "noPropertyAccessFromIndexSignature": true, "exactOptionalPropertyTypes": true,
    "noUncheckedIndexedAccess": true, "emitDeclarationOnly": true, "outDir": "out", "types": [] },
  "include": ["src"]
}"#,
    );
    write(
        &root.join("src/index.ts"),
        "import { twice } from './math.js';

export function run(x: number): number {
  console.log('running', x);
  return twice(x);
}
",
    );
    write(
        &root.join("src/math.ts"),
        "export function twice(x: number): number {
  return 2 * x;
}
",
    );
    write(&root.join(".gitignore"), "node_modules\nout\n");
    commit(&root);
    let typecheck = typechecker(&root);
    assert!(typecheck().status.success());
    let stdout = fix_write(&root);
    let index = read(&root.join("src/index.ts"));
    assert!(index.contains("from './utils/logger.js'"), "{index}");
    assert!(root.join("src/utils/logger.ts").is_file(), "{stdout}");
    let after = typecheck();
    assert!(
        after.status.success(),
        "{}",
        String::from_utf8_lossy(&after.stdout)
    );
}

#[test]
fn a_configured_logger_that_does_not_resolve_is_left_for_judgement() {
    let (_dir, root) = repo();
    write(&root.join("package.json"), r#"{ "name": "p" }"#);
    write(
        &root.join("dash.toml"),
        "[logger]\nmodule = \"@acme/log\"\n",
    );
    write(&root.join("src/a.js"), "console.log('a');\n");
    commit(&root);
    let out = dash(&root)
        .args(["fix", "--write", "--rules", "console"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("src/a.js:1:1 console.log: the logger import `@acme/log` does not resolve from this file"),
        "{stdout}"
    );
    assert_eq!(read(&root.join("src/a.js")), "console.log('a');\n");
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
}

/// `[logger] source = "module"` (defect 23): each file logs through its own child of the
/// logger, so every line names the module it came from; node runs the result.
#[test]
fn each_file_logs_through_a_child_that_names_its_module() {
    let (_dir, root) = repo();
    write(&root.join("package.json"), r#"{ "name": "shop" }"#);
    write(&root.join("dash.toml"), "[logger]\nsource = \"module\"\n");
    write(
        &root.join("src/routes/orders.js"),
        "function show(id) {\n  console.log('order shown', id);\n  return id;\n}\n\nmodule.exports = { show };\n",
    );
    write(
        &root.join("src/index.js"),
        "const { show } = require('./routes/orders');\n\nconsole.info('starting');\nshow(7);\n",
    );
    commit(&root);
    let (code, before, err) = node(&root, "src/index.js");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(before, "starting\norder shown 7\n");
    fix_write(&root);
    let orders = read(&root.join("src/routes/orders.js"));
    assert!(
        orders.contains("const logger = rootLogger.child({ module: 'routes/orders' });"),
        "{orders}"
    );
    let (code, after, err) = node(&root, "src/index.js");
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<serde_json::Value> = after
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    assert_eq!(lines.len(), 2, "{after}");
    assert_eq!(lines[0]["msg"], "starting");
    assert_eq!(lines[0]["module"], "index");
    assert_eq!(lines[1]["msg"], "order shown");
    assert_eq!(lines[1]["module"], "routes/orders");
    assert_eq!(lines[1]["args"], serde_json::json!([7]));
    // A second run finds the child and changes nothing.
    let again = dash(&root)
        .args(["fix", "--check", "--rules", "console"])
        .output()
        .unwrap();
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
}

/// The created TypeScript logger's `child` keeps it compiling under the strictest options
/// (`isolatedDeclarations` needs the exported `Logger` type).
#[test]
fn child_loggers_compile_under_strict_typescript() {
    let (_dir, root) = repo();
    write(
        &root.join("package.json"),
        r#"{ "name": "lib", "type": "module" }"#,
    );
    write(&root.join("dash.toml"), "[logger]\nsource = \"module\"\n");
    write(
        &root.join("tsconfig.json"),
        r#"{ "compilerOptions": { "module": "NodeNext", "strict": true, "isolatedDeclarations": true,
    "declaration": true, "noPropertyAccessFromIndexSignature": true, "exactOptionalPropertyTypes": true,
    "noUncheckedIndexedAccess": true, "emitDeclarationOnly": true, "outDir": "out", "types": [] },
  "include": ["src"] }"#,
    );
    write(
        &root.join("src/jobs/sync.ts"),
        "export function sync(count: number): number {\n  console.warn('syncing', count);\n  return count;\n}\n",
    );
    write(&root.join(".gitignore"), "node_modules\nout\n");
    commit(&root);
    let typecheck = typechecker(&root);
    assert!(typecheck().status.success());
    fix_write(&root);
    let sync = read(&root.join("src/jobs/sync.ts"));
    assert!(
        sync.contains("const logger = rootLogger.child({ module: 'jobs/sync' });"),
        "{sync}"
    );
    let after = typecheck();
    assert!(
        after.status.success(),
        "{}",
        String::from_utf8_lossy(&after.stdout)
    );
}

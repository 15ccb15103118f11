//! `dash fix` writes code in the project's style: quotes and semicolons declared by its
//! formatter configuration, nearest first.

use std::path::Path;

mod support;
use support::{git, isolated_dash, write};

fn read(root: &Path, rel: &str) -> String {
    std::fs::read_to_string(root.join(rel)).unwrap()
}

#[test]
fn imports_in_files_without_imports_follow_the_nearest_declared_style() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("package.json"),
        "{ \"name\": \"p\", \"type\": \"module\" }\n",
    );
    // Prettier's defaults (double quotes) except for semicolons.
    write(&root.join(".prettierrc.json"), "{ \"semi\": false }\n");
    // The file's own literals are single-quoted: the declared style still decides.
    write(
        &root.join("src/a.ts"),
        "export function a() {\n  console.log('a', 'b')\n}\n",
    );
    // A folder whose .editorconfig declares single quotes; semicolons still from prettier.
    write(
        &root.join("src/legacy/.editorconfig"),
        "[*.{js,ts}]\nquote_type = single\n",
    );
    write(
        &root.join("src/legacy/b.ts"),
        "export function b() {\n  console.log(\"b\")\n}\n",
    );
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "init"]);

    isolated_dash(root)
        .args(["fix", "--write"])
        .assert()
        .success();
    assert_eq!(
        read(root, "src/a.ts"),
        "import { logger } from \"./utils/logger\"\n\nexport function a() {\n  logger.info('a', 'b')\n}\n"
    );
    assert_eq!(
        read(root, "src/legacy/b.ts"),
        "import { logger } from '../utils/logger'\n\nexport function b() {\n  logger.info(\"b\")\n}\n"
    );
}

/// Removals in tests leave code that runs as before: the shapes fixture's input and output
/// under node, with console silenced in both, print the same and exit the same.
#[test]
fn removals_keep_behaviour_under_node() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/console");
    let mut runs = Vec::new();
    for name in [
        "remove-leaves-nothing-empty.input.js",
        "remove-leaves-nothing-empty.output.js",
    ] {
        let code = std::fs::read_to_string(fixtures.join(name)).unwrap();
        // `node:test` and console replaced: what is left is the code's own effects.
        let code = code.replace(
            "const { test } = require('node:test');",
            "const test = (_, f) => f();\nfor (const m of ['log', 'warn', 'info', 'error']) console[m] = () => {};\nconst trace = [];\nprocess.on('exit', () => process.stdout.write(trace.join(',')));",
        )
        .replace("function run() {}", "function run() { trace.push('run'); }")
        .replace("function load() { return true; }", "function load() { trace.push('load'); return true; }");
        let path = dir.path().join(name);
        std::fs::write(&path, code).unwrap();
        let out = std::process::Command::new("node")
            .arg(&path)
            .output()
            .unwrap();
        runs.push((
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            out.stderr.is_empty(),
        ));
    }
    assert_eq!(runs[0], runs[1]);
    assert_eq!(runs[0].0, Some(0));
    assert!(
        runs[0].1.contains("load") && runs[0].1.contains("run"),
        "{:?}",
        runs[0]
    );
}

/// The pinned prettier's node_modules (`npm ci --prefix tests/runners/prettier`).
fn prettier_modules() -> std::path::PathBuf {
    let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/runners/prettier/node_modules");
    assert!(
        modules.join(".bin/prettier").is_file(),
        "the pinned prettier is not installed: run `npm ci --prefix tests/runners/prettier --no-audit --no-fund`"
    );
    modules
}

/// A committed project with prettier configured (no spaces inside braces, which dash's
/// own import text has) and installed: `clean.ts` is as prettier writes it, `messy.ts` is
/// not.
fn prettier_project(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("package.json"),
        "{ \"name\": \"p\", \"type\": \"module\" }\n",
    );
    write(
        &root.join(".prettierrc.json"),
        "{ \"singleQuote\": true, \"bracketSpacing\": false }\n",
    );
    write(&root.join(".gitignore"), "node_modules\n");
    std::os::unix::fs::symlink(prettier_modules(), root.join("node_modules")).unwrap();
    write(
        &root.join("src/clean.ts"),
        "export function clean() {\n  console.log('clean');\n}\n",
    );
    write(
        &root.join("src/messy.ts"),
        "export function messy() {\n  console.log('messy');\n}\nconst  spaced = {a:1}\n",
    );
    for (path, text) in extra {
        write(&root.join(path), text);
    }
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "init"]);
    dir
}

#[test]
fn prettier_formats_changed_files_it_already_formatted_and_only_those() {
    let dir = prettier_project(&[]);
    let root = dir.path();
    let out = isolated_dash(root)
        .args(["fix", "--write"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(
        read(root, "src/clean.ts"),
        "import {logger} from './utils/logger';\n\nexport function clean() {\n  logger.info('clean');\n}\n"
    );
    // Not prettier-clean before: written as the fix made it, nothing else reformatted.
    assert_eq!(
        read(root, "src/messy.ts"),
        "import { logger } from './utils/logger';\n\nexport function messy() {\n  logger.info('messy');\n}\nconst  spaced = {a:1}\n"
    );
    assert!(
        out.contains("1 changed file formatted with prettier"),
        "{out}"
    );
    assert!(
        out.contains("src/messy.ts (prettier would also change lines dash did not touch)"),
        "{out}"
    );
}

#[test]
fn the_preview_shows_the_formatted_text_and_no_format_skips_it() {
    let dir = prettier_project(&[]);
    let root = dir.path();
    let preview = isolated_dash(root)
        .args(["fix"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let preview = String::from_utf8(preview).unwrap();
    assert!(
        preview.contains("+import {logger} from './utils/logger';"),
        "{preview}"
    );
    isolated_dash(root)
        .args(["fix", "--write", "--no-format"])
        .assert()
        .success();
    assert!(read(root, "src/clean.ts").starts_with("import { logger } from './utils/logger';\n"));
}

#[test]
fn a_configured_formatter_that_fails_refuses_the_file_with_its_error() {
    let dir = prettier_project(&[(
        "dash.toml",
        "[format]\ncommand = \"echo 'formatter exploded' >&2; exit 3\"\n",
    )]);
    let root = dir.path();
    let assert = isolated_dash(root)
        .args(["fix", "--write"])
        .assert()
        .code(3);
    let out = assert.get_output();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("formatter exploded"), "{all}");
    assert_eq!(
        read(root, "src/clean.ts"),
        "export function clean() {\n  console.log('clean');\n}\n",
        "a refused file is not written"
    );
}

#[test]
fn a_configured_command_runs_the_project_binary_with_the_path() {
    let dir = prettier_project(&[(
        "dash.toml",
        "[format]\ncommand = \"prettier --stdin-filepath {path}\"\n",
    )]);
    let root = dir.path();
    isolated_dash(root)
        .args(["fix", "--write"])
        .assert()
        .success();
    assert!(read(root, "src/clean.ts").starts_with("import {logger} from './utils/logger';\n"));
}

/// A stand-in prettier 3 (an ES module; its CommonJS entry throws) in `folder`: it logs
/// each load and exit to `folder/loads.log`, leaves texts without `logger` as they are and
/// marks the others.
fn stand_in_prettier(folder: &Path) {
    write(&folder.join(".prettierrc"), "{}\n");
    write(
        &folder.join("node_modules/.bin/prettier"),
        "#!/bin/sh\nexit 9\n",
    );
    write(
        &folder.join("node_modules/prettier/package.json"),
        r#"{ "name": "prettier", "version": "3.9.9", "exports": { ".": { "require": "./index.cjs", "default": "./index.mjs" } } }"#,
    );
    write(
        &folder.join("node_modules/prettier/index.cjs"),
        "throw new Error('prettier 3 is loaded as an ES module');\n",
    );
    write(
        &folder.join("node_modules/prettier/index.mjs"),
        "import fs from 'node:fs';\n\
         const log = new URL('../../loads.log', import.meta.url);\n\
         fs.appendFileSync(log, 'load\\n');\n\
         process.on('exit', () => fs.appendFileSync(log, 'exit\\n'));\n\
         export async function getFileInfo() { return { ignored: false, inferredParser: 'typescript' }; }\n\
         export async function resolveConfig() { return null; }\n\
         export async function format(text) { return text.includes('logger') ? text + '// formatted\\n' : text; }\n",
    );
}

#[test]
fn prettier_is_loaded_once_per_project_and_stopped_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("package.json"),
        "{ \"name\": \"mono\", \"private\": true, \"workspaces\": [\"packages/*\"] }\n",
    );
    write(&root.join(".gitignore"), "node_modules\nloads.log\n");
    for package in ["a", "b"] {
        let folder = root.join("packages").join(package);
        write(
            &folder.join("package.json"),
            format!("{{ \"name\": \"{package}\", \"type\": \"module\" }}\n"),
        );
        stand_in_prettier(&folder);
        for i in 0..3 {
            write(
                &folder.join(format!("src/f{i}.ts")),
                format!("export function f{i}() {{\n  console.log('{package}{i}');\n}}\n"),
            );
        }
    }
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "init"]);

    let out = isolated_dash(root)
        .args(["fix", "--write"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("6 changed files formatted with prettier"),
        "{out}"
    );
    for package in ["a", "b"] {
        let folder = root.join("packages").join(package);
        assert_eq!(read(&folder, "loads.log"), "load\nexit\n", "{package}");
        for i in 0..3 {
            assert!(
                read(&folder, &format!("src/f{i}.ts")).ends_with("}\n// formatted\n"),
                "{package} {i}"
            );
        }
    }
}

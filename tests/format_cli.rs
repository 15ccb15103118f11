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

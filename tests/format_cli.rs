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

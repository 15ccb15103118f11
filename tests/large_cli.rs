//! A file above the token path's threshold (`engine::large::LARGE_FILE`) is fixed by
//! `dash fix` exactly as the tree path fixes it: the same patch with the token path on
//! and off (`DASH_TREE_ONLY=1`), and the token path does answer for that file.

mod support;

use std::path::Path;

use dash::config::Config;
use dash::engine::Prepared;
use dash::engine::fix::FixOptions;
use dash::engine::large;
use dash::rules::console::{Console, ConsoleFixer};
use dash::rules::{FileCx, Rule};
use dash::syntax::Lang;
use dash::workspace::Category;
use support::{git, isolated_dash, write};

/// About 1.2 MB of service code with console calls of several shapes.
fn big_file() -> String {
    let mut text = String::from("import { readFile } from 'node:fs/promises';\n\n");
    let mut i = 0;
    while text.len() < large::LARGE_FILE + 200_000 {
        text.push_str(&format!(
            "/** Loads item {i}. */\nexport async function load{i}(id: string): Promise<string> {{\n  const started = Date.now();\n  if (!id) {{\n    console.warn(`no id for ${{started}}`);\n    return '';\n  }}\n  const body = await readFile(id, 'utf8');\n  console.log('loaded', body.length);\n  console.error(\"failed\", err{i});\n  return body; // console.log('a comment')\n}}\n\n"
        ));
        i += 1;
    }
    text
}

fn repo(dir: &Path, text: &str) {
    git(dir, &["init", "-q"]);
    write(
        &dir.join("package.json"),
        "{ \"name\": \"big\", \"version\": \"1.0.0\", \"type\": \"module\" }\n",
    );
    write(
        &dir.join("dash.toml"),
        "[limits]\nmax-file-size = 100000000\n[logger]\nmodule = \"./src/logger.ts\"\n",
    );
    write(
        &dir.join("src/logger.ts"),
        "export const logger = console;\n",
    );
    write(&dir.join("src/service.ts"), text);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", "input"]);
}

#[test]
fn a_big_file_is_fixed_as_the_tree_path_fixes_it() {
    let text = big_file();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    repo(&root, &text);

    // The token path answers for this file.
    let config = Config::default();
    let console = Prepared {
        meta: Console.meta(),
        rule: Box::new(ConsoleFixer::new(&config, &root)),
    };
    let path = root.join("src/service.ts");
    let file = FileCx {
        path: &path,
        lang: Lang::TypeScript,
        category: Category::Production,
        text: &text,
        newline: "\n",
    };
    assert!(
        large::fix(&file, &[&console], &FixOptions::default()).is_some(),
        "the token path declined"
    );

    let diff = |tree_only: bool| {
        let mut cmd = isolated_dash(&root);
        cmd.args(["fix", "--diff"]);
        if tree_only {
            cmd.env("DASH_TREE_ONLY", "1");
        } else {
            cmd.env_remove("DASH_TREE_ONLY");
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (tokens_code, tokens) = diff(false);
    let (tree_code, tree) = diff(true);
    assert!(
        tokens.contains("+    logger.warn(`no id"),
        "{}",
        &tokens[..tokens.len().min(2000)]
    );
    assert_eq!(tokens_code, tree_code);
    assert!(tokens == tree, "the patches differ");
}

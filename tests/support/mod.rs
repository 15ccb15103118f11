//! Helpers shared by the integration tests that build git repositories.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::Path;
use std::process::Command;

pub mod testrun;

/// Runs git in `dir` with a fixed identity, `main` as the default branch and no
/// line-ending conversion (the tests are about bytes); panics on failure. Returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "core.autocrlf=false",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Writes a file, creating its folders.
pub fn write(path: &Path, text: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().expect("a file has a folder")).unwrap();
    std::fs::write(path, text).unwrap();
}

/// `dash` in `dir`, isolated from the user's environment: `HOME` and the config folder
/// inside `dir`, no provider key inherited, no colour. Tests of the llm layer and the
/// agent set the one key they mean to use.
pub fn isolated_dash(dir: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("dash");
    cmd.current_dir(dir)
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join(".config"))
        .env("NO_COLOR", "1");
    for var in [
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "OLLAMA_API_KEY",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// The production files of the fix and undo tests' project: an ESM TypeScript package
/// whose console calls sit in an LF file, a CRLF file, a file with a byte-order mark and
/// an executable module (modes and line endings must survive a fix and its undo; it has no
/// shebang, which would make it a CLI's script, whose console calls are kept).
pub fn write_production_files(root: &Path) {
    write(
        &root.join("package.json"),
        "{ \"name\": \"p\", \"type\": \"module\" }\n",
    );
    write(&root.join("tsconfig.json"), "{}\n");
    write(
        &root.join("src/server.ts"),
        "import { start } from './start.js';\n\nconsole.log('starting');\nstart();\n",
    );
    write(
        &root.join("src/start.ts"),
        "export function start() {\r\n  console.info('started');\r\n}\r\n",
    );
    write(
        &root.join("src/bom.ts"),
        "\u{feff}export const x = 1;\nconsole.warn('bom');\n",
    );
    write(&root.join("src/cli.js"), "console.error('cli');\n");
    std::fs::set_permissions(
        root.join("src/cli.js"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
}

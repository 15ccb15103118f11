//! `dash scan` end to end, on git repositories built by each test.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;

mod support;
use support::{git, write};

/// A repository with production code, tests, scripts and examples, a gitignored folder,
/// a linked worktree on another branch and a nested repository.
struct Fixture {
    _dir: tempfile::TempDir,
    tmp: PathBuf,
    main: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let tmp = std::fs::canonicalize(dir.path()).unwrap();
    let main = tmp.join("app");
    write(
        &main.join("src/server.ts"),
        "import { start } from './start';\n\
         // console.log('in a comment')\n\
         const banner = \"console.log('in a string')\";\n\
         console.log('starting', banner);\n\
         console?.warn(`template ${console.error('nested')}`);\n\
         console['info']('computed');\n\
         export function run(console: { log(x: string): void }) {\n  console.log('shadowed');\n}\n",
    );
    write(
        &main.join("src/view.tsx"),
        "export const V = () => <p onClick={() => console.debug('click')}>Don't console.log</p>;\n",
    );
    write(
        &main.join("src/crlf.js"),
        "console.log(1);\r\nconsole.log(2);\r\n",
    );
    write(
        &main.join("src/server.test.ts"),
        "test('x', () => {\n  console.log('debugging');\n});\n",
    );
    write(
        &main.join("scripts/release.mjs"),
        "console.log('releasing');\n",
    );
    write(&main.join("examples/demo.js"), "console.log('demo');\n");
    write(
        &main.join("generated/out.js"),
        "console.log('ignored by .gitignore');\n",
    );
    write(
        &main.join("dist/bundle.js"),
        "console.log('excluded by default');\n",
    );
    write(
        &main.join("src/types.d.ts"),
        "declare const x: number; // console.log\n",
    );
    write(&main.join(".gitignore"), "generated/\n");
    git(&main, &["init", "-q"]);
    git(&main, &["add", "."]);
    git(&main, &["commit", "-qm", "init"]);
    git(
        &main,
        &["worktree", "add", "-q", "-b", "feature", "../app-feature"],
    );
    write(
        &tmp.join("app-feature/src/feature.ts"),
        "console.warn('feature work');\n",
    );
    let nested = main.join("vendor/lib");
    write(&nested.join("index.js"), "console.error('nested repo');\n");
    git(&nested, &["init", "-q"]);
    Fixture {
        _dir: dir,
        tmp,
        main,
    }
}

fn dash(cwd: &Path) -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("dash");
    cmd.current_dir(cwd).env("NO_COLOR", "1");
    cmd
}

fn redact(text: &str, fixture: &Fixture) -> String {
    text.replace(&fixture.tmp.display().to_string(), "[TMP]")
}

#[test]
fn text_report_covers_worktrees_categories_and_methods() {
    let f = fixture();
    let out = dash(&f.main)
        .args(["scan"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    insta::assert_snapshot!(redact(&String::from_utf8(out).unwrap(), &f));
}

#[test]
fn list_prints_only_the_list() {
    let f = fixture();
    let out = dash(&f.main)
        .args(["scan", "--list"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = redact(&String::from_utf8(out).unwrap(), &f);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines.contains(&"src/server.ts:4:1 log production"),
        "{text}"
    );
    assert!(
        lines.contains(&"src/server.test.ts:2:3 log tests"),
        "{text}"
    );
    assert!(
        lines.iter().all(|l| {
            let fields: Vec<&str> = l.split(' ').collect();
            fields.len() == 3 && fields[0].split(':').count() == 3
        }),
        "only `path:line:col group category` lines: {text}"
    );
    // Thresholds, when asked for, still follow.
    dash(&f.main)
        .args(["scan", "--list", "--max-console", "0"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "\n\nmax-console: 10 of at most 0 in . (exceeded)\n",
        ));
}

#[test]
fn json_report_is_versioned_and_deterministic() {
    let f = fixture();
    let first = dash(&f.main)
        .args(["scan", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let second = dash(&f.main)
        .args(["scan", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(first, second, "two runs print the same bytes");
    let text = redact(&String::from_utf8(first).unwrap(), &f);
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["schema"], "dash.scan");
    assert_eq!(doc["version"], 2);
    assert_eq!(doc["findings"][0]["rule"], "console");
    assert!(doc["findings"][0]["group"].is_string());
    // Commit ids change with the clock; everything else is fixed.
    insta::with_settings!({ filters => vec![(r"[0-9a-f]{40}", "[COMMIT]")] }, {
        insta::assert_snapshot!(text);
    });
}

#[test]
fn the_tree_and_the_token_finder_agree() {
    let f = fixture();
    let fast = dash(&f.main)
        .args(["scan", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let exact = dash(&f.main)
        .args(["scan", "--format", "json", "--exact"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8(fast).unwrap(),
        String::from_utf8(exact).unwrap()
    );
}

#[test]
fn github_and_sarif_formats() {
    let f = fixture();
    dash(&f.main)
        .args(["scan", "--format", "github"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "::warning file=src/server.ts,line=4,col=1,endLine=4,endColumn=12,title=dash console::console.log in production code",
        ))
        .stdout(predicate::str::contains("::notice file=src/server.test.ts,line=2"));
    let out = dash(&f.main)
        .args(["scan", "--format", "sarif"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let sarif: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(
        |r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/crlf.js"
            && r["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    ));
}

#[test]
fn thresholds_from_flags_and_config() {
    let f = fixture();
    dash(&f.main)
        .args(["scan", "--max-production", "100"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            // Only the worktree named counts: not the linked worktree, not the nested repo.
            "max-production: 7 of at most 100 in . (ok)",
        ));
    dash(&f.main)
        .args(["scan", "--max-console", "3"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("(exceeded)"));
    write(&f.main.join("dash.toml"), "[verify]\nmax-production = 0\n");
    dash(&f.main)
        .arg("scan")
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "max-production: 7 of at most 0 in . (exceeded)",
        ));
}

#[test]
fn without_git_the_path_is_the_one_worktree() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a.ts"), "console.log(1);\n");
    dash(dir.path())
        .args(["scan", "--list"])
        .assert()
        .success()
        .stdout("a.ts:1:1 log production\n");
    dash(dir.path())
        .arg("scan")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "1 console call in 1 worktree (1 source file)\n",
        ));
}

#[test]
fn bad_input_is_reported_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(&root.join("good.ts"), "console.log('still found');\n");
    write(&root.join("x.ts"), b"console.log\0\x01\x02binary");
    write(&root.join("latin1.ts"), b"console.log('caf\xe9');\n");
    write(
        &root.join("big.ts"),
        format!("console.log(1);\n{}", "// padding\n".repeat(200)),
    );
    write(
        &root.join("broken.ts"),
        "console.log('before the error'\nfunction ( {\n",
    );
    write(&root.join("dash.toml"), "[limits]\nmax-file-size = 1000\n");
    std::os::unix::fs::symlink(".", root.join("loop")).unwrap();
    std::os::unix::fs::symlink("missing.ts", root.join("dangling.ts")).unwrap();
    let unreadable = root.join("secret.ts");
    write(&unreadable, "console.log('secret');\n");
    std::fs::set_permissions(
        &unreadable,
        std::os::unix::fs::PermissionsExt::from_mode(0o000),
    )
    .unwrap();
    // Root reads anything; then the file is simply found.
    let running_as_root = std::fs::read(&unreadable).is_ok();

    let assert = dash(root).args(["scan", "--list", "--follow"]).assert();
    let out = assert.get_output();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("good.ts:1:1 log production"), "{stdout}");
    assert!(stdout.contains("broken.ts:1:1 log production"), "{stdout}");
    assert!(stderr.contains("x.ts: skipped: binary content"), "{stderr}");
    assert!(
        stderr.contains("latin1.ts: skipped: not valid UTF-8"),
        "{stderr}"
    );
    assert!(
        stderr.contains("big.ts: skipped:") && stderr.contains("over the size limit of 1000 bytes"),
        "{stderr}"
    );
    assert!(
        stderr.contains("loop") && stderr.contains("loop"),
        "{stderr}"
    );
    assert!(stderr.contains("dangling.ts"), "{stderr}");
    if running_as_root {
        assert!(stdout.contains("secret.ts:1:1 log production"), "{stdout}");
    } else {
        assert!(
            stderr.contains("secret.ts") && stderr.contains("ermission denied"),
            "{stderr}"
        );
    }
    // Walk errors (the loop, the dangling link) mean some paths were not processed.
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn bad_config_is_a_diagnostic_pointing_into_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a.ts"), "console.log(1);\n");
    write(&dir.path().join("dash.toml"), "[verify]\nmax-consoel = 3\n");
    dash(dir.path())
        .arg("scan")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("dash::config::invalid"))
        .stderr(predicate::str::contains("max-consoel"))
        .stderr(predicate::str::contains("dash.toml"));
    write(
        &dir.path().join("dash.toml"),
        "[paths]\ntests = [\"qa/[z-a]\"]\n",
    );
    dash(dir.path())
        .arg("scan")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("dash::config::glob"));
}

#[test]
fn missing_path_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    dash(dir.path())
        .args(["scan", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nope: no such file"));
}

#[test]
fn stats_count_the_prefilter() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a.ts"), "console.log(1);\n");
    write(&dir.path().join("b.ts"), "export const b = 1;\n");
    write(
        &dir.path().join("c.tsx"),
        "export const C = () => <b>hi</b>;\n",
    );
    dash(dir.path())
        .args(["scan", "--stats"])
        .assert()
        .success()
        .stdout(predicate::str::contains("files walked      3"))
        .stdout(predicate::str::contains("prefiltered out   2"));
}

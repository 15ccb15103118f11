//! Every command's help: flags grouped (command, walk, project, global), examples and
//! exit codes, and no flag the command ignores; `-q` on the commands that print lists.

use assert_cmd::cargo::cargo_bin_cmd;

fn help(args: &[&str]) -> String {
    let out = cargo_bin_cmd!("dash")
        .args(args)
        .arg("--help")
        .env("NO_COLOR", "1")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

/// Whether the help lists a flag (as `-x, --long` or `    --long`).
fn lists(text: &str, flag: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with(&format!("{flag} "))
            || l.starts_with(&format!("{flag},"))
            || l.contains(&format!(", {flag} "))
            || l.ends_with(&format!(", {flag}"))
    })
}

#[test]
fn every_command_has_examples_exit_codes_and_global_options() {
    for command in [
        &[][..],
        &["scan"],
        &["fix"],
        &["verify"],
        &["rules"],
        &["llm"],
        &["models"],
    ] {
        let text = help(command);
        assert!(text.contains("\nExamples:\n"), "{command:?}: {text}");
        assert!(text.contains("Exit codes"), "{command:?}: {text}");
        assert!(text.contains("\nGlobal options:\n"), "{command:?}: {text}");
        assert!(
            lists(&text, "--color") && lists(&text, "--quiet"),
            "{command:?}: {text}"
        );
    }
}

#[test]
fn no_command_lists_a_flag_it_ignores() {
    // (command, flags it has, flags it must not list)
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "scan",
            &["--config", "--threads", "--verbose", "--hidden"],
            &[],
        ),
        (
            "fix",
            &["--config", "--threads", "--hidden"],
            &["--verbose"],
        ),
        (
            "verify",
            &["--config", "--threads", "--no-tests", "--worktrees"],
            &["--verbose"],
        ),
        (
            "rules",
            &[],
            &["--config", "--threads", "--verbose", "--hidden"],
        ),
        ("models", &[], &["--config", "--threads", "--verbose"]),
        (
            "llm",
            &["--verbose"],
            &["--config", "--threads", "--hidden"],
        ),
    ];
    for (command, has, lacks) in cases {
        let text = help(&[command]);
        for flag in *has {
            assert!(lists(&text, flag), "{command} should list {flag}: {text}");
        }
        for flag in *lacks {
            assert!(
                !lists(&text, flag),
                "{command} lists {flag}, which it ignores: {text}"
            );
        }
    }
    let scan = help(&["scan"]);
    let heading = |h: &str| {
        scan.find(&format!("\n{h}:\n"))
            .unwrap_or_else(|| panic!("{h}: {scan}"))
    };
    assert!(heading("Options") < heading("Walk options"));
    assert!(heading("Walk options") < heading("Project options"));
    assert!(heading("Project options") < heading("Global options"));
    assert!(
        scan.contains("Counts the worktrees of the paths given"),
        "{scan}"
    );
}

#[test]
fn flags_work_where_they_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.ts"), "console.log(1);\n").unwrap();
    cargo_bin_cmd!("dash")
        .current_dir(dir.path())
        .args(["scan", "-j", "2", "-v", "--list"])
        .assert()
        .success()
        .stdout("a.ts:1:1 log production\n");
    cargo_bin_cmd!("dash")
        .current_dir(dir.path())
        .args(["-q", "scan", "-v"])
        .assert()
        .code(2);
    cargo_bin_cmd!("dash")
        .current_dir(dir.path())
        .args(["rules", "-j", "2"])
        .assert()
        .code(2);
}

#[test]
fn quiet_lists_names_only() {
    let out = cargo_bin_cmd!("dash")
        .args(["rules", "-q"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.lines().any(|l| l == "console"), "{text}");
    assert!(
        text.lines().all(|l| !l.is_empty() && !l.contains(' ')),
        "{text}"
    );
    let out = cargo_bin_cmd!("dash")
        .args(["models", "-q", "--provider", "anthropic"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(!text.is_empty());
    assert!(
        text.lines()
            .all(|l| l.starts_with("anthropic/") && !l.contains(' ')),
        "{text}"
    );
}

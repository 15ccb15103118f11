//! `dash undo` end to end: `dash fix --write` on temporary git repositories, then undo.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;

mod support;
use support::{git, write};

/// A committed project whose fix touches a BOM file, a CRLF file and an executable
/// script, and creates the logger module (and its folder).
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    support::write_production_files(root);
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "init"]);
    dir
}

fn dash(cwd: &Path) -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("dash");
    cmd.current_dir(cwd).env("NO_COLOR", "1");
    cmd
}

/// A path relative to the project, with its bytes and permission bits (None: a folder).
type Snapshot = Vec<(String, Option<(Vec<u8>, u32)>)>;

/// Every file outside `.git` with its bytes and permission bits, and every folder.
fn snapshot(root: &Path) -> Snapshot {
    fn walk(root: &Path, dir: &Path, out: &mut Snapshot) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                out.push((rel, None));
                walk(root, &path, out);
            } else {
                let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
                out.push((rel, Some((std::fs::read(&path).unwrap(), mode))));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

fn journal_entries(root: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(root.join(".git/dash/journal/entries"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    entries.sort();
    entries
}

#[test]
fn undo_restores_bytes_and_modes_and_removes_the_created_logger() {
    let dir = project();
    let root = dir.path();
    let before = snapshot(root);
    dash(root)
        .args(["fix", "--write"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "`dash undo` restores what was written",
        ));
    assert_ne!(snapshot(root), before);
    assert!(root.join("src/utils/logger.ts").is_file());
    dash(root)
        .arg("undo")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("undid "))
        .stdout(predicate::str::contains("restored  src/bom.ts"))
        .stdout(predicate::str::contains("restored  src/start.ts"))
        .stdout(predicate::str::contains("removed   src/utils/logger.ts"))
        .stdout(predicate::str::contains(
            "4 files restored, 1 removed, 0 refused",
        ));
    // Byte for byte (BOM, CRLF), mode for mode (0755), and no logger folder left.
    assert_eq!(snapshot(root), before);
    assert_eq!(git(root, &["status", "--porcelain"]), "");
}

#[test]
fn a_file_edited_since_is_refused_and_named_and_the_rest_restored() {
    let dir = project();
    let root = dir.path();
    let before = snapshot(root);
    dash(root).args(["fix", "--write"]).assert().success();
    let edited = std::fs::read_to_string(root.join("src/server.ts")).unwrap() + "// mine\n";
    write(&root.join("src/server.ts"), &edited);
    dash(root)
        .arg("undo")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("partly undid"))
        .stdout(predicate::str::contains(
            "refused   src/server.ts: changed since dash wrote it",
        ))
        .stdout(predicate::str::contains("restored  src/start.ts"))
        .stdout(predicate::str::contains(
            "3 files restored, 1 removed, 1 refused",
        ));
    assert_eq!(
        std::fs::read_to_string(root.join("src/server.ts")).unwrap(),
        edited
    );
    // Everything else is as before the write.
    let others = |s: Snapshot| {
        s.into_iter()
            .filter(|(p, _)| p != "src/server.ts")
            .collect::<Vec<_>>()
    };
    assert_eq!(others(snapshot(root)), others(before.clone()));
    assert_eq!(git(root, &["status", "--porcelain"]), " M src/server.ts\n");
    // The entry stays open: once the file is restored by hand, undo completes it.
    git(root, &["checkout", "--", "src/server.ts"]);
    dash(root)
        .args(["undo", "--list"])
        .assert()
        .stdout(predicate::str::contains("partly-undone"));
    dash(root)
        .arg("undo")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("unchanged src/server.ts"));
    assert_eq!(snapshot(root), before);
}

#[test]
fn undo_twice_walks_back_two_writes_and_then_has_nothing_to_do() {
    let dir = project();
    let root = dir.path();
    let original = snapshot(root);
    dash(root)
        .args(["fix", "--write", "src/server.ts"])
        .assert()
        .success();
    let after_first = snapshot(root);
    dash(root)
        .args(["fix", "--write", "src/start.ts"])
        .assert()
        .success();
    assert_ne!(snapshot(root), after_first);
    let entries = journal_entries(root);
    assert_eq!(entries.len(), 2);
    let first_id = entries[0].file_stem().unwrap().to_str().unwrap().to_owned();
    // The older write cannot be undone before the newer one.
    dash(root)
        .args(["undo", &first_id])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not the newest write"))
        .stderr(predicate::str::contains("newest first"));
    dash(root).arg("undo").assert().code(0);
    assert_eq!(snapshot(root), after_first);
    dash(root).args(["undo", &first_id]).assert().code(0);
    assert_eq!(snapshot(root), original);
    dash(root)
        .arg("undo")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nothing to undo"));
    // Undone entries are kept, marked.
    assert_eq!(journal_entries(root).len(), 2);
}

#[test]
fn list_shows_recorded_writes_newest_first() {
    let dir = project();
    let root = dir.path();
    dash(root)
        .arg("undo")
        .arg("--list")
        .assert()
        .success()
        .stdout("no recorded writes\n");
    dash(root)
        .args(["fix", "--write", "src/server.ts"])
        .assert()
        .success();
    dash(root)
        .args(["fix", "--write", "src/start.ts"])
        .assert()
        .success();
    dash(root).arg("undo").assert().success();
    let text = dash(root)
        .args(["undo", "--list"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(text).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[0].contains("  undone ") && lines[0].ends_with("dash fix --write src/start.ts"));
    assert_eq!(lines[1], "  modified src/start.ts");
    assert!(lines[2].contains("  done ") && lines[2].ends_with("dash fix --write src/server.ts"));
    assert_eq!(lines[3], "  modified src/server.ts");
    assert_eq!(lines[4], "  created  src/utils/logger.ts");

    let json = dash(root)
        .args(["undo", "--list", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(doc["schema"], "dash.undo.list");
    let entries = doc["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert!(entries[0]["id"].as_str().unwrap() > entries[1]["id"].as_str().unwrap());
    assert_eq!(entries[0]["state"], "undone");
    assert_eq!(entries[1]["state"], "done");
    assert_eq!(entries[1]["command"], "dash fix --write src/server.ts");
    assert_eq!(entries[1]["files"][1]["path"], "src/utils/logger.ts");
    assert_eq!(entries[1]["files"][1]["action"], "create");
    assert!(entries[1]["time"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn undo_json_reports_each_file() {
    let dir = project();
    let root = dir.path();
    let out = dash(root)
        .args(["fix", "--write", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let fixed: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let id = fixed["journal"]["ids"][0].as_str().unwrap().to_owned();
    let out = dash(root)
        .args(["undo", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["schema"], "dash.undo");
    assert_eq!(doc["id"], id.as_str());
    assert_eq!(doc["state"], "undone");
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 5);
    assert!(
        files
            .iter()
            .any(|f| f["path"] == "src/utils/logger.ts" && f["outcome"] == "removed")
    );
    assert!(
        files
            .iter()
            .any(|f| f["path"] == "src/cli.js" && f["outcome"] == "restored")
    );
}

#[test]
fn a_write_that_crashed_midway_is_still_undone() {
    let dir = project();
    let root = dir.path();
    let before = snapshot(root);
    dash(root).args(["fix", "--write"]).assert().success();
    // Make it look like the process died after writing all but src/start.ts: the entry
    // as recorded before writing (pending), and start.ts as it was.
    let [entry] = &journal_entries(root)[..] else {
        panic!("one entry")
    };
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(entry).unwrap()).unwrap();
    doc["state"] = "pending".into();
    for file in doc["files"].as_array_mut().unwrap() {
        file["status"] = "pending".into();
    }
    std::fs::write(entry, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    git(root, &["checkout", "--", "src/start.ts"]);
    dash(root)
        .args(["undo", "--list"])
        .assert()
        .stdout(predicate::str::contains(" pending "));
    dash(root)
        .arg("undo")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "unchanged src/start.ts: already as before the write",
        ))
        .stdout(predicate::str::contains("restored  src/server.ts"))
        .stdout(predicate::str::contains("removed   src/utils/logger.ts"));
    assert_eq!(snapshot(root), before);
}

#[test]
fn outside_git_the_write_says_it_is_not_recorded_and_undo_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(&root.join("package.json"), "{ \"name\": \"p\" }\n");
    write(&root.join("src/a.ts"), "console.log(1);\n");
    dash(root)
        .args(["fix", "--write"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "note: not in a git repository, so not recorded for `dash undo`: ",
        ))
        .stdout(predicate::str::contains("src/a.ts"));
    assert!(!root.join(".dash").exists());
    dash(root)
        .arg("undo")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not in a git repository"));
}

#[test]
fn undo_in_a_linked_worktree_uses_its_own_journal() {
    let dir = project();
    let root = dir.path();
    git(root, &["worktree", "add", "-q", "linked"]);
    let linked = root.join("linked");
    let before = snapshot(&linked);
    dash(&linked).args(["fix", "--write"]).assert().success();
    assert!(
        std::fs::read_dir(root.join(".git/worktrees/linked/dash/journal/entries"))
            .unwrap()
            .next()
            .is_some()
    );
    // The main worktree has nothing recorded.
    dash(root)
        .args(["undo", "--list"])
        .assert()
        .stdout("no recorded writes\n");
    dash(&linked).arg("undo").assert().success();
    assert_eq!(snapshot(&linked), before);
}

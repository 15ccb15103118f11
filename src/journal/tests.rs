//! The journal on real temporary git repositories (it asks git where the git dir is).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;
use crate::review::{Kind, Proposal, Session};

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .unwrap();
    assert!(status.status.success(), "git {args:?}: {status:?}");
}

/// A git repository (canonical path) with `files` written.
fn repo(files: &[(&str, &[u8])]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = fs::canonicalize(dir.path()).unwrap();
    git(&root, &["init", "-q"]);
    for (name, bytes) in files {
        let path = root.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }
    (dir, root)
}

fn modify(root: &Path, name: &str, new: &str) -> Proposal {
    let path = root.join(name);
    let original = fs::read(&path).unwrap();
    let file_text = crate::edit::FileText::from_bytes(&original).unwrap();
    Proposal {
        display: name.to_owned(),
        change: Kind::Modify {
            file_text,
            on_disk: None,
            new_text: new.to_owned(),
            edits: Vec::new(),
        },
        path,
    }
}

fn create(root: &Path, name: &str, text: &str) -> Proposal {
    Proposal {
        path: root.join(name),
        display: name.to_owned(),
        change: Kind::Create { text: text.into() },
    }
}

/// Writes the proposals through a session; returns the entry id.
fn write(proposals: Vec<Proposal>) -> String {
    let mut session = Session::new();
    for p in proposals {
        session.propose(p);
    }
    let written = session.write();
    assert!(written.failed.is_empty(), "{:?}", written.failed);
    assert!(written.journal.error.is_none());
    assert_eq!(written.journal.ids.len(), 1);
    written.journal.ids[0].clone()
}

fn journal(root: &Path) -> Journal {
    Journal::locate(root).unwrap()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_write_is_recorded_with_hashes_modes_blobs_and_created_folders() {
    let (_dir, root) = repo(&[("src/a.ts", b"\xEF\xBB\xBFa\r\n")]);
    let id = write(vec![
        modify(&root, "src/a.ts", "b\n"),
        create(&root, "src/utils/deep/logger.ts", "log\n"),
    ]);
    let journal = journal(&root);
    assert_eq!(journal.dir, root.join(".git/dash/journal"));
    let entries = journal.entries().unwrap();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry.id, id);
    assert_eq!(entry.state, State::Done);
    assert_eq!(entry.schema, SCHEMA);
    assert!(!entry.command.is_empty());
    let [a, logger] = &entry.files[..] else {
        panic!("{:?}", entry.files)
    };
    assert_eq!(a.path, "src/a.ts");
    assert_eq!(a.action, Action::Modify);
    assert_eq!(a.status, FileStatus::Written);
    let before = a.before.as_ref().unwrap();
    assert_eq!(before.hash, hash(b"\xEF\xBB\xBFa\r\n"));
    // The session writes the file's own BOM and line endings back.
    assert_eq!(a.after.hash, hash(b"\xEF\xBB\xBFb\r\n"));
    assert_eq!(journal.blob(&before.hash).unwrap(), b"\xEF\xBB\xBFa\r\n");
    assert_eq!(logger.action, Action::Create);
    assert_eq!(logger.before, None);
    assert_eq!(logger.created_dirs, ["src/utils", "src/utils/deep"]);
    #[cfg(unix)]
    {
        assert_eq!(before.mode.as_deref(), Some("100644"));
        assert_eq!(logger.after.mode.as_deref(), Some("100644"));
    }
}

#[test]
fn the_entry_is_pending_on_disk_before_any_file_is_written() {
    let (_dir, root) = repo(&[("a.ts", b"a\n")]);
    let after = b"b\n".to_vec();
    let planned = [Planned {
        path: &root.join("a.ts"),
        display: "a.ts",
        before: Some(b"a\n"),
        after: &after,
    }];
    let recording = Recording::begin(&planned, vec!["dash".into(), "x".into()], None).unwrap();
    let journal = journal(&root);
    let entries = journal.entries().unwrap();
    assert_eq!(entries[0].state, State::Pending);
    assert_eq!(entries[0].files[0].status, FileStatus::Pending);
    assert_eq!(entries[0].id, recording.ids()[0]);
    assert_eq!(fs::read(root.join("a.ts")).unwrap(), b"a\n");
    let recorded = recording.finish(&[false]);
    assert!(recorded.warnings.is_empty());
    let entry = &journal.entries().unwrap()[0];
    assert_eq!(entry.state, State::Done);
    assert_eq!(entry.files[0].status, FileStatus::Unwritten);
    assert_eq!(entry.command_line(), "dash x");
}

#[test]
fn undo_restores_bytes_and_modes_and_removes_created_files_and_folders() {
    let (_dir, root) = repo(&[("src/a.ts", b"\xEF\xBB\xBFa\r\n"), ("bin/cli.js", b"c\n")]);
    #[cfg(unix)]
    chmod(&root.join("bin/cli.js"), 0o755);
    let id = write(vec![
        modify(&root, "src/a.ts", "b\n"),
        modify(&root, "bin/cli.js", "d\n"),
        create(&root, "src/utils/logger.ts", "log\n"),
    ]);
    // Someone changes the mode (not the content) after the write: undo puts it back.
    #[cfg(unix)]
    chmod(&root.join("bin/cli.js"), 0o600);
    let undone = undo(&journal(&root), None).unwrap();
    assert!(undone.complete());
    assert_eq!(undone.entry.id, id);
    assert_eq!(undone.entry.state, State::Undone);
    let outcomes: Vec<(&str, &UndoOutcome)> = undone
        .files
        .iter()
        .map(|f| (f.path.as_str(), &f.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("bin/cli.js", &UndoOutcome::Restored),
            ("src/a.ts", &UndoOutcome::Restored),
            ("src/utils/logger.ts", &UndoOutcome::Removed),
        ]
    );
    assert_eq!(
        fs::read(root.join("src/a.ts")).unwrap(),
        b"\xEF\xBB\xBFa\r\n"
    );
    assert_eq!(fs::read(root.join("bin/cli.js")).unwrap(), b"c\n");
    #[cfg(unix)]
    assert_eq!(mode(&root.join("bin/cli.js")), 0o755);
    assert!(
        !root.join("src/utils").exists(),
        "the folder dash made is gone"
    );
    // Marked undone, not deleted; nothing is left to undo.
    let journal = journal(&root);
    assert_eq!(journal.entries().unwrap()[0].state, State::Undone);
    assert!(matches!(
        undo(&journal, None),
        Err(UndoError::Nothing { .. })
    ));
}

#[test]
fn undo_walks_back_one_write_at_a_time_and_refuses_out_of_order() {
    let (_dir, root) = repo(&[("a.ts", b"1\n")]);
    let first = write(vec![modify(&root, "a.ts", "2\n")]);
    let second = write(vec![modify(&root, "a.ts", "3\n")]);
    assert!(second > first);
    let journal = journal(&root);
    match undo(&journal, Some(&first)) {
        Err(UndoError::OutOfOrder { id, newer }) => {
            assert_eq!(id, first);
            assert_eq!(newer, second);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        undo(&journal, Some("20000101-000000-000000")),
        Err(UndoError::Unknown { .. })
    ));
    assert_eq!(fs::read(root.join("a.ts")).unwrap(), b"3\n");
    assert_eq!(undo(&journal, Some(&second)).unwrap().entry.id, second);
    assert_eq!(fs::read(root.join("a.ts")).unwrap(), b"2\n");
    assert!(matches!(
        undo(&journal, Some(&second)),
        Err(UndoError::AlreadyUndone { .. })
    ));
    assert_eq!(undo(&journal, None).unwrap().entry.id, first);
    assert_eq!(fs::read(root.join("a.ts")).unwrap(), b"1\n");
}

#[test]
fn a_file_changed_since_is_refused_and_the_rest_restored_until_it_is_dealt_with() {
    let (_dir, root) = repo(&[("a.ts", b"a\n"), ("b.ts", b"b\n")]);
    write(vec![
        modify(&root, "a.ts", "A\n"),
        modify(&root, "b.ts", "B\n"),
        create(&root, "logger.ts", "log\n"),
    ]);
    fs::write(root.join("a.ts"), "A, edited\n").unwrap();
    fs::write(root.join("logger.ts"), "log, edited\n").unwrap();
    let journal = journal(&root);
    let undone = undo(&journal, None).unwrap();
    assert!(!undone.complete());
    assert_eq!(undone.entry.state, State::PartlyUndone);
    assert!(matches!(undone.files[0].outcome, UndoOutcome::Refused(_)));
    assert_eq!(undone.files[1].outcome, UndoOutcome::Restored);
    assert!(matches!(undone.files[2].outcome, UndoOutcome::Refused(_)));
    assert_eq!(fs::read(root.join("a.ts")).unwrap(), b"A, edited\n");
    assert_eq!(fs::read(root.join("b.ts")).unwrap(), b"b\n");
    assert_eq!(fs::read(root.join("logger.ts")).unwrap(), b"log, edited\n");
    // The user puts back what dash wrote (or deletes its new file): undo finishes.
    fs::write(root.join("a.ts"), "A\n").unwrap();
    fs::remove_file(root.join("logger.ts")).unwrap();
    let undone = undo(&journal, None).unwrap();
    assert!(undone.complete());
    let outcomes: Vec<&UndoOutcome> = undone.files.iter().map(|f| &f.outcome).collect();
    assert_eq!(
        outcomes,
        [
            &UndoOutcome::Restored,
            &UndoOutcome::Unchanged,
            &UndoOutcome::Unchanged
        ]
    );
    assert_eq!(fs::read(root.join("a.ts")).unwrap(), b"a\n");
}

#[test]
fn a_write_that_died_halfway_is_undone_from_its_pending_entry() {
    let (_dir, root) = repo(&[("a.ts", b"a\n"), ("b.ts", b"b\n")]);
    let (a_after, b_after) = (b"A\n".to_vec(), b"B\n".to_vec());
    let (a, b) = (root.join("a.ts"), root.join("b.ts"));
    let planned = [
        Planned {
            path: &a,
            display: "a.ts",
            before: Some(b"a\n"),
            after: &a_after,
        },
        Planned {
            path: &b,
            display: "b.ts",
            before: Some(b"b\n"),
            after: &b_after,
        },
    ];
    let recording = Recording::begin(&planned, vec!["dash".into()], None).unwrap();
    crate::edit::write_if_unchanged(&a, b"a\n", &a_after).unwrap();
    // The process dies here: b.ts never written, the entry never finished.
    drop(recording);
    let journal = journal(&root);
    assert_eq!(journal.entries().unwrap()[0].state, State::Pending);
    let undone = undo(&journal, None).unwrap();
    assert!(undone.complete());
    assert_eq!(undone.files[0].outcome, UndoOutcome::Restored);
    assert_eq!(undone.files[1].outcome, UndoOutcome::Unchanged);
    assert_eq!(fs::read(&a).unwrap(), b"a\n");
    assert_eq!(fs::read(&b).unwrap(), b"b\n");
}

#[test]
fn a_damaged_copy_is_not_restored() {
    let (_dir, root) = repo(&[("a.ts", b"a\n")]);
    write(vec![modify(&root, "a.ts", "A\n")]);
    let journal = journal(&root);
    let blob = journal.blobs_dir().join(blob_name(&hash(b"a\n")));
    fs::write(&blob, "tampered\n").unwrap();
    let undone = undo(&journal, None).unwrap();
    assert!(matches!(undone.files[0].outcome, UndoOutcome::Failed(_)));
    assert_eq!(fs::read(root.join("a.ts")).unwrap(), b"A\n");
}

#[test]
fn outside_git_nothing_is_journaled_and_the_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let root = fs::canonicalize(dir.path()).unwrap();
    fs::write(root.join("a.ts"), "a\n").unwrap();
    let mut session = Session::new();
    session.propose(modify(&root, "a.ts", "b\n"));
    let written = session.write();
    assert_eq!(written.files, 1);
    assert!(written.journal.ids.is_empty());
    assert_eq!(written.journal.unjournaled, ["a.ts"]);
    assert!(Journal::locate(&root).is_none());
}

#[test]
fn ids_stay_ordered_when_the_clock_steps_back() {
    let (_dir, root) = repo(&[("a.ts", b"a\n")]);
    let journal = journal(&root);
    // An entry from the future (a clock set back since).
    let future = Entry {
        schema: SCHEMA.into(),
        version: 1,
        id: "29990101-000000-000000".into(),
        time: "2999-01-01T00:00:00Z".into(),
        command: vec!["dash".into()],
        state: State::Undone,
        files: Vec::new(),
        undone: None,
        turn: None,
    };
    journal.save(&future, true).unwrap();
    let id = write(vec![modify(&root, "a.ts", "b\n")]);
    assert_eq!(id, "29990101-000000-000001");
}

#[test]
fn a_damaged_entry_is_an_error_not_skipped() {
    let (_dir, root) = repo(&[("a.ts", b"a\n")]);
    write(vec![modify(&root, "a.ts", "b\n")]);
    let journal = journal(&root);
    fs::write(
        journal.entries_dir().join("29990101-000000-000000.json"),
        "{",
    )
    .unwrap();
    assert!(matches!(
        journal.entries(),
        Err(JournalError::Damaged { .. })
    ));
    assert!(matches!(
        undo(&journal, None),
        Err(UndoError::Journal(JournalError::Damaged { .. }))
    ));
}

#[test]
fn pruning_keeps_the_newest_entries_and_the_blobs_they_reference() {
    let (_dir, root) = repo(&[("a.ts", b"0\n")]);
    for i in 1..=5 {
        write(vec![modify(&root, "a.ts", &format!("{i}\n"))]);
    }
    let journal = journal(&root);
    let blobs = || {
        let mut names: Vec<String> = fs::read_dir(journal.blobs_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(blobs().len(), 5);
    // Young blobs survive a prune even when unreferenced (a concurrent write's).
    journal.prune(2).unwrap();
    assert_eq!(journal.entries().unwrap().len(), 2);
    assert_eq!(blobs().len(), 5);
    let old = std::time::SystemTime::now() - BLOB_GRACE * 2;
    for name in blobs() {
        let file = fs::File::options()
            .write(true)
            .open(journal.blobs_dir().join(name))
            .unwrap();
        file.set_modified(old).unwrap();
    }
    journal.prune(2).unwrap();
    let mut kept: Vec<String> = ["3\n", "4\n"]
        .iter()
        .map(|b| blob_name(&hash(b.as_bytes())).to_owned())
        .collect();
    kept.sort();
    assert_eq!(blobs(), kept);
    // What is kept is still undoable.
    undo(&journal, None).unwrap();
    undo(&journal, None).unwrap();
    assert_eq!(fs::read(root.join("a.ts")).unwrap(), b"3\n");
}

#[test]
fn the_journal_of_a_linked_worktree_is_its_own() {
    let (_dir, root) = repo(&[("a.ts", b"a\n")]);
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "init"]);
    let linked = root.join("linked");
    git(&root, &["worktree", "add", "-q", "linked"]);
    let id = write(vec![modify(&linked, "a.ts", "b\n")]);
    let journal = journal(&linked);
    assert_eq!(journal.top, linked);
    assert_eq!(journal.dir, root.join(".git/worktrees/linked/dash/journal"));
    assert_eq!(journal.entries().unwrap()[0].id, id);
    // The main worktree's journal knows nothing of it.
    assert!(self::journal(&root).entries().unwrap().is_empty());
    undo(&journal, None).unwrap();
    assert_eq!(fs::read(linked.join("a.ts")).unwrap(), b"a\n");
}

#[test]
fn command_lines_are_quoted_to_be_typed_back() {
    let entry = Entry {
        schema: SCHEMA.into(),
        version: 1,
        id: String::new(),
        time: String::new(),
        command: vec!["dash".into(), "fix".into(), "my dir".into(), "it's".into()],
        state: State::Done,
        files: Vec::new(),
        undone: None,
        turn: None,
    };
    assert_eq!(entry.command_line(), r"dash fix 'my dir' 'it'\''s'");
}

#[test]
fn when_the_journal_cannot_be_recorded_nothing_is_written() {
    let (_dir, root) = repo(&[("a.ts", b"a\n")]);
    // A file where the journal's folder should be.
    fs::write(root.join(".git/dash"), "in the way").unwrap();
    let mut session = Session::new();
    session.propose(modify(&root, "a.ts", "b\n"));
    session.propose(create(&root, "logger.ts", "log\n"));
    let written = session.write();
    assert_eq!(written.files, 0);
    assert!(matches!(
        written.journal.error,
        Some(JournalError::Unrecorded { .. })
    ));
    assert_eq!(fs::read(root.join("a.ts")).unwrap(), b"a\n");
    assert!(!root.join("logger.ts").exists());
}

#[test]
fn a_damaged_entry_does_not_stop_new_writes_from_being_recorded_after_it() {
    let (_dir, root) = repo(&[("a.ts", b"a\n")]);
    let journal = journal(&root);
    fs::create_dir_all(journal.entries_dir()).unwrap();
    fs::write(
        journal.entries_dir().join("29990101-000000-000000.json"),
        "{",
    )
    .unwrap();
    let id = write(vec![modify(&root, "a.ts", "b\n")]);
    assert_eq!(id, "29990101-000000-000001");
}

/// Writes the proposals as part of an agent turn; returns the entry id.
fn write_in_turn(turn: &str, proposals: Vec<Proposal>) -> String {
    let mut session = Session::new();
    session.in_turn(turn);
    for p in proposals {
        session.propose(p);
    }
    let written = session.write();
    assert!(written.failed.is_empty(), "{:?}", written.failed);
    written.journal.ids[0].clone()
}

#[test]
fn undo_turn_undoes_the_newest_turns_entries_together_and_nothing_before() {
    let (_dir, root) = repo(&[("a.ts", b"a0\n"), ("b.ts", b"b0\n")]);
    let journal = journal(&root);
    // A fix, then turn 1 (one edit), then turn 2 (two edits and a new file).
    write(vec![modify(&root, "a.ts", "a1\n")]);
    write_in_turn("run/1", vec![modify(&root, "b.ts", "b1\n")]);
    write_in_turn("run/2", vec![modify(&root, "a.ts", "a2\n")]);
    write_in_turn("run/2", vec![modify(&root, "b.ts", "b2\n")]);
    write_in_turn("run/2", vec![create(&root, "c/new.ts", "c\n")]);
    let entries = journal.entries().unwrap();
    assert_eq!(entries.last().unwrap().turn.as_deref(), Some("run/2"));

    let undone = undo_turn(&journal).unwrap();
    assert_eq!(undone.len(), 3);
    assert!(undone.iter().all(Undone::complete));
    assert_eq!(fs::read(root.join("a.ts")).unwrap(), b"a1\n");
    assert_eq!(fs::read(root.join("b.ts")).unwrap(), b"b1\n");
    assert!(!root.join("c").exists());

    let undone = undo_turn(&journal).unwrap();
    assert_eq!(undone.len(), 1);
    assert_eq!(fs::read(root.join("b.ts")).unwrap(), b"b0\n");
    // Then the newest is the fix's write, which is not a turn.
    assert!(matches!(
        undo_turn(&journal),
        Err(UndoError::NotATurn { .. })
    ));
    assert_eq!(fs::read(root.join("a.ts")).unwrap(), b"a1\n");
}

#[test]
fn undo_turn_stops_at_an_entry_it_cannot_undo_completely() {
    let (_dir, root) = repo(&[("a.ts", b"a0\n"), ("b.ts", b"b0\n")]);
    let journal = journal(&root);
    write_in_turn("run/1", vec![modify(&root, "a.ts", "a1\n")]);
    write_in_turn("run/1", vec![modify(&root, "b.ts", "b1\n")]);
    // Someone changed b.ts since: the newest entry is refused, the one before kept.
    fs::write(root.join("b.ts"), "mine\n").unwrap();
    let undone = undo_turn(&journal).unwrap();
    assert_eq!(undone.len(), 1);
    assert!(!undone[0].complete());
    assert_eq!(fs::read(root.join("a.ts")).unwrap(), b"a1\n");
    assert_eq!(fs::read(root.join("b.ts")).unwrap(), b"mine\n");
}

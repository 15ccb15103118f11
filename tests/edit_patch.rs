//! The edit pipeline end to end against real git: files read as bytes, edited through a
//! Changeset, validated, rendered as a patch; `git apply` must accept the patch and
//! leave exactly the bytes dash would have written, and the same bytes must come out of
//! dash's own atomic writer.

use std::fs;
use std::path::Path;

use dash::edit::{self, Changeset, Edit, FileText};
use dash::review::{self, FileChange};
use dash::syntax::Lang;

mod support;
use support::git;

/// The files of the repo before dash runs: every shape the patch must get right.
fn originals() -> Vec<(&'static str, Vec<u8>)> {
    let mut app = String::from("import { a } from './a';\n\nexport function run() {\n");
    for i in 0..12 {
        app.push_str(&format!("  const v{i} = a({i});\n"));
    }
    app.push_str("  console.log('done', v0);\n  return v11;\n}\n");
    vec![
        ("src/app.ts", app.into_bytes()),
        (
            "src/win.ts",
            b"import { b } from './b';\r\n\r\nconsole.warn(b);\r\nexport default b;\r\n".to_vec(),
        ),
        ("src/tail.js", b"const x = 1;\nconsole.log(x)".to_vec()),
        (
            "src/bom.ts",
            b"\xEF\xBB\xBF// licence\r\nconsole.error('bom');\r\n".to_vec(),
        ),
        (
            "src/mixed.js",
            b"a();\r\nb();\nconsole.log(1);\r\nc();\r\n".to_vec(),
        ),
        (
            "src/my file.ts",
            b"/* a lone \r in a comment */\nconsole.log('spaced');\n".to_vec(),
        ),
    ]
}

/// What a codemod pass would produce for each file, built with the real pipeline.
fn changes(repo: &Path) -> Vec<FileChange<'static>> {
    let mut changes = Vec::new();
    for (path, _) in originals() {
        let bytes = fs::read(repo.join(path)).unwrap();
        let file = FileText::from_bytes(&bytes).unwrap();
        let mut set = Changeset::new();
        for (at, _) in file.text.match_indices("console.") {
            let method_end = at + file.text[at..].find('(').unwrap();
            let method = &file.text[at + "console.".len()..method_end];
            let level = if method == "log" { "info" } else { method };
            set.push(Edit::replace(
                at..method_end,
                format!("logger.{level}"),
                "console",
            ));
        }
        // The import goes after the first line (after the licence comment, or the
        // existing import), with a bare `\n` whatever the file uses.
        let first_line_end = file.text.find('\n').unwrap() + 1;
        set.push(Edit::insert(
            first_line_end,
            "import { logger } from './utils/logger';\n",
            "import",
        ));
        let applied = set.apply(&file.text);
        assert!(applied.dropped.is_empty(), "{path}: {:?}", applied.dropped);
        let lang = Lang::from_path(Path::new(path)).unwrap();
        edit::check_parse(lang, &file.text, &applied.text).unwrap();
        changes.push(FileChange::modified(
            path,
            &file,
            &applied.text,
            &applied.applied,
        ));
    }
    // git writes a new empty file as a header without hunks.
    changes.push(FileChange::created("src/utils/empty.ts", ""));
    changes.push(FileChange::created(
        "src/utils/logger.ts",
        "export const logger = console;\n",
    ));
    changes
}

fn repo_with_originals() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    git(repo, &["init", "-q"]);
    for (path, bytes) in originals() {
        let path = repo.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "originals"]);
    dir
}

#[test]
fn git_apply_reproduces_the_new_contents_byte_for_byte() {
    let dir = repo_with_originals();
    let repo = dir.path();
    let changes = changes(repo);

    // Spot checks that the cases are what they claim to be.
    let by_path = |p: &str| changes.iter().find(|c| c.path == p).unwrap();
    assert_eq!(
        by_path("src/win.ts").new,
        "import { b } from './b';\r\nimport { logger } from './utils/logger';\r\n\r\n\
         logger.warn(b);\r\nexport default b;\r\n"
    );
    assert!(by_path("src/tail.js").new.ends_with("logger.info(x)"));
    assert!(
        by_path("src/bom.ts")
            .new
            .starts_with("\u{FEFF}// licence\r\nimport")
    );
    assert_eq!(
        by_path("src/mixed.js").new,
        "a();\r\nimport { logger } from './utils/logger';\r\nb();\nlogger.info(1);\r\nc();\r\n"
    );

    let patch = review::patch::render(&changes);
    let patch_path = dir.path().join("dash.patch");
    fs::write(&patch_path, &patch).unwrap();
    let patch_arg = patch_path.to_str().unwrap();
    git(repo, &["apply", "--check", patch_arg]);
    git(repo, &["apply", patch_arg]);
    for change in &changes {
        let on_disk = fs::read(repo.join(&change.path)).unwrap();
        assert_eq!(
            String::from_utf8(on_disk).unwrap(),
            change.new,
            "{}",
            change.path
        );
    }
    // And the patch reverses cleanly back to the committed originals.
    git(repo, &["apply", "-R", "--check", patch_arg]);
    git(repo, &["apply", "-R", patch_arg]);
    let status = git(repo, &["status", "--porcelain", "--untracked-files=all"]);
    assert_eq!(status, "?? dash.patch\n");
}

#[test]
fn the_writer_produces_the_same_bytes_as_the_patch() {
    let dir = repo_with_originals();
    let repo = dir.path();
    let changes = changes(repo);
    let originals = originals();
    for change in &changes {
        let path = repo.join(&change.path);
        match &change.old {
            Some(_) => {
                let (_, original) = originals.iter().find(|(p, _)| *p == change.path).unwrap();
                edit::write_if_unchanged(&path, original, change.new.as_bytes()).unwrap();
            }
            None => edit::create_new(&path, change.new.as_bytes()).unwrap(),
        }
    }
    // The working tree is now the patch's "after" side: the patch applies in reverse.
    let patch_path = dir.path().join("dash.patch");
    fs::write(&patch_path, review::patch::render(&changes)).unwrap();
    git(
        repo,
        &["apply", "-R", "--check", patch_path.to_str().unwrap()],
    );
    for change in &changes {
        assert_eq!(
            fs::read(repo.join(&change.path)).unwrap(),
            change.new.as_bytes()
        );
    }
}

#[test]
fn preview_snapshot() {
    let dir = repo_with_originals();
    let changes = changes(dir.path());
    let app = changes.iter().find(|c| c.path == "src/app.ts").unwrap();
    insta::assert_snapshot!(review::diff::render(app, false));
}

/// Whole lines removed where their neighbours are the same text (the shape of a test
/// file whose console calls are all removed), in every line-ending shape: the patch,
/// built from the edits, applies with git and gives the bytes dash writes.
#[test]
fn removed_lines_next_to_equal_ones_apply_with_git() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    git(repo, &["init", "-q"]);
    let shapes: [(&str, &[u8]); 4] = [
        (
            "lf.ts",
            b"a();\nconsole.log(1);\nconsole.log(1);\nb();\nconsole.log(1);\n",
        ),
        (
            "crlf.ts",
            b"a();\r\nconsole.log(1);\r\nconsole.log(1);\r\nb();\r\nconsole.log(1);\r\n",
        ),
        (
            "bom.ts",
            b"\xEF\xBB\xBFconsole.log(1);\nconsole.log(1);\nx();\nconsole.log(1);",
        ),
        ("tail.ts", b"x();\nconsole.log(1);\nconsole.log(1);"),
    ];
    for (path, bytes) in shapes {
        fs::write(repo.join(path), bytes).unwrap();
    }
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "originals"]);
    let mut changes = Vec::new();
    for (path, bytes) in shapes {
        let file = FileText::from_bytes(bytes).unwrap();
        let mut set = Changeset::new();
        // Every other console line, from its start through its line break (or the end).
        let mut at = 0;
        let mut index = 0;
        while let Some(found) = file.text[at..].find("console.log(1);") {
            let start = at + found;
            let end = file.text[start..]
                .find('\n')
                .map_or(file.text.len(), |n| start + n + 1);
            if index % 2 == 0 {
                set.push(Edit::delete(start..end, "console"));
            }
            index += 1;
            at = end;
        }
        let applied = set.apply(&file.text);
        changes.push(FileChange::modified(
            path,
            &file,
            &applied.text,
            &applied.applied,
        ));
    }
    let patch_path = dir.path().join("dash.patch");
    fs::write(&patch_path, review::patch::render(&changes)).unwrap();
    let patch_arg = patch_path.to_str().unwrap();
    git(repo, &["apply", "--check", patch_arg]);
    git(repo, &["apply", patch_arg]);
    for change in &changes {
        assert_eq!(
            fs::read(repo.join(&change.path)).unwrap(),
            change.new.as_bytes(),
            "{}",
            change.path
        );
    }
}

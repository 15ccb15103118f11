//! The hook's promise under random partial staging: `dash hook run --fix` puts the fixes
//! into the index, keeps every unstaged byte of the working tree, and changes nothing
//! else; when a fix overlaps an unstaged change, nothing is written at all; a run killed
//! with SIGKILL at any step is restored by the next run.
//!
//! Each seed builds a repository: production files with console calls and other lines
//! (every line unique, so line diffs are unambiguous), committed; random edits in the
//! working tree; a random subset of the resulting hunks staged (and sometimes a new
//! file); an untracked file. The expected index content comes from `dash fix --write`
//! on a plain folder holding the staged versions, an independent path (files on disk,
//! no git). The working tree is checked by its diffs: what separates the index from the
//! working file after the run must be exactly the unstaged changes from before, and what
//! the run changed in the working file must be exactly the fixes.
//!
//! `DASH_HOOK_SEEDS` sets the number of seeds (default 300).

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};

mod support;
use support::{git, write};

const LOGGER: &str = "export const logger = { info: (...a: unknown[]) => a };\n";

/// splitmix64: a seeded generator with no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// A fresh unique line: a console call or a declaration.
fn line(rng: &mut Rng, file: usize, tag: &str, n: usize) -> String {
    if rng.chance(25) {
        format!("console.log('f{file}{tag}{n}');\n")
    } else {
        format!("export const f{file}{tag}{n} = {n};\n")
    }
}

fn generate(rng: &mut Rng, file: usize) -> Vec<String> {
    let mut lines = vec!["import { x } from './x';\n".to_owned()];
    if rng.chance(40) {
        lines.push("import { logger } from './logger';\n".to_owned());
    }
    for i in 0..10 + rng.below(20) {
        lines.push(line(rng, file, "v", i));
    }
    lines
}

fn edit(rng: &mut Rng, file: usize, lines: &[String]) -> Vec<String> {
    let mut out = lines.to_vec();
    for k in 0..1 + rng.below(5) {
        let at = rng.below(out.len() + 1);
        match rng.below(3) {
            0 => out.insert(at, line(rng, file, "e", k)),
            1 if at < out.len() && out.len() > 2 => {
                out.remove(at);
            }
            _ if at < out.len() => out[at] = line(rng, file, "r", k),
            _ => out.push(line(rng, file, "e", k)),
        }
    }
    out
}

/// A change group: consecutive changed lines, as (old lines, new lines).
type Group = (Vec<String>, Vec<String>);

fn groups(old: &[String], new: &[String]) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    let mut open = false;
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, old, new) {
        let (tag, o, n) = op.as_tag_tuple();
        if tag == similar::DiffTag::Equal {
            open = false;
            continue;
        }
        if !open {
            out.push((Vec::new(), Vec::new()));
            open = true;
        }
        let last = out.last_mut().unwrap();
        last.0.extend(old[o].iter().cloned());
        last.1.extend(new[n].iter().cloned());
    }
    out
}

/// `old` with the chosen groups of its diff to `new` applied.
fn stage_subset(rng: &mut Rng, old: &[String], new: &[String], all: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut take = false;
    let mut in_group = false;
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, old, new) {
        let (tag, o, n) = op.as_tag_tuple();
        if tag == similar::DiffTag::Equal {
            in_group = false;
            out.extend(old[o].iter().cloned());
            continue;
        }
        if !in_group {
            take = all || rng.chance(50);
            in_group = true;
        }
        if take {
            out.extend(new[n].iter().cloned());
        } else {
            out.extend(old[o].iter().cloned());
        }
    }
    out
}

fn lines(text: &str) -> Vec<String> {
    text.split_inclusive('\n').map(str::to_owned).collect()
}

fn join(lines: &[String]) -> String {
    lines.concat()
}

fn stage(root: &Path, path: &str, text: &str) {
    let mut child = Command::new("git")
        .current_dir(root)
        .args(["hash-object", "-w", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let oid = String::from_utf8(out.stdout).unwrap();
    git(
        root,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("100644,{},{path}", oid.trim()),
        ],
    );
}

/// Every file of the working tree (outside .git) with its bytes.
fn working_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

struct State {
    index: String,
    tree: BTreeMap<String, Vec<u8>>,
    head: String,
}

fn state(root: &Path) -> State {
    State {
        index: git(root, &["ls-files", "-s"]),
        tree: working_tree(root),
        head: git(root, &["rev-parse", "HEAD"]),
    }
}

fn dash() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dash"));
    cmd.env("NO_COLOR", "1");
    cmd
}

/// Runs `--fix` paused after `step` and kills it there; false if it never got there
/// (nothing to write, or refused).
fn kill_at(root: &Path, step: &str) -> bool {
    let mut child = dash()
        .current_dir(root)
        .args(["hook", "run", "--fix"])
        .env("DASH_HOOK_PAUSE_AFTER", step)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    for line in stderr.lines() {
        if line.unwrap().contains("paused after") {
            child.kill().unwrap();
            child.wait().unwrap();
            return true;
        }
    }
    child.wait().unwrap();
    false
}

/// What `dash fix --write` makes of the staged versions, on disk without git.
fn expected_fixes(staged: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("package.json"),
        "{ \"name\": \"p\", \"type\": \"module\" }\n",
    );
    write(&root.join("src/logger.ts"), LOGGER);
    for (path, text) in staged {
        write(&root.join(path), text);
    }
    let out = dash()
        .current_dir(root)
        .args(["fix", "--write", "src"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    staged
        .keys()
        .map(|path| {
            (
                path.clone(),
                std::fs::read_to_string(root.join(path)).unwrap(),
            )
        })
        .collect()
}

#[derive(Default, Debug)]
struct Tally {
    fixed: usize,
    merged: usize,
    refused: usize,
    killed: usize,
    nothing: usize,
}

fn one_seed(seed: u64, tally: &mut Tally) {
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("package.json"),
        "{ \"name\": \"p\", \"type\": \"module\" }\n",
    );
    write(&root.join("src/logger.ts"), LOGGER);
    let tracked = 1 + rng.below(3);
    let mut heads = BTreeMap::new();
    for f in 0..tracked {
        let path = format!("src/m{f}.ts");
        let text = generate(&mut rng, f);
        write(&root.join(&path), join(&text));
        heads.insert(path, text);
    }
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "init"]);

    // Working edits, a staged subset of them, and sometimes a new file.
    let mut staged: BTreeMap<String, String> = BTreeMap::new();
    let mut working: BTreeMap<String, String> = BTreeMap::new();
    for (f, (path, head)) in heads.iter().enumerate() {
        let w = if rng.chance(85) {
            edit(&mut rng, f, head)
        } else {
            head.clone()
        };
        let s = match rng.below(4) {
            0 => head.clone(),
            1 => w.clone(),
            _ => stage_subset(&mut rng, head, &w, false),
        };
        write(&root.join(path), join(&w));
        if s != *head {
            stage(root, path, &join(&s));
            staged.insert(path.clone(), join(&s));
        }
        working.insert(path.clone(), join(&w));
    }
    if rng.chance(40) {
        let f = 9;
        let path = format!("src/n{f}.ts");
        let s = generate(&mut rng, f);
        let w = if rng.chance(50) {
            edit(&mut rng, f, &s)
        } else {
            s.clone()
        };
        write(&root.join(&path), join(&w));
        stage(root, &path, &join(&s));
        staged.insert(path.clone(), join(&s));
        working.insert(path, join(&w));
    }
    write(&root.join("src/untracked.ts"), "console.log('mine');\n");

    let before = state(root);
    let context = |what: &str| format!("seed {seed}: {what}");

    // Some seeds: a run killed at a step, then a plain run that must restore it all.
    if seed.is_multiple_of(7) {
        let step = ["backup", "index", "worktree"][(seed / 7 % 3) as usize];
        let paused = kill_at(root, step);
        if paused {
            tally.killed += 1;
            let out = dash()
                .current_dir(root)
                .args(["hook", "run"])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains("previous run was interrupted"),
                "{}",
                context(&stderr)
            );
        }
        let after = state(root);
        assert_eq!(after.index, before.index, "{}", context("index restored"));
        assert_eq!(after.tree, before.tree, "{}", context("tree restored"));
        assert!(!root.join(".git/dash/hook-backup").exists());
    }

    let out = dash()
        .current_dir(root)
        .args(["hook", "run", "--fix"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let after = state(root);
    assert_eq!(after.head, before.head);
    assert!(
        !root.join(".git/dash/hook-backup").exists(),
        "{}",
        context("backup removed")
    );
    assert_eq!(
        after.tree.get("src/untracked.ts"),
        before.tree.get("src/untracked.ts")
    );

    if stderr.contains("nothing was written") {
        tally.refused += 1;
        assert_eq!(out.status.code(), Some(1), "{}", context(&stderr));
        assert_eq!(after.index, before.index, "{}", context("refused: index"));
        assert_eq!(after.tree, before.tree, "{}", context("refused: tree"));
        return;
    }
    assert_eq!(out.status.code(), Some(0), "{}", context(&stderr));

    let expected = expected_fixes(&staged);
    let mut touched = false;
    for (path, w) in &working {
        let now = String::from_utf8(after.tree[path].clone()).unwrap();
        let Some(s) = staged.get(path) else {
            // Not staged: nothing may change.
            assert_eq!(&now, w, "{}", context(&format!("{path}: unstaged file")));
            continue;
        };
        let fixed = &expected[path];
        let in_index = git(root, &["show", &format!(":{path}")]);
        assert_eq!(&in_index, fixed, "{}", context(&format!("{path}: index")));
        if fixed != s {
            touched = true;
        }
        if w == s {
            assert_eq!(
                &now,
                fixed,
                "{}",
                context(&format!("{path}: working = index"))
            );
            continue;
        }
        if fixed != s {
            tally.merged += 1;
        }
        // Every unstaged change kept exactly: index → working as before.
        assert_eq!(
            groups(&lines(fixed), &lines(&now)),
            groups(&lines(s), &lines(w)),
            "{}",
            context(&format!("{path}: unstaged changes kept"))
        );
        // And the working file got exactly the fixes.
        assert_eq!(
            groups(&lines(w), &lines(&now)),
            groups(&lines(s), &lines(fixed)),
            "{}",
            context(&format!("{path}: fixes applied to the working file"))
        );
    }
    // Nothing else changed: the same files exist, and the index differs only in the
    // staged paths.
    assert_eq!(
        after.tree.keys().collect::<Vec<_>>(),
        before.tree.keys().collect::<Vec<_>>(),
        "{}",
        context("no file created or removed")
    );
    let entries = |index: &str| -> BTreeMap<String, String> {
        index
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(m, p)| (p.to_owned(), m.to_owned()))
            .collect()
    };
    let (old, new) = (entries(&before.index), entries(&after.index));
    assert_eq!(
        old.keys().collect::<Vec<_>>(),
        new.keys().collect::<Vec<_>>()
    );
    for (path, entry) in &old {
        if !staged.contains_key(path) {
            assert_eq!(
                &new[path],
                entry,
                "{}",
                context(&format!("{path}: index entry"))
            );
        }
    }
    if touched {
        tally.fixed += 1;
    } else {
        tally.nothing += 1;
    }
    // What is staged now passes.
    let check = dash()
        .current_dir(root)
        .args(["hook", "run"])
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        context(&String::from_utf8_lossy(&check.stderr))
    );
}

#[test]
fn random_partial_staging_never_loses_a_byte() {
    let seeds: u64 = std::env::var("DASH_HOOK_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    // Seeds are independent repositories: spread them over the cores.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let tallies: Vec<Tally> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                scope.spawn(move || {
                    let mut tally = Tally::default();
                    for seed in (w..seeds).step_by(workers as usize) {
                        one_seed(seed, &mut tally);
                    }
                    tally
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut tally = Tally::default();
    for t in tallies {
        tally.fixed += t.fixed;
        tally.merged += t.merged;
        tally.refused += t.refused;
        tally.killed += t.killed;
        tally.nothing += t.nothing;
    }
    eprintln!("{tally:?}");
    // The seeds must exercise every path, or the test proves little.
    if seeds >= 100 {
        assert!(tally.fixed >= seeds as usize / 5, "{tally:?}");
        assert!(tally.merged >= 10, "{tally:?}");
        assert!(tally.refused >= 5, "{tally:?}");
        assert!(tally.killed >= 5, "{tally:?}");
    }
}

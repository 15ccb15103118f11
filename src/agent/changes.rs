//! The agent's view of the files it edits, and every edit as a [`review::Proposal`].
//!
//! In suggest mode nothing is written: each edited file's latest text is kept here
//! (with the bytes it had on disk when first touched), later reads and edits see it,
//! and [`Changes::session`] turns the lot into one review session whose patch is the
//! run's diff. In the writing modes each edit is written at once through a
//! one-proposal [`Session`], atomically, staleness-checked and journaled for
//! `dash undo`, exactly like `dash fix --write`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::confine::Confined;
use crate::edit::FileText;
use crate::review::{Kind, Proposal, Session};

/// The rule name agent edits carry in previews.
pub const AGENT: &str = "agent";

#[derive(Debug, Clone)]
struct Pending {
    abs: PathBuf,
    /// The bytes on disk when first touched; `None` for a file the agent creates.
    original: Option<Vec<u8>>,
    text: String,
}

/// Collected edits (suggest mode); empty in the writing modes.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    files: BTreeMap<String, Pending>,
}

/// A file's text as read from disk: `None` when it does not exist.
pub fn read_disk(path: &Confined) -> Result<Option<(Vec<u8>, FileText)>, String> {
    let shown = &path.rel;
    match std::fs::metadata(&path.abs) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {shown}: {e}")),
        Ok(m) if m.is_dir() => return Err(format!("{shown} is a folder, not a file")),
        Ok(m) if !m.is_file() => return Err(format!("{shown} is not a regular file")),
        Ok(_) => {}
    }
    let bytes = std::fs::read(&path.abs).map_err(|e| format!("cannot read {shown}: {e}"))?;
    match FileText::from_bytes(&bytes) {
        Some(text) => Ok(Some((bytes, text))),
        None => Err(format!("{shown} is not UTF-8 text")),
    }
}

impl Changes {
    /// The file's current text: the collected one if edited, else the disk's.
    pub fn current(&self, path: &Confined) -> Result<Option<String>, String> {
        if let Some(p) = self.files.get(&path.rel) {
            return Ok(Some(p.text.clone()));
        }
        Ok(read_disk(path)?.map(|(_, t)| t.text))
    }

    /// Records `text` as the file's new content (suggest mode).
    pub fn collect(&mut self, path: &Confined, text: String) -> Result<(), String> {
        if let Some(p) = self.files.get_mut(&path.rel) {
            p.text = text;
            return Ok(());
        }
        let original = read_disk(path)?.map(|(bytes, _)| bytes);
        self.files.insert(
            path.rel.clone(),
            Pending {
                abs: path.abs.clone(),
                original,
                text,
            },
        );
        Ok(())
    }

    /// Repository-relative paths of the files the agent created (not on disk).
    pub fn created(&self) -> impl Iterator<Item = &str> {
        self.files
            .iter()
            .filter(|(_, p)| p.original.is_none())
            .map(|(rel, _)| rel.as_str())
    }

    /// The collected text of `rel`, if edited.
    pub fn text_of(&self, rel: &str) -> Option<&str> {
        self.files.get(rel).map(|p| p.text.as_str())
    }

    /// Every collected file, in path order: repository-relative path, absolute path, the
    /// bytes on disk when first touched (`None`: created) and the latest text.
    pub fn files(&self) -> impl Iterator<Item = (&str, &Path, Option<&[u8]>, &str)> {
        self.files.iter().map(|(rel, p)| {
            (
                rel.as_str(),
                p.abs.as_path(),
                p.original.as_deref(),
                p.text.as_str(),
            )
        })
    }

    /// Every collected edit as a proposal, in one session.
    pub fn session(&self) -> Session {
        let mut session = Session::new();
        for (rel, p) in &self.files {
            session.propose(proposal(rel, p.abs.clone(), p.original.clone(), &p.text));
        }
        session
    }
}

/// The proposal that turns `original` (None: a new file) into `text`.
pub fn proposal(rel: &str, abs: PathBuf, original: Option<Vec<u8>>, text: &str) -> Proposal {
    let change = match original.as_deref().and_then(FileText::from_bytes) {
        Some(file_text) => {
            let edit = changed_range(&file_text.text, text);
            Kind::Modify {
                on_disk: None,
                file_text,
                new_text: text.to_owned(),
                edits: vec![(edit, AGENT)],
            }
        }
        None => Kind::Create {
            text: text.to_owned(),
        },
    };
    Proposal {
        path: abs,
        display: rel.to_owned(),
        change,
    }
}

/// The range of `old` that differs from `new` (common prefix and suffix excluded).
fn changed_range(old: &str, new: &str) -> std::ops::Range<usize> {
    let prefix = old
        .char_indices()
        .zip(new.chars())
        .find(|((_, a), b)| a != b)
        .map_or(old.len().min(new.len()), |((i, _), _)| i);
    let max_suffix = old.len().min(new.len()) - prefix;
    let suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    let mut end = old.len() - suffix;
    while !old.is_char_boundary(end) {
        end += 1;
    }
    prefix..end.max(prefix)
}

/// Writes `text` to the file now (the writing modes): one proposal, one journaled
/// write, recorded as part of `turn` (see [`crate::journal::Entry::turn`]). Returns
/// what to tell the model.
pub fn write_now(path: &Confined, text: &str, turn: Option<&str>) -> Result<String, String> {
    {
        let original = read_disk(path)?.map(|(bytes, _)| bytes);
        let created = original.is_none();
        let mut session = Session::new();
        if let Some(turn) = turn {
            session.in_turn(turn);
        }
        session.propose(proposal(&path.rel, path.abs.clone(), original, text));
        let written = session.write();
        if let Some(err) = written.journal.error {
            return Err(format!(
                "not written: the undo journal could not be recorded ({err})"
            ));
        }
        if let Some(err) = written.failed.first() {
            return Err(format!("not written: {err}"));
        }
        Ok(if created {
            format!("created {}", path.rel)
        } else {
            format!("wrote {}", path.rel)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_range_covers_only_the_difference() {
        assert_eq!(changed_range("abcdef", "abXdef"), 2..3);
        assert_eq!(changed_range("abc", "abc"), 3..3);
        assert_eq!(changed_range("abc", "abcd"), 3..3);
        assert_eq!(changed_range("aaa", "aa"), 2..3);
        assert_eq!(changed_range("é1", "é2"), 2..3);
    }

    #[test]
    fn collected_edits_are_seen_by_later_reads_and_become_one_patch() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.ts"), "one\ntwo\n").unwrap();
        let root = super::super::confine::Root::new(dir.path()).unwrap();
        let a = root.resolve("a.ts").unwrap();
        let b = root.resolve("b/new.ts").unwrap();
        let mut changes = Changes::default();
        changes.collect(&a, "one\n2\n".into()).unwrap();
        changes.collect(&a, "1\n2\n".into()).unwrap();
        changes.collect(&b, "new\n".into()).unwrap();
        assert_eq!(changes.current(&a).unwrap().as_deref(), Some("1\n2\n"));
        assert_eq!(changes.created().collect::<Vec<_>>(), ["b/new.ts"]);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.ts")).unwrap(),
            "one\ntwo\n"
        );
        let patch = crate::review::patch::render(&changes.session().changes());
        assert!(patch.contains("-one\n-two\n+1\n+2\n"), "{patch}");
        assert!(patch.contains("--- /dev/null\n+++ b/b/new.ts"), "{patch}");
    }
}

//! `dash fix -i`: the preview walked hunk by hunk, each accepted or rejected, and only
//! the accepted hunks written.
//!
//! A hunk is the one the preview shows ([`super::diff::render_hunks`]: same diff, same
//! `@@` line naming its rules), so what a person accepts is exactly what they read. A
//! file's new text is rebuilt from its original and the accepted hunks (a hunk is a
//! range of old lines and the new lines that replace them; hunks never overlap, and
//! the lines between them are the same on both sides), and goes back into a
//! [`Session`] as an ordinary [`Proposal`], so it is written like any other change:
//! atomically, and not over a file that changed since it was read.
//!
//! Answers are read a line at a time (`y` then Enter), not as raw key presses: that
//! needs no terminal-mode dependency, works the same in every terminal, and an
//! interrupted run (Ctrl-C) writes nothing because writing only starts after the walk.

use std::io::{self, BufRead, Write};
use std::ops::Range;

use super::session::{Kind, Proposal, Session};
use super::{FileChange, Hunks, hunk_ranges, lines};

/// One hunk of a change: the old lines it replaces and the new lines it puts there
/// (0-based line indices, lines split after `\n`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub old: Range<usize>,
    pub new: Range<usize>,
}

/// The hunks of a change, in the order the preview prints them. A created file is one
/// hunk; an unchanged file has none.
pub fn hunks(change: &FileChange<'_>) -> Vec<Hunk> {
    if change.is_unchanged() {
        return Vec::new();
    }
    let diffed = Hunks::new(change);
    diffed
        .groups
        .iter()
        .map(|group| {
            let (old, new) = hunk_ranges(group);
            Hunk { old, new }
        })
        .collect()
}

/// The text with the accepted hunks of `old` → `new` applied and the others left as
/// in `old`. `hunks` must be the hunks of that diff (or of texts with the same lines
/// count per side, see [`select`]); `accepted` has one answer per hunk.
pub fn apply(old: &str, new: &str, hunks: &[Hunk], accepted: &[bool]) -> String {
    assert_eq!(hunks.len(), accepted.len(), "one answer per hunk");
    let old_lines = lines(old);
    let new_lines = lines(new);
    let mut out = String::with_capacity(old.len().max(new.len()));
    let mut at = 0;
    for (hunk, &take) in hunks.iter().zip(accepted) {
        old_lines[at..hunk.old.start]
            .iter()
            .for_each(|l| out.push_str(l));
        let chosen = if take {
            &new_lines[hunk.new.clone()]
        } else {
            &old_lines[hunk.old.clone()]
        };
        chosen.iter().for_each(|l| out.push_str(l));
        at = hunk.old.end;
    }
    old_lines[at..].iter().for_each(|l| out.push_str(l));
    out
}

/// The proposal that writes only the accepted hunks of `proposal` (whose hunks, as
/// [`hunks`] of its [`Proposal::file_change`] gives them, are `hunks`), or None when
/// none was accepted.
///
/// The hunks are computed on the bytes as they will be written (BOM, CRLF), but the
/// proposal holds the text rules edited (no BOM, line breaks the edits introduced still
/// bare). Both have the same lines: a BOM only prefixes the first line, and the `\r`
/// restored before an introduced `\n` does not add one. So the line ranges apply to the
/// proposal's own texts, and writing goes through the same rendering as a full write.
pub fn select(proposal: &Proposal, hunks: &[Hunk], accepted: &[bool]) -> Option<Proposal> {
    if !accepted.iter().any(|&a| a) {
        return None;
    }
    if accepted.iter().all(|&a| a) {
        return Some(proposal.clone());
    }
    let Kind::Modify {
        file_text,
        new_text,
        edits,
        on_disk,
    } = &proposal.change
    else {
        // A created file is one hunk: taken whole or not at all (handled above).
        return Some(proposal.clone());
    };
    let old = &file_text.text;
    let mut starts = Vec::new();
    let mut offset = 0;
    for line in lines(old) {
        starts.push(offset);
        offset += line.len();
    }
    starts.push(offset);
    let kept: Vec<Range<usize>> = hunks
        .iter()
        .zip(accepted)
        .filter(|(_, a)| **a)
        .map(|(h, _)| starts[h.old.start]..starts[h.old.end])
        .collect();
    Some(Proposal {
        path: proposal.path.clone(),
        display: proposal.display.clone(),
        change: Kind::Modify {
            on_disk: on_disk.clone(),
            file_text: file_text.clone(),
            new_text: apply(old, new_text, hunks, accepted),
            edits: edits
                .iter()
                .filter(|(range, _)| {
                    kept.iter()
                        .any(|k| range.start <= k.end && k.start <= range.end)
                })
                .cloned()
                .collect(),
        },
    })
}

/// A reviewer's answer to one hunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `y`: apply this hunk.
    Yes,
    /// `n`: leave this hunk out.
    No,
    /// `a`: apply this hunk and the rest of the file's.
    All,
    /// `d`: leave out this hunk and the rest of the file's.
    Done,
    /// `q`: stop; write what was accepted so far.
    Quit,
    /// `?`: explain the answers.
    Help,
}

impl Answer {
    /// An answer from a line the reviewer typed (surrounding blanks ignored, either
    /// case); None for anything else.
    pub fn parse(line: &str) -> Option<Answer> {
        match line.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" => Some(Answer::Yes),
            "n" | "no" => Some(Answer::No),
            "a" => Some(Answer::All),
            "d" => Some(Answer::Done),
            "q" => Some(Answer::Quit),
            "?" | "h" => Some(Answer::Help),
            _ => None,
        }
    }
}

pub const HELP: &str = "\
y - apply this hunk
n - do not apply this hunk
a - apply this hunk and every later hunk of this file
d - do not apply this hunk nor any later hunk of this file
q - quit: write the hunks applied so far, nothing else
? - print this help
(type the letter, then Enter; Ctrl-C quits without writing anything)
";

/// What a walk decided.
#[derive(Debug, Default)]
pub struct Walked {
    /// The proposals to write: the accepted hunks of each file.
    pub session: Session,
    pub accepted: usize,
    pub total: usize,
    /// Whether the reviewer quit (`q`, or the end of the input) before the last hunk.
    pub quit: bool,
}

/// Walks every hunk of `session` in display order: prints it as the preview does,
/// asks, and reads one answer per line from `input`. The end of the input counts as
/// `q`. Returns what to write; writes nothing itself.
pub fn walk(
    session: &Session,
    color: bool,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> io::Result<Walked> {
    let mut walked = Walked {
        session: session.empty_like(),
        ..Walked::default()
    };
    let files: Vec<(&Proposal, FileChange<'_>, Vec<Hunk>)> = session
        .proposals()
        .iter()
        .map(|p| {
            let change = p.file_change();
            let hunks = hunks(&change);
            (p, change, hunks)
        })
        .filter(|(_, _, hunks)| !hunks.is_empty())
        .collect();
    walked.total = files.iter().map(|(_, _, h)| h.len()).sum();
    for (proposal, change, hunks) in &files {
        let mut accepted = vec![false; hunks.len()];
        if !walked.quit {
            out.write_all(super::diff::file_header(change, color).as_bytes())?;
            let rendered = super::diff::render_hunks(change, color);
            let mut index = 0;
            while index < hunks.len() {
                out.write_all(rendered[index].as_bytes())?;
                let question = if change.old.is_none() {
                    format!("Create {}", change.path)
                } else {
                    format!("Apply this hunk to {}", change.path)
                };
                let answer = ask(
                    input,
                    out,
                    &format!("({}/{}) {question} [y,n,a,d,q,?]? ", index + 1, hunks.len()),
                )?;
                match answer {
                    Answer::Yes => accepted[index] = true,
                    Answer::No => {}
                    Answer::All => {
                        accepted[index..].fill(true);
                        break;
                    }
                    Answer::Done => break,
                    Answer::Quit => {
                        walked.quit = true;
                        break;
                    }
                    Answer::Help => unreachable!("ask answers help itself"),
                }
                index += 1;
            }
        }
        walked.accepted += accepted.iter().filter(|&&a| a).count();
        if let Some(chosen) = select(proposal, hunks, &accepted) {
            walked.session.propose(chosen);
        }
    }
    Ok(walked)
}

/// Prompts until a valid answer other than help comes; help and unknown input print
/// the help. The end of the input is `q`.
fn ask(input: &mut dyn BufRead, out: &mut dyn Write, prompt: &str) -> io::Result<Answer> {
    loop {
        out.write_all(prompt.as_bytes())?;
        out.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            out.write_all(b"\n")?;
            return Ok(Answer::Quit);
        }
        match Answer::parse(&line) {
            Some(Answer::Help) | None => out.write_all(HELP.as_bytes())?,
            Some(answer) => return Ok(answer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::FileText;

    /// Ten numbered lines with lines 1 and 9 (0-based) changed: two hunks, since the
    /// changes are more than twice the context apart.
    fn two_hunks() -> (String, String) {
        let old: String = (0..10).map(|i| format!("line {i}\n")).collect();
        let new = old
            .replace("line 1\n", "LINE 1\n")
            .replace("line 9\n", "LINE 9\nadded\n");
        (old, new)
    }

    fn change<'a>(old: &'a str, new: &'a str) -> FileChange<'a> {
        FileChange {
            path: "a.ts".into(),
            old: Some(old.into()),
            new: new.into(),
            edits: Vec::new().into(),
        }
    }

    #[test]
    fn hunks_are_the_previews() {
        let (old, new) = two_hunks();
        let c = change(&old, &new);
        let found = hunks(&c);
        assert_eq!(
            found,
            [
                Hunk {
                    old: 0..5,
                    new: 0..5
                },
                Hunk {
                    old: 6..10,
                    new: 6..11
                }
            ]
        );
        assert_eq!(
            found.len(),
            super::super::diff::render_hunks(&c, false).len()
        );
        assert!(hunks(&change(&old, &old)).is_empty());
        let created = FileChange::created("log.ts", "a\nb\n");
        assert_eq!(
            hunks(&created),
            [Hunk {
                old: 0..0,
                new: 0..2
            }]
        );
    }

    #[test]
    fn apply_takes_the_accepted_hunks_only() {
        let (old, new) = two_hunks();
        let h = hunks(&change(&old, &new));
        assert_eq!(apply(&old, &new, &h, &[true, true]), new);
        assert_eq!(apply(&old, &new, &h, &[false, false]), old);
        let first = apply(&old, &new, &h, &[true, false]);
        assert_eq!(first, old.replace("line 1\n", "LINE 1\n"));
        let second = apply(&old, &new, &h, &[false, true]);
        assert_eq!(second, old.replace("line 9\n", "LINE 9\nadded\n"));
    }

    #[test]
    fn apply_handles_the_end_of_file_without_a_newline() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\ni\nend";
        let new = "A\nb\nc\nd\ne\nf\ng\nh\ni\nend\nmore";
        let h = hunks(&change(old, new));
        assert_eq!(h.len(), 2);
        assert_eq!(
            apply(old, new, &h, &[false, true]),
            "a\nb\nc\nd\ne\nf\ng\nh\ni\nend\nmore"
        );
        assert_eq!(
            apply(old, new, &h, &[true, false]),
            "A\nb\nc\nd\ne\nf\ng\nh\ni\nend"
        );
    }

    /// Random line edits (a fixed linear congruential generator, so the cases are the
    /// same every run): every subset of hunks, applied, changes exactly the lines of its
    /// hunks, and applying the rest to that result gives the new text.
    #[test]
    fn every_subset_of_random_hunks_composes() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        for _ in 0..200 {
            let count = 1 + next(40) as usize;
            let old: Vec<String> = (0..count).map(|i| format!("l{i}\n")).collect();
            let mut new = Vec::new();
            for line in &old {
                match next(8) {
                    0 => {}
                    1 => new.push(format!("changed {}", line)),
                    2 => {
                        new.push(line.clone());
                        new.push("inserted\n".into());
                    }
                    _ => new.push(line.clone()),
                }
            }
            let (old, new) = (old.concat(), new.concat());
            let h = hunks(&change(&old, &new));
            if old == new {
                assert!(h.is_empty());
                continue;
            }
            let subsets = 1u32 << h.len().min(6);
            for bits in 0..subsets {
                let accepted: Vec<bool> =
                    (0..h.len()).map(|i| i < 6 && bits >> i & 1 == 1).collect();
                let partial = apply(&old, &new, &h, &accepted);
                let delta: isize = h
                    .iter()
                    .zip(&accepted)
                    .filter(|(_, a)| **a)
                    .map(|(h, _)| h.new.len() as isize - h.old.len() as isize)
                    .sum();
                assert_eq!(
                    lines(&partial).len() as isize,
                    lines(&old).len() as isize + delta
                );
                // The remaining hunks, accepted, finish the job.
                let rest = hunks(&change(&partial, &new));
                let all = vec![true; rest.len()];
                assert_eq!(apply(&partial, &new, &rest, &all), new);
                // And nothing but the accepted hunks moved away from old.
                let none = vec![false; h.len()];
                assert_eq!(apply(&old, &new, &h, &none), old);
                if accepted.iter().all(|&a| a) {
                    assert_eq!(partial, new);
                }
            }
        }
    }

    fn modify(old: &[u8], new_text: &str, edits: Vec<(Range<usize>, &'static str)>) -> Proposal {
        Proposal {
            path: "/nonexistent/a.ts".into(),
            display: "a.ts".into(),
            change: Kind::Modify {
                file_text: FileText::from_bytes(old).unwrap(),
                new_text: new_text.into(),
                edits,
                on_disk: None,
            },
        }
    }

    #[test]
    fn select_keeps_bom_crlf_and_the_edits_of_accepted_hunks() {
        // A BOM and CRLF on disk; the rules' text has no BOM and bare introduced `\n`.
        let lines_: Vec<String> = (0..10).map(|i| format!("line {i}\r\n")).collect();
        let text = lines_.concat();
        let mut disk = b"\xEF\xBB\xBF".to_vec();
        disk.extend_from_slice(text.as_bytes());
        let new_text = text
            .replace("line 1\r\n", "LINE 1\r\n")
            .replace("line 9\r\n", "LINE 9\r\nadded\n");
        let first = text.find("line 1").unwrap();
        let last = text.find("line 9").unwrap();
        let proposal = modify(
            &disk,
            &new_text,
            vec![(first..first + 4, "r1"), (last..last + 6, "r2")],
        );
        let change = proposal.file_change();
        let h = hunks(&change);
        assert_eq!(h.len(), 2);

        let second = select(&proposal, &h, &[false, true]).unwrap();
        let Kind::Modify {
            file_text,
            new_text,
            edits,
            ..
        } = &second.change
        else {
            panic!("still a modification")
        };
        assert_eq!(edits, &[(last..last + 6, "r2")]);
        let mut expected = b"\xEF\xBB\xBF".to_vec();
        expected.extend_from_slice(text.replace("line 9\r\n", "LINE 9\r\nadded\r\n").as_bytes());
        assert_eq!(file_text.to_bytes(new_text), expected);
        assert!(select(&proposal, &h, &[false, false]).is_none());
        let all = select(&proposal, &h, &[true, true]).unwrap();
        assert_eq!(all.file_change(), change);
    }

    fn session_of(proposals: Vec<Proposal>) -> Session {
        let mut session = Session::new();
        for p in proposals {
            session.propose(p);
        }
        session
    }

    fn walk_with(session: &Session, answers: &str) -> (Walked, String) {
        let mut out = Vec::new();
        let walked = walk(session, false, &mut answers.as_bytes(), &mut out).unwrap();
        (walked, String::from_utf8(out).unwrap())
    }

    fn texts(session: &Session) -> Vec<(String, String)> {
        session
            .changes()
            .into_iter()
            .map(|c| (c.path, c.new.into_owned()))
            .collect()
    }

    #[test]
    fn walk_answers_per_hunk_per_file_and_quit() {
        let (old, new) = two_hunks();
        let mut b = modify(old.as_bytes(), &new, vec![]);
        b.display = "b.ts".into();
        let created = Proposal {
            path: "/nonexistent/log.ts".into(),
            display: "log.ts".into(),
            change: Kind::Create {
                text: "export const logger = console;\n".into(),
            },
        };
        let session = session_of(vec![modify(old.as_bytes(), &new, vec![]), b, created]);

        // a.ts: n then y; b.ts: a (both); log.ts: n.
        let (walked, shown) = walk_with(&session, "n\ny\na\nn\n");
        assert_eq!((walked.accepted, walked.total, walked.quit), (3, 5, false));
        assert_eq!(
            texts(&walked.session),
            [
                ("a.ts".into(), old.replace("line 9\n", "LINE 9\nadded\n")),
                ("b.ts".into(), new.clone()),
            ]
        );
        assert!(shown.contains("--- a/a.ts\n+++ b/a.ts\n@@ -1,5 +1,5 @@\n"));
        assert!(shown.contains("(1/2) Apply this hunk to a.ts [y,n,a,d,q,?]? "));
        assert!(shown.contains("(1/1) Create log.ts [y,n,a,d,q,?]? "));

        // d skips the rest of a file; help and nonsense re-ask; q keeps what was taken.
        let (walked, shown) = walk_with(&session, "d\n?\nwhat\ny\nq\n");
        assert_eq!((walked.accepted, walked.total, walked.quit), (1, 5, true));
        assert_eq!(
            texts(&walked.session),
            [("b.ts".into(), old.replace("line 1\n", "LINE 1\n"))]
        );
        assert_eq!(shown.matches(HELP).count(), 2);
        assert!(!shown.contains("log.ts"), "nothing shown after q");

        // The end of the input is q.
        let (walked, _) = walk_with(&session, "y\n");
        assert!(walked.quit);
        assert_eq!(walked.accepted, 1);
    }

    #[test]
    fn answers_parse() {
        assert_eq!(Answer::parse(" Y \n"), Some(Answer::Yes));
        assert_eq!(Answer::parse("n"), Some(Answer::No));
        assert_eq!(Answer::parse("a"), Some(Answer::All));
        assert_eq!(Answer::parse("d"), Some(Answer::Done));
        assert_eq!(Answer::parse("q"), Some(Answer::Quit));
        assert_eq!(Answer::parse("?"), Some(Answer::Help));
        assert_eq!(Answer::parse(""), None);
        assert_eq!(Answer::parse("yn"), None);
    }
}

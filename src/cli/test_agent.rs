//! `dash test --fix --agent PROVIDER/ID`: each failure `dash test` leaves unrepaired
//! (every class but environment, in a file without an environment failure, that no
//! proven repair covers) becomes one task for the agent, with its evidence
//! (`agent::test_failure`). The agent works in suggest mode over a canary copy of the
//! package that holds the repairs already proven (edits collected, never written;
//! commands refused). What a task collected is a candidate repair like a rule's: applied
//! in the canary and kept only if its test passes on every rerun of its file, in the
//! file's order, and every test that passed before (and every failure repaired before)
//! still passes; an edit of any other file reruns the whole suite instead
//! (`testrun::prove::prove_tests`). A rolled-back edit is dropped from what later tasks
//! see. Kept edits become unsafe proposals labelled `agent (PROVIDER/ID)`.

use std::ops::Range;
use std::path::Path;

use super::fix_agent::{FixAgentArgs, TaskRunner};
use crate::agent::test_failure::{FailureTask, SYSTEM_PROMPT};
use crate::edit::{FileText, check_parse};
use crate::exit::{Exit, HasExit};
use crate::review::{Kind, Proposal};
use crate::syntax::Lang;
use crate::testrun::TestRunError;
use crate::testrun::canary::Canary;
use crate::testrun::classify::{Class, Failure};
use crate::testrun::prove::{ProveRunFn, Repair, Scope, TestRef, passed_tests, prove_tests};
use crate::testrun::results::FileResult;
use crate::testrun::run::Selection;

const FIX_HEADING: &str = "Agent (findings that need judgement)";

/// `dash fix --agent`'s options, shown under their own heading; the per-task time limit
/// is `--agent-timeout` here, because `dash test --timeout` bounds a run of the suite.
#[derive(Debug, Clone, clap::Args)]
#[command(
    mut_arg("agent", |a| a.help(
        "Hand each failure left unrepaired (not environment) to an agent on this model \
         (PROVIDER/ID, as in `dash llm`; keys from the usual env vars); implies --fix. Its \
         edits are proven like a rule's repair, shown marked `agent (PROVIDER/ID)`, and \
         unsafe: written only with --write --unsafe-fixes"
    )),
    mut_arg("timeout", |a| a.long("agent-timeout").help("Each agent task stops after this many seconds")),
    mut_args(|a| if a.get_help_heading() == Some(FIX_HEADING) {
        a.help_heading("Agent (failures left for judgement)")
    } else {
        a
    })
)]
pub struct TestAgentArgs {
    #[command(flatten)]
    pub agent: FixAgentArgs,
}

/// What the agent's tasks proved in one package.
#[derive(Debug, Default)]
pub struct AgentRepairs {
    /// One per task (kept, rolled back with the reason, or stopped), and one per other
    /// failure a kept edit repaired too.
    pub repairs: Vec<Repair>,
    pub files: Vec<AgentFile>,
}

/// A file with kept agent edits.
#[derive(Debug, Clone)]
pub struct AgentFile {
    /// Relative to the package.
    pub file: String,
    /// The package's bytes (`None`: the agent created it).
    pub original: Option<Vec<u8>>,
    /// The rules' proven text of the file, if any (the agent's edits are on top of it).
    pub rules_text: Option<String>,
    /// The final text: proven repairs and the agent's edits.
    pub text: String,
}

/// The model connection for the run's tasks.
pub struct TestAgent {
    runner: TaskRunner,
    quiet: bool,
    /// Set when a task failed for the key or configuration (exit 2) or was aborted:
    /// the remaining tasks are not run.
    stop: Option<&'static str>,
    pub exit: Exit,
}

/// The proven state of a package before the agent: the repairs tried and the files
/// they changed (package-relative path, proven text).
pub struct Proven<'a> {
    pub repairs: &'a [Repair],
    pub files: Vec<(String, String)>,
    /// The test files the run was limited to (`--files`), relative to the package;
    /// empty: the whole suite. A proof over "the whole suite" reruns these.
    pub suite: Vec<String>,
}

impl TestAgent {
    /// Resolves the model (a missing key is exit 2, before the suite runs).
    pub fn connect(
        args: &TestAgentArgs,
        spec: &str,
        top: &Path,
        quiet: bool,
    ) -> miette::Result<Self> {
        Ok(TestAgent {
            runner: TaskRunner::connect(&args.agent, spec, top, quiet)?,
            quiet,
            stop: None,
            exit: Exit::Clean,
        })
    }

    pub fn label(&self) -> &'static str {
        self.runner.label
    }

    /// Runs one task per failure left in the package at `package` and proves each
    /// task's edits with `run` (a run of a selection in the canary, classified).
    #[allow(clippy::too_many_arguments)]
    pub fn repair(
        &mut self,
        package: &Path,
        runner_name: &str,
        failures: &[Failure],
        first: &[FileResult],
        proven: &Proven<'_>,
        reruns: u32,
        run: &mut ProveRunFn<'_>,
    ) -> Result<AgentRepairs, TestRunError> {
        let reruns = reruns.max(1);
        let mut out = AgentRepairs::default();
        let covered = |f: &Failure, repairs: &[Repair]| {
            repairs.iter().any(|r| {
                r.kept && Some(r.file.as_str()) == f.file.as_deref() && r.tests.contains(&f.test)
            })
        };
        let environment: Vec<&str> = failures
            .iter()
            .filter(|f| f.class == Class::Environment)
            .filter_map(|f| f.file.as_deref())
            .collect();
        let mut pending: Vec<&Failure> = failures
            .iter()
            .filter(|f| f.file.is_some() && f.class != Class::Environment)
            .filter(|f| !covered(f, proven.repairs))
            .collect();
        // A file with an environment failure is left whole: its failures are not the
        // tests' fault (and no task is sent for them).
        pending.retain(|f| {
            let file = f.file.as_deref().unwrap_or_default();
            if !environment.contains(&file) {
                return true;
            }
            let said = proven
                .repairs
                .iter()
                .any(|r| r.file == file && r.tests.contains(&f.test));
            if !said {
                out.repairs.push(Repair {
                    file: file.to_owned(),
                    tests: vec![f.test.clone()],
                    repair: "none".into(),
                    kept: false,
                    proof: None,
                    reason: Some(
                        "not given to the agent: an environment failure in the same file".into(),
                    ),
                    agent: None,
                });
            }
            false
        });
        pending.sort_by(|a, b| (&a.file, a.line, &a.test).cmp(&(&b.file, b.line, &b.test)));
        if pending.is_empty() {
            return Ok(out);
        }
        let canary = Canary::new(package).map_err(TestRunError::Scratch)?;
        for (file, text) in &proven.files {
            write_in(&canary, file, text)?;
        }
        // Every test that passed in the first run, and every failure a proven repair
        // covers: none of them may fail with an agent's edit.
        let mut before = passed_tests(package, first);
        for r in proven.repairs.iter().filter(|r| r.kept) {
            before.extend(r.tests.iter().map(|t| (r.file.clone(), t.clone())));
        }
        let mut tools = self
            .runner
            .tools(&canary.root)
            .map_err(|e| TestRunError::Scratch(std::io::Error::other(e.to_string())))?;
        let label = self.runner.label;
        let total = pending.len();
        let mut done: Vec<TestRef> = Vec::new();
        for (i, failure) in pending.iter().enumerate() {
            let file = failure.file.clone().unwrap_or_default();
            let target: TestRef = (file.clone(), failure.test.clone());
            if done.contains(&target) {
                continue;
            }
            let tried = proven
                .repairs
                .iter()
                .filter(|r| r.file == file && r.tests.contains(&failure.test))
                .filter_map(|r| {
                    let why = r.reason.as_deref()?;
                    Some(if r.repair == "none" {
                        why.to_owned()
                    } else {
                        format!("{} (rolled back: {why})", r.repair)
                    })
                })
                .collect::<Vec<_>>();
            let tried = (!tried.is_empty()).then(|| tried.join("; "));
            let Some(task) = FailureTask::new(failure, runner_name, tried) else {
                continue;
            };
            let mut repair = Repair {
                file: file.clone(),
                tests: vec![failure.test.clone()],
                repair: label.to_owned(),
                kept: false,
                proof: None,
                reason: None,
                agent: Some(self.runner.spec.clone()),
            };
            if let Some(why) = self.stop {
                repair.reason = Some(why.to_owned());
                out.repairs.push(repair);
                continue;
            }
            if !self.quiet {
                eprintln!(
                    "{label}: task {}/{total}: {} — {}: {}",
                    i + 1,
                    task.label(),
                    task.class,
                    task.reason
                );
            }
            let before_task = tools.changes().clone();
            let prompt = task.prompt(&|rel| {
                before_task
                    .text_of(rel)
                    .map(str::to_owned)
                    .or_else(|| canary.read(rel).ok())
            });
            let end = self.runner.run(tools, SYSTEM_PROMPT, prompt);
            tools = end.tools;
            let summary = format!(
                "{} turn{}, {} tokens, ${:.4}",
                end.spent.turns,
                if end.spent.turns == 1 { "" } else { "s" },
                end.spent.tokens,
                end.spent.cost
            );
            if let Err(err) = end.result {
                tools.restore_changes(before_task);
                let message = self.runner.redact(&err.to_string());
                repair.reason = Some(format!(
                    "the agent's task did not finish ({message}; {summary}); its edits were dropped"
                ));
                if !self.quiet {
                    eprintln!(
                        "{label}: {}: {message}; its edits were dropped",
                        task.label()
                    );
                }
                match err.exit() {
                    Exit::Usage => {
                        self.exit = Exit::Usage;
                        self.stop = Some(
                            "not run: an earlier agent task failed for the key or configuration",
                        );
                    }
                    _ if matches!(err, crate::agent::AgentError::Aborted) => {
                        self.stop = Some("not run: aborted");
                    }
                    _ => {}
                }
                out.repairs.push(repair);
                continue;
            }
            // What this task changed, against what the earlier tasks left.
            let changed: Vec<(String, String)> = tools
                .changes()
                .files()
                .filter(|(rel, _, _, text)| before_task.text_of(rel) != Some(*text))
                .filter(|(rel, _, original, text)| {
                    before_task.text_of(rel).is_some()
                        || original
                            .and_then(FileText::from_bytes)
                            .is_none_or(|t| t.text != *text)
                })
                .map(|(rel, _, _, text)| (rel.to_owned(), text.to_owned()))
                .collect();
            let answer = if end.answer.is_empty() {
                String::new()
            } else {
                format!(": {}", first_line(&end.answer))
            };
            if changed.is_empty() {
                repair.reason = Some(format!("the agent changed nothing{answer} ({summary})"));
                out.repairs.push(repair);
                continue;
            }
            let files: Vec<&str> = changed.iter().map(|(f, _)| f.as_str()).collect();
            repair.repair = format!("{label} edits {}{answer}", files.join(", "));
            if let Some(why) = parse_regression(&canary, &changed) {
                tools.restore_changes(before_task);
                repair.reason = Some(why);
                out.repairs.push(repair);
                continue;
            }
            let saved: Vec<(String, Option<Vec<u8>>)> = changed
                .iter()
                .map(|(rel, _)| (rel.clone(), std::fs::read(canary.root.join(rel)).ok()))
                .collect();
            for (rel, text) in &changed {
                write_in(&canary, rel, text)?;
            }
            let (scope, selection) = if files == [file.as_str()] {
                (
                    Scope::File,
                    Selection {
                        files: vec![canary.root.join(&file).to_string_lossy().into_owned()],
                        name: None,
                    },
                )
            } else {
                (
                    Scope::Suite,
                    Selection {
                        files: proven
                            .suite
                            .iter()
                            .map(|f| canary.root.join(f).to_string_lossy().into_owned())
                            .collect(),
                        name: None,
                    },
                )
            };
            let in_scope = |t: &TestRef| scope == Scope::Suite || t.0 == file;
            let required: Vec<TestRef> = before.iter().filter(|t| in_scope(t)).cloned().collect();
            let watch: Vec<TestRef> = pending[i + 1..]
                .iter()
                .map(|f| (f.file.clone().unwrap_or_default(), f.test.clone()))
                .filter(|t| in_scope(t) && !done.contains(t) && *t != target)
                .collect();
            let mut runs = 0;
            let verdict = prove_tests(
                &canary.root,
                &selection,
                scope,
                std::slice::from_ref(&target),
                &required,
                &watch,
                reruns,
                run,
                &mut runs,
            )?;
            match verdict.result {
                Ok(proof) => {
                    repair.kept = true;
                    repair.proof = Some(format!("{proof} ({summary})"));
                    before.push(target.clone());
                    done.push(target.clone());
                    for (t, ok) in watch.iter().zip(&verdict.watched) {
                        if !ok {
                            continue;
                        }
                        before.push(t.clone());
                        done.push(t.clone());
                        if t.0 == file {
                            repair.tests.push(t.1.clone());
                        } else {
                            out.repairs.push(Repair {
                                file: t.0.clone(),
                                tests: vec![t.1.clone()],
                                repair: format!("{label}: the edit made for {}", task.label()),
                                kept: true,
                                proof: Some(proof.clone()),
                                reason: None,
                                agent: Some(self.runner.spec.clone()),
                            });
                        }
                    }
                    if !self.quiet {
                        eprintln!("{label}: {}: proven: {proof}", task.label());
                    }
                }
                Err(why) => {
                    for (rel, bytes) in &saved {
                        let path = canary.root.join(rel);
                        match bytes {
                            Some(b) => std::fs::write(&path, b),
                            None => std::fs::remove_file(&path),
                        }
                        .map_err(TestRunError::Scratch)?;
                    }
                    tools.restore_changes(before_task);
                    if !self.quiet {
                        eprintln!("{label}: {}: rolled back: {why}", task.label());
                    }
                    repair.reason = Some(format!("rolled back: {why}"));
                }
            }
            out.repairs.push(repair);
        }
        for (rel, _, _, text) in tools.changes().files() {
            let original = std::fs::read(package.join(rel)).ok();
            let rules_text = proven
                .files
                .iter()
                .find(|(f, _)| f == rel)
                .map(|(_, t)| t.clone());
            out.files.push(AgentFile {
                file: rel.to_owned(),
                original,
                rules_text,
                text: text.to_owned(),
            });
        }
        Ok(out)
    }
}

/// Writes `text` into the canary at `rel` (relative to the package), keeping the line
/// endings and BOM of the file there.
fn write_in(canary: &Canary, rel: &str, text: &str) -> Result<(), TestRunError> {
    let path = canary.root.join(rel);
    let bytes = match std::fs::read(&path)
        .ok()
        .as_deref()
        .and_then(FileText::from_bytes)
    {
        Some(old) => old.to_bytes(text),
        None => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(TestRunError::Scratch)?;
            }
            text.as_bytes().to_vec()
        }
    };
    std::fs::write(&path, bytes).map_err(TestRunError::Scratch)
}

/// Why an agent edit is dropped before any rerun: a file it leaves parsing worse.
fn parse_regression(canary: &Canary, changed: &[(String, String)]) -> Option<String> {
    changed.iter().find_map(|(rel, text)| {
        let lang = Lang::from_path(Path::new(rel))?;
        let old = canary.read(rel).unwrap_or_default();
        check_parse(lang, &old, text).err().map(|err| {
            format!("with the agent's edit {rel} would parse worse ({err}); the edit was dropped")
        })
    })
}

/// The first line of the model's answer, at most 160 characters.
fn first_line(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    match line.char_indices().nth(160) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_owned(),
    }
}

/// The proposals of the agent's files (`package`-relative paths made absolute and shown
/// with `display`), each hunk labelled: a change the rules' proven text makes too keeps
/// the rules' label, any other the agent's.
pub fn proposals(
    package: &Path,
    files: &[AgentFile],
    rules_label: &dyn Fn(&str) -> &'static str,
    label: &'static str,
    display: &dyn Fn(&Path) -> String,
) -> Vec<Proposal> {
    let mut out = Vec::new();
    for f in files {
        let path = package.join(&f.file);
        let change = match f.original.as_deref() {
            None => Kind::Create {
                text: f.text.clone(),
            },
            Some(original) => {
                let Some(file_text) = FileText::from_bytes(original) else {
                    continue;
                };
                if file_text.text == f.text {
                    continue;
                }
                let edits = labelled(
                    &file_text.text,
                    f.rules_text.as_deref().map(|t| (t, rules_label(&f.file))),
                    &f.text,
                    label,
                );
                Kind::Modify {
                    on_disk: None,
                    file_text,
                    new_text: f.text.clone(),
                    edits,
                }
            }
        };
        out.push(Proposal {
            display: display(&path),
            path,
            change,
        });
    }
    out
}

/// The changed line regions of `old` in `new`, labelled: exactly as the rules changed
/// them (`rules`: their text and label) → the rules' label; overlapping a rules' change
/// → both; else the agent's.
pub fn labelled(
    old: &str,
    rules: Option<(&str, &'static str)>,
    new: &str,
    agent: &'static str,
) -> Vec<(Range<usize>, &'static str)> {
    let ops = |new: &str| -> Vec<(Range<usize>, String)> {
        let diff = similar::TextDiff::from_lines(old, new);
        let starts: Vec<usize> = std::iter::once(0)
            .chain(old.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let offset = |line: usize| starts.get(line).copied().unwrap_or(old.len());
        let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
        diff.ops()
            .iter()
            .filter(|op| op.tag() != similar::DiffTag::Equal)
            .map(|op| {
                let lines = op.old_range();
                let added = new_lines
                    .get(op.new_range())
                    .map(|l| l.concat())
                    .unwrap_or_default();
                (offset(lines.start)..offset(lines.end), added)
            })
            .collect()
    };
    let theirs = rules.map(|(text, _)| ops(text)).unwrap_or_default();
    let mut out = Vec::new();
    for (range, added) in ops(new) {
        let rule = rules.map(|(_, l)| l).unwrap_or(agent);
        if theirs.iter().any(|(r, a)| *r == range && *a == added) {
            out.push((range, rule));
            continue;
        }
        if theirs
            .iter()
            .any(|(r, _)| r.start <= range.end && range.start <= r.end)
        {
            out.push((range.clone(), rule));
        }
        out.push((range, agent));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_the_rules_made_keep_their_label_and_the_rest_are_the_agents() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let rules = "A\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "A\nb\nc\nd\ne\nf\nG\nh\n";
        let got = labelled(old, Some((rules, "done-callback")), new, "agent (x/y)");
        assert_eq!(got, vec![(0..2, "done-callback"), (12..14, "agent (x/y)")]);
        // The agent changed a line the rules changed too: both names.
        let new = "A2\nb\nc\nd\ne\nf\ng\nh\n";
        let got = labelled(old, Some((rules, "done-callback")), new, "agent (x/y)");
        assert_eq!(got, vec![(0..2, "done-callback"), (0..2, "agent (x/y)")]);
        assert_eq!(
            labelled(old, None, new, "agent (x/y)"),
            vec![(0..2, "agent (x/y)")]
        );
    }

    #[test]
    fn the_first_line_of_an_answer() {
        assert_eq!(first_line("\n  Fixed add.\nMore."), "Fixed add.");
        assert_eq!(first_line(&"x".repeat(200)).chars().count(), 161);
    }
}

//! The per-file fix pipeline: rules run to a fix point, the logger import is added once,
//! and the result must parse no worse than the input.
//!
//! Everything here is pure: text in, text and a record of what was done out. Reading,
//! writing and printing belong to the callers, so the same pipeline serves previews,
//! `--write`, `--check`, the fixture tests and (later) staged blobs in a pre-commit hook.

pub mod logger;

use std::ops::Range;
use std::path::Path;

use crate::config::{Config, ConsolePolicy};
use crate::edit::imports::{self, ImportSpec};
use crate::edit::{Changeset, Edit};
use crate::rules::LineIndex;
use crate::rules::Position;
use crate::rules::console::fix::{self as console_fix, Action, FixOptions};
use crate::rules::console::{lexical, tree};
use crate::syntax::{self, Lang};
use crate::workspace::Category;

pub use logger::{LoggerModule, LoggerTarget};

/// Rules re-run on their own output until nothing changes, at most this often (nested
/// calls such as `console.log(console.log(x))` take a second pass).
pub const MAX_PASSES: usize = 10;

/// One file to fix.
pub struct FileInput<'a> {
    /// Absolute path (imports are computed relative to it).
    pub path: &'a Path,
    pub lang: Lang,
    pub category: Category,
    /// The text after any byte-order mark.
    pub text: &'a str,
    /// `"\n"` or `"\r\n"`: what inserted lines end with.
    pub newline: &'a str,
}

/// What is shared by all files of a run.
pub struct FixContext<'a> {
    pub config: &'a Config,
    pub logger: &'a LoggerTarget,
    pub package_is_module: bool,
    /// Relative imports must name an extension (TypeScript under NodeNext/Node16).
    pub requires_extension: bool,
}

/// Why a file that had something to fix was left unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The logger's local name is already bound to something else in the file.
    NameTaken(String),
    /// The result had more ERROR/MISSING nodes than the input: a dash bug, never written.
    ParseRegression { before: usize, after: usize },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NameTaken(name) => {
                write!(
                    f,
                    "`{name}` is already bound to something else in this file; set [logger] in dash.toml or rename it"
                )
            }
            Refusal::ParseRegression { before, after } => write!(
                f,
                "the fixed file would parse worse ({after} syntax errors instead of {before}); left unchanged (a dash bug: please report it)"
            ),
        }
    }
}

/// A console call fixed or left for judgement, located in the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub position: Position,
    pub method: String,
    /// `Some` for fixed calls.
    pub action: Option<Action>,
    /// For calls that need judgement: why.
    pub reason: Option<&'static str>,
}

#[derive(Debug, Clone, Default)]
pub struct FileFix {
    pub new_text: String,
    pub fixed: Vec<CallRecord>,
    pub judgements: Vec<CallRecord>,
    /// Every applied edit as a range of the original text and its rule (for diffs).
    pub edits: Vec<(Range<usize>, &'static str)>,
    pub import_added: bool,
    pub refused: Option<Refusal>,
    pub passes: usize,
}

impl FileFix {
    fn unchanged(text: &str) -> FileFix {
        FileFix {
            new_text: text.to_owned(),
            ..FileFix::default()
        }
    }

    pub fn changed(&self, original: &str) -> bool {
        self.new_text != original
    }
}

impl Config {
    pub fn policy_for(&self, category: Category) -> ConsolePolicy {
        match category {
            Category::Production => self.console.production,
            Category::Tests => self.console.tests,
            Category::Scripts => self.console.scripts,
            Category::Examples => self.console.examples,
        }
    }
}

pub fn fix_file(input: &FileInput, ctx: &FixContext) -> FileFix {
    let original = input.text;
    let policy = ctx.config.policy_for(input.category);
    if policy == ConsolePolicy::Keep || is_logger_module(input.path, ctx.logger) {
        return FileFix::unchanged(original);
    }
    // The token finder proves most files have no console use at all (the word only in
    // comments, strings or property names); those are never parsed.
    if lexical::find(input.lang, original.as_bytes()).is_some_and(|uses| uses.is_empty()) {
        return FileFix::unchanged(original);
    }
    let Some(tree0) = syntax::parse(input.lang, original.as_bytes()) else {
        return FileFix::unchanged(original);
    };
    let scan0 = tree::find_in_tree(&tree0, original.as_bytes());
    if scan0.ignored_file || scan0.uses.is_empty() {
        return FileFix::unchanged(original);
    }
    let root0 = tree0.root_node();

    // The logger's name in this file: an existing import of it, or `logger`.
    let spec = ImportSpec {
        source: logger::specifier_for(
            ctx.logger,
            input.path,
            &imports::relative_specifiers(root0, original.as_bytes()),
            ctx.requires_extension,
        ),
        export: ctx.logger.export.clone(),
        local: "logger".to_owned(),
    };
    let existing = imports::existing_local(root0, original.as_bytes(), &spec);
    let name = existing.clone().unwrap_or_else(|| spec.local.clone());
    let other_bindings = tree::bindings_of(root0, original.as_bytes(), &name)
        .into_iter()
        .filter(|b| {
            !(b.import_source
                .as_deref()
                .is_some_and(|s| imports::same_module(s, &spec.source)))
        })
        .count();

    let options = FixOptions {
        policy,
        methods: &ctx.config.console.methods,
        style: ctx.logger.style,
        logger: &name,
    };

    let mut text = original.to_owned();
    let mut history: Vec<Vec<Edit>> = Vec::new();
    let mut fixed = Vec::new();
    let mut judgements = Vec::new();
    let mut uses_logger = false;
    let mut passes = 0;
    // The import is placed from the first tree and applied with the first pass: it sits
    // between top-level statements, where no console edit reaches, so one parse serves.
    let extension = input
        .path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    let mut import_edit = existing.is_none().then(|| {
        let system =
            imports::module_system(root0, original.as_bytes(), extension, ctx.package_is_module);
        imports::ensure(root0, original, &spec, system, input.newline)
    });
    let mut import_added = false;

    for _ in 0..MAX_PASSES {
        let parsed = if passes == 0 {
            Some(tree0.clone())
        } else {
            syntax::parse(input.lang, text.as_bytes())
        };
        let Some(tree_k) = parsed else { break };
        let scan = tree::find_in_tree(&tree_k, text.as_bytes());
        let result = console_fix::fix(tree_k.root_node(), &text, &scan.uses, &options);
        passes += 1;
        judgements = result
            .judgements
            .iter()
            .map(|j| (map_back(j.offset, &history), j.method.clone(), j.reason))
            .collect();
        if result.edits.is_empty() {
            break;
        }
        uses_logger |= result.uses_logger();
        let mut changeset: Changeset = result.edits.into_iter().collect();
        let import = if passes == 1 && uses_logger {
            import_edit.take().flatten()
        } else {
            None
        };
        if let Some(edit) = import.clone() {
            changeset.push(edit);
        }
        let applied = changeset.apply(&text);
        import_added |= import.is_some_and(|i| applied.applied.contains(&i));
        // A call whose edits were all dropped (it overlapped another) is fixed next pass.
        for f in &result.fixed {
            let kept = applied.applied.iter().any(|e| {
                e.range.start <= f.offset && f.offset < e.range.end.max(e.range.start + 1)
            });
            if kept {
                fixed.push((map_back(f.offset, &history), f.method.clone(), f.action));
            }
        }
        // Edits only touch console calls; when none was dropped, no call is left that a
        // further pass would fix, so the fix point is reached without parsing again.
        let fixed_point = applied.dropped.is_empty();
        text = applied.text;
        history.push(applied.applied);
        if fixed_point {
            break;
        }
    }
    if uses_logger && other_bindings > 0 {
        let mut refused = FileFix::unchanged(original);
        refused.refused = Some(Refusal::NameTaken(name));
        return refused;
    }

    // The logger is called but its import did not go in with the first pass (only when
    // the first pass used no logger): place it on the final text.
    if uses_logger
        && existing.is_none()
        && !import_added
        && let Some(tree_n) = syntax::parse(input.lang, text.as_bytes())
    {
        let system = imports::module_system(
            tree_n.root_node(),
            text.as_bytes(),
            extension,
            ctx.package_is_module,
        );
        if let Some(edit) = imports::ensure(tree_n.root_node(), &text, &spec, system, input.newline)
        {
            let applied = Changeset::from_iter([edit]).apply(&text);
            import_added = !applied.applied.is_empty();
            text = applied.text;
            history.push(applied.applied);
        }
    }

    // Nothing lost: the result must parse no worse than the input.
    // When every edit went in with one pass, the first tree is reused (an incremental
    // parse of the edited regions); otherwise the result is parsed afresh.
    let validation = match history.as_slice() {
        [single] => crate::edit::check_parse_edited(input.lang, original, &tree0, single, &text),
        _ => crate::edit::check_parse(input.lang, original, &text),
    };
    if let Err(regression) = validation {
        let mut refused = FileFix::unchanged(original);
        refused.refused = Some(Refusal::ParseRegression {
            before: regression.before,
            after: regression.after,
        });
        return refused;
    }

    let edits = history
        .iter()
        .enumerate()
        .flat_map(|(pass, edits)| {
            let earlier = &history[..pass];
            edits.iter().map(move |e| {
                let start = map_back(e.range.start, earlier);
                let end = map_back(e.range.end, earlier).max(start);
                (start..end, e.rule)
            })
        })
        .collect();

    let mut lines = LineIndex::new(original.as_bytes());
    let mut locate = |records: Vec<(usize, String, Option<Action>, Option<&'static str>)>| {
        let mut records = records;
        records.sort_by_key(|r| r.0);
        records
            .into_iter()
            .map(|(offset, method, action, reason)| CallRecord {
                position: lines.position(offset),
                method,
                action,
                reason,
            })
            .collect::<Vec<_>>()
    };
    let fixed = locate(
        fixed
            .into_iter()
            .map(|(o, m, a)| (o, m, Some(a), None))
            .collect(),
    );
    let mut lines = LineIndex::new(original.as_bytes());
    let mut judgement_records: Vec<_> = judgements.into_iter().collect();
    judgement_records.sort_by_key(|j| j.0);
    let judgements = judgement_records
        .into_iter()
        .map(|(o, method, reason)| CallRecord {
            position: lines.position(o),
            method,
            action: None,
            reason: Some(reason),
        })
        .collect();
    FileFix {
        new_text: text,
        fixed,
        judgements,
        edits,
        import_added,
        refused: None,
        passes,
    }
}

fn is_logger_module(path: &Path, logger: &LoggerTarget) -> bool {
    match &logger.module {
        LoggerModule::File(module) => module == path,
        LoggerModule::Specifier(_) => false,
    }
}

/// Maps an offset in the text after the passes in `history` back to the original text.
/// An offset inside replaced text maps to the start of what it replaced.
fn map_back(mut offset: usize, history: &[Vec<Edit>]) -> usize {
    for edits in history.iter().rev() {
        let mut shift: isize = 0;
        let mut mapped = None;
        for e in edits {
            let new_start = (e.range.start as isize + shift) as usize;
            if offset < new_start {
                break;
            }
            if offset < new_start + e.replacement.len() {
                mapped = Some(e.range.start);
                break;
            }
            shift += e.replacement.len() as isize - e.range.len() as isize;
        }
        offset = mapped.unwrap_or((offset as isize - shift) as usize);
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_back_through_passes() {
        let pass1 = vec![
            Edit::replace(0..7, "logger", "x"),
            Edit::insert(10, "abc", "x"),
        ];
        // original: "console.x(1)..." → "logger.x(1" + "abc" ...
        assert_eq!(map_back(0, std::slice::from_ref(&pass1)), 0);
        assert_eq!(map_back(6, std::slice::from_ref(&pass1)), 7); // just past the replacement
        assert_eq!(map_back(3, std::slice::from_ref(&pass1)), 0); // inside it
        assert_eq!(map_back(9, std::slice::from_ref(&pass1)), 9 + 1); // inside the insertion → 10
        assert_eq!(map_back(12, std::slice::from_ref(&pass1)), 10);
        assert_eq!(map_back(13, std::slice::from_ref(&pass1)), 11);
    }
}

//! The per-file fix driver, the same for every rule: rules run to a fix point, their
//! fixes are applied whole or not at all, the imports they ask for are added once in the
//! file's own style, and the result must parse no worse than the input.
//!
//! Everything here is pure: text in, text and a record of what was done out. Reading,
//! writing and printing belong to the callers, so the same driver serves previews,
//! `--write`, `--check`, the fixture tests and staged blobs in the pre-commit hook.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use super::Prepared;
use super::scan::apply_suppressions;
use crate::edit::imports;
use crate::edit::{Changeset, Edit};
use crate::rules::suppress;
use crate::rules::{
    Applicability, Emit, FileCx, Fix, ImportRequest, LineIndex, Position, Quick, Resolution,
};
use crate::syntax;

/// Rules re-run on their own output until nothing changes, at most this often (nested
/// calls such as `console.log(console.log(x))` take a second pass).
pub const MAX_PASSES: usize = 10;

/// Up to this many edits, validation reparses incrementally from the first tree.
const INCREMENTAL_EDITS: usize = 256;

/// What a run lets the driver apply.
#[derive(Debug, Clone, Copy, Default)]
pub struct FixOptions {
    /// Apply unsafe fixes too (`--unsafe-fixes`).
    pub unsafe_fixes: bool,
    /// The quotes and semicolons the project declares, for the imports fixes add.
    pub style: crate::edit::style::Declared,
}

/// Why a file that had something to fix was left unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A rule refused the file (console: the logger's name is taken).
    Rule { rule: &'static str, reason: String },
    /// The result had more ERROR/MISSING nodes than the input: a dash bug, never written.
    ParseRegression { before: usize, after: usize },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Rule { reason, .. } => f.write_str(reason),
            Refusal::ParseRegression { before, after } => write!(
                f,
                "the fixed file would parse worse ({after} syntax errors instead of {before}); left unchanged (a dash bug: please report it)"
            ),
        }
    }
}

/// A finding fixed, left for judgement or left with its fix unapplied, located in the
/// original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub rule: &'static str,
    pub group: String,
    pub position: Position,
    /// For fixed findings: what the fix did.
    pub action: Option<&'static str>,
    pub applicability: Option<Applicability>,
    /// For findings not fixed: why.
    pub reason: Option<Cow<'static, str>>,
}

#[derive(Debug, Clone, Default)]
pub struct FileFix {
    pub new_text: String,
    pub fixed: Vec<Record>,
    /// Findings whose fix needs a person (or the agent).
    pub judgements: Vec<Record>,
    /// Findings with an unsafe fix that this run did not apply (`--unsafe-fixes`), and
    /// findings that are reported only.
    pub unfixed: Vec<Record>,
    /// Every applied edit as a range of the original text and its rule (for diffs).
    pub edits: Vec<(Range<usize>, &'static str)>,
    pub imports_added: usize,
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

    fn refused(text: &str, refusal: Refusal) -> FileFix {
        FileFix {
            refused: Some(refusal),
            ..FileFix::unchanged(text)
        }
    }

    pub fn changed(&self, original: &str) -> bool {
        self.new_text != original
    }
}

/// A record before it is located: (offset in the original, rule, group, action,
/// applicability, reason).
pub(super) type Pending = (
    usize,
    &'static str,
    String,
    Option<&'static str>,
    Option<Applicability>,
    Option<Cow<'static, str>>,
);

/// Fixes one file with `rules` (those that apply to it and whose needles it contains).
///
/// `candidates` are the rules that apply to the file's category; those whose needles the
/// text contains run, and a rule whose needle a fix brings in (a `spyOn` that
/// prefer-spy-on writes, which restore-spies must then see) joins on the next pass, so
/// one run reaches the fix point a second run would.
pub fn fix_file(file: &FileCx<'_>, candidates: &[&Prepared], options: &FixOptions) -> FileFix {
    let original = file.text;
    // A big file is fixed from its tokens when that is certain (see `large`).
    if original.len() >= super::large::LARGE_FILE
        && super::large::enabled()
        && let Some(fix) = super::large::fix(file, candidates, options)
    {
        return fix;
    }
    let has_needle = |p: &Prepared, text: &str| {
        p.meta
            .needles
            .iter()
            .any(|n| memchr::memmem::find(text.as_bytes(), n.as_bytes()).is_some())
    };
    // A fast path that proves a rule has nothing here spares the parse.
    let mut rules: Vec<&Prepared> = candidates
        .iter()
        .copied()
        .filter(|p| has_needle(p, original))
        .filter(|p| !matches!(p.rule.quick(file), Quick::Decided(found) if found.is_empty()))
        .collect();
    if rules.is_empty() {
        return FileFix::unchanged(original);
    }
    let Some(tree0) = syntax::parse(file.lang, original.as_bytes()) else {
        return FileFix::unchanged(original);
    };
    let extension = file.path.extension().and_then(|e| e.to_str()).unwrap_or("");

    let mut text = original.to_owned();
    let mut history: Vec<Pass> = Vec::new();
    let mut fixed: Vec<Pending> = Vec::new();
    let mut judgements: Vec<Pending> = Vec::new();
    let mut unfixed: Vec<Pending> = Vec::new();
    let mut imports_added = 0;
    let mut passes = 0;
    // Imports that applied fixes need and that are not in the text yet.
    let mut pending_imports: Vec<ImportRequest> = Vec::new();

    for _ in 0..MAX_PASSES {
        let parsed = if passes == 0 {
            Some(tree0.clone())
        } else {
            syntax::parse(file.lang, text.as_bytes())
        };
        let Some(tree) = parsed else { break };
        let cx = FileCx {
            text: &text,
            ..*file
        };
        let mut emit = Emit::new();
        let matches = crate::rules::TreeMatches::new(
            crate::rules::queries(),
            cx.lang,
            &tree,
            text.as_bytes(),
        );
        for prepared in &rules {
            prepared.rule.check(&cx, &tree, &matches, &mut emit);
        }
        passes += 1;
        if let Some(reason) = emit.refusal.take() {
            let rule = emit.findings.first().map_or("", |f| f.rule);
            return FileFix::refused(original, Refusal::Rule { rule, reason });
        }
        let found = if memchr::memmem::find(text.as_bytes(), suppress::MARKER).is_some() {
            let suppressions = suppress::in_tree(tree.root_node(), text.as_bytes());
            apply_suppressions(text.as_bytes(), emit.findings, &suppressions)
        } else {
            emit.findings
        };

        // Judgements and unapplied fixes are those of the last pass.
        judgements.clear();
        unfixed.clear();
        let rules_fixing = rules_fixing(&found);
        let mut fixes = Vec::new();
        sort_findings(
            found,
            options,
            |offset| map_back(offset, &history),
            &mut fixes,
            &mut judgements,
            &mut unfixed,
        );

        let (accepted, deferred_fixes) = accept_whole(fixes);
        let mut changeset: Changeset = accepted
            .iter()
            .flat_map(|(_, _, _, fix)| fix.edits.iter().cloned())
            .collect();
        // The imports of the accepted fixes, each once. At most one per module and pass:
        // a second name from the same module is merged into the first one's statement on
        // the next pass.
        // Each import with the first offset that uses it (a `require` must come before).
        let mut requests: Vec<(ImportRequest, Option<usize>)> =
            std::mem::take(&mut pending_imports)
                .into_iter()
                .map(|r| (r, None))
                .collect();
        for (_, _, _, fix) in &accepted {
            let at = fix.edits.iter().map(|e| e.range.start).min();
            for request in &fix.imports {
                match requests.iter_mut().find(|(r, _)| r == &**request) {
                    Some((_, first)) => {
                        *first = match (*first, at) {
                            (Some(a), Some(b)) => Some(a.min(b)),
                            (a, b) => a.or(b),
                        }
                    }
                    None => requests.push((ImportRequest::clone(request), at)),
                }
            }
        }
        let mut modules = BTreeMap::new();
        for (request, first_use) in requests {
            let root = tree.root_node();
            if imports::existing_local(root, text.as_bytes(), &request.spec).is_some() {
                continue;
            }
            if modules.contains_key(&request.spec.source) {
                pending_imports.push(request);
                continue;
            }
            let system =
                imports::module_system(root, text.as_bytes(), extension, request.package_is_module);
            if let Some(edit) = imports::ensure(
                root,
                &text,
                &request.spec,
                system,
                file.newline,
                first_use,
                options.style,
            ) {
                changeset.push(edit.clone());
                modules.insert(request.spec.source.clone(), (request, edit));
            }
        }
        if changeset.is_empty() {
            break;
        }
        let applied = changeset.apply(&text);
        for (request, edit) in modules.values() {
            if applied.applied.contains(edit) {
                imports_added += 1;
            } else {
                // Dropped (it overlapped a fix's edit): placed again on the next text.
                pending_imports.push(request.clone());
            }
        }
        for (start, rule, group, fix) in accepted {
            if fix.edits.iter().all(|e| !applied.dropped.contains(e)) {
                fixed.push((
                    map_back(start, &history),
                    rule,
                    group,
                    Some(fix.action),
                    Some(fix.applicability),
                    None,
                ));
            }
        }
        // When nothing was deferred and one rule fixed, no finding is left that a further
        // pass would fix (fixes only touch their findings); with several rules, one's fix
        // may create work for another, so the next pass confirms the fix point.
        let fixed_point = applied.dropped.is_empty()
            && !deferred_fixes
            && pending_imports.is_empty()
            && rules_fixing <= 1
            && rules.len() == 1;
        text = applied.text;
        history.push(Pass::new(applied.applied));
        let before = rules.len();
        for candidate in candidates {
            if !rules.iter().any(|r| std::ptr::eq(*r, *candidate)) && has_needle(candidate, &text) {
                rules.push(candidate);
            }
        }
        let fixed_point = fixed_point && rules.len() == before;
        if fixed_point {
            break;
        }
    }

    if !pending_imports.is_empty() {
        // A fix went in but a name it uses could not be imported: never written.
        let names: Vec<&str> = pending_imports
            .iter()
            .map(|r| r.spec.local.as_str())
            .collect();
        return FileFix::refused(
            original,
            Refusal::Rule {
                rule: "import",
                reason: format!(
                    "the import of {} could not be placed within {MAX_PASSES} passes; left unchanged (a dash bug: please report it)",
                    names.join(", ")
                ),
            },
        );
    }
    if history.is_empty() {
        let mut unchanged = FileFix::unchanged(original);
        unchanged.passes = passes;
        unchanged.judgements = locate(original, judgements);
        unchanged.unfixed = locate(original, unfixed);
        return unchanged;
    }
    // Nothing lost: the result must parse no worse than the input. When every edit went
    // in with one pass, the first tree is reused (an incremental parse of the edited
    // regions); otherwise the result is parsed afresh.
    // (Each `Tree::edit` scans the children of the nodes it passes, so thousands of
    // edits in one long block would be quadratic: then a fresh parse is cheaper.)
    // The original's errors are counted on the first tree, which is dropped before the
    // fresh parse: two trees of a big file alive at once would double the peak memory.
    let validation = match history.as_slice() {
        [single] if single.edits.len() <= INCREMENTAL_EDITS => {
            crate::edit::check_parse_edited(file.lang, original, &tree0, &single.edits, &text)
        }
        _ => {
            let before = syntax::error_count(&tree0);
            drop(tree0);
            crate::edit::check_parse_against(file.lang, before, &text)
        }
    };
    if let Err(regression) = validation {
        return FileFix::refused(
            original,
            Refusal::ParseRegression {
                before: regression.before,
                after: regression.after,
            },
        );
    }

    let edits = history
        .iter()
        .enumerate()
        .flat_map(|(pass, applied)| {
            let earlier = &history[..pass];
            applied.edits.iter().map(move |e| {
                let start = map_back(e.range.start, earlier);
                let end = map_back(e.range.end, earlier).max(start);
                (start..end, e.rule)
            })
        })
        .collect();
    FileFix {
        new_text: text,
        fixed: locate(original, fixed),
        judgements: locate(original, judgements),
        unfixed: locate(original, unfixed),
        edits,
        imports_added,
        refused: None,
        passes,
    }
}

/// A fix this run applies: its finding's offset in the pass's text, rule, group, and the
/// fix.
pub(super) type Candidate = (usize, &'static str, String, Fix);

/// How many rules have a fix among `found` (applied or not).
pub(super) fn rules_fixing(found: &[crate::rules::Finding]) -> usize {
    found
        .iter()
        .filter(|f| matches!(f.resolution, Resolution::Fix(_)))
        .map(|f| f.rule)
        .collect::<BTreeSet<_>>()
        .len()
}

/// Sorts one pass's findings by what becomes of them: the fixes this run applies (the
/// safe ones, and with `--unsafe-fixes` the unsafe ones, whose edits then say so in
/// previews), and records of the rest (judgements; unsafe fixes left, and reports), each
/// at the original offset `at` gives.
pub(super) fn sort_findings(
    found: Vec<crate::rules::Finding>,
    options: &FixOptions,
    at: impl Fn(usize) -> usize,
    fixes: &mut Vec<Candidate>,
    judgements: &mut Vec<Pending>,
    unfixed: &mut Vec<Pending>,
) {
    for f in found {
        let located = at(f.range.start);
        match f.resolution {
            Resolution::Fix(fix) if fix.applicability == Applicability::Safe => {
                fixes.push((f.range.start, f.rule, f.group.into_owned(), fix));
            }
            Resolution::Fix(mut fix) if options.unsafe_fixes => {
                let label = unsafe_label(f.rule);
                for edit in &mut fix.edits {
                    edit.rule = label;
                }
                fixes.push((f.range.start, f.rule, f.group.into_owned(), fix));
            }
            Resolution::Fix(fix) => unfixed.push((
                located,
                f.rule,
                f.group.into_owned(),
                None,
                Some(fix.applicability),
                Some(Cow::Borrowed(
                    "unsafe fix available: run with --unsafe-fixes",
                )),
            )),
            Resolution::Judgement(reason) => judgements.push((
                located,
                f.rule,
                f.group.into_owned(),
                None,
                None,
                Some(reason),
            )),
            Resolution::Report => unfixed.push((
                located,
                f.rule,
                f.group.into_owned(),
                None,
                None,
                Some(f.message),
            )),
        }
    }
}

/// `"<rule> (unsafe)"`, the label of an unsafe fix's edits in previews; one string per
/// rule for the life of the process.
pub(super) fn unsafe_label(rule: &'static str) -> &'static str {
    static LABELS: std::sync::Mutex<BTreeMap<&'static str, &'static str>> =
        std::sync::Mutex::new(BTreeMap::new());
    let mut labels = LABELS.lock().expect("labels");
    labels
        .entry(rule)
        .or_insert_with(|| Box::leak(format!("{rule} (unsafe)").into_boxed_str()))
}

/// A fix is applied whole or not at all: fixes are taken in order of their first edit,
/// and one that overlaps an edit already taken waits for the next pass (when the text
/// has changed under it). Returns the accepted fixes and whether any waits.
#[allow(clippy::type_complexity)]
pub(super) fn accept_whole(
    mut fixes: Vec<(usize, &'static str, String, Fix)>,
) -> (Vec<(usize, &'static str, String, Fix)>, bool) {
    fixes.sort_by_key(|(_, _, _, fix)| fix.edits.iter().map(|e| e.range.start).min());
    let mut taken: BTreeSet<(usize, usize)> = BTreeSet::new();
    let mut accepted = Vec::with_capacity(fixes.len());
    let mut deferred = false;
    for fix in fixes {
        if fix.3.edits.iter().any(|e| clashes(&taken, &e.range)) {
            deferred = true;
            continue;
        }
        taken.extend(fix.3.edits.iter().map(|e| (e.range.start, e.range.end)));
        accepted.push(fix);
    }
    (accepted, deferred)
}

/// Whether `r` clashes with a taken range: two replacements that overlap, or an
/// insertion strictly inside a replacement. Insertions at a replacement's boundary, and
/// several insertions at one point, do not clash (the changeset applies them in order).
fn clashes(taken: &BTreeSet<(usize, usize)>, r: &Range<usize>) -> bool {
    let clash = |t: &Range<usize>| match (r.is_empty(), t.is_empty()) {
        (true, true) => false,
        (true, false) => t.start < r.start && r.start < t.end,
        (false, true) => r.start < t.start && t.start < r.end,
        (false, false) => r.start < t.end && t.start < r.end,
    };
    // Taken replacements are disjoint, so walking down from the last range that starts
    // before `r` ends, the first replacement that starts before `r` decides the rest.
    for &(start, end) in taken.range(..(r.end.max(r.start + 1), 0)).rev() {
        let t = start..end;
        if clash(&t) {
            return true;
        }
        if start < r.start && !t.is_empty() {
            return false;
        }
    }
    false
}

pub(super) fn locate(original: &str, mut records: Vec<Pending>) -> Vec<Record> {
    records.sort_by_key(|r| r.0);
    let mut lines = LineIndex::new(original.as_bytes());
    records
        .into_iter()
        .map(
            |(offset, rule, group, action, applicability, reason)| Record {
                rule,
                group,
                position: lines.position(offset),
                action,
                applicability,
                reason,
            },
        )
        .collect()
}

/// The edits one pass applied (in text order, disjoint), with where each landed in the
/// pass's new text, so an offset maps back through the pass by binary search: a record
/// per finding mapped by walking every edit would make many-edit files quadratic.
struct Pass {
    edits: Vec<Edit>,
    /// For each edit, the end of its replacement in the new text (non-decreasing).
    new_ends: Vec<usize>,
    /// For each edit, the length change of the edits before it.
    shift_before: Vec<isize>,
}

impl Pass {
    fn new(edits: Vec<Edit>) -> Pass {
        let mut shift: isize = 0;
        let mut new_ends = Vec::with_capacity(edits.len());
        let mut shift_before = Vec::with_capacity(edits.len());
        for e in &edits {
            shift_before.push(shift);
            new_ends.push((e.range.start as isize + shift) as usize + e.replacement.len());
            shift += e.replacement.len() as isize - e.range.len() as isize;
        }
        Pass {
            edits,
            new_ends,
            shift_before,
        }
    }

    /// The offset in the pass's old text of `offset` in its new text; an offset inside a
    /// replacement maps to the start of what it replaced.
    fn map_back(&self, offset: usize) -> usize {
        // The first edit whose replacement ends after `offset`: the edits before it lie
        // wholly before `offset`, so their shift applies.
        let i = self.new_ends.partition_point(|&end| end <= offset);
        match self.edits.get(i) {
            Some(e) if offset >= (e.range.start as isize + self.shift_before[i]) as usize => {
                e.range.start
            }
            _ => {
                let shift = match i {
                    0 => 0,
                    _ => {
                        let e = &self.edits[i - 1];
                        self.shift_before[i - 1] + e.replacement.len() as isize
                            - e.range.len() as isize
                    }
                };
                (offset as isize - shift) as usize
            }
        }
    }
}

/// Maps an offset in the text after the passes in `history` back to the original text.
/// An offset inside replaced text maps to the start of what it replaced.
fn map_back(mut offset: usize, history: &[Pass]) -> usize {
    for pass in history.iter().rev() {
        offset = pass.map_back(offset);
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The walk over every edit that [`Pass::map_back`] replaces, kept as its oracle.
    fn map_back_by_walking(mut offset: usize, history: &[Vec<Edit>]) -> usize {
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

    #[test]
    fn offsets_map_back_through_passes() {
        let pass1 = vec![
            Edit::replace(0..7, "logger", "x"),
            Edit::insert(10, "abc", "x"),
        ];
        let history = [Pass::new(pass1.clone())];
        // original: "console.x(1)..." → "logger.x(1" + "abc" ...
        assert_eq!(map_back(0, &history), 0);
        assert_eq!(map_back(6, &history), 7); // just past the replacement
        assert_eq!(map_back(3, &history), 0); // inside it
        assert_eq!(map_back(9, &history), 9 + 1); // inside the insertion → 10
        assert_eq!(map_back(12, &history), 10);
        assert_eq!(map_back(13, &history), 11);
    }

    #[test]
    fn binary_search_maps_as_the_walk_does() {
        // Replacements, deletions, insertions (two at one point), at the start and end,
        // over two passes.
        let pass1 = vec![
            Edit::insert(0, "ab", "x"),
            Edit::replace(2..5, "q", "x"),
            Edit::delete(7..9, "x"),
            Edit::insert(12, "x", "x"),
            Edit::insert(12, "yz", "x"),
            Edit::replace(12..15, "", "x"),
            Edit::replace(18..20, "long text", "x"),
        ];
        let pass2 = vec![
            Edit::delete(0..1, "x"),
            Edit::replace(5..6, "uv", "x"),
            Edit::insert(20, "w", "x"),
        ];
        let walked = [pass1.clone(), pass2.clone()];
        let searched = [Pass::new(pass1), Pass::new(pass2)];
        for offset in 0..40 {
            for n in 0..=2 {
                assert_eq!(
                    map_back(offset, &searched[..n]),
                    map_back_by_walking(offset, &walked[..n]),
                    "offset {offset} through {n} passes"
                );
            }
        }
    }

    /// A rule for the driver's own tests: `needsA()` becomes `a()` and needs `a` from
    /// `lib`, likewise `needsB()`.
    struct NeedsImports;

    static NEEDS_META: crate::rules::RuleMeta = crate::rules::RuleMeta {
        id: "needs-imports",
        summary: "",
        explanation: "",
        needles: &["needs"],
        langs: crate::rules::ALL_LANGS,
        categories: &crate::workspace::Category::ALL,
        query: None,
        fix: crate::rules::FixAvailability::Always,
        needs: crate::rules::Needs::Source,
        group_label: "",
        help: "",
    };

    impl crate::rules::FileRule for NeedsImports {
        fn check(
            &self,
            file: &FileCx<'_>,
            _tree: &tree_sitter::Tree,
            _matches: &crate::rules::TreeMatches,
            out: &mut Emit,
        ) {
            for (at, _) in file.text.match_indices("needs") {
                let name = &file.text[at + 5..at + 6].to_lowercase();
                let request = ImportRequest {
                    spec: crate::edit::imports::ImportSpec {
                        source: "lib".into(),
                        export: name.clone(),
                        local: name.clone(),
                        child: None,
                    },
                    package_is_module: true,
                };
                out.finding(crate::rules::Finding {
                    rule: "needs-imports",
                    group: Cow::Borrowed(""),
                    range: at..at + 6,
                    message: Cow::Borrowed(""),
                    resolution: Resolution::Fix(
                        Fix::safe("x", vec![Edit::replace(at..at + 6, name.as_str(), "t")])
                            .with_import(Some(std::sync::Arc::new(request))),
                    ),
                });
            }
        }
    }

    #[test]
    fn imports_of_applied_fixes_are_all_placed_and_merged() {
        let prepared = Prepared {
            meta: &NEEDS_META,
            rule: Box::new(NeedsImports),
        };
        let text = "import { z } from 'lib';\n\nneedsA();\nneedsB();\n";
        let path = std::path::Path::new("/p/src/x.ts");
        let file = FileCx {
            path,
            lang: crate::syntax::Lang::TypeScript,
            category: crate::workspace::Category::Production,
            text,
            newline: "\n",
        };
        let fix = fix_file(&file, &[&prepared], &FixOptions::default());
        assert_eq!(fix.refused, None);
        assert_eq!(
            fix.new_text,
            "import { a, b, z } from 'lib';\n\na();\nb();\n"
        );
        assert_eq!(fix.imports_added, 2);
        assert_eq!(fix.fixed.len(), 2);
    }

    fn fix(edits: &[(Range<usize>, &str)]) -> (usize, &'static str, String, Fix) {
        let edits = edits
            .iter()
            .map(|(r, t)| Edit::replace(r.clone(), *t, "t"))
            .collect();
        (0, "t", String::new(), Fix::safe("t", edits))
    }

    #[test]
    fn fixes_are_taken_whole_or_deferred() {
        // The second fix's later edit overlaps the first: the whole second fix waits.
        let (accepted, deferred) = accept_whole(vec![
            fix(&[(0..5, "a")]),
            fix(&[(10..12, "b"), (3..4, "c")]),
            fix(&[(20..20, "d"), (21..22, "e")]),
        ]);
        assert!(deferred);
        assert_eq!(accepted.len(), 2);
        // Insertions at the boundaries of a replacement, and two insertions at one point,
        // do not clash.
        let (accepted, deferred) = accept_whole(vec![
            fix(&[(5..5, "x")]),
            fix(&[(5..9, "y")]),
            fix(&[(9..9, "z")]),
            fix(&[(9..9, "w")]),
        ]);
        assert!(!deferred);
        assert_eq!(accepted.len(), 4);
        // An insertion strictly inside a replacement clashes.
        let (accepted, deferred) = accept_whole(vec![fix(&[(0..10, "y")]), fix(&[(4..4, "x")])]);
        assert!(deferred);
        assert_eq!(accepted.len(), 1);
    }
}

//! Rules turn source text into findings and fixes. Rules never read or write files and
//! never print: they get a file's text (and its tree) and speak only through [`Emit`].
//!
//! A rule is a [`RuleMeta`] (what `dash rules` prints, what the prefilter looks for,
//! which categories it applies to, its tree-sitter query) plus a [`Rule`] that prepares a
//! per-run [`FileRule`] from the configuration. The engine (`crate::engine`) does
//! everything rule-agnostic: the prefilter, parsing once per pass, suppression comments,
//! the fix point, imports and validation. Adding a rule is one folder here, one line in
//! [`RULES`], one query under `queries/` and its fixtures.

pub mod suppress;
pub mod testing;

use std::borrow::Cow;
use std::ops::Range;
use std::path::Path;

use tree_sitter::Tree;

use crate::config::{Config, ConfigError};
use crate::edit::Edit;
use crate::edit::imports::ImportSpec;
use crate::syntax::Lang;
pub use crate::syntax::query::{QuerySet, TreeMatches};
use crate::workspace::Category;

pub use crate::syntax::lines::{LineIndex, Position};

/// Declares each rule's module and lists it in [`RULES`]: a rule is one line here.
macro_rules! registry {
    ($($vis:vis $module:ident :: $rule:ident,)*) => {
        $($vis mod $module;)*

        /// Every rule dash knows, in the order `dash rules` lists them.
        pub static RULES: &[&dyn Rule] = &[$(&$module::$rule),*];
    };
}

registry! {
    pub console::Console,
    await_async_expect::AwaitAsyncExpect,
    done_callback::DoneCallback,
    restore_spies::RestoreSpies,
    prefer_spy_on::PreferSpyOn,
    mock_factory_hoisting::MockFactoryHoisting,
    focused_test::FocusedTest,
}

/// The rule with this id.
pub fn by_id(id: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.meta().id == id)
}

/// Every rule's query, compiled together per grammar (see [`crate::syntax::query`]).
pub fn queries() -> &'static QuerySet {
    static QUERIES: std::sync::OnceLock<QuerySet> = std::sync::OnceLock::new();
    QUERIES.get_or_init(|| {
        QuerySet::new(
            RULES
                .iter()
                .filter_map(|r| {
                    let meta = r.meta();
                    Some((meta.id, meta.query?, meta.langs))
                })
                .collect(),
        )
    })
}

/// Whether a rule's fix exists, as `dash rules` shows it (ruff's `FixAvailability`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FixAvailability {
    /// Findings only.
    None,
    /// Some findings have a fix; the rest need judgement.
    Sometimes,
    /// Every finding has a fix.
    Always,
}

/// What a rule needs besides source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Needs {
    /// Source text only: runs in `scan`, `fix` and the hook.
    Source,
    /// Observed test failures: runs under `dash test` only.
    TestFailures,
}

/// Everything about a rule that does not depend on a run: what `dash rules` prints, the
/// SARIF `rules` array, the prefilter needles, and the default scope.
#[derive(Debug)]
pub struct RuleMeta {
    /// Kebab-case id: `--rules`, `dash-ignore: id`, `[rules]`, SARIF `ruleId`.
    pub id: &'static str,
    /// One line: `dash rules`, SARIF `shortDescription`.
    pub summary: &'static str,
    /// Markdown with the sections `## What it does`, `## Why it matters`,
    /// `## Fix safety` and `## Example` (checked by a test).
    pub explanation: &'static str,
    /// A file containing none of these bytes cannot have a finding: it is never parsed.
    pub needles: &'static [&'static str],
    /// Grammars the rule runs on.
    pub langs: &'static [Lang],
    /// The categories it applies to unless `[rules]` says otherwise.
    pub categories: &'static [Category],
    /// The tree-sitter query (`queries/<id>.scm`), compiled once per language.
    pub query: Option<&'static str>,
    pub fix: FixAvailability,
    pub needs: Needs,
    /// What a finding's `group` names in reports ("method" for console, "shape" …).
    pub group_label: &'static str,
    /// What to do about a finding, in one line (GitHub annotations, SARIF `help`).
    pub help: &'static str,
}

/// The body of the `## {title}` section of a rule's explanation (empty if absent).
pub fn section<'e>(explanation: &'e str, title: &str) -> &'e str {
    let heading = format!("## {title}\n");
    let Some(at) = explanation.find(&heading) else {
        return "";
    };
    let body = &explanation[at + heading.len()..];
    body[..body.find("\n## ").unwrap_or(body.len())].trim()
}

/// Every grammar dash parses.
pub const ALL_LANGS: &[Lang] = &[Lang::TypeScript, Lang::Tsx, Lang::JavaScript];

/// Whether a run only reports (scan, hook) or also fixes (fix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Scan,
    Fix,
}

/// What a rule may look at when it prepares for a run.
pub struct RunCx<'a> {
    pub config: &'a Config,
    pub mode: Mode,
    /// The project the run is about: where package.json, tsconfig and dash.toml live.
    pub root: &'a Path,
    /// `scan --exact`: no byte-level shortcuts, every candidate file is parsed.
    pub exact: bool,
    /// `dash fix`: the production modules whose console calls the run's tests spy on
    /// (found by a pre-pass over the test files, `console::spies`).
    pub console_spies: Option<&'a std::sync::Arc<console::spies::ConsoleSpies>>,
}

/// A rule: its metadata, and how it prepares for a run.
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    /// Once per run: reads the rule's options and the project facts it needs.
    #[allow(
        clippy::result_large_err,
        reason = "configuration errors carry the file's text to point into it; once per run"
    )]
    fn prepare(&self, cx: &RunCx<'_>) -> Result<Box<dyn FileRule>, ConfigError>;
}

/// One file as a rule sees it.
pub struct FileCx<'a> {
    /// Absolute path (imports are computed relative to it).
    pub path: &'a Path,
    pub lang: Lang,
    pub category: Category,
    /// The text after any byte-order mark (in a fix, the text of the current pass).
    pub text: &'a str,
    /// `"\n"` or `"\r\n"`: what inserted lines end with.
    pub newline: &'a str,
}

/// The head of a file too big to parse whole (`engine::large`): a prefix that ends at a
/// top-level statement boundary after every import, every export that names a module,
/// every top-level `require` and at least a few statements, parsed. Every node of it is
/// the node a parse of the whole file would have, at the same offsets.
pub struct Head<'a> {
    pub tree: &'a Tree,
    /// `text[..len]` is what was parsed.
    pub len: usize,
}

/// The answer of a rule's byte-level fast path.
pub enum Quick {
    /// The findings, decided without a tree (in a fix: only an empty answer is trusted).
    Decided(Vec<Finding>),
    /// A tree is needed; optionally where and why the fast path declined (for `-v`).
    NeedsTree(Option<(usize, &'static str)>),
}

/// A rule prepared for one run.
pub trait FileRule: Send + Sync {
    /// Whether the rule has anything to do in this file at all (a `keep` policy, the
    /// logger module itself): files it declines cost nothing.
    fn applies(&self, _file: &FileCx<'_>) -> bool {
        true
    }
    /// How many findings the rule leaves as they are by policy in a file it does not
    /// apply to (console's `keep`), for the summary.
    fn kept(&self, _file: &FileCx<'_>) -> usize {
        0
    }
    /// A byte-level fast path (console's token finder); by default a tree is needed.
    fn quick(&self, _file: &FileCx<'_>) -> Quick {
        Quick::NeedsTree(None)
    }
    /// Findings, fixes, judgements, imports or a refusal for one parsed file.
    /// `matches` holds the tree's matches of every rule's query (`matches.of(id)`).
    fn check(&self, file: &FileCx<'_>, tree: &Tree, matches: &TreeMatches, out: &mut Emit);
    /// The token path for big files (`engine::large`): exactly what [`FileRule::check`]
    /// would emit on the whole file's tree, computed from the file's tokens and the tree
    /// of its [`Head`]; `None` when the rule cannot be certain of that (the file then
    /// takes the tree path). By default every file takes the tree path.
    fn check_tokens(&self, _file: &FileCx<'_>, _head: &Head<'_>) -> Option<Emit> {
        None
    }
    /// Files the rule proposes to create for the files whose applied fixes of this rule
    /// need them (console: each package's new logger module): `(absolute path, text)`.
    fn new_files(&self, _users: &[&Path]) -> Vec<(std::path::PathBuf, String)> {
        Vec::new()
    }
}

/// How sure a fix is (ruff's applicability): safe fixes are applied by `dash fix
/// --write`; unsafe ones only with `--unsafe-fixes`, because they can change behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    Unsafe,
    Safe,
}

/// A fix: edits applied together or not at all, and the imports they need (added only
/// when the fix is applied, once per file, merged with the file's own imports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub edits: Vec<Edit>,
    pub applicability: Applicability,
    /// What the fix does, as reports name it ("rewrite", "remove", "await", …).
    pub action: &'static str,
    /// Shared: a rule gives every fix of a file the same request (a big file has hundreds
    /// of thousands of fixes).
    pub imports: Vec<std::sync::Arc<ImportRequest>>,
}

impl Fix {
    pub fn safe(action: &'static str, edits: Vec<Edit>) -> Fix {
        Fix {
            edits,
            applicability: Applicability::Safe,
            action,
            imports: Vec::new(),
        }
    }

    pub fn unsafe_(action: &'static str, edits: Vec<Edit>) -> Fix {
        Fix {
            edits,
            applicability: Applicability::Unsafe,
            action,
            imports: Vec::new(),
        }
    }

    /// The fix also needs `request` (when given) in the file.
    pub fn with_import(mut self, request: Option<std::sync::Arc<ImportRequest>>) -> Fix {
        self.imports.extend(request);
        self
    }
}

/// What becomes of a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Reported only.
    Report,
    Fix(Fix),
    /// Left as it is, with the reason a person (or the agent) must decide.
    Judgement(Cow<'static, str>),
}

/// One finding in a file's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    /// The finding's kind within its rule (console: the method).
    pub group: Cow<'static, str>,
    /// Where it is; its start decides the line (suppressions, reports).
    pub range: Range<usize>,
    pub message: Cow<'static, str>,
    pub resolution: Resolution,
}

/// The only way a rule speaks: findings (with their fixes, which carry the imports they
/// need, or judgements) and a refusal of the whole file.
#[derive(Debug, Default)]
pub struct Emit {
    pub(crate) findings: Vec<Finding>,
    pub(crate) refusal: Option<String>,
}

/// An import a fix needs, and the module system decision's inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRequest {
    pub spec: ImportSpec,
    /// The package is `"type": "module"` (decides `import` vs `require` in `.js` files
    /// without either).
    pub package_is_module: bool,
}

impl Emit {
    pub fn new() -> Emit {
        Emit::default()
    }

    pub fn finding(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    /// Nothing in this file may be changed, for `reason`.
    pub fn refuse(&mut self, reason: impl Into<String>) {
        self.refusal.get_or_insert_with(|| reason.into());
    }

    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }
}

#[cfg(test)]
mod registry_tests;

//! The console rule behind the engine's [`Rule`] trait: its metadata, the scan (token
//! finder first, the tree where it declines) and the fix (policy per category, the
//! logger's name and import, the logger module to create).

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tree_sitter::Tree;

use super::fix::{self as console_fix, Action, FixOptions};
use super::logger::{self, LoggerModule, LoggerTarget};
use super::packages::{Package, Packages};
use super::{ConsoleUse, RULE_ID, Usage, lexical, tokens, tree};
use crate::config::{Config, ConfigError, ConsolePolicy, LoggerSource, LoggerStyle};
use crate::edit::imports::{self, ChildLogger, ImportSpec};
use crate::rules::{
    ALL_LANGS, Emit, FileCx, FileRule, Finding, Fix, FixAvailability, ImportRequest, Mode, Needs,
    Head, Quick, Resolution, Rule, RuleMeta, RunCx, TreeMatches};
use crate::workspace::Category;

pub struct Console;

static META: RuleMeta = RuleMeta {
    id: RULE_ID,
    summary: "console.* calls that should go through the project's logger, or not exist",
    explanation: include_str!("explanation.md"),
    needles: &["console"],
    langs: ALL_LANGS,
    categories: &Category::ALL,
    query: None,
    fix: FixAvailability::Sometimes,
    needs: Needs::Source,
    group_label: "method",
    help: "`dash fix` rewrites it per the [console] policy",
};

impl Rule for Console {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn prepare(&self, cx: &RunCx<'_>) -> Result<Box<dyn FileRule>, ConfigError> {
        Ok(match cx.mode {
            Mode::Scan => Box::new(ConsoleScan),
            Mode::Fix => Box::new(ConsoleFixer {
                spies: cx.console_spies.cloned(),
                ..ConsoleFixer::new(cx.config, cx.root)
            }),
        })
    }
}

/// Scanning: every call of the global console is a finding.
struct ConsoleScan;

impl FileRule for ConsoleScan {
    fn quick(&self, file: &FileCx<'_>) -> Quick {
        match lexical::decide(file.lang, file.text.as_bytes()) {
            Ok(uses) => Quick::Decided(findings(file, &uses)),
            Err(why) => Quick::NeedsTree(Some(why)),
        }
    }

    fn check(
        &self,
        file: &FileCx<'_>,
        tree: &Tree,
        _matches: &TreeMatches,
        out: &mut Emit,
    ) {
        let scan = tree::find_in_tree(tree, file.text.as_bytes());
        if scan.ignored_file {
            return;
        }
        for finding in findings(file, &scan.uses) {
            out.finding(finding);
        }
    }
}

fn findings(file: &FileCx<'_>, uses: &[ConsoleUse]) -> Vec<Finding> {
    uses.iter()
        .filter(|u| u.usage == Usage::Call)
        .map(|u| Finding {
            rule: RULE_ID,
            group: Cow::Owned(u.method_name().to_owned()),
            range: u.start..u.callee_end,
            message: Cow::Owned(format!(
                "console.{} in {} code",
                u.method_name(),
                file.category.name()
            )),
            resolution: Resolution::Report,
        })
        .collect()
}

/// Fixing: what each call becomes under its category's policy, with the logger of the
/// file's package.
pub struct ConsoleFixer {
    config: Config,
    loggers: Loggers,
    /// Production modules whose console calls the run's tests spy on.
    spies: Option<std::sync::Arc<super::spies::ConsoleSpies>>,
}

/// Where each file's logger comes from.
enum Loggers {
    /// Looked up per package, each specifier resolved from its file.
    PerPackage(Box<Packages>),
    /// One logger given by the caller for every file (property tests), unresolved.
    Fixed {
        logger: LoggerTarget,
        package_is_module: bool,
        requires_extension: bool,
    },
}

/// The logger facts of one file: its package's, or the fixed ones.
struct FileLogger<'a> {
    fixer: &'a ConsoleFixer,
    package: Option<Arc<Package>>,
}

impl FileLogger<'_> {
    /// The package's own dash.toml when it has a valid one, else the run's.
    fn config(&self) -> &Config {
        match &self.package {
            Some(package) => package.config.as_ref().unwrap_or(&self.fixer.config),
            None => &self.fixer.config,
        }
    }

    fn logger(&self) -> &LoggerTarget {
        match (&self.package, &self.fixer.loggers) {
            (Some(package), _) => &package.logger,
            (None, Loggers::Fixed { logger, .. }) => logger,
            (None, Loggers::PerPackage(_)) => unreachable!("a per-package file has its package"),
        }
    }

    fn package_is_module(&self) -> bool {
        match (&self.package, &self.fixer.loggers) {
            (Some(package), _) => package.is_module,
            (None, Loggers::Fixed { package_is_module, .. }) => *package_is_module,
            (None, Loggers::PerPackage(_)) => false,
        }
    }

    fn requires_extension(&self) -> bool {
        match (&self.package, &self.fixer.loggers) {
            (Some(package), _) => package.requires_extension,
            (None, Loggers::Fixed { requires_extension, .. }) => *requires_extension,
            (None, Loggers::PerPackage(_)) => false,
        }
    }
}

impl ConsoleFixer {
    pub fn new(config: &Config, root: &Path) -> ConsoleFixer {
        ConsoleFixer {
            config: config.clone(),
            loggers: Loggers::PerPackage(Box::new(Packages::new(config, root))),
            spies: None,
        }
    }

    /// With one logger and module facts resolved by the caller (property tests, callers
    /// that discovered the logger themselves); its specifiers are not resolved.
    pub fn with_logger(
        config: &Config,
        logger: LoggerTarget,
        package_is_module: bool,
        requires_extension: bool,
    ) -> ConsoleFixer {
        ConsoleFixer {
            config: config.clone(),
            loggers: Loggers::Fixed {
                logger,
                package_is_module,
                requires_extension,
            },
            spies: None,
        }
    }

    fn for_file(&self, path: &Path) -> FileLogger<'_> {
        FileLogger {
            fixer: self,
            package: match &self.loggers {
                Loggers::Fixed { .. } => None,
                Loggers::PerPackage(packages) => Some(packages.of(path)),
            },
        }
    }

    fn policy(&self, file: &FileCx<'_>) -> ConsolePolicy {
        policy_for(self.for_file(file.path).config(), file.category)
    }
}

/// What a file's child logger calls its module: the file's path in its package, without
/// the extension, a leading `src/`, `lib/` or `source/`, or a trailing `/index`
/// (`src/routes/orders.ts` → `routes/orders`).
fn module_label(package_root: Option<&Path>, file: &Path) -> String {
    let relative = package_root
        .and_then(|root| {
            file.strip_prefix(root).ok().map(Path::to_path_buf).or_else(|| {
                let file = crate::rules::console::packages::canonical(file);
                file.strip_prefix(root).ok().map(Path::to_path_buf)
            })
        })
        .unwrap_or_else(|| PathBuf::from(file.file_name().unwrap_or_default()));
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.last_mut()
        && let Some((stem, _)) = last.rsplit_once('.')
        && !stem.is_empty()
    {
        *last = stem.to_owned();
    }
    if parts.len() > 1 && matches!(parts[0].as_str(), "src" | "lib" | "source") {
        parts.remove(0);
    }
    if parts.len() > 1 && parts.last().is_some_and(|l| l == "index") {
        parts.pop();
    }
    parts.join("/")
}

/// Whether the logger has a `child` method: pino's and winston's do, as does the logger
/// dash creates; a module of the project's own must define one.
fn supports_child(logger: &LoggerTarget) -> bool {
    if matches!(logger.style, LoggerStyle::Pino | LoggerStyle::Winston) {
        return true;
    }
    let defines_child = |text: &str| {
        text.match_indices("child").any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + 5..].trim_start().chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$')
                && matches!(after, Some('(' | ':' | '='))
        })
    };
    match (&logger.create, &logger.module) {
        (Some(text), _) => defines_child(text),
        (None, LoggerModule::File(path)) => {
            std::fs::read_to_string(path).is_ok_and(|text| defines_child(&text))
        }
        (None, LoggerModule::Specifier(_)) => false,
    }
}

fn is_logger_module(logger: &LoggerTarget, path: &Path) -> bool {
    match &logger.module {
        LoggerModule::File(module) => {
            module == path || crate::rules::console::packages::canonical(path) == *module
        }
        LoggerModule::Specifier(_) => false,
    }
}

/// What the console rule does with calls in each category.
pub fn policy_for(config: &Config, category: Category) -> ConsolePolicy {
    match category {
        Category::Production => config.console.production,
        Category::Tests => config.console.tests,
        Category::Scripts => config.console.scripts,
        Category::Examples => config.console.examples,
        Category::Browser => config.console.browser,
    }
}

impl FileRule for ConsoleFixer {
    fn applies(&self, file: &FileCx<'_>) -> bool {
        let facts = self.for_file(file.path);
        policy_for(facts.config(), file.category) != ConsolePolicy::Keep
            && !is_logger_module(facts.logger(), file.path)
    }

    fn kept(&self, file: &FileCx<'_>) -> usize {
        if self.policy(file) == ConsolePolicy::Keep {
            super::scan(file.lang, file.text.as_bytes(), false)
                .uses
                .len()
        } else {
            0
        }
    }

    /// The token finder proves most files have no console use at all (the word only in
    /// comments, strings or property names); those are never parsed.
    fn quick(&self, file: &FileCx<'_>) -> Quick {
        match lexical::find(file.lang, file.text.as_bytes()) {
            Some(uses) if uses.is_empty() => Quick::Decided(Vec::new()),
            _ => Quick::NeedsTree(None),
        }
    }

    fn check(
        &self,
        file: &FileCx<'_>,
        tree: &Tree,
        _matches: &TreeMatches,
        out: &mut Emit,
    ) {
        let source = file.text.as_bytes();
        let scan = tree::find_in_tree(tree, source);
        if scan.ignored_file || scan.uses.is_empty() {
            return;
        }
        let root = tree.root_node();
        let _complete = self.emit_fix(
            file,
            root,
            |options| Some(console_fix::fix(root, file.text, &scan.uses, options)),
            |name| Some(crate::syntax::scope::bindings_of(root, source, name)),
            out,
        );
    }

    /// The logger modules to create: those of the packages whose files' applied fixes
    /// call them.
    fn new_files(&self, users: &[&Path]) -> Vec<(PathBuf, String)> {
        let mut out: Vec<(PathBuf, String)> = Vec::new();
        let mut wanted = |logger: &LoggerTarget| {
            if let (Some(text), LoggerModule::File(path)) = (&logger.create, &logger.module)
                && !out.iter().any(|(p, _)| p == path)
            {
                out.push((path.clone(), text.clone()));
            }
        };
        match &self.loggers {
            Loggers::Fixed { logger, .. } if !users.is_empty() => wanted(logger),
            Loggers::Fixed { .. } => {}
            Loggers::PerPackage(packages) => {
                for user in users {
                    wanted(&packages.of(user).logger);
                }
            }
        }
        out.sort();
        out
    }

    /// Only the `logger` policy is answered from tokens (`remove` needs the statement
    /// around each call); see [`tokens`] for what declines a file.
    fn check_tokens(&self, file: &FileCx<'_>, head: &Head<'_>) -> Option<Emit> {
        if self.policy(file) != ConsolePolicy::Logger {
            return None;
        }
        let mut out = Emit::new();
        let root = head.tree.root_node();
        let (head_text, tail) = file.text.as_bytes().split_at(head.len);
        self.emit_fix(
            file,
            root,
            |options| {
                // Each use is decided as it is read: a big file's uses and their
                // arguments are never all held at once.
                let mut fixes = console_fix::ConsoleFix::default();
                tokens::scan_each(file.lang, file.text, |u| {
                    console_fix::fix_from_tokens(file.text, u, options, &mut fixes)
                })
                .ok()?;
                // Nothing to fix: the tree path's own fast path (`quick`) answers that.
                (!fixes.fixed.is_empty() || !fixes.judgements.is_empty()).then_some(fixes)
            },
            |name| {
                tokens::only_members_of(tail, name)
                    .then(|| crate::syntax::scope::bindings_of(root, head_text, name))
            },
            &mut out,
        )?;
        Some(out)
    }
}

impl ConsoleFixer {
    /// The fix of one file's console uses, the same for the tree and the token path:
    /// `root` is the file's tree or its head's (every import, export with a module and
    /// top-level require is in it), `fix` the calls' edits and judgements under the
    /// options, `bindings` every declaration of a name in the file (`None`: not certain,
    /// which declines). Returns `None` only when declined.
    fn emit_fix(
        &self,
        file: &FileCx<'_>,
        root: tree_sitter::Node<'_>,
        fix: impl FnOnce(&FixOptions) -> Option<console_fix::ConsoleFix>,
        bindings: impl Fn(&str) -> Option<Vec<crate::syntax::scope::Binding>>,
        out: &mut Emit,
    ) -> Option<()> {
        let source = file.text.as_bytes();
        let facts = self.for_file(file.path);
        if let Some(Err(reason)) = facts.package.as_ref().map(|p| &p.config) {
            out.refuse(format!("the package's dash.toml cannot be used: {reason}"));
            return Some(());
        }
        let relative = imports::relative_specifiers(root, source);
        // The specifier this file imports the logger with, resolved as its runtime will;
        // without one, the calls that need the logger are left for judgement.
        let resolved = match &facts.package {
            Some(package) if package.logger_package.is_some() => Err(format!(
                "this package ({}) is a logger itself: its console calls are its output",
                package.logger_package.as_deref().unwrap_or_default()
            )),
            Some(package) => {
                let extension = file.path.extension().and_then(|e| e.to_str()).unwrap_or("");
                let esm = imports::module_system(root, source, extension, package.is_module)
                    == imports::ModuleSystem::Esm;
                package.specifier(file.path, esm, &relative)
            }
            None => Ok(logger::specifier_for(
                facts.logger(),
                file.path,
                &relative,
                facts.requires_extension(),
            )),
        };
        // The logger's name in this file: an existing import of it (or the file's child of
        // that import), or `logger` (under `[logger] source = "module"` the file's own
        // child of the logger imported as `rootLogger`).
        let child = (facts.config().logger.source == LoggerSource::Module).then(|| ChildLogger {
            name: "logger".to_owned(),
            module: module_label(facts.package.as_ref().map(|p| p.root.as_path()), file.path),
        });
        let spec = ImportSpec {
            source: resolved.clone().unwrap_or_default(),
            export: facts.logger().export.clone(),
            local: if child.is_some() { "rootLogger" } else { "logger" }.to_owned(),
            child,
        };
        let existing = resolved
            .is_ok()
            .then(|| imports::existing_local(root, source, &spec))
            .flatten();
        // Where the file's child of the logger is declared, when it has one.
        let (name, child_at) = match &existing {
            Some(local) => match spec
                .child
                .is_some()
                .then(|| imports::child_of(root, source, local))
                .flatten()
            {
                Some((child, at)) => (child, Some(at)),
                None => (local.clone(), None),
            },
            None => (
                spec.child.as_ref().map_or_else(|| spec.local.clone(), |c| c.name.clone()),
                None,
            ),
        };
        let options = FixOptions {
            policy: policy_for(facts.config(), file.category),
            methods: &facts.config().console.methods,
            style: facts.logger().style,
            logger: &name,
        };
        let mut result = fix(&options)?;
        out.findings
            .reserve(result.fixed.len() + result.judgements.len());
        if let Err(reason) = &resolved {
            // Nothing that needs the logger is written; removals need no import.
            let (rewrites, removals) = std::mem::take(&mut result.fixed)
                .into_iter()
                .partition::<Vec<_>, _>(|f| matches!(f.action, Action::Rewrite));
            result.fixed = removals;
            for fixed in rewrites {
                out.finding(Finding {
                    rule: RULE_ID,
                    group: Cow::Owned(fixed.method),
                    range: fixed.offset..fixed.offset + super::NEEDLE.len(),
                    message: Cow::Borrowed(""),
                    resolution: Resolution::Judgement(Cow::Owned(reason.clone())),
                });
            }
        }
        if result.uses_logger() && resolved.is_ok() {
            let declares_child = existing.is_none() && spec.child.is_some();
            if declares_child && !supports_child(facts.logger()) {
                out.refuse(format!(
                    "[logger] source = \"module\" declares a child of the logger per file, and {} has no `child` method; add one, or set source = \"none\"",
                    match &facts.logger().module {
                        LoggerModule::File(path) => facts
                            .package
                            .as_ref()
                            .and_then(|p| path.strip_prefix(&p.root).ok())
                            .unwrap_or(path)
                            .display()
                            .to_string(),
                        LoggerModule::Specifier(specifier) => specifier.clone(),
                    }
                ));
                return Some(());
            }
            // The names may only be bound by a value import of the logger's own export
            // (the one this fix adds, on a later pass) or by the file's child of it: a
            // default import of the same module (`import logger from …` while the export
            // is named), a type-only import, a namespace or enum or `declare` of that name
            // would all clash.
            let mut names = vec![name.clone()];
            if declares_child {
                names.push(spec.local.clone());
            }
            for checked in &names {
                let clash = bindings(checked)?
                    .into_iter()
                    .find(|b| {
                        let ours = b
                            .import_source
                            .as_deref()
                            .is_some_and(|s| imports::same_module(s, &spec.source))
                            && b.imported.as_deref() == Some(spec.export.as_str());
                        let our_child = Some(b.declared_at) == child_at;
                        !(ours || our_child) || b.type_only
                    });
                if let Some(binding) = clash {
                    out.refuse(if binding.type_only {
                        format!(
                            "`{checked}` is imported with `import type` here, so it has no value at run time; import it as a value (or set [logger] in dash.toml)"
                        )
                    } else {
                        format!(
                            "`{checked}` is already bound to something else in this file; set [logger] in dash.toml or rename it"
                        )
                    });
                    return Some(());
                }
            }
        }
        // Rewritten calls need the logger's import (unless the file has it already).
        let import = existing.is_none().then(|| {
            Arc::new(ImportRequest {
                spec,
                package_is_module: facts.package_is_module(),
            })
        });
        for fixed in result.fixed {
            // A test spies on this call's method and imports this module: it would fail.
            if let Some(spy) = self
                .spies
                .as_ref()
                .and_then(|s| s.watching(file.path, &fixed.method))
            {
                out.finding(Finding {
                    rule: RULE_ID,
                    group: Cow::Owned(fixed.method),
                    range: fixed.offset..fixed.offset + super::NEEDLE.len(),
                    message: Cow::Borrowed(""),
                    resolution: Resolution::Judgement(Cow::Owned(format!(
                        "{}:{} spies on console.{} and imports this module: the test would fail if this call changed",
                        spy.test, spy.line, spy.method
                    ))),
                });
                continue;
            }
            let (action, import) = match fixed.action {
                Action::Rewrite => ("rewrite", import.clone()),
                Action::Remove => ("remove", None),
            };
            out.finding(Finding {
                rule: RULE_ID,
                group: Cow::Owned(fixed.method),
                range: fixed.offset..fixed.offset + super::NEEDLE.len(),
                message: Cow::Borrowed(""),
                resolution: Resolution::Fix(Fix::safe(action, fixed.edits).with_import(import)),
            });
        }
        for judgement in result.judgements {
            out.finding(Finding {
                rule: RULE_ID,
                group: Cow::Owned(judgement.method),
                range: judgement.offset..judgement.offset + super::NEEDLE.len(),
                message: Cow::Borrowed(""),
                resolution: Resolution::Judgement(Cow::Borrowed(judgement.reason)),
            });
        }
        Some(())
    }

}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::module_label;

    #[test]
    fn a_module_is_named_by_its_path_in_the_package() {
        let root = Path::new("/repo/packages/api");
        let label = |file: &str| module_label(Some(root), &root.join(file));
        assert_eq!(label("src/routes/orders.ts"), "routes/orders");
        assert_eq!(label("src/db/index.js"), "db");
        assert_eq!(label("lib/server.mjs"), "server");
        assert_eq!(label("scripts/seed.cjs"), "scripts/seed");
        assert_eq!(label("index.ts"), "index");
        assert_eq!(label("src/index.ts"), "index");
        assert_eq!(label("src/a.b.test.ts"), "a.b.test");
        // Outside the package (or no package): the file's name.
        assert_eq!(module_label(None, Path::new("/x/y/z.ts")), "z");
    }
}

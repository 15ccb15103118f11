//! The console rule behind the engine's [`Rule`] trait: its metadata, the scan (token
//! finder first, the tree where it declines) and the fix (policy per category, the
//! logger's name and import, the logger module to create).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use tree_sitter::Tree;

use super::fix::{self as console_fix, Action, FixOptions};
use super::logger::{self, LoggerModule, LoggerTarget};
use super::{ConsoleUse, RULE_ID, Usage, lexical, tree};
use crate::config::{Config, ConfigError, ConsolePolicy};
use crate::edit::imports::{self, ImportSpec};
use crate::rules::{
    ALL_LANGS, Emit, FileCx, FileRule, Finding, Fix, FixAvailability, ImportRequest, Mode, Needs,
    Quick, Resolution, Rule, RuleMeta, RunCx, TreeMatches};
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

/// Fixing: what each call becomes under its category's policy, with the logger it calls.
pub struct ConsoleFixer {
    config: Config,
    logger: LoggerTarget,
    package_is_module: bool,
    /// Relative imports must name an extension (TypeScript under NodeNext/Node16).
    requires_extension: bool,
    /// Production modules whose console calls the run's tests spy on.
    spies: Option<std::sync::Arc<super::spies::ConsoleSpies>>,
}

impl ConsoleFixer {
    pub fn new(config: &Config, root: &Path) -> ConsoleFixer {
        ConsoleFixer {
            config: config.clone(),
            logger: logger::discover(config, root),
            package_is_module: logger::package_is_module(root),
            requires_extension: logger::project_requires_extensions(root),
            spies: None,
        }
    }

    /// With a logger and module facts resolved by the caller (property tests, callers
    /// that discovered the logger themselves).
    pub fn with_logger(
        config: &Config,
        logger: LoggerTarget,
        package_is_module: bool,
        requires_extension: bool,
    ) -> ConsoleFixer {
        ConsoleFixer {
            config: config.clone(),
            logger,
            package_is_module,
            requires_extension,
            spies: None,
        }
    }

    fn is_logger_module(&self, path: &Path) -> bool {
        match &self.logger.module {
            LoggerModule::File(module) => module == path,
            LoggerModule::Specifier(_) => false,
        }
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
        policy_for(&self.config, file.category) != ConsolePolicy::Keep
            && !self.is_logger_module(file.path)
    }

    fn kept(&self, file: &FileCx<'_>) -> usize {
        if policy_for(&self.config, file.category) == ConsolePolicy::Keep {
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
        // The logger's name in this file: an existing import of it, or `logger`.
        let spec = ImportSpec {
            source: logger::specifier_for(
                &self.logger,
                file.path,
                &imports::relative_specifiers(root, source),
                self.requires_extension,
            ),
            export: self.logger.export.clone(),
            local: "logger".to_owned(),
        };
        let existing = imports::existing_local(root, source, &spec);
        let name = existing.clone().unwrap_or_else(|| spec.local.clone());
        let options = FixOptions {
            policy: policy_for(&self.config, file.category),
            methods: &self.config.console.methods,
            style: self.logger.style,
            logger: &name,
        };
        let result = console_fix::fix(root, file.text, &scan.uses, &options);
        if result.uses_logger() {
            // The name may only be bound by a value import of the logger's own export
            // (the one this fix adds, on a later pass): a default import of the same
            // module (`import logger from …` while the export is named), a type-only
            // import, a namespace or enum or `declare` of that name would all clash.
            let clash = crate::syntax::scope::bindings_of(root, source, &name).into_iter().find(|b| {
                let ours = b
                    .import_source
                    .as_deref()
                    .is_some_and(|s| imports::same_module(s, &spec.source))
                    && b.imported.as_deref() == Some(spec.export.as_str());
                !ours || b.type_only
            });
            if let Some(binding) = clash {
                out.refuse(if binding.type_only {
                    format!(
                        "`{name}` is imported with `import type` here, so it has no value at run time; import it as a value (or set [logger] in dash.toml)"
                    )
                } else {
                    format!(
                        "`{name}` is already bound to something else in this file; set [logger] in dash.toml or rename it"
                    )
                });
                return;
            }
        }
        // Rewritten calls need the logger's import (unless the file has it already).
        let import = existing.is_none().then_some(ImportRequest {
            spec,
            package_is_module: self.package_is_module,
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
    }

    /// The logger module, when dash proposes one and some fix calls it.
    fn new_files(&self, used: bool) -> Vec<(PathBuf, String)> {
        match (&self.logger.create, &self.logger.module, used) {
            (Some(text), LoggerModule::File(path), true) => vec![(path.clone(), text.clone())],
            _ => Vec::new(),
        }
    }
}

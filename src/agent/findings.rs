//! dash's own findings as agent tools: `scan` (every finding under a path and what
//! `dash fix` does with it) and `judgements` (the ones it leaves for judgement). They
//! run the rules the way `dash fix` does (same configuration, categories, exclusions,
//! size limit, suppression comments), on the files as the agent's collected edits left
//! them, so the model can check its own work against the rules.

use std::path::Path;

use globset::GlobSet;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::config::Config;
use crate::edit::FileText;
use crate::engine::fix::{FixOptions, Record, fix_file};
use crate::engine::{self, Engine};
use crate::rules::{Applicability, FileCx, Mode, RunCx};
use crate::syntax::Lang;
use crate::workspace::category::{self, Categorizer};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ScanArgs {
    /// File or folder relative to the repository root (default: the root).
    pub path: Option<String>,
}

/// The rules of the repository's `dash.toml` (or the defaults), prepared once.
pub struct DashRules {
    config: Config,
    engine: Engine,
    categorizer: Categorizer,
    excludes: GlobSet,
}

impl std::fmt::Debug for DashRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashRules")
            .field("rules", &self.engine.rules.len())
            .finish_non_exhaustive()
    }
}

/// Which findings a tool lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    All,
    Judgements,
}

impl DashRules {
    /// Loads the configuration found from `root` and prepares every enabled rule for
    /// fixing (a bad `dash.toml` is the tool's error result, with the reason).
    pub fn load(root: &Path) -> Result<DashRules, String> {
        let config = Config::load(None, root).map_err(|e| format!("dash.toml: {e}"))?;
        let selected = engine::select(&config, None).map_err(|e| e.to_string())?;
        let project = crate::rules::console::logger::project_root(&config, root);
        let engine = Engine::prepare(
            &selected,
            &RunCx {
                config: &config,
                mode: Mode::Fix,
                root: &project,
                exact: false,
                console_spies: None,
            },
        )
        .map_err(|e| format!("dash.toml: {e}"))?;
        let categorizer = Categorizer::new(&config).map_err(|e| format!("dash.toml: {e}"))?;
        let excludes = category::compile(&config, &config.paths.exclude)
            .map_err(|e| format!("dash.toml: {e}"))?;
        Ok(DashRules {
            config,
            engine,
            categorizer,
            excludes,
        })
    }

    /// The findings in one file, as `path:line:column rule (group): what dash does`
    /// lines. `rel` is repository-relative, `abs` its path, `text` its content as the
    /// agent sees it.
    pub fn check(&self, rel: &str, abs: &Path, text: &str, which: Which) -> Vec<String> {
        let Some(lang) = Lang::from_path(abs) else {
            return Vec::new();
        };
        if self.excludes.is_match(rel) || text.len() as u64 > self.config.limits.max_file_size {
            return Vec::new();
        }
        let Some(file_text) = FileText::from_bytes(text.as_bytes()) else {
            return Vec::new();
        };
        let cx = FileCx {
            path: abs,
            lang,
            category: self.categorizer.categorize(rel),
            text: &file_text.text,
            newline: file_text.ending.as_str(),
        };
        // Unsafe fixes included: the list says what each finding's fix is.
        let fix = fix_file(
            &cx,
            &self.engine.fix_candidates(&cx),
            &FixOptions {
                unsafe_fixes: true,
                ..FixOptions::default()
            },
        );
        let line = |r: &Record, what: String| {
            format!(
                "{rel}:{}:{} {} ({}): {what}",
                r.position.line, r.position.column, r.rule, r.group
            )
        };
        let reason = |r: &Record| r.reason.as_deref().unwrap_or("").to_owned();
        let mut out: Vec<(u32, u32, String)> = Vec::new();
        let mut push = |r: &Record, what: String| {
            out.push((r.position.line, r.position.column, line(r, what)));
        };
        for r in &fix.judgements {
            push(r, format!("needs judgement: {}", reason(r)));
        }
        if which == Which::All {
            for r in &fix.fixed {
                let safety = match r.applicability {
                    Some(Applicability::Unsafe) => "unsafe fix",
                    _ => "fix",
                };
                push(r, format!("{safety}: {}", r.action.unwrap_or("change")));
            }
            for r in &fix.unfixed {
                push(r, format!("not fixed: {}", reason(r)));
            }
            if let Some(refusal) = &fix.refused {
                out.push((
                    0,
                    0,
                    format!("{rel}: dash fix leaves this file as it is: {refusal}"),
                ));
            }
        }
        out.sort();
        out.into_iter().map(|(_, _, l)| l).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_say_what_dash_fix_does_with_each() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("package.json"),
            "{ \"name\": \"p\", \"type\": \"module\" }\n",
        )
        .unwrap();
        let rules = DashRules::load(dir.path()).unwrap();
        let text = "export function f() {\n  console.trace('a');\n  console.log('b');\n}\n";
        let abs = dir.path().join("src/a.ts");
        let all = rules.check("src/a.ts", &abs, text, Which::All);
        assert_eq!(all.len(), 2, "{all:?}");
        assert!(
            all[0].starts_with("src/a.ts:2:3 console (trace): needs judgement: console.trace"),
            "{all:?}"
        );
        assert_eq!(all[1], "src/a.ts:3:3 console (log): fix: rewrite");
        let judged = rules.check("src/a.ts", &abs, text, Which::Judgements);
        assert_eq!(judged.len(), 1);
        // Not a source file: nothing.
        assert!(
            rules
                .check("a.md", &dir.path().join("a.md"), text, Which::All)
                .is_empty()
        );
    }
}

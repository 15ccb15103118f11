//! The rule-agnostic drivers: which rules run ([`select`]), preparing them once per run
//! ([`Engine::prepare`]), the one prefilter for all of them (an Aho-Corasick automaton
//! over the union of their needles), and the two per-file loops built on it: [`scan`]
//! (findings) and [`fix`] (the fix point, imports, validation).
//!
//! Many rules must cost no more than one: a file is read once, searched once for every
//! needle of the rules that apply to its category, and parsed at most once per fix pass;
//! a file matching no needle is never tokenized or parsed.

pub mod fix;
pub mod large;
pub mod scan;

use aho_corasick::{AhoCorasick, MatchKind};
use miette::Diagnostic;
use thiserror::Error;

use crate::config::{Config, ConfigError};
use crate::rules::{FileCx, FileRule, Needs, RULES, Rule, RuleMeta, RunCx};
use crate::syntax::Lang;
use crate::workspace::Category;
use crate::workspace::source::{self, Candidate};

/// The most rules one run can hold (a bit each in the prefilter's answer).
const MAX_RULES: usize = 64;

#[derive(Debug, Error, Diagnostic)]
pub enum SelectError {
    #[error("unknown rule `{0}`")]
    #[diagnostic(
        code(dash::rules::unknown),
        help("`dash rules` lists every rule id: {known}", known = known_ids())
    )]
    Unknown(String),
}

fn known_ids() -> String {
    RULES
        .iter()
        .map(|r| r.meta().id)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rules a run uses: `--rules` when given, else `[rules] enable` (default: every
/// rule), minus `[rules] disable`; rules that need observed test failures only run under
/// `dash test`.
pub fn select(
    config: &Config,
    requested: Option<&[String]>,
) -> Result<Vec<&'static dyn Rule>, SelectError> {
    let mut selected = Vec::new();
    match requested.or(config.rules.enable.as_deref()) {
        Some(ids) => {
            for id in ids {
                let rule =
                    crate::rules::by_id(id).ok_or_else(|| SelectError::Unknown(id.clone()))?;
                if !selected
                    .iter()
                    .any(|r: &&dyn Rule| r.meta().id == rule.meta().id)
                {
                    selected.push(rule);
                }
            }
            // The registry's order, whatever order they were named in.
            selected.sort_by_key(|r| RULES.iter().position(|x| x.meta().id == r.meta().id));
        }
        None => selected.extend(RULES.iter().copied()),
    }
    selected.retain(|r| {
        r.meta().needs == Needs::Source && !config.rules.disable.iter().any(|d| d == r.meta().id)
    });
    Ok(selected)
}

/// One rule ready for a run.
pub struct Prepared {
    pub meta: &'static RuleMeta,
    pub rule: Box<dyn FileRule>,
}

/// The prepared rules of a run and their shared prefilter.
pub struct Engine {
    pub rules: Vec<Prepared>,
    /// Every needle of every rule; pattern `i` belongs to rule `needle_rule[i]`.
    needles: Option<AhoCorasick>,
    needle_rule: Vec<usize>,
}

impl Engine {
    /// Prepares `rules` for one run (each reads its options and the project facts).
    #[allow(
        clippy::result_large_err,
        reason = "configuration errors carry the file's text to point into it; once per run"
    )]
    pub fn prepare(rules: &[&'static dyn Rule], cx: &RunCx<'_>) -> Result<Engine, ConfigError> {
        assert!(
            rules.len() <= MAX_RULES,
            "at most {MAX_RULES} rules per run"
        );
        let mut prepared = Vec::with_capacity(rules.len());
        let mut patterns = Vec::new();
        let mut needle_rule = Vec::new();
        for (index, rule) in rules.iter().enumerate() {
            let meta = rule.meta();
            for needle in meta.needles {
                patterns.push(*needle);
                needle_rule.push(index);
            }
            prepared.push(Prepared {
                meta,
                rule: rule.prepare(cx)?,
            });
        }
        let needles = (!patterns.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(&patterns)
                .expect("rule needles are plain strings")
        });
        Ok(Engine {
            rules: prepared,
            needles,
            needle_rule,
        })
    }

    /// The rules (as bits) that apply to files of this category and language.
    pub fn wanted(&self, category: Category, lang: Lang) -> u64 {
        self.rules
            .iter()
            .enumerate()
            .filter(|(_, p)| p.meta.categories.contains(&category) && p.meta.langs.contains(&lang))
            .fold(0, |bits, (i, _)| bits | 1 << i)
    }

    /// Which of the `wanted` rules have a needle in `bytes` (one pass; it stops as soon as
    /// every wanted rule is found).
    pub fn probe(&self, bytes: &[u8], wanted: u64) -> u64 {
        let Some(needles) = &self.needles else {
            return 0;
        };
        if wanted == 0 {
            return 0;
        }
        let mut hits = 0;
        for m in needles.find_iter(bytes) {
            hits |= 1 << self.needle_rule[m.pattern().as_usize()];
            if hits & wanted == wanted {
                break;
            }
        }
        hits & wanted
    }

    /// The prepared rules whose bits are set.
    pub fn rules_in(&self, bits: u64) -> impl Iterator<Item = &Prepared> {
        self.rules
            .iter()
            .enumerate()
            .filter(move |(i, _)| bits & (1 << i) != 0)
            .map(|(_, p)| p)
    }

    /// Reads a file for the rules that apply to it (see [`source::read_candidate`]).
    pub fn load(
        &self,
        file: &crate::workspace::SourceFile,
        limit: u64,
    ) -> std::io::Result<Candidate> {
        let wanted = self.wanted(file.category, file.lang);
        source::read_candidate(&file.path, &file.source, limit, |bytes| {
            self.probe(bytes, wanted)
        })
    }

    /// Classifies bytes already read for `file` (a staged blob) as [`Engine::load`] does.
    pub fn candidate(
        &self,
        file: &crate::workspace::SourceFile,
        bytes: Vec<u8>,
        limit: u64,
    ) -> Candidate {
        let wanted = self.wanted(file.category, file.lang);
        source::candidate(bytes, limit, |bytes| self.probe(bytes, wanted))
    }

    /// The rules a fix of `file` starts from: every rule of its category and grammar
    /// that has something to do in it. The fix driver runs those whose needles the text
    /// holds, and lets the others join when a fix brings their needle in.
    pub fn fix_candidates<'e>(&'e self, file: &FileCx<'_>) -> Vec<&'e Prepared> {
        self.applicable(self.wanted(file.category, file.lang), file)
    }

    /// Of the rules in `bits`, those that have something to do in `file`.
    pub fn applicable<'e>(&'e self, bits: u64, file: &FileCx<'_>) -> Vec<&'e Prepared> {
        self.rules_in(bits)
            .filter(|p| p.rule.applies(file))
            .collect()
    }
}

//! `dash rules`: every rule with its summary, default categories and fix availability;
//! `dash rules ID` prints one rule's explanation (like `ruff rule`).

use std::io::Write;

use serde::Serialize;

use super::{Exit, GlobalArgs};
use crate::engine::SelectError;
use crate::rules::{FixAvailability, RULES, RuleMeta};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
#[command(after_help = concat!(
    "Examples:\n  dash rules\n  dash rules focused-test\n  dash rules -q    ids only\n\n",
    "Exit codes:\n  0  done\n  2  unknown rule id"
))]
pub struct RulesArgs {
    /// A rule id: print its explanation.
    pub id: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Serialize)]
struct RuleRow {
    id: &'static str,
    summary: &'static str,
    categories: Vec<&'static str>,
    fix: FixAvailability,
    /// The prefilter: a file containing none of these is never parsed for this rule.
    needles: &'static [&'static str],
    #[serde(skip_serializing_if = "Option::is_none")]
    explanation: Option<&'static str>,
}

fn row(meta: &'static RuleMeta, explain: bool) -> RuleRow {
    RuleRow {
        id: meta.id,
        summary: meta.summary,
        categories: meta.categories.iter().map(|c| c.name()).collect(),
        fix: meta.fix,
        needles: meta.needles,
        explanation: explain.then_some(meta.explanation),
    }
}

fn fix_label(fix: FixAvailability) -> &'static str {
    match fix {
        FixAvailability::None => "no fix",
        FixAvailability::Sometimes => "fix sometimes",
        FixAvailability::Always => "fix always",
    }
}

pub fn run(args: &RulesArgs, global: &GlobalArgs) -> miette::Result<Exit> {
    let mut out = std::io::stdout().lock();
    let text = match &args.id {
        Some(id) => {
            let rule = crate::rules::by_id(id).ok_or_else(|| SelectError::Unknown(id.clone()))?;
            let meta = rule.meta();
            match args.format {
                Format::Json => json(&row(meta, true)),
                Format::Text => format!(
                    "# {} ({})\n\n{}\n\nApplies to: {}\n\n{}\n",
                    meta.id,
                    fix_label(meta.fix),
                    meta.summary,
                    meta.categories
                        .iter()
                        .map(|c| c.name())
                        .collect::<Vec<_>>()
                        .join(", "),
                    meta.explanation.trim_end()
                ),
            }
        }
        None => match args.format {
            Format::Json => json(
                &RULES
                    .iter()
                    .map(|r| row(r.meta(), false))
                    .collect::<Vec<_>>(),
            ),
            // Quiet: the ids, one a line (for scripts: `--rules`, `[rules]`).
            Format::Text if global.quiet => {
                RULES.iter().map(|r| format!("{}\n", r.meta().id)).collect()
            }
            Format::Text => {
                let width = RULES.iter().map(|r| r.meta().id.len()).max().unwrap_or(0);
                let mut text = String::new();
                for rule in RULES {
                    let meta = rule.meta();
                    let categories = if meta.categories.len() == 4 {
                        "all code".to_owned()
                    } else {
                        meta.categories
                            .iter()
                            .map(|c| c.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    text.push_str(&format!(
                        "{:<width$}  {:<13}  {:<10}  {}\n",
                        meta.id,
                        fix_label(meta.fix),
                        categories,
                        meta.summary
                    ));
                }
                text.push_str("\n`dash rules ID` explains one rule.\n");
                text
            }
        },
    };
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    Ok(Exit::Clean)
}

fn json(value: &impl Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("rules serialize");
    text.push('\n');
    text
}

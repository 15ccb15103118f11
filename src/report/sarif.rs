//! `--format sarif`: SARIF 2.1.0, for code-scanning dashboards.

use serde_json::{Value, json};

use super::ScanReport;
use crate::workspace::Category;

pub fn render(report: &ScanReport) -> String {
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "ruleId": f.rule,
                "level": if f.category == Category::Production { "warning" } else { "note" },
                "message": { "text": f.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.path },
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": f.end_line,
                            "endColumn": f.end_column,
                        }
                    }
                }],
                "properties": { "category": f.category.name(), "group": f.group },
            })
        })
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": { "text": e.message },
                "locations": [{ "physicalLocation": { "artifactLocation": { "uri": e.path } } }],
            })
        })
        .collect();
    // The rules that ran, described from the registry.
    let rules: Vec<Value> = report
        .rules
        .iter()
        .filter_map(|id| crate::rules::by_id(id))
        .map(|rule| {
            let meta = rule.meta();
            json!({
                "id": meta.id,
                "name": camel_case(meta.id),
                "shortDescription": { "text": meta.summary },
                "fullDescription": { "text": crate::rules::section(meta.explanation, "What it does") },
                "help": { "text": meta.help, "markdown": meta.explanation },
                "properties": { "fix": meta.fix, "categories": meta.categories },
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "dash",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
        }],
    });
    let mut text = serde_json::to_string_pretty(&doc).expect("SARIF serializes");
    text.push('\n');
    text
}

/// `await-async-expect` → `AwaitAsyncExpect` (SARIF rule names are identifiers).
fn camel_case(id: &str) -> String {
    id.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect()
}

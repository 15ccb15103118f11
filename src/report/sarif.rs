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
                "message": { "text": format!("console.{} in {} code", f.method, f.category.name()) },
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
                "properties": { "category": f.category.name(), "method": f.method },
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
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "dash",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": [{
                        "id": "console",
                        "name": "ConsoleCall",
                        "shortDescription": { "text": "A call of the global console" },
                        "fullDescription": { "text": "console.* calls in production code should go through the project's structured logger; tests should not print." },
                        "help": { "text": "Run `dash fix` to rewrite them per the [console] policy of dash.toml." },
                    }],
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

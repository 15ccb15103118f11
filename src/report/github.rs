//! `--format github`: GitHub Actions workflow commands, so findings show up as
//! annotations on the pull request's changed lines.

use std::fmt::Write;

use super::ScanReport;
use crate::workspace::Category;

pub fn render(report: &ScanReport) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let level = if f.category == Category::Production {
            "warning"
        } else {
            "notice"
        };
        let _ = writeln!(
            out,
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&f.path),
            f.line,
            f.column,
            f.end_line,
            f.end_column,
            escape_property(&format!("dash {}", f.rule)),
            escape_data(&match crate::rules::by_id(f.rule) {
                Some(rule) if !rule.meta().help.is_empty() =>
                    format!("{}; {}", f.message, rule.meta().help),
                _ => f.message.clone(),
            }),
        );
    }
    for e in &report.errors {
        let _ = writeln!(
            out,
            "::error file={}::{}",
            escape_property(&e.path),
            escape_data(&e.message)
        );
    }
    for t in report.thresholds.iter().filter(|t| t.exceeded) {
        let _ = writeln!(
            out,
            "::error title=dash {}::{} console calls, at most {} allowed",
            t.name, t.actual, t.limit
        );
    }
    out
}

/// Escaping as the Actions runner defines it for messages.
pub(crate) fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Properties additionally escape the separators `:` and `,`.
pub(crate) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}

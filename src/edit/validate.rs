//! The last check before a change reaches disk: does the new text still parse?
//!
//! No peer codemod tool re-parses its output, so a rule bug (an unbalanced brace, a
//! deleted comma) ends up in the user's file. dash parses the edited text with the same
//! grammar and refuses the change if tree-sitter finds more ERROR or MISSING nodes than
//! in the original. Comparing counts rather than requiring zero lets dash fix files
//! that already had a syntax error somewhere else.

use crate::syntax::{self, Lang};

/// The edited text parses worse than the original; the change must not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error(
    "the edited file would have {} syntax error(s) where the original had {before}",
    count(*after)
)]
#[diagnostic(
    code(dash::edit::parse_regression),
    help(
        "this is a bug in dash (a rule produced invalid code), not in your file; the file was \
         left unchanged. Please report it to the dash maintainers with the file's content"
    )
)]
pub struct ParseRegression {
    /// ERROR and MISSING nodes in the original text.
    pub before: usize,
    /// ERROR and MISSING nodes in the edited text (`usize::MAX` if it did not parse).
    pub after: usize,
}

fn count(n: usize) -> String {
    if n == usize::MAX {
        "unparseable".to_owned()
    } else {
        n.to_string()
    }
}

/// Refuses a change that makes the file parse worse (more ERROR/MISSING nodes).
pub fn check_parse(lang: Lang, old: &str, new: &str) -> Result<(), ParseRegression> {
    // tree-sitter only gives up on cancellation or a timeout, which dash never sets;
    // should it happen anyway, the new text is treated as the worst possible.
    let errors = |text: &str| syntax::parse(lang, text.as_bytes()).map(|t| syntax::error_count(&t));
    let after = errors(new).unwrap_or(usize::MAX);
    // A text without errors cannot regress: skip parsing the old one.
    if after == 0 {
        return Ok(());
    }
    let before = errors(old).unwrap_or(usize::MAX);
    if after > before {
        Err(ParseRegression { before, after })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_edit_passes() {
        let old = "console.log(a);\n";
        let new = "logger.info(a);\n";
        for lang in [Lang::TypeScript, Lang::Tsx, Lang::JavaScript] {
            assert_eq!(check_parse(lang, old, new), Ok(()));
        }
    }

    #[test]
    fn broken_edit_is_refused() {
        let err = check_parse(Lang::TypeScript, "f(a, b);\n", "f(a, b;\n").unwrap_err();
        assert_eq!(err.before, 0);
        assert!(err.after >= 1);
        let message = err.to_string();
        assert!(message.contains("where the original had 0"), "{message}");
    }

    #[test]
    fn existing_errors_do_not_block_a_clean_edit_elsewhere() {
        let old = "function f( {\nconsole.log(1);\n";
        let new = "function f( {\nlogger.info(1);\n";
        assert!(check_parse(Lang::JavaScript, old, old).is_ok());
        assert!(check_parse(Lang::JavaScript, old, new).is_ok());
        // Fixing the error is of course fine too.
        assert!(check_parse(Lang::JavaScript, old, "function f() {}\n").is_ok());
    }

    #[test]
    fn adding_an_error_to_a_broken_file_is_refused() {
        let old = "let = ;\nf(a);\n";
        let new = "let = ;\nf(a;\n";
        let err = check_parse(Lang::TypeScript, old, new).unwrap_err();
        assert!(err.after > err.before && err.before >= 1);
    }

    #[test]
    fn grammar_matters() {
        // Valid TypeScript, but a type assertion in angle brackets is not valid TSX.
        let new = "const x = <number>y;\n";
        assert!(check_parse(Lang::TypeScript, "const x = y;\n", new).is_ok());
        assert!(check_parse(Lang::Tsx, "const x = y;\n", new).is_err());
    }

    #[test]
    fn diagnostic_has_code_and_help() {
        use miette::Diagnostic;
        let err = ParseRegression {
            before: 0,
            after: usize::MAX,
        };
        assert_eq!(
            err.code().unwrap().to_string(),
            "dash::edit::parse_regression"
        );
        assert!(err.help().unwrap().to_string().contains("left unchanged"));
        assert!(err.to_string().contains("unparseable"));
    }
}

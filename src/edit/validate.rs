//! The last check before a change reaches disk: does the new text still parse?
//!
//! No peer codemod tool re-parses its output, so a rule bug (an unbalanced brace, a
//! deleted comma) ends up in the user's file. dash parses the edited text with the same
//! grammar and refuses the change if tree-sitter finds more ERROR or MISSING nodes than
//! in the original. Comparing counts rather than requiring zero lets dash fix files
//! that already had a syntax error somewhere else.

use tree_sitter::{InputEdit, Point, Tree};

use super::Edit;
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

/// [`check_parse`] when the caller already knows how many ERROR/MISSING nodes the
/// original has (it parsed it): only the new text is parsed, and the old tree need not
/// be alive while it is (a big file's tree costs more memory than its text).
pub fn check_parse_against(lang: Lang, before: usize, new: &str) -> Result<(), ParseRegression> {
    let after = syntax::parse(lang, new.as_bytes()).map_or(usize::MAX, |t| syntax::error_count(&t));
    if after > before {
        Err(ParseRegression { before, after })
    } else {
        Ok(())
    }
}

/// [`check_parse`] for a change made by `edits` (applied in one pass, in text order) to
/// `old`, whose tree the caller already has: the new text is parsed incrementally from
/// it, so only the edited regions cost parsing time.
pub fn check_parse_edited(
    lang: Lang,
    old: &str,
    old_tree: &Tree,
    edits: &[Edit],
    new: &str,
) -> Result<(), ParseRegression> {
    let mut tree = old_tree.clone();
    // Points of every edit in the old text, found in one forward pass.
    let mut row = 0;
    let mut line_start = 0;
    let mut cursor = 0;
    let mut point_at = |offset: usize| {
        for newline in memchr::memchr_iter(b'\n', &old.as_bytes()[cursor..offset]) {
            row += 1;
            line_start = cursor + newline + 1;
        }
        cursor = offset;
        Point {
            row,
            column: offset - line_start,
        }
    };
    let points: Vec<(Point, Point)> = edits
        .iter()
        .map(|e| (point_at(e.range.start), point_at(e.range.end)))
        .collect();
    // Applied last to first, each edit's old coordinates are still those of the tree.
    for (edit, (start, old_end)) in edits.iter().zip(points).rev() {
        tree.edit(&InputEdit {
            start_byte: edit.range.start,
            old_end_byte: edit.range.end,
            new_end_byte: edit.range.start + edit.replacement.len(),
            start_position: start,
            old_end_position: old_end,
            new_end_position: advance(start, &edit.replacement),
        });
    }
    let after = syntax::reparse(lang, new.as_bytes(), &tree)
        .map_or(usize::MAX, |t| syntax::error_count(&t));
    if after == 0 {
        return Ok(());
    }
    let before = syntax::error_count(old_tree);
    if after > before {
        Err(ParseRegression { before, after })
    } else {
        Ok(())
    }
}

/// Where a point ends up after `text` is inserted at it.
fn advance(start: Point, text: &str) -> Point {
    match text.rfind('\n') {
        Some(last) => Point {
            row: start.row + text.matches('\n').count(),
            column: text.len() - last - 1,
        },
        None => Point {
            row: start.row,
            column: start.column + text.len(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_check_agrees_with_a_fresh_parse() {
        let old = "import { a } from 'a';\n\nconsole.log(a);\nfoo(1, 2);\n";
        let tree = syntax::parse(Lang::TypeScript, old.as_bytes()).unwrap();
        let start = old.find("console").unwrap();
        let good = vec![
            Edit::insert(
                old.find("\n\n").unwrap() + 1,
                "import { logger } from './logger';\n",
                "t",
            ),
            Edit::replace(start..start + 11, "logger.info", "t"),
        ];
        let new = crate::edit::Changeset::from_iter(good.clone())
            .apply(old)
            .text;
        assert_eq!(
            check_parse_edited(Lang::TypeScript, old, &tree, &good, &new),
            Ok(())
        );
        let bad = vec![Edit::delete(
            old.find("2)").unwrap() + 1..old.find("2)").unwrap() + 2,
            "t",
        )];
        let new = crate::edit::Changeset::from_iter(bad.clone())
            .apply(old)
            .text;
        assert_eq!(
            check_parse_edited(Lang::TypeScript, old, &tree, &bad, &new),
            check_parse(Lang::TypeScript, old, &new)
        );
        assert!(check_parse_edited(Lang::TypeScript, old, &tree, &bad, &new).is_err());
    }

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

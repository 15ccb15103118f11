//! The registry's invariants, checked for every rule (like ripgrep's flag tests): ids
//! are unique kebab-case, every query compiles against every grammar its rule claims,
//! every explanation has the four sections `dash rules ID` prints, and every rule has
//! fixtures and its query file under `queries/`.

use std::path::Path;

use super::{RULES, section};
use crate::syntax::query;

#[test]
fn ids_are_unique_kebab_case() {
    let mut ids: Vec<&str> = RULES.iter().map(|r| r.meta().id).collect();
    for id in &ids {
        assert!(
            !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !id.starts_with('-')
                && !id.ends_with('-'),
            "{id}: ids are kebab-case"
        );
    }
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len(), "rule ids are unique");
}

#[test]
fn every_query_compiles_for_every_grammar_its_rule_claims() {
    for rule in RULES {
        let meta = rule.meta();
        let Some(source) = meta.query else { continue };
        for lang in meta.langs {
            if let Err(err) = query::compile(source, *lang) {
                panic!("{}: query does not compile for {lang:?}: {err}", meta.id);
            }
        }
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("queries")
            .join(format!("{}.scm", meta.id));
        let on_disk = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{}: {}: {e}", meta.id, file.display()));
        assert_eq!(
            on_disk, source,
            "{}: the embedded query is queries/{}.scm",
            meta.id, meta.id
        );
    }
}

#[test]
fn every_rule_is_explained_and_has_fixtures() {
    for rule in RULES {
        let meta = rule.meta();
        for title in ["What it does", "Why it matters", "Fix safety", "Example"] {
            assert!(
                !section(meta.explanation, title).is_empty(),
                "{}: the explanation needs a `## {title}` section",
                meta.id
            );
        }
        assert!(
            !meta.summary.is_empty() && !meta.help.is_empty(),
            "{}",
            meta.id
        );
        assert!(
            !meta.needles.is_empty(),
            "{}: a rule without needles is never run",
            meta.id
        );
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(meta.id);
        let cases = std::fs::read_dir(&fixtures)
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().contains(".input."))
                    .count()
            })
            .unwrap_or(0);
        assert!(
            cases > 0,
            "{}: no fixtures in {}",
            meta.id,
            fixtures.display()
        );
    }
}

#[test]
fn sections_are_found_by_title() {
    let text = "## What it does\nA.\n\n## Why it matters\nB\n";
    assert_eq!(section(text, "What it does"), "A.");
    assert_eq!(section(text, "Why it matters"), "B");
    assert_eq!(section(text, "Example"), "");
}

/// The rules' queries compiled together give each rule its own matches, in every grammar.
#[test]
fn combined_queries_hand_each_rule_its_matches() {
    let source = "it.only('a', (done) => { expect(p).resolves.toBe(1); done(); });\n\
                  jest.spyOn(o, 'm');\n\
                  o.m = jest.fn();\n\
                  vi.mock('./x', () => ({}));\n";
    for lang in crate::rules::ALL_LANGS {
        let tree = crate::syntax::parse(*lang, source.as_bytes()).expect("parses");
        let matches = crate::rules::TreeMatches::new(
            crate::rules::queries(),
            *lang,
            &tree,
            source.as_bytes(),
        );
        for rule in RULES.iter().filter(|r| r.meta().query.is_some()) {
            assert!(
                !matches.of(rule.meta().id).is_empty(),
                "{}: no match of its query in {}",
                rule.meta().id,
                lang.name()
            );
        }
        assert!(matches.of("no-such-rule").is_empty());
    }
}

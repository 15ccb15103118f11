//! Tree-sitter queries of the rules: embedded in the binary (`queries/<rule-id>.scm`
//! through `include_str!`), compiled together (every rule's patterns in one query per
//! grammar, on first use) and run once per tree for all the rules that ask.
//!
//! Compiling a query costs about 2 ms per grammar whatever its size (tree-sitter analyses
//! the grammar's parse table for each query), so seven rules in seven queries would pay
//! it seven times per grammar; one query pays it once, and one cursor pass over a tree
//! serves every rule.
//!
//! A rule's query is written once for every grammar it claims; node types that exist in
//! only one grammar (TypeScript's `non_null_expression`) belong in predicates the rule
//! checks in code, so the registry test can compile every query against every grammar.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, Query, QueryCursor, Tree};

use super::Lang;

/// The queries of a set of rules: `(rule id, query source, grammars the rule claims)`,
/// compiled into one query per grammar when a tree of that grammar first asks.
pub struct QuerySet {
    rules: Vec<(&'static str, &'static str, &'static [Lang])>,
    compiled: [OnceLock<Combined>; Lang::COUNT],
}

/// One grammar's query: every pattern, and the rule each belongs to.
struct Combined {
    query: Query,
    owner: Vec<&'static str>,
}

impl QuerySet {
    pub fn new(rules: Vec<(&'static str, &'static str, &'static [Lang])>) -> QuerySet {
        QuerySet {
            rules,
            compiled: Default::default(),
        }
    }

    /// # Panics
    /// When the queries do not compile together: they are part of the binary, and the
    /// registry test compiles them for every grammar.
    fn combined(&'static self, lang: Lang) -> &'static Combined {
        self.compiled[lang as usize].get_or_init(|| {
            let mut source = String::new();
            let mut spans: Vec<(std::ops::Range<usize>, &'static str)> = Vec::new();
            for (id, text, langs) in &self.rules {
                if langs.contains(&lang) {
                    let start = source.len();
                    source.push_str(text);
                    source.push('\n');
                    spans.push((start..source.len(), id));
                }
            }
            let query = compile(&source, lang)
                .unwrap_or_else(|err| panic!("the rules' queries for {}: {err}", lang.name()));
            let owner = (0..query.pattern_count())
                .map(|i| {
                    let at = query.start_byte_for_pattern(i);
                    spans
                        .iter()
                        .find(|(span, _)| span.contains(&at))
                        .map_or("", |(_, id)| *id)
                })
                .collect();
            Combined { query, owner }
        })
    }
}

/// The matches of one tree, found on the first request (one cursor pass for every
/// rule's patterns) and handed to each rule by id.
pub struct TreeMatches<'a, 't> {
    set: &'static QuerySet,
    lang: Lang,
    tree: &'t Tree,
    source: &'a [u8],
    by_rule: OnceCell<HashMap<&'static str, Vec<Match<'t>>>>,
}

impl<'a, 't> TreeMatches<'a, 't> {
    pub fn new(set: &'static QuerySet, lang: Lang, tree: &'t Tree, source: &'a [u8]) -> Self {
        TreeMatches {
            set,
            lang,
            tree,
            source,
            by_rule: OnceCell::new(),
        }
    }

    /// Every match of rule `id`'s patterns, in document order.
    pub fn of(&self, id: &str) -> &[Match<'t>] {
        let by_rule = self.by_rule.get_or_init(|| {
            let combined = self.set.combined(self.lang);
            let mut by_rule: HashMap<&'static str, Vec<Match<'t>>> = HashMap::new();
            for (pattern, m) in matches(&combined.query, self.tree, self.source) {
                by_rule.entry(combined.owner[pattern]).or_default().push(m);
            }
            by_rule
        });
        by_rule.get(id).map_or(&[], Vec::as_slice)
    }
}

/// Compiles `source` for `lang` (the registry test's check).
pub fn compile(source: &str, lang: Lang) -> Result<Query, tree_sitter::QueryError> {
    Query::new(&lang.grammar(), source)
}

/// One match: its captures by name.
#[derive(Debug, Clone)]
pub struct Match<'t> {
    captures: Vec<(&'static str, Node<'t>)>,
}

impl<'t> Match<'t> {
    /// The first node captured as `name`.
    pub fn get(&self, name: &str) -> Option<Node<'t>> {
        self.captures
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, node)| *node)
    }
}

/// Every match of `query` in `tree` with its pattern index, in document order
/// (predicates such as `#eq?` and `#match?` are applied against `source`).
fn matches<'t>(query: &'static Query, tree: &'t Tree, source: &[u8]) -> Vec<(usize, Match<'t>)> {
    let names = query.capture_names();
    let mut cursor = QueryCursor::new();
    let mut found = Vec::new();
    let mut it = cursor.matches(query, tree.root_node(), source);
    while let Some(m) = it.next() {
        found.push((
            m.pattern_index,
            Match {
                captures: m
                    .captures()
                    .iter()
                    .map(|c| (names[c.index as usize], c.node))
                    .collect(),
            },
        ));
    }
    found
}

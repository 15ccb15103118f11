//! Tree-sitter queries of the rules: embedded in the binary (`queries/<rule-id>.scm`
//! through `include_str!`), compiled once per rule and language on first use, and run
//! with a reusable cursor.
//!
//! A rule's query is written once for every grammar it claims; node types that exist in
//! only one grammar (TypeScript's `non_null_expression`) belong in predicates the rule
//! checks in code, so the registry test can compile every query against every grammar.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, Query, QueryCursor, Tree};

use super::Lang;

/// Compiled queries by (rule id, language). Compilation is rare (a handful per run) and
/// matches are taken by reference, so a leaked cell per entry is the simplest sharing
/// across threads; the cell makes threads that need the same query at once wait for one
/// compilation instead of each paying for its own.
type Cell = &'static OnceLock<Query>;

fn cache() -> &'static Mutex<HashMap<(&'static str, Lang), Cell>> {
    static CACHE: OnceLock<Mutex<HashMap<(&'static str, Lang), Cell>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The query `source` of rule `id` compiled for `lang`.
///
/// # Panics
/// When the query does not compile: queries are part of the binary, and the registry
/// test compiles every one against every grammar its rule claims.
pub fn compiled(id: &'static str, source: &'static str, lang: Lang) -> &'static Query {
    let cell: Cell = *cache()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry((id, lang))
        .or_insert_with(|| Box::leak(Box::new(OnceLock::new())));
    cell.get_or_init(|| {
        compile(source, lang).unwrap_or_else(|err| panic!("query of rule {id}: {err}"))
    })
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

/// Every match of `query` in `tree`, in document order (predicates such as `#eq?` and
/// `#match?` are applied against `source`).
pub fn matches<'t>(query: &'static Query, tree: &'t Tree, source: &[u8]) -> Vec<Match<'t>> {
    let names: &'static [&'static str] = query.capture_names();
    let mut cursor = QueryCursor::new();
    let mut found = Vec::new();
    let mut it = cursor.matches(query, tree.root_node(), source);
    while let Some(m) = it.next() {
        found.push(Match {
            captures: m
                .captures()
                .iter()
                .map(|c| (names[c.index as usize], c.node))
                .collect(),
        });
    }
    found
}

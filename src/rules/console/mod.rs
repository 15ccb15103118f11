//! The console rule: every call `console.<method>(…)` on the global `console`.
//!
//! Two finders give the same answer at very different cost:
//! - [`lexical`] tokenizes the file and proves, token by token, that each `console`
//!   occurrence is a member call on the global. It never builds a tree, so it runs at
//!   byte-scan speed; whenever a file holds anything it cannot decide with certainty (a
//!   binding named `console`, a computed key, a regex it cannot classify, suppression
//!   comments, unusual syntax) it says so and does not guess.
//! - [`tree`] parses with tree-sitter and resolves scopes. It is the arbiter: the
//!   lexical finder is only trusted where it agrees with it, which the test suite checks
//!   on fixtures and real code.
//!
//! A `dash scan` runs the lexical finder first and the tree finder only for files it
//! could not decide; `dash fix` always uses the tree (it needs node ranges to edit).

mod emptied;
pub mod fix;
pub mod lexical;
pub mod logger;
pub(crate) mod packages;
pub(crate) mod resolve;
mod rule;
pub mod spies;
pub(crate) mod tokens;
pub mod tree;
mod unused;

pub use rule::ConsoleFixer;
pub use rule::{Console, policy_for};

use serde::Serialize;

use crate::syntax::Lang;

pub const RULE_ID: &str = "console";

/// The byte needle of the prefilter: a file without it has no console call.
pub const NEEDLE: &[u8] = b"console";

/// The method a call names: `log` for `console.log(…)` and `console["log"](…)`, or
/// `None` for a computed key such as `console[level](…)`.
pub type Method = Option<String>;

/// How a `console.<method>` member expression is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Usage {
    /// Called: `console.log(x)`, `console.log?.(x)`, `(console.log)(x)`, ``console.log`x` ``.
    Call,
    /// Used as a value: passed, bound, assigned (`arr.forEach(console.log)`).
    Reference,
}

/// One `console.<method>` occurrence on the global console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleUse {
    pub usage: Usage,
    pub method: Method,
    /// Byte offset of `console`.
    pub start: usize,
    /// Byte offset just past the method name (or the closing `]` of a computed key).
    pub callee_end: usize,
}

impl ConsoleUse {
    pub fn method_name(&self) -> &str {
        self.method.as_deref().unwrap_or("[computed]")
    }
}

/// What finding console calls in one file produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileScan {
    pub uses: Vec<ConsoleUse>,
    /// Set when the tree finder ran: how many ERROR/MISSING nodes the parse had.
    pub syntax_errors: Option<usize>,
    /// `// dash-ignore-file` was present: the file is skipped.
    pub ignored_file: bool,
    /// Why the lexical finder declined (byte offset, reason), when the tree decided.
    pub declined: Option<(usize, &'static str)>,
}

/// Finds console uses, with the lexical finder first unless `exact` asks for the tree.
pub fn scan(lang: Lang, source: &[u8], exact: bool) -> FileScan {
    let declined = if exact {
        None
    } else {
        match lexical::decide(lang, source) {
            Ok(uses) => {
                return FileScan {
                    uses,
                    syntax_errors: None,
                    ignored_file: false,
                    declined: None,
                };
            }
            Err(why) => Some(why),
        }
    };
    FileScan {
        declined,
        ..tree::find(lang, source)
    }
}

#[cfg(test)]
mod tests;

//! The only layer that changes source files (DESIGN.md §3, §4 "Edits" and "Safety").
//!
//! A change goes through four steps, each in its own module:
//!
//! 1. [`FileText::from_bytes`] splits off what rules must not see (the BOM) and notes
//!    what writing must restore (line endings);
//! 2. rules push [`Edit`]s into a [`Changeset`], which applies them in one pass and
//!    returns every edit it could not apply instead of dropping it silently;
//! 3. [`check_parse`] refuses a result that parses worse than the original;
//! 4. [`write_if_unchanged`] (or [`create_new`]) puts the bytes from
//!    [`FileText::to_bytes`] on disk atomically, unless the file changed meanwhile.
//!
//! [`imports`] is the import manager: rules ask for an import, it is materialised once
//! per file in the file's own style.

mod changeset;
pub mod format;
pub mod imports;
mod prettier;
pub mod style;
mod text;
mod validate;
mod write;

pub use changeset::{Applied, Changeset, Edit};
pub use text::{FileText, LineEnding};
pub use validate::{ParseRegression, check_parse, check_parse_against, check_parse_edited};
pub use write::{
    WriteError, create_new, remove_dir_if_empty, remove_if_unchanged, restore_if_unchanged,
    write_if_unchanged,
};

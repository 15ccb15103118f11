//! Edits: byte splices per file, the import manager, validation and atomic writes.
//! (Placeholder module layout until the edit engine lands; see changeset.rs.)

mod changeset;
pub mod imports;

pub use changeset::{Applied, Changeset, Edit};

//! dash: take a TypeScript/JavaScript codebase to production readiness.
//!
//! Data flows one way (see `DESIGN.md` §3): `workspace` finds files, `syntax` parses
//! them, `rules` turn trees into findings and edits, `report` aggregates findings and
//! `cli` composes the layers and prints. `llm` is independent of everything else.

pub mod cli;
pub mod llm;

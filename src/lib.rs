//! dash: take a TypeScript/JavaScript codebase to production readiness.
//!
//! Data flows one way (see `DESIGN.md` §3): `workspace` finds files, `syntax` parses
//! them, `rules` turn source into findings, `analysis` runs the rules over a workspace in
//! parallel, `report` aggregates and formats, and `cli` composes the layers and prints.
//! `llm` (the unified streaming LLM API) is independent of everything else.

pub mod analysis;
pub mod cli;
pub mod config;
pub mod edit;
pub mod fix;
pub mod llm;
pub mod report;
pub mod review;
pub mod rules;
pub mod syntax;
pub mod workspace;

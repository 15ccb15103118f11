//! dash: take a TypeScript/JavaScript codebase to production readiness.
//!
//! Data flows one way (see `ARCHITECTURE.md`): `workspace` finds files, `syntax` parses
//! them, `rules` turn source into findings and fixes, `engine` runs the enabled rules over
//! a workspace in parallel (scan) or to a fix point per file (fix), `review` shows and
//! writes changes, `report` aggregates and formats, and `cli` composes the layers.
//! `llm` (the unified streaming LLM API) is independent of everything else.

pub mod agent;
pub mod cli;
pub mod config;
pub mod edit;
pub mod engine;
pub mod exit;
pub mod hook;
pub(crate) mod interrupt;
pub mod journal;
pub mod llm;
pub mod promote;
pub mod report;
pub mod review;
pub mod rules;
pub mod syntax;
pub mod testrun;
pub mod workspace;

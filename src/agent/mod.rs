//! The agent core: pi-agent-core's loop on dash's `llm` layer, with tools confined to
//! the repository and every edit a review proposal.
//!
//! [`Agent`] runs the loop (`prompt`, `continue`, `steer`, `follow_up`, `abort`,
//! events to subscribers, hooks around tool calls, budgets checked before every model
//! call); [`events`] is its event vocabulary; [`tools`] the six repository tools;
//! [`confine`] keeps every path inside the repository; [`changes`] turns edits into
//! review proposals (collected in suggest mode, written through the journaled session
//! otherwise); [`approval`] is the hook that decides about commands; [`command`] runs
//! them; [`judgement`] turns a finding `dash fix` left for judgement into a task;
//! [`findings`] are dash's own tools, `scan` and `judgements`; [`test_failure`] turns a
//! failure `dash test` could not repair into a task.
//! `ARCHITECTURE.md` lists where this differs from pi-agent-core.

pub mod agent_loop;
pub mod approval;
pub mod budget;
pub mod changes;
pub mod command;
pub mod confine;
pub mod error;
pub mod events;
pub mod findings;
pub mod judgement;
pub mod test_failure;
pub mod tools;

pub use agent_loop::{Agent, AgentHandle, Hooks, INTERRUPTED, ToolOutput, Toolbox, Verdict};
pub use approval::{Answer, ApprovalHook};
pub use budget::{Budget, LimitHit, Spent};
pub use confine::Root;
pub use error::AgentError;
pub use events::AgentEvent;
pub use tools::{Approval, RepoTools};

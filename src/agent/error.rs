//! Why an agent run stopped before it finished, typed so the command line can give
//! each its exit code (DESIGN §1): a limit is 1, a configuration or key problem 2, a
//! provider failure (after the llm layer's retries) or an abnormal stop 3.

use miette::Diagnostic;

use super::budget::LimitHit;
use crate::exit::{Exit, HasExit};
use crate::llm::ErrorKind;

#[derive(Debug, Clone, PartialEq, thiserror::Error, Diagnostic)]
pub enum AgentError {
    /// A budget was reached before a model call (or during one, for wall time).
    #[error("stopped: {0}")]
    #[diagnostic(
        code(dash::agent::limit),
        help("raise the limit, or continue the saved session with --resume")
    )]
    Limit(LimitHit),
    /// The model call failed after the llm layer's retries.
    #[error("the model call failed: {message}")]
    #[diagnostic(
        code(dash::agent::provider),
        help("the session so far is kept in --save; continue it with --resume")
    )]
    Provider { kind: ErrorKind, message: String },
    /// The model stopped for length or a content filter: its reply is incomplete.
    #[error("the model stopped early ({reason}); its reply is incomplete")]
    #[diagnostic(
        code(dash::agent::stopped),
        help("raise the model's output limit, or rephrase the task")
    )]
    Stopped { reason: String },
    /// `abort()` was called (Ctrl-C on the command line).
    #[error("the run was aborted")]
    #[diagnostic(code(dash::agent::aborted))]
    Aborted,
    /// `continue` was asked with nothing to continue.
    #[error("nothing to continue: {0}")]
    #[diagnostic(
        code(dash::agent::usage),
        help("give a task, or resume a session that ends with a user message or tool result")
    )]
    NothingToContinue(String),
}

impl HasExit for AgentError {
    fn exit(&self) -> Exit {
        match self {
            AgentError::Limit(_) => Exit::Findings,
            AgentError::NothingToContinue(_) => Exit::Usage,
            AgentError::Provider { kind, .. } => match kind {
                ErrorKind::Auth
                | ErrorKind::Config
                | ErrorKind::BadRequest
                | ErrorKind::ContextOverflow => Exit::Usage,
                _ => Exit::Partial,
            },
            AgentError::Stopped { .. } | AgentError::Aborted => Exit::Partial,
        }
    }
}

impl AgentError {
    /// The `outcome` of `agent_end` for this error.
    pub fn outcome(&self) -> &'static str {
        match self {
            AgentError::Limit(_) => "limit",
            AgentError::Provider { .. } | AgentError::NothingToContinue(_) => "error",
            AgentError::Stopped { .. } => "stopped",
            AgentError::Aborted => "aborted",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_contract() {
        assert_eq!(
            AgentError::Limit(LimitHit::Turns { limit: 1 }).exit(),
            Exit::Findings
        );
        let provider = |kind| AgentError::Provider {
            kind,
            message: String::new(),
        };
        assert_eq!(provider(ErrorKind::Auth).exit(), Exit::Usage);
        assert_eq!(provider(ErrorKind::Server).exit(), Exit::Partial);
        assert_eq!(provider(ErrorKind::Timeout).exit(), Exit::Partial);
        assert_eq!(
            AgentError::Stopped {
                reason: "length".into()
            }
            .exit(),
            Exit::Partial
        );
    }
}

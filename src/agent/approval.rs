//! Approval of commands, as a before-tool-call hook: suggest refuses `run_command`,
//! full-auto allows it, auto-edit asks (when there is someone to ask) and remembers
//! "always" answers per command pattern for the session.

use std::collections::BTreeSet;

use serde_json::Value;

use super::agent_loop::{Hooks, Verdict};
use super::tools::{Approval, SUGGEST_REFUSAL};
use crate::llm::ToolCall;

/// A reviewer's answer to "run this command?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Yes,
    No,
    /// Yes, and for every later command of the same pattern.
    Always,
}

type Ask = Box<dyn FnMut(&str, &str) -> Answer + Send>;

/// The approval hook of a run.
pub struct ApprovalHook {
    mode: Approval,
    /// Asks about a command (the command and its pattern); `None`: nobody to ask.
    ask: Option<Ask>,
    always: BTreeSet<String>,
}

impl std::fmt::Debug for ApprovalHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApprovalHook")
            .field("mode", &self.mode)
            .field("always", &self.always)
            .finish_non_exhaustive()
    }
}

/// The pattern an "always" answer covers: the command's program (its first word).
pub fn pattern(command: &str) -> String {
    command
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

impl ApprovalHook {
    pub fn new(mode: Approval, ask: Option<Ask>) -> ApprovalHook {
        ApprovalHook {
            mode,
            ask,
            always: BTreeSet::new(),
        }
    }
}

impl Hooks for ApprovalHook {
    fn before_tool_call(&mut self, call: &ToolCall, args: &Value) -> Verdict {
        if call.name != "run_command" {
            return Verdict::Allow;
        }
        let command = args["command"].as_str().unwrap_or_default();
        match self.mode {
            Approval::FullAuto => Verdict::Allow,
            Approval::Suggest => Verdict::Block(SUGGEST_REFUSAL.to_owned()),
            Approval::AutoEdit => {
                let pattern = pattern(command);
                if self.always.contains(&pattern) {
                    return Verdict::Allow;
                }
                let Some(ask) = self.ask.as_mut() else {
                    return Verdict::Block(
                        "refused: run_command needs the user's approval in auto-edit mode, \
                         and there is no terminal to ask on; continue without running commands"
                            .to_owned(),
                    );
                };
                match ask(command, &pattern) {
                    Answer::Yes => Verdict::Allow,
                    Answer::Always => {
                        self.always.insert(pattern);
                        Verdict::Allow
                    }
                    Answer::No => {
                        Verdict::Block("refused: the user declined to run this command".to_owned())
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::{Arc, Mutex};

    fn call(cmd: &str) -> (ToolCall, Value) {
        let args = json!({"command": cmd});
        (
            ToolCall {
                id: "c".into(),
                name: "run_command".into(),
                arguments: args.clone(),
                thought_signature: None,
            },
            args,
        )
    }

    #[test]
    fn modes_decide_and_always_is_remembered_per_pattern() {
        let (c, a) = call("npm test");
        assert!(matches!(
            ApprovalHook::new(Approval::Suggest, None).before_tool_call(&c, &a),
            Verdict::Block(r) if r.contains("suggest mode")
        ));
        assert_eq!(
            ApprovalHook::new(Approval::FullAuto, None).before_tool_call(&c, &a),
            Verdict::Allow
        );
        assert!(matches!(
            ApprovalHook::new(Approval::AutoEdit, None).before_tool_call(&c, &a),
            Verdict::Block(r) if r.contains("no terminal")
        ));
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = asked.clone();
        let mut hook = ApprovalHook::new(
            Approval::AutoEdit,
            Some(Box::new(move |cmd, _| {
                log.lock().unwrap().push(cmd.to_owned());
                if cmd.starts_with("rm") {
                    Answer::No
                } else {
                    Answer::Always
                }
            })),
        );
        assert_eq!(hook.before_tool_call(&c, &a), Verdict::Allow);
        let (c2, a2) = call("npm run lint");
        assert_eq!(hook.before_tool_call(&c2, &a2), Verdict::Allow);
        let (c3, a3) = call("rm -rf x");
        assert!(matches!(hook.before_tool_call(&c3, &a3), Verdict::Block(_)));
        assert_eq!(*asked.lock().unwrap(), ["npm test", "rm -rf x"]);
    }
}

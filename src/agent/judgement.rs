//! A finding `dash fix` leaves as "needs judgement", as a task for the agent
//! (`dash fix --agent`): the file, the place and its lines, the rule's reason and
//! explanation. The prompt is built from the file's text as read, so the model sees
//! exactly what the rule saw.

use crate::rules;

/// One finding for the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JudgementTask {
    /// Repository-relative, `/`-separated.
    pub path: String,
    /// 1-based.
    pub line: u32,
    /// 1-based.
    pub column: u32,
    pub rule: &'static str,
    /// The finding's group (console: the method).
    pub group: String,
    /// Why the rule left it.
    pub reason: String,
}

/// Lines of context shown on each side of the finding's line.
const CONTEXT: u32 = 3;

/// The system prompt of every task: the agent works in suggest mode and its edits are
/// reviewed with the rules' fixes.
pub const SYSTEM_PROMPT: &str = "You are a coding agent helping `dash fix`, a tool that \
takes TypeScript/JavaScript code to production readiness. Each task is one finding that \
dash's rules could not fix safely and left for judgement. Use the tools to read the file \
(and others if needed) and make the smallest edit that resolves the finding as its rule \
explains, keeping behaviour the author evidently wants. Paths are relative to the \
repository root. Your edits are not written: they are shown to a person for review next \
to the rules' own fixes, so do not touch other code in the file. Do not run commands. If \
the right fix is to leave the code as it is, change nothing and say why. The \
`judgements` tool lists what dash still leaves for judgement, on the files as your edits \
left them: use it to check your edit. End with one sentence saying what you changed.";

impl JudgementTask {
    /// `path:line:column rule (group)`, as the summary names the task.
    pub fn label(&self) -> String {
        format!(
            "{}:{}:{} {}",
            self.path,
            self.line,
            self.column,
            if self.rule == rules::console::RULE_ID {
                format!("console.{}", self.group)
            } else {
                self.rule.to_owned()
            }
        )
    }

    /// The user message of the task; `text` is the file's content as read.
    pub fn prompt(&self, text: &str) -> String {
        let mut out = format!(
            "Finding in {path}, line {line}, column {column}: rule `{rule}` ({label}).\n\
             Why it was left for judgement: {reason}\n\n",
            path = self.path,
            line = self.line,
            column = self.column,
            rule = self.rule,
            label = self.label(),
            reason = self.reason,
        );
        let first = self.line.saturating_sub(CONTEXT).max(1);
        let last = self.line + CONTEXT;
        out.push_str(&format!("The code around it ({}):\n```\n", self.path));
        for (n, line) in text.lines().enumerate() {
            let n = n as u32 + 1;
            if n < first || n > last {
                continue;
            }
            let mark = if n == self.line { ">" } else { " " };
            out.push_str(&format!("{mark}{n:>5} | {line}\n"));
        }
        out.push_str("```\n");
        if let Some(rule) = rules::by_id(self.rule) {
            let meta = rule.meta();
            out.push_str(&format!(
                "\nThe rule `{}`: {}\n\n{}\n",
                meta.id,
                meta.summary,
                meta.explanation.trim()
            ));
        }
        out.push_str(&format!(
            "\nResolve this finding in {} with edit_file (read the file first).",
            self.path
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_names_the_place_shows_the_lines_and_explains_the_rule() {
        let task = JudgementTask {
            path: "src/a.ts".into(),
            line: 2,
            column: 3,
            rule: "console",
            group: "trace".into(),
            reason: "console.trace always prints a stack".into(),
        };
        assert_eq!(task.label(), "src/a.ts:2:3 console.trace");
        let prompt = task.prompt("function f() {\n  console.trace('x');\n}\n");
        assert!(prompt.starts_with(
            "Finding in src/a.ts, line 2, column 3: rule `console` (src/a.ts:2:3 console.trace).\n\
             Why it was left for judgement: console.trace always prints a stack\n"
        ));
        assert!(
            prompt
                .contains("     1 | function f() {\n>    2 |   console.trace('x');\n     3 | }\n"),
            "{prompt}"
        );
        assert!(prompt.contains("## What it does"), "{prompt}");
    }
}

//! The repository tools: `read_file`, `list_files`, `search`, `edit_file`,
//! `write_file` and `run_command`, with the names and argument schemas of the
//! `dash agent` contract. Every path goes through [`Root::resolve`] first; every edit
//! is a review proposal ([`super::changes`]): collected in suggest mode, written
//! through the journaled session otherwise.

use std::path::Path;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::agent_loop::{BoxFuture, ToolOutput, Toolbox};
use super::changes::{self, Changes};
use super::command;
use super::confine::Root;
use super::findings::{DashRules, ScanArgs, Which};
use crate::llm::Tool;

/// How far the agent may act without review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Approval {
    /// Edits are collected, never written; commands are refused.
    Suggest,
    /// Edits are written; commands need approval.
    AutoEdit,
    /// Edits are written and commands run without asking.
    FullAuto,
}

/// Most bytes `read_file` returns at once (the model can page with offset/limit).
const MAX_READ: usize = 256 * 1024;
/// Most lines `list_files` and `search` return.
const MAX_LINES: usize = 2000;
/// Longest matched line `search` shows.
const MAX_MATCH_LINE: usize = 400;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReadFileArgs {
    /// Path relative to the repository root.
    pub path: String,
    /// First line to return (1-based).
    pub offset: Option<u64>,
    /// Number of lines to return.
    pub limit: Option<u64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListFilesArgs {
    /// Folder relative to the repository root (default: the root).
    pub path: Option<String>,
    /// Glob the repository-relative paths must match (e.g. `src/**/*.ts`, `*.json`).
    pub pattern: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchArgs {
    /// Regular expression (Rust regex syntax), matched line by line.
    pub pattern: String,
    /// File or folder relative to the repository root (default: the root).
    pub path: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct EditFileArgs {
    /// Path relative to the repository root.
    pub path: String,
    /// Text to replace; must occur exactly once in the file.
    pub old_text: String,
    /// Replacement text.
    pub new_text: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct WriteFileArgs {
    /// Path relative to the repository root; created (with its folders) if missing.
    pub path: String,
    /// The whole new content.
    pub content: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RunCommandArgs {
    /// Shell command, run with `sh -c` in the repository root.
    pub command: String,
}

/// The six tools' definitions, in a fixed order.
pub fn definitions() -> Vec<Tool> {
    vec![
        Tool::from_type::<ReadFileArgs>(
            "read_file",
            "Read a text file of the repository, as it is (no line numbers added). \
             offset (1-based line) and limit (lines) select part of it.",
        ),
        Tool::from_type::<ListFilesArgs>(
            "list_files",
            "List the repository's files under a folder, recursively, one \
             repository-relative path per line, sorted; .gitignore is honoured.",
        ),
        Tool::from_type::<SearchArgs>(
            "search",
            "Search the repository's text files for a regular expression; \
             prints path:line:text for each matching line; .gitignore is honoured.",
        ),
        Tool::from_type::<EditFileArgs>(
            "edit_file",
            "Replace old_text with new_text in a file. old_text must occur exactly \
             once; include enough surrounding lines to make it unique.",
        ),
        Tool::from_type::<WriteFileArgs>("write_file", "Write a whole file (created if missing)."),
        Tool::from_type::<RunCommandArgs>(
            "run_command",
            "Run a shell command (sh -c) in the repository root with empty stdin; \
             returns stdout and stderr merged and the exit code.",
        ),
    ]
}

/// dash's own tools ([`RepoTools::with_dash_tools`]), after the six.
pub fn dash_definitions() -> Vec<Tool> {
    vec![
        Tool::from_type::<ScanArgs>(
            "scan",
            "dash's findings in the repository's source files (or under path), on the files \
             as your edits left them: path:line:column rule (group): what `dash fix` does \
             with each (fix, unsafe fix, needs judgement and why, not fixed and why).",
        ),
        Tool::from_type::<ScanArgs>(
            "judgements",
            "The findings `dash fix` leaves for judgement (or under path), on the files as \
             your edits left them: path:line:column rule (group): needs judgement: why. \
             Use it to check that an edit resolved its finding.",
        ),
    ]
}

/// The tools over one repository.
#[derive(Debug)]
pub struct RepoTools {
    root: Root,
    mode: Approval,
    changes: Changes,
    command_timeout: Duration,
    /// Environment variables commands must not see (the API key's).
    env_remove: Vec<String>,
    /// Files written so far (writing modes), repository-relative, in order.
    written: Vec<String>,
    /// Whether `scan` and `judgements` are offered.
    dash_tools: bool,
    /// The rules they run, loaded at their first call (an error: the configuration's).
    dash_rules: Option<Result<DashRules, String>>,
    /// This toolbox's run, for the journal: `<run>/<turn>` names each turn's writes.
    run: String,
    /// Turns begun so far.
    turns: u64,
}

impl RepoTools {
    pub fn new(root: Root, mode: Approval, command_timeout: Duration) -> RepoTools {
        RepoTools {
            root,
            mode,
            changes: Changes::default(),
            command_timeout,
            env_remove: Vec::new(),
            written: Vec::new(),
            dash_tools: false,
            dash_rules: None,
            run: run_id(),
            turns: 0,
        }
    }

    /// Offers dash's own tools too: `scan` and `judgements` (see [`super::findings`]).
    pub fn with_dash_tools(mut self) -> RepoTools {
        self.dash_tools = true;
        self
    }

    /// The journal's name for the current turn's writes.
    pub fn turn_id(&self) -> String {
        format!("{}/{}", self.run, self.turns)
    }

    /// Environment variables removed from every command's environment.
    pub fn hide_env(mut self, vars: Vec<String>) -> RepoTools {
        self.env_remove = vars;
        self
    }

    /// The edits collected so far (suggest mode).
    pub fn changes(&self) -> &Changes {
        &self.changes
    }

    /// Puts back edits collected earlier (from [`RepoTools::changes`], cloned): how
    /// `dash fix --agent` drops what a task that did not finish had collected.
    pub fn restore_changes(&mut self, changes: Changes) {
        self.changes = changes;
    }

    /// Files written so far (writing modes).
    pub fn written(&self) -> &[String] {
        &self.written
    }

    /// Runs a tool synchronously, except `run_command` (see [`Toolbox::execute`]).
    pub fn call(&mut self, name: &str, args: &Value) -> ToolOutput {
        let result = match name {
            "read_file" => parse(args).and_then(|a| self.read_file(a)),
            "list_files" => parse(args).and_then(|a| self.list_files(a)),
            "search" => parse(args).and_then(|a| self.search(a)),
            "edit_file" => parse(args).and_then(|a| self.edit_file(a)),
            "write_file" => parse(args).and_then(|a| self.write_file(a)),
            "scan" if self.dash_tools => parse(args).and_then(|a| self.findings(a, Which::All)),
            "judgements" if self.dash_tools => {
                parse(args).and_then(|a| self.findings(a, Which::Judgements))
            }
            other => Err(format!("no tool named {other:?}")),
        };
        match result {
            Ok(text) => ToolOutput::ok(text),
            Err(text) => ToolOutput::error(text),
        }
    }

    fn read_file(&self, a: ReadFileArgs) -> Result<String, String> {
        let path = self.root.resolve(&a.path)?;
        let text = self
            .changes
            .current(&path)?
            .ok_or_else(|| format!("{} does not exist", path.rel))?;
        let text = if a.offset.is_some() || a.limit.is_some() {
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            let first = a.offset.unwrap_or(1).max(1) as usize;
            if first > lines.len().max(1) {
                return Err(format!(
                    "offset {first} is past the end of {} ({} lines)",
                    path.rel,
                    lines.len()
                ));
            }
            let count = a.limit.map_or(usize::MAX, |l| l as usize);
            lines.iter().skip(first - 1).take(count).copied().collect()
        } else {
            text
        };
        if text.len() > MAX_READ {
            let mut cut = MAX_READ;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            return Ok(format!(
                "{}\n… (cut at {MAX_READ} bytes; read the rest with offset and limit)",
                &text[..cut]
            ));
        }
        Ok(text)
    }

    /// Files under `rel` (a folder or a file), repository-relative, sorted: the disk's
    /// (links not followed; a link is listed only if it resolves inside) and the
    /// files the agent created.
    fn files_under(&self, start: &str, follow_inside_links: bool) -> Result<Vec<String>, String> {
        let path = self.root.resolve(start)?;
        let mut out = Vec::new();
        if path.abs.exists() {
            let walk = ignore::WalkBuilder::new(&path.abs)
                .hidden(false)
                .require_git(false)
                .follow_links(false)
                .filter_entry(|e| e.file_name() != ".git")
                .build();
            for entry in walk.flatten() {
                let Some(kind) = entry.file_type() else {
                    continue;
                };
                let is_file = if kind.is_symlink() {
                    follow_inside_links
                        && self.root.contains_resolved(entry.path())
                        && entry.path().is_file()
                } else {
                    kind.is_file()
                };
                if !is_file {
                    continue;
                }
                if let Ok(rel) = entry.path().strip_prefix(self.root.path()) {
                    out.push(slash(rel));
                }
            }
        }
        let prefix = if path.rel.is_empty() {
            String::new()
        } else {
            format!("{}/", path.rel)
        };
        out.extend(
            self.changes
                .created()
                .filter(|c| *c == path.rel || c.starts_with(&prefix))
                .map(str::to_owned),
        );
        out.sort();
        out.dedup();
        Ok(out)
    }

    fn list_files(&self, a: ListFilesArgs) -> Result<String, String> {
        let start = a.path.unwrap_or_default();
        let mut files = self.files_under(&start, true)?;
        if let Some(pattern) = a.pattern.filter(|p| !p.is_empty()) {
            let glob = globset::GlobBuilder::new(&pattern)
                .literal_separator(pattern.contains('/'))
                .build()
                .map_err(|e| format!("invalid glob {pattern:?}: {e}"))?
                .compile_matcher();
            files.retain(|f| {
                glob.is_match(f) || f.rsplit('/').next().is_some_and(|name| glob.is_match(name))
            });
        }
        if files.is_empty() {
            return Ok("(no files)".to_owned());
        }
        Ok(bounded_lines(files))
    }

    fn search(&self, a: SearchArgs) -> Result<String, String> {
        let re = regex::Regex::new(&a.pattern)
            .map_err(|e| format!("invalid regular expression {:?}: {e}", a.pattern))?;
        let start = a.path.unwrap_or_default();
        let mut lines = Vec::new();
        for rel in self.files_under(&start, false)? {
            let text = match self.changes.text_of(&rel) {
                Some(t) => t.to_owned(),
                None => match std::fs::read(self.root.path().join(&rel)) {
                    Ok(bytes) if !bytes.contains(&0) => match String::from_utf8(bytes) {
                        Ok(t) => t,
                        Err(_) => continue,
                    },
                    _ => continue,
                },
            };
            for (n, line) in text.lines().enumerate() {
                if re.is_match(line) {
                    let mut shown = line.trim_end_matches('\r').to_owned();
                    if shown.len() > MAX_MATCH_LINE {
                        let mut cut = MAX_MATCH_LINE;
                        while !shown.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        shown.truncate(cut);
                        shown.push('…');
                    }
                    lines.push(format!("{rel}:{}:{shown}", n + 1));
                }
            }
        }
        if lines.is_empty() {
            return Ok("(no matches)".to_owned());
        }
        Ok(bounded_lines(lines))
    }

    /// `scan` and `judgements`: dash's findings under a path, on the files as the
    /// collected edits left them.
    fn findings(&mut self, a: ScanArgs, which: Which) -> Result<String, String> {
        if self.dash_rules.is_none() {
            self.dash_rules = Some(DashRules::load(self.root.path()));
        }
        let rules = match self.dash_rules.as_ref() {
            Some(Ok(rules)) => rules,
            Some(Err(e)) => return Err(format!("dash cannot run its rules here: {e}")),
            None => unreachable!("loaded above"),
        };
        let start = a.path.unwrap_or_default();
        let mut lines = Vec::new();
        for rel in self.files_under(&start, false)? {
            let abs = self.root.path().join(&rel);
            if crate::syntax::Lang::from_path(&abs).is_none() {
                continue;
            }
            let text = match self.changes.text_of(&rel) {
                Some(t) => t.to_owned(),
                None => match std::fs::read(&abs).map(String::from_utf8) {
                    Ok(Ok(t)) => t,
                    _ => continue,
                },
            };
            lines.extend(rules.check(&rel, &abs, &text, which));
        }
        if lines.is_empty() {
            return Ok(match which {
                Which::All => "(no findings)",
                Which::Judgements => "(nothing needs judgement)",
            }
            .to_owned());
        }
        Ok(bounded_lines(lines))
    }

    fn edit_file(&mut self, a: EditFileArgs) -> Result<String, String> {
        let path = self.root.resolve(&a.path)?;
        if a.old_text.is_empty() {
            return Err("old_text is empty; to write a whole file use write_file".into());
        }
        let text = self
            .changes
            .current(&path)?
            .ok_or_else(|| format!("{} does not exist; create it with write_file", path.rel))?;
        let count = text.matches(&a.old_text).count();
        match count {
            0 => {
                return Err(format!(
                    "old_text was not found in {}; read the file and copy the text exactly",
                    path.rel
                ));
            }
            1 => {}
            n => {
                return Err(format!(
                    "old_text occurs {n} times in {}; include more surrounding text so it occurs exactly once (nothing was changed)",
                    path.rel
                ));
            }
        }
        let new = text.replacen(&a.old_text, &a.new_text, 1);
        self.apply(&path, new)
    }

    fn write_file(&mut self, a: WriteFileArgs) -> Result<String, String> {
        let path = self.root.resolve(&a.path)?;
        if path.rel.is_empty() {
            return Err("a file path is needed".into());
        }
        // Refuses folders and non-text files before anything is collected.
        self.changes.current(&path)?;
        self.apply(&path, a.content)
    }

    fn apply(&mut self, path: &super::confine::Confined, text: String) -> Result<String, String> {
        match self.mode {
            Approval::Suggest => {
                self.changes.collect(path, text)?;
                Ok(format!(
                    "edited {} (collected for review; later reads see it)",
                    path.rel
                ))
            }
            Approval::AutoEdit | Approval::FullAuto => {
                let done = changes::write_now(path, &text, Some(&self.turn_id()))?;
                self.written.push(path.rel.clone());
                Ok(done)
            }
        }
    }
}

impl Toolbox for RepoTools {
    fn tools(&self) -> Vec<Tool> {
        let mut tools = definitions();
        if self.dash_tools {
            tools.extend(dash_definitions());
        }
        tools
    }

    fn turn_start(&mut self) {
        self.turns += 1;
    }

    fn execute<'a>(
        &'a mut self,
        name: &'a str,
        args: &'a Value,
        cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            if name != "run_command" {
                return self.call(name, args);
            }
            if self.mode == Approval::Suggest {
                return ToolOutput::error(SUGGEST_REFUSAL);
            }
            match parse::<RunCommandArgs>(args) {
                Ok(a) => {
                    command::run(
                        self.root.path(),
                        &a.command,
                        self.command_timeout,
                        &self.env_remove,
                        cancel,
                    )
                    .await
                }
                Err(e) => ToolOutput::error(e),
            }
        })
    }
}

/// The result of `run_command` in suggest mode.
pub const SUGGEST_REFUSAL: &str = "refused: run_command is not allowed in suggest mode \
     (nothing is run or written without review); continue without running commands";

/// A run id unique on this machine: the start time in microseconds and the process.
fn run_id() -> String {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros());
    format!("agent-{micros}-{}", std::process::id())
}

fn parse<T: serde::de::DeserializeOwned>(args: &Value) -> Result<T, String> {
    serde_json::from_value(args.clone()).map_err(|e| format!("invalid arguments: {e}"))
}

fn slash(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn bounded_lines(mut lines: Vec<String>) -> String {
    let more = lines.len().saturating_sub(MAX_LINES);
    lines.truncate(MAX_LINES);
    let mut out = lines.join("\n");
    if more > 0 {
        out.push_str(&format!(
            "\n… ({more} more not shown; narrow the path or pattern)"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn repo() -> (tempfile::TempDir, RepoTools) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::create_dir_all(p.join("src/lib")).unwrap();
        std::fs::write(
            p.join("src/a.ts"),
            "const a = 1;\nconst b = 2;\nconst a2 = 1;\n",
        )
        .unwrap();
        std::fs::write(p.join("src/lib/b.ts"), "export const b = 2;\n").unwrap();
        std::fs::write(p.join(".gitignore"), "dist/\n").unwrap();
        std::fs::create_dir(p.join("dist")).unwrap();
        std::fs::write(p.join("dist/out.js"), "const a = 1;\n").unwrap();
        let tools = RepoTools::new(
            Root::new(p).unwrap(),
            Approval::Suggest,
            Duration::from_secs(5),
        );
        (dir, tools)
    }

    #[test]
    fn schemas_have_the_contract_names_and_fields() {
        let defs = definitions();
        let names: Vec<&str> = defs.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "read_file",
                "list_files",
                "search",
                "edit_file",
                "write_file",
                "run_command"
            ]
        );
        let required = |i: usize| defs[i].parameters["required"].clone();
        assert_eq!(required(0), json!(["path"]));
        assert_eq!(required(3), json!(["path", "old_text", "new_text"]));
        assert_eq!(required(4), json!(["path", "content"]));
        assert_eq!(required(5), json!(["command"]));
        let read = Tool::clone(&defs[0]);
        // Optional fields accept null.
        crate::llm::validate_arguments(&read, &json!({"path": "a", "offset": null, "limit": null}))
            .unwrap();
    }

    #[test]
    fn read_pages_by_lines_and_list_honours_gitignore() {
        let (_dir, mut t) = repo();
        let out = t.call(
            "read_file",
            &json!({"path": "src/a.ts", "offset": 2, "limit": 1}),
        );
        assert_eq!(out, ToolOutput::ok("const b = 2;\n"));
        let out = t.call("list_files", &json!({}));
        assert_eq!(out.text, ".gitignore\nsrc/a.ts\nsrc/lib/b.ts");
        let out = t.call("list_files", &json!({"path": "src", "pattern": "b.ts"}));
        assert_eq!(out.text, "src/lib/b.ts");
        let out = t.call("search", &json!({"pattern": "const a"}));
        assert_eq!(
            out.text,
            "src/a.ts:1:const a = 1;\nsrc/a.ts:3:const a2 = 1;"
        );
    }

    #[test]
    fn ambiguous_and_missing_edits_change_nothing() {
        let (dir, mut t) = repo();
        let out = t.call(
            "edit_file",
            &json!({"path": "src/a.ts", "old_text": "= 1;", "new_text": "= 3;"}),
        );
        assert!(
            out.is_error && out.text.contains("occurs 2 times"),
            "{}",
            out.text
        );
        let out = t.call(
            "edit_file",
            &json!({"path": "src/a.ts", "old_text": "nope", "new_text": "x"}),
        );
        assert!(out.is_error);
        assert!(t.changes().session().is_empty());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("src/a.ts")).unwrap(),
            "const a = 1;\nconst b = 2;\nconst a2 = 1;\n"
        );
    }

    #[test]
    fn suggest_mode_collects_and_later_tools_see_the_edits() {
        let (dir, mut t) = repo();
        let out = t.call(
            "edit_file",
            &json!({"path": "src/a.ts", "old_text": "const b = 2;", "new_text": "const b = 3;"}),
        );
        assert!(!out.is_error, "{}", out.text);
        t.call(
            "write_file",
            &json!({"path": "src/new.ts", "content": "new\n"}),
        );
        assert_eq!(
            t.call(
                "read_file",
                &json!({"path": "src/a.ts", "offset": 2, "limit": 1})
            )
            .text,
            "const b = 3;\n"
        );
        assert_eq!(
            t.call("search", &json!({"pattern": "^new$"})).text,
            "src/new.ts:1:new"
        );
        assert!(
            t.call("list_files", &json!({"path": "src"}))
                .text
                .contains("src/new.ts")
        );
        assert!(!dir.path().join("src/new.ts").exists());
        assert_eq!(t.changes().session().proposals().len(), 2);
    }

    #[test]
    fn writing_modes_write_through_the_session() {
        let (dir, t) = repo();
        let mut t = RepoTools {
            mode: Approval::AutoEdit,
            ..t
        };
        let out = t.call(
            "edit_file",
            &json!({"path": "src/a.ts", "old_text": "const b = 2;", "new_text": "const b = 3;"}),
        );
        assert!(!out.is_error, "{}", out.text);
        assert!(
            std::fs::read_to_string(dir.path().join("src/a.ts"))
                .unwrap()
                .contains("const b = 3;")
        );
        t.call("write_file", &json!({"path": "x/y.ts", "content": "y\n"}));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("x/y.ts")).unwrap(),
            "y\n"
        );
        assert_eq!(t.written(), ["src/a.ts", "x/y.ts"]);
    }
}

//! The project's formatter, run on a changed file's new text before it is shown or
//! written (`[format]`), so the preview shows what will be written and the write stays one
//! atomic, staleness-checked step (the formatter never touches the file: it reads the text
//! on standard input and answers on standard output).
//!
//! Which formatter: `[format] command` (a shell command line; `{path}` stands for the
//! file's path, shell-quoted), or else, unless `[format] auto = false`, the one the project
//! has: prettier or biome with its configuration at or above the file (nearest first) and
//! its binary in a `node_modules/.bin` at or above the file, within the repository. Never
//! one from `PATH` or a download: a project that does not install its formatter is not
//! formatted, and the summary says so.
//!
//! Only files the formatter already leaves as they are get formatted: it runs on the
//! original text first, and when that comes back different the file was not formatted by
//! this formatter before, so formatting the new text would also rewrite lines dash did not
//! touch. Such a file is written unformatted and named in the summary.
//!
//! A configured formatter that is missing or fails refuses the file (a check that cannot
//! run refuses); an auto-detected one that fails on the original text is treated like a
//! file it does not format cleanly, and one that fails on the new text refuses it.
//!
//! How it runs: a detected prettier through a long-lived server per project
//! (`super::prettier`, one node process that loads prettier once and answers the clean
//! check and the formatting of a file in one request); a configured command and biome
//! (native, fast to start) as one process per text, since a stdin filter formats one
//! text per run.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::prettier::PrettierPool;
use super::style::{Tool, formatter_configured_in};

/// The longest one formatter run may take.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// `[format]` as configured.
#[derive(Debug, Clone)]
pub struct FormatConfig {
    /// A command that reads a file's text on standard input and prints it formatted.
    pub command: Option<String>,
    /// Detect prettier or biome when no command is given.
    pub auto: bool,
}

impl Default for FormatConfig {
    fn default() -> Self {
        FormatConfig {
            command: None,
            auto: true,
        }
    }
}

/// What formatting did to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Formatting {
    /// Formatted by this formatter (its name).
    Formatted(String),
    /// Left unformatted: the formatter would also change the original text.
    NotClean(String),
    /// No formatter configured or installed for this file.
    NoFormatter,
    /// `--no-format`, or `[format] auto = false` without a command.
    Off,
}

/// How a formatter is started.
#[derive(Debug, Clone)]
enum Runner {
    Command(String),
    Tool(Tool, PathBuf),
}

impl Runner {
    fn name(&self) -> String {
        match self {
            Runner::Command(line) => format!("`{line}`"),
            Runner::Tool(tool, _) => tool.name().to_owned(),
        }
    }
}

/// Runs the formatter for each changed file; lookups cached per folder.
pub struct Formatter {
    config: FormatConfig,
    enabled: bool,
    found: Mutex<HashMap<PathBuf, Option<Runner>>>,
    /// The prettier servers of the run, shut down when the formatter is dropped.
    prettier: PrettierPool,
}

impl Formatter {
    /// `enabled = false` is `--no-format`.
    pub fn new(config: &FormatConfig, enabled: bool) -> Formatter {
        Formatter {
            config: config.clone(),
            enabled,
            found: Mutex::new(HashMap::new()),
            prettier: PrettierPool::new(RUN_LIMIT),
        }
    }

    /// The text to propose for the file at `path` (absolute) whose `original` text the
    /// fix turned into `new`. An error is the reason to refuse the file.
    pub fn format(
        &self,
        path: &Path,
        original: &str,
        new: &str,
    ) -> Result<(String, Formatting), String> {
        if !self.enabled || (self.config.command.is_none() && !self.config.auto) {
            return Ok((new.to_owned(), Formatting::Off));
        }
        let folder = path.parent().unwrap_or(Path::new("/"));
        let configured = self.config.command.is_some();
        let runner = match &self.config.command {
            Some(line) => Runner::Command(line.clone()),
            None => match self.detect(folder) {
                Some(runner) => runner,
                None => return Ok((new.to_owned(), Formatting::NoFormatter)),
            },
        };
        let name = runner.name();
        if let Runner::Tool(Tool::Prettier, bin) = &runner {
            return self.prettier(bin, path, original, new);
        }
        match run(&runner, path, original) {
            Ok(out) if out == original => {}
            Ok(_) => return Ok((new.to_owned(), Formatting::NotClean(name))),
            Err(e) if configured => {
                return Err(format!(
                    "the formatter {name} failed on the original text: {e}"
                ));
            }
            Err(_) => return Ok((new.to_owned(), Formatting::NotClean(name))),
        }
        let formatted = run(&runner, path, new)
            .map_err(|e| format!("the formatter {name} failed on the changed text: {e}"))?;
        Ok((formatted, Formatting::Formatted(name)))
    }

    /// A detected prettier (never a configured one: its failures refuse nothing but the
    /// new text), through the project's server: the clean check and the formatting in
    /// one request.
    fn prettier(
        &self,
        bin: &Path,
        path: &Path,
        original: &str,
        new: &str,
    ) -> Result<(String, Formatting), String> {
        let name = Tool::Prettier.name().to_owned();
        let folder = path.parent().unwrap_or(Path::new("/"));
        let top = up_to_top(folder).last().copied().unwrap_or(folder);
        // `<project>/node_modules/.bin/prettier`: the project folder resolves prettier.
        let project = bin.ancestors().nth(3).unwrap_or(folder);
        let mut results = self
            .prettier
            .format(project, top, path, &[original, new], true)
            .into_iter();
        match results.next() {
            Some(Ok(out)) if out == original => {}
            _ => return Ok((new.to_owned(), Formatting::NotClean(name))),
        }
        match results.next() {
            Some(Ok(formatted)) => Ok((formatted, Formatting::Formatted(name))),
            Some(Err(e)) => Err(format!(
                "the formatter {name} failed on the changed text: {e}"
            )),
            None => Err(format!(
                "the formatter {name} failed on the changed text: no answer"
            )),
        }
    }

    fn detect(&self, folder: &Path) -> Option<Runner> {
        if let Some(found) = self.found.lock().ok()?.get(folder) {
            return found.clone();
        }
        let found = detect(folder);
        if let Ok(mut m) = self.found.lock() {
            m.insert(folder.to_owned(), found.clone());
        }
        found
    }
}

/// The folders from `folder` up to the repository top (the folder holding `.git`), or to
/// the file system root outside a repository.
fn up_to_top(folder: &Path) -> Vec<&Path> {
    let mut folders = Vec::new();
    for f in folder.ancestors() {
        folders.push(f);
        if f.join(".git").exists() {
            break;
        }
    }
    folders
}

/// The nearest formatter configuration and its binary in a `node_modules/.bin`.
fn detect(folder: &Path) -> Option<Runner> {
    let folders = up_to_top(folder);
    let tool = folders.iter().find_map(|f| formatter_configured_in(f))?;
    let bin = folders
        .iter()
        .map(|f| f.join("node_modules/.bin").join(tool.name()))
        .find(|b| b.is_file())?;
    Some(Runner::Tool(tool, bin))
}

/// `'…'` for `sh`.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// Runs the formatter on `text` for the file at `path`; its standard output, or why not.
fn run(runner: &Runner, path: &Path, text: &str) -> Result<String, String> {
    let folder = path.parent().unwrap_or(Path::new("/"));
    let folders = up_to_top(folder);
    let top = folders.last().copied().unwrap_or(folder);
    let mut command = match runner {
        Runner::Command(line) => {
            let line = line.replace("{path}", &shell_quote(&path.to_string_lossy()));
            let mut c = Command::new("sh");
            c.arg("-c").arg(line);
            // The project's own binaries first, as `npm run` does.
            let mut paths: Vec<PathBuf> = folders
                .iter()
                .map(|f| f.join("node_modules/.bin"))
                .filter(|b| b.is_dir())
                .collect();
            paths.extend(
                std::env::var_os("PATH")
                    .map_or_else(Vec::new, |p| std::env::split_paths(&p).collect::<Vec<_>>()),
            );
            if let Ok(joined) = std::env::join_paths(paths) {
                c.env("PATH", joined);
            }
            c
        }
        Runner::Tool(Tool::Prettier, bin) => {
            let mut c = Command::new(bin);
            c.arg("--stdin-filepath").arg(path);
            c
        }
        Runner::Tool(Tool::Biome, bin) => {
            let mut c = Command::new(bin);
            let mut arg = std::ffi::OsString::from("--stdin-file-path=");
            arg.push(path);
            c.arg("format").arg(arg);
            c
        }
    };
    let mut child = command
        .current_dir(top)
        .env("DASH_FORMAT_PATH", path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start it: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped");
    let input = text.to_owned();
    // Written from a thread: a formatter that answers before reading everything must not
    // block on a full pipe while dash blocks on writing.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    let read = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let out = read(Box::new(stdout));
    let err = read(Box::new(stderr));
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > RUN_LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("it ran longer than {} s", RUN_LIMIT.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(e.to_string()),
        }
    };
    let _ = writer.join();
    let out = out.join().unwrap_or_default();
    let err = err.join().unwrap_or_default();
    if !status.success() {
        let message = String::from_utf8_lossy(&err);
        let message = message.trim();
        let tail: Vec<&str> = message.lines().rev().take(8).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "{status}{}{}",
            if tail.is_empty() { "" } else { ": " },
            tail.join("\n")
        ));
    }
    String::from_utf8(out).map_err(|_| "its output is not UTF-8".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        dir
    }

    fn configured(command: &str) -> Formatter {
        Formatter::new(
            &FormatConfig {
                command: Some(command.to_owned()),
                auto: true,
            },
            true,
        )
    }

    #[test]
    fn a_clean_file_is_formatted_and_an_unclean_one_left_as_the_fix_made_it() {
        let dir = project();
        let path = dir.path().join("a.js");
        // An upper-casing "formatter": clean texts are the upper-case ones.
        let f = configured("tr a-z A-Z");
        assert_eq!(
            f.format(&path, "A();\n", "A();\nb();\n").unwrap(),
            (
                "A();\nB();\n".to_owned(),
                Formatting::Formatted("`tr a-z A-Z`".into())
            )
        );
        assert_eq!(
            f.format(&path, "a();\n", "a();\nb();\n").unwrap(),
            (
                "a();\nb();\n".to_owned(),
                Formatting::NotClean("`tr a-z A-Z`".into())
            )
        );
    }

    #[test]
    fn the_path_placeholder_is_the_quoted_file_path() {
        let dir = project();
        let path = dir.path().join("it's a.js");
        let f = configured("cat >/dev/null; printf '%s' {path}");
        let original = path.to_string_lossy().into_owned();
        let (text, _) = f.format(&path, &original, "x").unwrap();
        assert_eq!(text, original);
    }

    #[test]
    fn a_configured_formatter_that_fails_or_is_missing_refuses() {
        let dir = project();
        let path = dir.path().join("a.js");
        let err = configured("echo 'SyntaxError: nope' >&2; exit 2")
            .format(&path, "a\n", "b\n")
            .unwrap_err();
        assert!(err.contains("SyntaxError: nope"), "{err}");
        let err = configured("no-such-formatter-dash-test --stdin")
            .format(&path, "a\n", "b\n")
            .unwrap_err();
        assert!(err.contains("failed on the original text"), "{err}");
    }

    #[test]
    fn off_and_absent_formatters_leave_the_text() {
        let dir = project();
        let path = dir.path().join("a.js");
        let off = Formatter::new(&FormatConfig::default(), false);
        assert_eq!(off.format(&path, "a", "b").unwrap().1, Formatting::Off);
        // Auto-detection without a configuration, or with one but nothing installed.
        let auto = Formatter::new(&FormatConfig::default(), true);
        assert_eq!(
            auto.format(&path, "a", "b").unwrap().1,
            Formatting::NoFormatter
        );
        std::fs::write(dir.path().join(".prettierrc"), "{}").unwrap();
        let auto = Formatter::new(&FormatConfig::default(), true);
        assert_eq!(
            auto.format(&path, "a", "b").unwrap().1,
            Formatting::NoFormatter
        );
    }

    #[test]
    fn detection_takes_the_project_binary_next_to_a_configuration() {
        let dir = project();
        let root = dir.path();
        std::fs::create_dir_all(root.join("node_modules/.bin")).unwrap();
        std::fs::create_dir_all(root.join("packages/a/src")).unwrap();
        std::fs::write(root.join("packages/a/biome.json"), "{}").unwrap();
        std::fs::write(root.join("node_modules/.bin/biome"), "").unwrap();
        std::fs::write(root.join("node_modules/.bin/prettier"), "").unwrap();
        match detect(&root.join("packages/a/src")) {
            Some(Runner::Tool(Tool::Biome, bin)) => {
                assert_eq!(bin, root.join("node_modules/.bin/biome"))
            }
            other => panic!("{other:?}"),
        }
        // No configuration above this folder: nothing, though prettier is installed.
        assert!(detect(&root.join("packages")).is_none());
    }

    #[test]
    fn detected_prettier_runs_in_its_server_with_todays_outcomes() {
        let dir = project();
        let root = dir.path();
        std::fs::write(root.join(".prettierrc"), "{}").unwrap();
        std::fs::create_dir_all(root.join("node_modules/.bin")).unwrap();
        std::fs::write(root.join("node_modules/.bin/prettier"), "").unwrap();
        std::fs::create_dir_all(root.join("node_modules/prettier")).unwrap();
        std::fs::write(
            root.join("node_modules/prettier/package.json"),
            r#"{ "name": "prettier", "version": "2.8.8", "main": "index.js" }"#,
        )
        .unwrap();
        // Upper-cases; throws on `throw`.
        std::fs::write(
            root.join("node_modules/prettier/index.js"),
            "exports.getFileInfo = async () => ({ ignored: false });\n\
             exports.resolveConfig = async () => null;\n\
             exports.format = (t) => { if (t.includes('throw')) throw new SyntaxError('bad'); return t.toUpperCase(); };\n",
        )
        .unwrap();
        let path = root.join("src/a.js");
        let f = Formatter::new(&FormatConfig::default(), true);
        let prettier = || "prettier".to_owned();
        assert_eq!(
            f.format(&path, "A();\n", "A();\nb();\n").unwrap(),
            ("A();\nB();\n".to_owned(), Formatting::Formatted(prettier()))
        );
        assert_eq!(
            f.format(&path, "a();\n", "a();\nb();\n").unwrap(),
            ("a();\nb();\n".to_owned(), Formatting::NotClean(prettier()))
        );
        // Failing on the original: not clean; on the new text: refused, with the error.
        assert_eq!(
            f.format(&path, "throw;\n", "B;\n").unwrap(),
            ("B;\n".to_owned(), Formatting::NotClean(prettier()))
        );
        let err = f.format(&path, "A;\n", "throw;\n").unwrap_err();
        assert!(
            err.contains("failed on the changed text: SyntaxError: bad"),
            "{err}"
        );
    }
}

//! Long-lived prettier servers: one node process per project folder (the folder whose
//! `node_modules` holds the prettier `dash fix` detected) and repository top, started on
//! first use, that loads the project's own prettier once and formats every changed file
//! of the run (the script is `prettier_server.js`, embedded in the binary).
//!
//! Why: `prettier --stdin-filepath` pays node's start and prettier's load (about a second)
//! for each text, and the clean check doubles it: forty changed files cost eighty starts.
//! The server does what that command does (ignore files, `.editorconfig`, the nearest
//! configuration), so the output is the same; `tests` compares both ways.
//!
//! A process answers one request at a time (its pipes are behind a mutex); different
//! folders run in parallel. A server that fails to start fails every request for its
//! folder with that reason (started once, not once per file); one that crashes or runs
//! past the limit fails the request in flight, is killed, and the next request starts a
//! new one. Servers are shut down when the pool is dropped (their standard input closes,
//! and a server also exits by itself when dash does).

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// The server's source (`node -e`).
const SCRIPT: &str = include_str!("prettier_server.js");

/// The most lines of a formatter's error message that are kept.
const ERROR_LINES: usize = 8;

/// A server's answer for one text: `formatted` or `error`, or its start line.
#[derive(Deserialize)]
struct Answer {
    formatted: Option<String>,
    error: Option<String>,
    ready: Option<bool>,
}

/// One running node process.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    answers: Receiver<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

/// A folder's server: running, or the reason it could not start.
enum Slot {
    Idle,
    Running(Server),
    Failed(String),
}

/// Which server: the folder that resolves prettier, and the repository top it runs in.
type Key = (PathBuf, PathBuf);

/// The servers of one run.
pub(crate) struct PrettierPool {
    limit: Duration,
    slots: Mutex<HashMap<Key, Arc<Mutex<Slot>>>>,
}

impl PrettierPool {
    /// `limit` bounds the start and each text's formatting.
    pub(crate) fn new(limit: Duration) -> PrettierPool {
        PrettierPool {
            limit,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// Formats `texts` for the file at `path` (absolute) with the prettier that `folder`
    /// resolves, run as in the repository `top`. One result per text, in order; with
    /// `clean_first`, only the first when it fails or changes its text. When the server
    /// cannot start, crashes or runs too long, the text in flight and the ones after it
    /// fail with that reason.
    pub(crate) fn format(
        &self,
        folder: &Path,
        top: &Path,
        path: &Path,
        texts: &[&str],
        clean_first: bool,
    ) -> Vec<Result<String, String>> {
        let mut results = Vec::with_capacity(texts.len());
        if let Err(reason) = self.request(folder, top, path, texts, clean_first, &mut results) {
            let failed = if clean_first && results.is_empty() {
                1
            } else {
                texts.len() - results.len()
            };
            results.extend(std::iter::repeat_n(Err(reason), failed));
        }
        results
    }

    fn request(
        &self,
        folder: &Path,
        top: &Path,
        path: &Path,
        texts: &[&str],
        clean_first: bool,
        results: &mut Vec<Result<String, String>>,
    ) -> Result<(), String> {
        let slot = {
            let mut slots = self.slots.lock().map_err(|_| "the pool is poisoned")?;
            slots
                .entry((folder.to_owned(), top.to_owned()))
                .or_insert_with(|| Arc::new(Mutex::new(Slot::Idle)))
                .clone()
        };
        let mut slot = slot.lock().map_err(|_| "the server is poisoned")?;
        if let Slot::Failed(reason) = &*slot {
            return Err(reason.clone());
        }
        if matches!(*slot, Slot::Idle) {
            match Server::start(folder, top, self.limit) {
                Ok(server) => *slot = Slot::Running(server),
                Err(reason) => {
                    *slot = Slot::Failed(reason.clone());
                    return Err(reason);
                }
            }
        }
        let Slot::Running(server) = &mut *slot else {
            unreachable!("started above")
        };
        let result = server.request(top, path, texts, clean_first, self.limit, results);
        if result.is_err() {
            // Crashed or too slow: killed (by drop), a new one for the next request.
            *slot = Slot::Idle;
        }
        result
    }
}

impl Server {
    fn start(folder: &Path, top: &Path, limit: Duration) -> Result<Server, String> {
        let mut child = Command::new("node")
            .arg("-e")
            .arg(SCRIPT)
            .current_dir(top)
            .env("DASH_PRETTIER_FOLDER", folder)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start node: {e}"))?;
        let stdout = child.stdout.take().expect("piped");
        let mut stderr_pipe = child.stderr.take().expect("piped");
        let (send, answers) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = stderr_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut all) = sink.lock() {
                    // Only the tail is ever shown.
                    all.extend_from_slice(&buf[..n]);
                    let excess = all.len().saturating_sub(64 * 1024);
                    all.drain(..excess);
                }
            }
        });
        let stdin = child.stdin.take();
        let mut server = Server {
            child,
            stdin,
            answers,
            stderr,
        };
        let first = server.answer(Instant::now() + limit, limit)?;
        if first.ready == Some(true) {
            Ok(server)
        } else {
            Err(first
                .error
                .map(|e| first_lines(&e))
                .unwrap_or_else(|| "the prettier server did not start".to_owned()))
        }
    }

    fn request(
        &mut self,
        top: &Path,
        path: &Path,
        texts: &[&str],
        clean_first: bool,
        limit: Duration,
        results: &mut Vec<Result<String, String>>,
    ) -> Result<(), String> {
        let request = serde_json::json!({
            "path": path.to_string_lossy(),
            "top": top.to_string_lossy(),
            "texts": texts,
            "cleanFirst": clean_first,
        });
        let mut line = request.to_string();
        line.push('\n');
        // The server reads while it runs, and answers only after the whole line: the
        // write cannot deadlock against its output.
        let written = match self.stdin.as_mut() {
            Some(stdin) => stdin
                .write_all(line.as_bytes())
                .and_then(|()| stdin.flush()),
            None => Err(std::io::Error::other("closed")),
        };
        if let Err(e) = written {
            return Err(self.died(&format!("cannot write to the prettier server: {e}")));
        }
        for (i, text) in texts.iter().enumerate() {
            let answer = self.answer(Instant::now() + limit, limit)?;
            let result = match (answer.formatted, answer.error) {
                (Some(formatted), _) => Ok(formatted),
                (None, Some(error)) => Err(first_lines(&error)),
                (None, None) => Err("the prettier server answered nothing".to_owned()),
            };
            let stop = clean_first && i == 0 && result.as_deref() != Ok(*text);
            results.push(result);
            if stop {
                break;
            }
        }
        Ok(())
    }

    /// The next line, parsed; a closed or silent process is an error.
    fn answer(&mut self, deadline: Instant, limit: Duration) -> Result<Answer, String> {
        let wait = deadline.saturating_duration_since(Instant::now());
        match self.answers.recv_timeout(wait) {
            Ok(line) => serde_json::from_str(&line)
                .map_err(|e| format!("the prettier server answered something else ({e})")),
            Err(RecvTimeoutError::Timeout) => {
                let _ = self.child.kill();
                Err(format!("it ran longer than {} s", limit.as_secs()))
            }
            Err(RecvTimeoutError::Disconnected) => Err(self.died("the prettier server stopped")),
        }
    }

    /// Why the process ended: its status and the tail of its standard error.
    fn died(&mut self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(2);
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                _ => break None,
            }
        };
        // The stderr reader may still be draining the pipe.
        std::thread::sleep(Duration::from_millis(20));
        let err = self
            .stderr
            .lock()
            .map(|e| String::from_utf8_lossy(&e).into_owned())
            .unwrap_or_default();
        let tail: Vec<&str> = err.trim().lines().rev().take(ERROR_LINES).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!(
            "{what}{}{}{}",
            status.map(|s| format!(" ({s})")).unwrap_or_default(),
            if tail.is_empty() { "" } else { ": " },
            tail.join("\n")
        )
    }
}

impl Drop for Server {
    /// Closes its input (the server exits when it ends) and waits a moment, then kills it.
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(2))
                }
                Ok(None) => break,
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first lines of a message (a syntax error's message, then its code frame).
fn first_lines(message: &str) -> String {
    let lines: Vec<&str> = message.trim_end().lines().take(ERROR_LINES).collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pinned prettier's node_modules (`npm ci --prefix tests/runners/prettier`).
    fn pinned(runner: &str) -> PathBuf {
        let modules = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/runners")
            .join(runner)
            .join("node_modules");
        assert!(
            modules.join(".bin/prettier").is_file(),
            "the pinned prettier is not installed: run `npm ci --prefix tests/runners/{runner} --no-audit --no-fund`"
        );
        modules
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// A repository with prettier installed, configured with overrides, ignore files, an
    /// `.editorconfig` and a nested configuration; and the texts to format in it.
    fn project(runner: &str) -> (tempfile::TempDir, Vec<(&'static str, &'static str)>) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join(".git")).unwrap();
        std::os::unix::fs::symlink(pinned(runner), root.join("node_modules")).unwrap();
        write(
            root,
            ".prettierrc.json",
            r#"{ "singleQuote": true, "overrides": [{ "files": "legacy/**", "options": { "semi": false, "printWidth": 40 } }] }"#,
        );
        write(root, ".editorconfig", "[*.js]\nindent_style = tab\n");
        write(root, ".prettierignore", "generated/\n");
        write(root, ".gitignore", "build/\n");
        write(root, "win/.prettierrc.json", r#"{ "endOfLine": "crlf" }"#);
        let messy = "const  a = {b:1};\nfunction f(){return \"x\"}\n";
        let texts = vec![
            ("src/clean.ts", "export const a = 'a';\n"),
            ("src/messy.ts", messy),
            ("src/tabs.js", "function f() {\n  return 1;\n}\n"),
            (
                "legacy/old.ts",
                "export const veryLongName = [\"first\", \"second\", \"third\"];\n",
            ),
            ("generated/out.ts", messy),
            ("build/out.js", messy),
            ("vendor/node_modules/dep/index.js", messy),
            ("win/crlf.ts", "const a = 1;\r\nconst  b = 2;\r\n"),
            ("win/lf.ts", "const a = 1;\nconst b = 2;\n"),
            ("src/crlf.ts", "const a = 1;\r\nconst b = 2;\r\n"),
            ("src/broken.ts", "export const = ;\n"),
            ("src/notes.unknown", "some text\n"),
        ];
        (dir, texts)
    }

    /// What `prettier --stdin-filepath` prints in the repository top, or that it failed.
    fn cli(root: &Path, path: &Path, text: &str) -> Result<String, ()> {
        let mut child = Command::new(root.join("node_modules/.bin/prettier"))
            .arg("--stdin-filepath")
            .arg(path)
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        if out.status.success() {
            Ok(String::from_utf8(out.stdout).unwrap())
        } else {
            Err(())
        }
    }

    fn same_as_the_cli(runner: &str) {
        let (dir, texts) = project(runner);
        let root = dir.path();
        let pool = PrettierPool::new(Duration::from_secs(60));
        for (rel, text) in texts {
            let path = root.join(rel);
            let server = pool.format(root, root, &path, &[text], false);
            assert_eq!(server.len(), 1);
            let server = server.into_iter().next().unwrap().map_err(|_| ());
            assert_eq!(server, cli(root, &path, text), "{rel}");
        }
    }

    #[test]
    fn the_server_formats_as_the_cli_does() {
        same_as_the_cli("prettier");
    }

    /// Prettier 2 is CommonJS, with a synchronous `format` and one ignore file.
    #[test]
    fn the_server_formats_as_the_cli_of_prettier_2_does() {
        same_as_the_cli("prettier2");
    }

    #[test]
    fn the_cases_cover_ignored_configured_crlf_and_failing_files() {
        // Guards the comparison above against cases that prove nothing.
        let (dir, texts) = project("prettier");
        let root = dir.path();
        let pool = PrettierPool::new(Duration::from_secs(60));
        let out = |rel: &str| {
            let text = texts.iter().find(|(r, _)| *r == rel).unwrap().1;
            let result = pool.format(root, root, &root.join(rel), &[text], false);
            (text, result.into_iter().next().unwrap())
        };
        for ignored in [
            "generated/out.ts",
            "build/out.js",
            "vendor/node_modules/dep/index.js",
        ] {
            let (text, result) = out(ignored);
            assert_eq!(result.as_deref(), Ok(text), "{ignored}");
        }
        let (text, messy) = out("src/messy.ts");
        assert_ne!(messy.as_deref(), Ok(text));
        assert!(messy.unwrap().contains("'x'"), "the configuration is read");
        assert_eq!(
            out("src/tabs.js").1.unwrap(),
            "function f() {\n\treturn 1;\n}\n"
        );
        assert!(
            !out("legacy/old.ts").1.unwrap().contains(';'),
            "overrides apply"
        );
        assert_eq!(
            out("win/crlf.ts").1.unwrap(),
            "const a = 1;\r\nconst b = 2;\r\n"
        );
        assert_eq!(
            out("win/lf.ts").1.unwrap(),
            "const a = 1;\r\nconst b = 2;\r\n"
        );
        assert_eq!(
            out("src/crlf.ts").1.unwrap(),
            "const a = 1;\nconst b = 2;\n"
        );
        let error = out("src/broken.ts").1.unwrap_err();
        assert!(error.contains("SyntaxError"), "{error}");
        assert!(out("src/notes.unknown").1.is_err());
    }

    #[test]
    fn a_clean_check_that_fails_or_differs_skips_the_second_text() {
        let (dir, _) = project("prettier");
        let root = dir.path();
        let pool = PrettierPool::new(Duration::from_secs(60));
        let path = root.join("src/a.ts");
        let clean = pool.format(
            root,
            root,
            &path,
            &["const a = 1;\n", "const  b = 2\n"],
            true,
        );
        assert_eq!(
            clean,
            vec![
                Ok("const a = 1;\n".to_owned()),
                Ok("const b = 2;\n".to_owned())
            ]
        );
        let messy = pool.format(
            root,
            root,
            &path,
            &["const  a = 1\n", "const b = 2;\n"],
            true,
        );
        assert_eq!(messy, vec![Ok("const a = 1;\n".to_owned())]);
        let broken = pool.format(root, root, &path, &["const = ;\n", "const b = 2;\n"], true);
        assert_eq!(broken.len(), 1);
        assert!(broken[0].is_err());
        // The same server answered all three, and still does.
        let again = pool.format(root, root, &path, &["const  c = 3\n"], false);
        assert_eq!(again, vec![Ok("const c = 3;\n".to_owned())]);
    }

    /// A folder whose `node_modules/prettier` is a stand-in: `format` crashes the process
    /// on `CRASH`, never returns on `HANG`, else upper-cases.
    fn stand_in() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join(".git")).unwrap();
        write(
            root,
            "node_modules/prettier/package.json",
            r#"{ "name": "prettier", "version": "2.8.8", "main": "index.js" }"#,
        );
        write(
            root,
            "node_modules/prettier/index.js",
            "exports.getFileInfo = async () => ({ ignored: false, inferredParser: 'babel' });\n\
             exports.resolveConfig = async () => null;\n\
             exports.format = (text) => {\n\
               if (text.includes('CRASH')) { process.stderr.write('boom\\n'); process.exit(7); }\n\
               if (text.includes('HANG')) { for (;;) {} }\n\
               return text.toUpperCase();\n\
             };\n",
        );
        dir
    }

    #[test]
    fn a_crash_or_a_hang_fails_the_text_in_flight_and_a_new_server_takes_over() {
        let dir = stand_in();
        let root = dir.path();
        let path = root.join("a.js");
        let pool = PrettierPool::new(Duration::from_secs(5));
        assert_eq!(
            pool.format(root, root, &path, &["A", "b"], true),
            vec![Ok("A".to_owned()), Ok("B".to_owned())]
        );
        let crashed = pool.format(root, root, &path, &["A", "CRASH", "c"], false);
        assert_eq!(crashed[0], Ok("A".to_owned()));
        let reason = crashed[1].clone().unwrap_err();
        assert!(
            reason.contains("stopped") && reason.contains("boom"),
            "{reason}"
        );
        assert_eq!(crashed[2], Err(reason));
        assert_eq!(
            pool.format(root, root, &path, &["d"], false),
            vec![Ok("D".to_owned())]
        );
        let hung = pool.format(root, root, &path, &["HANG", "e"], true);
        assert_eq!(hung.len(), 1);
        assert!(
            hung[0]
                .as_ref()
                .unwrap_err()
                .contains("ran longer than 5 s")
        );
        assert_eq!(
            pool.format(root, root, &path, &["f"], false),
            vec![Ok("F".to_owned())]
        );
    }

    #[test]
    fn a_server_that_cannot_start_fails_every_request_with_its_reason() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let pool = PrettierPool::new(Duration::from_secs(60));
        for _ in 0..2 {
            let result = pool.format(root, root, &root.join("a.js"), &["a", "b"], true);
            assert_eq!(result.len(), 1);
            let reason = result[0].clone().unwrap_err();
            assert!(reason.contains("cannot load prettier"), "{reason}");
        }
    }
}

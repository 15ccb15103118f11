//! Reading a source file with the limits that keep a scan fast and safe: a size cap,
//! binary detection, UTF-8 validation and BOM handling.

use std::io::Read;
use std::path::Path;

use serde::Serialize;

/// Why a file was not analyzed. These are notes, not errors: the file is not source
/// dash should touch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Skip {
    TooLarge { size: u64, limit: u64 },
    Binary,
    NotUtf8 { offset: usize },
    Minified,
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skip::TooLarge { size, limit } => {
                write!(
                    f,
                    "skipped: {size} bytes is over the size limit of {limit} bytes ([limits] max-file-size)"
                )
            }
            Skip::Binary => write!(
                f,
                "skipped: binary content (a NUL byte) in a source-named file"
            ),
            Skip::NotUtf8 { offset } => write!(
                f,
                "skipped: not valid UTF-8 (first bad byte at offset {offset})"
            ),
            Skip::Minified => write!(f, "skipped: minified (very long lines)"),
        }
    }
}

/// How many leading bytes are checked for a NUL (git checks 8000 the same way).
const BINARY_PROBE: usize = 8000;

/// Where the bytes of a file come from: the working tree, or a blob in git's index (the
/// pre-commit hook checks exactly what is staged, never the working file).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Source {
    #[default]
    Disk,
    /// The staged blob `oid`, read with `git cat-file` in the file's worktree.
    StagedBlob { oid: String },
}

/// The staged blob `oid` of `path`, read with `git cat-file` in the file's folder.
fn read_blob(path: &Path, oid: &str) -> std::io::Result<Vec<u8>> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let output = std::process::Command::new("git")
        .args(["cat-file", "blob", oid])
        .current_dir(dir)
        .output()?;
    if !output.status.success() {
        return Err(std::io::Error::other(format!(
            "git cat-file blob {oid} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(output.stdout)
}

/// A file as the rules see it after the checks every command shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Candidate {
    /// Text without any needle of the rules that apply: nothing in it can match, so it is
    /// never parsed.
    NoNeedle { len: u64 },
    /// Text to analyze: the exact bytes (a byte-order mark included), and the prefilter's
    /// answer (a bit per rule whose needle occurs; never 0).
    Text { bytes: Vec<u8>, hits: u64 },
    /// Not source dash should touch, and why.
    Skipped(Skip),
}

/// Reads `path` for the rules: the size limit, binary content, the prefilter
/// `probe` (which rules' needles occur, as bits; 0 for none), UTF-8 and minified bundles, in
/// that order. `scan`, `fix` and the hook all load files through here so they agree on
/// what is analyzed.
pub fn read_candidate(
    path: &Path,
    source: &Source,
    limit: u64,
    probe: impl FnOnce(&[u8]) -> u64,
) -> std::io::Result<Candidate> {
    match source {
        Source::Disk => read_disk_candidate(path, limit, probe),
        Source::StagedBlob { oid } => Ok(candidate(read_blob(path, oid)?, limit, probe)),
    }
}

thread_local! {
    /// Each scanning thread reads every file into the same buffer: most files hold no
    /// needle and are dropped after the prefilter, so a fresh allocation per file (and,
    /// for large ones, fresh pages from the kernel) would be spent on nothing. Only a
    /// candidate's bytes are copied out.
    static READ_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Files up to this size are read through the thread's buffer.
const SHARED_BUFFER_MAX: u64 = 1 << 20;

/// [`read_candidate`] for a file on disk, through the thread's read buffer.
fn read_disk_candidate(
    path: &Path,
    limit: u64,
    probe: impl FnOnce(&[u8]) -> u64,
) -> std::io::Result<Candidate> {
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size > limit {
        return Ok(Candidate::Skipped(Skip::TooLarge { size, limit }));
    }
    if size > SHARED_BUFFER_MAX {
        // A big file gets a buffer of its own, moved out whole: copying it out of the
        // thread's buffer would hold it twice, and the thread's buffer would keep its
        // size for the rest of the run.
        let mut bytes = Vec::with_capacity(size as usize + 1);
        file.take(limit + 1).read_to_end(&mut bytes)?;
        return Ok(candidate(bytes, limit, probe));
    }
    READ_BUFFER.with(|buffer| {
        let mut buffer = buffer.borrow_mut();
        buffer.clear();
        buffer.reserve(size as usize + 1);
        // `take` guards against a file that grew since its size was read.
        file.by_ref().take(limit + 1).read_to_end(&mut buffer)?;
        Ok(match verdict(&buffer, limit, probe) {
            Verdict::Text { hits } => Candidate::Text {
                bytes: buffer.clone(),
                hits,
            },
            Verdict::Other(other) => other,
        })
    })
}

/// What [`candidate`] decides, before any bytes are moved.
enum Verdict {
    Text { hits: u64 },
    Other(Candidate),
}

/// The checks of [`read_candidate`] on bytes already read: the hook reads every staged
/// blob through one `git cat-file --batch` process and classifies them here, so it
/// agrees with `scan` and `fix` on what is analyzed.
pub fn candidate(bytes: Vec<u8>, limit: u64, probe: impl FnOnce(&[u8]) -> u64) -> Candidate {
    match verdict(&bytes, limit, probe) {
        Verdict::Text { hits } => Candidate::Text { bytes, hits },
        Verdict::Other(other) => other,
    }
}

fn verdict(bytes: &[u8], limit: u64, probe: impl FnOnce(&[u8]) -> u64) -> Verdict {
    let skipped = |skip| Verdict::Other(Candidate::Skipped(skip));
    if bytes.len() as u64 > limit {
        return skipped(Skip::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    if memchr::memchr(0, &bytes[..bytes.len().min(BINARY_PROBE)]).is_some() {
        return skipped(Skip::Binary);
    }
    let hits = probe(bytes);
    if hits == 0 {
        // No rule can find anything here, whatever the encoding: validating UTF-8 would
        // cost a pass over bytes nobody looks at.
        return Verdict::Other(Candidate::NoNeedle {
            len: bytes.len() as u64,
        });
    }
    if let Err(skip) = classify(bytes) {
        return skipped(skip);
    }
    if looks_minified(bytes) {
        return skipped(Skip::Minified);
    }
    Verdict::Text { hits }
}

/// Whether bytes are text dash may analyze: no NUL in the first 8000 bytes, valid UTF-8.
pub fn classify(bytes: &[u8]) -> Result<(), Skip> {
    if memchr::memchr(0, &bytes[..bytes.len().min(BINARY_PROBE)]).is_some() {
        return Err(Skip::Binary);
    }
    std::str::from_utf8(bytes)
        .map(|_| ())
        .map_err(|err| Skip::NotUtf8 {
            offset: err.valid_up_to(),
        })
}

/// The text after a UTF-8 byte-order mark: positions are counted from there, as editors do.
pub fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Generated bundles are not worth reporting: a file of at least 4 KiB whose lines
/// average over 300 bytes of *code* is treated as minified. Long string literals (a
/// data-URI image, an embedded certificate) are not code: a line whose statement
/// punctuation (`;`, `{`, `}`, `(`, `)`, `,`) is rarer than one byte in 100 counts with
/// its punctuation only, so a short module with one long string is analyzed.
pub fn looks_minified(bytes: &[u8]) -> bool {
    if bytes.len() < 4096 {
        return false;
    }
    // Code bytes never exceed the bytes outside newlines, so a file whose lines average
    // 300 bytes or fewer (nearly every source file) is decided by one vectorized count.
    let newlines = memchr::memchr_iter(b'\n', bytes).count();
    if bytes.len() - newlines < 301 * (newlines + 1) {
        return false;
    }
    let lines = newlines + 1;
    let mut code_bytes = 0usize;
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len())) {
        let line = &bytes[start..end];
        start = end + 1;
        if line.len() <= 300 {
            code_bytes += line.len();
            continue;
        }
        // A line is code once one byte in 100 is statement punctuation: counting stops
        // there, after a tenth of a typical minified line.
        let enough = line.len().div_ceil(100);
        let punctuation = line
            .iter()
            .filter(|b| matches!(b, b';' | b'{' | b'}' | b'(' | b')' | b','))
            .take(enough)
            .count();
        code_bytes += if punctuation >= enough {
            line.len()
        } else {
            punctuation
        };
    }
    code_bytes / lines > 300
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_content() {
        assert_eq!(classify(b"const a = 1;\n"), Ok(()));
        assert_eq!(classify(b"\x7fELF\0\0\0"), Err(Skip::Binary));
        assert_eq!(
            classify(b"const s = '\xff';"),
            Err(Skip::NotUtf8 { offset: 11 })
        );
        assert_eq!(without_bom(b"\xEF\xBB\xBFconst a = 1;"), b"const a = 1;");
    }

    fn console(bytes: &[u8]) -> u64 {
        u64::from(memchr::memmem::find(bytes, b"console").is_some())
    }

    #[test]
    fn candidates_in_order_of_the_checks() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        };
        let big = write("big.ts", &[b'a'; 100]);
        assert_eq!(
            read_candidate(&big, &Source::Disk, 50, console).unwrap(),
            Candidate::Skipped(Skip::TooLarge {
                size: 100,
                limit: 50
            })
        );
        assert_eq!(
            read_candidate(&big, &Source::Disk, 100, console).unwrap(),
            Candidate::NoNeedle { len: 100 }
        );
        let binary = write("x.ts", b"console\0");
        assert_eq!(
            read_candidate(&binary, &Source::Disk, 100, console).unwrap(),
            Candidate::Skipped(Skip::Binary)
        );
        let minified = write(
            "m.js",
            "console.log(1);function a(b){return b+1};"
                .repeat(150)
                .as_bytes(),
        );
        assert_eq!(
            read_candidate(&minified, &Source::Disk, 10_000, console).unwrap(),
            Candidate::Skipped(Skip::Minified)
        );
        let text = write("t.ts", b"\xEF\xBB\xBFconsole.log(1);\n");
        assert_eq!(
            read_candidate(&text, &Source::Disk, 100, console).unwrap(),
            Candidate::Text {
                bytes: b"\xEF\xBB\xBFconsole.log(1);\n".to_vec(),
                hits: 1
            }
        );
    }

    /// The heuristic as first written: every line split and counted in full.
    fn looks_minified_reference(bytes: &[u8]) -> bool {
        if bytes.len() < 4096 {
            return false;
        }
        let (mut lines, mut code_bytes) = (0usize, 0usize);
        for line in bytes.split(|&b| b == b'\n') {
            lines += 1;
            let punctuation = line
                .iter()
                .filter(|b| matches!(b, b';' | b'{' | b'}' | b'(' | b')' | b','))
                .count();
            code_bytes += if line.len() <= 300 || punctuation * 100 >= line.len() {
                line.len()
            } else {
                punctuation
            };
        }
        code_bytes / lines > 300
    }

    proptest::proptest! {
        #[test]
        fn minified_shortcuts_agree_with_the_reference(
            parts in proptest::collection::vec(
                (0usize..900, proptest::sample::select(vec![b'a', b';', b'\n', b' ', b'(', b'"'])),
                1..40,
            ),
        ) {
            let bytes: Vec<u8> = parts
                .iter()
                .flat_map(|&(n, b)| std::iter::repeat_n(b, n).chain(std::iter::once(b'x')))
                .collect();
            proptest::prop_assert_eq!(looks_minified(&bytes), looks_minified_reference(&bytes));
        }
    }

    #[test]
    fn minified_heuristic() {
        assert!(!looks_minified(b"short"));
        let bundle = "function a(b){return b+1};var c=a(1),d={e:c};".repeat(120);
        assert!(looks_minified(bundle.as_bytes()));
        // A short module holding one long data URI is source, not a bundle.
        let data_uri = format!(
            "import x from './x';\nexport const icon = 'data:image/png;base64,{}';\nconsole.log(icon);\n",
            "iVBORw0KGgo".repeat(450)
        );
        assert!(!looks_minified(data_uri.as_bytes()));
        let normal: Vec<u8> = "const a = 1;\n".repeat(1000).into_bytes();
        assert!(!looks_minified(&normal));
    }
}

//! Upper bounds on everything dash buffers from outside: the lines and events of a
//! stream, a whole response, an error body, and the files it reads. Without them a
//! server that never ends a line (or a `--context /dev/zero`) grows the process until
//! the kernel kills it.
//!
//! Each limit is far above anything a real provider or a real file reaches, so it only
//! ever stops a broken or hostile peer:
//!
//! * an SSE line or event: one JSON event of a wire format. The largest real ones are
//!   OpenAI Responses' `response.completed`, which repeats the whole response, and a
//!   Gemini chunk holding a whole function call; both are bounded by the model's
//!   output limit (128k tokens, well under 1 MiB of JSON). Limit: 16 MiB.
//! * a response body: a 128k-token reply streamed one token per event is about
//!   30 MiB of SSE. Limit: 256 MiB.
//! * an error body: providers send a few hundred bytes, and dash keeps 500 characters
//!   of a body that is not JSON. Limit: 1 MiB (the rest is not read).
//! * `--context`: a context is sent whole in one request, and providers refuse
//!   requests over 20–32 MB (Gemini inline data, Anthropic), so a 64 MiB one can
//!   never be used. `--tools`: 16 MiB. A `models.toml`: 4 MiB (the built-in catalogue
//!   is 15 KB).

use std::io::Read;
use std::path::{Path, PathBuf};

/// Limits on what one stream may buffer. The defaults are described in the module
/// documentation; tests lower them to exercise the limits quickly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest SSE line (bytes, line ending excluded).
    pub sse_line: usize,
    /// Largest SSE event (the bytes of its `data:` lines joined).
    pub sse_event: usize,
    /// Largest response body, in bytes received.
    pub response_body: u64,
    /// Bytes of an error body read; the rest is discarded unread.
    pub error_body: usize,
}

pub const MAX_SSE_LINE: usize = 16 << 20;
pub const MAX_SSE_EVENT: usize = 16 << 20;
pub const MAX_RESPONSE_BODY: u64 = 256 << 20;
pub const MAX_ERROR_BODY: usize = 1 << 20;
pub const MAX_CONTEXT_FILE: u64 = 64 << 20;
pub const MAX_TOOLS_FILE: u64 = 16 << 20;
pub const MAX_MODELS_FILE: u64 = 4 << 20;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            sse_line: MAX_SSE_LINE,
            sse_event: MAX_SSE_EVENT,
            response_body: MAX_RESPONSE_BODY,
            error_body: MAX_ERROR_BODY,
        }
    }
}

/// `16 MiB`, `512 KiB`, `100 bytes`: limits as a person reads them.
pub fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1 << 10;
    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;
    match bytes {
        b if b >= GIB && b % GIB == 0 => format!("{} GiB", b / GIB),
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b >= KIB && b % KIB == 0 => format!("{} KiB", b / KIB),
        b => format!("{b} bytes"),
    }
}

/// Why a file could not be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum FileError {
    #[error("cannot read {what} {}: {source}", path.display())]
    #[diagnostic(code(dash::llm::input), help("check the path"))]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{what} {} is larger than the {} limit for {what}s",
        path.display(),
        human_size(*limit)
    )]
    #[diagnostic(
        code(dash::llm::too_large),
        help("dash reads at most {} from a {what}; pass a regular file that holds one", human_size(*limit))
    )]
    TooLarge {
        what: &'static str,
        path: PathBuf,
        limit: u64,
    },
    #[error("{what} {} is not UTF-8 text", path.display())]
    #[diagnostic(code(dash::llm::input), help("save the file as UTF-8"))]
    NotUtf8 { what: &'static str, path: PathBuf },
}

impl FileError {
    /// The underlying I/O error kind, if it was one (a missing file is often fine).
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        match self {
            FileError::Io { source, .. } => Some(source.kind()),
            _ => None,
        }
    }
}

/// Reads a text file of at most `limit` bytes. Never reads more than `limit + 1`
/// bytes, whatever the file is (a FIFO, `/dev/zero`, a growing log), and refuses a
/// regular file whose size is over the limit without reading it.
pub fn read_text(path: &Path, what: &'static str, limit: u64) -> Result<String, FileError> {
    let io = |source| FileError::Io {
        what,
        path: path.to_path_buf(),
        source,
    };
    let too_large = || FileError::TooLarge {
        what,
        path: path.to_path_buf(),
        limit,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.is_file() && meta.len() > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(if meta.is_file() {
        usize::try_from(meta.len()).unwrap_or(0)
    } else {
        0
    });
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|_| FileError::NotUtf8 {
        what,
        path: path.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(MAX_SSE_LINE as u64), "16 MiB");
        assert_eq!(human_size(1024), "1 KiB");
        assert_eq!(human_size(1000), "1000 bytes");
        assert_eq!(human_size(4 << 30), "4 GiB");
    }

    #[test]
    fn a_file_at_the_limit_is_read_one_byte_more_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.json");
        std::fs::write(&p, "x".repeat(100)).unwrap();
        assert_eq!(read_text(&p, "context", 100).unwrap().len(), 100);
        let e = read_text(&p, "context", 99).unwrap_err();
        assert!(matches!(e, FileError::TooLarge { limit: 99, .. }), "{e}");
        assert!(e.to_string().contains("99 bytes limit"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn endless_devices_are_read_with_a_bound() {
        let e = read_text(Path::new("/dev/zero"), "context", 1 << 16).unwrap_err();
        assert!(matches!(e, FileError::TooLarge { .. }), "{e}");
        assert!(e.to_string().contains("/dev/zero"));
    }

    #[test]
    fn missing_and_non_utf8_files_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_text(&dir.path().join("nope"), "tools file", 10).unwrap_err();
        assert_eq!(e.io_kind(), Some(std::io::ErrorKind::NotFound));
        let p = dir.path().join("bin");
        std::fs::write(&p, [0xff, 0xfe]).unwrap();
        let e = read_text(&p, "tools file", 10).unwrap_err();
        assert!(matches!(e, FileError::NotUtf8 { .. }));
    }
}

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

/// A file's text, with its byte-order mark (if any) split off so byte offsets and the
/// parser see only the code.
#[derive(Debug, Clone)]
pub struct SourceText {
    pub bytes: Vec<u8>,
    pub bom: bool,
}

/// How many leading bytes are checked for a NUL (git checks 8000 the same way).
const BINARY_PROBE: usize = 8000;

/// Reads `path` unless the size limit, binary content or invalid UTF-8 say otherwise.
pub fn load(path: &Path, limit: u64) -> std::io::Result<Result<SourceText, Skip>> {
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size > limit {
        return Ok(Err(Skip::TooLarge { size, limit }));
    }
    let mut bytes = Vec::with_capacity(size as usize + 1);
    // `take` guards against a file that grew since its size was read.
    file.by_ref().take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Ok(Err(Skip::TooLarge {
            size: bytes.len() as u64,
            limit,
        }));
    }
    Ok(check(bytes))
}

/// Classifies bytes already in memory (also used for staged blobs and tests).
pub fn check(mut bytes: Vec<u8>) -> Result<SourceText, Skip> {
    if memchr::memchr(0, &bytes[..bytes.len().min(BINARY_PROBE)]).is_some() {
        return Err(Skip::Binary);
    }
    if let Err(err) = std::str::from_utf8(&bytes) {
        return Err(Skip::NotUtf8 {
            offset: err.valid_up_to(),
        });
    }
    let bom = bytes.starts_with(b"\xEF\xBB\xBF");
    if bom {
        bytes.drain(..3);
    }
    Ok(SourceText { bytes, bom })
}

/// Generated bundles are not worth reporting: a file of at least 4 KiB whose lines
/// average over 300 bytes is treated as minified.
pub fn looks_minified(bytes: &[u8]) -> bool {
    if bytes.len() < 4096 {
        return false;
    }
    let lines = memchr::memchr_iter(b'\n', bytes).count() + 1;
    bytes.len() / lines > 300
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_content() {
        assert!(matches!(
            check(b"const a = 1;\n".to_vec()),
            Ok(SourceText { bom: false, .. })
        ));
        let with_bom = check(b"\xEF\xBB\xBFconst a = 1;".to_vec()).unwrap();
        assert!(with_bom.bom);
        assert_eq!(with_bom.bytes, b"const a = 1;");
        assert_eq!(check(b"\x7fELF\0\0\0".to_vec()).unwrap_err(), Skip::Binary);
        assert_eq!(
            check(b"const s = '\xff';".to_vec()).unwrap_err(),
            Skip::NotUtf8 { offset: 11 }
        );
    }

    #[test]
    fn size_limit_is_checked_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.ts");
        std::fs::write(&path, vec![b'a'; 100]).unwrap();
        assert_eq!(
            load(&path, 50).unwrap().unwrap_err(),
            Skip::TooLarge {
                size: 100,
                limit: 50
            }
        );
        assert!(load(&path, 100).unwrap().is_ok());
    }

    #[test]
    fn minified_heuristic() {
        assert!(!looks_minified(b"short"));
        assert!(looks_minified(&vec![b'x'; 5000]));
        let normal: Vec<u8> = "const a = 1;\n".repeat(1000).into_bytes();
        assert!(!looks_minified(&normal));
    }
}

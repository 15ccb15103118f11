//! Byte offsets to line/column positions, the way editors count them.

use serde::Serialize;

/// A position in a file: 1-based line and 1-based column counted in Unicode scalar values
/// (what editors mean by "column"), plus the byte offset for tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
    #[serde(skip)]
    pub offset: usize,
}

/// Converts byte offsets to line/column positions in one forward pass.
///
/// Lines end at `\n` (a `\r` before it belongs to the line end and never shifts a
/// column that precedes it). Offsets must be visited in non-decreasing order.
pub struct LineIndex<'s> {
    source: &'s [u8],
    line: u32,
    line_start: usize,
    cursor: usize,
}

impl<'s> LineIndex<'s> {
    pub fn new(source: &'s [u8]) -> Self {
        LineIndex {
            source,
            line: 1,
            line_start: 0,
            cursor: 0,
        }
    }

    pub fn position(&mut self, offset: usize) -> Position {
        if offset < self.cursor {
            // Out-of-order request: restart (correct, just slower; callers sort).
            *self = LineIndex::new(self.source);
        }
        for newline in memchr::memchr_iter(b'\n', &self.source[self.cursor..offset]) {
            self.line += 1;
            self.line_start = self.cursor + newline + 1;
        }
        self.cursor = offset;
        let prefix = &self.source[self.line_start..offset];
        // Count characters, not bytes: UTF-8 continuation bytes are 0b10xxxxxx.
        let column = prefix.iter().filter(|&&b| (b as i8) >= -0x40).count() as u32 + 1;
        Position {
            line: self.line,
            column,
            offset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_and_handle_crlf() {
        let src = "a\r\nbé c\nx".as_bytes();
        let mut index = LineIndex::new(src);
        assert_eq!((index.position(0).line, index.position(0).column), (1, 1));
        let c = src.iter().position(|&b| b == b'c').unwrap();
        let p = index.position(c);
        assert_eq!((p.line, p.column), (2, 4));
        let x = src.len() - 1;
        let p = index.position(x);
        assert_eq!((p.line, p.column), (3, 1));
        // Going backwards restarts instead of giving a wrong answer.
        assert_eq!(index.position(0).line, 1);
    }
}

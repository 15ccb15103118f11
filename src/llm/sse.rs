//! A server-sent-events parser that follows the WHATWG framing rules: LF, CR and CRLF
//! line endings (also when a CRLF is split across two network chunks), multi-line
//! `data:`, `event:` names, `:` comment lines, a leading BOM.
//!
//! It is hand-written rather than taken from `eventsource-stream` for two reasons:
//! it allocates nothing per event (the common single-line `data:` is handed to the
//! caller as a slice of the network chunk; other buffers are reused), which the
//! throughput target needs; and it tells the caller how many events a chunk held,
//! so keep-alive comments do not count as activity for the idle timeout.
//!
//! Lines and events are bounded (see [`crate::llm::limits`]): a line that never ends
//! or an event that never ends stops the parser with an [`SseError`] instead of
//! growing its buffers without end.

/// A limit of the parser was exceeded; the parser dispatches nothing after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    #[error("an SSE line longer than {}", crate::llm::limits::human_size(*.limit as u64))]
    LineTooLong { limit: usize },
    #[error("an SSE event larger than {}", crate::llm::limits::human_size(*.limit as u64))]
    EventTooLarge { limit: usize },
}

impl SseError {
    /// What was too large, for a message: `an SSE line`, `an SSE event`.
    pub fn what(&self) -> &'static str {
        match self {
            SseError::LineTooLong { .. } => "an SSE line",
            SseError::EventTooLarge { .. } => "an SSE event",
        }
    }

    pub fn limit(&self) -> usize {
        match self {
            SseError::LineTooLong { limit } | SseError::EventTooLarge { limit } => *limit,
        }
    }
}

/// Incremental parser: feed it byte chunks as they arrive.
#[derive(Debug)]
pub struct SseParser {
    /// An incomplete line carried over from the previous chunk.
    pending: Vec<u8>,
    /// The previous chunk ended in CR: a LF at the start of the next one belongs to it.
    after_cr: bool,
    started: bool,
    event: String,
    data: String,
    has_data: bool,
    /// The event's only `data:` value so far, as a range of the chunk being fed:
    /// dispatched without copying if the event ends in the same chunk, copied into
    /// `data` otherwise.
    borrowed: Option<(usize, usize)>,
    max_line: usize,
    max_event: usize,
    /// Set when a limit was exceeded; the parser is then inert.
    error: Option<SseError>,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::with_limits(
            crate::llm::limits::MAX_SSE_LINE,
            crate::llm::limits::MAX_SSE_EVENT,
        )
    }
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// A parser with its own bounds on line length and event size (bytes).
    pub fn with_limits(max_line: usize, max_event: usize) -> Self {
        SseParser {
            pending: Vec::new(),
            after_cr: false,
            started: false,
            event: String::new(),
            data: String::new(),
            has_data: false,
            borrowed: None,
            max_line,
            max_event,
            error: None,
        }
    }

    /// The limit that stopped the parser, if one did. Check it after [`Self::feed`]:
    /// once set, further input is ignored.
    pub fn error(&self) -> Option<SseError> {
        self.error
    }

    /// Parses `chunk` and calls `on_event(event_name, data)` for every complete event
    /// (`event_name` is `""` when the event had no `event:` field). Returns the number
    /// of events dispatched.
    pub fn feed(&mut self, mut chunk: &[u8], mut on_event: impl FnMut(&str, &str)) -> usize {
        let mut dispatched = 0;
        if self.error.is_some() {
            return 0;
        }
        if !self.started && !chunk.is_empty() {
            // The BOM may only appear at the very start of the stream, possibly split
            // across reads.
            const BOM: &[u8] = b"\xEF\xBB\xBF";
            let mut head = std::mem::take(&mut self.pending);
            head.extend_from_slice(chunk);
            if head.len() < BOM.len() && BOM.starts_with(&head) {
                self.pending = head;
                return 0;
            }
            self.started = true;
            let body = head.strip_prefix(BOM).unwrap_or(&head).to_vec();
            return self.feed(&body, on_event);
        }
        if self.after_cr {
            self.after_cr = false;
            if let Some(rest) = chunk.strip_prefix(b"\n") {
                chunk = rest;
            }
        }
        let mut pos = 0;
        while let Some(off) = memchr::memchr2(b'\n', b'\r', &chunk[pos..]) {
            let end = pos + off;
            let mut next = end + 1;
            if chunk[end] == b'\r' {
                if end + 1 < chunk.len() {
                    if chunk[end + 1] == b'\n' {
                        next += 1;
                    }
                } else {
                    self.after_cr = true;
                }
            }
            if self.pending.len() + (end - pos) > self.max_line {
                self.overflow(SseError::LineTooLong {
                    limit: self.max_line,
                });
                return dispatched;
            }
            if self.pending.is_empty() {
                dispatched += self.line(chunk, pos, end, &mut on_event);
            } else {
                // Only the first line of a chunk can continue a carried-over one, and
                // nothing is borrowed at that point.
                let mut line = std::mem::take(&mut self.pending);
                line.extend_from_slice(&chunk[pos..end]);
                dispatched += self.line(&line, 0, line.len(), &mut on_event);
                // A value borrowed from this buffer must be kept before it is reused.
                self.materialize(&line);
                line.clear();
                self.pending = line;
            }
            if self.error.is_some() {
                // Freed here too: the line buffer was put back above.
                self.pending = Vec::new();
                return dispatched;
            }
            pos = next;
        }
        if self.pending.len() + (chunk.len() - pos) > self.max_line {
            self.overflow(SseError::LineTooLong {
                limit: self.max_line,
            });
            return dispatched;
        }
        self.materialize(chunk);
        self.pending.extend_from_slice(&chunk[pos..]);
        dispatched
    }

    /// Stops the parser and frees its buffers.
    fn overflow(&mut self, e: SseError) {
        self.error = Some(e);
        self.pending = Vec::new();
        self.data = String::new();
        self.borrowed = None;
        self.has_data = false;
    }

    /// Copies a borrowed `data:` value into the owned buffer (the chunk it points
    /// into is about to go away, or another line must be appended to it).
    fn materialize(&mut self, src: &[u8]) {
        if let Some((s, e)) = self.borrowed.take() {
            push_utf8(&mut self.data, &src[s..e]);
        }
    }

    /// Called at end of input. The standard discards an event that was not
    /// terminated by a blank line; servers that close right after their last `data:`
    /// line are common enough that a complete trailing line is dispatched instead.
    pub fn finish(&mut self, mut on_event: impl FnMut(&str, &str)) -> usize {
        if self.error.is_some() {
            return 0;
        }
        let line = std::mem::take(&mut self.pending);
        let mut n = 0;
        if !line.is_empty() {
            n += self.line(&line, 0, line.len(), &mut on_event);
            self.materialize(&line);
        }
        n + self.line(&[], 0, 0, &mut on_event)
    }

    /// Handles the line `src[start..end]`; `src` is either the chunk being fed or an
    /// owned line buffer, and in both cases outlives any borrowed range into it.
    fn line(
        &mut self,
        src: &[u8],
        start: usize,
        end: usize,
        on_event: &mut impl FnMut(&str, &str),
    ) -> usize {
        let line = &src[start..end];
        if line.is_empty() {
            if !self.has_data {
                self.event.clear();
                return 0;
            }
            match self.borrowed.take() {
                Some((s, e)) => match std::str::from_utf8(&src[s..e]) {
                    Ok(data) => on_event(&self.event, data),
                    Err(_) => on_event(&self.event, &String::from_utf8_lossy(&src[s..e])),
                },
                None => on_event(&self.event, &self.data),
            }
            self.event.clear();
            self.data.clear();
            self.has_data = false;
            return 1;
        }
        if line[0] == b':' {
            return 0;
        }
        let (field, value_start) = match memchr::memchr(b':', line) {
            Some(i) => {
                let v = start + i + 1;
                let v = if src.get(v) == Some(&b' ') { v + 1 } else { v };
                (&line[..i], v.min(end))
            }
            None => (line, end),
        };
        match field {
            b"data" => {
                let held = match self.borrowed {
                    Some((s, e)) => e - s,
                    None => self.data.len(),
                };
                let size = if self.has_data { held + 1 } else { 0 } + (end - value_start);
                if size > self.max_event {
                    self.overflow(SseError::EventTooLarge {
                        limit: self.max_event,
                    });
                    return 0;
                }
                if self.has_data {
                    self.materialize(src);
                    self.data.push('\n');
                    push_utf8(&mut self.data, &src[value_start..end]);
                } else {
                    self.borrowed = Some((value_start, end));
                    self.has_data = true;
                }
            }
            b"event" => {
                self.event.clear();
                push_utf8(&mut self.event, &src[value_start..end]);
            }
            // `id` and `retry` only matter for browser reconnection; unknown fields
            // are ignored by the standard.
            _ => {}
        }
        0
    }
}

fn push_utf8(out: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(s) => out.push_str(s),
        Err(_) => out.push_str(&String::from_utf8_lossy(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_chunks(chunks: &[&[u8]]) -> Vec<(String, String)> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for c in chunks {
            p.feed(c, |e, d| out.push((e.to_owned(), d.to_owned())));
        }
        p.finish(|e, d| out.push((e.to_owned(), d.to_owned())));
        out
    }

    fn ev(e: &str, d: &str) -> (String, String) {
        (e.to_owned(), d.to_owned())
    }

    #[test]
    fn every_line_ending_and_multiline_data() {
        let input =
            b"event: a\r\ndata: one\r\ndata: two\r\n\r\ndata:x\rdata: y\r\r: ping\n\ndata: z\n\n";
        let want = vec![ev("a", "one\ntwo"), ev("", "x\ny"), ev("", "z")];
        assert_eq!(parse_chunks(&[input]), want);
        // Split at every byte: the result must not depend on chunking, including a
        // CRLF divided between two chunks.
        for i in 0..input.len() {
            assert_eq!(
                parse_chunks(&[&input[..i], &input[i..]]),
                want,
                "split at {i}"
            );
        }
        let singles: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(parse_chunks(&singles), want);
    }

    #[test]
    fn comments_and_empty_events_dispatch_nothing() {
        assert!(parse_chunks(&[b": keep-alive\n\n: again\n\nevent: x\n\n"]).is_empty());
    }

    #[test]
    fn bom_is_stripped_even_when_split() {
        let want = vec![ev("", "1")];
        assert_eq!(parse_chunks(&[b"\xEF\xBB", b"\xBFdata: 1\n\n"]), want);
        assert_eq!(
            parse_chunks(&[b"\xEF", b"\xBB", b"\xBF", b"data: 1\n\n"]),
            want
        );
        assert_eq!(parse_chunks(&[b"d", b"ata: 1\n\n"]), want);
    }

    #[test]
    fn unterminated_last_event_is_dispatched_at_eof() {
        assert_eq!(parse_chunks(&[b"data: last"]), vec![ev("", "last")]);
    }

    #[test]
    fn field_without_colon_and_without_space() {
        assert_eq!(parse_chunks(&[b"data\ndata:a\n\n"]), vec![ev("", "\na")]);
    }

    /// Feeds `chunks` to a parser with small limits; returns the events and error.
    fn limited(
        chunks: &[&[u8]],
        line: usize,
        event: usize,
    ) -> (Vec<(String, String)>, Option<SseError>) {
        let mut p = SseParser::with_limits(line, event);
        let mut out = Vec::new();
        for c in chunks {
            p.feed(c, |e, d| out.push((e.to_owned(), d.to_owned())));
        }
        p.finish(|e, d| out.push((e.to_owned(), d.to_owned())));
        (out, p.error())
    }

    #[test]
    fn a_line_at_the_limit_passes_one_byte_more_stops_the_parser() {
        let ok = format!("data: {}\n\n", "x".repeat(10));
        assert_eq!(
            limited(&[ok.as_bytes()], 16, 100).0,
            vec![ev("", &"x".repeat(10))]
        );
        let long = format!("data: {}\n\ndata: after\n\n", "x".repeat(11));
        let (events, err) = limited(&[long.as_bytes()], 16, 100);
        assert!(events.is_empty(), "{events:?}");
        assert_eq!(err, Some(SseError::LineTooLong { limit: 16 }));
    }

    #[test]
    fn a_line_that_never_ends_is_stopped_whatever_the_chunking() {
        let mut p = SseParser::with_limits(1000, 1000);
        let mut n = 0;
        let mut events = 0;
        // Events before the endless line are still dispatched.
        events += p.feed(b"data: first\n\ndata: ", |_, _| {});
        while p.error().is_none() {
            events += p.feed(&[b'x'; 7], |_, _| {});
            n += 1;
            assert!(n < 1000, "the parser kept buffering");
        }
        assert_eq!(events, 1);
        assert_eq!(p.error(), Some(SseError::LineTooLong { limit: 1000 }));
        assert!(p.pending.capacity() == 0, "buffers are freed");
        assert_eq!(p.feed(b"\n\ndata: late\n\n", |_, _| panic!("inert")), 0);
        // Comment lines and CR-only endings are lines like any other.
        let (_, err) = limited(&[b": ", &[b'c'; 40], b"\rdata: x\r\r"], 16, 100);
        assert_eq!(err, Some(SseError::LineTooLong { limit: 16 }));
    }

    #[test]
    fn an_event_of_many_short_lines_is_bounded() {
        let mut body = Vec::new();
        for _ in 0..20 {
            body.extend_from_slice(b"data: 0123456789\n");
        }
        body.extend_from_slice(b"\n");
        let (events, err) = limited(&[&body], 64, 100);
        assert!(events.is_empty());
        assert_eq!(err, Some(SseError::EventTooLarge { limit: 100 }));
        // Nine lines of ten bytes joined by newlines: 98 bytes, within the limit,
        // also when every byte arrives alone.
        let body: Vec<u8> = body[..9 * 17].iter().chain(b"\n").copied().collect();
        let singles: Vec<&[u8]> = body.chunks(1).collect();
        let (events, err) = limited(&singles, 64, 100);
        assert_eq!((events.len(), err), (1, None));
        assert_eq!(events[0].1.len(), 98);
    }
}

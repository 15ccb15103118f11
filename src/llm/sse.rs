//! A server-sent-events parser that follows the WHATWG framing rules: LF, CR and CRLF
//! line endings (also when a CRLF is split across two network chunks), multi-line
//! `data:`, `event:` names, `:` comment lines, a leading BOM.
//!
//! It is hand-written rather than taken from `eventsource-stream` for two reasons:
//! it works on borrowed buffers that are reused from event to event (no allocation
//! per event, which the throughput target needs), and it tells the caller which bytes
//! were mere comments, so keep-alive pings do not count as activity for the idle
//! timeout.

/// Incremental parser: feed it byte chunks as they arrive.
#[derive(Debug, Default)]
pub struct SseParser {
    /// An incomplete line carried over from the previous chunk.
    pending: Vec<u8>,
    /// The previous chunk ended in CR: a LF at the start of the next one belongs to it.
    after_cr: bool,
    started: bool,
    event: String,
    data: String,
    has_data: bool,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `chunk` and calls `on_event(event_name, data)` for every complete event
    /// (`event_name` is `""` when the event had no `event:` field). Returns the number
    /// of events dispatched.
    pub fn feed(&mut self, mut chunk: &[u8], mut on_event: impl FnMut(&str, &str)) -> usize {
        let mut dispatched = 0;
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
        while let Some(end) = memchr::memchr2(b'\n', b'\r', chunk) {
            let line_end = end;
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
            if self.pending.is_empty() {
                dispatched += self.line(&chunk[..line_end], &mut on_event);
            } else {
                let mut line = std::mem::take(&mut self.pending);
                line.extend_from_slice(&chunk[..line_end]);
                dispatched += self.line(&line, &mut on_event);
                line.clear();
                self.pending = line;
            }
            chunk = &chunk[next..];
        }
        self.pending.extend_from_slice(chunk);
        dispatched
    }

    /// Called at end of input. The standard discards an event that was not
    /// terminated by a blank line; servers that close right after their last `data:`
    /// line are common enough that a complete trailing line is dispatched instead.
    pub fn finish(&mut self, mut on_event: impl FnMut(&str, &str)) -> usize {
        let mut n = 0;
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            n += self.line(&line, &mut on_event);
        }
        n + self.line(b"", &mut on_event)
    }

    fn line(&mut self, line: &[u8], on_event: &mut impl FnMut(&str, &str)) -> usize {
        if line.is_empty() {
            if !self.has_data {
                self.event.clear();
                return 0;
            }
            on_event(&self.event, &self.data);
            self.event.clear();
            self.data.clear();
            self.has_data = false;
            return 1;
        }
        if line[0] == b':' {
            return 0;
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                push_utf8(&mut self.data, value);
                self.has_data = true;
            }
            b"event" => {
                self.event.clear();
                push_utf8(&mut self.event, value);
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
}

//! A server-sent-events parser that follows the WHATWG framing rules: LF, CR and CRLF
//! line endings (also when a CRLF is split across two network chunks), multi-line
//! `data:`, `event:` names, `:` comment lines, a leading BOM.
//!
//! It is hand-written rather than taken from `eventsource-stream` for two reasons:
//! it allocates nothing per event (the common single-line `data:` is handed to the
//! caller as a slice of the network chunk; other buffers are reused), which the
//! throughput target needs; and it tells the caller how many events a chunk held,
//! so keep-alive comments do not count as activity for the idle timeout.

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
    /// The event's only `data:` value so far, as a range of the chunk being fed:
    /// dispatched without copying if the event ends in the same chunk, copied into
    /// `data` otherwise.
    borrowed: Option<(usize, usize)>,
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
            pos = next;
        }
        self.materialize(chunk);
        self.pending.extend_from_slice(&chunk[pos..]);
        dispatched
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
}

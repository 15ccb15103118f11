//! Best-effort parsing of a JSON document that is still arriving (tool-call arguments
//! streamed in fragments).
//!
//! pi-ai re-parses the whole argument buffer on every fragment, which is quadratic in
//! the length of the arguments (a `write_file` call with a 100 KB body becomes
//! ~10⁹ byte visits). Here the work is split in two:
//!
//! * a [`Scanner`] advances over each new fragment once and keeps just enough state
//!   (open containers, the token in progress, where the current member began) to know
//!   how to turn the prefix into valid JSON: cut an incomplete key or literal, close an
//!   open string, append the closing brackets;
//! * [`PartialArgs`] materialises that repair into a `serde_json::Value` only on an
//!   amortised schedule (beyond 1 KiB, each parse waits until the buffer doubled), so
//!   the total work over a stream is linear in its length.
//!
//! The repair is conservative: a half-written key or literal is dropped rather than
//! invented, a half-written string value is kept (useful for live previews of long
//! string arguments), a number loses a dangling `.`, `e` or sign.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Object,
    Array,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Just opened, no member yet.
    Start,
    /// Inside a key string.
    Key,
    /// Key done, waiting for `:`.
    Colon,
    /// Waiting for a value (after `:` in an object, after `,` in an array).
    Value,
    /// After `,` in an object, waiting for the next key.
    NextKey,
    /// A value is being read (a scalar, or a child container).
    InValue,
    /// The current member is complete.
    After,
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    kind: Kind,
    slot: Slot,
    /// Truncating the document here removes the incomplete member (the `,` before
    /// it, or the position just after the opening bracket).
    member_cut: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escape {
    None,
    Backslash,
    Unicode(u8),
}

#[derive(Debug, Clone, Copy)]
enum Token {
    None,
    Str {
        is_key: bool,
        escape: Escape,
        escape_start: usize,
        /// Start of a `\uD8xx` high-surrogate escape that no low surrogate has
        /// followed yet; cutting there avoids a lone surrogate.
        high_surrogate: Option<usize>,
    },
    Num {
        start: usize,
    },
    Lit {
        start: usize,
    },
}

/// Incremental structural scanner over a growing JSON prefix.
#[derive(Debug, Clone)]
pub struct Scanner {
    pos: usize,
    frames: Vec<Frame>,
    token: Token,
    top_started: bool,
    top_done: bool,
    broken: bool,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner {
            pos: 0,
            frames: Vec::new(),
            token: Token::None,
            top_started: false,
            top_done: false,
            broken: false,
        }
    }
}

impl Scanner {
    /// Scans `buf[self.pos..]`; `buf` must extend the text scanned before.
    pub fn advance(&mut self, buf: &str) {
        let b = buf.as_bytes();
        while self.pos < b.len() && !self.broken {
            match self.token {
                Token::Str { .. } => self.string_step(buf),
                Token::Num { .. } => {
                    let c = b[self.pos];
                    if c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-') {
                        self.pos += 1;
                    } else {
                        self.token = Token::None;
                        self.value_done();
                    }
                }
                Token::Lit { start } => {
                    let c = b[self.pos];
                    if c.is_ascii_alphabetic() {
                        self.pos += 1;
                    } else {
                        self.token = Token::None;
                        if matches!(&buf[start..self.pos], "true" | "false" | "null") {
                            self.value_done();
                        } else {
                            self.broken = true;
                        }
                    }
                }
                Token::None => self.structural(b),
            }
        }
    }

    fn string_step(&mut self, buf: &str) {
        let b = buf.as_bytes();
        let Token::Str {
            is_key,
            escape,
            escape_start,
            high_surrogate,
        } = self.token
        else {
            return;
        };
        match escape {
            Escape::None => match memchr::memchr2(b'"', b'\\', &b[self.pos..]) {
                None => {
                    if self.pos < b.len() {
                        self.set_high_surrogate(None);
                    }
                    self.pos = b.len();
                }
                Some(off) => {
                    if off > 0 {
                        self.set_high_surrogate(None);
                    }
                    let at = self.pos + off;
                    if b[at] == b'\\' {
                        self.token = Token::Str {
                            is_key,
                            escape: Escape::Backslash,
                            escape_start: at,
                            high_surrogate: if off > 0 { None } else { high_surrogate },
                        };
                        self.pos = at + 1;
                    } else {
                        self.pos = at + 1;
                        self.token = Token::None;
                        if is_key {
                            if let Some(f) = self.frames.last_mut() {
                                f.slot = Slot::Colon;
                            }
                        } else {
                            self.value_done();
                        }
                    }
                }
            },
            Escape::Backslash => {
                let c = b[self.pos];
                self.pos += 1;
                let escape = if c == b'u' {
                    Escape::Unicode(0)
                } else {
                    Escape::None
                };
                let high_surrogate = if c == b'u' { high_surrogate } else { None };
                self.token = Token::Str {
                    is_key,
                    escape,
                    escape_start,
                    high_surrogate,
                };
            }
            Escape::Unicode(n) => {
                let c = b[self.pos];
                if !c.is_ascii_hexdigit() {
                    self.broken = true;
                    return;
                }
                self.pos += 1;
                let (escape, high) = if n == 3 {
                    let unit = u16::from_str_radix(&buf[escape_start + 2..self.pos], 16)
                        .unwrap_or_default();
                    let high = (0xD800..=0xDBFF).contains(&unit).then_some(escape_start);
                    (Escape::None, high)
                } else {
                    (Escape::Unicode(n + 1), high_surrogate)
                };
                self.token = Token::Str {
                    is_key,
                    escape,
                    escape_start,
                    high_surrogate: high,
                };
            }
        }
    }

    fn set_high_surrogate(&mut self, v: Option<usize>) {
        if let Token::Str { high_surrogate, .. } = &mut self.token {
            *high_surrogate = v;
        }
    }

    fn structural(&mut self, b: &[u8]) {
        let c = b[self.pos];
        if c.is_ascii_whitespace() {
            self.pos += 1;
            return;
        }
        let at = self.pos;
        let expecting_value = match self.frames.last() {
            None => !self.top_started,
            Some(f) => match f.kind {
                Kind::Array => matches!(f.slot, Slot::Start | Slot::Value),
                Kind::Object => f.slot == Slot::Value,
            },
        };
        if expecting_value {
            // `[]`: a closing bracket where the first element could have started.
            if c == b']'
                && self
                    .frames
                    .last()
                    .is_some_and(|f| f.kind == Kind::Array && f.slot == Slot::Start)
            {
                self.pos += 1;
                self.frames.pop();
                self.value_done();
                return;
            }
            if let Some(f) = self.frames.last_mut() {
                f.slot = Slot::InValue;
            } else {
                self.top_started = true;
            }
            self.pos += 1;
            match c {
                b'{' | b'[' => self.frames.push(Frame {
                    kind: if c == b'{' { Kind::Object } else { Kind::Array },
                    slot: Slot::Start,
                    member_cut: at + 1,
                }),
                b'"' => {
                    self.token = Token::Str {
                        is_key: false,
                        escape: Escape::None,
                        escape_start: 0,
                        high_surrogate: None,
                    }
                }
                b'-' | b'0'..=b'9' => self.token = Token::Num { start: at },
                b't' | b'f' | b'n' => self.token = Token::Lit { start: at },
                _ => self.broken = true,
            }
            return;
        }
        let Some(f) = self.frames.last_mut() else {
            // Text after a complete top-level value.
            self.broken = true;
            return;
        };
        self.pos += 1;
        match (f.kind, f.slot, c) {
            (Kind::Object, Slot::Start | Slot::NextKey, b'"') => {
                f.slot = Slot::Key;
                self.token = Token::Str {
                    is_key: true,
                    escape: Escape::None,
                    escape_start: 0,
                    high_surrogate: None,
                };
            }
            (Kind::Object, Slot::Colon, b':') => f.slot = Slot::Value,
            (Kind::Object, Slot::Start | Slot::After, b'}') | (Kind::Array, Slot::After, b']') => {
                self.frames.pop();
                self.value_done();
            }
            (kind, Slot::After, b',') => {
                f.member_cut = at;
                f.slot = if kind == Kind::Object {
                    Slot::NextKey
                } else {
                    Slot::Value
                };
            }
            _ => self.broken = true,
        }
    }

    fn value_done(&mut self) {
        match self.frames.last_mut() {
            Some(f) => f.slot = Slot::After,
            None => self.top_done = true,
        }
    }

    /// The scanned prefix turned into the longest valid document the rules allow, or
    /// `None` when nothing usable has arrived (or the text is not JSON).
    pub fn repair(&self, buf: &str) -> Option<Value> {
        if self.broken || !self.top_started {
            return None;
        }
        debug_assert_eq!(self.pos, buf.len());
        if self.top_done {
            return serde_json::from_str(buf).ok();
        }
        let incomplete_member = |frames: &[Frame]| frames.last().map(|f| f.member_cut);
        let mut close_quote = false;
        let cut = match self.token {
            Token::Str {
                is_key: false,
                escape,
                escape_start,
                high_surrogate,
            } => {
                close_quote = true;
                let mut cut = if escape == Escape::None {
                    buf.len()
                } else {
                    escape_start
                };
                if let Some(h) = high_surrogate {
                    cut = cut.min(h);
                }
                Some(cut)
            }
            Token::Str { is_key: true, .. } => incomplete_member(&self.frames),
            Token::Num { start } => {
                let t = buf[start..].trim_end_matches(['.', 'e', 'E', '+', '-']);
                if t.is_empty() {
                    incomplete_member(&self.frames)
                } else {
                    Some(start + t.len())
                }
            }
            Token::Lit { start } => {
                if matches!(&buf[start..], "true" | "false" | "null") {
                    Some(buf.len())
                } else {
                    incomplete_member(&self.frames)
                }
            }
            Token::None => match self.frames.last() {
                Some(f) if !matches!(f.slot, Slot::Start | Slot::After) => Some(f.member_cut),
                _ => Some(buf.len()),
            },
        }?;
        let mut out = String::with_capacity(cut + self.frames.len() + 1);
        out.push_str(&buf[..cut]);
        if close_quote {
            out.push('"');
        }
        for f in self.frames.iter().rev() {
            out.push(if f.kind == Kind::Object { '}' } else { ']' });
        }
        serde_json::from_str(&out).ok()
    }
}

/// One-shot best-effort parse of a JSON prefix.
pub fn parse_partial(prefix: &str) -> Option<Value> {
    let mut s = Scanner::default();
    s.advance(prefix);
    s.repair(prefix)
}

/// Below this size every fragment gets a fresh parse: typical tool arguments stay
/// exact at every delta, and the cost per fragment is bounded by this constant.
const EAGER_LIMIT: usize = 1024;

/// The arguments of one streaming tool call: the raw fragments and the scanner that
/// makes best-effort parses cheap.
#[derive(Debug, Clone, Default)]
pub struct PartialArgs {
    buf: String,
    scanner: Scanner,
    next_parse_at: usize,
}

impl PartialArgs {
    /// Appends a fragment. Returns a fresh best-effort parse when the schedule says
    /// one is due (always below 1 KiB; beyond, once the buffer has doubled
    /// since the last parse), `None` otherwise.
    pub fn push(&mut self, fragment: &str) -> Option<Value> {
        self.buf.push_str(fragment);
        self.scanner.advance(&self.buf);
        if self.buf.len() < self.next_parse_at || fragment.is_empty() {
            return None;
        }
        // Small buffers are re-parsed on every fragment (bounded cost: at most
        // EAGER_LIMIT bytes per fragment), larger ones each time they double.
        self.next_parse_at = if self.buf.len() < EAGER_LIMIT {
            0
        } else {
            self.buf.len() * 2
        };
        self.scanner.repair(&self.buf)
    }

    /// Replaces the buffer with the provider's final, complete argument string.
    pub fn replace(&mut self, full: &str) {
        self.buf.clear();
        self.scanner = Scanner::default();
        self.next_parse_at = 0;
        self.push(full);
    }

    /// A best-effort parse of everything received, computed now.
    pub fn current(&self) -> Option<Value> {
        self.scanner.repair(&self.buf)
    }

    pub fn as_str(&self) -> &str {
        &self.buf
    }

    pub fn is_empty(&self) -> bool {
        self.buf.trim().is_empty()
    }

    /// The final arguments: an exact parse when the JSON is complete, else the best
    /// repair; always an object (`{}` when nothing usable arrived), as the event
    /// contract promises.
    pub fn finish(&self) -> Value {
        let v = serde_json::from_str::<Value>(&self.buf)
            .ok()
            .or_else(|| self.scanner.repair(&self.buf));
        match v {
            Some(v @ Value::Object(_)) => v,
            _ => Value::Object(serde_json::Map::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Whether `partial` could be an earlier view of `full`: every key present maps
    /// to a compatible value, arrays are no longer, strings are prefixes.
    fn compatible(partial: &Value, full: &Value) -> bool {
        match (partial, full) {
            (Value::Object(p), Value::Object(f)) => p
                .iter()
                .all(|(k, v)| f.get(k).is_some_and(|fv| compatible(v, fv))),
            (Value::Array(p), Value::Array(f)) => {
                p.len() <= f.len() && p.iter().zip(f).all(|(a, b)| compatible(a, b))
            }
            (Value::String(p), Value::String(f)) => f.starts_with(p.as_str()),
            (Value::Number(_), Value::Number(_)) => true,
            (a, b) => a == b,
        }
    }

    const SAMPLES: &[&str] = &[
        r#"{"path": "src/index.ts", "lines": [1, 20], "dry": true, "note": null}"#,
        r#"{"city":"Paris","units":"metric","days":-3.25e2,"flags":{"a":[[],{}],"b":false}}"#,
        r#"{"text":"quote \" backslash \\ tab \t unicode \u00e9 emoji \ud83d\ude00 end"}"#,
        r#"{ "nested" : { "deep" : [ { "x" : 1 } , [ 2 , 3 ] ] } , "e" : [] , "o" : {} }"#,
        r#"{"héllo":"wörld ✓","n":0}"#,
        r#"[1, "two", {"three": 3}]"#,
        r#"{}"#,
    ];

    #[test]
    fn every_prefix_parses_to_a_compatible_value() {
        for sample in SAMPLES {
            let full: Value = serde_json::from_str(sample).unwrap();
            for (i, _) in sample.char_indices().chain([(sample.len(), ' ')]) {
                let prefix = &sample[..i];
                let got = parse_partial(prefix);
                if let Some(v) = &got {
                    assert!(
                        compatible(v, &full),
                        "prefix {prefix:?} gave {v} which is not compatible with {full}"
                    );
                }
                // Once the opening bracket has arrived there must always be a value.
                if !prefix.trim_start().is_empty() {
                    assert!(got.is_some(), "prefix {prefix:?} gave nothing");
                }
            }
            assert_eq!(parse_partial(sample).unwrap(), full);
        }
    }

    #[test]
    fn incremental_scan_equals_one_shot_scan_for_every_split() {
        for sample in SAMPLES {
            let idx: Vec<usize> = sample.char_indices().map(|(i, _)| i).collect();
            for &split in &idx {
                let mut s = Scanner::default();
                s.advance(&sample[..split]);
                s.advance(sample);
                assert_eq!(
                    s.repair(sample),
                    parse_partial(sample),
                    "{sample} split at {split}"
                );
            }
        }
    }

    #[test]
    fn repair_rules() {
        assert_eq!(parse_partial(r#"{"a":"hel"#), Some(json!({"a": "hel"})));
        assert_eq!(parse_partial(r#"{"a":1,"b"#), Some(json!({"a": 1})));
        assert_eq!(parse_partial(r#"{"a":1,"b":"#), Some(json!({"a": 1})));
        assert_eq!(parse_partial(r#"{"a":tr"#), Some(json!({})));
        assert_eq!(parse_partial(r#"{"a":1.5e"#), Some(json!({"a": 1.5})));
        assert_eq!(parse_partial(r#"{"a":"x\"#), Some(json!({"a": "x"})));
        assert_eq!(parse_partial(r#"{"a":"x\u00"#), Some(json!({"a": "x"})));
        assert_eq!(parse_partial(r#"{"a":"x\ud83d"#), Some(json!({"a": "x"})));
        assert_eq!(parse_partial(r#"{"a":[1,"#), Some(json!({"a": [1]})));
        assert_eq!(parse_partial("   "), None);
        assert_eq!(parse_partial("{]"), None);
        assert_eq!(parse_partial("nul"), None);
    }

    #[test]
    fn partial_args_finish_is_always_an_object() {
        let mut a = PartialArgs::default();
        assert_eq!(a.finish(), json!({}));
        a.push(r#"{"a": [1, 2"#);
        assert_eq!(a.finish(), json!({"a": [1, 2]}));
        a.replace(r#"{"a": 3}"#);
        assert_eq!(a.finish(), json!({"a": 3}));
        a.replace("[1]");
        assert_eq!(a.finish(), json!({}));
    }

    #[test]
    fn parses_are_amortised_on_long_arguments() {
        // 200 KB of string argument in 10-byte fragments: past the eager first KiB,
        // the number of full parses grows logarithmically, not once per fragment.
        let mut a = PartialArgs::default();
        let mut eager = 0;
        let mut amortised = 0;
        a.push(r#"{"content":""#);
        for _ in 0..20_000 {
            let small = a.as_str().len() < EAGER_LIMIT;
            match (a.push("abcdefghij").is_some(), small) {
                (true, true) => eager += 1,
                (true, false) => amortised += 1,
                _ => {}
            }
        }
        a.push(r#""}"#);
        assert!(eager <= EAGER_LIMIT / 10 + 1, "{eager} eager parses");
        assert!(amortised < 16, "{amortised} parses past the eager limit");
        assert_eq!(a.finish()["content"].as_str().unwrap().len(), 200_000);
    }
}

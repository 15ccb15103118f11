//! Keeps the API key out of everything dash prints or saves.
//!
//! The boundary is the [`MessageBuilder`](crate::llm::builder::MessageBuilder): every
//! string that comes from the wire (text, thinking and tool-argument deltas, tool ids
//! and names, signatures, stop reasons, response ids, error messages and codes)
//! enters dash's own types there, and from there reaches `--events`, stdout, stderr,
//! `--save` and library callers. Redacting once at that door, instead of at each
//! output, means a new output cannot forget it.
//!
//! Why all text and not only error messages: a provider (or a proxy in front of it)
//! that echoes request headers can put the key in any field, and there is no
//! legitimate reason for dash to show the user's key back to them. The model itself
//! never sees the key (it travels in a header), so the only way it appears in a
//! reply is an echo.
//!
//! Streamed deltas need care: a key split across two deltas (`"sk-ab"`, `"cd…"`)
//! matches in neither. [`Redactor::stream`] therefore holds back the end of a block
//! that could be the start of the key until the next delta decides it (usually
//! nothing, or a character or two), and the builder flushes what is held when the
//! block ends.
//!
//! The key is matched as sent and in the encodings an echo may use: JSON-escaped
//! (also with `\/`) and percent-encoded (upper- and lower-case hex). A `Bearer` header
//! echo contains the key as sent.

use std::borrow::Cow;
use std::fmt;

use serde_json::Value;

/// What replaces the key.
pub const REDACTED: &str = "[REDACTED]";

/// Shorter "keys" are placeholders (`ollama`, `none`, `x`) that local servers accept
/// whatever they are; they protect nothing, and replacing them would mangle ordinary
/// words in the model's text.
pub const MIN_SECRET_LEN: usize = 8;

/// The forms of one secret to remove. `Debug` never shows them.
#[derive(Clone, PartialEq, Eq)]
pub struct Redactor {
    /// Distinct forms, longest first (so a longer encoding is replaced whole).
    forms: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} forms)", self.forms.len())
    }
}

impl Redactor {
    /// A redactor for `secret`, or `None` when it is too short to be one.
    pub fn new(secret: &str) -> Option<Self> {
        if secret.len() < MIN_SECRET_LEN {
            return None;
        }
        let json = serde_json::to_string(secret).expect("strings serialise");
        let json = json[1..json.len() - 1].to_owned();
        let mut forms = vec![
            secret.to_owned(),
            json.replace('/', "\\/"),
            json,
            percent_encode(secret, b"0123456789ABCDEF"),
            percent_encode(secret, b"0123456789abcdef"),
        ];
        forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        forms.dedup();
        Some(Redactor { forms })
    }

    /// `s` with every form of the secret replaced by [`REDACTED`].
    pub fn redact<'a>(&self, s: &'a str) -> Cow<'a, str> {
        if !self.forms.iter().any(|f| s.contains(f.as_str())) {
            return Cow::Borrowed(s);
        }
        let mut out = s.to_owned();
        for f in &self.forms {
            if out.contains(f.as_str()) {
                out = out.replace(f.as_str(), REDACTED);
            }
        }
        Cow::Owned(out)
    }

    pub fn redact_in_place(&self, s: &mut String) {
        if let Cow::Owned(r) = self.redact(s) {
            *s = r;
        }
    }

    /// Redacts every string (and object key) inside a JSON value.
    pub fn redact_value(&self, v: &mut Value) {
        match v {
            Value::String(s) => self.redact_in_place(s),
            Value::Array(items) => items.iter_mut().for_each(|x| self.redact_value(x)),
            Value::Object(map) => {
                if map.keys().any(|k| self.redact(k) != k.as_str()) {
                    let old = std::mem::take(map);
                    for (k, mut x) in old {
                        self.redact_value(&mut x);
                        map.insert(self.redact(&k).into_owned(), x);
                    }
                } else {
                    map.values_mut().for_each(|x| self.redact_value(x));
                }
            }
            _ => {}
        }
    }

    /// Streaming redaction of one block: appends `delta` to `held` (what an earlier
    /// call kept back), and returns the part that is safe to hand out now. What stays
    /// in `held` is the longest end of the text that is a proper prefix of some form
    /// of the secret; the caller hands it out when the block ends.
    pub fn stream(&self, held: &mut String, delta: &str) -> String {
        held.push_str(delta);
        self.redact_in_place(held);
        let keep = self.pending_len(held);
        if keep == 0 {
            return std::mem::take(held);
        }
        let cut = held.len() - keep;
        let out = held[..cut].to_owned();
        held.drain(..cut);
        out
    }

    /// Length of the longest suffix of `s` that is a proper prefix of a form.
    fn pending_len(&self, s: &str) -> usize {
        let bytes = s.as_bytes();
        let mut best = 0;
        for f in &self.forms {
            let fb = f.as_bytes();
            let window = (fb.len() - 1).min(bytes.len());
            let start = bytes.len() - window;
            // Candidate starts are the occurrences of the form's first byte; the
            // earliest one that matches gives the longest suffix.
            for p in memchr::memchr_iter(fb[0], &bytes[start..]) {
                let tail = &bytes[start + p..];
                if tail.len() > best && fb.starts_with(tail) {
                    best = tail.len();
                    break;
                }
            }
        }
        best
    }
}

/// Percent-encodes every byte outside RFC 3986's unreserved set.
fn percent_encode(s: &str, hex: &[u8; 16]) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(hex[usize::from(b >> 4)]));
            out.push(char::from(hex[usize::from(b & 15)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &str = "sk-proj+AbC/dEf=123456";

    #[test]
    fn every_form_is_replaced() {
        let r = Redactor::new(KEY).unwrap();
        for form in [
            KEY.to_owned(),
            format!("Bearer {KEY}"),
            "sk-proj%2BAbC%2FdEf%3D123456".to_owned(),
            "sk-proj%2bAbC%2fdEf%3d123456".to_owned(),
            "sk-proj+AbC\\/dEf=123456".to_owned(),
        ] {
            let s = format!("echo: {form}; again {form}.");
            let out = r.redact(&s);
            assert!(!out.contains("AbC"), "{form} -> {out}");
            assert_eq!(out.matches(REDACTED).count(), 2, "{out}");
        }
        assert!(matches!(r.redact("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn short_placeholders_are_not_secrets() {
        assert!(Redactor::new("ollama").is_none());
        assert!(Redactor::new("12345678").is_some());
    }

    #[test]
    fn debug_does_not_show_the_secret() {
        let r = Redactor::new(KEY).unwrap();
        assert!(!format!("{r:?}").contains("AbC"));
    }

    #[test]
    fn json_values_are_redacted_recursively_keys_too() {
        let r = Redactor::new(KEY).unwrap();
        let mut v = json!({"a": [KEY, {"b": format!("x{KEY}y")}], KEY: 1, "n": 2});
        r.redact_value(&mut v);
        assert_eq!(
            v,
            json!({"a": [REDACTED, {"b": format!("x{REDACTED}y")}], REDACTED: 1, "n": 2})
        );
    }

    /// Whatever the split, the streamed output never contains the key and, once
    /// flushed, equals the whole text redacted.
    #[test]
    fn a_key_split_across_deltas_is_still_redacted() {
        let r = Redactor::new(KEY).unwrap();
        let text = format!("the key is {KEY}, sure? s sk sk-pro yes");
        let want = r.redact(&text).into_owned();
        for a in 0..=text.len() {
            for b in a..=text.len() {
                if !(text.is_char_boundary(a) && text.is_char_boundary(b)) {
                    continue;
                }
                let mut held = String::new();
                let mut out = Vec::new();
                for piece in [&text[..a], &text[a..b], &text[b..]] {
                    out.push(r.stream(&mut held, piece));
                }
                out.push(std::mem::take(&mut held));
                for o in &out {
                    assert!(!o.contains("dEf"), "split {a}/{b}: {out:?}");
                }
                assert_eq!(out.concat(), want, "split {a}/{b}");
            }
        }
    }

    #[test]
    fn only_a_possible_key_start_is_held() {
        let r = Redactor::new(KEY).unwrap();
        let mut held = String::new();
        assert_eq!(r.stream(&mut held, "plain text"), "plain text");
        assert_eq!(r.stream(&mut held, "ends in sk-p"), "ends in ");
        assert_eq!(held, "sk-p");
        assert_eq!(r.stream(&mut held, "ool"), "sk-pool");
        assert_eq!(held, "");
        // Multi-byte text around a held prefix stays valid.
        assert_eq!(r.stream(&mut held, "é s"), "é ");
        assert_eq!(r.stream(&mut held, "ü"), "sü");
    }
}

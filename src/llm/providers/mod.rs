//! One module per wire format. Each has two halves that never touch the network:
//!
//! * `build_request`: context + model → URL, headers and JSON body (after the
//!   cross-provider [`handoff`](crate::llm::handoff) rules are applied);
//! * a [`WireParser`]: a state machine fed one SSE event at a time that drives a
//!   [`MessageBuilder`]. Unit tests, fixtures and the benchmark call it directly;
//!   [`crate::llm::stream`] only moves bytes.

pub mod anthropic;
pub mod compat;
pub mod google;
pub mod openai_completions;
pub mod openai_responses;

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::auth::ApiKey;
use super::builder::MessageBuilder;
use super::error::{LlmError, classify};
use super::models::{Api, Model};
use super::types::Context;

/// A request ready to send (the key is added by [`auth_headers`] at the last moment).
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

/// How hard a reasoning model should think.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasoningLevel {
    Minimal,
    Low,
    Medium,
    High,
}

impl ReasoningLevel {
    pub fn effort(self) -> &'static str {
        match self {
            ReasoningLevel::Minimal => "minimal",
            ReasoningLevel::Low => "low",
            ReasoningLevel::Medium => "medium",
            ReasoningLevel::High => "high",
        }
    }

    /// Thinking-token budget for the providers that take one (pi's defaults).
    pub fn budget(self) -> u64 {
        match self {
            ReasoningLevel::Minimal => 1024,
            ReasoningLevel::Low => 2048,
            ReasoningLevel::Medium => 8192,
            ReasoningLevel::High => 16384,
        }
    }
}

/// Prompt caching for providers where the client marks what to cache (Anthropic;
/// OpenAI and Gemini cache prefixes on their own).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PromptCache {
    /// Send no cache markers.
    Off,
    /// Mark the system prompt and the latest user turn (the ~5 minute cache): an
    /// agent resending a growing conversation pays a tenth for the cached prefix.
    #[default]
    Short,
}

/// Provider-neutral generation settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestOptions {
    pub max_tokens: Option<u64>,
    pub temperature: Option<f64>,
    /// `None` leaves reasoning at the provider's default (off where that is possible).
    pub reasoning: Option<ReasoningLevel>,
    pub cache: PromptCache,
}

/// Turns SSE events of one wire format into builder calls.
pub trait WireParser: Send {
    /// Handles one dispatched SSE event (`event` is `""` when unnamed).
    fn on_event(&mut self, event: &str, data: &str, out: &mut MessageBuilder);

    /// The body ended. A response whose stop reason arrived is complete even if the
    /// formal terminator (`[DONE]`, `message_stop`) is missing; anything else was cut
    /// off.
    fn on_eof(&mut self, out: &mut MessageBuilder) {
        if out.stop_reason().is_some() {
            out.finish();
        } else {
            out.fail(LlmError::Truncated);
        }
    }
}

/// The parser for a wire format.
pub fn parser_for(api: Api) -> Box<dyn WireParser> {
    match api {
        Api::OpenaiCompletions => Box::<openai_completions::Parser>::default(),
        Api::OpenaiResponses => Box::<openai_responses::Parser>::default(),
        Api::AnthropicMessages => Box::<anthropic::Parser>::default(),
        Api::GoogleGenerativeAi => Box::<google::Parser>::default(),
    }
}

/// Builds the HTTP request for `model` (without credentials).
pub fn build_request(model: &Model, ctx: &Context, opts: &RequestOptions) -> HttpRequest {
    let mut req = match model.api {
        Api::OpenaiCompletions => openai_completions::build_request(model, ctx, opts),
        Api::OpenaiResponses => openai_responses::build_request(model, ctx, opts),
        Api::AnthropicMessages => anthropic::build_request(model, ctx, opts),
        Api::GoogleGenerativeAi => google::build_request(model, ctx, opts),
    };
    for (k, v) in &model.headers {
        req.headers.push((k.clone(), v.clone()));
    }
    req
}

/// The credential headers each API expects. Keys go in headers, never in URLs, so
/// they cannot end up in a logged URL.
pub fn auth_headers(api: Api, key: &ApiKey) -> Vec<(String, String)> {
    match api {
        Api::OpenaiCompletions | Api::OpenaiResponses => {
            vec![("authorization".into(), format!("Bearer {}", key.expose()))]
        }
        Api::AnthropicMessages => vec![("x-api-key".into(), key.expose().to_owned())],
        Api::GoogleGenerativeAi => vec![("x-goog-api-key".into(), key.expose().to_owned())],
    }
}

/// Whether a URL has no path beyond the host (`http://127.0.0.1:8080/`).
fn is_bare_host(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/')
        .is_none_or(|i| rest[i..].trim_matches('/').is_empty())
}

/// The base for OpenAI-style paths: a bare host gets `/v1`, anything else is used as
/// given, so `http://host:1234` and `http://host:1234/v1` both work.
pub(crate) fn openai_base(base_url: &str) -> String {
    let b = base_url.trim_end_matches('/');
    if is_bare_host(b) {
        format!("{b}/v1")
    } else {
        b.to_owned()
    }
}

/// Error bodies as the four APIs write them: `{"error": {"message", "type"|"code"|
/// "status"}}` (OpenAI, Google, Anthropic's nested form) or a bare `{"message"}`.
#[derive(Deserialize)]
struct ErrorBody {
    error: Option<ErrorDetail>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    message: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    code: Option<Value>,
    status: Option<String>,
}

/// The typed error for an error response body (HTTP error, or an error event inside
/// a stream when `status` is `None`).
pub(crate) fn error_from_body(
    status: Option<u16>,
    body: &str,
    retry_after: Option<Duration>,
) -> LlmError {
    let parsed: Option<ErrorBody> = serde_json::from_str(body).ok();
    let (code, message) = match parsed {
        Some(ErrorBody {
            error: Some(d),
            message,
        }) => {
            let code = d
                .kind
                .or(match d.code {
                    Some(Value::String(s)) => Some(s),
                    _ => None,
                })
                .or(d.status);
            (code, d.message.or(message))
        }
        Some(ErrorBody {
            error: None,
            message,
        }) => (None, message),
        None => (None, None),
    };
    let message = message.unwrap_or_else(|| {
        let t = body.trim();
        if t.is_empty() {
            "(empty response body)".to_owned()
        } else {
            t.chars().take(500).collect()
        }
    });
    classify(status, code.as_deref(), message, retry_after)
}

/// Parses one event's JSON, or fails the stream with a protocol error.
pub(crate) fn parse_or_fail<'a, T: Deserialize<'a>>(
    data: &'a str,
    out: &mut MessageBuilder,
) -> Option<T> {
    match serde_json::from_str(data) {
        Ok(v) => Some(v),
        Err(e) => {
            let excerpt: String = data.chars().take(120).collect();
            out.fail(LlmError::Protocol(format!(
                "invalid JSON in event ({e}): {excerpt}"
            )));
            None
        }
    }
}

/// The first element of a JSON array, the rest skipped without being stored. Used
/// for `choices` / `candidates`, of which dash only ever asks for one: it saves a
/// `Vec` allocation per event on the hot path.
pub(crate) struct First<T>(pub Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for First<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
            type Value = First<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<First<T>, A::Error> {
                let first = seq.next_element::<T>()?;
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(First(first))
            }
        }
        d.deserialize_seq(V(std::marker::PhantomData))
    }
}

/// A JSON array whose first element is stored inline: streamed tool-call deltas
/// nearly always carry one element, and this avoids a heap allocation per event.
pub(crate) struct List<T> {
    first: Option<T>,
    rest: Vec<T>,
}

impl<T> List<T> {
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.first.iter().chain(self.rest.iter())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<List<T>, A::Error> {
                let first = seq.next_element::<T>()?;
                let mut rest = Vec::new();
                while let Some(x) = seq.next_element::<T>()? {
                    rest.push(x);
                }
                Ok(List { first, rest })
            }
        }
        d.deserialize_seq(V(std::marker::PhantomData))
    }
}

/// Text of the text blocks of tool-result or user content.
pub(crate) fn joined_text(content: &[super::types::Content]) -> String {
    let mut s = String::new();
    for c in content {
        if let super::types::Content::Text(t) = c {
            if !s.is_empty() {
                s.push('\n');
            }
            s.push_str(&t.text);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_with_and_without_version() {
        assert_eq!(openai_base("http://127.0.0.1:9/"), "http://127.0.0.1:9/v1");
        assert_eq!(
            openai_base("http://127.0.0.1:9/v1/"),
            "http://127.0.0.1:9/v1"
        );
        assert_eq!(
            openai_base("https://api.groq.com/openai/v1"),
            "https://api.groq.com/openai/v1"
        );
    }

    #[test]
    fn error_bodies_of_each_api() {
        let e = error_from_body(
            Some(401),
            r#"{"error":{"message":"Incorrect API key","type":"invalid_request_error","code":"invalid_api_key"}}"#,
            None,
        );
        assert!(matches!(e, LlmError::Auth { ref message, .. } if message == "Incorrect API key"));
        let e = error_from_body(
            None,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            None,
        );
        assert_eq!(e.kind(), super::super::error::ErrorKind::Overloaded);
        let e = error_from_body(
            Some(429),
            r#"{"error":{"code":429,"message":"Resource exhausted","status":"RESOURCE_EXHAUSTED"}}"#,
            None,
        );
        assert_eq!(e.kind(), super::super::error::ErrorKind::RateLimit);
        let e = error_from_body(Some(502), "<html>bad gateway</html>", None);
        assert!(e.to_string().contains("bad gateway"));
    }
}

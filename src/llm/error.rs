//! Typed failures of a model call. A caller branches on the variant (retry a rate
//! limit, compact on context overflow, ask for a key on auth) instead of matching
//! regexes over message text; the provider's own message is kept for humans.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::redact::Redactor;

/// Why a request or a stream failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    #[error("authentication failed (HTTP {status}): {message}")]
    Auth { status: u16, message: String },
    #[error("rate limited (HTTP {status}){}: {message}", retry_note(*.retry_after))]
    RateLimited {
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },
    #[error("provider overloaded{}: {message}", status_note(*.status))]
    Overloaded {
        status: Option<u16>,
        message: String,
        retry_after: Option<Duration>,
    },
    #[error("context window exceeded: {message}")]
    ContextOverflow { message: String },
    #[error("request rejected (HTTP {status}): {message}")]
    BadRequest { status: u16, message: String },
    #[error("provider error (HTTP {status}): {message}")]
    Server {
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },
    /// An error the provider reported inside an otherwise successful stream.
    #[error("provider reported an error{}: {message}", code_note(.code.as_deref()))]
    Provider {
        code: Option<String>,
        message: String,
    },
    #[error("network error: {0}")]
    Network(String),
    #[error("no event from the provider for {} s (idle timeout)", .0.as_secs_f64())]
    IdleTimeout(Duration),
    #[error("request was aborted")]
    Aborted,
    #[error("the stream ended before the response was complete")]
    Truncated,
    #[error("malformed response: {0}")]
    Protocol(String),
    /// The model stopped for a reason that is not a normal end (content filter,
    /// safety, an unknown value); the raw reason is in `rawStopReason` too.
    #[error("the model stopped with reason {raw:?}")]
    Stopped { raw: String },
    #[error("{0}")]
    Config(String),
    /// The server sent more than a limit of [`crate::llm::limits::Limits`] allows (a
    /// line that never ends, an endless body); the stream was stopped there.
    #[error("{what} is larger than the {} limit; the stream was stopped", crate::llm::limits::human_size(*.limit))]
    TooLarge { what: String, limit: u64 },
}

fn retry_note(after: Option<Duration>) -> String {
    after.map_or_else(String::new, |d| {
        format!(", retry after {} s", d.as_secs_f64())
    })
}

fn status_note(status: Option<u16>) -> String {
    status.map_or_else(String::new, |s| format!(" (HTTP {s})"))
}

fn code_note(code: Option<&str>) -> String {
    code.map_or_else(String::new, |c| format!(" ({c})"))
}

/// The category of an [`LlmError`], serialised into `error` events so consumers of
/// the event stream (and `dash llm --events`) can branch without parsing text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Auth,
    RateLimit,
    Overloaded,
    ContextOverflow,
    BadRequest,
    Server,
    Provider,
    Network,
    Timeout,
    Aborted,
    Truncated,
    Protocol,
    Stopped,
    Config,
    TooLarge,
}

impl LlmError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            LlmError::Auth { .. } => ErrorKind::Auth,
            LlmError::RateLimited { .. } => ErrorKind::RateLimit,
            LlmError::Overloaded { .. } => ErrorKind::Overloaded,
            LlmError::ContextOverflow { .. } => ErrorKind::ContextOverflow,
            LlmError::BadRequest { .. } => ErrorKind::BadRequest,
            LlmError::Server { .. } => ErrorKind::Server,
            LlmError::Provider { .. } => ErrorKind::Provider,
            LlmError::Network(_) => ErrorKind::Network,
            LlmError::IdleTimeout(_) => ErrorKind::Timeout,
            LlmError::Aborted => ErrorKind::Aborted,
            LlmError::Truncated => ErrorKind::Truncated,
            LlmError::Protocol(_) => ErrorKind::Protocol,
            LlmError::Stopped { .. } => ErrorKind::Stopped,
            LlmError::Config(_) => ErrorKind::Config,
            LlmError::TooLarge { .. } => ErrorKind::TooLarge,
        }
    }

    /// Whether sending the same request again may succeed (rate limits, overload,
    /// 5xx, transport failures). Retrying is only ever done before any event was
    /// emitted; see [`crate::llm::retry`].
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            LlmError::RateLimited { .. }
                | LlmError::Overloaded { .. }
                | LlmError::Server { .. }
                | LlmError::Network(_)
        )
    }

    /// The wait the server asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            LlmError::RateLimited { retry_after, .. }
            | LlmError::Overloaded { retry_after, .. }
            | LlmError::Server { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Replaces the key in every part that can hold provider text (messages,
    /// codes, raw stop reasons), so a provider echoing the key back never leaks it.
    pub(crate) fn redact(self, r: &Redactor) -> Self {
        let r = |s: String| match r.redact(&s) {
            std::borrow::Cow::Borrowed(_) => s,
            std::borrow::Cow::Owned(o) => o,
        };
        match self {
            LlmError::Auth { status, message } => LlmError::Auth {
                status,
                message: r(message),
            },
            LlmError::RateLimited {
                status,
                message,
                retry_after,
            } => LlmError::RateLimited {
                status,
                message: r(message),
                retry_after,
            },
            LlmError::Overloaded {
                status,
                message,
                retry_after,
            } => LlmError::Overloaded {
                status,
                message: r(message),
                retry_after,
            },
            LlmError::ContextOverflow { message } => LlmError::ContextOverflow {
                message: r(message),
            },
            LlmError::BadRequest { status, message } => LlmError::BadRequest {
                status,
                message: r(message),
            },
            LlmError::Server {
                status,
                message,
                retry_after,
            } => LlmError::Server {
                status,
                message: r(message),
                retry_after,
            },
            LlmError::Provider { code, message } => LlmError::Provider {
                code: code.map(r),
                message: r(message),
            },
            LlmError::Network(m) => LlmError::Network(r(m)),
            LlmError::Protocol(m) => LlmError::Protocol(r(m)),
            LlmError::Config(m) => LlmError::Config(r(m)),
            LlmError::Stopped { raw } => LlmError::Stopped { raw: r(raw) },
            LlmError::TooLarge { what, limit } => LlmError::TooLarge {
                what: r(what),
                limit,
            },
            e @ (LlmError::IdleTimeout(_) | LlmError::Aborted | LlmError::Truncated) => e,
        }
    }
}

/// Phrases providers use for "the prompt does not fit", checked after the structured
/// codes (`context_length_exceeded`) so that a 400 becomes [`LlmError::ContextOverflow`].
const OVERFLOW_PHRASES: &[&str] = &[
    "context_length_exceeded",
    "maximum context length",
    "context window",
    "prompt is too long",
    "too many tokens",
    "exceeds the maximum number of tokens",
    "input token count",
    "reduce the length",
    "context length",
];

/// Builds the typed error for a provider-reported failure, from an HTTP status (if
/// any), the provider's error type/code and message.
pub(crate) fn classify(
    status: Option<u16>,
    code: Option<&str>,
    message: String,
    retry_after: Option<Duration>,
) -> LlmError {
    let code_l = code.unwrap_or("").to_ascii_lowercase();
    let msg_l = message.to_ascii_lowercase();
    let overflow = OVERFLOW_PHRASES
        .iter()
        .any(|p| code_l.contains(p) || msg_l.contains(p));
    if code_l.contains("overloaded") || status == Some(529) {
        return LlmError::Overloaded {
            status,
            message,
            retry_after,
        };
    }
    if overflow && matches!(status, None | Some(400) | Some(413)) {
        return LlmError::ContextOverflow { message };
    }
    match status {
        Some(s @ (401 | 403)) => LlmError::Auth { status: s, message },
        Some(429) => LlmError::RateLimited {
            status: 429,
            message,
            retry_after,
        },
        Some(s) if (400..500).contains(&s) => LlmError::BadRequest { status: s, message },
        Some(s) => LlmError::Server {
            status: s,
            message,
            retry_after,
        },
        None => match code_l.as_str() {
            "rate_limit_error" | "rate_limit_exceeded" | "resource_exhausted" => {
                LlmError::RateLimited {
                    status: 429,
                    message,
                    retry_after,
                }
            }
            "authentication_error" | "permission_error" | "invalid_api_key" => LlmError::Auth {
                status: 401,
                message,
            },
            "api_error" | "server_error" | "internal" | "unavailable" => LlmError::Server {
                status: 500,
                message,
                retry_after,
            },
            _ => LlmError::Provider {
                code: code.map(str::to_owned),
                message,
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_follows_status_then_code() {
        let e = classify(Some(401), None, "bad key".into(), None);
        assert_eq!(e.kind(), ErrorKind::Auth);
        let e = classify(Some(429), None, "slow".into(), Some(Duration::from_secs(2)));
        assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));
        assert!(e.is_transient());
        let e = classify(
            Some(400),
            Some("invalid_request_error"),
            "prompt is too long: 210000 tokens > 200000 maximum".into(),
            None,
        );
        assert_eq!(e.kind(), ErrorKind::ContextOverflow);
        let e = classify(None, Some("overloaded_error"), "Overloaded".into(), None);
        assert_eq!(e.kind(), ErrorKind::Overloaded);
        let e = classify(Some(404), None, "no such model".into(), None);
        assert_eq!(e.kind(), ErrorKind::BadRequest);
        assert!(!e.is_transient());
        let e = classify(Some(503), None, "down".into(), None);
        assert!(e.is_transient());
    }

    #[test]
    fn redaction_removes_the_secret_from_every_variant() {
        let key = "sk-secret-123";
        let r = Redactor::new(key).unwrap();
        let m = || format!("echo {key} and Bearer {key}");
        let errors = [
            LlmError::Auth {
                status: 401,
                message: m(),
            },
            LlmError::RateLimited {
                status: 429,
                message: m(),
                retry_after: None,
            },
            LlmError::Overloaded {
                status: None,
                message: m(),
                retry_after: None,
            },
            LlmError::ContextOverflow { message: m() },
            LlmError::BadRequest {
                status: 400,
                message: m(),
            },
            LlmError::Server {
                status: 500,
                message: m(),
                retry_after: None,
            },
            LlmError::Provider {
                code: Some(m()),
                message: m(),
            },
            LlmError::Network(m()),
            LlmError::Protocol(m()),
            LlmError::Config(m()),
            LlmError::Stopped { raw: m() },
            LlmError::TooLarge {
                what: m(),
                limit: 1,
            },
        ];
        for e in errors {
            let kind = e.kind();
            let e = e.redact(&r);
            assert_eq!(e.kind(), kind);
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains(key), "{shown}");
            assert!(shown.contains("[REDACTED]"), "{shown}");
        }
    }
}

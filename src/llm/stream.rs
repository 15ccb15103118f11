//! The HTTP half: send the request (with retries), then move bytes from the response
//! through the SSE parser into the provider's [`WireParser`], yielding events.
//!
//! The stream is pull-based: nothing runs in the background, so there is no task to
//! leak and backpressure is natural. `next()` drives everything:
//!
//! 1. the first call sends the request, retrying transient HTTP failures per
//!    [`RetryPolicy`] (nothing has been emitted yet, so this is safe), and also a
//!    stream that fails before its first content event (the consumer has seen at
//!    most `start`, which is not repeated);
//! 2. then it reads chunks, each within the idle timeout counted from the last
//!    *event* (SSE comments, i.e. keep-alives, do not reset it), until the parser has
//!    events to hand out;
//! 3. it ends after exactly one `done` or `error`; cancellation (the token) and every
//!    failure after the request was made become an `error` event.
//!
//! Redirects are followed here, without credentials across origins
//! ([`crate::llm::redirect`]); what is read from the server is bounded by
//! [`Limits`]; the message builder is given the key's [`Redactor`].

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::auth::ApiKey;
use super::builder::MessageBuilder;
use super::error::LlmError;
use super::events::Event;
use super::limits::{Limits, human_size};
use super::models::{Api, Model};
use super::providers::{
    HttpRequest, RequestOptions, WireParser, auth_headers, build_request, error_from_body,
    parser_for,
};
use super::redact::Redactor;
use super::redirect;
use super::retry::{RetryPolicy, parse_retry_after};
use super::sse::SseParser;
use super::types::{AssistantMessage, Context};

/// Default silence after which a stream is declared stalled.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// Per-call settings.
#[derive(Debug, Clone)]
pub struct StreamOptions {
    /// Sent in the provider's auth header; `None` for servers that need no key.
    pub api_key: Option<ApiKey>,
    pub request: RequestOptions,
    /// Longest silence tolerated between events (and before the response headers).
    pub idle_timeout: Duration,
    pub retry: RetryPolicy,
    /// Cancelling ends the stream with an `error` event of reason `aborted`.
    pub cancel: CancellationToken,
    /// Bounds on what is buffered from the server.
    pub limits: Limits,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            api_key: None,
            request: RequestOptions::default(),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            retry: RetryPolicy::default(),
            cancel: CancellationToken::new(),
            limits: Limits::default(),
        }
    }
}

/// A reusable HTTP client for model calls (cheap to clone).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
}

/// reqwest is built with `rustls-no-provider`: a crypto provider must be installed
/// once per process before the first TLS client is created. Doing it here means
/// library users never have to know.
fn install_crypto_provider() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        // Err means another provider is already installed, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl Client {
    pub fn new() -> Result<Self, LlmError> {
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(30))
            // Followed by `LlmStream::send`, which keeps credentials on their origin.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("dash/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| LlmError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client { http })
    }

    /// Starts a streamed completion. No I/O happens until the first
    /// [`LlmStream::next`].
    pub fn stream(&self, model: &Model, ctx: &Context, opts: StreamOptions) -> LlmStream {
        let redactor = opts
            .api_key
            .as_ref()
            .and_then(|k| Redactor::new(k.expose()));
        LlmStream {
            http: self.http.clone(),
            api: model.api,
            model: model.clone(),
            request: build_request(model, ctx, &opts.request),
            sent: false,
            attempt: 0,
            builder: MessageBuilder::new(
                model.api.as_str(),
                &model.provider,
                &model.id,
                model.cost,
            )
            .with_redactor(redactor.clone()),
            parser: parser_for(model.api),
            sse: SseParser::with_limits(opts.limits.sse_line, opts.limits.sse_event),
            body: None,
            received: 0,
            redactor,
            opts,
            last_event: Instant::now(),
        }
    }

    /// Streams to the end and returns the final message (`stopReason` says whether
    /// it failed; this never returns an error of its own).
    pub async fn complete(
        &self,
        model: &Model,
        ctx: &Context,
        opts: StreamOptions,
    ) -> AssistantMessage {
        self.stream(model, ctx, opts).result().await
    }
}

/// One streaming response. See the module documentation for the protocol.
pub struct LlmStream {
    http: reqwest::Client,
    api: Api,
    model: Model,
    request: HttpRequest,
    /// The request is in flight or answered (false before the first attempt and
    /// after an early failure that is being retried).
    sent: bool,
    /// Retries made so far, across HTTP failures and early stream failures.
    attempt: u32,
    builder: MessageBuilder,
    parser: Box<dyn WireParser>,
    sse: SseParser,
    body: Option<BoxStream<'static, reqwest::Result<bytes::Bytes>>>,
    /// Bytes of the response body received so far (bounded by the limits).
    received: u64,
    redactor: Option<Redactor>,
    opts: StreamOptions,
    last_event: Instant,
}

impl std::fmt::Debug for LlmStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmStream")
            .field("api", &self.api)
            .field("partial", self.builder.partial())
            .finish_non_exhaustive()
    }
}

impl LlmStream {
    /// The message so far: all content and usage received up to the last event.
    pub fn partial(&self) -> &AssistantMessage {
        self.builder.partial()
    }

    /// The next event, or `None` after the terminal one.
    pub async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(e) = self.builder.pop_event() {
                if e.is_terminal() {
                    self.body = None;
                    if let Some(wait) = self.early_retry(&e) {
                        self.restart();
                        tokio::select! {
                            biased;
                            () = self.opts.cancel.cancelled() => self.fail(LlmError::Aborted),
                            () = tokio::time::sleep(wait) => {}
                        }
                        continue;
                    }
                }
                return Some(e);
            }
            if self.builder.is_finished() {
                return None;
            }
            if self.sent {
                self.pump().await;
            } else {
                self.sent = true;
                self.connect().await;
            }
        }
    }

    /// A stream that failed before producing any content (an `overloaded_error` or
    /// a dropped connection right after the headers) is retried like an HTTP
    /// failure: the consumer has seen at most `start`, so nothing is replayed.
    fn early_retry(&self, terminal: &Event) -> Option<Duration> {
        if !matches!(terminal, Event::Error { .. }) || !self.builder.partial().content.is_empty() {
            return None;
        }
        let err = self.builder.error()?;
        let retryable = err.is_transient() || *err == LlmError::Truncated;
        if !retryable {
            return None;
        }
        // Truncation has no retry-after and is not "transient" for the policy, so ask
        // it about an equivalent server error.
        let probe = if *err == LlmError::Truncated {
            LlmError::Server {
                status: 502,
                message: String::new(),
                retry_after: None,
            }
        } else {
            err.clone()
        };
        self.opts.retry.delay(self.attempt, &probe)
    }

    /// Resets the per-attempt state for another try of the same request.
    fn restart(&mut self) {
        self.attempt += 1;
        let m = &self.model;
        self.builder = MessageBuilder::new(m.api.as_str(), &m.provider, &m.id, m.cost)
            .with_redactor(self.redactor.clone());
        // `start` was already handed out by the failed attempt.
        self.builder.mark_started();
        self.parser = parser_for(m.api);
        let limits = &self.opts.limits;
        self.sse = SseParser::with_limits(limits.sse_line, limits.sse_event);
        self.body = None;
        self.received = 0;
        self.sent = false;
    }

    /// The events as a `futures` stream, for combinators and `select!`.
    pub fn into_stream(self) -> impl futures_util::Stream<Item = Event> + Send {
        futures_util::stream::unfold(self, |mut s| async move { s.next().await.map(|e| (e, s)) })
    }

    /// Drains the stream and returns the final message.
    pub async fn result(mut self) -> AssistantMessage {
        let mut last = None;
        while let Some(e) = self.next().await {
            last = Some(e);
        }
        match last {
            Some(Event::Done { message, .. }) => *message,
            Some(Event::Error { error, .. }) => *error,
            _ => self.builder.partial().clone(),
        }
    }

    /// Ends the stream with `err` (the builder redacts the key from it).
    fn fail(&mut self, err: LlmError) {
        self.builder.fail(err);
    }

    async fn connect(&mut self) {
        // Serialised once; the bytes are shared by every attempt.
        let body = bytes::Bytes::from(
            serde_json::to_vec(&self.request.body).expect("request bodies serialise"),
        );
        loop {
            let err = match self.send(&body).await {
                Ok(resp) => match self.accept(resp).await {
                    Ok(()) => return,
                    Err(e) => e,
                },
                Err(e) => e,
            };
            match self.opts.retry.delay(self.attempt, &err) {
                Some(wait) => {
                    self.attempt += 1;
                    tokio::select! {
                        biased;
                        () = self.opts.cancel.cancelled() => return self.fail(LlmError::Aborted),
                        () = tokio::time::sleep(wait) => {}
                    }
                }
                None => return self.fail(err),
            }
        }
    }

    /// Sends the request once, following redirects (see [`redirect`]): credentials
    /// (auth headers, headers outside the allow-list, URL keys) stay on the origin
    /// they were meant for.
    async fn send(&mut self, body: &bytes::Bytes) -> Result<reqwest::Response, LlmError> {
        let mut url = reqwest::Url::parse(&self.request.url)
            .map_err(|e| LlmError::Config(format!("invalid URL {:?}: {e}", self.request.url)))?;
        let secret = self.opts.api_key.as_ref().map(|k| k.expose());
        let mut trusted = true;
        let mut status = 0;
        for _ in 0..=redirect::MAX_REDIRECTS {
            // Built here rather than with `.json()`, which would add a second
            // Content-Type next to the one the request carries.
            let mut rb = self.http.post(url.clone()).body(body.clone());
            for (k, v) in &self.request.headers {
                if trusted || redirect::may_cross(k) {
                    rb = rb.header(k, v);
                }
            }
            if let (true, Some(key)) = (trusted, &self.opts.api_key) {
                for (k, v) in auth_headers(self.api, key) {
                    rb = rb.header(k, v);
                }
            }
            let idle = self.opts.idle_timeout;
            let resp = tokio::select! {
                biased;
                () = self.opts.cancel.cancelled() => return Err(LlmError::Aborted),
                r = tokio::time::timeout(idle, rb.send()) => match r {
                    Err(_) => return Err(LlmError::IdleTimeout(idle)),
                    Ok(Err(e)) => return Err(LlmError::Network(describe(&e))),
                    Ok(Ok(resp)) => resp,
                },
            };
            status = resp.status().as_u16();
            if !(300..400).contains(&status) {
                return Ok(resp);
            }
            let location = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok());
            let next = redirect::next_url(&url, status, location)?;
            trusted &= redirect::same_origin(&url, &next);
            url = next;
            if !trusted {
                redirect::strip_credentials(&mut url, secret);
            }
        }
        Err(LlmError::BadRequest {
            status,
            message: format!(
                "more than {} redirects; the last pointed to {url}",
                redirect::MAX_REDIRECTS
            ),
        })
    }

    /// Takes a response: an event stream becomes the body to pump; anything else
    /// is read as an error body.
    async fn accept(&mut self, resp: reqwest::Response) -> Result<(), LlmError> {
        let status = resp.status();
        let headers = resp.headers();
        let content_type = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if status.is_success() && !content_type.contains("application/json") {
            self.body = Some(resp.bytes_stream().boxed());
            self.last_event = Instant::now();
            return Ok(());
        }
        let retry_after = retry_after_of(headers);
        let code = status.as_u16();
        let read = read_bounded(resp, self.opts.limits.error_body);
        let text = match tokio::time::timeout(self.opts.idle_timeout, read).await {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => return Err(LlmError::Network(describe(&e))),
            Err(_) => return Err(LlmError::IdleTimeout(self.opts.idle_timeout)),
        };
        // A 200 with a JSON body is an error object sent without SSE framing.
        let status = (!status.is_success()).then_some(code);
        Err(error_from_body(status, &text, retry_after))
    }

    async fn pump(&mut self) {
        let Some(body) = self.body.as_mut() else {
            return self.fail(LlmError::Truncated);
        };
        let deadline = self.last_event + self.opts.idle_timeout;
        let chunk = tokio::select! {
            biased;
            () = self.opts.cancel.cancelled() => return self.fail(LlmError::Aborted),
            r = tokio::time::timeout_at(deadline, body.next()) => r,
        };
        let builder = &mut self.builder;
        let parser = &mut self.parser;
        let mut dispatch = |event: &str, data: &str| {
            if !builder.is_finished() {
                parser.on_event(event, data, builder);
            }
        };
        match chunk {
            Err(_) => self.fail(LlmError::IdleTimeout(self.opts.idle_timeout)),
            Ok(None) => {
                self.sse.finish(&mut dispatch);
                if !self.builder.is_finished() {
                    self.parser.on_eof(&mut self.builder);
                }
            }
            Ok(Some(Err(e))) => self.fail(LlmError::Network(describe(&e))),
            Ok(Some(Ok(bytes))) => {
                self.received += bytes.len() as u64;
                let limit = self.opts.limits.response_body;
                if self.received > limit {
                    let what = format!("the response from {}", self.request.url);
                    return self.fail(LlmError::TooLarge { what, limit });
                }
                if self.sse.feed(&bytes, &mut dispatch) > 0 {
                    self.last_event = Instant::now();
                }
                if let Some(e) = self.sse.error() {
                    let what = format!("{} in the response from {}", e.what(), self.request.url);
                    let limit = e.limit() as u64;
                    self.fail(LlmError::TooLarge { what, limit });
                }
            }
        }
    }
}

/// Reads at most `limit` bytes of an error body (as text); the rest is left unread
/// and the connection dropped, so an endless body cannot grow the process.
async fn read_bounded(resp: reqwest::Response, limit: usize) -> reqwest::Result<String> {
    let mut body = resp.bytes_stream();
    let mut buf = Vec::new();
    let mut cut = false;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        let room = limit - buf.len();
        if chunk.len() > room {
            buf.extend_from_slice(&chunk[..room]);
            cut = true;
            break;
        }
        buf.extend_from_slice(&chunk);
    }
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    if cut {
        text.push_str(&format!(
            " … (error body cut at {}, the rest was not read)",
            human_size(limit as u64)
        ));
    }
    Ok(text)
}

/// `Retry-After` (seconds or HTTP-date), or OpenAI's `retry-after-ms`.
fn retry_after_of(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ms) = get("retry-after-ms")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    get("retry-after").and_then(|v| parse_retry_after(v, SystemTime::now()))
}

/// A transport error's message with its source chain (reqwest's top-level message
/// alone is often just "error sending request").
fn describe(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_can_move_across_threads() {
        fn assert_send<T: Send>(_: &T) {}
        let model = crate::llm::Registry::builtin().resolve("ollama/x").unwrap();
        let s =
            Client::new()
                .unwrap()
                .stream(&model, &Context::default(), StreamOptions::default());
        assert_send(&s);
        let mut s = s;
        assert_send(&s.next());
    }
}

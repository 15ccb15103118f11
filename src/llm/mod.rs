//! A unified streaming API over the LLM wire formats dash needs: OpenAI Chat
//! Completions (and the many servers compatible with it), OpenAI Responses,
//! Anthropic Messages and Google Gemini.
//!
//! It is the Rust counterpart of pi-mono's `pi-ai` (`research/pi-mono.md`): the same
//! JSON shapes for messages and contexts, the same event vocabulary, the same
//! cross-provider handoff rules, with the weak points fixed (tool calls assembled by
//! index, linear partial-JSON parsing, an idle timeout, retries only before output,
//! consistent usage, typed errors). It knows nothing about the rest of dash.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use dash::llm::{Client, Context, Event, Message, Registry, StreamOptions};
//! let registry = Registry::builtin();
//! let model = registry.resolve("anthropic/claude-sonnet-4-5")?;
//! let ctx = Context { messages: vec![Message::user("Hello")], ..Context::default() };
//! let opts = StreamOptions { api_key: registry.api_key(&model.provider), ..Default::default() };
//! let mut stream = Client::new()?.stream(&model, &ctx, opts);
//! while let Some(event) = stream.next().await {
//!     if let Event::TextDelta { delta, .. } = &event { print!("{delta}"); }
//! }
//! # Ok(()) }
//! ```
//!
//! Layout: [`types`] and [`events`] are the vocabulary; [`sse`] frames bytes into
//! events; each module of [`providers`] builds requests and parses one wire format
//! into the shared [`builder`]; [`stream`] is the thin HTTP driver; [`models`] is the
//! registry; [`tools`], [`handoff`], [`retry`] and [`partial_json`] do one job each;
//! [`redact`] keeps the API key out of everything that came from the wire, and
//! [`limits`] bounds everything buffered from outside.

pub mod auth;
pub mod builder;
pub mod error;
pub mod events;
pub mod handoff;
pub mod limits;
pub mod models;
pub mod partial_json;
pub mod providers;
pub mod redact;
pub mod redirect;
pub mod retry;
pub mod sse;
pub mod stream;
pub mod tools;
pub mod types;

pub use auth::ApiKey;
pub use error::{ErrorKind, LlmError};
pub use events::Event;
pub use limits::Limits;
pub use models::{Api, InputKind, Model, ProviderInfo, Registry, RegistryError};
pub use providers::{PromptCache, ReasoningLevel, RequestOptions};
pub use retry::RetryPolicy;
pub use stream::{Client, LlmStream, StreamOptions};
pub use tools::{ToolArgumentsError, validate_arguments, validate_tool_call};
pub use types::{
    AssistantMessage, Content, Context, Cost, ImageContent, Message, ModelCost, StopReason,
    TextContent, ThinkingContent, Tool, ToolCall, ToolResultMessage, Usage, UserContent,
    UserMessage,
};

//! Quirks of OpenAI-compatible Chat Completions servers, kept as data.
//!
//! Every server that claims "OpenAI compatible" differs somewhere (which role carries
//! the system prompt, which field limits output, whether usage is streamed, whether
//! `strict` is accepted, where reasoning text goes). [`OpenAiCompat::detect`] guesses
//! the flags from the provider name and base URL; a model or provider entry in
//! `models.toml` can override any single flag ([`CompatOverrides`]), merged field by
//! field over the detected values.

use serde::{Deserialize, Serialize};

/// Which request field carries the output-token limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxTokensField {
    MaxTokens,
    MaxCompletionTokens,
}

/// How thinking from an earlier assistant turn is sent back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThinkingReplay {
    /// Under the delta field it arrived in (`reasoning_content`, `reasoning`), which the
    /// block's signature records.
    Field,
    /// As ordinary assistant text.
    Text,
    /// Not at all (DeepSeek rejects requests that echo `reasoning_content`).
    Drop,
}

/// The resolved flags for one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenAiCompat {
    /// Send `store: false` (only OpenAI knows the field).
    pub supports_store: bool,
    /// Put the system prompt in a `developer` message for reasoning models.
    pub supports_developer_role: bool,
    /// Send `reasoning_effort` when reasoning is requested.
    pub supports_reasoning_effort: bool,
    /// Send `stream_options: {include_usage: true}`.
    pub supports_usage_in_streaming: bool,
    pub max_tokens_field: MaxTokensField,
    /// Tool messages carry the tool's `name` (Mistral).
    pub requires_tool_result_name: bool,
    /// Insert an assistant message between tool results and a following user message.
    pub requires_assistant_after_tool_result: bool,
    pub thinking_replay: ThinkingReplay,
    /// Tools carry `strict: false` (some servers reject the field).
    pub supports_strict_mode: bool,
}

/// A partial set of flags from `models.toml`; `None` keeps the detected value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompatOverrides {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_store: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_developer_role: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_reasoning_effort: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_usage_in_streaming: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens_field: Option<MaxTokensField>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_tool_result_name: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_assistant_after_tool_result: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking_replay: Option<ThinkingReplay>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_strict_mode: Option<bool>,
}

impl CompatOverrides {
    pub fn is_empty(&self) -> bool {
        *self == CompatOverrides::default()
    }

    /// `other`'s set fields win over `self`'s.
    pub fn merged_with(&self, other: &CompatOverrides) -> CompatOverrides {
        CompatOverrides {
            supports_store: other.supports_store.or(self.supports_store),
            supports_developer_role: other
                .supports_developer_role
                .or(self.supports_developer_role),
            supports_reasoning_effort: other
                .supports_reasoning_effort
                .or(self.supports_reasoning_effort),
            supports_usage_in_streaming: other
                .supports_usage_in_streaming
                .or(self.supports_usage_in_streaming),
            max_tokens_field: other.max_tokens_field.or(self.max_tokens_field),
            requires_tool_result_name: other
                .requires_tool_result_name
                .or(self.requires_tool_result_name),
            requires_assistant_after_tool_result: other
                .requires_assistant_after_tool_result
                .or(self.requires_assistant_after_tool_result),
            thinking_replay: other.thinking_replay.or(self.thinking_replay),
            supports_strict_mode: other.supports_strict_mode.or(self.supports_strict_mode),
        }
    }
}

impl OpenAiCompat {
    /// Flags for a server, guessed from the provider name and base URL.
    pub fn detect(provider: &str, base_url: &str) -> Self {
        let url = base_url.to_ascii_lowercase();
        let is = |name: &str, host: &str| provider == name || url.contains(host);
        // A permissive baseline that the common local servers (Ollama, vLLM, LM
        // Studio, llama.cpp, LiteLLM) accept.
        let mut c = OpenAiCompat {
            supports_store: false,
            supports_developer_role: false,
            supports_reasoning_effort: false,
            supports_usage_in_streaming: true,
            max_tokens_field: MaxTokensField::MaxTokens,
            requires_tool_result_name: false,
            requires_assistant_after_tool_result: false,
            thinking_replay: ThinkingReplay::Field,
            supports_strict_mode: false,
        };
        if is("openai", "api.openai.com") {
            c.supports_store = true;
            c.supports_developer_role = true;
            c.supports_reasoning_effort = true;
            c.max_tokens_field = MaxTokensField::MaxCompletionTokens;
            c.supports_strict_mode = true;
            c.thinking_replay = ThinkingReplay::Drop;
        } else if is("openrouter", "openrouter.ai") || is("groq", "api.groq.com") {
            c.supports_reasoning_effort = true;
        } else if is("deepseek", "api.deepseek.com") {
            c.thinking_replay = ThinkingReplay::Drop;
        } else if is("mistral", "api.mistral.ai") {
            c.requires_tool_result_name = true;
        } else if is("xai", "api.x.ai") {
            c.thinking_replay = ThinkingReplay::Drop;
        }
        c
    }

    /// Applies user overrides over the detected flags.
    pub fn with(mut self, o: &CompatOverrides) -> Self {
        macro_rules! take {
            ($($f:ident),*) => { $( if let Some(v) = o.$f { self.$f = v; } )* };
        }
        take!(
            supports_store,
            supports_developer_role,
            supports_reasoning_effort,
            supports_usage_in_streaming,
            max_tokens_field,
            requires_tool_result_name,
            requires_assistant_after_tool_result,
            thinking_replay,
            supports_strict_mode
        );
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_by_provider_and_by_url() {
        let o = OpenAiCompat::detect("openai", "https://api.openai.com/v1");
        assert_eq!(o.max_tokens_field, MaxTokensField::MaxCompletionTokens);
        assert!(o.supports_developer_role && o.supports_strict_mode);
        // A custom provider name pointed at DeepSeek's host is still DeepSeek.
        let d = OpenAiCompat::detect("my-proxy", "https://api.deepseek.com/v1");
        assert_eq!(d.thinking_replay, ThinkingReplay::Drop);
        let l = OpenAiCompat::detect("ollama", "http://localhost:11434/v1");
        assert!(!l.supports_developer_role && !l.supports_strict_mode);
        assert_eq!(l.max_tokens_field, MaxTokensField::MaxTokens);
    }

    #[test]
    fn overrides_merge_field_by_field() {
        let provider = CompatOverrides {
            supports_store: Some(true),
            max_tokens_field: Some(MaxTokensField::MaxCompletionTokens),
            ..Default::default()
        };
        let model = CompatOverrides {
            supports_store: Some(false),
            ..Default::default()
        };
        let merged = provider.merged_with(&model);
        let c = OpenAiCompat::detect("vllm", "http://localhost:8000/v1").with(&merged);
        assert!(!c.supports_store);
        assert_eq!(c.max_tokens_field, MaxTokensField::MaxCompletionTokens);
        assert!(c.supports_usage_in_streaming);
    }
}

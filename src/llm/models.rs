//! The model registry: which models exist, which wire API and server each uses,
//! their limits and prices.
//!
//! The catalogue is data (`models.toml`) compiled into the binary, so dash works
//! offline and a release build needs no network. Users extend or override it with
//! files in the same format; an entry is upserted by provider + id, and a provider
//! section can change a built-in provider's base URL, key variable or compat flags.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::auth::ApiKey;
use super::providers::compat::{CompatOverrides, OpenAiCompat};
use super::types::ModelCost;

/// The four wire formats dash speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Api {
    OpenaiCompletions,
    OpenaiResponses,
    AnthropicMessages,
    GoogleGenerativeAi,
}

impl Api {
    pub const ALL: [Api; 4] = [
        Api::OpenaiCompletions,
        Api::OpenaiResponses,
        Api::AnthropicMessages,
        Api::GoogleGenerativeAi,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Api::OpenaiCompletions => "openai-completions",
            Api::OpenaiResponses => "openai-responses",
            Api::AnthropicMessages => "anthropic-messages",
            Api::GoogleGenerativeAi => "google-generative-ai",
        }
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Api {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Api::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown API {s:?}; expected one of {}",
                    Api::ALL.map(Api::as_str).join(", ")
                )
            })
    }
}

/// What a model accepts as input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    Text,
    Image,
}

/// A model, fully resolved: everything a request needs except the key.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    pub id: String,
    pub name: String,
    pub provider: String,
    pub api: Api,
    pub base_url: String,
    pub context_window: u64,
    pub max_tokens: u64,
    pub cost: ModelCost,
    pub reasoning: bool,
    pub input: Vec<InputKind>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Compat overrides (provider-level merged with model-level); applied over the
    /// flags detected from provider and base URL by [`Model::openai_compat`].
    #[serde(skip_serializing_if = "CompatOverrides::is_empty")]
    pub compat: CompatOverrides,
}

impl Model {
    /// The Chat Completions quirk flags for this model.
    pub fn openai_compat(&self) -> OpenAiCompat {
        OpenAiCompat::detect(&self.provider, &self.base_url).with(&self.compat)
    }

    pub fn accepts_images(&self) -> bool {
        self.input.contains(&InputKind::Image)
    }

    /// `provider/id`, the form `--model` takes.
    pub fn spec(&self) -> String {
        format!("{}/{}", self.provider, self.id)
    }
}

/// A provider: its default wire API and server, and where its key comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderInfo {
    pub name: String,
    pub api: Api,
    pub base_url: String,
    pub api_key_env: Vec<String>,
    /// Local servers run without a key.
    pub key_optional: bool,
    /// Any model id is accepted (local servers, routers with huge catalogues).
    pub any_model: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "CompatOverrides::is_empty")]
    pub compat: CompatOverrides,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RegistryError {
    #[error("model spec {0:?} is not of the form PROVIDER/MODEL-ID")]
    BadSpec(String),
    #[error("unknown provider {provider:?} (known: {})", known.join(", "))]
    UnknownProvider {
        provider: String,
        known: Vec<String>,
    },
    #[error("unknown model {id:?} for provider {provider:?}{}", suggest(similar))]
    UnknownModel {
        provider: String,
        id: String,
        similar: Vec<String>,
    },
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    /// A models file over [`crate::llm::limits::MAX_MODELS_FILE`] (or a device that
    /// never ends); it is not read further.
    #[error("{path}: larger than the {} limit for models files", crate::llm::limits::human_size(*.limit))]
    TooLarge { path: PathBuf, limit: u64 },
}

fn suggest(similar: &[String]) -> String {
    if similar.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", similar.join(", "))
    }
}

// ---- file format -------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    #[serde(default)]
    providers: BTreeMap<String, ProviderPatch>,
    #[serde(default)]
    models: Vec<ModelPatch>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderPatch {
    api: Option<Api>,
    base_url: Option<String>,
    api_key_env: Option<Vec<String>>,
    key_optional: Option<bool>,
    any_model: Option<bool>,
    headers: Option<BTreeMap<String, String>>,
    compat: Option<CompatOverrides>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelPatch {
    provider: String,
    id: String,
    name: Option<String>,
    api: Option<Api>,
    base_url: Option<String>,
    context_window: Option<u64>,
    max_tokens: Option<u64>,
    reasoning: Option<bool>,
    input: Option<Vec<InputKind>>,
    cost: Option<ModelCost>,
    headers: Option<BTreeMap<String, String>>,
    compat: Option<CompatOverrides>,
}

/// A stored model entry: fields left unset follow the provider, so changing a
/// provider's base URL moves its built-in models too.
#[derive(Debug, Clone)]
struct Entry {
    provider: String,
    id: String,
    name: Option<String>,
    api: Option<Api>,
    base_url: Option<String>,
    context_window: u64,
    max_tokens: u64,
    reasoning: bool,
    input: Vec<InputKind>,
    cost: ModelCost,
    headers: BTreeMap<String, String>,
    compat: CompatOverrides,
}

/// Limits assumed for a model nobody described (pi uses the same defaults).
const DEFAULT_CONTEXT_WINDOW: u64 = 128_000;
const DEFAULT_MAX_TOKENS: u64 = 16_384;

const BUILTIN: &str = include_str!("models.toml");

/// Providers and models, built-in plus user files.
#[derive(Debug, Clone)]
pub struct Registry {
    providers: BTreeMap<String, ProviderInfo>,
    entries: Vec<Entry>,
}

impl Registry {
    /// The compiled-in catalogue (parsed once per process).
    pub fn builtin() -> Registry {
        static CELL: OnceLock<Registry> = OnceLock::new();
        CELL.get_or_init(|| {
            let mut r = Registry {
                providers: BTreeMap::new(),
                entries: Vec::new(),
            };
            r.apply_str(BUILTIN, Path::new("<built-in models.toml>"))
                .expect("the built-in models.toml is valid (checked by a unit test)");
            r
        })
        .clone()
    }

    /// The built-in catalogue extended by the user files that exist, in order
    /// (later files win).
    pub fn load(files: &[PathBuf]) -> Result<Registry, RegistryError> {
        let mut r = Registry::builtin();
        use crate::llm::limits::{FileError, MAX_MODELS_FILE, read_text};
        for f in files {
            match read_text(f, "models file", MAX_MODELS_FILE) {
                Ok(text) => r.apply_str(&text, f)?,
                Err(e) if e.io_kind() == Some(std::io::ErrorKind::NotFound) => {}
                Err(FileError::TooLarge { limit, .. }) => {
                    return Err(RegistryError::TooLarge {
                        path: f.clone(),
                        limit,
                    });
                }
                Err(FileError::Io { source, .. }) => {
                    return Err(RegistryError::File {
                        path: f.clone(),
                        message: source.to_string(),
                    });
                }
                Err(e @ FileError::NotUtf8 { .. }) => {
                    return Err(RegistryError::File {
                        path: f.clone(),
                        message: e.to_string(),
                    });
                }
            }
        }
        Ok(r)
    }

    /// The user files dash reads: `$XDG_CONFIG_HOME/dash/models.toml` (or
    /// `~/.config/dash/models.toml`), then `.dash/models.toml` under `project_dir`.
    pub fn default_user_files(project_dir: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        let config_home = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
        if let Some(dir) = config_home {
            files.push(dir.join("dash").join("models.toml"));
        }
        files.push(project_dir.join(".dash").join("models.toml"));
        files
    }

    /// Applies one file's worth of TOML over the registry.
    pub fn apply_str(&mut self, text: &str, path: &Path) -> Result<(), RegistryError> {
        let err = |message: String| RegistryError::File {
            path: path.to_path_buf(),
            message,
        };
        let file: RegistryFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        for (name, p) in file.providers {
            match self.providers.get_mut(&name) {
                Some(info) => {
                    if let Some(v) = p.api {
                        info.api = v;
                    }
                    if let Some(v) = p.base_url {
                        info.base_url = v;
                    }
                    if let Some(v) = p.api_key_env {
                        info.api_key_env = v;
                    }
                    if let Some(v) = p.key_optional {
                        info.key_optional = v;
                    }
                    if let Some(v) = p.any_model {
                        info.any_model = v;
                    }
                    if let Some(v) = p.headers {
                        info.headers.extend(v);
                    }
                    if let Some(v) = p.compat {
                        info.compat = info.compat.merged_with(&v);
                    }
                }
                None => {
                    let (Some(api), Some(base_url)) = (p.api, p.base_url) else {
                        return Err(err(format!(
                            "new provider {name:?} needs both `api` and `base_url`"
                        )));
                    };
                    self.providers.insert(
                        name.clone(),
                        ProviderInfo {
                            api_key_env: p.api_key_env.unwrap_or_else(|| vec![env_name_for(&name)]),
                            key_optional: p.key_optional.unwrap_or(false),
                            any_model: p.any_model.unwrap_or(false),
                            headers: p.headers.unwrap_or_default(),
                            compat: p.compat.unwrap_or_default(),
                            name,
                            api,
                            base_url,
                        },
                    );
                }
            }
        }
        for m in file.models {
            if !self.providers.contains_key(&m.provider) {
                return Err(err(format!(
                    "model {:?} names provider {:?}, which is not defined",
                    m.id, m.provider
                )));
            }
            let existing = self
                .entries
                .iter_mut()
                .find(|e| e.provider == m.provider && e.id == m.id);
            let e = match existing {
                Some(e) => e,
                None => {
                    self.entries.push(Entry {
                        provider: m.provider.clone(),
                        id: m.id.clone(),
                        name: None,
                        api: None,
                        base_url: None,
                        context_window: DEFAULT_CONTEXT_WINDOW,
                        max_tokens: DEFAULT_MAX_TOKENS,
                        reasoning: false,
                        input: vec![InputKind::Text],
                        cost: ModelCost::default(),
                        headers: BTreeMap::new(),
                        compat: CompatOverrides::default(),
                    });
                    self.entries.last_mut().expect("just pushed")
                }
            };
            macro_rules! set {
                ($($f:ident),*) => { $( if let Some(v) = m.$f { e.$f = v; } )* };
            }
            set!(context_window, max_tokens, reasoning, input, cost);
            if m.name.is_some() {
                e.name = m.name;
            }
            if m.api.is_some() {
                e.api = m.api;
            }
            if m.base_url.is_some() {
                e.base_url = m.base_url;
            }
            if let Some(h) = m.headers {
                e.headers.extend(h);
            }
            if let Some(c) = m.compat {
                e.compat = e.compat.merged_with(&c);
            }
        }
        Ok(())
    }

    pub fn providers(&self) -> impl Iterator<Item = &ProviderInfo> {
        self.providers.values()
    }

    pub fn provider(&self, name: &str) -> Option<&ProviderInfo> {
        self.providers.get(name)
    }

    fn resolve_entry(&self, e: &Entry) -> Model {
        let p = &self.providers[&e.provider];
        let mut headers = p.headers.clone();
        headers.extend(e.headers.clone());
        Model {
            id: e.id.clone(),
            name: e.name.clone().unwrap_or_else(|| e.id.clone()),
            provider: e.provider.clone(),
            api: e.api.unwrap_or(p.api),
            base_url: e.base_url.clone().unwrap_or_else(|| p.base_url.clone()),
            context_window: e.context_window,
            max_tokens: e.max_tokens,
            cost: e.cost,
            reasoning: e.reasoning,
            input: e.input.clone(),
            headers,
            compat: p.compat.merged_with(&e.compat),
        }
    }

    /// Every listed model, sorted by provider then id.
    pub fn models(&self) -> Vec<Model> {
        let mut v: Vec<Model> = self.entries.iter().map(|e| self.resolve_entry(e)).collect();
        v.sort_by(|a, b| (&a.provider, &a.id).cmp(&(&b.provider, &b.id)));
        v
    }

    /// Looks up `provider/id`. Providers marked `any_model` accept ids they do not
    /// list, with default limits and zero cost.
    pub fn resolve(&self, spec: &str) -> Result<Model, RegistryError> {
        self.resolve_inner(spec, false)
    }

    /// Like [`Self::resolve`], but any provider accepts an unlisted id (used when the
    /// caller points the provider at another server, where the catalogue means
    /// nothing).
    pub fn resolve_unlisted(&self, spec: &str) -> Result<Model, RegistryError> {
        self.resolve_inner(spec, true)
    }

    fn resolve_inner(&self, spec: &str, any_model: bool) -> Result<Model, RegistryError> {
        let (provider, id) = spec
            .split_once('/')
            .filter(|(p, i)| !p.is_empty() && !i.is_empty())
            .ok_or_else(|| RegistryError::BadSpec(spec.to_owned()))?;
        let Some(info) = self.providers.get(provider) else {
            return Err(RegistryError::UnknownProvider {
                provider: provider.to_owned(),
                known: self.providers.keys().cloned().collect(),
            });
        };
        if let Some(e) = self
            .entries
            .iter()
            .find(|e| e.provider == provider && e.id == id)
        {
            return Ok(self.resolve_entry(e));
        }
        if info.any_model || any_model {
            return Ok(self.resolve_entry(&Entry {
                provider: provider.to_owned(),
                id: id.to_owned(),
                name: None,
                api: None,
                base_url: None,
                context_window: DEFAULT_CONTEXT_WINDOW,
                max_tokens: DEFAULT_MAX_TOKENS,
                reasoning: false,
                input: vec![InputKind::Text, InputKind::Image],
                cost: ModelCost::default(),
                headers: BTreeMap::new(),
                compat: CompatOverrides::default(),
            }));
        }
        let key: String = id.chars().take(6).collect();
        let similar = self
            .entries
            .iter()
            .filter(|e| e.provider == provider && e.id.starts_with(&key))
            .map(|e| e.id.clone())
            .take(5)
            .collect();
        Err(RegistryError::UnknownModel {
            provider: provider.to_owned(),
            id: id.to_owned(),
            similar,
        })
    }

    /// The provider's key from its environment variables.
    pub fn api_key(&self, provider: &str) -> Option<ApiKey> {
        self.providers
            .get(provider)
            .and_then(|p| ApiKey::from_env(&p.api_key_env))
    }
}

/// `my-proxy` → `MY_PROXY_API_KEY`, the variable a user-defined provider reads by
/// default.
fn env_name_for(provider: &str) -> String {
    let mut s: String = provider
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    s.push_str("_API_KEY");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_parses_and_covers_the_big_three() {
        let r = Registry::builtin();
        let models = r.models();
        for (p, api) in [
            ("openai", Api::OpenaiResponses),
            ("anthropic", Api::AnthropicMessages),
            ("google", Api::GoogleGenerativeAi),
        ] {
            let of: Vec<_> = models.iter().filter(|m| m.provider == p).collect();
            assert!(of.len() >= 5, "{p}");
            assert!(of.iter().all(|m| m.api == api && m.cost.output > 0.0));
        }
        let m = r.resolve("anthropic/claude-sonnet-4-5").unwrap();
        assert_eq!(m.base_url, "https://api.anthropic.com");
        assert!((m.cost.input - 3.0).abs() < 1e-9);
        assert!(m.context_window >= 200_000);
    }

    #[test]
    fn local_providers_accept_any_model_and_ids_may_contain_slashes() {
        let r = Registry::builtin();
        let m = r.resolve("ollama/qwen2.5-coder:7b").unwrap();
        assert_eq!(m.base_url, "http://localhost:11434/v1");
        assert_eq!(m.api, Api::OpenaiCompletions);
        let m = r.resolve("openrouter/anthropic/claude-sonnet-4.5").unwrap();
        assert_eq!(m.id, "anthropic/claude-sonnet-4.5");
        assert!(r.provider("lmstudio").unwrap().key_optional);
    }

    #[test]
    fn unknown_names_are_typed_errors_with_suggestions() {
        let r = Registry::builtin();
        assert!(matches!(
            r.resolve("nope/x"),
            Err(RegistryError::UnknownProvider { .. })
        ));
        let Err(RegistryError::UnknownModel { similar, .. }) =
            r.resolve("anthropic/claude-sonnet-9")
        else {
            panic!()
        };
        assert!(similar.iter().any(|s| s.starts_with("claude")));
        assert!(matches!(
            r.resolve("openai"),
            Err(RegistryError::BadSpec(_))
        ));
    }

    #[test]
    fn user_file_upserts_models_and_moves_providers() {
        let mut r = Registry::builtin();
        r.apply_str(
            r#"
            [providers.openai]
            base_url = "http://proxy.local/v1"

            [providers.corp]
            api = "anthropic-messages"
            base_url = "https://llm.corp"

            [[models]]
            provider = "corp"
            id = "big"
            context_window = 50000
            cost = { input = 1, output = 2 }

            [[models]]
            provider = "openai"
            id = "gpt-5"
            max_tokens = 1000
            compat = { supports_store = false }
            "#,
            Path::new("user.toml"),
        )
        .unwrap();
        let gpt = r.resolve("openai/gpt-5").unwrap();
        assert_eq!(gpt.base_url, "http://proxy.local/v1");
        assert_eq!(gpt.max_tokens, 1000);
        assert!(gpt.context_window > 100_000, "unchanged fields stay");
        assert!(!gpt.openai_compat().supports_store);
        let big = r.resolve("corp/big").unwrap();
        assert_eq!(big.api, Api::AnthropicMessages);
        assert_eq!(big.max_tokens, DEFAULT_MAX_TOKENS);
        assert_eq!(r.provider("corp").unwrap().api_key_env, ["CORP_API_KEY"]);
    }

    #[test]
    fn bad_user_files_name_the_file() {
        let mut r = Registry::builtin();
        let e = r
            .apply_str(
                "[[models]]\nprovider = \"ghost\"\nid = \"x\"\n",
                Path::new("u.toml"),
            )
            .unwrap_err();
        assert!(e.to_string().starts_with("u.toml: "), "{e}");
        let e = r
            .apply_str(
                "[providers.x]\nbase_url = \"http://x\"\n",
                Path::new("u.toml"),
            )
            .unwrap_err();
        assert!(e.to_string().contains("needs both"), "{e}");
        assert!(r.apply_str("bogus = 1", Path::new("u.toml")).is_err());
    }
}

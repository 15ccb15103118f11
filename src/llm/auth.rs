//! API keys, kept in a type that cannot leak them by accident: `Debug` and `Display`
//! print a placeholder, it has no `Serialize`, and the only way to the secret is the
//! explicit [`ApiKey::expose`] used when a request header is built.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(secret: impl Into<String>) -> Self {
        ApiKey(secret.into())
    }

    /// The secret itself; call only to put it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Reads the first non-empty variable of `names` from the environment.
    pub fn from_env(names: &[String]) -> Option<Self> {
        names
            .iter()
            .filter_map(|n| std::env::var(n).ok())
            .find(|v| !v.trim().is_empty())
            .map(|v| ApiKey(v.trim().to_owned()))
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([REDACTED])")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_never_shows_the_secret() {
        let k = ApiKey::new("sk-very-secret");
        assert!(!format!("{k:?} {k} {:?}", Some(&k)).contains("very-secret"));
        assert_eq!(k.expose(), "sk-very-secret");
    }
}

//! The project's declared code style (quotes, semicolons), read from its formatter's
//! configuration, so that code dash writes into a file with nothing to copy the style from
//! (no imports) still looks like the project's.
//!
//! Read per folder and cached, walking up from a file's folder to the repository top
//! (the folder with `.git`): the nearest prettier configuration wins, then biome's, then an
//! `.editorconfig` `quote_type`, as those tools themselves look for their configuration
//! nearest first. Nothing outside the repository is read.
//!
//! What is read:
//! - prettier: `.prettierrc` (JSON or YAML), `.prettierrc.json`, `.prettierrc.json5`,
//!   `.prettierrc.yaml`/`.yml`, `.prettierrc.toml`, the `prettier` key of package.json, and
//!   `prettier.config.{js,cjs,mjs,ts}`/`.prettierrc.{js,cjs,mjs,ts}` read as text, never
//!   run: only literal `singleQuote:`/`semi:` keys count (a configuration computed at run
//!   time, or one shared by package name, gives no answer and the file's own style decides).
//!   A prettier configuration without `singleQuote` means double quotes, prettier's
//!   default, and without `semi` means semicolons. `overrides` are not read.
//! - biome: `biome.json`/`biome.jsonc`, `javascript.formatter.quoteStyle` and
//!   `javascript.formatter.semicolons` (defaults: double, always), unless its formatter is
//!   disabled.
//! - `.editorconfig`: `quote_type = single|double` in a section for every file or for
//!   JavaScript/TypeScript files.
//!
//! The fix driver carries a file's declared style in `engine::fix::FixOptions::style` to
//! [`super::imports::ensure`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The quote character and semicolon use a project declares; `None` where it says nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Declared {
    pub quote: Option<char>,
    /// `Some(false)`: statements end without `;` (prettier `semi: false`, biome
    /// `semicolons: "asNeeded"`).
    pub semicolons: Option<bool>,
}

impl Declared {
    /// Each field from `self`, or from `other` where `self` says nothing.
    fn or(self, other: Declared) -> Declared {
        Declared {
            quote: self.quote.or(other.quote),
            semicolons: self.semicolons.or(other.semicolons),
        }
    }
}

/// Declared styles by folder, so each folder's configuration files are read once per run
/// however many files it holds.
#[derive(Default)]
pub struct StyleCache {
    folders: Mutex<HashMap<PathBuf, Declared>>,
}

impl StyleCache {
    pub fn new() -> StyleCache {
        StyleCache::default()
    }

    /// The declared style for the file at `path` (absolute).
    pub fn for_file(&self, path: &Path) -> Declared {
        match path.parent() {
            Some(folder) => self.for_folder(folder),
            None => Declared::default(),
        }
    }

    fn for_folder(&self, folder: &Path) -> Declared {
        if let Some(found) = self.folders.lock().map_or(None, |m| m.get(folder).copied()) {
            return found;
        }
        let own = read_folder(folder);
        let top = folder.join(".git").exists();
        let found = match (own, folder.parent()) {
            (Found::Formatter(d), _) => d,
            (Found::EditorConfig(d), Some(parent)) if !top => d.or(self.for_folder(parent)),
            (Found::EditorConfig(d), _) => d,
            (Found::Nothing, Some(parent)) if !top => self.for_folder(parent),
            (Found::Nothing, _) => Declared::default(),
        };
        if let Ok(mut m) = self.folders.lock() {
            m.insert(folder.to_owned(), found);
        }
        found
    }
}

/// What one folder's own files declare.
enum Found {
    /// A prettier or biome configuration: complete (its defaults fill what it omits).
    Formatter(Declared),
    /// An `.editorconfig` quote type only.
    EditorConfig(Declared),
    Nothing,
}

fn read_folder(folder: &Path) -> Found {
    if let Some(d) = prettier(folder) {
        return Found::Formatter(d);
    }
    if let Some(d) = biome(folder) {
        return Found::Formatter(d);
    }
    match editorconfig(folder) {
        Some(d) => Found::EditorConfig(d),
        None => Found::Nothing,
    }
}

/// A formatter whose configuration is in `folder`, the nearest first (prettier, then
/// biome, as [`StyleCache`] reads them): what `dash fix` may run when the formatter is
/// also installed in the project.
pub(crate) fn formatter_configured_in(folder: &Path) -> Option<Tool> {
    let prettier_files = [
        ".prettierrc",
        ".prettierrc.json",
        ".prettierrc.json5",
        ".prettierrc.yaml",
        ".prettierrc.yml",
        ".prettierrc.toml",
    ];
    let prettier_scripts = ["prettier.config", ".prettierrc"].iter().any(|stem| {
        ["js", "cjs", "mjs", "ts", "cts", "mts"]
            .iter()
            .any(|ext| folder.join(format!("{stem}.{ext}")).is_file())
    });
    let in_package = read(folder.join("package.json"))
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|j| j.get("prettier").is_some());
    if in_package || prettier_scripts || prettier_files.iter().any(|f| folder.join(f).is_file()) {
        return Some(Tool::Prettier);
    }
    if biome(folder).is_some() {
        return Some(Tool::Biome);
    }
    None
}

/// The formatters dash knows how to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Prettier,
    Biome,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::Prettier => "prettier",
            Tool::Biome => "biome",
        }
    }
}

fn read(path: PathBuf) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// A prettier configuration's style with prettier's defaults filled in.
fn prettier_style(single_quote: Option<bool>, semi: Option<bool>) -> Declared {
    Declared {
        quote: Some(if single_quote == Some(true) {
            '\''
        } else {
            '"'
        }),
        semicolons: Some(semi != Some(false)),
    }
}

fn prettier(folder: &Path) -> Option<Declared> {
    if let Some(text) = read(folder.join("package.json"))
        && let Ok(json) = serde_json::from_str::<serde_json::Value>(&text)
        && let Some(config) = json.get("prettier")
    {
        // A string names a shared configuration package: not followed.
        return config
            .as_object()
            .map(|o| prettier_style(bool_of(o.get("singleQuote")), bool_of(o.get("semi"))));
    }
    for name in [".prettierrc", ".prettierrc.json", ".prettierrc.json5"] {
        if let Some(text) = read(folder.join(name)) {
            if let Ok(serde_json::Value::Object(o)) = serde_json::from_str(&strip_jsonc(&text)) {
                return Some(prettier_style(
                    bool_of(o.get("singleQuote")),
                    bool_of(o.get("semi")),
                ));
            }
            // `.prettierrc` may be YAML.
            return Some(prettier_style(
                yaml_bool(&text, "singleQuote"),
                yaml_bool(&text, "semi"),
            ));
        }
    }
    for name in [".prettierrc.yaml", ".prettierrc.yml"] {
        if let Some(text) = read(folder.join(name)) {
            return Some(prettier_style(
                yaml_bool(&text, "singleQuote"),
                yaml_bool(&text, "semi"),
            ));
        }
    }
    if let Some(text) = read(folder.join(".prettierrc.toml")) {
        let table = text.parse::<toml::Table>().ok()?;
        let b = |k: &str| table.get(k).and_then(toml::Value::as_bool);
        return Some(prettier_style(b("singleQuote"), b("semi")));
    }
    for stem in ["prettier.config", ".prettierrc"] {
        for ext in ["js", "cjs", "mjs", "ts", "cts", "mts"] {
            if let Some(text) = read(folder.join(format!("{stem}.{ext}"))) {
                return Some(prettier_style(
                    literal_bool(&text, "singleQuote"),
                    literal_bool(&text, "semi"),
                ));
            }
        }
    }
    None
}

fn biome(folder: &Path) -> Option<Declared> {
    let text = ["biome.json", "biome.jsonc"]
        .iter()
        .find_map(|name| read(folder.join(name)))?;
    let json: serde_json::Value = serde_json::from_str(&strip_jsonc(&text)).ok()?;
    let enabled = |v: Option<&serde_json::Value>| {
        v.and_then(|f| f.get("enabled"))
            .and_then(serde_json::Value::as_bool)
            != Some(false)
    };
    let javascript = json.get("javascript").and_then(|j| j.get("formatter"));
    if !enabled(json.get("formatter")) || !enabled(javascript) {
        return None;
    }
    let field = |key: &str| {
        javascript
            .and_then(|f| f.get(key))
            .and_then(serde_json::Value::as_str)
    };
    Some(Declared {
        quote: Some(if field("quoteStyle") == Some("single") {
            '\''
        } else {
            '"'
        }),
        semicolons: Some(field("semicolons") != Some("asNeeded")),
    })
}

/// `quote_type` in an `.editorconfig` section that covers JavaScript or TypeScript files.
fn editorconfig(folder: &Path) -> Option<Declared> {
    let text = read(folder.join(".editorconfig"))?;
    let mut applies = false;
    let mut quote = None;
    for line in text.lines().map(str::trim) {
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            applies = section == "*"
                || ["js", "ts", "jsx", "tsx", "mjs", "cjs"]
                    .iter()
                    .any(|ext| section.contains(ext));
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if applies && key.trim().eq_ignore_ascii_case("quote_type") {
            quote = match value.trim().to_ascii_lowercase().as_str() {
                "single" => Some('\''),
                "double" => Some('"'),
                _ => quote,
            };
        }
    }
    quote.map(|q| Declared {
        quote: Some(q),
        semicolons: None,
    })
}

fn bool_of(value: Option<&serde_json::Value>) -> Option<bool> {
    value.and_then(serde_json::Value::as_bool)
}

/// A top-level `key: true|false` line of a YAML document.
fn yaml_bool(text: &str, key: &str) -> Option<bool> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        if line.starts_with([' ', '\t']) || k.trim().trim_matches(['"', '\'']) != key {
            return None;
        }
        match v.split('#').next()?.trim() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    })
}

/// The last literal `key: true|false` in a JavaScript configuration's text (the last one
/// wins, as in `{ ...shared, semi: false }`).
fn literal_bool(text: &str, key: &str) -> Option<bool> {
    let mut found = None;
    for (at, _) in text.match_indices(key) {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let rest = text[at + key.len()..]
            .trim_start_matches(['"', '\''])
            .trim_start();
        let Some(rest) = rest.strip_prefix(':') else {
            continue;
        };
        let rest = rest.trim_start();
        let word: String = rest.chars().take_while(|c| c.is_alphanumeric()).collect();
        found = match word.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => found,
        };
    }
    found
}

/// JSON with comments and trailing commas (JSONC, what biome.jsonc and many `.prettierrc`
/// files are) → JSON.
fn strip_jsonc(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut last = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                out.push_str(&text[last..i]);
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                last = i;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                out.push_str(&text[last..i]);
                i = text[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |n| i + 2 + n + 2);
                last = i;
            }
            b',' => {
                let next = text[i + 1..]
                    .trim_start()
                    .chars()
                    .next()
                    .unwrap_or_default();
                if matches!(next, '}' | ']') {
                    out.push_str(&text[last..i]);
                    last = i + 1;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    out.push_str(&text[last.min(text.len())..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn style(files: &[(&str, &str)], file: &str) -> Declared {
        let dir = project(files);
        StyleCache::new().for_file(&dir.path().join(file))
    }

    const SINGLE_NO_SEMI: Declared = Declared {
        quote: Some('\''),
        semicolons: Some(false),
    };
    const DOUBLE_SEMI: Declared = Declared {
        quote: Some('"'),
        semicolons: Some(true),
    };

    #[test]
    fn prettier_files_in_each_format() {
        for (name, text) in [
            (".prettierrc", "{ \"singleQuote\": true, \"semi\": false }"),
            (".prettierrc", "# yaml\nsingleQuote: true\nsemi: false\n"),
            (
                ".prettierrc.json",
                "{\n  // comment\n  \"singleQuote\": true,\n  \"semi\": false,\n}",
            ),
            (".prettierrc.yml", "singleQuote: true\nsemi: false # no\n"),
            (".prettierrc.toml", "singleQuote = true\nsemi = false\n"),
            (
                "prettier.config.js",
                "module.exports = { ...require('./base'), singleQuote: true, semi: false }",
            ),
            (
                ".prettierrc.mjs",
                "/** @type {import('prettier').Config} */\nexport default { 'singleQuote': true, \"semi\": false };",
            ),
            (
                "package.json",
                "{ \"name\": \"p\", \"prettier\": { \"singleQuote\": true, \"semi\": false } }",
            ),
        ] {
            assert_eq!(
                style(&[(name, text)], "src/a.ts"),
                SINGLE_NO_SEMI,
                "{name}: {text}"
            );
        }
    }

    #[test]
    fn prettier_defaults_fill_what_a_config_omits() {
        assert_eq!(style(&[(".prettierrc", "{}")], "a.js"), DOUBLE_SEMI);
        assert_eq!(
            style(&[(".prettierrc", "printWidth: 100\n")], "a.js"),
            DOUBLE_SEMI
        );
        // A computed configuration gives no literal keys: prettier's defaults.
        assert_eq!(
            style(
                &[(
                    "prettier.config.js",
                    "module.exports = require('@acme/prettier')"
                )],
                "a.js"
            ),
            DOUBLE_SEMI
        );
    }

    #[test]
    fn a_shared_config_by_name_is_not_followed() {
        assert_eq!(
            style(
                &[(
                    "package.json",
                    "{ \"prettier\": \"@acme/prettier-config\" }"
                )],
                "a.js"
            ),
            Declared::default()
        );
    }

    #[test]
    fn biome_settings_and_defaults() {
        let jsonc = "{\n  // biome\n  \"javascript\": { \"formatter\": { \"quoteStyle\": \"single\", \"semicolons\": \"asNeeded\", }, },\n}";
        assert_eq!(style(&[("biome.jsonc", jsonc)], "a.ts"), SINGLE_NO_SEMI);
        assert_eq!(style(&[("biome.json", "{}")], "a.ts"), DOUBLE_SEMI);
        assert_eq!(
            style(
                &[("biome.json", "{ \"formatter\": { \"enabled\": false } }")],
                "a.ts"
            ),
            Declared::default()
        );
    }

    #[test]
    fn editorconfig_quote_type_for_script_sections() {
        let text = "root = true\n[*.md]\nquote_type = double\n[*.{js,ts}]\nquote_type = single\n";
        assert_eq!(
            style(&[(".editorconfig", text)], "src/a.ts"),
            Declared {
                quote: Some('\''),
                semicolons: None
            }
        );
        assert_eq!(
            style(
                &[(".editorconfig", "[*.md]\nquote_type = single\n")],
                "a.ts"
            ),
            Declared::default()
        );
    }

    #[test]
    fn the_nearest_configuration_wins_and_the_walk_stops_at_the_repository() {
        let files = [
            (".prettierrc", "singleQuote: true\n"),
            ("packages/a/.prettierrc", "semi: false\n"),
            ("packages/a/src/x.ts", ""),
        ];
        let dir = project(&files);
        let cache = StyleCache::new();
        assert_eq!(
            cache.for_file(&dir.path().join("packages/a/src/x.ts")),
            Declared {
                quote: Some('"'),
                semicolons: Some(false)
            }
        );
        assert_eq!(
            cache.for_file(&dir.path().join("packages/b/y.ts")),
            Declared {
                quote: Some('\''),
                semicolons: Some(true)
            }
        );
        // A configuration above the repository top is not read.
        let outer = project(&[(".prettierrc", "singleQuote: true\n")]);
        let inner = outer.path().join("inner");
        std::fs::create_dir_all(inner.join(".git")).unwrap();
        assert_eq!(cache.for_file(&inner.join("a.ts")), Declared::default());
    }
}

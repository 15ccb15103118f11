//! Which grammar parses which file.

use std::path::Path;

/// A grammar dash parses. `.ts` and `.tsx` need different grammars: `<T>x` is a type
/// assertion in one and a JSX element in the other, so the extension decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    TypeScript = 0,
    Tsx = 1,
    JavaScript = 2,
}

impl Lang {
    pub const COUNT: usize = 3;

    /// `.ts .mts .cts` → TypeScript, `.tsx` → TSX, `.js .jsx .mjs .cjs` → JavaScript
    /// (whose grammar includes JSX). Declaration files (`.d.ts`) are TypeScript here;
    /// the walker excludes them by default because they hold no executable code.
    pub fn from_path(path: &Path) -> Option<Lang> {
        let ext = path.extension()?.to_str()?;
        Self::from_extension(ext)
    }

    pub fn from_extension(ext: &str) -> Option<Lang> {
        match ext {
            "ts" | "mts" | "cts" => Some(Lang::TypeScript),
            "tsx" => Some(Lang::Tsx),
            "js" | "jsx" | "mjs" | "cjs" => Some(Lang::JavaScript),
            _ => None,
        }
    }

    pub fn grammar(self) -> tree_sitter::Language {
        match self {
            Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Lang::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Lang::TypeScript => "typescript",
            Lang::Tsx => "tsx",
            Lang::JavaScript => "javascript",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_table() {
        for (file, lang) in [
            ("a.ts", Some(Lang::TypeScript)),
            ("a.mts", Some(Lang::TypeScript)),
            ("a.cts", Some(Lang::TypeScript)),
            ("a.d.ts", Some(Lang::TypeScript)),
            ("a.tsx", Some(Lang::Tsx)),
            ("a.js", Some(Lang::JavaScript)),
            ("a.jsx", Some(Lang::JavaScript)),
            ("a.mjs", Some(Lang::JavaScript)),
            ("a.cjs", Some(Lang::JavaScript)),
            ("a.json", None),
            ("Makefile", None),
        ] {
            assert_eq!(Lang::from_path(Path::new(file)), lang, "{file}");
        }
    }
}

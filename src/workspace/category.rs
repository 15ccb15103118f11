//! Which part of a codebase a file belongs to: production, tests, scripts, examples or
//! browser. Policies (what `dash fix` does, what `dash verify` tolerates) are set per
//! category.
//!
//! A category comes from three sources, cheapest first: the path (`[paths]` globs), the
//! file's package (`package.rs`: `bin` entries, packages built for the browser), and the
//! file's first bytes or imports (`content.rs`: a shebang, `'use client'`, a service
//! worker, a CLI program's entry module), read from the text the run already holds.

// Errors carry config text for diagnostics; they are cold and happen once per run.
#![allow(clippy::result_large_err)]

use globset::{GlobSet, GlobSetBuilder};
use serde::Serialize;

use crate::config::{Config, ConfigError, GlobSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Production,
    Tests,
    Scripts,
    Examples,
    /// Client code: it runs in a browser, where a Node logger cannot be imported.
    Browser,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::Production,
        Category::Tests,
        Category::Scripts,
        Category::Examples,
        Category::Browser,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Category::Production => "production",
            Category::Tests => "tests",
            Category::Scripts => "scripts",
            Category::Examples => "examples",
            Category::Browser => "browser",
        }
    }
}

/// Compiled category globs. Tests win over scripts, browser and examples
/// (`scripts/x.test.ts` is a test), scripts over browser (`public/bin/x.js` is a script),
/// browser over examples; anything unmatched is production.
/// Every category's globs in one set (tests first, then scripts, browser, examples), so a
/// path is matched once, not once per category: the walk categorizes every file.
#[derive(Debug, Clone)]
pub struct Categorizer {
    all: GlobSet,
    /// Glob indexes below this are tests; below `browser_from`, scripts; below
    /// `examples_from`, browser.
    scripts_from: usize,
    browser_from: usize,
    examples_from: usize,
}

impl Categorizer {
    pub fn new(config: &Config) -> Result<Categorizer, ConfigError> {
        let paths = &config.paths;
        let specs: Vec<GlobSpec> = paths
            .tests
            .iter()
            .chain(&paths.scripts)
            .chain(&paths.browser)
            .chain(&paths.examples)
            .cloned()
            .collect();
        Ok(Categorizer {
            all: compile(config, &specs)?,
            scripts_from: paths.tests.len(),
            browser_from: paths.tests.len() + paths.scripts.len(),
            examples_from: paths.tests.len() + paths.scripts.len() + paths.browser.len(),
        })
    }

    /// `relative` is the path inside its worktree, with `/` separators. Tests win over
    /// scripts, scripts over browser, browser over examples.
    pub fn categorize(&self, relative: &str) -> Category {
        let first = MATCHES.with(|matches| {
            let mut matches = matches.borrow_mut();
            self.all.matches_into(relative, &mut matches);
            matches.iter().copied().min()
        });
        match first {
            Some(i) if i < self.scripts_from => Category::Tests,
            Some(i) if i < self.browser_from => Category::Scripts,
            Some(i) if i < self.examples_from => Category::Browser,
            Some(_) => Category::Examples,
            None => Category::Production,
        }
    }
}

thread_local! {
    static MATCHES: std::cell::RefCell<Vec<usize>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Compiles globs with gitignore-like anchoring, which is what people write in config
/// files: a glob without a slash matches at any depth (`*.config.*`), a trailing slash
/// means a folder anywhere (`scripts/`), and a glob with an inner slash is anchored at
/// the root (`src/legacy/**`).
pub fn compile(config: &Config, specs: &[GlobSpec]) -> Result<GlobSet, ConfigError> {
    let mut builder = GlobSetBuilder::new();
    for spec in specs {
        let pattern = normalize(&spec.glob);
        let glob = globset::GlobBuilder::new(&pattern)
            .literal_separator(true)
            .build()
            .map_err(|err| config.glob_error(spec, err.kind().to_string()))?;
        builder.add(glob);
    }
    builder.build().map_err(|err| {
        let spec = specs.first().cloned().unwrap_or(GlobSpec {
            glob: String::new(),
            span: None,
        });
        config.glob_error(&spec, err.to_string())
    })
}

fn normalize(glob: &str) -> String {
    let glob = glob.strip_prefix("./").unwrap_or(glob);
    let (body, is_dir) = match glob.strip_suffix('/') {
        Some(body) => (body, true),
        None => (glob, false),
    };
    let anchored = body.starts_with('/') || body.contains('/');
    let body = body.strip_prefix('/').unwrap_or(body);
    let mut pattern = if anchored || body.starts_with("**") {
        body.to_owned()
    } else {
        format!("**/{body}")
    };
    if is_dir {
        pattern.push_str("/**");
    }
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    fn categorize(path: &str) -> Category {
        Categorizer::new(&Config::default())
            .unwrap()
            .categorize(path)
    }

    #[test]
    fn default_categories() {
        assert_eq!(categorize("src/index.ts"), Category::Production);
        assert_eq!(categorize("src/index.test.ts"), Category::Tests);
        assert_eq!(categorize("src/a.spec.tsx"), Category::Tests);
        assert_eq!(categorize("src/__tests__/a.ts"), Category::Tests);
        assert_eq!(categorize("src/__mocks__/fs.ts"), Category::Tests);
        assert_eq!(categorize("test/a.js"), Category::Tests);
        assert_eq!(categorize("packages/x/tests/a.ts"), Category::Tests);
        assert_eq!(categorize("e2e/login.ts"), Category::Tests);
        assert_eq!(categorize("scripts/release.ts"), Category::Scripts);
        assert_eq!(categorize("bin/cli.js"), Category::Scripts);
        assert_eq!(categorize("vite.config.ts"), Category::Scripts);
        assert_eq!(categorize("packages/a/jest.config.js"), Category::Scripts);
        assert_eq!(categorize("examples/basic/main.ts"), Category::Examples);
        assert_eq!(categorize("docs/snippet.js"), Category::Examples);
        assert_eq!(categorize("scripts/check.test.ts"), Category::Tests);
        assert_eq!(categorize("src/testing.ts"), Category::Production);
        assert_eq!(categorize("src/latest/a.ts"), Category::Production);
    }

    #[test]
    fn test_folders_and_files() {
        for path in [
            "e2e_tests/login.ts",
            "e2e-tests/login.ts",
            "packages/web/e2e_test/a.ts",
            "src/__e2e__/a.ts",
            "cypress/support/commands.ts",
            "playwright/fixtures.ts",
            "src/login.e2e.ts",
            "src/login.e2e-spec.ts",
            "src/button.cy.tsx",
            "src/__fixtures__/a.ts",
            "test/app.e2e-spec.ts",
            "src/app.e2e-spec.ts",
            "src/a.test-d.ts",
            "smoketests/index.js",
            "packages/cli/smoke-tests/run.ts",
        ] {
            assert_eq!(categorize(path), Category::Tests, "{path}");
        }
        assert_eq!(categorize("src/button.stories.tsx"), Category::Examples);
        assert_eq!(categorize(".storybook/main.ts"), Category::Examples);
        // Words that merely contain a test folder's name are not tests.
        // Tests' console calls are removed: a folder name that is not certainly a test's
        // (`spec/` may be an API specification, `testing/` a library's test utilities)
        // stays production.
        for path in [
            "src/contest/a.ts",
            "src/cypress.ts",
            "src/e2e.ts",
            "spec/openapi.ts",
            "src/testing/helpers.ts",
        ] {
            assert_eq!(categorize(path), Category::Production, "{path}");
        }
    }

    #[test]
    fn browser_paths() {
        for path in [
            "public/app.js",
            "packages/site/public/vendor/x.js",
            "src/sw.js",
            "sw.ts",
            "src/service-worker.ts",
            "src/serviceWorker.js",
            "web/worker/service-worker.js",
        ] {
            assert_eq!(categorize(path), Category::Browser, "{path}");
        }
        assert_eq!(categorize("public/bin/x.js"), Category::Scripts);
        assert_eq!(categorize("public/a.test.js"), Category::Tests);
        assert_eq!(categorize("src/public-api.ts"), Category::Production);
    }

    #[test]
    fn anchoring() {
        assert_eq!(normalize("scripts/"), "**/scripts/**");
        assert_eq!(normalize("*.config.*"), "**/*.config.*");
        assert_eq!(normalize("src/legacy/**"), "src/legacy/**");
        assert_eq!(normalize("/tools"), "tools");
        assert_eq!(normalize("**/x/**"), "**/x/**");
    }

    #[test]
    fn bad_glob_is_a_diagnostic_pointing_at_it() {
        let text = "[paths]\ntests = [\"qa/[z-a]\"]\n";
        let config = Config::parse(text, std::path::Path::new("dash.toml")).unwrap();
        let err = Categorizer::new(&config).unwrap_err();
        match err {
            ConfigError::Glob { glob, span, .. } => {
                assert_eq!(glob, "qa/[z-a]");
                assert_eq!(
                    &text[span.offset()..span.offset() + span.len()],
                    "\"qa/[z-a]\""
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

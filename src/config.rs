//! `dash.toml`: the model, discovery by walking up, defaults and validation.
//!
//! Everything is optional; the defaults make `dash scan .` do the right thing on a
//! typical repo. Mistakes are never silently ignored: an unknown key (a typo such as
//! `[verfy]`) or a bad glob is a diagnostic that points into the file, because a CI gate
//! whose threshold was quietly dropped is worse than one that fails loudly.

// Configuration errors carry the file's text so they can point into it; they happen once
// per run, so their size does not matter.
#![allow(clippy::result_large_err)]

use std::path::{Path, PathBuf};

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Deserialize;
use thiserror::Error;
use toml::Spanned;

pub const FILE_NAME: &str = "dash.toml";

/// Default size limit: bigger sources are almost always generated or vendored bundles.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 2 * 1024 * 1024;

#[derive(Debug, Error, Diagnostic)]
pub enum ConfigError {
    #[error("cannot read {}", path.display())]
    #[diagnostic(
        code(dash::config::read),
        help("check that the file exists and is readable")
    )]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{message}")]
    #[diagnostic(
        code(dash::config::invalid),
        help("see the Configuration section of dash's README for every key")
    )]
    Invalid {
        message: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("here")]
        span: Option<SourceSpan>,
    },
    #[error("invalid glob `{glob}`: {reason}")]
    #[diagnostic(
        code(dash::config::glob),
        help("globs use gitignore-like syntax: `**/*.test.ts`, `scripts/`, `src/{{a,b}}/**`")
    )]
    Glob {
        glob: String,
        reason: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("this glob")]
        span: SourceSpan,
    },
}

/// A glob as written in dash.toml, with where it was written (for diagnostics).
#[derive(Debug, Clone)]
pub struct GlobSpec {
    pub glob: String,
    pub span: Option<std::ops::Range<usize>>,
}

impl GlobSpec {
    fn defaults(globs: &[&str]) -> Vec<GlobSpec> {
        globs
            .iter()
            .map(|g| GlobSpec {
                glob: (*g).to_owned(),
                span: None,
            })
            .collect()
    }
}

/// The resolved configuration: defaults merged with what the file says.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file this came from, if any; relative globs are relative to its folder.
    pub file: Option<PathBuf>,
    /// The file's text, kept so later validation (globs) can point into it.
    pub source: Option<String>,
    pub paths: PathsConfig,
    pub console: ConsoleConfig,
    pub logger: LoggerConfig,
    pub verify: VerifyConfig,
    pub limits: LimitsConfig,
    pub rules: RulesConfig,
    pub hook: HookConfig,
    /// `[format]`: the formatter `dash fix` runs on changed files.
    pub format: crate::edit::format::FormatConfig,
}

/// `[hook]`: what `dash hook run` lets into a commit. By default staged production code
/// may hold no console call and no finding of any other rule is allowed.
#[derive(Debug, Clone, Default)]
pub struct HookConfig {
    /// Console calls tolerated in staged production files (all of them together).
    pub max_production: u64,
    /// Only these rules run in the hook (default: every enabled rule).
    pub rules: Option<Vec<String>>,
}

/// `[rules]`: which rules run (ids are checked against the registry when a run selects
/// its rules, with the span of the offending id).
#[derive(Debug, Clone, Default)]
pub struct RulesConfig {
    /// Only these rules (default: every rule).
    pub enable: Option<Vec<String>>,
    /// Never these rules.
    pub disable: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct PathsConfig {
    pub tests: Vec<GlobSpec>,
    pub scripts: Vec<GlobSpec>,
    pub examples: Vec<GlobSpec>,
    /// Client code (service workers, `public/`); packages built for the browser and
    /// `'use client'` files are found without globs.
    pub browser: Vec<GlobSpec>,
    /// Added to .gitignore and the built-in excludes.
    pub exclude: Vec<GlobSpec>,
}

impl Default for PathsConfig {
    fn default() -> Self {
        PathsConfig {
            tests: GlobSpec::defaults(&[
                "**/*.test.*",
                "**/*.spec.*",
                "**/__tests__/**",
                "**/__mocks__/**",
                "**/test/**",
                "**/tests/**",
                "**/e2e/**",
                "**/e2e_test/**",
                "**/e2e_tests/**",
                "**/e2e-test/**",
                "**/e2e-tests/**",
                "**/__e2e__/**",
                "**/__fixtures__/**",
                "**/cypress/**",
                "**/playwright/**",
                "**/*.e2e.*",
                "**/*.e2e-spec.*",
                "**/*.cy.*",
                "**/smoketests/**",
                "**/smoke-tests/**",
                // Type tests (tsd, vitest's typecheck).
                "**/*.test-d.*",
            ]),
            scripts: GlobSpec::defaults(&[
                "**/scripts/**",
                "**/bin/**",
                "**/tools/**",
                "**/*.config.*",
                // Benchmarks print their figures: they are scripts, not production.
                "**/bench/**",
                "**/benchmark/**",
                "**/benchmarks/**",
            ]),
            examples: GlobSpec::defaults(&[
                "**/examples/**",
                "**/docs/**",
                "**/demo/**",
                // Storybook stories render components for people, not production.
                "**/*.stories.*",
                "**/.storybook/**",
            ]),
            browser: GlobSpec::defaults(&[
                "**/public/**",
                "**/sw.*",
                "**/service-worker.*",
                "**/serviceWorker.*",
            ]),
            exclude: Vec::new(),
        }
    }
}

/// What the console rule does with calls in each category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsolePolicy {
    Logger,
    Remove,
    Keep,
}

#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    pub production: ConsolePolicy,
    pub tests: ConsolePolicy,
    pub scripts: ConsolePolicy,
    pub examples: ConsolePolicy,
    /// `keep` by default: a Node logger cannot run in a browser, and removing a client's
    /// console calls loses what its users report from the devtools.
    pub browser: ConsolePolicy,
    /// console method → logger method; methods absent here need judgement. `trace` is
    /// absent by default: `console.trace` prints whatever the level, `logger.trace` is
    /// below every logger's default level.
    pub methods: Vec<(String, String)>,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            production: ConsolePolicy::Logger,
            tests: ConsolePolicy::Remove,
            scripts: ConsolePolicy::Keep,
            examples: ConsolePolicy::Keep,
            browser: ConsolePolicy::Keep,
            methods: [
                ("log", "info"),
                ("info", "info"),
                ("warn", "warn"),
                ("error", "error"),
                ("debug", "debug"),
            ]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LoggerStyle {
    /// `logger.info(...args)`: the arguments are kept as they are.
    Console,
    /// `logger.info(fields, msg)`.
    Pino,
    /// `logger.info(msg, fields)`.
    Winston,
}

#[derive(Debug, Clone, Default)]
pub struct LoggerConfig {
    /// A repo path (`src/utils/logger.ts`) or a package name; auto-detected when absent.
    pub module: Option<String>,
    /// The named export, or `default`.
    pub export: Option<String>,
    pub style: Option<LoggerStyle>,
    /// Where each log line says it came from.
    pub source: LoggerSource,
}

/// `[logger] source`: whether each file logs through a child logger that names it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LoggerSource {
    /// Calls go to the logger itself.
    #[default]
    None,
    /// Each file that gets the logger's import declares
    /// `const logger = rootLogger.child({ module: 'routes/orders' })` and calls that, so
    /// every line carries the module it was written from.
    Module,
}

/// `[verify]`: the limits of `dash verify` (and of `dash scan`'s console thresholds).
/// `None` means the key is absent; `dash verify` then applies its own default.
#[derive(Debug, Clone, Default)]
pub struct VerifyConfig {
    pub max_console: Option<u64>,
    pub max_production: Option<u64>,
    /// Findings of the static test rules (every enabled rule but console).
    pub max_test_hazards: Option<u64>,
    pub max_failing_tests: Option<u64>,
    /// Minimum line coverage in percent, per category (`min-coverage = 80` is production's).
    pub min_coverage: Vec<(crate::workspace::Category, f64)>,
    /// `dash fix --verify`: the shell command that type-checks a package (run in the
    /// package's folder; `error TS…` lines counted). Default: the project's own
    /// `tsc --noEmit -p tsconfig.json` where a tsconfig.json exists.
    pub typecheck: Option<String>,
    /// `dash fix --verify`: the shell command that runs a package's tests (its exit status
    /// compared). Default: jest or vitest run by dash when the `test` script uses one, else
    /// `npm test` when there is a `test` script.
    pub test: Option<String>,
    /// `dash fix --verify`: the most seconds one type-check or test run may take.
    pub timeout: Option<u64>,
    /// `dash fix --verify`: the most seconds loading one changed module with node may take.
    pub load_timeout: Option<u64>,
    /// `dash fix --verify`: the most seconds the whole verification may take (what is not
    /// proven by then is left out); `--verify-timeout` overrides it.
    pub run_timeout: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct LimitsConfig {
    pub max_file_size: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
        }
    }
}

// ---- the file format (every table rejects unknown keys) -------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    paths: Option<RawPaths>,
    console: Option<RawConsole>,
    logger: Option<RawLogger>,
    verify: Option<RawVerify>,
    limits: Option<RawLimits>,
    rules: Option<RawRules>,
    hook: Option<RawHook>,
    format: Option<RawFormat>,
    /// Read by the test commands of a later release; accepted so configs can carry them.
    #[expect(
        dead_code,
        reason = "validated as TOML now, interpreted by `dash test`"
    )]
    tests: Option<toml::Table>,
    /// Read by the agent commands of a later release; accepted so configs can carry them.
    #[expect(
        dead_code,
        reason = "validated as TOML now, interpreted by `dash agent`"
    )]
    agent: Option<toml::Table>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPaths {
    tests: Option<Vec<Spanned<String>>>,
    scripts: Option<Vec<Spanned<String>>>,
    examples: Option<Vec<Spanned<String>>>,
    browser: Option<Vec<Spanned<String>>>,
    exclude: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConsole {
    production: Option<ConsolePolicy>,
    tests: Option<ConsolePolicy>,
    scripts: Option<ConsolePolicy>,
    examples: Option<ConsolePolicy>,
    browser: Option<ConsolePolicy>,
    methods: Option<toml::Table>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLogger {
    module: Option<Spanned<String>>,
    export: Option<Spanned<String>>,
    style: Option<LoggerStyle>,
    source: Option<LoggerSource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawVerify {
    max_console: Option<u64>,
    max_production: Option<u64>,
    max_test_hazards: Option<u64>,
    max_failing_tests: Option<u64>,
    /// A number (production's minimum) or a table `{ production = 80, tests = 50 }`.
    min_coverage: Option<Spanned<toml::Value>>,
    typecheck: Option<Spanned<String>>,
    test: Option<Spanned<String>>,
    timeout: Option<Spanned<i64>>,
    load_timeout: Option<Spanned<i64>>,
    run_timeout: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    enable: Option<Vec<Spanned<String>>>,
    disable: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawHook {
    max_production: Option<u64>,
    rules: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawFormat {
    command: Option<Spanned<String>>,
    auto: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLimits {
    max_file_size: Option<Spanned<toml::Value>>,
}

/// A JavaScript identifier (ASCII letters, digits, `_` and `$`; not starting with a
/// digit): what config values written into code as names must be.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// Finds `dash.toml` in `start` or the nearest folder above it.
pub fn discover(start: &Path) -> Option<PathBuf> {
    let start = if start.is_file() {
        // `app.ts` (a bare file name) has the empty path as its parent: the current folder.
        start
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    } else {
        start
    };
    let start = std::fs::canonicalize(start).ok()?;
    start
        .ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
}

impl Config {
    /// Loads `explicit` if given, else the discovered file, else the defaults.
    pub fn load(explicit: Option<&Path>, start: &Path) -> Result<Config, ConfigError> {
        // An explicit path is made absolute (links resolved) like a discovered one:
        // relative paths in the file are relative to its folder, whatever the cwd.
        let explicit =
            explicit.map(|path| std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()));
        match explicit.or_else(|| discover(start)) {
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                Config::parse(&text, &path)
            }
            None => Ok(Config::default()),
        }
    }

    /// Parses the text of a dash.toml found at `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let invalid =
            |message: String, span: Option<std::ops::Range<usize>>| ConfigError::Invalid {
                message,
                src: NamedSource::new(path.display().to_string(), text.to_owned()),
                span: span.map(|r| {
                    SourceSpan::from(r.start..r.end.max(r.start + 1).min(text.len().max(1)))
                }),
            };
        let raw: RawConfig =
            toml::from_str(text).map_err(|err| invalid(err.message().to_owned(), err.span()))?;

        let mut config = Config {
            file: Some(path.to_path_buf()),
            source: Some(text.to_owned()),
            ..Config::default()
        };
        if let Some(paths) = raw.paths {
            // An empty glob matches nothing useful and, as a category glob, nothing
            // expected (`tests = [""]` must not make every file a test).
            let specs = |globs: Vec<Spanned<String>>| -> Result<Vec<GlobSpec>, ConfigError> {
                globs
                    .into_iter()
                    .map(|g| {
                        let span = g.span();
                        let glob = g.into_inner();
                        if glob.trim().is_empty() {
                            return Err(invalid(
                                "an empty glob matches nothing".to_owned(),
                                Some(span),
                            ));
                        }
                        Ok(GlobSpec {
                            glob,
                            span: Some(span),
                        })
                    })
                    .collect()
            };
            if let Some(g) = paths.tests {
                config.paths.tests = specs(g)?;
            }
            if let Some(g) = paths.scripts {
                config.paths.scripts = specs(g)?;
            }
            if let Some(g) = paths.examples {
                config.paths.examples = specs(g)?;
            }
            if let Some(g) = paths.browser {
                config.paths.browser = specs(g)?;
            }
            if let Some(g) = paths.exclude {
                config.paths.exclude = specs(g)?;
            }
        }
        if let Some(console) = raw.console {
            let c = &mut config.console;
            c.production = console.production.unwrap_or(c.production);
            c.tests = console.tests.unwrap_or(c.tests);
            c.scripts = console.scripts.unwrap_or(c.scripts);
            c.examples = console.examples.unwrap_or(c.examples);
            c.browser = console.browser.unwrap_or(c.browser);
            if let Some(methods) = console.methods {
                for (from, to) in methods {
                    let toml::Value::String(to) = to else {
                        return Err(invalid(
                            format!(
                                "console.methods.{from} must be a logger method name (a string)"
                            ),
                            None,
                        ));
                    };
                    if !is_identifier(&to) {
                        return Err(invalid(
                            format!(
                                "console.methods.{from} = {to:?} is not a method name (an identifier such as \"info\")"
                            ),
                            None,
                        ));
                    }
                    match c.methods.iter_mut().find(|(f, _)| *f == from) {
                        Some(entry) => entry.1 = to,
                        None => c.methods.push((from, to)),
                    }
                }
            }
        }
        if let Some(logger) = raw.logger {
            // These values are written into source files: they must be a module specifier
            // and an identifier, nothing that could become other code.
            if let Some(module) = &logger.module {
                let span = module.span();
                let value = module.get_ref();
                if value.trim().is_empty()
                    || value
                        .chars()
                        .any(|c| c.is_control() || matches!(c, '\'' | '"' | '`' | '\\'))
                {
                    return Err(invalid(
                        "logger.module must be a module specifier or a path in the repository (no quotes, backslashes or control characters)".to_owned(),
                        Some(span),
                    ));
                }
            }
            if let Some(export) = &logger.export
                && export.get_ref() != "default"
                && !is_identifier(export.get_ref())
            {
                return Err(invalid(
                    "logger.export must be an identifier or \"default\"".to_owned(),
                    Some(export.span()),
                ));
            }
            config.logger = LoggerConfig {
                module: logger.module.map(Spanned::into_inner),
                export: logger.export.map(Spanned::into_inner),
                style: logger.style,
                source: logger.source.unwrap_or_default(),
            };
        }
        if let Some(verify) = raw.verify {
            let min_coverage = match verify.min_coverage {
                None => Vec::new(),
                Some(value) => {
                    let span = value.span();
                    parse_min_coverage(value.get_ref()).map_err(|message| {
                        invalid(format!("verify.min-coverage: {message}"), Some(span))
                    })?
                }
            };
            // Commands run by `sh -c`: a blank one would run nothing and pass.
            let command = |key: &str, value: Option<Spanned<String>>| match value {
                Some(line) if line.get_ref().trim().is_empty() => Err(invalid(
                    format!("verify.{key} must be a shell command (it is empty)"),
                    Some(line.span()),
                )),
                Some(line) if line.get_ref().chars().any(|c| c == '\0') => Err(invalid(
                    format!("verify.{key} must not contain a NUL character"),
                    Some(line.span()),
                )),
                Some(line) => Ok(Some(line.into_inner())),
                None => Ok(None),
            };
            let seconds = |key: &str, value: Option<Spanned<i64>>| match value {
                Some(n) if !(1..=86_400).contains(n.get_ref()) => Err(invalid(
                    format!("verify.{key} must be a whole number of seconds from 1 to 86400"),
                    Some(n.span()),
                )),
                Some(n) => Ok(Some(n.into_inner() as u64)),
                None => Ok(None),
            };
            config.verify = VerifyConfig {
                max_console: verify.max_console,
                max_production: verify.max_production,
                max_test_hazards: verify.max_test_hazards,
                max_failing_tests: verify.max_failing_tests,
                min_coverage,
                typecheck: command("typecheck", verify.typecheck)?,
                test: command("test", verify.test)?,
                timeout: seconds("timeout", verify.timeout)?,
                load_timeout: seconds("load-timeout", verify.load_timeout)?,
                run_timeout: seconds("run-timeout", verify.run_timeout)?,
            };
        }
        let ids = |table: &str, list: Vec<Spanned<String>>| -> Result<Vec<String>, ConfigError> {
            list.into_iter()
                .map(|id| {
                    let span = id.span();
                    let id = id.into_inner();
                    if crate::rules::by_id(&id).is_none() {
                        return Err(invalid(
                            format!(
                                "unknown rule `{id}` in [{table}]; `dash rules` lists every rule"
                            ),
                            Some(span),
                        ));
                    }
                    Ok(id)
                })
                .collect()
        };
        if let Some(rules) = raw.rules {
            config.rules = RulesConfig {
                enable: rules.enable.map(|l| ids("rules", l)).transpose()?,
                disable: rules
                    .disable
                    .map(|l| ids("rules", l))
                    .transpose()?
                    .unwrap_or_default(),
            };
        }
        if let Some(hook) = raw.hook {
            config.hook = HookConfig {
                max_production: hook.max_production.unwrap_or(0),
                rules: hook.rules.map(|l| ids("hook", l)).transpose()?,
            };
        }
        if let Some(format) = raw.format {
            let command = match format.command {
                Some(line) if line.get_ref().trim().is_empty() || line.get_ref().contains('\0') => {
                    return Err(invalid(
                        "format.command must be a shell command that reads a file's text on standard input and prints it formatted (it is empty or holds a NUL character)".to_owned(),
                        Some(line.span()),
                    ));
                }
                Some(line) => Some(line.into_inner()),
                None => None,
            };
            config.format = crate::edit::format::FormatConfig {
                command,
                auto: format.auto.unwrap_or(true),
            };
        }
        if let Some(limits) = raw.limits
            && let Some(size) = limits.max_file_size
        {
            let span = size.span();
            config.limits.max_file_size = parse_size(size.get_ref()).ok_or_else(|| {
                invalid(
                    "limits.max-file-size must be a byte count such as 2097152 or \"2 MiB\""
                        .to_owned(),
                    Some(span),
                )
            })?;
        }
        Ok(config)
    }

    /// A glob diagnostic pointing at `spec` in this config's file.
    pub fn glob_error(&self, spec: &GlobSpec, reason: String) -> ConfigError {
        let name = self
            .file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "built-in defaults".to_owned());
        let text = self.source.clone().unwrap_or_else(|| spec.glob.clone());
        let span = spec.span.clone().unwrap_or(0..spec.glob.len());
        ConfigError::Glob {
            glob: spec.glob.clone(),
            reason,
            src: NamedSource::new(name, text),
            span: SourceSpan::from(span),
        }
    }

    /// The folder relative globs are anchored at: the config file's folder.
    pub fn root(&self) -> Option<&Path> {
        self.file.as_deref().and_then(Path::parent)
    }
}

/// `80` (production's minimum) or `{ production = 80, tests = 50 }`: percentages of lines
/// covered, 0 to 100; categories are dash's (`[paths]`).
fn parse_min_coverage(
    value: &toml::Value,
) -> Result<Vec<(crate::workspace::Category, f64)>, String> {
    use crate::workspace::Category;
    let percent = |v: &toml::Value| -> Option<f64> {
        let n = match v {
            toml::Value::Integer(n) => *n as f64,
            toml::Value::Float(f) => *f,
            _ => return None,
        };
        (0.0..=100.0).contains(&n).then_some(n)
    };
    const EXPECTED: &str =
        "expected a percentage from 0 to 100, or a table such as { production = 80, tests = 50 }";
    match value {
        toml::Value::Table(table) => {
            let mut limits = Vec::new();
            for (key, v) in table {
                let category = Category::ALL
                    .into_iter()
                    .find(|c| c.name() == key)
                    .ok_or_else(|| {
                        format!(
                            "unknown category `{key}`; categories are {}",
                            Category::ALL.map(Category::name).join(", ")
                        )
                    })?;
                let limit = percent(v).ok_or_else(|| format!("{key}: {EXPECTED}"))?;
                limits.push((category, limit));
            }
            limits.sort_by_key(|(c, _)| Category::ALL.iter().position(|x| x == c));
            Ok(limits)
        }
        v => percent(v)
            .map(|limit| vec![(Category::Production, limit)])
            .ok_or_else(|| EXPECTED.to_owned()),
    }
}

/// `2097152`, `"2MiB"`, `"2 MiB"`, `"512 KiB"`, `"1MB"`.
fn parse_size(value: &toml::Value) -> Option<u64> {
    match value {
        toml::Value::Integer(n) => u64::try_from(*n).ok(),
        toml::Value::String(s) => {
            let s = s.trim();
            let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
            let (num, unit) = s.split_at(split);
            let num: u64 = num.parse().ok()?;
            let factor = match unit.trim().to_ascii_lowercase().as_str() {
                "" | "b" => 1,
                "k" | "kb" | "kib" => 1024,
                "m" | "mb" | "mib" => 1024 * 1024,
                "g" | "gb" | "gib" => 1024 * 1024 * 1024,
                _ => return None,
            };
            num.checked_mul(factor)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("dash.toml"))
    }

    #[test]
    fn format_section() {
        let c = parse("").unwrap();
        assert_eq!((c.format.command, c.format.auto), (None, true));
        let c = parse("[format]\ncommand = \"prettier --stdin-filepath {path}\"\nauto = false\n")
            .unwrap();
        assert_eq!(
            c.format.command.as_deref(),
            Some("prettier --stdin-filepath {path}")
        );
        assert!(!c.format.auto);
        for bad in ["[format]\ncommand = \"  \"\n", "[format]\nwrite = true\n"] {
            assert!(
                matches!(parse(bad), Err(ConfigError::Invalid { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn values_written_into_code_are_validated() {
        for bad in [
            "[console]\nmethods = { log = \"x;alert(1)\" }",
            "[console]\nmethods = { log = \"\" }",
            "[logger]\nmodule = \"\"",
            "[logger]\nmodule = \"./log'); evil('\"",
            "[logger]\nexport = \"a b\"",
            "[paths]\ntests = [\"\"]",
        ] {
            let err = parse(bad)
                .err()
                .unwrap_or_else(|| panic!("accepted: {bad}"));
            assert!(matches!(err, ConfigError::Invalid { .. }), "{bad}: {err:?}");
        }
        let ok = parse("[console]\nmethods = { trace = \"error\" }\n[logger]\nmodule = \"@acme/log\"\nexport = \"default\"").unwrap();
        assert_eq!(ok.logger.module.as_deref(), Some("@acme/log"));
    }

    #[test]
    fn empty_file_gives_defaults() {
        let c = parse("").unwrap();
        assert_eq!(c.console.production, ConsolePolicy::Logger);
        assert_eq!(c.console.tests, ConsolePolicy::Remove);
        assert_eq!(c.console.browser, ConsolePolicy::Keep);
        assert_eq!(c.limits.max_file_size, DEFAULT_MAX_FILE_SIZE);
        assert!(c.paths.tests.iter().any(|g| g.glob == "**/*.test.*"));
    }

    #[test]
    fn reads_every_section() {
        let c = parse(
            r#"
[paths]
tests = ["qa/**"]
exclude = ["generated/**"]
browser = ["client/**"]
[console]
scripts = "remove"
browser = "logger"
methods = { log = "debug", table = "info" }
[logger]
module = "src/log.ts"
export = "log"
style = "pino"
source = "module"
[verify]
max-console = 10
max-production = 0
[limits]
max-file-size = "1 MiB"
[hook]
max-production = 2
rules = ["console", "focused-test"]
"#,
        )
        .unwrap();
        assert_eq!(c.paths.tests.len(), 1);
        assert_eq!(
            c.paths.tests[0].span.clone().map(|r| r.len()),
            Some("\"qa/**\"".len())
        );
        assert_eq!(c.console.scripts, ConsolePolicy::Remove);
        assert_eq!(c.console.browser, ConsolePolicy::Logger);
        assert_eq!(c.paths.browser.len(), 1);
        assert!(c.console.methods.contains(&("log".into(), "debug".into())));
        assert!(c.console.methods.contains(&("table".into(), "info".into())));
        assert_eq!(c.logger.style, Some(LoggerStyle::Pino));
        assert_eq!(c.logger.source, LoggerSource::Module);
        assert_eq!(c.verify.max_console, Some(10));
        assert_eq!(c.verify.max_production, Some(0));
        assert_eq!(c.limits.max_file_size, 1024 * 1024);
        assert_eq!(c.hook.max_production, 2);
        assert_eq!(
            c.hook.rules.as_deref(),
            Some(&["console".to_owned(), "focused-test".to_owned()][..])
        );
    }

    #[test]
    fn unknown_keys_point_into_the_file() {
        let text = "[verify]\nmax-consoel = 3\n";
        let err = parse(text).unwrap_err();
        match err {
            ConfigError::Invalid {
                message,
                span: Some(span),
                ..
            } => {
                assert!(message.contains("max-consoel"), "{message}");
                assert_eq!(
                    &text[span.offset()..span.offset() + "max-consoel".len()],
                    "max-consoel"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            parse("[hook]\nmax-prod = 1\n"),
            Err(ConfigError::Invalid { .. })
        ));
        assert!(matches!(
            parse("[hook]\nrules = [\"no-such-rule\"]\n"),
            Err(ConfigError::Invalid { .. })
        ));
        assert!(matches!(
            parse("[verfy]\n"),
            Err(ConfigError::Invalid { .. })
        ));
        assert!(matches!(
            parse("[console]\nproduction = \"delete\"\n"),
            Err(ConfigError::Invalid { .. })
        ));
        assert!(matches!(
            parse("[limits]\nmax-file-size = \"lots\"\n"),
            Err(ConfigError::Invalid { .. })
        ));
    }

    #[test]
    fn verify_limits() {
        use crate::workspace::Category;
        let c = parse("[verify]\nmax-test-hazards = 2\nmax-failing-tests = 0\nmin-coverage = 80\n")
            .unwrap();
        assert_eq!(c.verify.max_test_hazards, Some(2));
        assert_eq!(c.verify.max_failing_tests, Some(0));
        assert_eq!(c.verify.min_coverage, vec![(Category::Production, 80.0)]);
        let c = parse("[verify]\nmin-coverage = { tests = 50, production = 72.5 }\n").unwrap();
        assert_eq!(
            c.verify.min_coverage,
            vec![(Category::Production, 72.5), (Category::Tests, 50.0)]
        );
        for bad in [
            "min-coverage = 101",
            "min-coverage = \"80%\"",
            "min-coverage = { prod = 80 }",
            "min-coverage = { production = -1 }",
            "max-test-hazard = 1",
            "typecheck = \"  \"",
            "test = \"\"",
            "timeout = 0",
            "load-timeout = -5",
            "timeout = \"10s\"",
            "run-timeout = 0",
            "run-timeout = 86401",
            "run-timeout = \"30m\"",
        ] {
            let text = format!("[verify]\n{bad}\n");
            match parse(&text) {
                Err(ConfigError::Invalid { span: Some(_), .. }) => {}
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn verify_commands() {
        let c = parse(
            "[verify]\ntypecheck = \"npx vue-tsc --noEmit\"\ntest = \"npm run test:unit\"\ntimeout = 120\nload-timeout = 5\nrun-timeout = 900\n",
        )
        .unwrap();
        assert_eq!(c.verify.typecheck.as_deref(), Some("npx vue-tsc --noEmit"));
        assert_eq!(c.verify.test.as_deref(), Some("npm run test:unit"));
        assert_eq!(c.verify.timeout, Some(120));
        assert_eq!(c.verify.load_timeout, Some(5));
        assert_eq!(c.verify.run_timeout, Some(900));
        let c = parse("[verify]\nmax-console = 1\n").unwrap();
        assert_eq!(c.verify.typecheck, None);
        assert_eq!(c.verify.timeout, None);
    }

    #[test]
    fn sizes() {
        use toml::Value::{Integer, String as S};
        assert_eq!(parse_size(&Integer(10)), Some(10));
        assert_eq!(parse_size(&S("2MiB".into())), Some(2 * 1024 * 1024));
        assert_eq!(parse_size(&S("512 KiB".into())), Some(512 * 1024));
        assert_eq!(parse_size(&S("2 parsecs".into())), None);
        assert_eq!(parse_size(&Integer(-1)), None);
    }

    #[test]
    fn discovery_walks_up() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        std::fs::create_dir_all(&nested).unwrap();
        let canonical = std::fs::canonicalize(dir.path()).unwrap();
        assert!(discover(&nested).is_none_or(|found| !found.starts_with(&canonical)));
        std::fs::write(dir.path().join(FILE_NAME), "").unwrap();
        let found = discover(&nested).unwrap();
        assert_eq!(
            found,
            std::fs::canonicalize(dir.path()).unwrap().join(FILE_NAME)
        );
    }
}

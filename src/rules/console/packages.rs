//! The logger per package. A monorepo's packages each have their own logger (a pino
//! instance here, winston there), their own module system and their own dash.toml; a
//! logger looked up once at the repository root and imported across package boundaries
//! broke every package of the monorepos dash was tried on.
//!
//! Each file belongs to the package of its nearest package.json (never above the run's
//! root or a repository boundary: a submodule or nested repository is a package of its
//! own). Per package, once (rayon threads share the answer), the logger is, in order:
//! 1. `[logger]` of the package's dash.toml (else the run's);
//! 2. the package's own logger module: the usual paths, then a file named
//!    `logger`/`log`/`logging` in the package that exports a logger;
//! 3. a workspace package this package depends on whose entry exports `logger` (a bare
//!    specifier: node resolves it through the workspace link);
//! 4. a new module inside this package, in the language and module system its code runs
//!    as.
//!
//! Every specifier is then resolved from the importing file ([`super::resolve`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use super::logger::{self, LoggerModule, LoggerTarget};
use super::resolve::{self, Mode, Resolver};
use crate::config::Config;

/// What dash knows of one package.
pub(crate) struct Package {
    /// The package's folder (canonical).
    pub root: PathBuf,
    /// The package's dash.toml when it has one of its own, else the run's; `Err` holds why
    /// the package's own file could not be read.
    pub config: Result<Config, String>,
    pub logger: LoggerTarget,
    /// `"type": "module"` in its package.json.
    pub is_module: bool,
    /// TypeScript under NodeNext/Node16: ESM relative imports name the file's extension.
    pub requires_extension: bool,
    /// The package's code is compiled as TypeScript (a tsconfig applies and most of its
    /// sources are TypeScript).
    pub typescript: bool,
    /// The package's name when the package is itself a logger (`@acme/logger`,
    /// `log`): its console calls are its output, not calls to route through a logger.
    pub logger_package: Option<String>,
    resolvers: Mutex<HashMap<Mode, Arc<Resolver>>>,
}

/// The packages of a run, each looked up once.
pub(crate) struct Packages {
    config: Config,
    /// The run's root: the lookup never climbs above it.
    root: PathBuf,
    /// Folder of a file → its package's folder.
    folders: Mutex<HashMap<PathBuf, PathBuf>>,
    packages: Mutex<HashMap<PathBuf, Arc<OnceLock<Arc<Package>>>>>,
}

impl Packages {
    pub fn new(config: &Config, root: &Path) -> Packages {
        Packages {
            config: config.clone(),
            root: canonical(root),
            folders: Mutex::new(HashMap::new()),
            packages: Mutex::new(HashMap::new()),
        }
    }

    /// The package `file` belongs to, looked up (once per package) if need be.
    pub fn of(&self, file: &Path) -> Arc<Package> {
        let folder = file.parent().unwrap_or(file).to_path_buf();
        let cached = self.folders.lock().ok().and_then(|f| f.get(&folder).cloned());
        let root = cached.unwrap_or_else(|| {
            let root = package_root(&canonical(&folder), &self.root);
            if let Ok(mut folders) = self.folders.lock() {
                folders.insert(folder, root.clone());
            }
            root
        });
        self.package(&root)
    }

    /// The package whose folder is `root`.
    pub fn package(&self, root: &Path) -> Arc<Package> {
        let cell = {
            let mut packages = self
                .packages
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            packages.entry(root.to_path_buf()).or_default().clone()
        };
        cell.get_or_init(|| Arc::new(Package::load(&self.config, root, &self.root)))
            .clone()
    }
}

/// The absolute, link-free form of `path`; for a path that does not exist (yet), its
/// nearest existing folder's canonical form with the rest appended.
pub(crate) fn canonical(path: &Path) -> PathBuf {
    if let Ok(c) = std::fs::canonicalize(path) {
        return c;
    }
    for existing in path.ancestors().skip(1) {
        if let Ok(c) = std::fs::canonicalize(existing) {
            return c.join(path.strip_prefix(existing).unwrap_or(Path::new("")));
        }
    }
    path.to_path_buf()
}

/// The nearest folder at or above `folder` with a package.json, stopping at the run's
/// root and at a repository boundary (a `.git` folder or file: a submodule, a nested
/// repository, another worktree).
fn package_root(folder: &Path, run_root: &Path) -> PathBuf {
    for dir in folder.ancestors() {
        if dir.join("package.json").is_file() || dir == run_root || dir.join(".git").exists() {
            return dir.to_path_buf();
        }
    }
    folder.to_path_buf()
}

/// What a walk of the package's own files found (nested packages and repositories are
/// not part of it).
#[derive(Default)]
struct Sources {
    typescript: usize,
    javascript: usize,
    mjs: usize,
    /// Files named like a logger module, nearest the package root first.
    logger_named: Vec<PathBuf>,
    /// Some `.js` files, sorted: their syntax says whether plain `.js` is ESM here.
    js_sample: Vec<PathBuf>,
}

const SAMPLE: usize = 16;

fn walk_sources(root: &Path) -> Sources {
    let mut sources = Sources::default();
    let top = root.to_path_buf();
    let walker = ignore::WalkBuilder::new(root)
        .max_depth(Some(8))
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(move |e| {
            let name = e.file_name().to_string_lossy();
            if name == "node_modules" || name == "dist" || name == "build" || name == "coverage" {
                return false;
            }
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            !(is_dir
                && e.path() != top
                && (e.path().join("package.json").is_file() || e.path().join(".git").exists()))
        })
        .build();
    for entry in walker.flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".d.ts") || name.ends_with(".d.mts") || name.ends_with(".d.cts") {
            continue;
        }
        let Some((stem, ext)) = name.rsplit_once('.') else {
            continue;
        };
        match ext {
            "ts" | "tsx" | "mts" | "cts" => sources.typescript += 1,
            "js" | "jsx" | "cjs" => sources.javascript += 1,
            "mjs" => sources.mjs += 1,
            _ => continue,
        }
        if ext == "js" && sources.js_sample.len() < SAMPLE {
            sources.js_sample.push(path.to_path_buf());
        }
        let test_like = stem.contains(".test")
            || stem.contains(".spec")
            || path.components().any(|c| {
                matches!(
                    c.as_os_str().to_str(),
                    Some("__tests__" | "test" | "tests" | "__mocks__")
                )
            });
        if matches!(stem, "logger" | "log" | "logging" | "loggers") && !test_like {
            sources.logger_named.push(path.to_path_buf());
        }
    }
    sources
        .logger_named
        .sort_by(|a, b| (a.components().count(), a).cmp(&(b.components().count(), b)));
    sources
}

/// Whether most sampled `.js` files are written with `import`/`export` (a bundled or
/// transpiled package that is not `"type": "module"`).
fn js_is_esm(sample: &[PathBuf]) -> bool {
    let (mut esm, mut cjs) = (0, 0);
    for path in sample {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let lines = text.lines().map(str::trim_start);
        let mut this_esm = false;
        let mut this_cjs = false;
        for line in lines {
            this_esm |= line.starts_with("import ") || line.starts_with("export ");
            this_cjs |= line.contains("require(") || line.starts_with("module.exports");
        }
        esm += usize::from(this_esm && !this_cjs);
        cjs += usize::from(this_cjs && !this_esm);
    }
    esm > cjs
}

/// The nearest tsconfig.json at or above `root`, not above a repository boundary.
fn tsconfig_of(root: &Path) -> Option<PathBuf> {
    for dir in root.ancestors() {
        let candidate = dir.join("tsconfig.json");
        if candidate.is_file() {
            return Some(candidate);
        }
        if dir.join(".git").exists() {
            return None;
        }
    }
    None
}

/// The module resolution a tsconfig gives its files, lower-cased (`nodenext`, `node16`,
/// `bundler`, …): its own `moduleResolution`, else what its `module` implies
/// (`nodenext`/`node16`/`node18`/`node20` resolve that way), else its `extends`, followed
/// as TypeScript does (a relative path, or a package's tsconfig in `node_modules`, the
/// last of an array first). tsconfig is JSON with comments, so the keys are read from the
/// text; a shared config such as `@tsconfig/node22` is where NodeNext is often set.
fn module_resolution(path: &Path, depth: usize) -> Option<String> {
    if depth > 8 {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let value = |key: &str| {
        regex::Regex::new(&format!(r#"(?i)"{key}"\s*:\s*"([^"]+)""#))
            .ok()?
            .captures(&text)
            .map(|c| c[1].to_ascii_lowercase())
    };
    if let Some(resolution) = value("moduleResolution") {
        return Some(resolution);
    }
    if let Some(module) = value("module")
        && (module.starts_with("node1") || module.starts_with("node2") || module == "nodenext")
    {
        return Some("nodenext".to_owned());
    }
    let extends = regex::Regex::new(r#""extends"\s*:\s*(\[[^\]]*\]|"[^"]+")"#)
        .ok()?
        .captures(&text)?[1]
        .to_owned();
    let dir = path.parent()?;
    let names: Vec<&str> = extends
        .split('"')
        .skip(1)
        .step_by(2)
        .collect();
    names.iter().rev().find_map(|name| {
        let base = extended_config(dir, name)?;
        module_resolution(&base, depth + 1)
    })
}

/// The file an `extends` entry names, from the folder of the config that names it.
fn extended_config(dir: &Path, name: &str) -> Option<PathBuf> {
    let with_json = |p: PathBuf| {
        if p.is_file() {
            Some(p)
        } else {
            let mut json = p.into_os_string();
            json.push(".json");
            let json = PathBuf::from(json);
            json.is_file().then_some(json)
        }
    };
    if name.starts_with('.') || Path::new(name).is_absolute() {
        return with_json(dir.join(name));
    }
    dir.ancestors().find_map(|d| {
        let package = d.join("node_modules").join(name);
        if package.is_dir() {
            with_json(package.join("tsconfig.json"))
        } else {
            with_json(package)
        }
    })
}

impl Package {
    fn load(run_config: &Config, root: &Path, run_root: &Path) -> Package {
        let config = own_config(run_config, root);
        let effective = config.as_ref().unwrap_or(run_config);
        let sources = walk_sources(root);
        let tsconfig = tsconfig_of(root);
        let typescript = tsconfig.is_some()
            && sources.typescript > 0
            && sources.typescript >= sources.javascript + sources.mjs;
        let requires_extension = tsconfig
            .as_deref()
            .and_then(|path| module_resolution(path, 0))
            .is_some_and(|resolution| resolution.starts_with("node1") || resolution == "nodenext");
        let is_module = logger::package_is_module(root);
        let runtime = Runtime {
            typescript,
            is_module,
            mjs: !typescript && !is_module && sources.mjs > sources.javascript,
            js_esm: !typescript && !is_module && js_is_esm(&sources.js_sample),
        };
        let logger = lookup(effective, root, run_root, &sources, runtime);
        Package {
            root: root.to_path_buf(),
            config,
            logger,
            is_module,
            requires_extension,
            typescript,
            logger_package: logger_package_name(root),
            resolvers: Mutex::new(HashMap::new()),
        }
    }

    /// The resolver for files that load their imports as `mode` does.
    fn resolver(&self, mode: Mode) -> Arc<Resolver> {
        let mut resolvers = self
            .resolvers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        resolvers
            .entry(mode)
            .or_insert_with(|| {
                let virtual_file = match (&self.logger.create, &self.logger.module) {
                    (Some(_), LoggerModule::File(path)) => Some(path.clone()),
                    _ => None,
                };
                Arc::new(Resolver::new(mode, virtual_file))
            })
            .clone()
    }

    /// How `file` (`esm`: it loads with `import`) resolves its imports.
    pub fn mode_of(&self, file: &Path, esm: bool) -> Mode {
        let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
        let typescript = resolve::is_typescript(file) || self.typescript;
        let node_esm = match ext {
            "mjs" | "mts" => true,
            "cjs" | "cts" => false,
            _ => self.is_module,
        };
        let fully_specified = if resolve::is_typescript(file) {
            self.requires_extension && node_esm
        } else {
            esm && node_esm
        };
        Mode {
            typescript,
            esm,
            fully_specified,
        }
    }

    /// The specifier `file` imports the logger with, checked by resolving it as the
    /// file's runtime will; `Err` says why there is none (a finding, not a crash).
    pub fn specifier(
        &self,
        file: &Path,
        esm: bool,
        relative_imports: &[String],
    ) -> Result<String, String> {
        let mode = self.mode_of(file, esm);
        let resolver = self.resolver(mode);
        let loadable = |resolved: &Path| mode.typescript || !resolve::is_typescript(resolved);
        match &self.logger.module {
            LoggerModule::Specifier(specifier) => match resolver.resolve(file, specifier) {
                Ok(resolved) if loadable(&resolved) => Ok(specifier.clone()),
                Ok(resolved) => Err(format!(
                    "the logger import `{specifier}` resolves to the TypeScript source {}, which this file's runtime cannot load",
                    resolved.display()
                )),
                Err(error) => Err(format!(
                    "the logger import `{specifier}` does not resolve from this file ({error})"
                )),
            },
            LoggerModule::File(module) => {
                let module = canonical(module);
                if !module.starts_with(&self.root) {
                    return Err(format!(
                        "the logger module {} is outside this file's package ({}): a relative import would cross the package boundary; set [logger] in the package's dash.toml",
                        module.display(),
                        self.root.display()
                    ));
                }
                let candidates = logger::specifier_candidates(
                    &module,
                    file,
                    relative_imports,
                    self.requires_extension,
                );
                let mut first_error = None;
                for candidate in &candidates {
                    match resolver.resolve(file, candidate) {
                        Ok(resolved) if canonical(&resolved) == module && loadable(&resolved) => {
                            return Ok(candidate.clone());
                        }
                        Ok(resolved) => {
                            first_error.get_or_insert_with(|| {
                                format!("`{candidate}` resolves to {}", resolved.display())
                            });
                        }
                        Err(error) => {
                            first_error.get_or_insert_with(|| format!("`{candidate}`: {error}"));
                        }
                    }
                }
                Err(format!(
                    "no import of the logger module {} resolves from this file as its runtime loads it ({})",
                    module.display(),
                    first_error.unwrap_or_default()
                ))
            }
        }
    }
}

/// The package's name when it names a logger package: `log`, `logger`, `logging`, or
/// a name ending in `-logger`/`-log`/`-logging` (scope aside).
fn logger_package_name(root: &Path) -> Option<String> {
    let text = std::fs::read_to_string(root.join("package.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let name = json["name"].as_str()?;
    let last = name.rsplit('/').next().unwrap_or(name);
    let logger_like = ["log", "logger", "logging", "loggers"]
        .iter()
        .any(|word| last == *word || last.ends_with(&format!("-{word}")));
    logger_like.then(|| name.to_owned())
}

/// The package's own dash.toml, when it has one nearer than the run's.
fn own_config(run_config: &Config, root: &Path) -> Result<Config, String> {
    let found = crate::config::discover(root);
    match found {
        Some(path)
            if Some(path.as_path()) != run_config.file.as_deref()
                && run_config
                    .root()
                    .is_none_or(|run| path.parent().is_some_and(|p| p.starts_with(run))) =>
        {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            Config::parse(&text, &path).map_err(|e| format!("{}: {e}", path.display()))
        }
        _ => Ok(run_config.clone()),
    }
}

/// How the package's code runs, which decides a new logger module's language and syntax.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Runtime {
    pub typescript: bool,
    pub is_module: bool,
    /// Plain JavaScript written as `.mjs` files.
    pub mjs: bool,
    /// `.js` files written with `import` (bundled or transpiled).
    pub js_esm: bool,
}

/// The lookup order of the module doc.
fn lookup(
    config: &Config,
    root: &Path,
    run_root: &Path,
    sources: &Sources,
    runtime: Runtime,
) -> LoggerTarget {
    if config.logger.module.is_some() {
        return logger::configured(config, root, runtime);
    }
    if let Some(found) = logger::existing(config, root) {
        return found;
    }
    if let Some(found) = sources
        .logger_named
        .iter()
        .find_map(|path| logger::existing_module(config, path))
    {
        return found;
    }
    if let Some(found) = workspace_dependency(config, root, run_root, runtime) {
        return found;
    }
    logger::new_logger(config, root, runtime)
}

/// A workspace package this one depends on whose entry exports a `logger`.
fn workspace_dependency(
    config: &Config,
    root: &Path,
    run_root: &Path,
    runtime: Runtime,
) -> Option<LoggerTarget> {
    let text = std::fs::read_to_string(root.join("package.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let own = json["name"].as_str();
    let mut names: Vec<&str> = ["dependencies", "peerDependencies"]
        .iter()
        .filter_map(|section| json[section].as_object())
        .flat_map(|deps| deps.keys().map(String::as_str))
        .filter(|name| Some(*name) != own)
        .collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return None;
    }
    let mode = Mode {
        typescript: runtime.typescript,
        esm: runtime.is_module || runtime.typescript,
        fully_specified: false,
    };
    let resolver = Resolver::new(mode, None);
    let from = root.join("package.json");
    // The repository holding the package: a workspace package lives inside it.
    let top = root
        .ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(run_root);
    names.into_iter().find_map(|name| {
        let entry = resolver.resolve(&from, name).ok()?;
        let inside = entry.starts_with(top)
            && !entry
                .components()
                .any(|c| c.as_os_str() == "node_modules");
        if !inside || (!runtime.typescript && resolve::is_typescript(&entry)) {
            return None;
        }
        let text = std::fs::read_to_string(&entry).ok()?;
        logger::exports_named_logger(&text).then(|| LoggerTarget {
            module: LoggerModule::Specifier(name.to_owned()),
            export: config
                .logger
                .export
                .clone()
                .unwrap_or_else(|| "logger".to_owned()),
            style: config
                .logger
                .style
                .unwrap_or_else(|| logger::style_of_module(&entry, &text)),
            create: None,
            origin: "workspace package's logger (a dependency)",
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn repo() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir(root.join(".git")).unwrap();
        write(
            &root,
            "package.json",
            r#"{"private":true,"workspaces":["packages/*"]}"#,
        );
        (dir, root)
    }

    #[test]
    fn module_resolution_follows_extends_into_node_modules_and_relative_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "node_modules/@tsconfig/node22/tsconfig.json",
            "{ \"compilerOptions\": { \"module\": \"NodeNext\" } }",
        );
        write(root, "base.json", "{ \"compilerOptions\": { \"moduleResolution\": \"Bundler\" } }");
        write(
            root,
            "tsconfig.json",
            "// shared\n{ \"extends\": \"@tsconfig/node22/tsconfig.json\", \"compilerOptions\": {} }",
        );
        write(root, "pkg/tsconfig.json", "{ \"extends\": [\"../tsconfig.json\", \"../base\"] }");
        write(root, "own/tsconfig.json", "{ \"extends\": \"../tsconfig\", \"compilerOptions\": { \"moduleResolution\": \"node16\" } }");
        assert_eq!(module_resolution(&root.join("tsconfig.json"), 0).as_deref(), Some("nodenext"));
        // The last entry of an array wins.
        assert_eq!(module_resolution(&root.join("pkg/tsconfig.json"), 0).as_deref(), Some("bundler"));
        assert_eq!(module_resolution(&root.join("own/tsconfig.json"), 0).as_deref(), Some("node16"));
        write(root, "loop/tsconfig.json", "{ \"extends\": \"./tsconfig.json\" }");
        assert_eq!(module_resolution(&root.join("loop/tsconfig.json"), 0), None);
    }

    #[test]
    fn each_package_finds_its_own_logger() {
        let (_dir, root) = repo();
        write(&root, "packages/a/package.json", r#"{"name":"a"}"#);
        write(
            &root,
            "packages/a/src/infra/log.js",
            "const pino = require('pino');\nmodule.exports = { logger: pino() };\n",
        );
        write(&root, "packages/a/src/index.js", "console.log(1);\n");
        write(&root, "packages/b/package.json", r#"{"name":"b"}"#);
        write(
            &root,
            "packages/b/lib/logger.js",
            "const winston = require('winston');\nmodule.exports = winston.createLogger();\n",
        );
        write(&root, "packages/b/lib/x.js", "console.log(1);\n");
        let packages = Packages::new(&Config::default(), &root);
        let a = packages.of(&root.join("packages/a/src/index.js"));
        assert_eq!(a.root, root.join("packages/a"));
        assert_eq!(
            a.logger.module,
            LoggerModule::File(root.join("packages/a/src/infra/log.js"))
        );
        assert_eq!(a.logger.style, crate::config::LoggerStyle::Pino);
        let b = packages.of(&root.join("packages/b/lib/x.js"));
        assert_eq!(
            b.logger.module,
            LoggerModule::File(root.join("packages/b/lib/logger.js"))
        );
        assert_eq!(b.logger.export, "default");
        // Once per package.
        assert!(Arc::ptr_eq(&a, &packages.of(&root.join("packages/a/x.js"))));
    }

    #[test]
    fn configured_beats_own_beats_dependency_beats_new() {
        let (_dir, root) = repo();
        write(
            &root,
            "packages/log/package.json",
            r#"{"name":"@x/log","main":"index.js"}"#,
        );
        write(
            &root,
            "packages/log/index.js",
            "exports.logger = require('pino')();\n",
        );
        std::fs::create_dir_all(root.join("node_modules/@x")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("packages/log"), root.join("node_modules/@x/log"))
            .unwrap();
        write(
            &root,
            "packages/c/package.json",
            r#"{"name":"c","dependencies":{"@x/log":"*"}}"#,
        );
        write(&root, "packages/c/src/a.js", "");
        write(&root, "packages/d/package.json", r#"{"name":"d"}"#);
        write(&root, "packages/d/src/a.js", "");
        write(&root, "packages/e/package.json", r#"{"name":"e","dependencies":{"@x/log":"*"}}"#);
        write(&root, "packages/e/src/logger.js", "module.exports = { logger: console };\n");
        write(&root, "packages/f/package.json", r#"{"name":"f","dependencies":{"@x/log":"*"}}"#);
        write(&root, "packages/f/dash.toml", "[logger]\nmodule = \"src/mine.js\"\n");
        let packages = Packages::new(&Config::default(), &root);
        let c = packages.package(&root.join("packages/c"));
        assert_eq!(c.logger.module, LoggerModule::Specifier("@x/log".into()));
        let d = packages.package(&root.join("packages/d"));
        assert_eq!(
            d.logger.module,
            LoggerModule::File(root.join("packages/d/src/utils/logger.js"))
        );
        assert!(d.logger.create.as_deref().is_some_and(|t| t.contains("module.exports")));
        let e = packages.package(&root.join("packages/e"));
        assert_eq!(
            e.logger.module,
            LoggerModule::File(root.join("packages/e/src/logger.js"))
        );
        // The workspace logger package itself is not routed through a logger.
        let log = packages.package(&root.join("packages/log"));
        assert_eq!(log.logger_package.as_deref(), Some("@x/log"));
        assert_eq!(c.logger_package, None);
        let f = packages.package(&root.join("packages/f"));
        assert_eq!(
            f.logger.module,
            LoggerModule::File(root.join("packages/f/src/mine.js"))
        );
    }

    #[test]
    fn a_javascript_package_under_a_typescript_root_gets_javascript() {
        let (_dir, root) = repo();
        write(&root, "tsconfig.json", "{}");
        write(&root, "packages/web/package.json", r#"{"name":"web"}"#);
        write(&root, "packages/web/src/a.ts", "");
        write(&root, "packages/srv/package.json", r#"{"name":"srv"}"#);
        write(&root, "packages/srv/src/a.js", "const x = require('x');\n");
        write(&root, "packages/esm/package.json", r#"{"name":"esm","type":"module"}"#);
        write(&root, "packages/esm/src/a.js", "import x from 'x';\n");
        let packages = Packages::new(&Config::default(), &root);
        let module = |p: &str| match &packages.package(&root.join(p)).logger.module {
            LoggerModule::File(path) => path.strip_prefix(&root).unwrap().to_path_buf(),
            LoggerModule::Specifier(s) => PathBuf::from(s),
        };
        assert_eq!(module("packages/web"), PathBuf::from("packages/web/src/utils/logger.ts"));
        assert_eq!(module("packages/srv"), PathBuf::from("packages/srv/src/utils/logger.js"));
        assert_eq!(module("packages/esm"), PathBuf::from("packages/esm/src/utils/logger.js"));
        let srv = packages.package(&root.join("packages/srv"));
        assert!(srv.logger.create.as_deref().unwrap().contains("module.exports"));
        let esm = packages.package(&root.join("packages/esm"));
        assert!(esm.logger.create.as_deref().unwrap().contains("export const logger"));
        // The ESM file imports it with its extension; the CJS file without.
        let file = root.join("packages/esm/src/a.js");
        assert_eq!(esm.specifier(&file, true, &[]).unwrap(), "./utils/logger.js");
        let file = root.join("packages/srv/src/a.js");
        assert_eq!(srv.specifier(&file, false, &[]).unwrap(), "./utils/logger");
    }

    #[test]
    fn a_module_outside_the_package_or_not_resolving_is_an_error() {
        let (_dir, root) = repo();
        write(&root, "dash.toml", "[logger]\nmodule = \"@acme/nowhere\"\n");
        write(&root, "packages/a/package.json", r#"{"name":"a"}"#);
        write(&root, "packages/a/a.js", "");
        let config = Config::load(None, &root).unwrap();
        let packages = Packages::new(&config, &root);
        let a = packages.of(&root.join("packages/a/a.js"));
        let error = a.specifier(&root.join("packages/a/a.js"), false, &[]).unwrap_err();
        assert!(error.contains("@acme/nowhere"), "{error}");
        let mut config = Config::default();
        config.logger.module = Some("src/logger.js".into());
        config.file = Some(root.join("dash.toml"));
        let packages = Packages::new(&config, &root);
        let a = packages.of(&root.join("packages/a/a.js"));
        let error = a.specifier(&root.join("packages/a/a.js"), false, &[]).unwrap_err();
        assert!(error.contains("package boundary"), "{error}");
    }
}

//! What a file's package says about its category: the files its package.json names in
//! `bin` are CLI code (scripts), so is every file of a package that is only a command
//! (`bin` and no `main`, `module` or `exports`), and a package built for the browser holds
//! client code.
//!
//! Each folder is asked once (the nearest package.json from it, cached), and each
//! package.json is read and parsed once per run, whichever walk thread asks first: the
//! walk categorizes every file, so the cost is one `stat` per folder.
//!
//! Browser packages, conservatively (a wrong `browser` only keeps console calls, a wrong
//! `production` imports a Node logger into a bundle):
//! - a `browser` field (the package is bundled for browsers, even if it also runs in
//!   Node: a Node logger must not be imported by code a bundler follows);
//! - a front-end framework dependency (`react-dom`, `vue`, `svelte`, `@angular/core`,
//!   `solid-js`, `preact`) or `vite` with an `index.html` beside package.json;
//! - and in both cases no `bin` and no Node server framework (`express`, `fastify`,
//!   `koa`, `@nestjs/core`, `hapi`, …) among its dependencies: such a package has a
//!   server entry, and stays production.
//!
//! Isomorphic frameworks (Next.js, Nuxt, Remix, SvelteKit, Astro, Gatsby) run the same
//! modules on the server and in the browser, and a module imported by a client component
//! is bundled for the browser: their files are browser code, except those that only ever
//! run on the server (`pages/api/`, `app/api/`, `server/` folders, `route.*`,
//! `middleware.*`, `*.server.*`, `instrumentation.*`), which stay production.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use super::Category;

/// Dependencies that make a package a front-end app or library.
const FRONT_END: &[&str] = &[
    "react-dom",
    "vue",
    "svelte",
    "@angular/core",
    "solid-js",
    "preact",
];

/// Frameworks whose modules run on the server and in the browser.
const ISOMORPHIC: &[&str] = &[
    "next",
    "nuxt",
    "@remix-run/react",
    "@sveltejs/kit",
    "astro",
    "gatsby",
    "@solidjs/start",
];

/// Dependencies that mean the package has a Node server entry.
const SERVER: &[&str] = &[
    "express",
    "fastify",
    "koa",
    "@hapi/hapi",
    "hapi",
    "@nestjs/core",
    "restify",
    "polka",
    "@adonisjs/core",
    "@apollo/server",
    "apollo-server",
    "socket.io",
    "electron",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Node,
    Browser,
    Isomorphic,
}

/// Folders that compilers and bundlers write to.
const BUILD_FOLDERS: &[&str] = &["dist", "build", "out", "lib"];
/// Module-format subfolders of a build folder (`dist/esm`, `lib/cjs`).
const FORMAT_FOLDERS: &[&str] = &["esm", "cjs", "es", "mjs", "commonjs", "module"];

/// `src/<rest>` for a file at `<build folder>[/<format>]/<rest>` in the package at `dir`.
fn source_of_build(dir: &Path, path: &Path) -> Option<PathBuf> {
    let relative = path.strip_prefix(dir).ok()?;
    let mut parts = relative.components().map(|c| c.as_os_str().to_str());
    let first = parts.next()??;
    if !BUILD_FOLDERS.contains(&first) {
        return None;
    }
    let mut rest: Vec<&str> = parts.collect::<Option<Vec<&str>>>()?;
    if rest.len() > 1 && FORMAT_FOLDERS.contains(&rest[0]) {
        rest.remove(0);
    }
    (!rest.is_empty()).then(|| dir.join("src").join(rest.join("/")))
}

#[derive(Debug)]
pub(crate) struct Package {
    dir: PathBuf,
    /// A command-line tool and nothing else: `bin` without `main`, `module` or
    /// `exports`, so no other program imports its modules and every line it prints is
    /// its output.
    cli_only: bool,
    /// The files `bin` names (lexically normalized), and the TypeScript sources beside
    /// each (`cli.js` → `cli.ts`, `cli.mts`, `cli.cts`, `cli.tsx`).
    bins: Vec<PathBuf>,
    kind: Kind,
}

impl Package {
    /// Parses a package.json's text; `dir` is its folder. Text that is not JSON is a
    /// package that says nothing.
    pub(crate) fn parse(dir: &Path, text: &str, has_index_html: impl FnOnce() -> bool) -> Package {
        let json: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let mut bins = Vec::new();
        let mut add_bin = |target: &str| {
            let Some(path) = normalize(&dir.join(target)) else {
                return;
            };
            let mut with_sources = |path: PathBuf| {
                if let Some(stem) = ["js", "mjs", "cjs", "jsx"]
                    .iter()
                    .find_map(|ext| path.to_str()?.strip_suffix(&format!(".{ext}")))
                {
                    for ext in ["ts", "mts", "cts", "tsx"] {
                        bins.push(PathBuf::from(format!("{stem}.{ext}")));
                    }
                }
                bins.push(path);
            };
            // A bin in a build folder (`dist/cli.js`, `lib/esm/cli.js`) runs what was
            // compiled from `src/` (`src/cli.ts`).
            if let Some(source) = source_of_build(dir, &path) {
                with_sources(source);
            }
            with_sources(path);
        };
        match json.get("bin") {
            Some(serde_json::Value::String(target)) => add_bin(target),
            Some(serde_json::Value::Object(map)) => {
                for target in map.values().filter_map(|v| v.as_str()) {
                    add_bin(target);
                }
            }
            _ => {}
        }
        let depends_on = |names: &[&str]| {
            ["dependencies", "devDependencies", "peerDependencies"]
                .iter()
                .filter_map(|key| json.get(key)?.as_object())
                .any(|deps| names.iter().any(|name| deps.contains_key(*name)))
        };
        let kind = if !bins.is_empty() || depends_on(SERVER) {
            Kind::Node
        } else if depends_on(ISOMORPHIC) {
            Kind::Isomorphic
        } else if json.get("browser").is_some_and(|b| !b.is_null())
            || depends_on(FRONT_END)
            || (depends_on(&["vite"]) && has_index_html())
        {
            Kind::Browser
        } else {
            Kind::Node
        };
        let cli_only = !bins.is_empty()
            && ["main", "module", "exports"]
                .iter()
                .all(|key| json.get(key).is_none_or(serde_json::Value::is_null));
        Package {
            dir: dir.to_path_buf(),
            cli_only,
            bins,
            kind,
        }
    }

    /// The category of `path` (in this package) whose path globs said `category`.
    pub(crate) fn categorize(&self, path: &Path, category: Category) -> Category {
        if category != Category::Production {
            return category;
        }
        if self.cli_only || self.bins.iter().any(|bin| bin == path) {
            return Category::Scripts;
        }
        match self.kind {
            Kind::Node => category,
            Kind::Browser => Category::Browser,
            Kind::Isomorphic => match path.strip_prefix(&self.dir) {
                Ok(relative) if !server_only(relative) => Category::Browser,
                _ => category,
            },
        }
    }
}

/// Files of an isomorphic framework that only ever run on the server.
fn server_only(relative: &Path) -> bool {
    let parts: Vec<&str> = relative
        .components()
        .filter_map(|c| c.as_os_str().to_str())
        .collect();
    let Some((name, dirs)) = parts.split_last() else {
        return false;
    };
    let in_api = dirs
        .windows(2)
        .any(|w| matches!(w, ["pages" | "app" | "routes", "api"]));
    let stem = name.split('.').next().unwrap_or(name);
    in_api
        || dirs.contains(&"server")
        || matches!(stem, "route" | "middleware" | "instrumentation")
        || name.contains(".server.")
}

/// `a/./b/../c` → `a/c`; `None` when `..` climbs above the root. Lexical, no file
/// system look-up (the paths may name files not read yet).
pub(crate) fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            other => out.push(other),
        }
    }
    Some(out)
}

/// The nearest package.json of each folder, found once per folder and parsed once per
/// package, shared by the walk's threads.
#[derive(Default)]
pub(crate) struct Packages {
    folders: Mutex<HashMap<PathBuf, Arc<Nearest>>>,
}

/// A folder's nearest package, found once.
type Nearest = OnceLock<Option<Arc<Package>>>;

impl Packages {
    /// The category of `path` (a file inside the worktree `top`) given its path
    /// category.
    pub(crate) fn categorize(&self, path: &Path, top: &Path, category: Category) -> Category {
        if category != Category::Production {
            return category;
        }
        match path.parent().and_then(|dir| self.nearest(dir, top)) {
            Some(package) => package.categorize(path, category),
            None => category,
        }
    }

    /// The package.json nearest to `dir`, not above `top`.
    fn nearest(&self, dir: &Path, top: &Path) -> Option<Arc<Package>> {
        if !dir.starts_with(top) {
            return None;
        }
        let cell = {
            let mut folders = self.folders.lock().unwrap_or_else(|p| p.into_inner());
            folders.entry(dir.to_path_buf()).or_default().clone()
        };
        cell.get_or_init(|| {
            let manifest = dir.join("package.json");
            match std::fs::read_to_string(&manifest) {
                Ok(text) => Some(Arc::new(Package::parse(dir, &text, || {
                    dir.join("index.html").is_file()
                }))),
                Err(_) if dir == top => None,
                Err(_) => dir.parent().and_then(|parent| self.nearest(parent, top)),
            }
        })
        .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(json: &str) -> Package {
        Package::parse(Path::new("/r/pkg"), json, || false)
    }

    fn category(json: &str, file: &str) -> Category {
        package(json).categorize(&Path::new("/r/pkg").join(file), Category::Production)
    }

    #[test]
    fn bins_in_build_folders_name_their_sources() {
        for json in [
            r#"{"bin":"./dist/cli.js","main":"./dist/index.js"}"#,
            r#"{"bin":{"x":"lib/esm/cli.mjs"},"exports":"./lib/esm/index.mjs"}"#,
            r#"{"bin":"build/cli.js","main":"build/index.js"}"#,
        ] {
            assert_eq!(category(json, "src/cli.ts"), Category::Scripts, "{json}");
            assert_eq!(
                category(json, "src/index.ts"),
                Category::Production,
                "{json}"
            );
        }
        // A bin that is its own source keeps it; `src/` beside it is not the CLI.
        let plain = r#"{"bin":"./cli.js","main":"index.js"}"#;
        assert_eq!(category(plain, "src/cli.ts"), Category::Production);
    }

    #[test]
    fn bin_entries_are_scripts() {
        let single = r#"{"name":"x","bin":"./cli.js","main":"index.js"}"#;
        assert_eq!(category(single, "cli.js"), Category::Scripts);
        assert_eq!(category(single, "cli.ts"), Category::Scripts);
        assert_eq!(category(single, "index.js"), Category::Production);
        let map = r#"{"bin":{"a":"bin/a.mjs","b":"./lib/../tools/b.js"},"exports":"./lib/b.js"}"#;
        assert_eq!(category(map, "bin/a.mjs"), Category::Scripts);
        assert_eq!(category(map, "bin/a.mts"), Category::Scripts);
        assert_eq!(category(map, "tools/b.js"), Category::Scripts);
        assert_eq!(category(map, "lib/b.js"), Category::Production);
        // A package that is only a command: every module of it is the CLI's.
        assert_eq!(category(map, "src/util.js"), Category::Production);
        let only = r#"{"bin":{"a":"./src/index.js"},"files":["src"]}"#;
        assert_eq!(category(only, "src/commands/init.js"), Category::Scripts);
        for library in [
            r#"{"bin":"cli.js","main":"lib/index.js"}"#,
            r#"{"bin":"cli.js","exports":{".":"./lib/index.js"}}"#,
            r#"{"bin":"cli.js","module":"lib/index.mjs"}"#,
        ] {
            assert_eq!(
                category(library, "lib/index.js"),
                Category::Production,
                "{library}"
            );
        }
        // A test stays a test, whatever bin says.
        assert_eq!(
            package(single).categorize(Path::new("/r/pkg/cli.js"), Category::Tests),
            Category::Tests
        );
    }

    #[test]
    fn browser_packages() {
        for json in [
            r#"{"browser":"dist/browser.js"}"#,
            r#"{"browser":{"./node.js":"./browser.js"}}"#,
            r#"{"dependencies":{"react":"18","react-dom":"18"}}"#,
            r#"{"devDependencies":{"vue":"3"}}"#,
            r#"{"peerDependencies":{"svelte":"4"}}"#,
        ] {
            assert_eq!(category(json, "src/a.ts"), Category::Browser, "{json}");
        }
        for json in [
            "{}",
            "not json",
            // React alone is also Ink (CLIs) and React Native.
            r#"{"dependencies":{"react":"18"}}"#,
            // A server entry: server-side rendering, an API.
            r#"{"dependencies":{"react-dom":"18","express":"4"}}"#,
            r#"{"bin":"cli.js","main":"a.js","browser":"b.js"}"#,
            // vite without an index.html may build a library for Node.
            r#"{"devDependencies":{"vite":"5"}}"#,
        ] {
            assert_eq!(category(json, "src/a.ts"), Category::Production, "{json}");
        }
        let vite = Package::parse(
            Path::new("/r/pkg"),
            r#"{"devDependencies":{"vite":"5"}}"#,
            || true,
        );
        assert_eq!(
            vite.categorize(Path::new("/r/pkg/src/main.ts"), Category::Production),
            Category::Browser
        );
    }

    #[test]
    fn isomorphic_frameworks_keep_server_only_files_in_production() {
        let next = r#"{"dependencies":{"next":"14","react-dom":"18"}}"#;
        for file in [
            "app/page.tsx",
            "components/nav.tsx",
            "src/lib/format.ts",
            "pages/index.tsx",
        ] {
            assert_eq!(category(next, file), Category::Browser, "{file}");
        }
        for file in [
            "pages/api/users.ts",
            "src/app/api/users/route.ts",
            "app/feed/route.ts",
            "middleware.ts",
            "src/server/db.ts",
            "lib/session.server.ts",
            "instrumentation.ts",
        ] {
            assert_eq!(category(next, file), Category::Production, "{file}");
        }
    }

    #[test]
    fn nearest_package_is_read_once_per_folder() {
        let dir = tempfile::tempdir().unwrap();
        let top = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(top.join("packages/web/src/deep")).unwrap();
        std::fs::create_dir_all(top.join("packages/cli/src")).unwrap();
        std::fs::write(top.join("package.json"), r#"{"private":true}"#).unwrap();
        std::fs::write(
            top.join("packages/web/package.json"),
            r#"{"dependencies":{"vue":"3"}}"#,
        )
        .unwrap();
        std::fs::write(
            top.join("packages/cli/package.json"),
            r#"{"bin":{"x":"./src/main.js"},"main":"./src/index.js"}"#,
        )
        .unwrap();
        let packages = Packages::default();
        let cat = |rel: &str| packages.categorize(&top.join(rel), &top, Category::Production);
        assert_eq!(cat("packages/web/src/deep/a.ts"), Category::Browser);
        assert_eq!(cat("packages/web/src/b.ts"), Category::Browser);
        assert_eq!(cat("packages/cli/src/main.ts"), Category::Scripts);
        assert_eq!(cat("packages/cli/src/util.ts"), Category::Production);
        assert_eq!(cat("src/index.ts"), Category::Production);
        // Both web folders share one parsed package.
        let folders = packages.folders.lock().unwrap();
        let a = folders[&top.join("packages/web/src/deep")]
            .get()
            .cloned()
            .flatten();
        let b = folders[&top.join("packages/web/src")]
            .get()
            .cloned()
            .flatten();
        assert!(Arc::ptr_eq(&a.unwrap(), &b.unwrap()));
    }
}

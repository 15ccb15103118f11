//! Which runner a project uses, and where its entry script is.
//!
//! The evidence, in order: the `test` script of the project's package.json (what the team
//! runs), then the runner its dependencies declare, then the one installed. The runner is
//! then resolved the way Node resolves a package: `node_modules/<runner>/package.json` in
//! the project's folder or any folder above it (hoisted monorepo installs), and its `bin`
//! entry is the script dash starts with `node`.

use std::path::{Path, PathBuf};

use super::TestRunError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Jest,
    Vitest,
}

impl Kind {
    pub fn package(self) -> &'static str {
        match self {
            Kind::Jest => "jest",
            Kind::Vitest => "vitest",
        }
    }
}

/// A runner found for a project.
#[derive(Debug, Clone)]
pub struct Runner {
    pub kind: Kind,
    /// From the runner's package.json.
    pub version: String,
    /// The project folder (where its package.json is); the runner runs there.
    pub root: PathBuf,
    /// The runner's entry script (its package.json `bin`).
    pub bin: PathBuf,
}

/// The runner of the project in `root`.
pub fn detect(root: &Path) -> Result<Runner, TestRunError> {
    detect_as(root, None)
}

/// The runner of the project in `root`, or the installed `kind` when the user names it
/// (`dash test --runner jest`).
pub fn detect_as(root: &Path, wanted: Option<Kind>) -> Result<Runner, TestRunError> {
    let package_json = root.join("package.json");
    let manifest: serde_json::Value = match std::fs::read_to_string(&package_json) {
        Ok(text) => serde_json::from_str(&text).map_err(|err| TestRunError::BadPackage {
            path: package_json.clone(),
            reason: err.to_string(),
        })?,
        Err(_) => serde_json::Value::Null,
    };
    let installed = |kind: Kind| find_package(root, kind.package());
    let kind = wanted
        .or_else(|| choose(&manifest, |kind| installed(kind).is_some()))
        .ok_or_else(|| TestRunError::NoRunner {
            package_json: package_json.clone(),
        })?;
    let package = installed(kind).ok_or_else(|| TestRunError::NotInstalled {
        runner: kind.package(),
        root: root.to_path_buf(),
    })?;
    let manifest_path = package.join("package.json");
    let bad = |reason: String| TestRunError::BadPackage {
        path: manifest_path.clone(),
        reason,
    };
    let runner_manifest: serde_json::Value = std::fs::read_to_string(&manifest_path)
        .map_err(|e| bad(e.to_string()))
        .and_then(|text| serde_json::from_str(&text).map_err(|e| bad(e.to_string())))?;
    let version = runner_manifest["version"]
        .as_str()
        .unwrap_or("unknown")
        .to_owned();
    let bin = match &runner_manifest["bin"] {
        serde_json::Value::String(path) => Some(path.as_str()),
        serde_json::Value::Object(map) => map.get(kind.package()).and_then(|v| v.as_str()),
        _ => None,
    }
    .ok_or_else(|| bad(format!("no `bin` entry for {}", kind.package())))?;
    Ok(Runner {
        kind,
        version,
        root: root.to_path_buf(),
        bin: package.join(bin),
    })
}

/// The runner the manifest points at, else the only one installed.
fn choose(manifest: &serde_json::Value, installed: impl Fn(Kind) -> bool) -> Option<Kind> {
    let kinds = [Kind::Vitest, Kind::Jest];
    if let Some(script) = manifest["scripts"]["test"].as_str()
        && let Some(kind) = kinds.into_iter().find(|k| mentions(script, k.package()))
    {
        return Some(kind);
    }
    let declared = |kind: Kind| {
        ["devDependencies", "dependencies"]
            .iter()
            .any(|section| manifest[section].get(kind.package()).is_some())
    };
    let mut declared_kinds = kinds.into_iter().filter(|k| declared(*k));
    if let (Some(kind), None) = (declared_kinds.next(), declared_kinds.next()) {
        return Some(kind);
    }
    let mut present = kinds.into_iter().filter(|k| installed(*k));
    match (present.next(), present.next()) {
        (Some(kind), None) => Some(kind),
        // Both installed and nothing says which: jest's is the older convention, but a
        // guess is not evidence; prefer the declared one when both are declared too.
        _ => None,
    }
}

/// `script` runs `word` as a command (`jest`, `npx jest --ci`, `vitest run`), not as part
/// of another word (`jest-junit`).
fn mentions(script: &str, word: &str) -> bool {
    script
        .split(|c: char| c.is_whitespace() || matches!(c, '&' | '|' | ';' | '(' | ')' | '/'))
        .any(|token| token == word)
}

/// `node_modules/<name>` in `root` or the nearest folder above it.
pub fn find_package(root: &Path, name: &str) -> Option<PathBuf> {
    root.ancestors()
        .map(|dir| dir.join("node_modules").join(name))
        .find(|dir| dir.join("package.json").is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_test_script_decides() {
        let m = json!({ "scripts": { "test": "NODE_OPTIONS=--x jest --ci" } });
        assert_eq!(choose(&m, |_| true), Some(Kind::Jest));
        let m = json!({ "scripts": { "test": "tsc && vitest run" } });
        assert_eq!(choose(&m, |_| true), Some(Kind::Vitest));
        let m = json!({ "scripts": { "test": "node_modules/.bin/jest" } });
        assert_eq!(choose(&m, |_| false), Some(Kind::Jest));
    }

    #[test]
    fn then_dependencies_then_what_is_installed() {
        let m =
            json!({ "scripts": { "test": "jest-junit" }, "devDependencies": { "vitest": "4" } });
        assert_eq!(choose(&m, |_| true), Some(Kind::Vitest));
        let m = json!({});
        assert_eq!(choose(&m, |k| k == Kind::Jest), Some(Kind::Jest));
        assert_eq!(choose(&m, |_| true), None);
        assert_eq!(choose(&m, |_| false), None);
    }

    #[test]
    fn resolves_the_bin_upwards() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("packages/app");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(
            root.join("package.json"),
            r#"{ "scripts": { "test": "vitest" } }"#,
        )
        .unwrap();
        assert!(matches!(
            detect(&root),
            Err(TestRunError::NotInstalled {
                runner: "vitest",
                ..
            })
        ));
        let vitest = dir.path().join("node_modules/vitest");
        std::fs::create_dir_all(&vitest).unwrap();
        std::fs::write(
            vitest.join("package.json"),
            r#"{ "version": "3.2.4", "bin": { "vitest": "./vitest.mjs" } }"#,
        )
        .unwrap();
        let runner = detect(&root).unwrap();
        assert_eq!(runner.kind, Kind::Vitest);
        assert_eq!(runner.version, "3.2.4");
        assert_eq!(runner.bin, vitest.join("./vitest.mjs"));
    }

    #[test]
    fn nothing_is_no_runner() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            detect(dir.path()),
            Err(TestRunError::NoRunner { .. })
        ));
    }
}

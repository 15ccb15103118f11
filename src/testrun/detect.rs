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
pub(super) fn mentions(script: &str, word: &str) -> bool {
    script
        .split(|c: char| c.is_whitespace() || matches!(c, '&' | '|' | ';' | '(' | ')' | '/'))
        .any(|token| token == word)
}

/// What the project's `test` script gives the runner that dash must keep when it starts
/// the runner itself: `node` options (`NODE_OPTIONS=--experimental-vm-modules jest`, an
/// ESM suite under jest, or `node --experimental-vm-modules node_modules/.bin/jest`) and
/// the flags that say which tests and configuration (`--config jest.unit.js`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScriptFlags {
    pub node_options: Vec<String>,
    pub runner_args: Vec<String>,
}

/// The `test` script's flags for `kind`, from `root`'s package.json (none without one).
pub fn script_flags(root: &Path, kind: Kind) -> ScriptFlags {
    std::fs::read_to_string(root.join("package.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|m| m["scripts"]["test"].as_str().map(|s| parse_script(s, kind)))
        .unwrap_or_default()
}

/// Runner flags with a value that select the configuration or the tests' root.
const VALUE_FLAGS: [&str; 5] = ["--config", "-c", "--rootDir", "--root", "--dir"];

fn parse_script(script: &str, kind: Kind) -> ScriptFlags {
    let mut flags = ScriptFlags::default();
    // The command of the script that runs the runner (`tsc && jest --ci` → `jest --ci`).
    let Some(command) = script
        .split(['&', '|', ';'])
        .find(|c| mentions(c, kind.package()))
    else {
        return flags;
    };
    let words = shell_words(command);
    let is_runner = |w: &str| {
        let name = w.rsplit('/').next().unwrap_or(w);
        name == kind.package() || name == format!("{}.js", kind.package())
    };
    let at = words.iter().position(|w| is_runner(w));
    for word in &words[..at.unwrap_or(words.len())] {
        if let Some(value) = word.strip_prefix("NODE_OPTIONS=") {
            flags
                .node_options
                .extend(value.split_whitespace().map(str::to_owned));
        } else if word.starts_with("--") {
            // `node --experimental-vm-modules node_modules/.bin/jest`
            flags.node_options.push(word.clone());
        }
    }
    let Some(at) = at else {
        return flags;
    };
    let mut rest = words[at + 1..].iter();
    while let Some(word) = rest.next() {
        let name = word.split('=').next().unwrap_or(word);
        if !VALUE_FLAGS.contains(&name) || (name == "-c" && kind == Kind::Vitest) {
            continue;
        }
        flags.runner_args.push(word.clone());
        if !word.contains('=')
            && let Some(value) = rest.next()
        {
            flags.runner_args.push(value.clone());
        }
    }
    flags
}

/// A command line split into words, with `'…'` and `"…"` quoting (no expansions).
fn shell_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut any = false;
    let mut quote: Option<char> = None;
    for c in command.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                any = false;
            }
            (None, c) => word.push(c),
        }
    }
    if any || !word.is_empty() {
        words.push(word);
    }
    words
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
    fn the_scripts_node_options_and_config_are_kept() {
        let f = parse_script(
            "tsc -b && NODE_OPTIONS='--experimental-vm-modules --no-warnings' jest --ci --config jest.unit.js",
            Kind::Jest,
        );
        assert_eq!(
            f.node_options,
            ["--experimental-vm-modules", "--no-warnings"]
        );
        assert_eq!(f.runner_args, ["--config", "jest.unit.js"]);
        let f = parse_script(
            "node --experimental-vm-modules node_modules/jest/bin/jest.js -c=j.json",
            Kind::Jest,
        );
        assert_eq!(f.node_options, ["--experimental-vm-modules"]);
        assert_eq!(f.runner_args, ["-c=j.json"]);
        let f = parse_script("vitest run --config ./vitest.unit.ts -c x", Kind::Vitest);
        assert_eq!(f.runner_args, ["--config", "./vitest.unit.ts"]);
        assert_eq!(
            parse_script("jest-junit", Kind::Jest),
            ScriptFlags::default()
        );
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

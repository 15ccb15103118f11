//! Monorepos: which packages of an npm/yarn (`package.json#workspaces`) or pnpm
//! (`pnpm-workspace.yaml`) workspace have tests, so that `dash test` runs each where its
//! runner, configuration and `test` script are.
//!
//! A root whose own `test` script runs jest or vitest (jest `projects`, a vitest
//! workspace) is one run, as the team runs it; otherwise each package whose `test` script
//! runs a runner, or that declares one, is a run of its own.

use std::path::{Path, PathBuf};

use super::detect::Kind;

/// The folders to run, sorted; `None` when `root` is not a workspace root or its own
/// `test` script runs the suite.
pub fn packages(root: &Path) -> Option<Vec<PathBuf>> {
    let root_manifest = manifest(root)?;
    if runs_a_runner(&root_manifest) {
        return None;
    }
    let patterns = patterns(root, &root_manifest)?;
    let (mut include, mut exclude) = (
        globset::GlobSetBuilder::new(),
        globset::GlobSetBuilder::new(),
    );
    for pattern in &patterns {
        let (set, pattern) = match pattern.strip_prefix('!') {
            Some(p) => (&mut exclude, p),
            None => (&mut include, pattern.as_str()),
        };
        let pattern = pattern.trim_start_matches("./").trim_end_matches('/');
        if let Ok(glob) = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
        {
            set.add(glob);
        }
    }
    let (include, exclude) = (include.build().ok()?, exclude.build().ok()?);
    let mut found: Vec<PathBuf> = ignore::WalkBuilder::new(root)
        .filter_entry(|e| e.file_name() != "node_modules")
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_dir()))
        .filter(|e| {
            e.path().strip_prefix(root).is_ok_and(|rel| {
                !rel.as_os_str().is_empty() && include.is_match(rel) && !exclude.is_match(rel)
            })
        })
        .map(|e| e.into_path())
        .filter(|dir| manifest(dir).is_some_and(|m| has_tests(&m)))
        .collect();
    found.sort();
    Some(found)
}

fn manifest(dir: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("package.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// The workspace globs: package.json's `workspaces` (a list, or yarn's `{packages}`),
/// else pnpm-workspace.yaml's `packages` list.
fn patterns(root: &Path, manifest: &serde_json::Value) -> Option<Vec<String>> {
    let list = match &manifest["workspaces"] {
        serde_json::Value::Array(list) => Some(list),
        serde_json::Value::Object(map) => map.get("packages").and_then(|p| p.as_array()),
        _ => None,
    };
    if let Some(list) = list {
        return Some(
            list.iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect(),
        );
    }
    let yaml = std::fs::read_to_string(root.join("pnpm-workspace.yaml")).ok()?;
    Some(pnpm_packages(&yaml))
}

/// The `packages:` list of a pnpm-workspace.yaml (block style, the form pnpm documents).
fn pnpm_packages(yaml: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in yaml.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if !line.starts_with([' ', '\t', '-']) {
            inside = trimmed == "packages:";
            continue;
        }
        if inside && let Some(item) = trimmed.strip_prefix('-') {
            let item = item.split(" #").next().unwrap_or(item).trim();
            out.push(item.trim_matches(['\'', '"']).to_owned());
        }
    }
    out
}

/// The `test` script starts jest or vitest itself.
fn runs_a_runner(manifest: &serde_json::Value) -> bool {
    manifest["scripts"]["test"].as_str().is_some_and(|script| {
        [Kind::Jest, Kind::Vitest]
            .iter()
            .any(|k| super::detect::mentions(script, k.package()))
    })
}

fn has_tests(manifest: &serde_json::Value) -> bool {
    runs_a_runner(manifest)
        || ["devDependencies", "dependencies"].iter().any(|section| {
            ["jest", "vitest"]
                .iter()
                .any(|r| manifest[section].get(r).is_some())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn npm_workspaces_with_tests() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            &root.join("package.json"),
            r#"{ "workspaces": ["packages/*", "!packages/skip"], "scripts": { "test": "npm test --workspaces" } }"#,
        );
        write(
            &root.join("packages/a/package.json"),
            r#"{ "scripts": { "test": "jest" } }"#,
        );
        write(
            &root.join("packages/b/package.json"),
            r#"{ "devDependencies": { "vitest": "3" } }"#,
        );
        write(
            &root.join("packages/docs/package.json"),
            r#"{ "scripts": { "build": "x" } }"#,
        );
        write(
            &root.join("packages/skip/package.json"),
            r#"{ "scripts": { "test": "jest" } }"#,
        );
        write(
            &root.join("packages/a/node_modules/x/package.json"),
            r#"{ "scripts": { "test": "jest" } }"#,
        );
        assert_eq!(
            packages(root).unwrap(),
            [root.join("packages/a"), root.join("packages/b")]
        );
    }

    #[test]
    fn a_root_that_runs_the_suite_is_one_run() {
        let dir = tempfile::tempdir().unwrap();
        write(
            &dir.path().join("package.json"),
            r#"{ "workspaces": ["packages/*"], "scripts": { "test": "jest" } }"#,
        );
        assert_eq!(packages(dir.path()), None);
        let dir = tempfile::tempdir().unwrap();
        write(
            &dir.path().join("package.json"),
            r#"{ "scripts": { "test": "jest" } }"#,
        );
        assert_eq!(packages(dir.path()), None);
    }

    #[test]
    fn pnpm_workspace_yaml() {
        assert_eq!(
            pnpm_packages(
                "# x\npackages:\n  - 'apps/*'\n  - \"libs/**\" # all\n  - '!**/test/**'\ncatalog:\n  - nope\n"
            ),
            ["apps/*", "libs/**", "!**/test/**"]
        );
        let dir = tempfile::tempdir().unwrap();
        write(&dir.path().join("package.json"), "{}");
        write(
            &dir.path().join("pnpm-workspace.yaml"),
            "packages:\n  - apps/*\n",
        );
        write(
            &dir.path().join("apps/web/package.json"),
            r#"{ "scripts": { "test": "vitest run" } }"#,
        );
        assert_eq!(packages(dir.path()).unwrap(), [dir.path().join("apps/web")]);
    }
}

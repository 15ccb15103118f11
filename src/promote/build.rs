//! Build outputs the checks need. The canary holds only what git does not ignore, so a
//! package whose `package.json` points into an ignored build folder (`main`, `module`,
//! `types`, `typings`, `bin`, `exports` → `dist/…`) has none of it there, and its tests,
//! which import those builds (changesets: the CLI's tests load `dist/changelog.mjs`, and
//! its workspace packages export only `./dist/index.mjs`), failed on the untouched canary:
//! verify refused.
//!
//! Why build in the canary rather than link the project's build folders: a link would let
//! a build or a test in the canary write through it into the project (a bundler without
//! `clean` overwrites `dist/index.mjs` in place, following the link), and the project's
//! outputs were built from the untouched sources, so a change to a file that tests reach
//! only through `dist` would be checked against the old code and pass unseen. The build
//! runs first among a package's checks, on the untouched canary and again with each set of
//! changes, so what the tests load is built from what they check; a change that breaks the
//! build is a regression like any other. A build that does not run on the untouched copy
//! (zustand's calls pnpm, whose dependency check fails there) is left out and said so: the
//! checks then run as they would on a fresh clone, where a test that needs the build fails
//! before and after alike.

use std::path::{Path, PathBuf};

use super::checks::Check;

/// The entry points named by `manifest` (a package.json), as paths relative to its folder.
fn entry_points(manifest: &serde_json::Value) -> Vec<String> {
    fn strings(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Object(map) => map.values().for_each(|v| strings(v, out)),
            serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    for field in ["main", "module", "types", "typings", "bin", "exports"] {
        if let Some(value) = manifest.get(field) {
            strings(value, &mut found);
        }
    }
    found
        .into_iter()
        // Patterns (`./*`), and bare names (a `bin` or an `exports` condition's name) that
        // are not paths, are not checked.
        .filter(|p| !p.contains('*') && (p.starts_with("./") || p.contains('/') || p.contains('.')))
        .map(|p| p.trim_start_matches("./").to_owned())
        .filter(|p| !p.is_empty() && !p.starts_with("../") && !p.starts_with('/'))
        .collect()
}

/// Every package.json of the tree at `root` (not under `node_modules`), with its folder.
fn manifests(root: &Path) -> Vec<(PathBuf, serde_json::Value)> {
    let walk = ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != "node_modules" && e.file_name() != ".git")
        .build();
    let mut found: Vec<(PathBuf, serde_json::Value)> = walk
        .filter_map(Result::ok)
        .filter(|e| e.file_name() == "package.json" && e.file_type().is_some_and(|t| t.is_file()))
        .filter_map(|e| {
            let text = std::fs::read_to_string(e.path()).ok()?;
            let manifest = serde_json::from_str(&text).ok()?;
            Some((e.path().parent()?.to_path_buf(), manifest))
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

/// The entry points named by the tree's package.json files that are missing from the
/// tree at `root` (relative to `root`, sorted).
pub fn missing_outputs(root: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    for (dir, manifest) in manifests(root) {
        for entry in entry_points(&manifest) {
            let path = dir.join(&entry);
            if !path.exists()
                && let Ok(rel) = path.strip_prefix(root)
            {
                missing.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    missing.sort();
    missing.dedup();
    missing
}

fn has_build_script(manifest: &serde_json::Value) -> bool {
    manifest
        .get("scripts")
        .and_then(|s| s.get("build"))
        .and_then(|s| s.as_str())
        .is_some_and(|s| !s.trim().is_empty())
}

/// The builds to run first in the canary at `root` when outputs are missing: the top
/// package's `build` script when it has one (a workspace's build builds its packages),
/// else the own `build` script of each package with missing outputs. None when nothing is
/// missing; a package with missing outputs and no build script gets none (its checks then
/// show whether they need them).
pub fn checks(root: &Path) -> Vec<Check> {
    let missing = missing_outputs(root);
    if missing.is_empty() {
        return Vec::new();
    }
    let manifests = manifests(root);
    let line = "npm run build".to_owned();
    if manifests
        .iter()
        .any(|(dir, m)| dir == root && has_build_script(m))
    {
        return vec![Check::Build {
            dir: String::new(),
            line,
        }];
    }
    manifests
        .iter()
        .filter(|(dir, m)| {
            has_build_script(m)
                && dir.strip_prefix(root).is_ok_and(|rel| {
                    let rel = rel.to_string_lossy().replace('\\', "/");
                    missing.iter().any(|p| p.starts_with(&format!("{rel}/")))
                })
        })
        .filter_map(|(dir, _)| {
            let rel = dir.strip_prefix(root).ok()?;
            Some(Check::Build {
                dir: rel.to_string_lossy().replace('\\', "/"),
                line: line.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn entry_points_of_every_field() {
        let manifest: serde_json::Value = serde_json::from_str(
            r#"{ "main": "dist/index.js", "types": "./dist/index.d.ts", "bin": { "x": "bin/x.js" },
                "exports": { ".": { "import": "./dist/index.mjs", "types": "./dist/index.d.mts" },
                             "./package.json": "./package.json", "./*": "./dist/*.js" } }"#,
        )
        .unwrap();
        let mut found = entry_points(&manifest);
        found.sort();
        assert_eq!(
            found,
            [
                "bin/x.js",
                "dist/index.d.mts",
                "dist/index.d.ts",
                "dist/index.js",
                "dist/index.mjs",
                "package.json"
            ]
        );
    }

    #[test]
    fn the_top_build_when_outputs_are_missing_else_the_packages_own() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(&root.join("package.json"), r#"{ "private": true }"#);
        write(
            &root.join("packages/a/package.json"),
            r#"{ "exports": { ".": "./dist/index.mjs" }, "scripts": { "build": "tsc" } }"#,
        );
        write(
            &root.join("packages/b/package.json"),
            r#"{ "main": "index.js", "scripts": { "build": "tsc" } }"#,
        );
        write(&root.join("packages/b/index.js"), "");
        write(
            &root.join("node_modules/x/package.json"),
            r#"{ "main": "gone.js" }"#,
        );
        assert_eq!(missing_outputs(root), ["packages/a/dist/index.mjs"]);
        let names: Vec<String> = checks(root).iter().map(Check::name).collect();
        assert_eq!(names, ["build (`npm run build` in packages/a)"]);
        write(
            &root.join("package.json"),
            r#"{ "private": true, "scripts": { "build": "tsdown" } }"#,
        );
        let names: Vec<String> = checks(root).iter().map(Check::name).collect();
        assert_eq!(names, ["build (`npm run build`)"]);
        // Built: nothing to do.
        write(&root.join("packages/a/dist/index.mjs"), "");
        assert!(checks(root).is_empty());
    }
}

//! The rule fixture harness, one for every rule in the registry: each
//! `fixtures/<rule-id>/<case>.input.<ext>` is fixed in memory with that rule and compared
//! with `<case>.output.<ext>` (no output file: the input must come out unchanged), and
//! the findings of a scan plus what the fix did with each (fixed, needs judgement, not
//! fixed) are compared with the insta snapshot `<case>.findings.snap` beside it.
//!
//! An optional `<case>.toml` holds dash.toml settings plus a `[case]` table: `path`
//! (where the file sits in the project, default `src/<case>.<ext>`), `category` (default
//! production), `package-type` (`module` or `commonjs`), `module-resolution` (`nodenext`
//! makes relative imports carry `.js`), `unsafe-fixes` (apply unsafe fixes too), `rules`
//! (the rules to run, default the folder's), `files` (more files of the project, path →
//! text, such as a `.prettierrc`; the project then has a `.git` folder), and for
//! the runtime harness (`tests/rules_runtime.rs`) `runtime` and its criteria.
//!
//! Each case runs in a scratch project folder holding that package.json, tsconfig and
//! dash.toml, through the same rule preparation as `dash fix` (logger discovery
//! included). Every output must parse without errors, and fixing it again must change
//! nothing. Set `DASH_BLESS=1` to write missing output files from the current behaviour,
//! and `INSTA_UPDATE=always` for new snapshots (then review both like any other change).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use dash::config::Config;
use dash::engine::fix::{FileFix, FixOptions, fix_file};
use dash::engine::{self, Engine};
use dash::rules::{FileCx, Mode, RULES, RunCx};
use dash::syntax::{self, Lang};
use dash::workspace::Category;

struct Case {
    rule: &'static str,
    name: String,
    input: PathBuf,
    output: PathBuf,
    lang: Lang,
    /// dash.toml text (without `[case]`).
    config: String,
    path: String,
    category: Category,
    package_type: Option<String>,
    module_resolution: Option<String>,
    unsafe_fixes: bool,
    /// The rules the case runs (`[case] rules`; default: the folder's rule).
    rules: Vec<String>,
    /// More files of the project (`[case] files`: path → text), such as a `.prettierrc`.
    files: Vec<(String, String)>,
}

fn fixtures_dir(rule: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rule)
}

fn cases(rule: &'static str) -> Vec<Case> {
    let dir = fixtures_dir(rule);
    let mut cases = Vec::new();
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("rule {rule} has no fixtures folder {}: {e}", dir.display()));
    for entry in entries {
        let input = entry.unwrap().path();
        let file = input.file_name().unwrap().to_string_lossy().into_owned();
        let Some((name, ext)) = file.split_once(".input.") else {
            continue;
        };
        let lang = Lang::from_extension(ext).unwrap_or_else(|| panic!("{file}: unknown extension"));
        let toml_path = dir.join(format!("{name}.toml"));
        let (config, case) = match std::fs::read_to_string(&toml_path) {
            Ok(text) => {
                let mut table: toml::Table =
                    text.parse().unwrap_or_else(|e| panic!("{name}.toml: {e}"));
                let case = table
                    .remove("case")
                    .and_then(|c| c.as_table().cloned())
                    .unwrap_or_default();
                (toml::to_string(&table).unwrap(), case)
            }
            Err(_) => (String::new(), toml::Table::default()),
        };
        let get = |key: &str| case.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        let category = match get("category").as_deref() {
            None | Some("production") => Category::Production,
            Some("tests") => Category::Tests,
            Some("scripts") => Category::Scripts,
            Some("examples") => Category::Examples,
            Some(other) => panic!("{name}: unknown category {other}"),
        };
        cases.push(Case {
            rule,
            output: dir.join(format!("{name}.output.{ext}")),
            path: get("path").unwrap_or_else(|| format!("src/{name}.{ext}")),
            name: name.to_owned(),
            input,
            lang,
            config,
            category,
            package_type: get("package-type"),
            module_resolution: get("module-resolution"),
            unsafe_fixes: case
                .get("unsafe-fixes")
                .and_then(toml::Value::as_bool)
                .unwrap_or(false),
            rules: case
                .get("rules")
                .and_then(toml::Value::as_array)
                .map(|ids| {
                    ids.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_else(|| vec![rule.to_owned()]),
            files: case
                .get("files")
                .and_then(toml::Value::as_table)
                .map(|files| {
                    files
                        .iter()
                        .map(|(path, text)| {
                            (path.clone(), text.as_str().unwrap_or_default().to_owned())
                        })
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(!cases.is_empty(), "no fixtures in {}", dir.display());
    cases
}

/// A scratch project for one case: package.json, tsconfig.json and dash.toml as the case
/// says, so rules prepare exactly as `dash fix` would.
struct Project {
    dir: tempfile::TempDir,
    config: Config,
}

impl Project {
    fn new(case: &Case) -> Project {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let package = match &case.package_type {
            Some(kind) => format!("{{ \"name\": \"p\", \"type\": \"{kind}\" }}\n"),
            None => "{ \"name\": \"p\" }\n".to_owned(),
        };
        std::fs::write(root.join("package.json"), package).unwrap();
        if let Some(resolution) = &case.module_resolution {
            std::fs::write(
                root.join("tsconfig.json"),
                format!(
                    "{{ \"compilerOptions\": {{ \"module\": \"{resolution}\", \"moduleResolution\": \"{resolution}\" }} }}\n"
                ),
            )
            .unwrap();
        }
        if !case.files.is_empty() {
            // The project's top: the search for its formatter configuration stops here.
            std::fs::create_dir_all(root.join(".git")).unwrap();
        }
        for (path, text) in &case.files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let toml_path = root.join("dash.toml");
        std::fs::write(&toml_path, &case.config).unwrap();
        let config = Config::parse(&case.config, &toml_path)
            .unwrap_or_else(|e| panic!("{}: {e:?}", case.name));
        Project { dir, config }
    }

    fn engine(&self, case: &Case, mode: Mode) -> Engine {
        let rules = engine::select(&self.config, Some(&case.rules)).unwrap();
        let root = std::fs::canonicalize(self.dir.path()).unwrap();
        Engine::prepare(
            &rules,
            &RunCx {
                config: &self.config,
                mode,
                root: &root,
                exact: false,
                console_spies: None,
            },
        )
        .unwrap()
    }

    fn path(&self, case: &Case) -> PathBuf {
        std::fs::canonicalize(self.dir.path())
            .unwrap()
            .join(&case.path)
    }
}

/// Fixes `text` as `dash fix` does (the byte-order mark set aside and restored).
fn run(case: &Case, project: &Project, engine: &Engine, text: &str) -> (String, FileFix) {
    if let Some(rest) = text.strip_prefix('\u{feff}') {
        let (fixed, fix) = run(case, project, engine, rest);
        return (format!("\u{feff}{fixed}"), fix);
    }
    let path = project.path(case);
    let cx = FileCx {
        path: &path,
        lang: case.lang,
        category: case.category,
        text,
        newline: if text.contains("\r\n") { "\r\n" } else { "\n" },
    };
    let rules = engine.fix_candidates(&cx);
    let fix = fix_file(
        &cx,
        &rules,
        &FixOptions {
            unsafe_fixes: case.unsafe_fixes,
            style: dash::edit::style::StyleCache::new().for_file(&path),
        },
    );
    (fix.new_text.clone(), fix)
}

/// What the snapshot holds: the scan's findings, then what the fix did with each.
fn describe(case: &Case, project: &Project, input: &str, fix: &FileFix) -> String {
    let mut out = String::new();
    let scanner = project.engine(case, Mode::Scan);
    let text = input.strip_prefix('\u{feff}').unwrap_or(input);
    let path = project.path(case);
    let cx = FileCx {
        path: &path,
        lang: case.lang,
        category: case.category,
        text,
        newline: "\n",
    };
    let hits = scanner.probe(text.as_bytes(), scanner.wanted(case.category, case.lang));
    let rules = scanner.applicable(hits, &cx);
    let scan = |exact: bool| {
        if rules.is_empty() {
            Vec::new()
        } else {
            dash::engine::scan::check_file(&cx, &rules, exact)
                .map(|(_, found)| found)
                .unwrap_or_default()
        }
    };
    let found = scan(false);
    // The rules' byte-level fast paths must agree with their trees (`scan --exact`).
    let exact = scan(true);
    let key =
        |f: &dash::rules::Finding| (f.rule, f.range.clone(), f.group.clone(), f.message.clone());
    assert_eq!(
        found.iter().map(key).collect::<Vec<_>>(),
        exact.iter().map(key).collect::<Vec<_>>(),
        "{}/{}: the fast path and the tree disagree",
        case.rule,
        case.name
    );
    let _ = writeln!(out, "findings:");
    let mut lines = dash::rules::LineIndex::new(text.as_bytes());
    for f in &found {
        let at = lines.position(f.range.start);
        let _ = writeln!(
            out,
            "  {}:{} {} [{}] {}",
            at.line, at.column, f.rule, f.group, f.message
        );
    }
    let _ = writeln!(out, "fix:");
    for r in &fix.fixed {
        let _ = writeln!(
            out,
            "  fixed {}:{} {} [{}] {} ({:?})",
            r.position.line,
            r.position.column,
            r.rule,
            r.group,
            r.action.unwrap_or(""),
            r.applicability.unwrap()
        );
    }
    for (kind, records) in [("judgement", &fix.judgements), ("not fixed", &fix.unfixed)] {
        for r in records {
            let _ = writeln!(
                out,
                "  {kind} {}:{} {} [{}] {}",
                r.position.line,
                r.position.column,
                r.rule,
                r.group,
                r.reason.as_deref().unwrap_or("")
            );
        }
    }
    if let Some(refusal) = &fix.refused {
        let _ = writeln!(out, "  refused: {refusal}");
    }
    out
}

#[test]
fn every_rule_has_fixtures_and_they_hold() {
    let bless = std::env::var_os("DASH_BLESS").is_some();
    let mut failures = Vec::new();
    let mut snapshots = Vec::new();
    for rule in RULES {
        for case in cases(rule.meta().id) {
            let project = Project::new(&case);
            let engine = project.engine(&case, Mode::Fix);
            let input = std::fs::read_to_string(&case.input).unwrap();
            let (actual, fix) = run(&case, &project, &engine, &input);
            snapshots.push((
                case.rule,
                format!("{}.findings", case.name),
                describe(&case, &project, &input, &fix),
            ));
            let expected = match std::fs::read_to_string(&case.output) {
                Ok(text) => text,
                Err(_) if bless && actual != input => {
                    std::fs::write(&case.output, &actual).unwrap();
                    actual.clone()
                }
                Err(_) => input.clone(),
            };
            let id = format!("{}/{}", case.rule, case.name);
            if actual != expected {
                failures.push(format!(
                    "{id}: output differs\n--- expected\n{expected}\n--- actual\n{actual}"
                ));
                continue;
            }
            let tree = syntax::parse(case.lang, actual.as_bytes()).unwrap();
            if syntax::error_count(&tree) > 0 {
                failures.push(format!(
                    "{id}: the output does not parse cleanly:\n{actual}"
                ));
            }
            let (again, _) = run(&case, &project, &engine, &actual);
            if again != actual {
                failures.push(format!(
                    "{id}: a second fix changed the output again:\n{again}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture failure(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    for (rule, name, text) in snapshots {
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(fixtures_dir(rule));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!(name, text));
    }
}

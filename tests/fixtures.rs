//! The codemod fixture harness: every `fixtures/<rule>/<case>.input.<ext>` is fixed in
//! memory and compared with `<case>.output.<ext>` (no output file: the input must come
//! out unchanged). An optional `<case>.toml` holds dash.toml settings plus a `[case]`
//! table: `path` (where the file sits in the virtual project, default `src/<case>.<ext>`),
//! `category` (default production), `package-type` (`module` or `commonjs`) and
//! `module-resolution` (`nodenext` makes relative imports carry `.js`).
//!
//! Every output must parse without errors, and fixing it again must change nothing.
//! Set `DASH_BLESS=1` to write missing output files from the current behaviour (then
//! review them like any other change).

use std::path::{Path, PathBuf};

use dash::config::{Config, LoggerStyle};
use dash::fix::{FileInput, FixContext, LoggerModule, LoggerTarget, fix_file};
use dash::syntax::{self, Lang};
use dash::workspace::Category;

const PROJECT: &str = "/project";

struct Case {
    name: String,
    input: PathBuf,
    output: PathBuf,
    lang: Lang,
    config: Config,
    path: PathBuf,
    category: Category,
    package_is_module: bool,
    requires_extension: bool,
}

fn cases(rule: &str) -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rule);
    let mut cases = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("fixture folder") {
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
                let rest = toml::to_string(&table).unwrap();
                let config = Config::parse(&rest, &PathBuf::from(PROJECT).join("dash.toml"))
                    .unwrap_or_else(|e| panic!("{name}.toml: {e:?}"));
                (config, case)
            }
            Err(_) => (Config::default(), toml::Table::default()),
        };
        let get = |key: &str| case.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        let path =
            PathBuf::from(PROJECT).join(get("path").unwrap_or_else(|| format!("src/{name}.{ext}")));
        let category = match get("category").as_deref() {
            None | Some("production") => Category::Production,
            Some("tests") => Category::Tests,
            Some("scripts") => Category::Scripts,
            Some("examples") => Category::Examples,
            Some(other) => panic!("{name}: unknown category {other}"),
        };
        let package_is_module = get("package-type").as_deref() == Some("module");
        let requires_extension =
            get("module-resolution").is_some_and(|r| matches!(r.as_str(), "nodenext" | "node16"));
        cases.push(Case {
            output: dir.join(format!("{name}.output.{ext}")),
            name: name.to_owned(),
            input,
            lang,
            config,
            path,
            category,
            package_is_module,
            requires_extension,
        });
    }
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(!cases.is_empty(), "no fixtures in {}", dir.display());
    cases
}

/// The logger the case's config names (relative to the virtual project), or the default
/// `src/utils/logger.ts` exporting `logger` in console style.
fn logger_of(config: &Config) -> LoggerTarget {
    let module = match config.logger.module.as_deref() {
        Some(m) if m.starts_with('@') || !m.contains('.') => LoggerModule::Specifier(m.to_owned()),
        Some(m) => LoggerModule::File(PathBuf::from(PROJECT).join(m)),
        None => LoggerModule::File(PathBuf::from(PROJECT).join("src/utils/logger.ts")),
    };
    LoggerTarget {
        module,
        export: config
            .logger
            .export
            .clone()
            .unwrap_or_else(|| "logger".to_owned()),
        style: config.logger.style.unwrap_or(LoggerStyle::Console),
        create: None,
        origin: "fixture",
    }
}

fn run(case: &Case, text: &str) -> String {
    // As dash fix does: the byte-order mark is set aside and restored.
    if let Some(rest) = text.strip_prefix('\u{feff}') {
        return format!("\u{feff}{}", run(case, rest));
    }
    let logger = logger_of(&case.config);
    let ctx = FixContext {
        config: &case.config,
        logger: &logger,
        package_is_module: case.package_is_module,
        requires_extension: case.requires_extension,
    };
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let input = FileInput {
        path: &case.path,
        lang: case.lang,
        category: case.category,
        text,
        newline,
    };
    fix_file(&input, &ctx).new_text
}

#[test]
fn console_fixtures() {
    let bless = std::env::var_os("DASH_BLESS").is_some();
    let mut failures = Vec::new();
    for case in cases("console") {
        let input = std::fs::read_to_string(&case.input).unwrap();
        let actual = run(&case, &input);
        let expected = match std::fs::read_to_string(&case.output) {
            Ok(text) => text,
            Err(_) if bless && actual != input => {
                std::fs::write(&case.output, &actual).unwrap();
                actual.clone()
            }
            Err(_) => input.clone(),
        };
        if actual != expected {
            failures.push(format!(
                "{}: output differs\n--- expected\n{expected}\n--- actual\n{actual}",
                case.name
            ));
            continue;
        }
        let tree = syntax::parse(case.lang, actual.as_bytes()).unwrap();
        if syntax::error_count(&tree) > 0 {
            failures.push(format!(
                "{}: the output does not parse cleanly:\n{actual}",
                case.name
            ));
        }
        let again = run(&case, &actual);
        if again != actual {
            failures.push(format!(
                "{}: a second fix changed the output again:\n{again}",
                case.name
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture failure(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

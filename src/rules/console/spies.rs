//! Production calls that tests watch. A test that spies on or stubs `console.<method>`
//! (`jest.spyOn(console, 'error')`, `vi.spyOn`, `sinon.stub(console, 'log')`,
//! `console.warn = jest.fn()`, `vi.stubGlobal('console', …)`) and imports a production
//! module usually asserts that the module logs there: rewriting that module's
//! `console.<method>` calls breaks the test. Those calls are left for judgement, naming
//! the test.
//!
//! A pre-pass before the fix, linear in the test files' bytes: only test files that hold
//! `console` are searched for spies (byte patterns, no parse), and only those with a spy
//! have their relative imports resolved, against the files of the run (no file system
//! look-ups). A module imported through a re-export is followed one level: the imported
//! file's own `export … from './x'` lines (that file is read once more for it; only
//! modules imported by a spying test are).
//!
//! Which spies count: a spy on method M blocks M in the modules the test imports, and
//! nothing else. A spy whose method is not a literal (`spyOn(console, level)`) or a
//! replaced `console` object blocks every method (`*`). Spies in setup files that import
//! nothing are not connected to any module, but a test that observes a method as a mock
//! (`expect(console.error).toHaveBeenCalled…`, `console.error.mock.calls`,
//! `vi.mocked(console.error)`) counts as spying on it wherever it was stubbed: changesets
//! stubs `console.error` in a setup file and snapshots its calls in the test.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::workspace::package::normalize;

/// A spy of a test on a console method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spy {
    /// The method, or `*` for every method.
    pub method: String,
    /// The test file, as displayed.
    pub test: String,
    /// 1-based line of the spy.
    pub line: u32,
}

/// The spies that watch each production module of the run.
#[derive(Debug, Default, Clone)]
pub struct ConsoleSpies {
    by_module: HashMap<PathBuf, Vec<Spy>>,
}

/// `spyOn(console, 'm')`, `stub(console, 'm')`, `spy(console, 'm')`, `replace(console,
/// 'm', …)` on jest, vi, sinon or a sandbox; `global.console`/`globalThis.console` too.
static SPY_CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\b(?:spyOn|stub|spy|replace|replaceGetter)\s*\(\s*(?:(?:global|globalThis|window)\s*\.\s*)?console\s*,\s*(?:['"`]([A-Za-z_$][\w$]*)['"`]|[A-Za-z_$])"#,
    )
    .expect("valid regex")
});

/// `console.m = …`, `console['m'] = …` (not `==`).
static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:^|[^\w$.])(?:(?:global|globalThis|window)\s*\.\s*)?console\s*(?:\.\s*([A-Za-z_$][\w$]*)|\[\s*['"]([A-Za-z_$][\w$]*)['"]\s*\])\s*=[^=>]"#,
    )
    .expect("valid regex")
});

/// The whole console replaced: `vi.stubGlobal('console', …)`, `global.console = …`.
static WHOLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\bstubGlobal\s*\(\s*['"]console['"]|\b(?:global|globalThis|window)\s*\.\s*console\s*=[^=>]"#,
    )
    .expect("valid regex")
});

/// A console method the test observes as a mock, wherever it was stubbed (a setup file, a
/// helper): `expect(console.m).toHaveBeenCalled…`, `console.m.mock.calls`,
/// `(console.m as any).mock`, `vi.mocked(console.m)`, `jest.mocked(console.m)`.
static OBSERVED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\bexpect\s*\(\s*\(?\s*console\s*\.\s*([A-Za-z_$][\w$]*)\s*(?:as\s+[^)]*)?\)?\s*\)\s*\.\s*(?:not\s*\.\s*)?to(?:HaveBeen|Be)\w*Called|\bmocked\s*\(\s*console\s*\.\s*([A-Za-z_$][\w$]*)|console\s*\.\s*([A-Za-z_$][\w$]*)\s*(?:as\s+[\w.<>\[\]]+\s*)?\)?\s*\.\s*mock\b"#,
    )
    .expect("valid regex")
});

/// Relative imports: `from './x'`, `import './x'`, `import('./x')`, `require('./x')`,
/// `jest.requireActual('./x')`, `vi.importActual('./x')`.
static IMPORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+|\b(?:requireActual|importActual)\s*\(\s*)['"](\.\.?/[^'"\n]*|\.\.?)['"]"#,
    )
    .expect("valid regex")
});

/// `export * from './x'`, `export { a } from './x'`, `export * as n from './x'`.
static REEXPORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\bexport\s+(?:type\s+)?(?:\*(?:\s+as\s+[\w$]+)?|\{[^}]*\})\s*from\s*['"](\.\.?/[^'"\n]*)['"]"#)
        .expect("valid regex")
});

/// Extensions a relative specifier may leave out, in the order resolvers try them.
const EXTENSIONS: &[&str] = &["ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs"];

/// The spies on console methods in a test file's text, with their 1-based lines.
pub fn spies_in(text: &[u8]) -> Vec<(String, u32)> {
    let mut found: Vec<(usize, String)> = Vec::new();
    for caps in SPY_CALL.captures_iter(text) {
        let at = caps.get(0).map_or(0, |m| m.start());
        let method = caps
            .get(1)
            .map_or("*".to_owned(), |m| String::from_utf8_lossy(m.as_bytes()).into_owned());
        found.push((at, method));
    }
    for caps in ASSIGNMENT.captures_iter(text) {
        // The method's offset: the match itself starts at the byte before `console`.
        if let Some(method) = caps.get(1).or_else(|| caps.get(2)) {
            found.push((
                method.start(),
                String::from_utf8_lossy(method.as_bytes()).into_owned(),
            ));
        }
    }
    for caps in OBSERVED.captures_iter(text) {
        if let Some(method) = caps.get(1).or_else(|| caps.get(2)).or_else(|| caps.get(3)) {
            found.push((
                method.start(),
                String::from_utf8_lossy(method.as_bytes()).into_owned(),
            ));
        }
    }
    for m in WHOLE.find_iter(text) {
        found.push((m.start(), "*".to_owned()));
    }
    found.sort();
    found.dedup_by_key(|f| f.0);
    // Lines in one forward pass over the sorted offsets.
    let mut line = 1u32;
    let mut from = 0;
    found
        .into_iter()
        .map(|(at, method)| {
            line += memchr::memchr_iter(b'\n', &text[from..at]).count() as u32;
            from = at;
            (method, line)
        })
        .collect()
}

/// The relative specifiers a file imports.
fn relative_imports(text: &[u8], pattern: &Regex) -> Vec<String> {
    pattern
        .captures_iter(text)
        .filter_map(|c| c.get(1))
        .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
        .collect()
}

/// The file `specifier` names from `from`'s folder, among `known` (the run's files), as
/// Node, TypeScript and bundlers resolve relative specifiers: the exact file, a `.js`
/// specifier's TypeScript source, the extensions left out, a folder's `index`.
fn resolve(from: &Path, specifier: &str, known: &HashSet<&Path>) -> Option<PathBuf> {
    let base = normalize(&from.parent()?.join(specifier))?;
    let text = base.to_str()?;
    let mut candidates = vec![base.clone()];
    for (js, ts) in [(".js", ".ts"), (".jsx", ".tsx"), (".mjs", ".mts"), (".cjs", ".cts")] {
        if let Some(stem) = text.strip_suffix(js) {
            candidates.push(PathBuf::from(format!("{stem}{ts}")));
            if js == ".js" {
                candidates.push(PathBuf::from(format!("{stem}.tsx")));
            }
        }
    }
    for ext in EXTENSIONS {
        candidates.push(PathBuf::from(format!("{text}.{ext}")));
    }
    for ext in EXTENSIONS {
        candidates.push(base.join(format!("index.{ext}")));
    }
    candidates
        .into_iter()
        .find(|c| known.contains(c.as_path()))
}

/// One test file of the run: its path, how it is shown, its text.
pub struct TestText<'a> {
    pub path: &'a Path,
    pub display: &'a str,
    pub text: &'a [u8],
}

impl ConsoleSpies {
    /// Connects each test's console spies to the production modules it imports.
    /// `known` are the run's files, `production` says which of them are production code,
    /// `read` reads a module for its re-exports (once per module).
    pub fn find(
        tests: &[TestText<'_>],
        known: &HashSet<&Path>,
        production: &dyn Fn(&Path) -> bool,
        read: &dyn Fn(&Path) -> Option<Vec<u8>>,
    ) -> ConsoleSpies {
        let mut spies = ConsoleSpies::default();
        let mut reexports: HashMap<PathBuf, Vec<PathBuf>> = HashMap::new();
        for test in tests {
            if memchr::memmem::find(test.text, super::NEEDLE).is_none() {
                continue;
            }
            let found = spies_in(test.text);
            if found.is_empty() {
                continue;
            }
            let mut modules: Vec<PathBuf> = Vec::new();
            for specifier in relative_imports(test.text, &IMPORT) {
                let Some(module) = resolve(test.path, &specifier, known) else {
                    continue;
                };
                let through = reexports.entry(module.clone()).or_insert_with(|| {
                    read(&module)
                        .map(|text| {
                            relative_imports(&text, &REEXPORT)
                                .iter()
                                .filter_map(|s| resolve(&module, s, known))
                                .collect()
                        })
                        .unwrap_or_default()
                });
                modules.extend(through.iter().cloned());
                modules.push(module);
            }
            modules.sort();
            modules.dedup();
            for module in modules.into_iter().filter(|m| production(m)) {
                let entry = spies.by_module.entry(module).or_default();
                for (method, line) in &found {
                    entry.push(Spy {
                        method: method.clone(),
                        test: test.display.to_owned(),
                        line: *line,
                    });
                }
            }
        }
        for list in spies.by_module.values_mut() {
            list.sort_by(|a, b| (&a.test, a.line).cmp(&(&b.test, b.line)));
        }
        spies
    }

    /// The first spy (by test and line) on `method` of a test that imports `module`.
    pub fn watching(&self, module: &Path, method: &str) -> Option<&Spy> {
        self.by_module
            .get(module)?
            .iter()
            .find(|s| s.method == method || s.method == "*")
    }

    pub fn is_empty(&self) -> bool {
        self.by_module.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spies_of_each_runner() {
        let text = b"import { a } from '../src/a'\n\
            const e = jest.spyOn(console, 'error').mockImplementation(() => {})\n\
            vi.spyOn(global.console, \"warn\")\n\
            sinon.stub(console, 'log')\n\
            sandbox.spy(console, `info`)\n\
            console.debug = jest.fn()\n\
            console['trace'] = vi.fn()\n\
            if (console.log == x) {}\n\
            const f = (console) => 1\n\
            jest.spyOn(console, level)\n\
            vi.stubGlobal('console', { log: vi.fn() })\n";
        assert_eq!(
            spies_in(text),
            vec![
                ("error".to_owned(), 2),
                ("warn".to_owned(), 3),
                ("log".to_owned(), 4),
                ("info".to_owned(), 5),
                ("debug".to_owned(), 6),
                ("trace".to_owned(), 7),
                ("*".to_owned(), 10),
                ("*".to_owned(), 11),
            ]
        );
        assert!(spies_in(b"expect(console.log).toBe(x)\nconsole.log('a')\n").is_empty());
        // Observed as a mock, stubbed elsewhere (a setup file).
        let observed = b"expect(console.warn).toHaveBeenCalledWith('x')\n\
            expect((console.error as any).mock.calls).toMatchInlineSnapshot()\n\
            vi.mocked(console.info).mockClear()\n\
            expect(console.debug).not.toHaveBeenCalled()\n";
        assert_eq!(
            spies_in(observed),
            [
                ("warn".to_owned(), 1),
                ("error".to_owned(), 2),
                ("info".to_owned(), 3),
                ("debug".to_owned(), 4)
            ]
        );
    }

    #[test]
    fn connects_spies_to_imported_modules_only() {
        let root = Path::new("/r");
        let files: Vec<PathBuf> = [
            "src/a.ts",
            "src/b.ts",
            "src/c.ts",
            "src/lib/index.ts",
            "src/lib/inner.ts",
            "test/a.test.ts",
            "test/b.test.ts",
        ]
        .iter()
        .map(|f| root.join(f))
        .collect();
        let known: HashSet<&Path> = files.iter().map(PathBuf::as_path).collect();
        let a = b"import { a } from '../src/a.js'\nimport { lib } from '../src/lib'\nbeforeEach(() => jest.spyOn(console, 'error'))\n";
        let b = b"const b = require('../src/b')\ntest('x', () => { console.log('hi') })\n";
        let tests = [
            TestText {
                path: &files[5],
                display: "test/a.test.ts",
                text: a,
            },
            TestText {
                path: &files[6],
                display: "test/b.test.ts",
                text: b,
            },
        ];
        let spies = ConsoleSpies::find(
            &tests,
            &known,
            &|p| !p.to_string_lossy().contains("test"),
            &|p| {
                p.ends_with("lib/index.ts")
                    .then(|| b"export * from './inner'\n".to_vec())
            },
        );
        let spy = spies.watching(&root.join("src/a.ts"), "error").unwrap();
        assert_eq!((spy.test.as_str(), spy.line), ("test/a.test.ts", 3));
        assert!(spies.watching(&root.join("src/a.ts"), "log").is_none());
        // Through the index's re-export, one level.
        assert!(spies.watching(&root.join("src/lib/inner.ts"), "error").is_some());
        assert!(spies.watching(&root.join("src/lib/index.ts"), "error").is_some());
        // b's test logs but spies on nothing; c is imported by no spying test.
        assert!(spies.watching(&root.join("src/b.ts"), "log").is_none());
        assert!(spies.watching(&root.join("src/c.ts"), "error").is_none());
    }
}

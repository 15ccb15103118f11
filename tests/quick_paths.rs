//! The rules' byte-level fast paths against their trees on generated test files: for any
//! file, `dash scan` must report exactly what `dash scan --exact` (every candidate file
//! parsed) reports. The fragments cover what the test rules look at — test and hook
//! calls with every callback shape, `done` in prose and as a parameter, spies,
//! restores, module mocks, `.only`, `.resolves` — and the places tokens find hard:
//! templates, regexes, comments, JSX, nested calls.

use std::path::Path;

use dash::config::Config;
use dash::engine::{self, Engine};
use dash::rules::{FileCx, Finding, Mode, RunCx};
use dash::syntax::Lang;
use dash::workspace::Category;
use proptest::prelude::*;

const FRAGMENTS: &[&str] = &[
    "it('a', () => { expect(1).toBe(1); });",
    "it('b', (done) => { setTimeout(done, 1); });",
    "test('c', done => { done(); });",
    "test('d', async (done) => { await work(); done(); });",
    "it('e', function (done) { p.then(() => { done(); }); });",
    "it('f', async function named(cb) { cb(); });",
    "it.each([[1], [2]])('g %i', (n) => { expect(n).toBeTruthy(); });",
    "describe('h', (x) => { it('i', () => {}); });",
    "beforeEach((done) => done());",
    "afterEach(() => { jest.restoreAllMocks(); });",
    "afterAll(vi.restoreAllMocks);",
    "test.concurrent('j', async ({ expect }) => { expect(1).toBe(1); });",
    "it.skip('k', (ctx) => { ctx.skip(); });",
    "// done: a comment about being done",
    "const done = () => {}; items.map((x) => x + 1);",
    "const s = `done ${it('l', (done) => done())} later`;",
    "const r = /\\(done\\) =>/g;",
    "jest.spyOn(console, 'log').mockImplementation(() => {});",
    "const spy = vi.spyOn(obj, 'm');",
    "obj.method = jest.fn(() => 1);",
    "window.scrollTo = vi.fn();",
    "const f = jest.fn();",
    "vi.mock('./dep', () => ({ value: helper }));",
    "jest.mock('./dep');",
    "it('m', () => { jest.mock('./x'); });",
    "const helper = 1;",
    "it.only('n', () => {});",
    "fit('o', () => {});",
    "expect(p).resolves.toBe(1);",
    "it('p', async () => { expect(q).rejects.toThrow(); });",
    "test<Ctx>('q', (done) => done());",
    "it('r', (\n  done,\n) => {\n  done();\n});",
    "it?.('s', (done) => done());",
    "suite('t', () => { bench('u', (b) => b()); });",
    "wrap(it)('v', (done) => done());",
    "it['only']('w', () => {});",
    "if (done) { run((x) => x); }",
    "it('x', () => new Promise<void>(done => { setTimeout(done); }));",
    "document.querySelectorAll(`.${c}`).forEach(el => el.remove());",
    "jest.spyOn(console, 'error').mockImplementation(message => (last = message));",
    "describe.each([1])('y %i', (n) => { it('z', (done) => done()); });",
    "test.extend({})('aa', (done) => done());",
    "const t = a < b; it('ab', (done) => done());",
    "it('ac', <T,>(done: T) => done);",
];

/// The findings of every test rule in `text`, by the fast paths or from the tree.
fn findings(lang: Lang, text: &str, exact: bool) -> Vec<(String, std::ops::Range<usize>)> {
    let config = Config::default();
    let root = std::env::temp_dir();
    let rules = engine::select(&config, None).expect("every rule");
    let engine = Engine::prepare(
        &rules,
        &RunCx {
            config: &config,
            mode: Mode::Scan,
            root: &root,
            exact,
            console_spies: None,
        },
    )
    .expect("rules prepare");
    let path = Path::new(match lang {
        Lang::TypeScript => "/p/src/a.test.ts",
        Lang::Tsx => "/p/src/a.test.tsx",
        Lang::JavaScript => "/p/src/a.test.js",
    });
    let cx = FileCx {
        path,
        lang,
        category: Category::Tests,
        text,
        newline: "\n",
    };
    let hits = engine.probe(text.as_bytes(), engine.wanted(cx.category, lang));
    let rules = engine.applicable(hits, &cx);
    if rules.is_empty() {
        return Vec::new();
    }
    engine::scan::check_file(&cx, &rules, exact)
        .map(|(_, found)| found)
        .unwrap_or_default()
        .iter()
        .map(|f: &Finding| (format!("{} {}", f.rule, f.message), f.range.clone()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn fast_paths_agree_with_the_tree(
        picks in proptest::collection::vec(0..FRAGMENTS.len(), 1..8),
        nest in proptest::collection::vec(any::<bool>(), 8),
        lang in prop_oneof![Just(Lang::TypeScript), Just(Lang::Tsx), Just(Lang::JavaScript)],
    ) {
        let mut text = String::new();
        for (i, pick) in picks.iter().enumerate() {
            let fragment = FRAGMENTS[*pick];
            if nest[i] {
                text.push_str(&format!("describe('s{i}', () => {{\n  {fragment}\n}});\n"));
            } else {
                text.push_str(fragment);
                text.push('\n');
            }
        }
        prop_assert_eq!(findings(lang, &text, false), findings(lang, &text, true), "{}", text);
    }
}

//! Engine benchmarks: the cost of each stage a file goes through in `dash scan`, on
//! generated TypeScript that looks like real service code (about 1 in 20 lines logs).
//!
//!   cargo bench --bench engine
//!
//! The interesting ratio is `lexical_find` against `tree_find`: it is why a scan of a big
//! tree costs little more than reading it.

use dash::rules::console::{lexical, tree};
use dash::syntax::{self, Lang};
use divan::{Bencher, black_box, counter::BytesCount};

fn main() {
    divan::main();
}

/// About `lines` lines of plausible TypeScript with console calls, comments, strings,
/// template literals, regular expressions and generics.
fn sample(lines: usize) -> String {
    let block = r#"/** Loads a user and logs what happened. */
export async function loadUser<T extends { id: string }>(id: string, repo: Repo<T>): Promise<T | undefined> {
  const started = Date.now();
  const pattern = /^[a-z0-9-]+$/i;
  if (!pattern.test(id)) {
    console.warn(`invalid id ${id}`, { id });
    return undefined;
  }
  // console.log('not a call: a comment');
  const message = "console.log('not a call: a string')";
  const user = await repo.find(id);
  const elapsed = (Date.now() - started) / 1000;
  if (elapsed > 1) console.info('slow lookup', elapsed, message.length);
  return user ?? undefined;
}
"#;
    let per_block = block.lines().count();
    block.repeat(lines / per_block + 1)
}

const SIZES: [usize; 2] = [1_000, 20_000];

/// The common case: a file without the needle, scanned to its end.
#[divan::bench(args = SIZES)]
fn prefilter_memmem(bencher: Bencher, lines: usize) {
    let src = sample(lines).replace("console", "consola");
    bencher
        .counter(BytesCount::of_str(&src))
        .bench(|| memchr::memmem::find(black_box(src.as_bytes()), b"console").is_some());
}

#[divan::bench(args = SIZES)]
fn lexical_find(bencher: Bencher, lines: usize) {
    let src = sample(lines);
    bencher
        .counter(BytesCount::of_str(&src))
        .bench(|| lexical::find(Lang::TypeScript, black_box(src.as_bytes())).expect("decidable"));
}

#[divan::bench(args = SIZES)]
fn tree_find(bencher: Bencher, lines: usize) {
    let src = sample(lines);
    bencher
        .counter(BytesCount::of_str(&src))
        .bench(|| tree::find(Lang::TypeScript, black_box(src.as_bytes())));
}

#[divan::bench(args = SIZES)]
fn parse_only(bencher: Bencher, lines: usize) {
    let src = sample(lines);
    bencher
        .counter(BytesCount::of_str(&src))
        .bench(|| syntax::parse(Lang::TypeScript, black_box(src.as_bytes())).expect("parses"));
}

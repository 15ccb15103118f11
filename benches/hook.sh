#!/usr/bin/env bash
# Times `dash hook run` on a commit of 20 staged files in a 7,000-file monorepo, and
# lint-staged running a no-op task (`true`) on the same commit, with hyperfine.
#
#   benches/hook.sh [WORKDIR]     # default: a temporary folder, removed at the end
#
# Needs: git, hyperfine, python3, node + npm (lint-staged is installed, pinned, into a
# scratch folder under WORKDIR; LINT_STAGED=<version> to change it). DASH=<binary> skips
# the release build. Prints the median and p95 of each (whole process, as a hook runs)
# and their ratio; hyperfine's JSON is left in WORKDIR.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d)}
mkdir -p "$work"
work=$(cd "$work" && pwd -P)
lint_staged_version=${LINT_STAGED:-17.6.1}
runs=${RUNS:-60}

if [[ -z "${DASH:-}" ]]; then
  cargo build --release --quiet --manifest-path "$root/Cargo.toml"
  DASH="${CARGO_TARGET_DIR:-$root/target}/release/dash"
fi

repo="$work/monorepo"
if [[ ! -d "$repo/.git" ]]; then
  echo "generating a 7,000-file monorepo in $repo" >&2
  python3 - "$repo" <<'PY'
import os, random, sys
root = sys.argv[1]
rng = random.Random(7)
os.makedirs(root, exist_ok=True)
with open(os.path.join(root, "package.json"), "w") as f:
    f.write('{ "name": "mono", "private": true, "workspaces": ["packages/*"] }\n')
count = 0
for p in range(70):
    pkg = os.path.join(root, "packages", f"pkg{p:02}")
    os.makedirs(os.path.join(pkg, "src", "lib"), exist_ok=True)
    os.makedirs(os.path.join(pkg, "src", "__tests__"), exist_ok=True)
    with open(os.path.join(pkg, "package.json"), "w") as f:
        f.write(f'{{ "name": "@mono/pkg{p:02}", "type": "module" }}\n')
    with open(os.path.join(pkg, "src", "logger.ts"), "w") as f:
        f.write("export const logger = { info: (...a: unknown[]) => a, warn: (...a: unknown[]) => a };\n")
    count += 1
    for i in range(99):
        if i % 10 == 9:
            path = os.path.join(pkg, "src", "__tests__", f"m{i:02}.test.ts")
            body = [f"import {{ f{i - 1} }} from '../lib/m{i - 1:02}';", "",
                    f"describe('m{i}', () => {{"]
            for t in range(rng.randint(3, 8)):
                body += [f"  it('case {t}', async () => {{",
                         f"    expect(await f{i - 1}({t})).toBe({t * 2});", "  });"]
            body.append("});")
        else:
            path = os.path.join(pkg, "src", "lib", f"m{i:02}.ts")
            body = ["import { logger } from '../logger';", ""]
            for fn in range(rng.randint(3, 10)):
                name = f"f{i}" if fn == 0 else f"g{i}_{fn}"
                body += [f"export async function {name}(n: number): Promise<number> {{",
                         "  const doubled = n * 2;",
                         "  if (doubled > 1000) {",
                         f"    logger.warn('large value in {name}', doubled);",
                         "  }",
                         "  return doubled;",
                         "}", ""]
        with open(path, "w") as f:
            f.write("\n".join(body) + "\n")
        count += 1
print(count, "files", file=sys.stderr)
PY
  git -C "$repo" init -q
  git -C "$repo" -c user.name=b -c user.email=b@b add .
  git -C "$repo" -c user.name=b -c user.email=b@b commit -qm base
fi
files=$(git -C "$repo" ls-files | wc -l)

# The commit: 20 files changed and staged (18 source files, 2 tests), all clean, so the
# hook lets the commit through (what it does on almost every commit).
git -C "$repo" reset -q --hard
for p in $(seq 0 19); do
  pkg=$(printf 'pkg%02d' $((p * 3)))
  if (( p % 10 == 9 )); then
    f="packages/$pkg/src/__tests__/m$(printf '%02d' $((p + 10))).test.ts"
    printf "it('added %d', () => {\n  expect(%d).toBe(%d);\n});\n" "$p" "$p" "$p" >> "$repo/$f"
  else
    f="packages/$pkg/src/lib/m$(printf '%02d' $p).ts"
    printf "export const added%d = %d;\n" "$p" "$p" >> "$repo/$f"
  fi
  git -C "$repo" add "$f"
done
staged=$(git -C "$repo" diff --cached --name-only | wc -l)
echo "repository: $files files, $staged staged" >&2

scratch="$work/lint-staged"
if [[ ! -x "$scratch/node_modules/.bin/lint-staged" ]]; then
  mkdir -p "$scratch"
  echo '{ "name": "scratch", "private": true }' > "$scratch/package.json"
  (cd "$scratch" && npm install --silent --no-audit --no-fund "lint-staged@$lint_staged_version")
fi
echo '{ "*.{ts,tsx,js,jsx,mjs,cjs,mts,cts}": "true" }' > "$work/lintstagedrc.json"

cd "$repo"
"$DASH" hook run   # must pass: the commit is clean
hyperfine --warmup 5 --runs "$runs" --export-json "$work/dash.json" \
  "$DASH hook run"
hyperfine --warmup 2 --runs "$(( runs / 3 ))" --export-json "$work/lint-staged.json" \
  "$scratch/node_modules/.bin/lint-staged --config $work/lintstagedrc.json --quiet"

python3 - "$work/dash.json" "$work/lint-staged.json" "$lint_staged_version" <<'PY'
import json, statistics, sys
def stats(path):
    times = sorted(json.load(open(path))["results"][0]["times"])
    # p95: the nearest-rank percentile.
    p95 = times[max(0, -(-95 * len(times) // 100) - 1)]
    return statistics.median(times), p95, len(times)
dm, dp, dn = stats(sys.argv[1])
lm, lp, ln = stats(sys.argv[2])
print(f"dash hook run:             median {dm*1000:.1f} ms, p95 {dp*1000:.1f} ms ({dn} runs)")
print(f"lint-staged {sys.argv[3]} (true): median {lm*1000:.1f} ms, p95 {lp*1000:.1f} ms ({ln} runs)")
print(f"ratio (lint-staged / dash): median {lm/dm:.1f}x, p95 {lp/dp:.1f}x")
print("p95 budget 100 ms:", "met" if dp <= 0.100 else "MISSED")
PY
git -C "$repo" reset -q --hard

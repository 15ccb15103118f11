#!/usr/bin/env bash
# Times `dash scan` against ripgrep and ast-grep on the same files, with hyperfine.
#
#   benches/compare.sh [TREE]     # default: bench-corpus/ (see benches/corpus.sh)
#
# Needs: hyperfine and ripgrep (Debian: apt-get install hyperfine ripgrep), ast-grep
# (npm install @ast-grep/cli, or cargo install ast-grep), /usr/bin/time (GNU time).
# All three tools see the same files: dash's default excludes (node_modules, dist, build,
# coverage, *.d.ts, *.min.*) are passed to the others as globs, and ast-grep runs once per
# grammar (ts, tsx, js) to cover the same extensions dash parses.
set -euo pipefail
tree=$(cd "${1:-bench-corpus}" && pwd -P)
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
dash="$root/target/release/dash"
sg=${AST_GREP:-$(command -v ast-grep || command -v sg-ast-grep || echo ast-grep)}

excludes=(-g '!**/node_modules/**' -g '!**/dist/**' -g '!**/build/**' -g '!**/coverage/**'
          -g '!*.d.ts' -g '!*.d.mts' -g '!*.d.cts' -g '!*.min.*')
rg_cmd="rg --count-matches 'console\.' ${excludes[*]@Q} -g '*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}' ."
sg_globs="--globs '!**/node_modules/**' --globs '!**/dist/**' --globs '!**/build/**' --globs '!**/coverage/**' --globs '!*.d.ts' --globs '!*.d.mts' --globs '!*.d.cts' --globs '!*.min.*'"
sg_cmd="for l in ts tsx js; do $sg run -p 'console.\$M(\$\$\$A)' -l \$l $sg_globs . >/dev/null; done; true"

scratch_json=$(mktemp)
cd "$tree"
echo "## counts on $(basename "$tree")"
echo "dash scan (global console calls):   $("$dash" scan -q --format json . | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["findings"])')"
echo "ripgrep (lines with 'console.'):    $(eval "$rg_cmd" | awk -F: '{s+=$NF} END {print s}')"
echo "ast-grep (console.\$M(\$\$\$A) nodes): $(for l in ts tsx js; do eval "$sg run -p 'console.\$M(\$\$\$A)' -l $l $sg_globs --json=stream ." ; done | wc -l)"
echo
echo "## peak memory (GNU time, max RSS)"
/usr/bin/time -f "dash scan: %M KiB" "$dash" scan -q . >/dev/null
echo
medians() {
  python3 - "$1" <<'PY'
import json, statistics, sys
results = json.load(open(sys.argv[1]))["results"]
base = statistics.median(results[0]["times"])
for r in results:
    m = statistics.median(r["times"])
    print(f"  median {m * 1000:9.1f} ms  {m / base:6.2f}x  {r['command']}")
PY
}
echo "## wall time (hyperfine, warm cache; medians, ratio to the first)"
hyperfine --warmup 3 --runs "${RUNS:-20}" --style basic --export-json "$scratch_json" \
  -n 'dash scan' "$dash scan -q ." \
  -n 'ripgrep' "$rg_cmd" \
  -n 'ast-grep (ts+tsx+js)' "$sg_cmd" \
  -n 'dash scan --exact' "$dash scan -q --exact ." >/dev/null
medians "$scratch_json"

# ---- dash fix --write against ast-grep's rewrite, on a scratch copy --------------------
# hyperfine's --prepare restores the copy before every run, outside the measured time.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch" "$scratch_json"' EXIT
reset="rm -rf '$scratch/tree' && cp -R '$tree/.' '$scratch/tree'"
sg_fix="cd '$scratch/tree' && for l in ts tsx js; do $sg run -p 'console.log(\$\$\$A)' -r 'logger.info(\$\$\$A)' -U -l \$l $sg_globs . >/dev/null; done; true"
echo
echo "## dash fix --write vs ast-grep -U (warm cache, copy reset excluded; medians)"
hyperfine --warmup 1 --runs "${FIX_RUNS:-10}" --prepare "$reset" --style basic --export-json "$scratch_json" \
  -n 'dash fix --write' "cd '$scratch/tree' && $dash fix --write -q . >/dev/null" \
  -n 'ast-grep -U (ts+tsx+js)' "$sg_fix" \
  -n 'dash scan (same copy)' "cd '$scratch/tree' && $dash scan -q . >/dev/null" >/dev/null
medians "$scratch_json"

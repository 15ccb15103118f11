#!/usr/bin/env bash
# Many rules must cost no more than one: times `dash scan` with every rule enabled against
# ripgrep counting the union of the rules' needles (the byte strings dash's prefilter
# looks for, read from `dash rules --format json`) on the same files, then both at each
# thread count from 1 to the number of cores (the scaling curve in README).
#
#   benches/rules.sh [TREE]       # default: bench-corpus/ (see benches/corpus.sh)
#
# Needs hyperfine and ripgrep (Debian: apt-get install hyperfine ripgrep).
set -euo pipefail
tree=$(cd "${1:-bench-corpus}" && pwd -P)
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
dash="$root/target/release/dash"

needles=$("$dash" rules --format json | python3 -c '
import json, sys, shlex
seen = []
for rule in json.load(sys.stdin):
    for n in rule["needles"]:
        if n not in seen:
            seen.append(n)
print(" ".join("-e " + shlex.quote(n) for n in seen))')
excludes="-g '!**/node_modules/**' -g '!**/dist/**' -g '!**/build/**' -g '!**/coverage/**' -g '!*.d.ts' -g '!*.d.mts' -g '!*.d.cts' -g '!*.min.*' -g '*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}'"
rg_cmd="rg --count-matches -F $needles $excludes ."
cores=$(nproc)
cd "$tree"
echo "## $(basename "$tree"): rules $("$dash" rules --format json | python3 -c 'import json,sys; print(", ".join(r["id"] for r in json.load(sys.stdin)))')"
echo "## needles: $needles"
scratch=$(mktemp)
trap 'rm -f "$scratch"' EXIT
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
for threads in $(seq 1 "$cores") ; do
  echo "## -j $threads (hyperfine, warm cache; medians, ratio to dash)"
  hyperfine --warmup 3 --runs "${RUNS:-20}" --style basic --export-json "$scratch" \
    -n "dash scan -j $threads (every rule)" "$dash scan -q -j $threads ." \
    -n "rg -j $threads (union of needles)" "$rg_cmd -j $threads" >/dev/null
  medians "$scratch"
done

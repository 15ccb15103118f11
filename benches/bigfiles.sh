#!/usr/bin/env bash
# Generates the big inputs of `dash fix`'s linearity benchmarks (issue 8, defect 21), each
# a git repository with one file and a dash.toml raising [limits] max_file_size:
#
#   removals/   tests policy = remove: a test file with 8,000 `console.log(…)` statements
#   nested/     10,000 nested calls: deep blocks and functions each with a console call,
#               and console.log(console.log(…)) chains
#   production/ a ~50 MB production file of plausible service code (rewritten to logger)
#   toplevel/   100,000 top-level console.log calls (3 MB)
#
#   benches/bigfiles.sh [OUT]        (default: bench-bigfiles/, ignored by git)
#   cd bench-bigfiles/production && /usr/bin/time -v dash fix --diff >/dev/null
set -euo pipefail
out=${1:-"$(git rev-parse --show-toplevel)/bench-bigfiles"}
mkdir -p "$out"

repo() { # repo NAME: a fresh git repository with a package.json and a dash.toml
  local dir="$out/$1"
  rm -rf "$dir" && mkdir -p "$dir/src"
  git -C "$dir" init -q
  printf '{ "name": "%s", "version": "1.0.0" }\n' "$1" >"$dir/package.json"
  printf '[limits]\nmax-file-size = 1000000000\n[logger]\nmodule = "./src/logger.ts"\n' >"$dir/dash.toml"
  printf 'export const logger = console;\n' >"$dir/src/logger.ts"
  echo "$dir"
}
commit() { git -C "$1" add -A && git -C "$1" -c user.name=b -c user.email=b@b commit -qm input; }

# (a) 8,000 removals in one test file.
d=$(repo removals)
awk 'BEGIN {
  print "import { describe, it, expect } from \"vitest\";\n";
  print "describe(\"many\", () => {";
  for (i = 0; i < 400; i++) {
    printf "  it(\"case %d\", () => {\n", i;
    for (j = 0; j < 20; j++) printf "    console.log(\"step %d of case %d\", value%d);\n", j, i, j;
    printf "    expect(%d).toBe(%d);\n  });\n", i, i;
  }
  print "});";
}' >"$d/src/many.test.ts"
commit "$d"

# (b) 10,000 nested calls: 2,500 functions nested in blocks, each with a call, then
# 2,500 console.log(console.log(…)) chains of depth 3.
d=$(repo nested)
awk 'BEGIN {
  for (i = 0; i < 2500; i++) printf "%*sfunction f%d(x) { if (x) { console.info(\"in f%d\", x);\n", i % 40, "", i, i;
  for (i = 0; i < 2500; i++) printf "}}\n";
  for (i = 0; i < 2500; i++) printf "console.log(console.log(console.log(\"chain %d\")));\n", i;
}' >"$d/src/nested.ts"
commit "$d"

# (c) ~50 MB of plausible production code, about one line in twelve logging.
d=$(repo production)
awk 'BEGIN {
  for (i = 0; i < 93000; i++) {
    printf "/** Loads user %d and logs what happened. */\n", i;
    printf "export async function loadUser%d(id: string, repo: Repo): Promise<User | undefined> {\n", i;
    printf "  const started = Date.now();\n  const pattern = /^[a-z0-9-]+$/i;\n";
    printf "  if (!pattern.test(id)) {\n    console.warn(`invalid id ${id}`);\n    return undefined;\n  }\n";
    printf "  // console.log(\"not a call: a comment\");\n  const message = \"console.log(not a call)\";\n";
    printf "  const user = await repo.find(id);\n  console.log(\"loaded\", user);\n";
    printf "  if (Date.now() - started > 1000) console.error(\"slow lookup\", message.length);\n";
    printf "  return user ?? undefined;\n}\n\n";
  }
}' >"$d/src/service.ts"
commit "$d"

# (d) 100,000 top-level calls.
d=$(repo toplevel)
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "console.log(\"line\", %d);\n", i }' >"$d/src/calls.js"
commit "$d"

printf '[console]\ntests = "remove"\n' >>"$out/removals/dash.toml"
commit "$out/removals" 2>/dev/null || true
du -sh "$out"/*/src/* | sort -k2

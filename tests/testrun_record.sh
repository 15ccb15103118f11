#!/usr/bin/env bash
# Records what the pinned runners print for every case under fixtures/testrun/cases:
# fixtures/testrun/<runner>/<case>.json (the JSON reporter) and .txt (stdout, then stderr),
# with the same arguments `dash test` passes (src/testrun/run.rs `arguments`). The unit
# tests of src/testrun/classify.rs read these recordings, so a message that changes in a
# new runner version shows up as a failing classification once the fixtures are re-recorded.
#
# Usage: tests/testrun_record.sh [RUNNER...]   (default: jest29 jest30 vitest2 vitest3 vitest4)
#        DASH_CASES='mock-partial mock-constructor' tests/testrun_record.sh ...  records only those
#        cases (each runner's other recordings are kept).
# The runners come from tests/runners/<runner>/node_modules, or $DASH_TEST_RUNNERS/<runner>.
# Paths are rewritten so that the recordings do not depend on where they were made: the
# project becomes /project and the runner's install /project/node_modules.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runners=${DASH_TEST_RUNNERS:-$repo/tests/runners}
runners=$(cd "$runners" && pwd -P)
cases=$repo/fixtures/testrun/cases
[ $# -gt 0 ] || set -- jest29 jest30 vitest2 vitest3 vitest4
for runner in "$@"; do
  kind=${runner%%[0-9]*}
  modules=$runners/$runner/node_modules
  [ -f "$modules/$kind/package.json" ] || { echo "$modules/$kind is missing: npm ci --prefix tests/runners/$runner" >&2; exit 2; }
  out=$repo/fixtures/testrun/$runner
  [ -n "${DASH_CASES:-}" ] || rm -rf "$out"
  mkdir -p "$out"
  for case_dir in "$cases/$kind"/*/; do
    name=$(basename "$case_dir")
    if [ -n "${DASH_CASES:-}" ]; then
      case " $DASH_CASES " in *" $name "*) ;; *) continue ;; esac
    fi
    work=$(mktemp -d); project=$(cd "$work" && pwd -P)/project
    cp -r "$case_dir" "$project"
    printf '{ "private": true }\n' > "$project/package.json"
    ln -s "$modules" "$project/node_modules"
    if [ "$kind" = jest ]; then
      bin=$modules/jest/bin/jest.js
      args=(--ci --json "--outputFile=$work/report.json" --testLocationInResults)
    else
      bin=$modules/vitest/vitest.mjs
      args=(run --reporter=default --reporter=json "--outputFile.json=$work/report.json")
      # vitest 2 takes includeTaskLocation from its config only.
      [ "$runner" = vitest2 ] || args+=(--includeTaskLocation)
    fi
    (cd "$project" && timeout 60 node "$bin" "${args[@]}" </dev/null >"$work/stdout" 2>"$work/stderr") || true
    rewrite() { sed -e "s#$modules#/project/node_modules#g" -e "s#$project#/project#g" -e "s#$work#/tmp#g"; }
    rewrite <"$work/report.json" >"$out/$name.json" 2>/dev/null || echo '{}' >"$out/$name.json"
    cat "$work/stdout" "$work/stderr" | rewrite >"$out/$name.txt"
    rm -rf "$work"
    echo "$runner $name"
  done
done

#!/usr/bin/env python3
"""Fault-injection benchmark for `dash test --fix --write` on real open-source suites.

For each suite in catalogue.json: check it out at its pinned commit (or reuse a checkout under
--src), install it, run it twice to find the tests that are already red or flaky (those are
excluded), inject every fault of the catalogue for that suite (one fault per test file, each a
small textual mutation, recorded as a patch under --out/patches), run the suite to see which
tests each fault breaks, run `dash test --fix --write`, run the suite again and measure per
fault: broken tests, repaired, left (with dash's reason), regressions (a test that passed
before dash ran and fails after), and whether dash touched a file whose fault must be left
(environment, assertion). Time is split into the runner's (every `node` dash starts, through a
shim on PATH that logs start and end) and dash's own (the rest of dash's wall time).

    python3 benches/faults/bench.py --dash target/release/dash --src faultbench/src \
        --out faultbench/out [--suites commander luxon] [--reruns 3]

Prints a markdown table per suite and class, and writes results.json under --out.
"""

import argparse
import glob as globmod
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------- locating a test in source


def skip_string(text, i):
    """Index after the string/template/comment starting at text[i], or None if none starts."""
    c = text[i]
    if c in "'\"":
        j = i + 1
        while j < len(text) and text[j] != c:
            j += 2 if text[j] == "\\" else 1
        return j + 1
    if c == "`":
        j = i + 1
        while j < len(text) and text[j] != "`":
            if text[j] == "\\":
                j += 2
                continue
            if text.startswith("${", j):
                j = match_close(text, j + 1) + 1
                continue
            j += 1
        return j + 1
    if text.startswith("//", i):
        j = text.find("\n", i)
        return len(text) if j < 0 else j
    if text.startswith("/*", i):
        return text.index("*/", i) + 2
    return None


def match_close(text, i):
    """Index of the bracket closing the one at text[i]."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    stack = [pairs[text[i]]]
    j = i + 1
    while stack:
        k = skip_string(text, j)
        if k is not None:
            j = k
            continue
        c = text[j]
        if c in pairs:
            stack.append(pairs[c])
        elif c in ")}]":
            if c != stack.pop():
                raise ValueError(f"unbalanced {c} at {j}")
        j += 1
    return j - 1


CALL = re.compile(r"\b(?:it|test)\(\s*")
CALLBACK = re.compile(r",\s*(async\s*)?(\([^)]*\)|\w+)\s*=>\s*\{|,\s*(async\s*)?function\s*\(([^)]*)\)\s*\{")


def locate(text, title):
    """(call_open, params_span, body_open, body_close, call_close) of the test named `title`
    (the first test of the file when title is None)."""
    found = []
    for m in CALL.finditer(text):
        q = m.end()
        if text[q] not in "'\"`":
            continue
        end = skip_string(text, q)
        name = text[q + 1 : end - 1]
        if title is not None and name != title:
            continue
        cb = CALLBACK.match(text, end)
        if not cb:
            raise ValueError(f"test {name!r}: callback not recognised")
        body_open = cb.end() - 1
        body_close = match_close(text, body_open)
        call_close = match_close(text, m.end() - 1)
        found.append(dict(name=name, call_open=m.end() - 1, cb=cb, body_open=body_open,
                          body_close=body_close, call_close=call_close))
        if title is None:
            break
    if len(found) != 1:
        raise ValueError(f"test {title!r}: found {len(found)} times")
    return found[0]


def indent_of(text, pos):
    line_start = text.rfind("\n", 0, pos) + 1
    line = text[line_start:pos]
    return line[: len(line) - len(line.lstrip())]


def make_async(text, t):
    """The text with the test's callback made async (no-op when it is)."""
    cb = t["cb"]
    if cb.group(1) or cb.group(3):
        return text
    start = cb.start() + text[cb.start():].index(",") + 1
    # keep the whitespace after the comma
    while text[start] == " ":
        start += 1
    return text[:start] + "async " + text[start:]


def body_indent(text, t):
    nl = text.find("\n", t["body_open"])
    nxt = text[nl + 1 :]
    return nxt[: len(nxt) - len(nxt.lstrip(" \t"))]


def apply_edit(text, fault, edit):
    op = edit["op"]
    if op == "replace":
        n = text.count(edit["find"])
        if n != 1:
            raise ValueError(f"{fault['id']}: replace text found {n} times")
        return text.replace(edit["find"], edit["with"])
    t = locate(text, fault["test"])
    if op == "done":
        # `() => {` becomes `async (done) => {`: a test that both takes `done` and returns a promise
        cb = t["cb"]
        params = cb.group(2) if cb.group(2) is not None else "(" + cb.group(4) + ")"
        if params not in ("()", "(done)"):
            raise ValueError(f"{fault['id']}: the test already takes {params}")
        a, b = cb.span()
        new = cb.group(0).replace("async", "").replace(params, "async (done)", 1)
        new = re.sub(r",\s*", ", ", new, count=1)
        return text[:a] + new + text[b:]
    if op == "sleep":
        # slow the test down past a per-test timeout added for it
        ind = body_indent(text, t)
        sleep = f"\n{ind}await new Promise((resolve) => setTimeout(resolve, {edit['ms']}));"
        text = text[: t["body_open"] + 1] + sleep + text[t["body_open"] + 1 :]
        text = text[: t["call_close"] + len(sleep)] + f", {edit['timeout']}" + text[t["call_close"] + len(sleep) :]
        return make_async(text, t)
    if op == "connect":
        # the test talks to a service that is not there
        ind = body_indent(text, t)
        load = f"\n{ind}const net = await import('node:net');" if edit["module"] == "import" else ""
        net = "require('node:net')" if edit["module"] == "require" else "net"
        code = (f"{load}\n{ind}await new Promise((resolve, reject) => {{\n"
                f"{ind}  const socket = {net}.connect(1, '127.0.0.1');\n"
                f"{ind}  socket.on('connect', () => {{ socket.end(); resolve(); }});\n"
                f"{ind}  socket.on('error', reject);\n"
                f"{ind}}});")
        text = text[: t["body_open"] + 1] + code + text[t["body_open"] + 1 :]
        return make_async(text, t)
    if op == "negate":
        # a real bug: the first matcher of the test asserts the opposite
        body = text[t["body_open"] : t["body_close"]]
        m = re.search(r"\)\.(to[A-Z]\w*)\(", body)
        if not m:
            raise ValueError(f"{fault['id']}: no matcher in the test")
        at = t["body_open"] + m.start() + 1
        return text[:at] + ".not" + text[at:]
    if op == "append":
        # a statement at the end of the test's body
        ind = body_indent(text, t)
        close = t["body_close"]
        line_start = text.rfind("\n", 0, close)
        return text[:line_start] + f"\n{ind}{edit['code']}" + text[line_start:]
    raise ValueError(f"unknown op {op}")


# ---------------------------------------------------------------- running


def sh(cmd, cwd, env=None, check=True):
    r = subprocess.run(cmd, cwd=cwd, env=env, shell=isinstance(cmd, str), capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{cmd} failed in {cwd}: {r.stderr[-2000:]}")
    return r


def suite_files(root, suite):
    files = sorted(os.path.relpath(p, root) for p in globmod.glob(os.path.join(root, suite["glob"]), recursive=True))
    return [f for f in files if f not in suite["exclude"]]


def run_suite(root, suite, files, env, scratch, as_dash=False):
    """Every test's status: {(file, full name): status}, and the wall time. `as_dash`: the
    flags dash passes (the project's coverage setting kept), for the runner-alone time."""
    out = os.path.join(scratch, "report.json")
    if os.path.exists(out):
        os.remove(out)
    if suite["runner"] == "jest":
        cmd = ["node", "node_modules/jest/bin/jest.js", "--ci", "--json", f"--outputFile={out}"]
        cmd += ["--testLocationInResults"] if as_dash else ["--coverage=false"]
    else:
        cmd = ["node", "node_modules/vitest/vitest.mjs", "run", "--reporter=json", f"--outputFile.json={out}"]
        cmd += ["--reporter=default", "--includeTaskLocation"] if as_dash else ["--coverage.enabled=false"]
    start = time.monotonic()
    subprocess.run(cmd + files, cwd=root, env=env, capture_output=True, text=True)
    wall = time.monotonic() - start
    statuses = {}
    report = json.load(open(out))
    for r in report["testResults"]:
        rel = os.path.relpath(r["name"], root)
        results = r["assertionResults"]
        if not results and r.get("status") == "failed":
            statuses[(rel, "<file>")] = "failed"
        for a in results:
            name = " > ".join(a.get("ancestorTitles", []) + [a["title"]])
            statuses[(rel, name)] = a["status"]
    return statuses, wall


def node_shim(scratch):
    """A `node` on PATH that logs when each run starts and ends (dash starts the runner as `node`)."""
    real = shutil.which("node")
    d = os.path.join(scratch, "shim")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "node")
    with open(path, "w") as f:
        # Only the runner's own start is timed (jest.js, vitest.mjs); every other `node` the
        # suite starts (a CLI under test, a signal test) runs as itself through exec, so
        # signals and exit codes reach it unchanged. A runner dash kills (hung past its
        # report) has no end line: its interval ends when dash does.
        f.write("#!/bin/sh\n"
                "case \"$*\" in\n"
                "  *jest/*bin/jest.js*|*vitest/*vitest.mjs*) ;;\n"
                f"  *) exec \"{real}\" \"$@\" ;;\n"
                "esac\n"
                "echo \"S $$ $(date +%s%N)\" >> \"$DASH_BENCH_NODE_LOG\"\n"
                f"\"{real}\" \"$@\"\n"
                "rc=$?\n"
                "echo \"E $$ $(date +%s%N)\" >> \"$DASH_BENCH_NODE_LOG\"\n"
                "exit $rc\n")
    os.chmod(path, 0o755)
    return d


def union_seconds(intervals):
    total, end = 0, None
    for s, e in sorted(intervals):
        if end is None or s > end:
            total += e - s
            end = e
        elif e > end:
            total += e - end
            end = e
    return total / 1e9


# ---------------------------------------------------------------- one suite


def bench_suite(name, suite, faults, args, scratch):
    root = os.path.join(args.src, name)
    if not os.path.isdir(root):
        sh(["git", "clone", "-q", suite["repo"], root], cwd=args.src)
        sh(["git", "checkout", "-q", suite["ref"]], cwd=root)
    if not os.path.isdir(os.path.join(root, "node_modules")):
        sh(suite["install"], cwd=root)
    # a clean tree: the pinned sources, nothing injected
    sh(["git", "checkout", "-q", "--", "."], cwd=root)
    sh(["git", "clean", "-fdq"], cwd=root)
    env = dict(os.environ, **suite["env"])
    files = suite_files(root, suite)

    # green check: two runs, anything that fails in either is red or flaky and excluded
    base1, _ = run_suite(root, suite, files, env, scratch)
    base2, _ = run_suite(root, suite, files, env, scratch)
    red = sorted(k for k in set(base1) | set(base2) if base1.get(k) == "failed" or base2.get(k) == "failed")
    _, alone = run_suite(root, suite, files, env, scratch, as_dash=True)

    # inject: one fault per test file
    seen = set()
    for f in faults:
        if f["file"] in seen:
            raise ValueError(f"two faults in {f['file']}")
        seen.add(f["file"])
        path = os.path.join(root, f["file"])
        text = open(path).read()
        for e in f["edits"]:
            text = apply_edit(text, f, e)
        open(path, "w").write(text)
        patch = sh(["git", "diff", "--", f["file"]], cwd=root).stdout
        os.makedirs(os.path.join(args.out, "patches"), exist_ok=True)
        open(os.path.join(args.out, "patches", f["id"] + ".patch"), "w").write(patch)
    injected_texts = {f["file"]: open(os.path.join(root, f["file"])).read() for f in faults}

    before, wall_before = run_suite(root, suite, files, env, scratch)

    # dash
    log = os.path.join(scratch, f"{name}.node.log")
    open(log, "w").close()
    dash_env = dict(env, PATH=node_shim(scratch) + os.pathsep + env["PATH"], DASH_BENCH_NODE_LOG=log)
    cmd = [args.dash, "test", "--fix", "--write", "--reruns", str(args.reruns), "--format", "json"]
    if suite["exclude"] or suite["runner"] == "vitest":
        cmd += ["--files"] + files
    start = time.monotonic()
    r = subprocess.run(cmd, cwd=root, env=dash_env, capture_output=True, text=True)
    dash_wall = time.monotonic() - start
    end_ns = time.time_ns()
    starts, ends = {}, {}
    for line in open(log):
        kind, pid, ns = line.split()
        (starts if kind == "S" else ends)[pid] = int(ns)
    intervals = [(s, ends.get(pid, end_ns)) for pid, s in starts.items()]
    runner_s = union_seconds(intervals)
    open(os.path.join(args.out, f"{name}.dash.json"), "w").write(r.stdout)
    open(os.path.join(args.out, f"{name}.dash.stderr"), "w").write(r.stderr)
    try:
        report = json.loads(r.stdout)
    except json.JSONDecodeError:
        report = {"failures": [], "repairs": []}
        print(f"{name}: dash wrote no JSON (exit {r.returncode}): {r.stderr[-1500:]}", file=sys.stderr)

    after, _ = run_suite(root, suite, files, env, scratch)
    diff = sh(["git", "diff", "--stat"], cwd=root).stdout
    open(os.path.join(args.out, f"{name}.after.diff"), "w").write(sh(["git", "diff"], cwd=root).stdout)

    rows = []
    for f in faults:
        broken = sorted(k for k, s in before.items()
                        if k[0] == f["file"] and s == "failed" and k not in red and base1.get(k) != "failed")
        # a file that could not load (`<file>`) is repaired when it loads and its tests pass
        file_tests = [k for k, st in after.items() if k[0] == f["file"] and k[1] != "<file>"]
        still = [k for k in broken
                 if (k[1] == "<file>" and (k in after or any(after[t] != "passed" for t in file_tests)))
                 or (k[1] != "<file>" and after.get(k) != "passed")]
        touched = open(os.path.join(root, f["file"])).read() != injected_texts[f["file"]]
        failures = [x for x in report.get("failures", []) if x.get("file") == f["file"]]
        classes = sorted({x["class"] for x in failures})
        repairs = [x for x in report.get("repairs", []) if x.get("file") == f["file"]]
        kept = [x["repair"] for x in repairs if x.get("kept")]
        reasons = [x.get("reason") for x in repairs if not x.get("kept") and x.get("reason")]
        if not reasons and failures and still:
            reasons = [f"{x['class']}: {x['reason']}" for x in failures[:1]]
        rows.append(dict(id=f["id"], suite=name, cls=f["class"], expect=f["expect"], file=f["file"],
                         broken=len(broken), still=len(still), dash_classes=classes, kept=kept,
                         reasons=reasons, touched=touched,
                         repaired=bool(broken) and not still and touched))
    # regressions: passed before dash ran, fail after (anywhere in the suite)
    regressions = sorted(k for k, s in before.items() if s == "passed" and after.get(k) not in ("passed", None))
    regressions += sorted(k for k in before if k not in after and k[1] != "<file>")
    return dict(suite=name, shape=suite["shape"], tests=len(base1), red=red, rows=rows,
                regressions=[list(k) for k in regressions], runner_alone_s=alone,
                dash_wall_s=dash_wall, dash_runner_s=runner_s, dash_runs=len(intervals),
                dash_exit=r.returncode, diffstat=diff)


# ---------------------------------------------------------------- report


def table(results):
    out = ["| suite | class | faults | broke a test | repaired | left (dash's reason) | env/assertion files touched |",
           "|---|---|---|---|---|---|---|"]
    for res in results:
        for row in res["rows"]:
            left = ""
            if row["still"]:
                why = "; ".join(row["reasons"]) or "no candidate"
                left = f"{row['still']} tests: {why}"
            touched = ""
            if row["expect"] == "leave":
                touched = "yes" if row["touched"] else "0"
            cls = row["cls"] + (" (mock factory)" if row["id"].endswith("mock-hoisting") else "")
            if row["broken"] == 0:
                verdict = "n/a: no test failed (latent)"
            elif row["repaired"]:
                verdict = "yes: " + ", ".join(row["kept"])
            else:
                verdict = "—" if row["expect"] == "leave" else "no"
            out.append(f"| {res['suite']} | {cls} | 1 | {row['broken']} | {verdict} | "
                       f"{left or '—'} | {touched or '—'} |")
    out.append("")
    out.append("| suite | shape | tests | red/flaky before | regressions | runner alone (s) | dash --fix wall (s) | runner inside dash (s, runs) | dash's own (s) |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for res in results:
        own = res["dash_wall_s"] - res["dash_runner_s"]
        out.append(f"| {res['suite']} | {res['shape']} | {res['tests']} | {len(res['red'])} | {len(res['regressions'])} | "
                   f"{res['runner_alone_s']:.1f} | {res['dash_wall_s']:.1f} | {res['dash_runner_s']:.1f} ({res['dash_runs']}) | {own:.1f} |")
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dash", required=True)
    p.add_argument("--src", required=True, help="folder of the suites' checkouts (cloned there when missing)")
    p.add_argument("--out", required=True)
    p.add_argument("--suites", nargs="*")
    p.add_argument("--reruns", type=int, default=3)
    args = p.parse_args()
    args.dash = os.path.abspath(args.dash)
    os.makedirs(args.out, exist_ok=True)
    cat = json.load(open(os.path.join(HERE, "catalogue.json")))
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, suite in cat["suites"].items():
            if args.suites and name not in args.suites:
                continue
            faults = [f for f in cat["faults"] if f["suite"] == name]
            res = bench_suite(name, suite, faults, args, scratch)
            results.append(res)
            print(f"{name}: done in {res['dash_wall_s']:.1f} s", file=sys.stderr)
    json.dump(results, open(os.path.join(args.out, "results.json"), "w"), indent=1)
    print(table(results))


if __name__ == "__main__":
    main()

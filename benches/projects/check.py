#!/usr/bin/env python3
"""Run a real repository's own checks before and after `dash fix --write`.

DESIGN §4: a change dash writes must leave the project exactly as healthy as before. This
harness measures that on a real checkout: the type-check error count per package, the
test results (every test's status, from the runner's JSON or TAP report) and whether the
program still starts (a server answers, a CLI prints the same output), once on the
untouched tree and once after `dash fix --write` with no dash.toml. Then it resets the
tree and, with `--verify`, runs `dash fix --write --verify` (the canary apply) and reports
what it promoted and what it rolled back.

    check.py SPEC.toml REPO_DIR [--dash PATH] [--runs 2] [--verify] [--out DIR] [--install]

SPEC.toml (one per repository, beside this script) names the repository, its commit, the
install command and the checks; see the committed specs. REPO_DIR must be a clean clone
at that commit with its dependencies installed (or pass --install). Prints one markdown
table row; the details (every command's output, the patch, the JSON summary) go to
--out (default: a fresh temporary directory, printed on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

TS_ERROR = re.compile(r"error TS\d+")
TAP_LINE = re.compile(r"^\s*(not ok|ok)\s+\d+\s*(?:-\s*)?(.*?)(\s+#\s*(SKIP|TODO).*)?$", re.I)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def sh(cmd: str, cwd: Path, env: dict | None = None, timeout: int = 1200) -> tuple[int, str, float]:
    """Run a shell command; return (exit code, stdout+stderr, seconds). A timeout is rc 124."""
    start = time.monotonic()
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.Popen(
        cmd, shell=True, cwd=cwd, env=full_env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, _ = proc.communicate()
        rc = 124
    return rc, out.decode("utf-8", "replace"), time.monotonic() - start


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# ---------------------------------------------------------------- test reports


def parse_jest_json(path: Path) -> dict[str, str]:
    """jest `--json --outputFile` and vitest `--reporter=json --outputFile` (same shape)."""
    data = json.loads(path.read_text())
    tests: dict[str, str] = {}
    for file_result in data.get("testResults", []):
        name = file_result.get("name") or file_result.get("testFilePath") or "?"
        rel = re.sub(r"^.*?/(?=(packages|apps|src|test|tests|lib|@commitlint)/)", "", name)
        results = file_result.get("assertionResults") or file_result.get("testResults") or []
        if not results and file_result.get("status") == "failed":
            tests[f"{rel} (file)"] = "failed"
        for a in results:
            title = a.get("fullName") or " ".join(a.get("ancestorTitles", []) + [a.get("title", "")])
            status = a.get("status", "?")
            key, i = f"{rel} :: {title}", 2
            while key in tests:  # same title twice in a file: keep both
                key, i = f"{rel} :: {title} [{i}]", i + 1
            tests[key] = {"pending": "skipped", "todo": "skipped", "disabled": "skipped"}.get(status, status)
    return tests


def parse_mocha_json(path: Path) -> dict[str, str]:
    data = json.loads(path.read_text())
    tests: dict[str, str] = {}
    for key, status in (("passes", "passed"), ("failures", "failed"), ("pending", "skipped")):
        for t in data.get(key, []):
            tests[f"{t.get('file', '')} :: {t.get('fullTitle', t.get('title'))}"] = status
    return tests


def parse_tap(text: str) -> dict[str, str]:
    tests: dict[str, str] = {}
    for line in text.splitlines():
        m = TAP_LINE.match(line)
        if not m:
            continue
        name = m.group(2).strip() or f"#{len(tests)}"
        if m.group(4):
            status = "skipped"
        else:
            status = "passed" if m.group(1).lower() == "ok" else "failed"
        key, i = name, 2
        while key in tests:
            key, i = f"{name} [{i}]", i + 1
        tests[key] = status
    return tests


def run_test(check: dict, repo: Path, work: Path, tag: str) -> dict:
    report = work / f"report-{tag}-{check['name']}.json".replace("/", "_")
    if report.exists():
        report.unlink()
    cmd = check["cmd"].replace("{report}", str(report))
    rc, out, secs = sh(cmd, repo / check.get("cwd", "."), check.get("env"), check.get("timeout", 1200))
    (work / f"test-{tag}-{check['name']}.log".replace("/", "_")).write_text(out)
    fmt = check.get("format", "jest")
    tests: dict[str, str] = {}
    error = None
    try:
        if fmt in ("jest", "vitest"):
            tests = parse_jest_json(report)
        elif fmt == "mocha":
            tests = parse_mocha_json(report)
        elif fmt == "tap":
            tests = parse_tap(out)
        elif fmt != "exit":
            error = f"unknown format {fmt}"
    except (OSError, ValueError) as e:
        error = f"no report: {e}"
    counts = {s: sum(1 for v in tests.values() if v == s) for s in ("passed", "failed", "skipped")}
    return {"rc": rc, "seconds": round(secs, 1), "tests": tests, "counts": counts, "error": error}


# ---------------------------------------------------------------- type-check and start


def run_typecheck(check: dict, repo: Path, work: Path, tag: str) -> dict:
    rc, out, secs = sh(check["cmd"], repo / check.get("cwd", "."), check.get("env"), check.get("timeout", 1200))
    (work / f"tsc-{tag}-{check['name']}.log".replace("/", "_")).write_text(out)
    errors = [line.strip() for line in out.splitlines() if TS_ERROR.search(line)]
    return {"rc": rc, "seconds": round(secs, 1), "errors": len(errors), "lines": errors[:200]}


def run_start(check: dict, repo: Path, work: Path, tag: str) -> dict:
    cwd = repo / check.get("cwd", ".")
    mode = check.get("mode", "exit")
    logfile = work / f"start-{tag}-{check['name']}.log".replace("/", "_")
    if mode == "exit":
        rc, out, secs = sh(check["cmd"], cwd, check.get("env"), check.get("timeout", 120))
        logfile.write_text(out)
        ok = rc == check.get("expect_rc", 0)
        return {"ok": ok, "rc": rc, "seconds": round(secs, 1), "output": out}
    # serve: start, poll the URL until it answers or the process dies or `wait` passes.
    env = {**os.environ, **check.get("env", {})}
    with open(logfile, "wb") as fh:
        proc = subprocess.Popen(check["cmd"], shell=True, cwd=cwd, env=env, stdout=fh,
                                stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + check.get("wait", 15)
        answered, status, body = False, None, ""
        while time.monotonic() < deadline and proc.poll() is None:
            if check.get("url"):
                try:
                    with urllib.request.urlopen(check["url"], timeout=2) as r:
                        answered, status, body = True, r.status, r.read(2000).decode("utf-8", "replace")
                except urllib.error.HTTPError as e:
                    answered, status = True, e.code
                except (urllib.error.URLError, OSError):
                    pass
                if answered:
                    break
            time.sleep(0.5)
        alive = proc.poll() is None
        kill_group(proc)
    out = logfile.read_text(errors="replace")
    ok = (answered and status == check.get("expect_status", status)) if check.get("url") else alive
    return {"ok": ok, "alive_at_end": alive, "answered": answered, "status": status,
            "body": body[:500], "output": out[-4000:]}


def run_checks(spec: dict, repo: Path, work: Path, tag: str) -> dict:
    result = {"typecheck": {}, "test": {}, "start": {}}
    for c in spec.get("typecheck", []):
        log(f"  [{tag}] typecheck {c['name']}")
        result["typecheck"][c["name"]] = run_typecheck(c, repo, work, tag)
    for c in spec.get("test", []):
        log(f"  [{tag}] test {c['name']}")
        result["test"][c["name"]] = run_test(c, repo, work, tag)
    for c in spec.get("start", []):
        log(f"  [{tag}] start {c['name']}")
        result["start"][c["name"]] = run_start(c, repo, work, tag)
    return result


# ---------------------------------------------------------------- dash


def dash_json(dash: str, args: str, repo: Path, work: Path, name: str) -> dict:
    rc, out, secs = sh(f"{dash} {args}", repo, timeout=3600)
    (work / f"dash-{name}.log").write_text(out)
    start = out.find("{")
    try:
        data = json.loads(out[start:]) if start >= 0 else {}
    except ValueError:
        # stderr lines after the JSON document: take the first complete document.
        try:
            data, _ = json.JSONDecoder().raw_decode(out[start:])
        except ValueError:
            data = {}
    return {"rc": rc, "seconds": round(secs, 1), "json": data, "output": out[-6000:]}


def console_counts(summary: dict) -> dict:
    judged = [j for j in summary.get("needsJudgement", []) if j.get("rule") == "console"]
    return {
        "rewritten": summary.get("rewritten", 0),
        "removed": summary.get("removed", 0),
        "judged": len(judged),
        "kept": summary.get("kept", 0),
        "refused": len(summary.get("refused", [])),
        "filesChanged": summary.get("filesChanged", 0),
        "filesCreated": summary.get("filesCreated", 0),
        "logger": summary.get("logger"),
    }


def reset(repo: Path) -> None:
    subprocess.run(["git", "checkout", "--", "."], cwd=repo, check=True)
    subprocess.run(["git", "clean", "-fdq"], cwd=repo, check=True)


def tree_state(repo: Path, work: Path, name: str) -> dict:
    stat = subprocess.run(["git", "diff", "--stat"], cwd=repo, capture_output=True, text=True).stdout
    patch = subprocess.run(["git", "diff"], cwd=repo, capture_output=True, text=True).stdout
    untracked = subprocess.run(["git", "ls-files", "--others", "--exclude-standard"], cwd=repo,
                               capture_output=True, text=True).stdout.split()
    (work / f"{name}.patch").write_text(patch)
    return {"stat": stat, "untracked": untracked}


# ---------------------------------------------------------------- comparison and row


def compare(before: dict, after: dict) -> dict:
    worse = []
    for name, b in before["typecheck"].items():
        a = after["typecheck"].get(name)
        if a and a["errors"] > b["errors"]:
            new = sorted(set(a["lines"]) - set(b["lines"]))
            worse.append({"check": f"typecheck {name}", "before": b["errors"], "after": a["errors"], "new": new[:30]})
    for name, b in before["test"].items():
        a = after["test"].get(name, {"tests": {}})
        lost = sorted(t for t, s in b["tests"].items() if s == "passed" and a["tests"].get(t) != "passed")
        if lost or (b["error"] is None and a.get("error")):
            worse.append({"check": f"test {name}", "lost": lost[:50], "lostCount": len(lost), "error": a.get("error")})
    for name, b in before["start"].items():
        if name not in after["start"]:
            continue  # dropped from the spec since the baseline was taken
        a = after["start"].get(name)
        if b["ok"] and not (a and a["ok"]):
            worse.append({"check": f"start {name}", "after": {k: a[k] for k in a if k != "output"} if a else None,
                          "output": (a or {}).get("output", "")[-2000:]})
        elif a and "rc" in b and b["ok"] and b["output"] != a["output"]:
            worse.append({"check": f"start {name}", "outputChanged": True})
    return {"worse": worse}


def fmt_tests(r: dict) -> str:
    c = r["counts"]
    if r.get("error") and not r["tests"]:
        return f"rc {r['rc']} (no report)"
    return f"{c['passed']}/{c['failed']}/{c['skipped']}"


def row(spec: dict, commit: str, counts: dict, before: dict, after: dict, cmp: dict) -> str:
    tc = "; ".join(f"{n} {before['typecheck'][n]['errors']}→{after['typecheck'][n]['errors']}" for n in before["typecheck"] if n in after["typecheck"]) or "—"
    ts = "; ".join(f"{n} {fmt_tests(before['test'][n])}→{fmt_tests(after['test'][n])}" for n in before["test"] if n in after["test"]) or "—"
    st = "; ".join(
        f"{n} {'ok' if before['start'][n]['ok'] else 'FAIL'}→{'ok' if after['start'][n]['ok'] else 'FAIL'}"
        + (" (output changed)" if any(w.get("outputChanged") and w["check"] == f"start {n}" for w in cmp["worse"]) else "")
        # A baseline may hold checks the spec no longer has: only those run both times.
        for n in before["start"] if n in after["start"]) or "—"
    verdict = "same" if not cmp["worse"] else "WORSE: " + ", ".join(w["check"] for w in cmp["worse"])
    return (f"| {spec['name']} | {commit[:10]} | {spec.get('shape', '')} | "
            f"{counts['rewritten']}/{counts['judged']}/{counts['kept']} (removed {counts['removed']}, refused {counts['refused']}) | "
            f"{tc} | {ts} | {st} | {verdict} |")


HEADER = ("| repo | commit | shape | rewritten/judged/kept | type errors before→after | "
          "tests pass/fail/skip before→after | starts before→after | verdict |\n|---|---|---|---|---|---|---|---|")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("spec", type=Path)
    ap.add_argument("repo", type=Path)
    ap.add_argument("--dash", default=shutil.which("dash") or "dash")
    ap.add_argument("--runs", type=int, default=1, help="baseline runs (2 finds flaky tests)")
    ap.add_argument("--verify", action="store_true", help="also run dash fix --write --verify")
    ap.add_argument("--install", action="store_true", help="run the spec's install command first")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--header", action="store_true", help="print the table header first")
    ap.add_argument("--baseline-only", action="store_true",
                    help="run only the baseline checks (--runs times) and write baseline.json to --out")
    ap.add_argument("--baseline", type=Path, help="reuse a baseline.json written by --baseline-only")
    args = ap.parse_args()

    spec = tomllib.loads(args.spec.read_text())
    repo = args.repo.resolve()
    dash = str(Path(args.dash).resolve()) if os.sep in args.dash else args.dash
    work = (args.out or Path(tempfile.mkdtemp(prefix=f"dash-check-{spec['name']}-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    log(f"details in {work}")
    timings: dict[str, float] = {}

    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()
    if spec.get("commit") and commit != spec["commit"]:
        log(f"warning: {repo} is at {commit}, the spec pins {spec['commit']}")
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout
    if dirty.strip():
        log(f"error: {repo} has uncommitted changes:\n{dirty}")
        return 2
    if (repo / "dash.toml").exists():
        log("error: the repository has a dash.toml; this harness measures the defaults")
        return 2

    if args.install:
        t = time.monotonic()
        rc, out, _ = sh(spec["install"], repo, timeout=3600)
        (work / "install.log").write_text(out)
        timings["install"] = round(time.monotonic() - t, 1)
        if rc != 0:
            log(f"error: install failed ({rc}), see {work}/install.log")
            return 2
    if spec.get("setup"):
        sh(spec["setup"], repo)

    baselines = []
    if args.baseline:
        saved = json.loads(args.baseline.read_text())
        if saved["commit"] != commit:
            log(f"error: {args.baseline} is for {saved['commit']}, the tree is at {commit}")
            return 2
        baselines, timings = saved["baselines"], saved["timings"]
    for i in range(0 if args.baseline else args.runs):
        t = time.monotonic()
        baselines.append(run_checks(spec, repo, work, f"before{i + 1}"))
        timings[f"checks-before{i + 1}"] = round(time.monotonic() - t, 1)
    if args.baseline_only:
        (work / "baseline.json").write_text(json.dumps({"commit": commit, "baselines": baselines, "timings": timings}))
        for name, r in baselines[0]["test"].items():
            log(f"test {name}: " + " | ".join(fmt_tests(b["test"][name]) for b in baselines))
        for name, r in baselines[0]["typecheck"].items():
            log(f"typecheck {name}: " + " | ".join(str(b["typecheck"][name]["errors"]) for b in baselines))
        for name, r in baselines[0]["start"].items():
            log(f"start {name}: " + " | ".join(str(b["start"][name]["ok"]) for b in baselines))
        log(f"timings: {timings}")
        return 0
    before = baselines[0]
    flaky = {}
    for other in baselines[1:]:
        for name, r in before["test"].items():
            o = other["test"].get(name, {"tests": {}})["tests"]
            diff = sorted(t for t, s in r["tests"].items() if o.get(t) != s)
            if diff:
                flaky[name] = diff
    if flaky:
        log(f"flaky between baseline runs: {json.dumps(flaky)[:2000]}")

    t = time.monotonic()
    preview = dash_json(dash, "fix --format json", repo, work, "preview")
    write = dash_json(dash, "fix --write --format json", repo, work, "write")
    timings["dash-write"] = round(time.monotonic() - t, 1)
    counts = console_counts(write["json"] or preview["json"])
    state = tree_state(repo, work, "write")
    t = time.monotonic()
    after = run_checks(spec, repo, work, "after")
    timings["checks-after"] = round(time.monotonic() - t, 1)
    reset(repo)
    if spec.get("setup"):
        sh(spec["setup"], repo)
    cmp = compare(before, after)
    # a test that was flaky in the baseline is not a regression of dash's
    for w in cmp["worse"]:
        if w.get("lost"):
            flaky_here = set(flaky.get(w["check"].removeprefix("test "), []))
            w["lost"] = [x for x in w["lost"] if x not in flaky_here]
            w["lostCount"] = len(w["lost"])
    cmp["worse"] = [w for w in cmp["worse"] if not ("lost" in w and not w["lost"] and not w.get("error"))]

    verify = None
    if args.verify:
        t = time.monotonic()
        verify = dash_json(dash, "fix --write --verify --format json", repo, work, "verify")
        verify["tree"] = tree_state(repo, work, "verify")
        timings["dash-verify"] = round(time.monotonic() - t, 1)
        reset(repo)
        if spec.get("setup"):
            sh(spec["setup"], repo)

    result = {
        "spec": spec, "commit": commit, "counts": counts, "dashExit": {"preview": preview["rc"], "write": write["rc"]},
        "tree": state, "before": before, "after": after, "flaky": flaky, "compare": cmp,
        "verify": verify, "timings": timings,
    }
    for r in [before, after] + baselines[1:]:
        for t in r["test"].values():
            t["testCount"] = len(t["tests"])
    (work / "result.json").write_text(json.dumps(result, indent=1, default=str))
    if args.header:
        print(HEADER)
    print(row(spec, commit, counts, before, after, cmp))
    log(f"timings: {timings}")
    if cmp["worse"]:
        log(json.dumps(cmp["worse"], indent=1)[:6000])
    return 1 if cmp["worse"] else 0


if __name__ == "__main__":
    sys.exit(main())

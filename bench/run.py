#!/usr/bin/env python
# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of neon_ops.neon.neon_project_transfer against the naive script, side by side (make bench).

For every size N, job shape and injected latency it starts a fresh in-process emulator, runs the REAL module
through ansible-playbook (first run, then the idempotent rerun), then does the same job with
bench/baseline_naive.py against a second fresh emulator. It reports requests sent, the lower bound, wall time,
the module's peak RSS, the critical path, the busiest 1 s / 60 s windows and the 429s, checks the targets,
merges the results into bench/results/results.json and writes docs/benchmarks.md and docs/benchmarks.png.

    bench/run.py                  N = 100, 1,000, 10,000 (make bench)
    bench/run.py --big            N = 100,000, and 50,000 for the handful shapes (make bench-big)
    bench/run.py --sizes 1000 --shapes all,mixed --latencies 30 --baseline-budget 20

Run through make (it sets PYTHONPATH and ANSIBLE_COLLECTIONS_PATH). Results of earlier runs are kept and
merged by (implementation, shape, N, latency, phase), so `make bench` then `make bench-big` documents all sizes.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "emulator"))

from neon_emulator import Emulator  # noqa: E402

COLLECTIONS = os.path.join(ROOT, ".build", "collections")
RESULTS = os.path.join(HERE, "results", "results.json")
DOC_MD = os.path.join(ROOT, "docs", "benchmarks.md")
DOC_PNG = os.path.join(ROOT, "docs", "benchmarks.png")
MODULE = "neon_ops.neon.neon_project_transfer"

PAGE = 400          # GET /projects limit and transfer batch cap
KEY = "bench0personal0key0a1s2d3f4g5h6j7k8l9q0w1e2r3t4y5u6i7o8p9z0x1c2v"
USER = "ada@example.com"
DEST = "org-dest-0000001"
SRC = "org-src-00000001"
SPREAD = ["org-src-0000000%d" % i for i in range(1, 6)]
HANDFUL = 5
CODE_VERSION = None
WINDOW_CARRY = False    # --back-to-back: the rerun shares the emulator's rate-limit window with the first run

SHAPES = ("all", "explicit", "mixed", "handful-known", "handful-unknown", "spread5")
EXTRA_SHAPES = ("explicit-csv",)    # only when asked for with --shapes
SHAPE_TEXT = {
    "all": "all_projects of a source org of N",
    "explicit": "explicit list of N ids, source known",
    "mixed": "explicit list of N ids, N/2 already in the destination",
    "handful-known": "5 ids out of an org of N, source known",
    "handful-unknown": "5 ids out of an org of N, source not given",
    "spread5": "N ids spread over 5 source orgs, source not given",
    "explicit-csv": "as explicit, the ids passed as one comma-separated string (type: list splits it)",
}
DEFAULT_SIZES = (100, 1000, 10000)
BIG_SIZES = (50000, 100000)
BIG_ONLY_HANDFUL = 50000        # the 50,000-project org of the issue, for the handful shapes only


# ---------------------------------------------------------------------------------------------------------
# scenarios and jobs


def _scenario(orgs, generate):
    return {
        "settings": {"rate_limit": True},
        "plans": {"scale": {"tier": 2, "projects_limit": 1000000}},
        "users": [{"email": USER, "name": "Ada"}],
        "orgs": [{"id": org, "name": org, "plan": "scale", "members": [{"user": USER, "role": "admin"}]}
                 for org in orgs],
        "api_keys": [{"key": KEY, "kind": "personal", "user": USER}],
        "generate": generate,
    }


def make_job(shape, n):
    """-> dict: scenario, module params, ids (or None), the naive script's arguments, expected ids in DEST."""
    if shape == "explicit-csv":
        return dict(make_job("explicit", n), csv=True)
    if shape in ("all", "explicit"):
        scenario = _scenario([SRC, DEST], [{"org": SRC, "count": n, "prefix": "p"}])
        ids = ["p-%06d" % i for i in range(1, n + 1)]
        if shape == "all":
            params = {"source_org_id": SRC, "org_id": DEST, "all_projects": True}
            return dict(scenario=scenario, params=params, ids=None, expected=ids,
                        naive=["--source", SRC, "--all"])
        params = {"source_org_id": SRC, "org_id": DEST}
        return dict(scenario=scenario, params=params, ids=ids, expected=ids, naive=["--source", SRC])
    if shape == "mixed":
        half = n // 2
        scenario = _scenario([SRC, DEST], [{"org": SRC, "count": n - half, "prefix": "p"},
                                           {"org": DEST, "count": half, "prefix": "p", "start": n - half + 1}])
        ids = ["p-%06d" % i for i in range(1, n + 1)]
        params = {"source_org_id": SRC, "org_id": DEST}
        return dict(scenario=scenario, params=params, ids=ids, expected=ids, naive=["--source", SRC])
    if shape in ("handful-known", "handful-unknown"):
        scenario = _scenario([SRC, DEST], [{"org": SRC, "count": n, "prefix": "p"}])
        ids = ["p-%06d" % (1 + (n * (2 * i + 1)) // (2 * HANDFUL)) for i in range(HANDFUL)]
        if shape == "handful-known":
            params = {"source_org_id": SRC, "org_id": DEST}
            naive = ["--source", SRC]
        else:
            params = {"org_id": DEST}
            naive = []
        return dict(scenario=scenario, params=params, ids=ids, expected=ids, naive=naive)
    if shape == "spread5":
        per = n // len(SPREAD)
        generate = [{"org": org, "count": per, "prefix": "s%d" % (i + 1)} for i, org in enumerate(SPREAD)]
        scenario = _scenario(SPREAD + [DEST], generate)
        ids = ["s%d-%06d" % (i + 1, j) for i in range(len(SPREAD)) for j in range(1, per + 1)]
        params = {"org_id": DEST}
        return dict(scenario=scenario, params=params, ids=ids, expected=ids, naive=[])
    raise ValueError(shape)


def lower_bound(owners_before, requested, all_of=None):
    """The fewest requests that can do the job, organization lookups left out.

    For each organization holding requested projects: the cheaper of listing it (ceil((size+1)/400) pages: the
    +1 because a full last page needs one more request to know it was the last) and reading its requested
    projects one by one; plus ceil(m/400) transfers per source. ``all_of``: every project of that org is
    requested (all_projects), which can only be known by listing it.
    """
    sizes, held = {}, {}
    for pid, owner in owners_before.items():
        sizes[owner] = sizes.get(owner, 0) + 1
    if all_of is not None:
        requested = [pid for pid, owner in owners_before.items() if owner == all_of]
        reads = math.ceil((sizes.get(all_of, 0) + 1) / PAGE)
        moves = math.ceil(len(requested) / PAGE)
        return reads + moves
    for pid in requested:
        owner = owners_before.get(pid)
        held.setdefault(owner, []).append(pid)
    reads = moves = 0
    for owner, pids in held.items():
        reads += min(math.ceil((sizes.get(owner, 0) + 1) / PAGE), len(pids))
        if owner != DEST:
            moves += math.ceil(len(pids) / PAGE)
    return reads + moves


def naive_expected(owners_before, job):
    """Requests the naive script sends on this state (it is deterministic), as baseline_naive.py decides them."""
    args = job["naive"]
    given = [args[i + 1] for i, a in enumerate(args) if a == "--source"]
    sizes = {}
    for owner in owners_before.values():
        sizes[owner] = sizes.get(owner, 0) + 1
    sources = given or sorted(o for o in job["scenario_orgs"] if o != DEST)
    lists = sum(math.ceil(sizes.get(org, 0) / 10) + 1 for org in sources)
    groups = {}
    if "--all" in args:
        for owner in owners_before.values():
            if owner in sources:
                groups[owner] = groups.get(owner, 0) + 1
    else:
        for pid in job["ids"]:
            owner = owners_before.get(pid)
            org = owner if owner in sources else (given[0] if len(given) == 1 else None)
            if org is not None:
                groups[org] = groups.get(org, 0) + 1
    posts = sum(math.ceil(k / PAGE) for k in groups.values())
    return (0 if given else 1) + lists + posts


# ---------------------------------------------------------------------------------------------------------
# the request log


def log_stats(log):
    starts = sorted(e["start"] for e in log)
    out = {"requests": len(log), "n429": sum(1 for e in log if e["status"] == 429),
           "writes": sum(1 for e in log if e["method"] == "POST"),
           "list_pages": sum(1 for e in log if e["path"].endswith("/projects") and e["method"] == "GET"
                             and "search" not in (e.get("query") or {})),
           # pages past the first of a listing: a handful of ids must never follow a cursor
           "next_pages": sum(1 for e in log if e["path"].endswith("/projects") and "cursor" in (e.get("query") or {})),
           "searches": sum(1 for e in log if e["path"].endswith("/projects") and "search" in (e.get("query") or {})),
           "project_gets": sum(1 for e in log if e["method"] == "GET" and "/projects/" in e["path"])}
    for width, name in ((1.0, "max_1s"), (60.0, "max_60s")):
        best, j = 0, 0
        for i, t in enumerate(starts):
            while starts[j] <= t - width:
                j += 1
            best = max(best, i - j + 1)
        out[name] = best
    # Critical path: the most requests that had to follow one another (pairwise disjoint in time), found by
    # the greedy earliest-end rule. Requests that overlapped count once.
    chain, last_end, served = 0, -1.0, 0.0
    for entry in sorted(log, key=lambda e: e["end"]):
        if entry["start"] >= last_end:
            chain += 1
            last_end = entry["end"]
            served += entry["end"] - entry["start"]
    out["critical_path"] = chain
    # The emulator's own time on that chain (injected latency, then its work): what is left of the span is the
    # module's, between an answer and the next request.
    out["chain_served"] = served
    out["request_span"] = (max(e["end"] for e in log) - min(e["start"] for e in log)) if log else 0.0
    out["emulator_time"] = sum(e["end"] - e["start"] for e in log)
    return out


# ---------------------------------------------------------------------------------------------------------
# running the module through ansible-playbook


class Ansible:
    def __init__(self, workdir):
        self.workdir = workdir
        self.capture = os.path.join(workdir, "capture")
        os.makedirs(self.capture, exist_ok=True)
        self.interp = os.path.join(workdir, "python")
        with open(self.interp, "w") as handle:
            handle.write("#!/bin/sh\nexec %s %s \"$@\"\n" % (sys.executable, os.path.join(HERE, "_interp.py")))
        os.chmod(self.interp, 0o755)
        self.playbook_bin = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
        home = os.path.join(ROOT, ".build", "bench-ansible-home")
        self.env = dict(os.environ)
        self.env.update({
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
            "ANSIBLE_PYTHON_INTERPRETER": self.interp,
            "ANSIBLE_HOME": home,
            "ANSIBLE_LOCAL_TEMP": os.path.join(home, "tmp"),
            "BENCH_REAL_PYTHON": sys.executable,
            "BENCH_CAPTURE_DIR": self.capture,
        })
        self.env.pop("NEON_API_KEY", None)
        self.env.pop("NEON_API_URL", None)

    def run(self, params, ids=None, csv=False):
        """Run one task of the module; -> (wall seconds, module record from _interp, module result, process)."""
        for name in os.listdir(self.capture):
            os.unlink(os.path.join(self.capture, name))
        play = {"hosts": "localhost", "gather_facts": False, "tasks": [
            {"name": "Transfer", MODULE: dict(params), "ignore_errors": True}]}
        if ids is not None:
            ids_file = os.path.join(self.workdir, "ids.json")
            with open(ids_file, "w") as handle:
                json.dump({"bench_ids": ",".join(ids) if csv else ids}, handle)
            play["vars_files"] = [ids_file]
            play["tasks"][0][MODULE]["projects"] = "{{ bench_ids }}"
        book = os.path.join(self.workdir, "play.json")
        with open(book, "w") as handle:
            json.dump([play], handle)  # JSON is YAML, and the fastest to load
        cmd = [self.playbook_bin, "-i", "localhost,", "-c", "local", book]
        started = time.monotonic()
        proc = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=3600, cwd=ROOT,
                              check=False)
        wall = time.monotonic() - started
        records = []
        for name in os.listdir(self.capture):
            if name.endswith(".json"):
                with open(os.path.join(self.capture, name)) as handle:
                    record = json.load(handle)
                if any("AnsiballZ_neon_project_transfer" in a for a in record["argv"]):
                    with open(os.path.join(self.capture, name[:-5] + ".out"), "rb") as handle:
                        record["result"] = _module_json(handle.read())
                    records.append(record)
        if len(records) != 1:
            raise RuntimeError("expected one module process, found %d\n%s\n%s" % (len(records), proc.stdout,
                                                                                  proc.stderr))
        return wall, records[0], proc


def _module_json(raw):
    text = raw.decode("utf-8", "replace")
    start = text.find("{")
    try:
        return json.loads(text[start:])
    except ValueError:
        return {"unparsable": text[:500]}


def measure_fixed(ansible, emu, repeat=5):
    """Fixed start-up of ansible-playbook + module: a run the module ends before any request (batch_size 0)."""
    walls, module = [], []
    for _attempt in range(repeat):
        emu.reset_log()
        params = {"api_key": KEY, "api_url": emu.api_url, "org_id": DEST, "projects": ["p-000001"],
                  "batch_size": 0}
        wall, record, _proc = ansible.run(params)
        assert not emu.request_log and record["result"].get("failed"), record["result"]
        walls.append(wall)
        module.append(record["elapsed"])
    return {"wall": statistics.median(walls), "module_wall": statistics.median(module),
            "walls": walls, "rss_kb": record["maxrss_kb"], "load": _load()}


@contextlib.contextmanager
def _bench_emulator(scenario, latency):
    """A fresh emulator as the bench needs it: warm (a server that has served before: the bench measures the
    module, not first renderings), and out of the garbage collector, since a full collection of a 100,000-project
    emulator pauses its answers for ~50 ms, which would be charged to the module."""
    emu = Emulator(scenario, latency_ms=latency).start()
    try:
        emu.warm()
        gc.collect()
        gc.freeze()
        yield emu
    finally:
        emu.stop()
        gc.unfreeze()


def run_ours(job, n, shape, latency, fixed, ansible):
    with _bench_emulator(job["scenario"], latency) as emu:
        rows = []
        params = dict(job["params"], api_key=KEY, api_url=emu.api_url, skip_blocked=False)
        for phase in ("first", "rerun"):
            owners = emu.ownership()
            lb = lower_bound(owners, job["ids"], all_of=SRC if job["ids"] is None else None)
            emu.reset_log()
            if phase == "rerun" and not WINDOW_CARRY:
                # A fresh rate-limit window, as if a minute had passed: two runs at 100,000 back to back need
                # more than Neon's 700 requests a minute together (see --back-to-back).
                emu.limiter.reset()
            wall, record, proc = ansible.run(params, job["ids"], job.get("csv", False))
            log = emu.request_log
            stats = log_stats(log)
            result = record["result"]
            after = emu.ownership()
            ok = all(after.get(pid) == DEST for pid in job["expected"]) and not result.get("failed")
            if phase == "rerun":
                ok = ok and stats["writes"] == 0 and result.get("changed") is False
            row = dict(impl="ours", shape=shape, n=n, latency=latency, phase=phase, lb=lb, wall=wall,
                       fixed=fixed, module_wall=record["elapsed"], module_cpu=record["utime"] + record["stime"],
                       rss_mb=record["maxrss_kb"] / 1024.0, result_bytes=record["stdout_bytes"], ok=ok,
                       api_requests=result.get("api_requests"), msg=(result.get("msg") or "")[:200],
                       estimated=False, load=_load(), code=CODE_VERSION, **stats)
            if not ok:
                row["error"] = (result.get("msg") or proc.stdout[-2000:])[:500]
            rows.append(row)
            _progress(row)
    return rows


def run_naive(job, n, shape, latency, budget, workdir):
    scenario = dict(job["scenario"], settings={"rate_limit": False})
    with _bench_emulator(scenario, latency) as emu:
        job = dict(job, scenario_orgs=[o["id"] for o in scenario["orgs"]])
        rows = []
        # Started through _interp.py like the module: ru_maxrss of a child that was (v)forked from this big bench
        # process would report this process's resident set, copied at the fork, instead of the script's own.
        capture = os.path.join(workdir, "naive-capture")
        os.makedirs(capture, exist_ok=True)
        args = [sys.executable, os.path.join(HERE, "_interp.py"), os.path.join(HERE, "baseline_naive.py"),
                "--api-url", emu.api_url, "--dest", DEST]
        args += job["naive"]
        if job["ids"] is not None:
            ids_file = os.path.join(workdir, "naive-ids.txt")
            with open(ids_file, "w") as handle:
                handle.write("\n".join(job["ids"]) + "\n")
            args += ["--ids-file", ids_file]
        report_file = os.path.join(workdir, "naive-report.json")
        if budget:
            args += ["--deadline", str(budget)]
        args += ["--report", report_file]
        env = dict(os.environ, NEON_API_KEY=KEY, BENCH_REAL_PYTHON=sys.executable, BENCH_CAPTURE_DIR=capture)
        for phase in ("first", "rerun"):
            owners = emu.ownership()
            lb = lower_bound(owners, job["ids"], all_of=SRC if job["ids"] is None else None)
            expected_requests = naive_expected(owners, job)
            emu.reset_log()
            started = time.monotonic()
            for name in os.listdir(capture):
                os.unlink(os.path.join(capture, name))
            with open(os.path.join(workdir, "naive-stderr.txt"), "w+") as errors:
                proc = subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=errors, check=False)
                wall = time.monotonic() - started
                errors.seek(0)
                if proc.returncode:
                    raise RuntimeError("baseline_naive.py failed:\n" + errors.read()[-3000:])
            records = [name for name in os.listdir(capture) if name.endswith(".json")]
            with open(os.path.join(capture, records[0])) as handle:
                maxrss_kb = json.load(handle)["maxrss_kb"]
            with open(report_file) as handle:
                report = json.load(handle)
            log = emu.request_log
            stats = log_stats(log)
            row = dict(impl="naive", shape=shape, n=n, latency=latency, phase=phase, lb=lb, wall=wall,
                       rss_mb=maxrss_kb / 1024.0, estimated=report["stopped"],
                       failed_batches=report["failed_batches"], post_status=report["post_status"],
                       transferred=report["transferred"], expected_requests=expected_requests, load=_load(),
                       **stats)
            if report["stopped"]:
                # Stopped by the time budget (before any write): the request count is computed exactly from
                # the state (the script is deterministic), the time extrapolated at the rate it had.
                row["done_requests"] = stats["requests"]
                row["done_wall"] = wall
                row["requests"] = expected_requests
                row["wall"] = wall * expected_requests / max(1, stats["requests"])
                row["max_60s"] = None
                # Apply what it would have done directly, so that the rerun starts from the state it would
                # have left (a batch holding an id that is not in its source is refused whole, as by Neon).
                _apply_naive(emu, job, owners)
            else:
                counts = (stats["requests"], report["requests"], expected_requests)
                assert counts[0] == counts[1] == counts[2], counts
            after = emu.ownership()
            row["ok"] = all(after.get(pid) == DEST for pid in job["expected"])
            rows.append(row)
            _progress(row)
    return rows


def _apply_naive(emu, job, owners):
    args = job["naive"]
    sources = [args[i + 1] for i, a in enumerate(args) if a == "--source"]
    groups = {}
    if "--all" in args:
        for pid in sorted(owners):
            if owners[pid] in sources:
                groups.setdefault(owners[pid], []).append(pid)
    else:
        for pid in job["ids"]:
            owner = owners.get(pid)
            org = sources[0] if len(sources) == 1 else (owner if owner != DEST else None)
            if org is not None:
                groups.setdefault(org, []).append(pid)
    with emu.state.lock:
        for org, pids in groups.items():
            for i in range(0, len(pids), PAGE):
                batch = pids[i:i + PAGE]
                if all(emu.state.projects[pid].org_id == org for pid in batch):
                    for pid in batch:
                        emu.state.move(pid, DEST)


def _code_version():
    """A short hash of the module code measured (the tree may hold uncommitted edits)."""
    import hashlib
    digest = hashlib.sha1()
    for rel in ("plugins/module_utils/_client.py", "plugins/module_utils/_transfer.py",
                "plugins/module_utils/_planner.py", "plugins/modules/neon_project_transfer.py"):
        path = os.path.join(COLLECTIONS, "ansible_collections", "neon_ops", "neon", rel)
        with open(path, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()[:10]


def _git_state():
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "plugins"], capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" + uncommitted edits in plugins/" if dirty else "")


def _load():
    return round(os.getloadavg()[0], 2)


def _progress(row):
    est = "~" if row.get("estimated") else ""
    print("  %-5s %-15s N=%-6d %2dms %-5s requests %s%-6d (lb %d) wall %s%.2fs rss %s %s%s" % (
        row["impl"], row["shape"], row["n"], row["latency"], row["phase"], est, row["requests"], row["lb"], est,
        row["wall"], "%.0fMB" % row["rss_mb"] if row.get("rss_mb") else "-", "" if row["ok"] else "NOT OK ",
        ("429s=%d" % row["n429"]) if row.get("n429") else ""), flush=True)


# ---------------------------------------------------------------------------------------------------------
# report


def target_checks(row, fixed, fixed_module=None):
    """-> {name: True/False/None} for one run of ours."""
    checks = {"requests": row["requests"] <= row["lb"] + 2, "rss": row["rss_mb"] < 150, "no429": row["n429"] == 0,
              "rate": row["max_1s"] <= 40 and row["max_60s"] <= 700}
    if row["latency"]:
        budget = 1.1 * row["critical_path"] * row["latency"] / 1000.0
        checks["time"] = row["wall"] <= budget + row.get("fixed", fixed)
        checks["api"] = row["request_span"] <= budget
        # The module's own process, start to exit: free of ansible-playbook's run-to-run noise (+-0.3 s here).
        checks["module"] = (row["module_wall"] <= budget + fixed_module
                            if fixed_module is not None and row.get("module_wall") is not None else None)
    else:
        checks["time"] = checks["api"] = checks["module"] = None
    if row["shape"].startswith("handful"):
        checks["handful"] = row.get("next_pages", row["list_pages"]) == 0 and row["requests"] <= 4 * HANDFUL
    return checks


def fmt_time(value, est=False):
    if value is None:
        return "-"
    text = "%.2f s" % value if value < 100 else "%.0f s" % value
    return ("~" + text + " (est.)") if est else text


def fmt_n(value):
    return "{:,}".format(value)


def write_markdown(results, fixed_by_run, path):
    rows = results["rows"]
    fixed = results["fixed"]
    ours = {(r["shape"], r["n"], r["latency"], r["phase"]): r for r in rows if r["impl"] == "ours"}
    naive = {(r["shape"], r["n"], r["latency"], r["phase"]): r for r in rows if r["impl"] == "naive"}
    order = SHAPES + EXTRA_SHAPES
    keys = sorted(ours, key=lambda k: (order.index(k[0]), k[1], k[2], k[3] != "first"))
    lines = [
        "# Benchmarks: neon_project_transfer vs the naive script",
        "",
        "Generated by `bench/run.py` (`make bench`: N = 100 to 10,000; `make bench-big`: 50,000 and 100,000). "
        "Do not edit by hand: rerun the bench. Every number below comes from a run on this machine "
        "(%s, %d cores); numbers marked *est.* are estimates, explained below." % (
            results.get("machine", "?"), os.cpu_count() or 0),
        "",
        "Module code measured (sha1 of _client.py, _transfer.py, _planner.py and the module, from a snapshot "
        "of the tree taken when the bench started): %s." % (", ".join(
            "`%s` (%s)" % (k, v) for k, v in sorted((results.get("code") or {}).items())
            if any(r.get("code") == k for r in rows)) or "not recorded"),
        "",
        "How it runs: a fresh in-process emulator per job (`rate_limit: true` for the module, so any 429 would "
        "show), the real module through `ansible-playbook -i localhost, -c local` (first run, then the "
        "idempotent rerun on the resulting state), then `bench/baseline_naive.py` (the script of Neon's old docs "
        "page: pages of 10, sequential, no keep-alive, every requested id re-posted every run) against a second "
        "fresh emulator without rate limiting (with it, the naive script dies on the first 429 past 700 "
        "requests a minute).",
        "",
        "- **requests**: Neon API requests the emulator received (the module's own `api_requests` agrees).",
        "- **lower bound (lb)**: per organization holding requested projects, the cheaper of listing it "
        "(ceil((size+1)/400) pages) and reading its requested projects one by one; plus ceil(m/400) transfers "
        "per source. Organization lookups (`GET /users/me/organizations`, `GET /organizations/{id}`) are not in "
        "it: the target is requests <= lb + 2. It is an oracle's bound: it knows each organization's size "
        "before reading anything, which the module cannot.",
        "- **wall**: the whole `ansible-playbook` run (or the whole script). **fixed**: the median wall of a "
        "module run that ends before any request (%s; module process alone %s): ansible-playbook start-up, "
        "module packaging and Python imports." % (fmt_time(fixed["wall"]), fmt_time(fixed["module_wall"])),
        "- **cp**: critical path, the most requests that had to follow one another (pairwise disjoint in time "
        "in the emulator's log); time target at 30 ms: wall <= 1.1 x cp x 30 ms + fixed. The module process column "
        "applies the same target to the module's own process (start to exit, against its own fixed start-up), "
        "which leaves out ansible-playbook's run-to-run noise. The API phase column "
        "splits the span per cp request into the emulator's time (from receiving the request to writing its "
        "answer: the injected latency, then its own work) and the module's (from there to its next request: "
        "the answer's transfer, reading and decoding it where it cannot overlap, and sending the next request).",
        "- **RSS**: peak resident set of the module's own process (ru_maxrss from os.wait4 on the Python "
        "process ansible starts for the module, through a pass-through interpreter, bench/_interp.py; "
        "ansible-playbook and its workers are not counted). The naive script is started through the same wrapper: "
        "the peak of a child (v)forked straight from the bench process would include the bench's own resident set.",
        "- **handful**: 5 ids never cost a listing: no page past the first of any organization (no request "
        "with a cursor), and at most 4 requests per id.",
        "- **1s/60s**: the most requests the emulator received in any 1 s / 60 s window (Neon: 40/s per route, "
        "700/min).",
        "- *est.*: the naive run was stopped by its time budget (`--baseline-budget`) before its first write. "
        "Its request count is then computed exactly from the state (the script is deterministic: "
        "ceil(size/10)+1 pages per organization listed, ceil(m/400) posts), and its time extrapolated at the "
        "request rate it had; the bench then applied its outcome to the emulator so the rerun starts from the "
        "same state.",
        "",
    ]
    # headline: 30 ms latency (else whatever latency exists), first runs and reruns
    lat = 30 if any(k[2] == 30 for k in keys) else (keys[0][2] if keys else 0)
    lines += ["## Headline (%d ms latency per request)" % lat, "",
              "| job | N | run | requests ours / lb / naive | wall ours / naive | RSS ours / naive | "
              "naive failed batches |",
              "|---|---:|---|---|---|---|---:|"]
    for key in keys:
        if key[2] != lat:
            continue
        o = ours[key]
        b = naive.get(key)
        lines.append("| %s | %s | %s | **%s** / %s / %s | **%s** / %s | %.0f / %s MB | %s |" % (
            key[0], fmt_n(key[1]), key[3], fmt_n(o["requests"]), fmt_n(o["lb"]),
            (("~" if b["estimated"] else "") + fmt_n(b["requests"])) if b else "-",
            fmt_time(o["wall"]), fmt_time(b["wall"], b["estimated"]) if b else "-", o["rss_mb"],
            ("%.0f" % b["rss_mb"]) if b and b.get("rss_mb") else "-",
            b["failed_batches"] if b and not b["estimated"] else "-"))
    lines += ["", "Jobs: " + "; ".join("**%s**: %s" % (s, SHAPE_TEXT[s]) for s in order
                                       if any(k[0] == s for k in keys)) + ".", ""]

    # targets
    lines += ["## Targets", "",
              "| job | N | latency | run | requests <= lb+2 | time: wall <= 1.1 cp x lat + fixed | module process: "
              "<= 1.1 cp x lat + its fixed | API phase: span <= 1.1 cp x lat | RSS < 150 MB | 429s = 0 | "
              "<= 40/s, 700/min | handful |",
              "|---|---:|---:|---|---|---|---|---|---|---|---|---|"]
    misses = []
    for key in keys:
        o = ours[key]
        c = target_checks(o, fixed["wall"], fixed["module_wall"])

        def mark(value, detail):
            return "-" if value is None else ("yes" if value else "**NO**") + " (%s)" % detail
        api_budget = 1.1 * o["critical_path"] * o["latency"] / 1000.0
        budget = api_budget + o.get("fixed", fixed["wall"])
        lines.append("| %s | %s | %d ms | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            key[0], fmt_n(key[1]), key[2], key[3],
            mark(c["requests"], "%d <= %d" % (o["requests"], o["lb"] + 2)),
            mark(c["time"], "%.2f <= %.2f s" % (o["wall"], budget)),
            mark(c.get("module"), "%.2f <= %.2f s" % (o.get("module_wall") or 0, api_budget + fixed["module_wall"])),
            mark(c["api"], "%.2f <= %.2f s, cp %d%s" % (
                o["request_span"], api_budget, o["critical_path"],
                "; emulator %.1f + module %.1f ms per cp request" % (
                    1000.0 * o["chain_served"] / o["critical_path"],
                    1000.0 * (o["request_span"] - o["chain_served"]) / o["critical_path"])
                if o.get("chain_served") and o["critical_path"] else "")),
            mark(c["rss"], "%.0f MB" % o["rss_mb"]),
            mark(c["no429"], "%d" % o["n429"]),
            mark(c["rate"], "%d/s, %d/min" % (o["max_1s"], o["max_60s"])),
            mark(c.get("handful"), "%d first pages, %d next" % (o["list_pages"], o.get("next_pages", -1)))
            if "handful" in c else "-"))
        for name, value in c.items():
            if value is False:
                misses.append((key, name))
    lines += ["", "Missed: %d of %d checks." % (len(misses), sum(
        1 for key in keys for v in target_checks(ours[key], fixed["wall"], fixed["module_wall"]).values()
        if v is not None)), ""]

    # full table
    lines += ["## All runs", "",
              "| impl | job | N | latency | run | requests | lb | cp | wall | module process | module CPU | "
              "requests span | RSS | result | 1s/60s | 429 | lists/search/get/post | state ok | load |",
              "|---|---|---:|---:|---|---:|---:|---:|---|---|---|---|---|---|---|---:|---|---|---:|"]
    for key in keys:
        for impl, table in (("ours", ours), ("naive", naive)):
            r = table.get(key)
            if r is None:
                continue
            est = r.get("estimated")
            lines.append("| %s | %s | %s | %d ms | %s | %s%s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | "
                         "%s | %s | %s |" % (
                             impl, key[0], fmt_n(key[1]), key[2], key[3], "~" if est else "", fmt_n(r["requests"]),
                             r["lb"], r["critical_path"] if not est else "-", fmt_time(r["wall"], est),
                             fmt_time(r.get("module_wall")), fmt_time(r.get("module_cpu")),
                             fmt_time(r["request_span"]) if not est else "-",
                             ("%.0f MB" % r["rss_mb"]) if r.get("rss_mb") else "-",
                             ("%.1f MB" % (r["result_bytes"] / 1e6)) if r.get("result_bytes") else "-",
                             "%s/%s" % (r["max_1s"], r["max_60s"] if r["max_60s"] is not None else "-"),
                             r["n429"], "%d/%d/%d/%d" % (
                                 r["list_pages"], r["searches"], r["project_gets"], r["writes"]) + (
                                 " (stopped after %d in %.0f s)" % (r["done_requests"], r["done_wall"])
                                 if est else ""),
                             ("yes" if r["ok"] else "**no**") + (
                                 " (%d failed batches)" % r["failed_batches"] if r.get("failed_batches") else ""),
                             r.get("load", "-")))
    lines += ["", "Raw results: `bench/results/results.json` (git-ignored). Plot: `docs/benchmarks.png`.", ""]
    with open(path, "w") as handle:
        handle.write("\n".join(lines))
    return misses


def write_plot(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench: matplotlib is not installed (requirements-bench.txt): no plot written", file=sys.stderr)
        return False
    rows = results["rows"]
    lat = 30 if any(r["latency"] == 30 for r in rows) else 0
    shapes = [s for s in ("all", "mixed", "handful-unknown", "spread5") if any(r["shape"] == s for r in rows)]
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.2))
    colors = dict(zip(SHAPES, ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")))
    for ax, field, title in ((axes[0], "requests", "API requests (first run)"),
                             (axes[1], "wall", "wall time, %d ms latency (first run), s" % lat)):
        for shape in shapes:
            for impl, style in (("ours", "-o"), ("naive", "--s")):
                pts = sorted((r["n"], r[field], r.get("estimated")) for r in rows
                             if r["shape"] == shape and r["impl"] == impl and r["phase"] == "first"
                             and r["latency"] == lat)
                if not pts:
                    continue
                xs = [p[0] for p in pts]
                ys = [p[1] for p in pts]
                who = "module" if impl == "ours" else "naive"
                ax.plot(xs, ys, style, color=colors[shape], label="%s %s" % (who, shape),
                        markerfacecolor="none" if impl == "naive" else colors[shape])
                for x, y, est in pts:
                    if est:
                        ax.annotate("est.", (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
        if field == "requests":
            lbs = sorted((r["n"], r["lb"]) for r in rows if r["shape"] == "all" and r["impl"] == "ours"
                         and r["phase"] == "first" and r["latency"] == lat)
            if lbs:
                ax.plot([p[0] for p in lbs], [p[1] for p in lbs], ":", color="gray", label="lower bound (all)")
        if field == "wall" and results.get("fixed"):
            ax.axhline(results["fixed"]["wall"], color="gray", linestyle=":",
                       label="ansible-playbook + module start-up (no request)")
            ax.legend(fontsize=7, loc="upper left")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("N (projects)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=7, ncol=2)
    fig.suptitle("neon_project_transfer (solid) vs the naive script (dashed); est. = extrapolated past its "
                 "time budget", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# ---------------------------------------------------------------------------------------------------------


class _Skip(Exception):
    pass


def main():
    global COLLECTIONS, RESULTS, WINDOW_CARRY, CODE_VERSION
    parser = argparse.ArgumentParser(description="benchmark of neon_project_transfer vs the naive script")
    parser.add_argument("--big", action="store_true", help="N = 100,000 (and 50,000 for the handful shapes)")
    parser.add_argument("--sizes", help="comma-separated N (overrides the default sizes)")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--latencies", default="0,30", help="injected latency per request, ms")
    parser.add_argument("--baseline-budget", type=float, default=None,
                        help="seconds the naive script may run before it is stopped and estimated "
                             "(default 10, 45 with --big; 0: no limit)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--baseline-only", action="store_true", help="run only the naive script")
    parser.add_argument("--back-to-back", action="store_true",
                        help="do not reset the emulator's rate-limit window between the first run and the rerun")
    parser.add_argument("--fresh", action="store_true", help="forget earlier results")
    parser.add_argument("--results", default=None, help="results file (default bench/results/results.json)")
    parser.add_argument("--collections", default=None,
                        help="ANSIBLE_COLLECTIONS_PATH holding the neon_ops.neon to measure (default: this tree)")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.{md,png}")
    parser.add_argument("--report-only", action="store_true", help="run nothing: rewrite the docs from the results")
    args = parser.parse_args()

    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",")]
    else:
        sizes = list(BIG_SIZES if args.big else DEFAULT_SIZES)
    shapes = [s for s in args.shapes.split(",") if s]
    for shape in shapes:
        if shape not in SHAPES + EXTRA_SHAPES:
            parser.error("unknown shape %r (known: %s)" % (shape, ", ".join(SHAPES + EXTRA_SHAPES)))
    latencies = [int(x) for x in args.latencies.split(",")]
    WINDOW_CARRY = args.back_to_back
    budget = args.baseline_budget if args.baseline_budget is not None else (45.0 if args.big else 10.0)

    RESULTS = os.path.abspath(args.results or RESULTS)
    if args.collections:
        COLLECTIONS = os.path.abspath(args.collections)
    results = {"rows": [], "fixed": None}
    if os.path.exists(RESULTS) and not args.fresh:
        with open(RESULTS) as handle:
            results = json.load(handle)
    workdir = tempfile.mkdtemp(prefix="neon-bench-")
    begun = time.monotonic()
    if args.report_only:
        sizes = []
    try:
        if not args.collections:
            # Measure one snapshot of the tree: others may edit plugins/ while a long bench runs.
            COLLECTIONS = os.path.join(workdir, "collections")
            snapshot = os.path.join(COLLECTIONS, "ansible_collections", "neon_ops", "neon")
            for name in ("galaxy.yml", "meta", "plugins"):
                source = os.path.join(ROOT, name)
                if os.path.isdir(source):
                    shutil.copytree(source, os.path.join(snapshot, name),
                                    ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    os.makedirs(snapshot, exist_ok=True)
                    shutil.copy(source, snapshot)
        ansible = Ansible(workdir)
        CODE_VERSION = _code_version()
        print("measuring the module code %s (sha1 of _client, _transfer, _planner, the module)" % CODE_VERSION)
        if not sizes:
            raise _Skip()
        with Emulator(make_job("all", 10)["scenario"]) as emu:
            fixed = measure_fixed(ansible, emu)
        print("fixed start-up (ansible-playbook + module, no request): %.2fs (module process %.2fs, RSS %.0f MB)"
              % (fixed["wall"], fixed["module_wall"], fixed["rss_kb"] / 1024.0), flush=True)
        results["fixed"] = fixed
        results["machine"] = "%s, Python %s" % (os.uname().machine, sys.version.split()[0])
        results.setdefault("code", {})[CODE_VERSION] = _git_state()
        for n in sizes:
            for shape in shapes:
                if args.big and n == BIG_ONLY_HANDFUL and not shape.startswith("handful") and not args.sizes:
                    continue
                job = make_job(shape, n)
                for latency in latencies:
                    fresh = [] if args.baseline_only else run_ours(job, n, shape, latency, fixed["wall"], ansible)
                    if not args.no_baseline:
                        fresh += run_naive(job, n, shape, latency, budget or None, workdir)
                    keyset = {(r["impl"], r["shape"], r["n"], r["latency"], r["phase"]) for r in fresh}
                    results["rows"] = [r for r in results["rows"] if (r["impl"], r["shape"], r["n"], r["latency"],
                                                                      r["phase"]) not in keyset] + fresh
                    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
                    with open(RESULTS, "w") as handle:
                        json.dump(results, handle, indent=1)
    except _Skip:
        pass
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("bench: %d runs in %.0fs" % (len(results["rows"]), time.monotonic() - begun))
    if not args.no_docs:
        misses = write_markdown(results, None, DOC_MD)
        write_plot(results, DOC_PNG)
        print("bench: wrote %s and %s; targets missed: %s" % (
            os.path.relpath(DOC_MD, ROOT), os.path.relpath(DOC_PNG, ROOT),
            ", ".join("%s N=%d %dms %s: %s" % (k[0], k[1], k[2], k[3], name) for k, name in misses) or "none"))
    bad = [r for r in results["rows"] if r["impl"] == "ours" and not r["ok"]]
    if bad:
        print("bench: %d module runs did not reach the declared state" % len(bad), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

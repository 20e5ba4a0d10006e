# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property-based checks of the transfer job: random ownership states, requests and fault schedules.

Each case drives ``TransferJob`` with a real ``NeonClient`` over loopback HTTP against a fresh in-process emulator
(ansible-playbook per case would be far too slow), with sleeps patched out and sub-second timeouts. Then it checks:

- no project outside the request changes owner (other than what an injected "other actor" did);
- every list the result reports is true of the emulator's state, and no write ever carried an id that was not
  requested, nor was resent before a re-read after an unknown outcome;
- transferred, already_present, blocked, missing and remaining partition the request;
- a rerun without faults lands exactly where a model of the API says (converges), and the run after it is a
  no-op (no write, changed false).

Used by tests/integration_py/test_properties.py (a few hundred cases in ``make test``) and tests/long (thousands,
``make test-long``); ``NEON_PROPERTY_EXAMPLES`` sets the count.
"""

from __future__ import annotations

import collections
import contextlib
import os
import threading
import time

from hypothesis import HealthCheck, settings, strategies as st

from neon_emulator import Emulator

from ansible_collections.neon_ops.neon.plugins.module_utils import _client, _transfer
from ansible_collections.neon_ops.neon.plugins.module_utils._client import NeonClient
from ansible_collections.neon_ops.neon.plugins.module_utils._transfer import TransferJob

KEY = "ada0personal0key0k3m9x2v7q4w8e5r1t6y0u3i9o2p5a8s1d4f7g0h3j6k9l2"
SRC = "org-src-00000001"
OTHER = "org-other-000001"
DEST = "org-dest-0000001"
TIGHT = "org-tight-000001"     # a destination with little room: HTTP 406 projects_count mid-run
ORGS = (SRC, OTHER, DEST, TIGHT)
SOURCES = (SRC, OTHER)
BLOCKING = ("github", "vercel")

TRANSFER = r"/projects/transfer$"
LISTING = r"/api/v2/projects$"
PROJECT = r"/api/v2/projects/[^/]+$"
PATHS = {"any": None, "transfer": TRANSFER, "listing": LISTING, "project": PROJECT, "auth": r"/auth$",
         "orgs": r"/users/me/organizations$"}

# What the cases did, summed over a session (tests/long/conftest.py prints it).
STATS = collections.Counter()

# A client answer slower than this is a timeout; commit_then_delay waits longer, ordinary slowness less.
TIMEOUT = 0.4


def hypothesis_settings(default_examples, share=1):
    """``share``: this property runs NEON_PROPERTY_EXAMPLES / share cases when the variable is set."""
    count = max(1, int(os.environ["NEON_PROPERTY_EXAMPLES"]) // share) if os.environ.get(
        "NEON_PROPERTY_EXAMPLES") else default_examples
    return settings(max_examples=count, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture],
                    print_blob=True)


# -- strategies ------------------------------------------------------------------------------------------------

def rare(draw, one_in):
    """True about once in ``one_in`` draws (hypothesis favours 0 and the bounds, so test a middle value)."""
    return draw(st.integers(0, one_in - 1)) == one_in // 2


INTEGRATIONS = st.sampled_from([(), (), (), ("datadog",), ("github",), ("vercel",)])


@st.composite
def worlds(draw):
    """Projects per org (ids tell their first owner) and their integrations; DEST may start non-empty."""
    projects = {}
    for org, least, most in ((SRC, 1, 14), (OTHER, 1, 14), (DEST, 0, 5), (TIGHT, 0, 3)):
        for n in range(draw(st.integers(least, most))):
            projects["p-%s-%d" % (org.split("-")[1], n)] = (org, draw(INTEGRATIONS))
    tight_room = draw(st.integers(0, 6))
    return {"projects": projects, "tight_limit": sum(1 for owner, dummy in projects.values() if owner == TIGHT) + tight_room}


@st.composite
def requests_for(draw, world):
    ids = sorted(world["projects"])
    source = draw(st.sampled_from([None, SRC, SRC, OTHER]))
    destination = draw(st.sampled_from([DEST, DEST, DEST, TIGHT]))
    params = {"org_id": destination, "source_org_id": source, "exclude": [], "all_projects": False,
              "batch_size": draw(st.sampled_from([1, 2, 3, 5, 400])), "skip_blocked": draw(st.booleans()),
              "from_personal_account": False}
    if source is not None and rare(draw, 6):
        params["all_projects"] = True
    else:
        # Mostly ids a valid request names (the source's, the destination's); now and then one from elsewhere.
        likely = [pid for pid in ids if world["projects"][pid][0] in (source, destination)] if source else ids
        chosen = draw(st.lists(st.sampled_from(likely), max_size=12)) if likely else []
        if rare(draw, 10):
            chosen.append(draw(st.sampled_from(ids)))
        if rare(draw, 10):
            chosen.append("p-nowhere-%d" % draw(st.integers(0, 3)))      # a project that does not exist
        if chosen and rare(draw, 5):
            chosen.append(chosen[0])                                      # a duplicate
        if not chosen:
            chosen = [likely[0] if likely else ids[0]]
        params["projects"] = chosen
    if ids and rare(draw, 5):
        params["exclude"] = draw(st.lists(st.sampled_from(ids), max_size=3, unique=True))
    return params


def _fault(draw, world):
    ids = sorted(world["projects"]) or ["p-nowhere-0"]
    kind = draw(st.sampled_from([
        "status", "rate_limited", "unavailable", "locked", "html_body", "drop_connection", "slow", "other_actor",
        "unavailable_project_ids", "empty_page_cursor", "commit_then_error", "commit_then_drop",
        "commit_then_delay", "truncated_json"]))
    fault = {"kind": kind, "after": draw(st.integers(0, 6)), "times": draw(st.integers(1, 3))}
    where = draw(st.sampled_from(["any", "transfer", "transfer", "transfer", "listing", "project", "auth", "orgs"]))
    if kind.startswith("commit_then") or where == "transfer":
        fault["after"] = draw(st.integers(0, 2))      # a run sends few writes: reach them
    if kind in ("status", "rate_limited", "unavailable", "locked", "html_body", "drop_connection",
                "truncated_json", "other_actor", "slow"):
        if PATHS[where] is not None:
            fault["path"] = PATHS[where]
    if kind == "status":
        fault["status"] = draw(st.sampled_from([500, 502, 504, 503, 404, 409]))
        if fault["status"] in (404, 409):
            # On a read, a false 404 is the API lying about a project; on a write, the job must re-read.
            fault["path"], fault["method"] = TRANSFER, "POST"
    if kind in ("rate_limited", "unavailable", "locked"):
        choice = draw(st.integers(0, 2))
        if choice == 1:
            fault["retry_after"] = 0
        elif choice == 2:
            fault["retry_after_date"] = 0
    if kind == "html_body":
        fault["status"] = draw(st.sampled_from([200, 502]))
    if kind == "truncated_json":
        fault["cut_connection"] = draw(st.booleans())
    if kind == "slow":
        # Beyond the timeout only for reads: a slow write that lands after the run gave up is out of scope.
        long_ = draw(st.booleans()) and where not in ("any", "transfer")
        fault["delay_ms"] = int(TIMEOUT * 1000 * (1.5 if long_ else 0.1))
    if kind == "commit_then_delay":
        fault["delay_ms"] = int(TIMEOUT * 1000 * 1.5)
    if kind == "unavailable_project_ids":
        fault["project_ids"] = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=4, unique=True))
        fault["also_get"] = rare(draw, 4)
        fault["times"] = draw(st.sampled_from([1, 2, None]))
    if kind == "empty_page_cursor":
        fault["mode"] = "echo"
        fault["times"] = None
    if kind == "other_actor":
        fault["project_ids"] = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
        fault["action"] = draw(st.sampled_from(["move", "move", "move", "delete"]))
        if fault["action"] == "move":
            fault["to_org"] = draw(st.sampled_from([DEST, DEST, OTHER, SRC]))
        fault["times"] = 1
    return fault


@st.composite
def cases(draw):
    world = draw(worlds())
    params = draw(requests_for(world))
    faults = [_fault(draw, world) for dummy in range(draw(st.integers(0, 4)))]
    return {
        "world": world,
        "params": params,
        "faults": faults,
        "retries": draw(st.integers(0, 5)),
        "page_limit": draw(st.sampled_from([2, 3, 5, 400])),
        "per_project_max": draw(st.sampled_from([1, 3, 20])),
    }


# -- running ---------------------------------------------------------------------------------------------------

def scenario(world):
    orgs = [{"id": org, "name": org, "plan": "scale",
             "members": [{"user": "ada@example.com", "role": "member" if org == DEST else "admin"}]}
            for org in ORGS]
    orgs[ORGS.index(TIGHT)]["projects_limit"] = world["tight_limit"]
    return {
        "users": [{"email": "ada@example.com", "name": "Ada"}],
        "orgs": orgs,
        "api_keys": [{"key": KEY, "kind": "personal", "user": "ada@example.com"}],
        "projects": [{"id": pid, "org": org, "integrations": list(kinds)}
                     for pid, (org, kinds) in sorted(world["projects"].items())],
    }


class NoPacing:
    """The property cases send a few dozen requests to an emulator that does not rate limit."""

    def acquire(self):
        return None


class SmallPageClient(NeonClient):
    """Pages of a few projects, so small worlds exercise cursors, short and empty last pages."""

    page_limit = _client.PAGE_LIMIT

    def iter_project_pages(self, org_id=None, search=None, limit=None, **options):
        return super().iter_project_pages(org_id=org_id, search=search, limit=limit or self.page_limit, **options)


_patch_lock = threading.Lock()


@contextlib.contextmanager
def small_pages(page_limit, per_project_max):
    """The job's thresholds scaled to the small worlds (restored after the case)."""
    with _patch_lock:
        saved = (_transfer.PAGE_LIMIT, _transfer.PER_PROJECT_MAX)
        _transfer.PAGE_LIMIT, _transfer.PER_PROJECT_MAX = page_limit, per_project_max
        try:
            yield
        finally:
            _transfer.PAGE_LIMIT, _transfer.PER_PROJECT_MAX = saved


def run_job(emu, case, faults=True):
    client = SmallPageClient(KEY, emu.api_url, timeout=TIMEOUT, retries=case["retries"], sleep=lambda s: None,
                             rate_limiter=NoPacing(), deadline=30)
    client.page_limit = case["page_limit"]
    warnings = []
    emu.reset_log()
    emu.set_faults(case["faults"] if faults else [])
    with small_pages(case["page_limit"], case["per_project_max"]):
        result, failed = TransferJob(client, dict(case["params"]), warn=warnings.append).run()
    # A request the client gave up on (timeout) is logged when the emulator finishes it: wait for all of them.
    deadline = time.monotonic() + 10
    while len(emu.request_log) < client.requests_sent and time.monotonic() < deadline:
        time.sleep(0.01)
    log = emu.request_log
    emu.set_faults([])
    return result, failed, log


def effective_request(params, initial):
    if params.get("all_projects"):
        return None
    seen = []
    for pid in params["projects"]:
        if pid not in seen and pid not in params["exclude"]:
            seen.append(pid)
    return seen


def model(params, ownership, kinds, tight_limit):
    """What a fault-free run must do from ``ownership``: (failed, final ownership)."""
    dest, source = params["org_id"], params.get("source_org_id")
    if params.get("all_projects"):
        requested = sorted(pid for pid, owner in ownership.items()
                           if owner == source and pid not in params["exclude"])
    else:
        requested = effective_request(params, ownership)
    allowed = (lambda owner: owner == source) if source else (lambda owner: owner not in (None, dest))
    final = dict(ownership)
    missing = [pid for pid in requested if ownership.get(pid) != dest and not allowed(ownership.get(pid))]
    if missing:
        return True, final
    moving = {}
    blocked = False
    for pid in requested:
        if ownership[pid] == dest:
            continue
        if any(k in BLOCKING for k in kinds.get(pid, ())):
            blocked = True
            continue
        moving.setdefault(ownership[pid], []).append(pid)
    limit = tight_limit if dest == TIGHT else 1000
    count = sum(1 for owner in ownership.values() if owner == dest)
    for org in sorted(moving):
        ids = sorted(moving[org])
        for i in range(0, len(ids), params["batch_size"]):
            batch = ids[i:i + params["batch_size"]]
            if org == DEST or count + len(batch) > limit:
                # Ada is only a member of DEST (403 moving out of it); the destination's allowance (406).
                return True, final
            count += len(batch)
            final.update((pid, dest) for pid in batch)
    return blocked and not params["skip_blocked"], final


def _posts(log):
    return [entry for entry in log if entry["method"] == "POST"]


UNKNOWN_FAULTS = {"commit_then_error", "commit_then_drop", "commit_then_delay", "truncated_json", "html_body",
                  "drop_connection"}


def check_run(case, before, after, result, failed, log, touched):
    """The invariants of one run, faults or not."""
    params = case["params"]
    dest = params["org_id"]
    requested = effective_request(params, before)
    if requested is None:
        # all_projects: the request is what the source held when it was listed.
        requested = sorted(set(result["transferred"]) | set(result["already_present"])
                           | {b["id"] for b in result["blocked"]} | set(result["missing"])
                           | set(result["remaining"]))
        assert all(before.get(pid) == params["source_org_id"] or pid in touched for pid in requested), result
    requested_set = set(requested)

    # 1. Nothing outside the request moves (but what the other actor did).
    for pid in set(before) | set(after):
        if pid in requested_set or pid in touched:
            continue
        assert before.get(pid) == after.get(pid), ("a project outside the request changed owner", pid, result)
    for entry in _posts(log):
        body = entry["body"] if isinstance(entry["body"], dict) else {}
        sent = set(body.get("project_ids") or ())
        assert sent <= requested_set, ("a write carried an id that was not requested", sent - requested_set)
        assert body.get("destination_org_id") == dest

    # 2. Never resent blindly: after a write whose outcome the client could not know, a read comes first.
    order = sorted(log, key=lambda e: e["start"])
    for i, entry in enumerate(order):
        if entry["method"] != "POST":
            continue
        if not _unknown(entry):
            continue
        later = order[i + 1:]
        next_post = next((j for j, e in enumerate(later) if e["method"] == "POST"), None)
        if next_post is not None:
            assert any(e["method"] == "GET" for e in later[:next_post]), ("a write was resent blindly", order)

    # 3. The lists partition the request.
    lists = {"transferred": result["transferred"], "already_present": result["already_present"],
             "blocked": [b["id"] for b in result["blocked"]], "missing": result["missing"],
             "remaining": result["remaining"]}
    seen = {}
    for name, ids in lists.items():
        assert len(ids) == len(set(ids)), (name, ids)
        for pid in ids:
            assert pid not in seen, ("%s is both %s and %s" % (pid, seen[pid], name), result)
            seen[pid] = name
    validation_failed = failed and not any(lists.values()) and result["api_requests"] == 0
    if not validation_failed and not (params.get("all_projects") and failed and not any(lists.values())):
        assert set(seen) == requested_set, ("the lists do not partition the request",
                                            sorted(requested_set - set(seen)), sorted(set(seen) - requested_set),
                                            result)
    if not failed:
        assert not result["remaining"] and not result["missing"] and not result["errors"], result

    # 4. Every list is true of the emulator's state.
    sent_ids = {pid for e in _posts(log) if isinstance(e["body"], dict) for pid in e["body"].get("project_ids", ())}
    for pid in result["transferred"]:
        # (unless the other actor took it away afterwards)
        assert after.get(pid) == dest or pid in touched, ("reported transferred, but not there", pid, result)
        assert pid in sent_ids or case.get("check_mode"), ("reported transferred, but never sent", pid)
    for pid in result["already_present"]:
        assert after.get(pid) == dest or pid in touched, ("reported already present, but not there", pid)
        if pid not in touched:
            assert before.get(pid) == dest or pid in sent_ids, ("already present, but neither before nor sent", pid)
    for item in result["blocked"]:
        assert item["integration"] in BLOCKING
        assert item["integration"] in case["world"]["projects"][item["id"]][1]
        assert after.get(item["id"]) != dest or item["id"] in touched
    planned = any(result[name] for name in ("transferred", "already_present", "blocked", "missing", "batches"))
    # A batch whose outcome stayed unknown (the re-read failed too) may have landed: the result says so.
    unknown = {pid for b in result["batches"] if b["outcome"] == "unknown" for pid in b["project_ids"]}
    if unknown:
        assert failed and "unknown" in result["msg"], result
    if planned:
        for pid in result["missing"] + result["remaining"]:
            assert after.get(pid) != dest or pid in touched | unknown, ("reported not done, but it is", pid, result)
    else:
        # Stopped before it could read where the projects are: all of them are unsettled, and nothing was sent.
        assert not _posts(log), result
        if failed and result["api_requests"]:
            assert result["remaining"] == requested or params.get("all_projects"), result
    for pid in result["missing"]:
        assert pid not in sent_ids

    # 5. Nothing lost: every project that reached the destination during the run is in the result (ground truth
    # from the emulator's state, so a write whose answer never came counts too).
    landed = {pid for pid, owner in after.items() if owner == dest and before.get(pid) != dest} - touched
    reported = set(result["transferred"]) | set(result["already_present"]) | unknown
    lost = sorted(landed - reported)
    STATS["projects moved"] += len(landed)
    STATS["projects moved but not reported (lost)"] += len(lost)
    assert not lost, ("a project moved but the result does not say so", lost, result)

    assert result["changed"] == bool(result["transferred"])
    assert result["api_requests"] == len(log), (result["api_requests"], len(log))
    STATS["runs"] += 1
    STATS["runs failed"] += bool(failed)
    STATS["requests"] += len(log)
    STATS["transfer POSTs"] += len(_posts(log))
    STATS["unknown write outcomes re-read"] += sum(1 for e in _posts(log) if _unknown(e))
    for entry in log:
        for kind in entry["faults"]:
            STATS["fault fired: " + kind] += 1
    return requested


def _unknown(entry):
    # 429/423/503 say "not processed" (the first answer fault wins); anything else odd may have landed.
    return entry["status"] not in (429, 423, 503) and (
        entry["status"] is None or entry["status"] >= 500 or bool(set(entry["faults"]) & UNKNOWN_FAULTS))


def check_case(case):
    STATS["cases"] += 1
    world = case["world"]
    kinds = {pid: k for pid, (_org, k) in world["projects"].items()}
    with Emulator(scenario(world), record_path=os.devnull) as emu:
        before = emu.ownership()
        result, failed, log = run_job(emu, case)
        after = emu.ownership()
        touched = set()
        for fault in case["faults"]:
            if fault["kind"] == "other_actor":
                touched |= set(fault["project_ids"])
        check_run(case, before, after, result, failed, log, touched)
        if not failed and not touched:
            expected_failed, expected = model(case["params"], before, kinds, world["tight_limit"])
            assert not expected_failed and after == expected, ("succeeded, but not where the model says",
                                                               result, expected)

        # The rerun, without faults, converges to what the model says from here ...
        result2, failed2, log2 = run_job(emu, case, faults=False)
        after2 = emu.ownership()
        check_run(case, after, after2, result2, failed2, log2, set())
        expected_failed, expected = model(case["params"], after, kinds, world["tight_limit"])
        assert (failed2, after2) == (expected_failed, expected), ("the rerun did not converge", result2)
        if not failed and not touched:
            # (The other actor may have put a project back in the source after the run: then a write is due.)
            assert not _posts(log2) and result2["changed"] is False, ("a rerun after success wrote", result2)

        # ... and the run after that is a no-op.
        if not failed2:
            result3, failed3, log3 = run_job(emu, case, faults=False)
            assert not failed3 and not _posts(log3) and result3["changed"] is False, result3
            assert emu.ownership() == after2
    return result, failed


# -- two runs at once ------------------------------------------------------------------------------------------

@st.composite
def concurrent_cases(draw):
    """Two requests to the same destination that overlap, each valid (nothing missing), run at the same time."""
    world = draw(worlds())
    ids = sorted(world["projects"])
    movable = [pid for pid in ids if world["projects"][pid][0] in SOURCES]
    shared = draw(st.lists(st.sampled_from(movable), min_size=1, max_size=8, unique=True))
    runs = []
    for dummy in range(2):
        own = draw(st.lists(st.sampled_from(movable), max_size=6, unique=True))
        projects = sorted(set(shared) | set(own))
        sources = {world["projects"][pid][0] for pid in projects}
        source = draw(st.sampled_from([None] + sorted(sources))) if len(sources) == 1 else None
        runs.append({"org_id": DEST, "source_org_id": source, "projects": projects, "exclude": [],
                     "all_projects": False, "batch_size": draw(st.sampled_from([1, 2, 3, 400])),
                     "skip_blocked": True, "from_personal_account": False})
    faults = [{"kind": "slow", "method": "POST", "path": TRANSFER, "delay_ms": draw(st.integers(1, 30)),
               "times": None}]
    if draw(st.booleans()):
        faults.append({"kind": draw(st.sampled_from(["unavailable", "locked", "rate_limited"])),
                       "after": draw(st.integers(0, 8)), "times": draw(st.integers(1, 2))})
    return {"world": world, "runs": runs, "faults": faults, "retries": 5,
            "page_limit": draw(st.sampled_from([2, 3, 400])), "per_project_max": draw(st.sampled_from([1, 3, 20]))}


def check_concurrent_case(case):
    STATS["concurrent cases"] += 1
    world = case["world"]
    kinds = {pid: k for pid, (_org, k) in world["projects"].items()}
    with Emulator(scenario(world), record_path=os.devnull) as emu:
        before = emu.ownership()
        emu.set_faults(case["faults"])
        outcomes = [None, None]

        def run(n):
            client = SmallPageClient(KEY, emu.api_url, timeout=5, retries=case["retries"], sleep=lambda s: None,
                                     rate_limiter=NoPacing())
            client.page_limit = case["page_limit"]
            outcomes[n] = TransferJob(client, dict(case["runs"][n])).run()

        with small_pages(case["page_limit"], case["per_project_max"]):
            threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
        emu.set_faults([])
        after = emu.ownership()
        wanted = {pid for params in case["runs"] for pid in params["projects"]}
        expected = dict(before)
        expected.update((pid, DEST) for pid in wanted if not any(k in BLOCKING for k in kinds[pid]))
        assert after == expected, ("two runs at once did not converge", outcomes)
        moved_by = {}
        for (result, failed), params in zip(outcomes, case["runs"]):
            # Neither fails, even for a project the other one moved.
            assert not failed, result
            lists = [result["transferred"], result["already_present"], [b["id"] for b in result["blocked"]]]
            assert sorted(pid for ids in lists for pid in ids) == sorted(params["projects"]), result
            for pid in result["transferred"]:
                assert pid not in moved_by, ("both runs claim to have moved %s" % pid, outcomes)
                moved_by[pid] = result
        assert set(moved_by) == {pid for pid in wanted if after[pid] == DEST and before[pid] != DEST}

        emu.reset_log()
        for params in case["runs"]:
            client = SmallPageClient(KEY, emu.api_url, timeout=5, retries=0, rate_limiter=NoPacing())
            with small_pages(case["page_limit"], case["per_project_max"]):
                result, failed = TransferJob(client, dict(params)).run()
            assert not failed and result["changed"] is False, result
        assert emu.writes() == []

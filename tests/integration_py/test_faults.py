# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fault matrix: one ansible-playbook run of neon_project_transfer through each fault, then a second run.

For every fault the first run must converge: the emulator's final ownership is exactly the request (no other
project changed owner), each committed write landed once and a write whose outcome was unknown was followed by a
re-read, never resent blindly; the result says what the run recovered from. The second run, without faults, must
write nothing. Both runs happen in one playbook (a uri task clears the faults and the request log between them).
"""

from __future__ import annotations

import copy
import json
import re
import time

import pytest

from harness import run_playbook
from scenarios import ADA_KEY, BASIC, DEST, OTHER

MODULE = "neon_ops.neon.neon_project_transfer"
BIG = "org-big-00000001"          # exactly 800 projects: a listing ends on an empty third page

SCENARIO = copy.deepcopy(BASIC)
SCENARIO["orgs"].append({"id": BIG, "name": "Big", "plan": "scale",
                         "members": [{"user": "ada@example.com", "role": "admin"}]})
SCENARIO["generate"].append({"org": BIG, "count": 800, "prefix": "big"})

MANY = ["big-%06d" % n for n in range(1, 31)]       # > 20 ids: the source is listed; batches of 10
FEW = ["p-plain-1", "p-plain-2", "p-other-1"]        # no source: each project is read, then searched
# Source OTHER has 901 projects: its first page and the destination's, then one search per id (5 listings).
SEARCHED = ["bulk-000501", "bulk-000602", "bulk-000703"]   # past its first page of 400

REQUESTS = {
    "many": {"source_org_id": BIG, "projects": MANY, "batch_size": 10},
    "few": {"projects": FEW},
    "searched": {"source_org_id": OTHER, "projects": SEARCHED, "batch_size": 1},
}
POST = {"method": "POST", "path": r"/projects/transfer$"}
LISTING = {"method": "GET", "path": r"/api/v2/projects$"}


def run_tasks(task_params, env=None, args=()):
    """Run one neon_project_transfer task per params dict in a single ansible-playbook; return (results, proc).

    The minimal callback prints each task's result as JSON ("localhost | FAILED! => {...}"): read them in order,
    with ``failed`` set from the status word.
    """
    play = [{"name": "neon_project_transfer runs", "hosts": "localhost", "gather_facts": False,
             "tasks": [{"name": "Run %d" % n, MODULE: params, "ignore_errors": True}
                       for n, params in enumerate(task_params, 1)]}]
    extra = {"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.minimal"}
    extra.update(env or {})
    proc = run_playbook(play, list(args), env=extra)
    results = []
    decoder = json.JSONDecoder()
    for match in RESULT_RE.finditer(proc.stdout):
        result, _end = decoder.raw_decode(proc.stdout, match.end())
        result["failed"] = match.group(1).startswith("FAILED")
        results.append(result)
    assert len(results) == len(task_params), "not every task reported:\n%s\n%s" % (proc.stdout, proc.stderr)
    return results, proc


RESULT_RE = re.compile(r"^localhost \| ([A-Z!]+) => ", re.M)


def split_log(emu, counts, timeout=10):
    """The emulator's log cut into one slice per run, by each run's own request count.

    Runs are sequential, so sorting by arrival keeps each run's requests together; a request the client gave up
    on (timeout) is logged only when the emulator is done with it, so wait until every request is in.
    """
    deadline = time.monotonic() + timeout
    while len(emu.request_log) < sum(counts) and time.monotonic() < deadline:
        time.sleep(0.05)
    log = sorted(emu.request_log, key=lambda e: e["start"])
    assert len(log) == sum(counts), "the runs' request counts must match the emulator's log"
    slices, start = [], 0
    for count in counts:
        slices.append(log[start:start + count])
        start += count
    return slices


def run_twice(emu, params, faults):
    """Run 1 with ``faults`` (each must be used up by run 1), then run 2. Returns (r1, r2, log1, log2, proc)."""
    emu.set_faults(faults)
    emu.reset_log()
    (r1, r2), proc = run_tasks([params, params])
    log1, log2 = split_log(emu, [r1["api_requests"], r2["api_requests"]])
    assert all(f["exhausted"] for f in emu.fault_status()), "each fault must be used up by run 1"
    assert not [e for e in log2 if e["faults"]], "run 2 must run without faults"
    emu.set_faults([])
    return r1, r2, log1, log2, proc


def params_for(emu, request, **extra):
    params = {"api_key": ADA_KEY, "api_url": emu.api_url, "org_id": DEST}
    params.update(REQUESTS[request])
    params.update(extra)
    return params


def assert_partition(result, requested):
    """transferred, already_present, blocked, missing and remaining: each requested id in exactly one."""
    lists = [result["transferred"], result["already_present"], [b["id"] for b in result["blocked"]],
             result["missing"], result["remaining"]]
    flat = [pid for ids in lists for pid in ids]
    assert sorted(flat) == sorted(set(requested)), lists


def committed(entry):
    """Did the emulator apply this transfer POST (whatever the client saw)?"""
    if entry["method"] != "POST":
        return False
    faults = set(entry["faults"])
    if faults & {"status", "rate_limited", "unavailable", "locked", "html_body", "drop_connection"}:
        return False           # answered before processing
    return entry["status"] == 200 or bool(faults & {"commit_then_error", "commit_then_drop"})


def unknown_outcome(entry):
    return entry["method"] == "POST" and entry["status"] not in (200, 422, 429, 423, 503) or bool(
        set(entry["faults"]) & {"commit_then_delay", "truncated_json", "html_body"})


def assert_never_resent_blindly(log):
    order = sorted(log, key=lambda e: e["start"])
    for i, entry in enumerate(order):
        if not unknown_outcome(entry):
            continue
        later = order[i + 1:]
        posts = [j for j, e in enumerate(later) if e["method"] == "POST"]
        if posts:
            assert any(e["method"] == "GET" for e in later[:posts[0]]), "resent without a re-read: %s" % order


def assert_each_landed_once(log, ids):
    landed = [pid for e in log if committed(e) for pid in e["body"]["project_ids"]]
    assert sorted(landed) == sorted(ids), "each requested project must land exactly once"


# id, request, faults, extra params, a word the result's ``retried`` must contain
CONVERGE = [
    # Without Retry-After the client waits 2 s, 4 s, ... (Neon's window is a minute): one 429 is enough here.
    ("429 without Retry-After", "many", [{"kind": "rate_limited", "times": 1}], {}, "429"),
    ("429 Retry-After seconds", "many", [dict(POST, kind="rate_limited", retry_after=1, times=2)], {}, "429"),
    ("429 Retry-After HTTP-date", "few", [{"kind": "rate_limited", "retry_after_date": 2, "times": 1}], {}, "429"),
    ("503 on the first 4 requests", "many", [{"kind": "unavailable", "times": 4}], {}, "503"),
    ("423 on the first 4 requests", "few", [{"kind": "locked", "times": 4}], {}, "423"),
    ("transfer commits then 500", "many", [{"kind": "commit_then_error", "after": 1}], {}, "re-read"),
    ("transfer commits then drops the connection", "many", [{"kind": "commit_then_drop", "after": 1}], {},
     "re-read"),
    ("transfer commits then answers after the timeout", "many",
     [{"kind": "commit_then_delay", "delay_ms": 2500, "after": 2}], {"timeout": 1}, "ReadTimeout"),
    ("cursor echoed on the empty last page", "many", [{"kind": "empty_page_cursor", "mode": "echo", "after": 2, "times": 1}], {}, None),
    ("unavailable_project_ids on a listing page", "many",
     [{"kind": "unavailable_project_ids", "project_ids": ["big-000005", "big-000450"], "times": 2}], {}, "left out"),
    ("unavailable_project_ids on a search page", "searched",
     [{"kind": "unavailable_project_ids", "project_ids": ["bulk-000602"], "times": 5}], {}, "left out"),
    ("another actor moves a requested project into the destination first", "many",
     [dict(POST, kind="other_actor", action="move", project_ids=["big-000012"], to_org=DEST, after=1)], {},
     "re-read"),
    ("another actor moves an unrequested project meanwhile", "many",
     [dict(LISTING, kind="other_actor", action="move", project_ids=["big-000700"], to_org=OTHER)], {}, None),
    ("HTML error page on a read", "many", [dict(LISTING, kind="html_body")], {}, "502"),
    ("HTML page with 200 on a read", "few", [{"kind": "html_body", "status": 200, "method": "GET"}], {},
     "unreadable body"),
    ("HTML error page on a write", "many", [dict(POST, kind="html_body")], {}, "re-read"),
    ("truncated JSON on a read", "many", [dict(LISTING, kind="truncated_json")], {}, "unreadable body"),
    ("truncated JSON, connection cut, on a read", "few",
     [{"kind": "truncated_json", "cut_connection": True, "method": "GET", "path": r"/projects/"}], {}, "Error"),
    ("truncated JSON on a committed write", "many", [dict(POST, kind="truncated_json", after=1)], {}, "re-read"),
    ("dropped connection on a read", "few", [{"kind": "drop_connection", "method": "GET"}], {}, "ConnectionError"),
    ("dropped connection on a write, before processing", "many", [dict(POST, kind="drop_connection")], {},
     "re-read"),
    ("slow responses", "few", [{"kind": "slow", "delay_ms": 250, "times": 6}], {}, None),
    ("a read slower than the timeout", "many", [dict(LISTING, kind="slow", delay_ms=1600, times=1)],
     {"timeout": 1}, "ReadTimeout"),
]


@pytest.mark.parametrize("request_name, faults, extra, reason", [c[1:] for c in CONVERGE],
                         ids=[c[0] for c in CONVERGE])
def test_one_run_converges_through_the_fault_and_a_second_writes_nothing(emulator_factory, request_name, faults,
                                                                         extra, reason):
    emu = emulator_factory(SCENARIO)
    before = emu.ownership()
    params = params_for(emu, request_name, **extra)
    r1, r2, log1, log2, proc = run_twice(emu, params, faults)
    assert "Traceback" not in proc.stdout + proc.stderr

    assert not r1.get("failed"), r1["msg"]
    kinds = {f["kind"] for f in faults}
    assert kinds <= {kind for e in log1 for kind in e["faults"]}, "the fault must have fired"
    expected = dict(before)
    actor = {}
    for fault in faults:
        if fault["kind"] == "other_actor":
            actor = {pid: fault["to_org"] for pid in fault["project_ids"]}
    expected.update(actor)
    expected.update((pid, DEST) for pid in params["projects"])
    assert emu.ownership() == expected, "final ownership must be the request exactly"
    requested = set(params["projects"])
    assert set(r1["transferred"]) | set(r1["already_present"]) == requested
    assert_partition(r1, requested)
    assert not r1["remaining"] and not r1["missing"] and not r1["errors"]
    assert all(b["outcome"] == "transferred" for b in r1["batches"]), r1["batches"]
    assert r1["api_requests"] == len(log1)
    if "empty_page_cursor" in kinds:
        # 800 projects in pages of 400: the third page is empty and echoes the cursor; the listing ends there.
        listings = [e for e in log1 if e["path"] == "/api/v2/projects"]
        assert [e["query"].get("cursor") for e in listings] == [None, ["big-000400"], ["big-000800"]]
    if reason:
        assert any(reason in json.dumps(item) for item in r1["retried"]), (reason, r1["retried"])
    moved_by_actor = {pid for pid, org in actor.items() if org == DEST and pid in requested}
    assert_each_landed_once(log1, requested - {pid for pid in requested if before[pid] == DEST} - moved_by_actor)
    assert_never_resent_blindly(log1)

    assert not r2.get("failed") and r2["changed"] is False, r2["msg"]
    assert sorted(r2["already_present"]) == sorted(requested)
    assert not [e for e in log2 if e["method"] == "POST"], "the second run must not write"
    assert emu.ownership() == expected


def test_retry_after_is_waited_for(emulator_factory):
    """The 429's Retry-After (seconds, then an HTTP-date) sets the wait before the resend."""
    emu = emulator_factory(SCENARIO)
    faults = [dict(POST, kind="rate_limited", retry_after=2, times=1),
              dict(LISTING, kind="rate_limited", retry_after_date=3, times=1)]
    r1, _r2, log1, _log2, _proc = run_twice(emu, params_for(emu, "many"), faults)
    assert not r1.get("failed"), r1["msg"]
    order = sorted(log1, key=lambda e: e["start"])
    for i, entry in enumerate(order):
        if entry["status"] == 429:
            resend = next(e for e in order[i + 1:] if e["path"] == entry["path"] and e["method"] == entry["method"])
            # delta-seconds 2, or an HTTP-date 3 s ahead (whole seconds: at least 2 s left)
            assert resend["start"] - entry["end"] >= 1.9, (entry, resend)


# Faults after which the first run cannot converge: it must fail clearly, having written nothing it should not.
def test_deleted_by_another_actor_fails_for_that_project_only(emulator_factory):
    emu = emulator_factory(SCENARIO)
    before = emu.ownership()
    faults = [dict(POST, kind="other_actor", action="delete", project_ids=["big-000015"], after=1)]
    r1, r2, log1, log2, _proc = run_twice(emu, params_for(emu, "many"), faults)
    assert r1.get("failed") is True and r1["changed"] is True
    assert "big-000015 was deleted" in r1["msg"]
    assert r1["remaining"] == ["big-000015"]
    assert sorted(r1["transferred"]) == sorted(set(MANY) - {"big-000015"})   # the rest of its batch too
    assert_partition(r1, MANY)
    assert [b["outcome"] for b in r1["batches"]] == ["transferred", "partial", "transferred"]
    expected = dict(before)
    del expected["big-000015"]
    expected.update((pid, DEST) for pid in MANY if pid != "big-000015")
    # Rerun: the deleted project is missing, so it fails before any write, and nothing else moves.
    assert r2.get("failed") is True and r2["missing"] == ["big-000015"]
    assert not [e for e in log2 if e["method"] == "POST"] and emu.ownership() == expected


def test_moved_elsewhere_by_another_actor_is_not_chased(emulator_factory):
    emu = emulator_factory(SCENARIO)
    faults = [dict(POST, kind="other_actor", action="move", project_ids=["big-000003"], to_org=OTHER)]
    r1, r2, _log1, log2, _proc = run_twice(emu, params_for(emu, "many"), faults)
    assert r1.get("failed") is True and "big-000003 was moved to %s" % OTHER in r1["msg"]
    assert r1["remaining"] == ["big-000003"] and r1["already_present"] == []
    assert_partition(r1, MANY)
    assert emu.ownership()["big-000003"] == OTHER
    assert all(emu.ownership()[pid] == DEST for pid in MANY if pid != "big-000003")
    assert r2.get("failed") is True and r2["missing"] == ["big-000003"]
    assert not [e for e in log2 if e["method"] == "POST"]


def test_projects_that_stay_unreadable_fail_the_inventory_before_any_write(emulator_factory):
    emu = emulator_factory(SCENARIO)
    before = emu.ownership()
    # 3 listing pages, then 3 reads of big-000007 (retries: 2): all unavailable.
    faults = [{"kind": "unavailable_project_ids", "project_ids": ["big-000007"], "also_get": True, "times": 6}]
    r1, r2, log1, log2, _proc = run_twice(emu, params_for(emu, "many", retries=2), faults)
    assert r1.get("failed") is True and r1["changed"] is False
    assert "inventory is incomplete" in r1["msg"] and "big-000007" in r1["msg"]
    assert "big-000007" not in r1["missing"] and sorted(r1["remaining"]) == sorted(MANY)
    assert_partition(r1, MANY)
    assert not [e for e in log1 if e["method"] == "POST"], "nothing may be written on an incomplete inventory"
    # Without the fault, the next run converges.
    assert not r2.get("failed") and sorted(r2["transferred"]) == sorted(MANY)
    assert all(emu.ownership()[pid] == DEST for pid in MANY)
    assert {pid for pid, org in emu.ownership().items() if org != before[pid]} == set(MANY)


def test_retries_exhausted_mid_run_reports_exactly_what_landed(emulator_factory):
    emu = emulator_factory(SCENARIO)
    faults = [dict(POST, kind="unavailable", after=1, times=3)]       # the 2nd batch, with its 2 retries
    r1, r2, _log1, log2, _proc = run_twice(emu, params_for(emu, "many", retries=2), faults)
    assert r1.get("failed") is True and r1["changed"] is True
    assert r1["transferred"] == MANY[:10] and sorted(r1["remaining"]) == sorted(MANY[10:])
    assert_partition(r1, MANY)
    assert [b["outcome"] for b in r1["batches"]] == ["transferred", "failed", "not sent"]
    assert "20 NOT transferred" in r1["msg"]
    assert not r2.get("failed") and sorted(r2["transferred"]) == sorted(MANY[10:])
    assert all(emu.ownership()[pid] == DEST for pid in MANY)


def test_requests_are_paced_under_neons_rate_limit(emulator_factory):
    """rate_limit: true makes the emulator answer 429 above 40 requests a second per route (700 a minute).

    One transfer per project, 100 of them, is a job that exceeds 40/s unpaced (shown first, with the job driven
    directly and its pacing switched off); through the module it runs without a single 429.
    """
    from ansible_collections.neon_ops.neon.plugins.module_utils._client import NeonClient
    from ansible_collections.neon_ops.neon.plugins.module_utils._transfer import TransferJob

    class NoPacing:
        def acquire(self):
            return None

    wanted = ["big-%06d" % n for n in range(101, 201)]
    params = {"org_id": DEST, "source_org_id": BIG, "projects": wanted, "batch_size": 1}
    unpaced = emulator_factory(SCENARIO, rate_limit=True)
    job = TransferJob(NeonClient(ADA_KEY, unpaced.api_url, retries=0, rate_limiter=NoPacing()), dict(
        params, exclude=[], all_projects=False, skip_blocked=False, from_personal_account=False))
    _result, failed = job.run()
    assert failed and [e for e in unpaced.request_log if e["status"] == 429], "unpaced, this job provokes 429s"

    emu = emulator_factory(SCENARIO, rate_limit=True)
    before = emu.ownership()
    (result,), _proc = run_tasks([dict(params, api_key=ADA_KEY, api_url=emu.api_url)])
    assert not result["failed"], result["msg"]
    log = emu.request_log
    assert [e["status"] for e in log if e["status"] == 429] == [] and result["retried"] == []
    assert len(emu.writes()) == 100
    starts = sorted(e["start"] for e in log)
    assert max(sum(1 for t in starts[i:i + 41] if t - s < 1.0) for i, s in enumerate(starts)) <= 40
    assert starts[-1] - starts[0] >= (len(starts) - 40) / 40.0, "100 writes cannot take under 1.5 s at 40/s"
    expected = dict(before)
    expected.update((pid, DEST) for pid in wanted)
    assert emu.ownership() == expected

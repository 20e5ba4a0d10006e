# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Two ansible-playbook runs started at once on overlapping requests, to the same destination.

Slow transfer POSTs make their batches interleave. Both must end converged and neither may report a failure for a
project the other moved (the other's move shows up as already present); no project is claimed by both.
"""

from __future__ import annotations

import threading

import pytest

from harness import run_module
from scenarios import ADA_KEY, DEST, OTHER
from test_faults import run_tasks

MODULE = "neon_ops.neon.neon_project_transfer"
FIRST = ["bulk-%06d" % n for n in range(1, 31)]
SECOND = ["bulk-%06d" % n for n in range(16, 46)]


@pytest.mark.parametrize("source", [OTHER, None], ids=["source given", "source found by listing every org"])
def test_two_runs_at_once_both_converge(emu, source):
    before = emu.ownership()
    emu.set_faults([{"kind": "slow", "method": "POST", "path": r"/projects/transfer$", "delay_ms": 300,
                     "times": None}])
    results = {}

    def run(name, ids):
        params = {"api_key": ADA_KEY, "api_url": emu.api_url, "org_id": DEST, "projects": ids, "batch_size": 5}
        if source:
            params["source_org_id"] = source
        results[name] = run_module(MODULE, params)[0]

    threads = [threading.Thread(target=run, args=args) for args in (("first", FIRST), ("second", SECOND))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    emu.set_faults([])

    wanted = set(FIRST) | set(SECOND)
    after = emu.ownership()
    assert {pid for pid in after if after[pid] != before[pid]} == wanted
    assert all(after[pid] == DEST for pid in wanted)
    for name, ids in (("first", FIRST), ("second", SECOND)):
        result = results[name]
        assert not result.get("failed"), (name, result["msg"])
        assert sorted(result["transferred"] + result["already_present"]) == sorted(ids)
    first, second = results["first"], results["second"]
    assert not set(first["transferred"]) & set(second["transferred"]), "a project claimed by both runs"
    assert set(first["transferred"]) | set(second["transferred"]) == wanted
    landed = [pid for w in emu.writes() if w["status"] == 200 for pid in w["body"]["project_ids"]]
    assert sorted(landed) == sorted(wanted), "each project landed exactly once"

    emu.reset_log()
    reruns, _proc = run_tasks([{"api_key": ADA_KEY, "api_url": emu.api_url, "org_id": DEST, "projects": ids}
                               for ids in (FIRST, SECOND)])
    assert all(not again["failed"] and again["changed"] is False for again in reruns), reruns
    assert emu.writes() == []

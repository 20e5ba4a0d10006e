# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Crash safety: ansible-playbook and the module killed (SIGKILL) in the middle of a transfer.

Slow transfer POSTs stretch the run; it is killed once two batches have landed, with a third in flight (which
Neon then finishes for nobody). Nothing may be inconsistent: every requested project is in the source or in the
destination, whole batches only, nothing else moved. The next run converges; the one after writes nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time

import yaml

from harness import ROOT, ansible_env, run_module
from scenarios import ADA_KEY, DEST, OTHER

MODULE = "neon_ops.neon.neon_project_transfer"
WANTED = ["bulk-%06d" % n for n in range(1, 41)]
BATCH = 5


def descendants(pid):
    """Every process under ``pid`` (from /proc): Ansible's workers call setsid(), so a process group misses them."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(proc):
    """SIGKILL the playbook and everything it started (the module included), as a crash of the host would."""
    for dummy in range(20):
        pids = descendants(proc.pid)
        for pid in [proc.pid] + pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if not pids:
            break
        time.sleep(0.05)
    proc.wait(10)


def landed(emu):
    return [e for e in emu.writes() if e["status"] == 200]


def test_killed_mid_run_leaves_whole_batches_and_the_next_run_converges(emu):
    before = emu.ownership()
    params = {"api_key": ADA_KEY, "api_url": emu.api_url, "source_org_id": OTHER, "org_id": DEST,
              "projects": WANTED, "batch_size": BATCH}
    emu.set_faults([{"kind": "slow", "method": "POST", "path": r"/projects/transfer$", "delay_ms": 600,
                     "times": None}])
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": [{"name": "Transfer", MODULE: params}]}]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as handle:
        yaml.safe_dump(play, handle)
    try:
        proc = subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
             handle.name], env=ansible_env(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(landed(emu)) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        # The third batch is now on its way (it waits 600 ms in the emulator): kill in the middle of it.
        time.sleep(0.3)
        assert descendants(proc.pid), "the module must still be running"
        kill_tree(proc)
    finally:
        os.unlink(handle.name)
    assert len(landed(emu)) >= 2, "the run must have been killed mid-way, not before it wrote"
    time.sleep(1.0)       # let the emulator finish the request that lost its client
    emu.set_faults([])

    after = emu.ownership()
    moved = {pid for pid in WANTED if after[pid] == DEST}
    assert all(after[pid] in (OTHER, DEST) for pid in WANTED)
    assert {pid for pid in after if after[pid] != before[pid]} == moved, "nothing outside the request moved"
    batches = [WANTED[i:i + BATCH] for i in range(0, len(WANTED), BATCH)]
    assert all(set(b) <= moved or not set(b) & moved for b in batches), "a batch landed in part"
    assert 2 <= len(moved) // BATCH < len(batches), "killed after some batches, before the last"

    emu.reset_log()
    result, _proc = run_module(MODULE, params)
    assert not result.get("failed"), result["msg"]
    assert sorted(result["already_present"]) == sorted(moved)
    assert sorted(result["transferred"]) == sorted(set(WANTED) - moved)
    assert all(emu.ownership()[pid] == DEST for pid in WANTED)
    assert {pid for pid, org in emu.ownership().items() if org != before[pid]} == set(WANTED)

    emu.reset_log()
    again, _proc = run_module(MODULE, params)
    assert not again.get("failed") and again["changed"] is False and emu.writes() == []

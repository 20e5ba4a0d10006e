# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/transfer_projects.yml (and the demo built on it) end to end against the emulator."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import yaml

from harness import ROOT, ansible_env, neon_env, recap, run_playbook
from scenarios import ADA_KEY, DEST, SMALL, SRC

PLAYBOOK = os.path.join(ROOT, "playbooks", "transfer_projects.yml")
EXAMPLE = os.path.join(ROOT, "examples", "ownership.yml")
DEMO = os.path.join(ROOT, "emulator", "scenarios", "demo.yml")
PROD = "org-acme-prod-81040908"
PLATFORM = "org-acme-platform-27190346"


def demo_scenario():
    with open(DEMO) as handle:
        return yaml.safe_load(handle)


def demo_key(scenario):
    return next(k["key"] for k in scenario["api_keys"] if k.get("name") == "ada-personal")


def write_ownership(tmp_path, data):
    path = tmp_path / "ownership.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def test_example_ownership_file_check_apply_rerun(emulator_factory):
    scenario = demo_scenario()
    emu = emulator_factory(scenario)
    env = neon_env(emu, demo_key(scenario))
    before = emu.ownership()
    args = ["-e", "neon_ownership_file=%s" % EXAMPLE]

    check = run_playbook(PLAYBOOK, args + ["--check", "--diff"], env=env)
    assert check.returncode == 0, check.stdout[-3000:]
    assert recap(check.stdout)["changed"] == 1 and emu.writes() == [] and emu.ownership() == before
    assert "+tenant-000001  (from %s)" % PROD in check.stdout         # the diff, one line per project
    assert "Would transfer 992 project(s) to %s" % PLATFORM in check.stdout

    apply = run_playbook(PLAYBOOK, args, env=env)
    assert apply.returncode == 0, apply.stdout[-3000:]
    assert recap(apply.stdout)["changed"] == 1
    blocked = {"marketing-site-44920117"} | {"tenant-%06d" % n for n in range(100, 1001, 100)}
    expected = {pid for pid, owner in before.items() if owner == PROD} - blocked
    moved = {pid for pid, owner in emu.ownership().items() if before[pid] != owner}
    assert moved == expected and len(moved) == 992
    assert all(emu.ownership()[pid] == PLATFORM for pid in moved)
    assert "Transferred 992 project(s) to %s" % PLATFORM in apply.stdout

    emu.reset_log()
    again = run_playbook(PLAYBOOK, args, env=env)
    assert again.returncode == 0, again.stdout[-3000:]
    assert recap(again.stdout)["changed"] == 0 and emu.writes() == []


def test_a_failing_entry_does_not_stop_the_others(emu, tmp_path):
    path = write_ownership(tmp_path, {"organizations": [
        {"name": "missing project", "org_id": DEST, "projects": ["p-nope-1"]},
        {"name": "good", "org_name": "Destination", "source_org_id": SRC, "projects": ["p-plain-1"]},
        {"name": "lower plan", "org_id": SMALL, "source_org_id": SRC, "projects": ["p-plain-2"]},
        {"org_id": DEST, "projects": ["p-dest-1"]},
    ]})
    proc = run_playbook(PLAYBOOK, ["-e", "neon_ownership_file=%s" % path], env=neon_env(emu, ADA_KEY))
    assert proc.returncode != 0
    counters = recap(proc.stdout)
    assert counters["failed"] == 1 and counters["ignored"] == 1 and counters["changed"] == 1
    ownership = emu.ownership()
    assert ownership["p-plain-1"] == DEST and ownership["p-plain-2"] == SRC
    message = " ".join(proc.stdout.split())
    assert "2 of 4 entries did not converge: [missing project]" in message
    assert "p-nope-1" in message and "[lower plan]" in message and "subscription_type" in message
    assert "[good]" not in message.split("did not converge")[1]


def test_invalid_ownership_files_are_refused_before_any_request(emu, tmp_path):
    path = write_ownership(tmp_path, {"defaults": {"skip_blocked": True}, "organizations": [
        {"org_id": DEST, "projects": ["p-plain-1"], "all_projects": True},
        {"org_name": "Destination", "all_projects": True},
        {"org_name": "Destination", "project": ["p-plain-1"]},
    ]})
    proc = run_playbook(PLAYBOOK, ["-e", "neon_ownership_file=%s" % path], env=neon_env(emu, ADA_KEY))
    assert proc.returncode != 0 and emu.request_log == []
    output = " ".join(proc.stdout.split())
    assert "Validation of arguments failed" in output
    assert "mutually exclusive: projects|all_projects found in organizations" in output
    assert "all_projects is True but any of the following are missing: source_org_id, source_org_name" in output
    assert "organizations.project. Supported parameters include: all_projects" in output      # a typo


def test_make_demo_runs_and_converges():
    """tools/demo.sh as `make demo` runs it: its own emulator on a free port, three runs, changed=0 at the end."""
    env = ansible_env({"VENV": os.path.dirname(os.path.dirname(sys.executable))})
    proc = subprocess.run(["bash", os.path.join(ROOT, "tools", "demo.sh")], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "converged: the second real run changed nothing (changed=0)" in out
    assert out.count("PLAY RECAP") == 3 and "more line(s)" in out        # long diffs are shortened
    after = out.split("\nafter:\n")[1]
    assert re.search(r"Acme Platform +%s +993 project\(s\)" % PLATFORM, after)
    assert re.search(r"Acme Production +%s +11 project\(s\)" % PROD, after)

# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/onboard_org.yml with the example variables file, against the demo scenario."""

from __future__ import annotations

import glob
import json
import os

import yaml

from harness import ROOT, neon_env, recap, run_playbook

PLAYBOOK = os.path.join(ROOT, "playbooks", "onboard_org.yml")
EXAMPLE_VARS = os.path.join(ROOT, "examples", "onboarding.yml")
DEMO = os.path.join(ROOT, "emulator", "scenarios", "demo.yml")
PROD = "org-acme-prod-81040908"
PLATFORM = "org-acme-platform-27190346"


def test_onboard_org_with_the_example_vars_file(emulator_factory, tmp_path):
    with open(DEMO) as handle:
        scenario = yaml.safe_load(handle)
    emu = emulator_factory(scenario)
    key = next(k["key"] for k in scenario["api_keys"] if k.get("name") == "ada-personal")
    before = emu.ownership()

    # Run from another directory: the default report directory (neon-reports) is relative to it.
    proc = run_playbook(PLAYBOOK, ["-e", "@%s" % EXAMPLE_VARS], env=neon_env(emu, key), cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert recap(proc.stdout)["changed"] == 1

    blocked = {"marketing-site-44920117"} | {"tenant-%06d" % n for n in range(100, 1001, 100)}
    expected = {pid for pid, owner in before.items() if owner == PROD} - blocked - {"billing-core-60114233"}
    moved = {pid for pid, owner in emu.ownership().items() if before[pid] != owner}
    assert moved == expected and len(moved) == 991

    paths = sorted(glob.glob(str(tmp_path / "neon-reports" / ("onboarding-%s-*" % PLATFORM))))
    assert [os.path.splitext(p)[1] for p in paths] == [".json", ".md"]
    with open(paths[0]) as handle:
        report = json.load(handle)
    assert report["status"] == "changed" and sorted(report["transferred"]) == sorted(expected)
    assert {b["id"] for b in report["blocked"]} == blocked
    assert report["verified"] == {"checked": 991, "missing": []}
    assert report["request"]["all_projects"] is True and report["request"]["exclude"] == ["billing-core-60114233"]
    with open(paths[1]) as handle:
        markdown = handle.read()
    assert "## Moved (991)" in markdown and "## Blocked by an integration (11)" in markdown
    assert "| `marketing-site-44920117` | github |" in markdown

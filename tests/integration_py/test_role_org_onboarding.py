# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The neon_ops.neon.org_onboarding role end to end, its JSON and Markdown reports parsed and checked."""

from __future__ import annotations

import glob
import json
import os
import re

import pytest

from harness import neon_env, recap, run_playbook
from scenarios import ADA_KEY, BOB_KEY, DEST, ORG_KEY, PLAIN, SMALL, SRC

REPORT_NAME = re.compile(r"onboarding-(?P<org>[A-Za-z0-9_.-]+)-(?P<stamp>\d{8}T\d{6}Z)\.(json|md)\Z")


class Reports:
    """The report files of a directory, read in the order they were written."""

    def __init__(self, directory):
        self.directory = str(directory)
        self.seen = set()

    def new(self):
        """(report dict, markdown text) of the one run written since the last call."""
        paths = sorted(set(glob.glob(os.path.join(self.directory, "onboarding-*"))) - self.seen)
        self.seen.update(paths)
        assert [os.path.splitext(p)[1] for p in paths] == [".json", ".md"], paths
        for path in paths:
            assert REPORT_NAME.match(os.path.basename(path)), path
        with open(paths[0]) as handle:
            report = json.load(handle)
        with open(paths[1]) as handle:
            markdown = handle.read()
        assert os.path.splitext(paths[0])[0] == os.path.splitext(paths[1])[0]
        return report, markdown


def run_role(emu, report_dir, key=ADA_KEY, check=False, **role_vars):
    role_vars.setdefault("org_onboarding_report_dir", str(report_dir))
    play = [{"name": "onboarding", "hosts": "localhost", "gather_facts": False,
             "roles": [{"role": "neon_ops.neon.org_onboarding", "vars": role_vars}]}]
    return run_playbook(play, ["--check"] if check else [], env=neon_env(emu, key))


def markdown_list(markdown, heading):
    """The `id` items listed under a '## heading (n)' section of the Markdown report."""
    section = re.search(r"^## %s \((\d+)\)\n\n(.*?)(?=^## |\Z)" % re.escape(heading), markdown, re.S | re.M)
    assert section, heading
    items = re.findall(r"^- `([^`]+)`$", section.group(2), re.M)
    assert len(items) == int(section.group(1))
    return items


def markdown_table(markdown, heading):
    """The rows (lists of cells) of the table under a '## heading' section."""
    section = re.search(r"^## %s.*?\n\n(.*?)(?=^## |\Z)" % re.escape(heading), markdown, re.S | re.M)
    assert section, heading
    rows = [line.strip("|").split("|") for line in section.group(1).splitlines() if line.startswith("|")]
    return [[cell.strip().strip("`") for cell in row] for row in rows[2:]]


def test_check_then_apply_then_rerun_with_reports(emu, tmp_path):
    reports = Reports(tmp_path)
    wanted = PLAIN[:2] + ["p-github-1", "p-dest-1"]
    role_vars = dict(org_onboarding_destination_org_name="Destination", org_onboarding_source_org_id=SRC,
                     org_onboarding_projects=wanted, org_onboarding_skip_blocked=True)
    before = emu.ownership()

    # 1. check mode: the plan is shown and reported, nothing is sent.
    proc = run_role(emu, tmp_path, check=True, **role_vars)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert recap(proc.stdout)["changed"] == 1            # the prediction stands for the transfer
    assert emu.writes() == [] and emu.ownership() == before
    assert "Would transfer 2 project(s)" in proc.stdout
    assert "p-github-1 (p-github-1) has github: it cannot move until the github integration is removed" in proc.stdout
    planned, markdown = reports.new()
    assert (planned["mode"], planned["status"], planned["changed"]) == ("check", "planned", False)
    assert planned["transferred"] == PLAIN[:2] and planned["already_present"] == ["p-dest-1"]
    assert planned["blocked"] == [{"id": "p-github-1", "integration": "github"}]
    assert planned["verified"] is None and planned["failure"] is None
    assert planned["source"]["id"] == SRC and planned["destination"]["id"] == DEST
    assert "members" not in planned["destination"] and planned["user"] == "ada@example.com"
    assert [p["id"] for p in planned["integration_projects"]] == ["p-github-1"]
    assert "**planned** (check mode: nothing was changed)" in markdown
    assert markdown_list(markdown, "Would move") == PLAIN[:2]
    assert markdown_table(markdown, "Blocked by an integration") == [["p-github-1", "github"]]

    # 2. the real run moves exactly what was predicted, verifies it, and reports it.
    proc = run_role(emu, tmp_path, **role_vars)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert recap(proc.stdout)["changed"] == 1            # the transfer; reports never count as changes
    assert {pid: owner for pid, owner in emu.ownership().items() if before[pid] != owner} == {
        pid: DEST for pid in PLAIN[:2]}
    done, markdown = reports.new()
    assert (done["mode"], done["status"], done["changed"]) == ("apply", "changed", True)
    for key in ("transferred", "already_present", "blocked"):
        assert done[key] == planned[key], key
    assert done["verified"] == {"checked": 3, "missing": []}
    assert done["started_at"] <= done["finished_at"] and done["duration_seconds"] > 0
    assert done["api_requests"] >= 6 and done["errors"] == [] and done["limits"] == []
    assert markdown_list(markdown, "Moved") == PLAIN[:2]
    assert markdown_list(markdown, "Already in the destination") == ["p-dest-1"]
    assert "3 project(s) read back in the destination, none missing." in markdown

    # 3. a second run changes nothing, and its report says so.
    emu.reset_log()
    proc = run_role(emu, tmp_path, **role_vars)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert recap(proc.stdout)["changed"] == 0
    assert emu.writes() == []
    again, markdown = reports.new()
    assert (again["status"], again["changed"], again["transferred"]) == ("unchanged", False, [])
    assert sorted(again["already_present"]) == sorted(PLAIN[:2] + ["p-dest-1"])
    assert "Nothing changed: the destination already owns every requested project that can move." in markdown
    assert markdown_list(markdown, "Moved") == []


def test_integration_projects_stop_the_role_before_any_move(emu, tmp_path):
    before = emu.ownership()
    proc = run_role(emu, tmp_path, org_onboarding_destination_org_id=DEST, org_onboarding_source_org_name="Source",
                    org_onboarding_all_projects=True, org_onboarding_exclude=["p-eu-1"])
    assert proc.returncode != 0 and recap(proc.stdout)["failed"] == 1
    assert emu.writes() == [] and emu.ownership() == before
    report, markdown = Reports(tmp_path).new()
    assert report["status"] == "failed" and report["mode"] == "apply"
    assert report["failure"].startswith("Plan | Predict the transfer")
    assert "org_onboarding_skip_blocked: true" in report["failure"]
    assert sorted(report["blocked"], key=lambda b: b["id"]) == [{"id": "p-github-1", "integration": "github"},
                                                                {"id": "p-vercel-1", "integration": "vercel"}]
    assert "p-eu-1" not in report["transferred"] and report["verified"] is None
    blocked_rows = markdown_table(markdown, "Blocked by an integration")
    assert sorted(row[0] for row in blocked_rows) == ["p-github-1", "p-vercel-1"]
    assert "**failed**" in markdown


@pytest.mark.parametrize("key, role_vars, needle", [
    (ORG_KEY, {}, "Transfers need a personal API key"),
    (BOB_KEY, {}, "bob@example.com must be admin of the source Source"),
    (ADA_KEY, {"org_onboarding_destination_org_id": DEST}, "Set exactly one of org_onboarding_destination_org_id"),
    (ADA_KEY, {"org_onboarding_source_org_name": "Nowhere", "org_onboarding_source_org_id": None},
     "The source organization Nowhere is not among the organizations this key can see"),
    (ADA_KEY, {"org_onboarding_destination_org_name": "Twin"},
     "The destination organization Twin matches several organizations: org-twin-a000001, org-twin-b000001"),
], ids=["organization-key", "not-admin-of-source", "destination-twice", "unknown-source", "ambiguous-destination"])
def test_preflight_refusals_are_reported_and_change_nothing(emu, tmp_path, key, role_vars, needle):
    merged = dict(org_onboarding_destination_org_name="Destination", org_onboarding_source_org_id=SRC,
                  org_onboarding_projects=["p-plain-1"])
    merged.update(role_vars)
    proc = run_role(emu, tmp_path, key=key, **merged)
    assert proc.returncode != 0
    assert emu.writes() == []
    report, markdown = Reports(tmp_path).new()
    assert report["status"] == "failed" and report["failure"].startswith("Preflight | ")
    assert needle in " ".join(report["failure"].split()), report["failure"]
    assert report["transferred"] == [] and report["changed"] is False
    assert key not in json.dumps(report) and key not in markdown and key not in proc.stdout


def test_lower_plan_is_warned_and_the_limit_reported(emu, tmp_path):
    proc = run_role(emu, tmp_path, org_onboarding_destination_org_id=SMALL, org_onboarding_source_org_id=SRC,
                    org_onboarding_projects=["p-plain-1"])
    assert proc.returncode != 0
    assert "WARNING: The destination Small is on the launch plan, lower than the source's scale" in proc.stdout
    assert emu.ownership()["p-plain-1"] == SRC and len(emu.writes()) == 1
    report, markdown = Reports(tmp_path).new()
    assert report["status"] == "failed" and report["failure"].startswith("Transfer | ")
    assert report["warnings"] and "subscription_type" in report["warnings"][0]
    assert {"name": "subscription_type", "expected": "scale", "actual": "launch"} in report["limits"]
    assert report["remaining"] == ["p-plain-1"] and report["request_ids"]
    assert report["request_ids"][0] in markdown
    assert ["subscription_type", "scale", "launch"] in markdown_table(markdown, "Plan limits hit")

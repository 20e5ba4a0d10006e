# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/inventory_report.yml: the CSV and Markdown inventories, parsed and checked against the emulator."""

from __future__ import annotations

import csv
import glob
import os
import re

from harness import ROOT, neon_env, recap, run_playbook
from scenarios import ADA_KEY, BASIC, OTHER, SRC

PLAYBOOK = os.path.join(ROOT, "playbooks", "inventory_report.yml")


def markdown_table(markdown, heading):
    section = re.search(r"^## %s\n\n(.*?)(?=^## |\Z)" % re.escape(heading), markdown, re.S | re.M)
    assert section, heading
    rows = [line.strip("|").split("|") for line in section.group(1).splitlines() if line.startswith("|")]
    return [[cell.strip().strip("`") for cell in row] for row in rows[2:]]


def test_inventory_report_csv_and_markdown(emu, tmp_path):
    proc = run_playbook(PLAYBOOK, ["--check", "-e", "neon_inventory_dir=reports"], env=neon_env(emu, ADA_KEY),
                        cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert recap(proc.stdout)["changed"] == 0 and emu.writes() == []
    csv_paths = glob.glob(str(tmp_path / "reports" / "neon-inventory-*.csv"))
    md_paths = glob.glob(str(tmp_path / "reports" / "neon-inventory-*.md"))
    assert len(csv_paths) == 1 and len(md_paths) == 1
    assert os.path.splitext(csv_paths[0])[0] == os.path.splitext(md_paths[0])[0]

    with open(csv_paths[0], newline="") as handle:
        rows = list(csv.DictReader(handle))
    owned = {pid: org for pid, org in emu.ownership().items() if org is not None}
    assert {row["project_id"]: row["org_id"] for row in rows} == owned and len(rows) == len(owned)
    names = {org["id"]: org["name"] for org in BASIC["orgs"]}
    assert all(row["org_name"] == names[row["org_id"]] for row in rows)
    by_id = {row["project_id"]: row for row in rows}
    assert (by_id["p-github-1"]["integrations"], by_id["p-github-1"]["blocking_integration"]) == ("github", "github")
    assert (by_id["p-vercel-1"]["integrations"], by_id["p-vercel-1"]["blocking_integration"]) == ("vercel", "vercel")
    assert (by_id["p-datadog-1"]["integrations"], by_id["p-datadog-1"]["blocking_integration"]) == ("datadog", "")
    assert by_id["p-eu-1"]["region_id"] == "aws-eu-central-1" and by_id["p-eu-1"]["org_plan"] == "scale"

    with open(md_paths[0]) as handle:
        markdown = handle.read()
    summary = {row[1]: row for row in markdown_table(markdown, "Organizations")}
    assert set(summary) == set(names)
    counts = {org: sum(1 for row in rows if row["org_id"] == org) for org in names}
    assert {org: int(row[4]) for org, row in summary.items()} == counts
    assert summary[SRC][3] == "ada@example.com" and summary[SRC][5:] == ["3", "2"]   # 3 integrations, 2 block
    integrations = markdown_table(markdown, "Projects with integrations")
    assert sorted(row[0] for row in integrations) == ["p-datadog-1", "p-github-1", "p-vercel-1"]
    assert ["p-datadog-1", "Source", "datadog", "no"] in integrations
    # The Markdown lists 200 projects per organization; the CSV has the rest.
    assert "%d more project(s) are listed in the CSV." % (counts[OTHER] - 200) in markdown

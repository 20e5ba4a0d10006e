# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""neon_organization_info and neon_project_info end to end: ansible-playbook -> module -> loopback HTTP -> emulator."""

from __future__ import annotations

import json
import os
import tempfile

from harness import neon_env, recap, run_module, run_playbook
from scenarios import ADA_KEY, BOB_KEY, DEST, ORG_KEY, OTHER, SRC

ORG_INFO = "neon_ops.neon.neon_organization_info"
PROJECT_INFO = "neon_ops.neon.neon_project_info"


def params(emu, key=ADA_KEY, **options):
    options.update(api_key=key, api_url=emu.api_url)
    return options


def test_both_modules_in_check_mode_through_the_action_group(emu):
    """module_defaults for group/neon_ops.neon.neon reaches both modules; check mode reads, never writes."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.json")
        play = [{
            "name": "info modules",
            "hosts": "localhost",
            "gather_facts": False,
            "module_defaults": {"group/neon_ops.neon.neon": {"api_url": emu.api_url}},
            "tasks": [
                {"name": "Organizations", ORG_INFO: {"members": True}, "register": "orgs"},
                {"name": "Projects of the destination", PROJECT_INFO: {"org_id": DEST}, "register": "projects"},
                {"name": "Save", "ansible.builtin.copy": {
                    "content": "{{ {'orgs': orgs, 'projects': projects} | to_json }}", "dest": out,
                    "mode": "0600"}, "check_mode": False},
            ],
        }]
        proc = run_playbook(play, ["--check"], env=neon_env(emu, ADA_KEY))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        with open(out) as handle:
            result = json.load(handle)
    orgs, projects = result["orgs"], result["projects"]
    assert recap(proc.stdout)["changed"] == 1        # only the Save task writes
    assert orgs["changed"] is False and projects["changed"] is False
    assert emu.writes() == [] and {r["method"] for r in emu.request_log} == {"GET"}

    assert orgs["auth"]["key_type"] == "personal" and orgs["current_user"]["email"] == "ada@example.com"
    by_id = {o["id"]: o for o in orgs["organizations"]}
    assert len(by_id) == 7
    src = by_id[SRC]
    facts = (src["name"], src["plan"], src["managed_by"], src["current_user_role"])
    assert facts == ("Source", "scale", "console", "admin")
    members = {(m["email"], m["role"]) for m in src["members"]}
    assert members == {("ada@example.com", "admin"), ("bob@example.com", "viewer")}
    assert by_id[DEST]["current_user_role"] == "member"
    assert orgs["api_requests"] == 3 + len(by_id)

    assert projects["org_id"] == DEST and projects["count"] == 2
    assert sorted(p["id"] for p in projects["projects"]) == ["p-dest-1", "p-dest-2"]
    assert projects["unavailable_project_ids"] == [] and "missing_project_ids" not in projects


def test_project_info_by_ids_reports_integrations_and_missing(emu):
    result, _proc = run_module(PROJECT_INFO, params(emu, org_name="Source",
                                                    projects=["p-vercel-1", "p-plain-1", "p-dest-1"]))
    assert not result.get("failed"), result
    assert [p["id"] for p in result["projects"]] == ["p-vercel-1", "p-plain-1"]
    vercel = result["projects"][0]
    assert vercel["integrations"] == ["vercel"] and vercel["blocking_integration"] == "vercel"
    assert vercel["org_id"] == SRC and vercel["region_id"] and vercel["created_at"]
    assert result["missing_project_ids"] == ["p-dest-1"] and result["count"] == 2


def test_org_info_with_an_organization_key_returns_that_organization(emu):
    result, _proc = run_module(ORG_INFO, params(emu, key=ORG_KEY, members=True))
    assert not result.get("failed"), result
    assert result["auth"] == {"account_id": SRC, "auth_method": "api_key_org", "key_type": "organization"}
    assert result["current_user"] is None
    assert [o["id"] for o in result["organizations"]] == [SRC]
    assert result["organizations"][0]["current_user_role"] is None
    assert len(result["organizations"][0]["members"]) == 2


def test_org_info_by_name_may_match_several(emu):
    result, _proc = run_module(ORG_INFO, params(emu, name="Twin"))
    assert [o["name"] for o in result["organizations"]] == ["Twin", "Twin"]
    assert "members" not in result["organizations"][0]


def test_api_errors_fail_with_a_clear_message_and_never_the_key(emu):
    result, proc = run_module(PROJECT_INFO, params(emu, key=BOB_KEY, org_id=OTHER), verbosity=3)
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("Neon API error: HTTP 403 from GET /projects")
    assert result["error"]["status"] == 403 and result["error"]["request_id"]
    assert BOB_KEY not in json.dumps(result) and BOB_KEY not in proc.stdout + proc.stderr


def test_input_errors_fail_before_any_request(emu):
    ambiguous, _proc = run_module(PROJECT_INFO, params(emu, org_name="Twin"))
    assert ambiguous["failed"] is True and "matches 2" in ambiguous["msg"] and "org-twin-b000001" in ambiguous["msg"]
    bad_id, _proc = run_module(PROJECT_INFO, params(emu, org_id="Org_Bad"))
    assert bad_id["failed"] is True and "'Org_Bad'" in bad_id["msg"] and bad_id["api_requests"] == 0
    assert all(r["path"].endswith("/users/me/organizations") for r in emu.request_log)

# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The readers behind the info modules (plugins/module_utils/_info.py), called in-process against the emulator.

Quick to run, so the paging and request-count rules are checked here; test_info_modules.py runs the modules
through ansible-playbook.
"""

from __future__ import annotations

import pytest

from ansible_collections.neon_ops.neon.plugins.module_utils import _info
from ansible_collections.neon_ops.neon.plugins.module_utils._client import NeonApiError, NeonClient
from scenarios import ADA_KEY, BOB_KEY, DEST, ORG_KEY, OTHER, PROJECT_KEY, SRC

MANY_MEMBERS = {
    "users": [{"email": "user%02d@example.com" % n} for n in range(7)],
    "orgs": [{"id": "org-crowd-000001", "name": "Crowd", "members": (
        [{"user": "user00@example.com", "role": "admin"}]
        + [{"user": "user%02d@example.com" % n, "role": "member"} for n in range(1, 7)])}],
    "api_keys": [{"key": ADA_KEY, "kind": "personal", "user": "user03@example.com"}],
}


def client(emu, key=ADA_KEY):
    return NeonClient(key, emu.api_url, retries=0)


def neon_calls(emu):
    return [(r["method"], r["path"][len("/api/v2"):], {k: v[0] for k, v in r["query"].items()})
            for r in emu.request_log]


def test_members_follow_pagination_next_to_the_end(emulator_factory):
    emu = emulator_factory(MANY_MEMBERS)
    members = _info.list_members(client(emu), "org-crowd-000001", limit=3)
    assert sorted(m["email"] for m in members) == ["user%02d@example.com" % n for n in range(7)]
    pages = [q for method, path, q in neon_calls(emu) if path.endswith("/members")]
    # 7 members by 3: two full pages, then a short one; the cursor of each page is sent back.
    assert len(pages) == 3 and "cursor" not in pages[0] and pages[1]["cursor"] and pages[2]["cursor"]
    assert all(q["limit"] == "3" for q in pages)


def test_members_exact_multiple_of_the_page_ends_on_the_empty_page(emulator_factory):
    emu = emulator_factory(MANY_MEMBERS)
    assert len(_info.list_members(client(emu), "org-crowd-000001", limit=7)) == 7
    assert len([c for c in neon_calls(emu) if c[1].endswith("/members")]) == 2


def test_organizations_of_a_personal_key_with_the_user_role(emu):
    result = _info.read_organizations(client(emu), members=True)
    assert result["auth"] == {"account_id": result["current_user"]["id"], "auth_method": "api_key_user",
                              "key_type": "personal"}
    assert result["current_user"]["email"] == "ada@example.com"
    roles = {o["id"]: o["current_user_role"] for o in result["organizations"]}
    assert roles[SRC] == "admin" and roles[DEST] == "member"
    names = [o["name"] for o in result["organizations"]]
    assert names == sorted(names)
    # One GET /auth, /users/me, the list, and one members page per organization; nothing else.
    calls = neon_calls(emu)
    assert all(method == "GET" for method, _path, _query in calls)
    assert len(calls) == 3 + len(result["organizations"])


@pytest.mark.parametrize("key, key_type", [(ORG_KEY, "organization"), (PROJECT_KEY, "project")],
                         ids=["organization-key", "project-key"])
def test_organization_and_project_keys_see_their_organization(emu, key, key_type):
    result = _info.read_organizations(client(emu, key))
    assert result["auth"]["key_type"] == key_type and result["current_user"] is None
    assert [o["id"] for o in result["organizations"]] == [SRC]


def test_one_organization_by_id_or_name(emu):
    assert [o["id"] for o in _info.read_organizations(client(emu), org_id=DEST)["organizations"]] == [DEST]
    assert _info.read_organizations(client(emu), org_id="org-nope-0000001")["organizations"] == []
    twins = _info.read_organizations(client(emu), name="Twin")["organizations"]
    assert len(twins) == 2 and {o["name"] for o in twins} == {"Twin"}
    by_handle = _info.read_organizations(client(emu), name="small-org-small-000001")["organizations"]
    assert [o["name"] for o in by_handle] == ["Small"]


def test_projects_of_an_organization_with_merged_integrations(emu):
    result = _info.read_projects(client(emu), org_name="Source")
    by_id = {p["id"]: p for p in result["projects"]}
    assert result["count"] == len(by_id) == 10 and result["org_id"] == SRC
    assert by_id["p-github-1"]["integrations"] == ["github"]
    assert by_id["p-github-1"]["blocking_integration"] == "github"
    assert by_id["p-vercel-1"]["integrations"] == ["vercel"]            # from the applications map
    assert by_id["p-datadog-1"]["blocking_integration"] is None          # datadog does not block a transfer
    assert set(by_id["p-eu-1"]) == {"id", "name", "region_id", "pg_version", "created_at", "org_id",
                                    "integrations", "blocking_integration"}
    assert by_id["p-eu-1"]["region_id"] == "aws-eu-central-1" and by_id["p-eu-1"]["org_id"] == SRC


def test_a_large_organization_is_listed_in_pages_of_400(emu):
    result = _info.read_projects(client(emu), org_id=OTHER)
    assert result["count"] == 901
    listings = [q for method, path, q in neon_calls(emu) if path == "/projects"]
    assert [q["limit"] for q in listings] == ["400"] * 3


def test_few_ids_in_a_large_organization_are_searched_one_by_one(emu):
    wanted = ["bulk-000900", "bulk-000001", "p-other-1", "nope-1", "bulk-000900"]
    result = _info.read_projects(client(emu), org_id=OTHER, projects=wanted)
    assert [p["id"] for p in result["projects"]] == ["bulk-000900", "bulk-000001", "p-other-1"]
    assert result["missing_project_ids"] == ["nope-1"]
    searches = [q.get("search") for method, path, q in neon_calls(emu) if path == "/projects"]
    # The first page (bulk-000001 is on it), then one search for each id it did not hold.
    assert searches[0] is None and sorted(searches[1:]) == ["bulk-000900", "nope-1", "p-other-1"]


def test_many_ids_are_read_from_one_listing(emu):
    wanted = ["bulk-%06d" % n for n in range(1, 31)] + ["p-plain-1"]
    result = _info.read_projects(client(emu), org_id=OTHER, projects=wanted)
    assert result["count"] == 30 and result["missing_project_ids"] == ["p-plain-1"]
    assert all("search" not in q for method, path, q in neon_calls(emu) if path == "/projects")


def test_an_empty_id_list_reads_nothing(emu):
    result = _info.read_projects(client(emu), org_id=SRC, projects=[])
    assert result["projects"] == [] and result["missing_project_ids"] == []
    assert [c for c in neon_calls(emu) if c[1] == "/projects"] == []


def test_unavailable_projects_are_reported_not_dropped(emu):
    emu.set_faults([{"kind": "unavailable_project_ids", "project_ids": ["p-plain-2"]}])
    warnings = []
    result = _info.read_projects(client(emu), org_id=SRC, warn=warnings.append)
    assert result["unavailable_project_ids"] == ["p-plain-2"]
    assert "p-plain-2" not in [p["id"] for p in result["projects"]]
    assert warnings and "p-plain-2" in warnings[0]
    picked = _info.read_projects(client(emu), org_id=SRC, projects=["p-plain-2", "p-plain-3"])
    assert picked["unavailable_project_ids"] == ["p-plain-2"] and picked["missing_project_ids"] == []


def test_search_filters_by_name_or_id(emu):
    result = _info.read_projects(client(emu), org_id=SRC, search="plain")
    assert sorted(p["id"] for p in result["projects"]) == sorted("p-plain-%d" % n for n in range(1, 7))


def test_an_ambiguous_or_unknown_org_name_names_the_candidates(emu):
    with pytest.raises(_info.InfoError, match="matches 2 .*Twin \\(org-twin-a000001\\)"):
        _info.read_projects(client(emu), org_name="Twin")
    with pytest.raises(_info.InfoError, match="matches none"):
        _info.read_projects(client(emu), org_name="Nobody")


def test_an_org_the_user_cannot_list_is_an_api_error(emu):
    with pytest.raises(NeonApiError) as caught:
        _info.read_projects(client(emu, BOB_KEY), org_id=OTHER)
    assert caught.value.status == 403 and caught.value.request_id
    assert "HTTP 403 from GET /projects" in caught.value.describe()

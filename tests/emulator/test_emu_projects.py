"""GET /projects and GET /projects/{id}: validation, key scoping, paging, maps."""

import pytest

from conftest import (ADA, ALPHA, ALPHA_ORG_KEY, BETA, BETA_ORG_KEY, BOB, CAROL, DELTA, PROJECT_KEY, STRANGER,
                      Client, basic_scenario)
from neon_emulator import Emulator

LIST_ITEM_REQUIRED = {"active_time", "id", "platform_id", "region_id", "name", "pg_version", "proxy_host",
                      "branch_logical_size_limit", "branch_logical_size_limit_bytes", "provisioner",
                      "store_passwords", "cpu_used_sec", "creation_source", "created_at", "updated_at",
                      "owner_id"}
PROJECT_REQUIRED = {"consumption_period_end", "consumption_period_start", "active_time_seconds",
                    "compute_time_seconds", "written_data_bytes", "data_transfer_bytes", "data_storage_bytes_hour",
                    "id", "platform_id", "region_id", "name", "pg_version", "proxy_host",
                    "branch_logical_size_limit", "branch_logical_size_limit_bytes", "store_passwords",
                    "cpu_used_sec", "provisioner", "creation_source", "history_retention_seconds", "created_at",
                    "updated_at", "owner_id"}
ALPHA_IDS = sorted(["alpha-one-10000001", "alpha-two-10000002", "alpha-three-10000003", "alpha-eu-10000004",
                    "alpha-gh-10000005", "alpha-vc-10000006", "alpha-dd-10000007"])


def test_personal_key_needs_org_id(ada):
    response = ada.get("/projects")
    assert response.status_code == 400
    assert response.json()["message"] == "org_id is required, you can find it on your organization settings page"


def test_list_shape_and_maps(ada):
    response = ada.get("/projects", params={"org_id": ALPHA, "limit": 400})
    assert response.status_code == 200
    body = response.json()
    assert [p["id"] for p in body["projects"]] == ALPHA_IDS  # stable order by id
    for item in body["projects"]:
        assert LIST_ITEM_REQUIRED <= set(item)
        assert item["org_id"] == ALPHA and item["org_name"] == "Alpha"
        assert item["proxy_host"] == item["region_id"].split("-", 1)[1] + ".aws.neon.tech"
    # Only projects with something installed appear in the maps.
    assert body["integrations"] == {"alpha-gh-10000005": ["github"], "alpha-dd-10000007": ["datadog"]}
    assert body["applications"] == {"alpha-vc-10000006": ["vercel"]}
    assert body["pagination"] == {"cursor": ALPHA_IDS[-1]}
    assert "unavailable_project_ids" not in body


def test_default_limit_is_10(make_emu):
    scenario = basic_scenario()
    scenario["generate"] = [{"org": BETA, "count": 25, "prefix": "bulk"}]
    emu = make_emu(scenario)
    page = Client(emu, ADA).get("/projects", params={"org_id": BETA}).json()
    assert len(page["projects"]) == 10
    assert page["pagination"]["cursor"] == page["projects"][-1]["id"]


@pytest.mark.parametrize("params", [
    {"limit": 0}, {"limit": 401}, {"limit": -1}, {"limit": "ten"}, {"limit": "10.0"}, {"limit": ""},
    {"org_id": "ORG-UPPER"}, {"org_id": ""}, {"org_id": "x" * 61}, {"cursor": ""},
    {"timeout": 99}, {"timeout": 30001}, {"recoverable": "yes"}, {"limit": ["5", "6"]},
])
def test_list_parameter_validation(ada, params):
    query = dict({"org_id": ALPHA}, **params)
    response = ada.get("/projects", params=query)
    assert response.status_code == 400, (params, response.text)
    assert response.json()["message"]


def test_limit_bounds_accepted(ada):
    for limit in (1, 400):
        assert ada.get("/projects", params={"org_id": ALPHA, "limit": limit}).status_code == 200
    assert ada.get("/projects", params={"org_id": ALPHA, "timeout": 100}).status_code == 200


def test_org_key_scoping(client):
    org_key = client(ALPHA_ORG_KEY)
    inferred = org_key.get("/projects", params={"limit": 400}).json()
    assert [p["id"] for p in inferred["projects"]] == ALPHA_IDS
    explicit = org_key.get("/projects", params={"limit": 400, "org_id": ALPHA}).json()
    assert explicit["projects"] == inferred["projects"]
    assert org_key.get("/projects", params={"org_id": BETA}).status_code == 403
    assert client(BETA_ORG_KEY).get("/projects").json()["projects"][0]["id"] == "beta-one-20000001"


def test_project_key_cannot_list(client):
    response = client(PROJECT_KEY).get("/projects")
    assert response.status_code == 403 and "project-scoped" in response.json()["message"]


def test_membership_required_to_list(client):
    ada = client(ADA)
    assert ada.get("/projects", params={"org_id": STRANGER}).status_code == 403
    assert ada.get("/projects", params={"org_id": "org-nope-00000000"}).status_code == 403
    # Viewers can list; collaborators (only shared projects, not modelled) cannot.
    assert ada.get("/projects", params={"org_id": DELTA}).status_code == 200
    assert client(BOB).get("/projects", params={"org_id": ALPHA}).status_code == 200
    assert client(CAROL).get("/projects", params={"org_id": ALPHA}).status_code == 403


def test_paging_with_cursor_omit_on_empty_page(ada):
    ids, pages = ada.list_all(ALPHA, limit=3)
    assert ids == ALPHA_IDS
    assert [len(p["projects"]) for p in pages] == [3, 3, 1, 0]
    assert [p["pagination"]["cursor"] for p in pages[:3]] == [ALPHA_IDS[2], ALPHA_IDS[5], ALPHA_IDS[6]]
    assert "pagination" not in pages[-1]  # empty_page_cursor: omit
    # An exact multiple of the limit also ends with an empty page.
    ids, pages = ada.list_all(ALPHA, limit=7)
    assert [len(p["projects"]) for p in pages] == [7, 0]


def test_paging_with_cursor_echo_on_empty_page(make_emu):
    emu = make_emu(basic_scenario(empty_page_cursor="echo"))
    ids, pages = Client(emu, ADA).list_all(ALPHA, limit=3)
    assert ids == ALPHA_IDS
    assert pages[-1]["projects"] == [] and pages[-1]["pagination"] == {"cursor": ALPHA_IDS[-1]}
    # The first page carries no incoming cursor, so there is nothing to echo.
    empty = Client(emu, ADA).get("/projects", params={"org_id": ALPHA, "search": "zzz"}).json()
    assert "pagination" not in empty


def test_configure_switches_empty_page_cursor(emu, ada):
    emu.configure(empty_page_cursor="echo")
    page = ada.get("/projects", params={"org_id": ALPHA, "cursor": ALPHA_IDS[-1]}).json()
    assert page["pagination"] == {"cursor": ALPHA_IDS[-1]}
    with pytest.raises(ValueError):
        emu.configure(empty_page_cursor="sometimes")


def test_cursor_is_keyset_not_offset(ada, emu):
    first = ada.get("/projects", params={"org_id": ALPHA, "limit": 2}).json()
    cursor = first["pagination"]["cursor"]
    # A project moving out between pages must not shift the next page.
    assert ada.transfer(ALPHA, BETA, [ALPHA_IDS[0]]).status_code == 200
    second = ada.get("/projects", params={"org_id": ALPHA, "limit": 2, "cursor": cursor}).json()
    assert [p["id"] for p in second["projects"]] == ALPHA_IDS[2:4]


def test_search_on_name_and_id(ada):
    by_name = ada.get("/projects", params={"org_id": ALPHA, "search": "BILL"}).json()
    assert [p["id"] for p in by_name["projects"]] == ["alpha-eu-10000004", "alpha-one-10000001"]
    by_id = ada.get("/projects", params={"org_id": ALPHA, "search": "10000005"}).json()
    assert [p["id"] for p in by_id["projects"]] == ["alpha-gh-10000005"]
    assert by_id["integrations"] == {"alpha-gh-10000005": ["github"]}
    ids, pages = ada.list_all(ALPHA, limit=1, search="alpha-")
    assert ids == ALPHA_IDS


def test_get_project(client):
    ada = client(ADA)
    response = ada.get("/projects/alpha-one-10000001")
    assert response.status_code == 200
    project = response.json()["project"]
    assert PROJECT_REQUIRED <= set(project)
    assert project["org_id"] == ALPHA and project["owner"]["email"] == "ada@example.com"
    assert ada.get("/projects/stranger-one-70000001").status_code == 404  # not a member
    assert ada.get("/projects/nope-00000000").status_code == 404
    assert ada.get("/projects/Bad_Id").status_code == 400
    legacy = ada.get("/projects/ada-legacy-80000001").json()["project"]
    assert "org_id" not in legacy and legacy["owner_id"] == "0b8f1c1e-4d0a-4f57-9d53-0c2f7e0a1a01"
    assert client(BOB).get("/projects/ada-legacy-80000001").status_code == 404
    org_key = client(ALPHA_ORG_KEY)
    assert org_key.get("/projects/alpha-two-10000002").status_code == 200
    assert org_key.get("/projects/beta-one-20000001").status_code == 404
    project_key = client(PROJECT_KEY)
    assert project_key.get("/projects/alpha-one-10000001").status_code == 200
    assert project_key.get("/projects/alpha-two-10000002").status_code == 404


def test_project_key_stops_working_when_project_leaves(client):
    project_key = client(PROJECT_KEY)
    assert project_key.get("/auth").status_code == 200
    assert client(ADA).transfer(ALPHA, BETA, ["alpha-one-10000001"]).status_code == 200
    assert project_key.get("/auth").status_code == 401
    assert project_key.get("/projects/alpha-one-10000001").status_code == 401


def test_recoverable_lists_deleted_projects(make_emu):
    scenario = basic_scenario()
    scenario["projects"].append({"id": "alpha-gone-10000009", "org": ALPHA, "deleted": True})
    emu = make_emu(scenario)
    ada = Client(emu, ADA)
    assert "alpha-gone-10000009" not in ada.list_all(ALPHA)[0]
    deleted = ada.get("/projects", params={"org_id": ALPHA, "recoverable": "true"}).json()["projects"]
    assert [p["id"] for p in deleted] == ["alpha-gone-10000009"]
    assert "deleted_at" in deleted[0] and "recoverable_until" in deleted[0]
    assert ada.get("/projects/alpha-gone-10000009").status_code == 404
    assert "alpha-gone-10000009" not in emu.ownership()


def test_fast_item_rendering_matches_dict_rendering():
    import json
    from neon_emulator import render
    emu = Emulator(basic_scenario())
    with emu.state.lock:
        for project in list(emu.state.projects.values()):
            name = emu.state.orgs[project.org_id].name if project.org_id else None
            fast = json.loads(render.project_list_item_json(project, json.dumps(name)))
            assert fast == render.project_list_item(project, name)
            assert list(fast) == list(render.project_list_item(project, name))


def _render_afresh(emu):
    """Forget every cached listing item (Project.list_json): the next pages are rendered from scratch."""
    with emu.state.lock:
        for project in list(emu.state.projects.values()) + list(emu.state.deleted.values()):
            project.list_json = None


def test_cached_pages_match_fresh_pages_after_projects_change(make_emu):
    import json
    from neon_emulator import render
    scenario = basic_scenario()
    scenario["projects"] += [
        {"id": "alpha-odd-10000008", "name": 'naïve "q" \u2603', "org": ALPHA, "created_at": -86401},
        {"id": "alpha-num-10000009", "name": 12345, "org": ALPHA, "created_at": 1e9, "pg_version": 16},
    ]
    emu = make_emu(scenario)
    ada = Client(emu, ADA)

    def pages():
        return [ada.get("/projects", params=dict(query, org_id=org, limit=400)).content
                for org in (ALPHA, BETA, DELTA) for query in ({}, {"recoverable": "true"})]

    pages()
    kept = emu.state.projects["alpha-dd-10000007"].list_json
    assert kept is not None
    # Every path that changes a listed project: a transfer, the personal transfer, another actor's move and delete.
    assert ada.transfer(ALPHA, BETA, ["alpha-one-10000001", "alpha-odd-10000008"]).status_code == 200
    assert ada.post("/users/me/projects/transfer", json={"destination_org_id": BETA,
                                                         "project_ids": ["ada-legacy-80000001"]}).status_code == 200
    emu.set_faults([{"kind": "other_actor", "action": "move", "project_ids": ["alpha-num-10000009"], "to_org": DELTA},
                    {"kind": "other_actor", "action": "delete", "project_ids": ["alpha-two-10000002"], "after": 1}])
    ada.get("/auth")
    ada.get("/auth")
    cached = pages()
    assert emu.state.projects["alpha-dd-10000007"].list_json is kept  # unchanged projects were not re-rendered
    _render_afresh(emu)
    assert pages() == cached

    beta = {p["id"]: p for p in json.loads(cached[2])["projects"]}
    assert beta["alpha-one-10000001"]["org_id"] == BETA and beta["alpha-one-10000001"]["org_name"] == "Beta"
    assert beta["ada-legacy-80000001"]["owner_id"] == BETA
    assert "alpha-num-10000009" in [p["id"] for p in json.loads(cached[4])["projects"]]
    gone = json.loads(cached[1])["projects"]
    assert [p["id"] for p in gone] == ["alpha-two-10000002"] and "deleted_at" in gone[0]
    # The text rendering still equals the dict one for moved, deleted and odd-valued projects.
    with emu.state.lock:
        for project in list(emu.state.projects.values()) + list(emu.state.deleted.values()):
            name = emu.state.orgs[project.org_id].name if project.org_id else None
            fast = json.loads(render.project_list_item_json(project, json.dumps(name)))
            assert fast == render.project_list_item(project, name)
            assert list(fast) == list(render.project_list_item(project, name))


def test_a_warmed_emulator_serves_the_same_pages(make_emu):
    """warm() renders ahead what the first listing would render: same bytes, and every live org project cached."""
    emu = make_emu(basic_scenario())
    ada = Client(emu, ADA)
    emu.warm()
    assert all(p.list_json is not None for p in emu.state.projects.values() if p.org_id is not None)
    warmed = [ada.get("/projects", params={"org_id": org, "limit": 400}).content for org in (ALPHA, BETA, DELTA)]
    _render_afresh(emu)
    assert [ada.get("/projects", params={"org_id": org, "limit": 400}).content for org in (ALPHA, BETA, DELTA)] == warmed


def test_search_finds_what_a_test_of_every_project_finds_before_and_after_moves(make_emu):
    """The search text is cached per organization (SortedIds.search_after): it must follow every change."""
    emu = make_emu(basic_scenario())
    ada = Client(emu, ADA)

    def searched(org, needle, limit=400):
        query = {"org_id": org, "search": needle, "limit": limit}
        return [p["id"] for p in ada.get("/projects", params=query).json()["projects"]]

    def expected(org, needle):
        with emu.state.lock:
            return sorted(pid for pid, p in emu.state.projects.items()
                          if p.org_id == org and (needle.lower() in pid or needle.lower() in p.name.lower()))

    needles = ["alpha", "1000000", "one", "-", "ALPHA-T", "zzz-none"]
    for needle in needles:
        assert searched(ALPHA, needle) == expected(ALPHA, needle), needle
    assert ada.transfer(ALPHA, BETA, ["alpha-one-10000001"]).status_code == 200
    for org in (ALPHA, BETA):
        for needle in needles:
            assert searched(org, needle) == expected(org, needle), (org, needle)
    # A cursor resumes after the last id of the page before, as without a search.
    first = searched(ALPHA, "alpha", limit=1)
    rest = [p["id"] for p in ada.get("/projects", params={"org_id": ALPHA, "search": "alpha", "limit": 400,
                                                          "cursor": first[0]}).json()["projects"]]
    assert first + rest == expected(ALPHA, "alpha")

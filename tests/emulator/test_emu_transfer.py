"""POST /organizations/{source}/projects/transfer and the deprecated personal endpoint."""

import json

import pytest

from conftest import (ADA, ALPHA, ALPHA_ORG_KEY, BETA, BOB, DELTA, EPSILON, GAMMA, PROJECT_KEY, STRANGER, VERCEL,
                      Client, basic_scenario)

ONE, TWO, THREE = "alpha-one-10000001", "alpha-two-10000002", "alpha-three-10000003"
EU, GH, VC, DD = "alpha-eu-10000004", "alpha-gh-10000005", "alpha-vc-10000006", "alpha-dd-10000007"


def url(source=ALPHA):
    return "/organizations/%s/projects/transfer" % source


def test_success_moves_projects(ada, emu):
    before = emu.ownership()
    response = ada.transfer(ALPHA, BETA, [ONE, TWO, DD])
    assert response.status_code == 200 and response.json() == {}
    after = emu.ownership()
    assert after[ONE] == after[TWO] == after[DD] == BETA
    assert {k: v for k, v in after.items() if k not in (ONE, TWO, DD)} == \
        {k: v for k, v in before.items() if k not in (ONE, TWO, DD)}
    listed = {p["id"]: p for p in ada.get("/projects", params={"org_id": BETA, "limit": 400}).json()["projects"]}
    assert listed[ONE]["org_id"] == BETA and listed[ONE]["org_name"] == "Beta"
    assert ada.get("/projects/" + ONE).json()["project"]["org_id"] == BETA
    assert [w["body"]["project_ids"] for w in emu.writes()] == [[ONE, TWO, DD]]


def test_member_destination_role_is_enough(ada, emu):
    # Ada is admin of Alpha and only a member of Gamma; the 406 proves the role check passed.
    assert ada.transfer(ALPHA, GAMMA, [ONE]).status_code == 406


@pytest.mark.parametrize("body, fragment", [
    ({"project_ids": [ONE]}, "destination_org_id is required"),
    ({"destination_org_id": BETA}, "project_ids is required"),
    ({"destination_org_id": BETA, "project_ids": []}, "1 to 400"),
    ({"destination_org_id": BETA, "project_ids": ["p-%03d" % i for i in range(401)]}, "1 to 400"),
    ({"destination_org_id": BETA, "project_ids": [ONE, ONE]}, "duplicates"),
    ({"destination_org_id": BETA, "project_ids": ["Bad_Id"]}, "must match"),
    ({"destination_org_id": BETA, "project_ids": [17]}, "must match"),
    ({"destination_org_id": BETA, "project_ids": ONE}, "must be an array"),
    ({"destination_org_id": "ORG", "project_ids": [ONE]}, "destination_org_id"),
    ({"destination_org_id": BETA, "project_ids": [ONE], "dry_run": True}, "unknown field"),
    ({"org_id": BETA, "project_ids": [ONE]}, "org_id"),
    ({"destination_org_id": ALPHA, "project_ids": [ONE]}, "must differ"),
])
def test_body_validation(ada, emu, body, fragment):
    response = ada.post(url(), json=body)
    assert response.status_code == 400, response.text
    assert fragment in response.json()["message"]
    assert emu.ownership()[ONE] == ALPHA


def test_raw_body_errors(ada):
    assert ada.post(url(), data=b"{not json", headers={"Content-Type": "application/json"}).status_code == 400
    assert ada.post(url(), data=b"[1, 2]", headers={"Content-Type": "application/json"}).status_code == 400
    assert ada.post(url()).status_code == 400  # no body
    form = ada.post(url(), data={"destination_org_id": BETA, "project_ids": ONE})
    assert form.status_code == 415
    ok_charset = ada.post(url(), data=json.dumps({"destination_org_id": BETA, "project_ids": [ONE]}),
                          headers={"Content-Type": "application/json; charset=utf-8"})
    assert ok_charset.status_code == 200
    assert ada.post("/organizations/Bad_Org/projects/transfer",
                    json={"destination_org_id": BETA, "project_ids": [TWO]}).status_code == 400


def test_only_personal_keys_can_transfer(client, emu):
    for key in (ALPHA_ORG_KEY, PROJECT_KEY):
        response = client(key).transfer(ALPHA, BETA, [ONE])
        assert response.status_code == 403, response.text
    assert emu.ownership()[ONE] == ALPHA


def test_role_and_visibility_checks(client, emu):
    ada, bob = client(ADA), client(BOB)
    assert bob.transfer(ALPHA, BETA, [ONE]).status_code == 403  # viewer in source
    assert ada.transfer(ALPHA, DELTA, [ONE]).status_code == 403  # viewer in destination
    assert ada.transfer(ALPHA, STRANGER, [ONE]).status_code == 404  # not a member of destination
    assert ada.transfer(ALPHA, "org-nope-00000000", [ONE]).status_code == 404
    assert ada.transfer(STRANGER, BETA, ["stranger-one-70000001"]).status_code == 404  # not a member of source
    assert ada.transfer("org-nope-00000000", BETA, [ONE]).status_code == 404
    assert emu.ownership()[ONE] == ALPHA and emu.ownership()["stranger-one-70000001"] == STRANGER


def test_vercel_managed_org_refused(ada, emu):
    into = ada.transfer(ALPHA, VERCEL, [ONE])
    out = ada.transfer(VERCEL, BETA, ["vercel-one-60000001"])
    assert into.status_code == 400 and "Vercel-managed" in into.json()["message"]
    assert out.status_code == 400
    assert emu.ownership()[ONE] == ALPHA


def test_projects_must_be_in_source(ada, emu):
    response = ada.transfer(ALPHA, BETA, [ONE, "beta-one-20000001", "ghost-00000000"])
    assert response.status_code == 404
    message = response.json()["message"]
    assert "beta-one-20000001" in message and "ghost-00000000" in message and ONE not in message
    assert emu.ownership()[ONE] == ALPHA  # all or nothing
    # Already in the destination is an error too, never a silent success.
    assert ada.transfer(ALPHA, BETA, [ONE]).status_code == 200
    again = ada.transfer(ALPHA, BETA, [ONE])
    assert again.status_code == 404 and ONE in again.json()["message"]


def test_integrations_block_whole_batch(ada, emu):
    response = ada.transfer(ALPHA, BETA, [ONE, GH, VC, DD])
    assert response.status_code == 422
    assert response.json() == {"projects": [{"id": GH, "integration": "github"},
                                            {"id": VC, "integration": "vercel"}]}
    assert emu.ownership()[ONE] == ALPHA and emu.ownership()[DD] == ALPHA


def test_limits_406_all_three(ada, emu):
    # Alpha (scale) -> Gamma (launch, limit 2 with 1 project, us-east-2 only).
    response = ada.transfer(ALPHA, GAMMA, [ONE, TWO, EU])
    assert response.status_code == 406
    assert response.json() == {"limits": [
        {"name": "subscription_type", "expected": "scale", "actual": "launch"},
        {"name": "projects_count", "expected": "2", "actual": "4"},
        {"name": "project_region", "expected": "aws-us-east-2", "actual": "aws-eu-central-1"},
    ]}
    assert emu.ownership()[ONE] == ALPHA


def test_limits_406_one_at_a_time(ada, emu):
    only_plan = ada.transfer(ALPHA, GAMMA, [ONE]).json()["limits"]
    assert [item["name"] for item in only_plan] == ["subscription_type"]
    only_region = ada.transfer(ALPHA, EPSILON, [EU]).json()["limits"]
    assert only_region == [{"name": "project_region", "expected": "aws-us-east-2", "actual": "aws-eu-central-1"}]
    only_count = ada.transfer(ALPHA, EPSILON, [ONE, TWO, THREE])
    assert only_count.status_code == 406
    assert only_count.json()["limits"] == [{"name": "projects_count", "expected": "3", "actual": "4"}]
    for limit in only_plan + only_region:
        assert all(isinstance(limit[k], str) for k in ("name", "expected", "actual"))
    # Same tier and exactly reaching the limit is fine.
    assert ada.transfer(ALPHA, EPSILON, [ONE, TWO]).status_code == 200
    assert emu.ownership()[ONE] == EPSILON


def test_integration_check_precedes_limits(ada):
    assert ada.transfer(ALPHA, GAMMA, [GH, EU]).status_code == 422


def test_personal_transfer_deprecated_works(ada, emu):
    response = ada.post("/users/me/projects/transfer",
                        json={"destination_org_id": BETA, "project_ids": ["ada-legacy-80000001"]})
    assert response.status_code == 200 and response.json() == {}
    assert emu.ownership()["ada-legacy-80000001"] == BETA
    assert "Deprecation" not in response.headers  # off unless deprecation_headers: true
    blocked = ada.post("/users/me/projects/transfer",
                       json={"destination_org_id": BETA, "project_ids": ["ada-legacy-80000002"]})
    assert blocked.status_code == 422
    not_mine = ada.post("/users/me/projects/transfer", json={"destination_org_id": BETA, "project_ids": [ONE]})
    assert not_mine.status_code == 404
    legacy_shape = ada.post("/users/me/projects/transfer",
                            json={"org_id": BETA, "project_ids": ["ada-legacy-80000002"]})
    assert legacy_shape.status_code == 400 and "org_id" in legacy_shape.json()["message"]


def test_personal_transfer_plan_check(make_emu):
    scenario = basic_scenario()
    scenario["users"][0]["plan"] = "business"
    emu = make_emu(scenario)
    response = Client(emu, ADA).post("/users/me/projects/transfer",
                                     json={"destination_org_id": BETA, "project_ids": ["ada-legacy-80000001"]})
    assert response.status_code == 406
    assert response.json()["limits"] == [{"name": "subscription_type", "expected": "business", "actual": "scale"}]


def test_personal_transfer_key_and_headers(make_emu, client):
    emu = make_emu(basic_scenario(deprecation_headers=True))
    ada = Client(emu, ADA)
    response = ada.post("/users/me/projects/transfer",
                        json={"destination_org_id": BETA, "project_ids": ["ada-legacy-80000001"]})
    assert response.status_code == 200
    assert response.headers["Deprecation"] == "@1776297600"
    assert response.headers["Sunset"] == "Wed, 01 Jul 2026 00:00:00 GMT"
    org_key = Client(emu, ALPHA_ORG_KEY).post("/users/me/projects/transfer",
                                              json={"destination_org_id": BETA, "project_ids": ["x-1"]})
    assert org_key.status_code == 403


def test_personal_transfer_gone(make_emu):
    emu = make_emu(basic_scenario(personal_transfer="gone"))
    response = Client(emu, ADA).post("/users/me/projects/transfer",
                                     json={"destination_org_id": BETA, "project_ids": ["ada-legacy-80000001"]})
    assert response.status_code == 410
    assert "migrated to organizations" in response.json()["message"]
    assert emu.ownership()["ada-legacy-80000001"] is None
    assert Client(emu, None).post("/users/me/projects/transfer", json={}).status_code == 401


def test_plan_transfer_rule_no_upgrade(make_emu):
    # The other reading of Neon's docs: only higher -> lower (or equal) tiers may move.
    scenario = basic_scenario(plan_transfer_rule="no_upgrade")
    gamma = next(o for o in scenario["orgs"] if o["id"] == GAMMA)
    gamma["members"][0]["role"] = "admin"
    emu = make_emu(scenario)
    ada = Client(emu, ADA)
    assert ada.transfer(ALPHA, GAMMA, [ONE]).status_code == 200  # scale -> launch
    upgrade = ada.transfer(GAMMA, BETA, ["gamma-one-30000001"])  # launch -> scale
    assert upgrade.status_code == 406
    assert upgrade.json()["limits"] == [{"name": "subscription_type", "expected": "launch", "actual": "scale"}]
    emu.configure(plan_transfer_rule="no_downgrade")
    assert ada.transfer(GAMMA, BETA, ["gamma-one-30000001"]).status_code == 200
    assert ada.transfer(ALPHA, GAMMA, [TWO]).json()["limits"][0]["name"] == "subscription_type"

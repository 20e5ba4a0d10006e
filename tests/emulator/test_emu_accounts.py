"""Auth, key kinds, /users/me, organizations, members, routing errors, request ids."""

import uuid

import pytest
import requests

from conftest import (ADA, ADA_ID, ALPHA, ALPHA_ORG_KEY, BETA, BOB, DELTA, GAMMA, PROJECT_KEY, STRANGER,
                      VERCEL, EPSILON)

ORG_REQUIRED = {"id", "name", "handle", "plan", "created_at", "updated_at", "managed_by"}
ME_REQUIRED = {"active_seconds_limit", "id", "email", "login", "name", "last_name", "image", "projects_limit",
               "branches_limit", "max_autoscaling_limit", "auth_accounts", "plan"}


def assert_general_error(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"code", "message", "request_id"}
    assert isinstance(body["code"], str) and isinstance(body["message"], str) and body["message"]
    assert body["request_id"] == response.headers["X-Neon-Ret-Request-Id"]
    return body


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer "},
    {"Authorization": "Basic " + ADA},
    {"Authorization": "Bearer " + "x" * 64},
    {"Authorization": ADA},
])
def test_missing_or_bad_key_is_401(emu, headers):
    response = requests.get(emu.api_url + "/projects", headers=headers, params={"org_id": ALPHA})
    assert_general_error(response, 401)


def test_bearer_scheme_is_case_insensitive(emu):
    response = requests.get(emu.api_url + "/auth", headers={"Authorization": "bearer " + ADA})
    assert response.status_code == 200


def test_auth_per_key_kind(client):
    assert client(ADA).get("/auth").json() == {"account_id": ADA_ID, "auth_method": "api_key_user"}
    assert client(ALPHA_ORG_KEY).get("/auth").json() == {"account_id": ALPHA, "auth_method": "api_key_org"}
    # No separate auth_method exists for project-scoped keys.
    assert client(PROJECT_KEY).get("/auth").json() == {"account_id": ALPHA, "auth_method": "api_key_org"}


def test_users_me_personal_key(ada):
    response = ada.get("/users/me")
    assert response.status_code == 200
    body = response.json()
    assert ME_REQUIRED <= set(body)
    assert body["id"] == ADA_ID and body["email"] == "ada@example.com" and body["plan"] == "free"
    assert body["auth_accounts"][0]["provider"] == "keycloak"


def test_users_me_org_and_project_keys_fail(client):
    assert_general_error(client(ALPHA_ORG_KEY).get("/users/me"), 404)
    body = assert_general_error(client(PROJECT_KEY).get("/users/me"), 403)
    assert "project-scoped" in body["message"] and "outside the project" in body["message"]


def test_my_organizations(client):
    orgs = client(ADA).get("/users/me/organizations").json()["organizations"]
    assert [o["id"] for o in orgs] == sorted([ALPHA, BETA, GAMMA, DELTA, EPSILON, VERCEL])
    for org in orgs:
        assert ORG_REQUIRED <= set(org)
    assert [o["id"] for o in client(BOB).get("/users/me/organizations").json()["organizations"]] == [
        ALPHA, BETA, DELTA]
    for key in (ALPHA_ORG_KEY, PROJECT_KEY):
        assert [o["id"] for o in client(key).get("/users/me/organizations").json()["organizations"]] == [ALPHA]


def test_get_organization(client):
    ada = client(ADA)
    org = ada.get("/organizations/" + ALPHA).json()
    assert ORG_REQUIRED <= set(org)
    assert org["id"] == ALPHA and org["plan"] == "scale" and org["managed_by"] == "console"
    assert ada.get("/organizations/" + VERCEL).json()["managed_by"] == "vercel"
    assert_general_error(ada.get("/organizations/" + STRANGER), 404)  # exists, not a member
    assert_general_error(ada.get("/organizations/org-nope-00000000"), 404)
    assert_general_error(ada.get("/organizations/Org_Bad"), 400)
    org_key = client(ALPHA_ORG_KEY)
    assert org_key.get("/organizations/" + ALPHA).status_code == 200
    assert_general_error(org_key.get("/organizations/" + BETA), 404)
    assert_general_error(client(PROJECT_KEY).get("/organizations/" + ALPHA), 403)


def test_members_pagination_and_sorting(client):
    ada = client(ADA)
    response = ada.get("/organizations/%s/members" % ALPHA)
    body = response.json()
    assert response.status_code == 200
    members = body["members"]
    assert len(members) == 3
    joined = [m["member"]["joined_at"] for m in members]
    assert joined == sorted(joined, reverse=True)  # default joined_at desc
    assert body["pagination"]["sort_by"] == "joined_at" and body["pagination"]["sort_order"] == "desc"
    for m in members:
        assert {"id", "user_id", "org_id", "role"} <= set(m["member"]) and m["member"]["org_id"] == ALPHA
        assert "email" in m["user"]

    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 1, "sort_by": "email", "sort_order": "asc"}
        if cursor:
            params["cursor"] = cursor
        page = ada.get("/organizations/%s/members" % ALPHA, params=params).json()
        pages += 1
        seen.extend(m["user"]["email"] for m in page["members"])
        cursor = page["pagination"].get("next")
        if not page["members"]:
            assert cursor is None
            break
    assert seen == ["ada@example.com", "bob@example.com", "carol@example.com"]
    assert pages == 4  # the last page is empty

    assert ada.get("/organizations/%s/members" % ALPHA, params={"limit": 0}).status_code == 400
    assert ada.get("/organizations/%s/members" % ALPHA, params={"limit": 501}).status_code == 400
    assert ada.get("/organizations/%s/members" % ALPHA, params={"sort_by": "name"}).status_code == 400
    assert ada.get("/organizations/%s/members" % ALPHA, params={"sort_order": "up"}).status_code == 400
    assert ada.get("/organizations/%s/members" % ALPHA, params={"cursor": "garbage!"}).status_code == 400
    first = ada.get("/organizations/%s/members" % ALPHA, params={"limit": 1}).json()
    mixed = ada.get("/organizations/%s/members" % ALPHA,
                    params={"limit": 1, "sort_by": "email", "cursor": first["pagination"]["next"]})
    assert mixed.status_code == 400
    assert_general_error(ada.get("/organizations/%s/members" % STRANGER), 404)
    assert client(ALPHA_ORG_KEY).get("/organizations/%s/members" % ALPHA).status_code == 200
    assert_general_error(client(PROJECT_KEY).get("/organizations/%s/members" % ALPHA), 403)


def test_unknown_path_and_wrong_method(ada, emu):
    assert_general_error(ada.get("/nope"), 404)
    assert_general_error(ada.get("/projects/"), 404)  # no trailing-slash aliases
    assert_general_error(requests.get(emu.base_url + "/v1/projects"), 404)
    response = ada.request("DELETE", "/projects")
    assert_general_error(response, 405)
    assert response.headers["Allow"] == "GET"
    assert_general_error(ada.get("/organizations/%s/projects/transfer" % ALPHA), 405)
    assert_general_error(ada.request("PUT", "/users/me/projects/transfer"), 405)


def test_request_id_echo_and_generation(ada):
    mine = "req-" + uuid.uuid4().hex
    ok = ada.get("/auth", headers={"X-Request-ID": mine})
    assert ok.headers["X-Neon-Ret-Request-Id"] == mine
    failed = ada.get("/projects", headers={"X-Request-ID": mine})
    assert failed.status_code == 400
    assert failed.json()["request_id"] == mine and failed.headers["X-Neon-Ret-Request-Id"] == mine
    a, b = ada.get("/auth"), ada.get("/auth")
    assert a.headers["X-Neon-Ret-Request-Id"] != b.headers["X-Neon-Ret-Request-Id"]
    assert ada.get("/nope").headers["X-Neon-Ret-Request-Id"]


def test_keep_alive_and_content_length(ada):
    first = ada.get("/auth")
    assert first.headers["Content-Length"] == str(len(first.content))
    assert first.headers["Content-Type"] == "application/json"
    # requests reuses the pooled connection only if the server kept it open.
    pool = ada.session.get_adapter(ada.emu.api_url).poolmanager
    ada.get("/users/me")
    ada.get("/auth")
    conns = list(pool.pools._container.values())
    assert len(conns) == 1 and conns[0].num_connections == 1

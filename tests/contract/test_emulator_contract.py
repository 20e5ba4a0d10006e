"""Drive the in-process emulator (emulator/scenarios/test-basic.yml) through every operation the
collection uses, success and each error status it can produce, with plain ``requests`` calls, and
validate every exchange the emulator recorded against the definition.

Each call states the status the emulator must answer and the request-side violations we provoke on
purpose (an out-of-range ``limit``, the legacy transfer body, ...): the validator must report exactly
those, and nothing on the response side. For the two behaviours the definition leaves open, both
emulator settings are validated: the empty last page without or with ``pagination.cursor``
(``empty_page_cursor: omit|echo``), and 429 without or with ``Retry-After``.
"""

from __future__ import annotations

import json
import sys

import pytest

from contract_support import COVERAGE, REPO_ROOT, skip_or_fail

requests = pytest.importorskip("requests")

SCENARIO = REPO_ROOT / "emulator" / "scenarios" / "test-basic.yml"

ADA = "koevrfety53rzlwpnh2nejrhggcxg7q68nd7vtk31m1hj6exd88kfnyd9eaxefhb"  # personal, admin of alpha
BOB = "m2nqc5p5w79f21scrpesqlppeqannm7wf075gjffgbhp8zma6cradgic18m08dnd"  # personal, viewer in alpha
ALPHA_ORG = "jtjb0mpj60csaxdu0f71kh7zt77v1x6wef0chjz9ixcquf4gdv633yyzdaqgunh5"  # org key of alpha
PROJECT_KEY = "up2o90yncecy7g4cr8qrrb7k0q3x5adhidafjpzxspnf4qunmavjsmabuyp1r0uw"  # project key (alpha-one)
ALPHA, BETA, GAMMA, STRANGER, VERCEL = (
    "org-alpha-11111111", "org-beta-22222222", "org-gamma-33333333", "org-stranger-77777777", "org-vercel-66666666",
)
TRANSFER = f"/organizations/{ALPHA}/projects/transfer"


def _emulator_class():
    try:
        from neon_emulator import Emulator  # pylint: disable=import-outside-toplevel
    except ImportError:
        path = str(REPO_ROOT / "emulator")
        if path not in sys.path:
            sys.path.insert(0, path)
        try:
            from neon_emulator import Emulator  # pylint: disable=import-outside-toplevel
        except ImportError as exc:
            skip_or_fail(f"neon_emulator is not importable ({exc}); run with PYTHONPATH=emulator")
    return Emulator


class Session:
    """One emulator with its own record file, the calls made, and what each call must give."""

    def __init__(self, contract, tmp_path, name="emu", **settings):
        if not SCENARIO.is_file():
            skip_or_fail(f"{SCENARIO} does not exist")
        self.contract = contract
        self.record = tmp_path / f"{name}.jsonl"
        self.emu = _emulator_class().from_file(str(SCENARIO), record_path=str(self.record))
        if settings:
            self.emu.configure(**settings)
        self.emu.start()
        self.http = requests.Session()
        self.expectations = []

    def call(self, method, path, key=ADA, query=None, body=None, status=200, request_violations=(), headers=None, raw=None):
        hdrs = {"Accept": "application/json"}
        if key:
            hdrs["Authorization"] = f"Bearer {key}"
        hdrs.update(headers or {})
        response = self.http.request(
            method, self.emu.api_url + path, params=query, json=body if raw is None else None,
            data=raw, headers=hdrs, timeout=10,
        )
        assert status is None or response.status_code == status, (
            f"{method} {path} {query or ''}: emulator answered {response.status_code}, expected {status}: {response.text[:300]}"
        )
        self.expectations.append((method, path, query, sorted(request_violations)))
        return response

    def verify(self):
        """Stop the emulator, then validate every recorded exchange against its expectation."""
        self.http.close()
        self.emu.stop()
        with self.record.open(encoding="utf-8") as fh:
            records = [json.loads(line) for line in fh if line.strip()]
        assert len(records) == len(self.expectations), f"{len(records)} records for {len(self.expectations)} calls"
        problems = []
        results = []
        for record, (method, path, query, expected) in zip(records, self.expectations):
            assert record["request"]["method"] == method and record["request"]["path"].endswith(path.split("?")[0])
            assert record["fault"] is None, record["fault"]
            result = self.contract.validate_exchange(record)
            COVERAGE.add_result(result)
            results.append(result)
            got = sorted(set(result.fields))
            if got != expected:
                problems.append(f"{method} {path} {query or ''}: expected violations {expected}, got:\n{result}")
        assert not problems, "\n".join(problems)
        return results


@pytest.fixture(name="session_factory")
def session_factory_fixture(contract, tmp_path):
    sessions = []

    def make(name="emu", **settings):
        s = Session(contract, tmp_path, name, **settings)
        sessions.append(s)
        return s

    yield make
    for s in sessions:
        s.emu.stop()


def test_read_operations_and_their_errors(session_factory):
    s = session_factory("reads")
    # getAuthDetails
    s.call("GET", "/auth")
    s.call("GET", "/auth", key=ALPHA_ORG)
    s.call("GET", "/auth", key=PROJECT_KEY)
    s.call("GET", "/auth", key=None, status=401)
    s.call("GET", "/auth", key="x" * 64, status=401)
    # getCurrentUserInfo
    s.call("GET", "/users/me")
    s.call("GET", "/users/me", key=PROJECT_KEY, status=403)
    s.call("GET", "/users/me", key=ALPHA_ORG, status=404)
    s.call("GET", "/users/me", key=None, status=401)
    # getCurrentUserOrganizations
    s.call("GET", "/users/me/organizations")
    s.call("GET", "/users/me/organizations", key=ALPHA_ORG)
    s.call("GET", "/users/me/organizations", key=None, status=401)
    # getOrganization
    s.call("GET", f"/organizations/{ALPHA}")
    s.call("GET", f"/organizations/{ALPHA}", key=ALPHA_ORG)
    s.call("GET", f"/organizations/{STRANGER}", status=404)
    s.call("GET", f"/organizations/{ALPHA}", key=PROJECT_KEY, status=403)
    s.call("GET", "/organizations/Org_Alpha", status=400, request_violations=["request.path.org_id"])
    s.call("GET", f"/organizations/{ALPHA}", key=None, status=401)
    # getOrganizationMembers: every page until the empty one
    query = {"limit": "1", "sort_by": "email", "sort_order": "asc"}
    for _page in range(10):
        page = s.call("GET", f"/organizations/{ALPHA}/members", query=dict(query)).json()
        if not page["members"]:
            break
        query["cursor"] = page["pagination"]["next"]
    else:
        pytest.fail("members pagination did not end")
    s.call("GET", f"/organizations/{ALPHA}/members", query={"limit": "501"}, status=400, request_violations=["request.query.limit"])
    s.call("GET", f"/organizations/{ALPHA}/members", query={"sort_by": "name"}, status=400, request_violations=["request.query.sort_by"])
    s.call("GET", f"/organizations/{STRANGER}/members", status=404)
    s.call("GET", f"/organizations/{ALPHA}/members", key=PROJECT_KEY, status=403)
    s.call("GET", f"/organizations/{ALPHA}/members", key=None, status=401)
    # getProject
    s.call("GET", "/projects/alpha-one-10000001")
    s.call("GET", "/projects/alpha-one-10000001", key=PROJECT_KEY)
    s.call("GET", "/projects/alpha-two-10000002", key=PROJECT_KEY, status=404)
    s.call("GET", "/projects/stranger-one-70000001", status=404)
    s.call("GET", "/projects/no-such-project-1", status=404)
    s.call("GET", "/projects/Bad_Id", status=400, request_violations=["request.path.project_id"])
    s.call("GET", "/projects/alpha-one-10000001", key=None, status=401)
    results = s.verify()
    assert {r.operation.operation_id for r in results} >= {
        "getAuthDetails", "getCurrentUserInfo", "getCurrentUserOrganizations", "getOrganization",
        "getOrganizationMembers", "getProject",
    }


@pytest.mark.parametrize("empty_page_cursor", ["omit", "echo"])
def test_list_projects_pagination_and_errors(session_factory, empty_page_cursor):
    s = session_factory(f"list-{empty_page_cursor}", empty_page_cursor=empty_page_cursor)
    query = {"org_id": ALPHA, "limit": "3"}
    seen = []
    for _page in range(10):
        page = s.call("GET", "/projects", query=dict(query)).json()
        seen += [p["id"] for p in page["projects"]]
        if not page["projects"]:
            last_page = page
            break
        query["cursor"] = page["pagination"]["cursor"]
    else:
        pytest.fail("project pagination did not end")
    assert len(seen) == 7
    if empty_page_cursor == "omit":
        assert "pagination" not in last_page
    else:
        assert last_page["pagination"] == {"cursor": query["cursor"]}
    s.call("GET", "/projects", key=ALPHA_ORG, query={"limit": "400", "search": "alpha"})
    s.call("GET", "/projects", query={"org_id": ALPHA, "recoverable": "true", "timeout": "500"})
    s.call("GET", "/projects", status=400)  # personal key without org_id: the OBSERVED 400
    s.call("GET", "/projects", query={"org_id": ALPHA, "limit": "401"}, status=400, request_violations=["request.query.limit"])
    s.call("GET", "/projects", query={"org_id": ALPHA, "limit": "0"}, status=400, request_violations=["request.query.limit"])
    s.call("GET", "/projects", query={"org_id": ALPHA, "timeout": "50"}, status=400, request_violations=["request.query.timeout"])
    s.call("GET", "/projects", query={"org_id": "Not_An_Org"}, status=400, request_violations=["request.query.org_id"])
    s.call("GET", "/projects", query={"org_id": STRANGER}, status=403)
    s.call("GET", "/projects", key=ALPHA_ORG, query={"org_id": BETA}, status=403)
    s.call("GET", "/projects", key=PROJECT_KEY, status=403)
    s.call("GET", "/projects", key=None, query={"org_id": ALPHA}, status=401)
    results = s.verify()
    assert [r.status for r in results].count(200) >= 4
    # The 400 without org_id carries the OBSERVED message.
    bodies = [json.loads(line)["response"]["body"] for line in s.record.read_text(encoding="utf-8").splitlines()]
    assert any(b.get("message", "").startswith("org_id is required") for b in bodies if isinstance(b, dict))


def test_org_to_org_transfer_statuses(session_factory):
    s = session_factory("transfer")
    body = {"destination_org_id": BETA, "project_ids": ["alpha-one-10000001"]}
    s.call("POST", TRANSFER, body=body)
    s.call("POST", TRANSFER, body={"destination_org_id": BETA, "project_ids": ["alpha-gh-10000005", "alpha-vc-10000006"]}, status=422)
    s.call("POST", TRANSFER, body={"destination_org_id": GAMMA, "project_ids": ["alpha-two-10000002", "alpha-three-10000003", "alpha-eu-10000004"]}, status=406)
    s.call("POST", TRANSFER, key=BOB, body={"destination_org_id": BETA, "project_ids": ["alpha-two-10000002"]}, status=403)
    s.call("POST", TRANSFER, key=ALPHA_ORG, body={"destination_org_id": BETA, "project_ids": ["alpha-two-10000002"]}, status=403)
    s.call("POST", TRANSFER, body={"destination_org_id": BETA, "project_ids": ["no-such-project-1"]}, status=404)
    s.call("POST", TRANSFER, body={"destination_org_id": STRANGER, "project_ids": ["alpha-two-10000002"]}, status=404)
    s.call("POST", TRANSFER, body={"destination_org_id": VERCEL, "project_ids": ["alpha-two-10000002"]}, status=400)
    s.call("POST", TRANSFER, body={"destination_org_id": ALPHA, "project_ids": ["alpha-two-10000002"]}, status=400)
    s.call("POST", TRANSFER, body={"org_id": BETA, "project_ids": ["alpha-two-10000002"]}, status=400,
           request_violations=["request.body.destination_org_id"])
    s.call("POST", TRANSFER, body={"destination_org_id": BETA, "project_ids": []}, status=400, request_violations=["request.body.project_ids"])
    s.call("POST", TRANSFER, body={"destination_org_id": BETA, "project_ids": [f"bulk-{i:06d}" for i in range(401)]}, status=400,
           request_violations=["request.body.project_ids"])
    s.call("POST", TRANSFER, body=None, status=400, request_violations=["request.body"])
    s.call("POST", TRANSFER, raw=b"destination_org_id=x", headers={"Content-Type": "text/plain"}, status=415,
           request_violations=["request.headers.content-type"])
    s.call("POST", "/organizations/Bad_Org/projects/transfer", body=body, status=400, request_violations=["request.path.source_org_id"])
    s.call("POST", TRANSFER, key=None, body=body, status=401)
    results = s.verify()
    by_status = {r.status: r for r in results}
    assert {200, 400, 401, 403, 404, 406, 415, 422} <= set(by_status)
    assert by_status[406].response_key == "406" and by_status[422].response_key == "422"


@pytest.mark.parametrize("personal_transfer", ["deprecated", "gone"])
def test_personal_transfer(session_factory, personal_transfer):
    s = session_factory(f"personal-{personal_transfer}", personal_transfer=personal_transfer)
    if personal_transfer == "deprecated":
        s.call("POST", "/users/me/projects/transfer", body={"destination_org_id": BETA, "project_ids": ["ada-legacy-80000001"]})
        s.call("POST", "/users/me/projects/transfer", body={"destination_org_id": BETA, "project_ids": ["ada-legacy-80000002"]}, status=422)
        s.call("POST", "/users/me/projects/transfer", body={"destination_org_id": BETA, "project_ids": ["no-such-project-1"]}, status=404)
        s.call("POST", "/users/me/projects/transfer", key=None, body={"destination_org_id": BETA, "project_ids": ["ada-legacy-80000001"]}, status=401)
    else:
        s.call("POST", "/users/me/projects/transfer", body={"destination_org_id": BETA, "project_ids": ["ada-legacy-80000001"]}, status=410)
    results = s.verify()
    assert all(r.operation.operation_id == "transferProjectsFromUserToOrg" for r in results)
    assert all(any("deprecated" in n.message for n in r.notes) for r in results)


@pytest.mark.parametrize("retry_after", ["absent", "delta-seconds", "http-date"])
def test_rate_limited_answers(session_factory, retry_after):
    s = session_factory(f"ratelimit-{retry_after}")
    if retry_after == "absent":
        # The emulator's own limiter (Neon documents no Retry-After, so it sends none).
        s.emu.configure(rate_limit=True, rate_limit_per_route_per_second=3)
        for _attempt in range(40):
            if s.call("GET", "/auth", status=None).status_code == 429:
                break
        else:
            pytest.fail("no 429 from the rate limiter")
    else:
        fault = {"kind": "rate_limited", "path": "/api/v2/projects$"}
        fault.update({"retry_after": 2} if retry_after == "delta-seconds" else {"retry_after_date": 2})
        s.emu.set_faults([fault])
        response = s.call("GET", "/projects", query={"org_id": ALPHA}, status=429)
        assert "Retry-After" in response.headers
    results = s.verify()
    limited = [r for r in results if r.status == 429]
    assert limited and all(r.response_key == "default" for r in limited)

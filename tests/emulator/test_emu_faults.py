"""Every fault kind, its match/count rules, and the three ways to inject faults."""

import email.utils
import threading
import time

import pytest
import requests

from conftest import ADA, ALPHA, BETA, Client, basic_scenario
from neon_emulator import Emulator, FaultError

ONE, TWO, THREE = "alpha-one-10000001", "alpha-two-10000002", "alpha-three-10000003"


def statuses(c, n, path="/auth"):
    return [c.get(path).status_code for _i in range(n)]


def test_rate_limited_with_delta_seconds(emu, ada):
    emu.set_faults([{"kind": "rate_limited", "path": "/auth$", "retry_after": 2}])
    first = ada.get("/auth")
    assert first.status_code == 429 and first.headers["Retry-After"] == "2"
    assert first.json()["request_id"] == first.headers["X-Neon-Ret-Request-Id"]
    assert ada.get("/auth").status_code == 200


def test_rate_limited_with_http_date(emu, ada):
    emu.set_faults([{"kind": "rate_limited", "retry_after_date": 30}])
    response = ada.get("/auth")
    assert response.status_code == 429
    when = email.utils.parsedate_to_datetime(response.headers["Retry-After"])
    assert 20 < when.timestamp() - time.time() <= 31


def test_rate_limited_without_retry_after(emu, ada):
    emu.set_faults([{"kind": "rate_limited"}])
    response = ada.get("/auth")
    assert response.status_code == 429 and "Retry-After" not in response.headers


@pytest.mark.parametrize("spec, status", [
    ({"kind": "unavailable", "times": 2}, 503),
    ({"kind": "locked", "times": 2}, 423),
    ({"kind": "status", "status": 503, "times": 2}, 503),
])
def test_first_n_requests_fail(emu, ada, spec, status):
    emu.set_faults([spec])
    assert statuses(ada, 4) == [status, status, 200, 200]


def test_after_skips_matching_requests(emu, ada):
    emu.set_faults([{"kind": "status", "status": 503, "after": 2, "times": 1, "method": "GET", "path": "/auth$"}])
    ada.get("/users/me")  # does not match, does not count
    assert statuses(ada, 4) == [200, 200, 503, 200]
    assert emu.fault_status()[0]["seen"] == 4 and emu.fault_status()[0]["exhausted"]


def test_unlimited_times(emu, ada):
    emu.set_faults([{"kind": "unavailable", "times": None}])
    assert statuses(ada, 3) == [503, 503, 503]
    emu.set_faults([{"kind": "unavailable", "times": -1}])
    assert statuses(ada, 2) == [503, 503]
    emu.set_faults([])
    assert statuses(ada, 1) == [200]


def test_method_filter(emu, ada):
    emu.set_faults([{"kind": "unavailable", "method": "POST", "times": -1}])
    assert ada.get("/auth").status_code == 200
    assert ada.transfer(ALPHA, BETA, [ONE]).status_code == 503
    assert emu.ownership()[ONE] == ALPHA  # an answer fault stops processing


def test_commit_then_500(emu, ada):
    emu.set_faults([{"kind": "commit_then_error"}])
    response = ada.transfer(ALPHA, BETA, [ONE])
    assert response.status_code == 500 and response.json()["message"]
    assert emu.ownership()[ONE] == BETA  # committed anyway
    assert ada.transfer(ALPHA, BETA, [TWO]).status_code == 200  # times defaults to 1


def test_commit_then_drop(emu, ada):
    emu.set_faults([{"kind": "commit_then_drop"}])
    with pytest.raises(requests.ConnectionError):
        ada.transfer(ALPHA, BETA, [ONE])
    assert emu.ownership()[ONE] == BETA
    assert emu.writes()[-1]["status"] is None and emu.writes()[-1]["faults"] == ["commit_then_drop"]
    assert ada.transfer(ALPHA, BETA, [TWO]).status_code == 200  # the client reconnects


def test_commit_then_delay_beyond_client_timeout(emu, ada):
    emu.set_faults([{"kind": "commit_then_delay", "delay_ms": 1500}])
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        ada.transfer(ALPHA, BETA, [ONE], timeout=0.4)
    assert time.monotonic() - started < 1.4
    assert emu.ownership()[ONE] == BETA


def test_drop_connection_before_processing(emu, ada):
    emu.set_faults([{"kind": "drop_connection", "method": "POST"}])
    with pytest.raises(requests.ConnectionError):
        ada.transfer(ALPHA, BETA, [ONE])
    assert emu.ownership()[ONE] == ALPHA


def test_html_body(emu, ada):
    emu.set_faults([{"kind": "html_body"}])
    response = ada.get("/auth")
    assert response.status_code == 502 and response.headers["Content-Type"] == "text/html"
    assert response.text.startswith("<!DOCTYPE html>")
    with pytest.raises(ValueError):
        response.json()
    assert response.headers["X-Neon-Ret-Request-Id"]


def test_truncated_json_valid_framing(emu, ada):
    emu.set_faults([{"kind": "truncated_json", "path": "/users/me$"}])
    response = ada.get("/users/me")
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content)
    with pytest.raises(ValueError):
        response.json()
    assert ada.get("/users/me").json()["email"] == "ada@example.com"


def test_truncated_json_cut_connection(emu, ada):
    emu.set_faults([{"kind": "truncated_json", "cut_connection": True, "fraction": 0.3}])
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
        ada.get("/users/me")
    assert ada.get("/auth").status_code == 200


def test_slow(emu, ada):
    emu.set_faults([{"kind": "slow", "delay_ms": 300, "path": "/auth$"}])
    started = time.monotonic()
    assert ada.get("/auth").status_code == 200
    assert ada.get("/auth").status_code == 200  # slow applies to every match by default
    assert time.monotonic() - started >= 0.6


def test_empty_page_cursor_fault(emu, ada):
    emu.set_faults([{"kind": "empty_page_cursor", "mode": "echo"}])
    last = "alpha-vc-10000006"
    page = ada.get("/projects", params={"org_id": ALPHA, "cursor": "alpha-zz"}).json()
    assert page == {"projects": [], "pagination": {"cursor": "alpha-zz"}, "applications": {}, "integrations": {}}
    emu.set_faults([])
    assert "pagination" not in ada.get("/projects", params={"org_id": ALPHA, "cursor": last + "z"}).json()


def test_unavailable_project_ids(emu, ada):
    emu.set_faults([{"kind": "unavailable_project_ids", "project_ids": [ONE, THREE]}])
    page = ada.get("/projects", params={"org_id": ALPHA, "limit": 400}).json()
    ids = [p["id"] for p in page["projects"]]
    assert ONE not in ids and THREE not in ids and len(ids) == 5
    assert page["unavailable_project_ids"] == [ONE, THREE]
    # Pages still hold `limit` scanned ids, so a page can come back short.
    small = ada.get("/projects", params={"org_id": ALPHA, "limit": 4}).json()
    assert len(small["projects"]) == 3 and small["unavailable_project_ids"] == [ONE]
    assert small["pagination"]["cursor"] == "alpha-one-10000001"
    assert ada.get("/projects/" + ONE).status_code == 200


def test_unavailable_project_ids_also_get(emu, ada):
    emu.set_faults([{"kind": "unavailable_project_ids", "project_ids": [ONE], "also_get": True}])
    assert ada.get("/projects/" + ONE).status_code == 503
    assert ada.get("/projects/" + TWO).status_code == 200
    assert ada.get("/projects", params={"org_id": ALPHA}).json()["unavailable_project_ids"] == [ONE]


def test_other_actor_moves_projects_first(emu, ada):
    emu.set_faults([{"kind": "other_actor", "action": "move", "project_ids": [ONE], "to_org": BETA,
                     "method": "POST", "path": "/projects/transfer$"}])
    response = ada.transfer(ALPHA, BETA, [ONE, TWO])
    assert response.status_code == 404 and ONE in response.json()["message"]
    assert emu.ownership()[ONE] == BETA and emu.ownership()[TWO] == ALPHA


def test_other_actor_deletes_projects(emu, ada):
    emu.set_faults([{"kind": "other_actor", "action": "delete", "project_ids": [TWO], "method": "GET",
                     "path": "/projects$"}])
    ids = [p["id"] for p in ada.get("/projects", params={"org_id": ALPHA, "limit": 400}).json()["projects"]]
    assert TWO not in ids and TWO not in emu.ownership()
    assert ada.get("/projects/" + TWO).status_code == 404


def test_faults_from_scenario(make_emu):
    scenario = basic_scenario()
    scenario["faults"] = [{"kind": "locked", "times": 1, "path": "/auth$"}]
    emu = make_emu(scenario)
    c = Client(emu, ADA)
    assert statuses(c, 2) == [423, 200]


def test_faults_over_http(emu, ada):
    control = emu.base_url + "/_emulator/faults"
    response = requests.put(control, json=[{"kind": "unavailable", "times": 1}])
    assert response.status_code == 200 and response.json()["faults"][0]["kind"] == "unavailable"
    assert statuses(ada, 2) == [503, 200]
    assert requests.get(control).json()["faults"][0]["fired"] == 1
    bad = requests.put(control, json=[{"kind": "nope"}])
    assert bad.status_code == 400 and "unknown fault kind" in bad.json()["message"]
    assert requests.put(control, json={"kind": "unavailable"}).status_code == 400


@pytest.mark.parametrize("spec", [
    {"kind": "status"},
    {"kind": "status", "status": 200},
    {"kind": "unavailable", "times": 0},
    {"kind": "unavailable", "after": -1},
    {"kind": "unavailable", "bogus": 1},
    {"kind": "unavailable", "path": "("},
    {"kind": "rate_limited", "retry_after": 1, "retry_after_date": 1},
    {"kind": "other_actor", "action": "move", "project_ids": [ONE]},
    {"kind": "other_actor", "action": "move", "project_ids": [ONE], "to_org": "org-nope-00000000"},
    {"kind": "empty_page_cursor", "mode": "sometimes"},
    {"kind": "truncated_json", "fraction": 1},
    {"kind": "unavailable_project_ids", "project_ids": "alpha-one"},
])
def test_bad_fault_specs_rejected(emu, spec):
    with pytest.raises(FaultError):
        emu.set_faults([spec])


def test_latency_overlaps_between_threads(make_emu):
    emu = make_emu(latency_ms=250)
    results = []

    def call():
        with requests.Session() as s:
            results.append(s.get(emu.api_url + "/auth", headers={"Authorization": "Bearer " + ADA}).status_code)

    started = time.monotonic()
    threads = [threading.Thread(target=call) for _i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    assert results == [200] * 4
    assert 0.25 <= elapsed < 0.9  # serialised it would take >= 1 s
    log = emu.request_log
    assert max(e["start"] for e in log) < min(e["end"] for e in log)  # all four in flight together
    emu.set_latency(0)
    assert emu.state.settings["latency_ms"] == 0


def test_latency_control_endpoint(emu):
    response = requests.put(emu.base_url + "/_emulator/latency", json={"ms": 30})
    assert response.status_code == 200 and emu.state.settings["latency_ms"] == 30
    assert requests.put(emu.base_url + "/_emulator/latency", json={"ms": -1}).status_code == 400
    assert requests.put(emu.base_url + "/_emulator/latency", json={"sec": 1}).status_code == 400


def test_emulator_constructor_rejects_bad_scenario_faults():
    scenario = basic_scenario()
    scenario["faults"] = [{"kind": "nope"}]
    with pytest.raises(FaultError):
        Emulator(scenario)

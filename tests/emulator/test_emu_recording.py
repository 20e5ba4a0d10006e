"""Exchange recording (JSON lines), the in-memory request log, control endpoints and the CLI."""

import json
import os
import subprocess
import sys
import threading

import pytest
import requests

from conftest import ADA, ALPHA, BETA, BASIC, EMULATOR_DIR, Client, basic_scenario
from neon_emulator import Emulator


def read_lines(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def test_record_file(tmp_path, make_emu):
    path = tmp_path / "exchanges.jsonl"
    emu = make_emu(record_path=str(path))
    ada = Client(emu, ADA)
    ada.get("/projects", params={"org_id": ALPHA, "limit": 2}, headers={"X-Request-ID": "rid-1"})
    ada.transfer(ALPHA, BETA, ["alpha-one-10000001"])
    emu.set_faults([{"kind": "html_body", "path": "/auth$"}])
    ada.get("/auth")
    requests.get(emu.base_url + "/_emulator/state")  # control endpoints are not recorded
    emu.stop()
    lines = read_lines(path)
    assert len(lines) == 3
    listing, transfer, html = lines
    assert listing["request"]["method"] == "GET" and listing["request"]["path"] == "/api/v2/projects"
    assert listing["request"]["query"] == {"org_id": [ALPHA], "limit": ["2"]}
    assert listing["request"]["body"] is None
    assert "Authorization" not in listing["request"]["headers"]
    assert listing["request"]["headers"]["X-Request-ID"] == "rid-1"
    assert listing["response"]["status"] == 200
    assert listing["response"]["headers"]["X-Neon-Ret-Request-Id"] == "rid-1"
    assert len(listing["response"]["body"]["projects"]) == 2
    assert listing["fault"] is None
    assert transfer["request"]["body"] == {"destination_org_id": BETA, "project_ids": ["alpha-one-10000001"]}
    assert transfer["response"] == {"status": 200, "headers": transfer["response"]["headers"], "body": {}}
    assert html["fault"] == "html_body" and html["response"]["body"].startswith("<!DOCTYPE html>")
    assert ADA not in path.read_text()  # the key never reaches the record


def test_record_env_var_and_threads(tmp_path, monkeypatch):
    path = tmp_path / "env.jsonl"
    monkeypatch.setenv("NEON_EMULATOR_RECORD", str(path))
    with Emulator(basic_scenario()) as emu:
        def worker():
            with requests.Session() as s:
                for _i in range(20):
                    s.get(emu.api_url + "/auth", headers={"Authorization": "Bearer " + ADA})
        threads = [threading.Thread(target=worker) for _i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    lines = read_lines(path)  # every line parses: no interleaving
    assert len(lines) == 80 and all(line["response"]["status"] == 200 for line in lines)


def test_record_marks_contract_breaking_faults(tmp_path, make_emu):
    path = tmp_path / "faults.jsonl"
    emu = make_emu(record_path=str(path))
    ada = Client(emu, ADA)
    emu.set_faults([{"kind": "commit_then_drop"}, {"kind": "truncated_json", "path": "/users/me$"},
                    {"kind": "unavailable", "path": "/auth$"}])
    with pytest.raises(requests.ConnectionError):
        ada.transfer(ALPHA, BETA, ["alpha-one-10000001"])
    ada.get("/users/me")
    ada.get("/auth")
    emu.stop()
    drop, truncated, unavailable = read_lines(path)
    assert drop["fault"] == "commit_then_drop" and drop["response"]["status"] is None
    assert truncated["fault"] == "truncated_json" and isinstance(truncated["response"]["body"], str)
    # A 503 GeneralError is within the contract: not marked, but the injection is noted.
    assert unavailable["fault"] is None and unavailable["injected"] == ["unavailable"]


def test_request_log(emu, ada):
    ada.get("/auth")
    ada.transfer(ALPHA, BETA, ["alpha-one-10000001"])
    requests.get(emu.base_url + "/_emulator/log")
    log = emu.request_log
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("GET", "/api/v2/auth", 200),
        ("POST", "/api/v2/organizations/%s/projects/transfer" % ALPHA, 200)]
    for entry in log:
        assert {"method", "path", "query", "status", "body", "start", "end"} <= set(entry)
        assert entry["start"] <= entry["end"]
    assert emu.writes() == [log[1]]
    emu.reset_log()
    assert emu.request_log == []


def test_control_endpoints(emu, ada):
    base = emu.base_url + "/_emulator"
    ada.transfer(ALPHA, BETA, ["alpha-one-10000001"])
    state = requests.get(base + "/state").json()
    assert state["ownership"]["alpha-one-10000001"] == BETA
    assert state["ownership"]["ada-legacy-80000001"] is None
    assert state["orgs"][ALPHA]["members"]["ada@example.com"] == "admin"
    assert state["orgs"][BETA]["projects_count"] == 2
    assert state["personal_accounts"] == {"ada@example.com": ["ada-legacy-80000001", "ada-legacy-80000002"]}
    log = requests.get(base + "/log").json()["requests"]
    assert len(log) == 1 and log[0]["status"] == 200
    assert requests.delete(base + "/log").status_code == 200
    assert requests.get(base + "/log").json()["requests"] == []
    settings = requests.put(base + "/settings", json={"empty_page_cursor": "echo"})
    assert settings.status_code == 200 and emu.state.settings["empty_page_cursor"] == "echo"
    assert requests.put(base + "/settings", json={"nope": 1}).status_code == 400
    assert requests.get(base + "/nope").status_code == 404
    assert requests.post(base + "/state").status_code == 405
    # Control calls need no key and never show up in the Neon request log.
    assert emu.request_log == []


def test_cli_prints_url_and_serves(tmp_path):
    env = dict(os.environ, PYTHONPATH=EMULATOR_DIR)
    proc = subprocess.Popen([sys.executable, "-m", "neon_emulator", "--scenario", BASIC, "--port", "0",
                             "--latency-ms", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("neon-emulator listening on http://127.0.0.1:") and line.endswith("/api/v2")
        url = line.split()[-1]
        response = requests.get(url + "/auth", headers={"Authorization": "Bearer " + ADA}, timeout=5)
        assert response.status_code == 200
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert err == ""  # quiet: no per-request lines without --verbose


def test_cli_bad_scenario(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("orgs: [{id: BAD}]\n")
    env = dict(os.environ, PYTHONPATH=EMULATOR_DIR)
    proc = subprocess.run([sys.executable, "-m", "neon_emulator", "--scenario", str(bad), "--port", "0"],
                          capture_output=True, text=True, env=env, timeout=30, check=False)
    assert proc.returncode == 2 and "BAD" in proc.stderr

# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input, table-driven: each case must fail with a clear message naming the value (never the key), send no
write (and, for input that is wrong on its face, no request at all) and print no traceback.

The table runs as one ansible-playbook (one task per case) against one emulator, so every request counted is
accounted to its case by the result's ``api_requests``, and the emulator's log must hold exactly their sum.
"""

from __future__ import annotations

import copy
import http.server
import threading

import pytest
from neon_emulator import Emulator

from scenarios import ADA_KEY, BASIC, DEST, SRC
from test_faults import run_tasks

GHOSTS = ["ghost-%06d" % n for n in range(50000)]
KEYLESS = object()      # the case's message must name api_key but show nothing of the value

# name, options (merged over a valid request), needles the message must contain, requests it may send
CASES = [
    ("projects is a dict", {"projects": {"a": 1}}, ["projects", "dict"], 0),
    ("projects holds a list", {"projects": [["nested"]]}, ["['nested']", "not a valid Neon id"], 0),
    ("projects holds null", {"projects": [None]}, ["projects: ''"], 0),
    ("exclude is a dict", {"exclude": {"a": 1}}, ["exclude", "dict"], 0),
    ("batch_size is a word", {"batch_size": "many"}, ["batch_size", "many"], 0),
    ("batch_size is a fraction", {"batch_size": 1.5}, ["batch_size", "1.5"], 0),
    ("batch_size is a boolean", {"batch_size": True}, ["batch_size", "True"], 0),
    ("batch_size above the cap", {"batch_size": 401}, ["batch_size", "401"], 0),
    ("timeout is a word", {"timeout": "soon"}, ["timeout", "soon"], 0),
    ("timeout is zero", {"timeout": 0}, ["timeout", "got 0"], 0),
    ("timeout is negative", {"timeout": -5}, ["timeout", "got -5"], 0),
    ("retries is negative", {"retries": -1}, ["retries", "got -1"], 0),
    ("retries is a word", {"retries": "x"}, ["retries", "'x'"], 0),
    ("validate_certs is not a boolean", {"validate_certs": "maybe"}, ["validate_certs", "maybe"], 0),
    ("skip_blocked is not a boolean", {"skip_blocked": "perhaps"}, ["skip_blocked", "perhaps"], 0),
    ("from_personal_account is not a boolean", {"from_personal_account": "nope"}, ["from_personal_account", "nope"],
     0),
    ("org_id is a list", {"org_id": ["a"]}, ["org_id", "['a']"], 0),
    ("org_id is a dict", {"org_id": {"x": 1}}, ["org_id", "{'x': 1}"], 0),
    ("org_id is a number no organization has", {"org_id": 12345}, ["org_id", "'12345'"], 3),
    ("source_org_id in capitals", {"source_org_id": "Org_Bad"}, ["source_org_id", "'Org_Bad'"], 0),
    ("source_org_id with a trailing space", {"source_org_id": SRC + " "}, ["source_org_id", repr(SRC + " ")], 0),
    ("org_name is a number no organization has", {"org_id": None, "org_name": 5}, ["org_name", "'5'"], 2),
    ("projects is an empty list", {"projects": []}, ["projects is an empty list"], 0),
    ("an id with a non-ASCII letter", {"projects": ["prøject-1"]}, ["'prøject-1'"], 0),
    ("an id with a Cyrillic look-alike", {"projects": ["\u0440-plain-1"]}, ["'\u0440-plain-1'"], 0),
    ("an id with a leading space", {"projects": [" p-plain-1"]}, ["' p-plain-1'"], 0),
    ("an id with a trailing newline", {"projects": ["p-plain-1\n"]}, ["'p-plain-1\\n'"], 0),
    ("an id with a tab inside", {"projects": ["p-plain\t1"]}, ["'p-plain\\t1'"], 0),
    ("an exclude id with a space", {"exclude": ["p plain"]}, ["exclude", "'p plain'"], 0),
    ("a huge list whose last id is bad", {"projects": GHOSTS[:-1] + ["Bad Id"]}, ["'Bad Id'"], 0),
    ("a huge list of ids that exist nowhere", {"source_org_id": None, "projects": GHOSTS},
     ["50000 requested project(s) exist in neither", "ghost-000000", "and 49950 more"], 12),
    ("a key with a newline (header injection)", {"api_key": ADA_KEY + "\nX-Injected: 1"}, [KEYLESS], 0),
    ("a key with a space", {"api_key": ADA_KEY[:30] + " " + ADA_KEY[30:]}, [KEYLESS], 0),
    ("an empty key", {"api_key": ""}, ["api_key is empty"], 0),
    ("a key given as a mapping", {"api_key": {"k": ADA_KEY}}, [KEYLESS], 0),
    ("api_url over plain http to a remote host", {"api_url": "http://example.com/api/v2"},
     ["'http://example.com/api/v2'", "only https"], 0),
    ("api_url to a DNS name under .localhost", {"api_url": "http://evil.localhost:1/api/v2"},
     ["'http://evil.localhost:1/api/v2'", "only https"], 0),
    ("api_url with another scheme", {"api_url": "ftp://127.0.0.1/api/v2"}, ["'ftp://127.0.0.1/api/v2'"], 0),
    ("api_url with a newline", {"api_url": "https://console.neon.tech/api/v2\nX-Injected: 1"},
     ["api_url", "X-Injected", "whitespace"], 0),
    ("api_url with credentials", {"api_url": "https://user:secret@console.neon.tech/api/v2"},
     ["api_url must not carry credentials"], 0),
    ("api_url is a number", {"api_url": 5}, ["api_url '5'"], 0),
]


@pytest.fixture(scope="module")
def table(request):
    """Run every case once, in one playbook, against one emulator."""
    emu = Emulator(copy.deepcopy(BASIC)).start()
    request.addfinalizer(emu.stop)
    tasks = []
    for _name, options, _needles, _requests in CASES:
        params = {"api_key": ADA_KEY, "api_url": emu.api_url, "org_id": DEST, "source_org_id": SRC,
                  "projects": ["p-plain-1"]}
        params.update(options)
        tasks.append({k: v for k, v in params.items() if v is not None})
    results, proc = run_tasks(tasks)
    return emu, dict(zip([c[0] for c in CASES], results)), proc


def test_no_traceback_and_no_key_anywhere_in_the_output(table):
    emu, _results, proc = table
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output and "MODULE FAILURE" not in output
    assert ADA_KEY not in output and ADA_KEY[:20] not in output


def test_requests_and_writes_are_all_accounted_for(table):
    emu, results, _proc = table
    assert emu.writes() == []
    assert len(emu.request_log) == sum(r.get("api_requests") or 0 for r in results.values())


@pytest.mark.parametrize("name, options, needles, requests", CASES, ids=[c[0] for c in CASES])
def test_bad_input_fails_clearly(table, name, options, needles, requests):
    emu, results, _proc = table
    result = results[name]
    assert result["failed"] is True, result
    assert result.get("changed") is False
    assert "exception" not in result and "module_stderr" not in result, result
    msg = result["msg"]
    for needle in needles:
        if needle is KEYLESS:
            assert "api_key" in msg and "not shown" in msg, msg
        else:
            assert needle in msg, (needle, msg)
    assert ADA_KEY[:16] not in msg and "secret" not in msg
    assert (result.get("api_requests") or 0) <= requests, result.get("api_requests")
    if requests == 0:
        assert not result.get("api_requests")
    assert not result.get("transferred")


class _Redirector(http.server.BaseHTTPRequestHandler):
    """Answers every request with a redirect to ``target`` and remembers what it was sent."""

    target = None
    seen = []

    def do_GET(self):
        self.seen.append({"path": self.path, "authorization": self.headers.get("Authorization")})
        self.send_response(self.status)
        self.send_header("Location", self.target + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("status, target", [
    (302, "http://localhost:{port}"),        # another host name for the same emulator
    (307, "https://127.0.0.1:{port}"),       # another scheme
    (301, "http://127.0.0.2:{port}"),        # another address
])
def test_a_redirect_is_never_followed(emu, status, target):
    handler = type("Redirector", (_Redirector,), {"status": status, "target": target.format(port=emu.port),
                                                  "seen": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = "http://127.0.0.1:%d/api/v2" % server.server_address[1]
        (result,), proc = run_tasks([{"api_key": ADA_KEY, "api_url": url, "org_id": DEST, "source_org_id": SRC,
                                      "projects": ["p-plain-1"]}])
    finally:
        server.shutdown()
        server.server_close()
    assert result["failed"] is True and "redirect" in result["msg"] and "not followed" in result["msg"]
    assert "HTTP %d" % status in result["msg"] and handler.target in result["msg"]
    paths = [seen["path"] for seen in handler.seen]
    assert paths and len(paths) == len(set(paths)), "a redirect is not retried either: %s" % paths
    assert emu.request_log == [], "the key must never reach the redirect's target"
    assert ADA_KEY not in proc.stdout + proc.stderr and "Traceback" not in proc.stdout + proc.stderr


WRONG_SHAPES = [
    ("organizations not a list", {"org_id": None, "org_name": "Destination"},
     {"path": r"/users/me/organizations$", "body": '{"organizations": {"id": "org-x"}}'},
     "unexpected answer to GET /users/me/organizations"),
    ("a project without its object", {"source_org_id": None},
     {"path": r"/projects/p-plain-1$", "body": '{"project": []}'}, "unexpected answer to GET /projects/p-plain-1"),
    ("a listing with a bad integrations map", {},
     {"path": r"/api/v2/projects$", "body": '{"projects": [], "integrations": ["github"]}', "after": 1},
     "'integrations' is not a map"),
    ("a listing whose project has no id", {},
     {"path": r"/api/v2/projects$", "body": '{"projects": [{"name": "x"}]}', "after": 3},
     "a project without a string id"),
    # ``after`` skips the earlier tasks' matching requests: the second task lists the destination's first page,
    # the third the first pages of the source and the destination; the second task also read p-plain-1.
    ("a JSON array", {"source_org_id": None, "retries": 0},
     {"path": r"/projects/p-plain-1$", "body": '["p-plain-1"]', "after": 1}, "not a JSON object (JSON list)"),
]


def test_an_answer_of_the_wrong_shape_fails_clearly_with_the_request_id(emu):
    """Neon admitted API v2 may answer 200 on errors: a 200 with the wrong shape must fail, citing request_id."""
    faults, tasks = [], []
    for _name, options, fault, _needle in WRONG_SHAPES:
        faults.append({"kind": "html_body", "status": 200, "method": "GET", "times": 1, **fault})
        params = {"api_key": ADA_KEY, "api_url": emu.api_url, "org_id": DEST, "source_org_id": SRC,
                  "projects": ["p-plain-1"]}
        params.update(options)
        tasks.append({k: v for k, v in params.items() if v is not None})
    emu.set_faults(faults)
    results, proc = run_tasks(tasks)
    assert all(f["exhausted"] for f in emu.fault_status()), emu.fault_status()
    shaped = {e["request_id"]: e for e in emu.request_log if "html_body" in e["faults"]}
    assert "Traceback" not in proc.stdout + proc.stderr
    for (name, _options, _fault, needle), result in zip(WRONG_SHAPES, results):
        assert result["failed"] is True, (name, result)
        assert needle in result["msg"], (name, result["msg"])
        request_id = result["error"]["request_id"]
        assert request_id in shaped and request_id in result["msg"], (name, result)
    assert emu.writes() == []

# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client's pure helpers: settings checks, Retry-After, backoff, pacing."""

from __future__ import annotations

import email.utils
import json
import threading
import time

import pytest

from ansible_collections.neon_ops.neon.plugins.module_utils import _client as client
from ansible_collections.neon_ops.neon.plugins.module_utils._client import NeonConfigError

KEY = "k" * 64


@pytest.mark.parametrize("url", ["http://console.neon.tech/api/v2", "http://10.0.0.1:8080/api/v2", "ftp://x/y",
                                 "console.neon.tech/api/v2", "", "https://user:pw@console.neon.tech/api/v2",
                                 "https://console.neon.tech/api/v2?x=1"])
def test_api_url_refused(url):
    with pytest.raises(NeonConfigError):
        client.check_api_url(url)


@pytest.mark.parametrize("url", ["https://console.neon.tech/api/v2/", "http://127.0.0.1:8080/api/v2",
                                 "http://localhost:1/api/v2", "http://[::1]:9/api/v2", "http://127.8.9.10/api/v2"])
def test_api_url_accepted(url):
    assert not client.check_api_url(url).endswith("/")


@pytest.mark.parametrize("key", ["", KEY + "\n", KEY[:10] + "\r\nX-Evil: 1", "with space", "é" * 64, None])
def test_api_key_refused_without_echo(key):
    with pytest.raises(NeonConfigError) as err:
        client.check_api_key(key)
    if key:
        assert key not in str(err.value)


def test_retry_after_forms():
    assert client.parse_retry_after("3") == 3.0
    assert client.parse_retry_after(None) is None
    assert client.parse_retry_after("soon") is None
    now = 1_800_000_000.0
    date = email.utils.formatdate(now + 5, usegmt=True)
    assert client.parse_retry_after(date, now=now) == pytest.approx(5.0, abs=1.0)
    past = email.utils.formatdate(now - 50, usegmt=True)
    assert client.parse_retry_after(past, now=now) == 0.0


def test_backoff_is_full_jitter_and_capped():
    assert client.backoff_delay(0, rng=lambda: 1.0) == client.BACKOFF_BASE
    assert client.backoff_delay(3, rng=lambda: 1.0) == client.BACKOFF_BASE * 8
    assert client.backoff_delay(30, rng=lambda: 1.0) == client.BACKOFF_CAP
    assert client.backoff_delay(5, rng=lambda: 0.0) == 0.0


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_rate_limiter_never_exceeds_either_window():
    clock = FakeClock()
    limiter = client.RateLimiter(clock=clock, sleep=clock.sleep)
    stamps = []
    for dummy in range(1500):
        limiter.release(limiter.acquire())     # an answer that comes back at once
        stamps.append(clock.now)
    for i, t in enumerate(stamps):
        in_second = sum(1 for s in stamps[i:i + 60] if s - t < 1.0)
        assert in_second <= client.RATE_PER_SECOND
    for i in range(0, len(stamps) - client.RATE_PER_MINUTE):
        assert stamps[i + client.RATE_PER_MINUTE] - stamps[i] >= 60.0
    # 1,500 requests need a bit over two minutes, not more: pacing does not over-throttle.
    assert 120.0 <= stamps[-1] < 125.0


def test_rate_limiter_counts_a_request_until_one_window_after_its_answer():
    """Neon counts a request when it arrives, anywhere between our send and its answer: a slow answer (a
    first request that pays a TLS handshake) must not let the next 40 through a window of Neon's clock."""
    clock = FakeClock()
    limiter = client.RateLimiter(clock=clock, sleep=clock.sleep)
    spans = []
    for n in range(200):
        token = limiter.acquire()
        sent = clock.now
        clock.now += 0.3 if n % 40 == 0 else 0.001      # every 40th answer is slow
        limiter.release(token)
        spans.append((sent, clock.now))
    # Whatever instant in [sent, answered] Neon saw each request at, no 1-second window holds more than 40:
    # the 41st request after any request is sent at least 1 s after that request's answer.
    for i in range(len(spans) - client.RATE_PER_SECOND):
        assert spans[i + client.RATE_PER_SECOND][0] - spans[i][1] >= 1.0


def test_rate_limiter_waits_for_requests_in_flight():
    clock = FakeClock()
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        if len(waits) == 50:
            limiter.release(held[0])      # the answer of the first request finally comes back
        clock.sleep(seconds)
    limiter = client.RateLimiter(per_second=2, per_minute=100, clock=clock, sleep=sleep)
    held = [limiter.acquire(), limiter.acquire()]
    limiter.acquire()
    # It could not know when the in-flight request would count, so it polled until the answer, then waited
    # one more window.
    assert len(waits) == 51 and clock.now == pytest.approx(49 * 0.005 + 1.0)


def test_bearer_auth_hides_the_key():
    auth = client._BearerAuth(KEY)
    assert KEY not in repr(auth)

    class Req:
        headers = {}
    assert auth(Req()).headers["Authorization"] == "Bearer " + KEY


def test_client_refuses_bad_settings_before_any_request():
    with pytest.raises(NeonConfigError, match="timeout"):
        client.NeonClient(KEY, timeout=0)
    with pytest.raises(NeonConfigError, match="retries"):
        client.NeonClient(KEY, retries=-1)
    with pytest.raises(NeonConfigError, match="plain http"):
        client.NeonClient(KEY, api_url="http://example.com/api/v2")


def test_api_error_carries_no_key_and_serialises():
    err = client.NeonApiError("boom", status=406, code="", request_id="r-1", method="POST", path="/x")
    assert err.to_dict() == {"status": 406, "code": "", "message": "boom", "request_id": "r-1",
                             "method": "POST", "path": "/x"}


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/api/v2\nX-Evil: 1", " https://console.neon.tech/api/v2",
                                 "https://console.neon.tech/api/v2\t", "https://console.néon.tech/api/v2",
                                 "http://127.0.0.1:99999/api/v2", "http://127.0.0.1:0/api/v2",
                                 "http://evil.localhost/api/v2", "http://127.0.0.1.nip.io/api/v2"])
def test_api_url_with_control_characters_bad_port_or_dns_name_refused(url):
    with pytest.raises(NeonConfigError) as err:
        client.check_api_url(url)
    assert repr(url) in str(err.value) or "plain http" in str(err.value)


def test_plain_http_session_ignores_the_environment(monkeypatch):
    """No proxy may carry the key of a loopback URL in clear text, and no ~/.netrc may be consulted."""
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    local = client.NeonClient(KEY, api_url="http://127.0.0.1:9/api/v2")
    assert local._session().trust_env is False
    remote = client.NeonClient(KEY)
    assert remote._session().trust_env is True


class FakeResponse:
    def __init__(self, status, body, headers=None):
        self.status_code = status
        self.content = body
        self.headers = dict(headers or {})

    def json(self):
        import json
        return json.loads(self.content)


class FakeSession:
    """Answers from a script; records what was sent."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.sent = []
        self.params = []

    def request(self, method, url, **kwargs):
        self.sent.append((method, url))
        self.params.append(kwargs.get("params"))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def scripted(answers, retries=3, **kwargs):
    api = client.NeonClient(KEY, api_url="http://127.0.0.1:9/api/v2", retries=retries, sleep=lambda s: None,
                            **kwargs)
    session = FakeSession(answers)
    api._local.session = session
    return api, session


HTML = FakeResponse(200, b"<html>oops</html>", {"Content-Type": "text/html", "X-Neon-Ret-Request-Id": "r-html"})
CUT = FakeResponse(200, b'{"projects": [', {"Content-Type": "application/json"})
OK = FakeResponse(200, b'{"ok": true}', {"X-Neon-Ret-Request-Id": "r-ok"})


def test_unreadable_2xx_body_is_retried_for_a_read():
    api, session = scripted([HTML, CUT, OK])
    answer = api.request("GET", "/auth")
    assert answer == {"ok": True} and answer.request_id == "r-ok"
    assert len(session.sent) == 3 and len(api.retried) == 2


def test_unreadable_2xx_body_of_a_write_is_an_unknown_outcome_never_resent():
    api, session = scripted([HTML, OK])
    with pytest.raises(client.NeonApiError) as err:
        api.request("POST", "/organizations/o/projects/transfer", body={})
    assert err.value.outcome_unknown is True and err.value.request_id == "r-html"
    assert len(session.sent) == 1


def test_read_timeout_of_a_write_is_unknown_but_a_refused_connection_is_resent():
    import requests
    import urllib3
    refused = requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(
        None, "/", urllib3.exceptions.NewConnectionError(None, "refused")))
    api, session = scripted([refused, OK])
    assert api.request("POST", "/x", body={}) == {"ok": True}
    api, session = scripted([requests.exceptions.ReadTimeout("slow"), OK])
    with pytest.raises(client.NeonApiError) as err:
        api.request("POST", "/x", body={})
    assert err.value.outcome_unknown is True and err.value.status is None and len(session.sent) == 1


@pytest.mark.parametrize("status, unknown", [(500, True), (502, True), (504, True), (503, False), (429, False),
                                             (423, False), (404, False), (406, False)])
def test_write_outcome_by_status(status, unknown):
    answers = [FakeResponse(status, b'{"code": "", "message": "m", "request_id": "r-1"}')] * 5
    api, session = scripted(answers, retries=2)
    with pytest.raises(client.NeonApiError) as err:
        api.request("POST", "/x", body={})
    assert err.value.outcome_unknown is unknown and err.value.request_id == "r-1"
    # Only answers that say "not processed" are resent, within ``retries``.
    assert len(session.sent) == (3 if status in (503, 429, 423) else 1)


def test_retry_after_is_honoured_and_bounded_by_the_deadline():
    slept = []
    api = client.NeonClient(KEY, api_url="http://127.0.0.1:9/api/v2", retries=3, sleep=slept.append,
                            deadline=10)
    api._local.session = FakeSession([FakeResponse(429, b"", {"Retry-After": "2"}), OK])
    assert api.request("GET", "/auth") == {"ok": True}
    assert slept == [2.0]
    api._local.session = FakeSession([FakeResponse(429, b"", {"Retry-After": "3600"}), OK])
    with pytest.raises(client.NeonApiError) as err:
        api.request("GET", "/auth")
    assert err.value.status == 429       # a wait past the deadline is not taken


def test_redirect_is_never_followed():
    api, session = scripted([FakeResponse(302, b"", {"Location": "https://evil.example/steal"})])
    with pytest.raises(client.NeonApiError) as err:
        api.request("GET", "/auth")
    assert "evil.example" in str(err.value) and len(session.sent) == 1


@pytest.mark.parametrize("page, needle", [
    ({"projects": "x"}, "no 'projects' list"),
    ({"projects": [{"name": "no id"}]}, "without a string id"),
    ({"projects": [{"id": 7}]}, "without a string id"),
    ({"projects": [{"id": "p", "org_id": 5}]}, "org_id"),
    ({"projects": [], "unavailable_project_ids": "p-1"}, "unavailable_project_ids"),
    ({"projects": [], "pagination": "abc"}, "pagination"),
    ({"projects": [], "pagination": {"cursor": 5}}, "pagination"),
    ({"projects": [], "integrations": []}, "integrations"),
    ({"projects": [], "applications": {"p": "github"}}, "applications"),
])
def test_wrong_page_shape_fails_with_the_request_id(page, needle):
    answer = client.ApiAnswer(page)
    answer.request_id = "r-shape"
    with pytest.raises(client.NeonApiError) as err:
        client.check_page(answer)
    assert needle in str(err.value) and err.value.request_id == "r-shape"


def page(projects, unavailable=(), cursor=None):
    body = {"projects": [{"id": pid} for pid in projects]}
    if unavailable:
        body["unavailable_project_ids"] = list(unavailable)
    if cursor:
        body["pagination"] = {"cursor": cursor}
    import json
    return FakeResponse(200, json.dumps(body).encode())


def test_a_page_of_only_unavailable_projects_does_not_end_the_listing():
    """Found by the property tests: a full page whose projects all timed out looked empty, and the listing
    stopped there, leaving every later page out (all_projects then moved only part of the source)."""
    api, session = scripted([page([], ["p-1", "p-2"], "p-2"), page(["p-3"], cursor="p-3")])
    pages = list(api.iter_project_pages(org_id="org-1", limit=2))
    assert [p["projects"] for p in pages] == [[], [{"id": "p-3"}]]
    assert len(session.sent) == 2


def test_listing_stops_on_an_empty_page_even_if_it_echoes_the_cursor():
    api, session = scripted([page(["p-1", "p-2"], cursor="p-2"), page([], cursor="p-2")])
    assert len(list(api.iter_project_pages(org_id="org-1", limit=2))) == 2


def test_a_full_page_that_repeats_its_cursor_is_an_error_not_a_loop():
    api, session = scripted([page(["p-1", "p-2"], cursor="p-2"), page(["p-1", "p-2"], cursor="p-2")])
    with pytest.raises(client.NeonApiError, match="cannot advance"):
        list(api.iter_project_pages(org_id="org-1", limit=2))


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_transport_error_that_quotes_the_key_does_not_carry_it(method):
    """requests puts header values in some messages (InvalidHeader); the error keeps only the exception's type."""
    import requests
    leak = requests.exceptions.InvalidHeader("Invalid leading whitespace in header value 'Bearer %s'" % KEY)
    api, _session = scripted([leak] * 4, retries=0)
    with pytest.raises(client.NeonApiError) as err:
        api.request(method, "/auth")
    for text in (str(err.value), repr(err.value), repr(err.value.to_dict()), repr(api.retried)):
        assert KEY not in text
    assert "InvalidHeader" in str(err.value)


# -- iter_project_pages(prefetch=True) ---------------------------------------------------------------------------


def raw_page(text):
    return FakeResponse(200, text.encode())


SPARE = page(["spare-1", "spare-2"], cursor="spare-2")     # answers a request that should not have been sent

SEQUENCES = {
    "full pages then a short one": [page(["p-1", "p-2"], cursor="p-2"), page(["p-3", "p-4"], cursor="p-4"),
                                    page(["p-5"], cursor="p-5")],
    "last page empty, echoing the cursor": [page(["p-1", "p-2"], cursor="p-2"), page([], cursor="p-2")],
    "full page without a cursor": [page(["p-1", "p-2"], cursor="p-2"), page(["p-3", "p-4"])],
    "full page of only unavailable ids": [page(["p-1", "p-2"], cursor="p-2"), page([], ["p-3", "p-4"], "p-4"),
                                          page(["p-5"], cursor="p-5")],
    "cursor does not advance": [page(["p-1", "p-2"], cursor="p-2"), page(["p-3", "p-4"], cursor="p-2")],
    "cursor goes back": [page(["p-1", "p-2"], cursor="p-2"), page(["p-3", "p-4"], cursor="p-4"),
                         page(["p-5", "p-6"], cursor="p-2")],
    "pretty-printed JSON": [raw_page(json.dumps({"projects": [{"id": "p-1"}, {"id": "p-2"}],
                                                 "pagination": {"cursor": "p-2"}}, indent=2)),
                            raw_page(json.dumps({"projects": [{"id": "p-3"}, {"id": "p-4"}],
                                                 "pagination": {"cursor": "p-4"}}, separators=(", ", " : "))),
                            page([], cursor="p-4")],
}


def listing_client(answers):
    """A scripted client whose worker threads share the fake session (it is otherwise per thread)."""
    api, session = scripted(list(answers) + [SPARE], retries=0)
    api._session = lambda: session
    return api, session


def run_listing(answers, prefetch, limit=2):
    api, session = listing_client(answers)
    pages, error = [], None
    try:
        for one in api.iter_project_pages(org_id="org-1", limit=limit, prefetch=prefetch):
            pages.append(dict(one))
    except client.NeonApiError as exc:
        error = str(exc)
    return pages, error, api.requests_sent, session.params


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_prefetch_yields_the_same_pages_errors_and_requests(name):
    plain = run_listing(SEQUENCES[name], prefetch=False)
    assert run_listing(SEQUENCES[name], prefetch=True) == plain
    assert plain[2] < len(SEQUENCES[name]) + 1        # the spare answer was never needed


def wait_until(condition, timeout=5.0):
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.001)


def test_prefetch_requests_the_next_page_before_the_caller_has_this_one():
    for name in ("full pages then a short one", "pretty-printed JSON", "full page of only unavailable ids"):
        api, session = listing_client(SEQUENCES[name])
        pages = api.iter_project_pages(org_id="org-1", limit=2, prefetch=True)
        next(pages)
        # The generator is suspended at its yield: only a request started from the raw body can be sent now
        # (and, as instant fake answers come in, the one after it).
        wait_until(lambda: len(session.sent) >= 2)
        pages.close()


def test_prefetch_misjudged_page_costs_one_request_and_its_error_is_not_raised():
    """A nested "id" makes a short page look full, and a nested "pagination" gives a wrong cursor: both guesses are
    checked against the decoded page, their requests discarded (errors included), and the listing is unchanged."""
    failure = FakeResponse(500, b'{"code": "", "message": "speculative failure"}')
    cases = [
        # short page that looks full: the listing ends after it, the request ahead failed unseen
        ([raw_page('{"projects":[{"id":"p-1","owner":{"id":"u-1"}}],"pagination":{"cursor":"p-1"}}'), failure],
         [[{"id": "p-1", "owner": {"id": "u-1"}}]]),
        # full page whose raw body names a wrong cursor last: the right page is then asked as without prefetch
        ([raw_page('{"pagination":{"cursor":"p-2"},"projects":[{"id":"p-1"},'
                   '{"id":"p-2","meta":{"pagination":{"cursor":"zzz"}}}]}'), failure, page(["p-3"], cursor="p-3")],
         [[{"id": "p-1"}, {"id": "p-2", "meta": {"pagination": {"cursor": "zzz"}}}], [{"id": "p-3"}]]),
    ]
    for answers, expected in cases:
        pages, error, sent, queries = run_listing(answers, prefetch=True)
        assert error is None and [p["projects"] for p in pages] == expected
        assert sent == run_listing(answers[:1] + answers[2:], prefetch=False)[2] + 1
        if len(expected) == 2:
            assert [q.get("cursor") for q in queries] == [None, "zzz", "p-2"]


def test_prefetch_error_of_a_needed_page_is_raised():
    answers = [page(["p-1", "p-2"], cursor="p-2"), FakeResponse(404, b'{"code": "", "message": "gone"}')]
    for prefetch in (False, True):
        api, session = listing_client(answers)
        pages = api.iter_project_pages(org_id="org-1", limit=2, prefetch=prefetch)
        assert next(pages)["projects"] == [{"id": "p-1"}, {"id": "p-2"}]
        with pytest.raises(client.NeonApiError, match="gone") as err:
            next(pages)
        assert err.value.status == 404 and api.requests_sent == 2


class SlowAnswer:
    """A fake answer that takes a while, and says when it is done."""

    def __init__(self, answer, seconds):
        self.answer, self.seconds, self.done = answer, seconds, threading.Event()

    def __call__(self):
        time.sleep(self.seconds)
        self.done.set()
        return self.answer


def test_prefetch_close_waits_for_the_request_ahead():
    slow = SlowAnswer(page(["p-3", "p-4"], cursor="p-4"), 0.2)
    api, session = listing_client([page(["p-1", "p-2"], cursor="p-2"), slow])
    request = session.request

    def answer(method, url, **kwargs):
        got = request(method, url, **kwargs)
        return got() if callable(got) else got
    session.request = answer
    threads = threading.active_count()
    pages = api.iter_project_pages(org_id="org-1", limit=2, prefetch=True)
    next(pages)
    wait_until(lambda: len(session.sent) == 2)
    pages.close()
    # The page ahead's answer is in, its request counted, and no worker thread is left.
    assert slow.done.is_set() and api.requests_sent == 2 and len(session.sent) == 2
    assert threading.active_count() == threads


def test_on_body_sees_each_2xx_body_before_decoding_and_nothing_else():
    seen = []
    api, session = scripted([FakeResponse(503, b'{"message": "busy"}'), HTML, OK])
    assert api.request("GET", "/auth", on_body=seen.append) == {"ok": True}
    assert seen == [HTML.content, OK.content]


@pytest.mark.parametrize("text, limit, cursor", [
    ('{"projects":[{"id":"a"},{"id":"b"}],"pagination":{"cursor":"b"}}', 2, "b"),
    ('{"projects":[{"id":"a"}],"pagination":{"cursor":"a"}}', 2, None),
    ('{"projects":[{"id":"a"}],"unavailable_project_ids":["b"],"pagination":{"cursor":"b"}}', 2, "b"),
    ('{"projects":[{"id" : "a"},{"id": "b"}],"pagination" : {"cursor" : "b"}}\n', 2, "b"),
    ('{"projects":[{"id":"a"},{"id":"b"}]}', 2, None),
    ('{"projects":[{"id":"a"},{"id":"b"}],"pagination":{"cursor":null}}', 2, None),
    ('{"projects":[{"id":"a"},{"id":"b"}],"pagination":{"cursor":"b"', 2, None),     # cut: retried, not guessed
    ('{"projects":[{"id":"a"},{"id":"b"}],"pagination":"x"}', 2, None),
])
def test_peek_next_cursor(text, limit, cursor):
    assert client._peek_next_cursor(text.encode(), limit) == cursor


def test_prefetch_runs_at_most_one_page_ahead_of_the_caller():
    """With instant answers, an unbounded chain would fetch the whole listing while the caller holds page 1; an
    early stop then costs at most the one page requested ahead."""
    answers = [page(["p-%d" % i, "p-%d" % (i + 1)], cursor="p-%d" % (i + 1)) for i in range(1, 20, 2)]
    answers.append(page([], cursor="p-20"))
    api, session = listing_client(answers)
    pages = api.iter_project_pages(org_id="org-1", limit=2, prefetch=True)
    next(pages)
    wait_until(lambda: len(session.sent) >= 2)
    time.sleep(0.05)
    assert len(session.sent) == 2
    next(pages)                 # the caller asks for page 2: only now page 3 may be requested
    wait_until(lambda: len(session.sent) >= 3)
    time.sleep(0.05)
    assert len(session.sent) == 3
    pages.close()
    assert api.requests_sent == 3
    assert run_listing(answers, prefetch=True) == run_listing(answers, prefetch=False)

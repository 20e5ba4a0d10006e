# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client's pure helpers: settings checks, Retry-After, backoff, pacing."""

from __future__ import annotations

import email.utils

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
    for _ in range(1500):
        limiter.acquire()
        stamps.append(clock.now)
    for i, t in enumerate(stamps):
        in_second = sum(1 for s in stamps[i:i + 60] if s - t < 1.0)
        assert in_second <= client.RATE_PER_SECOND
    for i in range(0, len(stamps) - client.RATE_PER_MINUTE):
        assert stamps[i + client.RATE_PER_MINUTE] - stamps[i] >= 60.0
    # 1,500 requests need a bit over two minutes, not more: pacing does not over-throttle.
    assert 120.0 <= stamps[-1] < 125.0


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

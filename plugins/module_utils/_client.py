# -*- coding: utf-8 -*-
# Copyright (c) 2026, neon_ops.neon contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""PRIVATE to neon_ops.neon: a small client for the Neon API v2. It may change at any time.

It has no Ansible imports so the emulator's tests, the benchmark and the unit tests can use it as is.
"""

from __future__ import annotations

import email.utils
import ipaddress
import json
import random
import threading
import time
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover
    urlsplit = None

REQUESTS_IMPORT_ERROR = None
try:
    import requests
    import urllib3
    from requests.auth import AuthBase
    HAS_REQUESTS = True
except ImportError as exc:  # pragma: no cover - reported by the module through missing_required_lib
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc
    AuthBase = object

COLLECTION_VERSION = "1.0.0"
DEFAULT_API_URL = "https://console.neon.tech/api/v2"
PAGE_LIMIT = 400        # GET /projects accepts limit 1..400
# Neon documents 700 requests a minute per account and bursts of 40 a second per route.
RATE_PER_MINUTE = 700
RATE_PER_SECOND = 40
# Statuses Neon answers without processing the request: always safe to resend, POST included.
RETRY_ANY_METHOD = frozenset((423, 429, 503))
# For reads, any server-side failure may be retried.
RETRY_SAFE_METHOD = frozenset((500, 502, 504))
SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))
BACKOFF_BASE = 0.25
BACKOFF_CAP = 10.0


class NeonApiError(Exception):
    """One error type for everything the API (or the road to it) can answer.

    ``status`` is None for transport failures. ``outcome_unknown`` is true when a write may or may not have
    been applied (timeout, dropped connection, 5xx other than 503): the caller must re-read, never resend blindly.
    """

    def __init__(self, message, status=None, code=None, request_id=None, body=None, method=None, path=None,
                 outcome_unknown=False):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.body = body
        self.method = method
        self.path = path
        self.outcome_unknown = outcome_unknown

    def to_dict(self):
        return {
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "request_id": self.request_id,
            "method": self.method,
            "path": self.path,
        }


class NeonConfigError(ValueError):
    """Bad connection settings, found before any request is sent."""


class _BearerAuth(AuthBase):
    """Bearer authentication as an auth object: requests then never consults ~/.netrc, which would replace it."""

    def __init__(self, api_key):
        self._api_key = api_key

    def __call__(self, r):
        r.headers["Authorization"] = "Bearer " + self._api_key
        return r

    def __repr__(self):
        return "<_BearerAuth: key hidden>"


def _is_loopback(host):
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_api_url(api_url):
    """Return the normalised base URL, or raise NeonConfigError naming what is wrong."""
    if not isinstance(api_url, str) or not api_url:
        raise NeonConfigError("api_url must be a non-empty URL")
    parts = urlsplit(api_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise NeonConfigError("api_url %r is not an http(s) URL with a host" % api_url)
    if parts.username or parts.password:
        raise NeonConfigError("api_url must not carry credentials; give the key in api_key")
    if parts.query or parts.fragment:
        raise NeonConfigError("api_url %r must not have a query or fragment" % api_url)
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        # The key would cross the network in clear text.
        raise NeonConfigError("api_url %r uses plain http; only https is allowed, except for a loopback emulator"
                              % api_url)
    return api_url.rstrip("/")


def check_api_key(api_key):
    """Reject a key that cannot be a Neon key, without ever echoing it."""
    if not isinstance(api_key, str) or not api_key:
        raise NeonConfigError("api_key is empty; set api_key or the NEON_API_KEY environment variable")
    if not all("\x21" <= ch <= "\x7e" for ch in api_key):
        # A newline here would let the value inject headers; a space is usually a copy-paste accident.
        raise NeonConfigError("api_key contains whitespace, control or non-ASCII characters "
                              "(a trailing newline from a file?); the key is not shown")


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None if absent/unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def backoff_delay(attempt, rng=random.random):
    """Exponential backoff with full jitter (attempt 0 is the first retry)."""
    return rng() * min(BACKOFF_CAP, BACKOFF_BASE * (2 ** attempt))


class RateLimiter:
    """Keeps the client under Neon's published rate in every sliding window, so a large job never provokes a 429."""

    def __init__(self, per_second=RATE_PER_SECOND, per_minute=RATE_PER_MINUTE, clock=time.monotonic,
                 sleep=time.sleep):
        self.per_second = per_second
        self.per_minute = per_minute
        self._clock = clock
        self._sleep = sleep
        self._sent = deque()
        self._lock = threading.Lock()
        self.waited = 0.0

    def acquire(self):
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and now - self._sent[0] >= 60.0:
                    self._sent.popleft()
                wait = 0.0
                if len(self._sent) >= self.per_minute:
                    wait = 60.0 - (now - self._sent[-self.per_minute])
                if len(self._sent) >= self.per_second:
                    wait = max(wait, 1.0 - (now - self._sent[-self.per_second]))
                if wait <= 0:
                    self._sent.append(now)
                    return
                self.waited += wait
            self._sleep(wait)


def _never_sent(exc):
    """True when the connection was never established, so not a byte of the request reached the server."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError) or not exc.args:
        return False
    reason = getattr(exc.args[0], "reason", exc.args[0])
    return isinstance(reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError))


def _error_from_response(resp, method, path, body):
    request_id = resp.headers.get("X-Neon-Ret-Request-Id")
    code = None
    message = None
    if isinstance(body, dict):
        code = body.get("code")
        message = body.get("message")
        request_id = body.get("request_id") or request_id
    if not message:
        message = "HTTP %s from %s %s" % (resp.status_code, method, path)
    return NeonApiError(message, status=resp.status_code, code=code, request_id=request_id, body=body,
                        method=method, path=path,
                        outcome_unknown=method not in SAFE_METHODS and resp.status_code >= 500
                        and resp.status_code != 503)


class NeonClient:
    """A keep-alive client with bounded retries, pacing and request accounting.

    ``retries`` bounds the resends of one request; ``deadline`` (seconds) bounds the total time one request may
    take with its retries and waits.
    """

    def __init__(self, api_key, api_url=DEFAULT_API_URL, timeout=30, retries=5, validate_certs=True,
                 user_agent=None, deadline=None, rate_limiter=None, max_workers=8, sleep=time.sleep):
        if not HAS_REQUESTS:
            raise NeonConfigError("the Python library requests is required")
        check_api_key(api_key)
        self.api_url = check_api_url(api_url)
        if timeout is None or timeout <= 0:
            raise NeonConfigError("timeout must be a positive number of seconds, got %r" % (timeout,))
        if retries is None or retries < 0:
            raise NeonConfigError("retries must be 0 or more, got %r" % (retries,))
        self._auth = _BearerAuth(api_key)
        self.timeout = timeout
        self.retries = retries
        self.deadline = deadline if deadline is not None else timeout * (retries + 1) + 30
        self.validate_certs = validate_certs
        self.user_agent = user_agent or "neon_ops.neon/%s" % COLLECTION_VERSION
        self.rate_limiter = rate_limiter if rate_limiter is not None else RateLimiter()
        self.max_workers = max_workers
        self._sleep = sleep
        self._local = threading.local()
        self._lock = threading.Lock()
        self.requests_sent = 0
        self.retried = []

    # -- transport ---------------------------------------------------------------------------------------------

    def _session(self):
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = True  # proxies from the environment still apply; auth cannot, see _BearerAuth
            session.headers.update({
                "Accept": "application/json",
                "User-Agent": self.user_agent,
            })
            self._local.session = session
        return session

    def _count(self):
        with self._lock:
            self.requests_sent += 1

    def request(self, method, path, query=None, body=None):
        """Send one API call, retrying what is safe; return the parsed JSON body (a dict)."""
        method = method.upper()
        url = self.api_url + path
        started = time.monotonic()
        attempt = 0
        while True:
            self.rate_limiter.acquire()
            self._count()
            request_id = str(uuid.uuid4())
            headers = {"X-Request-ID": request_id}
            if body is not None:
                headers["Content-Type"] = "application/json"
            try:
                resp = self._session().request(
                    method, url, params=query, data=None if body is None else json.dumps(body),
                    headers=headers, auth=self._auth, timeout=self.timeout, verify=self.validate_certs,
                    allow_redirects=False)
            except requests.exceptions.RequestException as exc:
                # A connect failure means nothing reached Neon; anything later may have been applied.
                not_sent = _never_sent(exc)
                error = NeonApiError(
                    "%s %s failed: %s" % (method, path, type(exc).__name__), request_id=request_id,
                    method=method, path=path, outcome_unknown=method not in SAFE_METHODS and not not_sent)
                if (method in SAFE_METHODS or not_sent) and self._may_retry(attempt, started, None):
                    self._note_retry(method, path, type(exc).__name__)
                    self._wait(attempt, None, started)
                    attempt += 1
                    continue
                raise error

            if 300 <= resp.status_code < 400:
                # Never follow: the key could be sent to another host or over another scheme.
                raise NeonApiError("the API answered %s %s with a redirect (HTTP %s to %r), which is not followed"
                                   % (method, path, resp.status_code, resp.headers.get("Location")),
                                   status=resp.status_code, request_id=resp.headers.get("X-Neon-Ret-Request-Id"),
                                   method=method, path=path)
            parsed = self._parse(resp, method, path)
            if resp.status_code < 300:
                if not isinstance(parsed, dict):
                    raise NeonApiError("unexpected answer to %s %s: HTTP %s with a body that is not a JSON object"
                                       % (method, path, resp.status_code), status=resp.status_code,
                                       request_id=resp.headers.get("X-Neon-Ret-Request-Id"), method=method,
                                       path=path, outcome_unknown=method not in SAFE_METHODS)
                return parsed
            error = _error_from_response(resp, method, path, parsed if isinstance(parsed, dict) else None)
            retryable = resp.status_code in RETRY_ANY_METHOD or (
                method in SAFE_METHODS and resp.status_code in RETRY_SAFE_METHOD)
            retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            if retryable and self._may_retry(attempt, started, retry_after):
                self._note_retry(method, path, resp.status_code)
                self._wait(attempt, retry_after, started)
                attempt += 1
                continue
            raise error

    def _parse(self, resp, method, path):
        if not resp.content:
            return None
        try:
            return resp.json()
        except ValueError:
            if resp.status_code < 300:
                raise NeonApiError("unexpected answer to %s %s: HTTP %s with a body that is not JSON (%s)"
                                   % (method, path, resp.status_code,
                                      resp.headers.get("Content-Type", "no content type")),
                                   status=resp.status_code, request_id=resp.headers.get("X-Neon-Ret-Request-Id"),
                                   method=method, path=path, outcome_unknown=method not in SAFE_METHODS)
            return None

    def _may_retry(self, attempt, started, retry_after):
        if attempt >= self.retries:
            return False
        wait = retry_after if retry_after is not None else 0.0
        return time.monotonic() - started + wait <= self.deadline

    def _wait(self, attempt, retry_after, started):
        delay = retry_after if retry_after is not None else backoff_delay(attempt)
        remaining = self.deadline - (time.monotonic() - started)
        self._sleep(max(0.0, min(delay, remaining)))

    def _note_retry(self, method, path, why):
        with self._lock:
            self.retried.append({"method": method, "path": path, "reason": str(why)})

    # -- helpers -------------------------------------------------------------------------------------------------

    def parallel(self, func, items):
        """Run func over items on up to max_workers threads (independent reads overlap); keep the order."""
        items = list(items)
        if len(items) <= 1 or self.max_workers <= 1:
            return [func(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(items))) as pool:
            return list(pool.map(func, items))

    def iter_project_pages(self, org_id=None, search=None, limit=PAGE_LIMIT):
        """Yield the pages of GET /projects, following pagination.cursor.

        It stops on an empty page, a short page (fewer items, unavailable ones included, than asked: neonctl's
        rule, and what makes the request count ceil((n+1)/limit)), a missing cursor, or a cursor that does not
        advance, so a server that echoes its cursor cannot loop us forever.
        """
        query = {"limit": limit}
        if org_id is not None:
            query["org_id"] = org_id
        if search is not None:
            query["search"] = search
        sent_cursor = None
        seen = set()
        while True:
            if sent_cursor is not None:
                query["cursor"] = sent_cursor
            page = self.request("GET", "/projects", query=dict(query))
            projects = page.get("projects")
            if not isinstance(projects, list):
                raise NeonApiError("unexpected answer to GET /projects: no 'projects' list", status=200,
                                   method="GET", path="/projects")
            yield page
            unavailable = page.get("unavailable_project_ids") or []
            cursor = (page.get("pagination") or {}).get("cursor")
            if not projects or len(projects) + len(unavailable) < limit or not cursor:
                return
            if cursor == sent_cursor or cursor in seen:
                # A full page whose cursor does not move: the rest of the list is unreachable, so say so.
                raise NeonApiError("GET /projects returned the cursor %r again after a full page; the listing "
                                   "cannot advance and would be incomplete" % cursor, status=200,
                                   request_id=page.get("request_id"), method="GET", path="/projects")
            seen.add(cursor)
            sent_cursor = cursor

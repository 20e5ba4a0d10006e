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
import re
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

    def describe(self):
        """One line: status, call, Neon's message and request id (never the key)."""
        text = "HTTP %s" % self.status if self.status else "no answer"
        text += " from %s %s: %s" % (self.method, self.path, self.message)
        if self.request_id:
            text += " (request_id %s)" % self.request_id
        return text

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


class ApiAnswer(dict):
    """A parsed JSON object that remembers Neon's request id, so a wrong-shaped answer can be reported with it."""

    request_id = None


def unexpected(answer, method, path, what):
    """The error for an answer of the wrong shape (HTTP 2xx, but not what the spec promises)."""
    return NeonApiError("unexpected answer to %s %s: %s" % (method, path, what), status=200,
                        request_id=getattr(answer, "request_id", None), body=None, method=method, path=path)


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
    # Only "localhost" and literal addresses: any other name is resolved by DNS, which may point anywhere.
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_api_url(api_url):
    """Return the normalised base URL, or raise NeonConfigError naming what is wrong."""
    if not isinstance(api_url, str) or not api_url:
        raise NeonConfigError("api_url must be a non-empty URL")
    if not all("\x21" <= ch <= "\x7e" for ch in api_url):
        # urlsplit silently drops tabs and newlines; a URL with them is a paste accident or an injection.
        raise NeonConfigError("api_url %r contains whitespace, control or non-ASCII characters" % api_url)
    try:
        parts = urlsplit(api_url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if not port_ok:
        raise NeonConfigError("api_url %r has an invalid port" % api_url)
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
    """Keeps the client under Neon's published rate in every sliding window, so a large job never provokes a 429.

    Neon counts a request when it arrives, which may be any time between our send and its answer. So a request
    holds its place in a window from its send until one window length after its answer (or failure): then no
    window of Neon's clock, whatever the network delays, can see more than the limit. ``acquire`` returns a token
    for ``release``; a request never released holds its place (it may still arrive).
    """

    def __init__(self, per_second=RATE_PER_SECOND, per_minute=RATE_PER_MINUTE, clock=time.monotonic,
                 sleep=time.sleep):
        self.per_second = per_second
        self.per_minute = per_minute
        self._clock = clock
        self._sleep = sleep
        self._sent = deque()       # [end or None] per request, in send order; None while in flight
        self._lock = threading.Lock()
        self.waited = 0.0

    def _delay(self, now):
        """Seconds to wait before one more request fits in both windows (0: now); None: wait for an answer."""
        while self._sent and self._sent[0][0] is not None and now - self._sent[0][0] >= 60.0:
            self._sent.popleft()
        delay = 0.0
        for window, limit in ((60.0, self.per_minute), (1.0, self.per_second)):
            busy = [entry[0] for entry in self._sent if entry[0] is None or now - entry[0] < window]
            if len(busy) < limit:
                continue
            done = sorted(end for end in busy if end is not None)
            # The window frees a place when enough answered requests leave it; in-flight ones must answer first.
            need = len(busy) - limit + 1
            if len(done) < need:
                return None
            delay = max(delay, done[need - 1] + window - now)
        return delay

    def acquire(self):
        while True:
            with self._lock:
                now = self._clock()
                wait = self._delay(now)
                if wait is not None and wait <= 0:
                    token = [None]
                    self._sent.append(token)
                    return token
                wait = 0.005 if wait is None else wait
                self.waited += wait
            self._sleep(wait)

    def release(self, token):
        with self._lock:
            token[0] = self._clock()


def _never_sent(exc):
    """True when the connection was never established, so not a byte of the request reached the server."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError) or not exc.args:
        return False
    reason = getattr(exc.args[0], "reason", exc.args[0])
    return isinstance(reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError))


_NOT_JSON = object()


def _parse(resp):
    """The JSON body, None for an empty body, or _NOT_JSON."""
    if not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        return _NOT_JSON


def _describe_body(resp, parsed):
    if parsed is None:
        return "empty"
    if parsed is _NOT_JSON:
        return "not JSON, %s, %d bytes" % (resp.headers.get("Content-Type", "no content type"), len(resp.content))
    return "JSON %s" % type(parsed).__name__


def _error_from_response(resp, method, path, body):
    request_id = resp.headers.get("X-Neon-Ret-Request-Id")
    code = None
    message = None
    if isinstance(body, dict):
        code = body.get("code") if isinstance(body.get("code"), str) else None
        message = body.get("message") if isinstance(body.get("message"), str) else None
        request_id = body.get("request_id") if isinstance(body.get("request_id"), str) else request_id
    if not message:
        message = "HTTP %s from %s %s" % (resp.status_code, method, path)
    return NeonApiError(message, status=resp.status_code, code=code, request_id=request_id, body=body,
                        method=method, path=path,
                        outcome_unknown=method not in SAFE_METHODS and resp.status_code >= 500
                        and resp.status_code != 503)


_DECODER = json.JSONDecoder()
_KEY_END = re.compile(rb"\s*:\s*")
_PEEK_WINDOW = 65536    # bytes decoded after a key: 400 unavailable ids of 60 characters fit


def _peek_value(raw, key):
    """The JSON value after the last ``key`` (quoted bytes) in raw, or None: a cheap look, not a full decode."""
    at = raw.rfind(key)
    colon = _KEY_END.match(raw, at + len(key)) if at >= 0 else None
    if colon is None:
        return None
    text = raw[colon.end():colon.end() + _PEEK_WINDOW].decode("utf-8", "replace")
    try:
        return _DECODER.raw_decode(text)[0]
    except (ValueError, RecursionError):
        return None


def _peek_next_cursor(raw, limit):
    """The cursor of a GET /projects page read from its raw body if the page looks full, else None.

    A guess (each project has one "id" key, a cut body has no closing brace), to be checked against the decoded page:
    a wrong one costs a request or an overlap, never a page.
    """
    if not raw[-64:].rstrip().endswith(b"}"):
        return None
    count = raw.count(b'"id":')
    if count < limit:
        count += raw.count(b'"id" :')
    if count < limit:
        unavailable = _peek_value(raw, b'"unavailable_project_ids"')
        count += len(unavailable) if isinstance(unavailable, list) else 0
    pagination = _peek_value(raw, b'"pagination"') if count >= limit else None
    cursor = pagination.get("cursor") if isinstance(pagination, dict) else None
    return cursor if isinstance(cursor, str) and cursor else None


class _PageRequest:
    """One GET /projects request of a listing; ``next`` is the request started from its raw body, if any."""

    def __init__(self, cursor, wanted=False):
        self.cursor = cursor
        self.future = None          # None: sent by the caller's thread
        self.next = None
        self.wanted = wanted        # the caller has asked for this page: the one after may be requested
        self.deferred = None        # the cursor its body gave before the caller asked for it
        self.started = threading.Event()


class _ProjectPages:
    """The requests of one GET /projects listing, for iter_project_pages; with prefetch, one page ahead.

    As soon as the raw body of the page the caller waits for shows a full page with a new cursor, the page after it
    is requested on a worker thread (whose own body may start the next one once the caller asks for that page): at
    most one request is in flight, never more than one page ahead of the caller, and its latency overlaps the
    decoding of the page before and the caller's work on it.
    """

    def __init__(self, client, query, limit, prefetch):
        self._client = client
        self._query = query
        self._limit = limit
        self._prefetch = prefetch
        self._pool = None
        self._pool_session = None
        self._lock = threading.Lock()   # orders a worker's start of the next page with the caller's claim and close
        self._sent = set()              # cursors requested: a repeated one ends the listing in error, never ask ahead
        self._stopping = False          # while requests ahead are waited out: start no more
        self._ahead = None              # the _PageRequest of the next page, or None

    def get(self, cursor):
        """The page at cursor, as request() answers it; the error of a request ahead is raised here, when needed."""
        ahead = self._ahead
        if ahead is not None and ahead.cursor == cursor:
            with self._lock:
                ahead.wanted = True
                deferred, ahead.deferred = ahead.deferred, None
            if deferred is not None:
                self._start(ahead, deferred)
            page = ahead.future.result()
            self._ahead = ahead.next
            return page
        self._drop()            # a wrong guess, or none: ask as without prefetch
        # Held in _ahead while sent, so that close() finds the request it starts even if it fails.
        mine = self._ahead = _PageRequest(cursor, wanted=True)
        page = self._send(mine)
        self._ahead = mine.next
        return page

    def close(self):
        """Wait for every request ahead (requests_sent is then final) and discard them."""
        self._drop()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool_session.close()
            self._pool = None

    def _drop(self):
        with self._lock:
            self._stopping = True
        node, self._ahead = self._ahead, None
        while node is not None:
            if node.future is not None:
                node.future.exception()     # waits; the error of a page not needed is not raised
            node = node.next                # linked, if at all, before node's request returned
        with self._lock:
            self._stopping = False

    def _send(self, node):
        query = dict(self._query)
        if node.cursor is not None:
            query["cursor"] = node.cursor
        self._sent.add(node.cursor)
        on_body = self._on_body(node) if self._prefetch else None
        return self._client.request("GET", "/projects", query=query, on_body=on_body)

    def _send_ahead(self, node):
        node.started.set()
        # The worker threads take turns (a request starts once the one before has its body): one session, so one
        # connection, for both.
        self._client._local.session = self._pool_session
        return self._send(node)

    def _on_body(self, node):
        def on_body(raw):
            cursor = _peek_next_cursor(raw, self._limit)
            if cursor is not None and cursor not in self._sent:
                self._start(node, cursor)
        return on_body

    def _start(self, node, cursor):
        """Request the page at cursor on a worker thread, as the one after node, unless the caller is not there yet."""
        with self._lock:
            if node.next is not None or self._stopping:
                return      # started by an earlier attempt of node's request, or the listing is winding down
            if not node.wanted:
                node.deferred = cursor      # the caller is still on an earlier page: do not run further ahead
                return
            if self._pool is None:
                # Two threads: one sends the next request while the other decodes.
                self._pool = ThreadPoolExecutor(max_workers=2)
                self._pool_session = self._client._new_session()
            after = _PageRequest(cursor)
            after.future = self._pool.submit(self._send_ahead, after)
            node.next = after
        # Decoding holds the GIL for milliseconds: let the worker thread get going first, or it sends late.
        after.started.wait(1.0)


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
        self._plain_http = urlsplit(self.api_url).scheme == "http"
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
            session = self._local.session = self._new_session()
        return session

    def _new_session(self):
        session = requests.Session()
        # Proxies and CA bundles from the environment apply to https (auth cannot, see _BearerAuth); plain
        # http is allowed only to loopback, and must stay there: no proxy would ever carry the key in clear.
        session.trust_env = not self._plain_http
        session.headers.update({
            "Accept": "application/json",
            "User-Agent": self.user_agent,
        })
        return session

    def _count(self):
        with self._lock:
            self.requests_sent += 1

    def request(self, method, path, query=None, body=None, on_body=None):
        """Send one API call, retrying what is safe; return the parsed JSON object (an ApiAnswer, a dict).

        ``on_body``, if given, is called with the raw bytes of every 2xx answer before they are decoded (so once
        per attempt): iter_project_pages uses it to request the next page while this one is decoded.
        """
        method = method.upper()
        url = self.api_url + path
        safe = method in SAFE_METHODS
        started = time.monotonic()
        attempt = 0
        while True:
            request_id = str(uuid.uuid4())
            headers = {"X-Request-ID": request_id}
            if body is not None:
                headers["Content-Type"] = "application/json"
            token = self.rate_limiter.acquire()
            self._count()
            try:
                resp = self._session().request(
                    method, url, params=query, data=None if body is None else json.dumps(body),
                    headers=headers, auth=self._auth, timeout=self.timeout, verify=self.validate_certs,
                    allow_redirects=False)
            except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                # A connect failure means nothing reached Neon; anything later may have been applied.
                not_sent = _never_sent(exc)
                if (safe or not_sent) and self._may_retry(attempt, started, None):
                    self._note_retry(method, path, type(exc).__name__)
                    self._wait(attempt, None, started)
                    attempt += 1
                    continue
                raise NeonApiError("%s %s failed: %s" % (method, path, type(exc).__name__), request_id=request_id,
                                   method=method, path=path, outcome_unknown=not safe and not not_sent)
            finally:
                self._release(token)

            answer_id = resp.headers.get("X-Neon-Ret-Request-Id")
            if 300 <= resp.status_code < 400:
                # Never follow: the key could be sent to another host or over another scheme.
                raise NeonApiError("the API answered %s %s with a redirect (HTTP %s to %r), which is not followed"
                                   % (method, path, resp.status_code, resp.headers.get("Location")),
                                   status=resp.status_code, request_id=answer_id, method=method, path=path)
            if on_body is not None and resp.status_code < 300:
                on_body(resp.content)
            parsed = _parse(resp)
            if resp.status_code < 300 and isinstance(parsed, dict):
                answer = ApiAnswer(parsed)
                answer.request_id = answer_id
                return answer
            if resp.status_code < 300:
                # An HTML page or a cut body: a read is sent again; a write's outcome is unknown.
                error = NeonApiError("unexpected answer to %s %s: HTTP %s with a body that is not a JSON object (%s)"
                                     % (method, path, resp.status_code, _describe_body(resp, parsed)),
                                     status=resp.status_code, request_id=answer_id, method=method, path=path,
                                     outcome_unknown=not safe)
                retryable, retry_after = safe, None
            else:
                error = _error_from_response(resp, method, path, parsed if isinstance(parsed, dict) else None)
                retryable = resp.status_code in RETRY_ANY_METHOD or (safe and resp.status_code in RETRY_SAFE_METHOD)
                retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                if resp.status_code == 429 and retry_after is None:
                    # Neon counts per minute: short jittered waits would spend every retry inside the same window.
                    retry_after = min(60.0, 2.0 ** (attempt + 1))
            if retryable and self._may_retry(attempt, started, retry_after):
                self._note_retry(method, path, resp.status_code if resp.status_code >= 300
                                 else "HTTP %s, unreadable body" % resp.status_code)
                self._wait(attempt, retry_after, started)
                attempt += 1
                continue
            raise error

    def _release(self, token):
        release = getattr(self.rate_limiter, "release", None)
        if release is not None and token is not None:
            release(token)

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

    def iter_project_pages(self, org_id=None, search=None, limit=PAGE_LIMIT, prefetch=False):
        """Yield the pages of GET /projects, following pagination.cursor; each page's shape is checked.

        It stops on a short page (fewer items than asked, unavailable ones included: neonctl's rule, and what
        makes the request count ceil((n+1)/limit)), so on the empty last page too, whatever cursor it echoes; on a
        missing cursor; and on a full page whose cursor does not advance (an error: the rest is unreachable).
        A full page of only unavailable projects is not the end: the listing goes on after it.

        With ``prefetch``, the next page is requested on a worker thread as soon as this page's raw body looks full
        (see _ProjectPages), so its latency overlaps decoding. Pages, errors and request counts are the same, but
        for a misjudged body, which costs one request; no request is left running when the generator ends.
        """
        query = {"limit": limit}
        if org_id is not None:
            query["org_id"] = org_id
        if search is not None:
            query["search"] = search
        pages = _ProjectPages(self, query, limit, prefetch)
        sent_cursor = None
        seen = set()
        try:
            while True:
                page = pages.get(sent_cursor)
                check_page(page)
                projects = page["projects"]
                yield page
                unavailable = page.get("unavailable_project_ids") or []
                cursor = (page.get("pagination") or {}).get("cursor")
                if len(projects) + len(unavailable) < limit or not cursor:
                    return
                if cursor == sent_cursor or cursor in seen:
                    # A full page whose cursor does not move: the rest of the list is unreachable, so say so.
                    raise NeonApiError("GET /projects returned the cursor %r again after a full page; the listing "
                                       "cannot advance and would be incomplete" % cursor, status=200,
                                       request_id=getattr(page, "request_id", None), method="GET", path="/projects")
                seen.add(cursor)
                sent_cursor = cursor
        finally:
            pages.close()


def _is_id(value):
    return isinstance(value, str) and bool(value)


def check_page(page):
    """Raise NeonApiError (with Neon's request id) unless a GET /projects page has the shape the spec gives."""
    def bad(what):
        return unexpected(page, "GET", "/projects", what)
    projects = page.get("projects")
    if not isinstance(projects, list):
        raise bad("no 'projects' list")
    for project in projects:
        if not isinstance(project, dict) or not _is_id(project.get("id")):
            raise bad("a project without a string id")
        if project.get("org_id") is not None and not _is_id(project["org_id"]):
            raise bad("project %s has an org_id that is not a string" % project["id"])
    unavailable = page.get("unavailable_project_ids")
    if unavailable is not None and (not isinstance(unavailable, list) or not all(_is_id(i) for i in unavailable)):
        raise bad("'unavailable_project_ids' is not a list of ids")
    pagination = page.get("pagination")
    if pagination is not None and (not isinstance(pagination, dict) or not (
            pagination.get("cursor") is None or isinstance(pagination["cursor"], str))):
        raise bad("'pagination' is not an object with a string cursor")
    for key in ("integrations", "applications"):
        kinds = page.get(key)
        if kinds is not None and (not isinstance(kinds, dict) or not all(
                isinstance(v, list) and all(isinstance(k, str) for k in v) for v in kinds.values())):
            raise bad("'%s' is not a map of project id to a list of names" % key)

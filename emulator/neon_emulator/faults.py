"""Fault injection.

A fault is a dict. Common keys:

    kind:    one of KINDS below (required)
    method:  HTTP method to match (default: per kind, see DEFAULT_MATCH; null = any)
    path:    regex searched (re.search) in the full request path, e.g. "/projects/transfer$"
    after:   let this many matching requests through untouched first (default 0)
    times:   then act on this many matching requests (default per kind; null or -1 = every one)

Every matching request counts, whether or not the fault ends up changing it.

Kinds (phase in brackets):

    status            [answer]  {status: 503, message?, retry_after?, retry_after_date?}
    rate_limited      [answer]  status 429; retry_after: 2 (delta-seconds) or
                                retry_after_date: 2 (HTTP-date 2 s ahead) or neither
    unavailable       [answer]  status 503
    locked            [answer]  status 423
    html_body         [answer]  {status: 502, body?}: an HTML page instead of JSON
    drop_connection   [answer]  close the socket without answering (nothing is processed)
    slow              [before]  {delay_ms}: extra delay before processing
    other_actor       [before]  {action: move|delete, project_ids, to_org (move)}: another actor changes
                                the projects just before this request is processed
    unavailable_project_ids [handler] {project_ids, also_get: false}: listing pages leave those
                                projects out and name them in `unavailable_project_ids`; with
                                also_get, GET /projects/{id} of them answers 503
    empty_page_cursor [handler] {mode: echo|omit}: overrides the setting for matching listings
    commit_then_error [after]   {status: 500}: process (commit), then answer a GeneralError instead
    commit_then_drop  [after]   process (commit), then close the socket without answering
    commit_then_delay [after]   {delay_ms}: process (commit), then wait before answering
    truncated_json    [after]   {fraction: 0.5, cut_connection: false}: send only the start of the
                                real body; by default with a matching Content-Length (valid HTTP,
                                broken JSON), with cut_connection the full Content-Length is
                                announced and the connection closed mid-body
"""

import re
import threading

TRANSFER_PATH = r"/projects/transfer$"
LIST_PATH = r"/api/v2/projects$"

# kind -> (allowed extra keys, required extra keys, default method, default path, default times)
KINDS = {
    "status": ({"status", "message", "retry_after", "retry_after_date"}, {"status"}, None, None, 1),
    "rate_limited": ({"message", "retry_after", "retry_after_date"}, set(), None, None, 1),
    "unavailable": ({"message", "retry_after", "retry_after_date"}, set(), None, None, 1),
    "locked": ({"message", "retry_after", "retry_after_date"}, set(), None, None, 1),
    "html_body": ({"status", "body"}, set(), None, None, 1),
    "drop_connection": (set(), set(), None, None, 1),
    "slow": ({"delay_ms"}, {"delay_ms"}, None, None, None),
    "other_actor": ({"action", "project_ids", "to_org"}, {"action", "project_ids"}, None, None, 1),
    "unavailable_project_ids": ({"project_ids", "also_get"}, {"project_ids"}, "GET", None, None),
    "empty_page_cursor": ({"mode"}, {"mode"}, "GET", LIST_PATH, None),
    "commit_then_error": ({"status", "message"}, set(), "POST", TRANSFER_PATH, 1),
    "commit_then_drop": (set(), set(), "POST", TRANSFER_PATH, 1),
    "commit_then_delay": ({"delay_ms"}, {"delay_ms"}, "POST", TRANSFER_PATH, 1),
    "truncated_json": ({"fraction", "cut_connection"}, set(), None, None, 1),
}
COMMON = {"kind", "method", "path", "after", "times"}
ANSWER_KINDS = frozenset({"status", "rate_limited", "unavailable", "locked", "html_body", "drop_connection"})
POST_KINDS = frozenset({"commit_then_error", "commit_then_drop", "commit_then_delay", "truncated_json"})
# Faults that make the exchange break the API contract (the record marks them).
CONTRACT_BREAKING = frozenset({"html_body", "drop_connection", "commit_then_drop", "truncated_json"})
FIXED_STATUS = {"rate_limited": 429, "unavailable": 503, "locked": 423}
_ID_RE = re.compile(r"^[a-z0-9-]{1,60}$")


class FaultError(ValueError):
    pass


def _number(spec, key, minimum=0):
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise FaultError("fault %s: %s must be a number >= %s" % (spec["kind"], key, minimum))
    return value


class Fault:
    def __init__(self, spec, state=None):
        if not isinstance(spec, dict) or "kind" not in spec:
            raise FaultError("a fault must be a mapping with a `kind`")
        kind = spec["kind"]
        if kind not in KINDS:
            raise FaultError("unknown fault kind %r (known: %s)" % (kind, ", ".join(sorted(KINDS))))
        allowed, required, method, path, times = KINDS[kind]
        unknown = set(spec) - COMMON - allowed
        if unknown:
            raise FaultError("fault %s: unknown key(s) %s" % (kind, ", ".join(sorted(unknown))))
        missing = required - set(spec)
        if missing:
            raise FaultError("fault %s: missing key(s) %s" % (kind, ", ".join(sorted(missing))))
        self.spec = dict(spec)
        self.kind = kind
        self.method = spec.get("method", method)
        if self.method is not None:
            self.method = str(self.method).upper()
        if kind == "unavailable_project_ids" and "path" not in spec:
            path = r"/api/v2/projects(/[^/]+)?$" if spec.get("also_get") else LIST_PATH
        pattern = spec.get("path", path)
        try:
            self.path_re = re.compile(pattern) if pattern is not None else None
        except (re.error, TypeError) as exc:
            raise FaultError("fault %s: bad path regex %r: %s" % (kind, pattern, exc))
        self.after = spec.get("after", 0)
        if isinstance(self.after, bool) or not isinstance(self.after, int) or self.after < 0:
            raise FaultError("fault %s: after must be an integer >= 0" % kind)
        self.times = spec.get("times", times)
        if self.times is not None and (isinstance(self.times, bool) or not isinstance(self.times, int)
                                       or self.times < -1 or self.times == 0):
            raise FaultError("fault %s: times must be an integer >= 1, or -1/null for every request" % kind)
        if self.times == -1:
            self.times = None
        self.seen = 0
        self.fired = 0
        self._validate_params(state)

    def _validate_params(self, state):
        spec, kind = self.spec, self.kind
        if kind == "status":
            status = spec["status"]
            if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
                raise FaultError("fault status: status must be an integer 400..599")
        if kind == "html_body" and "status" in spec:
            if isinstance(spec["status"], bool) or not isinstance(spec["status"], int):
                raise FaultError("fault html_body: status must be an integer")
        if kind == "commit_then_error" and "status" in spec:
            if isinstance(spec["status"], bool) or not isinstance(spec["status"], int):
                raise FaultError("fault commit_then_error: status must be an integer")
        if "retry_after" in spec and not isinstance(spec["retry_after"], str):
            _number(spec, "retry_after")
        if "retry_after_date" in spec:
            _number(spec, "retry_after_date")
        if "retry_after" in spec and "retry_after_date" in spec:
            raise FaultError("fault %s: give retry_after or retry_after_date, not both" % kind)
        if "delay_ms" in spec:
            _number(spec, "delay_ms")
        if "fraction" in spec:
            fraction = _number(spec, "fraction")
            if fraction >= 1:
                raise FaultError("fault truncated_json: fraction must be below 1")
        if kind == "empty_page_cursor" and spec["mode"] not in ("echo", "omit"):
            raise FaultError("fault empty_page_cursor: mode must be echo or omit")
        if "project_ids" in spec:
            ids = spec["project_ids"]
            if not isinstance(ids, list) or not all(isinstance(i, str) and _ID_RE.match(i) for i in ids):
                raise FaultError("fault %s: project_ids must be a list of project ids" % kind)
            self.project_ids = frozenset(ids)
        if kind == "other_actor":
            if spec["action"] not in ("move", "delete"):
                raise FaultError("fault other_actor: action must be move or delete")
            if spec["action"] == "move":
                if "to_org" not in spec:
                    raise FaultError("fault other_actor: action move needs to_org")
                if state is not None and spec["to_org"] not in state.orgs:
                    raise FaultError("fault other_actor: unknown org %r" % spec["to_org"])

    def matches(self, method, path):
        if self.method is not None and self.method != method:
            return False
        return self.path_re is None or self.path_re.search(path) is not None

    def describe(self):
        out = dict(self.spec)
        out["seen"] = self.seen
        out["fired"] = self.fired
        out["exhausted"] = self.times is not None and self.fired >= self.times
        return out


class FaultSet:
    """The active faults; `take` decides (thread-safely) which fire for one request."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []

    def replace(self, specs, state=None):
        if specs is None:
            specs = []
        if not isinstance(specs, list):
            raise FaultError("faults must be a list")
        faults = [Fault(spec, state) for spec in specs]  # validate all before replacing any
        with self._lock:
            self._faults = faults

    def describe(self):
        with self._lock:
            return [f.describe() for f in self._faults]

    def take(self, method, path):
        fired = []
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                fault.seen += 1
                if fault.seen <= fault.after:
                    continue
                if fault.times is not None and fault.fired >= fault.times:
                    continue
                fault.fired += 1
                fired.append(fault)
        return fired

"""HTTP front end (ThreadingHTTPServer, HTTP/1.1 keep-alive), fault phases,
request log, exchange recording, control endpoints, and the Emulator class."""

import email.utils
import json
import os
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from . import render
from . import scenario as scenario_mod
from .api import NeonApi, Request, Response, error
from .faults import ANSWER_KINDS, CONTRACT_BREAKING, FIXED_STATUS, POST_KINDS, FaultError, FaultSet
from .ratelimit import RateLimiter
from .state import validate_setting

API_PREFIX = "/api/v2"
CONTROL_PREFIX = "/_emulator/"
TRANSFER_SUFFIX = "/projects/transfer"
HTML_PAGE = ("<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
             "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n")


def _dumps(obj):
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address, emulator):
        self.emulator = emulator
        self._conns = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, _Handler)

    def finish_request(self, request, client_address):
        with self._conns_lock:
            self._conns.add(request)
        try:
            super().finish_request(request, client_address)
        finally:
            with self._conns_lock:
                self._conns.discard(request)

    def close_connections(self):
        # Keep-alive threads would otherwise keep serving after stop().
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Dropped(Exception):
    """The connection was closed on purpose; nothing more to send."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "neon-emulator"
    sys_version = ""

    def setup(self):
        super().setup()
        # Small responses must not wait for delayed ACKs (Nagle): 40 ms per request otherwise.
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # A 400-project page (~400 KB) then fits in one write, so the handler
            # thread is not woken (and the GIL passed) for every drained chunk.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        except OSError:
            pass

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        if self.server.emulator.verbose:
            sys.stderr.write("neon-emulator: %s - %s\n" % (self.address_string(), fmt % args))

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    def do_PATCH(self):
        self._handle("PATCH")

    def do_HEAD(self):
        self._handle("HEAD")

    def do_OPTIONS(self):
        self._handle("OPTIONS")

    # -- plumbing ----------------------------------------------------------------

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        return self.rfile.read(int(length))

    def _send(self, method, response, request_id, truncate=None, before_write=None):
        """Write a Response. before_write(headers, payload) runs first, so the request
        log is complete by the time the client can see the answer."""
        if response.raw is not None:
            payload = response.raw
        else:
            body = response.body
            if response.general_error:
                body = dict(body, request_id=request_id)
            payload = _dumps(body)
        headers = {"Content-Type": response.content_type, "X-Neon-Ret-Request-Id": request_id}
        headers.update(response.headers)
        cut = False
        if truncate is not None:
            fraction, cut = truncate
            sent = payload[:int(len(payload) * fraction)]
            headers["Content-Length"] = str(len(payload) if cut else len(sent))
            payload = sent
        else:
            headers["Content-Length"] = str(len(payload))
        if before_write is not None:
            before_write(headers, payload)
        self.send_response(response.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self._headers_buffer.append(b"\r\n")
        head = b"".join(self._headers_buffer)
        self._headers_buffer = []
        self._write_all([head] if method == "HEAD" else [head, payload])
        if cut:
            self._drop()

    def _write_all(self, chunks):
        """Headers and body in one gathering write: one syscall, one segment train, and
        no head + payload copy, whose fresh memory pages cost ~0.1 ms for 400 projects."""
        views = [memoryview(chunk) for chunk in chunks if chunk]
        while views:
            sent = self.connection.sendmsg(views)
            while views and sent >= len(views[0]):
                sent -= len(views[0])
                del views[0]
            if sent:
                views[0] = views[0][sent:]

    def _drop(self):
        self.close_connection = True
        try:
            self.wfile.flush()
        except OSError:
            pass
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _handle(self, method):
        emu = self.server.emulator
        started = time.monotonic()
        split = urlsplit(self.path)
        path = unquote(split.path)
        query = parse_qs(split.query, keep_blank_values=True)
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._send(method, error(400, "malformed request body"), str(uuid.uuid4()))
            return
        if path.startswith(CONTROL_PREFIX):
            response = emu._control(method, path, body)
            self._send(method, response, str(uuid.uuid4()))
            return
        request_id = self.headers.get("X-Request-ID") or str(uuid.uuid4())
        try:
            self._neon(emu, method, path, query, body, request_id, started)
        except _Dropped:
            pass

    def _neon(self, emu, method, path, query, body, request_id, started):
        fired = emu.faults.take(method, path)
        kinds = [f.kind for f in fired]
        req_body = _parse_json(body)
        record_request = {
            "method": method,
            "path": path,
            "query": query,
            "headers": {k: v for k, v in self.headers.items() if k.lower() != "authorization"},
            "body": req_body,
        }

        def finish(status, headers, payload, fault_kind):
            emu._log(method, path, query, req_body, status, request_id, kinds, started, time.monotonic(),
                     record_request, headers, payload, fault_kind)

        latency = emu.state.settings["latency_ms"]
        if latency:
            time.sleep(latency / 1000.0)
        for fault in fired:
            if fault.kind == "slow":
                time.sleep(fault.spec["delay_ms"] / 1000.0)
            elif fault.kind == "other_actor":
                emu._other_actor(fault)

        for fault in fired:
            if fault.kind in ANSWER_KINDS:
                if fault.kind == "drop_connection":
                    finish(None, {}, None, fault.kind)
                    self._drop()
                    raise _Dropped()
                response = _answer_fault(fault)
                marked = fault.kind if fault.kind in CONTRACT_BREAKING else None
                self._send(method, response, request_id,
                           before_write=lambda h, p: finish(response.status, h, p, marked))
                return

        subpath = path[len(API_PREFIX):] if path.startswith(API_PREFIX + "/") else None
        if subpath is None:
            response = error(404, "not found")
        else:
            req = Request(method, path, subpath, query, self.headers, body, request_id,
                          [f for f in fired if f.kind in ("unavailable_project_ids", "empty_page_cursor")])
            response, _key = emu.api.dispatch(req)

        truncate = None
        breaking = None
        for fault in fired:
            if fault.kind not in POST_KINDS:
                continue
            if fault.kind == "commit_then_error":
                status = fault.spec.get("status", 500)
                response = error(status, fault.spec.get("message", "internal server error"))
            elif fault.kind == "commit_then_drop":
                finish(None, {}, None, fault.kind)
                self._drop()
                raise _Dropped()
            elif fault.kind == "commit_then_delay":
                time.sleep(fault.spec["delay_ms"] / 1000.0)
            elif fault.kind == "truncated_json":
                truncate = (fault.spec.get("fraction", 0.5), bool(fault.spec.get("cut_connection", False)))
                breaking = fault.kind
        try:
            self._send(method, response, request_id, truncate,
                       before_write=lambda h, p: finish(response.status, h, p, breaking))
        except OSError:
            # The client gave up (e.g. its timeout passed during commit_then_delay).
            self.close_connection = True


def _parse_json(raw):
    if not raw:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return raw.decode("utf-8", "replace")


def _answer_fault(fault):
    spec = fault.spec
    if fault.kind == "html_body":
        status = spec.get("status", 502)
        return Response(status, raw=spec.get("body", HTML_PAGE).encode("utf-8"), content_type="text/html")
    status = FIXED_STATUS.get(fault.kind) or spec["status"]
    headers = {}
    if "retry_after" in spec:
        value = spec["retry_after"]
        headers["Retry-After"] = value if isinstance(value, str) else str(int(value))
    elif "retry_after_date" in spec:
        headers["Retry-After"] = email.utils.formatdate(time.time() + spec["retry_after_date"], usegmt=True)
    default = {429: "rate limit exceeded: too many requests", 503: "service temporarily unavailable",
               423: "resource is locked: another operation is in progress"}.get(status, "injected error")
    return error(status, spec.get("message", default), headers)


class Emulator:
    """A local Neon API v2.

    Emulator(scenario_dict, host="127.0.0.1", port=0, latency_ms=None, record_path=None, verbose=False)
    or Emulator.from_file(path, **same keywords). Use as a context manager or call start()/stop().
    """

    def __init__(self, scenario=None, host="127.0.0.1", port=0, latency_ms=None, record_path=None,
                 verbose=False):
        scenario = scenario if scenario is not None else {"orgs": []}
        self.state = scenario_mod.build_state(scenario)
        self.faults = FaultSet()
        self.faults.replace(scenario.get("faults") or [], self.state)
        if latency_ms is not None:
            self.set_latency(latency_ms)
        self.limiter = RateLimiter(self.state.settings["rate_limit_per_minute"],
                                   self.state.settings["rate_limit_per_route_per_second"])
        self.api = NeonApi(self.state, self.limiter)
        self.host = host
        self.port = port
        self.verbose = verbose
        self.record_path = record_path or os.environ.get("NEON_EMULATOR_RECORD") or None
        self._record_file = None
        self._log_lock = threading.Lock()
        self._request_log = []
        self._server = None
        self._thread = None

    @classmethod
    def from_file(cls, path, **kwargs):
        return cls(scenario_mod.load_file(path), **kwargs)

    # -- lifecycle -----------------------------------------------------------------

    def start(self):
        if self._server is not None:
            return self
        if self.record_path:
            self._record_file = open(self.record_path, "a", encoding="utf-8")
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="neon-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        self._thread.join(5)
        with self._log_lock:
            if self._record_file is not None:
                self._record_file.close()
                self._record_file = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def base_url(self):
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return "http://%s:%d" % (host, self.port)

    @property
    def api_url(self):
        return self.base_url + API_PREFIX

    # -- test helpers ----------------------------------------------------------------

    def ownership(self):
        """{project_id: org_id} of live projects (personal-account projects map to None)."""
        return self.state.ownership()

    @property
    def request_log(self):
        """Neon API requests so far: {method, path, query, status, body, request_id, faults, start, end}."""
        with self._log_lock:
            return list(self._request_log)

    def writes(self):
        return [e for e in self.request_log if e["method"] == "POST" and e["path"].endswith(TRANSFER_SUFFIX)]

    def reset_log(self):
        with self._log_lock:
            self._request_log = []

    def set_faults(self, faults):
        self.faults.replace(faults, self.state)

    def fault_status(self):
        return self.faults.describe()

    def warm(self):
        """Render every organization project's list item now, as a server that has served before would have it.

        A benchmark calls this so that what it measures is the client, not the emulator's first rendering of each
        page (about 2 ms a page of 400; 0.7 ms once rendered).
        """
        with self.state.lock:
            names = {org_id: json.dumps(org.name) for org_id, org in self.state.orgs.items()}
            for project in self.state.projects.values():
                if project.org_id is not None:
                    render.project_list_item_bytes(project, names[project.org_id])

    def set_latency(self, ms):
        self.configure(latency_ms=ms)

    def configure(self, **settings):
        """Change scenario settings at run time, e.g. configure(empty_page_cursor="echo")."""
        checked = {name: validate_setting(name, value) for name, value in settings.items()}
        with self.state.lock:
            self.state.settings.update(checked)
        if "rate_limit" in checked:
            self.limiter.reset()

    # -- internals -------------------------------------------------------------------

    def _other_actor(self, fault):
        state = self.state
        with state.lock:
            for pid in sorted(fault.project_ids):
                if pid not in state.projects:
                    continue
                if fault.spec["action"] == "delete":
                    state.delete(pid)
                else:
                    state.move(pid, fault.spec["to_org"])

    def _log(self, method, path, query, req_body, status, request_id, kinds, start, end,
             record_request, resp_headers, payload, fault_kind):
        entry = {
            "method": method,
            "path": path,
            "query": query,
            "status": status,
            "body": req_body,
            "request_id": request_id,
            "faults": kinds,
            "start": start,
            "end": end,
        }
        line = None
        if self._record_file is not None:
            line = json.dumps({
                "request": record_request,
                "response": {"status": status, "headers": resp_headers,
                             "body": _parse_json(payload) if payload is not None else None},
                "fault": fault_kind,
                "injected": kinds,
            }, separators=(",", ":"))
        with self._log_lock:
            self._request_log.append(entry)
            if line is not None and self._record_file is not None:
                self._record_file.write(line + "\n")
                self._record_file.flush()

    def _control(self, method, path, body):
        name = path[len(CONTROL_PREFIX):].rstrip("/")
        try:
            if name == "state" and method == "GET":
                return Response(200, self.state.summary())
            if name == "log" and method == "GET":
                return Response(200, {"requests": self.request_log})
            if name == "log" and method == "DELETE":
                self.reset_log()
                return Response(200, {})
            if name == "faults" and method == "GET":
                return Response(200, {"faults": self.fault_status()})
            if name == "faults" and method == "PUT":
                self.set_faults(json.loads(body or b"[]"))
                return Response(200, {"faults": self.fault_status()})
            if name == "latency" and method == "PUT":
                data = json.loads(body or b"{}")
                if not isinstance(data, dict) or set(data) != {"ms"}:
                    raise ValueError('expected {"ms": <number>}')
                self.set_latency(data["ms"])
                return Response(200, {"ms": self.state.settings["latency_ms"]})
            if name == "settings" and method == "PUT":
                data = json.loads(body or b"{}")
                if not isinstance(data, dict):
                    raise ValueError("expected a JSON object of settings")
                self.configure(**data)
                return Response(200, {"settings": dict(self.state.settings)})
        except (ValueError, FaultError) as exc:
            return error(400, str(exc))
        if name in ("state", "log", "faults", "latency", "settings"):
            return error(405, "method %s is not allowed on /_emulator/%s" % (method, name))
        return error(404, "unknown control endpoint")

"""The Neon API v2 endpoints the collection uses, answered from State.

Every behaviour the facts do not pin down is decided strictly and marked
`STRICT:` here; docs/emulator-fidelity.md lists them all.
"""

import base64
import binascii
import json
import re
import time

from . import render
from .state import DEST_ROLES, LIST_ROLES

ID_RE = re.compile(r"^[a-z0-9-]{1,60}$")
INT_RE = re.compile(r"^-?[0-9]+$")
ORG_ID_REQUIRED = "org_id is required, you can find it on your organization settings page"  # [OBSERVED]
PROJECT_SCOPED = "project-scoped API keys cannot access resources outside the project"
PERSONAL_GONE = ("personal accounts have been migrated to organizations: POST /users/me/projects/transfer "
                 "was removed on 2026-07-01; use POST /organizations/{source_org_id}/projects/transfer")
BLOCKING_INTEGRATIONS = ("github", "vercel")  # [DOCS] only these block a transfer
TRANSFER_FIELDS = ("destination_org_id", "project_ids")
DEPRECATION_HEADERS = {"Deprecation": "@1776297600", "Sunset": "Wed, 01 Jul 2026 00:00:00 GMT"}


class Request:
    __slots__ = ("method", "path", "subpath", "query", "headers", "body", "request_id", "faults")

    def __init__(self, method, path, subpath, query, headers, body, request_id, faults=()):
        self.method = method
        self.path = path  # full path, e.g. /api/v2/projects
        self.subpath = subpath  # path below /api/v2
        self.query = query  # {name: [values]}
        self.headers = headers
        self.body = body  # raw bytes
        self.request_id = request_id
        self.faults = faults  # handler-phase faults that fired for this request


class Response:
    __slots__ = ("status", "body", "headers", "raw", "content_type", "general_error")

    def __init__(self, status, body=None, headers=None, raw=None, content_type="application/json",
                 general_error=False):
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.raw = raw  # bytes sent as-is instead of JSON-encoding body
        self.content_type = content_type
        self.general_error = general_error


def error(status, message, headers=None):
    # The spec's ErrorCode defaults to ""; Neon's actual code values are not
    # documented, so we always send "" rather than invent some. The server
    # adds request_id.
    return Response(status, {"code": "", "message": message}, headers=headers, general_error=True)


ROUTES = [
    ("/auth", {"GET": "get_auth"}),
    ("/users/me", {"GET": "get_me"}),
    ("/users/me/organizations", {"GET": "get_my_orgs"}),
    ("/users/me/projects/transfer", {"POST": "personal_transfer"}),
    ("/organizations/{org_id}", {"GET": "get_org"}),
    ("/organizations/{org_id}/members", {"GET": "get_members"}),
    ("/organizations/{source_org_id}/projects/transfer", {"POST": "org_transfer"}),
    ("/projects", {"GET": "list_projects"}),
    ("/projects/{project_id}", {"GET": "get_project"}),
]
_COMPILED = [
    (re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$"), template, methods)
    for template, methods in ROUTES
]


def route(subpath, method):
    """-> (handler name, template, params) or an error Response (404/405)."""
    for regex, template, methods in _COMPILED:
        match = regex.match(subpath)
        if match:
            if method not in methods:
                allow = ", ".join(sorted(methods))
                return error(405, "method %s is not allowed on %s" % (method, template), {"Allow": allow})
            return methods[method], template, match.groupdict()
    return error(404, "not found")


class QueryError(Exception):
    pass


def _single(query, name):
    values = query.get(name)
    if values is None:
        return None
    if len(values) > 1:
        # STRICT: a repeated scalar parameter is rejected, not first-wins.
        raise QueryError("query parameter %s must be given at most once" % name)
    return values[0]


def _int_param(query, name, low, high, default):
    raw = _single(query, name)
    if raw is None:
        return default
    if not INT_RE.match(raw):
        raise QueryError("query parameter %s must be an integer, got %r" % (name, raw))
    value = int(raw)
    if value < low or value > high:
        raise QueryError("query parameter %s must be between %d and %d, got %d" % (name, low, high, value))
    return value


class NeonApi:
    def __init__(self, state, limiter):
        self.state = state
        self.limiter = limiter

    # -- entry point -----------------------------------------------------------

    def dispatch(self, req):
        routed = route(req.subpath, req.method)
        if isinstance(routed, Response):
            return routed, None
        name, template, params = routed
        key, failure = self.authenticate(req)
        if failure is not None:
            return failure, None
        settings = self.state.settings
        if settings["rate_limit"]:
            self.limiter.per_minute = settings["rate_limit_per_minute"]
            self.limiter.per_route_per_second = settings["rate_limit_per_route_per_second"]
            account = key.user_id if key.kind == "personal" else key.org_id
            if not self.limiter.allow(account, req.method + " " + template):
                # Neon documents no Retry-After, so the real limiter sends none.
                return error(429, "rate limit exceeded: too many requests"), key
        try:
            return getattr(self, name)(req, key, **params), key
        except QueryError as exc:
            return error(400, str(exc)), key

    def authenticate(self, req):
        header = req.headers.get("Authorization")
        if not header:
            return None, error(401, "authentication required: send an Authorization: Bearer <API key> header")
        scheme, _sep, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None, error(401, "authorization header must use the Bearer scheme")
        with self.state.lock:
            key = self.state.keys.get(token)
            if key is None:
                return None, error(401, "invalid API key")
            if key.kind == "project":
                project = self.state.projects.get(key.project_id)
                # [DOCS] a project-scoped key stops working once its project
                # leaves the org; STRICT: answered as an invalid key (401).
                if project is None or project.org_id != key.org_id:
                    return None, error(401, "invalid API key: its project is no longer in the organization")
        return key, None

    # -- helpers ---------------------------------------------------------------

    def _org_visible(self, key, org):
        """May this key read org-level data of `org` (details, members)?"""
        if org is None:
            return False
        if key.kind == "org":
            return key.org_id == org.id
        if key.kind == "personal":
            return key.user_id in org.members
        return False

    def _project_visible(self, key, project):
        if key.kind == "project":
            return project.id == key.project_id
        if key.kind == "org":
            return project.org_id == key.org_id
        if project.org_id is None:
            return project.owner_user_id == key.user_id
        org = self.state.orgs[project.org_id]
        return self.state.role(key.user_id, org) in LIST_ROLES

    # -- endpoints ---------------------------------------------------------------

    def get_auth(self, req, key):
        if key.kind == "personal":
            return Response(200, {"account_id": key.user_id, "auth_method": "api_key_user"})
        # Project-scoped keys report api_key_org too: the enum has no other value [SPEC].
        return Response(200, {"account_id": key.org_id, "auth_method": "api_key_org"})

    def get_me(self, req, key):
        if key.kind == "project":
            # Neon's MCP server recognises project keys by this failure [OBSERVED].
            return error(403, PROJECT_SCOPED)
        if key.kind == "org":
            # STRICT: an org key is not tied to a user, so there is no "me".
            return error(404, "user not found: organization API keys are not tied to a user")
        with self.state.lock:
            user = self.state.users[key.user_id]
            limit = self.state.plans[user.plan].projects_limit
            return Response(200, render.current_user(user, limit))

    def get_my_orgs(self, req, key):
        with self.state.lock:
            if key.kind == "personal":
                orgs = [o for o in self.state.orgs.values() if key.user_id in o.members]
            else:
                orgs = [self.state.orgs[key.org_id]]  # the owning org [SPEC, newer copy]
            orgs.sort(key=lambda o: o.id)
            return Response(200, {"organizations": [render.organization(o) for o in orgs]})

    def get_org(self, req, key, org_id):
        if not ID_RE.match(org_id):
            return error(400, "org_id must match ^[a-z0-9-]{1,60}$")
        if key.kind == "project":
            return error(403, PROJECT_SCOPED)  # [DOCS] no organization-related actions
        with self.state.lock:
            org = self.state.orgs.get(org_id)
            if not self._org_visible(key, org):
                return error(404, "organization %s not found" % org_id)
            return Response(200, render.organization(org))

    def get_members(self, req, key, org_id):
        if not ID_RE.match(org_id):
            return error(400, "org_id must match ^[a-z0-9-]{1,60}$")
        query = req.query
        sort_by = _single(query, "sort_by") or "joined_at"
        if sort_by not in ("email", "role", "joined_at"):
            raise QueryError("sort_by must be one of email, role, joined_at")
        sort_order = _single(query, "sort_order") or "desc"
        if sort_order not in ("asc", "desc"):
            raise QueryError("sort_order must be asc or desc")
        # STRICT: the spec gives no default limit; 10 (as for /projects) forces clients to page.
        limit = _int_param(query, "limit", 1, 500, 10)
        cursor = _single(query, "cursor")
        after = None
        if cursor is not None:
            after = _decode_member_cursor(cursor, sort_by, sort_order)
        if key.kind == "project":
            return error(403, PROJECT_SCOPED)
        with self.state.lock:
            org = self.state.orgs.get(org_id)
            if not self._org_visible(key, org):
                return error(404, "organization %s not found" % org_id)
            users = self.state.users
            rows = []
            for m in org.members.values():
                field = {"joined_at": m.joined_at, "email": users[m.user_id].email, "role": m.role}[sort_by]
                rows.append(((field, m.id), m))
            rows.sort(key=lambda r: r[0], reverse=(sort_order == "desc"))
            if after is not None:
                after = tuple(after)
                if sort_order == "asc":
                    rows = [r for r in rows if r[0] > after]
                else:
                    rows = [r for r in rows if r[0] < after]
            page = rows[:limit]
            members = [render.member(org, m, users[m.user_id]) for _sort_key, m in page]
        pagination = {"sort_by": sort_by, "sort_order": sort_order}
        if page:
            # STRICT: `next` on every non-empty page, so clients must handle the empty last page.
            pagination["next"] = _encode_member_cursor(page[-1][0], sort_by, sort_order)
        return Response(200, {"members": members, "pagination": pagination})

    def list_projects(self, req, key):
        query = req.query
        limit = _int_param(query, "limit", 1, 400, 10)
        cursor = _single(query, "cursor")
        if cursor == "":
            # STRICT: Pagination.cursor has minLength 1, so an empty cursor is a client bug.
            raise QueryError("query parameter cursor must not be empty")
        search = _single(query, "search")
        org_id = _single(query, "org_id")
        if org_id is not None and not ID_RE.match(org_id):
            raise QueryError("query parameter org_id must match ^[a-z0-9-]{1,60}$")
        _int_param(query, "timeout", 100, 30000, None)
        recoverable = _single(query, "recoverable")
        if recoverable not in (None, "true", "false"):
            raise QueryError("query parameter recoverable must be true or false")
        recoverable = recoverable == "true"

        if key.kind == "project":
            return error(403, PROJECT_SCOPED)
        if key.kind == "org":
            if org_id is None:
                org_id = key.org_id  # inferred from the key [SPEC]
            elif org_id != key.org_id:
                # STRICT: an org key naming another org is refused, not silently re-scoped.
                return error(403, "permission denied: this API key has no access to organization %s" % org_id)
        elif org_id is None:
            return error(400, ORG_ID_REQUIRED)

        mode = self.state.settings["empty_page_cursor"]
        unavailable = frozenset()
        for fault in req.faults:
            if fault.kind == "unavailable_project_ids":
                unavailable = unavailable | fault.project_ids
            elif fault.kind == "empty_page_cursor":
                mode = fault.spec["mode"]

        needle = search.lower() if search else None
        state = self.state
        with state.lock:
            org = state.orgs.get(org_id)
            if key.kind == "personal" and (org is None or state.role(key.user_id, org) not in LIST_ROLES):
                # STRICT: 403 for an org the user cannot list, the same answer whether
                # or not the org exists (no existence leak).
                return error(403, "permission denied: this API key has no access to organization %s" % org_id)
            if recoverable:
                index = state.deleted_index.get(org_id)
                source = state.deleted
            else:
                index = state.org_ids(org_id)
                source = state.projects
            # The page as UTF-8 pieces: '{"projects":[', then each item followed by ",".
            page = [b'{"projects":[']
            missing, applications, integrations = [], {}, {}
            last = None
            taken = 0
            org_name = json.dumps(org.name)
            if index is not None:
                if needle is None or "\n" in needle:
                    candidates = index.iter_after(cursor)
                else:
                    candidates = index.search_after(cursor, needle,
                                                    lambda pid: pid + "\n" + source[pid].name.lower())
                for pid in candidates:
                    project = source[pid]
                    if needle is not None and needle not in pid and needle not in project.name.lower():
                        continue
                    taken += 1
                    last = pid
                    if pid in unavailable:
                        missing.append(pid)
                    else:
                        page += (render.project_list_item_bytes(project, org_name), b",")
                        if project.applications:
                            applications[pid] = list(project.applications)
                        if project.integrations:
                            integrations[pid] = list(project.integrations)
                    if taken >= limit:
                        break
        # Assembled as text (see render.project_list_item_json); key order as in the spec.
        rest = ["]"]
        if missing:
            rest.append(',"unavailable_project_ids":' + _compact(missing))
        if last is not None:
            # The cursor is the id of the last project of the page [OBSERVED]; with
            # unavailable projects it is still the last id scanned [INFERRED].
            rest.append(',"pagination":' + _compact({"cursor": last}))
        elif cursor is not None and mode == "echo":
            rest.append(',"pagination":' + _compact({"cursor": cursor}))
        rest.append(',"applications":' + _compact(applications))
        rest.append(',"integrations":' + _compact(integrations) + "}")
        if len(page) > 1:
            page.pop()  # the last item's ","
        page.append("".join(rest).encode("utf-8"))
        # One join, so one page-sized buffer: making a second one (join, then
        # concatenate) costs more in fresh memory pages than the copy itself.
        return Response(200, raw=b"".join(page))

    def get_project(self, req, key, project_id):
        if not ID_RE.match(project_id):
            return error(400, "project_id must match ^[a-z0-9-]{1,60}$")
        state = self.state
        with state.lock:
            project = state.projects.get(project_id)
            if project is None or not self._project_visible(key, project):
                return error(404, "project %s not found" % project_id)
            for fault in req.faults:
                if (fault.kind == "unavailable_project_ids" and fault.spec.get("also_get")
                        and project_id in fault.project_ids):
                    return error(503, "project %s is temporarily unavailable" % project_id)
            if project.org_id is not None:
                org = state.orgs[project.org_id]
                owner_email = _org_contact(state, org)
                detail = render.project_detail(project, owner_email, org.name, org.plan)
            else:
                user = state.users[project.owner_user_id]
                detail = render.project_detail(project, user.email, user.name, user.plan)
        return Response(200, {"project": detail})

    # -- transfers -----------------------------------------------------------------

    def org_transfer(self, req, key, source_org_id):
        if not ID_RE.match(source_org_id):
            return error(400, "source_org_id must match ^[a-z0-9-]{1,60}$")
        return self._transfer(req, key, source_org_id)

    def personal_transfer(self, req, key):
        if self.state.settings["personal_transfer"] == "gone":
            # STRICT: after the 2026-07-01 sunset [SPEC x-sunset] the route answers 410 Gone.
            return error(410, PERSONAL_GONE)
        response = self._transfer(req, key, None)
        if self.state.settings["deprecation_headers"]:
            # Off by default: no source shows Neon sending these headers.
            response.headers.update(DEPRECATION_HEADERS)
        return response

    def _transfer(self, req, key, source_org_id):
        parsed = _transfer_body(req)
        if isinstance(parsed, Response):
            return parsed
        dest_id, ids = parsed
        if key.kind != "personal":
            # [DOCS] transfers need a personal key with access to both orgs.
            return error(403, "permission denied: transferring projects requires a personal API key")
        if source_org_id is not None and source_org_id == dest_id:
            # STRICT: not documented; a no-op transfer is refused.
            return error(400, "destination_org_id must differ from the source organization")
        state = self.state
        user_id = key.user_id
        with state.lock:
            orgs = state.orgs
            source = None
            if source_org_id is not None:
                source = orgs.get(source_org_id)
                if source is None or user_id not in source.members:
                    return error(404, "organization %s not found" % source_org_id)
                if source.members[user_id].role != "admin":
                    return error(403, "permission denied: transferring projects out of organization %s "
                                      "requires the admin role" % source_org_id)
            dest = orgs.get(dest_id)
            if dest is None or user_id not in dest.members:
                return error(404, "destination organization %s not found" % dest_id)
            if dest.members[user_id].role not in DEST_ROLES:
                return error(403, "permission denied: transferring projects into organization %s "
                                  "requires at least the member role" % dest_id)
            for org in (source, dest):
                if org is not None and org.managed_by != "console":
                    # [DOCS] "Vercel-managed orgs are not supported"; STRICT: 400 (no code documented).
                    return error(400, "organization %s is managed by %s: transferring projects to or from "
                                      "Vercel-managed organizations is not supported" % (org.id, org.managed_by))

            projects = state.projects
            if source is not None:
                missing = [pid for pid in ids if pid not in projects or projects[pid].org_id != source.id]
                where = "organization %s" % source.id
            else:
                missing = [pid for pid in ids if pid not in projects or projects[pid].org_id is not None
                           or projects[pid].owner_user_id != user_id]
                where = "your personal account"
            if missing:
                # STRICT: ids that are unknown, deleted or elsewhere (including already in
                # the destination) fail the whole request.
                return error(404, "project(s) not found in %s: %s" % (where, ", ".join(missing)))

            blocked = []
            for pid in ids:
                project = projects[pid]
                for kind in BLOCKING_INTEGRATIONS:
                    if kind in project.integrations or kind in project.applications:
                        blocked.append({"id": pid, "integration": kind})
            if blocked:
                return Response(422, {"projects": blocked})

            limits = []
            source_plan = source.plan if source is not None else state.users[user_id].plan
            source_tier, dest_tier = state.plans[source_plan].tier, state.plan_of(dest).tier
            if state.settings["plan_transfer_rule"] == "no_downgrade":
                # Scale -> Launch fails [DOCS 2024 example; SPEC example actual=launch expected=scale].
                plan_refused = source_tier > dest_tier
            else:
                plan_refused = source_tier < dest_tier  # [DOCS 2025] "higher to lower tier, not vice versa"
            if plan_refused:
                limits.append({"name": "subscription_type", "expected": source_plan, "actual": dest.plan})
            after = len(state.org_ids(dest.id)) + len(ids)
            allowed = state.projects_limit(dest)
            if after > allowed:
                limits.append({"name": "projects_count", "expected": str(allowed), "actual": str(after)})
            regions = dest.regions
            seen = set()
            for pid in ids:
                region = projects[pid].region
                if region not in regions and region not in seen:
                    seen.add(region)
                    limits.append({"name": "project_region", "expected": ",".join(regions), "actual": region})
            if limits:
                return Response(406, {"limits": limits})

            now = time.time()
            for pid in ids:
                state.move(pid, dest.id, now)
        return Response(200, {})


def _transfer_body(req):
    """-> (destination_org_id, project_ids) or a 4xx Response."""
    if not req.body:
        return error(400, "request body is required")
    content_type = (req.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
    if content_type != "application/json":
        # STRICT: the spec only defines application/json request bodies.
        return error(415, "Content-Type must be application/json")
    try:
        body = json.loads(req.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return error(400, "request body is not valid JSON")
    if not isinstance(body, dict):
        return error(400, "request body must be a JSON object")
    unknown = sorted(set(body) - set(TRANSFER_FIELDS))
    if "org_id" in unknown:
        # STRICT: the pre-2025 body {org_id, project_ids} is refused, never aliased.
        return error(400, "unknown field \"org_id\" in request body (the old request shape); "
                          "send destination_org_id")
    if unknown:
        return error(400, "unknown field(s) in request body: %s" % ", ".join(unknown))
    for field in TRANSFER_FIELDS:
        if field not in body:
            return error(400, "%s is required" % field)
    dest = body["destination_org_id"]
    if not isinstance(dest, str) or not ID_RE.match(dest):
        return error(400, "destination_org_id must be a string matching ^[a-z0-9-]{1,60}$")
    ids = body["project_ids"]
    if not isinstance(ids, list):
        return error(400, "project_ids must be an array")
    if not 1 <= len(ids) <= 400:
        return error(400, "project_ids must contain 1 to 400 items, got %d" % len(ids))
    bad = [i for i in ids if not isinstance(i, str) or not ID_RE.match(i)]
    if bad:
        return error(400, "project_ids items must match ^[a-z0-9-]{1,60}$: %s"
                     % ", ".join(json.dumps(i) for i in bad[:10]))
    seen, dupes = set(), []
    for pid in ids:
        if pid in seen and pid not in dupes:
            dupes.append(pid)
        seen.add(pid)
    if dupes:
        # STRICT: duplicates are not documented; refused rather than de-duplicated.
        return error(400, "project_ids contains duplicates: %s" % ", ".join(dupes))
    return dest, ids


def _compact(obj):
    return json.dumps(obj, separators=(",", ":"))


def _org_contact(state, org):
    admins = sorted((m.joined_at, state.users[m.user_id].email) for m in org.members.values() if m.role == "admin")
    if admins:
        return admins[0][1]
    return "billing@%s.invalid" % org.id


def _encode_member_cursor(sort_key, sort_by, sort_order):
    raw = json.dumps([sort_by, sort_order, list(sort_key)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_member_cursor(cursor, sort_by, sort_order):
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        c_by, c_order, key = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(key, list) or len(key) != 2:
            raise ValueError
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise QueryError("invalid cursor")
    if c_by != sort_by or c_order != sort_order:
        # STRICT: a cursor only continues the listing it came from.
        raise QueryError("cursor was issued for sort_by=%s sort_order=%s" % (c_by, c_order))
    return key

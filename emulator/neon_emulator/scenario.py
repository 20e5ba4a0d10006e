"""Scenario YAML/dict -> State. The format is documented in docs/architecture.md.

Validation is strict (unknown keys and dangling references raise ScenarioError)
so that a typo in a scenario fails loudly instead of silently changing a test.
"""

import re
import uuid

import yaml

from .state import (ALL_ROLES, DEFAULT_PLANS, KNOWN_REGIONS, ApiKey, Membership, Org, Plan,
                    Project, State, User, validate_setting)

ID_RE = re.compile(r"^[a-z0-9-]{1,60}$")
APPLICATION_TYPES = frozenset({"vercel", "github", "datadog", "opentelemetry"})
KEY_KINDS = frozenset({"personal", "org", "project"})

# Deterministic timestamps keep scenario output stable between runs.
BASE_TS = 1704067200  # 2024-01-01T00:00:00Z
_NS = uuid.UUID("5b0f3f2e-6a55-4f4e-9f43-4e656f6e454d")


class ScenarioError(ValueError):
    pass


def load_file(path):
    with open(path, "r", encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise ScenarioError("%s: a scenario must be a mapping" % path)
    return data


def _check_keys(where, mapping, allowed, required=()):
    if not isinstance(mapping, dict):
        raise ScenarioError("%s: expected a mapping, got %r" % (where, mapping))
    unknown = set(mapping) - set(allowed)
    if unknown:
        raise ScenarioError("%s: unknown key(s) %s" % (where, ", ".join(sorted(unknown))))
    for key in required:
        if key not in mapping:
            raise ScenarioError("%s: missing required key %r" % (where, key))


def _check_id(where, value):
    if not isinstance(value, str) or not ID_RE.match(value):
        raise ScenarioError("%s: %r does not match ^[a-z0-9-]{1,60}$" % (where, value))
    return value


def _app_list(where, value):
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or any(v not in APPLICATION_TYPES for v in value):
        raise ScenarioError("%s: expected a list of %s" % (where, "|".join(sorted(APPLICATION_TYPES))))
    return tuple(dict.fromkeys(value))


def _ts(where, value, default):
    """Accept epoch seconds or an RFC 3339 'YYYY-MM-DDTHH:MM:SSZ' string."""
    if value is None:
        return default
    if isinstance(value, bool):
        raise ScenarioError("%s: bad timestamp %r" % (where, value))
    if isinstance(value, (int, float)):
        return int(value)
    import calendar
    import datetime
    if isinstance(value, datetime.datetime):
        return int(calendar.timegm(value.utctimetuple()))
    try:
        parsed = datetime.datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise ScenarioError("%s: bad timestamp %r (want YYYY-MM-DDTHH:MM:SSZ)" % (where, value))
    return int(calendar.timegm(parsed.timetuple()))


def build_state(scenario):
    if not isinstance(scenario, dict):
        raise ScenarioError("a scenario must be a mapping")
    _check_keys("scenario", scenario,
                ("settings", "plans", "users", "orgs", "api_keys", "personal_accounts", "projects",
                 "generate", "faults", "description", "name"),
                required=("orgs",))
    state = State()

    for name, value in (scenario.get("settings") or {}).items():
        try:
            state.settings[name] = validate_setting(name, value)
        except ValueError as exc:
            raise ScenarioError("settings: %s" % exc)

    plans = {name: dict(spec) for name, spec in DEFAULT_PLANS.items()}
    for name, spec in (scenario.get("plans") or {}).items():
        _check_keys("plans.%s" % name, spec, ("tier", "projects_limit"), required=("tier", "projects_limit"))
        plans[name] = dict(spec)
    for name, spec in plans.items():
        if not isinstance(spec["tier"], int) or not isinstance(spec["projects_limit"], int):
            raise ScenarioError("plans.%s: tier and projects_limit must be integers" % name)
        state.plans[name] = Plan(name, spec["tier"], spec["projects_limit"])

    for i, spec in enumerate(scenario.get("users") or []):
        where = "users[%d]" % i
        _check_keys(where, spec, ("id", "email", "name", "last_name", "plan", "created_at"), required=("email",))
        email = spec["email"]
        if email in state.users_by_email:
            raise ScenarioError("%s: duplicate email %s" % (where, email))
        user_id = str(spec.get("id") or uuid.uuid5(_NS, "user:" + email))
        plan = spec.get("plan", "free")
        if plan not in state.plans:
            raise ScenarioError("%s: unknown plan %r" % (where, plan))
        user = User(user_id, email, spec.get("name", email.split("@")[0].capitalize()),
                    spec.get("last_name", ""), plan, _ts(where, spec.get("created_at"), BASE_TS))
        state.users[user_id] = user
        state.users_by_email[email] = user

    def user_ref(where, ref):
        user = state.users_by_email.get(ref) or state.users.get(ref)
        if user is None:
            raise ScenarioError("%s: unknown user %r" % (where, ref))
        return user

    orgs = scenario.get("orgs")
    if not isinstance(orgs, list):
        raise ScenarioError("orgs: expected a list")
    for i, spec in enumerate(orgs):
        where = "orgs[%d]" % i
        _check_keys(where, spec, ("id", "name", "handle", "plan", "projects_limit", "regions", "managed_by",
                                  "members", "created_at"), required=("id",))
        org_id = _check_id(where + ".id", spec["id"])
        if org_id in state.orgs:
            raise ScenarioError("%s: duplicate org id %s" % (where, org_id))
        plan = spec.get("plan", "scale")
        if plan not in state.plans:
            raise ScenarioError("%s: unknown plan %r" % (where, plan))
        regions = spec.get("regions")
        regions = tuple(regions) if regions is not None else KNOWN_REGIONS
        limit = spec.get("projects_limit")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise ScenarioError("%s.projects_limit: expected an integer >= 0" % where)
        created = _ts(where, spec.get("created_at"), BASE_TS + i * 86400)
        name = spec.get("name", org_id)
        handle = spec.get("handle") or "%s-%s" % (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"), org_id)
        org = Org(org_id, name, handle, plan, limit, regions, spec.get("managed_by", "console"), created, created)
        for j, mspec in enumerate(spec.get("members") or []):
            mwhere = "%s.members[%d]" % (where, j)
            _check_keys(mwhere, mspec, ("user", "role", "joined_at"), required=("user", "role"))
            user = user_ref(mwhere, mspec["user"])
            if mspec["role"] not in ALL_ROLES:
                raise ScenarioError("%s: role must be one of %s" % (mwhere, "|".join(sorted(ALL_ROLES))))
            if user.id in org.members:
                raise ScenarioError("%s: %s is listed twice" % (mwhere, user.email))
            org.members[user.id] = Membership(
                str(uuid.uuid5(_NS, "member:%s:%s" % (org_id, user.id))), user.id, mspec["role"],
                _ts(mwhere, mspec.get("joined_at"), created + 3600 * (j + 1)))
        state.orgs[org_id] = org
        state.org_ids(org_id)

    def org_ref(where, ref):
        if ref not in state.orgs:
            raise ScenarioError("%s: unknown org %r" % (where, ref))
        return ref

    # Projects: explicit ones first, then personal-account ids not listed there.
    personal_owner = {}
    for email, entries in (scenario.get("personal_accounts") or {}).items():
        user = user_ref("personal_accounts", email)
        for entry in entries or []:
            pid = entry["id"] if isinstance(entry, dict) else entry
            personal_owner[_check_id("personal_accounts.%s" % email, pid)] = (user, entry)

    pending = []
    for i, spec in enumerate(scenario.get("projects") or []):
        where = "projects[%d]" % i
        _check_keys(where, spec, ("id", "name", "org", "owner", "region", "integrations", "applications",
                                  "pg_version", "created_at", "deleted"), required=("id",))
        pending.append((where, spec))
    listed = {spec["id"] for _where, spec in pending}
    for pid, (user, entry) in personal_owner.items():
        if pid not in listed:
            spec = dict(entry) if isinstance(entry, dict) else {"id": pid}
            spec["owner"] = user.email
            pending.append(("personal_accounts.%s" % user.email, spec))

    deleted = []
    for n, (where, spec) in enumerate(pending):
        pid = _check_id(where + ".id", spec["id"])
        if pid in state.projects:
            raise ScenarioError("%s: duplicate project id %s" % (where, pid))
        org_id = spec.get("org")
        owner = None
        if org_id is not None:
            org_ref(where, org_id)
            if pid in personal_owner:
                raise ScenarioError("%s: %s is both an org project and a personal-account project" % (where, pid))
        else:
            owner_ref = spec.get("owner") or (personal_owner[pid][0].email if pid in personal_owner else None)
            if owner_ref is None:
                raise ScenarioError("%s: a project needs `org` (or `owner` for a personal-account project)" % where)
            owner = user_ref(where, owner_ref).id
        created = _ts(where, spec.get("created_at"), BASE_TS + 60 * n)
        project = Project(pid, spec.get("name", pid), org_id, owner, spec.get("region", "aws-us-east-2"),
                          _app_list(where + ".integrations", spec.get("integrations")),
                          _app_list(where + ".applications", spec.get("applications")),
                          created, created, int(spec.get("pg_version", 17)))
        state.add_project(project)
        if spec.get("deleted"):
            deleted.append(pid)

    for i, spec in enumerate(scenario.get("generate") or []):
        _generate(state, "generate[%d]" % i, spec, org_ref)

    for pid in deleted:
        state.delete(pid, now=BASE_TS)

    for i, spec in enumerate(scenario.get("api_keys") or []):
        where = "api_keys[%d]" % i
        _check_keys(where, spec, ("key", "kind", "user", "org", "project", "name"), required=("key", "kind"))
        key, kind = spec["key"], spec["kind"]
        if not isinstance(key, str) or not key:
            raise ScenarioError("%s.key: expected a non-empty string" % where)
        if key in state.keys:
            raise ScenarioError("%s: duplicate key" % where)
        if kind not in KEY_KINDS:
            raise ScenarioError("%s.kind: expected personal|org|project" % where)
        if kind == "personal":
            state.keys[key] = ApiKey(key, kind, user_id=user_ref(where, spec.get("user")).id)
        elif kind == "org":
            state.keys[key] = ApiKey(key, kind, org_id=org_ref(where, spec.get("org")))
        else:
            project = state.projects.get(spec.get("project"))
            if project is None:
                raise ScenarioError("%s: unknown project %r" % (where, spec.get("project")))
            org_id = spec.get("org", project.org_id)
            if org_id is None or project.org_id != org_ref(where, org_id):
                raise ScenarioError("%s: project %s is not in org %s" % (where, project.id, org_id))
            state.keys[key] = ApiKey(key, kind, org_id=org_id, project_id=project.id)
    return state


def _generate(state, where, spec, org_ref):
    _check_keys(where, spec, ("org", "count", "prefix", "region", "integrations", "applications",
                              "start", "pg_version", "name_prefix"), required=("org", "count"))
    org_id = org_ref(where, spec["org"])
    count = spec["count"]
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ScenarioError("%s.count: expected an integer >= 0" % where)
    prefix = spec.get("prefix", "project")
    _check_id(where + ".prefix", prefix + "-000000")
    regions = spec.get("region", "aws-us-east-2")
    regions = list(regions) if isinstance(regions, list) else [regions]
    pg_version = int(spec.get("pg_version", 17))
    name_prefix = spec.get("name_prefix")
    start = int(spec.get("start", 1))

    # Every N-th project (n % every == 0) gets the listed kinds installed.
    def every(key):
        rule = spec.get(key)
        if rule is None:
            return 0, ()
        _check_keys("%s.%s" % (where, key), rule, ("every", "kind"), required=("every", "kind"))
        return int(rule["every"]), _app_list("%s.%s.kind" % (where, key), rule["kind"])

    int_every, int_kinds = every("integrations")
    app_every, app_kinds = every("applications")

    projects = state.projects
    index_ids = []
    nregions = len(regions)
    for n in range(start, start + count):
        pid = "%s-%06d" % (prefix, n)
        if pid in projects:
            raise ScenarioError("%s: duplicate project id %s" % (where, pid))
        created = BASE_TS + n * 60
        project = Project(pid, ("%s %06d" % (name_prefix, n)) if name_prefix else pid, org_id, None,
                          regions[n % nregions],
                          int_kinds if int_every and n % int_every == 0 else (),
                          app_kinds if app_every and n % app_every == 0 else (),
                          created, created, pg_version)
        projects[pid] = project
        index_ids.append(pid)
    # Build the index in one go: far cheaper than 100,000 single inserts.
    index = state.org_ids(org_id)
    if len(index):
        for pid in index_ids:
            index.add(pid)
    else:
        state.org_index[org_id] = type(index)(index_ids)

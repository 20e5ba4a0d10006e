"""In-memory Neon state: users, organizations, projects and API keys.

Projects are kept compact (one slotted object each) and indexed per owner in
sorted id lists, so a listing page costs O(page) and a transfer O(batch) even
with 100,000 projects. JSON is only built when a page is rendered (render.py).
"""

import bisect
import threading
import time

# Org roles that may see every project of the org in GET /projects. The
# `collaborator` role only sees projects shared with it; sharing is not
# modelled, so it is refused (strict choice, see docs/emulator-fidelity.md).
LIST_ROLES = frozenset({"admin", "member", "editor", "viewer"})
# Destination roles accepted by a transfer: "at least Member" [DOCS], read as
# admin or member; editor/viewer/collaborator are refused (strict choice).
DEST_ROLES = frozenset({"admin", "member"})
ALL_ROLES = frozenset({"admin", "member", "editor", "viewer", "collaborator"})

# Regions Neon offers. Not in the spec (only aws-us-east-2 appears) [INFERRED].
KNOWN_REGIONS = (
    "aws-us-east-1", "aws-us-east-2", "aws-us-west-2", "aws-eu-central-1",
    "aws-eu-west-2", "aws-ap-southeast-1", "aws-ap-southeast-2", "aws-sa-east-1",
    "azure-eastus2", "azure-westus3", "azure-gwc",
)

DEFAULT_PLANS = {
    "free": {"tier": 0, "projects_limit": 100},
    "launch": {"tier": 1, "projects_limit": 100},
    "scale": {"tier": 2, "projects_limit": 1000},
    "business": {"tier": 3, "projects_limit": 5000},
}

DEFAULT_SETTINGS = {
    "empty_page_cursor": "omit",
    "personal_transfer": "deprecated",
    "rate_limit": False,
    "rate_limit_per_minute": 700,
    "rate_limit_per_route_per_second": 40,
    "latency_ms": 0,
    "deprecation_headers": False,
    # Neon's sources disagree on the plan direction (see docs/emulator-fidelity.md):
    # no_downgrade refuses e.g. Scale -> Launch (SPEC example, 2024 docs example);
    # no_upgrade refuses Launch -> Scale (2025 docs prose "higher to lower tier").
    "plan_transfer_rule": "no_downgrade",
}

SETTING_CHOICES = {
    "empty_page_cursor": ("omit", "echo"),
    "personal_transfer": ("deprecated", "gone"),
    "plan_transfer_rule": ("no_downgrade", "no_upgrade"),
}


def validate_setting(name, value):
    """Return the value if it is acceptable for setting `name`, else raise ValueError."""
    if name not in DEFAULT_SETTINGS:
        raise ValueError("unknown setting %r (known: %s)" % (name, ", ".join(sorted(DEFAULT_SETTINGS))))
    if name in SETTING_CHOICES:
        if value not in SETTING_CHOICES[name]:
            raise ValueError("setting %s must be one of %s" % (name, "|".join(SETTING_CHOICES[name])))
    elif name in ("rate_limit", "deprecation_headers"):
        if not isinstance(value, bool):
            raise ValueError("setting %s must be true or false" % name)
    elif name == "latency_ms":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError("setting latency_ms must be a number >= 0")
    else:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError("setting %s must be an integer >= 1" % name)
    return value


def iso(ts):
    """RFC 3339 UTC timestamp with second precision, the form Neon's examples use."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class SortedIds:
    """A sorted set of strings stored as a list of bounded chunks.

    One flat list would make insert/remove O(n) memmoves, which adds up when a
    benchmark moves 100,000 projects 400 at a time; chunks keep both O(sqrt n)
    with tiny constants, and bisect on the chunk maxima resumes at a cursor.
    """

    LOAD = 512

    __slots__ = ("_lists", "_maxes", "_len", "_version", "_search")

    def __init__(self, items=()):
        items = sorted(set(items))
        step = self.LOAD
        self._lists = [items[i:i + step] for i in range(0, len(items), step)]
        self._maxes = [chunk[-1] for chunk in self._lists]
        self._len = len(items)
        self._version = 0       # bumped by every change: the search text below is then rebuilt
        self._search = None     # (version, text, start of each value's block, values)

    def __len__(self):
        return self._len

    def __contains__(self, value):
        i = bisect.bisect_left(self._maxes, value)
        if i == len(self._maxes):
            return False
        chunk = self._lists[i]
        j = bisect.bisect_left(chunk, value)
        return j < len(chunk) and chunk[j] == value

    def add(self, value):
        maxes = self._maxes
        if not maxes:
            self._lists.append([value])
            maxes.append(value)
            self._len = 1
            self._version += 1
            return True
        i = bisect.bisect_left(maxes, value)
        if i == len(maxes):
            i -= 1
            chunk = self._lists[i]
            chunk.append(value)
            maxes[i] = value
        else:
            chunk = self._lists[i]
            j = bisect.bisect_left(chunk, value)
            if j < len(chunk) and chunk[j] == value:
                return False
            chunk.insert(j, value)
        self._len += 1
        self._version += 1
        if len(chunk) > 2 * self.LOAD:
            half = len(chunk) // 2
            self._lists[i:i + 1] = [chunk[:half], chunk[half:]]
            maxes[i:i + 1] = [chunk[half - 1], chunk[-1]]
        return True

    def discard(self, value):
        maxes = self._maxes
        i = bisect.bisect_left(maxes, value)
        if i == len(maxes):
            return False
        chunk = self._lists[i]
        j = bisect.bisect_left(chunk, value)
        if j == len(chunk) or chunk[j] != value:
            return False
        del chunk[j]
        self._len -= 1
        self._version += 1
        if not chunk:
            del self._lists[i]
            del maxes[i]
        elif j == len(chunk):
            maxes[i] = chunk[-1]
        return True

    def iter_after(self, key=None):
        """Yield the values strictly greater than `key` (all values if None), ascending."""
        lists = self._lists
        if key is None:
            i, j = 0, 0
        else:
            i = bisect.bisect_right(self._maxes, key)
            if i == len(lists):
                return
            j = bisect.bisect_right(lists[i], key)
        while i < len(lists):
            chunk = lists[i]
            yield from chunk[j:]
            i += 1
            j = 0

    def __iter__(self):
        return self.iter_after(None)

    def search_after(self, key, needle, text_of):
        """The values after `key` whose text_of(value) may contain `needle` (no newline in either), ascending.

        One str.find pass over a cached text of all the blocks, instead of a Python test per value: a search in
        an organization of 100,000 projects answers in ~2 ms instead of ~18 ms. The caller still tests each value.
        """
        cache = self._search
        if cache is None or cache[0] != self._version:
            values = list(self.iter_after(None))
            blocks = [text_of(value) for value in values]
            starts, at = [], 0
            for block in blocks:
                starts.append(at)
                at += len(block) + 1
            cache = self._search = (self._version, "\n".join(blocks), starts, values)
        text, starts, values = cache[1], cache[2], cache[3]
        found = []
        at = text.find(needle)
        while at >= 0:
            line = bisect.bisect_right(starts, at) - 1
            found.append(values[line])
            if line + 1 == len(starts):
                break
            at = text.find(needle, starts[line + 1])
        return found[bisect.bisect_right(found, key):] if key is not None else found


class Plan:
    __slots__ = ("name", "tier", "projects_limit")

    def __init__(self, name, tier, projects_limit):
        self.name = name
        self.tier = tier
        self.projects_limit = projects_limit


class User:
    __slots__ = ("id", "email", "name", "last_name", "plan", "created_at")

    def __init__(self, id, email, name, last_name, plan, created_at):
        self.id = id
        self.email = email
        self.name = name
        self.last_name = last_name
        self.plan = plan
        self.created_at = created_at


class Membership:
    __slots__ = ("id", "user_id", "role", "joined_at")

    def __init__(self, id, user_id, role, joined_at):
        self.id = id
        self.user_id = user_id
        self.role = role
        self.joined_at = joined_at


class Org:
    __slots__ = ("id", "name", "handle", "plan", "projects_limit", "regions", "managed_by",
                 "created_at", "updated_at", "members")

    def __init__(self, id, name, handle, plan, projects_limit, regions, managed_by, created_at, updated_at):
        self.id = id
        self.name = name
        self.handle = handle
        self.plan = plan
        self.projects_limit = projects_limit  # None: the plan's limit
        self.regions = regions  # tuple of region ids the org may use
        self.managed_by = managed_by
        self.created_at = created_at
        self.updated_at = updated_at
        self.members = {}  # user_id -> Membership


class Project:
    __slots__ = ("id", "name", "org_id", "owner_user_id", "region", "integrations", "applications",
                 "created", "updated", "pg_version", "deleted_at", "list_json")

    def __init__(self, id, name, org_id, owner_user_id, region, integrations, applications,
                 created, updated, pg_version):
        self.id = id
        self.name = name
        self.org_id = org_id  # None for a legacy personal-account project
        self.owner_user_id = owner_user_id  # set only for personal-account projects
        self.region = region
        self.integrations = integrations  # tuple of ApplicationType strings
        self.applications = applications
        self.created = created  # epoch seconds
        self.updated = updated
        self.pg_version = pg_version
        self.deleted_at = None
        # This project's listing item, rendered once (render.project_list_item_bytes).
        # Every State method that changes a field the item shows must reset it to None.
        self.list_json = None


class ApiKey:
    __slots__ = ("key", "kind", "user_id", "org_id", "project_id")

    def __init__(self, key, kind, user_id=None, org_id=None, project_id=None):
        self.key = key
        self.kind = kind  # personal | org | project
        self.user_id = user_id
        self.org_id = org_id
        self.project_id = project_id


class State:
    """Everything the emulator knows. Callers hold `lock` around reads and writes."""

    def __init__(self):
        self.lock = threading.RLock()
        self.settings = dict(DEFAULT_SETTINGS)
        self.plans = {}
        self.users = {}
        self.users_by_email = {}
        self.orgs = {}
        self.projects = {}  # live projects by id
        self.deleted = {}  # deleted projects by id (kept for ?recoverable=true)
        self.org_index = {}  # org_id -> SortedIds of live projects
        self.deleted_index = {}  # org_id -> SortedIds of deleted projects
        self.personal_index = {}  # user_id -> SortedIds of personal-account projects
        self.keys = {}

    # -- lookups -----------------------------------------------------------

    def plan_of(self, org):
        return self.plans[org.plan]

    def projects_limit(self, org):
        if org.projects_limit is not None:
            return org.projects_limit
        return self.plans[org.plan].projects_limit

    def role(self, user_id, org):
        membership = org.members.get(user_id)
        return membership.role if membership else None

    def org_ids(self, org_id):
        index = self.org_index.get(org_id)
        if index is None:
            index = self.org_index[org_id] = SortedIds()
        return index

    def user_ids(self, user_id):
        index = self.personal_index.get(user_id)
        if index is None:
            index = self.personal_index[user_id] = SortedIds()
        return index

    # -- mutations (no permission checks: API handlers and faults check first) --
    # Projects change only here, so that their cached listing item is reset (Project.list_json).

    def add_project(self, project):
        self.projects[project.id] = project
        if project.org_id is not None:
            self.org_ids(project.org_id).add(project.id)
        else:
            self.user_ids(project.owner_user_id).add(project.id)

    def _unindex(self, project):
        if project.org_id is not None:
            self.org_ids(project.org_id).discard(project.id)
        else:
            self.user_ids(project.owner_user_id).discard(project.id)

    def move(self, project_id, org_id, now=None):
        project = self.projects[project_id]
        self._unindex(project)
        project.org_id = org_id
        project.owner_user_id = None
        project.updated = int(now if now is not None else time.time())
        project.list_json = None
        self.org_ids(org_id).add(project_id)

    def delete(self, project_id, now=None):
        project = self.projects.pop(project_id)
        self._unindex(project)
        project.deleted_at = int(now if now is not None else time.time())
        project.list_json = None
        self.deleted[project_id] = project
        if project.org_id is not None:
            index = self.deleted_index.get(project.org_id)
            if index is None:
                index = self.deleted_index[project.org_id] = SortedIds()
            index.add(project_id)

    # -- snapshots -----------------------------------------------------------

    def ownership(self):
        """{project_id: org_id} for live projects; None for personal-account projects."""
        with self.lock:
            return {pid: p.org_id for pid, p in self.projects.items()}

    def summary(self):
        with self.lock:
            orgs = {}
            for org in self.orgs.values():
                orgs[org.id] = {
                    "name": org.name,
                    "plan": org.plan,
                    "tier": self.plans[org.plan].tier,
                    "projects_limit": self.projects_limit(org),
                    "projects_count": len(self.org_ids(org.id)),
                    "regions": list(org.regions),
                    "managed_by": org.managed_by,
                    "members": {self.users[uid].email: m.role for uid, m in org.members.items()},
                }
            personal = {}
            for uid, index in self.personal_index.items():
                if len(index):
                    personal[self.users[uid].email] = list(index)
            return {
                "ownership": {pid: p.org_id for pid, p in self.projects.items()},
                "deleted": sorted(self.deleted),
                "orgs": orgs,
                "personal_accounts": personal,
                "settings": dict(self.settings),
            }

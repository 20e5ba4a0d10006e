# -*- coding: utf-8 -*-
# Copyright (c) 2026, neon_ops.neon contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""PRIVATE to neon_ops.neon: the reads behind neon_organization_info and neon_project_info. May change at any time.

The modules stay thin: they declare their options and call ``run_info`` with one of the readers here. Readers take
a NeonClient and plain parameters and return the result dict, so they can be used (and tested) without Ansible.
Independent requests run side by side; every list is paginated to the end.
"""

from __future__ import annotations

from ansible_collections.neon_ops.neon.plugins.module_utils._client import PAGE_LIMIT, NeonApiError, unexpected
from ansible_collections.neon_ops.neon.plugins.module_utils._module import neon_client
from ansible_collections.neon_ops.neon.plugins.module_utils._planner import (
    PlanError,
    blocking_integration,
    check_id,
    clean_ids,
    describe_orgs,
    match_orgs,
)

# GET /organizations/{id}/members accepts limit 1..500.
MEMBERS_PAGE_LIMIT = 500
# Up to this many ids, one search listing per id beats listing a large organization.
PER_PROJECT_MAX = 20
# The auth_method of GET /auth for each kind of key; project-scoped keys also say api_key_org.
KEY_TYPES = {"api_key_user": "personal", "api_key_org": "organization"}
PROJECT_SCOPED_HINTS = ("project-scoped", "outside the project")


class InfoError(ValueError):
    """The request cannot be answered as asked (bad input, an ambiguous name); nothing is wrong with the API."""


# -- organizations and the key --------------------------------------------------------------------------------------

def org_facts(org):
    """The documented facts of an Organization object."""
    return {
        "id": org.get("id"),
        "name": org.get("name"),
        "handle": org.get("handle"),
        "plan": org.get("plan"),
        "managed_by": org.get("managed_by"),
        "created_at": org.get("created_at"),
    }


def list_orgs(client):
    """GET /users/me/organizations (not paginated): every organization the key can see."""
    answer = client.request("GET", "/users/me/organizations")
    orgs = answer.get("organizations")
    if not isinstance(orgs, list):
        raise unexpected(None, "GET", "/users/me/organizations", "no 'organizations' list")
    return [org for org in orgs if isinstance(org, dict) and org.get("id")]


def get_org(client, org_id):
    """GET /organizations/{id}, or None when the key cannot see it (403/404)."""
    try:
        org = client.request("GET", "/organizations/%s" % org_id)
    except NeonApiError as exc:
        if exc.status in (403, 404):
            return None
        raise
    if org.get("id") != org_id:
        raise unexpected(None, "GET", "/organizations/%s" % org_id, "no matching organization object")
    return org


def resolve_org(client, org_id=None, org_name=None, option="org_name"):
    """The id of the one organization named ``org_name`` (name, else handle) or the checked ``org_id``."""
    if org_name is None:
        return check_id(org_id, "org_id")
    orgs = list_orgs(client)
    found = match_orgs(orgs, org_name)
    if len(found) != 1:
        raise InfoError("%s %r matches %s of the organizations this key can see; visible: %s" % (
            option, org_name, "none" if not found else "%d" % len(found), describe_orgs(found or orgs)))
    return found[0]["id"]


def member_facts(item):
    member = item.get("member") or {}
    user = item.get("user") or {}
    return {
        "user_id": member.get("user_id"),
        "email": user.get("email"),
        "role": member.get("role"),
        "joined_at": member.get("joined_at"),
        "member_id": member.get("id"),
    }


def list_members(client, org_id, limit=MEMBERS_PAGE_LIMIT):
    """Every member of an organization, following ``pagination.next`` (sent back as ``cursor``).

    Stops on an empty or short page or a missing ``next``; a ``next`` that does not advance after a full page
    would make the list incomplete, so it fails instead.
    """
    path = "/organizations/%s/members" % org_id
    query = {"limit": limit}
    members = []
    seen = set()
    while True:
        page = client.request("GET", path, query=dict(query))
        items = page.get("members")
        if not isinstance(items, list):
            raise unexpected(None, "GET", path, "no 'members' list")
        members.extend(member_facts(item) for item in items if isinstance(item, dict))
        cursor = (page.get("pagination") or {}).get("next")
        if not items or len(items) < limit or not cursor:
            return members
        if cursor in seen:
            raise NeonApiError("GET %s returned the cursor %r again after a full page; the member list cannot "
                               "advance and would be incomplete" % (path, cursor), status=200, method="GET",
                               path=path)
        seen.add(cursor)
        query["cursor"] = cursor


def _key_type(auth, me_error):
    method = auth.get("auth_method")
    if method == "api_key_org" and me_error is not None and me_error.status in (401, 403, 404) and any(
            hint in (me_error.message or "") for hint in PROJECT_SCOPED_HINTS):
        return "project"
    return KEY_TYPES.get(method, method)


def read_key(client):
    """What the key is: GET /auth, and GET /users/me for the user behind a personal key (in parallel).

    Returns (auth, current_user); current_user is None for keys not tied to a user.
    """
    def me():
        try:
            return client.request("GET", "/users/me"), None
        except NeonApiError as exc:
            return None, exc

    auth, (user, me_error) = client.parallel(lambda f: f(), [lambda: client.request("GET", "/auth"), me])
    if not auth.get("auth_method"):
        raise unexpected(None, "GET", "/auth", "no 'auth_method'")
    facts = {"account_id": auth.get("account_id"), "auth_method": auth.get("auth_method"),
             "key_type": _key_type(auth, me_error)}
    if auth.get("auth_method") == "api_key_org":
        return facts, None
    if me_error is not None:
        raise me_error
    if not isinstance(user, dict) or not user.get("id"):
        raise unexpected(None, "GET", "/users/me", "no user 'id'")
    return facts, {"id": user.get("id"), "email": user.get("email"), "name": user.get("name"),
                   "last_name": user.get("last_name")}


def read_organizations(client, org_id=None, name=None, members=False):
    """The result of neon_organization_info: the key, its user, and the organizations asked for."""
    if org_id is not None:
        check_id(org_id, "org_id")

    def orgs():
        if org_id is not None:
            org = get_org(client, org_id)
            return [org] if org is not None else []
        try:
            return list_orgs(client)
        except NeonApiError as exc:
            if exc.status in (403, 404):
                return exc      # older API: an organization key may not list; decided once the key is known
            raise

    (auth, user), visible = client.parallel(lambda f: f(), [lambda: read_key(client), orgs])
    if isinstance(visible, NeonApiError):
        if auth["auth_method"] != "api_key_org":
            raise visible
        own = get_org(client, auth["account_id"])
        visible = [own] if own is not None else []
    selected = visible if name is None else match_orgs(visible, name)
    result = [org_facts(org) for org in sorted(selected, key=lambda o: (o.get("name") or "", o["id"]))]
    if members and result:
        for org, org_members in zip(result, client.parallel(lambda o: list_members(client, o["id"]), result)):
            org["members"] = org_members
            mine = [m["role"] for m in org_members if user is not None and m["user_id"] == user["id"]]
            org["current_user_role"] = mine[0] if mine else None
    return {"organizations": result, "auth": auth, "current_user": user}


# -- projects --------------------------------------------------------------------------------------------------------

def project_facts(project, page):
    """The facts of a listed project; integrations merge the page's ``integrations`` and ``applications`` maps."""
    pid = project["id"]
    kinds = []
    for key in ("integrations", "applications"):
        for kind in (page.get(key) or {}).get(pid) or []:
            if kind not in kinds:
                kinds.append(kind)
    return {
        "id": pid,
        "name": project.get("name"),
        "region_id": project.get("region_id"),
        "pg_version": project.get("pg_version"),
        "created_at": project.get("created_at"),
        "org_id": project.get("org_id"),
        "integrations": sorted(kinds),
        "blocking_integration": blocking_integration(kinds),
    }


class _Listing:
    """Collects projects (and unavailable ids) from listing pages, keeping only ``wanted`` ids if given."""

    def __init__(self, wanted=None):
        self.wanted = wanted
        self.projects = {}
        self.unavailable = []
        self.complete = False

    def add(self, page):
        for project in page["projects"]:
            if not isinstance(project, dict) or not project.get("id"):
                raise unexpected(None, "GET", "/projects", "a project without an id")
            if self.wanted is None or project["id"] in self.wanted:
                self.projects.setdefault(project["id"], project_facts(project, page))
        for pid in page.get("unavailable_project_ids") or []:
            if (self.wanted is None or pid in self.wanted) and pid not in self.unavailable:
                self.unavailable.append(pid)


def _search_one(client, org_id, pid):
    """Find one project by id in an organization with a search listing (which, unlike GET /projects/{id},
    carries the integration maps). Returns (facts or None, unavailable)."""
    listing = _Listing({pid})
    for page in client.iter_project_pages(org_id=org_id, search=pid):
        listing.add(page)
        if pid in listing.projects:
            return listing.projects[pid], False
    return None, pid in listing.unavailable


def read_projects(client, org_id=None, org_name=None, search=None, projects=None, warn=None):
    """The result of neon_project_info: the projects of one organization, all, searched, or by id."""
    warn = warn or (lambda message: None)
    org_id = resolve_org(client, org_id, org_name)
    result = {"org_id": org_id}
    if projects is None:
        listing = _Listing()
        for page in client.iter_project_pages(org_id=org_id, search=search):
            listing.add(page)
        found = list(listing.projects.values())
        unavailable = listing.unavailable
    else:
        ids, duplicates = clean_ids(projects, "projects")
        if duplicates:
            warn("projects lists these ids more than once; each is returned once: %s" % ", ".join(duplicates))
        wanted = set(ids)
        listing = _Listing(wanted)
        if ids and len(ids) <= PER_PROJECT_MAX:
            # The first page may hold the whole organization: then one request answers everything.
            pages = client.iter_project_pages(org_id=org_id)
            first = next(pages)
            listing.add(first)
            pages.close()
            if len(first["projects"]) + len(first.get("unavailable_project_ids") or []) >= PAGE_LIMIT:
                rest = [pid for pid in ids if pid not in listing.projects and pid not in listing.unavailable]
                for pid, (facts, unavailable) in zip(
                        rest, client.parallel(lambda pid: _search_one(client, org_id, pid), rest)):
                    if facts is not None:
                        listing.projects[pid] = facts
                    elif unavailable:
                        listing.unavailable.append(pid)
        elif ids:
            for page in client.iter_project_pages(org_id=org_id):
                listing.add(page)
        found = [listing.projects[pid] for pid in ids if pid in listing.projects]
        unavailable = [pid for pid in ids if pid in listing.unavailable and pid not in listing.projects]
        result["missing_project_ids"] = [pid for pid in ids
                                         if pid not in listing.projects and pid not in unavailable]
    if unavailable:
        warn("Neon could not read %d project(s) of %s in time; they are listed in unavailable_project_ids, "
             "run again to read them: %s" % (len(unavailable), org_id, ", ".join(unavailable[:10])))
    result.update({"projects": found, "count": len(found), "unavailable_project_ids": unavailable})
    return result


# -- the module shell -------------------------------------------------------------------------------------------------

def run_info(module, reader):
    """Build the client, run ``reader(client)``, exit with its result (never changed) or fail clearly."""
    client = neon_client(module)
    try:
        result = reader(client)
    except (InfoError, PlanError) as exc:
        module.fail_json(msg=str(exc), api_requests=client.requests_sent)
    except NeonApiError as exc:
        module.fail_json(msg="Neon API error: %s" % exc.describe(), error=exc.to_dict(),
                         api_requests=client.requests_sent)
    result["api_requests"] = client.requests_sent
    module.exit_json(changed=False, **result)

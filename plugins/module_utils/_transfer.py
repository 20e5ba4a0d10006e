# -*- coding: utf-8 -*-
# Copyright (c) 2026, neon_ops.neon contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""PRIVATE to neon_ops.neon: reads the current state, plans with _planner, sends the batches. May change at any time.

The I/O lives here so the module stays a thin shell and the planner stays pure. The reading strategy keeps the
request count near the lower bound: lists in pages of 400, per-project reads when only a handful of ids are
asked, nothing read twice, and independent reads run side by side.
"""

from __future__ import annotations

import math

from ansible_collections.neon_ops.neon.plugins.module_utils._client import NeonApiError, PAGE_LIMIT, unexpected
from ansible_collections.neon_ops.neon.plugins.module_utils import _planner as planner
from ansible_collections.neon_ops.neon.plugins.module_utils._planner import PERSONAL, PlanError

# Up to this many ids, reading each project costs fewer requests than listing an org of 8,000 projects.
PER_PROJECT_MAX = 20
# A search listing named the project as unavailable: it must be read alone, never taken as absent.
UNAVAILABLE = "unavailable"

LIMIT_HINTS = {
    "subscription_type": "the destination's plan is lower than the source's; upgrade the destination organization "
                         "or move the projects to an organization on the same or a higher plan",
    "projects_count": "the destination would exceed its plan's project allowance; upgrade its plan, ask Neon to "
                      "raise the limit, or move fewer projects",
    "project_region": "the destination organization does not offer the region of a project; enable the region "
                      "there or leave that project out",
}

MIGRATION_HINT = (
    "Neon has migrated personal accounts to organizations, so projects no longer live in a personal account: your "
    "former personal projects are in an organization of your own. Find it with neon_ops.neon.neon_organization_info, "
    "then set source_org_id (or source_org_name) to it and leave from_personal_account false.")


class TransferFailure(Exception):
    """The run cannot go on; ``result`` says what happened so far (nothing was written unless it says so)."""

    def __init__(self, message, **result):
        super().__init__(message)
        self.message = message
        self.result = result


def _org_label(org):
    return "%s (%s)" % (org.get("name"), org.get("id")) if org.get("name") else org.get("id")


class TransferJob:
    """One run of neon_project_transfer."""

    def __init__(self, client, params, check_mode=False, diff=False, warn=None):
        self.client = client
        self.params = params
        self.check_mode = check_mode
        self.want_diff = diff
        self.warn = warn or (lambda message: None)
        self.personal = bool(params.get("from_personal_account"))
        self._orgs = None
        self._seen_orgs = set()        # orgs that answered a read: they exist and the key sees them
        self._org_sizes = {}           # projects counted by a full listing, to choose how to re-read
        self._options = {}             # org id -> the option that named it, for messages
        self.events = []               # what the run had to recover from, for the result's ``retried``
        self.requested = None          # the effective request, once known: a failure still accounts for each id
        self._refused = False          # Neon answered 403/404 to a read: the key type may be why (_with_key_note)
        self.plan = None

    # -- input -----------------------------------------------------------------------------------------------------

    def _validated(self):
        p = self.params
        dest_id = p.get("org_id")
        if dest_id is not None:
            planner.check_id(dest_id, "org_id")
        if p.get("source_org_id") is not None:
            planner.check_id(p["source_org_id"], "source_org_id")
        if self.personal and (p.get("source_org_id") or p.get("source_org_name")):
            raise PlanError("from_personal_account moves projects out of the personal account of the key's user; "
                            "it cannot be combined with source_org_id or source_org_name")
        if p.get("all_projects"):
            if p.get("projects"):
                raise PlanError("give either projects or all_projects, not both")
            if not (self.personal or p.get("source_org_id") or p.get("source_org_name")):
                raise PlanError("all_projects needs the source: set source_org_id or source_org_name")
        elif p.get("projects") is None:
            raise PlanError("nothing requested: set projects (a list of project ids) or all_projects: true")
        elif not p.get("projects"):
            raise PlanError("projects is an empty list: list at least one project id, or set all_projects: true")
        projects, duplicates = planner.clean_ids(p.get("projects"), "projects")
        if duplicates:
            self.warn("projects lists these ids more than once; each is handled once: %s"
                      % ", ".join(duplicates))
        exclude, _dups = planner.clean_ids(p.get("exclude"), "exclude")
        planner.check_batch_size(p.get("batch_size", planner.BATCH_MAX))
        if dest_id is not None and dest_id == p.get("source_org_id"):
            raise PlanError("source_org_id and org_id are the same organization (%s): nothing can move" % dest_id)
        return projects, exclude

    # -- organizations ---------------------------------------------------------------------------------------------

    def _visible_orgs(self):
        if self._orgs is None:
            answer = self.client.request("GET", "/users/me/organizations")
            orgs = answer.get("organizations")
            if not isinstance(orgs, list) or not all(isinstance(org, dict) and isinstance(org.get("id"), str)
                                                     for org in orgs):
                raise unexpected(answer, "GET", "/users/me/organizations",
                                 "no 'organizations' list of objects with a string id")
            self._orgs = [org for org in orgs if org["id"]]
            self._seen_orgs.update(org["id"] for org in self._orgs)
        return self._orgs

    def _resolve(self, org_id, org_name, option):
        if org_name is None:
            return org_id
        candidates = planner.match_orgs(self._visible_orgs(), org_name)
        if len(candidates) != 1:
            raise PlanError("%s %r matches %s of the organizations this key can see; visible: %s" % (
                option, org_name, "none" if not candidates else "%d" % len(candidates),
                planner.describe_orgs(candidates or self._visible_orgs())))
        return candidates[0]["id"]

    def _org(self, org_id):
        for org in self._orgs or ():
            if org["id"] == org_id:
                return org
        return {"id": org_id}

    def _with_key_note(self, msg):
        """After Neon refused something, ask GET /auth whether the key is the reason, and say so first.

        The key type is checked only then: on every run that goes through, the request would be spent for nothing.
        An organization or project-scoped key reads its own organization but is refused the other one, so such a
        run always meets a 403 or 404 before its first write, and the transfer itself answers 403.
        """
        if not self._refused:
            return msg
        self._refused = False
        try:
            auth = self.client.request("GET", "/auth")
        except NeonApiError:
            return msg
        if auth.get("auth_method") != "api_key_org":
            return msg
        return ("the API key is an organization (or project-scoped) key of %s; transfers need a personal API key of "
                "a user who is admin of the source organization and at least member of the destination. Neon's "
                "refusal: %s" % (auth.get("account_id"), msg))

    def _verify_destination(self, destination, owners):
        """Make sure the destination exists before a write, or before saying there is nothing to do."""
        if destination in self._seen_orgs or destination in owners.values():
            return
        try:
            self.client.request("GET", "/organizations/%s" % destination)
        except NeonApiError as exc:
            if exc.status in (403, 404):
                self._refused = True
                raise PlanError("org_id %r is not an organization this key can see (HTTP %s: %s)"
                                % (destination, exc.status, exc.message))
            raise
        self._seen_orgs.add(destination)

    # -- reading projects ------------------------------------------------------------------------------------------

    def _scan(self, org_id, wanted=None, first_page_only=False):
        """List an org (org_id None: the personal account); return ({id: owner}, {id: integrations}).

        With ``wanted`` (a set) only those ids are kept, so 100,000 listed projects cost a few bytes each.
        Projects Neon could not read in time are read one by one, never taken as absent.
        With ``first_page_only`` only the first page is read; _listed_whole() then says whether that was all.
        """
        owner_value = org_id if org_id is not None else PERSONAL
        owners = {}
        kinds = {}
        unavailable = []
        count = 0
        # A whole listing asks for the next page while it decodes this one; one page alone asks for nothing more.
        pages = self._pages(org_id, prefetch=not first_page_only)
        whole = True
        if first_page_only:
            page = next(pages)
            whole = len(page["projects"]) + len(page.get("unavailable_project_ids") or []) < PAGE_LIMIT
            pages = [page]
        for page in pages:
            for key in ("integrations", "applications"):
                for pid, values in (page.get(key) or {}).items():
                    if wanted is None or pid in wanted:
                        kinds.setdefault(pid, []).extend(values or [])
            for project in page["projects"]:
                pid = project["id"]     # the client checked the page's shape
                count += 1
                if wanted is None or pid in wanted:
                    owners[pid] = project.get("org_id") or owner_value
            unavailable.extend(page.get("unavailable_project_ids") or [])
        if org_id is not None:
            self._seen_orgs.add(org_id)
        if whole:
            self._org_sizes[owner_value] = count + len(unavailable)
        unavailable = [pid for pid in unavailable if wanted is None or pid in wanted]
        if unavailable:
            self.events.append({"reason": "listing of %s left out %d project(s) Neon could not read in time; "
                                          "read one by one" % (owner_value, len(unavailable))})
            for pid, owner in self._read_each(unavailable, strict=True).items():
                if owner is not None:
                    owners[pid] = owner
        return owners, kinds

    def _listed_whole(self, org_id):
        return (org_id if org_id is not None else PERSONAL) in self._org_sizes

    def _pages(self, org_id, search=None, prefetch=False):
        """GET /projects pages; a personal listing that Neon refuses means personal accounts are gone."""
        try:
            yield from self.client.iter_project_pages(org_id=org_id, search=search, prefetch=prefetch)
        except NeonApiError as exc:
            if org_id is None and exc.status == 400 and "org_id is required" in (exc.message or ""):
                raise PlanError("Neon requires an org_id to list projects, so this account has no personal "
                                "projects left to list (HTTP 400: %s). %s" % (exc.message, MIGRATION_HINT))
            if org_id is not None and exc.status in (403, 404):
                self._refused = True
                raise PlanError("%s %r cannot be read with this key (HTTP %s: %s); check the id, and that the key's "
                                "user is a member" % (self._options.get(org_id, "organization"), org_id, exc.status,
                                                      exc.message))
            raise

    def _get_owner(self, pid):
        path = "/projects/%s" % pid
        try:
            answer = self.client.request("GET", path)
        except NeonApiError as exc:
            if exc.status in (403, 404):
                self._refused = True
                return None
            raise
        project = answer.get("project")
        if not isinstance(project, dict) or project.get("id") != pid:
            raise unexpected(answer, "GET", path, "no 'project' object with id %s" % pid)
        owner = project.get("org_id")
        if owner is not None and not (isinstance(owner, str) and owner):
            raise unexpected(answer, "GET", path, "an org_id that is not a string")
        return owner or PERSONAL

    def _read_each(self, ids, strict=False):
        """Read the owner of each id, side by side. strict: an unreadable project stops the run before any write."""
        def read(pid):
            try:
                return self._get_owner(pid)
            except NeonApiError as exc:
                if not strict:
                    raise
                raise PlanError("the inventory is incomplete: Neon could not read project %s (%s); nothing was "
                                "transferred for it, run again later" % (pid, exc.message))
        return dict(zip(ids, self.client.parallel(read, ids)))

    def _search(self, org_id, pid):
        """The integrations of one project, from a search listing (GET /projects/{id} does not carry them).

        Returns None when the project is not in that listing, UNAVAILABLE when the listing left it out.
        """
        for page in self._pages(org_id, search=pid):
            if any(p["id"] == pid for p in page["projects"]):
                kinds = list((page.get("integrations") or {}).get(pid) or [])
                kinds.extend((page.get("applications") or {}).get(pid) or [])
                return kinds
            if pid in (page.get("unavailable_project_ids") or ()):
                return UNAVAILABLE
        return None

    def _find_few(self, requested, destination):
        """Owners and integrations of a handful of ids, source unknown: a search shows both, a project read alone
        only its owner, so the ids are searched in each other organization when there are at most two of them
        (no dearer than reading each, then searching its owner), else read each, then searched where found.
        """
        first, orgs = self.client.parallel(lambda read: read(), [
            lambda: self._scan(destination, set(requested), first_page_only=True)[0], self._visible_orgs])
        # On a rerun into a small destination its first page answers everything.
        owners, kinds = first, {}
        rest = [pid for pid in requested if pid not in owners]
        others = [org["id"] for org in orgs if org["id"] != destination]
        if rest and len(others) <= 2:
            pairs = [(pid, org) for pid in rest for org in others]
            for (pid, org), found in zip(pairs, self.client.parallel(lambda pair: self._search(pair[1], pair[0]),
                                                                     pairs)):
                if isinstance(found, list):
                    owners[pid] = org
                    kinds[pid] = found
            rest = [pid for pid in rest if pid not in owners]
        if rest:
            # Left out of a search, or elsewhere (a personal project, one that moved meanwhile).
            self._locate(rest, destination, owners, kinds)
        return owners, kinds

    def _locate(self, ids, destination, owners, kinds):
        """Read each project, then search it in its organization for its integrations (a read does not show them)."""
        owners.update((pid, owner) for pid, owner in self._read_each(ids).items() if owner is not None)
        elsewhere = [pid for pid in ids if owners.get(pid) not in (None, destination, PERSONAL)]
        found = self.client.parallel(lambda pid: self._search(owners[pid], pid), elsewhere)
        kinds.update((pid, pid_kinds) for pid, pid_kinds in zip(elsewhere, found) if isinstance(pid_kinds, list))

    def _discover(self, requested, source, destination):
        """Find the owner (and integrations) of each requested id, choosing the cheaper way to read."""
        wanted = set(requested)
        few = len(requested) <= PER_PROJECT_MAX
        listed = None if source == PERSONAL else source
        if source == PERSONAL:
            # Neon no longer lists projects without an org_id; a project without one is read alone. The
            # integrations of such a project are unknown until Neon answers 422, which _send handles.
            owners = {pid: owner for pid, owner in self._read_each(requested).items() if owner is not None}
            kinds = {}
        elif source is not None and few:
            # The first pages of the source and the destination, side by side: a small source is read whole in
            # one request, and a rerun into a small destination needs nothing more.
            (owners, kinds), (present, _kinds) = self.client.parallel(
                lambda org: self._scan(org, wanted, first_page_only=True), [listed, destination])
            owners.update(present)
            searched = [] if self._listed_whole(listed) else [pid for pid in requested if pid not in owners]
            # The source has more pages: a search finds each id that neither first page showed, with its
            # integrations, for one request each.
            found = dict(zip(searched, self.client.parallel(lambda pid: self._search(listed, pid), searched)))
            for pid, pid_kinds in found.items():
                if isinstance(pid_kinds, list):
                    owners[pid] = source
                    kinds[pid] = pid_kinds
            left_out = [pid for pid, pid_kinds in found.items() if pid_kinds is UNAVAILABLE]
            if left_out:
                # Their integrations stay unknown: a 422 then sets them aside (see _send).
                self.events.append({"reason": "search of %s left out %d project(s) Neon could not read in "
                                              "time; read one by one" % (source, len(left_out))})
                owners.update((pid, o) for pid, o in self._read_each(left_out, strict=True).items() if o is not None)
        elif source is not None:
            owners, kinds = self._scan(listed, wanted)
        elif few:
            owners, kinds = self._find_few(requested, destination)
        else:
            # The destination first: on a rerun it holds everything and no other organization is read. What it
            # lacks is looked for in every other organization the key sees, side by side.
            owners, kinds = self._scan(destination, wanted)
            rest = set(requested) - set(owners)
            if len(rest) > PER_PROJECT_MAX:
                orgs = [org["id"] for org in self._visible_orgs() if org["id"] != destination]
                for org_owners, org_kinds in self.client.parallel(lambda org: self._scan(org, rest), orgs):
                    owners.update(org_owners)
                    kinds.update(org_kinds)
        unresolved = [pid for pid in requested if pid not in owners]
        if unresolved and len(unresolved) > PER_PROJECT_MAX:
            # Listed (again) after the other reads, the destination also shows what another run moved there
            # meanwhile: a project moving between two listings is in neither.
            dest_owners, _kinds = self._scan(destination, set(unresolved))
            owners.update(dest_owners)
            unresolved = [pid for pid in unresolved if pid not in owners]
        if unresolved and len(unresolved) <= PER_PROJECT_MAX:
            if source is None:
                self._locate(unresolved, destination, owners, kinds)
            else:
                # Found elsewhere than the source, they are not sent: their integrations do not matter.
                owners.update({pid: o for pid, o in self._read_each(unresolved).items() if o is not None})
        return owners, kinds

    # -- the run ---------------------------------------------------------------------------------------------------

    def run(self):
        """Return ``(result, failed)``; ``result["msg"]`` says what happened in one sentence or a few."""
        try:
            return self._run(), False
        except TransferFailure as exc:
            self._refused = self._refused or any(e.get("status") in (403, 404) for e in exc.result.get("errors", ()))
            return self._finish(exc.result, self._with_key_note(exc.message)), True
        except PlanError as exc:
            return self._finish(self._unwritten(), self._with_key_note(str(exc))), True
        except NeonApiError as exc:
            self._refused = self._refused or exc.status in (403, 404)
            return self._finish(self._unwritten(error=exc.to_dict()),
                                self._with_key_note("Neon API error: %s" % exc.describe())), True

    def _unwritten(self, **result):
        """The result of a run stopped before any write: every requested id is still to do."""
        if self.requested is not None:
            result["remaining"] = list(self.requested)
        return result

    def _run(self):
        p = self.params
        projects, exclude = self._validated()
        if not p.get("all_projects"):
            self.requested = [pid for pid in projects if pid not in set(exclude)]
        needs_orgs = bool(p.get("org_name") or p.get("source_org_name")
                          or (not self.personal and not p.get("source_org_id") and len(projects) > PER_PROJECT_MAX))
        if needs_orgs:
            self._visible_orgs()
        destination = self._resolve(p.get("org_id"), p.get("org_name"), "org_name")
        if self.personal:
            source = PERSONAL
        elif p.get("source_org_id") or p.get("source_org_name"):
            source = self._resolve(p.get("source_org_id"), p.get("source_org_name"), "source_org_name")
        else:
            source = None
        if source == destination:
            raise PlanError("the source and the destination are the same organization (%s)" % destination)
        self._options = {source: "source_org_id", destination: "org_id"}
        if self._orgs is not None:
            for org_id, option in ((destination, "org_id"), (source, "source_org_id")):
                if org_id not in (None, PERSONAL) and org_id not in self._seen_orgs:
                    self._refused = True
                    raise PlanError("%s %r is not among the organizations this key can see: %s"
                                    % (option, org_id, planner.describe_orgs(self._orgs)))
            if source not in (None, PERSONAL) and planner.plan_downgrade(self._org(source).get("plan"),
                                                                         self._org(destination).get("plan")):
                self.warn("the destination %s is on a lower plan (%s) than the source %s (%s): Neon will refuse "
                          "the transfer (subscription_type)" % (
                              _org_label(self._org(destination)), self._org(destination).get("plan"),
                              _org_label(self._org(source)), self._org(source).get("plan")))

        if p.get("all_projects"):
            owners, kinds = self._scan(None if source == PERSONAL else source)
            requested = sorted(pid for pid in owners if pid not in set(exclude))
            self.requested = requested
        else:
            requested = self.requested
            owners, kinds = self._discover(requested, source, destination)
        unused = sorted(set(exclude) - set(owners)) if p.get("all_projects") else sorted(set(exclude) - set(projects))
        if unused:
            self.warn("exclude names ids that are not part of the request: %s" % ", ".join(unused))

        sources = None if source is None else {source}
        plan = planner.Plan(requested, destination, owners, kinds, sources, p.get("batch_size", planner.BATCH_MAX))
        self.destination = destination
        self.plan = plan
        if plan.missing:
            raise TransferFailure(
                "%d requested project(s) exist in neither the source nor the destination %s (or the key cannot see "
                "them): %s; nothing was transferred" % (
                    len(plan.missing), _where(source, destination), planner._sample(plan.missing, 50)),
                missing=plan.missing, already_present=plan.already_present, remaining=plan.moving,
                blocked=[{"id": b["id"], "integration": b["integration"]} for b in plan.blocked])
        if plan.batches:
            self._verify_destination(destination, owners)
        return self._execute(plan, owners)

    def _execute(self, plan, owners):
        transferred = []
        late_present = []          # moved into the destination by someone else while we ran
        blocked = [{"id": b["id"], "integration": b["integration"]} for b in plan.blocked]
        errors = []
        remaining = []
        batches = []
        stop = False
        for batch in plan.batches:
            record = {"source_org_id": batch["source"], "project_ids": batch["project_ids"]}
            batches.append(record)
            if self.check_mode:
                record["outcome"] = "planned"
                transferred.extend(batch["project_ids"])
                continue
            if stop:
                record["outcome"] = "not sent"
                remaining.extend(batch["project_ids"])
                continue
            try:
                outcome = self._send(batch["source"], batch["project_ids"])
            except Exception as exc:  # pylint: disable=broad-except
                # A bug must not hide what the earlier batches did: report them, and this batch as unknown.
                outcome = _unknown_batch(batch["source"], batch["project_ids"], exc)
            transferred.extend(outcome["transferred"])
            late_present.extend(outcome["already_present"])
            blocked.extend(outcome["blocked"])
            remaining.extend(outcome["remaining"])
            record.update({"outcome": outcome["outcome"], "request_id": outcome["request_id"],
                           "attempts": outcome["attempts"]})
            if outcome["error"]:
                errors.append(outcome["error"])
            # Projects another actor moved elsewhere fail only themselves; an error Neon will repeat (limits,
            # permissions), an exhausted retry budget or an unknown state stops the run.
            stop = stop or outcome["stop"]
        result = {
            "transferred": transferred,
            "already_present": plan.already_present + late_present,
            "blocked": blocked,
            "missing": plan.missing,
            "remaining": remaining,
            "errors": errors,
            "batches": batches,
        }
        if self.want_diff:
            sources = {}
            for batch in plan.batches:
                sources.update((pid, batch["source"]) for pid in batch["project_ids"])
            result["diff"] = planner.ownership_diff(self.destination, plan.already_present + late_present,
                                                    transferred, sources)
        failure = None
        if errors or remaining:
            failure = planner.summary(self.destination, transferred, result["already_present"], blocked, [],
                                      remaining, errors, self.check_mode, _sent(batches))
        elif blocked and not self.params.get("skip_blocked"):
            failure = planner.summary(self.destination, transferred, result["already_present"], blocked, [], [], [],
                                      self.check_mode, _sent(batches)) + " Set skip_blocked: true to accept this."
        if failure:
            raise TransferFailure(failure, **result)
        return self._finish(result, planner.summary(
            self.destination, transferred, result["already_present"], blocked, [], [], [], self.check_mode,
            _sent(batches)))

    def _send(self, source, ids):
        """Send one batch until it lands, re-reading (never blindly resending) when the outcome is unknown.

        Returns the batch's outcome; ``stop`` says the run must not send further batches.
        """
        out = {"transferred": [], "already_present": [], "blocked": [], "remaining": [], "error": None,
               "stop": False, "outcome": "transferred", "request_id": None, "attempts": 0}
        pending = list(ids)
        lost = {}                  # id -> where another actor put it (None: deleted) while we ran
        resends = 0
        unknown_before = False     # an earlier attempt may have landed: what is found moved, we moved
        exc = None
        while pending:
            out["attempts"] += 1
            try:
                self._post(source, pending)
                out["transferred"].extend(pending)
                pending = []
                break
            except NeonApiError as error:
                exc = error
            out["request_id"] = exc.request_id
            named = _integration_projects(exc, pending)
            if named:
                # Neon refuses the whole batch: set the named projects aside and send the rest.
                out["blocked"].extend(named)
                names = set(b["id"] for b in named)
                pending = [pid for pid in pending if pid not in names]
                self.events.append({"reason": "HTTP 422: %d project(s) with integrations set aside, rest resent"
                                              % len(names)})
                continue
            if _final(exc, self.personal):
                out["stop"] = True
                break
            try:
                now = self._reread(source, pending)
            except (NeonApiError, PlanError) as reread_exc:
                exc.message = "%s; the re-read that would tell where these projects are failed too (%s), " \
                              "so their state is unknown: run again to converge" % (exc.message, reread_exc)
                out["outcome"] = "unknown"
                out["stop"] = True
                break
            moved = [pid for pid in pending if now.get(pid) == self.destination]
            landed = exc.outcome_unknown or unknown_before
            (out["transferred"] if landed else out["already_present"]).extend(moved)
            still = [pid for pid in pending if now.get(pid) == source]
            lost.update((pid, now.get(pid)) for pid in pending if now.get(pid) not in (source, self.destination))
            self.events.append({"reason": "%s; re-read %d project(s): %d now in the destination, %d still in the "
                                          "source, %d elsewhere" % (exc.describe(), len(pending), len(moved),
                                                                    len(still), len(pending) - len(moved)
                                                                    - len(still))})
            progressed = len(still) < len(pending)
            unknown_before = unknown_before or exc.outcome_unknown
            resends += 1
            pending = still
            if still and (resends > self.client.retries or not (exc.outcome_unknown or progressed)):
                # The same answer again would change nothing, or the budget is spent.
                out["stop"] = True
                break
        if pending or lost:
            if lost:
                exc.message = "%s; meanwhile %s" % (exc.message, ", ".join(
                    "%s was %s" % (pid, "deleted" if owner is None else "moved to %s" % owner)
                    for pid, owner in sorted(lost.items())))
            out["remaining"] = pending + sorted(lost)
            out["error"] = _batch_error(source, out["remaining"], exc)
            if out["outcome"] != "unknown":
                out["outcome"] = "partial" if out["transferred"] or out["already_present"] else "failed"
        return out

    def _post(self, source, ids):
        if source == PERSONAL:
            path = "/users/me/projects/transfer"
        else:
            path = "/organizations/%s/projects/transfer" % source
        self.client.request("POST", path, body={"destination_org_id": self.destination, "project_ids": list(ids)})

    def _reread(self, source, ids):
        """Where are these projects now? The cheaper of per-project reads and listing the source."""
        pages = math.ceil((self._org_sizes.get(source, PAGE_LIMIT * PER_PROJECT_MAX) + 1) / PAGE_LIMIT)
        if len(ids) <= max(pages, PER_PROJECT_MAX):
            return self._read_each(ids)
        owners, _kinds = self._scan(None if source == PERSONAL else source, set(ids))
        gone = [pid for pid in ids if pid not in owners]
        if len(gone) > PER_PROJECT_MAX:
            owners.update(self._scan(self.destination, set(gone))[0])
            gone = [pid for pid in gone if pid not in owners]
        owners.update(self._read_each(gone) if gone else {})
        return owners

    def _finish(self, result, msg):
        result.setdefault("transferred", [])
        result.setdefault("already_present", [])
        result.setdefault("blocked", [])
        result.setdefault("missing", [])
        result.setdefault("remaining", [])
        result.setdefault("errors", [])
        result.setdefault("batches", [])
        result["changed"] = bool(result["transferred"])
        result["api_requests"] = self.client.requests_sent
        result["retried"] = list(self.client.retried) + self.events
        result["destination_org_id"] = getattr(self, "destination", self.params.get("org_id"))
        result["msg"] = msg
        return result


def _where(source, destination):
    return destination if source is None else "(source %s, destination %s)" % (source, destination)


def _sent(batches):
    return sum(1 for b in batches if b.get("outcome") not in ("not sent",))


def _final(exc, personal):
    """Errors a re-read cannot mend: authorization, plan limits, and the gone personal endpoint."""
    if exc.status in (401, 403, 406):
        return True
    return personal and exc.status in (404, 405, 410)


def _unknown_batch(source, ids, exc):
    error = NeonApiError("unexpected %s while sending the batch (%s); where these projects are now is unknown: "
                         "run again to converge" % (type(exc).__name__, str(exc)[:200]))
    return {"transferred": [], "already_present": [], "blocked": [], "remaining": list(ids), "stop": True,
            "error": _batch_error(source, ids, error), "outcome": "unknown", "request_id": None, "attempts": 1}


def _integration_projects(exc, pending):
    if exc.status != 422 or not isinstance(exc.body, dict) or not isinstance(exc.body.get("projects"), list):
        return []
    pending = set(pending)
    return [{"id": item["id"], "integration": item.get("integration")}
            for item in exc.body["projects"] if isinstance(item, dict) and item.get("id") in pending]


def _batch_error(source, ids, exc):
    error = exc.to_dict()
    error.update({"source_org_id": source, "project_ids": list(ids)})
    limits = exc.body.get("limits") if exc.status == 406 and isinstance(exc.body, dict) else None
    if isinstance(limits, list):
        error["limits"] = limits
        error["message"] = "Neon refused the transfer for plan limits: " + "; ".join(
            "%s: expected %s, actual %s (%s)" % (item.get("name"), item.get("expected"), item.get("actual"),
                                                 LIMIT_HINTS.get(item.get("name"), "see Neon's plan limits"))
            for item in limits if isinstance(item, dict))
    elif exc.status == 403:
        error["message"] = ("%s (the key's user must be admin of the source %s and at least member of the "
                            "destination)" % (exc.message, source))
    elif source == PERSONAL and exc.status in (404, 405, 410):
        error["message"] = "the personal-account transfer endpoint is gone (HTTP %s: %s). %s" % (
            exc.status, exc.message, MIGRATION_HINT)
    return error

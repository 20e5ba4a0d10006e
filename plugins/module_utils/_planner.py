# -*- coding: utf-8 -*-
# Copyright (c) 2026, neon_ops.neon contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""PRIVATE to neon_ops.neon: the pure planning logic of a project transfer. It may change at any time.

Nothing here does I/O: what the API says today goes in, the plan (what to send, in which batches) and the
result lists come out, so every rule can be unit tested alone.
"""

from __future__ import annotations

import re

# \Z, not $: "$" would accept a trailing newline.
ID_RE = re.compile(r"[a-z0-9-]{1,60}\Z")
BATCH_MAX = 400
# Integrations that make Neon refuse a transfer (422); datadog and opentelemetry do not.
BLOCKING_INTEGRATIONS = ("github", "vercel")
# The owner of a legacy personal-account project (no org_id).
PERSONAL = "personal account"
# Known plans from lowest to highest; Neon moves projects only from a higher or equal plan to a lower or equal one.
PLAN_ORDER = ("free", "launch", "scale", "business", "enterprise")


class PlanError(ValueError):
    """Invalid input, found before any request is sent."""


def check_id(value, option):
    if not isinstance(value, str) or not ID_RE.match(value):
        raise PlanError("%s: %r is not a valid Neon id (expected ^[a-z0-9-]{1,60}$)" % (option, value))
    return value


def clean_ids(values, option):
    """Validate ids and collapse duplicates, keeping the first order. Return (ids, duplicates)."""
    if values is None:
        return [], []
    if not isinstance(values, (list, tuple)):
        raise PlanError("%s must be a list of project ids, got %s" % (option, type(values).__name__))
    seen = set()
    ids = []
    duplicates = []
    for value in values:
        check_id(value, option)
        if value in seen:
            if value not in duplicates:
                duplicates.append(value)
            continue
        seen.add(value)
        ids.append(value)
    return ids, duplicates


def check_batch_size(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= BATCH_MAX:
        raise PlanError("batch_size must be an integer from 1 to %d, got %r" % (BATCH_MAX, value))
    return value


def chunk(ids, size):
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def blocking_integration(kinds):
    """The first integration in kinds that blocks a transfer, or None."""
    for kind in kinds or ():
        if kind in BLOCKING_INTEGRATIONS:
            return kind
    return None


def plan_rank(plan):
    try:
        return PLAN_ORDER.index(str(plan).lower())
    except ValueError:
        return None


def plan_downgrade(source_plan, destination_plan):
    """True when Neon would refuse the move for the plan order (both plans known, destination lower)."""
    src, dst = plan_rank(source_plan), plan_rank(destination_plan)
    return src is not None and dst is not None and dst < src


def match_orgs(orgs, name):
    """Organizations whose name (or, failing that, handle) is exactly ``name``."""
    found = [org for org in orgs if org.get("name") == name]
    return found or [org for org in orgs if org.get("handle") == name]


def describe_orgs(orgs):
    return ", ".join("%s (%s)" % (org.get("name"), org.get("id")) for org in orgs) or "none"


class Plan:
    """What a run must do, decided from the current owners of the requested projects.

    ``owners`` maps a project id to its current owner (an org id or PERSONAL); ids that are not in it were not
    found. ``sources`` is the set of owners the run may move from (None: any organization, but not a personal
    account, which only the legacy endpoint can move from). ``integrations`` maps an id to
    the integrations the listing reported for it.
    """

    def __init__(self, requested, destination, owners, integrations=None, sources=None, batch_size=BATCH_MAX):
        check_batch_size(batch_size)
        integrations = integrations or {}
        self.requested = list(requested)
        self.destination = destination
        self.already_present = []
        self.blocked = []
        self.missing = []
        self.to_move = {}
        for project_id in self.requested:
            owner = owners.get(project_id)
            if owner == destination:
                self.already_present.append(project_id)
            elif owner is None or not (owner in sources if sources is not None else owner != PERSONAL):
                self.missing.append(project_id)
            else:
                kind = blocking_integration(integrations.get(project_id))
                if kind:
                    self.blocked.append({"id": project_id, "integration": kind, "source": owner})
                else:
                    self.to_move.setdefault(owner, []).append(project_id)
        self.batches = [
            {"source": source, "project_ids": ids}
            for source in sorted(self.to_move)
            for ids in chunk(sorted(self.to_move[source]), batch_size)
        ]

    @property
    def moving(self):
        return [project_id for batch in self.batches for project_id in batch["project_ids"]]


def ownership_diff(destination, already_present, moved, sources):
    """A before/after view of which requested projects the destination owns, one id per line.

    Sorted lines make Ansible's unified diff show one "+" line per moved project, readable for thousands.
    """
    before = sorted(already_present)
    after_lines = ["%s" % pid for pid in before]
    after_lines.extend("%s  (from %s)" % (pid, sources.get(pid, "?")) for pid in moved)
    after_lines.sort()
    header = "projects owned by %s (of those requested)" % destination
    return {
        "before_header": header + ", before",
        "after_header": header + ", after",
        "before": "".join(line + "\n" for line in before),
        "after": "".join(line + "\n" for line in after_lines),
    }


def _sample(ids, limit=10):
    ids = list(ids)
    text = ", ".join(ids[:limit])
    if len(ids) > limit:
        text += " and %d more" % (len(ids) - limit)
    return text


def summary(destination, transferred, already_present, blocked, missing, remaining, errors, check_mode,
            batches_sent):
    """One human sentence (or a few) that says what happened, for the result's ``msg``."""
    parts = []
    verb = "Would transfer" if check_mode else "Transferred"
    if transferred:
        parts.append("%s %d project(s) to %s in %d batch(es)" % (verb, len(transferred), destination, batches_sent))
    if already_present:
        parts.append("%d already owned by %s" % (len(already_present), destination))
    if blocked:
        parts.append("%d blocked by GitHub/Vercel integrations, remove the integration first: %s"
                     % (len(blocked), _sample("%s (%s)" % (b["id"], b["integration"]) for b in blocked)))
    if missing:
        parts.append("%d exist in neither the source nor the destination: %s" % (len(missing), _sample(missing)))
    if remaining:
        parts.append("%d NOT transferred: %s" % (len(remaining), _sample(remaining)))
    for error in errors:
        parts.append("batch of %d from %s failed: %s" % (len(error["project_ids"]), error["source_org_id"],
                                                         error["message"]))
    if not parts:
        return "Nothing requested: no project to transfer to %s." % destination
    if not transferred and not blocked and not missing and not remaining and not errors:
        return "All %d requested project(s) are already owned by %s; nothing to transfer." % (
            len(already_present), destination)
    return "; ".join(parts) + "."

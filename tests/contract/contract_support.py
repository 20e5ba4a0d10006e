"""Shared pieces of the contract tests (imported by conftest.py and the test modules; a module with a
unique name, so that ``conftest`` modules of other test directories can never shadow it)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

import openapi_contract as oc

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
FIXTURES_DIR = HERE / "fixtures"

# The Neon operations the collection calls: operationId -> (method, path template) in the definition.
COLLECTION_OPERATIONS = {
    "getAuthDetails": ("GET", "/auth"),
    "getCurrentUserInfo": ("GET", "/users/me"),
    "getCurrentUserOrganizations": ("GET", "/users/me/organizations"),
    "getOrganization": ("GET", "/organizations/{org_id}"),
    "getOrganizationMembers": ("GET", "/organizations/{org_id}/members"),
    "listProjects": ("GET", "/projects"),
    "getProject": ("GET", "/projects/{project_id}"),
    "transferProjectsFromOrgToOrg": ("POST", "/organizations/{source_org_id}/projects/transfer"),
    "transferProjectsFromUserToOrg": ("POST", "/users/me/projects/transfer"),
}


def required_mode() -> bool:
    """True under CI or with NEON_CONTRACT_REQUIRE=1: missing inputs fail instead of skipping."""
    ci = os.environ.get("CI", "").strip().lower()
    return (ci not in ("", "0", "false", "no")) or os.environ.get("NEON_CONTRACT_REQUIRE", "") == "1"


def skip_or_fail(reason: str) -> None:
    if required_mode():
        pytest.fail(f"{reason} (required because CI or NEON_CONTRACT_REQUIRE=1 is set)", pytrace=False)
    pytest.skip(reason)


class ContractCoverage:
    """What the session's contract tests exercised (only real exchanges: recorded or emulator ones)."""

    def __init__(self) -> None:
        self.exercised: Counter = Counter()  # operationId -> responses validated
        self.statuses: dict = {}  # operationId -> set of statuses validated
        self.notes: Counter = Counter()  # "operationId: note" -> times seen
        self.validated = 0
        self.faulted = 0
        self.sources: list[str] = []
        self.confirmed: list[str] = []
        self.contradicted: list[str] = []

    def add_checker(self, checker: "oc.ExchangeChecker", source: str) -> None:
        for (operation_id, status), count in checker.stats.by_operation.items():
            self.exercised[operation_id] += count
            self.statuses.setdefault(operation_id, set()).add(status)
        self.validated += checker.stats.checked
        self.faulted += checker.stats.faulted
        self.sources.append(f"{source}: {checker.stats.summary()}")
        self.notes.update(checker.notes)

    def add_result(self, result: "oc.Result") -> None:
        if result.operation is not None and result.status is not None:
            self.exercised[result.operation.operation_id] += 1
            self.statuses.setdefault(result.operation.operation_id, set()).add(result.status)
            for note in result.notes:
                self.notes[f"{result.operation.operation_id}: {note}"] += 1
        self.validated += 1

    def lines(self) -> list[str]:
        used = set(COLLECTION_OPERATIONS)
        out = [
            f"contract coverage: operations used by the collection {len(used)} / operations exercised "
            f"{len(self.exercised)} / responses validated {self.validated} (faulted skipped {self.faulted})"
        ]
        missing = sorted(used - set(self.exercised))
        extra = sorted(set(self.exercised) - used)
        if missing:
            out.append(f"contract coverage: used but not exercised: {', '.join(missing)}")
        if extra:
            out.append(f"contract coverage: exercised but not used by the collection: {', '.join(extra)}")
        if self.statuses:
            per_op = "; ".join(
                f"{op} {','.join(str(st) for st in sorted(self.statuses[op]))}" for op in sorted(self.statuses)
            )
            out.append(f"contract coverage: statuses validated: {per_op}")
        for source in self.sources:
            out.append(f"contract coverage: {source}")
        for note, count in self.notes.most_common(8):
            out.append(f"contract note (not a violation): {note} (x{count})")
        if self.confirmed or self.contradicted:
            out.append(
                f"contract assumptions: {len(self.confirmed)} confirmed, {len(self.contradicted)} contradicted "
                f"by the definition (contradicted: {', '.join(sorted(self.contradicted)) or 'none'})"
            )
        return out


COVERAGE = ContractCoverage()

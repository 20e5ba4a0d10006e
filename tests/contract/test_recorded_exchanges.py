"""Validate the Neon API exchanges the emulator recorded during the end-to-end tests.

The file is ``$NEON_CONTRACT_EXCHANGES``, else ``$NEON_EXCHANGES`` (set by ``make test-contract``), else
``.build/exchanges.jsonl``; one JSON object per line:
``{"request": {"method", "path", "query", "headers", "body"}, "response": {"status", "headers", "body"},
"fault": null | kind}``. Exchanges with a fault are deliberately broken and only counted. A missing or
empty file skips, except under CI or with NEON_CONTRACT_REQUIRE=1, where it fails.
"""

from __future__ import annotations

import copy
import json
import os
import time

import openapi_contract as oc
from contract_support import COVERAGE, FIXTURES_DIR, REPO_ROOT, skip_or_fail


def exchanges_path():
    for env in ("NEON_CONTRACT_EXCHANGES", "NEON_EXCHANGES"):
        if os.environ.get(env):
            return os.path.abspath(os.environ[env]), env
    return str(REPO_ROOT / ".build" / "exchanges.jsonl"), "default"


def test_recorded_exchanges_match_the_definition(contract):
    path, origin = exchanges_path()
    if not os.path.isfile(path) or os.path.getsize(path) == 0:
        skip_or_fail(
            f"no recorded exchanges: {path} ({origin}) is missing or empty; run the end-to-end tests with "
            f"NEON_EMULATOR_RECORD={path} first (make test-integration)"
        )
    checker = oc.ExchangeChecker(contract)
    checker.add_file(path)
    shown = os.path.relpath(path, REPO_ROOT) if path.startswith(str(REPO_ROOT) + os.sep) else path
    COVERAGE.add_checker(checker, f"recorded {shown}")
    if checker.stats.checked == 0 and not checker.failure_count:
        skip_or_fail(f"{path}: all {checker.stats.exchanges} exchanges are faulted, none to validate")
    assert checker.failure_count == 0, f"{path}:\n{checker.report()}"


# ---- the stream checker itself, on synthetic streams made from our fixtures --------------------------


def _fixture(name):
    with (FIXTURES_DIR / f"{name}.json").open(encoding="utf-8") as fh:
        return json.load(fh)["exchange"]


def synthetic_stream(count, page_size=10):
    """``count`` exchanges in the emulator's record format: list pages (distinct ids), project gets,
    transfers, errors, and every 50th one deliberately faulted."""
    page = _fixture("list-projects-page-with-maps")
    item = page["response"]["body"]["projects"][0]
    project = _fixture("project")
    transfer = _fixture("transfer-success-empty-object")
    not_found = _fixture("general-error-with-request-id")
    limits = _fixture("transfer-406-limits")
    out = []
    for n in range(count):
        kind = n % 5
        if n % 50 == 49:
            ex = copy.deepcopy(transfer)
            ex["response"] = {"status": 200, "headers": {}, "body": "{\"trunc"}
            ex["fault"] = "truncated_json"
        elif kind == 0:
            ex = copy.deepcopy(page)
            ids = [f"tenant-{(n * page_size + i):06d}" for i in range(page_size)]
            ex["response"]["body"] = {
                "projects": [dict(item, id=pid, name=pid) for pid in ids],
                "pagination": {"cursor": ids[-1]},
                "applications": {},
                "integrations": {ids[0]: ["github"]} if n % 3 == 0 else {},
            }
            ex["request"]["query"] = {"org_id": ["org-harbor-lights-40213377"], "limit": [str(page_size)], "cursor": [f"tenant-{n:06d}"]}
        elif kind == 1:
            ex = copy.deepcopy(project)
            pid = f"tenant-{n:06d}"
            ex["request"]["path"] = f"/api/v2/projects/{pid}"
            ex["response"]["body"]["project"].update(id=pid, name=pid, active_time_seconds=n)
        elif kind == 2:
            ex = copy.deepcopy(transfer)
            ex["request"]["body"] = {"destination_org_id": "org-quiet-ridge-58120094", "project_ids": [f"tenant-{n:06d}"]}
        elif kind == 3:
            ex = copy.deepcopy(not_found)
            ex["request"]["path"] = f"/api/v2/projects/gone-{n:06d}"
            ex["response"]["body"]["request_id"] = f"req-{n:08x}"
        else:
            ex = copy.deepcopy(limits)
        out.append(ex)
    return out


def test_stream_checker_counts_faulted_and_deduplicates(contract, tmp_path):
    stream = synthetic_stream(1000)
    path = tmp_path / "exchanges.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in stream) + "\n", encoding="utf-8")
    checker = oc.ExchangeChecker(contract)
    checker.add_file(path)
    stats = checker.stats
    assert checker.failure_count == 0, checker.report()
    assert stats.exchanges == 1000 and stats.faulted == 20 and stats.checked == 980
    assert stats.bodies_schema_validated + stats.bodies_deduplicated == 980
    assert stats.bodies_schema_validated < 200, checker.report()
    assert stats.operations == {"listProjects", "getProject", "transferProjectsFromOrgToOrg"}


def test_stream_checker_reports_unmatched_and_unparsable(contract, tmp_path):
    lines = [
        json.dumps({"request": {"method": "GET", "path": "/api/v2/projects/a/b/c/d"}, "response": {"status": 200, "body": {}}, "fault": None}),
        "{not json",
        json.dumps({"request": {"method": "PATCH", "path": "/api/v2/auth"}, "response": {"status": 200, "body": {}}, "fault": None}),
        json.dumps({"request": {"method": "GET", "path": "/api/v2/auth"},
                    "response": {"status": 200, "body": {"account_id": "x", "auth_method": "api_key_user"}}, "fault": None}),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    checker = oc.ExchangeChecker(contract)
    checker.add_file(path)
    assert checker.failure_count == 3, checker.report()
    assert checker.stats.unparsable == 1
    messages = checker.report()
    assert "no path template" in messages and "method PATCH is not documented for /auth" in messages and "not JSON" in messages


def test_stream_checker_speed(contract, tmp_path):
    """10k exchanges (list pages of 10 distinct projects, gets, transfers, errors, 2% faulted) must be
    checked, JSON parsing included, well within budget: about 2 s on an idle 2-core machine (100k: about
    16 s; without the shape deduplication 3 to 4 times slower, and far more with 400-project pages)."""
    stream = synthetic_stream(10_000)
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for ex in stream:
            fh.write(json.dumps(ex) + "\n")
    started = time.perf_counter()
    checker = oc.ExchangeChecker(contract)
    checker.add_file(path)
    elapsed = time.perf_counter() - started
    assert checker.failure_count == 0, checker.report()
    assert checker.stats.checked == 9_800
    assert checker.stats.bodies_deduplicated > 9_000
    assert elapsed < 15, f"{elapsed:.1f}s: {checker.stats.summary()}"

# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""neon_project_transfer end to end: ansible-playbook -> module -> loopback HTTP -> emulator."""

from __future__ import annotations

import math

import pytest

from harness import run_module
from scenarios import (ADA_KEY, BOB_KEY, DEST, LAUNCH, ORG_KEY, OTHER, PLAIN, PROJECT_KEY, SMALL, SRC, TWIN_A,
                       TWIN_B)

MODULE = "neon_ops.neon.neon_project_transfer"


def params(emu, **options):
    options.setdefault("api_key", ADA_KEY)
    options["api_url"] = emu.api_url
    return options


def moved_since(before, after):
    return {pid: (before.get(pid), owner) for pid, owner in after.items() if before.get(pid) != owner}


def assert_refused(emu, result, *needles):
    """A refusal: failed, nothing changed, no write sent, and the message names the offending value."""
    assert result.get("failed") is True, result
    assert result["changed"] is False
    assert emu.writes() == []
    for needle in needles:
        assert needle in result["msg"], (needle, result["msg"])


def test_check_mode_predicts_then_real_run_then_rerun_changes_nothing(emu):
    before = emu.ownership()
    args = params(emu, source_org_id=SRC, org_id=DEST, projects=PLAIN[:3] + ["p-dest-1"])

    predicted, proc = run_module(MODULE, args, check=True, diff=True)
    assert predicted["changed"] is True and not predicted.get("failed")
    assert predicted["transferred"] == PLAIN[:3]
    assert predicted["already_present"] == ["p-dest-1"]
    assert [b["outcome"] for b in predicted["batches"]] == ["planned"]
    assert emu.writes() == [] and emu.ownership() == before
    assert "+p-plain-1  (from %s)" % SRC in proc.stdout       # the diff, one line per moved project
    assert predicted["msg"].startswith("Would transfer 3 project(s)")

    emu.reset_log()
    done, _proc = run_module(MODULE, args)
    for key in ("changed", "transferred", "already_present", "blocked", "missing", "remaining"):
        assert done[key] == predicted[key], key
    assert moved_since(before, emu.ownership()) == {pid: (SRC, DEST) for pid in PLAIN[:3]}
    assert len(emu.writes()) == 1
    assert done["batches"][0]["outcome"] == "transferred"
    assert done["api_requests"] == len(emu.request_log)

    emu.reset_log()
    again, _proc = run_module(MODULE, args, check=False)
    assert again["changed"] is False and not again.get("failed")
    assert again["transferred"] == [] and sorted(again["already_present"]) == sorted(PLAIN[:3] + ["p-dest-1"])
    assert emu.writes() == []
    assert "already owned" in again["msg"]
    # The first pages of the source and the destination, read side by side, answer a rerun.
    assert again["api_requests"] == len(emu.request_log) == 2


def test_source_found_by_the_module_across_orgs(emu):
    before = emu.ownership()
    result, _proc = run_module(MODULE, params(emu, org_name="Destination", projects=["p-plain-1", "p-other-1"]))
    assert result["changed"] is True and not result.get("failed")
    assert moved_since(before, emu.ownership()) == {"p-plain-1": (SRC, DEST), "p-other-1": (OTHER, DEST)}
    assert sorted(b["source_org_id"] for b in result["batches"]) == sorted([SRC, OTHER])
    # A handful of ids: never a listing of the 900-project org; only the destination's first page is listed (it
    # answers a rerun alone). The key sees six other organizations, so each project is read, then searched (for
    # its integrations) in the organization it is in.
    listings = [r["query"] for r in emu.request_log if r["path"].endswith("/projects") and "search" not in r["query"]]
    assert [(q["org_id"], "cursor" in q) for q in listings] == [([DEST], False)]
    searches = sorted((r["query"]["org_id"][0], r["query"]["search"][0]) for r in emu.request_log
                      if "search" in r["query"])
    assert searches == [(OTHER, "p-other-1"), (SRC, "p-plain-1")]
    assert result["api_requests"] == 1 + 1 + 2 + 2 + 2  # organizations, that page, reads, searches, transfers


def test_many_ids_without_source_are_found_by_listing(emu):
    wanted = ["bulk-%06d" % n for n in range(1, 31)] + ["p-plain-2"]
    before = emu.ownership()
    result, _proc = run_module(MODULE, params(emu, org_id=DEST, projects=wanted))
    assert not result.get("failed"), result["msg"]
    assert set(moved_since(before, emu.ownership())) == set(wanted)
    assert not [r for r in emu.request_log if "/projects/" in r["path"] and r["method"] == "GET"]


def test_all_projects_in_capped_batches_within_the_request_bound(emu):
    before = emu.ownership()
    total = sum(1 for owner in before.values() if owner == OTHER)
    result, _proc = run_module(MODULE, params(emu, source_org_id=OTHER, org_id=DEST, all_projects=True,
                                              exclude=["bulk-000001"], batch_size=400))
    assert not result.get("failed"), result["msg"]
    assert len(result["transferred"]) == total - 1
    assert [len(b["project_ids"]) for b in result["batches"]] == [400, 400, total - 801]
    assert all(len(w["body"]["project_ids"]) <= 400 for w in emu.writes())
    assert emu.ownership()["bulk-000001"] == OTHER
    lower_bound = math.ceil((total + 1) / 400) + math.ceil((total - 1) / 400)
    assert result["api_requests"] <= lower_bound + 2
    assert result["api_requests"] == len(emu.request_log)


def test_integration_projects_are_never_sent_and_fail_the_task(emu):
    before = emu.ownership()
    result, _proc = run_module(MODULE, params(emu, source_org_id=SRC, org_id=DEST, all_projects=True))
    assert result.get("failed") is True and result["changed"] is True
    assert sorted((b["id"], b["integration"]) for b in result["blocked"]) == [
        ("p-github-1", "github"), ("p-vercel-1", "vercel")]
    sent = {pid for w in emu.writes() for pid in w["body"]["project_ids"]}
    assert "p-github-1" not in sent and "p-vercel-1" not in sent
    assert "p-datadog-1" in result["transferred"]      # datadog does not block a transfer
    assert set(moved_since(before, emu.ownership())) == set(result["transferred"])
    assert "skip_blocked" in result["msg"]


def test_a_handful_without_source_never_sends_an_integration_project(emu):
    """A project read alone does not show its integrations: the module searches it where it is before sending."""
    ids = ["p-plain-1", "p-github-1", "p-other-1"]
    before = emu.ownership()
    predicted, _proc = run_module(MODULE, params(emu, org_id=DEST, projects=ids, skip_blocked=True), check=True)
    emu.reset_log()
    done, _proc = run_module(MODULE, params(emu, org_id=DEST, projects=ids, skip_blocked=True))
    assert done["changed"] is predicted["changed"] is True
    for key in ("transferred", "already_present", "blocked", "missing", "remaining"):
        assert done[key] == predicted[key], key
    assert done["blocked"] == [{"id": "p-github-1", "integration": "github"}]
    assert moved_since(before, emu.ownership()) == {"p-plain-1": (SRC, DEST), "p-other-1": (OTHER, DEST)}
    assert sorted(pid for w in emu.writes() for pid in w["body"]["project_ids"]) == ["p-other-1", "p-plain-1"]
    assert all(w["status"] == 200 for w in emu.writes())


def test_a_handful_without_source_searches_each_other_org_when_there_are_at_most_two(emu):
    """Bob sees the source and the destination only: one search per id finds its owner and its integrations at
    once, so no project is read alone. Check mode, since Bob may not move projects out of the source."""
    ids = ["p-plain-1", "p-github-1", "p-dest-1"]
    predicted, _proc = run_module(MODULE, params(emu, api_key=BOB_KEY, org_id=DEST, projects=ids), check=True)
    assert predicted["transferred"] == ["p-plain-1"] and predicted["already_present"] == ["p-dest-1"]
    assert predicted["blocked"] == [{"id": "p-github-1", "integration": "github"}]
    calls = sorted((r["path"].rsplit("/", 1)[-1], r["query"].get("search", [""])[0]) for r in emu.request_log)
    # The organizations and the destination's first page, side by side, then one search per id not found there.
    assert calls == [("organizations", ""), ("projects", ""), ("projects", "p-github-1"),
                     ("projects", "p-plain-1")], calls
    assert predicted["api_requests"] == 4 and emu.writes() == []


def test_skip_blocked_reports_and_succeeds(emu):
    result, _proc = run_module(MODULE, params(emu, source_org_name="Source", org_id=DEST, all_projects=True,
                                              skip_blocked=True))
    assert not result.get("failed") and result["changed"] is True
    assert len(result["blocked"]) == 2
    again, _proc = run_module(MODULE, params(emu, source_org_name="Source", org_id=DEST, all_projects=True,
                                             skip_blocked=True))
    assert again["changed"] is False and len(again["blocked"]) == 2


@pytest.mark.parametrize("options, needles", [
    ({"projects": ["Bad_ID"]}, ["'Bad_ID'", "projects"]),
    ({"projects": ["ok-id", "with space"]}, ["'with space'"]),
    ({"projects": ["p-plain-1"], "batch_size": 0}, ["batch_size", "0"]),
    ({"projects": ["p-plain-1"], "batch_size": 401}, ["batch_size", "401"]),
    ({"projects": []}, ["projects is an empty list"]),
    ({"all_projects": True, "source_org_id": None}, ["all_projects needs the source"]),
    ({"source_org_id": DEST, "projects": ["p-plain-1"]}, ["same organization", DEST]),
    ({"source_org_id": "Org_Bad", "projects": ["p-plain-1"]}, ["'Org_Bad'"]),
])
def test_refusals_before_any_request(emu, options, needles):
    args = params(emu, source_org_id=SRC, org_id=DEST)
    args.update(options)
    args = {k: v for k, v in args.items() if v is not None}
    result, _proc = run_module(MODULE, args)
    assert_refused(emu, result, *needles)
    assert emu.request_log == [] and result["api_requests"] == 0


def test_plain_http_to_a_remote_host_is_refused(emu):
    args = params(emu, org_id=DEST, projects=["p-plain-1"])
    args["api_url"] = "http://console.neon.tech/api/v2"
    result, _proc = run_module(MODULE, args)
    assert_refused(emu, result, "http://console.neon.tech/api/v2", "only https")


def test_missing_projects_refused_before_any_write(emu):
    result, _proc = run_module(MODULE, params(emu, source_org_id=SRC, org_id=DEST,
                                              projects=["p-plain-1", "p-nope-1", "p-other-1"]))
    assert_refused(emu, result, "p-nope-1", "p-other-1")
    assert result["missing"] == ["p-nope-1", "p-other-1"]


@pytest.mark.parametrize("key", [ORG_KEY, PROJECT_KEY])
def test_org_and_project_scoped_keys_refused(emu, key):
    result, _proc = run_module(MODULE, params(emu, api_key=key, source_org_id=SRC, org_id=DEST, projects=["p-plain-1"]))
    assert_refused(emu, result, "personal API key", SRC)


@pytest.mark.parametrize("name, needles", [("Twin", [TWIN_A, TWIN_B]), ("Nobody", ["none", DEST, SRC])])
def test_org_name_must_match_exactly_one(emu, name, needles):
    result, _proc = run_module(MODULE, params(emu, org_name=name, source_org_id=SRC, projects=["p-plain-1"]))
    assert_refused(emu, result, repr(name), *needles)


def test_unknown_destination_refused(emu):
    result, _proc = run_module(MODULE, params(emu, org_id="org-nowhere-0001", source_org_id=SRC,
                                              projects=["p-plain-1"]))
    assert_refused(emu, result, "org-nowhere-0001")


def test_viewer_of_the_source_gets_a_clear_403(emu):
    result, _proc = run_module(MODULE, params(emu, api_key=BOB_KEY, source_org_id=SRC, org_id=DEST,
                                              projects=["p-plain-1"]))
    assert result.get("failed") is True and result["changed"] is False
    assert result["errors"][0]["status"] == 403
    assert "admin of the source" in result["msg"]
    assert result["remaining"] == ["p-plain-1"]


def test_406_plan_order_names_each_limit(emu):
    before = emu.ownership()
    result, _proc = run_module(MODULE, params(emu, source_org_id=SRC, org_id=SMALL, projects=["p-plain-1"]))
    assert result.get("failed") is True and result["changed"] is False
    error = result["errors"][0]
    assert error["status"] == 406
    assert {item["name"] for item in error["limits"]} >= {"subscription_type"}
    assert "subscription_type: expected" in result["msg"] and "upgrade" in result["msg"]
    assert emu.ownership() == before
    assert result["remaining"] == ["p-plain-1"]


def test_406_project_count_and_region(emu):
    result, _proc = run_module(MODULE, params(emu, source_org_id=LAUNCH, org_id=SMALL, batch_size=1,
                                              projects=["p-launch-000001", "p-launch-000002", "p-launch-000003"]))
    # SMALL has 1 project and room for 3: two batches land, the third fails; what moved stays reported.
    assert result.get("failed") is True and result["changed"] is True
    assert result["transferred"] == ["p-launch-000001", "p-launch-000002"]
    assert result["remaining"] == ["p-launch-000003"]
    assert [b["outcome"] for b in result["batches"]] == ["transferred", "transferred", "failed"]
    assert result["errors"][0]["limits"][0]["name"] == "projects_count"
    assert "projects_count" in result["msg"]


def test_406_region_not_offered_by_the_destination(emu):
    result, _proc = run_module(MODULE, params(emu, source_org_id=LAUNCH, org_id=SMALL, projects=["p-launch-eu"]))
    assert result.get("failed") is True and result["changed"] is False
    assert [item["name"] for item in result["errors"][0]["limits"]] == ["project_region"]
    assert "region" in result["msg"]
    assert emu.ownership()["p-launch-eu"] == LAUNCH


def test_personal_account_endpoint_while_it_exists(emu):
    before = emu.ownership()
    result, _proc = run_module(MODULE, params(emu, from_personal_account=True, org_id=DEST, projects=["p-legacy-1"]))
    assert not result.get("failed"), result["msg"]
    assert moved_since(before, emu.ownership()) == {"p-legacy-1": (None, DEST)}
    assert [w["path"] for w in emu.writes()] == ["/api/v2/users/me/projects/transfer"]
    again, _proc = run_module(MODULE, params(emu, from_personal_account=True, org_id=DEST, projects=["p-legacy-1"]))
    assert again["changed"] is False


def test_personal_account_endpoint_after_its_sunset(emulator_factory):
    emu = emulator_factory(personal_transfer="gone")
    result, _proc = run_module(MODULE, params(emu, from_personal_account=True, org_id=DEST, projects=["p-legacy-1"]))
    assert result.get("failed") is True and result["changed"] is False
    assert "migrated personal accounts to organizations" in result["msg"]
    assert "source_org_id" in result["msg"]

# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure planning rules, alone."""

from __future__ import annotations

import pytest

from ansible_collections.neon_ops.neon.plugins.module_utils import _planner as planner
from ansible_collections.neon_ops.neon.plugins.module_utils._planner import PERSONAL, Plan, PlanError

DEST = "org-dest-00000001"
SRC = "org-src-00000001"
OTHER = "org-other-0000001"


@pytest.mark.parametrize("value", ["UPPER", "has space", "tab\tid", "new\nline", "é-unicode", "", "a" * 61,
                                   "trailing\n", 12, None, ["x"]])
def test_check_id_rejects_and_names_the_value(value):
    with pytest.raises(PlanError) as err:
        planner.check_id(value, "projects")
    assert "projects" in str(err.value)
    assert repr(value) in str(err.value)


def test_check_id_accepts_the_pattern_edges():
    assert planner.check_id("a", "projects") == "a"
    assert planner.check_id("a" * 60, "projects") == "a" * 60
    assert planner.check_id("0-9-z", "projects") == "0-9-z"


def test_clean_ids_collapses_duplicates_in_first_order():
    ids, dups = planner.clean_ids(["b", "a", "b", "c", "a", "b"], "projects")
    assert ids == ["b", "a", "c"]
    assert dups == ["b", "a"]


def test_clean_ids_rejects_a_string_instead_of_a_list():
    with pytest.raises(PlanError, match="must be a list"):
        planner.clean_ids("abc", "projects")


@pytest.mark.parametrize("value", [0, 401, -1, True, "10", 1.5, None])
def test_batch_size_bounds(value):
    with pytest.raises(PlanError, match="batch_size"):
        planner.check_batch_size(value)


@pytest.mark.parametrize("value", [1, 200, 400])
def test_batch_size_accepts_1_to_400(value):
    assert planner.check_batch_size(value) == value


def test_plan_partitions_the_request():
    requested = ["p1", "p2", "p3", "p4", "p5", "p6"]
    owners = {"p1": SRC, "p2": DEST, "p3": SRC, "p4": OTHER, "p6": SRC}
    kinds = {"p3": ["datadog", "github"], "p6": ["opentelemetry"]}
    plan = Plan(requested, DEST, owners, kinds, sources={SRC}, batch_size=400)
    assert plan.already_present == ["p2"]
    assert plan.blocked == [{"id": "p3", "integration": "github", "source": SRC}]
    assert plan.missing == ["p4", "p5"]          # p4 is in a third org: not the given source
    assert plan.batches == [{"source": SRC, "project_ids": ["p1", "p6"]}]
    parts = plan.already_present + [b["id"] for b in plan.blocked] + plan.missing + plan.moving
    assert sorted(parts) == sorted(requested)


def test_plan_without_source_moves_from_every_org_but_not_a_personal_account():
    owners = {"a": SRC, "b": OTHER, "c": PERSONAL, "d": DEST}
    plan = Plan(["a", "b", "c", "d"], DEST, owners)
    assert plan.batches == [{"source": OTHER, "project_ids": ["b"]}, {"source": SRC, "project_ids": ["a"]}]
    assert plan.missing == ["c"]


def test_plan_from_personal_account():
    plan = Plan(["a", "b"], DEST, {"a": PERSONAL, "b": DEST}, sources={PERSONAL})
    assert plan.batches == [{"source": PERSONAL, "project_ids": ["a"]}]
    assert plan.already_present == ["b"]


def test_batches_are_capped_and_sorted():
    ids = ["p%04d" % i for i in range(1001)]
    plan = Plan(list(reversed(ids)), DEST, {pid: SRC for pid in ids}, batch_size=400)
    assert [len(b["project_ids"]) for b in plan.batches] == [400, 400, 201]
    assert plan.moving == ids


def test_converged_plan_has_no_batches():
    plan = Plan(["a", "b"], DEST, {"a": DEST, "b": DEST})
    assert plan.batches == [] and plan.already_present == ["a", "b"]


def test_vercel_blocks_and_applications_count_too():
    plan = Plan(["a"], DEST, {"a": SRC}, {"a": ["vercel"]})
    assert plan.blocked[0]["integration"] == "vercel"


def test_plan_order_and_downgrade():
    assert planner.plan_downgrade("scale", "launch")
    assert not planner.plan_downgrade("launch", "scale")
    assert not planner.plan_downgrade("scale", "scale")
    assert not planner.plan_downgrade("mystery", "free")   # unknown plans: no claim either way


def test_match_orgs_by_name_then_handle():
    orgs = [{"id": "o1", "name": "Platform", "handle": "platform-h"},
            {"id": "o2", "name": "Data", "handle": "data"},
            {"id": "o3", "name": "Data", "handle": "data-2"}]
    assert [o["id"] for o in planner.match_orgs(orgs, "Platform")] == ["o1"]
    assert [o["id"] for o in planner.match_orgs(orgs, "platform-h")] == ["o1"]
    assert [o["id"] for o in planner.match_orgs(orgs, "Data")] == ["o2", "o3"]
    assert planner.match_orgs(orgs, "nope") == []
    assert planner.describe_orgs(orgs[:1]) == "Platform (o1)"


def test_diff_shows_one_added_line_per_moved_project():
    diff = planner.ownership_diff(DEST, ["b"], ["a", "c"], {"a": SRC, "c": OTHER})
    assert diff["before"] == "b\n"
    assert diff["after"] == "a  (from %s)\nb\nc  (from %s)\n" % (SRC, OTHER)
    assert DEST in diff["before_header"] and DEST in diff["after_header"]


def test_summary_sentences():
    assert "already owned" in planner.summary(DEST, [], ["a", "b"], [], [], [], [], False, 0)
    text = planner.summary(DEST, ["a"], ["b"], [{"id": "c", "integration": "github"}], [], [], [], True, 1)
    assert text.startswith("Would transfer 1 project(s) to %s in 1 batch(es)" % DEST)
    assert "c (github)" in text
    many = planner.summary(DEST, [], [], [], [], ["p%d" % i for i in range(25)], [], False, 0)
    assert "25 NOT transferred" in many and "and 15 more" in many

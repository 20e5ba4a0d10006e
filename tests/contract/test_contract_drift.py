"""Drift detection: take valid exchanges, change them the way a drifting emulator or client would, and
check the validator fails with a message naming the operation, the status and the field."""

from __future__ import annotations

import copy
import json

import pytest

from contract_support import FIXTURES_DIR


def fixture_exchange(name):
    with (FIXTURES_DIR / f"{name}.json").open(encoding="utf-8") as fh:
        return json.load(fh)["exchange"]


def rename_cursor(ex):
    pagination = ex["response"]["body"]["pagination"]
    pagination["next_cursor"] = pagination.pop("cursor")


def drop_created_at(ex):
    del ex["response"]["body"]["projects"][1]["created_at"]


def legacy_transfer_body(ex):
    body = ex["request"]["body"]
    body["org_id"] = body.pop("destination_org_id")


def status_201(ex):
    ex["response"]["status"] = 201


def integration_error_as_406(ex):
    ex["response"]["status"] = 406
    ex["response"]["body"] = {"projects": [{"id": ex["request"]["body"]["project_ids"][0], "integration": "github"}]}


def cursor_as_number(ex):
    ex["response"]["body"]["pagination"]["cursor"] = 42


def limit_as_string_query_overflow(ex):
    ex["request"]["query"]["limit"] = ["1000"]


def pg_version_13(ex):
    ex["response"]["body"]["project"]["pg_version"] = 13


def project_org_id_uppercase(ex):
    ex["response"]["body"]["project"]["org_id"] = "ORG-Harbor"


def members_role_owner(ex):
    ex["response"]["body"]["members"][0]["member"]["role"] = "owner"


def bad_timestamp(ex):
    ex["response"]["body"]["projects"][0]["updated_at"] = "2024-03-06 10:00"


def get_with_a_body(ex):
    ex["request"]["body"] = {"org_id": "org-harbor-lights-40213377"}


def transfer_path_not_documented(ex):
    ex["request"]["path"] = ex["request"]["path"].replace("/projects/transfer", "/projects/move")


DRIFTS = [
    # (source fixture, drift, operationId, expected fields)
    ("list-projects-page-with-maps", rename_cursor, "listProjects", ["response.body.pagination.cursor"]),
    ("list-projects-page-with-maps", drop_created_at, "listProjects", ["response.body.projects[1].created_at"]),
    ("list-projects-page-with-maps", cursor_as_number, "listProjects", ["response.body.pagination.cursor"]),
    ("list-projects-page-with-maps", limit_as_string_query_overflow, "listProjects", ["request.query.limit"]),
    ("list-projects-page-with-maps", bad_timestamp, "listProjects", ["response.body.projects[0].updated_at"]),
    ("list-projects-page-with-maps", get_with_a_body, "listProjects", ["request.body"]),
    ("transfer-success-empty-object", legacy_transfer_body, "transferProjectsFromOrgToOrg", ["request.body.destination_org_id"]),
    ("transfer-success-empty-object", status_201, "transferProjectsFromOrgToOrg", ["response.body.code", "response.body.message"]),
    ("transfer-422-integrations", integration_error_as_406, "transferProjectsFromOrgToOrg", ["response.body.limits"]),
    ("transfer-success-empty-object", transfer_path_not_documented, None, ["request.path"]),
    ("project", pg_version_13, "getProject", ["response.body.project.pg_version"]),
    ("project", project_org_id_uppercase, "getProject", ["response.body.project.org_id"]),
    ("organization-members", members_role_owner, "getOrganizationMembers", ["response.body.members[0].member.role"]),
]


@pytest.mark.parametrize(("source", "drift", "operation_id", "fields"), DRIFTS, ids=[d[1].__name__ for d in DRIFTS])
def test_drift_is_reported_with_operation_and_field(contract, source, drift, operation_id, fields):
    exchange = fixture_exchange(source)
    assert contract.validate_exchange(exchange).ok, f"{source} must be valid before the drift"
    drifted = copy.deepcopy(exchange)
    drift(drifted)
    result = contract.validate_exchange(drifted)
    assert sorted(set(result.fields)) == sorted(fields), str(result)
    status = drifted["response"]["status"]
    for violation in result.violations:
        text = str(violation)
        assert violation.field in text
        if operation_id:
            op = contract.operations[operation_id]
            assert f"{operation_id} ({op.method} {op.template}) status {status}:" in text, text
        else:
            assert "no path template" in text or "not documented" in text, text


def test_wrong_status_names_the_undocumented_status(contract):
    drifted = fixture_exchange("transfer-success-empty-object")
    status_201(drifted)
    result = contract.validate_exchange(drifted)
    assert all("status 201 is not documented" in v.message and "GeneralError" in v.message for v in result.violations), str(result)


def test_top_level_next_cursor_is_only_a_note(contract):
    """The seed document's drift (pagination replaced by a top-level next_cursor) is not a violation
    of the definition: pagination is optional and extra fields are allowed. The validator flags it as a
    note; the client's own tests must cover it (stop rules in neon-api-facts.md 2.3)."""
    drifted = fixture_exchange("list-projects-page-with-maps")
    body = drifted["response"]["body"]
    body["next_cursor"] = body.pop("pagination")["cursor"]
    result = contract.validate_exchange(drifted)
    assert result.ok, str(result)
    assert "response.body.next_cursor" in {n.field for n in result.notes}


def test_recorded_stream_reports_drift_once_per_exchange(contract, tmp_path):
    """The stream checker (deduplicating by shape) still reports a drifted exchange hidden in a stream."""
    import openapi_contract as oc

    good = fixture_exchange("list-projects-page-with-maps")
    bad = copy.deepcopy(good)
    rename_cursor(bad)
    lines = [good] * 300 + [bad] + [good] * 300 + [bad]
    path = tmp_path / "exchanges.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    checker = oc.ExchangeChecker(contract)
    checker.add_file(path)
    assert checker.failure_count == 2, checker.report()
    assert [where for where, _violation in checker.failures] == ["exchanges.jsonl:301", "exchanges.jsonl:602"]
    assert all(v.field == "response.body.pagination.cursor" and v.operation_id == "listProjects" for _where, v in checker.failures)
    assert checker.stats.bodies_deduplicated > 500

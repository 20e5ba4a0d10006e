"""Tests of openapi_contract itself: on a tiny definition of our own, and on Neon's for matching."""

from __future__ import annotations

import copy
import json

import pytest

import openapi_contract as oc

# A tiny OpenAPI 3.0 definition written for these tests (not Neon's).
TINY = {
    "openapi": "3.0.3",
    "info": {"title": "tiny", "version": "1"},
    "servers": [{"url": "https://example.invalid/api/v9"}],
    "paths": {
        "/things": {
            "get": {
                "operationId": "listThings",
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 5}},
                    {"name": "flag", "in": "query", "schema": {"type": "boolean"}},
                    {"name": "tag", "in": "query", "schema": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}}},
                    {"name": "must", "in": "query", "required": True, "schema": {"type": "string", "pattern": "^[a-z]+$"}},
                    {"name": "X-Trace", "in": "header", "required": True, "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "headers": {"X-Count": {"required": True, "schema": {"type": "integer", "minimum": 0}}},
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Things"}}},
                    },
                    "4XX": {"description": "client error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Err"}}}},
                },
            },
            "post": {
                "operationId": "createThing",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                "responses": {"204": {"description": "created, no body"}, "default": {"$ref": "#/components/responses/Error"}},
            },
        },
        "/things/special": {"get": {"operationId": "special", "responses": {"200": {"description": "ok"}}}},
        "/things/{thing_id}": {
            "parameters": [{"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^t-[0-9]+$"}}],
            "get": {
                "operationId": "getThing",
                "deprecated": True,
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}},
            },
        },
    },
    "components": {
        "responses": {"Error": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Err"}}}}},
        "schemas": {
            "Err": {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}},
            "Thing": {
                "type": "object",
                "required": ["id", "name", "secret", "created_at"],
                "properties": {
                    "id": {"type": "string", "readOnly": True},
                    "secret": {"type": "string", "writeOnly": True},
                    "name": {"type": "string", "minLength": 1},
                    "note": {"type": "string", "nullable": True},
                    "size": {"type": "integer", "format": "int32", "nullable": True, "enum": [1, 2]},
                    "old": {"type": "string", "deprecated": True},
                    "created_at": {"type": "string", "format": "date-time"},
                    "owner": {"type": "string", "format": "uuid"},
                    "parent": {"$ref": "#/components/schemas/Thing"},
                    "kind": {"$ref": "#/components/schemas/Kind", "nullable": True, "description": "sibling of $ref: ignored"},
                    "meta": {"type": "object", "nullable": True, "allOf": [{"$ref": "#/components/schemas/Meta"}]},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "strict": {"type": "object", "additionalProperties": False, "properties": {"a": {"type": "integer"}}},
                    "either": {"oneOf": [{"type": "integer"}, {"type": "string", "maxLength": 2}]},
                },
            },
            "Kind": {"type": "string", "enum": ["x", "y"]},
            "Meta": {"type": "object", "required": ["v"], "properties": {"v": {"type": "integer"}}},
            "Things": {
                "allOf": [
                    {"type": "object", "required": ["things"], "properties": {"things": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}}},
                    {"type": "object", "properties": {"next": {"type": "string", "minLength": 1}}},
                ]
            },
        },
    },
}

GOOD_THING = {"id": "t-1", "name": "one", "created_at": "2024-05-01T10:00:00Z"}


def exchange(method="GET", path="/api/v9/things", query=None, headers=None, body=None, status=200, resp_headers=None, resp_body=None):
    return {
        "request": {"method": method, "path": path, "query": query or {}, "headers": headers or {}, "body": body},
        "response": {"status": status, "headers": resp_headers or {}, "body": resp_body},
        "fault": None,
    }


def list_exchange(**over):
    base = {
        "query": {"must": ["abc"]},
        "headers": {"X-Trace": "t"},
        "resp_headers": {"X-Count": "1", "Content-Type": "application/json"},
        "resp_body": {"things": [dict(GOOD_THING)]},
    }
    base.update(over)
    return exchange(**base)


@pytest.fixture(name="tiny")
def tiny_fixture():
    return oc.OpenAPIContract(copy.deepcopy(TINY), source="tiny")


def test_valid_list_exchange(tiny):
    result = tiny.validate_exchange(list_exchange())
    assert result.ok, str(result)
    assert result.operation.operation_id == "listThings"
    assert result.response_key == "200"


def test_matching_prefers_literal_segments_and_reports_methods(tiny):
    assert tiny.match("GET", "/api/v9/things/special")[0].operation_id == "special"
    op, params, _reason = tiny.match("GET", "/api/v9/things/t-7")
    assert op.operation_id == "getThing" and params == {"thing_id": "t-7"}
    op, _params, reason = tiny.match("DELETE", "/api/v9/things/t-7")
    assert op is None and "DELETE" in reason and "GET" in reason
    assert tiny.match("GET", "/api/v8/things")[0] is None
    assert tiny.match("GET", "/api/v9/nothing")[0] is None


def test_unmatched_exchange_is_a_violation(tiny):
    result = tiny.validate_exchange(exchange(path="/api/v9/nothing"))
    assert result.fields == ["request.path"]


def test_query_parameters(tiny):
    result = tiny.validate_exchange(list_exchange(query={"must": ["abc"], "limit": ["6"], "flag": ["yes"], "tag": ["a", "c"], "zzz": ["1"]}))
    assert sorted(result.fields) == ["request.query.flag", "request.query.limit", "request.query.tag[1]", "request.query.zzz"]
    assert any("unknown query parameter" in v.message for v in result.violations)
    assert tiny.validate_exchange(list_exchange(query={"must": ["abc"], "limit": ["x"]})).fields == ["request.query.limit"]
    assert tiny.validate_exchange(list_exchange(query={"must": ["abc"], "limit": ["1", "2"]})).fields == ["request.query.limit"]
    assert tiny.validate_exchange(list_exchange(query={})).fields == ["request.query.must"]
    assert tiny.validate_exchange(list_exchange(query={"must": ["ABC"]})).fields == ["request.query.must"]
    assert tiny.validate_exchange(list_exchange(query={"must": ["abc"], "limit": ["5"], "flag": ["true"], "tag": ["a", "b"]})).ok


def test_query_string_in_path_is_understood(tiny):
    ex = list_exchange(query=None)
    ex["request"]["path"] = "/api/v9/things?must=abc&limit=2"
    assert tiny.validate_exchange(ex).ok


def test_header_parameter_and_required_response_header(tiny):
    assert tiny.validate_exchange(list_exchange(headers={})).fields == ["request.headers.X-Trace"]
    assert tiny.validate_exchange(list_exchange(headers={"x-trace": "t"})).ok  # case-insensitive
    assert tiny.validate_exchange(list_exchange(resp_headers={})).fields == ["response.headers.X-Count"]
    assert tiny.validate_exchange(list_exchange(resp_headers={"X-Count": "-1"})).fields == ["response.headers.X-Count"]


def test_path_parameter_pattern(tiny):
    result = tiny.validate_exchange(exchange(path="/api/v9/things/nope", resp_body=dict(GOOD_THING)))
    assert result.fields == ["request.path.thing_id"]


def test_status_range_default_and_undocumented(tiny):
    assert tiny.validate_exchange(list_exchange(status=404, resp_body={"message": "no"})).response_key == "4XX"
    result = tiny.validate_exchange(list_exchange(status=500, resp_body={"message": "boom"}))
    assert result.fields == ["response.status"]
    assert "not documented" in result.violations[0].message and "no default" in result.violations[0].message
    created = exchange(method="POST", body={"name": "n", "secret": "s", "created_at": "2024-05-01T10:00:00Z"}, status=418, resp_body={})
    result = tiny.validate_exchange(created)
    assert result.response_key == "default"
    assert result.fields == ["response.body.message"]
    assert "`default` = Error" in result.violations[0].message


def test_request_body_rules(tiny):
    body = {"name": "n", "secret": "s", "created_at": "2024-05-01T10:00:00Z"}
    assert tiny.validate_exchange(exchange(method="POST", body=body, status=204)).ok
    # readOnly: not required in a request, and rejected when sent
    assert tiny.validate_exchange(exchange(method="POST", body=dict(body, id="t-1"), status=204)).fields == ["request.body.id"]
    assert tiny.validate_exchange(exchange(method="POST", body=None, status=204)).fields == ["request.body"]
    assert tiny.validate_exchange(exchange(method="POST", body=dict(body, name=""), status=204)).fields == ["request.body.name"]
    assert tiny.validate_exchange(exchange(method="POST", body="{not json", status=204)).fields == ["request.body"]
    assert tiny.validate_exchange(exchange(method="POST", body=body, status=204, resp_body={"x": 1})).fields == ["response.body"]
    assert tiny.validate_exchange(list_exchange(body={"x": 1})).fields == ["request.body"]  # GET documents no body
    result = tiny.validate_exchange(exchange(method="POST", body=dict(body, old="v"), status=204))
    assert result.ok and [n.field for n in result.notes] == ["request.body.old"]


def test_response_schema_oas30_specifics(tiny):
    def check(thing, status=200):
        return tiny.validate_exchange(exchange(path="/api/v9/things/t-1", status=status, resp_body=thing))

    assert check(GOOD_THING).ok
    # writeOnly: not required in a response, rejected when present
    assert check(dict(GOOD_THING, secret="s")).fields == ["response.body.secret"]
    # nullable
    assert check(dict(GOOD_THING, note=None)).ok
    assert check(dict(GOOD_THING, name=None)).fields == ["response.body.name"]
    assert check(dict(GOOD_THING, size=None)).ok  # nullable wins over enum
    assert check(dict(GOOD_THING, size=3)).fields == ["response.body.size"]
    assert check(dict(GOOD_THING, meta=None)).ok  # nullable with allOf
    assert check(dict(GOOD_THING, meta={})).fields == ["response.body.meta.v"]
    # $ref siblings are ignored (OAS 3.0): nullable next to $ref does not make null valid
    assert check(dict(GOOD_THING, kind=None)).fields == ["response.body.kind"]
    # formats
    assert check(dict(GOOD_THING, created_at="2024-13-01T00:00:00Z")).fields == ["response.body.created_at"]
    assert check(dict(GOOD_THING, created_at="2024-05-01 10:00:00")).fields == ["response.body.created_at"]
    assert check(dict(GOOD_THING, owner="not-a-uuid")).fields == ["response.body.owner"]
    assert check(dict(GOOD_THING, owner="3b8c1e52-9d47-4f0a-b6e2-5a1c7d9e0f13")).ok
    too_big = check(dict(GOOD_THING, size=2**40))  # int32 and enum
    assert sorted((v.field, v.keyword) for v in too_big.violations) == [("response.body.size", "enum"), ("response.body.size", "format")]
    # recursion through $ref, required inside nested objects
    assert check(dict(GOOD_THING, parent={"id": "t-2", "name": "p"})).fields == ["response.body.parent.created_at"]
    # additionalProperties as written
    assert check(dict(GOOD_THING, labels={"a": "b"}, extra=1)).ok
    assert check(dict(GOOD_THING, labels={"a": 1})).fields == ["response.body.labels.a"]
    assert check(dict(GOOD_THING, strict={"a": 1, "b": 2})).fields == ["response.body.strict.b"]
    # oneOf: the closest alternative is reported
    assert check(dict(GOOD_THING, either="abc")).fields == ["response.body.either"]
    assert check(dict(GOOD_THING, either=3)).ok
    # deprecated operation: a note, not a violation
    result = check(GOOD_THING)
    assert result.ok and any("deprecated" in n.message for n in result.notes)
    # the undocumented field shows up as a note
    assert [n.field for n in check(dict(GOOD_THING, extra=1)).notes if "not in the definition" in n.message] == ["response.body.extra"]


def test_allof_and_list_item_field_paths(tiny):
    result = tiny.validate_exchange(list_exchange(resp_body={"things": [GOOD_THING, {"id": "t-2", "name": "x"}], "next": ""}))
    assert sorted(result.fields) == ["response.body.next", "response.body.things[1].created_at"]
    by_field = {v.field: v for v in result.violations}
    assert by_field["response.body.next"].spec_location == "#/components/schemas/Things/allOf/1/properties/next/minLength"
    assert by_field["response.body.things[1].created_at"].spec_location == "#/components/schemas/Thing/required"


def test_message_names_operation_status_and_field(tiny):
    result = tiny.validate_exchange(list_exchange(resp_body={"things": [{"id": "t-2", "name": "x"}]}))
    text = str(result.violations[0])
    for part in ("listThings", "GET /things", "status 200", "response.body.things[0].created_at"):
        assert part in text


def test_non_json_and_empty_response_bodies(tiny):
    assert tiny.validate_exchange(list_exchange(resp_body="<html>")).fields == ["response.body"]
    assert tiny.validate_exchange(list_exchange(resp_body=None)).fields == ["response.body"]
    assert tiny.validate_exchange(list_exchange(resp_headers={"X-Count": "1", "Content-Type": "text/html"})).fields == ["response.headers.content-type"]
    assert tiny.validate_exchange(list_exchange(resp_body=json.dumps({"things": []}))).ok  # raw JSON text is parsed


def test_authorization_values_never_in_messages(tiny):
    spec = copy.deepcopy(TINY)
    spec["paths"]["/things"]["get"]["parameters"].append(
        {"name": "Authorization", "in": "header", "schema": {"type": "string", "pattern": "^Bearer [a-z]+$"}}
    )
    contract = oc.OpenAPIContract(spec)
    result = contract.validate_exchange(list_exchange(headers={"X-Trace": "t", "Authorization": "Bearer SECRET-KEY-123"}))
    assert result.fields == ["request.headers.Authorization"]
    assert "SECRET" not in str(result)


def test_body_shape_abstraction():
    a = {"projects": [{"id": "amber-field-40918273", "n": 3}], "integrations": {"amber-field-40918273": ["github"]}}
    b = {"projects": [{"id": "cold-river-11223344", "n": 3}], "integrations": {"cold-river-11223344": ["github"]}}
    maps = {("integrations",)}
    assert oc.body_shape(a, maps) == oc.body_shape(b, maps)
    assert oc.body_shape(a, maps) != oc.body_shape(dict(b, integrations={"cold-river-11223344": ["vercel"]}), maps)
    assert oc.body_shape({"id": "amber-field-40918273"}) != oc.body_shape({"id": "Amber-field-40918273"})
    assert oc.body_shape({"c": ""}) != oc.body_shape({"c": "x"})
    assert oc.body_shape({"k": "github"}) != oc.body_shape({"k": "gitlab"})


def test_neon_definition_loads_and_has_the_base_path(contract):
    assert contract.base_path == "/api/v2"
    assert len(contract.operations) > 100
    op, params, _reason = contract.match("POST", "/api/v2/organizations/org-x/projects/transfer")
    assert op.operation_id == "transferProjectsFromOrgToOrg" and params == {"source_org_id": "org-x"}
    assert contract.match("GET", "/api/v2/projects/shared")[0].operation_id == "listSharedProjects"
    assert contract.match("GET", "/api/v2/projects/shy-leaf-1")[0].operation_id == "getProject"


def test_collection_operations_exist_in_the_definition(contract, collection_operations):
    problems = []
    for operation_id, (method, template) in collection_operations.items():
        op = contract.operations.get(operation_id)
        if op is None:
            problems.append(f"{operation_id}: no such operationId in {contract.source}")
        elif (op.method, op.template) != (method, template):
            problems.append(f"{operation_id}: is {op.method} {op.template} in the definition, the list says {method} {template}")
    assert not problems, "\n".join(problems)
    assert contract.operations["transferProjectsFromUserToOrg"].deprecated


def test_spec_path_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(oc.SPEC_ENV, str(tmp_path / "x.json"))
    assert oc.default_spec_path() == tmp_path / "x.json"
    with pytest.raises(oc.SpecNotFound):
        oc.OpenAPIContract.load()
    (tmp_path / "x.json").write_text(json.dumps(TINY))
    assert oc.OpenAPIContract.load().base_path == "/api/v9"


def test_direct_response_and_request_body_helpers(contract):
    assert contract.validate_response("transferProjectsFromOrgToOrg", 200, {}).ok
    result = contract.validate_response("listProjects", 200, {"projects": [], "applications": {}})
    assert result.fields == ["response.body.integrations"]
    assert contract.validate_request_body("transferProjectsFromOrgToOrg", {"destination_org_id": "org-b", "project_ids": ["p-1"]}).ok
    assert contract.validate_request_body("transferProjectsFromOrgToOrg", {"destination_org_id": "org-b"}).fields == ["request.body.project_ids"]

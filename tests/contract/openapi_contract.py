"""Validate recorded Neon API exchanges against Neon's OpenAPI 3.0 definition.

A small, dependency-light library for the contract tests (only ``jsonschema`` and ``referencing``,
both already pinned for the test tooling). It never ships or copies the definition: the definition
is read at run time from ``../shared/neon-openapi/neon-openapi-v2.json`` relative to the repository
root, or from the file named by the environment variable ``NEON_OPENAPI_SPEC``.

What it does
------------
* ``OpenAPIContract.load()`` reads the definition; ``$ref`` s are resolved lazily (parameters,
  request bodies and responses by JSON pointer; schemas through a ``referencing`` registry, so
  recursive schemas are fine).
* ``contract.match(method, path)`` maps ``GET /api/v2/projects/shy-leaf-1`` to its operation by path
  template (literal segments win over templated ones, e.g. ``/projects/shared`` over
  ``/projects/{project_id}``).
* ``contract.validate_exchange(exchange)`` checks one exchange
  ``{"request": {"method", "path", "query": {k: [v, ...]}, "headers", "body"},
  "response": {"status", "headers", "body"}}``:

  - path parameters (type, pattern), query parameters (type coercion from strings, min/max,
    pattern, enum, unknown parameter = violation, repeated non-array parameter = violation),
    documented header parameters;
  - the request body against the operation's ``requestBody`` (missing required body, body sent to an
    operation that documents none, media type);
  - the response status against the documented statuses (exact code, then ``4XX`` style ranges, then
    ``default``; an undocumented status with no ``default`` is a violation; ``default`` here is
    ``GeneralError``);
  - the response body against the schema, and the documented response headers marked ``required``.

* OpenAPI 3.0 specifics (an OAS 3.0 dialect built on jsonschema's Draft 4 machinery):
  ``nullable`` (null allowed only with ``nullable: true``; honoured by ``type``, ``enum``, ``format``,
  ``allOf``/``anyOf``/``oneOf`` of the same schema object), ``$ref`` siblings ignored (OAS 3.0 rule),
  ``allOf``/``anyOf``/``oneOf``, ``format`` (date-time, date, email, uuid, uri, int32, int64, uint64,
  float, double, byte; unknown formats are annotations), ``readOnly`` (not required in and rejected from
  requests), ``writeOnly`` (not required in and rejected from responses), ``deprecated`` (a note, never
  a violation), ``additionalProperties`` exactly as written (absent = extra fields allowed; such
  undocumented fields are reported as notes, not violations). Keywords OAS 3.0 does not have
  (``patternProperties``, ``dependencies``, ``additionalItems``, ``id``) are ignored.

Every ``Violation`` names the operation (operationId, method, path template), the response status,
the field path (``response.body.pagination.cursor``, ``request.query.limit``,
``request.path.org_id``, ``request.body.project_ids[3]``) and the location of the violated keyword in
the definition (``#/components/schemas/Pagination/properties/cursor/minLength``). Header values are
never included in messages (requests carry API keys).

``ExchangeChecker`` validates a stream of exchanges quickly: request-side checks run for every
exchange (cached by value), response bodies are schema-validated once per distinct
(operation, status, body shape) after the first few of each (operation, status).

Run as a script to check a JSONL file: ``python tests/contract/openapi_contract.py FILE``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import json
import os
import re
import sys
import time
import uuid as _uuid
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import parse_qs, unquote, urlsplit

import referencing
from jsonschema import Draft4Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError, best_match

SPEC_ENV = "NEON_OPENAPI_SPEC"
SPEC_RELATIVE = Path("..") / "shared" / "neon-openapi" / "neon-openapi-v2.json"
REPO_ROOT = Path(__file__).resolve().parents[2]
_SPEC_URI = "urn:neon-openapi-definition"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_SENSITIVE_HEADERS = {"authorization", "cookie", "set-cookie", "x-api-key"}


class SpecNotFound(FileNotFoundError):
    """The OpenAPI definition is not where it is expected."""


def default_spec_path(repo_root: Path | None = None) -> Path:
    """``$NEON_OPENAPI_SPEC`` if set, else ``<repo root>/../shared/neon-openapi/neon-openapi-v2.json``."""
    env = os.environ.get(SPEC_ENV)
    if env:
        return Path(env).expanduser()
    return ((repo_root or REPO_ROOT) / SPEC_RELATIVE).resolve()


# --------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Violation:
    operation_id: str | None
    method: str
    template: str | None
    status: int | None
    field: str
    message: str
    keyword: str = ""
    spec_location: str = ""

    def __str__(self) -> str:
        op = self.operation_id or "<no operation>"
        where = f"{op} ({self.method} {self.template or '?'})"
        status = f"status {self.status}" if self.status is not None else "status ?"
        tail = ""
        if self.keyword or self.spec_location:
            tail = f" [{self.keyword}{' at ' if self.keyword and self.spec_location else ''}{self.spec_location}]"
        return f"{where} {status}: {self.field}: {self.message}{tail}"


@dataclasses.dataclass(frozen=True)
class Note:
    """Something worth knowing that is not a contract violation (deprecation, undocumented field)."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclasses.dataclass
class Result:
    operation: "Operation | None"
    status: int | None
    response_key: str | None = None  # "200", "4XX", "default" or None
    violations: list[Violation] = dataclasses.field(default_factory=list)
    notes: list[Note] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def fields(self) -> list[str]:
        return [v.field for v in self.violations]

    def __str__(self) -> str:
        if self.ok:
            return "ok"
        return "\n".join(str(v) for v in self.violations)


@dataclasses.dataclass
class Operation:
    operation_id: str
    method: str  # upper case
    template: str  # "/projects/{project_id}"
    pointer: str  # "#/paths/~1projects~1{project_id}/get"
    definition: dict
    parameters: dict  # (in, name) -> (param dict, pointer)
    regex: re.Pattern
    literal_segments: int

    @property
    def deprecated(self) -> bool:
        return bool(self.definition.get("deprecated"))

    @property
    def sunset(self) -> str | None:
        return self.definition.get("x-sunset")

    @property
    def statuses(self) -> list[str]:
        return list(self.definition.get("responses", {}))

    def __repr__(self) -> str:
        return f"<Operation {self.operation_id} {self.method} {self.template}>"


# --------------------------------------------------------------------------------------------------
# JSON pointer helpers
# --------------------------------------------------------------------------------------------------


def _esc(token: Any) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def _unesc(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def pointer_join(pointer: str, *tokens: Any) -> str:
    return pointer + "".join("/" + _esc(t) for t in tokens)


def field_path(prefix: str, path: Iterable[Any]) -> str:
    """``("pagination", "cursor")`` -> ``prefix.pagination.cursor``; list indices as ``[3]``."""
    out = prefix
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}"
    return out


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------------------------------
# The OAS 3.0 schema dialect (on jsonschema's Draft 4 keywords)
# --------------------------------------------------------------------------------------------------

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
_FULL_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _is_datetime(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    m = _RFC3339.match(value)
    if not m:
        return False
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    try:
        _dt.date(year, month, day)
    except ValueError:
        return False
    return hour < 24 and minute < 60 and second <= 60  # 60: leap second


def _is_date(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    m = _FULL_DATE.match(value)
    if not m:
        return False
    try:
        _dt.date(*(int(m.group(i)) for i in range(1, 4)))
    except ValueError:
        return False
    return True


def _is_email(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    local, sep, domain = value.rpartition("@")
    return bool(sep and local and domain) and not any(c.isspace() for c in value)


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    try:
        _uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36 and all(value[i] == "-" for i in (8, 13, 18, 23))


def _is_uri(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and re.match(r"^[A-Za-z][A-Za-z0-9+.-]*$", parts.scheme) is not None and " " not in value


def _int_range(lo: int, hi: int):
    def check(value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int):
            return True
        return lo <= value <= hi

    return check


def _is_byte(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    import base64
    import binascii

    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _is_float_or_double(value: Any) -> bool:
    return True  # any JSON number is acceptable; precision is not observable here


def oas30_format_checker() -> FormatChecker:
    fc = FormatChecker(formats=())
    fc.checks("date-time")(_is_datetime)
    fc.checks("date")(_is_date)
    fc.checks("email")(_is_email)
    fc.checks("uuid")(_is_uuid)
    fc.checks("uri")(_is_uri)
    fc.checks("int32")(_int_range(-(2**31), 2**31 - 1))
    fc.checks("int64")(_int_range(-(2**63), 2**63 - 1))
    fc.checks("uint64")(_int_range(0, 2**64 - 1))
    fc.checks("float")(_is_float_or_double)
    fc.checks("double")(_is_float_or_double)
    fc.checks("byte")(_is_byte)
    return fc


_D4 = Draft4Validator.VALIDATORS
_OAS30_UNSUPPORTED = {"patternProperties", "dependencies", "additionalItems"}


def _nullable_ok(instance: Any, schema: dict) -> bool:
    return instance is None and schema.get("nullable") is True


def _wrap_nullable(keyword_fn):
    def fn(validator, value, instance, schema):
        if _nullable_ok(instance, schema):
            return
        if instance is None and "type" in schema:
            return  # `type` reports the null once
        yield from keyword_fn(validator, value, instance, schema)

    return fn


def _type(validator, types, instance, schema):
    if instance is None:
        if schema.get("nullable") is True:
            return
        yield ValidationError(f"null is not allowed here (type {types!r}, not nullable)")
        return
    types = types if isinstance(types, list) else [types]
    if not any(validator.is_type(instance, t) for t in types):
        yield ValidationError(f"{_short(instance, 60)} is not of type {', '.join(map(repr, types))}")


def _make_dialect(deref, mode: str):
    """An OAS 3.0 schema validator class; ``mode`` is ``"request"`` or ``"response"``."""

    skip_flag = "readOnly" if mode == "request" else "writeOnly"

    def _flag(subschema: Any, flag: str) -> bool:
        if not isinstance(subschema, dict):
            return False
        if "$ref" in subschema:
            subschema = deref(subschema["$ref"]) or {}
        return subschema.get(flag) is True

    def required(validator, required_, instance, schema):
        if not validator.is_type(instance, "object"):
            return
        props = schema.get("properties", {})
        for name in required_:
            if name not in instance and not _flag(props.get(name), skip_flag):
                yield ValidationError(f"{name!r} is a required property")

    def properties(validator, properties_, instance, schema):
        if not validator.is_type(instance, "object"):
            return
        for name, subschema in properties_.items():
            if name in instance:
                if _flag(subschema, skip_flag):
                    side = "a request" if mode == "request" else "a response"
                    yield ValidationError(
                        f"{name!r} is {skip_flag} and must not appear in {side}",
                        validator="properties",
                        path=[name],
                    )
                    continue
                yield from validator.descend(instance[name], subschema, path=name, schema_path=name)

    keywords = {k: v for k, v in _D4.items() if k not in _OAS30_UNSUPPORTED}
    keywords.update(
        {
            "type": _type,
            "required": required,
            "properties": properties,
            "enum": _wrap_nullable(_D4["enum"]),
            "format": _wrap_nullable(_D4["format"]),
            "allOf": _wrap_nullable(_D4["allOf"]),
            "anyOf": _wrap_nullable(_D4["anyOf"]),
            "oneOf": _wrap_nullable(_D4["oneOf"]),
        }
    )
    return validators.create(
        meta_schema=Draft4Validator.META_SCHEMA,
        validators=keywords,
        type_checker=Draft4Validator.TYPE_CHECKER,
        format_checker=oas30_format_checker(),
        id_of=lambda schema: "",
        applicable_validators=Draft4Validator._APPLICABLE_VALIDATORS,  # $ref siblings ignored (OAS 3.0)
    )


_OPAQUE_DOC = referencing.Specification(
    name="openapi-3.0-document",
    id_of=lambda contents: None,
    subresources_of=lambda contents: iter(()),
    anchors_in=lambda specification, contents: [],
    maybe_in_subresource=lambda segments, resolver, subresource: resolver,
)


# --------------------------------------------------------------------------------------------------
# Query value coercion (style form, explode true: the OAS 3.0 default for query parameters)
# --------------------------------------------------------------------------------------------------

_INT_RE = re.compile(r"^-?\d+$")
_NUM_RE = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class _Uncoercible(Exception):
    pass


def _coerce(raw: str, schema_type: str | None) -> Any:
    if schema_type == "integer":
        if not _INT_RE.match(raw):
            raise _Uncoercible(f"{raw!r} is not an integer")
        return int(raw)
    if schema_type == "number":
        if not _NUM_RE.match(raw):
            raise _Uncoercible(f"{raw!r} is not a number")
        return float(raw) if any(c in raw for c in ".eE") else int(raw)
    if schema_type == "boolean":
        if raw not in ("true", "false"):
            raise _Uncoercible(f"{raw!r} is not a boolean (true|false)")
        return raw == "true"
    return raw


# --------------------------------------------------------------------------------------------------
# The contract
# --------------------------------------------------------------------------------------------------


class OpenAPIContract:
    def __init__(self, spec: dict, source: str = "<dict>"):
        if not str(spec.get("openapi", "")).startswith("3.0"):
            raise ValueError(f"{source}: not an OpenAPI 3.0 definition (openapi={spec.get('openapi')!r})")
        self.spec = spec
        self.source = source
        servers = spec.get("servers") or [{"url": "/"}]
        self.base_path = urlsplit(servers[0]["url"]).path.rstrip("/")  # "/api/v2"
        self._registry = referencing.Registry().with_resource(_SPEC_URI, _OPAQUE_DOC.create_resource(spec))
        self._dialects = {
            "request": _make_dialect(self.deref, "request"),
            "response": _make_dialect(self.deref, "response"),
        }
        self._validators: dict[tuple[str, str], Any] = {}
        self._value_cache: dict[tuple, tuple] = {}
        self._match_cache: dict[tuple[str, str], tuple] = {}
        self.operations: dict[str, Operation] = {}
        self._by_segments: dict[int, list[Operation]] = {}
        self._index()

    # ---- loading ------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path | None = None) -> "OpenAPIContract":
        p = Path(path) if path else default_spec_path()
        if not p.is_file():
            raise SpecNotFound(
                f"Neon OpenAPI definition not found at {p} (set {SPEC_ENV} or provide {SPEC_RELATIVE} "
                f"relative to the repository root)"
            )
        with p.open("rb") as fh:
            return cls(json.load(fh), source=str(p))

    # ---- $ref resolution ------------------------------------------------------------------------

    def resolve_pointer(self, pointer: str) -> Any:
        if not pointer.startswith("#"):
            raise ValueError(f"only local references are supported: {pointer!r}")
        node: Any = self.spec
        if pointer in ("#", "#/"):
            return node
        for token in pointer[2:].split("/"):
            token = _unesc(unquote(token))
            node = node[int(token)] if isinstance(node, list) else node[token]
        return node

    def deref(self, ref: str) -> Any:
        try:
            return self.resolve_pointer(ref)
        except (KeyError, IndexError, ValueError):
            return None

    def follow(self, obj: Any, pointer: str) -> tuple[Any, str]:
        """Follow ``$ref`` chains of a non-schema object (parameter, response, request body)."""
        seen = set()
        while isinstance(obj, dict) and "$ref" in obj:
            pointer = obj["$ref"]
            if pointer in seen:
                raise ValueError(f"circular $ref {pointer}")
            seen.add(pointer)
            obj = self.resolve_pointer(pointer)
        return obj, pointer

    def resolve_schema(self, schema: Any, depth: int = 0) -> Any:
        """The schema object a (chain of) ``$ref`` points at (siblings of ``$ref`` are ignored)."""
        while isinstance(schema, dict) and "$ref" in schema and depth < 64:
            schema = self.deref(schema["$ref"])
            depth += 1
        return schema

    # ---- schema validation ----------------------------------------------------------------------

    def validator(self, schema_pointer: str, mode: str = "response"):
        key = (schema_pointer, mode)
        v = self._validators.get(key)
        if v is None:
            cls = self._dialects[mode]
            v = cls({"$ref": _SPEC_URI + schema_pointer}, registry=self._registry, format_checker=cls.FORMAT_CHECKER)
            self._validators[key] = v
        return v

    def schema_errors(self, schema_pointer: str, instance: Any, mode: str = "response") -> list[tuple[list, str, str, str]]:
        """``[(instance path, message, keyword, spec location)]`` for ``instance`` against the schema."""
        out: list[tuple[list, str, str, str]] = []
        seen = set()
        for err in self.validator(schema_pointer, mode).iter_errors(instance):
            for path, message, keyword, location in self._flatten_error(err, schema_pointer):
                key = (tuple(path), keyword, message)
                if key not in seen:
                    seen.add(key)
                    out.append((path, message, keyword, location))
        out.sort(key=lambda e: [str(p) for p in e[0]])
        return out

    def _flatten_error(self, err: ValidationError, root: str):
        path = list(err.absolute_path)
        keyword = err.validator if isinstance(err.validator, str) else ""
        location = self._spec_location(root, list(err.absolute_schema_path))
        if keyword in ("anyOf", "oneOf") and err.context:
            best = best_match(err.context)
            yield (
                list(best.absolute_path),
                f"matches none of the {keyword} alternatives; closest: {_short(best.message)}",
                keyword,
                location,
            )
            return
        if keyword == "required":
            for name in err.validator_value:
                if isinstance(err.instance, dict) and name not in err.instance and repr(name) in err.message:
                    yield path + [name], "required property is missing", keyword, location
                    return
        if keyword == "additionalProperties" and isinstance(err.instance, dict) and isinstance(err.schema, dict):
            known = set(err.schema.get("properties", {}))
            extras = [k for k in err.instance if k not in known]
            for extra in extras or ["?"]:
                yield path + [extra], "property not allowed (additionalProperties: false)", keyword, location
            return
        yield path, _short(err.message, 240), keyword, location

    def _spec_location(self, root: str, schema_path: list) -> str:
        """JSON pointer (in the definition) of the keyword that failed; jsonschema leaves ``$ref`` hops
        out of ``schema_path``, so every ``$ref`` met on the way is followed here."""
        pointer = root
        node: Any = self.deref(root)
        for token in schema_path:
            hops = 0
            while isinstance(node, dict) and isinstance(node.get("$ref"), str) and hops < 64:
                pointer = node["$ref"]
                node = self.deref(pointer)
                hops += 1
            pointer = pointer_join(pointer, token)
            try:
                node = node[int(token)] if isinstance(node, list) else node[token]
            except (KeyError, IndexError, TypeError, ValueError):
                node = None
        return pointer

    # ---- operations ---------------------------------------------------------------------------------

    def _index(self) -> None:
        for template, item in self.spec.get("paths", {}).items():
            item, item_ptr = self.follow(item, pointer_join("#/paths", template))
            shared = item.get("parameters", [])
            segments = [s for s in template.strip("/").split("/") if s]
            parts = []
            for seg in segments:
                if re.fullmatch(r"\{[^}/]+\}", seg):
                    parts.append(f"(?P<{self._group(seg[1:-1])}>[^/]+)")
                else:
                    parts.append(re.escape(seg))
            regex = re.compile("^/" + "/".join(parts) + "$") if parts else re.compile("^/?$")
            literal = sum(1 for s in segments if "{" not in s)
            for method in _METHODS:
                op = item.get(method)
                if not isinstance(op, dict):
                    continue
                ptr = pointer_join(item_ptr, method)
                params: dict = {}
                for group, base in ((shared, pointer_join(item_ptr, "parameters")), (op.get("parameters", []), pointer_join(ptr, "parameters"))):
                    for i, raw in enumerate(group):
                        prm, pptr = self.follow(raw, pointer_join(base, i))
                        params[(prm["in"], prm["name"])] = (prm, pptr)  # operation level overrides path level
                opid = op.get("operationId") or f"{method.upper()} {template}"
                operation = Operation(opid, method.upper(), template, ptr, op, params, regex, literal)
                self.operations[opid] = operation
                self._by_segments.setdefault(len(segments), []).append(operation)
        for ops in self._by_segments.values():
            ops.sort(key=lambda o: -o.literal_segments)

    @staticmethod
    def _group(name: str) -> str:
        return "p_" + re.sub(r"\W", "_", name)

    def operation(self, operation_id: str) -> Operation:
        return self.operations[operation_id]

    def strip_base(self, path: str) -> str | None:
        if self.base_path and not (path == self.base_path or path.startswith(self.base_path + "/")):
            return None
        return path[len(self.base_path):] or "/"

    def match(self, method: str, path: str) -> tuple[Operation | None, dict, str]:
        """``(operation, path params, reason)``; ``operation`` is None when nothing matches."""
        key = (method.upper(), path)
        hit = self._match_cache.get(key)
        if hit is not None:
            return hit
        result = self._match(method.upper(), path)
        if len(self._match_cache) < 200_000:
            self._match_cache[key] = result
        return result

    def _match(self, method: str, path: str):
        rel = self.strip_base(path)
        if rel is None:
            return None, {}, f"path {path!r} is not under the API base path {self.base_path!r}"
        segments = [s for s in rel.strip("/").split("/") if s]
        path_matches = []
        for op in self._by_segments.get(len(segments), []):
            m = op.regex.match("/" + "/".join(segments))
            if m:
                path_matches.append((op, m))
        if not path_matches:
            return None, {}, f"no path template of the definition matches {rel!r}"
        best_literal = None
        for op, m in path_matches:  # sorted: most literal segments first
            if best_literal is not None and op.literal_segments < best_literal:
                break
            if op.method == method:
                params = {}
                for loc, name in op.parameters:
                    if loc == "path":
                        raw = m.groupdict().get(self._group(name))
                        if raw is not None:
                            params[name] = unquote(raw)
                return op, params, ""
            if best_literal is None:
                best_literal = op.literal_segments
        templates = sorted({op.template for op, _match in path_matches})
        methods = sorted({op.method for op, _match in path_matches if op.literal_segments == best_literal})
        return None, {}, f"method {method} is not documented for {templates[0]} (documented: {', '.join(methods)})"

    # ---- exchange validation -----------------------------------------------------------------------

    def validate_exchange(self, exchange: dict, *, check_response: bool = True, check_response_body: bool = True) -> Result:
        request = exchange.get("request") or {}
        response = exchange.get("response") or {}
        method = str(request.get("method", "")).upper()
        path, query = _split_path_query(request.get("path", ""), request.get("query"))
        status = _as_int(response.get("status"))
        op, path_params, reason = self.match(method, path)
        result = Result(operation=op, status=status)
        if op is None:
            result.violations.append(Violation(None, method, None, status, "request.path", reason, "path"))
            return result
        v = _ViolationFactory(op, status)
        if op.deprecated:
            sunset = f" (x-sunset {op.sunset})" if op.sunset else ""
            result.notes.append(Note("request", f"operation {op.operation_id} is deprecated{sunset}"))
        self._check_parameters(op, path_params, query, _lower_keys(request.get("headers")), v, result)
        self._check_request_body(op, request, v, result)
        if check_response:
            self._check_response(op, status, response, v, result, check_body=check_response_body)
        return result

    def validate_response(self, operation_id: str, status: int, body: Any, headers: dict | None = None) -> Result:
        op = self.operations[operation_id]
        result = Result(operation=op, status=status)
        self._check_response(op, status, {"status": status, "body": body, "headers": headers or {}}, _ViolationFactory(op, status), result)
        return result

    def validate_request_body(self, operation_id: str, body: Any) -> Result:
        op = self.operations[operation_id]
        result = Result(operation=op, status=None)
        self._check_request_body(op, {"body": body, "headers": {}}, _ViolationFactory(op, None), result)
        return result

    # parameters

    def _check_parameters(self, op: Operation, path_params: dict, query: dict, headers: dict, v, result: Result) -> None:
        for (loc, name), (prm, pptr) in op.parameters.items():
            if loc == "path":
                if name not in path_params:
                    result.violations.append(v(f"request.path.{name}", "path parameter missing from the path template match", "required"))
                    continue
                self._check_value(prm, pptr, [path_params[name]], f"request.path.{name}", v, result)
            elif loc == "query":
                if name not in query:
                    if prm.get("required"):
                        result.violations.append(v(f"request.query.{name}", "required query parameter is missing", "required"))
                    continue
                if prm.get("deprecated"):
                    result.notes.append(Note(f"request.query.{name}", "deprecated query parameter used"))
                self._check_value(prm, pptr, query[name], f"request.query.{name}", v, result)
            elif loc == "header":
                value = headers.get(name.lower())
                if value is None:
                    if prm.get("required"):
                        result.violations.append(v(f"request.headers.{name}", "required header is missing", "required"))
                    continue
                self._check_value(prm, pptr, [value], f"request.headers.{name}", v, result, redact=name.lower() in _SENSITIVE_HEADERS)
        documented = {name for (loc, name) in op.parameters if loc == "query"}
        for name in query:
            if name not in documented:
                known = ", ".join(sorted(documented)) or "none"
                result.violations.append(v(f"request.query.{name}", f"unknown query parameter (documented: {known})", "parameters"))

    def _check_value(self, prm: dict, pptr: str, raw_values: list, field: str, v, result: Result, redact: bool = False) -> None:
        schema = prm.get("schema")
        if schema is None:  # content-based parameters: not used by this definition
            return
        resolved = self.resolve_schema(schema) or {}
        stype = resolved.get("type")
        values = [x if isinstance(x, str) else str(x) for x in (raw_values if isinstance(raw_values, list) else [raw_values])]
        if stype != "array" and len(values) != 1:
            result.violations.append(v(field, f"given {len(values)} times but the parameter is not an array", "type"))
            return
        key = (pptr, tuple(values))
        cached = self._value_cache.get(key)
        if cached is None:
            errs: list[tuple[str, str, str]] = []
            try:
                if stype == "array":
                    items_type = (self.resolve_schema(resolved.get("items")) or {}).get("type")
                    coerced: Any = [_coerce(x, items_type) for x in values]
                else:
                    coerced = _coerce(values[0], stype)
            except _Uncoercible as exc:
                errs.append(("", str(exc), "type"))
            else:
                for path, message, keyword, location in self.schema_errors(pointer_join(pptr, "schema"), coerced, "request"):
                    errs.append((field_path("", path), message, f"{keyword} at {location}" if location else keyword))
            cached = tuple(errs)
            if len(self._value_cache) < 500_000:
                self._value_cache[key] = cached
        for sub, message, keyword in cached:
            if redact:
                message = "invalid value (redacted)"
            kw, _sep, loc = keyword.partition(" at ")
            result.violations.append(v(field + sub, message, kw, loc))

    # request body

    def _check_request_body(self, op: Operation, request: dict, v, result: Result) -> None:
        body = request.get("body")
        present = not _is_empty_body(body)
        rb = op.definition.get("requestBody")
        if rb is None:
            if present:
                result.violations.append(v("request.body", "operation documents no request body, but one was sent", "requestBody"))
            return
        rb, rb_ptr = self.follow(rb, pointer_join(op.pointer, "requestBody"))
        if not present:
            if rb.get("required"):
                result.violations.append(v("request.body", "request body is required but missing", "required", rb_ptr))
            return
        content = rb.get("content", {})
        media = _pick_media(content, _lower_keys(request.get("headers")).get("content-type"))
        if media is None:
            ct = _lower_keys(request.get("headers")).get("content-type")
            message = f"media type {ct!r} not documented (documented: {', '.join(content)})"
            result.violations.append(v("request.headers.content-type", message, "content", rb_ptr))
            return
        if "schema" not in content[media]:
            return
        body = _maybe_json(body)
        if body is _NOT_JSON:
            result.violations.append(v("request.body", "request body is not valid JSON", "content", rb_ptr))
            return
        schema_ptr = pointer_join(rb_ptr, "content", media, "schema")
        for path, message, keyword, location in self.schema_errors(schema_ptr, body, "request"):
            result.violations.append(v(field_path("request.body", path), message, keyword, location))
        for note in self.annotations(schema_ptr, body, "request.body", "request"):
            result.notes.append(note)

    # response

    def response_for(self, op: Operation, status: int | None) -> tuple[dict | None, str | None, str | None]:
        """``(response object, key, pointer)`` documenting ``status`` (exact, then ``4XX``, then ``default``)."""
        responses = op.definition.get("responses", {})
        for key in (str(status), f"{str(status)[:1]}XX", f"{str(status)[:1]}xx", "default"):
            if status is None and key != "default":
                continue
            if key in responses:
                obj, ptr = self.follow(responses[key], pointer_join(op.pointer, "responses", key))
                return obj, key, ptr
        return None, None, None

    def _check_response(self, op: Operation, status: int | None, response: dict, v, result: Result, check_body: bool = True) -> None:
        if status is None:
            result.violations.append(v("response.status", f"no HTTP status recorded ({response.get('status')!r})", "responses"))
            return
        obj, key, rptr = self.response_for(op, status)
        result.response_key = key
        if obj is None:
            documented = ", ".join(op.statuses)
            result.violations.append(
                v("response.status", f"status {status} is not documented for this operation and it has no default (documented: {documented})",
                  "responses", pointer_join(op.pointer, "responses"))
            )
            return
        via = self.via(key, rptr, status)
        headers = _lower_keys(response.get("headers"))
        for hname, hobj in (obj.get("headers") or {}).items():
            hobj, hptr = self.follow(hobj, pointer_join(rptr, "headers", hname))
            if hname.lower() == "content-type":
                continue  # OAS: ignored
            value = headers.get(hname.lower())
            if value is None:
                if hobj.get("required"):
                    result.violations.append(v(f"response.headers.{hname}", "required response header is missing" + via, "required", hptr))
                continue
            if "schema" in hobj:
                stype = (self.resolve_schema(hobj["schema"]) or {}).get("type")
                try:
                    coerced = _coerce(str(value), stype)
                except _Uncoercible as exc:
                    result.violations.append(v(f"response.headers.{hname}", str(exc) + via, "type", hptr))
                    continue
                for path, message, keyword, location in self.schema_errors(pointer_join(hptr, "schema"), coerced):
                    result.violations.append(v(field_path(f"response.headers.{hname}", path), message + via, keyword, location))
        body = response.get("body")
        content = obj.get("content") or {}
        if not content:
            if not _is_empty_body(body):
                result.violations.append(v("response.body", f"status {status} documents no body, but one was sent" + via, "content", rptr))
            return
        media = _pick_media(content, headers.get("content-type"))
        if media is None:
            result.violations.append(
                v("response.headers.content-type",
                  f"media type {headers.get('content-type')!r} not documented (documented: {', '.join(content)})" + via, "content", rptr)
            )
            return
        if _is_empty_body(body):
            result.violations.append(v("response.body", f"documented as {media} but the body is empty" + via, "content", rptr))
            return
        if "schema" not in content[media]:
            return
        parsed = _maybe_json(body)
        if parsed is _NOT_JSON:
            result.violations.append(v("response.body", "body is not valid JSON" + via, "content", rptr))
            return
        if check_body:
            self.validate_body(pointer_join(rptr, "content", media, "schema"), parsed, via, v, result)

    def validate_body(self, schema_ptr: str, parsed: Any, via: str, v, result: Result) -> None:
        for path, message, keyword, location in self.schema_errors(schema_ptr, parsed, "response"):
            result.violations.append(v(field_path("response.body", path), message + via, keyword, location))
        for note in self.annotations(schema_ptr, parsed, "response.body", "response"):
            result.notes.append(note)

    @staticmethod
    def via(key: str | None, rptr: str | None, status: int | None) -> str:
        if key != "default":
            return ""
        name = rptr.rsplit("/", 1)[-1] if rptr and rptr.startswith("#/components/responses/") else "default"
        return f" (status {status} is not documented: validated against `default` = {name})"

    # ---- annotations: deprecated and undocumented fields (notes, not violations) -------------------

    def annotations(self, schema_ptr: str, instance: Any, prefix: str, mode: str, limit: int = 50) -> list[Note]:
        notes: list[Note] = []
        self._annotate(self.resolve_pointer(schema_ptr), instance, prefix, mode, notes, 0, limit)
        return notes

    def _merged(self, schema: Any, depth: int = 0) -> tuple[dict, Any, bool]:
        """``(properties, additionalProperties, opaque)`` of a schema with its ``allOf`` merged."""
        schema = self.resolve_schema(schema)
        if not isinstance(schema, dict) or depth > 16:
            return {}, None, True
        props = dict(schema.get("properties", {}))
        addl = schema.get("additionalProperties")
        opaque = bool(schema.get("oneOf") or schema.get("anyOf"))
        for sub in schema.get("allOf", []):
            p, a, o = self._merged(sub, depth + 1)
            for k, s in p.items():
                props.setdefault(k, s)
            addl = addl if addl is not None else a
            opaque = opaque or o
        return props, addl, opaque

    def _annotate(self, schema: Any, instance: Any, prefix: str, mode: str, notes: list, depth: int, limit: int) -> None:
        if len(notes) >= limit or depth > 24:
            return
        schema = self.resolve_schema(schema)
        if not isinstance(schema, dict):
            return
        if isinstance(instance, dict):
            props, addl, opaque = self._merged(schema)
            for name, value in instance.items():
                field = f"{prefix}.{name}"
                if name in props:
                    raw = props[name]
                    if isinstance(raw, dict) and (raw.get("deprecated") or (self.resolve_schema(raw) or {}).get("deprecated")):
                        if mode == "request":  # deprecated response fields are required ones too: not worth a note each time
                            notes.append(Note(field, "deprecated field sent"))
                    self._annotate(raw, value, field, mode, notes, depth + 1, limit)
                elif isinstance(addl, dict):
                    self._annotate(addl, value, field, mode, notes, depth + 1, limit)
                elif addl is None and not opaque and (props or schema.get("type") == "object"):
                    notes.append(Note(field, "field is not in the definition (allowed: additionalProperties not restricted)"))
        elif isinstance(instance, list):
            items = schema.get("items")
            if items is not None:
                for i, value in enumerate(instance[:5]):
                    self._annotate(items, value, f"{prefix}[{i}]", mode, notes, depth + 1, limit)

    # ---- schema-guided helpers for shape deduplication ---------------------------------------------

    def map_paths(self, schema_ptr: str) -> set[tuple]:
        """Instance paths (``"[]"`` for list items) whose object keys are data (``additionalProperties`` maps)."""
        out: set[tuple] = set()

        def walk(schema: Any, path: tuple, depth: int, stack: tuple) -> None:
            schema = self.resolve_schema(schema)
            if not isinstance(schema, dict) or depth > 12 or id(schema) in stack:
                return
            stack = stack + (id(schema),)
            props, addl, _opaque = self._merged(schema)
            if isinstance(addl, dict) and not props:
                out.add(path)
                walk(addl, path + ("*",), depth + 1, stack)
            for name, sub in props.items():
                walk(sub, path + (name,), depth + 1, stack)
            if "items" in schema:
                walk(schema["items"], path + ("[]",), depth + 1, stack)

        walk(self.resolve_pointer(schema_ptr), (), 0, ())
        return out


class _ViolationFactory:
    def __init__(self, op: Operation, status: int | None):
        self.op = op
        self.status = status

    def __call__(self, field: str, message: str, keyword: str = "", location: str = "") -> Violation:
        return Violation(self.op.operation_id, self.op.method, self.op.template, self.status, field, message, keyword, location)


_NOT_JSON = object()


def _maybe_json(body: Any) -> Any:
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            return json.loads(body)
        except ValueError:
            return _NOT_JSON
    return body


def _is_empty_body(body: Any) -> bool:
    return body is None or body == "" or body == b""


def _pick_media(content: dict, content_type: str | None) -> str | None:
    if not content:
        return None
    if not content_type:
        return "application/json" if "application/json" in content else next(iter(content))
    base = content_type.split(";", 1)[0].strip().lower()
    if base in content:
        return base
    main = base.split("/", 1)[0] + "/*"
    for candidate in (main, "*/*"):
        if candidate in content:
            return candidate
    return None


def _lower_keys(headers: Any) -> dict:
    if not isinstance(headers, dict):
        return {}
    out = {}
    for k, val in headers.items():
        if isinstance(val, list):
            val = ", ".join(str(x) for x in val)
        out[str(k).lower()] = val
    return out


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _split_path_query(path: str, query: Any) -> tuple[str, dict]:
    path = path or ""
    q: dict[str, list[str]] = {}
    if "?" in path:
        path, _sep, qs = path.partition("?")
        for k, vals in parse_qs(qs, keep_blank_values=True).items():
            q.setdefault(k, []).extend(vals)
    if isinstance(query, str):
        for k, vals in parse_qs(query.lstrip("?"), keep_blank_values=True).items():
            q.setdefault(k, []).extend(vals)
    elif isinstance(query, dict):
        for k, vals in query.items():
            q.setdefault(str(k), []).extend(vals if isinstance(vals, list) else [vals])
    return path, q


# --------------------------------------------------------------------------------------------------
# Streams of exchanges: reading, deduplication, statistics
# --------------------------------------------------------------------------------------------------


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, Any]]:
    """``(line number, parsed object or ValueError)`` for each non-blank line."""
    with open(path, "r", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                yield lineno, json.loads(line)
            except ValueError as exc:
                yield lineno, exc


_CLASS_TABLE = str.maketrans(
    {**{c: "9" for c in "0123456789"},
     **{c: "a" for c in "abcdefghijklmnopqrstuvwxyz"},
     **{c: "A" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}}
)
_RUNS = re.compile(r"([a9A])\1+")
_MIXED = re.compile(r"[a9A]{2,}")


@functools.lru_cache(maxsize=65536)
def _strclass(s: str) -> Any:
    """Verbatim for short digit-free strings (enum-like values); otherwise the lexical class (runs of
    digits ``9``, lower ``a``, upper ``A``, mixed ``x``, other characters kept) and a length bucket:
    ``shy-leaf-12345678`` -> ``a-a-9``, any RFC 3339 timestamp -> ``9-9-x:9:x``, any UUID -> ``x-x-x-x-x``."""
    if len(s) <= 24 and not any(c.isdigit() for c in s):
        return s
    return ("~", _MIXED.sub("x", _RUNS.sub(r"\1", s.translate(_CLASS_TABLE))), len(s).bit_length())


def body_shape(value: Any, maps: set[tuple] | frozenset = frozenset(), path: tuple = ()) -> Any:
    """A hashable abstraction of a JSON value: keys, types, list-length buckets, enum-like strings,
    small integers, the lexical class of other strings. Keys of ``additionalProperties`` maps collapse."""
    if isinstance(value, dict):
        if path in maps:
            return ("map", frozenset(body_shape(v, maps, path + ("*",)) for v in value.values()), min(len(value), 2))
        return ("obj", tuple(sorted((k, body_shape(v, maps, path + (k,))) for k, v in value.items())))
    if isinstance(value, list):
        return ("list", len(value).bit_length(), frozenset(body_shape(v, maps, path + ("[]",)) for v in value))
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -16 <= value <= 64 else ("int", value > 0, value.bit_length())
    if isinstance(value, float):
        return ("float", value > 0, value.is_integer())
    if isinstance(value, str):
        return _strclass(value)
    return ("?", type(value).__name__)


@dataclasses.dataclass
class CheckStats:
    exchanges: int = 0
    faulted: int = 0
    unparsable: int = 0
    checked: int = 0  # non-faulted exchanges whose operation, parameters, status and body were checked
    bodies_schema_validated: int = 0  # response bodies actually run through the schema validator
    bodies_deduplicated: int = 0  # response bodies covered by an already-validated identical shape
    seconds: float = 0.0
    by_operation: Counter = dataclasses.field(default_factory=Counter)  # (operationId, status) -> n
    faults: Counter = dataclasses.field(default_factory=Counter)

    @property
    def operations(self) -> set[str]:
        return {op for op, _status in self.by_operation}

    def summary(self) -> str:
        return (
            f"{self.exchanges} exchanges: {self.checked} checked, {self.faulted} faulted (skipped), "
            f"{self.unparsable} unparsable; {self.bodies_schema_validated} response bodies schema-validated, "
            f"{self.bodies_deduplicated} covered by an identical shape; "
            f"{len(self.operations)} operations; {self.seconds:.2f}s"
        )


class ExchangeChecker:
    """Validate many exchanges; ``always_first`` bodies of each (operation, status) are validated in full,
    after that one body per distinct shape (see ``body_shape``)."""

    def __init__(self, contract: OpenAPIContract, always_first: int = 20, max_failures: int = 1000):
        self.contract = contract
        self.always_first = always_first
        self.max_failures = max_failures
        self.stats = CheckStats()
        self.failures: list[tuple[str, Violation]] = []
        self.failure_count = 0
        self.notes: Counter = Counter()
        self._seen_shapes: dict[tuple, tuple[Violation, ...]] = {}
        self._maps: dict[str, set] = {}
        self._per_key: Counter = Counter()
        self._revalidated = 0

    def _fail(self, where: str, violation: Violation) -> None:
        self.failure_count += 1
        if len(self.failures) < self.max_failures:
            self.failures.append((where, violation))

    def add(self, exchange: Any, where: str = "?") -> None:
        started = time.perf_counter()
        try:
            self._add(exchange, where)
        finally:
            self.stats.seconds += time.perf_counter() - started

    def _add(self, exchange: Any, where: str) -> None:
        self.stats.exchanges += 1
        if not isinstance(exchange, dict) or not isinstance(exchange.get("request"), dict):
            self.stats.unparsable += 1
            self._fail(where, Violation(None, "?", None, None, "exchange", f"not an exchange record: {_short(exchange, 120)}"))
            return
        if exchange.get("fault") is not None:
            self.stats.faulted += 1
            self.stats.faults[str(exchange.get("fault"))] += 1
            return
        self.stats.checked += 1
        c = self.contract
        result = c.validate_exchange(exchange, check_response_body=False)
        for violation in result.violations:
            self._fail(where, violation)
        op = result.operation
        if op is None or result.response_key is None:
            return
        status = result.status
        self.stats.by_operation[(op.operation_id, status)] += 1
        for note in result.notes:
            self.notes[f"{op.operation_id}: {note}"] += 1
        response = exchange.get("response") or {}
        obj, key, rptr = c.response_for(op, status)
        content = obj.get("content") or {}
        media = _pick_media(content, _lower_keys(response.get("headers")).get("content-type"))
        if not media or "schema" not in content.get(media, {}) or _is_empty_body(response.get("body")):
            return  # nothing to validate, or already reported by validate_exchange
        body = _maybe_json(response.get("body"))
        if body is _NOT_JSON:
            return
        schema_ptr = pointer_join(rptr, "content", media, "schema")
        if schema_ptr not in self._maps:
            self._maps[schema_ptr] = c.map_paths(schema_ptr)
        per_key = (op.operation_id, key, status)
        self._per_key[per_key] += 1
        shape_key = None
        if self._per_key[per_key] > self.always_first:
            shape_key = (op.operation_id, status, media, body_shape(body, self._maps.get(schema_ptr, set())))
            cached = self._seen_shapes.get(shape_key)
            # identical shapes that validated clean are skipped; failing ones are re-validated (exact
            # messages) until 200 re-validations, then their violations are repeated
            if cached is not None and (not cached or self._revalidated >= 200):
                self.stats.bodies_deduplicated += 1
                for violation in cached:
                    self._fail(where + " (same shape as an earlier failure)", violation)
                return
        if shape_key is not None and self._seen_shapes.get(shape_key):
            self._revalidated += 1
        full = Result(operation=op, status=status)
        c.validate_body(schema_ptr, body, c.via(key, rptr, status), _ViolationFactory(op, status), full)
        self.stats.bodies_schema_validated += 1
        body_violations = tuple(full.violations)
        for violation in body_violations:
            self._fail(where, violation)
        for note in full.notes:
            self.notes[f"{op.operation_id}: {note}"] += 1
        if shape_key is None:
            shape_key = (op.operation_id, status, media, body_shape(body, self._maps.get(schema_ptr, set())))
        self._seen_shapes[shape_key] = body_violations

    def add_file(self, path: str | Path) -> None:
        for lineno, record in iter_jsonl(path):
            if isinstance(record, ValueError):
                self.stats.exchanges += 1
                self.stats.unparsable += 1
                self._fail(f"{path}:{lineno}", Violation(None, "?", None, None, "exchange", f"line is not JSON: {record}"))
                continue
            self.add(record, f"{Path(path).name}:{lineno}")

    def report(self, limit: int = 30) -> str:
        lines = [self.stats.summary()]
        if self.failure_count:
            grouped = Counter(
                (v.operation_id, v.method, v.template, v.status, v.field, v.message) for _where, v in self.failures
            )
            lines.append(f"{self.failure_count} violations ({len(grouped)} distinct):")
            firsts: dict = {}
            for where, v in self.failures:
                firsts.setdefault((v.operation_id, v.method, v.template, v.status, v.field, v.message), (where, v))
            for key, n in grouped.most_common(limit):
                where, v = firsts[key]
                lines.append(f"  {v}  (x{n}, first at {where})")
        return "\n".join(lines)


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("exchanges", help="JSONL file of recorded exchanges")
    parser.add_argument("--spec", help=f"OpenAPI definition (default: ${SPEC_ENV} or {SPEC_RELATIVE})")
    args = parser.parse_args(argv)
    checker = ExchangeChecker(OpenAPIContract.load(args.spec))
    checker.add_file(args.exchanges)
    print(checker.report())
    return 1 if checker.failure_count else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Our fixtures (tests/contract/fixtures/*.json, written in our own words and values from the OBSERVED,
DOCS and SPEC facts of neon-api-facts.md) validated against Neon's definition.

Each fixture states one assumption and whether the definition confirms or contradicts it. A fixture
either must validate cleanly, or lists ``expected_violations``: then the validator must report exactly
those fields (no more, no fewer), each at one of the fixture's ``spec_locations``. ``expected_notes``
are fields the definition does not reject but that our validator flags as undocumented/deprecated.
"""

from __future__ import annotations

import json
import re

import pytest

from contract_support import COVERAGE, FIXTURES_DIR

FIXTURE_FILES = sorted(FIXTURES_DIR.glob("*.json"))
KEYS = {"id", "operation", "source", "facts", "assumption", "verdict", "spec_locations", "exchange"}
OPTIONAL = {"expected_violations", "expected_notes"}
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T[0-9:.]+Z$")


def load(path):
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def test_there_are_fixtures():
    assert len(FIXTURE_FILES) >= 20


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=[p.stem for p in FIXTURE_FILES])
def test_fixture_against_definition(contract, path):
    fx = load(path)
    assert KEYS <= set(fx) <= KEYS | OPTIONAL, f"{path.name}: keys {sorted(fx)}"
    assert fx["id"] == path.stem
    assert fx["source"] in ("OBSERVED", "DOCS", "SPEC", "INFERRED")
    assert fx["verdict"] in ("confirmed", "contradicted")
    for location in fx["spec_locations"]:
        assert contract.deref(location) is not None, f"{path.name}: {location} is not in the definition"

    result = contract.validate_exchange(fx["exchange"])
    assert result.operation is not None, str(result)
    assert result.operation.operation_id == fx["operation"]

    expected = sorted(fx.get("expected_violations", []))
    reported = sorted(set(result.fields))
    assert reported == expected, (
        f"{fx['id']}: the definition reports {reported}, the fixture expects {expected}\n{result}"
    )
    for violation in result.violations:
        if violation.spec_location:
            assert any(violation.spec_location.startswith(loc) for loc in fx["spec_locations"]), (
                f"{fx['id']}: {violation} is at {violation.spec_location}, not under {fx['spec_locations']}"
            )
        assert fx["operation"] in str(violation) and f"status {fx['exchange']['response']['status']}" in str(violation)
    notes = {n.field for n in result.notes}
    missing_notes = set(fx.get("expected_notes", [])) - notes
    assert not missing_notes, f"{fx['id']}: expected notes {sorted(missing_notes)}, got {sorted(notes)}"

    (COVERAGE.confirmed if fx["verdict"] == "confirmed" else COVERAGE.contradicted).append(fx["id"])


def _strings(node, out):
    if isinstance(node, dict):
        for value in node.values():
            _strings(value, out)
    elif isinstance(node, list):
        for value in node:
            _strings(value, out)
    elif isinstance(node, str):
        out.add(node)


def _example_strings(node, examples, vocabulary):
    """Strings inside example/examples go to ``examples``; every other string to ``vocabulary``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("example", "examples"):
                _strings(value, examples)
            else:
                vocabulary.add(key)
                _example_strings(value, examples, vocabulary)
    elif isinstance(node, list):
        for value in node:
            _example_strings(value, examples, vocabulary)
    elif isinstance(node, str):
        vocabulary.add(node)


def test_fixtures_use_our_own_values_not_the_definitions_examples(contract):
    """The definition is proprietary: fixtures must not reuse its example ids and values (documented
    vocabulary such as enum values, and plain timestamps, are fine)."""
    examples: set = set()
    vocabulary: set = set()
    _example_strings(contract.spec, examples, vocabulary)
    text = "\n".join(vocabulary)
    examples = {
        s for s in examples
        if len(s) >= 10 and any(c.isalpha() for c in s) and not DATE_TIME.match(s) and s not in text
    }
    borrowed = {}
    for path in FIXTURE_FILES:
        values: set = set()
        _strings(load(path)["exchange"], values)
        hits = sorted(v for v in values if v in examples)
        if hits:
            borrowed[path.name] = hits
    assert not borrowed, f"fixture values copied from the definition's examples: {borrowed}"

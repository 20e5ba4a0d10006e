"""Fixtures of the OpenAPI contract tests, and the coverage line printed at the end of the session.

The definition is read at run time (never copied into the repository): ``$NEON_OPENAPI_SPEC`` or
``../shared/neon-openapi/neon-openapi-v2.json`` relative to the repository root. When it (or the
recorded exchanges file) is missing, the tests skip with a reason, except under CI (``CI`` set) or
with ``NEON_CONTRACT_REQUIRE=1``, where they fail.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import openapi_contract as oc  # noqa: E402  (needs the path above)
from contract_support import COLLECTION_OPERATIONS, COVERAGE, REPO_ROOT, ContractCoverage, skip_or_fail  # noqa: E402


@pytest.fixture(scope="session")
def contract() -> oc.OpenAPIContract:
    path = oc.default_spec_path(REPO_ROOT)
    if not path.is_file():
        skip_or_fail(f"Neon OpenAPI definition not found at {path} (set {oc.SPEC_ENV} or provide ../shared/neon-openapi/)")
    return oc.OpenAPIContract.load(path)


@pytest.fixture(scope="session")
def contract_coverage() -> ContractCoverage:
    return COVERAGE


@pytest.fixture(scope="session")
def collection_operations() -> dict:
    return dict(COLLECTION_OPERATIONS)


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # pylint: disable=unused-argument
    terminalreporter.write_line("")
    for line in COVERAGE.lines():
        terminalreporter.write_line(line)

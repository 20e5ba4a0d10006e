# -*- coding: utf-8 -*-
# Copyright (c) 2026, neon_ops.neon contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""PRIVATE to neon_ops.neon: what every module of the collection shares. It may change at any time.

The argument spec here and the doc fragment ``neon_ops.neon.neon`` describe the same options, in the same order.
"""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.neon_ops.neon.plugins.module_utils._client import (
    DEFAULT_API_URL,
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    NeonClient,
    NeonConfigError,
)


def neon_argument_spec(**options):
    """The shared connection options, plus the module's own."""
    spec = dict(
        api_key=dict(type="str", required=True, no_log=True, fallback=(env_fallback, ["NEON_API_KEY"])),
        api_url=dict(type="str", default=DEFAULT_API_URL, fallback=(env_fallback, ["NEON_API_URL"])),
        timeout=dict(type="int", default=30),
        retries=dict(type="int", default=5),
        validate_certs=dict(type="bool", default=True),
    )
    spec.update(options)
    return spec


def neon_client(module):
    """A client built from the module's parameters; bad settings fail the task before any request."""
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    p = module.params
    try:
        return NeonClient(api_key=p["api_key"], api_url=p["api_url"], timeout=p["timeout"], retries=p["retries"],
                          validate_certs=p["validate_certs"])
    except NeonConfigError as exc:
        module.fail_json(msg=str(exc), api_requests=0)

# -*- coding: utf-8 -*-
# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:

    # The connection options every module of the collection shares (plugins/module_utils/_module.py).
    DOCUMENTATION = r"""
options:
  api_key:
    description:
      - A Neon API key, sent as a Bearer token.
      - If not set, the value of the E(NEON_API_KEY) environment variable is used.
      - The key is never logged nor returned. A C(~/.netrc) entry for the API host cannot replace it.
      - Transfers need a B(personal) API key of a user who is admin of the source organization and at least
        member of the destination. Neon refuses organization and project-scoped keys there, and the module then
        names the key type (from C(GET /auth)) in its message.
    type: str
    required: true
  api_url:
    description:
      - Base URL of the Neon API v2.
      - If not set, the value of the E(NEON_API_URL) environment variable is used, else the default.
      - Must use C(https), except for a loopback address (a local emulator).
      - Redirects are never followed, so the key cannot be sent to another host.
    type: str
    default: https://console.neon.tech/api/v2
  timeout:
    description:
      - Seconds to wait for each HTTP request.
    type: int
    default: 30
  retries:
    description:
      - How many times one request may be resent after an answer that says Neon did not process it
        (HTTP 429, 423, 503), or, for reads only, after a transport error or another 5xx.
      - Waits honour C(Retry-After), else use exponential backoff with full jitter; one request with its retries
        never takes longer than O(timeout) x (O(retries) + 1) + 30 seconds.
      - A transfer whose outcome is unknown (timeout, dropped connection, 5xx other than 503) is never resent
        blindly; the module re-reads where the projects are and sends only what is left, at most this many times.
    type: int
    default: 5
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the API. Only set to V(false) against a test endpoint.
    type: bool
    default: true
requirements:
  - requests
notes:
  - Requests are paced under Neon's published rate (700 a minute, 40 a second), so a large job does not provoke
    HTTP 429 answers.
"""

    # Descriptions of the attributes; each module sets their support.
    ATTRIBUTES = r"""
attributes:
  check_mode:
    description: Can run in check mode and return a changed status prediction without modifying anything.
  diff_mode:
    description: Returns details on what has changed (or would change in check mode) when run in diff mode.
  idempotent:
    description:
      - When run twice in a row with the same arguments, the second run reports no change and writes nothing.
  action_group:
    description: Use C(group/neon_ops.neon.neon) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - neon_ops.neon.neon
"""

    INFO_MODULE = r"""
attributes:
  check_mode:
    support: full
    details: This module only reads; it never changes anything.
  diff_mode:
    support: N/A
    details: This module only reads.
  idempotent:
    support: full
"""

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: neon_organization_info
short_description: Read the Neon organizations an API key can see, their members, and what the key is
version_added: 1.0.0
description:
  - Lists the organizations the API key can see (C(GET /users/me/organizations)), or reads one by O(org_id), or
    keeps those whose name (or handle) is O(name).
  - With an organization API key, that organization is the one returned.
  - Also says what the key is (RV(auth), from C(GET /auth)) and, for a personal key, whose it is (RV(current_user),
    from C(GET /users/me)), so a playbook can check it holds the right kind of key before it changes anything.
  - With O(members=true), adds each organization's members and their roles, and the role of the key's user.
author:
  - neon_ops.neon contributors (@neon-ops)
extends_documentation_fragment:
  - neon_ops.neon.neon
  - neon_ops.neon.neon.ATTRIBUTES
  - neon_ops.neon.neon.INFO_MODULE
options:
  org_id:
    description:
      - Id of the one organization to read.
      - An organization the key cannot see gives an empty RV(organizations), not a failure.
      - Mutually exclusive with O(name).
    type: str
  name:
    description:
      - Keep only the organizations whose name is exactly O(name); if none has that name, those whose handle is.
      - Names are not unique in Neon, so several organizations may match.
    type: str
  members:
    description:
      - Also read the members of each returned organization (C(GET /organizations/{org_id}/members), every page).
      - Costs one request per 500 members of each organization; the organizations are read side by side.
    type: bool
    default: false
notes:
  - Organization API keys can read their organization and its members; project-scoped keys can read neither, so
    with such a key RV(organizations) may be empty and O(members=true) fails.
seealso:
  - module: neon_ops.neon.neon_project_info
  - module: neon_ops.neon.neon_project_transfer
  - name: Neon organizations API
    description: What each kind of API key may do with organizations.
    link: https://neon.com/docs/manage/orgs-api
"""

EXAMPLES = r"""
- name: List the organizations the key can see
  neon_ops.neon.neon_organization_info:
  register: neon_orgs

- name: Read one organization by name, with its members
  neon_ops.neon.neon_organization_info:
    name: Acme Platform
    members: true
  register: platform

- name: Make sure the key is personal and its user administers the organization
  ansible.builtin.assert:
    that:
      - platform.auth.key_type == 'personal'
      - platform.organizations | length == 1
      - platform.organizations[0].current_user_role == 'admin'
    fail_msg: "Use the personal API key of an admin of Acme Platform"

- name: Read one organization by id, with the key from a vault
  neon_ops.neon.neon_organization_info:
    api_key: "{{ vault_neon_api_key }}"
    org_id: org-acme-platform-27190346
  register: by_id
"""

RETURN = r"""
organizations:
  description:
    - The organizations asked for, sorted by name then id. Empty when none matches.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Organization id.
      type: str
      sample: org-acme-platform-27190346
    name:
      description: Organization name (not unique).
      type: str
      sample: Acme Platform
    handle:
      description: Organization handle.
      type: str
      sample: acme-platform-org-acme-platform-27190346
    plan:
      description: The organization's plan, for example V(free), V(launch), V(scale) or V(business).
      type: str
      sample: business
    managed_by:
      description: Who manages the organization; V(console) for organizations created in the Console or the API.
      type: str
      sample: console
    created_at:
      description: When the organization was created (RFC 3339).
      type: str
      sample: "2024-01-02T00:00:00Z"
    members:
      description: The members of the organization, most recent first.
      type: list
      elements: dict
      returned: when O(members=true)
      contains:
        user_id:
          description: The member's user id.
          type: str
        email:
          description: The member's email address.
          type: str
        role:
          description: V(admin), V(member), V(editor), V(viewer) or V(collaborator).
          type: str
        joined_at:
          description: When the user joined the organization (RFC 3339).
          type: str
        member_id:
          description: Id of the membership (used by the members API).
          type: str
    current_user_role:
      description:
        - The role of the key's user in this organization, or null when the user is not a member or the key is
          not tied to a user.
      type: str
      returned: when O(members=true)
      sample: admin
auth:
  description: What the API key is.
  returned: always
  type: dict
  contains:
    account_id:
      description: The user id for a personal key; the organization id for an organization or project-scoped key.
      type: str
    auth_method:
      description: Neon's C(auth_method), for example V(api_key_user) or V(api_key_org).
      type: str
      sample: api_key_user
    key_type:
      description:
        - V(personal), V(organization) or V(project) (project-scoped); for other authentication methods, the
          C(auth_method) itself.
        - Project transfers need a V(personal) key.
      type: str
      sample: personal
current_user:
  description: The user behind a personal key; null for organization and project-scoped keys.
  returned: always
  type: dict
  contains:
    id:
      description: User id, as in RV(organizations[].members[].user_id).
      type: str
    email:
      description: Email address.
      type: str
    name:
      description: First name.
      type: str
    last_name:
      description: Last name.
      type: str
api_requests:
  description: How many HTTP requests the run sent to the API, retries included.
  returned: always
  type: int
  sample: 3
error:
  description: The API error that made the task fail (status, code, message, request_id, method, path).
  returned: when an API call failed
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.neon_ops.neon.plugins.module_utils._info import read_organizations, run_info
from ansible_collections.neon_ops.neon.plugins.module_utils._module import neon_argument_spec


def main():
    module = AnsibleModule(
        argument_spec=neon_argument_spec(
            org_id=dict(type="str"),
            name=dict(type="str"),
            members=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("org_id", "name")],
        supports_check_mode=True,
    )
    p = module.params
    run_info(module, lambda client: read_organizations(client, org_id=p["org_id"], name=p["name"],
                                                       members=p["members"]))


if __name__ == "__main__":
    main()

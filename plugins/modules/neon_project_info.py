#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: neon_project_info
short_description: Read the Neon projects of an organization, with their integrations
version_added: 1.0.0
description:
  - Lists the projects of one organization (C(GET /projects?org_id=...), in pages of 400, to the last page).
  - Optionally keeps those matching O(search), or reads only the project ids in O(projects).
  - Each project carries its integrations (GitHub, Vercel, Datadog, OpenTelemetry), merged from the listing's
    C(integrations) and C(applications) maps, and the one that blocks a transfer, if any.
author:
  - neon_ops.neon contributors (@neon-ops)
extends_documentation_fragment:
  - neon_ops.neon.neon
  - neon_ops.neon.neon.ATTRIBUTES
  - neon_ops.neon.neon.INFO_MODULE
options:
  org_id:
    description:
      - Id of the organization. Exactly one of O(org_id) and O(org_name) is required.
    type: str
  org_name:
    description:
      - Name (or handle) of the organization, looked up among the organizations the key can see.
      - A name that matches no organization, or several, fails the task and lists the candidates.
    type: str
  search:
    description:
      - Keep only the projects whose name or id contains this text (Neon's own search).
      - Mutually exclusive with O(projects).
    type: str
  projects:
    description:
      - Read only these project ids. Ids the organization does not own are listed in RV(missing_project_ids);
        they do not fail the task.
      - For a handful of ids (up to 20) in an organization larger than one page, each id is looked up with its
        own search request, side by side; for more, the organization is listed once.
      - An empty list reads nothing and returns no project.
    type: list
    elements: str
seealso:
  - module: neon_ops.neon.neon_organization_info
  - module: neon_ops.neon.neon_project_transfer
"""

EXAMPLES = r"""
- name: List every project of an organization
  neon_ops.neon.neon_project_info:
    org_name: Acme Production
  register: prod

- name: Show the projects that cannot be transferred before their integration is removed
  ansible.builtin.debug:
    msg: "{{ item.id }} ({{ item.name }}): remove the {{ item.blocking_integration }} integration"
  loop: "{{ prod.projects | selectattr('blocking_integration') }}"
  loop_control:
    label: "{{ item.id }}"

- name: Check that the destination owns a few projects
  neon_ops.neon.neon_project_info:
    org_id: org-acme-platform-27190346
    projects:
      - billing-core-60114233
      - analytics-eu-30917755
  register: platform

- name: Fail when one of them is not there
  ansible.builtin.assert:
    that: platform.missing_project_ids == []
    fail_msg: "Not in Acme Platform: {{ platform.missing_project_ids | join(', ') }}"

- name: Search projects by name
  neon_ops.neon.neon_project_info:
    org_id: org-acme-prod-81040908
    search: tenant-00
"""

RETURN = r"""
org_id:
  description: Id of the organization that was read.
  returned: success
  type: str
  sample: org-acme-prod-81040908
projects:
  description:
    - The projects found; in the order of O(projects) when it is given, else in Neon's listing order.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Project id.
      type: str
      sample: billing-core-60114233
    name:
      description: Project name.
      type: str
      sample: billing
    region_id:
      description: Region of the project.
      type: str
      sample: aws-us-east-2
    pg_version:
      description: Postgres major version.
      type: int
      sample: 17
    created_at:
      description: When the project was created (RFC 3339).
      type: str
      sample: "2024-01-01T00:00:00Z"
    org_id:
      description: Id of the organization that owns the project.
      type: str
      sample: org-acme-prod-81040908
    integrations:
      description: The integrations and applications installed on the project, sorted, without duplicates.
      type: list
      elements: str
      sample: [github, vercel]
    blocking_integration:
      description:
        - The installed integration that makes Neon refuse to transfer the project (V(github) or V(vercel)), or
          null. Remove it before a transfer.
      type: str
      sample: github
count:
  description: How many projects RV(projects) holds.
  returned: always
  type: int
  sample: 1006
unavailable_project_ids:
  description:
    - Ids Neon listed but could not read in time; their facts are missing from RV(projects). Run again to read
      them. With O(projects), only requested ids appear here.
  returned: always
  type: list
  elements: str
missing_project_ids:
  description: Requested ids the organization does not own (or the key cannot see).
  returned: when O(projects) is given
  type: list
  elements: str
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

from ansible_collections.neon_ops.neon.plugins.module_utils._info import read_projects, run_info
from ansible_collections.neon_ops.neon.plugins.module_utils._module import neon_argument_spec


def main():
    module = AnsibleModule(
        argument_spec=neon_argument_spec(
            org_id=dict(type="str"),
            org_name=dict(type="str"),
            search=dict(type="str"),
            projects=dict(type="list", elements="str"),
        ),
        mutually_exclusive=[("org_id", "org_name"), ("search", "projects")],
        required_one_of=[("org_id", "org_name")],
        supports_check_mode=True,
    )
    p = module.params
    run_info(module, lambda client: read_projects(client, org_id=p["org_id"], org_name=p["org_name"],
                                                  search=p["search"], projects=p["projects"], warn=module.warn))


if __name__ == "__main__":
    main()

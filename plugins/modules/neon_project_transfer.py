#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: neon_project_transfer
short_description: Make a Neon organization own a set of projects
version_added: 1.0.0
description:
  - Declares that the destination organization owns the given Neon projects, and makes it so.
  - Reads where each requested project lives today, transfers only those that are not yet in the destination, in
    batches of at most 400 (the API's cap), with C(POST /organizations/{source_org_id}/projects/transfer).
  - A rerun of a converged state reads, writes nothing and reports RV(ignore:changed=false).
  - Projects with a GitHub or Vercel integration cannot move (Neon refuses the whole batch with HTTP 422). They are
    never sent; everything else moves, and they are reported in RV(blocked).
  - A partial failure says exactly what moved (RV(transferred)), what did not (RV(remaining)) and why (RV(errors)).
author:
  - neon_ops.neon contributors (@neon-ops)
extends_documentation_fragment:
  - neon_ops.neon.neon
  - neon_ops.neon.neon.ATTRIBUTES
attributes:
  check_mode:
    support: full
    details:
      - Sends no write and predicts the projects a real run would transfer, block or miss. Plan limits (HTTP 406)
        cannot be predicted, since the API does not expose an organization's allowance.
  diff_mode:
    support: full
    details:
      - Shows the requested projects the destination owns before and after, one id per line.
  idempotent:
    support: full
options:
  org_id:
    description:
      - Id of the destination organization. Exactly one of O(org_id) and O(org_name) is required.
    type: str
  org_name:
    description:
      - Name (or handle) of the destination organization, looked up among the organizations the key can see.
      - A name that matches no organization, or several, fails the task and lists the candidates.
    type: str
  source_org_id:
    description:
      - Id of the organization the projects move from.
      - Without O(source_org_id) and O(source_org_name), the module finds where each requested project lives among
        the organizations the key can see (reading each project for a handful of ids, listing for many).
    type: str
  source_org_name:
    description:
      - Name (or handle) of the source organization.
    type: str
  projects:
    description:
      - Ids of the projects the destination must own. Duplicates are collapsed with a warning.
      - Every id must exist in the source (or anywhere the key sees, without a source) or already in the
        destination; any other id fails the task before any write, listed in RV(missing).
      - Mutually exclusive with O(all_projects).
    type: list
    elements: str
  all_projects:
    description:
      - Transfer every project of the source organization (which must then be given), except O(exclude).
    type: bool
    default: false
  exclude:
    description:
      - Ids of projects to leave where they are.
    type: list
    elements: str
    default: []
  batch_size:
    description:
      - How many projects one transfer request carries, from 1 to 400.
    type: int
    default: 400
  skip_blocked:
    description:
      - When V(false), projects that cannot move because of a GitHub or Vercel integration fail the task (after
        everything else moved). When V(true), they are only reported in RV(blocked).
    type: bool
    default: false
  from_personal_account:
    description:
      - Move projects out of the personal account of the key's user, with the deprecated
        C(POST /users/me/projects/transfer) endpoint.
      - Neon has migrated personal accounts to organizations and scheduled the endpoint's removal for 2026-07-01.
        Where Neon answers that it is gone, the task fails and explains what to set instead.
    type: bool
    default: false
seealso:
  - name: Transfer projects between organizations
    description: Neon's documentation of project transfers, roles and plan rules.
    link: https://neon.com/docs/manage/orgs-project-transfer
  - module: neon_ops.neon.neon_project_info
  - module: neon_ops.neon.neon_organization_info
"""

EXAMPLES = r"""
- name: Make the platform organization own two projects (found wherever the key sees them)
  neon_ops.neon.neon_project_transfer:
    org_name: platform
    projects:
      - tenant-alpha-1234
      - tenant-bravo-5678

- name: Move every project of an organization, except one, without failing on integration projects
  neon_ops.neon.neon_project_transfer:
    source_org_id: org-old-team-12345678
    org_id: org-platform-87654321
    all_projects: true
    exclude:
      - keep-me-here-0001
    skip_blocked: true
  register: moved

- name: Set the connection once for every module of the collection
  module_defaults:
    group/neon_ops.neon.neon:
      api_key: "{{ vault_neon_api_key }}"
  block:
    - name: Preview the transfer
      neon_ops.neon.neon_project_transfer:
        org_id: org-platform-87654321
        projects: "{{ tenant_projects }}"
      check_mode: true
      diff: true
"""

RETURN = r"""
transferred:
  description:
    - Ids of the projects this run transferred (in check mode, would transfer).
  returned: always
  type: list
  elements: str
  sample: [tenant-000001, tenant-000002]
already_present:
  description:
    - Requested ids the destination already owned (including any another actor moved there during the run).
  returned: always
  type: list
  elements: str
blocked:
  description:
    - Requested projects that cannot move because of a GitHub or Vercel integration; remove it, then run again.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Project id.
      type: str
    integration:
      description: The integration that blocks the transfer (V(github) or V(vercel)).
      type: str
  sample: [{id: billing-api-0001, integration: github}]
missing:
  description:
    - Requested ids found in neither the source nor the destination. Any such id fails the task before any write.
  returned: always
  type: list
  elements: str
remaining:
  description:
    - Ids that were to move but did not, because a batch failed, was not sent after an earlier failure, or the run
      stopped before it could read where they are.
  returned: always
  type: list
  elements: str
errors:
  description:
    - One entry per failed batch.
  returned: always
  type: list
  elements: dict
  contains:
    source_org_id:
      description: The organization the batch moved from.
      type: str
    project_ids:
      description: The ids the failure concerns.
      type: list
      elements: str
    status:
      description: HTTP status, or null when no answer came.
      type: int
    code:
      description: Neon's error code, if any.
      type: str
    message:
      description: Neon's message, with what to do about it.
      type: str
    request_id:
      description: Neon's request id, for Neon support.
      type: str
    limits:
      description: For HTTP 406, the plan limits that were not met (C(name), C(expected), C(actual)).
      type: list
      elements: dict
      returned: when Neon answered HTTP 406
batches:
  description:
    - The transfer requests, in order.
  returned: always
  type: list
  elements: dict
  contains:
    source_org_id:
      description: The organization the batch moves from.
      type: str
    project_ids:
      description: The ids in the batch.
      type: list
      elements: str
    outcome:
      description:
        - V(transferred), V(partial) (some moved), V(failed), V(unknown) (could not be re-read), V(not sent) (after
          an earlier failure) or V(planned) (check mode).
      type: str
    request_id:
      description: Neon's request id of the last failed attempt, if any.
      type: str
      returned: when the batch was sent
    attempts:
      description: Requests sent for this batch.
      type: int
      returned: when the batch was sent
api_requests:
  description: How many HTTP requests the run sent to the API, retries included.
  returned: always
  type: int
  sample: 5
retried:
  description: The transient failures the run recovered from (retries, re-reads after an unknown outcome).
  returned: always
  type: list
  elements: dict
destination_org_id:
  description: Id of the destination organization.
  returned: always
  type: str
error:
  description: The API error that stopped the run before any transfer, if any.
  returned: when an API call failed before any transfer
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.neon_ops.neon.plugins.module_utils._module import neon_argument_spec, neon_client
from ansible_collections.neon_ops.neon.plugins.module_utils._transfer import TransferJob


def main():
    module = AnsibleModule(
        argument_spec=neon_argument_spec(
            org_id=dict(type="str"),
            org_name=dict(type="str"),
            source_org_id=dict(type="str"),
            source_org_name=dict(type="str"),
            projects=dict(type="list", elements="str"),
            all_projects=dict(type="bool", default=False),
            exclude=dict(type="list", elements="str", default=[]),
            batch_size=dict(type="int", default=400),
            skip_blocked=dict(type="bool", default=False),
            from_personal_account=dict(type="bool", default=False),
        ),
        mutually_exclusive=[
            ("org_id", "org_name"),
            ("source_org_id", "source_org_name"),
            ("projects", "all_projects"),
        ],
        required_one_of=[("org_id", "org_name")],
        supports_check_mode=True,
    )
    job = TransferJob(neon_client(module), module.params, check_mode=module.check_mode, diff=module._diff,
                      warn=module.warn)
    result, failed = job.run()
    if failed:
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

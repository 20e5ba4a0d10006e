#!/usr/bin/env python
# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The naive way to transfer projects, as the batch script on Neon's old "transfer projects" docs page does it.

This is the BASELINE of the benchmark, not part of the collection. It keeps every naivety of that script:

- it lists projects with ``limit=10`` (the API's default), one page after the other, with a plain
  ``requests.get`` per page (no session, so no keep-alive: a new connection per request), until a page comes
  back without a cursor;
- it does not look at where the projects are before writing: every requested id is posted every run, in
  batches of 400, sequentially (a project already in the destination makes Neon refuse its whole batch);
- it reports a failed batch and goes on, as the original does.

Two things are changed only so that it works at all against today's API: it reads ``pagination.cursor``
(the original read ``next_cursor``, which GET /projects never had, so it stopped after the first page of
10), and it posts to ``POST /organizations/{source_org_id}/projects/transfer`` (the original's
``/users/me/projects/transfer`` moves out of a personal account only and is being removed).

Given ``--source`` it lists that organization (``--all``: moves every project listed there; ``--ids-file``:
posts those ids from that source, listed or not). Without ``--source`` it lists every organization the key
sees except the destination, to find each requested id, then posts each id from where it was found (ids not
found anywhere are reported and not posted).

``--deadline SECONDS`` (bench only) stops it after that much time, before the next request; the JSON report
then says ``"stopped": true`` and how far it got, so the benchmark can report an estimate, clearly marked.

The key comes from $NEON_API_KEY. The JSON report goes to ``--report`` (or stdout).
"""

import argparse
import json
import os
import sys
import time

import requests


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--dest", required=True, help="destination organization id")
    parser.add_argument("--source", action="append", default=[], help="source organization id (repeatable)")
    parser.add_argument("--all", action="store_true", help="move every project of the source(s)")
    parser.add_argument("--ids-file", help="file with one project id per line")
    parser.add_argument("--deadline", type=float, default=None)
    parser.add_argument("--report")
    args = parser.parse_args()

    api = args.api_url.rstrip("/")
    headers = {"accept": "application/json", "Authorization": "Bearer %s" % os.environ["NEON_API_KEY"]}
    started = time.monotonic()
    report = {"requests": 0, "list_requests": 0, "org_requests": 0, "post_requests": 0, "post_status": {},
              "failed_batches": 0, "transferred": 0, "not_found": 0, "stopped": False, "listed": {}}

    def out_of_time():
        if args.deadline is not None and time.monotonic() - started > args.deadline:
            report["stopped"] = True
            return True
        return False

    def finish():
        report["elapsed"] = time.monotonic() - started
        text = json.dumps(report)
        if args.report:
            with open(args.report, "w") as handle:
                handle.write(text)
        else:
            print(text)
        return 0

    sources = list(args.source)
    if not sources:
        report["requests"] += 1
        report["org_requests"] += 1
        response = requests.get(api + "/users/me/organizations", headers=headers)
        if response.status_code != 200:
            raise Exception("Failed to fetch organizations: %s" % response.text)
        sources = [org["id"] for org in response.json().get("organizations", []) if org["id"] != args.dest]

    # fetch_all_projects(), once per organization
    found = {}
    for org_id in sources:
        url = "%s/projects?limit=10&org_id=%s" % (api, org_id)
        cursor = None
        report["listed"][org_id] = 0
        while True:
            if out_of_time():
                return finish()
            page_url = url + ("&cursor=%s" % cursor if cursor else "")
            report["requests"] += 1
            report["list_requests"] += 1
            response = requests.get(page_url, headers=headers)
            if response.status_code != 200:
                raise Exception("Failed to fetch projects: %s" % response.text)
            data = response.json()
            for project in data.get("projects", []):
                found[project["id"]] = org_id
                report["listed"][org_id] += 1
            cursor = (data.get("pagination") or {}).get("cursor")
            if not cursor:
                break

    # what to post: everything listed, or every requested id (every run: no check of where it is now)
    groups = {}
    if args.all:
        for project_id, org_id in found.items():
            groups.setdefault(org_id, []).append(project_id)
    else:
        with open(args.ids_file) as handle:
            ids = [line.strip() for line in handle if line.strip()]
        for project_id in ids:
            org_id = found.get(project_id) or (args.source[0] if len(args.source) == 1 else None)
            if org_id is None:
                report["not_found"] += 1
                continue
            groups.setdefault(org_id, []).append(project_id)

    batch_size = 400
    for org_id, project_ids in groups.items():
        for i in range(0, len(project_ids), batch_size):
            if out_of_time():
                return finish()
            batch = project_ids[i:i + batch_size]
            report["requests"] += 1
            report["post_requests"] += 1
            response = requests.post("%s/organizations/%s/projects/transfer" % (api, org_id),
                                     json={"project_ids": batch, "destination_org_id": args.dest},
                                     headers=headers)
            status = str(response.status_code)
            report["post_status"][status] = report["post_status"].get(status, 0) + 1
            if response.status_code == 200:
                report["transferred"] += len(batch)
            else:
                report["failed_batches"] += 1
    return finish()


if __name__ == "__main__":
    sys.exit(main())

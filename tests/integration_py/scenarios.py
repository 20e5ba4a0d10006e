# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator scenarios of the end-to-end tests, as data (the YAML format of emulator/scenarios)."""

from __future__ import annotations

ADA_KEY = "ada0personal0key0k3m9x2v7q4w8e5r1t6y0u3i9o2p5a8s1d4f7g0h3j6k9l2"   # admin of SRC, member of DEST
BOB_KEY = "bob0personal0key0z8x5c2v9b6n3m0q7w4e1r8t5y2u9i6o3p0a7s4d1f8g5h"   # viewer of SRC
ORG_KEY = "org0key0of0src0x1c4v7b0n3m6q9w2e5r8t1y4u7i0o3p6a9s2d5f8g1h4j7k"
PROJECT_KEY = "project0scoped0key0m2n5b8v1c4x7z0l3k6j9h2g5f8d1s4a7p0o3i6u9y2"

SRC = "org-src-00000001"
DEST = "org-dest-0000001"
SMALL = "org-small-000001"     # launch plan, 3 projects allowed, one region
OTHER = "org-other-000001"     # a third org Ada administers
LAUNCH = "org-launch-00001"    # launch plan, so moving to SMALL passes the plan order
TWIN_A = "org-twin-a000001"
TWIN_B = "org-twin-b000001"

PLAIN = ["p-plain-%d" % i for i in range(1, 7)]

BASIC = {
    "users": [
        {"email": "ada@example.com", "name": "Ada"},
        {"email": "bob@example.com", "name": "Bob"},
    ],
    "orgs": [
        {"id": SRC, "name": "Source", "plan": "scale", "members": [
            {"user": "ada@example.com", "role": "admin"}, {"user": "bob@example.com", "role": "viewer"}]},
        {"id": DEST, "name": "Destination", "plan": "scale", "members": [
            {"user": "ada@example.com", "role": "member"}, {"user": "bob@example.com", "role": "admin"}]},
        {"id": SMALL, "name": "Small", "plan": "launch", "projects_limit": 3, "regions": ["aws-us-east-2"],
         "members": [{"user": "ada@example.com", "role": "admin"}]},
        {"id": OTHER, "name": "Other", "plan": "scale", "members": [{"user": "ada@example.com", "role": "admin"}]},
        {"id": LAUNCH, "name": "Launch", "plan": "launch", "members": [{"user": "ada@example.com", "role": "admin"}]},
        {"id": TWIN_A, "name": "Twin", "plan": "scale", "members": [{"user": "ada@example.com", "role": "admin"}]},
        {"id": TWIN_B, "name": "Twin", "plan": "scale", "members": [{"user": "ada@example.com", "role": "admin"}]},
    ],
    "api_keys": [
        {"key": ADA_KEY, "kind": "personal", "user": "ada@example.com"},
        {"key": BOB_KEY, "kind": "personal", "user": "bob@example.com"},
        {"key": ORG_KEY, "kind": "org", "org": SRC},
        {"key": PROJECT_KEY, "kind": "project", "project": "p-plain-1"},
    ],
    "projects": (
        [{"id": pid, "org": SRC, "region": "aws-us-east-2"} for pid in PLAIN]
        + [
            {"id": "p-github-1", "org": SRC, "integrations": ["github"]},
            {"id": "p-vercel-1", "org": SRC, "applications": ["vercel"]},
            {"id": "p-datadog-1", "org": SRC, "integrations": ["datadog"]},
            {"id": "p-eu-1", "org": SRC, "region": "aws-eu-central-1"},
            {"id": "p-dest-1", "org": DEST},
            {"id": "p-dest-2", "org": DEST},
            {"id": "p-other-1", "org": OTHER},
            {"id": "p-small-1", "org": SMALL},
            {"id": "p-launch-eu", "org": LAUNCH, "region": "aws-eu-central-1"},
        ]),
    "personal_accounts": {"ada@example.com": ["p-legacy-1", "p-legacy-2"]},
    "generate": [{"org": OTHER, "count": 900, "prefix": "bulk"},
                 {"org": LAUNCH, "count": 4, "prefix": "p-launch"}],
}

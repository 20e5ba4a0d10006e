"""100,000 generated projects: listing in pages of 400 and transferring in batches must stay fast."""

import time

import pytest

from conftest import Client
from neon_emulator import Emulator

KEY = "q7m2c9x4k1v8z3n6b5w0p2r7t4y9u1i3o6a8s5d2f7g4h9j1k3l6e8r0t2y5u7i9"
SRC, DST = "org-bulk-source-0001", "org-bulk-target-0002"
COUNT = 100000


@pytest.fixture(scope="module")
def big():
    scenario = {
        "users": [{"email": "bench@example.com"}],
        "orgs": [
            {"id": SRC, "plan": "business", "projects_limit": 200000,
             "members": [{"user": "bench@example.com", "role": "admin"}]},
            {"id": DST, "plan": "business", "projects_limit": 200000,
             "members": [{"user": "bench@example.com", "role": "admin"}]},
        ],
        "generate": [{"org": SRC, "count": COUNT, "prefix": "tenant",
                      "integrations": {"every": 1000, "kind": "github"}}],
        "api_keys": [{"key": KEY, "kind": "personal", "user": "bench@example.com"}],
    }
    with Emulator(scenario) as emu:
        yield emu


def test_list_100k_in_pages_of_400(big):
    client = Client(big, KEY)
    big.reset_log()
    started = time.monotonic()
    ids, pages = client.list_all(SRC, limit=400)
    elapsed = time.monotonic() - started
    assert len(ids) == COUNT and len(set(ids)) == COUNT and ids == sorted(ids)
    assert len(pages) == COUNT // 400 + 1
    assert sum(len(p["integrations"]) for p in pages) == COUNT // 1000
    # The server's own share (handler start to response ready) is what the emulator
    # controls; the total also holds the client's JSON decoding and machine load.
    server = sum(e["end"] - e["start"] for e in big.request_log)
    print("listed %d projects in %.2f s (server %.2f s)" % (COUNT, elapsed, server))
    assert server < 4.0, server  # about 1 s on an idle 2-core machine
    assert elapsed < 15.0, elapsed  # about 2.5 s idle


def test_transfer_in_batches_is_fast(big):
    client = Client(big, KEY)
    movable = ["tenant-%06d" % n for n in range(1, 40001) if n % 1000]
    started = time.monotonic()
    for i in range(0, len(movable), 400):
        response = client.transfer(SRC, DST, movable[i:i + 400])
        assert response.status_code == 200, response.text
    elapsed = time.monotonic() - started
    print("transferred %d projects in %.2f s" % (len(movable), elapsed))
    assert elapsed < 5.0, elapsed
    ownership = big.ownership()
    assert ownership["tenant-000001"] == DST and ownership["tenant-001000"] == SRC
    assert ownership["tenant-040001"] == SRC

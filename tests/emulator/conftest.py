"""Fixtures for the emulator's own tests: a fresh in-process emulator per test
(state changes must not leak between tests) and requests sessions per key."""

import copy
import os
import sys

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EMULATOR_DIR = os.path.join(ROOT, "emulator")
if EMULATOR_DIR not in sys.path:
    sys.path.insert(0, EMULATOR_DIR)

from neon_emulator import Emulator, load_file  # noqa: E402

BASIC = os.path.join(EMULATOR_DIR, "scenarios", "test-basic.yml")
DEMO = os.path.join(EMULATOR_DIR, "scenarios", "demo.yml")

ADA = "koevrfety53rzlwpnh2nejrhggcxg7q68nd7vtk31m1hj6exd88kfnyd9eaxefhb"
BOB = "m2nqc5p5w79f21scrpesqlppeqannm7wf075gjffgbhp8zma6cradgic18m08dnd"
CAROL = "ufutuxilh4ot5cid0yw14o6garna3b69fx9bbjsh47vpvv0a5dvbdidai7pt5vwy"
ALPHA_ORG_KEY = "jtjb0mpj60csaxdu0f71kh7zt77v1x6wef0chjz9ixcquf4gdv633yyzdaqgunh5"
BETA_ORG_KEY = "eqst6w0gna81ylasvkvxf8mh90dqd01pxok02nxv2amn9tchhk9obaczkfiv08z6"
PROJECT_KEY = "up2o90yncecy7g4cr8qrrb7k0q3x5adhidafjpzxspnf4qunmavjsmabuyp1r0uw"

ADA_ID = "0b8f1c1e-4d0a-4f57-9d53-0c2f7e0a1a01"
ALPHA = "org-alpha-11111111"
BETA = "org-beta-22222222"
GAMMA = "org-gamma-33333333"
DELTA = "org-delta-44444444"
EPSILON = "org-epsilon-55555555"
VERCEL = "org-vercel-66666666"
STRANGER = "org-stranger-77777777"

_BASIC_DICT = load_file(BASIC)


def basic_scenario(**settings):
    scenario = copy.deepcopy(_BASIC_DICT)
    scenario["settings"] = dict(scenario.get("settings") or {}, **settings)
    return scenario


class Client:
    """A keep-alive session bound to one API key, with URL building."""

    def __init__(self, emu, key):
        self.emu = emu
        self.session = requests.Session()
        if key is not None:
            self.session.headers["Authorization"] = "Bearer " + key

    def get(self, path, **kwargs):
        kwargs.setdefault("timeout", 10)
        return self.session.get(self.emu.api_url + path, **kwargs)

    def post(self, path, **kwargs):
        kwargs.setdefault("timeout", 10)
        return self.session.post(self.emu.api_url + path, **kwargs)

    def request(self, method, path, **kwargs):
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.emu.api_url + path, **kwargs)

    def transfer(self, source, dest, ids, **kwargs):
        return self.post("/organizations/%s/projects/transfer" % source,
                         json={"destination_org_id": dest, "project_ids": ids}, **kwargs)

    def list_all(self, org_id=None, limit=400, **params):
        """Follow pagination.cursor to the end; returns (project ids, pages)."""
        ids, pages, cursor = [], [], None
        while True:
            query = dict(params, limit=limit)
            if org_id:
                query["org_id"] = org_id
            if cursor:
                query["cursor"] = cursor
            response = self.get("/projects", params=query)
            assert response.status_code == 200, response.text
            page = response.json()
            pages.append(page)
            ids.extend(p["id"] for p in page["projects"])
            if not page["projects"]:
                return ids, pages
            cursor = page["pagination"]["cursor"]

    def close(self):
        self.session.close()


@pytest.fixture
def emu():
    with Emulator(basic_scenario()) as emulator:
        yield emulator


@pytest.fixture
def make_emu():
    started = []

    def factory(scenario=None, **kwargs):
        emulator = Emulator(scenario if scenario is not None else basic_scenario(), **kwargs).start()
        started.append(emulator)
        return emulator

    yield factory
    for emulator in started:
        emulator.stop()


@pytest.fixture
def client(emu):
    clients = []

    def factory(key=ADA, emulator=None):
        c = Client(emulator or emu, key)
        clients.append(c)
        return c

    yield factory
    for c in clients:
        c.close()


@pytest.fixture
def ada(client):
    return client(ADA)

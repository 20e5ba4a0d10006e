"""Scenario loading and validation, the demo scenario, generation speed, SortedIds."""

import random
import time

import pytest

from conftest import DEMO, Client, basic_scenario
from neon_emulator import Emulator, ScenarioError, build_state, load_file
from neon_emulator.state import SortedIds

DEMO_ADA = "twrq0k3ps0oowpfnyzc6vupou8mo4nwas0c24dt1upg4awe6ddndssw68663yxos"
PROD = "org-acme-prod-81040908"


def test_demo_scenario(make_emu):
    emu = make_emu(load_file(DEMO))
    ada = Client(emu, DEMO_ADA)
    orgs = {o["id"]: o for o in ada.get("/users/me/organizations").json()["organizations"]}
    assert len(orgs) == 3
    ids, pages = ada.list_all(PROD)
    assert len(ids) == 1003 and len(pages) == 4
    integrations = {}
    for page in pages:
        integrations.update(page["integrations"])
    assert sum(1 for v in integrations.values() if "github" in v) == 11  # 1% of tenants + the marketing site


def test_every_key_in_scenarios_is_64_lowercase_alnum():
    import re
    for path in (DEMO, basic_scenario):
        scenario = load_file(path) if isinstance(path, str) else path()
        for key in scenario["api_keys"]:
            assert re.match(r"^[a-z0-9]{64}$", key["key"])


@pytest.mark.parametrize("mutate, fragment", [
    (lambda s: s.pop("orgs"), "orgs"),
    (lambda s: s.update(bogus=1), "bogus"),
    (lambda s: s["orgs"][0].update(plan="platinum"), "platinum"),
    (lambda s: s["orgs"][0]["members"].append({"user": "nobody@example.com", "role": "admin"}), "nobody"),
    (lambda s: s["orgs"][0]["members"].append({"user": "bob@example.com", "role": "owner"}), "role"),
    (lambda s: s["projects"].append({"id": "alpha-one-10000001", "org": "org-alpha-11111111"}), "duplicate"),
    (lambda s: s["projects"].append({"id": "x-1"}), "org"),
    (lambda s: s["projects"].append({"id": "UPPER", "org": "org-alpha-11111111"}), "UPPER"),
    (lambda s: s["projects"].append({"id": "x-2", "org": "org-alpha-11111111", "integrations": ["gitlab"]}),
     "integrations"),
    (lambda s: s["api_keys"].append({"key": "k" * 64, "kind": "root"}), "kind"),
    (lambda s: s["api_keys"].append({"key": "k" * 64, "kind": "project", "project": "nope-1"}), "nope-1"),
    (lambda s: s["settings"].update(empty_page_cursor="sometimes"), "empty_page_cursor"),
    (lambda s: s["settings"].update(personal_transfer="maybe"), "personal_transfer"),
    (lambda s: s.update(generate=[{"org": "org-nope", "count": 1}]), "org-nope"),
])
def test_scenario_validation(mutate, fragment):
    scenario = basic_scenario()
    mutate(scenario)
    with pytest.raises(ScenarioError) as info:
        build_state(scenario)
    assert fragment in str(info.value)


def test_generation_is_fast_and_deterministic():
    scenario = {"orgs": [{"id": "org-big"}],
                "generate": [{"org": "org-big", "count": 100000, "prefix": "t",
                              "integrations": {"every": 100, "kind": "github"}}]}
    started = time.monotonic()
    state = build_state(scenario)
    elapsed = time.monotonic() - started
    assert elapsed < 2.0, elapsed
    assert len(state.org_ids("org-big")) == 100000
    assert list(state.org_ids("org-big").iter_after("t-099998")) == ["t-099999", "t-100000"]
    assert state.projects["t-000100"].integrations == ("github",)
    assert state.projects["t-000101"].integrations == ()


def test_sorted_ids_against_a_model():
    rng = random.Random(7)
    ids = SortedIds()
    model = set()
    for _i in range(20000):
        value = "p-%05d" % rng.randrange(5000)
        if rng.random() < 0.6:
            assert ids.add(value) == (value not in model)
            model.add(value)
        else:
            assert ids.discard(value) == (value in model)
            model.discard(value)
    ordered = sorted(model)
    assert list(ids) == ordered and len(ids) == len(model)
    for cursor in ("p-00000", "p-02500", "p-04999", "p-9", "a"):
        assert list(ids.iter_after(cursor)) == [v for v in ordered if v > cursor]
    assert all(v in ids for v in ordered[:50]) and "zzz" not in ids


def test_emulator_defaults_to_empty_scenario():
    with Emulator() as emu:
        assert emu.ownership() == {}
        assert emu.api_url.endswith("/api/v2")

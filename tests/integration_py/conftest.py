# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from neon_emulator import Emulator  # noqa: E402

from scenarios import BASIC  # noqa: E402


@pytest.fixture
def emulator_factory():
    """Start emulators on free loopback ports from scenario dicts; stop them after the test."""
    started = []

    def start(scenario=None, **settings):
        scenario = copy.deepcopy(scenario or BASIC)
        scenario.setdefault("settings", {}).update(settings)
        emu = Emulator(scenario)
        emu.start()
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.stop()


@pytest.fixture
def emu(emulator_factory):
    return emulator_factory()

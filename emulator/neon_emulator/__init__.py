"""Local emulator of the parts of the Neon API v2 that neon_ops.neon uses.

    from neon_emulator import Emulator
    with Emulator.from_file("emulator/scenarios/test-basic.yml") as emu:
        requests.get(emu.api_url + "/auth", headers={"Authorization": "Bearer " + key})
"""

from .faults import FaultError
from .scenario import ScenarioError, build_state, load_file
from .server import Emulator

__all__ = ["Emulator", "FaultError", "ScenarioError", "build_state", "load_file"]

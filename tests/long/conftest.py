# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tests/long: the emulator package must be importable (make test-long puts emulator/ on PYTHONPATH too)."""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
for path in (os.path.join(ROOT, "emulator"), os.path.join(ROOT, ".build", "collections")):
    if path not in sys.path:
        sys.path.insert(0, path)


def pytest_terminal_summary(terminalreporter):
    """What the property cases did: the figures the README's "What it guarantees" quotes."""
    try:
        from transfer_properties import STATS
    except ImportError:
        return
    if STATS:
        terminalreporter.write_sep("-", "property cases: what they did")
        for name, count in sorted(STATS.items()):
            terminalreporter.write_line("%8d  %s" % (count, name))

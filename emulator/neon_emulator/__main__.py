"""python -m neon_emulator --scenario FILE [--host H] [--port P] [--latency-ms N] [--record FILE] [--verbose]"""

import argparse
import os
import signal
import sys
import threading

from .scenario import ScenarioError
from .server import Emulator

DEFAULT_SCENARIO = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scenarios", "demo.yml")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m neon_emulator", description="Local Neon API v2 emulator")
    parser.add_argument("--scenario", default=DEFAULT_SCENARIO, help="scenario YAML (default: scenarios/demo.yml)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--latency-ms", type=float, default=None, help="extra delay per Neon API request")
    parser.add_argument("--record", default=None,
                        help="append one JSON line per exchange to this file (or set NEON_EMULATOR_RECORD)")
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    args = parser.parse_args(argv)

    try:
        emu = Emulator.from_file(args.scenario, host=args.host, port=args.port, latency_ms=args.latency_ms,
                                 record_path=args.record, verbose=args.verbose)
    except (OSError, ScenarioError, ValueError) as exc:
        print("neon-emulator: cannot load scenario: %s" % exc, file=sys.stderr)
        return 2
    try:
        emu.start()
    except OSError as exc:
        print("neon-emulator: cannot listen on %s:%s: %s" % (args.host, args.port, exc), file=sys.stderr)
        return 2
    print("neon-emulator listening on %s" % emu.api_url, flush=True)

    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_args: done.set())
    while not done.wait(1.0):
        pass
    emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

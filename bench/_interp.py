# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in Python interpreter for ansible-playbook during the benchmark (bench only, never shipped).

bench/run.py points ANSIBLE_PYTHON_INTERPRETER at a two-line shell script that runs this file. Ansible then
starts ``<this> AnsiballZ_neon_project_transfer.py``; we start the real interpreter on the same arguments as
our only child, pass stdin and stderr through, copy its stdout (the module's JSON result) to ours, and reap
it with os.wait4, which returns the rusage of that one process: ru_maxrss is the peak resident set of the
module's own process (AnsiballZ unpacks and runs the module in that process, it starts no other). Neither
ansible-playbook, nor its forked workers, nor this wrapper are counted. A record per run is written to
$BENCH_CAPTURE_DIR/<pid>.json and the module's stdout to <pid>.out.
"""

import json
import os
import subprocess
import sys
import time


def main():
    real = os.environ["BENCH_REAL_PYTHON"]
    capture = os.environ["BENCH_CAPTURE_DIR"]
    started = time.monotonic()
    proc = subprocess.Popen([real] + sys.argv[1:], stdout=subprocess.PIPE)
    data = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4: keep Popen from waiting again
    elapsed = time.monotonic() - started
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    base = os.path.join(capture, str(proc.pid))
    with open(base + ".out", "wb") as handle:
        handle.write(data)
    with open(base + ".json", "w") as handle:
        json.dump({"argv": sys.argv[1:], "maxrss_kb": usage.ru_maxrss, "utime": usage.ru_utime,
                   "stime": usage.ru_stime, "elapsed": elapsed, "stdout_bytes": len(data),
                   "exit": proc.returncode}, handle)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())

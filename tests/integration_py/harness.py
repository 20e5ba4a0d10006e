# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs real ansible-playbook processes against an emulator over loopback HTTP, and reads back the result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")


def ansible_env(extra=None):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_HOME": os.path.join(ROOT, ".build", "ansible-home"),
    })
    env.pop("NEON_API_KEY", None)
    env.pop("NEON_API_URL", None)
    env.update(extra or {})
    return env


def run_playbook(playbook, args=(), env=None, timeout=600, cwd=None):
    """Run ansible-playbook on a path (or on YAML data written to a temporary file)."""
    tmp = None
    if not isinstance(playbook, str):
        tmp = tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False)
        yaml.safe_dump(playbook, tmp, sort_keys=False)
        tmp.close()
        playbook = tmp.name
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
           playbook] + list(args)
    try:
        return subprocess.run(cmd, env=ansible_env(env), capture_output=True, text=True, timeout=timeout,
                              check=False, cwd=cwd or ROOT)
    finally:
        if tmp:
            os.unlink(tmp.name)


def run_module(module, params, check=False, diff=False, verbosity=0, env=None):
    """Run one task of ``module`` with ``params`` through ansible-playbook; return (result, process).

    The registered result is written to a file by a second task, so the test reads exactly what a playbook
    would see, ``failed`` included.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        play = [{
            "name": "neon_ops.neon end to end",
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [
                {"name": "Run the module", module: params, "register": "result", "ignore_errors": True},
                {"name": "Save the result", "ansible.builtin.copy": {
                    "content": "{{ result | to_json }}", "dest": out, "mode": "0600"}, "check_mode": False,
                 "diff": False},
            ],
        }]
        args = []
        if check:
            args.append("--check")
        if diff:
            args.append("--diff")
        if verbosity:
            args.append("-" + "v" * verbosity)
        proc = run_playbook(play, args, env=env)
        if not os.path.exists(out):
            raise AssertionError("ansible-playbook did not get to save the result:\n%s\n%s" % (proc.stdout,
                                                                                               proc.stderr))
        with open(out) as handle:
            return json.load(handle), proc


def recap(stdout, host="localhost"):
    """The PLAY RECAP counters of ``host`` (ok, changed, failed, ...) as ints, from ansible-playbook's output."""
    for line in stdout.splitlines():
        name, sep, counters = line.partition(":")
        if sep and name.strip() == host and "changed=" in counters:
            return {key: int(value) for key, value in (item.split("=") for item in counters.split())}
    raise AssertionError("no PLAY RECAP line for %s in:\n%s" % (host, stdout))


def neon_env(emu, api_key):
    """The environment that points the collection's modules at an emulator with a key (as a user would)."""
    return {"NEON_API_KEY": api_key, "NEON_API_URL": emu.api_url}

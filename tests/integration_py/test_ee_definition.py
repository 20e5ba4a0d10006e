# Copyright (c) 2026, neon_ops.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The execution-environment files: the collection's dependency declaration (meta/execution-environment.yml) as
ansible-builder reads it from an installed collection, and the example EE definition rendered by
`ansible-builder create` (no container runtime needed)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import yaml

from harness import ROOT

BIN = os.path.dirname(sys.executable)
BUILDER = os.path.join(BIN, "ansible-builder")
GALAXY = os.path.join(BIN, "ansible-galaxy")
EXAMPLE = os.path.join(ROOT, "examples", "execution-environment.yml")

pytestmark = pytest.mark.skipif(not os.path.exists(BUILDER), reason="ansible-builder is not installed in the venv "
                                "(requirements-test.txt: ansible-builder==3.2.0)")


def requirement_names(lines):
    """{name: specifier} of pip requirement lines, comments dropped."""
    found = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            match = re.match(r"([A-Za-z0-9_.-]+)\s*(.*)", line)
            found[match.group(1).lower()] = match.group(2).replace(" ", "")
    return found


def run(cmd, **kwargs):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False, **kwargs)
    assert proc.returncode == 0, "%s\n%s\n%s" % (" ".join(cmd), proc.stdout, proc.stderr)
    return proc.stdout


def test_collection_declares_its_python_requirements():
    with open(os.path.join(ROOT, "meta", "execution-environment.yml")) as handle:
        meta = yaml.safe_load(handle)
    assert meta["version"] == 1 and set(meta["dependencies"]) == {"python"}
    with open(os.path.join(ROOT, meta["dependencies"]["python"])) as handle:     # relative to the collection root
        ee = requirement_names(handle)
    with open(os.path.join(ROOT, "requirements.txt")) as handle:
        runtime = requirement_names(handle)
    assert ee == {"requests": runtime["requests"]}


def test_installed_collection_brings_its_requirements_into_an_ee(tmp_path):
    """Build the collection tarball, install it, and let ansible-builder's introspection read it, as an EE build
    does inside its builder stage."""
    dist = tmp_path / "dist"
    run([GALAXY, "collection", "build", "--output-path", str(dist), ROOT])
    tarball = next(dist.glob("neon_ops-neon-*.tar.gz"))
    collections = tmp_path / "collections"
    # A clean environment: the test's PYTHONPATH would show ansible-galaxy the repository as installed already.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ANSIBLE_COLLECTIONS_PATH")}
    run([GALAXY, "collection", "install", "--offline", "--force", "-p", str(collections), str(tarball)],
        env=dict(env, ANSIBLE_COLLECTIONS_PATH=str(collections)))
    assert (collections / "ansible_collections" / "neon_ops" / "neon" / "meta" / "ee-requirements.txt").is_file()
    out = run([BUILDER, "introspect", str(collections)])
    data = yaml.safe_load(out[out.index("---"):])
    assert data["python"] == ["requests>=2.25.0  # from collection neon_ops.neon"]
    assert data["system"] == []


def test_example_ee_definition_renders_a_build_context(tmp_path):
    context = tmp_path / "context"
    run([BUILDER, "create", "-f", EXAMPLE, "--context", str(context), "--output-filename", "Containerfile"])
    with open(context / "Containerfile") as handle:
        containerfile = handle.read()
    with open(EXAMPLE) as handle:
        definition = yaml.safe_load(handle)
    assert 'ARG EE_BASE_IMAGE="%s"' % definition["images"]["base_image"]["name"] in containerfile
    assert 'ARG ANSIBLE_INSTALL_REFS="ansible-core>=2.19.0,<2.20 ansible-runner"' in containerfile
    assert 'ARG PYCMD="/usr/bin/python3.11"' in containerfile
    # The galaxy stage installs the collections; the builder stage introspects them for their requirements.
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in containerfile
    assert "introspect.py introspect --write-bindep=/tmp/src/bindep.txt --write-pip=/tmp/src/requirements.txt" \
        in containerfile
    with open(context / "_build" / "requirements.yml") as handle:
        galaxy = yaml.safe_load(handle)
    assert galaxy["collections"] == [{"name": "neon_ops.neon", "version": ">=1.0.0"}]
    assert (context / "_build" / "scripts" / "introspect.py").is_file()

#!/usr/bin/env bash
# Run `ansible-test sanity --local` on exactly the files git knows about.
#
# ansible-test needs the collection at .../ansible_collections/<namespace>/<name>/ and
# discovers content through git when the content root holds a .git (it walks up from the
# current directory otherwise, which would find the outer repository, where .build/ is
# ignored, and then see no files at all). So: stage the git-known files into
# .build/sanity/ansible_collections/neon_ops/neon/, make that copy its own git repository
# (git init + git add -A) and run ansible-test there.
#
# No ignore file: tests/sanity/ignore-*.txt must not exist.
#
# usage: tools/sanity.sh [extra ansible-test sanity args, e.g. --test pylint]
# env:   VENV (default .build/venv)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${VENV:-$root/.build/venv}
case "$venv" in /*) ;; *) venv="$root/$venv" ;; esac
py="$venv/bin/python"
ansible_test="$venv/bin/ansible-test"

if [[ ! -x "$ansible_test" ]]; then
    echo "sanity.sh: $ansible_test not found; run 'make venv' first" >&2
    exit 2
fi

read -r namespace name < <("$py" - "$root/galaxy.yml" <<'PY'
import sys, yaml
with open(sys.argv[1]) as f:
    meta = yaml.safe_load(f)
print(meta["namespace"], meta["name"])
PY
)

sanity_root="$root/.build/sanity"
dest="$sanity_root/ansible_collections/$namespace/$name"

start=$SECONDS
echo "sanity: staging git-known files into ${dest#"$root"/}"
"$root/tools/stage.sh" "$dest"

shopt -s nullglob
ignores=("$dest"/tests/sanity/ignore-*.txt)
shopt -u nullglob
if (( ${#ignores[@]} )); then
    echo "sanity: FAILED: sanity ignore files are not allowed in this collection:" >&2
    printf '  %s\n' "${ignores[@]#"$dest"/}" >&2
    exit 1
fi

(
    cd "$dest"
    git init -q
    git add -A
)
echo "sanity: $(cd "$dest" && git ls-files | wc -l) files in the sanity copy"

# ansible-test bootstraps pip into each sanity virtualenv with a get-pip script that it
# downloads from ci-files.testing.ansible.com (unreachable here). Give it a cached stand-in
# (~/.ansible/test/cache/get_pip_<pip version with underscores>.py, see
# ansible_test/_util/target/setup/requirements.py: bootstrap()) that uses ensurepip and then
# pip-installs the requested packages from the package index. Written only when missing.
pip_version=$("$py" - <<'PY'
import re, types
try:
    from ansible_test._internal.python_requirements import get_venv_packages
    print(get_venv_packages(types.SimpleNamespace(version="3.11"))["pip"])
except Exception:  # fall back to reading the pin from the source
    import ansible_test, os
    src = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")
    print(re.search(r"pip='([0-9.]+)'", open(src).read()).group(1))
PY
)
get_pip="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
if [[ -e "$get_pip" ]]; then
    echo "sanity: using existing pip bootstrap script $get_pip"
else
    echo "sanity: writing offline pip bootstrap stand-in $get_pip"
    mkdir -p "$(dirname "$get_pip")"
    cat > "$get_pip.tmp" <<'PY'
"""Offline stand-in for get-pip.py, written by neon_ops.neon tools/sanity.sh.

ansible-test runs this (via its quiet_pip.py wrapper) inside a fresh virtualenv created
with --without-pip, passing pip-install options and packages such as pip==24.2 plus
--no-setuptools/--no-wheel. Bootstrap pip with the standard library's ensurepip, then
install the requested packages with it.
"""
import subprocess
import sys

_DROP = ("--no-setuptools", "--no-wheel")


def main():
    args = [a for a in sys.argv[1:] if a not in _DROP]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
    if "--no-setuptools" in sys.argv[1:]:
        # ensurepip on Python < 3.12 also installs setuptools; get-pip.py would not have.
        subprocess.call([sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", "setuptools"])


if __name__ == "__main__":
    main()
PY
    mv "$get_pip.tmp" "$get_pip"
fi

python_version=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

cd "$dest"
echo "sanity: ansible-test sanity --local --python $python_version $*"
set +e
env -u PYTHONPATH -u ANSIBLE_COLLECTIONS_PATH -u ANSIBLE_COLLECTIONS_PATHS \
    PATH="$venv/bin:$PATH" \
    "$ansible_test" sanity --local --python "$python_version" "$@"
rc=$?
set -e
echo "sanity: ansible-test exited $rc after $((SECONDS - start))s (results: ${dest#"$root"/}/tests/output/)"
exit $rc

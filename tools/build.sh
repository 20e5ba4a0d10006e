#!/usr/bin/env bash
# Build the collection tarball from the files git knows about and prove it installs.
#
#   1. stage the git-known files into .build/build-src/ansible_collections/<ns>/<name>/
#      (so local junk that git ignores can never reach the tarball);
#   2. ansible-galaxy collection build -> .build/dist/<ns>-<name>-<version>.tar.gz;
#   3. check the tarball holds no scratch files (.build/, tests/output/, caches, *.pyc, ...);
#   4. ansible-galaxy collection install --offline of the tarball into a temporary path and
#      check that ansible-galaxy lists it there with the right version.
#
# usage: tools/build.sh
# env:   VENV (default .build/venv)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${VENV:-$root/.build/venv}
case "$venv" in /*) ;; *) venv="$root/$venv" ;; esac
bin="$venv/bin"

read -r namespace name version readme < <("$bin/python" - "$root/galaxy.yml" <<'PY'
import sys, yaml
with open(sys.argv[1]) as f:
    meta = yaml.safe_load(f)
print(meta["namespace"], meta["name"], meta["version"], meta["readme"])
PY
)

start=$SECONDS
src="$root/.build/build-src/ansible_collections/$namespace/$name"
dist="$root/.build/dist"
"$root/tools/stage.sh" "$src"
rm -rf "$dist"
mkdir -p "$dist"

unset PYTHONPATH ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS
"$bin/ansible-galaxy" collection build "$src" --output-path "$dist" --force
tarball="$dist/$namespace-$name-$version.tar.gz"
if [[ ! -f "$tarball" ]]; then
    echo "build: FAILED: expected $tarball" >&2
    ls -l "$dist" >&2
    exit 1
fi

listing=$(tar -tzf "$tarball")
bad=$(grep -E '(^|/)(\.build|\.venv|\.git|\.ci|tests/output|__pycache__|\.pytest_cache|\.hypothesis|bench/results|tools)(/|$)|\.pyc$|\.tar\.gz$' <<<"$listing" || true)
if [[ -n "$bad" ]]; then
    echo "build: FAILED: the tarball contains files that build_ignore should exclude:" >&2
    while IFS= read -r line; do echo "  $line" >&2; done <<<"$bad"
    exit 1
fi
for required in MANIFEST.json FILES.json "$readme" meta/runtime.yml; do
    if ! grep -qx "$required" <<<"$listing"; then
        echo "build: FAILED: the tarball lacks $required" >&2
        exit 1
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/neon-collection-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
ANSIBLE_COLLECTIONS_PATH="$tmp" "$bin/ansible-galaxy" collection install --offline --force -p "$tmp" "$tarball"
installed="$tmp/ansible_collections/$namespace/$name"
if [[ ! -f "$installed/MANIFEST.json" ]]; then
    echo "build: FAILED: $installed/MANIFEST.json missing after install" >&2
    exit 1
fi
if ! ANSIBLE_COLLECTIONS_PATH="$tmp" "$bin/ansible-galaxy" collection list -p "$tmp" "$namespace.$name" 2>/dev/null \
        | grep -Eq "^$namespace\.$name +$version\b"; then
    echo "build: FAILED: ansible-galaxy does not list $namespace.$name $version in $tmp" >&2
    ANSIBLE_COLLECTIONS_PATH="$tmp" "$bin/ansible-galaxy" collection list -p "$tmp" >&2 || true
    exit 1
fi
echo "build: OK: $(du -h "$tarball" | cut -f1) ${tarball#"$root"/} ($(wc -l <<<"$listing") entries) installs as $namespace.$name $version ($((SECONDS - start))s)"

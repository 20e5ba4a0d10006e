#!/usr/bin/env bash
# Run one pytest suite directory with the test venv.
#
#   - the directory does not exist yet: say so clearly and succeed (suites are being written);
#   - pytest collects no test (exit code 5): FAIL (an empty suite is not a green suite);
#   - any other non-zero pytest exit code: FAIL with that code.
# Every outcome is recorded in .build/test-status/<suite> (ran / skipped / failed) so that
# `make test` can refuse a run in which no suite ran at all.
#
# usage: tools/pytest-suite.sh NAME DIR [extra pytest args...]
# env:   VENV (default .build/venv), PYTEST_TIMEOUT (seconds per test, default 300),
#        PYTEST_ARGS (extra args, split on whitespace)
set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 NAME DIR [pytest args...]" >&2
    exit 2
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
name=$1
dir=$2
shift 2
venv=${VENV:-$root/.build/venv}
case "$venv" in /*) ;; *) venv="$root/$venv" ;; esac
status_dir="$root/.build/test-status"
mkdir -p "$status_dir"

cd "$root"
if [[ ! -d "$dir" ]]; then
    echo "=== $name: SKIPPED: $dir does not exist yet (no suite to run)"
    echo skipped > "$status_dir/$name"
    exit 0
fi

# shellcheck disable=SC2206  # PYTEST_ARGS is deliberately word-split
extra=(${PYTEST_ARGS:-})
echo "=== $name: pytest $dir"
set +e
"$venv/bin/python" -m pytest "$dir" \
    -o cache_dir="$root/.build/pytest_cache" \
    --timeout="${PYTEST_TIMEOUT:-300}" \
    -r fEs \
    "$@" "${extra[@]}"
rc=$?
set -e

case $rc in
    0)
        echo ran > "$status_dir/$name"
        ;;
    5)
        echo failed > "$status_dir/$name"
        echo "=== $name: FAILED: pytest collected no tests in $dir (exit code 5)" >&2
        ;;
    *)
        echo failed > "$status_dir/$name"
        echo "=== $name: FAILED: pytest exit code $rc" >&2
        ;;
esac
exit $rc

#!/usr/bin/env bash
# make demo: the ownership playbook against a local Neon emulator, three times.
#
#   1. check mode with --diff: what would move (nothing is sent);
#   2. the real run: the projects move;
#   3. the same again: nothing left to do, the recap shows changed=0 (the demo fails otherwise).
#
# It starts the emulator with emulator/scenarios/demo.yml on a free loopback port, runs
# `ansible-playbook neon_ops.neon.transfer_projects` with examples/ownership.yml and Ada's personal key from the
# scenario, and stops the emulator on exit, whatever happens. Needs only `make venv` (tools from .build/venv).
#
# usage: tools/demo.sh        env: VENV (default .build/venv), DEMO_DIFF_LINES (diff lines shown per run of
#                                  added/removed lines, default 6; 0 shows everything)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${VENV:-$root/.build/venv}
case "$venv" in /*) ;; *) venv="$root/$venv" ;; esac
py="$venv/bin/python"
playbook="$venv/bin/ansible-playbook"
scenario="$root/emulator/scenarios/demo.yml"
ownership="$root/examples/ownership.yml"
diff_lines=${DEMO_DIFF_LINES:-6}

if [[ ! -x "$playbook" ]]; then
    echo "demo: $playbook not found; run 'make venv' first" >&2
    exit 2
fi

# The collection is found through .build/collections/ansible_collections/neon_ops/neon -> the repository root.
link="$root/.build/collections/ansible_collections/neon_ops/neon"
if [[ ! -e "$link" ]]; then
    mkdir -p "$(dirname "$link")"
    ln -s ../../../.. "$link"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/neon-demo.XXXXXX")
emulator_pid=
cleanup() {
    if [[ -n "$emulator_pid" ]] && kill -0 "$emulator_pid" 2>/dev/null; then
        kill "$emulator_pid" 2>/dev/null || true
        wait "$emulator_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

banner() {
    printf '\n\033[1m==== %s\033[0m\n' "$*"
}

# -- the emulator ----------------------------------------------------------------------------------------------------

PYTHONPATH="$root/emulator" "$py" -m neon_emulator --scenario "$scenario" --host 127.0.0.1 --port 0 \
    >"$work/emulator.out" 2>"$work/emulator.err" &
emulator_pid=$!

api_url=
for _ in $(seq 1 100); do
    api_url=$(sed -n '1s/^neon-emulator listening on //p' "$work/emulator.out")
    [[ -n "$api_url" ]] && break
    if ! kill -0 "$emulator_pid" 2>/dev/null; then
        echo "demo: the emulator did not start:" >&2
        cat "$work/emulator.err" >&2
        exit 1
    fi
    sleep 0.1
done
if [[ -z "$api_url" ]]; then
    echo "demo: the emulator did not say where it listens within 10 s" >&2
    exit 1
fi

# Ada's personal key (admin of both Acme organizations), read from the scenario.
api_key=$("$py" - "$scenario" <<'PY'
import sys, yaml
with open(sys.argv[1]) as handle:
    keys = yaml.safe_load(handle)["api_keys"]
print(next(k["key"] for k in keys if k.get("name") == "ada-personal"))
PY
)

# How many projects each organization owns, from the emulator's control endpoint (not part of the Neon API).
ownership_summary() {
    "$py" - "${api_url%/api/v2}/_emulator/state" <<'PY'
import collections, json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1]) as answer:
    state = json.load(answer)
counts = collections.Counter(state["ownership"].values())
for org_id, org in sorted(state["orgs"].items(), key=lambda item: item[1]["name"]):
    print("  %-16s %-28s %5d project(s)" % (org["name"], org_id, counts.get(org_id, 0)))
PY
}

# Long diffs (one line per project) are cut to a few lines per run of additions or removals.
shorten_diff() {
    awk -v keep="$diff_lines" '
        function flush() { if (run > keep) printf "   ... %d more line(s)\n", run - keep; run = 0 }
        {
            line = $0; gsub(/\033\[[0-9;]*m/, "", line)
            if (keep > 0 && line ~ /^[-+]/ && line !~ /^(\+\+\+|---)/) {
                run++
                if (run <= keep) print
                next
            }
            flush(); print
        }
        END { flush() }'
}

export ANSIBLE_COLLECTIONS_PATH="$root/.build/collections"
export ANSIBLE_HOME="$root/.build/ansible-home"
export ANSIBLE_LOCALHOST_WARNING=false
export ANSIBLE_INVENTORY_UNPARSED_WARNING=false
export ANSIBLE_RETRY_FILES_ENABLED=false
export NEON_API_URL="$api_url"
export NEON_API_KEY="$api_key"
unset ANSIBLE_PYTHON_INTERPRETER    # the implicit localhost runs modules with ansible-playbook's own Python
if [[ -t 1 ]]; then export ANSIBLE_FORCE_COLOR=true; fi

run() {
    "$playbook" neon_ops.neon.transfer_projects -e "neon_ownership_file=$ownership" "$@" 2>&1 \
        | tee "$work/last.out" | shorten_diff
}

cd "$work"    # nothing the demo writes lands in the repository

banner "Neon emulator listening on $api_url (scenario emulator/scenarios/demo.yml)"
echo "ownership file: examples/ownership.yml; key: Ada's personal key (NEON_API_KEY)"
echo "before:"
ownership_summary

banner "1/3  ansible-playbook neon_ops.neon.transfer_projects --check --diff   (a prediction: nothing is sent)"
run --check --diff

banner "2/3  ansible-playbook neon_ops.neon.transfer_projects   (the real run)"
run
echo "after:"
ownership_summary

banner "3/3  ansible-playbook neon_ops.neon.transfer_projects   (again: nothing left to do)"
run
if grep -Eq 'localhost[[:space:]]*:.* changed=0 .* failed=0 ' <(sed 's/\x1b\[[0-9;]*m//g' "$work/last.out"); then
    banner "converged: the second real run changed nothing (changed=0)"
else
    echo "demo: FAILED: the second real run was expected to report changed=0 and failed=0" >&2
    exit 1
fi

# Build and test tooling for the neon_ops.neon Ansible collection (the repository root is the collection root).
#
#   make test        everything CI runs (.ci/run): unit, emulator, integration, contract, lint, sanity, build
#   make help        list the targets
#
# All tools come from .build/venv (created and filled from the pinned requirements*.txt by `make venv`;
# re-installed only when a requirements file changes). The collection is importable as
# ansible_collections.neon_ops.neon through the symlink
# .build/collections/ansible_collections/neon_ops/neon -> repository root (`make collection-link`).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
ROOT := $(CURDIR)
BUILD := $(ROOT)/.build
VENV := $(BUILD)/venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements.stamp
CONSTRAINTS := requirements-test-constraints.txt
BENCH_REQUIREMENTS := requirements-bench.txt
REQUIREMENTS := $(filter-out $(BENCH_REQUIREMENTS),$(sort $(wildcard requirements*.txt)))
REQUIREMENTS_INSTALL := $(filter-out $(CONSTRAINTS),$(REQUIREMENTS))
BENCH_STAMP := $(VENV)/.bench-requirements.stamp
COLLECTIONS := $(BUILD)/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/neon_ops/neon
EXCHANGES := $(BUILD)/exchanges.jsonl

# emulator / bench knobs
EMULATOR_HOST ?= 127.0.0.1
EMULATOR_PORT ?= 8080
EMULATOR_SCENARIO ?= emulator/scenarios/demo.yml
EMULATOR_ARGS ?=
BENCH_ARGS ?=
# per-test timeout (pytest-timeout), seconds; extra pytest args for every suite
PYTEST_TIMEOUT ?= 300
PYTEST_LONG_TIMEOUT ?= 3600
PYTEST_ARGS ?=
# extra ansible-test sanity args, e.g. SANITY_ARGS="--test validate-modules"
SANITY_ARGS ?=

# environment for everything that imports the collection or the emulator
TEST_ENV := env \
	PATH="$(BIN):$$PATH" \
	PYTHONPATH="$(COLLECTIONS):$(ROOT)/emulator" \
	ANSIBLE_COLLECTIONS_PATH="$(COLLECTIONS)" \
	VENV="$(VENV)" \
	PYTEST_TIMEOUT="$(PYTEST_TIMEOUT)" \
	PYTEST_ARGS="$(PYTEST_ARGS)"

TEST_TARGETS := test-unit test-emulator test-integration test-contract test-lint test-sanity test-build
PYTEST_SUITES := test-unit test-emulator test-integration test-contract

.PHONY: help venv collection-link lock test $(TEST_TARGETS) test-long bench bench-big demo emulator clean distclean

help:
	@echo "targets:"
	@echo "  venv              create .build/venv and install the pinned requirements (only when they changed)"
	@echo "  collection-link   .build/collections/ansible_collections/neon_ops/neon -> repository root"
	@echo "  test              $(TEST_TARGETS) (in this order; fails if any fails)"
	@echo "  test-unit         pytest tests/unit"
	@echo "  test-emulator     pytest tests/emulator"
	@echo "  test-integration  pytest tests/integration_py, recording API exchanges to .build/exchanges.jsonl"
	@echo "  test-contract     pytest tests/contract (reads .build/exchanges.jsonl)"
	@echo "  test-lint         ansible-lint --profile production"
	@echo "  test-sanity       ansible-test sanity --local on a git-known copy (SANITY_ARGS=...)"
	@echo "  test-build        ansible-galaxy collection build + install of the tarball"
	@echo "  test-long         pytest tests/long (not part of test)"
	@echo "  bench, bench-big  bench/run.py [--big] (BENCH_ARGS=...)"
	@echo "  demo              tools/demo.sh"
	@echo "  emulator          the demo emulator in the foreground on $(EMULATOR_HOST):$(EMULATOR_PORT)"
	@echo "  lock              regenerate $(CONSTRAINTS) from requirements-test.txt"
	@echo "  clean             remove build/test outputs (keeps the venv); distclean: all of .build"

# ---------------------------------------------------------------------------------------------------------
# environment

venv: $(STAMP)

# Re-install whenever any requirements*.txt is newer than the stamp (a new requirements-foo.txt counts too:
# it is installed and it is newer than the stamp). A failed install leaves the stamp untouched.
$(STAMP): $(REQUIREMENTS)
	@start=$$SECONDS; \
	if [ ! -x "$(BIN)/python" ]; then \
		echo "venv: creating $(VENV) with $$($(PYTHON) --version 2>&1)"; \
		$(PYTHON) -m venv "$(VENV)"; \
	fi; \
	echo "venv: installing $(REQUIREMENTS_INSTALL) (constraints: $(CONSTRAINTS))"; \
	PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 "$(BIN)/python" -m pip install --quiet \
		$(addprefix -r ,$(REQUIREMENTS_INSTALL)) $(if $(wildcard $(CONSTRAINTS)),-c $(CONSTRAINTS)) \
		2> >(grep -v --line-buffered 'is ignored: it is neither a file nor a directory' >&2); \
	"$(BIN)/python" -m pip check; \
	touch "$@"; \
	echo "venv: ready in $$((SECONDS - start))s"

collection-link:
	@mkdir -p "$(dir $(COLLECTION_LINK))"
	@if [ "$$(readlink "$(COLLECTION_LINK)" 2>/dev/null)" != "../../../.." ]; then \
		rm -rf "$(COLLECTION_LINK)"; \
		ln -s ../../../.. "$(COLLECTION_LINK)"; \
		echo "collection-link: $(COLLECTION_LINK) -> $(ROOT)"; \
	fi

lock:
	PYTHON=$(PYTHON) tools/lock-requirements.sh

# ---------------------------------------------------------------------------------------------------------
# the CI entry point

# Runs every test target in order, keeps going after a failure so the report is complete, and fails if any
# target failed or if not a single pytest suite exists (all skipped: nothing was tested).
test: venv collection-link
	@rm -rf "$(BUILD)/test-status"; mkdir -p "$(BUILD)/test-status"; \
	failed=""; summary=""; total_start=$$SECONDS; \
	for t in $(TEST_TARGETS); do \
		echo; echo "################ make $$t"; \
		start=$$SECONDS; \
		if $(MAKE) $$t; then res=ok; else res=FAILED; failed="$$failed $$t"; fi; \
		summary="$$summary$$(printf '  %-17s %-7s %4ss' "$$t" "$$res" "$$((SECONDS - start))")\n"; \
	done; \
	ran=0; skipped=""; \
	for s in $(PYTEST_SUITES); do \
		case "$$(cat "$(BUILD)/test-status/$$s" 2>/dev/null)" in \
			ran|failed) ran=$$((ran + 1));; \
			skipped) skipped="$$skipped $$s";; \
		esac; \
	done; \
	echo; echo "################ make test summary ($$((SECONDS - total_start))s)"; printf "$$summary"; \
	if [ -n "$$skipped" ]; then echo "skipped (suite directory missing):$$skipped"; fi; \
	if [ "$$ran" -eq 0 ] && [ "$${ALLOW_NO_TESTS:-0}" != 1 ]; then \
		echo "make test: FAILED: no pytest suite exists yet, nothing was tested (ALLOW_NO_TESTS=1 to accept)"; \
		exit 1; \
	fi; \
	if [ -n "$$failed" ]; then echo "make test: FAILED:$$failed"; exit 1; fi; \
	echo "make test: all targets passed"

# ---------------------------------------------------------------------------------------------------------
# test targets

test-unit: venv collection-link
	@$(TEST_ENV) tools/pytest-suite.sh test-unit tests/unit

test-emulator: venv collection-link
	@$(TEST_ENV) tools/pytest-suite.sh test-emulator tests/emulator

# The emulator appends every Neon API exchange to $NEON_EMULATOR_RECORD; truncated first so that
# test-contract checks exactly this run's exchanges.
test-integration: venv collection-link
	@mkdir -p "$(BUILD)"; : > "$(EXCHANGES)"
	@$(TEST_ENV) NEON_EMULATOR_RECORD="$(EXCHANGES)" tools/pytest-suite.sh test-integration tests/integration_py
	@echo "test-integration: $$(wc -l < "$(EXCHANGES)") exchanges recorded in $(EXCHANGES)"

test-contract: venv collection-link
	@if [ -d tests/contract ] && [ ! -s "$(EXCHANGES)" ]; then \
		echo "test-contract: note: $(EXCHANGES) is missing or empty (run make test-integration first)"; \
	fi
	@$(TEST_ENV) NEON_EMULATOR_RECORD="$(EXCHANGES)" NEON_EXCHANGES="$(EXCHANGES)" \
		tools/pytest-suite.sh test-contract tests/contract

# Configuration (profile, offline, excluded scratch dirs) lives in .ansible-lint; no rule is skipped.
test-lint: venv collection-link
	@echo "=== test-lint: ansible-lint --profile production"
	@$(TEST_ENV) $(BIN)/ansible-lint --profile production --strict $$([ -t 1 ] || echo --nocolor)

test-sanity: venv
	@tools/sanity.sh $(SANITY_ARGS)

test-build: venv
	@VENV="$(VENV)" tools/build.sh

test-long: venv collection-link
	@$(TEST_ENV) PYTEST_TIMEOUT="$(PYTEST_LONG_TIMEOUT)" tools/pytest-suite.sh test-long tests/long

# ---------------------------------------------------------------------------------------------------------
# benchmarks, demo, emulator

# The plot's dependencies (matplotlib) are for the benchmark only: make test never installs them.
$(BENCH_STAMP): $(BENCH_REQUIREMENTS) $(STAMP)
	@PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 "$(BIN)/python" -m pip install --quiet -r $(BENCH_REQUIREMENTS) \
		2> >(grep -v --line-buffered 'is ignored: it is neither a file nor a directory' >&2)
	@touch "$@"

bench: venv collection-link $(BENCH_STAMP)
	@if [ ! -f bench/run.py ]; then echo "bench: FAILED: bench/run.py does not exist yet" >&2; exit 1; fi
	@$(TEST_ENV) $(BIN)/python bench/run.py $(BENCH_ARGS)

bench-big: venv collection-link $(BENCH_STAMP)
	@if [ ! -f bench/run.py ]; then echo "bench-big: FAILED: bench/run.py does not exist yet" >&2; exit 1; fi
	@$(TEST_ENV) $(BIN)/python bench/run.py --big $(BENCH_ARGS)

demo: venv collection-link
	@if [ ! -f tools/demo.sh ]; then echo "demo: FAILED: tools/demo.sh does not exist yet" >&2; exit 1; fi
	@$(TEST_ENV) bash tools/demo.sh

emulator: venv
	@if [ ! -d emulator/neon_emulator ]; then echo "emulator: FAILED: emulator/neon_emulator does not exist yet" >&2; exit 1; fi
	@$(TEST_ENV) $(BIN)/python -m neon_emulator --scenario "$(EMULATOR_SCENARIO)" \
		--host "$(EMULATOR_HOST)" --port "$(EMULATOR_PORT)" $(EMULATOR_ARGS)

# ---------------------------------------------------------------------------------------------------------

clean:
	rm -rf "$(BUILD)/dist" "$(BUILD)/build-src" "$(BUILD)/sanity" "$(BUILD)/test-status" "$(BUILD)/pytest_cache" \
		"$(EXCHANGES)" "$(BUILD)/collections" tests/output .pytest_cache .hypothesis .ansible
	find . -path ./.git -prune -o -path ./.build -prune -o -name __pycache__ -type d -print0 | xargs -0 rm -rf

distclean: clean
	rm -rf "$(BUILD)"

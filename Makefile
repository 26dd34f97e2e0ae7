# The two commands of the README are `make run` and `make test`; the rest serve them.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin

# Installs come from uv.lock (every package pinned with its hashes) through uv: a cold install of
# the test environment takes seconds where pip takes over a minute. uv is bootstrapped from PyPI
# into its own small venv (.uv/), so that syncing .venv exactly never removes it; nothing but
# Python 3.11+ is needed on the machine.
UV_VERSION := 0.13.8
UV := .uv/bin/uv
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
SYNC := $(UV) sync --quiet --locked --python $(PYTHON)
STALE := { echo "could not install from uv.lock (if pyproject.toml changed, run: make lock)" >&2; exit 1; }

.PHONY: run test services tools lint lock bench bench-quick mutate mutate-changed cluster ha test-faults clean assets js

$(UV):
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required" >&2; exit 1; }
	$(PYTHON) -m venv .uv
	.uv/bin/python -m pip install -qq --disable-pip-version-check uv==$(UV_VERSION)

# What `make run` needs; --inexact keeps the test tools of an earlier `make test`.
$(VENV)/.base: $(UV) uv.lock pyproject.toml
	$(SYNC) --inexact || $(STALE)
	@touch $@

$(VENV)/.test: $(UV) uv.lock pyproject.toml
	$(SYNC) --extra test || $(STALE)
	@touch $@

## Serve the Jiyuan demo on the embedded default (SQLite, one process) at 127.0.0.1:$${PORT:-5000}.
run: $(VENV)/.base
	exec $(BIN)/python -m server.serve

## Resolve pyproject.toml's dependencies again into uv.lock (LOCK_ARGS=--upgrade for newer versions).
lock: $(UV)
	$(UV) lock $(LOCK_ARGS)

## Start (installing when missing) PostgreSQL+PostGIS and Redis on this machine.
services:
	scripts/ensure-services.sh

## Install (when missing) the tools the tests drive: nginx, the load balancer of the compose file.
tools:
	scripts/ensure-tools.sh

## The command center's browser libraries from npm (pages/command/package-lock.json) into
## pages/command/static/vendor/, which is committed: `make run` needs no node.
assets:
	scripts/vendor-assets.sh

## The pages' lint and unit tests: eslint and node's test runner over tests/js/ (node and npm
## from Debian's packages when missing, the dev tools of package-lock.json into node_modules/).
js:
	scripts/js-check.sh

## The whole suite, on real PostGIS, Redis and SQLite; the pages' checks first. Its files are
## shared by TEST_WORKERS pytest processes (pytest-xdist; each file on one of them, with its own
## databases, Redis and browser): an end-to-end test mostly waits on processes and a browser, so
## two workers take the suite from about 17 to 10 minutes on an idle 2-core machine.
TEST_WORKERS ?= 2
test: $(VENV)/.test services tools
	scripts/js-check.sh
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

## The production shape without Docker: two web processes, a worker and the scheduler on local
## PostgreSQL and Redis (DATABASE_URL, REDIS_URL, WEB_PORTS may be set).
cluster: $(VENV)/.base services
	scripts/cluster.sh

## The high-availability shape on this machine (README, "Production"): three PostgreSQL/PostGIS
## nodes under Patroni (etcd, synchronous mode) behind HAProxy, Redis with a replica and three
## Sentinels, two web processes behind nginx, two workers, two schedulers (one holds the lease);
## Debian's packages installed when missing (scripts/ensure-ha.sh). Ctrl-C stops it.
ha: $(VENV)/.base services tools
	scripts/ensure-ha.sh
	scripts/ha.sh

## The fault tests (tests/faults/, README "Production"): each part of the HA shape killed during a
## stream of clients; each prints its figures. About 4 minutes on an idle 2-core machine (README);
## not part of `make test`; `.ci/run` runs it after it.
test-faults: $(VENV)/.test services tools
	scripts/ensure-ha.sh
	$(BIN)/pytest tests/faults -s -q --durations=0 $(PYTEST_ARGS)

## Benchmarks (bench/README.md): every hot path against its baseline in the same run, one table
## (stdout, bench/RESULTS.md, bench/results/*.json); about 30 minutes. QUICK=1: under 2 minutes,
## correctness only (every 201 has its row and its timers, no 5xx, no time-out); BENCH_ARGS passes
## options (--only ROW, --repeat N, --py-spy).
bench: $(VENV)/.test services
	$(SYNC) --extra test --extra bench || $(STALE)
	$(BIN)/python -m bench $(if $(QUICK),--quick) $(BENCH_ARGS)

bench-quick:
	$(MAKE) bench QUICK=1

## Mutation testing (docs/mutation-testing.md): mutmut over the rule modules on the unit tests,
## from scratch (about 15 minutes; MODULES="dispatch/followup.py geo/*" for some only); fails
## when a module or the total is below a 90 % kill rate; rewrites docs/mutation-baseline.json.
mutate: $(VENV)/.test
	$(SYNC) --extra test --extra mutate || $(STALE)
	$(BIN)/python -m scripts.mutate_changed $(if $(MODULES),--only $(MODULES),--all) --min 90

## The same, only over the rule modules whose source or unit tests changed since the committed
## baseline (everything when a conftest or [tool.mutmut] did); the others keep its figures. In
## CI with BUDGET=seconds: past it mutmut is stopped and the run fails (commit the baseline).
mutate-changed: $(VENV)/.test
	$(SYNC) --extra test --extra mutate || $(STALE)
	$(BIN)/python -m scripts.mutate_changed --min 90 $(if $(BUDGET),--budget $(BUDGET))

lint: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .uv instance .pytest_cache node_modules

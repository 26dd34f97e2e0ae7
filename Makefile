# The two commands of the README are `make run` and `make test`; the rest serve them.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test services tools lint bench cluster clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.base: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.test: $(VENV)/.base
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

## Serve the Jiyuan demo on the embedded default (SQLite, one process) at 127.0.0.1:$${PORT:-5000}.
run: $(VENV)/.base
	exec $(BIN)/python -m server.serve

## Start (installing when missing) PostgreSQL+PostGIS and Redis on this machine.
services:
	scripts/ensure-services.sh

## Install (when missing) the tools the tests drive: a Compose implementation.
tools:
	scripts/ensure-tools.sh

## The whole suite, on real PostGIS, Redis and SQLite.
test: $(VENV)/.test services tools
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_ARGS)

## The production shape without Docker: two web processes, a worker and the scheduler on local
## PostgreSQL and Redis (DATABASE_URL, REDIS_URL, WEB_PORTS may be set).
cluster: $(VENV)/.base services
	scripts/cluster.sh

## Benchmarks (bench/README.md): the product's push path against a bare emit, memory per client.
bench: $(VENV)/.test services
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/repeat.py --repeat 3

lint: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) instance .pytest_cache

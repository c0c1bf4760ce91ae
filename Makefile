# RouteCRM: `make run` brings up the product with demo data; `make test` runs every check.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
SERVER_PORT ?= 8000
CLIENT_PORT ?= 8550

.PHONY: run test lint typecheck unit integration integration-pg e2e bench clean venv chromium

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

chromium:
	@command -v chromium >/dev/null && fc-list | grep -qi wqy || { \
	  echo "Installing Debian chromium and the CJK font (apt-get)..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }

run: $(STAMP)
	@scripts/run.sh $(SERVER_PORT) $(CLIENT_PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

test: $(STAMP) chromium lint typecheck
	$(PY) -m pytest tests
	PY=$(PY) scripts/test-postgres.sh -q

unit: $(STAMP)
	$(PY) -m pytest tests/unit

integration: $(STAMP)
	$(PY) -m pytest tests/integration

integration-pg: $(STAMP)
	PY=$(PY) scripts/test-postgres.sh

e2e: $(STAMP) chromium
	$(PY) -m pytest tests/e2e

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# RouteCRM: `make run` brings up the product with demo data; `make test` runs every check.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
SERVER_PORT ?= 8000
CLIENT_PORT ?= 8550

.PHONY: run server app pwa stop-server test-times test lint typecheck unit integration integration-pg e2e bench soak clean venv system-packages

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# Debian packages the tests drive: chromium (end-to-end), the CJK font, nginx (the deployment test).
system-packages:
	@command -v chromium >/dev/null && fc-list | grep -qi wqy && test -x /usr/sbin/nginx || { \
	  echo "Installing Debian chromium, the CJK font and nginx-light (apt-get)..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium fonts-wqy-microhei nginx-light >/dev/null; }

run: $(STAMP)
	@scripts/run.sh all $(SERVER_PORT) $(CLIENT_PORT)

# One side at a time (e.g. the server in one terminal, the app in another): stopping one leaves the other.
server: $(STAMP)
	@scripts/run.sh server $(SERVER_PORT) $(CLIENT_PORT)

app: $(STAMP)
	@scripts/run.sh app $(SERVER_PORT) $(CLIENT_PORT)

# The rep's app as an offline PWA in build/pwa/, which the server serves at /app/ (docs/pwa.md). No network.
pwa: $(STAMP)
	$(PY) scripts/build_pwa.py

stop-server:
	@scripts/run.sh stop-server

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

test: $(STAMP) system-packages lint typecheck
	$(PY) -m pytest tests --durations=25
	PY=$(PY) scripts/test-times.sh tests/unit
	PY=$(PY) scripts/test-postgres.sh -q

# The unit and integration suites at every hard instant (around the company's midnight, 06:00, month and
# year ends) in three machine zones: about two hours on 2 cores.
test-times: $(STAMP)
	PY=$(PY) scripts/test-times.sh --all tests/unit tests/integration --deselect tests/integration/test_deploy.py

unit: $(STAMP)
	$(PY) -m pytest tests/unit

integration: $(STAMP)
	$(PY) -m pytest tests/integration

integration-pg: $(STAMP)
	PY=$(PY) scripts/test-postgres.sh

e2e: $(STAMP) system-packages
	$(PY) -m pytest tests/e2e

# Writes docs/benchmarks.md. The sync and load scenarios also run on a throwaway PostgreSQL cluster when a
# PostgreSQL server is installed (Debian: apt-get install postgresql); without it those rows are missing.
bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	$(PY) -m bench

# The sync proofs at soak size: 20,000 stateful schedules, 2,000 SIGKILLs (about an hour), then the
# stateful test on PostgreSQL; fresh random schedules each run.
soak: $(STAMP)
	ROUTECRM_SOAK_EXAMPLES=20000 ROUTECRM_CRASH_KILLS=2000 $(PY) -m pytest -q \
	  tests/integration/test_sync_stateful.py tests/integration/test_client_crash_sync.py
	ROUTECRM_SOAK_EXAMPLES=5000 PY=$(PY) scripts/test-postgres.sh -q tests/integration/test_sync_stateful.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

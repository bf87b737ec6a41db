# Chuishao — `make demo` serves the demo city; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
VENDOR := src/chuishao/web/static/vendor

.PHONY: demo test setup assets migrate serve lint bench soak clean

setup: $(VENV)/.installed assets

# Reinstall only when the project's dependencies change.
$(VENV)/.installed: pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

# Leaflet, htmx and ECharts come from npm and are served from our own static files (the pages work offline).
assets: $(VENDOR)/.installed

$(VENDOR)/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(VENDOR)/leaflet $(VENDOR)/htmx $(VENDOR)/echarts
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images $(VENDOR)/leaflet/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	@touch $@

migrate: setup
	$(BIN)/chuishao manage migrate --no-input -v 0

demo: migrate
	$(BIN)/chuishao demo
	$(BIN)/chuishao serve --port $(PORT) --with-worker

serve: migrate
	$(BIN)/chuishao serve --port $(PORT)

# pytest's own exit codes pass through: 5 (no tests collected) fails the target like any failure.
# The suite runs in PYTEST_WORKERS processes (pytest-xdist), one per core of the 2-core CI machine;
# each has its own test database. PYTEST_WORKERS=0 runs it in this process.
PYTEST_WORKERS ?= 2
test: setup
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/chuishao manage makemigrations --check --dry-run

# Every benchmark in bench/ against the synthetic city (chuishao bench-data), one table at the end (also in
# var/bench/results.md). PostgreSQL when DATABASE_URL names one; BENCH_ARGS=--quick is CI's small size.
bench: setup
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The soak under faults (.ci/run runs it for 40 s after the suites; tests/soak has a 30 s form without
# the restart): two app servers, a worker and clients for SOAK_SECONDS; midway a SIGKILL of a server and
# the worker, then a PostgreSQL restart (pg_ctlcluster, as root). Needs DATABASE_URL=postgres://… and
# Redis; works in its own database. Exits non-zero when an invariant breaks.
SOAK_SECONDS ?= 180
soak: setup
	@mkdir -p var
	$(BIN)/python bench/soak.py --seconds $(SOAK_SECONDS) --json var/soak.json $(SOAK_ARGS)

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var

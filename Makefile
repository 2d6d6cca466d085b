# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lint format migrate clean screenshots openapi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet ".[test]"
	rm -rf build *.egg-info
	touch $(STAMP)

install: $(STAMP)

# A development server on the embedded SQLite database, with a demo organization, API key and admin login.
run: $(STAMP)
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true $(BIN)/python manage.py seed_demo --base-url http://$(HOST):$(PORT)
	@# One background worker (scoring, webhooks) and the sweeper run beside the server and stop with it (Ctrl-C included).
	@trap 'kill $$worker $$sweeper 2>/dev/null; wait $$worker $$sweeper 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	DEBUG=true $(BIN)/python manage.py db_worker --no-reload & worker=$$!; \
	DEBUG=true $(BIN)/python manage.py sweep --every 30 >/dev/null & sweeper=$$!; \
	DEBUG=true $(BIN)/python manage.py runserver $(HOST):$(PORT)

# The suite: SQLite by default; PostgreSQL when DATABASE_URL points at one.
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The README's screenshots (docs/screenshots/*.png, 1280x800), from a live server with a month of demo data;
# needs Chromium at /usr/bin/chromium (apt-get install -y chromium) like the browser tests.
screenshots: $(STAMP)
	$(BIN)/python -m pytest -q tests/browser/readme_screenshots.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The committed OpenAPI document; tests/api/test_schema_snapshot.py fails until it matches the code.
openapi: $(STAMP)
	DEBUG=true $(BIN)/python manage.py spectacular --file docs/openapi.yaml

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache

# Load tests on PostgreSQL: a dedicated `bench` database on DATABASE_URL's server (default
# postgres://postgres@127.0.0.1:5432/), gunicorn + wrk + pgbench on 127.0.0.1, 1M seeded rows; writes BENCHMARKS.md.
# BENCH_ARGS="--duration 10" for longer runs, "--rows 100000" for a quicker look.
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

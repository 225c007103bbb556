# The two commands a new user needs are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
CATALOG := web/translations/en/LC_MESSAGES/messages.mo
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-dev run demo test test-any-hour lint typecheck unit integration fmt lock audit clean bench translations screenshots

# What the service needs, and nothing else (requirements.lock, hashes required).
install: $(STAMP) $(CATALOG)

# The service and the tools that check it (requirements-dev.lock).
install-dev: $(DEV_STAMP) $(CATALOG)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $(DEV_STAMP)

# The English catalog of the pages, compiled from its .po (fuzzy entries left out).
$(CATALOG): web/translations/en/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --statistics -d web/translations

# After changing text on the pages: extract the French source strings and merge
# them into the English catalog, then translate what is new or fuzzy.
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location \
		--sort-output --project incidents -o web/translations/messages.pot .
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations \
		--no-wrap --ignore-obsolete

# Retake the screenshots shown in the README (docs/screenshots/).
screenshots: install-dev
	INCIDENTS_SCREENSHOTS_DIR=docs/screenshots $(BIN)/python -m pytest tests/browser -q

run: install
	$(BIN)/incidents demo --if-empty
	$(BIN)/incidents serve --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff format --check incidents projections web demo tests benchmarks
	$(BIN)/ruff check incidents projections web demo tests benchmarks
	$(BIN)/lint-imports

typecheck: install-dev
	$(BIN)/mypy

# Every check. PostgreSQL tests run when a server is reachable or can be started
# here; INCIDENTS_REQUIRE_POSTGRES=1 (set by .ci/run) turns its absence into a failure.
# The tests run in one process per core (pytest-xdist, 4 at most: each holds
# PostgreSQL connections); WORKERS=0 runs them in this one. Those that hold a
# time limit (marked serial) run after the others, alone.
WORKERS ?= auto
test: lint typecheck
	$(BIN)/python -m pytest -n $(WORKERS) --maxprocesses 4 -m "not serial"
	$(BIN)/python -m pytest -m serial
	$(MAKE) test-any-hour

# The date-dependent tests again, at the hours when the day in Paris is not the
# day in UTC, in a time zone far from both (tests/conftest.py moves the clock):
# 23:30 UTC in winter (00:30 in Paris), then 22:30 UTC in summer (00:30 in Paris).
AT_ANY_HOUR_TESTS := tests/unit tests/api/test_incidents.py \
	tests/api/test_a_day_of_work.py tests/readmodels/test_summary_properties.py \
	tests/pages/test_officer_pages.py
test-any-hour: install-dev
	TZ=Pacific/Kiritimati INCIDENTS_TEST_CLOCK=2026-12-06T23:30:00+00:00 \
		$(BIN)/python -m pytest -q -p no:cacheprovider -n $(WORKERS) --maxprocesses 4 \
		$(AT_ANY_HOUR_TESTS)
	TZ=America/Los_Angeles INCIDENTS_TEST_CLOCK=2027-06-30T22:30:00+00:00 \
		$(BIN)/python -m pytest -q -p no:cacheprovider -n $(WORKERS) --maxprocesses 4 \
		$(AT_ANY_HOUR_TESTS)

unit: install-dev
	$(BIN)/python -m pytest tests/unit

integration: install-dev
	$(BIN)/python -m pytest tests/integration

fmt: install-dev
	$(BIN)/ruff format incidents projections web demo tests benchmarks
	$(BIN)/ruff check --fix incidents projections web demo tests benchmarks

# Regenerate the lock files after changing dependencies in pyproject.toml: the
# service's alone, and with the test tools; every file pinned by its hashes.
LOCK := PYTHONPATH=.lock-tools .lock-tools/bin/uv pip compile pyproject.toml \
	--generate-hashes --python-version 3.11 --no-header
# The dev lock is resolved first, and the service's within it, so that the
# tests run the very versions the service installs.
lock:
	$(PYTHON) -m pip install --quiet --target .lock-tools uv
	$(LOCK) --extra dev -o requirements-dev.lock
	sed -n 's/^\([A-Za-z0-9._-]*==[^ \\]*\).*/\1/p' requirements-dev.lock \
		> .lock-tools/constraints.txt
	$(LOCK) -c .lock-tools/constraints.txt -o requirements.lock
	rm -rf .lock-tools

# Known vulnerabilities of the service's pinned dependencies (pip-audit, PyPI's
# advisory data). --strict: a dependency that could not be checked fails it.
audit: install-dev
	$(BIN)/pip-audit --strict --vulnerability-service pypi --progress-spinner off \
		--require-hashes -r requirements.lock

# Benchmarks print figures (see BENCHMARKS.md); they are not tests. Without
# INCIDENTS_BENCH_POSTGRES_URL (or POSTGRES_HOST...), a throwaway PostgreSQL
# server is started for the run when initdb is installed. For the short run:
# make bench BENCH_ARGS=--quick
BENCH_ARGS ?=
bench: install
	@set -e; \
	if [ -z "$$INCIDENTS_BENCH_POSTGRES_URL$$POSTGRES_HOST" ] && $(BIN)/python -c \
		"import sys; from tests.pgserver import find_bindir; sys.exit(find_bindir() is None)"; \
	then \
		dir="$$(mktemp -d)"; \
		trap '$(BIN)/python -m tests.pgserver stop --dir "$$dir"' EXIT; \
		eval "$$($(BIN)/python -m tests.pgserver start --dir "$$dir")"; \
	fi; \
	$(BIN)/incidents bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis

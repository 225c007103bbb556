# The two commands a new user needs are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run demo test lint typecheck unit integration fmt lock clean bench

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: install
	$(BIN)/incidents demo --if-empty
	$(BIN)/incidents serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff format --check incidents projections web tests benchmarks
	$(BIN)/ruff check incidents projections web tests benchmarks
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

# Every check. PostgreSQL tests run when a server is reachable or can be started
# here; INCIDENTS_REQUIRE_POSTGRES=1 (set by .ci/run) turns its absence into a failure.
test: lint typecheck
	$(BIN)/python -m pytest

unit: install
	$(BIN)/python -m pytest tests/unit

integration: install
	$(BIN)/python -m pytest tests/integration

fmt: install
	$(BIN)/ruff format incidents projections web tests benchmarks
	$(BIN)/ruff check --fix incidents projections web tests benchmarks

# Regenerate the lock file after changing dependencies in pyproject.toml.
lock:
	$(PYTHON) -m pip install --quiet --target .lock-tools uv
	PYTHONPATH=.lock-tools .lock-tools/bin/uv pip compile pyproject.toml --extra dev \
		--python-version 3.11 --no-header -o requirements.lock
	rm -rf .lock-tools

# Benchmarks print figures (see BENCHMARKS.md); they are not tests.
bench: install
	$(BIN)/python -m benchmarks.readmodels
	$(BIN)/python -m benchmarks.evidence

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis

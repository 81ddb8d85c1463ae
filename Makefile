# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck unit fuzz bench bench-bulk bench-shared bench-all profile clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,cli]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/livionkey-async demo

lint: $(STAMP)
	$(BIN)/ruff check livionkey_async tests benchmarks examples
	$(BIN)/ruff format --check livionkey_async tests benchmarks examples

typecheck: $(STAMP)
	$(BIN)/mypy

# The tests get a private redis-server (installed from Debian when missing), stopped after.
unit: $(STAMP)
	scripts/with-redis $(BIN)/pytest -q

test: lint typecheck unit

# The simulators' routes fuzzed for long (`make test` runs a few hundred requests per simulator,
# the same every time): 5000 fresh ones each unless LIVIONKEY_FUZZ_EXAMPLES says otherwise.
fuzz: $(STAMP)
	LIVIONKEY_FUZZ_EXAMPLES=$${LIVIONKEY_FUZZ_EXAMPLES:-5000} LIVIONKEY_FUZZ_RANDOM=1 \
		$(BIN)/pytest -q -p no:cacheprovider tests/sim/test_sim_fuzz.py

$(VENV)/.bench-installed: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,cli,bench]'
	touch $@

# Benchmarks (never part of `make test`): results land in benchmarks/results/.
bench: $(VENV)/.bench-installed
	$(BIN)/python -m benchmarks.rate_limit

bench-bulk: $(VENV)/.bench-installed
	$(BIN)/python -m benchmarks.bulk

# Many worker processes on one account, with and without the shared Redis store.
bench-shared: $(VENV)/.bench-installed
	scripts/with-redis $(BIN)/python -m benchmarks.shared

bench-all: bench bench-bulk bench-shared

# Where the client's CPU per request goes (cProfile): benchmarks/results/profile.txt.
profile: $(VENV)/.bench-installed
	$(BIN)/python -m benchmarks.profile

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build *.egg-info

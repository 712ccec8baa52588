# Two commands for a fresh machine (README): `make run` and `make test`.
# Each creates its own virtual environment in .venv and installs what it needs.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test bench lint clean

run: $(VENV)/.installed-run
	$(BIN)/ilrs plan --out build/plan

test: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/pytest

bench: $(VENV)/.installed-test
	rm -f build/bench/results.jsonl
	$(BIN)/python benchmarks/bench_startup.py
	$(BIN)/python benchmarks/bench_sky.py
	$(BIN)/python benchmarks/bench_horizon_command.py
	$(BIN)/python benchmarks/bench_lighting.py
	$(BIN)/python benchmarks/bench_station.py
	$(BIN)/python benchmarks/bench_campaign.py
	$(BIN)/python benchmarks/bench_registry.py
	$(BIN)/python benchmarks/bench_traverse.py
	$(BIN)/python benchmarks/bench_web.py
	$(BIN)/python benchmarks/bench_plan.py
	$(BIN)/python benchmarks/bench_table.py

$(VENV)/.installed-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed-run

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .ruff_cache

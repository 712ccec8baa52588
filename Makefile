# Two commands for a fresh machine (README): `make run` and `make test`.
# Each creates its own virtual environment in .venv and installs what it needs.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test bench lint clean

run: $(VENV)/.installed-run
	$(BIN)/ilrs terrain synth --out build/default/south_pole.tif --size-px 1024 --resolution-m 60
	$(BIN)/ilrs site analyze --dem build/default/south_pole.tif --site connecting-ridge \
	    --height-m 2 --start 2026-01-01T00:00:00Z --end 2026-12-31T23:00:00Z --step 1h \
	    --intervals-csv build/default/connecting_ridge_spells.csv
	$(BIN)/ilrs station simulate --out build/default/station
	$(BIN)/ilrs campaign timeline --out build/default/campaign

test: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/pytest

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_sky.py
	$(BIN)/python benchmarks/bench_lighting.py
	$(BIN)/python benchmarks/bench_station.py
	$(BIN)/python benchmarks/bench_campaign.py
	$(BIN)/python benchmarks/bench_registry.py
	$(BIN)/python benchmarks/bench_traverse.py

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

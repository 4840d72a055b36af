# Two commands for a new user: `make build` and `make test`. Both set up what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export DBT_PROFILES_DIR := $(CURDIR)
export SEGMENTATION_DUCKDB_PATH ?= $(CURDIR)/warehouse/segmentation.duckdb
export SEGMENTATION_BUILD_DIR ?= $(CURDIR)/build
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: setup build test lint format bench report chromium clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

## build: dbt build on the embedded demo seed (or --vars via DBT_VARS), then print the segments
DBT_VARS ?= {}
build: setup
	mkdir -p "$(dir $(SEGMENTATION_DUCKDB_PATH))"
	$(BIN)/python -m segmentation.preflight
	$(BIN)/dbt build --vars '$(DBT_VARS)'
	$(BIN)/python -m segmentation.summary
	$(BIN)/python -m segmentation.report

## report: the HTML report from the published serving database (after a build)
report: setup
	$(BIN)/python -m segmentation.report

## chromium: Debian's headless Chromium, for the report's browser test
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y chromium; }

## test: lint, then every test (pytest runs the dbt builds and dbt tests it needs)
test: setup lint chromium
	$(BIN)/pytest

# sqlfluff compiles every model with dbt; the staging model reads the seed's header, so the
# seed is loaded into a throwaway warehouse first (else sqlfluff skips that model silently).
LINT_DIR := $(CURDIR)/build/lint
lint: setup
	$(BIN)/ruff check python models tests/python bench
	$(BIN)/ruff format --check python models tests/python bench
	mkdir -p "$(LINT_DIR)"
	SEGMENTATION_DUCKDB_PATH="$(LINT_DIR)/warehouse.duckdb" $(BIN)/dbt seed --quiet --target-path "$(LINT_DIR)/target" --log-path "$(LINT_DIR)/logs"
	SEGMENTATION_DUCKDB_PATH="$(LINT_DIR)/warehouse.duckdb" $(BIN)/sqlfluff lint models tests/dbt

## bench: issue 4's benchmark against the reference notebook (10k to 10M users; slow)
BENCH_SIZES ?= 10000,100000,1000000,10000000
bench: setup
	$(BIN)/python bench/run_bench.py --sizes $(BENCH_SIZES) --work-dir "$(SEGMENTATION_BUILD_DIR)/bench" --output BENCHMARKS.md

format: setup
	$(BIN)/ruff format python models tests/python
	$(BIN)/ruff check --fix python models tests/python
	$(BIN)/sqlfluff fix models tests/dbt

clean:
	rm -rf target logs warehouse build

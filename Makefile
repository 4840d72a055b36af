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
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

## build: dbt build on the embedded demo seed (or --vars via DBT_VARS), then print the segments
DBT_VARS ?= {}
build: setup
	mkdir -p "$(dir $(SEGMENTATION_DUCKDB_PATH))"
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

lint: setup
	$(BIN)/ruff check python models tests/python
	$(BIN)/ruff format --check python models tests/python
	$(BIN)/sqlfluff lint models macros tests/dbt

format: setup
	$(BIN)/ruff format python models tests/python
	$(BIN)/ruff check --fix python models tests/python
	$(BIN)/sqlfluff fix models tests/dbt

clean:
	rm -rf target logs warehouse build

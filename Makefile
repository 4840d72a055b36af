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

.PHONY: setup build publish test test-spark lint format bench bench-spark report chromium clean mutation spark-setup spark-build

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/python -c 'from segmentation.report import store_vega_bundle; store_vega_bundle()'
	touch $@

## build: dbt build on the embedded demo seed (or --vars via DBT_VARS); if every node of it
## succeeded, publish it for BI tools and campaigns; then print the segments and the report.
## A production build: every model and every data test, not the unit tests. Unit tests check
## the SQL's logic on fixed rows, not the data; they run in `make test` (CI), as dbt advises.
DBT_VARS ?= {}
DBT_BUILD_FLAGS := --exclude-resource-type unit_test
build: setup
	mkdir -p "$(dir $(SEGMENTATION_DUCKDB_PATH))"
	$(BIN)/python -m segmentation.preflight
	$(BIN)/dbt build $(DBT_BUILD_FLAGS) --vars '$(DBT_VARS)'
	$(BIN)/python -m segmentation.publish
	$(BIN)/python -m segmentation.summary
	$(BIN)/python -m segmentation.report

## publish: publish the warehouse's last build again, e.g. after fixing a full disk (it refuses
## a build that failed, was stopped, or selected only part of the project)
publish: setup
	$(BIN)/python -m segmentation.publish

## report: the HTML report from the published serving database (after a build)
report: setup
	$(BIN)/python -m segmentation.report

## chromium: Debian's headless Chromium, for the report's browser test
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y chromium; }

## test: lint, then every test (pytest runs the dbt builds and dbt tests it needs), then the
## same project on local Spark against DuckDB (test-spark)
test: setup lint chromium
	$(BIN)/pytest
	$(MAKE) test-spark

# sqlfluff compiles every model with dbt; the staging model reads the seed's header, so the
# seed is loaded into a throwaway warehouse first (else sqlfluff skips that model silently).
LINT_DIR := $(CURDIR)/build/lint
lint: setup
	$(BIN)/ruff check python models tests/python bench mutation
	$(BIN)/ruff format --check python models tests/python bench mutation
	mkdir -p "$(LINT_DIR)"
	SEGMENTATION_DUCKDB_PATH="$(LINT_DIR)/warehouse.duckdb" $(BIN)/dbt seed --quiet --target-path "$(LINT_DIR)/target" --log-path "$(LINT_DIR)/logs"
	SEGMENTATION_DUCKDB_PATH="$(LINT_DIR)/warehouse.duckdb" $(BIN)/sqlfluff lint models tests/dbt

## spark-setup: a second virtualenv, .venv-spark, for local Apache Spark (dbt-spark's in-process
## `session` method; requirements-spark.txt), and Java 17 from Debian where `java` is missing.
## dbt-databricks cannot share it (it pins an older dbt-spark). Takes a few minutes once.
SPARK_VENV := .venv-spark
SPARK_BIN := $(SPARK_VENV)/bin
SPARK_STAMP := $(SPARK_VENV)/.installed

spark-setup: $(SPARK_STAMP)

$(SPARK_STAMP): requirements-spark.txt pyproject.toml
	@command -v java >/dev/null 2>&1 || { $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y openjdk-17-jre-headless; }
	$(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_BIN)/pip install --quiet --disable-pip-version-check -r requirements-spark.txt
	$(SPARK_BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	# Python models on local Spark: the in-process submission helper (segmentation.local_spark)
	echo 'import segmentation.local_spark; segmentation.local_spark.install()' \
		> "$$($(SPARK_BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/segmentation_local_spark.pth"
	touch $@

## spark-build: `dbt build --target spark` on the embedded demo seed, on local Spark (the
## metastore and tables under $(SEGMENTATION_BUILD_DIR)/spark). Nothing is published: on Spark,
## BI tools read the mart tables.
spark-build: spark-setup
	$(SPARK_BIN)/dbt build --target spark --vars '$(DBT_VARS)'

## test-spark: builds the demo seed and a 10,000-user planted file with problem rows, with its
## campaign results and their problem rows (tests/python/spark_inputs.py), on DuckDB and on
## local Spark, every model, data test and unit test, then compares every mart and the quarantine
## (tests/python/test_spark_marts.py). Its folder is the project's own: emptied first. About 10
## minutes.
TEST_SPARK_DIR := $(CURDIR)/build/test-spark
# Left out of test-spark's output (dbt reports every failure on its own): pyspark's log of each
# query that failed and was handled (dbt asks whether a relation exists that way), its warning
# about pandas 3, and the stack traces of Spark's code generator when it falls back to
# interpreting a plan (Janino rejects some generated code; the query still runs).
SPARK_NOISE := SQLQueryContextLogger|FutureWarning: PySpark|require_minimum_pandas_version| WARN|CompileException|^\s+at |^\s*\.\.\. [0-9]+ more
test-spark: setup spark-setup
	rm -rf "$(TEST_SPARK_DIR)"
	mkdir -p "$(TEST_SPARK_DIR)"
	$(BIN)/python tests/python/spark_inputs.py "$(TEST_SPARK_DIR)/planted.csv" "$(TEST_SPARK_DIR)/planted_results.csv"
	set -e; for input in demo planted; do \
		dir="$(TEST_SPARK_DIR)/$$input"; \
		vars='{}'; \
		if [ $$input = planted ]; then vars='{user_profiles_path: "$(TEST_SPARK_DIR)/planted.csv", campaign_results_path: "$(TEST_SPARK_DIR)/planted_results.csv"}'; fi; \
		echo "test-spark: $$input on DuckDB"; \
		SEGMENTATION_BUILD_DIR="$$dir/duckdb" SEGMENTATION_DUCKDB_PATH="$$dir/duckdb/warehouse.duckdb" \
			$(BIN)/dbt --quiet build --vars "$$vars" --target-path "$$dir/duckdb/target" --log-path "$$dir/duckdb/logs"; \
		echo "test-spark: $$input on local Spark"; \
		SEGMENTATION_BUILD_DIR="$$dir/spark-build" SEGMENTATION_DUCKDB_PATH="$$dir/spark-build/unused.duckdb" \
			$(SPARK_BIN)/dbt --quiet build --target spark --vars "$$vars" --target-path "$$dir/spark-build/target" --log-path "$$dir/spark-build/logs" \
			2> >(grep -v -E "$(SPARK_NOISE)" >&2); \
		$(SPARK_BIN)/python tests/python/spark_export.py "$$dir/spark-build" "$$dir/spark-export" \
			2> >(grep -v -E "$(SPARK_NOISE)" >&2); \
	done
	SEGMENTATION_TEST_SPARK_DIR="$(TEST_SPARK_DIR)" $(BIN)/pytest -m spark tests/python/test_spark_marts.py

## mutation: mutation testing (mutmut) of the decision modules; MUTATE=identity,clustering for some.
## Slow (minutes per module), so not part of `make test`. See mutation/run_mutation.py.
MUTATION_STAMP := $(VENV)/.installed-mutation
MUTATE ?=
MUTATION_THRESHOLD ?= 10
MUTATION_DIR ?= $(CURDIR)/.mutation

$(MUTATION_STAMP): $(STAMP) requirements-mutation.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-mutation.txt
	touch $@

mutation: $(MUTATION_STAMP)
	$(BIN)/python mutation/run_mutation.py --modules '$(MUTATE)' --threshold $(MUTATION_THRESHOLD) --work-dir "$(MUTATION_DIR)"

## bench: issue 16's benchmark of the production build against the reference notebook: the demo
## cold and warm, then 10k to 10M users in both shapes (planted, export-like) from CSV and
## Parquet, and 100M export-like from Parquet only (slow: hours). The harness is tooling beside
## the package (bench/), e.g. `make bench BENCH_SIZES=10000 BENCH_OUTPUT=build/bench.md` for a
## quick run that leaves BENCHMARKS.md alone
BENCH_SIZES ?= 10000,100000,1000000,10000000,100000000
BENCH_OUTPUT ?= BENCHMARKS.md
bench: setup
	$(BIN)/python bench/run_bench.py --sizes $(BENCH_SIZES) --work-dir "$(SEGMENTATION_BUILD_DIR)/bench" --output "$(BENCH_OUTPUT)"

## bench-spark: issue 15's record (not a target) of the local Spark build's time and peak memory,
## for the demo and 1M users, beside DuckDB's build and the peer notebook on the same input, into
## BENCHMARKS.md's "Local Spark" section (`make bench` keeps it). Slow (about half an hour);
## SEGMENTATION_SPARK_DRIVER_MEMORY sets Spark's driver memory (default 2g, profiles.yml)
BENCH_SPARK_SIZES ?= 1000000
bench-spark: setup spark-setup
	$(BIN)/python bench/run_bench_spark.py --sizes $(BENCH_SPARK_SIZES) --spark-dbt "$(SPARK_BIN)/dbt" --work-dir "$(SEGMENTATION_BUILD_DIR)/bench-spark" --output "$(BENCH_OUTPUT)"

format: setup
	$(BIN)/ruff format python models tests/python bench mutation
	$(BIN)/ruff check --fix python models tests/python bench mutation
	$(BIN)/sqlfluff fix models tests/dbt

## clean: remove what the project wrote (dbt's target/ and logs/, the default warehouse file, and
## what the inventories of its output folders list); files of yours in those folders stay
clean:
	rm -rf target logs build/lint build/spark
	rm -f warehouse/segmentation.duckdb warehouse/segmentation.duckdb.wal
	if [ -x $(BIN)/python ]; then $(BIN)/python -m segmentation.outputs clean build/published build/audiences build/report build/bench build/bench-spark .mutation; fi
	-rmdir warehouse build 2>/dev/null

"""The benchmark harness (issue 4): tooling beside the product, not part of its runtime package.

`run_bench.py` is the command; the jobs it does are modules: `inputs` (sizes and generated
exports), `sampling` (wall time and peak memory of a process tree), `runs` (the dbt build and the
peer notebook), `dbt_results` (where a build's time went, from run_results.json), `quality`
(inertia against a full-data fit, agreement between labellings), `targets` and `render`
(BENCHMARKS.md). `run_bench_spark.py` (issue 15) records the local Spark build beside DuckDB's
and the peer's in BENCHMARKS.md's "Local Spark" section, which `run_bench.py` keeps.
"""

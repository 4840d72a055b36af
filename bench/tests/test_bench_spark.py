"""The local Spark record: its section of BENCHMARKS.md, rendered from the figures and written
into the report without touching the rest."""

from __future__ import annotations

import json

import pytest

from bench import render, run_bench_spark

MIB = 1024**2


def _run(seconds: float, mib: float, status: str = "ok", **extra) -> dict:
    return {"status": status, "wall_seconds": seconds, "peak_rss_bytes": mib * MIB, **extra}


def _results() -> dict:
    return {
        "command": "python bench/run_bench_spark.py",
        "finished_at": "2026-01-01T00:00:00+00:00",
        "settings": {
            "seed": 42,
            "personas": "default",
            "poll_interval": 0.05,
            "spark_driver_memory": "2g",
            "spark_threads": "1",
            "spark_master": "local[*]",
            "duckdb_threads": "1",
            "duckdb_memory_limit": "1GB",
        },
        "machine": {
            "cpu_model": "Test CPU",
            "cores": 2,
            "memory_gib": 24.0,
            "kernel": "Linux",
            "load_at_start": 1.5,
            "load_at_end": 2.5,
        },
        "versions": {"pyspark (Spark venv)": "4.3.0", "java": 'openjdk version "17"'},
        "entries": [
            {
                "name": "demo",
                "users": 1000,
                "inputs": {},
                "runs": {
                    "peer": _run(2.0, 200, load=1.0, load_end=1.2),
                    "duckdb": _run(20.0, 400),
                    "spark": _run(
                        240.0,
                        2000,
                        driver_memory="2g",
                        peak_by_command={
                            "java": {"processes": 1, "rss_bytes": 1700 * MIB},
                            "dbt": {"processes": 1, "rss_bytes": 250 * MIB},
                            "python3": {"processes": 2, "rss_bytes": 50 * MIB},
                        },
                    ),
                },
            },
            {
                "name": "users_1000000",
                "users": 1_000_000,
                "inputs": {"csv": {"bytes": 130 * MIB}, "parquet": {"bytes": 20 * MIB}},
                "runs": {
                    "peer": _run(8.0, 900),
                    "duckdb": _run(40.0, 800),
                    "spark": _run(
                        700.0,
                        3600,
                        status="failed",
                        reason="failed nodes: int_user_rule_segments_matched; see x.log",
                        driver_memory="4g",
                    ),
                },
            },
        ],
        "notes": ["2g failed at 1M: java.lang.OutOfMemoryError"],
    }


def test_the_section_has_each_input_s_runs_with_ratios_and_what_was_used():
    text = render.render_spark_section(_results())
    assert text.startswith(render.SPARK_SECTION_START + "\n## Local Spark\n")
    assert text.endswith(render.SPARK_SECTION_END + "\n")
    assert "A record, not a target" in text
    assert "driver memory 2g" in text and "DuckDB: memory_limit 1GB, dbt threads 1" in text
    assert "### Demo: 1,000 users (embedded seed)" in text
    # peer/ours: 2 s / 240 s and 200 MiB / 2,000 MiB; load at start → end.
    assert "| dbt build, Spark | 240.0 | 240.0 | 2,000 | 0.01 | 0.10 | – | – |  |" in text
    assert "| dbt build, DuckDB | 20.0 | 20.0 | 400 | 0.10 | 0.50 |" in text
    assert "| peer notebook, seed CSV | 2.0 | – | 200 | 1 | 1 | – | 1.00 → 1.20 |  |" in text
    assert "Spark / DuckDB: wall 12.0×, peak memory 5.0×." in text
    assert (
        "Who held the peak memory: Spark build: java 1,700 MiB, dbt 250 MiB, python3 (2) 50 MiB."
        in text
    )
    assert text.count("Who held the peak memory") == 1
    # A failed run: no ratios, its reason and its own driver memory stated.
    assert "### 1,000,000 users" in text and "Inputs: csv 130.0 MiB, parquet 20.0 MiB." in text
    assert (
        "| dbt build, Spark | 700.0 | 700.0 | 3,600 | – | – | – | – | "
        "driver memory 4g; failed nodes: "
        "int_user_rule_segments_matched; see x.log |" in text
    )
    assert "Spark / DuckDB: not compared: a run did not finish." in text
    assert "- 2g failed at 1M: java.lang.OutOfMemoryError" in text
    # No run_results summaries: no time breakdown.
    assert "Where the Spark build's time goes" not in text


def test_render_only_writes_the_section_and_leaves_the_rest_of_the_report(tmp_path):
    work, output = tmp_path / "work", tmp_path / "BENCHMARKS.md"
    arguments = ["--render-only", "--work-dir", str(work), "--output", str(output)]
    with pytest.raises(SystemExit, match="no .*results.json to render"):
        run_bench_spark.main(arguments)
    work.mkdir()
    (work / "results.json").write_text(json.dumps(_results()))
    report = "# Benchmarks\n\n## Notes\n\n- measured on DuckDB\n"
    output.write_text(report)
    assert run_bench_spark.main(arguments) == 0
    text = output.read_text()
    assert text.startswith(report) and render.spark_section(text).startswith(
        render.SPARK_SECTION_START
    )
    assert run_bench_spark.main(arguments) == 0
    assert output.read_text() == text


def test_spark_threads_and_the_demo_size_come_from_the_project_s_files():
    profiles = (run_bench_spark.PROJECT_DIR / "profiles.yml").read_text()
    assert run_bench_spark.spark_threads(profiles).isdigit()
    assert run_bench_spark.spark_threads("segmentation:\n  outputs:\n    dev: {}\n") == "unknown"
    assert run_bench_spark.seed_users(run_bench_spark.DEMO_SEED) == 1000


def test_merge_keeps_the_entries_not_measured_again():
    entries = [{"name": "demo"}, {"name": "users_1000000"}, {"name": "users_100000"}]
    kept = run_bench_spark.merge_entries(entries, {"users_1000000"})
    assert [entry["name"] for entry in kept] == ["demo", "users_100000"]

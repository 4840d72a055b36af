"""The targets judged from the figures, and BENCHMARKS.md rendered from them."""

from __future__ import annotations

import json

import pytest

from bench import render, run_bench, targets

MIB = 1024**2


def _run(seconds: float, mib: float, status: str = "ok", **extra) -> dict:
    return {"status": status, "wall_seconds": seconds, "peak_rss_bytes": mib * MIB, **extra}


def _results(csv10m_seconds: float = 100.0, csv10m_mib: float = 2500.0) -> dict:
    return {
        "command": "python bench/run_bench.py",
        "finished_at": "2026-01-01T00:00:00+00:00",
        "settings": {
            "seed": 42,
            "personas": "default",
            "poll_interval": 0.05,
            "reference_max_size": 1_000_000,
        },
        "machine": {
            "cpu_model": "Test CPU",
            "cores": 2,
            "cpu_count": 2,
            "memory_gib": 24.0,
            "kernel": "Linux",
        },
        "versions": {"python": "3.11", "duckdb": "2.0.1"},
        "demo": _run(12.0, 400, dbt=None),
        "sizes": [
            {
                "users": 1_000_000,
                "inputs": {"csv": {"bytes": 130 * MIB}, "parquet": {"bytes": 40 * MIB}},
                "runs": {
                    "csv": _run(50.0, 1500),
                    "parquet": _run(40.0, 1400),
                    "peer": _run(250.0, 2000),
                },
                "quality": {"fit_rows": 200_000, "inertia_ratio": 1.004, "ari_vs_peer": 0.97},
            },
            {
                "users": 10_000_000,
                "inputs": {"csv": {"bytes": 1300 * MIB}, "parquet": {"bytes": 400 * MIB}},
                "runs": {
                    "csv": _run(csv10m_seconds, csv10m_mib),
                    "parquet": _run(90.0, 2000),
                    "peer": {"status": "skipped", "reason": "skipped: estimated 79 min"},
                },
                "quality": {"fit_rows": 200_000, "note": "reference fit not run"},
            },
        ],
        "notes": [],
    }


def test_targets_are_judged_from_the_figures():
    status = {target.description: target.status for target in targets.evaluate_targets(_results())}
    assert set(status.values()) == {"met"}
    slow = targets.evaluate_targets(_results(csv10m_seconds=130.0, csv10m_mib=3200.0))
    missed = {target.description for target in slow if target.status == "missed"}
    assert missed == {
        "10M users: dbt build from CSV under 2 minutes",
        "Peak memory at 10M ≤ 2× peak at 1M (CSV and Parquet)",
    }
    partial = _results()
    del partial["sizes"][1]
    partial["sizes"][0]["runs"]["peer"] = {"status": "skipped", "reason": "--no-peer"}
    partial["demo"] = _run(30.0, 400, status="failed", reason="failed")
    judged = {target.description: target.status for target in targets.evaluate_targets(partial)}
    assert judged["1M users: dbt build (CSV) ≥ 4× faster than the peer"] == "not measured"
    assert judged["1M users: inertia on all users within 1% of a full-data fit"] == "met"
    assert judged["10M users: dbt build from CSV under 2 minutes"] == "not measured"
    assert judged["Demo, 1,000 users: dbt build under 15 s"] == "missed"
    # A 10M build stopped after 15 minutes has already missed the 2-minute target.
    stopped = _results()
    stopped["sizes"][1]["runs"]["csv"] = _run(900.0, 3000, status="interrupted")
    del stopped["sizes"][1]["runs"]["parquet"]
    judged = {target.description: target for target in targets.evaluate_targets(stopped)}
    assert judged["10M users: dbt build from CSV under 2 minutes"].status == "missed"
    assert judged["10M users: dbt build from CSV under 2 minutes"].measured.startswith("> 900 s")
    assert judged["10M users: peak memory under 4 GiB (CSV and Parquet)"].status == "not measured"
    text = render.render_markdown(stopped)
    assert (
        "| dbt build, CSV | > 900.0 | 3,000 |" in text and "| dbt build, Parquet | – | – |" in text
    )


def _summary(startup: float, slowest: list[tuple[str, float]], high: tuple[str, float]) -> dict:
    """A run's `dbt` summary (summarize_run_results) with the fields the limits read."""
    node = {"unique_id": "model.x", "resource_type": "model", "seconds": 1.0}
    return {
        "wall_seconds": 150.0,
        "dbt_elapsed_seconds": 150.0 - startup,
        "startup_seconds": startup,
        "node_seconds_total": 139.0,
        "node_busy_seconds": 139.0,
        "overhead_seconds": 11.0,
        "nodes": 205,
        "failed_nodes": [],
        "by_resource_type": {
            "model": {"count": 39, "seconds": 120.0},
            "test": {"count": 149, "seconds": 16.0},
            "unit_test": {"count": 17, "seconds": 3.0},
        },
        "slowest": [{**node, "name": name, "seconds": seconds} for name, seconds in slowest],
        "highest_memory": [{**node, "name": high[0], "rss_bytes": high[1] * MIB}],
    }


def test_missed_targets_say_what_limits_them_from_the_same_run():
    results = _results(csv10m_seconds=150.0)
    ten_million = results["sizes"][1]["runs"]
    ten_million["csv"]["dbt"] = _summary(
        9.5, [("base_rows", 31.3), ("matched", 26.0), ("overlap", 8.8)], ("profiles", 1400)
    )
    results["sizes"][0]["runs"]["csv"]["dbt"] = _summary(9.0, [("fit", 4.1)], ("medians", 800))
    judged = {target.description: target for target in targets.evaluate_targets(results)}
    slow = judged["10M users: dbt build from CSV under 2 minutes"]
    assert slow.status == "missed"
    assert slow.limit == (
        "start-up and parsing 9.5 s; models 120.0 s (39), data tests 16.0 s (149), "
        "unit tests 3.0 s (17); slowest: base_rows 31.3 s, matched 26.0 s, overlap 8.8 s"
    )
    # A met target has no limit; a missed one without a dbt summary says nothing it can't back.
    assert judged["10M users: peak memory under 4 GiB (CSV and Parquet)"].limit == ""
    assert judged["Demo, 1,000 users: dbt build under 15 s"].status == "met"
    results["demo"] = _run(20.0, 400, dbt=_summary(9.8, [("history", 2.7)], ("rules", 427)))
    results["sizes"][0]["runs"]["peer"] = _run(8.0, 900)
    judged = {target.description: target for target in targets.evaluate_targets(results)}
    demo = judged["Demo, 1,000 users: dbt build under 15 s"]
    assert demo.status == "missed" and demo.limit.startswith("start-up and parsing 9.8 s;")
    speed = judged["1M users: dbt build (CSV) ≥ 4× faster than the peer"]
    assert speed.limit.startswith(
        "dbt's start-up and parsing alone 9.0 s; 4× needs the whole build in 2.0 s; models"
    )
    memory = judged["1M users: dbt build peak memory lower than the peer's"]
    assert memory.status == "missed" and memory.limit == "highest while medians ran (800 MiB)"
    text = render.render_markdown(results)
    assert "| what limits it (this run's figures) |" in text
    assert "| missed | highest while medians ran (800 MiB) |" in text
    assert "| 10M users: peak memory under 4 GiB (CSV and Parquet) | 2.44 GiB | met | – |" in text


def test_render_only_rewrites_the_report_from_the_measured_results(tmp_path):
    work, output = tmp_path / "work", tmp_path / "BENCHMARKS.md"
    arguments = ["--render-only", "--work-dir", str(work), "--output", str(output)]
    with pytest.raises(SystemExit, match="no .*results.json to render"):
        run_bench.main(arguments)
    assert not output.exists()
    work.mkdir()
    (work / "results.json").write_text(json.dumps(_results(csv10m_seconds=130.0)))
    assert run_bench.main(arguments) == 0
    text = output.read_text()
    assert "| 10M users: dbt build from CSV under 2 minutes | 130 s | missed |" in text
    # Nothing was run: the work dir holds only the results it was given.
    assert sorted(path.name for path in work.iterdir()) == ["results.json"]


def test_report_has_a_table_per_size_quality_and_targets():
    text = render.render_markdown(_results())
    assert text.count("| dbt build, CSV |") == 2
    assert "### 1,000,000 users" in text and "### 10,000,000 users" in text
    assert "| peer notebook, CSV | 250.0 | 2,000 | 1 | 1 | – |" in text
    assert "| peer notebook, CSV | – | – | – | – | – |" in text
    assert "| dbt build, CSV | 50.0 | 1,500 | 5.00 | 1.33 |" in text
    assert "skipped: estimated 79 min" in text
    assert "| 1,000,000 | 200,000 |" in text and "1.00400" in text
    assert "Test CPU, 2 cores" in text and "duckdb 2.0.1" in text
    assert "| 1M users: dbt build (CSV) ≥ 4× faster than the peer | peer/ours 5.00× " in text


SPARK = (
    f"{render.SPARK_SECTION_START}\n## Local Spark\n\n| spark | 1 |\n{render.SPARK_SECTION_END}\n"
)


def test_the_local_spark_section_is_found_replaced_where_it_stands_and_added():
    report = "# Benchmarks\n\n## Notes\n\n- a note\n"
    assert render.spark_section(report) == ""
    with_spark = render.with_spark_section(report, SPARK)
    assert with_spark == report + "\n" + SPARK
    assert render.spark_section(with_spark) == SPARK
    # Replaced where it stands, the text around it kept.
    middle = "# Benchmarks\n\n" + SPARK + "\n## Notes\n"
    newer = SPARK.replace("| 1 |", "| 2 |")
    assert render.with_spark_section(middle, newer) == "# Benchmarks\n\n" + newer + "\n## Notes\n"
    assert render.with_spark_section(middle, "") == "# Benchmarks\n\n## Notes\n"
    assert render.with_spark_section("", SPARK) == SPARK
    # A start marker without its end: the rest of the file is the section (nothing is lost).
    cut = "# Benchmarks\n\n" + SPARK.replace(render.SPARK_SECTION_END, "") + "\n## Later\n"
    assert render.spark_section(cut).rstrip().endswith("## Later")


def test_rewriting_the_report_keeps_the_local_spark_section(tmp_path):
    work, output = tmp_path / "work", tmp_path / "BENCHMARKS.md"
    work.mkdir()
    (work / "results.json").write_text(json.dumps(_results()))
    output.write_text("# Benchmarks\n\nan older report\n\n" + SPARK)
    arguments = ["--render-only", "--work-dir", str(work), "--output", str(output)]
    assert run_bench.main(arguments) == 0
    text = output.read_text()
    assert "an older report" not in text and "## Targets" in text
    assert text.endswith("\n\n" + SPARK) and text.count(render.SPARK_SECTION_START) == 1
    assert run_bench.main(arguments) == 0
    assert output.read_text() == text


def test_a_profile_setting_is_the_environment_s_else_the_profile_s_default(monkeypatch):
    profiles = "memory: \"{{ env_var('SEGMENTATION_SPARK_DRIVER_MEMORY', '2g') }}\""
    monkeypatch.delenv("SEGMENTATION_SPARK_DRIVER_MEMORY", raising=False)
    assert run_bench.profile_setting("SEGMENTATION_SPARK_DRIVER_MEMORY", profiles) == "2g"
    assert run_bench.profile_setting("SEGMENTATION_OTHER", profiles) == "unknown"
    monkeypatch.setenv("SEGMENTATION_SPARK_DRIVER_MEMORY", "6g")
    assert run_bench.profile_setting("SEGMENTATION_SPARK_DRIVER_MEMORY", profiles) == "6g"

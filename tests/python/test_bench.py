"""The benchmark harness (issue 4): its measuring parts without dbt, then the harness at 10k users.

No test here asserts a speed: the figures are the benchmark's output, not a pass mark.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from conftest import PEER_NOTEBOOK, PROJECT_DIR
from segmentation import bench
from segmentation.clustering import fit_segments

MIB = 1024**2


# -- sizes and peer scheduling ---------------------------------------------------------------


def test_sizes_accept_plain_and_abbreviated_counts():
    assert bench.parse_sizes("10000") == [10_000]
    assert bench.parse_sizes("1M, 10k,100_000,1e5") == [10_000, 100_000, 1_000_000]
    for bad in ("", "ten", "0", "1.5"):
        with pytest.raises(ValueError):
            bench.parse_sizes(bad)


def test_peer_is_skipped_where_the_estimate_exceeds_the_limit():
    assert bench.peer_skip_reason([], 10_000) is None
    # 20 s at 100k -> about 317 s at 1M (exponent 1.2): runs.
    assert bench.peer_skip_reason([(10_000, 2.0), (100_000, 20.0)], 1_000_000) is None
    # 300 s at 1M -> about 79 min at 10M: skipped, and the reason says why.
    reason = bench.peer_skip_reason([(100_000, 20.0), (1_000_000, 300.0)], 10_000_000)
    assert reason and "estimated" in reason and "1,000,000" in reason
    # Only smaller sizes count; a size the peer could not do rules out the larger ones.
    assert bench.peer_skip_reason([(10_000_000, 5000.0)], 1_000_000) is None
    assert "did not finish" in bench.peer_skip_reason([(100_000, None)], 1_000_000)
    assert bench.estimate_seconds(1000, 10.0, 2000, exponent=1.0) == pytest.approx(20.0)


# -- process-tree memory ---------------------------------------------------------------------

# Each child holds `size` MiB, then waits until every sibling holds its share before letting go,
# so the tree's total is resident at once for a while (however slowly the processes start).
TREE_SCRIPT = textwrap.dedent(
    """
    import subprocess, sys, time
    from pathlib import Path

    children, size, marks = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    if len(sys.argv) > 4:
        block = b"x" * (size << 20)
        (marks / sys.argv[4]).touch()
        while len(list(marks.iterdir())) < children:
            time.sleep(0.02)
        time.sleep(1.0)
        sys.exit(0)
    processes = [
        subprocess.Popen([sys.executable, __file__, *sys.argv[1:4], str(n)])
        for n in range(children)
    ]
    sys.exit(max(process.wait() for process in processes))
    """
)


def test_peak_memory_sums_the_whole_process_tree(tmp_path):
    script = tmp_path / "tree.py"
    script.write_text(TREE_SCRIPT)
    marks = tmp_path / "marks"
    marks.mkdir()
    measured = bench.measure(
        [sys.executable, str(script), "3", "60", str(marks)], log_path=tmp_path / "tree.log"
    )
    assert measured.ok, (tmp_path / "tree.log").read_text()
    assert measured.samples > 0
    # Three children of 60 MiB each at once: more than any single process ever held.
    assert measured.peak_rss_bytes >= 3 * 60 * MIB


def test_process_tree_finds_grandchildren(tmp_path):
    # sh -> sh -> sleep: the tree of the outer shell holds all three.
    process = subprocess.Popen(
        ["sh", "-c", "sh -c 'sleep 30 & echo $!; wait' & wait"],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        grandchild = int(process.stdout.readline())
        tree = bench.process_tree(process.pid)
        assert process.pid in tree and grandchild in tree and len(tree) == 3
        parents = bench._parent_pids()
        assert parents[grandchild] in tree
        assert bench.tree_resident_bytes(process.pid) > 0
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert bench.process_tree(process.pid) == [process.pid]
    assert bench.resident_bytes(process.pid) == 0


def test_measure_reports_failures_and_kills_on_timeout(tmp_path):
    failed = bench.measure(
        [sys.executable, "-c", "print('oops'); raise SystemExit(3)"], log_path=tmp_path / "a.log"
    )
    assert failed.returncode == 3 and not failed.ok and not failed.timed_out
    assert "oops" in (tmp_path / "a.log").read_text()
    stuck = bench.measure(["sleep", "60"], log_path=tmp_path / "b.log", timeout=0.3)
    assert stuck.timed_out and not stuck.ok and stuck.returncode == -signal.SIGTERM


# -- dbt's run_results -----------------------------------------------------------------------


def _result(unique_id: str, start: float, end: float, status: str = "success") -> dict:
    stamp = "2026-01-01T00:00:{:06.3f}Z".format
    return {
        "unique_id": unique_id,
        "status": status,
        "execution_time": end - start,
        "timing": [
            {"name": "compile", "started_at": stamp(start), "completed_at": stamp(start + 0.1)},
            {"name": "execute", "started_at": stamp(start + 0.1), "completed_at": stamp(end)},
        ],
    }


def test_run_results_split_wall_time_into_dbt_and_nodes():
    run_results = {
        "elapsed_time": 9.0,
        "results": [
            _result("model.segmentation.int_user_features", 1.0, 4.0),
            _result("model.segmentation.int_segment_centroids", 2.0, 7.0),  # overlaps
            _result("test.segmentation.unique_x.abc123", 8.0, 8.5, status="fail"),
            _result("unit_test.segmentation.dim_segments.dim_segments_ranks", 8.5, 9.0),
            {"unique_id": "model.segmentation.skipped", "status": "skipped", "timing": []},
        ],
    }
    base = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    # Memory sampled every half second: 100 MiB, with a spike to 900 MiB at 5 s.
    timeline = [(base + t / 2, (900 if t == 10 else 100) * MIB) for t in range(0, 20)]
    summary = bench.summarize_run_results(run_results, wall_seconds=12.0, top=2, timeline=timeline)
    assert summary["startup_seconds"] == pytest.approx(3.0)
    assert summary["node_seconds_total"] == pytest.approx(3.0 + 5.0 + 0.5 + 0.5)
    assert summary["node_busy_seconds"] == pytest.approx(6.0 + 1.0)  # [1, 7] and [8, 9]
    assert summary["overhead_seconds"] == pytest.approx(5.0)
    assert [node["name"] for node in summary["slowest"]] == [
        "int_segment_centroids",
        "int_user_features",
    ]
    assert summary["by_resource_type"]["model"] == {"count": 3, "seconds": pytest.approx(8.0)}
    assert summary["by_resource_type"]["unit_test"]["count"] == 1
    assert summary["failed_nodes"] == ["unique_x"]
    # The spike happened while only int_segment_centroids ran.
    highest = summary["highest_memory"]
    assert highest[0]["name"] == "int_segment_centroids"
    assert highest[0]["rss_bytes"] == 900 * MIB and highest[1]["rss_bytes"] == 100 * MIB
    assert bench.summarize_run_results(run_results, 12.0)["highest_memory"] == []
    assert bench.busy_seconds([]) == 0.0


# -- quality ---------------------------------------------------------------------------------


def test_adjusted_rand_from_counts_equals_sklearn():
    rng = np.random.default_rng(7)
    cases = [
        (rng.integers(0, 5, 500), rng.integers(0, 4, 500)),
        (np.repeat(np.arange(5), 40), np.repeat([3, 1, 4, 0, 2], 40)),  # same partition
        (np.zeros(50, int), np.zeros(50, int)),
        (np.arange(30), np.arange(30)),
        (np.zeros(30, int), np.arange(30)),
    ]
    for a, b in cases:
        pairs, counts = np.unique(np.column_stack([a, b]), axis=0, return_counts=True)
        counted = [(x, y, n) for (x, y), n in zip(pairs, counts, strict=True)]
        assert bench.adjusted_rand_from_counts(counted) == pytest.approx(
            adjusted_rand_score(a, b), abs=1e-12
        )


@pytest.fixture()
def cluster_inputs():
    """A small int_user_cluster_inputs: two numeric columns and a 0/1 column, in DuckDB."""
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 3, 600)
    numeric = np.array([[0, 10], [5, 30], [9, 12]], dtype=float)[labels] + rng.normal(
        0, [1.0, 4.0], (600, 2)
    )
    flag = (labels == 1).astype(float)
    matrix = np.column_stack([numeric, flag])
    connection = duckdb.connect()
    frame = pd.DataFrame(
        {
            "user_id": [str(i) for i in range(600)],
            "source_row_number": np.arange(600),
            "hours": matrix[:, 0],
            "likes": matrix[:, 1],
            "gender__male": matrix[:, 2],
        }
    )
    connection.register("frame", frame)
    connection.sql("create table inputs as select * from frame")
    yield connection, matrix
    connection.close()


def _scaled_inertia(matrix, values, scales):
    distances = (((matrix[:, None, :] - values[None, :, :]) / scales) ** 2).sum(axis=2)
    return distances.min(axis=1).sum()


def test_centroid_inertia_matches_numpy_in_both_scalings(cluster_inputs):
    connection, matrix = cluster_inputs
    values = np.array([[0.0, 10.0, 0.0], [5.0, 30.0, 1.0], [8.0, 14.0, 0.0]])
    centroids = bench.FittedCentroids(
        columns=("hours", "likes", "gender__male"),
        is_scaled=(True, True, False),
        scales=np.array([2.0, 5.0, 1.0]),
        values=values,
    )
    full_scales = np.array([matrix[:, 0].std(), matrix[:, 1].std(), 1.0])
    assert bench.centroid_inertia(connection, "inputs", centroids) == pytest.approx(
        _scaled_inertia(matrix, values, full_scales), rel=1e-10
    )
    assert bench.centroid_inertia(
        connection, "inputs", centroids, centroids.scales
    ) == pytest.approx(_scaled_inertia(matrix, values, centroids.scales), rel=1e-10)


def test_project_parameter_table_and_reference_fit_agree_on_all_rows(cluster_inputs):
    """Fitted on every row, the project's centroids score exactly the full-data fit's inertia."""
    connection, matrix = cluster_inputs
    columns = ["hours", "likes", "gender__male"]
    model = fit_segments(matrix, columns, ["hours", "likes"], n_clusters=3)
    table = model.to_frame()
    table["fit_rows"], table["input_rows"] = 600, 600
    connection.register("table_frame", table)
    connection.sql("create table centroids as select * from table_frame")
    fitted = bench.read_centroids(connection, "centroids")
    assert fitted.columns == tuple(columns) and fitted.is_scaled == (True, True, False)
    assert fitted.fit_rows == 600
    ours = bench.centroid_inertia(connection, "inputs", fitted)
    assert ours == pytest.approx(model.inertia, rel=1e-9)

    reference, sklearn_inertia = bench.reference_centroids(
        connection, "inputs", columns, [True, True, False], 3, random_seed=42, n_init=10
    )
    assert bench.centroid_inertia(connection, "inputs", reference) == pytest.approx(
        sklearn_inertia, rel=1e-9
    )
    assert ours / sklearn_inertia == pytest.approx(1.0, abs=1e-9)
    # A worse set of centroids scores a higher inertia: the ratio can exceed 1.
    moved = bench.FittedCentroids(
        fitted.columns, fitted.is_scaled, fitted.scales, fitted.values + [1.0, 3.0, 0.0]
    )
    assert bench.centroid_inertia(connection, "inputs", moved) > 1.05 * sklearn_inertia
    scaled = (matrix - matrix.mean(axis=0) * [1, 1, 0]) / (
        matrix.std(axis=0) * [1, 1, 0] + [0, 0, 1]
    )
    direct = KMeans(n_clusters=3, random_state=42, n_init=10).fit(scaled).inertia_
    assert sklearn_inertia == pytest.approx(direct, rel=1e-9)


def test_find_relation_looks_in_any_schema(cluster_inputs):
    connection, _ = cluster_inputs
    connection.sql("create schema analytics; create table analytics.fct_user_segments (x int)")
    assert bench.find_relation(connection, "fct_user_segments").endswith(
        '"analytics"."fct_user_segments"'
    )
    with pytest.raises(LookupError):
        bench.find_relation(connection, "no_such_table")


# -- targets and the report ------------------------------------------------------------------


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
    status = {target.description: target.status for target in bench.evaluate_targets(_results())}
    assert set(status.values()) == {"met"}
    slow = bench.evaluate_targets(_results(csv10m_seconds=130.0, csv10m_mib=3200.0))
    missed = {target.description for target in slow if target.status == "missed"}
    assert missed == {
        "10M users: dbt build from CSV under 2 minutes",
        "Peak memory at 10M ≤ 2× peak at 1M (CSV and Parquet)",
    }
    partial = _results()
    del partial["sizes"][1]
    partial["sizes"][0]["runs"]["peer"] = {"status": "skipped", "reason": "--no-peer"}
    partial["demo"] = _run(30.0, 400, status="failed", reason="failed")
    judged = {target.description: target.status for target in bench.evaluate_targets(partial)}
    assert judged["1M users: dbt build (CSV) ≥ 4× faster than the peer"] == "not measured"
    assert judged["1M users: inertia on all users within 1% of a full-data fit"] == "met"
    assert judged["10M users: dbt build from CSV under 2 minutes"] == "not measured"
    assert judged["Demo, 1,000 users: dbt build under 15 s"] == "missed"
    # A 10M build stopped after 15 minutes has already missed the 2-minute target.
    stopped = _results()
    stopped["sizes"][1]["runs"]["csv"] = _run(900.0, 3000, status="interrupted")
    del stopped["sizes"][1]["runs"]["parquet"]
    judged = {target.description: target for target in bench.evaluate_targets(stopped)}
    assert judged["10M users: dbt build from CSV under 2 minutes"].status == "missed"
    assert judged["10M users: dbt build from CSV under 2 minutes"].measured.startswith("> 900 s")
    assert judged["10M users: peak memory under 4 GiB (CSV and Parquet)"].status == "not measured"
    text = bench.render_markdown(stopped)
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
    judged = {target.description: target for target in bench.evaluate_targets(results)}
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
    judged = {target.description: target for target in bench.evaluate_targets(results)}
    demo = judged["Demo, 1,000 users: dbt build under 15 s"]
    assert demo.status == "missed" and demo.limit.startswith("start-up and parsing 9.8 s;")
    speed = judged["1M users: dbt build (CSV) ≥ 4× faster than the peer"]
    assert speed.limit.startswith(
        "dbt's start-up and parsing alone 9.0 s; 4× needs the whole build in 2.0 s; models"
    )
    memory = judged["1M users: dbt build peak memory lower than the peer's"]
    assert memory.status == "missed" and memory.limit == "highest while medians ran (800 MiB)"
    text = bench.render_markdown(results)
    assert "| what limits it (this run's figures) |" in text
    assert "| missed | highest while medians ran (800 MiB) |" in text
    assert "| 10M users: peak memory under 4 GiB (CSV and Parquet) | 2.44 GiB | met | – |" in text


def _run_bench_module():
    spec = importlib.util.spec_from_file_location(
        "run_bench", PROJECT_DIR / "bench" / "run_bench.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_render_only_rewrites_the_report_from_the_measured_results(tmp_path):
    run_bench = _run_bench_module()
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
    text = bench.render_markdown(_results())
    assert text.count("| dbt build, CSV |") == 2
    assert "### 1,000,000 users" in text and "### 10,000,000 users" in text
    assert "| peer notebook, CSV | 250.0 | 2,000 | 1 | 1 | – |" in text
    assert "| peer notebook, CSV | – | – | – | – | – |" in text
    assert "| dbt build, CSV | 50.0 | 1,500 | 5.00 | 1.33 |" in text
    assert "skipped: estimated 79 min" in text
    assert "| 1,000,000 | 200,000 |" in text and "1.00400" in text
    assert "Test CPU, 2 cores" in text and "duckdb 2.0.1" in text
    assert "| 1M users: dbt build (CSV) ≥ 4× faster than the peer | peer/ours 5.00× " in text


# -- the harness, end to end at 10,000 users --------------------------------------------------


@pytest.mark.dbt
def test_harness_at_10k_users_writes_a_report_with_sane_figures(tmp_path):
    output = tmp_path / "BENCHMARKS.md"
    completed = subprocess.run(
        [
            sys.executable,
            str(PROJECT_DIR / "bench" / "run_bench.py"),
            "--sizes",
            "10000",
            "--work-dir",
            str(tmp_path / "work"),
            "--output",
            str(output),
            # The demo build is the same code path with no vars; conftest's demo_build covers it.
            "--skip-demo",
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    results = json.loads((tmp_path / "work" / "results.json").read_text())
    (entry,) = results["sizes"]
    assert entry["users"] == 10_000
    for path in (Path(info["path"]) for info in entry["inputs"].values()):
        assert path.is_relative_to(tmp_path) and path.stat().st_size > 0

    assert results["demo"] is None
    builds = [entry["runs"]["csv"], entry["runs"]["parquet"]]
    for run in builds:
        assert run["status"] == "ok"
        assert run["wall_seconds"] > 0 and run["samples"] > 0
        # dbt, DuckDB and pandas resident: more than a bare interpreter, far less than the box.
        assert 80 * MIB < run["peak_rss_bytes"] < 8 * 1024 * MIB
        summary = run["dbt"]
        assert summary["nodes"] > 10 and not summary["failed_nodes"]
        assert 0 < summary["node_busy_seconds"] <= run["wall_seconds"]
        assert len(summary["slowest"]) == 5 and len(summary["highest_memory"]) == 5
        assert summary["slowest"][0]["seconds"] >= summary["slowest"][-1]["seconds"] > 0
        assert max(node["rss_bytes"] for node in summary["highest_memory"]) <= run["peak_rss_bytes"]

    quality = entry["quality"]
    assert quality["fit_rows"] == quality["input_rows"] == quality["segmented_users"] == 10_000
    # Fitted on every user, the project's fit is the full-data fit: the ratio is 1.
    assert quality["inertia_ratio"] == pytest.approx(1.0, abs=1e-6)
    assert quality["ari_csv_vs_parquet"] == pytest.approx(1.0)

    text = output.read_text()
    assert "## Targets" in text and "### 10,000 users" in text
    assert "| dbt build, CSV |" in text and "| dbt build, Parquet |" in text
    assert "### 10,000 users, CSV" in text and "### 10,000 users, Parquet" in text
    assert "| Demo, 1,000 users: dbt build under 15 s | not measured | not measured |" in text
    if PEER_NOTEBOOK.exists():
        peer = entry["runs"]["peer"]
        assert peer["status"] == "ok" and peer["peak_rss_bytes"] > 50 * MIB
        assert quality["peer_matched_users"] == 10_000
        # Planted personas at 10k: the notebook and the project find the same segments.
        assert quality["ari_vs_peer"] > 0.9
    else:
        assert "peer notebook not found" in text

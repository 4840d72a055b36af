"""The benchmark harness end to end at 10,000 users: two dbt builds, the peer and quality."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run_bench import DEFAULT_PEER, PROJECT_DIR

MIB = 1024**2


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
            # The demo build is the same code path with no vars; the dbt tests' demo covers it.
            "--skip-demo",
            "--shapes",
            "planted",
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    results = json.loads((tmp_path / "work" / "results.json").read_text())
    (entry,) = results["sizes"]
    assert entry["users"] == 10_000 and entry["shape"] == "planted"
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
        # The production build: make build's flags, so no unit tests ran.
        assert run["flags"] == ["--exclude-resource-type", "unit_test"]
        assert "unit_test" not in summary["by_resource_type"]
        assert run["structure_verdict"] == "strong"
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
    assert "| planted | dbt build, CSV |" in text and "| planted | dbt build, Parquet |" in text
    assert "### 10,000 users, planted, CSV" in text
    assert "### 10,000 users, planted, Parquet" in text
    assert "(fresh target, full parse) ≤ 15 s | not measured | not measured |" in text
    assert quality["structure_verdict"] == "strong"
    if DEFAULT_PEER.exists():
        peer = entry["runs"]["peer"]
        assert peer["status"] == "ok" and peer["peak_rss_bytes"] > 50 * MIB
        assert quality["peer_matched_users"] == 10_000
        # Planted personas at 10k: the notebook and the project find the same segments.
        assert quality["ari_vs_peer"] > 0.9
    else:
        assert "peer notebook not found" in text

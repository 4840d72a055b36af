"""Where a build's wall time and memory went, from run_results.json."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bench import dbt_results

MIB = 1024**2


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
    summary = dbt_results.summarize_run_results(
        run_results, wall_seconds=12.0, top=2, timeline=timeline
    )
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
    assert dbt_results.summarize_run_results(run_results, 12.0)["highest_memory"] == []
    assert dbt_results.busy_seconds([]) == 0.0

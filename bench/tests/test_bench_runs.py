"""The benchmark's sizes and when it runs the peer notebook."""

from __future__ import annotations

import argparse
import json
import os

import pytest

from bench import inputs, runs


def test_sizes_accept_plain_and_abbreviated_counts():
    assert inputs.parse_sizes("10000") == [10_000]
    assert inputs.parse_sizes("1M, 10k,100_000,1e5") == [10_000, 100_000, 1_000_000]
    for bad in ("", "ten", "0", "1.5"):
        with pytest.raises(ValueError):
            inputs.parse_sizes(bad)


def test_peer_is_skipped_where_the_estimate_exceeds_the_limit():
    assert runs.peer_skip_reason([], 10_000) is None
    # 20 s at 100k -> about 317 s at 1M (exponent 1.2): runs.
    assert runs.peer_skip_reason([(10_000, 2.0), (100_000, 20.0)], 1_000_000) is None
    # 300 s at 1M -> about 79 min at 10M: skipped, and the reason says why.
    reason = runs.peer_skip_reason([(100_000, 20.0), (1_000_000, 300.0)], 10_000_000)
    assert reason and "estimated" in reason and "1,000,000" in reason
    # Only smaller sizes count; a size the peer could not do rules out the larger ones.
    assert runs.peer_skip_reason([(10_000_000, 5000.0)], 1_000_000) is None
    assert "did not finish" in runs.peer_skip_reason([(100_000, None)], 1_000_000)
    assert runs.estimate_seconds(1000, 10.0, 2000, exponent=1.0) == pytest.approx(20.0)


def test_a_build_on_another_target_gets_a_fresh_build_dir_and_no_publishing(tmp_path):
    # A stand-in for dbt that records how it was called and succeeds (builds nothing).
    fake_dbt = tmp_path / "dbt"
    fake_dbt.write_text(
        "#!/bin/sh\n"
        'printf "%s\\n" "$@" > "$SEGMENTATION_BUILD_DIR.argv"\n'
        'printf "%s\\n" "$PYTHONPATH" "$SEGMENTATION_SPARK_DRIVER_MEMORY" > '
        '"$SEGMENTATION_BUILD_DIR.env"\n'
        'ls "$SEGMENTATION_BUILD_DIR" > "$SEGMENTATION_BUILD_DIR.listing" 2>&1\n'
        "exit 0\n"
    )
    fake_dbt.chmod(0o755)
    run_dir = tmp_path / "spark"
    left_over = run_dir / "build" / "spark" / "warehouse"
    left_over.mkdir(parents=True)  # an earlier build's Spark warehouse
    args = argparse.Namespace(run_timeout=60, poll_interval=0.01)
    record = runs.run_build(
        run_dir,
        {"user_profiles_path": "/data/users.parquet"},
        args,
        dbt=str(fake_dbt),
        target_name="spark",
        env_overrides={"SEGMENTATION_SPARK_DRIVER_MEMORY": "3g"},
        publish=False,
    )
    argv = (run_dir / "build.argv").read_text().splitlines()
    assert argv[:3] == ["build", "--target", "spark"]
    assert argv[-1] == json.dumps({"user_profiles_path": "/data/users.parquet"})
    pythonpath, driver_memory = (run_dir / "build.env").read_text().splitlines()
    assert pythonpath.split(os.pathsep)[0] == str(runs.PROJECT_DIR / "python")
    assert driver_memory == "3g"
    # The earlier warehouse was gone before dbt started.
    assert "No such file" in (run_dir / "build.listing").read_text()
    # No publishing step (a real one would fail here: there is no warehouse to publish).
    assert record["status"] == "ok" and "publish" not in record

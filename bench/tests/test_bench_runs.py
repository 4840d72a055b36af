"""The benchmark's sizes and when it runs the peer notebook."""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex

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
    # The production build's flags (make build's), then the target.
    assert argv[:5] == ["build", "--exclude-resource-type", "unit_test", "--target", "spark"]
    assert argv[-1] == json.dumps({"user_profiles_path": "/data/users.parquet"})
    pythonpath, driver_memory = (run_dir / "build.env").read_text().splitlines()
    assert pythonpath.split(os.pathsep)[0] == str(runs.PROJECT_DIR / "python")
    assert driver_memory == "3g"
    # The earlier warehouse was gone before dbt started.
    assert "No such file" in (run_dir / "build.listing").read_text()
    # No publishing step (a real one would fail here: there is no warehouse to publish).
    assert record["status"] == "ok" and "publish" not in record
    assert record["flags"] == ["--exclude-resource-type", "unit_test"]
    # A warm build goes again into what the last one left (dbt's partial parse reads target/).
    (run_dir / "target").mkdir()
    (run_dir / "target" / "partial_parse.msgpack").write_text("kept")
    runs.run_build(run_dir, {}, args, dbt=str(fake_dbt), publish=False, fresh=False)
    assert (run_dir / "target" / "partial_parse.msgpack").read_text() == "kept"
    assert (run_dir / "dbt_build_warm.log").exists()
    runs.run_build(run_dir, {}, args, dbt=str(fake_dbt), publish=False)
    assert not (run_dir / "target").exists()


def makefile_variable(text: str, name: str) -> str:
    """The value of `NAME := value` (or = / ?=) in a Makefile."""
    found = re.search(rf"^{re.escape(name)}\s*[:?]?=[ \t]*(.*)$", text, re.MULTILINE)
    assert found, f"the Makefile defines no {name}"
    return found.group(1).strip()


def recipe(text: str, target: str) -> list[str]:
    """The recipe lines (tab-indented) of `target:` in a Makefile."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"{re.escape(target)}\s*:", line))
    body = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        body.append(line.strip())
    return body


def test_the_bench_measures_make_build_s_dbt_build_flags():
    """Issue 16: the bench's builds carry exactly `make build`'s `dbt build` flags."""
    text = (runs.PROJECT_DIR / "Makefile").read_text()
    builds = [line for line in recipe(text, "build") if " build " in line and "dbt" in line]
    assert builds == ["$(BIN)/dbt build $(DBT_BUILD_FLAGS) --vars '$(DBT_VARS)'"]
    flags = shlex.split(makefile_variable(text, "DBT_BUILD_FLAGS"))
    assert tuple(flags) == runs.PRODUCTION_BUILD_FLAGS


def test_makefile_parsing_reads_variables_and_recipes():
    text = "A := x y\nB ?= z\nbuild: setup\n\tone $(A)\n\ttwo\n\nother:\n\tthree\n"
    assert makefile_variable(text, "A") == "x y" and makefile_variable(text, "B") == "z"
    assert recipe(text, "build") == ["one $(A)", "two"]
    with pytest.raises(AssertionError, match="no C"):
        makefile_variable(text, "C")


def test_the_peer_s_memory_is_extrapolated_linearly_and_its_time_by_growth():
    gib = 1024**3
    # 0.5 GiB + 0.7 GiB per million users, measured at 10k..10M (a little noise at 1M).
    measured = [
        (10_000, 2.0, 0.5 * gib + 0.007 * gib),
        (1_000_000, 8.0, 1.21 * gib),
        (10_000_000, 60.0, 7.5 * gib),
    ]
    estimate = runs.estimate_peer(measured, 100_000_000, exponent=1.0)
    assert estimate["gib_per_million_users"] == pytest.approx(0.7, rel=0.01)
    assert estimate["peak_rss_bytes"] / gib == pytest.approx(70.5, rel=0.01)
    assert estimate["wall_seconds"] == pytest.approx(600.0)
    assert estimate["from_sizes"] == [10_000, 1_000_000, 10_000_000]
    assert runs.estimate_peer(measured[:1], 100_000_000) is None


def test_sizes_up_to_the_csv_limit_get_every_shape_above_it_one_from_parquet():
    from bench import run_bench

    assert run_bench.plan([10_000, 100_000_000], ["planted", "export-like"], 10_000_000, "x") == [
        (10_000, "planted", ("csv", "parquet")),
        (10_000, "export-like", ("csv", "parquet")),
        (100_000_000, "x", ("parquet",)),
    ]
    assert run_bench.parse_shapes("export-like, planted,export-like") == ["export-like", "planted"]
    with pytest.raises(argparse.ArgumentTypeError, match="shapes are"):
        run_bench.parse_shapes("planted,blobs")
    assert run_bench.build_arguments(["--personas", "default"]).shapes == ["planted"]
    assert run_bench.build_arguments([]).shapes == ["planted", "export-like"]


def test_the_peer_history_and_estimate_are_of_the_same_shape():
    from bench import run_bench

    gib = 1024**3

    def entry(users, shape, peer):
        return {"users": users, "shape": shape, "runs": {"peer": peer}}

    ok = {"status": "ok", "wall_seconds": 10.0, "peak_rss_bytes": gib}
    entries = [
        entry(1_000_000, "planted", {**ok, "peak_rss_bytes": 100 * gib}),
        entry(1_000_000, "export-like", ok),
        entry(10_000_000, "export-like", {**ok, "wall_seconds": 100.0, "peak_rss_bytes": 7 * gib}),
        entry(20_000_000, "export-like", {"status": "stopped at cap"}),
    ]
    assert run_bench.peer_history(entries, "export-like") == [
        (1_000_000, 10.0),
        (10_000_000, 100.0),
        (20_000_000, None),
    ]
    estimate = run_bench.estimated_peer(entries, "export-like", 100_000_000, 23.5, 1.0)
    assert estimate["status"] == "estimated"
    # (7 - 1) GiB over 9M users: 2/3 GiB per million; at 100M about 67 GiB.
    assert estimate["gib_per_million_users"] == pytest.approx(2 / 3)
    assert estimate["estimated_peak_rss_bytes"] / gib == pytest.approx(67.0)
    assert estimate["reason"].startswith("estimated, not run: 67 GiB > machine's 24 GiB")
    lone = run_bench.estimated_peer(entries, "planted", 100_000_000, 23.5, 1.0)
    assert lone["status"] == "skipped" and "fewer than two" in lone["reason"]


def test_the_verdict_is_the_latest_run_s(tmp_path):
    import duckdb

    from bench import quality

    database = tmp_path / "warehouse.duckdb"
    assert quality.read_verdict(database) is None
    with duckdb.connect(str(database)) as connection:
        connection.execute("create schema marts")
        connection.execute(
            "create table marts.dim_segmentation_runs as select * from (values "
            "('strong', timestamp '2026-01-01', false), ('none', timestamp '2026-01-02', true)) "
            "as t(structure_verdict, run_started_at, is_latest)"
        )
    assert quality.read_verdict(database) == "none"

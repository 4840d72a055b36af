"""Running what is measured: the project's `dbt build` (and publishing), and the peer notebook.

Every dbt run uses its own warehouse, target and log dir; a run's record holds its status, wall
time, peak memory and, from run_results.json, where the time went. The peer is skipped at a size
where its run time, extrapolated from the sizes it did, would exceed a limit.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.dbt_results import summarize_run_results
from bench.sampling import Measurement, measure

PROJECT_DIR = Path(__file__).resolve().parents[1]
# The peer is skipped at a size whose estimated run time exceeds this (issue 4: 15 minutes) ...
PEER_MAX_SECONDS = 900.0
# ... estimated as time(previous size) * (size / previous size) ** this: a little superlinear,
# which is what pandas' CSV reading plus KMeans show beyond a few hundred thousand rows.
PEER_GROWTH_EXPONENT = 1.2
# What is measured is the production build: `make build`'s `dbt build` flags (the Makefile's
# DBT_BUILD_FLAGS; bench/tests/test_bench_runs.py fails when they differ). Unit tests run in
# `make test` and CI, as dbt advises; data tests stay in the build.
PRODUCTION_BUILD_FLAGS: tuple[str, ...] = ("--exclude-resource-type", "unit_test")
GIB = 1024**3


def estimate_peer(
    measured: Sequence[tuple[int, float, float]],
    users: int,
    exponent: float = PEER_GROWTH_EXPONENT,
) -> dict[str, float] | None:
    """The peer's peak memory and time at `users`, from its runs at other sizes (users, wall
    seconds, peak bytes): memory from a least-squares line over every measured size (its slope
    in GiB per million users), time from the largest size with `estimate_seconds`. None with
    fewer than two measured sizes."""
    points = sorted(measured)
    if len({size for size, *_ in points}) < 2:
        return None
    sizes = [size for size, *_ in points]
    slope, intercept = (float(value) for value in np.polyfit(sizes, [p[2] for p in points], 1))
    largest, seconds, _ = points[-1]
    return {
        "peak_rss_bytes": intercept + slope * users,
        "gib_per_million_users": slope * 1e6 / GIB,
        "wall_seconds": estimate_seconds(largest, seconds, users, exponent),
        "from_sizes": sizes,
    }


def estimate_seconds(
    previous_users: int, previous_seconds: float, users: int, exponent: float = PEER_GROWTH_EXPONENT
) -> float:
    """Run time at `users` extrapolated from a measured smaller size."""
    return previous_seconds * (users / previous_users) ** exponent


def peer_skip_reason(
    history: Sequence[tuple[int, float | None]],
    users: int,
    max_seconds: float = PEER_MAX_SECONDS,
    exponent: float = PEER_GROWTH_EXPONENT,
) -> str | None:
    """Why the peer should not run at `users` (None: run it).

    `history` holds (users, wall seconds) of the peer at the sizes already tried, None where it
    did not finish (skipped, failed or timed out): a size above one it could not do is skipped.
    """
    smaller = sorted((size, seconds) for size, seconds in history if size < users)
    if not smaller:
        return None
    size, seconds = smaller[-1]
    if seconds is None:
        return f"skipped: the peer did not finish at {size:,} users"
    estimate = estimate_seconds(size, seconds, users, exponent)
    if estimate > max_seconds:
        return (
            f"skipped: estimated {estimate / 60:.0f} min (from {seconds:.0f} s at {size:,} users, "
            f"growth exponent {exponent:g}) exceeds {max_seconds / 60:.0f} min"
        )
    return None


def remove_warehouse(database: Path) -> None:
    for leftover in (database, database.with_name(database.name + ".wal")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(database.with_name(database.name + ".tmp"), ignore_errors=True)


def _dbt_executable() -> str:
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def _run_record(measured: Measurement, log: Path) -> dict[str, Any]:
    status = (
        "timed out"
        if measured.timed_out
        else "stopped at cap"
        if measured.stopped_at_cap
        else "ok"
        if measured.ok
        else "failed"
    )
    record = {
        "status": status,
        "wall_seconds": measured.wall_seconds,
        "peak_rss_bytes": measured.peak_rss_bytes,
        "peak_by_command": measured.peak_by_command,
        "samples": measured.samples,
        "returncode": measured.returncode,
        "load": measured.load_average_at_start,
        "log": str(log),
    }
    if status == "timed out":
        record["reason"] = f"timed out after {measured.wall_seconds:.0f} s (killed)"
    elif status == "stopped at cap":
        record["reason"] = (
            f"stopped at cap: killed after {measured.wall_seconds:.0f} s when its memory passed "
            f"the cap ({measured.peak_rss_bytes / GIB:.1f} GiB sampled)"
        )
    elif status == "failed":
        record["reason"] = f"failed with exit code {measured.returncode}; see {log}"
    return record


def _failed_nodes_reason(record: dict[str, Any]) -> None:
    failed = (record.get("dbt") or {}).get("failed_nodes")
    if record["status"] == "failed" and failed:
        shown = ", ".join(failed[:5]) + (f" and {len(failed) - 5} more" if len(failed) > 5 else "")
        record["reason"] = f"failed nodes: {shown}; see {record['log']}"


def _measure(command: list[str], *, log_path: Path, **options: Any) -> Measurement:
    """sampling.measure; if the harness is stopped meanwhile, the exception carries the run's
    record so far (`record`) for the report."""
    try:
        return measure(command, log_path=log_path, **options)
    except BaseException as error:
        partial = getattr(error, "measurement", None)
        if partial is not None:
            record = _run_record(partial, log_path)
            record["status"] = "interrupted"
            record["reason"] = (
                f"interrupted after {partial.wall_seconds:.0f} s (the harness was stopped); "
                f"see {log_path}"
            )
            error.record = record
        raise


def run_build(
    run_dir: Path,
    variables: dict,
    args: argparse.Namespace,
    *,
    dbt: str | None = None,
    target_name: str | None = None,
    env_overrides: dict[str, str] | None = None,
    publish: bool = True,
    fresh: bool = True,
) -> dict[str, Any]:
    """`dbt build` (with `PRODUCTION_BUILD_FLAGS`) on a fresh warehouse in `run_dir`, measured;
    plus run_results' breakdown.

    `dbt` is the executable (default: the one beside this Python), `target_name` the profile's
    target (default: its default, DuckDB); `publish` adds `make build`'s publishing step.
    `fresh=False` builds again into the run dir's warehouse and target as the last build left
    them (a warm build: dbt parses only what changed).
    """
    database = run_dir / "warehouse.duckdb"
    target, logs, build_dir = run_dir / "target", run_dir / "logs", run_dir / "build"
    if fresh:
        remove_warehouse(database)
        # The build dir holds local Spark's metastore and tables (a build into an existing
        # Spark warehouse is not a fresh build) and what publishing wrote.
        for stale in (target, logs, build_dir):
            shutil.rmtree(stale, ignore_errors=True)
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "SEGMENTATION_DUCKDB_PATH": str(database),
        "SEGMENTATION_BUILD_DIR": str(build_dir),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_USE_COLORS": "false",
        # The Python models import this checkout's package, not whichever checkout the
        # virtualenv's editable install points at (a worktree measures its own code).
        "PYTHONPATH": os.pathsep.join(
            part for part in (str(PROJECT_DIR / "python"), os.environ.get("PYTHONPATH")) if part
        ),
        **(env_overrides or {}),
    }
    command = [
        dbt or _dbt_executable(),
        "build",
        *PRODUCTION_BUILD_FLAGS,
        *(["--target", target_name] if target_name else []),
        "--project-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(logs),
        "--vars",
        json.dumps(variables),
    ]
    log = run_dir / ("dbt_build.log" if fresh else "dbt_build_warm.log")
    measured = _measure(
        command,
        log_path=log,
        env=env,
        cwd=PROJECT_DIR,
        timeout=args.run_timeout,
        poll_interval=args.poll_interval,
    )
    record = _run_record(measured, log)
    record["flags"] = list(PRODUCTION_BUILD_FLAGS)
    record["database"] = str(database)
    record["manifest"] = str(target / "manifest.json")
    run_results = target / "run_results.json"
    if run_results.exists():
        record["dbt"] = summarize_run_results(
            json.loads(run_results.read_text()), measured.wall_seconds, timeline=measured.timeline
        )
    _failed_nodes_reason(record)
    if publish and record["status"] == "ok":
        # Publishing (the audience files, the Parquet version, the serving database) is the
        # step `make build` runs after `dbt build`: part of the build's time and memory.
        published = _measure(
            [sys.executable, "-m", "segmentation.publish", "--db", str(database)],
            log_path=run_dir / "publish.log",
            env=env,
            cwd=PROJECT_DIR,
            timeout=args.run_timeout,
            poll_interval=args.poll_interval,
        )
        publish_record = _run_record(published, run_dir / "publish.log")
        record["publish"] = {
            key: publish_record[key] for key in ("status", "wall_seconds", "peak_rss_bytes")
        }
        record["wall_seconds"] += published.wall_seconds
        record["peak_rss_bytes"] = max(record["peak_rss_bytes"], published.peak_rss_bytes)
        if publish_record["status"] != "ok":
            record["status"] = publish_record["status"]
            record["reason"] = f"publishing {publish_record.get('reason', 'failed')}"
    return record


def run_peer(csv_path: Path, out_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The peer notebook on `csv_path`, measured; killed past `args.peer_memory_cap` GiB (if
    set) and recorded as "stopped at cap"."""
    shutil.rmtree(out_dir, ignore_errors=True)
    cap = getattr(args, "peer_memory_cap", None)
    command = [sys.executable, str(args.peer), str(csv_path), str(out_dir)]
    log = out_dir.with_name("peer.log")
    measured = _measure(
        command,
        log_path=log,
        cwd=out_dir.parent,
        timeout=args.peer_timeout,
        poll_interval=args.poll_interval,
        memory_cap=int(cap * GIB) if cap else None,
    )
    record = _run_record(measured, log)
    record["assignments"] = str(out_dir / "assignments.csv")
    return record

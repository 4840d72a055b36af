#!/usr/bin/env python3
"""Issue 16's benchmark: the project's production `dbt build` against the peer notebook, size by
size and shape by shape.

    python bench/run_bench.py [--sizes 10000,100000,1000000,10000000,100000000]
                              [--shapes planted,export-like] [--work-dir build/bench]
                              [--output BENCHMARKS.md] [--reference-max-size 1000000]
                              [--csv-max-size 10000000] [--large-shape export-like]
                              [--peer-memory-cap GIB]

First the 1,000-user demo (`dbt build` on the embedded seed) twice: cold (fresh target dir and
warehouse, full parse) and warm (at once again into the same target and warehouse: partial
parse). Then for each size and each shape (`planted`: five planted personas; `export-like`:
independent columns with the real export's shares): generate the input once as CSV and as
Parquet (cached in the work dir by size, seed and shape), then one after the other run `dbt
build` on the CSV, on the Parquet, and the peer notebook on the CSV (skipped where its estimated
time exceeds 15 minutes), each measured for wall time and peak resident memory of its whole
process tree. A size above --csv-max-size gets only a Parquet input and build, for one shape
(--large-shape); the peer is not run there, its memory and time are estimated from its measured
sizes. Every build is `make build`'s (runs.PRODUCTION_BUILD_FLAGS) plus publishing. Then
quality: inertia of the fitted centroids on all users against a full-data KMeans, adjusted Rand
index against the peer, and the structure verdict the build recorded. Writes BENCHMARKS.md and,
in the work dir, results.json. Every dbt run uses its own warehouse, target and log dir under
the work dir. Exits 1 if a build (or the peer) failed; the report is written either way.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import signal
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[1]
# Run as a script (`python bench/run_bench.py`): the harness's modules and the package it measures.
sys.path[:0] = [str(PROJECT_DIR), str(PROJECT_DIR / "python")]

import duckdb  # noqa: E402

from bench import inputs, quality, render, runs, sampling, targets  # noqa: E402
from segmentation import settings as project_settings  # noqa: E402
from segmentation.generator import SHAPES  # noqa: E402
from segmentation.outputs import OutputFolderError, claim  # noqa: E402

DEFAULT_SIZES = (10_000, 100_000, 1_000_000, 10_000_000, 100_000_000)
DEFAULT_SHAPES = ("planted", "export-like")
# Above this many users no CSV is written (100M users of CSV is about 13 GB): Parquet only.
CSV_MAX_SIZE = 10_000_000
DEFAULT_PEER = PROJECT_DIR.parent / "shared" / "bench" / "peer_notebook.py"
VERSIONED_PACKAGES = (
    "duckdb",
    "dbt-core",
    "dbt-duckdb",
    "scikit-learn",
    "numpy",
    "pandas",
    "pyarrow",
)


def parse_sizes(text: str) -> list[int]:
    try:
        return inputs.parse_sizes(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def parse_shapes(text: str) -> list[str]:
    """'planted,export-like' -> the shapes, in the order given, each once."""
    shapes = [token for token in re.split(r"[,\s]+", text.strip()) if token]
    unknown = [shape for shape in shapes if shape not in SHAPES]
    if unknown or not shapes:
        raise argparse.ArgumentTypeError(
            f"shapes are {', '.join(SHAPES)}; got {text!r}" if unknown else "no shapes given"
        )
    return list(dict.fromkeys(shapes))


def plan(
    sizes: list[int], shapes: list[str], csv_max_size: int, large_shape: str
) -> list[tuple[int, str, tuple[str, ...]]]:
    """(users, shape, input formats) to measure, in order: every shape with CSV and Parquet up
    to `csv_max_size`, above it `large_shape` from Parquet only."""
    planned = []
    for users in sizes:
        if users > csv_max_size:
            planned.append((users, large_shape, ("parquet",)))
        else:
            planned += [(users, shape, ("csv", "parquet")) for shape in shapes]
    return planned


def machine_info() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text()
    memory_kib = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    return {
        "cpu_model": model.group(1).strip() if model else platform.processor() or "unknown",
        "cpu_count": os.cpu_count(),
        "cores": len(os.sched_getaffinity(0)),
        "memory_gib": memory_kib / 1024**2,
        "kernel": f"{platform.system()} {platform.release()}",
        "load_at_start": sampling.load_average(),
    }


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in VERSIONED_PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def profile_setting(variable: str, profiles: str | None = None) -> str:
    """profiles.yml's setting from `variable` (segmentation.settings.profile_setting), or
    "unknown" when profiles.yml gives it no default."""
    return project_settings.profile_setting(variable, profiles) or "unknown"


def default_memory_limit() -> str:
    """The DuckDB memory_limit profiles.yml uses when SEGMENTATION_DUCKDB_MEMORY_LIMIT is unset."""
    return profile_setting("SEGMENTATION_DUCKDB_MEMORY_LIMIT")


def new_results(
    script: str,
    argv: list[str] | None,
    args: argparse.Namespace,
    settings: dict[str, Any],
    extra_versions: dict[str, str] | None = None,
    **sections: Any,
) -> dict[str, Any]:
    """A run's results as a harness starts them: its command, when, the settings (the inputs'
    and sampling's, then `settings`), the machine, the versions, then `sections`."""
    shown_argv = sys.argv[1:] if argv is None else argv
    return {
        "command": shlex.join(["python", script, *shown_argv]),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "finished_at": None,
        "settings": {
            "sizes": args.sizes,
            "seed": args.seed,
            **({"shapes": args.shapes} if hasattr(args, "shapes") else {}),
            **({"personas": args.personas} if getattr(args, "personas", None) else {}),
            "poll_interval": args.poll_interval,
            **settings,
            "work_dir": str(args.work_dir),
        },
        "machine": machine_info(),
        "versions": {**versions(), **(extra_versions or {})},
        **sections,
    }


def _write_report(output: Path, text: str) -> None:
    """Write the report, keeping the local Spark section (bench/run_bench_spark.py's) of the
    file it replaces: that record is measured by another command."""
    previous = output.read_text() if output.exists() else ""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render.with_spark_section(text, render.spark_section(previous)))


def _say(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def _describe(label: str, run: dict[str, Any]) -> str:
    if run.get("status") in ("skipped", "estimated"):
        return f"{label}: {run['reason']}"
    text = f"{label}: {run['wall_seconds']:.1f} s, {run['peak_rss_bytes'] / sampling.MIB:,.0f} MiB"
    return text if run["status"] == "ok" else f"{text} ({run['reason']})"


def build_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=list(DEFAULT_SIZES),
        help="comma-separated user counts (10000, 1e5, 1M, …); default 10k,100k,1M,10M,100M",
    )
    parser.add_argument("--seed", type=int, default=42, help="generator seed")
    parser.add_argument(
        "--shapes",
        type=parse_shapes,
        default=list(DEFAULT_SHAPES),
        help="comma-separated input shapes measured at each size: planted (five planted "
        "personas), export-like (the real export's shares, no structure); default both",
    )
    parser.add_argument(
        "--personas",
        choices=("default", "export-like"),
        help="deprecated: one shape, default (= --shapes planted) or export-like",
    )
    parser.add_argument(
        "--csv-max-size",
        type=int,
        default=CSV_MAX_SIZE,
        help="above this many users: Parquet only, one shape (--large-shape), peer estimated",
    )
    parser.add_argument("--large-shape", choices=tuple(SHAPES), default="export-like")
    parser.add_argument(
        "--peer-memory-cap",
        type=float,
        default=None,
        metavar="GIB",
        help="kill the peer's process tree when its memory passes this (default: no cap)",
    )
    parser.add_argument("--work-dir", type=Path, default=PROJECT_DIR / "build" / "bench")
    parser.add_argument("--output", type=Path, default=PROJECT_DIR / "BENCHMARKS.md")
    parser.add_argument("--peer", type=Path, default=DEFAULT_PEER)
    parser.add_argument(
        "--peer-max-seconds",
        type=float,
        default=runs.PEER_MAX_SECONDS,
        help="skip the peer where its estimated time exceeds this",
    )
    parser.add_argument("--peer-growth-exponent", type=float, default=runs.PEER_GROWTH_EXPONENT)
    parser.add_argument(
        "--peer-timeout",
        type=float,
        default=2 * runs.PEER_MAX_SECONDS,
        help="kill the peer after this many seconds",
    )
    parser.add_argument(
        "--run-timeout", type=float, default=3600, help="kill a dbt build after this many seconds"
    )
    parser.add_argument(
        "--reference-max-size",
        type=int,
        default=1_000_000,
        help="largest size at which the full-data reference KMeans is fitted",
    )
    parser.add_argument(
        "--skip-demo", action="store_true", help="don't measure the 1,000-user demo build"
    )
    parser.add_argument("--no-peer", action="store_true", help="don't run the peer")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the other sizes (and, with --skip-demo, the demo) of the work dir's "
        "results.json, e.g. to add 10M to an earlier 10k-1M run",
    )
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite --output from the work dir's results.json and run nothing (after a "
        "change to the report's format: the figures stay those of the run that measured them)",
    )
    parser.add_argument(
        "--keep-warehouses",
        action="store_true",
        help="keep each size's warehouses and the peer's assignments",
    )
    parser.add_argument(
        "--poll-interval", type=float, default=0.05, help="seconds between memory samples"
    )
    args = parser.parse_args(argv)
    if args.personas:
        args.shapes = [{"default": "planted"}.get(args.personas, args.personas)]
    return args


def _interrupted(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = build_arguments(argv)
    # A SIGTERM unwinds like Ctrl-C, so the run in progress is stopped with the harness.
    signal.signal(signal.SIGTERM, _interrupted)
    args.work_dir = args.work_dir.resolve()
    if args.render_only:
        measured = args.work_dir / "results.json"
        if not measured.exists():
            raise SystemExit(f"--render-only: no {measured} to render (run the benchmark first)")
        _write_report(args.output, render.render_markdown(json.loads(measured.read_text())))
        _say(f"wrote {args.output} from {measured}")
        return 0
    # The work dir is a folder of the harness's own (created and marked; refused if it holds
    # someone else's files): it only ever removes what it wrote there.
    try:
        work_dir = claim(args.work_dir, "bench", "--work-dir")
    except OutputFolderError as error:
        raise SystemExit(str(error)) from None
    planned = plan(args.sizes, args.shapes, args.csv_max_size, args.large_shape)
    work_dir.record(
        "results.json",
        "inputs",
        "demo",
        *(f"users_{users}_{shape}" for users, shape, _ in planned),
    )
    results = new_results(
        "bench/run_bench.py",
        argv,
        args,
        {
            "reference_max_size": args.reference_max_size,
            "peer_max_seconds": args.peer_max_seconds,
            "peer_growth_exponent": args.peer_growth_exponent,
            "duckdb_memory_limit": default_memory_limit(),
            "csv_max_size": args.csv_max_size,
            "large_shape": args.large_shape,
            "peer_memory_cap_gib": args.peer_memory_cap,
            "build_flags": list(runs.PRODUCTION_BUILD_FLAGS),
        },
        demo=None,
        sizes=[],
        notes=[],
    )
    results_path = args.work_dir / "results.json"

    if args.merge and results_path.exists():
        previous = json.loads(results_path.read_text())
        measuring = {(users, shape) for users, shape, _ in planned}
        kept = []
        for entry in previous.get("sizes", []):
            entry["shape"] = targets.entry_shape(entry, previous.get("settings", {}))
            if (entry["users"], entry["shape"]) not in measuring:
                kept.append(entry)
        results["sizes"] = kept
        if kept:
            results["notes"].append(
                "kept from an earlier run (--merge): "
                + ", ".join(
                    f"{entry['users']:,} users {entry['shape']} ({entry.get('measured_at')})"
                    for entry in kept
                )
            )
        if args.skip_demo and previous.get("demo"):
            results["demo"] = previous["demo"]
            results["notes"].append(f"demo kept from an earlier run ({previous.get('started_at')})")

    def save() -> None:
        order = {shape: index for index, shape in enumerate(SHAPES)}
        results["sizes"].sort(key=lambda entry: (entry["users"], order.get(entry["shape"], 9)))
        results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        results["machine"]["load_at_end"] = sampling.load_average()
        render.write_results(results, results_path)
        _write_report(args.output, render.render_markdown(results))

    peer_available = not args.no_peer and args.peer.exists()
    if not args.no_peer and not args.peer.exists():
        results["notes"].append(f"peer notebook not found at {args.peer}: peer not run")
    slot: list[Any] = [results, "demo"]  # where the run in progress will be recorded
    try:
        failures = _run_all(args, results, slot, save, planned, peer_available)
    except (KeyboardInterrupt, SystemExit) as error:
        record = getattr(error, "record", None)
        if record is not None:
            slot[0][slot[1]] = record
        results["notes"].append(
            f"the harness was stopped ({type(error).__name__}) during the {slot[1]} run; "
            "sizes after it were not measured"
        )
        save()
        raise
    save()
    _say(f"wrote {args.output} and {results_path}")
    return 1 if failures else 0


def peer_history(entries: list[dict[str, Any]], shape: str) -> list[tuple[int, float | None]]:
    """(users, peer wall seconds or None where it did not finish) of `shape`'s entries, for
    runs.peer_skip_reason."""
    history: list[tuple[int, float | None]] = []
    for entry in entries:
        if entry.get("shape") != shape:
            continue
        peer = entry["runs"].get("peer") or {}
        if peer.get("status") == "ok":
            history.append((entry["users"], peer["wall_seconds"]))
        elif peer.get("status") in ("failed", "timed out", "stopped at cap") or (
            "estimated" in str(peer.get("reason"))
        ):
            history.append((entry["users"], None))
    return history


def estimated_peer(
    entries: list[dict[str, Any]], shape: str, users: int, memory_gib: float, exponent: float
) -> dict[str, Any]:
    """The peer's record at a size it is not run at: its peak memory from a linear fit over the
    measured sizes of the same shape, its time extrapolated; "estimated, not run"."""
    measured = [
        (entry["users"], peer["wall_seconds"], peer["peak_rss_bytes"])
        for entry in entries
        if entry.get("shape") == shape
        and entry["users"] < users
        and (peer := entry["runs"].get("peer") or {}).get("status") == "ok"
    ]
    estimate = runs.estimate_peer(measured, users, exponent)
    if estimate is None:
        return {
            "status": "skipped",
            "reason": f"not run (no CSV above the CSV size limit); not estimated: the peer ran "
            f"at fewer than two {shape} sizes",
        }
    peak_gib = estimate["peak_rss_bytes"] / sampling.GIB
    comparison = (
        f"{peak_gib:,.0f} GiB > machine's {memory_gib:.0f} GiB"
        if peak_gib > memory_gib
        else f"{peak_gib:,.0f} GiB ≤ machine's {memory_gib:.0f} GiB; no CSV at this size"
    )
    return {
        "status": "estimated",
        "reason": f"estimated, not run: {comparison} ({estimate['gib_per_million_users']:.2f} "
        f"GiB per million users over {', '.join(f'{size:,}' for size in estimate['from_sizes'])}"
        f"; time {estimate['wall_seconds'] / 60:,.0f} min)",
        "estimated_peak_rss_bytes": estimate["peak_rss_bytes"],
        "estimated_wall_seconds": estimate["wall_seconds"],
        "gib_per_million_users": estimate["gib_per_million_users"],
        "from_sizes": estimate["from_sizes"],
    }


def _run_all(
    args: argparse.Namespace,
    results: dict[str, Any],
    slot: list[Any],
    save: Any,
    planned: list[tuple[int, str, tuple[str, ...]]],
    peer_available: bool,
) -> int:
    """The demo, then every size and shape: inputs, builds, peer, quality and verdict. Returns
    the number of failures."""
    failures = 0
    if not args.skip_demo:
        results["demo"] = {}
        for phase, fresh in (("cold", True), ("warm", False)):
            _say(f"demo ({phase}): dbt build on the embedded seed")
            slot[:] = [results["demo"], phase]
            run = runs.run_build(args.work_dir / "demo", {}, args, fresh=fresh)
            results["demo"][phase] = run
            _say(_describe(f"demo ({phase})", run))
            failures += run["status"] != "ok"
            save()

    for users, shape, formats in planned:
        _say(f"{users:,} users, {shape}: inputs ({', '.join(formats)})")
        generated = {
            fmt: inputs.ensure_input(args.work_dir / "inputs", users, args.seed, shape, fmt)
            for fmt in formats
        }
        entry: dict[str, Any] = {
            "users": users,
            "shape": shape,
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "inputs": generated,
            "runs": {},
        }
        results["sizes"].append(entry)
        size_dir = args.work_dir / f"users_{users}_{shape}"
        for fmt in formats:
            _say(f"{users:,} users, {shape}: dbt build from {fmt}")
            slot[:] = [entry["runs"], fmt]
            run = runs.run_build(
                size_dir / fmt, {"user_profiles_path": generated[fmt]["path"]}, args
            )
            entry["runs"][fmt] = run
            failures += run["status"] != "ok"
            try:
                run["structure_verdict"] = quality.read_verdict(Path(run["database"]))
            except duckdb.Error as error:
                run["structure_verdict"] = None
                results["notes"].append(f"{users:,} {shape} {fmt}: verdict not read: {error}")
            _say(_describe(f"{users:,} users, {shape}, dbt build from {fmt}", run))
            save()
        others = [other for other in results["sizes"] if other is not entry]
        if "csv" not in formats:
            entry["runs"]["peer"] = (
                estimated_peer(
                    others,
                    shape,
                    users,
                    results["machine"]["memory_gib"],
                    args.peer_growth_exponent,
                )
                if peer_available
                else {"status": "skipped", "reason": "not run (no CSV at this size)"}
            )
        else:
            reason = (
                None
                if peer_available
                else "not run (--no-peer)"
                if args.no_peer
                else "peer notebook not found"
            )
            reason = reason or runs.peer_skip_reason(
                peer_history(others, shape),
                users,
                args.peer_max_seconds,
                args.peer_growth_exponent,
            )
            if reason:
                entry["runs"]["peer"] = {"status": "skipped", "reason": reason}
            else:
                _say(f"{users:,} users, {shape}: peer notebook")
                slot[:] = [entry["runs"], "peer"]
                peer = runs.run_peer(Path(generated["csv"]["path"]), size_dir / "peer", args)
                entry["runs"]["peer"] = peer
                failures += peer["status"] == "failed"
        _say(_describe(f"{users:,} users, {shape}, peer", entry["runs"]["peer"]))
        save()
        _say(f"{users:,} users, {shape}: quality")
        try:
            entry["quality"] = quality.measure_quality(entry, args.reference_max_size)
        except (duckdb.Error, LookupError, OSError, ValueError) as error:
            entry["quality"] = {"note": f"quality not measured: {error}"}
            failures += 1
        verdicts = {entry["runs"][fmt].get("structure_verdict") for fmt in formats}
        entry["quality"]["structure_verdict"] = "/".join(sorted(map(str, verdicts)))
        _say(f"{users:,} users, {shape}: quality {json.dumps(entry['quality'], default=str)}")
        if not args.keep_warehouses:
            for fmt in formats:
                runs.remove_warehouse(Path(entry["runs"][fmt]["database"]))
            Path(entry["runs"]["peer"].get("assignments", size_dir / "none")).unlink(
                missing_ok=True
            )
        save()
    return failures


if __name__ == "__main__":
    sys.exit(main())

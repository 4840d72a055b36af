#!/usr/bin/env python3
"""Issue 4's benchmark: the project's `dbt build` against the peer notebook, size by size.

    python bench/run_bench.py [--sizes 10000,100000,1000000,10000000] [--work-dir build/bench]
                              [--output BENCHMARKS.md] [--reference-max-size 1000000]

For the 1,000-user demo (`dbt build` on the embedded seed) and then for each size: generate the
input once as CSV and as Parquet (cached in the work dir by size and seed), then one after the
other run `dbt build` on the CSV, on the Parquet, and the peer notebook on the CSV (skipped where
its estimated time exceeds 15 minutes), each measured for wall time and peak resident memory of
its whole process tree. Then quality: inertia of the fitted centroids on all users against a
full-data KMeans, adjusted Rand index against the peer. Writes BENCHMARKS.md and, in the work
dir, results.json. Every dbt run uses its own warehouse, target and log dir under the work dir.
Exits 1 if a build (or the peer) failed; the report is written either way.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import signal
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR / "python"))

import duckdb  # noqa: E402
import yaml  # noqa: E402

from segmentation import bench, generator  # noqa: E402
from segmentation.outputs import OutputFolderError, claim  # noqa: E402

DEFAULT_SIZES = (10_000, 100_000, 1_000_000, 10_000_000)
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
        return bench.parse_sizes(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


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
        "load_at_start": bench.load_average(),
    }


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in VERSIONED_PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def ensure_input(inputs_dir: Path, users: int, seed: int, personas: str, fmt: str) -> dict:
    """The generated export for (users, seed, personas) in `fmt`, generated only if absent."""
    path = inputs_dir / f"users_{users}_seed{seed}_{personas}.{fmt}"
    info: dict[str, Any] = {"path": str(path), "cached": path.exists()}
    if not path.exists():
        inputs_dir.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        started = time.perf_counter()
        generator.write(users, partial, seed=seed, personas=personas, fmt=fmt)
        os.replace(partial, path)  # only a complete file is ever cached
        info["generated_seconds"] = time.perf_counter() - started
    info["bytes"] = path.stat().st_size
    return info


def _remove_warehouse(database: Path) -> None:
    for leftover in (database, database.with_name(database.name + ".wal")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(database.with_name(database.name + ".tmp"), ignore_errors=True)


def _dbt_executable() -> str:
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def _run_record(measured: bench.Measurement, log: Path) -> dict[str, Any]:
    status = "timed out" if measured.timed_out else "ok" if measured.ok else "failed"
    record = {
        "status": status,
        "wall_seconds": measured.wall_seconds,
        "peak_rss_bytes": measured.peak_rss_bytes,
        "samples": measured.samples,
        "returncode": measured.returncode,
        "load": measured.load_average_at_start,
        "log": str(log),
    }
    if status == "timed out":
        record["reason"] = f"timed out after {measured.wall_seconds:.0f} s (killed)"
    elif status == "failed":
        record["reason"] = f"failed with exit code {measured.returncode}; see {log}"
    return record


def _failed_nodes_reason(record: dict[str, Any]) -> None:
    failed = (record.get("dbt") or {}).get("failed_nodes")
    if record["status"] == "failed" and failed:
        shown = ", ".join(failed[:5]) + (f" and {len(failed) - 5} more" if len(failed) > 5 else "")
        record["reason"] = f"failed nodes: {shown}; see {record['log']}"


def _measure(command: list[str], *, log_path: Path, **options: Any) -> bench.Measurement:
    """bench.measure; if the harness is stopped meanwhile, the exception carries the run's
    record so far (`record`) for the report."""
    try:
        return bench.measure(command, log_path=log_path, **options)
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


def default_memory_limit() -> str:
    """The DuckDB memory_limit profiles.yml uses when SEGMENTATION_DUCKDB_MEMORY_LIMIT is unset."""
    text = (PROJECT_DIR / "profiles.yml").read_text()
    found = re.search(r"env_var\('SEGMENTATION_DUCKDB_MEMORY_LIMIT', '([^']+)'\)", text)
    return found.group(1) if found else "unknown"


def run_build(run_dir: Path, variables: dict, args: argparse.Namespace) -> dict[str, Any]:
    """`dbt build` on a fresh warehouse in `run_dir`, measured; plus run_results' breakdown."""
    database = run_dir / "warehouse.duckdb"
    target, logs = run_dir / "target", run_dir / "logs"
    _remove_warehouse(database)
    for stale in (target, logs):
        shutil.rmtree(stale, ignore_errors=True)
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "SEGMENTATION_DUCKDB_PATH": str(database),
        "SEGMENTATION_BUILD_DIR": str(run_dir / "build"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_USE_COLORS": "false",
    }
    command = [
        _dbt_executable(),
        "build",
        "--project-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(logs),
        "--vars",
        json.dumps(variables),
    ]
    log = run_dir / "dbt_build.log"
    measured = _measure(
        command,
        log_path=log,
        env=env,
        cwd=PROJECT_DIR,
        timeout=args.run_timeout,
        poll_interval=args.poll_interval,
    )
    record = _run_record(measured, log)
    record["database"] = str(database)
    record["manifest"] = str(target / "manifest.json")
    run_results = target / "run_results.json"
    if run_results.exists():
        record["dbt"] = bench.summarize_run_results(
            json.loads(run_results.read_text()), measured.wall_seconds, timeline=measured.timeline
        )
    _failed_nodes_reason(record)
    if record["status"] == "ok":
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
    shutil.rmtree(out_dir, ignore_errors=True)
    command = [sys.executable, str(args.peer), str(csv_path), str(out_dir)]
    log = out_dir.with_name("peer.log")
    measured = _measure(
        command,
        log_path=log,
        cwd=out_dir.parent,
        timeout=args.peer_timeout,
        poll_interval=args.poll_interval,
    )
    record = _run_record(measured, log)
    record["assignments"] = str(out_dir / "assignments.csv")
    return record


def clustering_settings(manifest_path: Path) -> tuple[dict[str, Any], str | None]:
    """random_seed, n_init, algorithm and fit_sample_size as the build used them.

    From the config of the model that fits (dbt hands Python models their settings as config),
    else from dbt_project.yml's vars, else the notebook's values.
    """
    settings: dict[str, Any] = {"random_seed": 42, "n_init": 10, "algorithm": "kmeans"}
    settings["fit_sample_size"] = None
    found: set[str] = set()
    try:
        project_vars = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        project_vars = {}
    for key in settings:
        if key in project_vars:
            settings[key] = project_vars[key]
            found.add(key)
    try:
        nodes = json.loads(manifest_path.read_text())["nodes"]
    except (OSError, ValueError, KeyError):
        nodes = {}
    preferred = ("int_segment_centroids", "int_segment_model_history")
    fitting = sorted(
        (
            node
            for node in nodes.values()
            if node.get("resource_type") == "model"
            and {"random_seed", "n_init"} <= set(node.get("config", {}))
        ),
        key=lambda node: (
            preferred.index(node["name"]) if node["name"] in preferred else len(preferred)
        ),
    )
    if fitting:
        config = fitting[0]["config"]
        for key in settings:
            if config.get(key) is not None:
                value = config[key]
                settings[key] = json.loads(value) if isinstance(value, str) else value
                found.add(key)
    missing = [key for key in ("random_seed", "n_init") if key not in found]
    note = f"{', '.join(missing)} not found in the build: assumed 42 / 10" if missing else None
    return settings, note


def measure_quality(entry: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Inertia on all users vs a full-data fit; ARI against the peer and between the builds."""
    runs = entry["runs"]
    csv_run, parquet_run, peer_run = runs["csv"], runs["parquet"], runs.get("peer") or {}
    quality: dict[str, Any] = {}
    notes = []
    candidates = [run for run in (csv_run, parquet_run) if run["status"] == "ok"] or [
        run for run in (csv_run, parquet_run) if Path(run["database"]).exists()
    ]
    if not candidates:
        return {"note": "no warehouse to measure"}
    ours = candidates[0]
    if ours["status"] != "ok":
        notes.append(f"from the tables a failed build left ({ours['database']})")
    elif ours is parquet_run:
        notes.append("measured on the Parquet build (the CSV build failed)")
    with duckdb.connect() as connection:
        connection.execute(f"attach '{ours['database']}' as ours (read_only)")
        centroids_relation = bench.find_relation(connection, "int_segment_centroids", "ours")
        inputs_relation = bench.find_relation(connection, "int_user_cluster_inputs", "ours")
        segments_relation = bench.find_relation(connection, "fct_user_segments", "ours")
        fitted = bench.read_centroids(connection, centroids_relation)
        settings, note = clustering_settings(Path(ours["manifest"]))
        settings.update(fitted.settings)  # what the fitted table says it used comes first
        if note and not {"random_seed", "n_init"} <= set(fitted.settings):
            notes.append(note)
        quality.update(
            fit_rows=fitted.fit_rows,
            input_rows=fitted.input_rows,
            n_clusters=len(fitted.values),
            settings=settings,
            project_inertia=bench.centroid_inertia(connection, inputs_relation, fitted),
            project_inertia_model_scaling=bench.centroid_inertia(
                connection, inputs_relation, fitted, fitted.scales
            ),
        )
        if entry["users"] <= args.reference_max_size:
            started = time.perf_counter()
            reference, sklearn_inertia = bench.reference_centroids(
                connection,
                inputs_relation,
                fitted.columns,
                fitted.is_scaled,
                n_clusters=len(fitted.values),
                random_seed=int(settings["random_seed"]),
                n_init=int(settings["n_init"]),
            )
            quality["reference_seconds"] = time.perf_counter() - started
            quality["reference_inertia_sklearn"] = sklearn_inertia
            quality["reference_inertia"] = bench.centroid_inertia(
                connection, inputs_relation, reference
            )
            quality["inertia_ratio"] = quality["project_inertia"] / quality["reference_inertia"]
            quality["inertia_ratio_model_scaling"] = quality[
                "project_inertia_model_scaling"
            ] / bench.centroid_inertia(connection, inputs_relation, reference, fitted.scales)
        else:
            notes.append(f"reference fit not run above {args.reference_max_size:,} users")
        users = connection.sql(f"select count(*) from {segments_relation}").fetchall()[0][0]
        if peer_run.get("status") == "ok":
            counts = bench.contingency_counts(
                connection,
                f"""
                select ours.segment_id, peer.cluster, count(*)
                from {segments_relation} as ours
                inner join (
                    select "User ID" as user_id, "Cluster" as cluster
                    from read_csv('{peer_run["assignments"]}', header = true, all_varchar = true)
                ) as peer
                    on ours.user_id = peer.user_id
                group by 1, 2
                """,
            )
            matched = sum(count for *_, count in counts)
            quality["ari_vs_peer"] = bench.adjusted_rand_from_counts(counts)
            quality["peer_matched_users"] = matched
            if matched != users:
                notes.append(f"only {matched:,} of {users:,} users matched the peer's ids")
        if csv_run["status"] == "ok" and parquet_run["status"] == "ok":
            connection.execute(f"attach '{parquet_run['database']}' as theirs (read_only)")
            other = bench.find_relation(connection, "fct_user_segments", "theirs")
            counts = bench.contingency_counts(
                connection,
                f"""
                select ours.segment_id, theirs.segment_id, count(*)
                from {segments_relation} as ours
                inner join {other} as theirs
                    on ours.user_id = theirs.user_id
                group by 1, 2
                """,
            )
            quality["ari_csv_vs_parquet"] = bench.adjusted_rand_from_counts(counts)
    quality["segmented_users"] = users
    quality["note"] = "; ".join(notes)
    return quality


def _say(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def _describe(label: str, run: dict[str, Any]) -> str:
    if run.get("status") == "skipped":
        return f"{label}: {run['reason']}"
    text = f"{label}: {run['wall_seconds']:.1f} s, {run['peak_rss_bytes'] / bench.MIB:,.0f} MiB"
    return text if run["status"] == "ok" else f"{text} ({run['reason']})"


def build_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=list(DEFAULT_SIZES),
        help="comma-separated user counts (10000, 1e5, 1M, …); default 10k,100k,1M,10M",
    )
    parser.add_argument("--seed", type=int, default=42, help="generator seed")
    parser.add_argument("--personas", choices=("default", "none"), default="default")
    parser.add_argument("--work-dir", type=Path, default=PROJECT_DIR / "build" / "bench")
    parser.add_argument("--output", type=Path, default=PROJECT_DIR / "BENCHMARKS.md")
    parser.add_argument("--peer", type=Path, default=DEFAULT_PEER)
    parser.add_argument(
        "--peer-max-seconds",
        type=float,
        default=bench.PEER_MAX_SECONDS,
        help="skip the peer where its estimated time exceeds this",
    )
    parser.add_argument("--peer-growth-exponent", type=float, default=bench.PEER_GROWTH_EXPONENT)
    parser.add_argument(
        "--peer-timeout",
        type=float,
        default=2 * bench.PEER_MAX_SECONDS,
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
    return parser.parse_args(argv)


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
        args.output.write_text(bench.render_markdown(json.loads(measured.read_text())))
        _say(f"wrote {args.output} from {measured}")
        return 0
    # The work dir is a folder of the harness's own (created and marked; refused if it holds
    # someone else's files): it only ever removes what it wrote there.
    try:
        work_dir = claim(args.work_dir, "bench", "--work-dir")
    except OutputFolderError as error:
        raise SystemExit(str(error)) from None
    work_dir.record("results.json", "inputs", "demo", *(f"users_{users}" for users in args.sizes))
    shown_argv = sys.argv[1:] if argv is None else argv
    results: dict[str, Any] = {
        "command": shlex.join(["python", "bench/run_bench.py", *shown_argv]),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "finished_at": None,
        "settings": {
            "sizes": args.sizes,
            "seed": args.seed,
            "personas": args.personas,
            "poll_interval": args.poll_interval,
            "reference_max_size": args.reference_max_size,
            "peer_max_seconds": args.peer_max_seconds,
            "peer_growth_exponent": args.peer_growth_exponent,
            "duckdb_memory_limit": os.environ.get(
                "SEGMENTATION_DUCKDB_MEMORY_LIMIT", default_memory_limit()
            ),
            "work_dir": str(args.work_dir),
        },
        "machine": machine_info(),
        "versions": versions(),
        "demo": None,
        "sizes": [],
        "notes": [],
    }
    results_path = args.work_dir / "results.json"

    peer_history: list[tuple[int, float | None]] = []
    if args.merge and results_path.exists():
        previous = json.loads(results_path.read_text())
        kept = [entry for entry in previous.get("sizes", []) if entry["users"] not in args.sizes]
        results["sizes"] = kept
        if kept:
            results["notes"].append(
                "kept from an earlier run (--merge): "
                + ", ".join(
                    f"{entry['users']:,} users ({entry.get('measured_at')})" for entry in kept
                )
            )
        if args.skip_demo and previous.get("demo"):
            results["demo"] = previous["demo"]
            results["notes"].append(f"demo kept from an earlier run ({previous.get('started_at')})")
        for entry in kept:
            peer = entry["runs"].get("peer") or {}
            if peer.get("status") == "ok":
                peer_history.append((entry["users"], peer["wall_seconds"]))
            elif peer.get("status") in ("failed", "timed out") or "estimated" in str(
                peer.get("reason")
            ):
                peer_history.append((entry["users"], None))

    def save() -> None:
        results["sizes"].sort(key=lambda entry: entry["users"])
        results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        results["machine"]["load_at_end"] = bench.load_average()
        bench.write_results(results, results_path)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(bench.render_markdown(results))

    peer_available = not args.no_peer and args.peer.exists()
    if not args.no_peer and not args.peer.exists():
        results["notes"].append(f"peer notebook not found at {args.peer}: peer not run")
    slot: list[Any] = [results, "demo"]  # where the run in progress will be recorded
    try:
        failures = _run_all(args, results, slot, save, peer_history, peer_available)
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


def _run_all(
    args: argparse.Namespace,
    results: dict[str, Any],
    slot: list[Any],
    save: Any,
    peer_history: list[tuple[int, float | None]],
    peer_available: bool,
) -> int:
    """The demo, then every size: inputs, builds, peer, quality. Returns the number of failures."""
    failures = 0
    if not args.skip_demo:
        _say("demo: dbt build on the embedded seed")
        results["demo"] = run_build(args.work_dir / "demo", {}, args)
        _say(_describe("demo", results["demo"]))
        failures += results["demo"]["status"] != "ok"
        save()

    for users in args.sizes:
        _say(f"{users:,} users: inputs")
        inputs = {
            fmt: ensure_input(args.work_dir / "inputs", users, args.seed, args.personas, fmt)
            for fmt in ("csv", "parquet")
        }
        entry: dict[str, Any] = {
            "users": users,
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "inputs": inputs,
            "runs": {},
        }
        results["sizes"].append(entry)
        size_dir = args.work_dir / f"users_{users}"
        for fmt in ("csv", "parquet"):
            _say(f"{users:,} users: dbt build from {fmt}")
            slot[:] = [entry["runs"], fmt]
            run = run_build(size_dir / fmt, {"user_profiles_path": inputs[fmt]["path"]}, args)
            entry["runs"][fmt] = run
            failures += run["status"] != "ok"
            _say(_describe(f"{users:,} users, dbt build from {fmt}", run))
            save()
        reason = (
            None
            if peer_available
            else "not run (--no-peer)"
            if args.no_peer
            else "peer notebook not found"
        )
        reason = reason or bench.peer_skip_reason(
            peer_history, users, args.peer_max_seconds, args.peer_growth_exponent
        )
        if reason:
            entry["runs"]["peer"] = {"status": "skipped", "reason": reason}
            if peer_available:
                peer_history.append((users, None))
        else:
            _say(f"{users:,} users: peer notebook")
            slot[:] = [entry["runs"], "peer"]
            peer = run_peer(Path(inputs["csv"]["path"]), size_dir / "peer", args)
            entry["runs"]["peer"] = peer
            peer_history.append((users, peer["wall_seconds"] if peer["status"] == "ok" else None))
            failures += peer["status"] == "failed"
        _say(_describe(f"{users:,} users, peer", entry["runs"]["peer"]))
        save()
        _say(f"{users:,} users: quality")
        try:
            entry["quality"] = measure_quality(entry, args)
        except (duckdb.Error, LookupError, OSError, ValueError) as error:
            entry["quality"] = {"note": f"quality not measured: {error}"}
            failures += 1
        _say(f"{users:,} users: quality {json.dumps(entry['quality'], default=str)}")
        if not args.keep_warehouses:
            for fmt in ("csv", "parquet"):
                _remove_warehouse(Path(entry["runs"][fmt]["database"]))
            Path(entry["runs"]["peer"].get("assignments", size_dir / "none")).unlink(
                missing_ok=True
            )
        save()
    return failures


if __name__ == "__main__":
    sys.exit(main())

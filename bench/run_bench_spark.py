#!/usr/bin/env python3
"""Issue 15's record: the project's `dbt build` on local Apache Spark, beside DuckDB and the peer.

    python bench/run_bench_spark.py [--sizes 1000000] [--spark-dbt .venv-spark/bin/dbt]
                                    [--driver-memory 2g] [--work-dir build/bench-spark]
                                    [--output BENCHMARKS.md] [--note TEXT]...

For the 1,000-user demo (the embedded seed, no vars) and then each size (generated as by
run_bench.py, cached in the work dir: the builds read the Parquet export, the peer the CSV of the
same users), one after the other: the peer notebook, `dbt build` on DuckDB and `dbt build
--target spark` (local Spark through dbt-spark's `session` method, whose JVM is a child of dbt's
Python process), each measured for wall time and peak resident memory of its whole process tree.
Neither build publishes. Writes, in the work dir, results.json, and in --output only the "Local
Spark" section (the rest of the file stays; `make bench` keeps the section). A record, not a
target: exits 1 if a run failed, and the section says which and where.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[1]
# Run as a script: the harness's modules and the package it measures.
sys.path[:0] = [str(PROJECT_DIR), str(PROJECT_DIR / "python")]

import yaml  # noqa: E402

from bench import inputs, render, runs, sampling  # noqa: E402
from bench.run_bench import (  # noqa: E402
    DEFAULT_PEER,
    _describe,
    _interrupted,
    _say,
    new_results,
    profile_setting,
)
from segmentation.outputs import OutputFolderError, claim  # noqa: E402

DEFAULT_SIZES = (1_000_000,)
DEMO_SEED = PROJECT_DIR / "seeds" / "user_profiles_demo.csv"
# What the Spark virtualenv runs (`make spark-setup`), reported beside the main one's versions.
SPARK_PACKAGES = ("pyspark", "dbt-spark", "dbt-core")
# The runs of an entry, in the order they are made.
RUN_ORDER = ("peer", "duckdb", "spark")


def spark_threads(profiles: str) -> str:
    """The dbt threads of profiles.yml's `spark` output."""
    outputs = yaml.safe_load(profiles)["segmentation"]["outputs"]
    return str(outputs.get("spark", {}).get("threads", "unknown"))


def spark_versions(spark_dbt: Path) -> dict[str, str]:
    """The Spark virtualenv's package versions and Java's, asked of the programs themselves."""
    script = (
        "import json, importlib.metadata as m\n"
        "def version(name):\n"
        "    try:\n"
        "        return m.version(name)\n"
        "    except m.PackageNotFoundError:\n"
        "        return 'not installed'\n"
        f"print(json.dumps({{name: version(name) for name in {list(SPARK_PACKAGES)!r}}}))"
    )
    found: dict[str, str] = {}
    try:
        asked = subprocess.run(
            [str(spark_dbt.with_name("python")), "-c", script],
            capture_output=True,
            text=True,
            check=True,
        )
        found.update({f"{name} (Spark venv)": v for name, v in json.loads(asked.stdout).items()})
    except (OSError, subprocess.CalledProcessError, ValueError):
        found["Spark venv"] = f"not readable at {spark_dbt.parent}"
    try:
        java = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
        found["java"] = (java.stderr or java.stdout).splitlines()[0].strip()
    except (OSError, IndexError):
        found["java"] = "not found"
    return found


def seed_users(seed: Path) -> int:
    """Users in the demo seed (its data lines)."""
    with seed.open() as lines:
        return sum(1 for line in lines if line.strip()) - 1


def merge_entries(previous: list[dict[str, Any]], measured_names: set[str]) -> list[dict[str, Any]]:
    """The entries of an earlier run that this run does not measure again (--merge)."""
    return [entry for entry in previous if entry["name"] not in measured_names]


def build_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=inputs.parse_sizes,
        default=list(DEFAULT_SIZES),
        help="comma-separated user counts (1M, 100k, …); default 1M",
    )
    parser.add_argument("--seed", type=int, default=42, help="generator seed")
    parser.add_argument("--personas", choices=("default", "none"), default="default")
    parser.add_argument(
        "--spark-dbt",
        type=Path,
        default=PROJECT_DIR / ".venv-spark" / "bin" / "dbt",
        help="dbt of the Spark virtualenv (make spark-setup)",
    )
    parser.add_argument(
        "--driver-memory",
        default=profile_setting("SEGMENTATION_SPARK_DRIVER_MEMORY"),
        help="Spark driver memory (SEGMENTATION_SPARK_DRIVER_MEMORY; default as profiles.yml)",
    )
    parser.add_argument("--work-dir", type=Path, default=PROJECT_DIR / "build" / "bench-spark")
    parser.add_argument("--output", type=Path, default=PROJECT_DIR / "BENCHMARKS.md")
    parser.add_argument("--peer", type=Path, default=DEFAULT_PEER)
    parser.add_argument(
        "--peer-timeout", type=float, default=2 * runs.PEER_MAX_SECONDS, help="seconds"
    )
    parser.add_argument(
        "--run-timeout",
        type=float,
        default=3 * 3600,
        help="kill a dbt build after this many seconds (default 3 h)",
    )
    parser.add_argument("--skip-demo", action="store_true", help="don't measure the demo")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the entries (demo, sizes) of the work dir's results.json this run does not "
        "measure again",
    )
    parser.add_argument(
        "--note",
        action="append",
        default=[],
        help="a line for the section's notes, e.g. what was tried before (repeatable)",
    )
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite the section from the work dir's results.json and run nothing",
    )
    parser.add_argument(
        "--keep-warehouses",
        action="store_true",
        help="keep the builds' warehouses (DuckDB file, Spark metastore and tables)",
    )
    parser.add_argument("--poll-interval", type=float, default=0.05, help="seconds")
    return parser.parse_args(argv)


def _write_section(output: Path, results: dict[str, Any]) -> None:
    previous = output.read_text() if output.exists() else ""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render.with_spark_section(previous, render.render_spark_section(results)))


def main(argv: list[str] | None = None) -> int:
    args = build_arguments(argv)
    signal.signal(signal.SIGTERM, _interrupted)
    args.work_dir = args.work_dir.resolve()
    results_path = args.work_dir / "results.json"
    if args.render_only:
        if not results_path.exists():
            raise SystemExit(
                f"--render-only: no {results_path} to render (run the benchmark first)"
            )
        _write_section(args.output, json.loads(results_path.read_text()))
        _say(f"wrote the Local Spark section of {args.output} from {results_path}")
        return 0
    if not args.spark_dbt.exists():
        raise SystemExit(f"no Spark dbt at {args.spark_dbt}: run `make spark-setup` first")
    try:
        work_dir = claim(args.work_dir, "bench-spark", "--work-dir")
    except OutputFolderError as error:
        raise SystemExit(str(error)) from None
    names = ([] if args.skip_demo else ["demo"]) + [f"users_{users}" for users in args.sizes]
    work_dir.record("results.json", "inputs", *names)
    profiles = (PROJECT_DIR / "profiles.yml").read_text()
    results = new_results(
        "bench/run_bench_spark.py",
        argv,
        args,
        {
            "spark_driver_memory": args.driver_memory,
            "spark_threads": spark_threads(profiles),
            # dbt-spark's session method sets no master: pyspark's default, all cores.
            "spark_master": "local[*]",
            "duckdb_threads": profile_setting("SEGMENTATION_DBT_THREADS", profiles),
            "duckdb_memory_limit": profile_setting("SEGMENTATION_DUCKDB_MEMORY_LIMIT", profiles),
            "input_format": "parquet",
        },
        spark_versions(args.spark_dbt),
        entries=[],
        notes=list(args.note),
    )
    if args.merge and results_path.exists():
        previous = json.loads(results_path.read_text())
        kept = merge_entries(previous.get("entries", []), set(names))
        results["entries"] = kept
        for entry in kept:
            results["notes"].append(
                f"{entry['name']} kept from an earlier run ({entry.get('measured_at')})"
            )

    def save() -> None:
        order = {"demo": -1}
        results["entries"].sort(key=lambda entry: order.get(entry["name"], entry["users"]))
        results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        results["machine"]["load_at_end"] = sampling.load_average()
        render.write_results(results, results_path)
        _write_section(args.output, results)

    # The run in progress: its entry's runs, its name there, and what to call it in a note.
    slot: list[Any] = [None, None, "set-up"]
    try:
        failures = _run_all(args, results, slot, save)
    except (KeyboardInterrupt, SystemExit) as error:
        record = getattr(error, "record", None)
        if record is not None and slot[0] is not None:
            slot[0][slot[1]] = record
        results["notes"].append(
            f"the harness was stopped ({type(error).__name__}) during the {slot[2]} run"
        )
        save()
        raise
    save()
    _say(f"wrote the Local Spark section of {args.output}, and {results_path}")
    return 1 if failures else 0


def _inputs(args: argparse.Namespace, users: int | None) -> tuple[dict, Path, dict]:
    """(dbt vars, the peer's CSV, the generated files) of the demo (None) or a size."""
    if users is None:
        return {}, DEMO_SEED, {}
    generated = {
        fmt: inputs.ensure_input(args.work_dir / "inputs", users, args.seed, args.personas, fmt)
        for fmt in ("csv", "parquet")
    }
    variables = {"user_profiles_path": generated["parquet"]["path"]}
    return variables, Path(generated["csv"]["path"]), generated


def _measure_run(
    args: argparse.Namespace, run_name: str, run_dir: Path, variables: dict, peer_csv: Path
) -> dict[str, Any]:
    if run_name == "peer":
        if not args.peer.exists():
            return {"status": "skipped", "reason": f"peer notebook not found: {args.peer}"}
        return runs.run_peer(peer_csv, run_dir / "peer", args)
    if run_name == "duckdb":
        return runs.run_build(run_dir / "duckdb", variables, args, publish=False)
    run = runs.run_build(
        run_dir / "spark",
        variables,
        args,
        dbt=str(args.spark_dbt),
        target_name="spark",
        env_overrides={"SEGMENTATION_SPARK_DRIVER_MEMORY": args.driver_memory},
        publish=False,
    )
    run["driver_memory"] = args.driver_memory
    return run


def _run_all(args: argparse.Namespace, results: dict[str, Any], slot: list[Any], save: Any) -> int:
    """The demo, then every size: peer, DuckDB, Spark. Returns the number of failed runs."""
    failures = 0
    for users in ([] if args.skip_demo else [None]) + list(args.sizes):
        name = "demo" if users is None else f"users_{users}"
        _say(f"{name}: inputs")
        variables, peer_csv, generated = _inputs(args, users)
        entry: dict[str, Any] = {
            "name": name,
            "users": seed_users(DEMO_SEED) if users is None else users,
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "inputs": generated,
            "runs": {},
        }
        results["entries"].append(entry)
        run_dir = args.work_dir / name
        for run_name in RUN_ORDER:
            _say(f"{name}, {run_name}: starting")
            slot[:] = [entry["runs"], run_name, f"{name} {run_name}"]
            run = _measure_run(args, run_name, run_dir, variables, peer_csv)
            run["load_end"] = sampling.load_average()
            entry["runs"][run_name] = run
            failures += run["status"] in ("failed", "timed out")
            _say(_describe(f"{name}, {run_name}", run))
            save()
        if not args.keep_warehouses:
            runs.remove_warehouse(run_dir / "duckdb" / "warehouse.duckdb")
            shutil.rmtree(run_dir / "spark" / "build", ignore_errors=True)
            shutil.rmtree(run_dir / "peer", ignore_errors=True)
    return failures


if __name__ == "__main__":
    sys.exit(main())

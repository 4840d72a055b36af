"""BENCHMARKS.md from the harness's results, and the raw results as JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from bench.sampling import MIB
from bench.targets import build_seconds, demo_runs, entry_shape, evaluate_targets


def _seconds(run: Mapping[str, Any] | None) -> str:
    if not run or run.get("wall_seconds") is None:
        return "–"
    unfinished = run.get("status") in ("interrupted", "timed out")
    return ("> " if unfinished else "") + f"{run['wall_seconds']:.1f}"


def _build_seconds(run: Mapping[str, Any] | None) -> str:
    """The dbt build's own seconds (wall less publishing), what the targets judge."""
    if not run or run.get("wall_seconds") is None:
        return "–"
    unfinished = run.get("status") in ("interrupted", "timed out")
    return ("> " if unfinished else "") + f"{build_seconds(run):.1f}"


def _nodes(run: Mapping[str, Any] | None) -> str:
    """Nodes dbt ran: the project changes while it is being benchmarked, this shows when."""
    summary = (run or {}).get("dbt")
    return f"{summary['nodes']:,}" if summary else "–"


def _load(run: Mapping[str, Any] | None) -> str:
    load = (run or {}).get("load")
    return "–" if load is None else f"{load:.2f}"


def _mib(run: Mapping[str, Any] | None) -> str:
    return f"{run['peak_rss_bytes'] / MIB:,.0f}" if run and run.get("peak_rss_bytes") else "–"


def _number(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _node_table(
    heading: str,
    nodes: Iterable[Mapping[str, Any]],
    last_header: str,
    last_value: Callable[[Mapping[str, Any]], str],
) -> list[str]:
    """A table of dbt nodes: name, type, seconds and one more column."""
    return _table(
        [heading, "type", "seconds", last_header],
        (
            [node["name"], node["resource_type"], f"{node['seconds']:.2f}", last_value(node)]
            for node in nodes
        ),
    )


def _run_note(run: Mapping[str, Any] | None) -> str:
    if not run:
        return "not run"
    if run.get("status") == "ok":
        return ""
    return run.get("reason") or run.get("status", "")


def _breakdown(summary: Mapping[str, Any] | None) -> str:
    if not summary:
        return "–"
    return (
        f"wall {summary['wall_seconds']:.1f} s = start-up and parsing "
        f"{summary['startup_seconds']:.1f} s + run phase {summary['dbt_elapsed_seconds']:.1f} s; "
        f"nodes running {summary['node_busy_seconds']:.1f} s (sum of node times "
        f"{summary['node_seconds_total']:.1f} s over {summary['nodes']} nodes); "
        f"dbt's own share (wall − nodes running) {summary['overhead_seconds']:.1f} s"
    )


def _by_type(summary: Mapping[str, Any]) -> str:
    parts = sorted(summary["by_resource_type"].items(), key=lambda item: -item[1]["seconds"])
    return ", ".join(f"{kind} {entry['seconds']:.1f} s ({entry['count']})" for kind, entry in parts)


AGAINST_PEER_HEADER = (
    "run",
    "wall s",
    "dbt build s",
    "peak MiB",
    "peer/ours time",
    "peer/ours memory",
    "dbt nodes",
    "load",
    "note",
)


def _rows_against_peer(
    builds: Iterable[tuple[str, Mapping[str, Any] | None]],
    peer: tuple[str, Mapping[str, Any] | None],
    load: Callable[[Mapping[str, Any] | None], str] = _load,
) -> list[list[str]]:
    """AGAINST_PEER_HEADER's rows: each labelled build with peer/ours ratios, then the peer."""
    peer_label, peer_run = peer
    peer_ok = bool(peer_run) and peer_run.get("status") == "ok"
    rows = []
    for label, run in builds:
        ok = peer_ok and bool(run) and run.get("status") == "ok"
        rows.append(
            [
                label,
                _seconds(run),
                _build_seconds(run),
                _mib(run),
                f"{peer_run['wall_seconds'] / build_seconds(run):.2f}" if ok else "–",
                f"{peer_run['peak_rss_bytes'] / run['peak_rss_bytes']:.2f}" if ok else "–",
                _nodes(run),
                load(run),
                _run_note(run),
            ]
        )
    rows.append(
        [
            peer_label,
            _seconds(peer_run),
            "–",
            _mib(peer_run),
            *(["1", "1"] if peer_ok else ["–", "–"]),
            "–",
            load(peer_run),
            _run_note(peer_run),
        ]
    )
    return rows


def _time_sections(
    timed: Iterable[tuple[str, Mapping[str, Any] | None]], level: str = "###"
) -> list[str]:
    """Per (heading, run_results summary): the breakdown, slowest nodes and memory high points."""
    out: list[str] = []
    for heading, summary in timed:
        if not summary:
            continue
        out += [
            f"{level} {heading}",
            "",
            f"{_breakdown(summary)}. Node time by type: {_by_type(summary)}.",
            "",
            *_node_table(
                "slowest nodes",
                summary["slowest"],
                "share of wall",
                lambda node, wall=summary["wall_seconds"]: f"{node['seconds'] / wall:.0%}",
            ),
            "",
        ]
        if summary.get("highest_memory"):
            out += [
                *_node_table(
                    "nodes running at the memory high points",
                    summary["highest_memory"],
                    "tree MiB",
                    lambda node: f"{node['rss_bytes'] / MIB:,.0f}",
                ),
                "",
            ]
    return out


def _shapes(results: Mapping[str, Any]) -> str:
    settings = results["settings"]
    shapes = settings.get("shapes") or [
        entry_shape({}, settings)
    ]  # older results: the personas setting
    return ", ".join(f"`{shape}`" for shape in shapes)


def render_markdown(results: Mapping[str, Any]) -> str:
    """BENCHMARKS.md from the harness's results."""
    machine, versions = results["machine"], results["versions"]
    settings = results["settings"]
    out = [
        "# Benchmarks",
        "",
        f"Measured {results['finished_at']} by `{results['command']}` (issue 16). "
        "Generated file: rerun the command rather than editing it.",
        "",
        "Each size's input is generated once per shape as CSV and as Parquet "
        f"(`segmentation.generator`, seed {settings['seed']}, shapes {_shapes(results)}: "
        "`planted` has five planted personas, `export-like` the real export's shares in "
        "independent columns, no structure), then, one after the other: the production "
        f"`dbt build {' '.join(settings.get('build_flags') or ['(all nodes)'])}` (as `make "
        "build` runs it: every model and data test; unit tests run in `make test`), plus "
        "publishing, reading the CSV, the same reading the Parquet, and the peer notebook "
        "(`../shared/bench/peer_notebook.py`, pandas + scikit-learn) on the same CSV. Wall "
        "time is the whole command, start-up included: `wall s` is the build and publishing, "
        "`dbt build s` the build alone, which the ratios and targets use (the issue's targets "
        "are the build's; the peer writes its outputs in its wall time). Peak memory is the "
        "peak sum of resident "
        f"memory over the process and all its descendants, sampled from /proc every "
        f"{settings['poll_interval'] * 1000:.0f} ms. Ratios are peer / ours: above 1 means we "
        "are faster or smaller. Above "
        f"{settings.get('csv_max_size', 10_000_000):,} users there is no CSV: one shape "
        "(`--large-shape`) from Parquet only, and the peer's figures are estimated, not run. The "
        "machine is shared, so single figures are noisy; the ratios compare runs made minutes "
        "apart on the same machine. `load` is the 1-minute load average when the run started; "
        "`dbt nodes` is how many nodes the build ran (models, tests, unit tests, seeds, hooks): "
        "runs of the same size with different counts measured different versions of the "
        "project.",
        "",
        "## Machine and versions",
        "",
        f"- CPU: {machine['cpu_model']}, {machine['cores']} cores usable "
        f"({machine['cpu_count']} online); memory {machine['memory_gib']:.1f} GiB "
        f"(MemTotal); {machine['kernel']}",
        "- Versions: " + ", ".join(f"{name} {version}" for name, version in versions.items()),
        f"- Load average (1 min) at start {machine.get('load_at_start')}, "
        f"at end {machine.get('load_at_end')}",
        f"- DuckDB memory_limit: {settings.get('duckdb_memory_limit')} (profiles.yml); "
        f"dbt threads as in profiles.yml",
        "",
        "## Targets",
        "",
    ]
    out += _table(
        ["target", "measured", "status", "what limits it (this run's figures)"],
        (
            [target.description, target.measured, target.status, target.limit or "–"]
            for target in evaluate_targets(results)
        ),
    )
    out += ["", "## Speed and memory", ""]
    demo = demo_runs(results.get("demo"))
    if demo:
        out += [
            "### Demo: 1,000 users (`dbt build` on the embedded seed, no vars)",
            "",
            "Cold: a fresh target dir and warehouse (full parse). Warm: at once again into the "
            "same target dir and warehouse (dbt's partial parse).",
            "",
            *_table(
                ["run", "wall s", "dbt build s", "peak MiB", "dbt nodes", "load", "note"],
                [
                    [
                        f"dbt build (seed), {phase}",
                        _seconds(run),
                        _build_seconds(run),
                        _mib(run),
                        _nodes(run),
                        _load(run),
                        _run_note(run),
                    ]
                    for phase, run in demo.items()
                ],
            ),
            "",
            "Its slowest nodes are under *Where the time goes*.",
            "",
        ]
    by_size: dict[int, list[Mapping[str, Any]]] = {}
    for entry in results.get("sizes", []):
        by_size.setdefault(entry["users"], []).append(entry)
    for users, entries in by_size.items():
        rows = []
        lines = []
        for entry in entries:
            shape = entry_shape(entry, settings)
            runs = entry["runs"]
            builds = [
                (label, runs.get(kind))
                for kind, label in (("csv", "dbt build, CSV"), ("parquet", "dbt build, Parquet"))
                if kind in runs or kind in entry.get("inputs", {})
            ]
            peer = runs.get("peer")
            peer_label = "peer notebook, CSV" + (
                " (estimated)" if (peer or {}).get("status") == "estimated" else ""
            )
            rows += [[shape, *row] for row in _rows_against_peer(builds, (peer_label, peer))]
            inputs = entry.get("inputs", {})
            sizes = ", ".join(
                f"{kind} {info['bytes'] / MIB:,.1f} MiB" for kind, info in inputs.items()
            )
            verdict = (entry.get("quality") or {}).get("structure_verdict")
            lines.append(
                f"- {shape}: measured {entry.get('measured_at', '–')}; inputs: {sizes}"
                + (f"; the build's structure verdict: **{verdict}**" if verdict else "")
            )
        out += [
            f"### {users:,} users",
            "",
            *lines,
            "",
            *_table(("shape", *AGAINST_PEER_HEADER), rows),
            "",
        ]
    out += [
        "## Quality",
        "",
        "- **inertia ratio**: the project's fitted centroids (`int_segment_centroids`, fitted on "
        f"at most `fit_sample_size` users) scored on ALL users (`int_user_cluster_inputs`), "
        "divided by the inertia of a KMeans with the same settings (n_clusters, seed, n_init) "
        "fitted on all users in scikit-learn. Both are sums of squared distances to the nearest "
        "centroid in the full-data standard-scaled space, computed in DuckDB; 1.0 is as good as "
        "the full fit, 1.01 is 1% worse. The second ratio scores the project's centroids with "
        "the scales it stored (its sample's) instead. Above `--reference-max-size` "
        f"({settings['reference_max_size']:,}) users the reference fit is not run (n/a).",
        "- **ARI vs peer**: adjusted Rand index between `fct_user_segments.segment_id` and the "
        "peer's `assignments.csv` clusters, users matched on id (1.0: the same partition).",
        "- **ARI CSV vs Parquet**: the project's segments from the two builds.",
        "- **verdict**: the structure verdict the build recorded (`dim_segmentation_runs."
        "structure_verdict`: strong, weak or none); CSV/Parquet when the two builds differ.",
        "",
    ]
    rows = []
    for entry in results.get("sizes", []):
        quality = entry.get("quality") or {}
        rows.append(
            [
                f"{entry['users']:,}",
                entry_shape(entry, settings),
                quality.get("structure_verdict") or "–",
                f"{quality['fit_rows']:,}" if quality.get("fit_rows") else "–",
                _number(quality.get("project_inertia"), 1),
                _number(quality.get("reference_inertia"), 1),
                _number(quality.get("inertia_ratio"), 5),
                _number(quality.get("inertia_ratio_model_scaling"), 5),
                _number(quality.get("ari_vs_peer")),
                _number(quality.get("ari_csv_vs_parquet")),
                quality.get("note", ""),
            ]
        )
    out += _table(
        [
            "users",
            "shape",
            "verdict",
            "fit rows",
            "inertia (ours, all users)",
            "inertia (full-data fit)",
            "inertia ratio",
            "ratio, model's scaling",
            "ARI vs peer",
            "ARI CSV vs Parquet",
            "note",
        ],
        rows,
    )
    out += [
        "",
        "## Where the time goes",
        "",
        "From each build's `run_results.json`. *Start-up and parsing* is wall time before dbt's "
        "run phase (Python and dbt imports, parsing the project: a fresh target dir each run, "
        "so no partial parsing, except the demo's warm build); *nodes running* is the time at "
        "least one node was executing "
        "(two threads run nodes side by side, so the sum of node times can be larger); *dbt's "
        "own share* is wall minus nodes running.",
        "",
    ]
    timed = [(f"Demo, 1,000 users (seed), {phase}", run.get("dbt")) for phase, run in demo.items()]
    for entry in results.get("sizes", []):
        shape = entry_shape(entry, settings)
        for kind, label in (("csv", "CSV"), ("parquet", "Parquet")):
            timed.append(
                (
                    f"{entry['users']:,} users, {shape}, {label}",
                    (entry["runs"].get(kind) or {}).get("dbt"),
                )
            )
    out += _time_sections(timed)
    notes = results.get("notes") or []
    if notes:
        out += ["## Notes", "", *(f"- {note}" for note in notes), ""]
    return "\n".join(out).rstrip() + "\n"


# BENCHMARKS.md's "Local Spark" section is measured by another command (run_bench_spark.py) than
# the rest of the file (run_bench.py): each rewrites only its own part, so neither wipes the
# other's record. The section is everything between these two lines.
SPARK_SECTION_START = (
    "<!-- local-spark: written by bench/run_bench_spark.py (make bench-spark); "
    "make bench keeps it -->"
)
SPARK_SECTION_END = "<!-- /local-spark -->"


def spark_section(text: str) -> str:
    """The local Spark section of a report, both marker lines included; "" when it has none. A
    start marker without its end keeps the rest of the text (nothing of the record is lost)."""
    start = text.find(SPARK_SECTION_START)
    if start < 0:
        return ""
    end = text.find(SPARK_SECTION_END, start)
    end = len(text) if end < 0 else end + len(SPARK_SECTION_END)
    return text[start:end].strip() + "\n"


def with_spark_section(text: str, section: str) -> str:
    """`text` with its local Spark section replaced by `section` where it stands (added at the
    end when it has none; removed when `section` is "")."""
    old = spark_section(text)
    if old:
        before, _, after = text.partition(old.rstrip("\n"))
        parts = [before.strip("\n"), section.strip(), after.strip("\n")]
    else:
        parts = [text.strip("\n"), section.strip()]
    joined = "\n\n".join(part for part in parts if part)
    return joined + "\n" if joined else ""


def _load_span(run: Mapping[str, Any] | None) -> str:
    """1-minute load average at the run's start → end."""
    end = (run or {}).get("load_end")
    return _load(run) + ("" if end is None else f" → {end:.2f}")


def _times(numerator: Mapping[str, Any] | None, denominator: Mapping[str, Any] | None) -> str:
    """numerator / denominator of wall time and of peak memory, e.g. Spark's over DuckDB's."""
    if not all(run and run.get("status") == "ok" for run in (numerator, denominator)):
        return "not compared: a run did not finish"
    return (
        f"wall {numerator['wall_seconds'] / denominator['wall_seconds']:.1f}×, "
        f"peak memory {numerator['peak_rss_bytes'] / denominator['peak_rss_bytes']:.1f}×"
    )


def _peak_split(run: Mapping[str, Any] | None) -> str:
    """Who held a run's peak memory, per command name (processes in parentheses when several)."""
    split = (run or {}).get("peak_by_command") or {}
    parts = []
    for name, entry in split.items():
        count = f" ({entry['processes']})" if entry["processes"] > 1 else ""
        parts.append(f"{name}{count} {entry['rss_bytes'] / MIB:,.0f} MiB")
    return ", ".join(parts)


def render_spark_section(results: Mapping[str, Any]) -> str:
    """BENCHMARKS.md's local Spark section (markers included) from run_bench_spark.py's results."""
    settings, machine, versions = results["settings"], results["machine"], results["versions"]
    out = [
        SPARK_SECTION_START,
        "## Local Spark",
        "",
        "**A record, not a target** (issue 15): what the project's `dbt build` takes on local "
        "Apache Spark on this machine, beside DuckDB and the peer notebook. Measured "
        f"{results['finished_at']} by `{results['command']}`; generated section: rerun the "
        "command rather than editing it (`make bench` keeps it).",
        "",
        "For the demo (the embedded 1,000-user seed, no vars; the peer reads the seed file) and "
        "for each size (generated by `segmentation.generator`, seed "
        f"{settings['seed']}, personas `{settings['personas']}`: both builds read the Parquet "
        "export, the peer the CSV export of the same users), one after the other in the same "
        "run: the peer notebook (`../shared/bench/peer_notebook.py`), `dbt build` on DuckDB (the "
        "default target) and `dbt build --target spark`. Local Spark runs through dbt-spark's "
        "`session` method: "
        f"Spark's JVM (master `{settings['spark_master']}`) is a child process of dbt's Python "
        "process, and a fresh metastore and warehouse are made for every build. Neither build "
        "publishes (a Spark build has no publishing step). Wall time is the whole command, "
        "start-up included (for Spark, the JVM's). Peak memory is the peak sum of resident "
        "memory over the whole process tree (dbt, the JVM, PySpark's Python workers), sampled "
        f"from /proc every {settings['poll_interval'] * 1000:.0f} ms. *peer/ours* above 1 "
        "means faster or smaller than the peer; *Spark / DuckDB* is how many times DuckDB's "
        "wall time and peak memory the Spark build takes. *load* is the 1-minute load average "
        "at the run's start → end: the machine is shared, so single figures are noisy and the "
        "ratios compare runs made minutes apart.",
        "",
        f"- Spark: driver memory {settings['spark_driver_memory']} "
        "(`SEGMENTATION_SPARK_DRIVER_MEMORY`), dbt threads "
        f"{settings['spark_threads']} (profiles.yml, output `spark`)",
        f"- DuckDB: memory_limit {settings['duckdb_memory_limit']}, dbt threads "
        f"{settings['duckdb_threads']} (profiles.yml, output `dev`)",
        f"- Machine: {machine['cpu_model']}, {machine['cores']} cores usable; memory "
        f"{machine['memory_gib']:.1f} GiB; {machine['kernel']}; load average (1 min) at start "
        f"{machine.get('load_at_start')}, at end {machine.get('load_at_end')}",
        "- Versions: " + ", ".join(f"{name} {version}" for name, version in versions.items()),
        "",
    ]
    for entry in results.get("entries", []):
        runs = entry["runs"]
        spark, duckdb, peer = runs.get("spark"), runs.get("duckdb"), runs.get("peer")
        measured = f"Measured {entry.get('measured_at', '–')}."
        if entry["name"] == "demo":
            out += [f"### Demo: {entry['users']:,} users (embedded seed)", "", measured, ""]
            peer_label = "peer notebook, seed CSV"
        else:
            sizes = ", ".join(
                f"{kind} {info['bytes'] / MIB:,.1f} MiB"
                for kind, info in entry.get("inputs", {}).items()
            )
            out += [f"### {entry['users']:,} users", "", f"{measured} Inputs: {sizes}.", ""]
            peer_label = "peer notebook, CSV"
        rows = _rows_against_peer(
            [("dbt build, Spark", spark), ("dbt build, DuckDB", duckdb)],
            (peer_label, peer),
            load=_load_span,
        )
        if spark and spark.get("driver_memory") not in (None, settings["spark_driver_memory"]):
            rows[0][-1] = f"driver memory {spark['driver_memory']}; {rows[0][-1]}".rstrip("; ")
        out += [
            *_table(AGAINST_PEER_HEADER, rows),
            "",
            f"Spark / DuckDB: {_times(spark, duckdb)}.",
            "",
        ]
        held = [
            f"{label}: {_peak_split(run)}"
            for label, run in (("Spark build", spark), ("DuckDB build", duckdb))
            if _peak_split(run)
        ]
        if held:
            out += [f"Who held the peak memory: {'; '.join(held)}.", ""]
    timed = [
        (
            f"{entry['users']:,} users{' (demo)' if entry['name'] == 'demo' else ''}, Spark",
            (entry["runs"].get("spark") or {}).get("dbt"),
        )
        for entry in results.get("entries", [])
    ]
    if any(summary for _, summary in timed):
        out += [
            "### Where the Spark build's time goes",
            "",
            "From each Spark build's `run_results.json`, as under *Where the time goes* above. "
            "Spark's JVM and session start when dbt opens its connection, after parsing and "
            "before the first node, so their start-up is in *dbt's own share*, not in *start-up "
            "and parsing*. The JVM keeps the heap it has grown to "
            "(up to the driver memory, plus the JVM's own memory): the tree's memory hardly "
            "falls during a build, so its high points land on the last nodes. Read them as the "
            "JVM's size by then, not as what those nodes need.",
            "",
            *_time_sections(timed, level="####"),
        ]
    notes = results.get("notes") or []
    if notes:
        out += ["### Notes", "", *(f"- {note}" for note in notes), ""]
    return "\n".join([*out, SPARK_SECTION_END]).strip() + "\n"


def write_results(results: Mapping[str, Any], path: Path) -> None:
    """The raw figures as JSON (what BENCHMARKS.md was rendered from)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")

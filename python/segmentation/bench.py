"""The benchmark's measuring parts (issue 4): process-tree memory, dbt's timings, quality.

`bench/run_bench.py` generates inputs and runs `dbt build` and the peer notebook; the pieces it
measures and reports with are plain functions here, tested by pytest without running a benchmark:

- `measure` runs a command and samples the resident memory of its whole process tree from /proc;
- `summarize_run_results` splits a build's wall time into dbt's start-up, node time per resource
  type and the slowest nodes, from the target dir's run_results.json;
- `centroid_inertia`, `reference_centroids` and `adjusted_rand_from_counts` are the quality
  checks: inertia of the fitted centroids on all users against a full-data KMeans, and agreement
  between two labellings from their contingency counts (computed in DuckDB, so 10M rows is fine);
- `evaluate_targets` and `render_markdown` turn the results into BENCHMARKS.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

MIB = 1024**2
GIB = 1024**3
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
# The peer is skipped at a size whose estimated run time exceeds this (issue 4: 15 minutes) ...
PEER_MAX_SECONDS = 900.0
# ... estimated as time(previous size) * (size / previous size) ** this: a little superlinear,
# which is what pandas' CSV reading plus KMeans show beyond a few hundred thousand rows.
PEER_GROWTH_EXPONENT = 1.2


def parse_sizes(text: str) -> list[int]:
    """'10000,1e5,100k,1M,10_000_000' -> the distinct sizes, smallest first."""
    sizes = set()
    for token in re.split(r"[,\s]+", text.strip()):
        if not token:
            continue
        match = re.fullmatch(r"([0-9_]+(?:\.[0-9]+)?(?:e[0-9]+)?)([kKmM]?)", token)
        if not match:
            raise ValueError(f"not a size: {token!r}")
        number = float(match.group(1).replace("_", ""))
        number *= {"": 1, "k": 1e3, "m": 1e6}[match.group(2).lower()]
        if number < 1 or number != int(number):
            raise ValueError(f"not a whole number of users: {token!r}")
        sizes.add(int(number))
    if not sizes:
        raise ValueError("no sizes given")
    return sorted(sizes)


# --------------------------------------------------------------------------------------------
# Process-tree memory


def child_pids(pid: int) -> list[int]:
    """Direct children of `pid` (empty when it is gone), from /proc/<pid>/task/*/children."""
    task_dir = Path(f"/proc/{pid}/task")
    try:
        tasks = list(task_dir.iterdir())
    except OSError:
        return []
    children: list[int] = []
    found_file = False
    for task in tasks:
        try:
            text = (task / "children").read_text()
        except FileNotFoundError:
            continue
        except OSError:
            continue
        found_file = True
        children.extend(int(token) for token in text.split())
    if not found_file and tasks:
        # Kernels without CONFIG_PROC_CHILDREN: scan every process's parent.
        return [child for child, parent in _parent_pids().items() if parent == pid]
    return children


def _parent_pids() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (2nd field) is in parentheses and may contain spaces.
        fields = stat[stat.rfind(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
    return parents


def process_tree(pid: int) -> list[int]:
    """`pid` and all its living descendants."""
    tree, queue = [], [pid]
    while queue:
        current = queue.pop()
        if current in tree:
            continue
        tree.append(current)
        queue.extend(child_pids(current))
    return tree


def resident_bytes(pid: int) -> int:
    """Resident set size of one process (0 when it is gone or a zombie)."""
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return 0
    return int(fields[1]) * PAGE_BYTES


def tree_resident_bytes(pid: int) -> int:
    """Sum of the resident set sizes of `pid` and its descendants."""
    return sum(resident_bytes(member) for member in process_tree(pid))


def load_average() -> float | None:
    """1-minute load average: how busy the shared machine was (figures are noisier above ~1)."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class Measurement:
    """One measured command: wall time and peak memory of its process tree."""

    command: list[str]
    returncode: int
    wall_seconds: float
    # Largest sum of RSS over the tree among the samples. (Not the kernel's ru_maxrss: after
    # fork + exec it also counts the pre-exec copy of the parent, i.e. the harness itself.)
    peak_rss_bytes: int
    samples: int
    timed_out: bool = False
    load_average_at_start: float | None = None
    # (epoch seconds, tree RSS bytes) of every sample: lines memory up with dbt's node timings.
    timeline: list[tuple[float, int]] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


class _TreeSampler(threading.Thread):
    def __init__(self, pid: int, interval: float, timeout: float | None, started: float):
        super().__init__(daemon=True)
        self.pid, self.interval, self.timeout, self.started = pid, interval, timeout, started
        self.peak = 0
        self.timeline: list[tuple[float, int]] = []  # (epoch seconds, tree RSS bytes)
        self.timed_out = False
        self.stopping = threading.Event()

    def run(self) -> None:
        killed_at = None
        while not self.stopping.is_set():
            resident = tree_resident_bytes(self.pid)
            self.peak = max(self.peak, resident)
            self.timeline.append((time.time(), resident))
            elapsed = time.perf_counter() - self.started
            if self.timeout is not None and elapsed > self.timeout:
                # The command runs in its own session: end exactly its process group.
                self.timed_out = True
                kill = signal.SIGTERM if killed_at is None else signal.SIGKILL
                if killed_at is None or elapsed - killed_at > 10:
                    killed_at = elapsed
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(self.pid, kill)
            self.stopping.wait(self.interval)


def measure(
    command: Sequence[str],
    *,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float | None = None,
    poll_interval: float = 0.05,
) -> Measurement:
    """Run `command` (stdout and stderr to `log_path`), sampling its tree's RSS every interval.

    The command is killed (its own process group only) when it runs longer than `timeout`.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    load = load_average()
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        sampler = _TreeSampler(process.pid, poll_interval, timeout, started)
        sampler.start()
        try:
            process.wait()
        except BaseException as error:
            # Interrupted (Ctrl-C, SIGTERM): don't leave the command running on its own, and
            # hand the figures so far to the caller (a lower bound of the whole run's).
            sampler.stopping.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            sampler.join()
            error.measurement = Measurement(
                command=list(command),
                returncode=process.returncode,
                wall_seconds=time.perf_counter() - started,
                peak_rss_bytes=sampler.peak,
                samples=len(sampler.timeline),
                load_average_at_start=load,
            )
            raise
        wall = time.perf_counter() - started
        sampler.stopping.set()
        sampler.join()
    return Measurement(
        command=list(command),
        returncode=process.returncode,
        wall_seconds=wall,
        peak_rss_bytes=sampler.peak,
        samples=len(sampler.timeline),
        timed_out=sampler.timed_out,
        load_average_at_start=load,
        timeline=sampler.timeline,
    )


# --------------------------------------------------------------------------------------------
# Peer scheduling


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


# --------------------------------------------------------------------------------------------
# dbt's own timings


def _timestamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@dataclass(frozen=True)
class NodeTiming:
    unique_id: str
    resource_type: str
    name: str
    status: str
    execution_seconds: float
    started: float | None
    completed: float | None


def _node_name(parts: Sequence[str]) -> str:
    """model.p.name and test.p.name.<hash> -> name; unit_test.p.model.test -> model.test."""
    if parts[0] == "test" and len(parts) > 3:
        return parts[2]
    return ".".join(parts[2:]) or parts[-1]


def node_timings(run_results: Mapping[str, Any]) -> list[NodeTiming]:
    """One entry per executed node (models, tests, unit tests, seeds, hooks) of a dbt run."""
    nodes = []
    for result in run_results.get("results", []):
        unique_id = result["unique_id"]
        parts = unique_id.split(".")
        stamps = [
            (_timestamp(step["started_at"]), _timestamp(step["completed_at"]))
            for step in result.get("timing") or []
            if step.get("started_at") and step.get("completed_at")
        ]
        nodes.append(
            NodeTiming(
                unique_id=unique_id,
                resource_type=parts[0],
                name=_node_name(parts),
                status=str(result.get("status")),
                execution_seconds=float(result.get("execution_time") or 0.0),
                started=min(start for start, _ in stamps) if stamps else None,
                completed=max(end for _, end in stamps) if stamps else None,
            )
        )
    return nodes


def busy_seconds(intervals: Iterable[tuple[float, float]]) -> float:
    """Length of the union of intervals: time at least one node was running."""
    total, current_start, current_end = 0.0, None, None
    for start, end in sorted(intervals):
        if current_end is None or start > current_end:
            if current_end is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None:
        total += current_end - current_start
    return total


def memory_while_running(
    nodes: Sequence[NodeTiming], timeline: Sequence[tuple[float, int]]
) -> dict[str, int]:
    """Per node, the highest tree RSS sampled while it ran (nodes running side by side share
    the figure: it says which nodes were running at the high points, not who allocated)."""
    if not timeline:
        return {}
    times = np.array([stamp for stamp, _ in timeline])
    resident = np.array([value for _, value in timeline])
    highest = {}
    for node in nodes:
        if node.started is None:
            continue
        first, last = np.searchsorted(times, [node.started, node.completed], side="left")
        # The last sample before the node started counts too: short nodes may have no sample.
        window = resident[max(first - 1, 0) : max(last, first) + 1]
        if window.size:
            highest[node.unique_id] = int(window.max())
    return highest


def summarize_run_results(
    run_results: Mapping[str, Any],
    wall_seconds: float,
    top: int = 5,
    timeline: Sequence[tuple[float, int]] = (),
) -> dict[str, Any]:
    """Where a build's wall time went (and, given the memory timeline, its memory).

    - `startup_seconds`: wall time outside dbt's run phase (interpreter start, parsing, …);
    - `node_busy_seconds`: time at least one node ran (nodes run on several threads at once);
    - `node_seconds_total`: sum of node execution times (can exceed the busy time);
    - `overhead_seconds`: wall minus busy time, i.e. dbt's own share of the wall time;
    - `highest_memory`: the nodes during which the tree's RSS was highest.
    """
    nodes = node_timings(run_results)
    elapsed = float(run_results.get("elapsed_time") or 0.0)
    busy = busy_seconds(
        (node.started, node.completed) for node in nodes if node.started is not None
    )
    by_type: dict[str, dict[str, float]] = {}
    for node in nodes:
        entry = by_type.setdefault(node.resource_type, {"count": 0, "seconds": 0.0})
        entry["count"] += 1
        entry["seconds"] += node.execution_seconds
    slowest = sorted(nodes, key=lambda node: node.execution_seconds, reverse=True)[:top]
    memory = memory_while_running(nodes, timeline)
    by_id = {node.unique_id: node for node in nodes}
    return {
        "wall_seconds": wall_seconds,
        "dbt_elapsed_seconds": elapsed,
        "startup_seconds": max(wall_seconds - elapsed, 0.0),
        "node_seconds_total": sum(node.execution_seconds for node in nodes),
        "node_busy_seconds": busy,
        "overhead_seconds": max(wall_seconds - busy, 0.0),
        "nodes": len(nodes),
        "failed_nodes": [node.name for node in nodes if node.status in ("error", "fail")],
        "by_resource_type": by_type,
        "slowest": [
            {
                "unique_id": node.unique_id,
                "resource_type": node.resource_type,
                "name": node.name,
                "seconds": node.execution_seconds,
            }
            for node in slowest
        ],
        "highest_memory": [
            {
                "unique_id": unique_id,
                "resource_type": by_id[unique_id].resource_type,
                "name": by_id[unique_id].name,
                "seconds": by_id[unique_id].execution_seconds,
                "rss_bytes": rss,
            }
            for unique_id, rss in sorted(memory.items(), key=lambda item: -item[1])[:top]
        ],
    }


# --------------------------------------------------------------------------------------------
# Quality: inertia on all users, agreement between labellings


def find_relation(connection, table: str, catalog: str | None = None) -> str:
    """Quoted name of `table` in whichever schema dbt built it (first schema alphabetically)."""
    sql = "select table_catalog, table_schema from information_schema.tables where table_name = ?"
    parameters: list[Any] = [table]
    if catalog is not None:
        sql += " and table_catalog = ?"
        parameters.append(catalog)
    rows = connection.execute(sql + " order by 2", parameters).fetchall()
    if not rows:
        raise LookupError(f"no table {table} in the warehouse")
    database, schema = rows[0]
    return f'"{database}"."{schema}"."{table}"'


@dataclass(frozen=True)
class FittedCentroids:
    """Centroids in the input (unscaled) space, with how the model scaled each column."""

    columns: tuple[str, ...]
    is_scaled: tuple[bool, ...]
    scales: np.ndarray  # per column (1 for unscaled columns)
    values: np.ndarray  # k x columns, unscaled
    fit_rows: int | None = None
    input_rows: int | None = None
    # Fit settings the table records about itself (random_seed, n_init, algorithm), if any.
    settings: dict[str, Any] = field(default_factory=dict)


def read_centroids(connection, relation: str) -> FittedCentroids:
    """int_segment_centroids as arrays (its long table: one row per segment and model column).

    Reads the columns scoring needs (model_column, column_position, is_scaled, scale,
    centroid_value, and segment_index or segment_id); fit_rows and input_rows when present.
    """
    available = {row[0] for row in connection.sql(f"describe {relation}").fetchall()}
    segment = next((name for name in ("segment_index", "segment_id") if name in available), None)
    needed = {"model_column", "column_position", "is_scaled", "scale", "centroid_value"}
    if segment is None or not needed <= available:
        missing = sorted(needed - available) + ([] if segment else ["segment_index"])
        raise LookupError(f"{relation} lacks the columns {', '.join(missing)}")
    rows = connection.sql(
        f"select {segment}, column_position, model_column, is_scaled, scale, centroid_value"
        f" from {relation} order by {segment}, column_position"
    ).fetchall()
    if not rows:
        raise LookupError(f"{relation} has no rows")
    columns = {
        position: (name, bool(scaled), scale) for _, position, name, scaled, scale, _ in rows
    }
    positions = sorted(columns)
    segments = sorted({row[0] for row in rows})
    values = np.full((len(segments), len(positions)), np.nan)
    for key, position, *_, value in rows:
        values[segments.index(key), positions.index(position)] = value
    counts = [
        connection.sql(f"select max({name}) from {relation}").fetchall()[0][0]
        if name in available
        else None
        for name in ("fit_rows", "input_rows")
    ]
    recorded = [name for name in ("random_seed", "n_init", "algorithm") if name in available]
    settings = {}
    if recorded:
        values_row = connection.sql(
            f"select {', '.join(f'max({name})' for name in recorded)} from {relation}"
        ).fetchall()[0]
        settings = {
            name: value
            for name, value in zip(recorded, values_row, strict=True)
            if value is not None
        }
    return FittedCentroids(
        columns=tuple(columns[position][0] for position in positions),
        is_scaled=tuple(columns[position][1] for position in positions),
        scales=np.array([columns[position][2] for position in positions], dtype=float),
        values=values,
        fit_rows=counts[0],
        input_rows=counts[1],
        settings=settings,
    )


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def centroid_inertia(
    connection,
    inputs_relation: str,
    centroids: FittedCentroids,
    scales: Sequence[float] | None = None,
) -> float:
    """Sum over all users of the squared distance to the nearest centroid, in DuckDB.

    Distances are taken in a standard-scaled space. With ``scales=None`` the scaled columns are
    divided by every user's (population) deviation: the space a full-data fit minimises in.
    Given ``scales`` (one per column, e.g. the ones the model stored from its fit sample),
    those are used. Since ``(x - m) / s - (v - m) / s = (x - v) / s``, centres don't matter.
    """
    if scales is None:
        weights = [
            f"(1.0 / stats.{_quoted(name + '__var')})" if scaled else "1.0"
            for name, scaled in zip(centroids.columns, centroids.is_scaled, strict=True)
        ]
    else:
        weights = [f"{1.0 / float(scale) ** 2!r}" for scale in scales]
    distances = []
    for centroid in centroids.values:
        terms = [
            f"{weight} * power(inputs.{_quoted(name)} - {float(value)!r}, 2)"
            for name, weight, value in zip(centroids.columns, weights, centroid, strict=True)
        ]
        distances.append(" + ".join(terms))
    variances = ", ".join(
        f"var_pop({_quoted(name)}) as {_quoted(name + '__var')}"
        for name, scaled in zip(centroids.columns, centroids.is_scaled, strict=True)
        if scaled
    )
    sql = (
        f"with stats as (select {variances or '1 as unused'} from {inputs_relation}) "
        f"select sum(least({', '.join(distances)})) "
        f"from {inputs_relation} as inputs cross join stats"
    )
    return float(connection.sql(sql).fetchall()[0][0])


def reference_centroids(
    connection,
    inputs_relation: str,
    columns: Sequence[str],
    is_scaled: Sequence[bool],
    n_clusters: int,
    random_seed: int,
    n_init: int,
) -> tuple[FittedCentroids, float]:
    """A full-data fit: StandardScaler on the scaled columns of every user (in input-file order,
    as a notebook reading the file sees them), KMeans with the same settings. Returns the
    centroids in the input space and sklearn's inertia."""
    from sklearn.cluster import KMeans

    arrays = connection.sql(
        f"select {', '.join(_quoted(name) for name in columns)} from {inputs_relation} "
        "order by source_row_number"
    ).fetchnumpy()
    matrix = np.column_stack([np.asarray(arrays[name], dtype=np.float64) for name in columns])
    del arrays
    mask = np.array(is_scaled, dtype=bool)
    centers = np.where(mask, matrix.mean(axis=0), 0.0)
    scales = np.where(mask, matrix.std(axis=0), 1.0)
    matrix -= centers
    matrix /= scales
    fitted = KMeans(n_clusters=n_clusters, random_state=random_seed, n_init=n_init).fit(matrix)
    values = fitted.cluster_centers_ * scales + centers
    return (
        FittedCentroids(
            columns=tuple(columns),
            is_scaled=tuple(bool(flag) for flag in is_scaled),
            scales=scales,
            values=values,
            fit_rows=matrix.shape[0],
            input_rows=matrix.shape[0],
        ),
        float(fitted.inertia_),
    )


def _pairs(count: int) -> int:
    return count * (count - 1) // 2


def adjusted_rand_from_counts(counts: Iterable[tuple[Any, Any, int]]) -> float:
    """Adjusted Rand index from contingency counts (label a, label b, users with both).

    Same value as sklearn.metrics.adjusted_rand_score on the labellings behind the counts.
    """
    rows: dict[Any, int] = {}
    columns: dict[Any, int] = {}
    index = 0
    total = 0
    for label_a, label_b, count in counts:
        count = int(count)
        rows[label_a] = rows.get(label_a, 0) + count
        columns[label_b] = columns.get(label_b, 0) + count
        index += _pairs(count)
        total += count
    if total < 2:
        return 1.0
    sum_rows = sum(_pairs(count) for count in rows.values())
    sum_columns = sum(_pairs(count) for count in columns.values())
    expected = sum_rows * sum_columns / _pairs(total)
    maximum = (sum_rows + sum_columns) / 2
    if maximum == expected:
        # Both labellings put everyone together, or everyone apart: they agree.
        return 1.0
    return float((index - expected) / (maximum - expected))


def contingency_counts(connection, sql: str) -> list[tuple[Any, Any, int]]:
    """Run a `select label_a, label_b, count(*) … group by 1, 2` query."""
    return [(row[0], row[1], int(row[2])) for row in connection.sql(sql).fetchall()]


# --------------------------------------------------------------------------------------------
# Targets and report


@dataclass
class Target:
    description: str
    measured: str = "not measured"
    status: str = "not measured"  # met | missed | not measured
    # For a missed target: what limits it, from the same run's figures ("" when met).
    limit: str = ""

    def judge(self, measured: str, met: bool, limit: str = "") -> None:
        self.measured, self.status = measured, "met" if met else "missed"
        self.limit = "" if met else limit


_NODE_KINDS = (("model", "models"), ("test", "data tests"), ("unit_test", "unit tests"))


def time_breakdown(run: Mapping[str, Any] | None, top: int = 3, startup: bool = True) -> str:
    """Where a build's wall time went, from its run_results summary (`run["dbt"]`): start-up
    and parsing (unless `startup` is false), time per kind of node and the slowest nodes.
    "" when not summarized."""
    summary = (run or {}).get("dbt")
    if not summary:
        return ""
    kinds = summary.get("by_resource_type", {})
    per_kind = ", ".join(
        f"{label} {kinds[kind]['seconds']:.1f} s ({kinds[kind]['count']:.0f})"
        for kind, label in _NODE_KINDS
        if kind in kinds
    )
    slowest = ", ".join(
        f"{node['name']} {node['seconds']:.1f} s" for node in summary.get("slowest", [])[:top]
    )
    parts = [f"start-up and parsing {summary['startup_seconds']:.1f} s"] if startup else []
    if per_kind:
        parts.append(per_kind)
    if slowest:
        parts.append(f"slowest: {slowest}")
    return "; ".join(parts)


def memory_high_point(run: Mapping[str, Any] | None) -> str:
    """The node running when the build's memory was highest, from its run_results summary."""
    highest = ((run or {}).get("dbt") or {}).get("highest_memory") or []
    if not highest:
        return ""
    node = highest[0]
    return f"highest while {node['name']} ran ({node['rss_bytes'] / MIB:,.0f} MiB)"


def _labelled(describe: Any, *runs: tuple[str, Mapping[str, Any] | None]) -> str:
    """`describe(run)` for each (label, run), labelled, skipping the runs it says nothing of."""
    described = ((label, describe(run)) for label, run in runs)
    return "; ".join(f"{label}: {text}" for label, text in described if text)


def _size(results: Mapping[str, Any], users: int) -> Mapping[str, Any] | None:
    return next((entry for entry in results.get("sizes", []) if entry["users"] == users), None)


def _run(entry: Mapping[str, Any] | None, name: str) -> Mapping[str, Any] | None:
    run = (entry or {}).get("runs", {}).get(name)
    return run if run and run.get("status") == "ok" else None


def _failed(entry: Mapping[str, Any] | None, *names: str) -> str | None:
    for name in names:
        run = (entry or {}).get("runs", {}).get(name)
        if run and run.get("status") in ("failed", "timed out"):
            return f"{name} run {run['status']}"
    return None


def evaluate_targets(results: Mapping[str, Any]) -> list[Target]:
    """The issue's targets (2 cores, 24 GiB) against the measured figures."""
    million, ten_million = _size(results, 1_000_000), _size(results, 10_000_000)
    targets = {
        "speed": Target("1M users: dbt build (CSV) ≥ 4× faster than the peer"),
        "memory": Target("1M users: dbt build peak memory lower than the peer's"),
        "inertia": Target("1M users: inertia on all users within 1% of a full-data fit"),
        "10m_time": Target("10M users: dbt build from CSV under 2 minutes"),
        "10m_parquet": Target("10M users: dbt build from Parquet faster than from CSV"),
        "10m_memory": Target("10M users: peak memory under 4 GiB (CSV and Parquet)"),
        "scaling": Target("Peak memory at 10M ≤ 2× peak at 1M (CSV and Parquet)"),
        "demo": Target("Demo, 1,000 users: dbt build under 15 s"),
    }
    csv, parquet, peer = _run(million, "csv"), _run(million, "parquet"), _run(million, "peer")
    if failure := _failed(million, "csv", "parquet"):
        for key in ("speed", "memory", "inertia"):
            targets[key].judge(failure, False)
    else:
        if csv and peer:
            ratio = peer["wall_seconds"] / csv["wall_seconds"]
            startup = (csv.get("dbt") or {}).get("startup_seconds")
            floor = (
                f"dbt's start-up and parsing alone {startup:.1f} s; 4× needs the whole build in "
                f"{peer['wall_seconds'] / 4:.1f} s"
                if startup is not None
                else ""
            )
            targets["speed"].judge(
                f"peer/ours {ratio:.2f}× ({csv['wall_seconds']:.0f} s vs "
                f"{peer['wall_seconds']:.0f} s)",
                ratio >= 4,
                "; ".join(part for part in (floor, time_breakdown(csv, startup=False)) if part),
            )
            ratio = peer["peak_rss_bytes"] / csv["peak_rss_bytes"]
            targets["memory"].judge(
                f"{csv['peak_rss_bytes'] / MIB:,.0f} MiB vs {peer['peak_rss_bytes'] / MIB:,.0f} "
                f"MiB (peer/ours {ratio:.2f}×)",
                ratio > 1,
                memory_high_point(csv),
            )
        quality = (million or {}).get("quality") or {}
        ratio = quality.get("inertia_ratio")
        if ratio is not None:
            targets["inertia"].judge(
                f"{(ratio - 1) * 100:+.3f}%",
                ratio <= 1.01,
                f"centroids fitted on {quality['fit_rows']:,} users (fit_sample_size)"
                if quality.get("fit_rows")
                else "",
            )
    csv10, parquet10 = _run(ten_million, "csv"), _run(ten_million, "parquet")
    unfinished = [
        run
        for run in ((ten_million or {}).get("runs", {}).get(kind) for kind in ("csv", "parquet"))
        if run and run.get("status") in ("timed out", "interrupted")
    ]
    for run in unfinished:
        # A run stopped early still bounds its figures from below.
        if run is (ten_million or {})["runs"].get("csv") and run["wall_seconds"] >= 120:
            targets["10m_time"].judge(f"> {run['wall_seconds']:.0f} s ({run['status']})", False)
        if (run.get("peak_rss_bytes") or 0) >= 4 * GIB:
            targets["10m_memory"].judge(
                f"> {run['peak_rss_bytes'] / GIB:.2f} GiB ({run['status']})", False
            )
    if failure := _failed(ten_million, "csv", "parquet"):
        for key in ("10m_time", "10m_parquet", "10m_memory", "scaling"):
            targets[key].judge(failure, False)
    else:
        if csv10:
            seconds = csv10["wall_seconds"]
            targets["10m_time"].judge(f"{seconds:.0f} s", seconds < 120, time_breakdown(csv10))
        if csv10 and parquet10:
            targets["10m_parquet"].judge(
                f"{parquet10['wall_seconds']:.0f} s vs {csv10['wall_seconds']:.0f} s",
                parquet10["wall_seconds"] < csv10["wall_seconds"],
                _labelled(time_breakdown, ("Parquet", parquet10), ("CSV", csv10)),
            )
            peak_run = max((csv10, parquet10), key=lambda run: run["peak_rss_bytes"])
            peak = peak_run["peak_rss_bytes"]
            targets["10m_memory"].judge(
                f"{peak / GIB:.2f} GiB", peak < 4 * GIB, memory_high_point(peak_run)
            )
            if csv and parquet:
                ratios = (
                    csv10["peak_rss_bytes"] / csv["peak_rss_bytes"],
                    parquet10["peak_rss_bytes"] / parquet["peak_rss_bytes"],
                )
                targets["scaling"].judge(
                    f"CSV {ratios[0]:.2f}×, Parquet {ratios[1]:.2f}×",
                    max(ratios) <= 2,
                    _labelled(memory_high_point, ("1M", csv), ("10M", csv10)),
                )
    demo = results.get("demo")
    if demo and demo.get("status") == "ok":
        targets["demo"].judge(
            f"{demo['wall_seconds']:.1f} s", demo["wall_seconds"] < 15, time_breakdown(demo)
        )
    elif demo and demo.get("status") in ("failed", "timed out"):
        targets["demo"].judge(f"demo build {demo['status']}", False)
    return list(targets.values())


def _seconds(run: Mapping[str, Any] | None) -> str:
    if not run or run.get("wall_seconds") is None:
        return "–"
    unfinished = run.get("status") in ("interrupted", "timed out")
    return ("> " if unfinished else "") + f"{run['wall_seconds']:.1f}"


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


def render_markdown(results: Mapping[str, Any]) -> str:
    """BENCHMARKS.md from the harness's results."""
    machine, versions = results["machine"], results["versions"]
    settings = results["settings"]
    out = [
        "# Benchmarks",
        "",
        f"Measured {results['finished_at']} by `{results['command']}` (issue 4). "
        "Generated file: rerun the command rather than editing it.",
        "",
        "Each size's input is generated once as CSV and as Parquet (`segmentation.generator`, "
        f"seed {settings['seed']}, personas `{settings['personas']}`), then, one after the "
        "other: the project's full `dbt build` (every model, data test and unit test) reading "
        "the CSV, the same reading the Parquet, and the peer notebook "
        "(`../shared/bench/peer_notebook.py`, pandas + scikit-learn) on the same CSV. Wall "
        "time is the whole command, start-up included. Peak memory is the peak sum of resident "
        f"memory over the process and all its descendants, sampled from /proc every "
        f"{settings['poll_interval'] * 1000:.0f} ms. Ratios are peer / ours: above 1 means we "
        "are faster or smaller. The "
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
    demo = results.get("demo")
    if demo:
        out += [
            "### Demo: 1,000 users (`dbt build` on the embedded seed, no vars)",
            "",
            *_table(
                ["run", "wall s", "peak MiB", "dbt nodes", "load", "note"],
                [
                    [
                        "dbt build (seed)",
                        _seconds(demo),
                        _mib(demo),
                        _nodes(demo),
                        _load(demo),
                        _run_note(demo),
                    ]
                ],
            ),
            "",
            "Its slowest nodes are under *Where the time goes*.",
            "",
        ]
    for entry in results.get("sizes", []):
        runs = entry["runs"]
        csv, parquet, peer = runs.get("csv"), runs.get("parquet"), runs.get("peer")
        rows = []
        for label, run in (("dbt build, CSV", csv), ("dbt build, Parquet", parquet)):
            ok = run and run.get("status") == "ok"
            peer_ok = peer and peer.get("status") == "ok"
            time_ratio = (
                f"{peer['wall_seconds'] / run['wall_seconds']:.2f}" if ok and peer_ok else "–"
            )
            memory_ratio = (
                f"{peer['peak_rss_bytes'] / run['peak_rss_bytes']:.2f}" if ok and peer_ok else "–"
            )
            rows.append(
                [
                    label,
                    _seconds(run),
                    _mib(run),
                    time_ratio,
                    memory_ratio,
                    _nodes(run),
                    _load(run),
                    _run_note(run),
                ]
            )
        rows.append(
            [
                "peer notebook, CSV",
                _seconds(peer),
                _mib(peer),
                *(["1", "1"] if (peer or {}).get("status") == "ok" else ["–", "–"]),
                "–",
                _load(peer),
                _run_note(peer),
            ]
        )
        inputs = entry.get("inputs", {})
        sizes = ", ".join(f"{kind} {info['bytes'] / MIB:,.1f} MiB" for kind, info in inputs.items())
        out += [
            f"### {entry['users']:,} users",
            "",
            f"Measured {entry.get('measured_at', '–')}. Inputs: {sizes}.",
            "",
            *_table(
                [
                    "run",
                    "wall s",
                    "peak MiB",
                    "peer/ours time",
                    "peer/ours memory",
                    "dbt nodes",
                    "load",
                    "note",
                ],
                rows,
            ),
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
        "",
    ]
    rows = []
    for entry in results.get("sizes", []):
        quality = entry.get("quality") or {}
        rows.append(
            [
                f"{entry['users']:,}",
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
        "so no partial parsing); *nodes running* is the time at least one node was executing "
        "(two threads run nodes side by side, so the sum of node times can be larger); *dbt's "
        "own share* is wall minus nodes running.",
        "",
    ]
    timed = [("Demo, 1,000 users (seed)", (demo or {}).get("dbt"))]
    for entry in results.get("sizes", []):
        for kind, label in (("csv", "CSV"), ("parquet", "Parquet")):
            timed.append(
                (f"{entry['users']:,} users, {label}", (entry["runs"].get(kind) or {}).get("dbt"))
            )
    for heading, summary in timed:
        if not summary:
            continue
        out += [
            f"### {heading}",
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
    notes = results.get("notes") or []
    if notes:
        out += ["## Notes", "", *(f"- {note}" for note in notes), ""]
    return "\n".join(out).rstrip() + "\n"


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

"""Where a build's wall time and memory went, from dbt's run_results.json."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np


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

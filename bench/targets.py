"""The issue's targets (issue 4: 2 cores, 24 GiB) judged against the measured figures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bench.sampling import GIB, MIB


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

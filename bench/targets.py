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


# Older results (issue 4's) have no shapes: each entry is of the run's `personas` setting.
_PERSONAS_SHAPES = {"default": "planted", "none": "uniform"}


def entry_shape(entry: Mapping[str, Any], settings: Mapping[str, Any]) -> str:
    """An entry's input shape; for results without shapes, the `personas` they record."""
    if entry.get("shape"):
        return entry["shape"]
    personas = settings.get("personas", "default")
    return _PERSONAS_SHAPES.get(personas, personas)


def demo_runs(demo: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    """{"cold": run, "warm": run} of the demo; an older single demo run is the cold one."""
    if not demo:
        return {}
    if "status" in demo:
        return {"cold": demo}
    return {phase: run for phase, run in demo.items() if run}


def _size(
    results: Mapping[str, Any], users: int, shape: str | None = None
) -> Mapping[str, Any] | None:
    settings = results.get("settings", {})
    return next(
        (
            entry
            for entry in results.get("sizes", [])
            if entry["users"] == users and shape in (None, entry_shape(entry, settings))
        ),
        None,
    )


def build_seconds(run: Mapping[str, Any]) -> float:
    """The `dbt build`'s own wall time: the run's, less the publishing that `run_build` adds to
    it (`make build` publishes after the build; the issue's targets are the build's)."""
    publish = (run.get("publish") or {}).get("wall_seconds") or 0.0
    return run["wall_seconds"] - publish


def _run(entry: Mapping[str, Any] | None, name: str) -> Mapping[str, Any] | None:
    run = (entry or {}).get("runs", {}).get(name)
    return run if run and run.get("status") == "ok" else None


def _failed(entry: Mapping[str, Any] | None, *names: str) -> str | None:
    for name in names:
        run = (entry or {}).get("runs", {}).get(name)
        if run and run.get("status") in ("failed", "timed out", "interrupted"):
            return f"{name} run {run['status']}"
    return None


def _against_peer(
    target: Target,
    entry: Mapping[str, Any] | None,
    min_speed: float,
    max_memory_share: float,
) -> None:
    """Judge the CSV build of `entry` against the peer of the same run: peer/ours time at least
    `min_speed`, ours peak at most `max_memory_share` of the peer's. Parquet shown beside."""
    if failure := _failed(entry, "csv"):
        target.judge(failure, False)
        return
    csv, parquet, peer = _run(entry, "csv"), _run(entry, "parquet"), _run(entry, "peer")
    if not (csv and peer):
        return
    speed = peer["wall_seconds"] / build_seconds(csv)
    share = csv["peak_rss_bytes"] / peer["peak_rss_bytes"]
    beside = (
        f"; Parquet {peer['wall_seconds'] / build_seconds(parquet):.2f}×, "
        f"{parquet['peak_rss_bytes'] / MIB:,.0f} MiB"
        if parquet
        else ""
    )
    limits = []
    if speed < min_speed:
        startup = (csv.get("dbt") or {}).get("startup_seconds")
        if startup is not None:
            limits.append(
                f"dbt's start-up and parsing alone {startup:.1f} s; {min_speed:g}× needs the "
                f"whole build in {peer['wall_seconds'] / min_speed:.1f} s"
            )
        limits.append(time_breakdown(csv, startup=False))
    if share > max_memory_share:
        limits.append(memory_high_point(csv))
    target.judge(
        f"CSV: peer/ours {speed:.2f}× ({build_seconds(csv):.0f} s vs "
        f"{peer['wall_seconds']:.0f} s), {csv['peak_rss_bytes'] / MIB:,.0f} MiB vs "
        f"{peer['peak_rss_bytes'] / MIB:,.0f} MiB ({share:.2f} of the peer's){beside}",
        speed >= min_speed and share <= max_memory_share,
        "; ".join(part for part in limits if part),
    )


def evaluate_targets(results: Mapping[str, Any]) -> list[Target]:
    """Issue 16's targets (2 cores, 24 GiB), each against the peer of the same run where it
    names one; peak memory is the whole process tree's."""
    targets = {
        "1m": Target(
            "1M export-like: dbt build (CSV) ≥ 1.5× faster than the peer, peak ≤ the peer's"
        ),
        "10m_export": Target(
            "10M export-like: dbt build (CSV) ≥ 1.0× the peer's speed, peak ≤ ¼ of the peer's"
        ),
        "10m_planted": Target(
            "10M planted: dbt build (CSV) ≥ 1.0× the peer's speed, peak ≤ ¼ of the peer's"
        ),
        "100m": Target("100M users from Parquet: completes, under 30 min, under 8 GiB"),
        "demo_cold": Target("Demo, 1,000 users: cold build (fresh target, full parse) ≤ 15 s"),
        "demo_warm": Target("Demo, 1,000 users: warm build (partial parse) ≤ 10 s"),
        "inertia": Target(
            "1M users: inertia on all users within 1% of a full-data fit (both shapes)"
        ),
        "verdict": Target(
            "Verdict: strong on planted, none on export-like, at every size measured"
        ),
    }
    _against_peer(targets["1m"], _size(results, 1_000_000, "export-like"), 1.5, 1.0)
    _against_peer(targets["10m_export"], _size(results, 10_000_000, "export-like"), 1.0, 0.25)
    _against_peer(targets["10m_planted"], _size(results, 10_000_000, "planted"), 1.0, 0.25)

    large = _size(results, 100_000_000)
    build = ((large or {}).get("runs") or {}).get("parquet")
    if build and build.get("wall_seconds") is not None:
        seconds, peak = build_seconds(build), build.get("peak_rss_bytes") or 0
        met = build["status"] == "ok" and seconds < 1800 and peak < 8 * GIB
        limits = []
        if seconds >= 1800:
            limits.append(time_breakdown(build))
        if peak >= 8 * GIB:
            limits.append(memory_high_point(build))
        status = "" if build["status"] == "ok" else f" ({build['status']})"
        targets["100m"].judge(
            f"{seconds / 60:.1f} min, {peak / GIB:.2f} GiB{status}",
            met,
            "; ".join(part for part in limits if part) or build.get("reason", ""),
        )

    for phase, limit in (("cold", 15.0), ("warm", 10.0)):
        run = demo_runs(results.get("demo")).get(phase)
        target = targets[f"demo_{phase}"]
        if run and run.get("status") == "ok":
            target.judge(
                f"{build_seconds(run):.1f} s", build_seconds(run) <= limit, time_breakdown(run)
            )
        elif run and run.get("status") in ("failed", "timed out", "interrupted"):
            target.judge(f"demo build {run['status']}", False)

    ratios = []
    for shape in ("planted", "export-like"):
        quality = (_size(results, 1_000_000, shape) or {}).get("quality") or {}
        if quality.get("inertia_ratio") is not None:
            ratios.append((shape, quality["inertia_ratio"], quality.get("fit_rows")))
    if ratios:
        worst = [(shape, fit_rows) for shape, ratio, fit_rows in ratios if ratio > 1.01]
        targets["inertia"].judge(
            ", ".join(f"{shape} {(ratio - 1) * 100:+.3f}%" for shape, ratio, _ in ratios)
            + ("" if len(ratios) == 2 else " (one shape measured)"),
            not worst and len(ratios) == 2,
            "; ".join(
                f"{shape}: centroids fitted on {fit_rows:,} users (fit_sample_size)"
                for shape, fit_rows in worst
                if fit_rows
            ),
        )

    expected = {"planted": "strong", "export-like": "none"}
    found = []
    settings = results.get("settings", {})
    for entry in results.get("sizes", []):
        shape = entry_shape(entry, settings)
        verdict = (entry.get("quality") or {}).get("structure_verdict")
        if shape in expected and verdict:
            found.append((entry["users"], shape, verdict, verdict == expected[shape]))
    if found:
        wrong = [f"{users:,} {shape}: {verdict}" for users, shape, verdict, ok in found if not ok]
        targets["verdict"].judge(
            f"{len(found) - len(wrong)} of {len(found)} as expected"
            + (f"; {', '.join(wrong)}" if wrong else ""),
            not wrong,
            "the build's structure verdict (dim_segmentation_runs) on those inputs",
        )
    return list(targets.values())

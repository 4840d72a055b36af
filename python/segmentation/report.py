"""The segmentation report: one self-contained HTML page from the published serving database.

    python -m segmentation.report [--db build/published/serving.duckdb]
                                  [--out build/report/segmentation_report.html]

It reads only what was published (read-only, so it never blocks or sees a build in progress)
and works offline: the charts are inline SVG drawn here, the page's small script (legend
toggles; a marker on <body> once the charts are in place) is inline too, with no fonts, styles
or scripts from the network. Sections: segment sizes; a radar chart of the segments' indexes
on the clustering features; a card per segment; an interest-lift heatmap; the user base's
demographic and behaviour distributions; quality and stability, when a
``segmentation_quality`` table was published.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from segmentation.catalogue import load as load_catalogue
from segmentation.naming import label as naming_label
from segmentation.naming import run_caveat
from segmentation.outputs import OutputFolderError, claim, read_marker_kind

TEMPLATES = Path(__file__).parent / "templates"
QUALITY_TABLE = "segmentation_quality"
REQUIRED_TABLES = (
    "publication",
    "dim_segments",
    "segment_interests",
    "segment_metric_indexes",
    "segment_recommendations",
    "user_base_distributions",
)
#: Categorical colours, distinguishable and readable on white (Tableau 10).
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip
NEUTRAL = "#9aa5b1"
#: Display names: the catalogue's metrics and traits (var catalogue), then the run's figures.
METRIC_LABELS = {
    **load_catalogue().labels,
    "silhouette": "Silhouette",
    "calinski_harabasz": "Calinski–Harabasz index",
    "davies_bouldin": "Davies–Bouldin index",
    "inertia": "Inertia",
    "n_clusters": "Segments",
    "is_selected": "Used",
    "is_latest": "Latest run",
    "run_id": "Run",
    "structure_verdict": "Structure",
    "structure_z_score": "Structure z-score",
    "stability_ari": "Stability (ARI)",
    "null_silhouette_mean": "Silhouette of random data",
    "run_started_at": "Run started",
}
DEMOGRAPHICS = ("age_band", "gender", "education_level", "income_band", "device_usage")
MORE_DEMOGRAPHICS = ("location", "language")
BEHAVIOURS = (
    "weekday_hours_online",
    "weekend_hours_online",
    "click_through_rate",
    "conversion_rate",
    "ad_interaction_seconds",
)


def label(name: str) -> str:
    """A metric's or trait's display name."""
    return METRIC_LABELS.get(name, name.replace("_", " ").capitalize())


def shown_name(segment: Mapping[str, Any]) -> str:
    """A segment's name as the report shows it: with its qualifier in brackets (naming Rule 6),
    e.g. "Active Explorers (no structure found, unstable)"."""
    return naming_label(segment["segment_name"], segment.get("name_qualifier"))


def segmentation_caveat(data: ReportData) -> str | None:
    """The line on the whole segmentation shown above the charts (naming Rule 6), or None."""
    verdicts = {s.get("structure_verdict") for s in data.segments} - {None}
    if len(verdicts) != 1:
        return None
    unmeasured = sum(
        1
        for s in data.segments
        if s.get("stability_jaccard") is None or math.isnan(s["stability_jaccard"])
    )
    return run_caveat(
        verdicts.pop(),
        len(data.segments),
        sum(1 for s in data.segments if s.get("is_unstable")),
        unmeasured if any("stability_jaccard" in s for s in data.segments) else 0,
    )


def colour(position: int) -> str:
    """The colour of the segment at 0-based `position` (cycling through the palette)."""
    return PALETTE[position % len(PALETTE)]


def _number(value: float, decimals: int = 0) -> str:
    return f"{value:,.{decimals}f}"


def _svg(kind: str, width: float, height: float, body: Sequence[str], description: str) -> Markup:
    return Markup(
        f'<svg class="chart" data-chart="{escape(kind)}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="{escape(description)}">'
        f"<title>{escape(description)}</title>{''.join(body)}</svg>"
    )


def _text(
    x: float, y: float, content: str, css: str = "", anchor: str = "start", extra: str = ""
) -> str:
    attributes = f' class="{css}"' if css else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{attributes}{extra}>'
        f"{escape(content)}</text>"
    )


# --- Charts ----------------------------------------------------------------------------------


def bar_chart_svg(
    items: Sequence[tuple[str, float]],
    value_text: Callable[[float], str] = lambda v: _number(v),
    colours: Sequence[str] | None = None,
    description: str = "bar chart",
    width: int = 560,
    label_width: int = 170,
    bar_height: int = 22,
) -> Markup:
    """Horizontal bars, one per (label, value), scaled to the largest value."""
    gap, top, value_room = 8, 6, 150
    height = top * 2 + len(items) * (bar_height + gap)
    largest = max((v for _, v in items), default=0) or 1
    scale = (width - label_width - value_room) / largest
    body = []
    for i, (name, value) in enumerate(items):
        y = top + i * (bar_height + gap)
        length = max(value * scale, 0)
        fill = colours[i % len(colours)] if colours else PALETTE[0]
        middle = y + bar_height / 2 + 4
        body.append(_text(label_width - 8, middle, name, "axis-label", "end"))
        body.append(
            f'<rect class="bar" x="{label_width}" y="{y}" width="{length:.1f}" '
            f'height="{bar_height}" rx="3" fill="{fill}"><title>{escape(name)}: '
            f"{escape(value_text(value))}</title></rect>"
        )
        body.append(_text(label_width + length + 6, middle, value_text(value), "value-label"))
    return _svg("bar", width, height, body, description)


def radar_chart_svg(
    axes: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None], str]],
    description: str = "radar chart",
    size: int = 640,
) -> Markup:
    """Each series (name, values per axis, colour) as a polygon over axes of indexes
    (100 = population average, the dashed ring). A missing value is drawn at 0."""
    if len(axes) < 3:
        raise ValueError("a radar chart needs at least 3 axes")
    centre, radius = size / 2, size / 2 - 130
    values = [v for _, vals, _ in series for v in vals if v is not None]
    largest = max([150.0, *values])
    step = 50 if largest <= 250 else 100 if largest <= 600 else 250
    top = math.ceil(largest / step) * step
    rings = [*range(step, int(top) + 1, step)]
    if 100 not in rings:
        rings = sorted([*rings, 100])

    def point(axis: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * axis / len(axes)
        distance = radius * max(value, 0) / top
        return centre + distance * math.cos(angle), centre + distance * math.sin(angle)

    body = []
    for ring in rings:
        ring_points = " ".join(
            f"{x:.1f},{y:.1f}" for x, y in (point(a, ring) for a in range(len(axes)))
        )
        css = "ring ring-average" if ring == 100 else "ring"
        body.append(f'<polygon class="{css}" points="{ring_points}"/>')
        x, y = point(0, ring)
        body.append(_text(x + 4, y - 3, str(ring), "ring-label"))
    for a, name in enumerate(axes):
        x, y = point(a, top)
        body.append(
            f'<line class="spoke" x1="{centre:.1f}" y1="{centre:.1f}" x2="{x:.1f}" y2="{y:.1f}"/>'
        )
        lx, ly = point(a, top * 1.12)
        anchor = "middle" if abs(lx - centre) < 10 else ("start" if lx > centre else "end")
        body.append(_text(lx, ly + 4, name, "axis-label", anchor))
    for s, (name, vals, fill) in enumerate(series):
        shape = " ".join(
            f"{x:.1f},{y:.1f}" for x, y in (point(a, v or 0) for a, v in enumerate(vals))
        )
        tip = f"{name}: " + ", ".join(
            f"{axis} {'–' if v is None else _number(v)}" for axis, v in zip(axes, vals, strict=True)
        )
        body.append(
            f'<g class="series" data-series="{s}"><polygon points="{shape}" fill="{fill}" '
            f'fill-opacity="0.10" stroke="{fill}" stroke-width="2.5"><title>{escape(tip)}</title>'
            f"</polygon></g>"
        )
    return _svg("radar", size, size, body, description)


def index_bars_svg(
    items: Sequence[tuple[str, float | None]],
    fill: str,
    description: str = "indexes against the population",
    width: int = 560,
    label_width: int = 170,
) -> Markup:
    """Diverging bars around 100 (the population average) for (label, index) pairs; the scale
    runs from 0 to 200 and longer bars are clipped with an arrow-like end."""
    bar_height, gap, top = 14, 6, 4
    height = top * 2 + len(items) * (bar_height + gap)
    plot = width - label_width - 44
    middle_x = label_width + plot / 2
    body = [f'<line class="average" x1="{middle_x:.1f}" y1="0" x2="{middle_x:.1f}" y2="{height}"/>']
    for i, (name, index) in enumerate(items):
        y = top + i * (bar_height + gap)
        body.append(_text(label_width - 8, y + bar_height - 3, name, "axis-label small", "end"))
        if index is None:
            body.append(_text(middle_x + 4, y + bar_height - 3, "n/a", "value-label small"))
            continue
        offset = max(min(index - 100, 100), -100) / 100 * plot / 2
        x = middle_x + min(offset, 0)
        bar_fill = fill if index >= 100 else NEUTRAL
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{y}" width="{abs(offset):.1f}" '
            f'height="{bar_height}" '
            f'rx="2" fill="{bar_fill}"><title>{escape(name)}: index {_number(index)}</title></rect>'
        )
        text_x = middle_x + offset + (4 if offset >= 0 else -4)
        body.append(
            _text(
                text_x, y + bar_height - 3, _number(index), "value-label small",
                "start" if offset >= 0 else "end",
            )
        )  # fmt: skip
    return _svg("index-bars", width, height, body, description)


def lift_colour(lift: float | None) -> str:
    """Diverging colour for a lift: white at 1, orange above (2× = full), blue below (½ = full)."""
    if lift is None or lift <= 0:
        return "#f1f3f5"
    strength = max(min(math.log2(lift), 1.0), -1.0)
    base = (242, 142, 43) if strength > 0 else (78, 121, 167)
    channels = (round(255 + (c - 255) * abs(strength)) for c in base)
    return "#" + "".join(f"{c:02x}" for c in channels)


def heatmap_svg(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Mapping[tuple[str, str], float],
    description: str = "interest lift heatmap",
    left: int = 190,
) -> Markup:
    """A grid of lifts (row = segment, column = interest); empty cells where no value."""
    cell_w, cell_h, header = 58, 34, 150
    width = left + cell_w * len(columns) + 130
    height = header + cell_h * len(rows) + 10
    body = []
    for c, name in enumerate(columns):
        x = left + c * cell_w + cell_w / 2
        body.append(
            _text(x, header - 8, name, "axis-label small", "start",
                  f' transform="rotate(-45 {x:.1f} {header - 8})"')
        )  # fmt: skip
    for r, row in enumerate(rows):
        y = header + r * cell_h
        body.append(_text(left - 8, y + cell_h / 2 + 4, row, "axis-label", "end"))
        for c, column in enumerate(columns):
            value = values.get((row, column))
            x = left + c * cell_w
            tip = f"{row} × {column}: " + ("not listed" if value is None else f"lift {value:.2f}")
            body.append(
                f'<rect class="cell" x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'fill="{lift_colour(value)}"><title>{escape(tip)}</title></rect>'
            )
            text = "–" if value is None else f"{value:.2f}"
            strong = value is not None and value > 0 and abs(math.log2(value)) > 0.6
            css = "cell-label light" if strong else "cell-label"
            body.append(_text(x + (cell_w - 2) / 2, y + cell_h / 2 + 4, text, css, "middle"))
    return _svg("heatmap", width, height, body, description)


def histogram_svg(
    bins: Sequence[tuple[float, float, int]],
    value_format: Callable[[float], str],
    fill: str = PALETTE[0],
    description: str = "histogram",
    width: int = 560,
    height: int = 200,
) -> Markup:
    """Vertical bars of (lower, upper, users) bins, with the range and the largest count."""
    left, bottom, top, right = 44, 34, 10, 10
    plot_w, plot_h = width - left - right, height - top - bottom
    largest = max((b[2] for b in bins), default=0) or 1
    step = plot_w / max(len(bins), 1)
    body = [
        f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" '
        f'y2="{top + plot_h}"/>',
        _text(left - 6, top + 8, _number(largest), "value-label small", "end"),
        _text(left - 6, top + plot_h, "0", "value-label small", "end"),
    ]
    for i, (lower, upper, users) in enumerate(bins):
        bar_h = plot_h * users / largest
        body.append(
            f'<rect class="bar" x="{left + i * step + 1:.1f}" y="{top + plot_h - bar_h:.1f}" '
            f'width="{max(step - 2, 1):.1f}" height="{bar_h:.1f}" fill="{fill}">'
            f"<title>{escape(value_format(lower))} to {escape(value_format(upper))}: "
            f"{users:,} users</title></rect>"
        )
    if bins:
        middle = (bins[0][0] + bins[-1][1]) / 2
        body.append(
            _text(
                left + plot_w / 2, height - 12, value_format(middle), "axis-label small", "middle"
            )
        )
        body.append(_text(left, height - 12, value_format(bins[0][0]), "axis-label small", "start"))
        body.append(
            _text(left + plot_w, height - 12, value_format(bins[-1][1]), "axis-label small", "end")
        )
    return _svg("histogram", width, height, body, description)


# --- Data --------------------------------------------------------------------------------------


@dataclass
class ReportData:
    """What the report shows, as read from the serving database."""

    publication: dict[str, Any]
    segments: list[dict[str, Any]]
    metrics: list[dict[str, Any]]
    recommendations: dict[int, dict[str, Any]]
    interests: list[dict[str, Any]]
    distributions: list[dict[str, Any]]
    quality: list[dict[str, Any]] | None = None
    quality_columns: list[str] = field(default_factory=list)


def _records(connection: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    relation = connection.sql(sql)
    names = relation.columns
    return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]


def published_tables(connection: duckdb.DuckDBPyConnection) -> set[str]:
    rows = connection.sql("select table_name from information_schema.tables").fetchall()
    return {row[0] for row in rows}


def load_report_data(connection: duckdb.DuckDBPyConnection) -> ReportData:
    """Reads every table the report needs from the serving database, in one connection (so one
    published version)."""
    present = published_tables(connection)
    missing = [t for t in REQUIRED_TABLES if t not in present]
    if missing:
        raise LookupError(
            f"the serving database lacks {', '.join(missing)}: is it a published version "
            "(build/published/serving.duckdb) of this project?"
        )
    publication = _records(
        connection,
        "select published_run_id, max(published_at) as published_at, "
        "max(suppressed_segments) as suppressed_segments from publication group by 1",
    )
    segments = _records(connection, "select * from dim_segments order by segment_id")
    recommendations = {
        r["segment_id"]: r
        for r in _records(connection, "select * from segment_recommendations order by segment_id")
    }
    quality = quality_columns = None
    if QUALITY_TABLE in present:
        relation = connection.sql(f"select * from {QUALITY_TABLE}")
        quality_columns = [c for c in relation.columns if c != "published_run_id"]
        quality = _records(connection, f"select * from {QUALITY_TABLE}")
    return ReportData(
        publication=publication[0] if publication else {},
        segments=segments,
        metrics=_records(
            connection, "select * from segment_metric_indexes order by segment_id, metric_position"
        ),
        recommendations=recommendations,
        interests=_records(
            connection, "select * from segment_interests order by segment_id, interest_rank"
        ),
        distributions=_records(
            connection,
            "select * from user_base_distributions order by attribute_name, value_position",
        ),
        quality=quality,
        quality_columns=quality_columns or [],
    )


# --- Page ----------------------------------------------------------------------------------------


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _index(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _histogram_format(attribute: str) -> Callable[[float], str]:
    if attribute in ("click_through_rate", "conversion_rate"):
        return lambda v: f"{v:.3f}"
    if attribute == "ad_interaction_seconds":
        return lambda v: f"{v:.0f} s"
    return lambda v: f"{v:.1f} h"


def label_room(names: Sequence[str], minimum: int) -> int:
    """Pixels for right-aligned chart labels of `names` (13px text, ~7px a character)."""
    return max([minimum, *(16 + 7 * len(name) for name in names)])


def segment_sizes_chart(data: ReportData) -> Markup:
    total = sum(s["users"] for s in data.segments) or 1
    names = [shown_name(s) for s in data.segments]
    room = label_room(names, 190)
    return bar_chart_svg(
        [(name, float(s["users"])) for name, s in zip(names, data.segments, strict=True)],
        value_text=lambda v: f"{v:,.0f} users ({v / total:.1%})",
        colours=[colour(i) for i in range(len(data.segments))],
        description="Users per segment",
        width=570 + room,
        label_width=room,
        bar_height=26,
    )


def radar_chart(data: ReportData) -> Markup | None:
    """The radar of the clustering features' indexes, or None with fewer than 3 such metrics."""
    clustering = [m for m in data.metrics if m["is_clustering_feature"]]
    axes_names = list(dict.fromkeys(m["metric_name"] for m in clustering))
    if len(axes_names) < 3:
        return None
    by_segment: dict[int, dict[str, float | None]] = {}
    for m in clustering:
        by_segment.setdefault(m["segment_id"], {})[m["metric_name"]] = m["metric_index"]
    series = [
        (
            shown_name(s),
            [by_segment.get(s["segment_id"], {}).get(a) for a in axes_names],
            colour(i),
        )
        for i, s in enumerate(data.segments)
        if s["segment_id"] in by_segment
    ]
    return radar_chart_svg(
        [label(a) for a in axes_names],
        series,
        description="Segment profiles: clustering-feature indexes",
    )


def _average(value: float | None) -> str:
    if value is None:
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 1 else f"{value:.3f}"


def radar_axes(data: ReportData) -> list[dict[str, str]]:
    """The radar's axes with the population average each index is relative to."""
    axes: dict[str, dict[str, str]] = {}
    for m in data.metrics:
        if m["is_clustering_feature"] and m["metric_name"] not in axes:
            axes[m["metric_name"]] = {
                "label": label(m["metric_name"]),
                "average": _average(m.get("population_avg")),
            }
    return list(axes.values())


def interest_heatmap(data: ReportData) -> Markup | None:
    if not data.interests:
        return None
    names = {s["segment_id"]: shown_name(s) for s in data.segments}
    popularity: dict[str, float] = {}
    for row in data.interests:
        popularity[row["interest_name"]] = row["share_of_population"]
    columns = sorted(popularity, key=lambda name: (-popularity[name], name))
    rows = [names[s["segment_id"]] for s in data.segments if any(
        i["segment_id"] == s["segment_id"] for i in data.interests)]  # fmt: skip
    values = {(names[i["segment_id"]], i["interest_name"]): i["lift"] for i in data.interests}
    return heatmap_svg(
        rows, columns, values, description="Interest lift by segment", left=label_room(rows, 190)
    )


def distribution_charts(data: ReportData, attributes: Sequence[str]) -> list[dict[str, Any]]:
    """One chart per attribute present: bars for a trait, a histogram for a metric."""
    charts = []
    for position, attribute in enumerate(attributes):
        rows = [d for d in data.distributions if d["attribute_name"] == attribute]
        if not rows:
            continue
        if rows[0]["distribution_kind"] == "histogram":
            fmt = _histogram_format(attribute)
            svg = histogram_svg(
                [(r["bin_lower"], r["bin_upper"], r["users"]) for r in rows],
                fmt,
                fill=PALETTE[(position + 4) % len(PALETTE)],
                description=f"Distribution of {label(attribute)}",
            )
        else:
            total = sum(r["users"] for r in rows) or 1
            svg = bar_chart_svg(
                [(r["value_label"], float(r["users"])) for r in rows],
                value_text=lambda v, total=total: f"{v:,.0f} ({v / total:.0%})",
                colours=[PALETTE[position % len(PALETTE)]],
                description=f"Users by {label(attribute)}",
                width=560,
                label_width=140,
                bar_height=18,
            )
        charts.append({"title": label(attribute), "svg": svg})
    return charts


def segment_cards(data: ReportData) -> list[dict[str, Any]]:
    cards = []
    for position, segment in enumerate(data.segments):
        segment_id = segment["segment_id"]
        metrics = [m for m in data.metrics if m["segment_id"] == segment_id]
        recommendation = data.recommendations.get(segment_id, {})
        suppressed = bool(segment.get("is_below_privacy_floor"))
        traits = [
            {"label": label(name[len("modal_"):]), "value": segment[name],
             "share": _share(segment.get(f"{name}_share"))}
            for name in segment
            if name.startswith("modal_")
            and not name.endswith("_share")
            and segment[name] is not None
        ]  # fmt: skip
        interests = [
            {"name": recommendation.get(f"top_interest_{n}"),
             "lift": recommendation.get(f"top_interest_{n}_lift")}
            for n in (1, 2, 3)
            if recommendation.get(f"top_interest_{n}")
        ]  # fmt: skip
        cards.append(
            {
                "id": segment_id,
                "name": segment["segment_name"],
                "colour": colour(position),
                "qualifier": segment.get("name_qualifier"),
                "description": segment.get("description"),
                "users": f"{segment['users']:,}",
                "share": _share(segment["share"]),
                "suppressed": suppressed,
                "traits": traits,
                "indexes": index_bars_svg(
                    [(label(m["metric_name"]), m["metric_index"]) for m in metrics],
                    colour(position),
                    description=f"{shown_name(segment)}: indexes against the population",
                )
                if metrics
                else None,
                "recommendation": recommendation.get("recommendation"),
                "schedule": recommendation.get("schedule_on"),
                "device": recommendation.get("target_device_usage"),
                "device_index": _index(recommendation.get("target_device_usage_index")),
                "interests": [
                    {"name": i["name"], "lift": "–" if i["lift"] is None else f"{i['lift']:.2f}"}
                    for i in interests
                ],
                "ctr": _rate(recommendation.get("expected_click_through_rate")),
                "ctr_index": _index(recommendation.get("click_through_rate_index")),
                "population_ctr": _rate(recommendation.get("population_click_through_rate")),
                "conversion": _rate(recommendation.get("expected_conversion_rate")),
                "conversion_index": _index(recommendation.get("conversion_rate_index")),
                "population_conversion": _rate(recommendation.get("population_conversion_rate")),
                "reachable": f"{recommendation.get('reachable_users') or 0:,}",
                "reachable_share": _share(recommendation.get("share_of_reachable_users")),
            }
        )
    return cards


QUALITY_METRICS = ("silhouette", "calinski_harabasz", "davies_bouldin", "inertia")


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return _figure(value)
    text = str(value)[:16] if hasattr(value, "isoformat") else str(value)
    return text if len(text) <= 20 else text[:8] + "…"


def _figure(value: float) -> str:
    """A quality figure, readable at any magnitude: 0.596, 12.3, 1,473."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def quality_section(data: ReportData) -> dict[str, Any] | None:
    """The published quality table, or None when none was published.

    Rows of the latest run when the table has an ``is_latest`` column. With an ``n_clusters``
    column (one row per candidate number of segments): a bar chart per quality metric over the
    candidates, the selected one (``is_selected``) highlighted. With a ``segment_id`` column: a
    bar chart per numeric column over the segments. Always: the rows as a table.
    """
    if data.quality is None:
        return None
    columns = data.quality_columns
    rows = data.quality
    if "is_latest" in columns and any(r["is_latest"] for r in rows):
        rows = [r for r in rows if r["is_latest"]]
    charts = []
    if "n_clusters" in columns and rows:
        rows = sorted(rows, key=lambda r: r["n_clusters"])
        selected = [bool(r.get("is_selected")) for r in rows]
        for metric in (m for m in QUALITY_METRICS if m in columns):
            if not all(_is_number(r[metric]) for r in rows):
                continue
            charts.append(
                {
                    "title": f"{label(metric)} by number of segments",
                    "svg": bar_chart_svg(
                        [(f"{r['n_clusters']} segments", float(r[metric])) for r in rows],
                        value_text=_figure,
                        colours=[PALETTE[1] if chosen else NEUTRAL for chosen in selected],
                        description=f"{label(metric)} by number of segments",
                        width=560,
                        label_width=120,
                        bar_height=18,
                    ),
                }
            )
    elif "segment_id" in columns and rows:
        names = {s["segment_id"]: shown_name(s) for s in data.segments}
        for column in columns:
            values = [r[column] for r in rows]
            if column == "segment_id" or not all(_is_number(v) for v in values):
                continue
            items = [
                (names.get(r["segment_id"], f"Segment {r['segment_id']}"), float(r[column]))
                for r in rows
            ]
            charts.append(
                {
                    "title": f"{label(column)} by segment",
                    "svg": bar_chart_svg(
                        items,
                        value_text=_figure,
                        colours=[PALETTE[6]],
                        description=f"{label(column)} by segment",
                        width=370 + label_room([name for name, _ in items], 190),
                        label_width=label_room([name for name, _ in items], 190),
                        bar_height=18,
                    ),
                }
            )
    return {
        "columns": [label(c) for c in columns],
        "rows": [[_cell(r[c]) for c in columns] for r in rows[:50]],
        "charts": charts,
        "by_candidates": "n_clusters" in columns,
    }


def report_context(data: ReportData) -> dict[str, Any]:
    """Everything the template shows, as text and SVG."""
    total_users = sum(s["users"] for s in data.segments)
    radar_segments = {m["segment_id"] for m in data.metrics if m["is_clustering_feature"]}
    return {
        "run_id": data.publication.get("published_run_id", "unknown"),
        "published_at": str(data.publication.get("published_at", "unknown"))[:19],
        "suppressed_segments": data.publication.get("suppressed_segments") or 0,
        "total_users": f"{total_users:,}",
        "caveat": segmentation_caveat(data),
        "segment_count": len(data.segments),
        "legend": [
            {"name": shown_name(s), "colour": colour(i), "position": i}
            for i, s in enumerate(data.segments)
            if s["segment_id"] in radar_segments
        ],
        "sizes": segment_sizes_chart(data),
        "radar": radar_chart(data),
        "radar_axes": radar_axes(data),
        "cards": segment_cards(data),
        "heatmap": interest_heatmap(data),
        "demographics": distribution_charts(data, DEMOGRAPHICS + MORE_DEMOGRAPHICS),
        "behaviours": distribution_charts(data, BEHAVIOURS),
        "quality": quality_section(data),
    }


def render_report(data: ReportData) -> str:
    """The report as one HTML document."""
    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("report.html.j2").render(**report_context(data))


GENERATOR_TAG = '<meta name="generator" content="segmentation report">'


def is_generated_report(path: Path) -> bool:
    """Whether the file at `path` is a page this module wrote (it carries GENERATOR_TAG)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return GENERATOR_TAG in handle.read(2048)
    except OSError:
        return False


def write_report(html: str, path: Path) -> Path:
    """Writes the page atomically (temporary file, then rename), never over a file it did not
    write. In a new or empty folder, or one the project owns, the folder is claimed (created and
    marked; see segmentation.outputs). Elsewhere, e.g. `--out ~/Desktop/segments.html`, it writes
    that one file, and replaces it later only if it is a report this module made."""
    folder = path.parent
    if not folder.is_dir() or not any(folder.iterdir()) or read_marker_kind(folder) == "report":
        return claim(folder, "report", "report folder (--out)").write_text(path.name, html)
    if path.exists() and not is_generated_report(path):
        raise OutputFolderError(
            f"--out {path}: the file exists and is not a report this project wrote; "
            "choose another file name."
        )
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        temporary.write_text(html, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def build_dir() -> Path:
    return Path(os.environ.get("SEGMENTATION_BUILD_DIR", "build"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", type=Path, default=None,
        help="published serving database (default: "
        "$SEGMENTATION_BUILD_DIR/published/serving.duckdb, "
        "else build/published/serving.duckdb)",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=Path, default=None,
        help="HTML file to write (default: build/report/segmentation_report.html)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    database = args.db or build_dir() / "published" / "serving.duckdb"
    out = args.out or build_dir() / "report" / "segmentation_report.html"
    if not database.exists():
        parser.error(f"{database} does not exist: run `make build` (or `dbt build`) first")
    with duckdb.connect(str(database), read_only=True) as connection:
        data = load_report_data(connection)
    try:
        path = write_report(render_report(data), out)
    except OutputFolderError as error:
        parser.exit(1, f"No report written: {error}\n")
    print(f"Report: {path.resolve()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

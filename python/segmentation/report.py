"""The segmentation report: one self-contained HTML page from the published serving database.

    python -m segmentation.report [--db build/published/serving.duckdb]
                                  [--out build/report/segmentation_report.html]

It reads only what was published (read-only, so it never blocks or sees a build in progress)
and works offline: each chart is a Vega-Lite specification (built with Altair) drawn in the
browser by the Vega runtime, which the page carries inline (vl-convert's bundle of Vega,
Vega-Lite and vega-embed); the page's own small script (it draws the charts, then marks <body>
once they are in place) is inline too, with no fonts, styles or scripts from the network.
Sections: segment sizes; a radar chart of the segments' indexes on the clustering features; a
card per segment; an interest-lift heatmap; the user base's demographic and behaviour
distributions; quality and stability, when a ``rpt_segmentation_quality`` table was published;
campaign results, from ``fct_campaign_lift`` (README "Measuring a campaign"): per campaign, the
conversion lift of each segment with its 95% interval, and the verdicts in a table.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from importlib import metadata
from pathlib import Path
from typing import Any

import altair as alt
import duckdb
import vl_convert
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from segmentation.catalogue import load as load_catalogue
from segmentation.naming import label as naming_label
from segmentation.naming import run_caveat
from segmentation.outputs import OutputFolderError, claim, read_marker_kind

TEMPLATES = Path(__file__).parent / "templates"
QUALITY_TABLE = "rpt_segmentation_quality"
#: The lift mart, published from pub_fct_campaign_lift (optional: an older serving database, or
#: one published before any campaign was measured, has none).
LIFT_TABLE = "fct_campaign_lift"
REQUIRED_TABLES = (
    "publication",
    "dim_segments",
    "fct_segment_interests",
    "fct_segment_metric_indexes",
    "rpt_segment_recommendations",
    "rpt_user_base_distributions",
)
#: Categorical colours, distinguishable and readable on white (Tableau 10).
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip
NEUTRAL = "#9aa5b1"
#: Interest lift colours: ½× or less, 1×, 2× or more; and a cell with no lift.
LIFT_COLOURS = ("#4e79a7", "#ffffff", "#f28e2b")
NO_LIFT = "#f1f3f5"
#: A campaign's verdicts (fct_campaign_lift.verdict), in the order the report explains them,
#: with the colour of a segment's point and interval: green lift, red negative lift, grey no
#: detectable lift, light grey too small to tell.
VERDICT_COLOURS = {
    "lift": "#59a14f",
    "negative lift": "#e15759",
    "no detectable lift": "#7b8794",
    "too small to tell": "#bab0ac",
}
#: The width of a lift chart's plot, in pixels (the verdicts are written right of it).
LIFT_PLOT_WIDTH = 460
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


# --- Charts ----------------------------------------------------------------------------------
# Each chart is a Vega-Lite specification built with Altair; the page inlines the Vega runtime
# (vl-convert's bundle of Vega, Vega-Lite and vega-embed), which draws them as SVG in the browser.


@dataclass(frozen=True)
class Chart:
    """One chart of the page: its kind (for tests and the page's own check), what it shows,
    and its Vega-Lite specification, data inline."""

    kind: str
    description: str
    spec: dict[str, Any]

    def __html__(self) -> str:
        # Inside a <script> element only "</script>" or "<!--" could end it early: JSON's \u
        # escapes keep every "<", ">" and "&" of the names out of the markup.
        text = json.dumps(self.spec, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return (
            f'<div class="chart" data-chart="{escape(self.kind)}" role="img" '
            f'aria-label="{escape(self.description)}">'
            f'<script type="application/json">{text}</script></div>'
        )


def _chart(kind: str, description: str, chart: alt.TopLevelMixin) -> Chart:
    chart = chart.properties(description=description).configure_view(stroke=None)
    chart = chart.configure_axis(labelFontSize=12, labelColor="#1f2933", titleFontSize=12)
    return Chart(kind, description, chart.to_dict())


def _values(rows: Sequence[Mapping[str, Any]]) -> alt.Data:
    """Rows as inline data, NaN as null (JSON has no NaN)."""
    return alt.Data(
        values=[
            {
                key: None if isinstance(value, float) and math.isnan(value) else value
                for key, value in row.items()
            }
            for row in rows
        ]
    )


def _names_axis(size: int = 12) -> alt.Axis:
    """A band axis of names: whole names (no truncation), no ticks or line."""
    return alt.Axis(title=None, labelLimit=0, ticks=False, domain=False, labelFontSize=size)


def bar_chart(
    items: Sequence[tuple[str, float, str]],
    value_text: Callable[[float], str] = lambda v: _number(v),
    description: str = "bar chart",
    bar_height: int = 22,
    width: int = 440,
) -> Chart:
    """Horizontal bars, one per (label, value, colour), from 0, each with its value written
    at its end (a negative value at 0). Labels must be distinct (one band each)."""
    rows = [
        {"label": name, "value": value, "text": value_text(value), "colour": fill}
        for name, value, fill in items
    ]
    largest = max([0, *(row["value"] for row in rows)]) or 1
    # Room right of the longest bar for its value; a negative value (a silhouette can be one)
    # is a bar of length 0 with its value written.
    scale = alt.Scale(domain=[0, largest * 1.5], nice=False, clamp=True)
    base = alt.Chart(_values(rows)).encode(
        y=alt.Y("label:N", sort=None, axis=_names_axis(13)),
        x=alt.X("value:Q", axis=None, scale=scale),
    )
    bars = base.mark_bar(cornerRadiusEnd=3).encode(
        color=alt.Color("colour:N", scale=None),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("text:N", title="value")],
    )
    texts = base.mark_text(align="left", dx=6, fontSize=12, color="#52606d").encode(text="text:N")
    chart = (bars + texts).properties(width=width, height=alt.Step(bar_height + 8))
    return _chart("bar", description, chart)


def radar_rings(values: Sequence[float]) -> list[int]:
    """The rings of a radar of indexes: a round step, up to the largest value (at least 150),
    and always the population average, 100."""
    largest = max([150.0, *values])
    step = 50 if largest <= 250 else 100 if largest <= 600 else 250
    top = math.ceil(largest / step) * step
    rings = [*range(step, int(top) + 1, step)]
    return rings if 100 in rings else sorted([*rings, 100])


def radar_chart_spec(
    axes: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None], str]],
    description: str = "radar chart",
    size: int = 520,
) -> Chart:
    """Each series (name, values per axis, colour) as a closed line over the axes of indexes,
    on rings of index (100 = population average, dashed). A missing value is drawn at 0.
    Clicking a name in the legend hides or shows its series.

    Vega-Lite has no polar lines, so the points are placed here: axis `a` of `n` points up
    and then clockwise, at distance value / outer ring (the outer ring has radius 1)."""
    if len(axes) < 3:
        raise ValueError("a radar chart needs at least 3 axes")
    rings = radar_rings([v for _, vals, _ in series for v in vals if v is not None])
    top = rings[-1]

    def point(axis: int, value: float) -> tuple[float, float]:
        angle = math.pi / 2 - 2 * math.pi * axis / len(axes)
        distance = max(value, 0) / top
        return round(distance * math.cos(angle), 6), round(distance * math.sin(angle), 6)

    closed = [*range(len(axes)), 0]  # each shape ends where it started
    rings_drawn = [
        {"ring": ring, "order": n, "x": x, "y": y, "average": ring == 100}
        for ring in rings
        for n, a in enumerate(closed)
        for x, y in [point(a, ring)]
    ]
    spokes = [
        {"x": 0.0, "y": 0.0, "x2": x, "y2": y}
        for x, y in map(point, range(len(axes)), [top] * len(axes))
    ]
    labels = []
    for a, name in enumerate(axes):
        x, y = point(a, top * 1.1)
        labels.append(
            {
                "axis": name,
                "x": x,
                "y": y,
                "side": "center" if abs(x) < 0.05 else "left" if x > 0 else "right",
            }
        )
    shapes = [
        {
            "segment": name,
            "order": n,
            "axis": axes[a],
            "index": "–" if vals[a] is None else _number(vals[a]),
            "x": x,
            "y": y,
        }
        for name, vals, _ in series
        for n, a in enumerate(closed)
        for x, y in [point(a, vals[a] or 0)]
    ]
    # Every series shown at first; a click on a name in the legend hides it, another shows it.
    names, colours = [name for name, *_ in series], [fill for *_, fill in series]
    shown = alt.selection_point(
        name="shown_segments",
        fields=["segment"],
        bind="legend",
        toggle="true",
        empty=False,
        value=[{"segment": n} for n in names],
    )
    extent = alt.Scale(domain=[-1.45, 1.45], nice=False)
    at = {"x": alt.X("x:Q", axis=None, scale=extent), "y": alt.Y("y:Q", axis=None, scale=extent)}
    average = alt.datum.average
    layers = [
        alt.Chart(_values(rings_drawn)).mark_line(strokeWidth=1).encode(
            **at, detail="ring:N", order="order:Q",
            color=alt.when(average).then(alt.value("#7b8794")).otherwise(alt.value("#d9dee3")),
            strokeDash=alt.when(average).then(alt.value([5, 4])).otherwise(alt.value([1, 0]))),
        alt.Chart(_values(spokes)).mark_rule(color="#d9dee3").encode(**at, x2="x2:Q", y2="y2:Q"),
        alt.Chart(_values([r for r in rings_drawn if r["order"] == 0]))
        .mark_text(align="left", dx=4, dy=-6, fontSize=10, color="#7b8794")
        .encode(**at, text="ring:N"),
        *(alt.Chart(_values([r for r in labels if r["side"] == side]))
          .mark_text(align=side, fontSize=12, color="#1f2933").encode(**at, text="axis:N")
          for side in {r["side"]: None for r in labels}),
        alt.Chart(_values(shapes)).mark_line(strokeWidth=2.5, point={"filled": True, "size": 36})
        .encode(
            **at, detail="segment:N", order="order:Q",
            color=alt.Color("segment:N", scale=alt.Scale(domain=names, range=colours),
                            legend=alt.Legend(title=None, labelLimit=0, labelFontSize=13)),
            opacity=alt.when(shown).then(alt.value(1.0)).otherwise(alt.value(0.0)),
            tooltip=[alt.Tooltip("segment:N"), alt.Tooltip("axis:N", title="feature"),
                     alt.Tooltip("index:N")])
        .add_params(shown),
    ]  # fmt: skip
    chart = alt.layer(*layers).properties(width=size, height=size)
    return _chart("radar", description, chart)


def index_bars(
    items: Sequence[tuple[str, float | None]],
    fill: str,
    description: str = "indexes against the population",
) -> Chart:
    """Diverging bars from 100 (the population average) for (label, index) pairs, in the
    segment's colour above 100 and grey below; the scale runs from 0 to 200 and longer bars
    stop at its end (the written index is the true one)."""
    rows = [
        {"label": name, "index": index, "shown": "n/a" if index is None else _number(index),
         "end": None if index is None else max(min(index, 200.0), 0.0),
         "colour": NEUTRAL if index is not None and index < 100 else fill,
         "side": "none" if index is None else "above" if index >= 100 else "below"}
        for name, index in items
    ]  # fmt: skip
    scale = alt.Scale(domain=[0, 200], nice=False, clamp=True)
    base = alt.Chart().encode(y=alt.Y("label:N", sort=None, axis=_names_axis(11)))
    bars = (
        base.transform_filter("datum.index != null")
        .mark_bar(height=14, cornerRadius=2)
        .encode(
            x=alt.X("start:Q", scale=scale, axis=None),
            x2="end:Q",
            color=alt.Color("colour:N", scale=None),
            tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("shown:N", title="index")],
        )
        .transform_calculate(start="100")
    )
    texts = [
        base.transform_filter(f"datum.side == '{side}'")
        .mark_text(align=align, dx=dx, fontSize=11, color="#52606d")
        .encode(x=alt.X(field, type="quantitative", scale=scale, axis=None), text="shown:N")
        .transform_calculate(start="100")
        for side, align, dx, field in (
            ("above", "left", 4, "end"),
            ("below", "right", -4, "end"),
            ("none", "left", 4, "start"),
        )
        if any(row["side"] == side for row in rows)
    ]
    average = (
        alt.Chart(_values([{"x": 100}]))
        .mark_rule(color="#7b8794")
        .encode(x=alt.X("x:Q", scale=scale, axis=None))
    )
    chart = alt.layer(average, bars, *texts, data=_values(rows)).properties(
        width=380, height=alt.Step(20)
    )
    return _chart("index-bars", description, chart)


def heatmap(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Mapping[tuple[str, str], float],
    description: str = "interest lift heatmap",
) -> Chart:
    """A grid of lifts (row = segment, column = interest), coloured on a log scale: white at 1,
    orange above (2× and more: full), blue below (½× and less: full); grey where no value."""
    cells = []
    for row in rows:
        for column in columns:
            lift = values.get((row, column))
            strong = lift is not None and lift > 0 and abs(math.log2(lift)) > 0.6
            cells.append(
                {"segment": row, "interest": column, "lift": lift if lift and lift > 0 else None,
                 "shown": "–" if lift is None else f"{lift:.2f}", "strong": strong,
                 "tip": "not listed" if lift is None else f"lift {lift:.2f}"}
            )  # fmt: skip
    lift_scale = alt.Scale(type="log", base=2, domain=[0.5, 1, 2], range=LIFT_COLOURS, clamp=True)
    base = alt.Chart(_values(cells)).encode(
        x=alt.X("interest:N", sort=list(columns), axis=alt.Axis(
            title=None, orient="top", labelAngle=-45, labelLimit=0, ticks=False, domain=False)),
        y=alt.Y("segment:N", sort=list(rows), axis=_names_axis(13)),
    )  # fmt: skip
    fill = (
        alt.when("datum.lift != null")
        .then(alt.Color("lift:Q", scale=lift_scale, legend=None))
        .otherwise(alt.value(NO_LIFT))
    )
    tiles = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=fill,
        tooltip=[
            alt.Tooltip("segment:N", title="segment"),
            alt.Tooltip("interest:N", title="interest"),
            alt.Tooltip("tip:N", title=" "),
        ],
    )
    texts = base.mark_text(fontSize=11).encode(
        text="shown:N",
        color=alt.when(alt.datum.strong).then(alt.value("white")).otherwise(alt.value("#1f2933")),
    )
    chart = (tiles + texts).properties(width=alt.Step(58), height=alt.Step(34))
    return _chart("heatmap", description, chart)


def histogram(
    bins: Sequence[tuple[float, float, int]],
    value_format: tuple[str, str],
    fill: str = PALETTE[0],
    description: str = "histogram",
) -> Chart:
    """Vertical bars of (lower, upper, users) bins; the axis shows the range's ends and middle
    and the largest count. `value_format` is (d3/Python format spec, unit suffix), e.g.
    (".1f", " h")."""
    spec, suffix = value_format
    rows = [
        {"lower": lower, "upper": upper, "users": users,
         "range": f"{lower:{spec}}{suffix} to {upper:{spec}}{suffix}"}
        for lower, upper, users in bins
    ]  # fmt: skip
    ends = [bins[0][0], (bins[0][0] + bins[-1][1]) / 2, bins[-1][1]] if bins else []
    largest = max((users for *_, users in bins), default=0)
    unit = suffix.replace("'", "\\'")
    chart = (
        alt.Chart(_values(rows))
        .mark_rect(color=fill, stroke="white", strokeWidth=1)
        .encode(
            x=alt.X(
                "lower:Q",
                title=None,
                scale=alt.Scale(nice=False, zero=False),
                axis=alt.Axis(
                    values=ends, grid=False, labelExpr=f"format(datum.value, '{spec}') + '{unit}'"
                ),
            ),
            x2="upper:Q",
            y2=alt.datum(0),
            y=alt.Y(
                "users:Q", title=None, axis=alt.Axis(values=[0, largest], grid=False, format=",d")
            ),
            tooltip=[alt.Tooltip("range:N", title=" "), alt.Tooltip("users:Q", format=",d")],
        )  # fmt: skip
        .properties(width=470, height=150)
    )
    return _chart("histogram", description, chart)


def _points(value: float | None, signed: bool = True) -> str:
    """A difference of two rates in percentage points, e.g. "+3.1 pts", "−0.4 pts" (a minus
    sign, as the chart's axis writes it); unsigned for a size such as the MDE."""
    if _missing(value):
        return "–"
    text = f"{abs(value) * 100:.1f} pts"
    if not signed or round(abs(value) * 100, 1) == 0:
        return text
    return ("+" if value > 0 else "−") + text


def lift_interval_chart(
    rows: Sequence[Mapping[str, Any]], description: str = "conversion lift per segment"
) -> Chart:
    """One line per segment (rows of segment, lift, lower, upper, verdict; rates' differences
    as fractions, None where a segment has no measure): the 95% interval as a bar from its lower
    to its upper end, the lift as a point on it, both in the verdict's colour, against a dashed
    line at 0 (no effect), with the verdict written right of the plot. The axis is in
    percentage points."""
    drawn = [
        {
            "segment": row["segment"],
            "lift": None if _missing(row["lift"]) else round(row["lift"] * 100, 6),
            "lower": None if _missing(row["lower"]) else round(row["lower"] * 100, 6),
            "upper": None if _missing(row["upper"]) else round(row["upper"] * 100, 6),
            "verdict": row["verdict"],
            "colour": VERDICT_COLOURS.get(row["verdict"], NEUTRAL),
            "lift_text": _points(row["lift"]),
            "interval_text": "–"
            if _missing(row["lower"]) or _missing(row["upper"])
            else f"{_points(row['lower'])} to {_points(row['upper'])}",
        }
        for row in rows
    ]
    ends = [v for row in drawn for v in (row["lower"], row["upper"], row["lift"]) if v is not None]
    # 0 always in view (the line every interval is read against), with room either side.
    low, high = min([0.0, *ends]), max([0.0, *ends])
    margin = (high - low) * 0.08 or 1.0
    scale = alt.Scale(domain=[low - margin, high + margin], nice=False, zero=False)
    x_axis = alt.Axis(title="Conversion lift, treatment − control (percentage points)",
                      labelExpr="datum.value == 0 ? '0' : format(datum.value, '+~g')",
                      tickCount=8, grid=True, gridColor="#eef1f4")  # fmt: skip
    # The segments in the given order, those without a measure too (no layer but the verdicts'
    # has them, and a band scale would put them last).
    y = alt.Y("segment:N", sort=[row["segment"] for row in drawn], axis=_names_axis(13))
    tooltip = [
        alt.Tooltip("segment:N", title="segment"),
        alt.Tooltip("lift_text:N", title="lift"),
        alt.Tooltip("interval_text:N", title="95% interval"),
        alt.Tooltip("verdict:N", title="verdict"),
    ]
    colour = alt.Color("colour:N", scale=None)
    intervals = (
        alt.Chart()
        .transform_filter("datum.lower != null")
        .mark_rule(strokeWidth=3, strokeCap="round")
        .encode(y=y, x=alt.X("lower:Q", scale=scale, axis=x_axis), x2="upper:Q", color=colour,
                tooltip=tooltip)
    )  # fmt: skip
    points = (
        alt.Chart()
        .transform_filter("datum.lift != null")
        .mark_point(filled=True, size=90, opacity=1)
        .encode(y=y, x=alt.X("lift:Q", scale=scale, axis=x_axis), color=colour, tooltip=tooltip)
    )
    verdicts = (
        alt.Chart()
        .mark_text(align="left", dx=12, fontSize=12, color="#1f2933")
        .encode(y=y, x=alt.value(LIFT_PLOT_WIDTH), text="verdict:N")
    )
    zero = (
        alt.Chart(_values([{"x": 0.0}]))
        .mark_rule(color="#52606d", strokeDash=[4, 3])
        .encode(x=alt.X("x:Q", scale=scale, axis=x_axis))
    )
    chart = alt.layer(zero, intervals, points, verdicts, data=_values(drawn)).properties(
        width=LIFT_PLOT_WIDTH, height=alt.Step(30)
    )
    return _chart("lift-intervals", description, chart)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


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
    #: fct_campaign_lift's rows, or None when the serving database has no such table.
    campaign_lift: list[dict[str, Any]] | None = None


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
        for r in _records(
            connection, "select * from rpt_segment_recommendations order by segment_id"
        )
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
            connection,
            "select * from fct_segment_metric_indexes order by segment_id, metric_position",
        ),
        recommendations=recommendations,
        interests=_records(
            connection, "select * from fct_segment_interests order by segment_id, interest_rank"
        ),
        distributions=_records(
            connection,
            "select * from rpt_user_base_distributions order by attribute_name, value_position",
        ),
        quality=quality,
        quality_columns=quality_columns or [],
        campaign_lift=_records(
            connection, f"select * from {LIFT_TABLE} order by campaign_key, segment_id"
        )
        if LIFT_TABLE in present
        else None,
    )


# --- Page ----------------------------------------------------------------------------------------


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _index(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _histogram_format(attribute: str) -> tuple[str, str]:
    """(format spec, unit) of a behaviour's values: the same in Python and in the browser."""
    if attribute in ("click_through_rate", "conversion_rate"):
        return ".3f", ""
    if attribute == "ad_interaction_seconds":
        return ".0f", " s"
    return ".1f", " h"


def segment_sizes_chart(data: ReportData) -> Chart:
    total = sum(s["users"] for s in data.segments) or 1
    return bar_chart(
        [(shown_name(s), float(s["users"]), colour(i)) for i, s in enumerate(data.segments)],
        value_text=lambda v: f"{v:,.0f} users ({v / total:.1%})",
        description="Users per segment",
        bar_height=26,
    )


def radar_chart(data: ReportData) -> Chart | None:
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
    return radar_chart_spec(
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


def interest_heatmap(data: ReportData) -> Chart | None:
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
    return heatmap(rows, columns, values, description="Interest lift by segment")


def distribution_charts(data: ReportData, attributes: Sequence[str]) -> list[dict[str, Any]]:
    """One chart per attribute present: bars for a trait, a histogram for a metric."""
    charts = []
    for position, attribute in enumerate(attributes):
        rows = [d for d in data.distributions if d["attribute_name"] == attribute]
        if not rows:
            continue
        if rows[0]["distribution_kind"] == "histogram":
            chart = histogram(
                [(r["bin_lower"], r["bin_upper"], r["users"]) for r in rows],
                _histogram_format(attribute),
                fill=PALETTE[(position + 4) % len(PALETTE)],
                description=f"Distribution of {label(attribute)}",
            )
        else:
            total = sum(r["users"] for r in rows) or 1
            fill = PALETTE[position % len(PALETTE)]
            chart = bar_chart(
                [(r["value_label"], float(r["users"]), fill) for r in rows],
                value_text=lambda v, total=total: f"{v:,.0f} ({v / total:.0%})",
                description=f"Users by {label(attribute)}",
                bar_height=18,
            )
        charts.append({"title": label(attribute), "chart": chart})
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
                "indexes": index_bars(
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
                    "chart": bar_chart(
                        [
                            (
                                f"{r['n_clusters']} segments",
                                float(r[metric]),
                                PALETTE[1] if chosen else NEUTRAL,
                            )
                            for r, chosen in zip(rows, selected, strict=True)
                        ],  # fmt: skip
                        value_text=_figure,
                        description=f"{label(metric)} by number of segments",
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
                (
                    names.get(r["segment_id"], f"Segment {r['segment_id']}"),
                    float(r[column]),
                    PALETTE[6],
                )
                for r in rows
            ]
            charts.append(
                {
                    "title": f"{label(column)} by segment",
                    "chart": bar_chart(
                        items,
                        value_text=_figure,
                        description=f"{label(column)} by segment",
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


def _rate_percent(value: float | None) -> str:
    return "–" if _missing(value) else f"{value:.1%}"


def _p_value(value: float | None) -> str:
    if _missing(value):
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _relative(value: float | None) -> str:
    if _missing(value):
        return "–"
    return f"{value:+.0%}".replace("-", "−")


def campaign_sections(data: ReportData) -> list[dict[str, Any]]:
    """One entry per campaign in the lift mart, in campaign key order: its users measured per
    arm, the lift chart and the table of its segments (in segment order). Empty when no lift
    table was published or it has no rows."""
    names = {s["segment_id"]: s for s in data.segments}
    campaigns: dict[str, list[dict[str, Any]]] = {}
    for row in data.campaign_lift or []:
        campaigns.setdefault(row["campaign_key"], []).append(row)
    sections = []
    for key in sorted(campaigns):
        rows = sorted(campaigns[key], key=lambda r: r["segment_id"])
        shown = []
        for row in rows:
            # The qualifier of the segment's name when the published segment is the one measured.
            segment = names.get(row["segment_id"])
            same = segment is not None and segment["segment_name"] == row["segment_name"]
            shown.append(shown_name(segment) if same else row["segment_name"])
        verdicts = [row["verdict"] for row in rows]
        sections.append(
            {
                "key": key,
                "treatment_users": f"{sum(r['treatment_users'] or 0 for r in rows):,}",
                "control_users": f"{sum(r['control_users'] or 0 for r in rows):,}",
                "verdict_counts": [
                    {"verdict": verdict, "segments": verdicts.count(verdict)}
                    for verdict in VERDICT_COLOURS
                    if verdict in verdicts
                ],
                "chart": lift_interval_chart(
                    [
                        {
                            "segment": name,
                            "lift": r["conversion_lift"],
                            "lower": r["conversion_lift_ci_lower"],
                            "upper": r["conversion_lift_ci_upper"],
                            "verdict": r["verdict"],
                        }
                        for name, r in zip(shown, rows, strict=True)
                    ],
                    description=f"Campaign {key}: conversion lift per segment, 95% interval",
                ),  # fmt: skip
                "rows": [
                    {
                        "segment": name,
                        "colour": VERDICT_COLOURS.get(r["verdict"], NEUTRAL),
                        "treatment_users": f"{r['treatment_users'] or 0:,}",
                        "control_users": f"{r['control_users'] or 0:,}",
                        "treatment_rate": _rate_percent(r["treatment_conversion_rate"]),
                        "control_rate": _rate_percent(r["control_conversion_rate"]),
                        "lift": _points(r["conversion_lift"]),
                        "relative_lift": _relative(r.get("conversion_relative_lift")),
                        "interval": "–"
                        if _missing(r["conversion_lift_ci_lower"])
                        or _missing(r["conversion_lift_ci_upper"])
                        else f"{_points(r['conversion_lift_ci_lower'])} to "
                        f"{_points(r['conversion_lift_ci_upper'])}",
                        "p_value": _p_value(r["conversion_lift_p_value"]),
                        "mde": _points(r["minimum_detectable_effect"], signed=False),
                        "verdict": r["verdict"],
                    }
                    for name, r in zip(shown, rows, strict=True)
                ],
            }
        )
    return sections


def vega_bundle_path() -> Path:
    """Where `make setup` keeps the Vega bundle of the installed vl-convert, in the environment
    it belongs to (a new version of vl-convert is a new file)."""
    version = metadata.version("vl-convert-python")
    return Path(sys.prefix) / "share" / "segmentation" / f"vega-bundle-{version}.js"


def store_vega_bundle() -> Path:
    """Builds the Vega bundle and keeps it beside the installed packages (run by `make
    setup`): vl-convert takes seconds to bundle, reading the file takes milliseconds."""
    path = vega_bundle_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        temporary.write_text(vl_convert.javascript_bundle(), encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


@functools.cache
def vega_script() -> Markup:
    """The Vega runtime (Vega, Vega-Lite and vega-embed, as one script) from the pinned
    vl-convert package: the bundle `make setup` kept, else bundled now (once per process)."""
    path = vega_bundle_path()
    script = path.read_text(encoding="utf-8") if path.is_file() else vl_convert.javascript_bundle()
    if "</script" in script.lower() or "<!--" in script:
        raise ValueError("the Vega bundle would end its <script> element early")
    return Markup(script)


def report_context(data: ReportData) -> dict[str, Any]:
    """Everything the template shows, as text and charts."""
    total_users = sum(s["users"] for s in data.segments)
    return {
        "run_id": data.publication.get("published_run_id", "unknown"),
        "published_at": str(data.publication.get("published_at", "unknown"))[:19],
        "suppressed_segments": data.publication.get("suppressed_segments") or 0,
        "total_users": f"{total_users:,}",
        "caveat": segmentation_caveat(data),
        "segment_count": len(data.segments),
        "sizes": segment_sizes_chart(data),
        "radar": radar_chart(data),
        "radar_axes": radar_axes(data),
        "cards": segment_cards(data),
        "heatmap": interest_heatmap(data),
        "demographics": distribution_charts(data, DEMOGRAPHICS + MORE_DEMOGRAPHICS),
        "behaviours": distribution_charts(data, BEHAVIOURS),
        "quality": quality_section(data),
        "campaigns": campaign_sections(data),
        "verdict_colours": VERDICT_COLOURS,
        "lift_colours": LIFT_COLOURS,
        "vega_script": vega_script(),
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

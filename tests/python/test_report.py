"""The HTML report: its charts as pure functions, the page from a serving database, and the page
as a browser shows it (headless Chromium)."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from conftest import PROJECT_DIR
from lift_fixture import create_lift_table, lift_rows
from readme_spec import qualifier
from segmentation import report
from segmentation.outputs import OutputFolderError
from segmentation.report import (
    GENERATOR_TAG,
    NEUTRAL,
    NO_LIFT,
    PALETTE,
    Chart,
    ReportData,
    bar_chart,
    campaign_sections,
    heatmap,
    histogram,
    index_bars,
    lift_interval_chart,
    load_report_data,
    main,
    quality_section,
    radar_axes,
    radar_chart_spec,
    radar_rings,
    render_report,
    store_vega_bundle,
    vega_bundle_path,
    vega_script,
    write_report,
)
from test_publish import CampaignBuild, build_campaigns

CHROMIUM = shutil.which("chromium")
# Screenshots go beside the build's own output, for a person to look at.
SCREENSHOT_DIR = Path(os.environ.get("SEGMENTATION_BUILD_DIR", PROJECT_DIR / "build")) / "report"


# --- Charts ---


def chart_json(chart: Chart) -> str:
    """The JSON a chart carries in the page, as a browser reads it."""
    html = chart.__html__()
    return re.search(r'<script type="application/json">(.*?)</script>', html, re.S).group(1)


def page_charts(html: str) -> list[tuple[str, dict]]:
    """(kind, Vega-Lite specification) of every chart in a page, in page order."""
    return [
        (kind, json.loads(text))
        for kind, text in re.findall(
            r'<div class="chart" data-chart="([a-z-]+)"[^>]*>'
            r'<script type="application/json">(.*?)</script></div>',
            html,
            re.S,
        )
    ]


def layer(spec: dict, mark: str, number: int = 0) -> tuple[list[dict], dict]:
    """The data rows and the spec of the `number`-th layer drawing `mark`, with the rows its
    filters keep (the filters used here compare a field with a literal)."""
    layers = [part for part in spec.get("layer", [spec]) if part["mark"]["type"] == mark]
    part = layers[number]
    rows = (part.get("data") or spec["data"])["values"]
    for step in part.get("transform", []):
        if "filter" in step:
            field, operator, literal = re.fullmatch(
                r"datum\.(\w+) (==|!=) (.+)", step["filter"]
            ).groups()
            value = None if literal == "null" else literal.strip("'")
            rows = [row for row in rows if (row[field] == value) is (operator == "==")]
    return rows, part


def test_bars_start_at_zero_in_the_given_order_and_names_stay_text():
    chart = bar_chart(
        [("<b>A</b>", 10, PALETTE[0]), ("B & C", 40, PALETTE[1]), ("D", 0, PALETTE[2])],
        description="sizes",
    )
    rows, bars = layer(chart.spec, "bar")
    assert [(row["label"], row["value"], row["colour"]) for row in rows] == [
        ("<b>A</b>", 10, PALETTE[0]),
        ("B & C", 40, PALETTE[1]),
        ("D", 0, PALETTE[2]),
    ]
    x = bars["encoding"]["x"]
    # Lengths proportional to the values: a linear scale from 0, long enough for the largest.
    assert x["scale"]["domain"][0] == 0 and x["scale"]["domain"][1] >= 40
    assert x["scale"].get("type", "linear") == "linear"
    assert bars["encoding"]["y"]["sort"] is None  # the given order, not alphabetical
    assert bars["encoding"]["y"]["axis"]["labelLimit"] == 0  # whole names
    texts, _ = layer(chart.spec, "text")
    assert [row["text"] for row in texts] == ["10", "40", "0"]
    # A negative value (a silhouette can be one) stays at 0 instead of crossing the names.
    negative = bar_chart([("a", -0.2, PALETTE[0]), ("b", 0.4, PALETTE[0])])
    scale = layer(negative.spec, "bar")[1]["encoding"]["x"]["scale"]
    assert scale["clamp"] is True and scale["domain"][0] == 0 and scale["domain"][1] >= 0.4
    # In the page: the names are JSON text, never markup.
    assert "<b>" not in chart.__html__() and "B & C" not in chart.__html__()
    assert json.loads(chart_json(chart))["data"]["values"][0]["label"] == "<b>A</b>"
    assert 'data-chart="bar"' in chart.__html__() and 'aria-label="sizes"' in chart.__html__()


def test_radar_draws_each_series_over_the_average_ring():
    axes = ["one", "two", "three", "four"]
    chart = radar_chart_spec(
        axes,
        [("flat", [100, 100, 100, 100], PALETTE[0]), ("peak", [300, 50, None, 100], PALETTE[1])],
    )
    rings, ring_layer = layer(chart.spec, "line", 0)
    series, line_layer = layer(chart.spec, "line", 1)
    average = [
        (r["x"], r["y"]) for r in sorted(rings, key=lambda r: r["order"]) if r["ring"] == 100
    ]
    flat = [
        (r["x"], r["y"]) for r in sorted(series, key=lambda r: r["order"]) if r["segment"] == "flat"
    ]
    # The series at 100 everywhere lies exactly on the average ring, a closed shape.
    assert flat == average and flat[0] == flat[-1] and len(flat) == len(axes) + 1
    (dashed,) = ring_layer["encoding"]["strokeDash"]["condition"]
    assert dashed["test"] == "datum.average" and ring_layer["encoding"]["strokeDash"]["value"] == [
        1,
        0,
    ]
    # The ring scale reaches the largest value (300), so nothing is drawn off the chart.
    assert max(r["ring"] for r in rings) >= 300
    # Each segment in its colour, in the legend.
    scale = line_layer["encoding"]["color"]["scale"]
    assert scale == {"domain": ["flat", "peak"], "range": [PALETTE[0], PALETTE[1]]}
    with pytest.raises(ValueError, match="3 axes"):
        radar_chart_spec(["a", "b"], [])


def test_a_click_in_the_radar_legend_hides_or_shows_a_segment():
    chart = radar_chart_spec(
        ["a", "b", "c"], [("s", [1, 2, 3], PALETTE[0]), ("t", [3, 2, 1], PALETTE[1])]
    )
    (param,) = (
        chart.spec["params"]
        if "params" in chart.spec
        else [p for part in chart.spec["layer"] for p in part.get("params", [])]
    )
    assert param["bind"] == "legend" and param["select"]["toggle"] == "true"
    # All shown at first.
    assert param["value"] == [{"segment": "s"}, {"segment": "t"}]
    _, lines = layer(chart.spec, "line", 1)
    hidden = lines["encoding"]["opacity"]
    (shown,) = hidden["condition"]
    assert shown["param"] == param["name"] and shown["value"] == 1 and hidden["value"] == 0


def test_radar_rings_stay_few_for_large_indexes():
    assert radar_rings([900, 100, 50]) == [100, 250, 500, 750, 1000]
    assert radar_rings([120]) == [50, 100, 150]
    chart = radar_chart_spec(["a", "b", "c"], [("s", [900, 100, 50], PALETTE[0])])
    labels, _ = layer(chart.spec, "text", 0)
    assert [row["ring"] for row in labels] == [100, 250, 500, 750, 1000]


def test_radar_points_are_at_the_right_distance():
    chart = radar_chart_spec(["a", "b", "c"], [("s", [150, 75, 0], PALETTE[0])])
    rings, _ = layer(chart.spec, "line", 0)
    series, _ = layer(chart.spec, "line", 1)
    radius_100 = math.hypot(*next((r["x"], r["y"]) for r in rings if r["ring"] == 100))
    distances = [math.hypot(r["x"], r["y"]) for r in sorted(series, key=lambda r: r["order"])]
    assert distances[0] == pytest.approx(1.5 * radius_100, abs=1e-6)
    assert distances[1] == pytest.approx(0.75 * radius_100, abs=1e-6)
    assert distances[2] == pytest.approx(0.0, abs=1e-6)
    # The first axis points up.
    first = min(series, key=lambda r: r["order"])
    assert first["x"] == pytest.approx(0, abs=1e-6) and first["y"] > 0


def test_index_bars_diverge_from_the_average():
    chart = index_bars([("up", 150), ("down", 50), ("far", 420), ("missing", None)], PALETTE[2])
    bars, bar_layer = layer(chart.spec, "bar")
    assert [row["label"] for row in bars] == ["up", "down", "far"]  # no bar for a missing index
    assert {"calculate": "100", "as": "start"} in bar_layer["transform"]
    assert bar_layer["encoding"]["x"]["field"] == "start"
    assert bar_layer["encoding"]["x2"]["field"] == "end"
    # From 100 to the index, within the 0-200 scale; the written index is the true one.
    assert [row["end"] for row in bars] == [150, 50, 200]
    assert bar_layer["encoding"]["x"]["scale"]["domain"] == [0, 200]
    assert [row["colour"] for row in bars] == [PALETTE[2], NEUTRAL, PALETTE[2]]
    written = [row["shown"] for part in range(3) for row in layer(chart.spec, "text", part)[0]]
    assert sorted(written) == sorted(["150", "50", "420", "n/a"])
    average, _ = layer(chart.spec, "rule")
    assert average == [{"x": 100}]


def test_lift_colours_diverge_around_one_on_a_log_scale():
    chart = heatmap(["Gamers"], ["Gaming", "Pets"], {("Gamers", "Gaming"): 2.5})
    _, tiles = layer(chart.spec, "rect")
    fill = tiles["encoding"]["color"]
    scale = fill["condition"]["scale"]
    # ½× or less full blue, 1× white, 2× or more full orange (the key above the heatmap).
    assert scale["type"] == "log" and scale["base"] == 2 and scale["clamp"] is True
    assert list(zip(scale["domain"], scale["range"], strict=True)) == [
        (0.5, "#4e79a7"), (1, "#ffffff"), (2, "#f28e2b"),
    ]  # fmt: skip
    assert fill["condition"]["test"] == "datum.lift != null" and fill["value"] == NO_LIFT


def test_heatmap_has_a_cell_per_segment_and_interest():
    chart = heatmap(
        ["Gamers", "Readers"],
        ["Gaming", "Reading", "Pets"],
        {("Gamers", "Gaming"): 2.5, ("Readers", "Reading"): 0.5},
    )
    cells, tiles = layer(chart.spec, "rect")
    assert len(cells) == 6
    assert [cell["shown"] for cell in cells] == ["2.50", "–", "–", "–", "0.50", "–"]
    assert [cell["strong"] for cell in cells] == [True, False, False, False, True, False]
    assert tiles["encoding"]["x"]["sort"] == ["Gaming", "Reading", "Pets"]
    assert tiles["encoding"]["y"]["sort"] == ["Gamers", "Readers"]


def test_histogram_bars_rise_from_zero_over_their_bins():
    chart = histogram([(0, 1, 10), (1, 2, 40), (2, 3, 0)], (".1f", " h"))
    rows, bars = layer(chart.spec, "rect")
    assert [(r["lower"], r["upper"], r["users"]) for r in rows] == [
        (0, 1, 10),
        (1, 2, 40),
        (2, 3, 0),
    ]
    encoding = bars["encoding"]
    assert (encoding["x"]["field"], encoding["x2"]["field"]) == ("lower", "upper")
    assert encoding["y"]["field"] == "users" and encoding["y2"] == {"datum": 0}
    assert encoding["x"]["axis"]["values"] == [0, 1.5, 3]
    assert encoding["y"]["axis"]["values"] == [0, 40]
    assert rows[1]["range"] == "1.0 h to 2.0 h"


# The verdict colours the report promises (its hint): green lift, red negative lift, grey the
# other two (darker for no detectable lift than for too small to tell).
GREEN, RED = "#59a14f", "#e15759"


def test_lift_intervals_span_lower_to_upper_with_the_point_at_the_lift():
    chart = lift_interval_chart(
        [
            {"segment": "<b>Up</b>", "lift": 0.06, "lower": 0.0448, "upper": 0.0752,
             "verdict": "lift"},
            {"segment": "Down", "lift": -0.02, "lower": -0.0285, "upper": -0.0115,
             "verdict": "negative lift"},
            {"segment": "Unmeasured", "lift": None, "lower": None, "upper": None,
             "verdict": "too small to tell"},
        ],
        description="Campaign x",
    )  # fmt: skip
    intervals, rule = layer(chart.spec, "rule", 1)
    points, point = layer(chart.spec, "point")
    # In percentage points: 0.0448 is 4.48 points; a segment without a measure has no bar.
    assert [r["segment"] for r in intervals] == ["<b>Up</b>", "Down"]
    assert [r["lower"] for r in intervals] == pytest.approx([4.48, -2.85])
    assert [r["upper"] for r in intervals] == pytest.approx([7.52, -1.15])
    assert (rule["encoding"]["x"]["field"], rule["encoding"]["x2"]["field"]) == ("lower", "upper")
    assert [r["segment"] for r in points] == ["<b>Up</b>", "Down"]
    assert [r["lift"] for r in points] == pytest.approx([6.0, -2.0])
    assert point["encoding"]["x"]["field"] == "lift"
    # The same x scale for the bars, the points and the line at 0, which is in view with
    # every interval's ends.
    zero, zero_rule = layer(chart.spec, "rule", 0)
    assert zero == [{"x": 0.0}] and zero_rule["encoding"]["x"]["field"] == "x"
    scale = rule["encoding"]["x"]["scale"]
    assert point["encoding"]["x"]["scale"] == scale == zero_rule["encoding"]["x"]["scale"]
    low, high = scale["domain"]
    assert low < -2.85 and high > 7.52
    # Colours by verdict; every segment, measured or not, has its verdict written.
    assert [r["colour"] for r in intervals] == [GREEN, RED]
    texts, text = layer(chart.spec, "text")
    assert [(r["segment"], r["verdict"]) for r in texts] == [
        ("<b>Up</b>", "lift"), ("Down", "negative lift"), ("Unmeasured", "too small to tell"),
    ]  # fmt: skip
    assert text["encoding"]["text"]["field"] == "verdict"
    # The given (segment) order, the unmeasured segment in its place too.
    assert rule["encoding"]["y"]["sort"] == ["<b>Up</b>", "Down", "Unmeasured"]
    assert rule["encoding"]["y"]["axis"]["labelLimit"] == 0
    assert [r["interval_text"] for r in texts] == ["+4.5 pts to +7.5 pts", "−2.9 pts to −1.1 pts",
                                                   "–"]  # fmt: skip
    assert "<b>" not in chart.__html__() and 'data-chart="lift-intervals"' in chart.__html__()


def test_a_lift_chart_of_only_unmeasured_segments_still_shows_0():
    chart = lift_interval_chart(
        [{"segment": "a", "lift": None, "lower": None, "upper": None,
          "verdict": "too small to tell"}]
    )  # fmt: skip
    _, rule = layer(chart.spec, "rule", 0)
    low, high = rule["encoding"]["x"]["scale"]["domain"]
    assert low < 0 < high


# --- The page ---


def sample_data(
    quality: bool = False, suppressed: bool = False, campaigns: bool = False
) -> ReportData:
    segments, metrics, recommendations, interests = [], [], {}, []
    names = ["Weekend <Warriors>", "Night Owls", "Bargain Hunters"]
    for segment_id, name in enumerate(names, start=1):
        small = suppressed and segment_id == 3
        segments.append(
            {
                "segment_id": segment_id, "segment_name": "Segment 3" if small else name,
                "description": None if small else f"Description of {name}",
                "users": 100 * segment_id, "share": segment_id / 6,
                "modal_gender": None if small else "Female", "modal_gender_share": 0.6,
                "is_below_privacy_floor": small,
            }
        )  # fmt: skip
        for position, metric in enumerate(
            [
                "weekday_hours_online",
                "weekend_hours_online",
                "click_through_rate",
                "conversion_rate",
            ]
        ):
            metrics.append(
                {
                    "segment_id": segment_id, "metric_name": metric, "metric_position": position,
                    "metric_index": 60.0 + 30 * segment_id + position,
                    "is_clustering_feature": metric != "conversion_rate",
                }
            )  # fmt: skip
        recommendations[segment_id] = {
            "segment_id": segment_id, "schedule_on": "weekends", "target_device_usage": "Tablet",
            "target_device_usage_index": 150.0, "top_interest_1": "Gaming",
            "top_interest_1_lift": 1.8, "recommendation": f"Schedule on weekends for {name}",
            "expected_click_through_rate": 0.15, "click_through_rate_index": 120.0,
            "population_click_through_rate": 0.125, "expected_conversion_rate": 0.05,
            "conversion_rate_index": 100.0, "population_conversion_rate": 0.05,
            "reachable_users": 100 * segment_id, "share_of_reachable_users": segment_id / 6,
        }  # fmt: skip
        interests.append(
            {"segment_id": segment_id, "interest_name": "Gaming", "lift": 0.5 * segment_id,
             "share_of_population": 0.3}
        )  # fmt: skip
    distributions = [
        {"attribute_name": "gender", "distribution_kind": "category", "value_label": value,
         "value_position": i, "users": users, "share": users / 600, "bin_lower": None,
         "bin_upper": None}
        for i, (value, users) in enumerate([("Male", 250), ("Female", 350)], start=1)
    ] + [
        {"attribute_name": "click_through_rate", "distribution_kind": "histogram",
         "value_label": "", "value_position": i, "users": users, "share": users / 600,
         "bin_lower": 0.1 * (i - 1), "bin_upper": 0.1 * i}
        for i, users in enumerate([100, 300, 200], start=1)
    ]  # fmt: skip
    return ReportData(
        publication={"published_run_id": "20250101T000000000000Z-abcdef12",
                     "published_at": "2025-01-01 00:00:00", "suppressed_segments": int(suppressed)},
        segments=segments, metrics=metrics, recommendations=recommendations,
        interests=interests, distributions=distributions,
        quality=[{"segment_id": 1, "silhouette": 0.31, "stable": "yes"},
                 {"segment_id": 2, "silhouette": 0.12, "stable": "no"}] if quality else None,
        quality_columns=["segment_id", "silhouette", "stable"] if quality else [],
        campaign_lift=lift_rows() if campaigns else None,
    )  # fmt: skip


def test_the_page_is_self_contained():
    html = render_report(sample_data())
    assert "<link" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html
    # The markup and styles fetch nothing (the Vega runtime's own "url(" refers to gradients
    # inside the SVG it draws: the browser test counts the page's requests).
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)
    assert "url(" not in markup
    # The Vega runtime is inline, and every chart's data is in its specification.
    assert "window.vegaEmbed=" in html
    charts = page_charts(html)
    assert charts and all('"url"' not in json.dumps(spec) for _, spec in charts)
    assert "&lt;Warriors&gt;" in html and "<Warriors>" not in html


@pytest.fixture()
def bundler(tmp_path, monkeypatch):
    """An environment of its own (sys.prefix) and a stand-in for vl-convert's bundler that
    counts its calls."""
    calls = []

    def bundle() -> str:
        calls.append(1)
        return f"window.vegaEmbed = null; /* bundle {len(calls)} */"

    monkeypatch.setattr(sys, "prefix", str(tmp_path / "env"))
    monkeypatch.setattr(report.vl_convert, "javascript_bundle", bundle)
    vega_script.cache_clear()
    yield calls
    vega_script.cache_clear()


def test_the_page_carries_the_bundle_setup_kept_else_bundles_once(bundler, tmp_path):
    assert not vega_bundle_path().exists()
    assert str(vega_script()).endswith("/* bundle 1 */") and str(vega_script()) == str(
        vega_script()
    )
    assert len(bundler) == 1  # once per process
    kept = store_vega_bundle()
    assert kept.is_relative_to(tmp_path / "env") and kept.read_text().endswith("/* bundle 2 */")
    assert [p.name for p in kept.parent.iterdir()] == [kept.name]  # no temporary file left
    vega_script.cache_clear()
    html = render_report(sample_data())
    assert "/* bundle 2 */" in html and len(bundler) == 2  # read, not bundled again


def test_a_bundle_that_would_end_its_script_element_is_refused(bundler, monkeypatch):
    monkeypatch.setattr(report.vl_convert, "javascript_bundle", lambda: "a = '</SCRIPT>';")
    with pytest.raises(ValueError, match="end its <script> element"):
        vega_script()


def test_the_page_has_every_section_and_chart():
    html = render_report(sample_data())
    for section in ("sizes", "profiles", "segments", "interests", "user-base"):
        assert f'id="{section}"' in html
    charts = [kind for kind, _ in page_charts(html)]
    # sizes, radar, three cards' index bars, heatmap, one category chart, one histogram
    assert sorted(charts) == sorted(
        ["bar", "radar", *["index-bars"] * 3, "heatmap", "bar", "histogram"]
    )
    assert html.count('class="card"') == 3
    assert "Schedule on weekends for Night Owls" in html
    assert 'id="quality"' not in html


def test_the_radar_lists_the_population_average_of_each_axis():
    data = sample_data()
    for metric in data.metrics:
        metric["population_avg"] = {"weekday_hours_online": 2.3162}.get(
            metric["metric_name"], 0.1197
        )
    axes = radar_axes(data)
    assert [a["label"] for a in axes] == ["Weekday hours", "Weekend hours", "Click-through rate"]
    assert [a["average"] for a in axes] == ["2.3", "0.120", "0.120"]
    assert "<dd>2.3</dd>" in render_report(data)


def test_the_quality_section_appears_only_when_published():
    html = render_report(sample_data(quality=True))
    assert 'id="quality"' in html
    assert "Silhouette" in html and "<td>0.31</td>" in html
    assert html.count('data-chart="bar"') == 3  # sizes, gender, silhouette by segment


def test_quality_by_candidate_count_charts_the_latest_run_and_marks_the_choice():
    data = sample_data()
    data.quality_columns = ["run_id", "n_clusters", "silhouette", "is_selected", "is_latest"]
    data.quality = [
        {"run_id": "old", "n_clusters": k, "silhouette": 0.9, "is_selected": k == 3,
         "is_latest": False}
        for k in (2, 3)
    ] + [
        {"run_id": "new", "n_clusters": k, "silhouette": s, "is_selected": k == 4,
         "is_latest": True}
        for k, s in ((5, 0.2), (4, 0.3))
    ]  # fmt: skip
    section = quality_section(data)
    assert [row[0] for row in section["rows"]] == ["new", "new"]
    (chart,) = section["charts"]
    bars, _ = layer(chart["chart"].spec, "bar")
    assert [(bar["label"], bar["text"]) for bar in bars] == [
        ("4 segments", "0.3"),
        ("5 segments", "0.2"),
    ]
    assert bars[0]["colour"] == PALETTE[1] and bars[1]["colour"] != PALETTE[1]


def test_a_segment_below_the_privacy_floor_shows_no_demographics():
    html = render_report(sample_data(suppressed=True))
    card = html[html.index("Segment 3</h3>") :]
    card = card[: card.index("</article>")]
    assert "Below the privacy floor" in card
    assert "Female" not in card and "Description of" not in card
    assert "1 segment(s) below the privacy floor" in html


# --- Campaign results (issue 17) ---


def campaign_table(html: str, key: str) -> list[list[str]]:
    """The cells of a campaign's lift table, row by row (markup inside a cell removed)."""
    article = re.search(rf'<article class="campaign" data-campaign="{key}">(.*?)</article>',
                        html, re.S).group(1)  # fmt: skip
    body = re.search(r"<tbody>(.*?)</tbody>", article, re.S).group(1)
    return [
        [unescape(re.sub(r"<[^>]+>", "", cell)).strip()
         for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]  # fmt: skip


def test_each_campaign_has_a_lift_chart_and_a_table_of_its_verdicts():
    html = render_report(sample_data(campaigns=True))
    assert 'id="campaigns"' in html and "No campaign results" not in html
    charts = [(kind, spec) for kind, spec in page_charts(html) if kind == "lift-intervals"]
    assert len(charts) == 2  # demo_launch, spring_sale
    # lift_fixture's rows, formatted by hand: rates in %, differences in percentage points.
    assert campaign_table(html, "demo_launch") == [
        ["Weekend Warriors", "9,000", "1,000",
         "11.0%", "5.0%", "+6.0 pts", "+120%", "+4.5 pts to +7.5 pts", "< 0.001", "2.1 pts",
         "lift"],
        ["Night Owls", "18,000", "2,000", "5.1%", "5.0%", "+0.1 pts", "+2%",
         "−0.9 pts to +1.1 pts", "0.850", "1.4 pts", "no detectable lift"],
        ["Bargain Hunters", "250", "25", "4.8%", "4.0%", "+0.8 pts", "+20%",
         "−7.2 pts to +8.8 pts", "0.860", "11.7 pts", "too small to tell"],
        ["Low-Key Users", "0", "0", "–", "–", "–", "–", "–", "–", "–", "too small to tell"],
        ["Silver Surfers", "400", "45", "3.0%", "8.9%", "−5.9 pts", "−66%",
         "−14.3 pts to +2.5 pts", "0.051", "11.8 pts", "too small to tell"],
    ]  # fmt: skip
    assert campaign_table(html, "spring_sale")[1] == [
        "Night Owls", "40", "10", "5.0%", "0.0%", "+5.0 pts", "–", "−1.8 pts to +11.8 pts",
        "0.460", "18.0 pts", "too small to tell",
    ]  # fmt: skip
    # Users per arm summed over the segments, and the verdicts counted.
    assert "27,650 treatment and 3,070 control users measured" in html
    assert "lift in 1, no detectable lift in 1, too small to tell in 3" in html
    assert "5,040 treatment and 5,010 control users measured" in html
    # The chart's segments are the table's, in segment order.
    rows, _ = layer(charts[0][1], "text")
    assert [r["segment"] for r in rows] == [
        "Weekend Warriors", "Night Owls", "Bargain Hunters", "Low-Key Users", "Silver Surfers",
    ]  # fmt: skip


def test_a_measured_segment_carries_its_qualifier_and_a_renamed_one_its_measured_name():
    data = with_trust(sample_data(campaigns=True), "none", [0.9, 0.9, 0.9])
    sections = {section["key"]: section for section in campaign_sections(data)}
    names = [row["segment"] for row in sections["demo_launch"]["rows"]]
    # Segment 1 is "Weekend <Warriors>" in the sample's dim_segments but was measured as
    # "Weekend Warriors" (re-fitted since): the measured name, without today's qualifier.
    # Segments 4 and 5 are not in dim_segments at all.
    assert names == [
        "Weekend Warriors", "Night Owls (no structure found)",
        "Bargain Hunters (no structure found)", "Low-Key Users", "Silver Surfers",
    ]  # fmt: skip


@pytest.mark.parametrize("lift", [None, []])
def test_without_campaign_results_the_section_says_so(lift):
    data = sample_data()
    data.campaign_lift = lift
    html = render_report(data)
    section = html[html.index('id="campaigns"') :]
    section = section[: section.index("</section>")]
    assert "No campaign results: no campaign has been measured yet." in section
    assert "<table" not in section and "lift-intervals" not in html


def with_trust(data: ReportData, verdict: str, jaccards: list[float | None]) -> ReportData:
    """The sample segments with a verdict, stabilities and README's qualifiers."""
    for segment, jaccard in zip(data.segments, jaccards, strict=True):
        segment |= {
            "structure_verdict": verdict,
            "stability_jaccard": jaccard,
            "is_unstable": jaccard is not None and jaccard < 0.75,
            "name_qualifier": qualifier(verdict, jaccard),
        }
    return data


def chart_names(html: str) -> dict[str, set[str]]:
    """Per kind of chart, the segment names its data shows."""
    names: dict[str, set[str]] = {}
    for kind, spec in page_charts(html):
        for part in spec.get("layer", [spec]):
            for row in (part.get("data") or spec.get("data") or {}).get("values", []):
                for key in ("label", "segment"):
                    if key in row:
                        names.setdefault(kind, set()).add(row[key])
    return names


def test_names_carry_their_qualifier_everywhere_they_are_shown():
    data = with_trust(sample_data(), "none", [0.5, 0.9, 0.6])
    html = render_report(data)
    night = "Night Owls (no structure found)"
    owls = "Weekend <Warriors> (no structure found, unstable)"
    # Sizes chart, radar legend and series, heatmap, card: each shows the qualified name.
    shown = chart_names(html)
    for kind in ("bar", "radar", "heatmap"):
        assert {night, owls} <= shown[kind], kind
    assert "Night Owls" not in shown["bar"] | shown["radar"] | shown["heatmap"]
    assert 'Night Owls <span class="qualifier">(no structure found)</span></h3>' in html
    banner = re.search(r'<p class="caveat" role="note">(.*?)</p>', html, re.S).group(1)
    assert "Caution: the segments are an arbitrary cut of a continuum" in banner
    assert "2 of 3 segments are unstable" in banner


@pytest.mark.parametrize(
    ("verdict", "jaccards", "banner"),
    [
        ("strong", [0.9, 0.8, 0.75], None),
        ("strong", [0.9, 0.8, 0.7], "1 of 3 segments are unstable"),
        ("weak", [0.9, 0.8, 0.75], "names say &#34;weak structure&#34;"),
        ("strong", [0.9, 0.8, None], "The stability of 1 of 3 segments was not measured."),
    ],
)
def test_the_banner_follows_the_verdict_and_stability(verdict, jaccards, banner):
    html = render_report(with_trust(sample_data(), verdict, jaccards))
    assert ('class="caveat"' in html) is (banner is not None)
    if banner:
        assert banner in html


def test_a_serving_database_without_qualifiers_shows_plain_names():
    html = render_report(sample_data())
    assert 'class="caveat"' not in html and 'class="qualifier"' not in html
    assert "Night Owls" in chart_names(html)["bar"]


def test_long_names_are_never_cut_in_the_charts():
    html = render_report(with_trust(sample_data(), "none", [0.5, 0.5, 0.5]))
    # Vega cuts axis and legend labels at 180 px unless told otherwise (labelLimit 0: no limit).
    limits = []
    for _, spec in page_charts(html):
        for part in spec.get("layer", [spec]):
            for channel in part.get("encoding", {}).values():
                if isinstance(channel, dict) and channel.get("type") == "nominal":
                    for guide in ("axis", "legend"):
                        if channel.get(guide):
                            limits.append(channel[guide].get("labelLimit"))
    assert limits and set(limits) == {0}


def _serving_database(path: Path, with_quality: bool, with_lift: bool = False) -> Path:
    data = sample_data(quality=with_quality)
    connection = duckdb.connect(str(path))
    if with_lift:
        create_lift_table(connection)
    connection.execute(
        "create table publication as select '20250101T000000000000Z-abcdef12' as published_run_id,"
        " timestamp '2025-01-01 00:00:00' as published_at, 0 as suppressed_segments"
    )
    tables = {
        "dim_segments": data.segments,
        "fct_segment_metric_indexes": data.metrics,
        "rpt_segment_recommendations": list(data.recommendations.values()),
        "rpt_user_base_distributions": data.distributions,
        "fct_segment_interests": [{**row, "interest_rank": 1} for row in data.interests],
    }
    if with_quality:
        tables["rpt_segmentation_quality"] = data.quality
    for name, rows in tables.items():
        connection.register("rows_frame", pd.DataFrame(rows))
        connection.execute(f"create table {name} as select * from rows_frame")
        connection.unregister("rows_frame")
    connection.close()
    return path


@pytest.mark.parametrize("with_quality", [False, True])
def test_load_report_data_reads_the_optional_quality_table(tmp_path, with_quality):
    database = _serving_database(tmp_path / "serving.duckdb", with_quality)
    with duckdb.connect(str(database), read_only=True) as connection:
        data = load_report_data(connection)
    assert [s["segment_id"] for s in data.segments] == [1, 2, 3]
    assert data.publication["published_run_id"] == "20250101T000000000000Z-abcdef12"
    assert (data.quality is not None) is with_quality
    assert data.campaign_lift is None  # no lift mart published


def test_load_report_data_reads_the_lift_mart_in_campaign_and_segment_order(tmp_path):
    database = _serving_database(tmp_path / "serving.duckdb", False, with_lift=True)
    with duckdb.connect(str(database)) as connection:
        connection.execute("create table shuffled as select * from fct_campaign_lift order by "
                           "segment_id desc, campaign_key desc")  # fmt: skip
        connection.execute("drop table fct_campaign_lift")
        connection.execute("alter table shuffled rename to fct_campaign_lift")
    with duckdb.connect(str(database), read_only=True) as connection:
        data = load_report_data(connection)
    assert [(r["campaign_key"], r["segment_id"]) for r in data.campaign_lift] == [
        ("demo_launch", 1), ("demo_launch", 2), ("demo_launch", 3), ("demo_launch", 4),
        ("demo_launch", 5), ("spring_sale", 1), ("spring_sale", 2),
    ]  # fmt: skip
    assert data.campaign_lift[0]["conversion_lift_ci_lower"] == pytest.approx(0.0448)


def test_load_report_data_names_missing_tables(tmp_path):
    path = tmp_path / "other.duckdb"
    duckdb.connect(str(path)).close()
    with (
        duckdb.connect(str(path), read_only=True) as connection,
        pytest.raises(LookupError, match="dim_segments"),
    ):
        load_report_data(connection)


def test_main_writes_the_report_and_refuses_a_missing_database(tmp_path, capsys):
    database = _serving_database(tmp_path / "serving.duckdb", with_quality=False)
    out = tmp_path / "report" / "page.html"
    assert main(["--db", str(database), "--out", str(out)]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    with pytest.raises(SystemExit):
        main(["--db", str(tmp_path / "absent.duckdb"), "--out", str(out)])
    assert "does not exist" in capsys.readouterr().err


# --- In a browser ---


def chromium(*arguments: str, profile: Path) -> str:
    if CHROMIUM is None:
        pytest.skip(
            "Debian's chromium is not installed "
            "(make test installs it: apt-get install -y chromium)"
        )
    completed = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=5000",
            *arguments,
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout


def body_attributes(dom: str) -> dict[str, str]:
    body = re.search(r"<body([^>]*)>", dom).group(1)
    return dict(re.findall(r'([\w-]+)="([^"]*)"', body))


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> CampaignBuild:
    return build_campaigns(tmp_path_factory)


@pytest.mark.dbt
def test_the_report_renders_in_chromium_without_script_errors(build, tmp_path):
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page = SCREENSHOT_DIR / "segmentation_report_test.html"
    assert main(["--db", str(build.serving), "--out", str(page)]) == 0
    html = page.read_text()
    segments = build.result.query("select count(*) from dim_segments")[0][0]

    dom = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile")
    attributes = body_attributes(dom)
    assert attributes["data-report-status"] == "rendered", attributes
    assert attributes["data-script-errors"] == "0"
    charts_in_file = html.count('<div class="chart"')
    with duckdb.connect(str(build.serving), read_only=True) as serving:
        published = {row[0] for row in serving.sql("select table_name from publication").fetchall()}
    quality = html[html.index('id="quality"') :] if 'id="quality"' in html else ""
    quality_charts = quality.count('<div class="chart"')
    assert (quality_charts > 0) is ("rpt_segmentation_quality" in published)
    campaigns = 0
    if "fct_campaign_lift" in published:
        with duckdb.connect(str(build.serving), read_only=True) as serving:
            campaigns = serving.sql(
                "select count(distinct campaign_key) from fct_campaign_lift"
            ).fetchall()[0][0]
    assert html.count('data-chart="lift-intervals"') == campaigns
    # sizes + radar + one index chart per segment + heatmap + 7 demographics + 5 behaviours
    # + one lift chart per campaign measured
    assert charts_in_file == 1 + 1 + segments + 1 + 7 + 5 + quality_charts + campaigns
    assert int(attributes["data-charts-total"]) == charts_in_file
    assert int(attributes["data-charts-rendered"]) == charts_in_file
    # Nothing fetched: no script, style, image or data from anywhere.
    assert attributes["data-resource-requests"] == "0"
    # Vega drew each chart as SVG in its place.
    assert dom.count('<div class="chart"') == charts_in_file
    assert len(re.findall(r'<svg[^>]*class="marks"', dom)) == charts_in_file
    assert 'id="script-errors" class="script-errors" hidden' in dom

    screenshot = SCREENSHOT_DIR / "segmentation_report_test.png"
    screenshot.unlink(missing_ok=True)
    chromium(
        f"--screenshot={screenshot}",
        "--window-size=1400,4000",
        page.as_uri(),
        profile=tmp_path / "profile",
    )
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 50_000  # a blank page compresses to a few kB


def test_the_campaign_charts_render_in_chromium(tmp_path):
    """The lift charts of lift_fixture's campaigns, drawn by Vega: each an SVG, the verdicts
    written beside the intervals, no script error."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page = SCREENSHOT_DIR / "segmentation_report_campaigns_test.html"
    page.write_text(render_report(sample_data(campaigns=True)))
    dom = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile")
    attributes = body_attributes(dom)
    assert attributes["data-report-status"] == "rendered", attributes
    assert attributes["data-script-errors"] == "0"
    total = page.read_text().count('<div class="chart"')
    assert int(attributes["data-charts-rendered"]) == total
    section = dom[dom.index('id="campaigns"') :]
    section = section[: section.index("</section>")]
    assert len(re.findall(r'<svg[^>]*class="marks"', section)) == 2
    # Vega writes each text mark as an SVG <text>; the verdicts are in the charts, not only
    # the tables.
    drawn = re.findall(r"<text[^>]*>([^<]*)</text>", section)
    assert drawn.count("too small to tell") == 4 and drawn.count("negative lift") == 1
    screenshot = SCREENSHOT_DIR / "segmentation_report_campaigns_test.png"
    screenshot.unlink(missing_ok=True)
    chromium(f"--screenshot={screenshot}", "--window-size=1400,6000", page.as_uri(),
             profile=tmp_path / "profile")  # fmt: skip
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.dbt
def test_chromium_check_catches_a_script_error(build, tmp_path):
    page = tmp_path / "broken.html"
    main(["--db", str(build.serving), "--out", str(page)])
    # The page's own end (the Vega runtime's code holds a "</body>" of its own, in a string).
    head, end, tail = page.read_text().rpartition("</body>")
    page.write_text(head + "<script>missingFunction();</script>" + end + tail)
    attributes = body_attributes(
        chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile")
    )
    assert attributes["data-script-errors"] == "1"
    assert attributes["data-report-status"] != "rendered"


def test_the_report_never_overwrites_a_file_it_did_not_write(tmp_path):
    # A folder of the user's: the report may add its page, not replace their file.
    (tmp_path / "notes.html").write_text("<p>mine</p>")
    with pytest.raises(OutputFolderError, match="not a report this project wrote"):
        write_report("<html>", tmp_path / "notes.html")
    assert (tmp_path / "notes.html").read_text() == "<p>mine</p>"
    page = write_report(f"<html>{GENERATOR_TAG}v1", tmp_path / "segments.html")
    assert write_report(f"<html>{GENERATOR_TAG}v2", page).read_text().endswith("v2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.html", "segments.html"]
    # A new folder is the project's own, marked.
    owned = write_report("<html>", tmp_path / "new" / "report.html")
    assert (owned.parent / ".segmentation-owned").is_file()

"""The HTML report: its charts as pure functions, the page from a serving database, and the page
as a browser shows it (headless Chromium)."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from conftest import PROJECT_DIR
from readme_spec import qualifier
from segmentation.outputs import OutputFolderError
from segmentation.report import (
    GENERATOR_TAG,
    PALETTE,
    ReportData,
    bar_chart_svg,
    heatmap_svg,
    histogram_svg,
    index_bars_svg,
    lift_colour,
    load_report_data,
    main,
    quality_section,
    radar_axes,
    radar_chart_svg,
    render_report,
    write_report,
)
from test_publish import CampaignBuild, build_campaigns

CHROMIUM = shutil.which("chromium")
# Screenshots go beside the build's own output, for a person to look at.
SCREENSHOT_DIR = Path(os.environ.get("SEGMENTATION_BUILD_DIR", PROJECT_DIR / "build")) / "report"


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(str(svg))


def shapes(svg: str, tag: str, css: str | None = None) -> list[ElementTree.Element]:
    found = parse(svg).iter(tag)
    return [e for e in found if css is None or css in (e.get("class") or "").split()]


# --- Charts ---


def test_bar_lengths_are_proportional_and_labels_escaped():
    svg = bar_chart_svg([("<b>A</b>", 10), ("B & C", 40), ("D", 0)], description="sizes")
    bars = shapes(svg, "rect", "bar")
    widths = [float(b.get("width")) for b in bars]
    assert widths[1] == pytest.approx(4 * widths[0])
    assert widths[2] == 0
    assert "<b>A</b>" in [t.text for t in parse(svg).iter("text")]  # text, not markup
    assert "<b>" not in str(svg)
    assert parse(svg).get("class") == "chart"


def test_radar_draws_each_series_over_the_average_ring():
    axes = ["one", "two", "three", "four"]
    svg = radar_chart_svg(
        axes,
        [("flat", [100, 100, 100, 100], PALETTE[0]), ("peak", [300, 50, None, 100], PALETTE[1])],
    )
    series = shapes(svg, "polygon")
    average = [p for p in series if "ring-average" in (p.get("class") or "")]
    assert len(average) == 1
    drawn = [p for p in series if p.get("stroke") in (PALETTE[0], PALETTE[1])]
    assert len(drawn) == 2
    # The series at 100 everywhere lies exactly on the dashed average ring.
    assert drawn[0].get("points") == average[0].get("points")
    # The ring scale reaches the largest value (300), so nothing is drawn off the chart.
    assert "300" in [t.text for t in parse(svg).iter("text")]
    with pytest.raises(ValueError, match="3 axes"):
        radar_chart_svg(["a", "b"], [])


def test_radar_rings_stay_few_for_large_indexes():
    svg = radar_chart_svg(["a", "b", "c"], [("s", [900, 100, 50], PALETTE[0])])
    labels = [t.text for t in parse(svg).iter("text") if t.get("class") == "ring-label"]
    assert labels == ["100", "250", "500", "750", "1000"]


def test_radar_points_are_at_the_right_distance():
    svg = radar_chart_svg(["a", "b", "c"], [("s", [150, 75, 0], PALETTE[0])])
    ring_100 = shapes(svg, "polygon", "ring-average")[0].get("points").split()
    series = next(p for p in shapes(svg, "polygon") if p.get("stroke") == PALETTE[0])
    points = [tuple(map(float, pair.split(","))) for pair in series.get("points").split()]
    centre_x, centre_y = points[2]  # value 0: the centre
    top_of_100 = tuple(map(float, ring_100[0].split(",")))
    radius_100 = math.dist((centre_x, centre_y), top_of_100)
    assert math.dist((centre_x, centre_y), points[0]) == pytest.approx(1.5 * radius_100, abs=0.2)
    assert math.dist((centre_x, centre_y), points[1]) == pytest.approx(0.75 * radius_100, abs=0.2)


def test_index_bars_diverge_from_the_average():
    svg = index_bars_svg([("up", 150), ("down", 50), ("missing", None)], PALETTE[2])
    bars = shapes(svg, "rect", "bar")
    assert len(bars) == 2
    up, down = bars
    centre = float(parse(svg).find("line").get("x1"))
    assert float(up.get("x")) == pytest.approx(centre)
    assert float(down.get("x")) + float(down.get("width")) == pytest.approx(centre)
    assert float(up.get("width")) == pytest.approx(float(down.get("width")))
    assert up.get("fill") == PALETTE[2] and down.get("fill") != PALETTE[2]


def test_lift_colours_diverge_around_one():
    assert lift_colour(1) == "#ffffff"
    assert lift_colour(2) == lift_colour(5) == "#f28e2b"
    assert lift_colour(0.5) == "#4e79a7"
    assert lift_colour(None) == lift_colour(0) == "#f1f3f5"

    def channels(colour: str) -> tuple[int, int, int]:
        return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))

    # In between, a paler shade of the same side.
    assert lift_colour(1.2) not in ("#ffffff", "#f28e2b")
    red, green, blue = channels(lift_colour(1.2))
    assert red > green > blue
    red, green, blue = channels(lift_colour(0.8))
    assert blue > green > red


def test_heatmap_has_a_cell_per_segment_and_interest():
    svg = heatmap_svg(
        ["Gamers", "Readers"],
        ["Gaming", "Reading", "Pets"],
        {("Gamers", "Gaming"): 2.5, ("Readers", "Reading"): 0.5},
    )
    cells = shapes(svg, "rect", "cell")
    assert len(cells) == 6
    labels = [t.text for t in parse(svg).iter("text") if "cell-label" in t.get("class")]
    assert labels == ["2.50", "–", "–", "–", "0.50", "–"]


def test_histogram_bar_heights_follow_the_counts():
    svg = histogram_svg([(0, 1, 10), (1, 2, 40), (2, 3, 0)], lambda v: f"{v:.0f}")
    heights = [float(b.get("height")) for b in shapes(svg, "rect", "bar")]
    assert heights[1] == pytest.approx(4 * heights[0]) and heights[2] == 0
    texts = [t.text for t in parse(svg).iter("text")]
    assert "0" in texts and "3" in texts and "40" in texts


# --- The page ---


def sample_data(quality: bool = False, suppressed: bool = False) -> ReportData:
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
    )  # fmt: skip


def test_the_page_is_self_contained():
    html = render_report(sample_data())
    assert "<link" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html
    assert "&lt;Warriors&gt;" in html and "<Warriors>" not in html


def test_the_page_has_every_section_and_chart():
    html = render_report(sample_data())
    for section in ("sizes", "profiles", "segments", "interests", "user-base"):
        assert f'id="{section}"' in html
    charts = re.findall(r'<svg class="chart" data-chart="([a-z-]+)"', html)
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
    bars = shapes(chart["svg"], "rect", "bar")
    assert [b.find("title").text for b in bars] == ["4 segments: 0.3", "5 segments: 0.2"]
    assert bars[0].get("fill") == PALETTE[1] and bars[1].get("fill") != PALETTE[1]


def test_a_segment_below_the_privacy_floor_shows_no_demographics():
    html = render_report(sample_data(suppressed=True))
    card = html[html.index("Segment 3</h3>") :]
    card = card[: card.index("</article>")]
    assert "Below the privacy floor" in card
    assert "Female" not in card and "Description of" not in card
    assert "1 segment(s) below the privacy floor" in html


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


def test_names_carry_their_qualifier_everywhere_they_are_shown():
    data = with_trust(sample_data(), "none", [0.5, 0.9, 0.6])
    html = render_report(data)
    night = "Night Owls (no structure found)"
    owls = "Weekend &lt;Warriors&gt; (no structure found, unstable)"
    # Sizes chart, radar legend and series, heatmap, card: each shows the qualified name.
    assert html.count(f">{night}</text>") >= 2  # sizes chart, heatmap
    assert f"{owls}</text>" in html
    assert re.search(rf"{re.escape(night)}</button>", html)
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
    assert ">Night Owls</text>" in html


def test_long_names_get_room_in_the_charts():
    data = with_trust(sample_data(), "none", [0.5, 0.5, 0.5])
    html = render_report(data)
    longest = "Weekend <Warriors> (no structure found, unstable)"
    sizes = re.search(r'<svg class="chart" data-chart="bar".*?</svg>', html, re.S).group(0)
    first_bar = shapes(sizes, "rect", "bar")[0]
    assert float(first_bar.get("x")) >= 7 * len(longest)


def _serving_database(path: Path, with_quality: bool) -> Path:
    data = sample_data(quality=with_quality)
    connection = duckdb.connect(str(path))
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
    svg_in_file = html.count('<svg class="chart"')
    with duckdb.connect(str(build.serving), read_only=True) as serving:
        published = {row[0] for row in serving.sql("select table_name from publication").fetchall()}
    quality = html[html.index('id="quality"') :] if 'id="quality"' in html else ""
    quality_charts = quality.count('<svg class="chart"')
    assert (quality_charts > 0) is ("rpt_segmentation_quality" in published)
    # sizes + radar + one index chart per segment + heatmap + 7 demographics + 5 behaviours
    assert svg_in_file == 1 + 1 + segments + 1 + 7 + 5 + quality_charts
    assert int(attributes["data-charts-total"]) == svg_in_file
    assert int(attributes["data-charts-rendered"]) == svg_in_file
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


@pytest.mark.dbt
def test_chromium_check_catches_a_script_error(build, tmp_path):
    page = tmp_path / "broken.html"
    main(["--db", str(build.serving), "--out", str(page)])
    page.write_text(
        page.read_text().replace("</body>", "<script>missingFunction();</script></body>")
    )
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

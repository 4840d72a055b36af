"""The semantic layer (models/marts/*/_*__semantic_models.yml; README "Semantic layer"): `dbt
parse` validates the definitions, and MetricFlow's `mf query` on the demo warehouse gives what
the marts and plain SQL over the users give.

mf reads `target/semantic_manifest.json` of the project it runs in and writes its log under the
project's `logs/`, so it runs in a copy of the project (parsed there), against the demo build's
warehouse."""

from __future__ import annotations

import csv
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT_DIR, DbtResult, run_dbt

pytestmark = pytest.mark.dbt

NOT_COPIED = (".*", "build", "warehouse", "target", "logs", "dbt_packages", "mutants", "*.egg-info")
SEGMENTATION_SEMANTIC_MODELS = Path("models/marts/segmentation/_segmentation__semantic_models.yml")
TOLERANCE = 1e-9


def copy_project(destination: Path) -> Path:
    shutil.copytree(PROJECT_DIR, destination, ignore=shutil.ignore_patterns(*NOT_COPIED))
    return destination


@pytest.fixture(scope="module")
def semantic_project(demo_build: DbtResult, tmp_path_factory) -> Path:
    """A copy of the project, parsed (so target/semantic_manifest.json is there), beside the demo
    build's warehouse."""
    project = copy_project(tmp_path_factory.mktemp("semantic") / "project")
    result = run_dbt(project, "parse", project_dir=project, database=demo_build.database)
    assert result.ok, result.output[-5000:]
    assert (project / "target" / "semantic_manifest.json").exists()
    return project


def run_mf(project: Path, database: Path, *args: str) -> subprocess.CompletedProcess:
    """`mf <args>` in `project` (its parsed manifest) against the warehouse `database`."""
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(project),
        "SEGMENTATION_DUCKDB_PATH": str(database),
        "SEGMENTATION_BUILD_DIR": str(project / "build"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    return subprocess.run(
        [str(Path(sys.executable).with_name("mf")), *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def mf_query(
    project: Path, database: Path, metrics: list[str], group_by: list[str], where: str = ""
) -> list[dict[str, str]]:
    """`mf query` in `project` against `database`: the result's rows as dicts of text."""
    out = project / "build" / f"query-{len(list(project.glob('build/query-*.csv')))}.csv"
    out.parent.mkdir(exist_ok=True)
    args = ["query", "--quiet", "--metrics", ",".join(metrics), "--group-by", ",".join(group_by)]
    args += ["--csv", str(out)] + (["--where", where] if where else [])
    completed = run_mf(project, database, *args)
    assert completed.returncode == 0 and out.exists(), completed.stdout + completed.stderr
    with out.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def whole(text: str) -> int:
    """A count as mf writes it (an integer, or a float sum of integers)."""
    value = float(text)
    assert value == round(value), f"{text} is not a whole number"
    return round(value)


def close(left: float, right: float) -> bool:
    return math.isclose(left, right, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def by_key(rows: list[dict[str, str]], *keys: str) -> dict[tuple[str, ...], dict[str, str]]:
    keyed = {tuple(row[key] for key in keys): row for row in rows}
    assert len(keyed) == len(rows), f"{keys} is not a key of the result"
    return keyed


# --- Validation ---------------------------------------------------------------------------------


def test_dbt_parse_rejects_a_metric_of_an_unknown_measure(tmp_path):
    """The validation is real: a metric over a measure that no semantic model defines fails
    `dbt parse`, naming the metric."""
    project = copy_project(tmp_path / "project")
    definitions = project / SEGMENTATION_SEMANTIC_MODELS
    text = definitions.read_text(encoding="utf-8")
    broken = "      measure: mean_conversion_rate_misspelt\n"
    assert text.count("      measure: mean_conversion_rate\n") == 1
    definitions.write_text(
        text.replace("      measure: mean_conversion_rate\n", broken), encoding="utf-8"
    )
    result = run_dbt(tmp_path / "dbt", "parse", project_dir=project)
    assert not result.ok
    assert "conversion_rate" in result.output and "mean_conversion_rate_misspelt" in result.output


def test_dbt_parse_rejects_a_time_dimension_that_does_not_exist(tmp_path):
    """MetricFlow's own validation runs too: an aggregation time dimension the semantic model
    does not have fails the parse."""
    project = copy_project(tmp_path / "project")
    definitions = project / SEGMENTATION_SEMANTIC_MODELS
    text = definitions.read_text(encoding="utf-8")
    assert "agg_time_dimension: built_at" in text
    definitions.write_text(
        text.replace("agg_time_dimension: built_at", "agg_time_dimension: built_on"),
        encoding="utf-8",
    )
    result = run_dbt(tmp_path / "dbt", "parse", project_dir=project)
    assert not result.ok
    assert "built_on" in result.output


def test_mf_validates_every_definition_against_the_warehouse(semantic_project, demo_build):
    """Beyond `dbt parse`: MetricFlow queries every dimension, entity, measure and metric on the
    built marts, so a column the marts do not have is found before a user's query hits it."""
    completed = run_mf(semantic_project, demo_build.database, "validate-configs")
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_mf_validation_finds_a_column_the_mart_lacks(demo_build, tmp_path):
    project = copy_project(tmp_path / "project")
    definitions = project / SEGMENTATION_SEMANTIC_MODELS
    text = definitions.read_text(encoding="utf-8")
    assert text.count("        expr: click_through_rate\n") == 1
    definitions.write_text(
        text.replace("        expr: click_through_rate\n", "        expr: click_through_rates\n"),
        encoding="utf-8",
    )
    # dbt parse cannot know the mart's columns ...
    parsed = run_dbt(project, "parse", project_dir=project, database=demo_build.database)
    assert parsed.ok, parsed.output[-5000:]
    # ... MetricFlow's validation against the warehouse does.
    completed = run_mf(project, demo_build.database, "validate-configs")
    assert completed.returncode != 0
    assert "click_through_rates" in completed.stdout + completed.stderr


# --- Segments -----------------------------------------------------------------------------------


def test_users_and_share_per_segment_are_the_segments_counts(semantic_project, demo_build):
    rows = mf_query(
        semantic_project,
        demo_build.database,
        ["users", "share_of_users"],
        ["segment__segment_name"],
    )
    # Counted directly from the one-row-per-user fact, not from the semantic layer's marts.
    counted = dict(
        demo_build.query("select segment_name, count(*) from fct_user_segments group by 1")
    )
    population = sum(counted.values())
    sizes = dict(demo_build.query("select segment_name, users from dim_segments"))
    result = by_key(rows, "segment__segment_name")
    assert {name for (name,) in result} == set(counted) == set(sizes)
    for (name,), row in result.items():
        assert whole(row["users"]) == counted[name] == sizes[name], name
        assert close(float(row["share_of_users"]), counted[name] / population), name


def test_rates_per_segment_are_the_users_means(semantic_project, demo_build):
    rows = mf_query(
        semantic_project,
        demo_build.database,
        ["users", "click_through_rate", "conversion_rate"],
        ["segment__segment_name"],
    )
    # The mean over the staged users of each segment, joined here, not read from a mart.
    direct = {
        name: (users, ctr, conversion)
        for name, users, ctr, conversion in demo_build.query(
            """
            select
                segments.segment_name,
                count(*),
                avg(profiles.click_through_rate),
                avg(profiles.conversion_rate)
            from stg_platform__user_profiles as profiles
            inner join fct_user_segments as segments
                on profiles.user_id = segments.user_id
            group by 1
            """
        )
    }
    result = by_key(rows, "segment__segment_name")
    assert {name for (name,) in result} == set(direct)
    for (name,), row in result.items():
        users, ctr, conversion = direct[name]
        assert whole(row["users"]) == users, name
        assert close(float(row["click_through_rate"]), ctr), name
        assert close(float(row["conversion_rate"]), conversion), name


def test_rates_by_segment_and_user_attribute(semantic_project, demo_build):
    """A user attribute (gender) and a filter on another (location) split the segments the
    same way plain SQL does: the join from users to segments is the one MetricFlow makes."""
    rows = mf_query(
        semantic_project,
        demo_build.database,
        ["users", "conversion_rate"],
        ["segment__segment_name", "user__gender"],
        where="{{ Dimension('user__location') }} = 'Urban'",
    )
    direct = {
        (name, gender): (users, conversion)
        for name, gender, users, conversion in demo_build.query(
            """
            select segments.segment_name, profiles.gender, count(*), avg(profiles.conversion_rate)
            from stg_platform__user_profiles as profiles
            inner join fct_user_segments as segments
                on profiles.user_id = segments.user_id
            where profiles.location = 'Urban'
            group by 1, 2
            """
        )
    }
    result = by_key(rows, "segment__segment_name", "user__gender")
    assert set(result) == set(direct) and len(direct) > 2
    for key, row in result.items():
        users, conversion = direct[key]
        assert whole(row["users"]) == users, key
        assert close(float(row["conversion_rate"]), conversion), key


# --- Campaigns ----------------------------------------------------------------------------------


def arm_counts(demo_build: DbtResult, by_segment: bool) -> dict[tuple, tuple]:
    """Per campaign (and segment): users, clickers and converters of each arm, counted from the
    holdout arms and the staged results (an audience member's row counts once), not from the
    lift mart."""
    segment = "holdouts.segment_name" if by_segment else "'all'"
    return {
        (campaign, name): counts
        for campaign, name, *counts in demo_build.query(
            f"""
            select
                holdouts.campaign_key,
                {segment},
                count(*) filter (where holdouts.arm = 'treatment'),
                count(*) filter (where holdouts.arm = 'control'),
                count(*) filter (where holdouts.arm = 'treatment' and results.is_clicked),
                count(*) filter (where holdouts.arm = 'control' and results.is_clicked),
                count(*) filter (where holdouts.arm = 'treatment' and results.is_converted),
                count(*) filter (where holdouts.arm = 'control' and results.is_converted)
            from fct_campaign_holdouts as holdouts
            inner join stg_campaigns__results as results
                on
                    holdouts.campaign_key = results.campaign_key
                    and holdouts.user_id = results.user_id
            group by 1, 2
            """
        )
    }


CAMPAIGN_METRICS = [
    "campaign_treatment_users",
    "campaign_control_users",
    "campaign_users",
    "campaign_control_share",
    "treatment_click_through_rate",
    "control_click_through_rate",
    "treatment_conversion_rate",
    "control_conversion_rate",
    "conversion_lift",
]


def check_campaign_row(row: dict[str, str], counts: tuple, key) -> None:
    treatment, control, treatment_clicks, control_clicks, treatment_conv, control_conv = counts
    assert whole(row["campaign_treatment_users"]) == treatment, key
    assert whole(row["campaign_control_users"]) == control, key
    assert whole(row["campaign_users"]) == treatment + control, key
    assert close(float(row["campaign_control_share"]), control / (treatment + control)), key
    assert close(float(row["treatment_click_through_rate"]), treatment_clicks / treatment), key
    assert close(float(row["control_click_through_rate"]), control_clicks / control), key
    assert close(float(row["treatment_conversion_rate"]), treatment_conv / treatment), key
    assert close(float(row["control_conversion_rate"]), control_conv / control), key
    assert close(
        float(row["conversion_lift"]), treatment_conv / treatment - control_conv / control
    ), key


def test_campaign_rates_and_lift_per_segment(semantic_project, demo_build):
    rows = mf_query(
        semantic_project,
        demo_build.database,
        CAMPAIGN_METRICS,
        ["campaign_segment__campaign_key", "segment__segment_name"],
    )
    direct = arm_counts(demo_build, by_segment=True)
    result = by_key(rows, "campaign_segment__campaign_key", "segment__segment_name")
    assert set(result) == set(direct) and direct
    for key, row in result.items():
        check_campaign_row(row, direct[key], key)
    # The lift per segment is the mart's, which computes it on its own.
    lifts = {
        (campaign, name): lift
        for campaign, name, lift in demo_build.query(
            "select campaign_key, segment_name, conversion_lift from fct_campaign_lift"
        )
    }
    for key, row in result.items():
        assert close(float(row["conversion_lift"]), lifts[key]), key


def test_campaign_rates_and_lift_pooled_over_segments(semantic_project, demo_build):
    """Grouped by campaign only, each rate is over all the campaign's users: the ratio of the
    summed counts, not a mean of the segments' rates."""
    rows = mf_query(
        semantic_project, demo_build.database, CAMPAIGN_METRICS, ["campaign_segment__campaign_key"]
    )
    direct = arm_counts(demo_build, by_segment=False)
    result = by_key(rows, "campaign_segment__campaign_key")
    assert {(campaign, "all") for (campaign,) in result} == set(direct)
    for (campaign,), row in result.items():
        check_campaign_row(row, direct[(campaign, "all")], campaign)

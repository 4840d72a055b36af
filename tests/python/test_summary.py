"""What `make build` prints after the segments: the input rows read, valid and rejected, and
where the rejected rows are (issue 13: it said "Segments of 25 users" and nothing of the 3
rejected)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from lift_fixture import create_lift_table, lift_rows
from segmentation.summary import campaign_lines, input_summary, run_summary


def warehouse(rejections: list[list[str]]) -> duckdb.DuckDBPyConnection:
    """The two staging relations input_summary reads, one row per input row."""
    connection = duckdb.connect()
    connection.execute(
        "create table base_platform__user_profiles "
        "(source_row_number int, rejection_reasons varchar[])"
    )
    for number, reasons in enumerate(rejections, start=1):
        connection.execute(
            "insert into base_platform__user_profiles values (?, ?)", [number, reasons]
        )
    connection.execute(
        "create view stg_platform__user_profiles_rejected as "
        "select * from base_platform__user_profiles where len(rejection_reasons) > 0"
    )
    return connection


def test_rejected_rows_are_counted_per_reason_with_where_to_find_them():
    rows = [[]] * 25 + [
        ["missing_user_id"],
        ["unknown_gender", "duplicate_user_id"],
        ["unknown_gender"],
    ]
    text = input_summary(warehouse(rows), Path("/data/w.duckdb"))
    assert "Input: 28 rows, 25 valid, 3 rejected (10.7%; " in text
    assert "unknown_gender 2, duplicate_user_id 1, missing_user_id 1)" in text
    assert "duckdb -readonly '/data/w.duckdb' \"from stg_platform__user_profiles_rejected\"" in text


def test_an_input_without_rejections_says_so():
    assert (
        input_summary(warehouse([[]] * 1000), Path("/w.duckdb")) == "Input: 1,000 rows, all valid."
    )


def test_a_long_list_of_reasons_is_cut_to_the_most_frequent():
    rows = [[f"unknown_{name}"] for name in "abcdefg"] + [["unknown_a"]]
    text = input_summary(warehouse(rows), Path("/w.duckdb"))
    assert "(100.0%; unknown_a 2, unknown_b 1, unknown_c 1, unknown_d 1, unknown_e 1, " in text
    assert "2 more reasons)" in text


def test_a_run_without_a_stability_figure_is_still_summarised():
    """A handful of users: an 80% subsample is smaller than the segments, so no ARI."""
    connection = duckdb.connect()
    connection.execute(
        "create table dim_segmentation_runs as select 5 as n_clusters, "
        "'first run' as refit_reason, "
        "'strong' as structure_verdict, 0.33 as silhouette, 0.1 as null_silhouette_mean, "
        "4.3 as structure_z_score, null::double as stability_ari, 6 as fit_rows, "
        "6 as input_rows, true as is_latest"
    )
    connection.execute(
        "create table dim_segments as select 'strong' as structure_verdict, "
        "false as is_unstable, null::double as stability_jaccard"
    )
    text = run_summary(connection)
    assert "mean ARI - over refits" in text
    assert "silhouette 0.330 vs 0.100" in text


# --- One line per campaign (issue 17) ---


def test_each_campaign_gets_one_line_of_users_per_arm_and_verdicts():
    connection = duckdb.connect()
    create_lift_table(connection)
    # From lift_fixture's rows: demo_launch's arms 9,000 + 18,000 + 250 + 0 + 400 = 27,650 and
    # 1,000 + 2,000 + 25 + 0 + 45 = 3,070; verdicts lift 1, no detectable lift 1, too small 3.
    # spring_sale: 5,000 + 40 and 5,000 + 10; negative lift 1, too small to tell 1.
    assert campaign_lines(connection) == [
        "Campaign demo_launch: 30,720 users measured (27,650 treatment, 3,070 control); "
        "lift in 1 of 5 segments, no detectable lift in 1, too small to tell in 3.",
        "Campaign spring_sale: 10,050 users measured (5,040 treatment, 5,010 control); "
        "lift in 0 of 2 segments, negative lift in 1, too small to tell in 1.",
    ]


def test_a_campaign_without_results_rows_says_no_users_were_measured():
    connection = duckdb.connect()
    empty = [
        {**row, "treatment_users": 0, "control_users": 0, "verdict": "too small to tell"}
        for row in lift_rows()
        if row["campaign_key"] == "spring_sale"
    ]
    create_lift_table(connection, empty)
    assert campaign_lines(connection) == [
        "Campaign spring_sale: no users measured (no results rows for its audience); 2 segments."
    ]


def test_no_lift_mart_no_campaign_lines_and_an_empty_one_says_so():
    assert campaign_lines(duckdb.connect()) == []  # a warehouse built before campaigns
    connection = duckdb.connect()
    create_lift_table(connection, [])
    assert campaign_lines(connection) == ["Campaigns: no campaign results."]

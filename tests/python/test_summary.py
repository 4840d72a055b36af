"""What `make build` prints after the segments: the input rows read, valid and rejected, and
where the rejected rows are (issue 13: it said "Segments of 25 users" and nothing of the 3
rejected)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from segmentation.summary import input_summary, run_summary


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

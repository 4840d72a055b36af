"""The campaign results input contract on DuckDB, through `dbt build` of the staging models.

Every input row ends up either in stg_campaigns__results or in stg_campaigns__results_rejected
with the reasons the spec gives it (models/staging/campaigns/_campaigns__docs.md); a file or
table that cannot be used stops the build with one message naming it and what is wrong. The
expected outcome of every row below is written from the rules, by hand.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from conftest import run_dbt
from segmentation.campaign_generator import campaign_results, write_campaign_results
from test_campaign_generator import PERSONA_NAMES, round_robin_truth

pytestmark = pytest.mark.dbt

HEADER = ["user_id", "campaign_key", "exposed", "clicked", "converted", "revenue"]
STAGING = [
    "--select",
    # Cautious selection runs the tests whose models are all selected: staging's
    # rows_accounted_for among them, not the one on what the lift counts.
    "+stg_campaigns__results +stg_campaigns__results_rejected",
    "--indirect-selection",
    "cautious",
    # The unit tests check the SQL on fixed rows, whatever the file: make test runs them.
    "--exclude-resource-type",
    "unit_test",
]

# (row as written, expected reasons: empty for a valid row), in file order: row n is line n + 1.
PROBLEM_ROWS: list[tuple[list[str], set[str]]] = [
    (["1", "demo_launch", "true", "false", "true", "12.50"], set()),
    ([" 2 ", "Demo_Launch", " TRUE ", "1", "0", ""], set()),
    (["3", "demo_launch", "False", "0", "FALSE", "0"], set()),
    (["", "demo_launch", "true", "false", "false", "0"], {"missing_user_id"}),
    (["5", "  ", "true", "false", "false", "0"], {"missing_campaign_key"}),
    (["6", "demo_launch", "yes", "false", "false", "0"], {"unparseable_exposed"}),
    (["7", "demo_launch", "true", "maybe", "false", "0"], {"unparseable_clicked"}),
    (["8", "demo_launch", "true", "false", "2", "0"], {"unparseable_converted"}),
    (["9", "demo_launch", "", "false", "false", "0"], {"missing_exposed"}),
    (["10", "demo_launch", "false", "true", "false", "0"], {"clicked_not_exposed"}),
    (["11", "demo_launch", "true", "false", "true", "ten"], {"unparseable_revenue"}),
    (["12", "demo_launch", "true", "false", "true", "-1"], {"negative_revenue"}),
    # The same pair as row 1, which passes every check and comes first: row 1 is kept.
    (["1", "demo_launch", "true", "true", "true", "3"], {"duplicate_user_campaign"}),
    # The same user in another campaign is another pair.
    (["1", "other_campaign", "true", "false", "false", "0"], set()),
    # Of a pair whose first row fails a check, the first row that passes is kept.
    (
        ["15", "demo_launch", "nope", "false", "false", "0"],
        {"unparseable_exposed", "duplicate_user_campaign"},
    ),
    (["15", "demo_launch", "true", "false", "false", "0"], set()),
    (["17", "demo_launch", "1", "true", "false", "NaN"], {"unparseable_revenue"}),
    (
        ["18", "demo_launch", "false", "true", "x", "-5"],
        {"unparseable_converted", "clicked_not_exposed", "negative_revenue"},
    ),
    # A short row: the missing fields are blank.
    (["19", "demo_launch"], {"missing_exposed", "missing_clicked", "missing_converted"}),
    (["20", "demo_launch", "0", "0", "1", "inf"], {"unparseable_revenue"}),
]


def write_rows(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def outcomes(result) -> tuple[dict[int, tuple], dict[int, set[str]], int]:
    """Valid rows and rejected reasons by source_row_number, and the number of input rows."""
    valid = {
        row[0]: row[1:]
        for row in result.query(
            "select source_row_number, campaign_key, user_id, is_exposed, is_clicked, "
            "is_converted, revenue from stg_campaigns__results"
        )
    }
    rejected = {
        number: set(reasons)
        for number, reasons in result.query(
            "select source_row_number, rejection_reasons from stg_campaigns__results_rejected"
        )
    }
    input_rows = result.query("select count(*) from base_campaigns__results")[0][0]
    return valid, rejected, input_rows


def test_every_problem_row_is_valid_or_rejected_with_its_reasons(tmp_path):
    path = write_rows(tmp_path / "results.csv", [row for row, _ in PROBLEM_ROWS])
    result = run_dbt(
        tmp_path / "dbt", variables={"campaign_results_path": str(path)}, extra=STAGING
    )
    assert result.ok, result.output[-3000:]
    # Staging's quarantine check ran (and passed): every row valid or rejected, once.
    assert "PASS rows_accounted_for_base_campaigns__results_ref_stg" in result.output
    valid, rejected, input_rows = outcomes(result)
    assert input_rows == len(PROBLEM_ROWS)
    assert not set(valid) & set(rejected), "a row both valid and rejected"
    for number, (row, reasons) in enumerate(PROBLEM_ROWS, start=1):
        if reasons:
            assert rejected.get(number) == reasons, (number, row, rejected.get(number))
        else:
            assert number in valid, (number, row, rejected.get(number))
    assert set(valid) | set(rejected) == set(range(1, len(PROBLEM_ROWS) + 1))
    # Parsed as written: trimmed, keys lowercased, any case of true/1/false/0, blank revenue null.
    assert valid[1] == ("demo_launch", "1", True, False, True, 12.5)
    assert valid[2] == ("demo_launch", "2", True, True, False, None)
    assert valid[3] == ("demo_launch", "3", False, False, False, 0.0)
    assert valid[14][:2] == ("other_campaign", "1")
    assert valid[16][:2] == ("demo_launch", "15")
    # The quarantine keeps the raw text of a rejected row and its reasons as text.
    raw = result.query(
        "select user_id_raw, exposed_raw, rejection_reason_list "
        "from stg_campaigns__results_rejected where source_row_number = 6"
    )
    assert raw == [("6", "yes", "unparseable_exposed")]


def test_a_file_without_revenue_gives_null_revenue(tmp_path):
    rows = [["1", "demo_launch", "true", "true", "true"], ["2", "demo_launch", "0", "0", "0"]]
    path = write_rows(tmp_path / "no_revenue.csv", rows, header=HEADER[:5])
    result = run_dbt(
        tmp_path / "dbt", variables={"campaign_results_path": str(path)}, extra=STAGING
    )
    assert result.ok, result.output[-3000:]
    valid, rejected, _ = outcomes(result)
    assert rejected == {}
    assert valid == {
        1: ("demo_launch", "1", True, True, True, None),
        2: ("demo_launch", "2", False, False, False, None),
    }


@pytest.mark.parametrize("missing", ["clicked", "user_id"])
def test_a_file_missing_a_required_column_names_the_file_and_column(tmp_path, missing):
    header = [column for column in HEADER if column != missing]
    rows = [["x"] * len(header)]
    path = write_rows(tmp_path / "bad_results.csv", rows, header=header)
    result = run_dbt(
        tmp_path / "dbt", variables={"campaign_results_path": str(path)}, extra=STAGING
    )
    assert not result.ok, "the build should have failed"
    assert (
        f"Campaign results file {path} (var campaign_results_path): "
        f"missing required column(s) '{missing}'"
    ) in result.output, result.output[-3000:]
    assert "Traceback" not in result.output


def test_a_missing_file_is_named(tmp_path):
    path = tmp_path / "nowhere.csv"
    result = run_dbt(
        tmp_path / "dbt", variables={"campaign_results_path": str(path)}, extra=STAGING
    )
    assert not result.ok
    assert f"Campaign results file {path} (var campaign_results_path): no such file." in (
        result.output
    )


def test_the_environment_variable_names_the_file_and_a_conflict_is_refused(tmp_path):
    path = write_rows(tmp_path / "results.csv", [row for row, _ in PROBLEM_ROWS[:3]])
    env = {"SEGMENTATION_CAMPAIGN_RESULTS_PATH": str(path)}
    result = run_dbt(tmp_path / "env", env=env, extra=STAGING)
    assert result.ok, result.output[-3000:]
    assert sorted(outcomes(result)[0]) == [1, 2, 3]
    other = run_dbt(
        tmp_path / "both",
        variables={"campaign_results_path": str(tmp_path / "other.csv")},
        env=env,
        extra=STAGING,
    )
    assert not other.ok
    assert "SEGMENTATION_CAMPAIGN_RESULTS_PATH" in other.output
    assert "name different files" in other.output


def test_a_generated_parquet_file_stages_as_its_csv(tmp_path):
    """The generator's file, as Parquet (native booleans and doubles) and as CSV: the same
    results, every row valid."""
    results = campaign_results(round_robin_truth(300, PERSONA_NAMES), ["demo_launch"], seed=2)
    staged = {}
    for suffix in ("csv", "parquet"):
        path = write_campaign_results(results, tmp_path / f"results.{suffix}")
        result = run_dbt(
            tmp_path / suffix, variables={"campaign_results_path": str(path)}, extra=STAGING
        )
        assert result.ok, result.output[-3000:]
        valid, rejected, _ = outcomes(result)
        assert rejected == {}
        staged[suffix] = valid
    assert staged["csv"] == staged["parquet"]
    assert len(staged["csv"]) == 300
    converted = {row[1] for row in staged["csv"].values() if row[4]}
    assert converted == {str(user) for user in results.user_id[results.converted]}


def test_a_source_table_is_staged_as_the_same_file_is(tmp_path):
    path = write_rows(tmp_path / "results.csv", [row for row, _ in PROBLEM_ROWS[:14]])
    from_file = run_dbt(
        tmp_path / "file", variables={"campaign_results_path": str(path)}, extra=STAGING
    )
    assert from_file.ok, from_file.output[-3000:]
    database = tmp_path / "table" / "warehouse.duckdb"
    database.parent.mkdir(parents=True)
    with duckdb.connect(str(database)) as connection:
        connection.sql(
            "create table main.raw_campaign_results as "
            f"select * from read_csv('{path}', all_varchar = true, null_padding = true)"
        )
    from_table = run_dbt(
        tmp_path / "table",
        variables={"campaign_results_source_table": "raw_campaign_results"},
        database=database,
        extra=STAGING,
    )
    assert from_table.ok, from_table.output[-3000:]
    assert outcomes(from_table) == outcomes(from_file)
    missing = run_dbt(
        tmp_path / "missing", variables={"campaign_results_source_table": "no_such_results"}
    )
    assert not missing.ok
    assert (
        "Campaign results table main.no_such_results (vars campaign_results_source_schema, "
        "campaign_results_source_table): no such table."
    ) in missing.output


def test_a_file_and_a_table_together_are_refused(tmp_path):
    result = run_dbt(
        tmp_path,
        variables={
            "campaign_results_path": str(tmp_path / "results.csv"),
            "campaign_results_source_table": "raw_campaign_results",
        },
        extra=STAGING,
    )
    assert not result.ok
    assert "both name the campaign results: set only one" in result.output

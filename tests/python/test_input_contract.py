"""The input contract end to end: every bad input gets its expected outcome through `dbt build`.

Each case is a file (from ../shared/data/bad_inputs or made here from a clean generated export)
and either the exact rejected counts per reason of a build that passes, or the message of a
build that fails. For every build that passes, input rows = valid rows + rejected rows.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import BAD_INPUTS, require_shared, run_dbt
from segmentation.generator import generate
from segmentation.schema import EXPORT_COLUMNS

pytestmark = pytest.mark.dbt


@dataclass
class Case:
    name: str
    make: Callable[[Path], Path]
    clean_rows: int | None = None
    rejected: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    variables: dict = field(default_factory=dict)


def clean_rows(count: int = 20) -> list[list[str]]:
    export, _ = generate(count, seed=11)
    return export.astype(str).values.tolist()


def write_csv(path: Path, rows: list[list[str]], header=EXPORT_COLUMNS, **options) -> Path:
    with path.open("w", newline="", encoding=options.pop("encoding", "utf-8")) as handle:
        writer = csv.writer(handle, **options)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def shared(name: str) -> Callable[[Path], Path]:
    return lambda _: require_shared(BAD_INPUTS / name)


def with_rows(name: str, mutate: Callable[[list[list[str]]], list[list[str]]], **options):
    return lambda tmp: write_csv(tmp / name, mutate(clean_rows()), **options)


def set_value(row_index: int, column: str, value: str):
    position = EXPORT_COLUMNS.index(column)

    def mutate(rows):
        rows[row_index][position] = value
        return rows

    return mutate


def uuid_ids(rows):
    for index, row in enumerate(rows):
        row[0] = f"3f2b8c1e-0000-4000-8000-{index:012d}"
    return rows


def messy_vocabulary(rows):
    rows[0][2] = "  male "
    rows[1][3] = "URBAN"
    rows[2][15] = " gaming ,  photography"
    rows[3][15] = ""
    return rows


def concatenated(rows):
    return rows[:10] + [list(EXPORT_COLUMNS)] + rows[10:]


def parquet(tmp: Path) -> Path:
    export, _ = generate(20, seed=11)
    path = tmp / "clean.parquet"
    export.astype(str).to_parquet(path)
    return path


def semicolons(tmp: Path) -> Path:
    return write_csv(tmp / "semicolons.csv", clean_rows(), delimiter=";")


def latin1(tmp: Path) -> Path:
    rows = clean_rows()
    rows[0][15] = "Café Culture"
    return write_csv(tmp / "latin1.csv", rows, encoding="latin-1")


def extra_and_reordered(tmp: Path) -> Path:
    header = [*reversed(EXPORT_COLUMNS), "Signup Date"]
    rows = [[*reversed(row), "2024-01-01"] for row in clean_rows()]
    return write_csv(tmp / "extra_columns.csv", rows, header=header)


def garbage(tmp: Path) -> Path:
    path = tmp / "garbage.csv"
    path.write_bytes(bytes(range(256)) * 40)
    return path


def empty(tmp: Path) -> Path:
    path = tmp / "empty.csv"
    path.write_bytes(b"")
    return path


def awkward_path(tmp: Path) -> Path:
    folder = tmp / "it's a folder with spaces"
    folder.mkdir()
    return write_csv(folder / "users'; drop table x; --.csv", clean_rows())


CASES = [
    Case("header_variants", shared("header_variants.csv"), clean_rows=20),
    Case("bom_crlf", shared("bom_crlf.csv"), clean_rows=20),
    Case(
        "missing_income_column",
        shared("missing_income_column.csv"),
        error="missing required column(s) 'Income Level'",
    ),
    Case("header_only", shared("header_only.csv"), error="no rows"),
    Case(
        "mixed_bad_rows_default_threshold",
        shared("mixed_bad_rows.csv"),
        error="8 of 30 input rows rejected (26.7%); per reason: duplicate_user_id: 1",
    ),
    Case(
        "mixed_bad_rows_raised_threshold",
        shared("mixed_bad_rows.csv"),
        clean_rows=22,
        rejected={
            "duplicate_user_id": 1,
            "missing_user_id": 1,
            "out_of_range_click_through_rate": 1,
            "out_of_range_likes_and_reactions": 1,
            "out_of_range_weekday_hours_online": 1,
            "unknown_age_band": 1,
            "unknown_income_band": 1,
            "unparseable_likes_and_reactions": 1,
        },
        variables={"max_rejected_share": 0.5},
    ),
    Case("uuid_ids", with_rows("uuid.csv", uuid_ids), clean_rows=20),
    Case(
        "messy_vocabulary_and_blank_interests",
        with_rows("messy.csv", messy_vocabulary),
        clean_rows=20,
    ),
    Case(
        "concatenated_exports",
        with_rows("concatenated.csv", concatenated),
        clean_rows=20,
        rejected={"repeated_header": 1},
        variables={"max_rejected_share": 0.1},
    ),
    Case(
        "one_bad_row_below_threshold",
        lambda tmp: write_csv(
            tmp / "one_bad.csv",
            clean_rows(40)[:-1] + [[*clean_rows(40)[-1][:11], "0.2.5", *clean_rows(40)[-1][12:]]],
        ),
        clean_rows=39,
        rejected={"unparseable_click_through_rate": 1},
    ),
    Case(
        "decimal_count_and_nan",
        with_rows(
            "decimals.csv",
            lambda rows: set_value(1, "Conversion Rates", "NaN")(
                set_value(0, "Followed Accounts", "12.5")(rows)
            ),
        ),
        clean_rows=18,
        rejected={"not_whole_followed_accounts": 1, "unparseable_conversion_rate": 1},
        variables={"max_rejected_share": 0.2},
    ),
    Case(
        "blank_required_value",
        with_rows("blank.csv", set_value(4, "Gender", "  ")),
        clean_rows=19,
        rejected={"missing_gender": 1},
        variables={"max_rejected_share": 0.1},
    ),
    Case("parquet_input", parquet, clean_rows=20),
    Case("semicolon_delimited", semicolons, clean_rows=20),
    Case(
        "latin1_with_setting",
        latin1,
        clean_rows=20,
        variables={"user_profiles_encoding": "latin-1"},
    ),
    Case("latin1_without_setting", latin1, error="not utf-8 encoded"),
    Case("extra_and_reordered_columns", extra_and_reordered, clean_rows=20),
    Case("quote_and_spaces_in_path", awkward_path, clean_rows=20),
    Case("no_such_file", lambda tmp: tmp / "missing.csv", error="no such file"),
    Case("empty_file", empty, error="the file is empty"),
    Case("not_a_csv", garbage, error="garbage.csv"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_input_gets_its_expected_outcome(case: Case, tmp_path: Path):
    path = case.make(tmp_path)
    result = run_dbt(
        tmp_path / "dbt", variables={"user_profiles_path": str(path), **case.variables}
    )
    if case.error:
        assert not result.ok, "the build should have failed"
        assert case.error in result.output, result.output[-3000:]
        if "user_profiles_path" not in result.output or "rows rejected" in case.error:
            assert str(path.name) in result.output or "rows rejected" in case.error
        return

    assert result.ok, result.output[-5000:]
    valid = result.query("select count(*) from stg_platform__user_profiles")[0][0]
    rejected = dict(
        result.query(
            "select reason, count(*) from (select unnest(rejection_reasons) as reason "
            "from stg_platform__user_profiles_rejected) group by 1"
        )
    )
    input_rows = result.query("select count(*) from base_platform__user_profiles")[0][0]
    rejected_rows = result.query("select count(*) from stg_platform__user_profiles_rejected")[0][0]
    assert valid == case.clean_rows
    assert rejected == case.rejected
    assert input_rows == valid + rejected_rows
    assert result.query("select count(*) from fct_user_segments")[0][0] == valid

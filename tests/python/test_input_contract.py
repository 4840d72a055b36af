"""The input contract end to end: every bad input gets its expected outcome through `dbt build`.

Each case is a file (from ../shared/data/bad_inputs or made here from a clean generated export)
and either the exact rejected counts per reason of a build that passes, or the message of a
build that fails. For every build that passes, input rows = valid rows + rejected rows. A failed
build's message names the input file, and says no more than one thing is wrong: one error.
test_input_properties.py covers every reason code and random mixes of rows on the staging SQL
alone; here one file with every code goes through a whole build.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from conftest import BAD_INPUTS, PROJECT_DIR, require_shared, run_dbt
from segmentation.generator import generate
from segmentation.schema import EXPORT_COLUMNS
from test_input_properties import EVERY_REASON, HEADER, one_defect_per_row

pytestmark = pytest.mark.dbt


@dataclass
class Case:
    name: str
    make: Callable[[Path], Path]
    clean_rows: int | None = None
    rejected: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    variables: dict = field(default_factory=dict)
    # Also in the output of a failed build (e.g. the var to set), and never in it.
    says: tuple[str, ...] = ()
    never_says: tuple[str, ...] = ("Traceback", "Possible Solution")
    # Whether a failed build's message is about the input file (and names it).
    names_file: bool = True
    # Rejected rows still queryable in stg_platform__user_profiles_rejected after a stop.
    rejected_after_stop: int | None = None
    # dbt's count of warnings (a passing build).
    warnings: int = 0
    # dbt build --select (default: everything).
    select: str | None = None


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


def deep_latin1(tmp: Path) -> Path:
    """Latin-1 text only in the last of 21,000 rows: past the rows DuckDB samples to detect the
    dialect and past the one row the start-of-run check reads."""
    export, _ = generate(21_000, seed=11)
    rows = export.astype(str).values.tolist()
    rows[-1][15] = "Café Culture"
    return write_csv(tmp / "deep_latin1.csv", rows, encoding="latin-1")


def utf16(tmp: Path) -> Path:
    return write_csv(tmp / "utf16.csv", clean_rows(), encoding="utf-16")


def every_reason_and_quoted_line_breaks(tmp: Path) -> Path:
    """One row per reason code (test_input_properties), and a valid row whose quoted fields hold
    line breaks, quotes and the delimiter (RFC 4180)."""
    rows = [row.fields for row in one_defect_per_row()]
    tricky = list(rows[0])
    tricky[0] = 'u"quoted",\nid'
    tricky[15] = 'Gaming, "Retro"\nconsoles,\r\nPhotography'
    return write_csv(tmp / "every_reason.csv", [*rows, tricky], header=HEADER)


def too_many_rejected(tmp: Path) -> Path:
    rows = clean_rows()
    rows[2][2] = "Robot"
    rows[7][11] = "1.7"
    rows[12][0] = ""
    return write_csv(tmp / "too_many.csv", rows)


def none_valid(tmp: Path) -> Path:
    rows = clean_rows()
    for row in rows:
        row[1] = "ageless"
    return write_csv(tmp / "none_valid.csv", rows)


def two_parts(tmp: Path) -> Path:
    rows = clean_rows()
    write_csv(tmp / "part1.csv", rows[:10])
    write_csv(tmp / "part2.csv", rows[10:])
    return tmp / "part*.csv"


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
        error="8 of 30 input rows were rejected (26.7%), above max_rejected_share = 0.05",
        says=("per reason: duplicate_user_id: 1",),
        rejected_after_stop=8,
    ),
    Case(
        "mixed_bad_rows_raised_threshold",
        shared("mixed_bad_rows.csv"),
        clean_rows=22,
        warnings=1,
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
        warnings=1,
    ),
    Case(
        "one_bad_row_below_threshold",
        lambda tmp: write_csv(
            tmp / "one_bad.csv",
            clean_rows(40)[:-1] + [[*clean_rows(40)[-1][:11], "0.2.5", *clean_rows(40)[-1][12:]]],
        ),
        clean_rows=39,
        rejected={"unparseable_click_through_rate": 1},
        warnings=1,
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
        warnings=1,
    ),
    Case(
        "blank_required_value",
        with_rows("blank.csv", set_value(4, "Gender", "  ")),
        clean_rows=19,
        rejected={"missing_gender": 1},
        variables={"max_rejected_share": 0.1},
        warnings=1,
    ),
    Case("parquet_input", parquet, clean_rows=20),
    Case("semicolon_delimited", semicolons, clean_rows=20),
    Case(
        "latin1_with_setting",
        latin1,
        clean_rows=20,
        variables={"user_profiles_encoding": "latin-1"},
    ),
    Case(
        "latin1_without_setting",
        latin1,
        error="is not valid utf-8 text",
        says=("user_profiles_encoding", "utf-8, utf-16, latin-1"),
    ),
    Case(
        "latin1_deep_in_a_big_file",
        deep_latin1,
        error="line 21001 is not valid utf-8 text (column 'Top Interests')",
        says=("user_profiles_encoding", "utf-8, utf-16, latin-1"),
    ),
    Case(
        "utf16_without_setting",
        utf16,
        error="looks UTF-16 encoded",
        says=("user_profiles_encoding: utf-16", "utf-8, utf-16, latin-1"),
    ),
    Case(
        "utf16_with_setting", utf16, clean_rows=20, variables={"user_profiles_encoding": "utf-16"}
    ),
    Case(
        "utf8_read_as_utf16",
        lambda tmp: write_csv(tmp / "utf8.csv", clean_rows()),
        error="does not start like UTF-16 text",
        variables={"user_profiles_encoding": "utf-16"},
        says=("user_profiles_encoding: utf-8",),
    ),
    Case(
        "every_reason_code_and_quoted_line_breaks",
        every_reason_and_quoted_line_breaks,
        clean_rows=6,
        rejected={code: 1 for code in EVERY_REASON},
        variables={"max_rejected_share": 0.9},
        warnings=1,
    ),
    Case(
        "too_many_rejected_rows",
        too_many_rejected,
        error="3 of 20 input rows were rejected (15.0%), above max_rejected_share = 0.05",
        says=(
            "per reason: missing_user_id: 1, out_of_range_click_through_rate: 1, unknown_gender: 1",
            "relation main.stg_platform__user_profiles_rejected",
        ),
        rejected_after_stop=3,
    ),
    Case(
        "no_valid_users",
        none_valid,
        error="no valid users: all 20 input rows were rejected; per reason: unknown_age_band: 20",
        variables={"max_rejected_share": 1},
        rejected_after_stop=20,
    ),
    Case(
        "n_clusters_above_valid_users",
        lambda tmp: write_csv(tmp / "twenty.csv", clean_rows()),
        error="n_clusters = 25 asks for 25 segments, but the input has 20 valid users",
        says=("Lower n_clusters to at most 19",),
        variables={"n_clusters": 25},
        names_file=False,
    ),
    Case(
        "auto_range_above_valid_users",
        lambda tmp: write_csv(tmp / "twenty.csv", clean_rows()),
        error="n_clusters_range [20, 30] asks for at least 20 segments",
        says=("Lower n_clusters_range to at most [2, 19]",),
        variables={"n_clusters": "auto", "n_clusters_range": [20, 30]},
        names_file=False,
        select="+int_segmentation_run",
    ),
    Case(
        "wildcard_in_path",
        two_parts,
        error="var user_profiles_path must name one file, got a wildcard ('*') in '",
        says=("part*.csv': a build reads one export",),
        names_file=False,
    ),
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
        tmp_path / "dbt",
        variables={"user_profiles_path": str(path), **case.variables},
        extra=["--select", case.select, "--indirect-selection", "cautious"]
        if case.select
        else None,
    )
    for text in case.never_says:
        assert text not in result.output, result.output[-5000:]
    if case.error:
        assert not result.ok, "the build should have failed"
        assert case.error in result.output, result.output[-3000:]
        for text in case.says:
            assert text in result.output, result.output[-3000:]
        if case.names_file:
            assert f"Input file {path} (var user_profiles_path)" in result.output
        assert "ERROR=1 " in result.output or "Encountered an error" in result.output, (
            "one error, not several"
        )
        if case.rejected_after_stop is not None:
            assert str(result.database) in result.output, "the message says where to query"
            rejected = result.query(
                "select count(*) from main.stg_platform__user_profiles_rejected"
            )
            assert rejected[0][0] == case.rejected_after_stop
        return

    assert result.ok, result.output[-5000:]
    assert f" WARN={case.warnings} " in result.output
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
    if rejected_rows:
        summary = subprocess.run(
            [sys.executable, "-m", "segmentation.summary", "--db", str(result.database)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert f"{valid:,} valid, {rejected_rows:,} rejected" in summary
        assert "stg_platform__user_profiles_rejected" in summary


# --- The input path from another program (issue 13, section 5) ------------------------------
# Jinja that fails the build if dbt renders it, and Jinja that writes a file if rendered: a
# folder may be named anything but '/'. dbt renders --vars; SEGMENTATION_USER_PROFILES_PATH
# must be taken as written.
FAILS_IF_RENDERED = "{{ exceptions.raise_compiler_error('the path was rendered as Jinja') }}"
WRITES_IF_RENDERED = "{{ run_query(\"copy (select 1 as x) to 'jinja_ran.csv'\") }}"
STAGING_ONLY = [
    "--select",
    "+stg_platform__user_profiles_rejected +stg_platform__user_profiles",
    "--indirect-selection",
    "cautious",
]


def jinja_folder(tmp: Path) -> Path:
    folder = tmp / WRITES_IF_RENDERED / FAILS_IF_RENDERED
    folder.mkdir(parents=True)
    return write_csv(folder / "users.csv", clean_rows())


def test_the_environment_variable_path_is_read_literally_never_rendered(tmp_path):
    path = jinja_folder(tmp_path)
    result = run_dbt(
        tmp_path / "dbt", extra=STAGING_ONLY, env={"SEGMENTATION_USER_PROFILES_PATH": str(path)}
    )
    assert result.ok, result.output[-3000:]
    assert "rendered as Jinja" not in result.output
    assert not (PROJECT_DIR / "jinja_ran.csv").exists()
    assert not list(tmp_path.rglob("jinja_ran.csv"))
    assert result.query("select count(*) from stg_platform__user_profiles")[0][0] == 20


def test_the_same_path_through_vars_is_rendered(tmp_path):
    """Why the environment variable exists: dbt renders a --vars value as Jinja (README says so,
    and says which settings must come from trusted operators only)."""
    folder = tmp_path / FAILS_IF_RENDERED
    folder.mkdir()
    path = write_csv(folder / "users.csv", clean_rows())
    result = run_dbt(tmp_path / "dbt", variables={"user_profiles_path": str(path)})
    assert not result.ok
    assert "the path was rendered as Jinja" in result.output


def test_the_environment_variable_and_the_var_naming_different_files_is_refused(tmp_path):
    first = write_csv(tmp_path / "first.csv", clean_rows())
    second = write_csv(tmp_path / "second.csv", clean_rows())
    result = run_dbt(
        tmp_path / "dbt",
        variables={"user_profiles_path": str(second)},
        env={"SEGMENTATION_USER_PROFILES_PATH": str(first)},
    )
    assert not result.ok
    assert (
        f"environment variable SEGMENTATION_USER_PROFILES_PATH ('{first}') and var "
        f"user_profiles_path ('{second}') name different files: set only one"
    ) in result.output


def test_a_problem_with_the_environment_variables_file_names_it(tmp_path):
    missing = tmp_path / "missing.csv"
    result = run_dbt(tmp_path / "dbt", env={"SEGMENTATION_USER_PROFILES_PATH": str(missing)})
    assert not result.ok
    assert (
        f"Input file {missing} (environment variable SEGMENTATION_USER_PROFILES_PATH): "
        "no such file."
    ) in result.output


# --- The export as a table in the warehouse (the source platform.user_profiles) ---------------


def load_table(database: Path, name: str, csv_path: Path) -> None:
    """A table in the warehouse holding the file's rows as text, as a loader would leave it."""
    database.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(database)) as connection:
        connection.sql(
            f"create table main.{name} as select * from read_csv('{csv_path}', all_varchar = true)"
        )


def staged(result, model: str) -> list[tuple]:
    return result.query(f"select * exclude (source_row_number) from {model} order by all")


def test_a_source_table_is_staged_as_the_same_file_is(tmp_path):
    """The staging contract holds for a table as for a file: the same users, the same
    quarantine with the same reasons, every row accounted for (mixed_bad_rows.csv has 30)."""
    path = require_shared(BAD_INPUTS / "mixed_bad_rows.csv")
    file_vars = {"user_profiles_path": str(path)}
    from_file = run_dbt(tmp_path / "file", "run", variables=file_vars, extra=STAGING_ONLY[:2])
    assert from_file.ok, from_file.output[-3000:]
    database = tmp_path / "table" / "warehouse.duckdb"
    load_table(database, "raw_user_export", path)
    from_table = run_dbt(
        tmp_path / "table",
        "run",
        variables={"user_profiles_source_table": "raw_user_export"},
        extra=STAGING_ONLY[:2],
        database=database,
    )
    assert from_table.ok, from_table.output[-3000:]
    for model in ("stg_platform__user_profiles", "stg_platform__user_profiles_rejected"):
        assert staged(from_table, model) == staged(from_file, model)
    clean, rejected = (
        from_table.query(f"select count(*) from {model}")[0][0]
        for model in ("stg_platform__user_profiles", "stg_platform__user_profiles_rejected")
    )
    assert clean + rejected == 30 and rejected > 0


def test_a_missing_source_table_is_named(tmp_path):
    result = run_dbt(tmp_path, variables={"user_profiles_source_table": "no_such_export"})
    assert not result.ok
    assert (
        "Source table main.no_such_export (vars user_profiles_source_schema, "
        "user_profiles_source_table): no such table."
    ) in result.output


def test_a_source_table_and_a_file_together_are_refused(tmp_path):
    path = write_csv(tmp_path / "users.csv", clean_rows())
    result = run_dbt(
        tmp_path / "dbt",
        variables={
            "user_profiles_source_table": "raw_user_export",
            "user_profiles_path": f"{path}",
        },
    )
    assert not result.ok
    assert (
        f"var user_profiles_source_table ('raw_user_export') and var user_profiles_path "
        f"('{path}') both name the input: set only one"
    ) in result.output


@pytest.mark.parametrize("name", ["users; drop table x", "1users", "raw.users"])
def test_a_source_name_that_is_not_a_plain_name_is_refused(tmp_path, name):
    result = run_dbt(tmp_path, variables={"user_profiles_source_schema": name})
    assert not result.ok
    assert (
        "user_profiles_source_schema must be empty or a name of letters, digits and _ "
        f"(not starting with a digit), got '{name}'"
    ) in result.output


def test_a_plain_csv_is_read_on_every_core_with_the_rows_one_thread_reads(tmp_path):
    """README, Performance: a CSV file without short lines or line breaks inside fields is read
    on every core; one with either is read by one thread; both reads give the same rows at the
    same positions. 300,000 generated users (~40 MB, with quoted interest lists) span several of
    DuckDB's parallel scan ranges."""
    export, _ = generate(300_000, seed=7, personas="export-like")
    plain = tmp_path / "plain.csv"
    export.to_csv(plain, index=False)
    last_row = plain.read_text().splitlines()[-1].split(",")
    files = {
        "plain": plain,
        "with_short_row": tmp_path / "with_short_row.csv",
        "with_line_break": tmp_path / "with_line_break.csv",
    }
    files["with_short_row"].write_bytes(plain.read_bytes() + b"u-short,25-34\n")
    line_break_row = ",".join(['"u-line\nbreak"', *last_row[1:]]) + "\n"
    files["with_line_break"].write_bytes(plain.read_bytes() + line_break_row.encode())
    logs, reads = {}, {}
    for name, path in files.items():
        workdir = tmp_path / name
        result = run_dbt(
            workdir,
            "run",
            variables={"user_profiles_path": str(path)},
            extra=["--select", "base_platform__user_profile_rows"],
        )
        assert result.ok, result.output[-3000:]
        logs[name] = (workdir / "logs" / "dbt.log").read_text()
        compiled = next((workdir / "target" / "run").rglob("base_platform__user_profile_rows.sql"))
        reads[name] = "parallel = true" in compiled.read_text()
    assert reads == {"plain": True, "with_short_row": False, "with_line_break": False}
    assert f"Reading {plain} on every core" in logs["plain"]
    for name, found in (
        (
            "with_short_row",
            "inside a field: 0; lines with fewer fields than the header, or unreadable: 1.",
        ),
        (
            "with_line_break",
            "inside a field: 1; lines with fewer fields than the header, or unreadable: 0.",
        ),
    ):
        assert f"Reading {files[name]} by one thread" in logs[name] and found in logs[name]
    rows = "select rowid, * from {}.main.base_platform__user_profile_rows"
    with duckdb.connect() as connection:
        for name in ("plain", "with_short_row"):
            database = tmp_path / name / "warehouse.duckdb"
            connection.execute(f"attach '{database}' as {name} (read_only)")
        parallel, one_thread = rows.format("plain"), rows.format("with_short_row")
        assert connection.sql(f"select count(*) from ({parallel})").fetchall() == [(300_000,)]
        differences = connection.sql(
            f"select count(*) from (({parallel}) except all ({one_thread} where rowid < 300000))"
            f" union all select count(*) from"
            f" (({one_thread} where rowid < 300000) except all ({parallel}))"
        ).fetchall()
        assert differences == [(0,), (0,)]

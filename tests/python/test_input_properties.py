"""The input contract on inputs the tests make themselves (issue 13, section 7).

Every rejection reason code of README's table is produced here from a file written by the test,
so a checkout without ../shared covers all of them; and, with hypothesis, random mixes of valid
and broken rows are each accounted for exactly once (valid xor rejected) with the reasons the
specification gives.

The files are staged by the SQL dbt compiles for the staging models (staging_harness: compiled
once, run in DuckDB per file) rather than a full `dbt build` per example, which would take
~30 s each. test_input_contract.py builds one of these files end to end with dbt.

The expected reasons come from README ("Your own data": the columns, their valid values and the
reason codes) and the staging docs (blank policy, duplicate rule), written out below, not from
the macros or vars the models read.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from staging_harness import StagingSQL, write_export

pytestmark = pytest.mark.dbt

# README "Your own data", in the export's column order: header, staged name, kind of values.
# Categorical columns carry their valid values; numeric kinds are described below.
COLUMNS: tuple[tuple[str, str, object], ...] = (
    ("User ID", "user_id", "id"),
    ("Age", "age_band", ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")),
    ("Gender", "gender", ("Male", "Female")),
    ("Location", "location", ("Urban", "Suburban", "Rural")),
    ("Language", "language", ("English", "Spanish", "Mandarin", "Hindi")),
    (
        "Education Level",
        "education_level",
        ("High School", "Bachelor", "Master", "PhD", "Technical"),
    ),
    ("Likes and Reactions", "likes_and_reactions", "count"),
    ("Followed Accounts", "followed_accounts", "count"),
    ("Device Usage", "device_usage", ("Mobile Only", "Desktop Only", "Mobile + Desktop", "Tablet")),
    ("Time Spent Online (hrs/weekday)", "weekday_hours_online", "hours"),
    ("Time Spent Online (hrs/weekend)", "weekend_hours_online", "hours"),
    ("Click-Through Rates (CTR)", "click_through_rate", "rate"),
    ("Conversion Rates", "conversion_rate", "rate"),
    ("Ad Interaction Time (sec)", "ad_interaction_seconds", "seconds"),
    (
        "Income Level",
        "income_band",
        ("0-20k", "20k-40k", "40k-60k", "60k-80k", "80k-100k", "100k+"),
    ),
    ("Top Interests", "top_interests", "interests"),
)
HEADER = tuple(column[0] for column in COLUMNS)

# Values of each numeric kind, by what README says of them: counts are whole numbers >= 0,
# hours 0 to 24, rates 0 to 1, seconds >= 0 (bounds included).
VALID_NUMBERS = {
    "count": ["0", "1", "17", "250", "9973", " 42 "],
    "hours": ["0", "0.5", "3.7", "12", "24", "24.0", " 2.5 "],
    "rate": ["0", "0.05", ".25", "5e-2", "1", "1.0", "0.999"],
    "seconds": ["0", "5", "12.5", "179", "1e3"],
}
OUT_OF_RANGE_NUMBERS = {
    "count": ["-1", "-40"],
    "hours": ["-0.5", "24.5", "100"],
    "rate": ["-0.01", "1.01", "7"],
    "seconds": ["-1", "-0.5"],
}
# "not a number" (README) / "not a finite number" (staging docs).
UNPARSEABLE_NUMBERS = ["abc", "1.2.3", "12a", "twelve", "1 2", "--1", "NaN", "inf", "-Infinity"]
# "a count with decimals": a fractional part.
FRACTIONAL_COUNTS = ["12.5", "0.1", "3.25"]
# Blank: empty or only spaces (blank policy).
BLANKS = ["", " ", "   "]
# Not in any vocabulary (matching ignores case and surrounding spaces, nothing else).
UNKNOWN_VALUES = ["Unknown", "Other", "N/A", "-", "25 to 34", "Mal e", "Ma\nle", '"Male"', "A, B"]
# The header line's User ID, as repeated inside the data (any case, surrounding spaces).
HEADER_IDS = ["User ID", "user_id", "userid", "USER ID", " UserId "]
KNOWN_INTERESTS = ("Gaming", "Data Science", "Pet Care", "Photography", "DIY Crafts")


def canonical(values: tuple[str, ...], text: str) -> str | None:
    """The vocabulary's spelling of a value, matched ignoring case and surrounding spaces."""
    matches = [value for value in values if value.lower() == text.strip(" ").lower()]
    return matches[0] if matches else None


@dataclass
class Row:
    """One generated input row and the reasons the specification gives for its own fields."""

    fields: list[str]
    reasons: set[str] = field(default_factory=set)
    is_header: bool = False

    @property
    def user_id(self) -> str | None:
        """The id rows are grouped by for duplicates: trimmed of spaces, case kept."""
        text = self.fields[0].strip(" ")
        return text or None


def expected_reasons(rows: list[Row]) -> list[set[str]]:
    """Every row's reasons: its own, plus duplicate_user_id by the duplicate rule (of the rows
    sharing a trimmed id, the first in file order with no other reason is kept, else the first;
    a repeated header is never a duplicate)."""
    reasons = [set(row.reasons) for row in rows]
    groups: dict[str, list[int]] = {}
    for position, row in enumerate(rows):
        if not row.is_header and row.user_id is not None:
            groups.setdefault(row.user_id, []).append(position)
    for positions in groups.values():
        valid = [position for position in positions if not reasons[position]]
        kept = valid[0] if valid else positions[0]
        for position in positions:
            if position != kept:
                reasons[position].add("duplicate_user_id")
    return reasons


# --- Strategies ----------------------------------------------------------------------------
# Values avoid ';', '|' and tabs, which DuckDB's delimiter detection could take for the
# delimiter in a file of a few rows (the semicolon-delimited case is tested end to end).
ID_CHARACTERS = st.sampled_from(list("abcxyzABCXYZ0123456789-_ ,\"'\n"))


def is_header_id(text: str) -> bool:
    return text.strip(" ").lower() in ("user id", "user_id", "userid")


user_ids = (
    st.text(ID_CHARACTERS, min_size=1, max_size=8)
    .map(lambda text: text.strip(" "))
    .filter(lambda text: text != "" and not is_header_id(text))
)


@st.composite
def padded(draw, text: str) -> str:
    """A value with spaces around it, or not (spaces are trimmed before every check)."""
    return draw(st.sampled_from(["", " ", "  "])) + text + draw(st.sampled_from(["", " "]))


@st.composite
def categorical_value(draw, values: tuple[str, ...]) -> str:
    value = draw(st.sampled_from(values))
    cased = draw(st.sampled_from([value, value.lower(), value.upper()]))
    return draw(padded(cased))


@st.composite
def interests(draw) -> str:
    names = draw(
        st.lists(
            st.sampled_from(
                [*KNOWN_INTERESTS, "gaming", 'Retro "consoles"', "Line\nbreak", "Knitting"]
            ),
            max_size=4,
        )
    )
    return draw(st.sampled_from([", ", ",", " , "])).join(names)


@st.composite
def cell(draw, column: tuple[str, str, object], broken: bool) -> tuple[str, str | None]:
    """(value, reason code or None) for one column; a broken cell gets one of its column's
    defects, chosen among those README lists for its kind."""
    _, name, kind = column
    if kind == "interests":
        return draw(st.one_of(interests(), st.sampled_from(BLANKS))), None
    if kind == "id":
        if broken:
            return draw(st.sampled_from(BLANKS)), "missing_user_id"
        return draw(padded(draw(user_ids))), None
    if not broken:
        if isinstance(kind, tuple):
            return draw(categorical_value(kind)), None
        return draw(st.sampled_from(VALID_NUMBERS[kind])), None
    defects = ["missing", "unknown"] if isinstance(kind, tuple) else ["missing", "unparseable"]
    if not isinstance(kind, tuple):
        defects.append("out_of_range")
    if kind == "count":
        defects.append("not_whole")
    defect = draw(st.sampled_from(defects))
    value = {
        "missing": lambda: draw(st.sampled_from(BLANKS)),
        "unknown": lambda: draw(st.sampled_from(UNKNOWN_VALUES)),
        "unparseable": lambda: draw(st.sampled_from(UNPARSEABLE_NUMBERS)),
        "out_of_range": lambda: draw(st.sampled_from(OUT_OF_RANGE_NUMBERS[kind])),
        "not_whole": lambda: draw(st.sampled_from(FRACTIONAL_COUNTS)),
    }[defect]()
    return value, f"{defect}_{name}"


@st.composite
def data_row(draw) -> Row:
    broken = draw(st.sets(st.integers(0, len(COLUMNS) - 1), max_size=3))
    if draw(st.integers(0, 2)) > 0:
        broken = set()  # two rows in three are valid
    row = Row([])
    for position, column in enumerate(COLUMNS):
        value, reason = draw(cell(column, position in broken))
        row.fields.append(value)
        if reason:
            row.reasons.add(reason)
    return row


@st.composite
def short_row(draw) -> Row:
    """A row with fewer fields than the header: the absent ones are blank (padded), so every
    absent required column is missing_<column>. Its User ID is there and not blank."""
    row = draw(data_row())
    keep = draw(st.integers(1, len(COLUMNS) - 1))
    row.fields = row.fields[:keep]
    if row.user_id is None:
        row.fields[0] = draw(user_ids)
    row.reasons = {reason for reason in row.reasons if reason != "missing_user_id"}
    for _, name, kind in COLUMNS[keep:]:
        row.reasons = {reason for reason in row.reasons if not reason.endswith(f"_{name}")}
        if kind != "interests":
            row.reasons.add(f"missing_{name}")
    return row


@st.composite
def header_row(draw) -> Row:
    """A header line inside the data (concatenated exports): repeated_header and nothing else."""
    fields = list(HEADER)
    fields[0] = draw(st.sampled_from(HEADER_IDS))
    return Row(fields, {"repeated_header"}, is_header=True)


@st.composite
def input_rows(draw) -> list[Row]:
    rows = draw(
        st.lists(
            st.one_of(data_row(), data_row(), data_row(), data_row(), short_row(), header_row()),
            min_size=1,
            max_size=12,
        )
    )
    # Repeat some ids of earlier rows, exactly or with spaces around (trimmed before grouping).
    for position in range(1, len(rows)):
        earlier = rows[draw(st.integers(0, position - 1))]
        row = rows[position]
        if row.is_header or earlier.is_header or earlier.user_id is None or row.user_id is None:
            continue
        if draw(st.integers(0, 3)) == 0:
            row.fields[0] = draw(padded(earlier.user_id))
    return rows


# --- Tests ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def staging(tmp_path_factory) -> StagingSQL:
    return StagingSQL(tmp_path_factory.mktemp("staging_sql"))


def stage_rows(staging: StagingSQL, folder: Path, rows: list[Row]):
    path = write_export(folder / "input.csv", [row.fields for row in rows], header=HEADER)
    return staging.stage(path)


def assert_accounted_for(staged, rows: list[Row]) -> None:
    """Every input row once, valid xor rejected, with exactly the reasons the spec gives."""
    expected = expected_reasons(rows)
    assert staged.unreadable_lines == 0
    assert staged.input_rows == len(rows)
    assert set(staged.valid).isdisjoint(staged.rejected)
    assert set(staged.valid) | set(staged.rejected) == set(range(1, len(rows) + 1))
    for number, (row, reasons) in enumerate(zip(rows, expected, strict=True), start=1):
        if not reasons:
            assert number in staged.valid, (number, row.fields, staged.rejected.get(number))
            assert staged.valid[number]["user_id"] == row.user_id
            assert staged.valid[number]["gender"] == canonical(COLUMNS[2][2], row.fields[2])
        else:
            assert number in staged.rejected, (number, row.fields, reasons)
            got = staged.rejected[number]
            assert len(got) == len(set(got)), f"a reason twice: {got}"
            assert set(got) == reasons, (number, row.fields)


# README's table of reason codes, spelled out for every column it applies to.
REQUIRED = [name for _, name, kind in COLUMNS if kind != "interests"]
CATEGORICAL = [name for _, name, kind in COLUMNS if isinstance(kind, tuple)]
NUMERIC = [name for _, name, kind in COLUMNS if kind in ("count", "hours", "rate", "seconds")]
COUNTS = [name for _, name, kind in COLUMNS if kind == "count"]
EVERY_REASON = sorted(
    [f"missing_{name}" for name in REQUIRED]
    + [f"unknown_{name}" for name in CATEGORICAL]
    + [f"unparseable_{name}" for name in NUMERIC]
    + [f"not_whole_{name}" for name in COUNTS]
    + [f"out_of_range_{name}" for name in NUMERIC]
    + ["duplicate_user_id", "repeated_header"]
)


def valid_fields(number: int) -> list[str]:
    """A valid row; its numbers vary with `number`, so that valid rows can be clustered."""
    return [
        f"u{number}",
        ("25-34", "45-54", "65+")[number % 3],
        ("Female", "Male")[number % 2],
        "Urban",
        "English",
        "PhD",
        str(100 + 37 * number),
        str(10 + number % 50),
        "Tablet",
        str(0.5 + number % 8),
        str(1 + number % 7),
        f"{(number % 20) / 100:.2f}",
        f"{(number % 9) / 100:.2f}",
        str(5 + number % 60),
        ("0-20k", "20k-40k", "100k+")[number % 3],
        "Gaming, Pet Care",
    ]


# The value that breaks a column in each way (README's meaning of each code).
DEFECT_VALUES = {
    "missing": lambda kind: "",
    "unknown": lambda kind: "Unknown",
    "unparseable": lambda kind: "abc",
    "not_whole": lambda kind: "12.5",
    "out_of_range": lambda kind: OUT_OF_RANGE_NUMBERS[kind][0],
}


def one_defect_per_row() -> list[Row]:
    """Five valid rows, then one row per reason code with that defect only."""
    rows = [Row(valid_fields(number)) for number in range(1, 6)]
    columns = {name: (index, kind) for index, (_, name, kind) in enumerate(COLUMNS)}
    for number, code in enumerate(EVERY_REASON, start=100):
        fields = valid_fields(number)
        if code == "repeated_header":
            rows.append(Row(list(HEADER), {code}, is_header=True))
            continue
        if code == "duplicate_user_id":
            fields[0] = "u1"  # the first valid row keeps the id
            rows.append(Row(fields))  # its reason comes from expected_reasons
            continue
        defect, name = next(
            (defect, code.removeprefix(defect + "_"))
            for defect in DEFECT_VALUES
            if code.startswith(defect + "_")
        )
        index, kind = columns[name]
        fields[index] = DEFECT_VALUES[defect](kind)
        rows.append(Row(fields, {code}))
    return rows


def test_the_reason_codes_are_readmes_forty(tmp_path):
    # 15 required columns, 7 vocabularies, 7 numbers (2 of them counts), and the two row codes.
    assert len(EVERY_REASON) == 15 + 7 + 7 + 2 + 7 + 2 == 40
    assert len(set(EVERY_REASON)) == 40


def test_every_reason_code_is_produced_by_its_defect(staging, tmp_path):
    rows = one_defect_per_row()
    staged = stage_rows(staging, tmp_path, rows)
    assert_accounted_for(staged, rows)
    produced = set(itertools.chain.from_iterable(staged.rejected.values()))
    assert produced == set(EVERY_REASON)


def test_short_rows_quoted_line_breaks_and_blank_lines_between_rows(staging, tmp_path):
    """A short row is padded with blanks (quarantined, not a failed read); a line break,
    quotes and the delimiter inside a quoted field stay in the value (RFC 4180)."""
    long_interests = 'Gaming, "Retro"\nconsoles, a, b\r\nPhotography'
    rows = [
        Row(valid_fields(1)[:15] + [long_interests]),
        Row(["u2", "25-34"], {f"missing_{name}" for name in REQUIRED[2:]}),
        Row(['u"3",\nx', *valid_fields(3)[1:]]),
    ]
    staged = stage_rows(staging, tmp_path, rows)
    assert_accounted_for(staged, rows)
    assert staged.valid[1]["interests"] == [
        "Gaming",
        '"Retro"\nconsoles',
        "a",
        "b\r\nPhotography",
    ]
    assert staged.valid[3]["user_id"] == 'u"3",\nx'


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=input_rows())
def test_every_row_is_accounted_for_once_with_the_right_reasons(staging, tmp_path, rows):
    staged = stage_rows(staging, tmp_path, rows)
    assert_accounted_for(staged, rows)

"""The engine seams (README, Design: "One seam per engine"), checked on the source without dbt.

Every DuckDB-only construct of the SQL that models emit lives in the `duckdb__` implementation
of a dispatched macro, every dispatched macro has a `duckdb__` and a `default__`, and the Python
models read relations only through segmentation.adapters.read_frame.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# DuckDB syntax that Spark (or ANSI SQL) rejects or reads differently. Matched on the SQL text
# a file emits: Jinja tags, expressions and comments, SQL comments, string literals and quoted
# identifiers are blanked first (see sql_text).
DUCKDB_ONLY: dict[str, str] = {
    "list function": r"\b(?:list_\w+|array_to_string|string_split|string_split_regex)\s*\(",
    "len()": r"\blen\s*\(",
    "unnest()": r"\bunnest\s*\(",
    "range()": r"\b(?:range|generate_series)\s*\(",
    "lambda": r"\blambda\b|->",
    "list literal, index or slice": r"\[|\]",
    "struct literal": r"[{}]",
    "as [not] materialized": r"\bas\s+(?:not\s+)?materialized\b",
    "trailing comma": r",\s*(?:\bfrom\b|\))",
    "rowid": r"\browid\b",
    "isinf/isnan": r"\bis(?:inf|nan|finite)\s*\(",
    "* exclude / replace": r"\*\s*(?:exclude|replace)\b",
    "columns()": r"\bcolumns\s*\(",
    "integer division //": r"//",
    "arg_max/arg_min": r"\b(?:arg_max|arg_min|argmax|argmin|max_by|min_by)\s*\(",
    "file reading": r"\bread_(?:csv|csv_auto|parquet|json|json_auto|blob|text)\s*\(|\bglob\s*\(",
    ":: cast": r"::",
    "hash()": r"\bhash\s*\(",
    "semi/anti join": r"\b(?:semi|anti|positional|asof)\s+join\b",
    "from_json/printf": r"\b(?:from_json|json_transform|printf|format)\s*\(",
    "median()": r"\bmedian\s*\(",
    "group/order by all": r"\b(?:group|order)\s+by\s+all\b",
    "qualify": r"\bqualify\b",
    "using sample": r"\busing\s+sample\b",
}

_JINJA_TAG = re.compile(r"\{#.*?#\}|\{%.*?%\}", re.DOTALL)
# Innermost first: a config block may hold `{{ ... }}` in a string.
_JINJA_EXPRESSION = re.compile(r"\{\{(?:(?!\{\{).)*?\}\}", re.DOTALL)
_SQL_COMMENT = re.compile(r"--[^\n]*")
_STRING = re.compile(r"'(?:[^']|'')*'")
_QUOTED_NAME = re.compile(r'"(?:[^"]|"")*"')
_MACRO = re.compile(
    r"\{%-?\s*macro\s+(\w+)\s*\(.*?%\}(.*?)\{%-?\s*endmacro\s*-?%\}", re.DOTALL | re.IGNORECASE
)


def sql_text(source: str) -> str:
    """The SQL a template emits, without Jinja, comments, strings or quoted names (so that
    neither a message nor a column called "x[1]" looks like a construct). A Jinja tag or
    comment becomes a space, so text on either side of a loop's `{% endfor %}` meets, as it
    does when the loop's last pass is followed by what comes after it; a Jinja expression
    becomes a name (it stands for a value), and so do strings and quoted names."""
    source = _JINJA_TAG.sub(" ", source)
    while _JINJA_EXPRESSION.search(source):
        source = _JINJA_EXPRESSION.sub(" jinja_value ", source)
    source = _SQL_COMMENT.sub(" ", source)
    return _QUOTED_NAME.sub(" quoted_name ", _STRING.sub(" string_value ", source))


def constructs(sql: str) -> list[str]:
    """The names of the DuckDB-only constructs found in SQL text (lower-cased first)."""
    text = sql.lower()
    return [name for name, pattern in DUCKDB_ONLY.items() if re.search(pattern, text)]


def model_files() -> list[Path]:
    return sorted((ROOT / "models").rglob("*.sql"))


def macro_files() -> list[Path]:
    return sorted((ROOT / "macros").rglob("*.sql"))


def macros() -> dict[str, tuple[Path, str]]:
    """Every macro of the project: name -> (file, body)."""
    found: dict[str, tuple[Path, str]] = {}
    for path in macro_files():
        for match in _MACRO.finditer(path.read_text()):
            found[match.group(1)] = (path, match.group(2))
    return found


def is_implementation(macro_name: str, dispatched: set[str]) -> bool:
    """Whether a macro is one engine's implementation of a dispatched macro (`duckdb__x`,
    `default__x`, `spark__x`, ...): engine-specific SQL belongs there."""
    engine, _, name = macro_name.partition("__")
    return bool(engine) and name in dispatched


def emitted_macro_sql(path: Path) -> str:
    """The SQL text of a macro file outside the engine implementations of dispatched macros."""
    dispatched = dispatched_names()
    kept = _MACRO.sub(
        lambda match: "" if is_implementation(match.group(1), dispatched) else match.group(0),
        path.read_text(),
    )
    return sql_text(kept)


def dispatched_names() -> set[str]:
    names: set[str] = set()
    for path in macro_files():
        names.update(re.findall(r"adapter\.dispatch\(\s*'(\w+)'", path.read_text()))
    return names


# --- the scanner itself -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("select len(interest_names) as n from profiles", "len()"),
        ("select list_contains(reasons, 'x') from t", "list function"),
        ("select [1, 2] as v from t", "list literal, index or slice"),
        ("select segment_ids[i + 1] from t", "list literal, index or slice"),
        ("select {'a': 1} as s from t", "struct literal"),
        ("with users as not materialized (select 1) select * from users", "as [not] materialized"),
        ("with users as materialized (select 1) select * from users", "as [not] materialized"),
        ("select\n    a,\n    b,\nfrom t", "trailing comma"),
        ("select\n    a,\n{%- endfor %}\nfrom t", "trailing comma"),
        ("select count(*) from (select a, from t) as x", "trailing comma"),
        ("select rowid + 1 from t", "rowid"),
        ("select isinf(x) from t", "isinf/isnan"),
        ("select * exclude (a) from t", "* exclude / replace"),
        ("select columns('a.*') from t", "columns()"),
        ("select a // 2 from t", "integer division //"),
        ("select arg_max(a, b) from t", "arg_max/arg_min"),
        ("select * from read_csv('x.csv')", "file reading"),
        ("select unnest(interests) as interest_name from t", "unnest()"),
        ("select list_transform(l, lambda x: x + 1) from t", "lambda"),
        ("select a::double from t", ":: cast"),
    ],
)
def test_the_scanner_finds_each_duckdb_construct(sql: str, expected: str) -> None:
    assert expected in constructs(sql_text(sql))


@pytest.mark.parametrize(
    "sql",
    [
        "select\n    a,\n    b\nfrom t",
        "select coalesce(a, 0) as a, count(*) as n from t group by 1",
        "select 'a, ' || b as label, \"odd[name]\" from t",
        "select {{ list_length('x') }} as n from t",
        "{# [1, 2], from #} select cast(a as double) as a from t",
        "select a -- a list: [1, 2],\nfrom t",
        "select\n    a{{ ',' if not loop.last }}\n{%- endfor %}\nfrom t",
    ],
)
def test_the_scanner_passes_portable_sql(sql: str) -> None:
    assert constructs(sql_text(sql)) == []


# --- the project --------------------------------------------------------------------------------


def test_no_model_or_data_test_uses_duckdb_only_syntax_outside_a_macro() -> None:
    data_tests = sorted((ROOT / "tests" / "dbt").rglob("*.sql"))
    found = {
        str(path.relative_to(ROOT)): names
        for path in model_files() + data_tests
        if (names := constructs(sql_text(path.read_text())))
    }
    assert found == {}, "DuckDB-only syntax in SQL (put it behind a dispatched macro)"
    assert len(model_files()) >= 30 and len(data_tests) >= 8, "the scan must see the files"


def test_no_macro_emits_duckdb_only_syntax_outside_an_engine_implementation() -> None:
    found = {
        str(path.relative_to(ROOT)): names
        for path in macro_files()
        if (names := constructs(emitted_macro_sql(path)))
    }
    assert found == {}, "DuckDB-only syntax outside an engine implementation (duckdb__x, ...)"


def test_every_dispatched_macro_has_a_duckdb_and_a_default_implementation() -> None:
    defined = macros()
    dispatched = dispatched_names()
    assert len(dispatched) >= 20, "the scan must see the dispatched macros"
    missing = sorted(
        f"{prefix}{name}"
        for name in dispatched
        for prefix in ("duckdb__", "default__")
        if f"{prefix}{name}" not in defined
    )
    assert missing == []


def test_a_default_without_portable_sql_names_its_macro_when_it_refuses() -> None:
    """A `default__` with no portable SQL stops the compile naming the macro (and, through
    engine_not_supported, the engine): never silently DuckDB SQL on another engine."""
    refusing = {
        name: body
        for name, (_, body) in macros().items()
        if name.startswith("default__") and "engine_not_supported" in body
    }
    assert refusing, "some defaults have no portable SQL"
    wrong = [
        name
        for name, body in refusing.items()
        if f"engine_not_supported('{name.removeprefix('default__')}')" not in body
    ]
    assert wrong == []
    _, helper = macros()["engine_not_supported"]
    assert "raise_compiler_error" in helper and "target.type" in helper


def test_python_models_read_relations_through_one_helper() -> None:
    """No Python model reads a relation itself (`.df()`, `.fetch*()`, `session.sql`, `.arrow()`):
    segmentation.adapters does, in read_frame and previous_relation, so another engine is
    swapped in there."""
    reading = re.compile(r"\.(?:df|fetch\w*|arrow|to_pandas|toPandas)\(|session\.(?:sql|table)\(")
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "models").rglob("*.py"))
        if reading.search(path.read_text())
    ]
    assert offenders == []
    adapters = (ROOT / "python" / "segmentation" / "adapters.py").read_text()
    outside_helpers = re.sub(
        r"\ndef (?:read_frame|previous_relation)\(.*?(?=\ndef |\Z)", "\n", adapters, flags=re.DOTALL
    )
    assert not reading.search(outside_helpers), "adapters reads a relation outside read_frame"


def test_read_frame_and_previous_relation_read_what_they_are_asked_for() -> None:
    import duckdb

    from segmentation.adapters import as_matrix, previous_relation, read_frame

    connection = duckdb.connect()
    assert previous_relation(connection, "main.not_built_yet") is None
    connection.sql("create table segments as select * from (values (2, 'b', 0.5), (1, 'a', 1.5))")
    previous = previous_relation(connection, "main.segments", ["col0", "col2"])
    assert read_frame(previous).to_dict("list") == {"col0": [2, 1], "col2": [0.5, 1.5]}
    assert list(read_frame(connection.table("segments"), ["col1"]).columns) == ["col1"]
    matrix = as_matrix(connection.table("segments"), ["col0", "col2"])
    assert matrix.tolist() == [[2.0, 0.5], [1.0, 1.5]] and matrix.flags["C_CONTIGUOUS"]

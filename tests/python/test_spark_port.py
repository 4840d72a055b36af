"""The Spark side of the engine seams, without Spark: conditions compiled to Spark SQL, the local
submission helper's registration, read_frame on a Spark DataFrame, and a Spark implementation
(or portable SQL) for every dispatched macro. The build itself, which runs the helper, runs on
local Spark with `make spark-build`."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import pandas as pd

from jinja_macros import render_macro
from segmentation import adapters, local_spark
from segmentation.rule_segments import compile_rule_segments
from test_engine_seams import ROOT, dispatched_names, macros
from test_rule_segments import COLUMNS, entry

SPARK_COLUMNS = replace(COLUMNS, dialect="spark")
_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)


def test_conditions_compile_to_spark_sql_with_backticks_and_array_contains():
    """Spark reads "name" as a text, not a column, and has no list_contains."""
    segments = compile_rule_segments(
        [
            entry("Gamers", {"interest": "Gaming"}),
            entry("Young", {"all": [{"column": "age_band", "equals": "18-24"}]}),
            entry("Heavy", {"flag": "is_high_ctr"}),
        ],
        SPARK_COLUMNS,
        "rules.yml",
    )
    assert [s.condition_sql for s in segments] == [
        "coalesce(array_contains(`interests`, 'Gaming'), false)",
        "(coalesce(`age_band` = '18-24', false))",
        "coalesce(`is_high_ctr`, false)",
    ]
    assert '"' not in "".join(s.condition_sql for s in segments)


def spark_positions(positions, conditions) -> str:
    """The SQL of macro spark__list_positions_where, whitespace collapsed."""
    sql = render_macro(
        "engine/list_positions_where.sql", "spark__list_positions_where", positions, conditions
    )
    return " ".join(sql.split()).replace("( ", "(").replace(" )", ")")


def test_spark_positions_keep_file_order_and_drop_unmatched():
    assert spark_positions([1, 3], ["a > 1", "b"]) == (
        "cast(array_compact(array(case when coalesce(a > 1, false) then 1 end, "
        "case when coalesce(b, false) then 3 end)) as array<int>)"
    )
    assert spark_positions([], []) == "cast(array() as array<int>)"


class _Adapter:
    """Stands in for dbt-spark's SparkAdapter: Databricks' helpers, Databricks' default."""

    def __init__(self, method: str):
        self.config = type("Config", (), {"credentials": type("Creds", (), {"method": method})})

    @property
    def python_submission_helpers(self):
        return {"all_purpose_cluster": object}

    @property
    def default_python_submission_method(self):
        return "all_purpose_cluster"


def test_the_local_helper_is_the_default_of_the_session_method_only():
    local_spark.register(_Adapter)
    session, thrift = _Adapter("session"), _Adapter("thrift")
    assert session.default_python_submission_method == "local_session"
    assert thrift.default_python_submission_method == "all_purpose_cluster"
    assert thrift.python_submission_helpers == {
        "all_purpose_cluster": object,
        "local_session": local_spark.LocalSessionPythonJobHelper,
    }


class _SparkFrame:
    """A pyspark DataFrame's reading API (orderBy, select, toPandas, columns, dtypes)."""

    __module__ = "pyspark.sql.dataframe"

    def __init__(self, frame: pd.DataFrame, dtypes=()):
        self.frame = frame
        self.dtypes = list(dtypes)

    @property
    def columns(self):
        return list(self.frame.columns)

    def orderBy(self, column):  # noqa: N802 (pyspark's name)
        return _SparkFrame(self.frame.sort_values(column), self.dtypes)

    def select(self, *columns):
        return _SparkFrame(self.frame[list(columns)], self.dtypes)

    def toPandas(self):  # noqa: N802 (pyspark's name)
        return self.frame.reset_index(drop=True)


def test_read_frame_reads_a_spark_frame_in_input_order():
    """A Spark table keeps no row order: the fit must see the rows in input order."""
    stored = pd.DataFrame({"source_row_number": [3, 1, 2], "x": [30.0, 10.0, 20.0]})
    assert adapters.read_frame(_SparkFrame(stored), ["x"])["x"].tolist() == [10.0, 20.0, 30.0]
    without_order = pd.DataFrame({"y": [2, 1]})
    assert adapters.read_frame(_SparkFrame(without_order))["y"].tolist() == [2, 1]


class _WarehouseFrame:
    """What read_frame needs of a Snowpark or BigQuery DataFrame: to_pandas, with Snowflake's
    upper-case names for unquoted columns, in no particular row order."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def to_pandas(self):
        return self.frame.rename(columns=str.upper)


def test_read_frame_reads_a_warehouse_frame_in_input_order_with_our_names():
    stored = pd.DataFrame({"source_row_number": [2, 3, 1], "x": [20.0, 30.0, 10.0], "y": [2, 3, 1]})
    frame = adapters.read_frame(_WarehouseFrame(stored), ["x", "source_row_number"])
    assert frame.to_dict("list") == {"x": [10.0, 20.0, 30.0], "source_row_number": [1, 2, 3]}
    assert list(adapters.read_frame(_WarehouseFrame(stored)).columns) == [
        "source_row_number",
        "x",
        "y",
    ]


def test_spark_columns_are_classified_like_duckdb_ones():
    frame = _SparkFrame(
        pd.DataFrame(),
        [
            ("interests", "array<string>"),
            ("age_band", "string"),
            ("n", "bigint"),
            ("is_x", "boolean"),
            ("share", "decimal(10,3)"),
        ],
    )
    assert adapters.column_kinds(frame) == {
        "interests": "list",
        "age_band": "text",
        "n": "number",
        "is_x": "boolean",
        "share": "number",
    }
    assert adapters.sql_dialect(frame) == "spark"


def test_every_dispatched_macro_has_a_spark_implementation_or_portable_sql():
    """A default__ that refuses (engine_not_supported) needs a spark__ beside it."""
    defined = macros()
    missing = sorted(
        name
        for name in dispatched_names()
        if f"spark__{name}" not in defined
        and "engine_not_supported" in defined[f"default__{name}"][1]
    )
    assert missing == []


# --- upserts that overwrite: int_user_segment_history's previous rows ---------------------------


@dataclass(frozen=True)
class _Relation:
    """dbt-spark's relation as the upsert macros use it: printed unquoted, incorporate()."""

    schema: str
    identifier: str

    def incorporate(self, path):
        return replace(self, **path)

    def __str__(self):
        return f"{self.schema}.{self.identifier}"


HISTORY = _Relation("segmentation", "int_user_segment_history")


def render_upsert(name: str, *args, file_format: str, incremental: bool = True, ran=None) -> str:
    """A spark__ upsert macro, for int_user_segment_history in a table of `file_format`."""
    context = {
        "this": HISTORY,
        "config": {"file_format": file_format},
        "is_incremental": lambda: incremental,
        "run_query": (ran if ran is not None else []).append,
    }
    sql = render_macro("engine/upsert_strategy.sql", name, *args, context=context)
    return " ".join(sql.split())


def test_the_history_model_reads_its_previous_rows_through_the_upsert_macros():
    """Read straight from `this`, the overwrite on local Spark fails from the second build on
    ("Can't overwrite the target that is also being read from")."""
    model = (
        ROOT / "models" / "intermediate" / "segmentation" / "int_user_segment_history.sql"
    ).read_text()
    assert not re.search(r"\bthis\b", _JINJA_COMMENT.sub("", model))
    assert "select * from {{ upsert_previous_rows() }}" in model
    assert 'pre_hook="{{ copy_upsert_previous_rows() }}"' in model
    assert "{{ upsert_kept_rows('previous', 'history', 'user_id') }}" in model


def test_a_parquet_table_is_overwritten_from_a_copy_of_its_previous_rows():
    assert render_upsert("spark__upsert_strategy", file_format="parquet") == "insert_overwrite"
    previous = render_upsert("spark__upsert_previous_rows", file_format="parquet")
    assert previous == "segmentation.int_user_segment_history__previous" != str(HISTORY)
    ran = []
    assert render_upsert("spark__copy_upsert_previous_rows", file_format="parquet", ran=ran) == (
        f"create table {previous} using parquet as select * from {HISTORY}"
    )
    assert ran == [f"drop table if exists {previous}"]
    # The overwrite replaces the whole table: the users who left the input are carried over.
    kept = render_upsert(
        "spark__upsert_kept_rows", "previous", "history", "user_id", file_format="parquet"
    )
    assert kept == (
        "union all select previous.* from previous left anti join history"
        " on previous.user_id = history.user_id"
    )


def test_the_first_build_of_a_parquet_table_copies_nothing():
    ran = []
    hook = render_upsert(
        "spark__copy_upsert_previous_rows", file_format="parquet", incremental=False, ran=ran
    )
    assert hook == "" and ran == []


def test_a_delta_table_is_merged_reading_itself():
    """A merge may read its target, and keeps the rows it does not match."""
    assert render_upsert("spark__upsert_strategy", file_format="delta") == "merge"
    assert render_upsert("spark__upsert_previous_rows", file_format="delta") == str(HISTORY)
    ran = []
    assert render_upsert("spark__copy_upsert_previous_rows", file_format="delta", ran=ran) == ""
    assert ran == []
    kept = render_upsert(
        "spark__upsert_kept_rows", "previous", "history", "user_id", file_format="delta"
    )
    assert kept == ""

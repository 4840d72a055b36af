"""segmentation.rule_segments against what README and the module docstring state, without dbt.

The statements tested: every problem is reported with the segment's name and *where in its
condition* it is (docstring), with the known values, flags, interests or columns listed as in
README's example message; `between` is inclusive at both ends; numbers compare exactly; the
stored definition is the condition *as written* (model docs); the definitions file is UTF-8
text; the SQL works on any column name and on a connection without DuckDB's replacement scans.
The profile here is a small one of the test's own, so every expected list is written out.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import segmentation
from segmentation.adapters import type_kind
from segmentation.rule_segments import (
    ConditionError,
    ProfileColumns,
    RuleSegmentError,
    compile_condition,
    compile_rule_segments,
    definitions_frame,
    load_rule_segments,
    parse_definitions,
)
from segmentation.schema import INTERESTS

COLUMNS = ProfileColumns(
    categorical={"colour": ("Red", "Green", "Blue"), "size": ("S", "M", "L")},
    numeric=frozenset({"score", "visits"}),
    flags=frozenset({"is_new", "is_vip"}),
    interests=("Gaming", "Reading and Literature", "Travel"),
    other=frozenset({"user_id"}),
)
USABLE = "colour, score, size, visits"  # sorted, as the message lists them

USERS = pd.DataFrame(
    {
        "user_id": ["a", "b", "c", "d"],
        "colour": ["Red", "Blue", "Green", None],
        "score": [10.0, 20.0, 30.0, None],
        "visits": pd.Series([2**53, 2**53 + 1, 3, 4], dtype="int64"),
        "is_new": [True, False, None, True],
        "interests": [["Gaming"], ["Travel", "Gaming"], [], None],
    }
)


def members(condition, columns: ProfileColumns = COLUMNS, users: pd.DataFrame = USERS) -> set:
    sql = compile_condition(condition, columns)
    with duckdb.connect() as connection:
        connection.register("users", users)
        rows = connection.sql(f"select user_id, {sql} from users").fetchall()
    return {user_id for user_id, holds in rows if holds}


def problem(condition, columns: ProfileColumns = COLUMNS) -> str:
    with pytest.raises(ConditionError) as raised:
        compile_condition(condition, columns)
    return str(raised.value)


def entry(name: str, condition=None, **extra) -> dict:
    condition = {"flag": "is_new"} if condition is None else condition
    return {"name": name, "description": f"{name}.", "condition": condition, **extra}


def entries_problem(entries: list) -> str:
    with pytest.raises(RuleSegmentError) as raised:
        compile_rule_segments(entries, COLUMNS, "rules.yml")
    return str(raised.value)


# --- Where each problem is ------------------------------------------------------------------------

INSIDE = "condition.any[1].not"  # where the broken condition sits in the wrapper below


@pytest.mark.parametrize(
    ("broken", "where", "says"),
    [
        ("colour is red", INSIDE, "is text ('colour is red')"),
        ([{"flag": "is_new"}], INSIDE, "is a list; wrap it in {all: [...]} or {any: [...]}"),
        (5, INSIDE, "must be a condition such as"),
        ({"flag": "is_new", "interest": "Gaming"}, INSIDE, "needs exactly one of"),
        ({"flag": "is_new", "equals": 1}, INSIDE, "unexpected key(s) equals beside 'flag'"),
        ({"all": []}, f"{INSIDE}.all", "must be a non-empty list of conditions"),
        ({"any": [{"flag": "nope"}]}, f"{INSIDE}.any[0]", "unknown flag 'nope'"),
        ({"flag": "nope"}, INSIDE, "unknown flag 'nope'"),
        ({"interest": "Knitting"}, INSIDE, "unknown interest 'Knitting'"),
        ({"column": 5, "gt": 1}, INSIDE, "column must be a column name, got 5"),
        ({"column": "is_vip", "equals": True}, INSIDE, "'is_vip' is a flag: write {flag: is_vip}"),
        ({"column": "interests", "in": ["Gaming"]}, INSIDE, "to test interests write"),
        ({"column": "user_id", "in": ["x"]}, INSIDE, "column 'user_id' cannot be used"),
        ({"column": "nope", "gt": 1}, INSIDE, "unknown column 'nope'"),
        ({"column": "score"}, INSIDE, "column 'score' needs an operator"),
        ({"column": "colour", "in": ["Red"], "equals": "Red"}, INSIDE, "'colour' is categorical"),
        ({"column": "colour", "in": []}, INSIDE, "'in' needs a non-empty list of colour values"),
        ({"column": "colour", "equals": "Purple"}, INSIDE, "unknown colour value 'Purple'"),
        ({"column": "score", "above": 1}, INSIDE, "unknown operator(s) above"),
        ({"column": "score", "between": [1]}, INSIDE, "'between' needs a list of two numbers"),
        ({"column": "score", "between": [1, "x"]}, INSIDE, "'between' needs a finite number"),
        ({"column": "score", "between": [3, 1]}, INSIDE, "'between' low 3 is above high 1"),
        ({"column": "score", "gte": "x"}, INSIDE, "'gte' needs a finite number, got 'x'"),
    ],
)
def test_every_problem_says_where_in_the_condition_it_is(broken, where, says):
    message = problem({"any": [{"flag": "is_new"}, {"not": broken}]})
    assert message.startswith(f"{where}: {says}")


def test_advice_ends_the_message_with_the_syntax_to_use():
    assert problem([{"flag": "is_new"}]).endswith("wrap it in {all: [...]} or {any: [...]}")
    assert problem({"column": "interests", "in": ["Gaming"]}).endswith("{interest: <name>}")
    assert problem({"column": "score", "between": [1]}).endswith("[low, high]")


def test_an_interest_condition_needs_an_interests_list_in_the_profile():
    no_list = ProfileColumns(categorical={}, numeric=frozenset(), flags=frozenset(), interests=())
    message = problem({"all": [{"interest": "Gaming"}]}, no_list)
    assert message == "condition.all[0]: the profile has no 'interests' list column"


# --- What a problem lists -------------------------------------------------------------------------


def test_a_problem_lists_the_known_options_as_readme_shows():
    assert problem({"column": "colour", "equals": "Purple"}).endswith("(known: Red, Green, Blue)")
    assert problem({"flag": "nope"}).endswith("(flags: is_new, is_vip)")
    assert problem({"interest": "Knitting"}).endswith(
        "(interests: Gaming, Reading and Literature, Travel)"
    )
    assert problem({"column": "qqqq", "gt": 1}).endswith(f"(usable columns: {USABLE})")
    assert problem({"column": "user_id", "in": ["x"]}).endswith(f"usable columns: {USABLE}")
    assert "(got in, equals)" in problem({"column": "colour", "in": ["Red"], "equals": "Red"})
    assert problem({"column": "score"}).endswith("(equals, gt, gte, lt, lte, between or in)")
    two_unknown = problem({"column": "score", "above": 1, "below": 2})
    assert two_unknown.endswith(
        "unknown operator(s) above, below for numeric column 'score' "
        "(known: equals, gt, gte, lt, lte, between)"
    )
    assert problem({"flag": "is_new", "in": [1], "equals": 1}).endswith(
        "unexpected key(s) in, equals beside 'flag'"
    )
    assert problem({"column": "score", "flag": "is_new"}).endswith(
        "needs exactly one of all, any, not, column, flag, interest; got keys column, flag"
    )


def test_a_suggestion_is_added_only_for_a_likely_meant_option():
    assert problem({"column": "scor", "gt": 1}).endswith("; did you mean 'score'?")
    assert problem({"flag": "vip"}).endswith("; did you mean 'is_vip'?")
    for nothing_close in ({"flag": "zzzz"}, {"flag": "   "}, {"flag": 5}):
        assert problem(nothing_close).endswith("(flags: is_new, is_vip)"), nothing_close
    assert problem({"flag": 5}).startswith("condition: unknown flag 5 ")


def test_readmes_example_message(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "segments").mkdir()
    (tmp_path / "segments" / "rule_segments.yml").write_text(
        textwrap.dedent(
            """\
            rule_segments:
              - name: Weekend readers
                description: Readers online mostly at the weekend.
                condition:
                  all:
                    - {flag: is_new}
                    - {interest: Reading}
            """
        ),
        encoding="utf-8",
    )
    columns = ProfileColumns(
        categorical={}, numeric=frozenset(), flags=frozenset({"is_new"}), interests=INTERESTS
    )
    with pytest.raises(RuleSegmentError) as raised:
        load_rule_segments("segments/rule_segments.yml", columns)
    first, second = str(raised.value).split("\n")
    assert first == (
        "segments/rule_segments.yml (var rule_segments_path): "
        "1 problem(s) in the rule segment definitions:"
    )
    assert second.startswith(
        "  - segment 'Weekend readers': condition.all[1]: unknown interest 'Reading' "
        "(interests: DIY Crafts, "
    )
    assert second.endswith("); did you mean 'Reading and Literature'?")


def test_every_problem_is_on_its_own_line():
    message = entries_problem(
        [entry("One", {"flag": "nope"}), entry("Two"), entry("Three", {"interest": "Nope"})]
    )
    lines = message.split("\n")
    assert lines[0] == "rules.yml: 2 problem(s) in the rule segment definitions:"
    assert lines[1].startswith("  - segment 'One': condition: unknown flag 'nope'")
    assert lines[2].startswith("  - segment 'Three': condition: unknown interest 'Nope'")
    assert len(lines) == 3


@pytest.mark.parametrize(
    ("entries", "says"),
    [
        (["text"], "segment #1: entry: must be a mapping with name, description, condition"),
        (
            [entry("Extra", sql="1=1", where="x")],
            "segment 'Extra': entry: unexpected key(s) sql, where "
            "(known: id, name, description, condition)",
        ),
        ([{"name": "Bare"}], "segment 'Bare': entry: missing description, condition"),
        ([entry("Blank", description="  ")], "segment 'Blank': description: must be non-empty"),
    ],
)
def test_entry_problems_say_which_part_of_the_entry(entries, says):
    assert f"\n  - {says}" in entries_problem(entries)


@pytest.mark.parametrize(
    ("segment_id", "valid"),
    [("a" * 63, True), ("a" * 64, False), ("x1_y", True), ("1x", False), ("_x", False)],
)
def test_an_id_is_lower_case_letters_digits_and_underscores_from_a_letter_to_63(segment_id, valid):
    if valid:
        [segment] = compile_rule_segments([entry("S", id=segment_id)], COLUMNS, "rules.yml")
        assert segment.rule_segment_id == segment_id
    else:
        message = entries_problem([entry("S", id=segment_id)])
        assert f"segment 'S': id: '{segment_id}' is not a valid id (lower-case letters" in message
        assert message.endswith("starting with a letter, at most 63 characters)")


def test_unexpected_top_level_keys_are_all_named():
    with pytest.raises(RuleSegmentError, match=r"^rules\.yml: unexpected top-level key\(s\) a, b$"):
        parse_definitions("rule_segments: [x]\na: 1\nb: 2", "rules.yml")


# --- What a condition selects -------------------------------------------------------------------


def test_between_includes_both_ends_even_when_they_are_equal():
    assert members({"column": "score", "between": [20, 20]}) == {"b"}
    assert members({"column": "score", "between": [10, 30]}) == {"a", "b", "c"}


def test_integers_compare_exactly_beyond_double_precision():
    # 2**53 + 1 is not a double: it must reach SQL as the integer it is.
    assert members({"column": "visits", "equals": 2**53 + 1}) == {"b"}
    assert members({"column": "visits", "gt": 2**53}) == {"b"}


def test_and_or_not_select_as_their_names_say():
    assert members({"all": [{"flag": "is_new"}, {"interest": "Gaming"}]}) == {"a"}
    assert members({"any": [{"flag": "is_new"}, {"interest": "Travel"}]}) == {"a", "b", "d"}
    assert members({"column": "score", "gt": 10, "lt": 30}) == {"b"}


def test_a_column_name_with_quotes_is_still_one_identifier():
    columns = ProfileColumns(
        categorical={'say "hi"': ("Yes", "No")},
        numeric=frozenset(),
        flags=frozenset(),
        interests=(),
    )
    users = pd.DataFrame({"user_id": ["a", "b"], 'say "hi"': ["Yes", "No"]})
    assert members({"column": 'say "hi"', "equals": "yes"}, columns, users) == {"a"}


def test_only_the_column_named_interests_holds_interests():
    columns = ProfileColumns.from_kinds({"user_id": "text", "tags": "list"}, {}, ("Gaming",))
    assert columns.other == {"user_id", "tags"}
    assert columns.interests == ()
    both = ProfileColumns.from_kinds({"tags": "list", "interests": "list"}, {}, ("G",))
    assert both.interests == ("G",) and both.other == {"tags"}


# --- What the model stores, and the dbt glue ----------------------------------------------------


def test_the_definitions_table_holds_each_segment_as_written():
    columns = ProfileColumns(
        categorical={"city": ("Zürich", "Oslo")},
        numeric=frozenset(),
        flags=frozenset({"is_new"}),
        interests=(),
    )
    condition = {"column": "city", "equals": "zürich"}
    segments = compile_rule_segments(
        [
            {
                "name": "Locals",
                "description": "Users in\n   Zürich,  new or not.",
                "condition": condition,
            },
            {
                "name": "New",
                "id": "fresh",
                "description": "New users.",
                "condition": {"flag": "is_new"},
            },
        ],
        columns,
        "rules.yml",
    )
    frame = definitions_frame(segments)
    assert frame.columns.tolist() == [
        "rule_segment_id",
        "rule_segment_name",
        "description",
        "condition_definition",
        "condition_sql",
        "rule_segment_position",
    ]
    assert frame["rule_segment_id"].tolist() == ["locals", "fresh"]
    assert frame["rule_segment_name"].tolist() == ["Locals", "New"]
    assert frame["description"].tolist() == ["Users in Zürich, new or not.", "New users."]
    assert frame["condition_definition"].tolist() == [
        '{"column": "city", "equals": "zürich"}',
        '{"flag": "is_new"}',
    ]
    assert frame["condition_sql"].tolist() == [
        compile_condition(condition, columns),
        compile_condition({"flag": "is_new"}, columns),
    ]
    assert frame["rule_segment_position"].tolist() == [1, 2]
    assert not frame.isna().any().any()


def test_the_definitions_file_is_read_as_utf8_whatever_the_locale(tmp_path):
    path = tmp_path / "rules.yml"
    path.write_text(
        "rule_segments:\n  - name: Zürich\n    description: Zürich.\n"
        "    condition: {flag: is_new}\n",
        encoding="utf-8",
    )
    code = textwrap.dedent(
        f"""\
        from segmentation.rule_segments import ProfileColumns, load_rule_segments
        columns = ProfileColumns({{}}, frozenset(), frozenset({{"is_new"}}), ())
        print(ascii([s.name for s in load_rule_segments({str(path)!r}, columns)]))
        """
    )
    # An ASCII locale with Python's UTF-8 mode off: a locale-dependent read fails here.
    env = {
        **os.environ,
        "LC_ALL": "C",
        "LANG": "C",
        "PYTHONUTF8": "0",
        "PYTHONCOERCECLOCALE": "0",
        "PYTHONPATH": str(Path(segmentation.__file__).parents[1]),
    }
    completed = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    here = [segment.name for segment in load_rule_segments(path, COLUMNS)]
    assert completed.stdout.strip() == ascii(here) == ascii(["Zürich"])


def test_a_missing_file_says_where_a_relative_path_was_looked_for(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    absolute = tmp_path / "none.yml"
    with pytest.raises(RuleSegmentError) as raised:
        load_rule_segments(absolute, COLUMNS)
    assert str(raised.value) == f"{absolute} (var rule_segments_path): no such file"
    with pytest.raises(RuleSegmentError) as raised:
        load_rule_segments("none.yml", COLUMNS)
    assert str(raised.value) == (
        f"none.yml (var rule_segments_path): no such file (relative to {tmp_path}, where dbt runs)"
    )


def test_problems_in_a_file_are_prefixed_with_the_file_and_var(tmp_path):
    path = tmp_path / "rules.yml"
    path.write_text("rule_segments:\n  - {name: X, description: X., condition: {flag: no}}\n")
    with pytest.raises(RuleSegmentError) as raised:
        load_rule_segments(path, COLUMNS)
    assert str(raised.value).startswith(f"{path} (var rule_segments_path): 1 problem(s)")
    path.write_text("segments: []\n")
    with pytest.raises(RuleSegmentError) as raised:
        load_rule_segments(path, COLUMNS)
    assert str(raised.value).startswith(f"{path} (var rule_segments_path): expected a top-level")


@pytest.mark.parametrize(
    ("type_name", "kind"),
    [
        # DuckDB's names
        ("VARCHAR", "text"),
        ("BIGINT", "number"),
        ("DECIMAL(18,3)", "number"),
        ("DOUBLE", "number"),
        ("BOOLEAN", "boolean"),
        ("VARCHAR[]", "list"),
        ("DATE", "other"),
        # Spark's names
        ("string", "text"),
        ("int", "number"),
        ("bigint", "number"),
        ("decimal(18,3)", "number"),
        ("double", "number"),
        ("boolean", "boolean"),
        ("array<string>", "list"),
        ("timestamp", "other"),
        ("struct<a:int>", "other"),
    ],
)
def test_a_columns_kind_is_read_from_either_engines_type_name(type_name, kind):
    assert type_kind(type_name) == kind

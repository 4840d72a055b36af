"""Declarative rule segments: load the definitions file, validate it, compile it to SQL.

A rule segment is a named group of users given by a condition on their profile (the columns of
``int_user_profiles_assembled``). The definitions live in one YAML file (by default
``segments/rule_segments.yml``, dbt var ``rule_segments_path``)::

    rule_segments:
      - name: Weekend fitness fans          # unique; shown to marketers
        id: weekend_fitness_fans            # optional; default: the name as a slug
        description: Fitness fans who are online mostly at the weekend.
        condition:
          all:
            - {interest: Fitness and Wellness}
            - {flag: is_weekend_heavy}

A condition is built from a small vocabulary, never from SQL text:

==========================================  ================================================
``{column: C, in: [v, ...]}``               categorical column C is one of the values
``{column: C, equals: v}``                  categorical C is v, or numeric C equals number v
``{column: C, gt|gte|lt|lte: n}``           numeric column C compared with a number; several
                                            operators in one condition must all hold
``{column: C, between: [low, high]}``       numeric C is in [low, high] (both inclusive)
``{flag: F}``                               true/false column F is true
``{interest: I}``                           the user lists interest I
``{all: [c, ...]}`` / ``{any: [c, ...]}``   every / at least one of the conditions holds
``{not: c}``                                the condition does not hold
==========================================  ================================================

Validation: a categorical column must have a vocabulary (dbt var ``vocabularies``) and its
values must be in it (matched case-insensitively, written as the vocabulary spells them); an
interest must be a known interest (dbt var ``interests``); a numeric operator takes a finite
number; columns, flags and keys must exist. Every problem of every segment is reported at once,
each prefixed with the segment's name and where in its condition it is.

Semantics: a comparison on a missing value (null) is false, so ``{not: c}`` holds exactly where
``c`` does not; every compiled condition is true or false, never null.

Compiled SQL is DuckDB's (``list_contains`` for interests), or Spark's with
``ProfileColumns.dialect`` (identifiers in backticks, ``array_contains``); the only inputs that
reach it are validated column names (quoted) and vocabulary values or numbers (as literals).
The model int_user_rule_segments_matched runs the conditions in the engine (macro
``rule_segment_positions``).
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from segmentation.catalogue import Catalogue, load

INTERESTS_COLUMN = "interests"
FILE_KEY = "rule_segments"
ENTRY_KEYS = ("id", "name", "description", "condition")
REQUIRED_ENTRY_KEYS = ("name", "description", "condition")
COMBINATORS = ("all", "any", "not")
LEAF_KEYS = ("column", "flag", "interest")
CATEGORICAL_OPERATORS = ("in", "equals")
NUMERIC_OPERATORS = ("equals", "gt", "gte", "lt", "lte", "between")
COMPARISONS = {"equals": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
EXAMPLE = "{column: age_band, in: ['25-34']}"


class RuleSegmentError(ValueError):
    """The definitions cannot be used; the message names every problem and its segment."""


class ConditionError(ValueError):
    """One problem in one condition, at ``where`` (e.g. ``condition.all[1]``)."""

    def __init__(self, where: str, problem: str):
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class ProfileColumns:
    """What conditions may refer to: the profile's columns by kind, and the known values."""

    categorical: Mapping[str, tuple[str, ...]]
    numeric: frozenset[str]
    flags: frozenset[str]
    interests: tuple[str, ...]
    other: frozenset[str] = frozenset()
    # The SQL the conditions are compiled to: duckdb (also ANSI SQL but for list_contains) or
    # spark (identifiers in backticks, array_contains).
    dialect: str = "duckdb"

    @classmethod
    def from_kinds(
        cls,
        column_kinds: Mapping[str, str],
        vocabularies: Mapping[str, Sequence[str]],
        interests: Sequence[str],
        dialect: str = "duckdb",
    ) -> ProfileColumns:
        """Classify a relation's columns for use in conditions, from their kinds (name ->
        ``text``, ``number``, ``boolean``, ``list`` or ``other``: see adapters.column_kinds).

        Text columns with a vocabulary are categorical, numbers numeric, booleans flags; a list
        column named ``interests`` enables ``{interest: ...}``. Anything else (ids, free text)
        is known but cannot be used.
        """
        categorical: dict[str, tuple[str, ...]] = {}
        numeric, flags, other = set(), set(), set()
        has_interests = False
        for name, kind in column_kinds.items():
            if name == INTERESTS_COLUMN and kind == "list":
                has_interests = True
            elif kind == "boolean":
                flags.add(name)
            elif kind == "number":
                numeric.add(name)
            elif kind == "text" and name in vocabularies:
                categorical[name] = tuple(vocabularies[name])
            else:
                other.add(name)
        return cls(
            categorical=categorical,
            numeric=frozenset(numeric),
            flags=frozenset(flags),
            interests=tuple(interests) if has_interests else (),
            other=frozenset(other),
            dialect=dialect,
        )

    @property
    def usable(self) -> list[str]:
        return sorted([*self.categorical, *self.numeric])

    def quote(self, name: str) -> str:
        """A column name as an identifier of the dialect."""
        if self.dialect == "spark":
            return "`" + name.replace("`", "``") + "`"
        return quote_identifier(name)


@dataclass(frozen=True)
class RuleSegment:
    position: int
    rule_segment_id: str
    name: str
    description: str
    condition: Any
    condition_sql: str


# --- Compiling conditions ------------------------------------------------------------------------


def compile_condition(condition: Any, columns: ProfileColumns, where: str = "condition") -> str:
    """The SQL boolean expression (never null) for a condition; ConditionError if it is invalid."""
    if isinstance(condition, str):
        raise ConditionError(
            where,
            f"is text ({condition!r}); write a condition such as {EXAMPLE} (SQL is not accepted)",
        )
    if isinstance(condition, list):
        raise ConditionError(where, "is a list; wrap it in {all: [...]} or {any: [...]}")
    if not isinstance(condition, Mapping) or not condition:
        raise ConditionError(where, f"must be a condition such as {EXAMPLE}, got {condition!r}")

    heads = [key for key in (*COMBINATORS, *LEAF_KEYS) if key in condition]
    if len(heads) != 1:
        keys = ", ".join(map(str, condition))
        raise ConditionError(
            where,
            f"needs exactly one of {', '.join((*COMBINATORS, *LEAF_KEYS))}; got keys {keys}",
        )
    head = heads[0]
    if head != "column" and len(condition) > 1:
        extra = ", ".join(str(key) for key in condition if key != head)
        raise ConditionError(where, f"unexpected key(s) {extra} beside '{head}'")

    value = condition[head]
    if head in ("all", "any"):
        return _compile_combination(head, value, columns, f"{where}.{head}")
    if head == "not":
        return f"(not {compile_condition(value, columns, f'{where}.not')})"
    if head == "flag":
        return _compile_flag(value, columns, where)
    if head == "interest":
        return _compile_interest(value, columns, where)
    return _compile_column(condition, columns, where)


def _compile_combination(head: str, parts: Any, columns: ProfileColumns, where: str) -> str:
    if not isinstance(parts, list) or not parts:
        raise ConditionError(where, "must be a non-empty list of conditions")
    compiled = [
        compile_condition(part, columns, f"{where}[{index}]") for index, part in enumerate(parts)
    ]
    return "(" + f" {'and' if head == 'all' else 'or'} ".join(compiled) + ")"


def _compile_flag(name: Any, columns: ProfileColumns, where: str) -> str:
    if not isinstance(name, str) or name not in columns.flags:
        raise ConditionError(
            where, f"unknown flag {name!r}{_suggest(name, columns.flags, 'flags')}"
        )
    return f"coalesce({columns.quote(name)}, false)"


def _compile_interest(interest: Any, columns: ProfileColumns, where: str) -> str:
    if not columns.interests:
        raise ConditionError(where, f"the profile has no '{INTERESTS_COLUMN}' list column")
    canonical = _match_value(interest, columns.interests)
    if canonical is None:
        raise ConditionError(
            where,
            f"unknown interest {interest!r}{_suggest(interest, columns.interests, 'interests')}",
        )
    contains = "array_contains" if columns.dialect == "spark" else "list_contains"
    return (
        f"coalesce({contains}({columns.quote(INTERESTS_COLUMN)}, "
        f"{quote_literal(canonical)}), false)"
    )


def _compile_column(condition: Mapping, columns: ProfileColumns, where: str) -> str:
    name = condition["column"]
    operators = [key for key in condition if key != "column"]
    if not isinstance(name, str):
        raise ConditionError(where, f"column must be a column name, got {name!r}")
    if name in columns.flags:
        raise ConditionError(where, f"'{name}' is a flag: write {{flag: {name}}}")
    if name == INTERESTS_COLUMN and columns.interests:
        raise ConditionError(where, "to test interests write {interest: <name>}")
    if name in columns.other:
        raise ConditionError(
            where,
            f"column '{name}' cannot be used in a condition (no vocabulary and not numeric); "
            f"usable columns: {', '.join(columns.usable)}",
        )
    if name not in columns.categorical and name not in columns.numeric:
        raise ConditionError(
            where, f"unknown column {name!r}{_suggest(name, columns.usable, 'usable columns')}"
        )
    if not operators:
        raise ConditionError(
            where, f"column '{name}' needs an operator ({', '.join(NUMERIC_OPERATORS)} or in)"
        )
    column = columns.quote(name)
    if name in columns.categorical:
        return _compile_categorical(name, column, condition, operators, columns, where)
    return _compile_numeric(name, column, condition, operators, where)


def _compile_categorical(
    name: str,
    column: str,
    condition: Mapping,
    operators: list,
    columns: ProfileColumns,
    where: str,
) -> str:
    vocabulary = columns.categorical[name]
    unknown = [str(op) for op in operators if op not in CATEGORICAL_OPERATORS]
    if unknown or len(operators) > 1:
        raise ConditionError(
            where,
            f"'{name}' is categorical: use exactly one of in, equals "
            f"(got {', '.join(map(str, operators))})",
        )
    operator = operators[0]
    values = condition[operator]
    if operator == "equals":
        values = [values]
    elif not isinstance(values, list) or not values:
        raise ConditionError(where, f"'in' needs a non-empty list of {name} values")
    canonical = []
    for value in values:
        match = _match_value(value, vocabulary)
        if match is None:
            raise ConditionError(
                where, f"unknown {name} value {value!r} (known: {', '.join(vocabulary)})"
            )
        if match not in canonical:
            canonical.append(match)
    if len(canonical) == 1:
        return f"coalesce({column} = {quote_literal(canonical[0])}, false)"
    return f"coalesce({column} in ({', '.join(map(quote_literal, canonical))}), false)"


def _compile_numeric(
    name: str, column: str, condition: Mapping, operators: list, where: str
) -> str:
    unknown = [str(op) for op in operators if op not in NUMERIC_OPERATORS]
    if unknown:
        raise ConditionError(
            where,
            f"unknown operator(s) {', '.join(unknown)} for numeric column '{name}' "
            f"(known: {', '.join(NUMERIC_OPERATORS)})",
        )
    clauses = []
    for operator in NUMERIC_OPERATORS:
        if operator not in condition:
            continue
        value = condition[operator]
        if operator == "between":
            if not (isinstance(value, list) and len(value) == 2):
                raise ConditionError(where, "'between' needs a list of two numbers [low, high]")
            low, high = (_number(part, where, operator) for part in value)
            if low > high:
                raise ConditionError(where, f"'between' low {low} is above high {high}")
            clauses.append(f"{column} between {_sql_number(low)} and {_sql_number(high)}")
        else:
            number = _number(value, where, operator)
            clauses.append(f"{column} {COMPARISONS[operator]} {_sql_number(number)}")
    return f"coalesce({' and '.join(clauses)}, false)"


def _number(value: Any, where: str, operator: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConditionError(where, f"'{operator}' needs a finite number, got {value!r}")
    return value


def _sql_number(value: float | int) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


def _match_value(value: Any, known: Iterable[str]) -> str | None:
    if not isinstance(value, str):
        return None
    wanted = value.strip().lower()
    return next((option for option in known if option.lower() == wanted), None)


def _suggest(value: Any, options: Iterable[str], label: str) -> str:
    """The options, and the likeliest one meant: one containing the value, else the closest."""
    options = sorted(options)
    close: list[str] = []
    if isinstance(value, str) and value.strip():
        wanted = value.strip().lower()
        close = [option for option in options if wanted in option.lower()]
        close = close or difflib.get_close_matches(value, options, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f" ({label}: {', '.join(options)}){hint}"


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# --- The definitions file ------------------------------------------------------------------------


def slugify(name: str) -> str:
    """A name as an id: 'Age 55+' -> 'age_55_plus', 'Interest: Gaming' -> 'interest_gaming'."""
    text = name.lower().replace("+", " plus ")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def parse_definitions(text: str, source: str) -> list[Any]:
    """The list of segment entries in a definitions file's text (not yet validated)."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RuleSegmentError(f"{source}: not valid YAML: {error}") from error
    if not isinstance(document, Mapping) or FILE_KEY not in document:
        raise RuleSegmentError(
            f"{source}: expected a top-level key '{FILE_KEY}:' with a list of segments"
        )
    extra = [str(key) for key in document if key != FILE_KEY]
    if extra:
        raise RuleSegmentError(f"{source}: unexpected top-level key(s) {', '.join(extra)}")
    entries = document[FILE_KEY]
    if not isinstance(entries, list) or not entries:
        raise RuleSegmentError(f"{source}: '{FILE_KEY}' must be a non-empty list of segments")
    return entries


def compile_rule_segments(
    entries: Sequence[Any], columns: ProfileColumns, source: str
) -> list[RuleSegment]:
    """Validate and compile every entry; RuleSegmentError lists every problem found."""
    problems: list[str] = []
    segments: list[RuleSegment] = []
    seen_names: dict[str, str] = {}
    seen_ids: dict[str, str] = {}
    for position, entry in enumerate(entries, start=1):
        label = f"segment #{position}"
        if (
            isinstance(entry, Mapping)
            and isinstance(entry.get("name"), str)
            and entry["name"].strip()
        ):
            label = f"segment '{entry['name'].strip()}'"
        try:
            segment = _compile_entry(position, entry, columns)
        except ConditionError as error:
            problems.append(f"{label}: {error}")
            continue
        for key, seen, value in (
            ("name", seen_names, segment.name.lower()),
            ("id", seen_ids, segment.rule_segment_id),
        ):
            if value in seen:
                problems.append(f"{label}: {key} '{value}' is also used by {seen[value]}")
            seen[value] = label
        segments.append(segment)
    if problems:
        raise RuleSegmentError(
            f"{source}: {len(problems)} problem(s) in the rule segment definitions:\n  - "
            + "\n  - ".join(problems)
        )
    return segments


def _compile_entry(position: int, entry: Any, columns: ProfileColumns) -> RuleSegment:
    if not isinstance(entry, Mapping):
        raise ConditionError("entry", f"must be a mapping with {', '.join(REQUIRED_ENTRY_KEYS)}")
    extra = [str(key) for key in entry if key not in ENTRY_KEYS]
    if extra:
        raise ConditionError(
            "entry", f"unexpected key(s) {', '.join(extra)} (known: {', '.join(ENTRY_KEYS)})"
        )
    missing = [key for key in REQUIRED_ENTRY_KEYS if key not in entry]
    if missing:
        raise ConditionError("entry", f"missing {', '.join(missing)}")
    for key in ("name", "description"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise ConditionError(key, "must be non-empty text")
    name = entry["name"].strip()
    rule_segment_id = entry.get("id", slugify(name))
    if not isinstance(rule_segment_id, str) or not ID_PATTERN.match(rule_segment_id):
        raise ConditionError(
            "id",
            f"{rule_segment_id!r} is not a valid id (lower-case letters, digits and _, "
            "starting with a letter, at most 63 characters)",
        )
    return RuleSegment(
        position=position,
        rule_segment_id=rule_segment_id,
        name=name,
        description=" ".join(entry["description"].split()),
        condition=entry["condition"],
        condition_sql=compile_condition(entry["condition"], columns),
    )


def load_rule_segments(path: str | Path, columns: ProfileColumns) -> list[RuleSegment]:
    """Read, validate and compile the definitions file at ``path``."""
    path = Path(path)
    source = f"{path} (var rule_segments_path)"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        where = "" if path.is_absolute() else f" (relative to {Path.cwd()}, where dbt runs)"
        raise RuleSegmentError(f"{source}: no such file{where}") from error
    return compile_rule_segments(parse_definitions(text, source), columns, source)


def definitions_frame(segments: Sequence[RuleSegment]) -> pd.DataFrame:
    """One row per segment, in file order: what int_rule_segments_defined stores."""
    return pd.DataFrame(
        {
            "rule_segment_id": pd.Series([s.rule_segment_id for s in segments], dtype="string"),
            "rule_segment_name": pd.Series([s.name for s in segments], dtype="string"),
            "description": pd.Series([s.description for s in segments], dtype="string"),
            "condition_definition": pd.Series(
                [json.dumps(s.condition, ensure_ascii=False) for s in segments], dtype="string"
            ),
            "condition_sql": pd.Series([s.condition_sql for s in segments], dtype="string"),
            "rule_segment_position": pd.Series([s.position for s in segments], dtype="int64"),
        }
    )


# --- dbt glue (int_rule_segments_defined calls it) ----------------------------------------------


def define_rule_segments(
    column_kinds: Mapping[str, str],
    rule_segments_path: str,
    catalogue: Catalogue | None = None,
    dialect: str = "duckdb",
) -> pd.DataFrame:
    """int_rule_segments_defined: the validated definitions, checked against the profile's
    columns (``column_kinds``, see ProfileColumns.from_kinds) and compiled to ``dialect``.

    A relative ``rule_segments_path`` is taken from the directory dbt runs in (the project
    directory for ``make build`` and the README's commands), as var ``user_profiles_path`` is.
    ``catalogue``: vocabularies and interests (default: the project's).
    """
    catalogue = catalogue or load()
    columns = ProfileColumns.from_kinds(
        column_kinds, dict(catalogue.vocabularies), catalogue.interests, dialect
    )
    return definitions_frame(load_rule_segments(rule_segments_path, columns))

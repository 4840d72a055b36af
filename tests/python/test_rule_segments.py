"""Rule segments: compiling and validating conditions, and the profile marts built by dbt."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from conftest import PROJECT_DIR, run_dbt
from jinja_macros import render_macro
from segmentation.adapters import column_kinds
from segmentation.rule_segments import (
    ConditionError,
    ProfileColumns,
    RuleSegmentError,
    compile_condition,
    compile_rule_segments,
    define_rule_segments,
    load_rule_segments,
    parse_definitions,
    slugify,
)
from segmentation.schema import INTERESTS, VOCABULARIES

DEFAULT_DEFINITIONS = PROJECT_DIR / "segments" / "rule_segments.yml"

COLUMNS = ProfileColumns(
    categorical=VOCABULARIES,
    numeric=frozenset(
        {
            "weekly_hours_online",
            "weekend_share_of_hours_online",
            "weekly_hours_online_percentile",
            "click_through_rate_percentile",
            "conversion_rate_percentile",
            "interest_count",
        }
    ),
    flags=frozenset(
        {
            "is_weekend_heavy",
            "is_weekday_heavy",
            "is_high_ctr",
            "is_high_converter",
            "is_heavy_ad_viewer",
        }
    ),
    interests=INTERESTS,
    other=frozenset({"user_id", "segment_name"}),
)

USERS = pd.DataFrame(
    {
        "user_id": ["a", "b", "c", "d", "e"],
        "age_band": ["18-24", "25-34", "25-34", "65+", None],
        "gender": ["Female", "Male", "Female", "Male", "Female"],
        "weekly_hours_online": [10.0, 20.0, 30.0, 40.0, 0.0],
        "weekend_share_of_hours_online": [0.6, 0.2, 0.4, 0.45, None],
        "interest_count": [2, 0, 1, 3, 1],
        "is_weekend_heavy": [True, False, False, False, None],
        "interests": [
            ["Gaming", "Photography"],
            [],
            ["Gaming"],
            ["Pet Care", "Gardening", "Gaming"],
            None,
        ],
    }
)


def members(condition, columns: ProfileColumns = COLUMNS, users: pd.DataFrame = USERS) -> set[str]:
    """The users a condition selects, by running the compiled SQL in DuckDB."""
    sql = compile_condition(condition, columns)
    with duckdb.connect() as connection:
        connection.register("users", users)
        rows = connection.sql(f"select user_id, {sql} as holds from users").fetchall()
    assert all(holds in (True, False) for _, holds in rows), (
        "a compiled condition must never be null"
    )
    return {user_id for user_id, holds in rows if holds}


def entry(name: str, condition, **extra) -> dict:
    return {"name": name, "description": f"{name}.", "condition": condition, **extra}


# --- Compiling conditions -----------------------------------------------------------------------


def test_in_and_equals_match_vocabulary_values_case_insensitively():
    assert members({"column": "age_band", "in": ["25-34", "65+"]}) == {"b", "c", "d"}
    assert members({"column": "gender", "equals": "female"}) == {"a", "c", "e"}
    assert "'Female'" in compile_condition({"column": "gender", "equals": " FEMALE "}, COLUMNS)


def test_numeric_operators_in_one_condition_must_all_hold():
    assert members({"column": "weekly_hours_online", "gte": 20, "lt": 40}) == {"b", "c"}
    assert members({"column": "weekly_hours_online", "gt": 10, "lte": 40}) == {"b", "c", "d"}
    assert members({"column": "weekly_hours_online", "between": [10, 30]}) == {"a", "b", "c"}
    assert members({"column": "interest_count", "equals": 1}) == {"c", "e"}


def test_a_missing_value_is_false_and_not_is_its_exact_complement():
    everyone = set(USERS["user_id"])
    for condition in (
        {"column": "weekend_share_of_hours_online", "gte": 0.4},
        {"column": "age_band", "in": ["18-24"]},
        {"flag": "is_weekend_heavy"},
        {"interest": "Gaming"},
    ):
        selected = members(condition)
        assert "e" not in selected  # e's value is missing
        assert members({"not": condition}) == everyone - selected


def test_flags_and_interests():
    assert members({"flag": "is_weekend_heavy"}) == {"a"}
    assert members({"interest": "gaming"}) == {"a", "c", "d"}
    assert members({"interest": "Pet Care"}) == {"d"}


def test_combinations_nest():
    condition = {
        "all": [
            {"any": [{"interest": "Photography"}, {"column": "age_band", "in": ["65+"]}]},
            {"not": {"column": "gender", "equals": "Female"}},
        ]
    }
    assert members(condition) == {"d"}
    assert members(
        {"any": [{"flag": "is_weekend_heavy"}, {"column": "interest_count", "gte": 3}]}
    ) == {
        "a",
        "d",
    }


def test_values_reach_sql_only_as_escaped_literals():
    columns = ProfileColumns(
        categorical={"surname": ("O'Brien", "Smith")},
        numeric=frozenset(),
        flags=frozenset(),
        interests=(),
    )
    users = pd.DataFrame({"user_id": ["a", "b"], "surname": ["O'Brien", "Smith"]})
    assert "'O''Brien'" in compile_condition({"column": "surname", "equals": "o'brien"}, columns)
    assert members({"column": "surname", "equals": "O'Brien"}, columns, users) == {"a"}


@pytest.mark.parametrize(
    ("condition", "problems"),
    [
        (
            {"column": "age_bnad", "in": ["25-34"]},
            ["unknown column 'age_bnad'", "did you mean 'age_band'"],
        ),
        ({"column": "age_band", "in": ["25-35"]}, ["unknown age_band value '25-35'", "18-24"]),
        ({"column": 'age_band" = 1; drop table users; --', "in": ["25-34"]}, ["unknown column"]),
        ("age_band = '25-34'", ["is text", "SQL is not accepted"]),
        ([{"flag": "is_weekend_heavy"}], ["is a list", "{all: [...]}"]),
        ({"column": "age_band", "like": "2%"}, ["categorical", "in, equals"]),
        ({"column": "age_band", "in": "25-34"}, ["non-empty list"]),
        ({"column": "age_band", "gte": "25-34"}, ["categorical"]),
        ({"column": "weekly_hours_online", "gte": "10"}, ["'gte' needs a finite number"]),
        ({"column": "weekly_hours_online", "gte": True}, ["'gte' needs a finite number"]),
        ({"column": "weekly_hours_online", "lt": math.nan}, ["finite number"]),
        ({"column": "weekly_hours_online", "between": [30, 10]}, ["low 30 is above high 10"]),
        ({"column": "weekly_hours_online", "between": [10]}, ["two numbers"]),
        ({"column": "weekly_hours_online", "above": 10}, ["unknown operator(s) above"]),
        ({"column": "weekly_hours_online"}, ["needs an operator"]),
        ({"column": "is_weekend_heavy", "equals": True}, ["is a flag", "{flag: is_weekend_heavy}"]),
        ({"column": "user_id", "in": ["1"]}, ["'user_id' cannot be used"]),
        ({"column": "interests", "in": ["Gaming"]}, ["{interest: <name>}"]),
        (
            {"flag": "is_weekend_hevy"},
            ["unknown flag 'is_weekend_hevy'", "did you mean 'is_weekend_heavy'"],
        ),
        ({"flag": "age_band"}, ["unknown flag 'age_band'"]),
        ({"interest": "Knitting"}, ["unknown interest 'Knitting'", "Gaming"]),
        ({"interest": "reading"}, ["did you mean 'Reading and Literature'"]),
        ({"all": []}, ["condition.all: must be a non-empty list"]),
        ({"any": {"interest": "Gaming"}}, ["condition.any: must be a non-empty list"]),
        ({"column": "age_band", "in": ["25-34"], "flag": "is_weekend_heavy"}, ["exactly one of"]),
        ({"flag": "is_weekend_heavy", "equals": True}, ["unexpected key(s) equals"]),
        ({"where": "1 = 1"}, ["exactly one of"]),
        ({}, ["must be a condition"]),
        (None, ["must be a condition"]),
    ],
)
def test_invalid_conditions_are_refused_with_the_problem(condition, problems):
    with pytest.raises(ConditionError) as raised:
        compile_condition(condition, COLUMNS)
    for problem in problems:
        assert problem in str(raised.value)


def test_a_problem_says_where_in_the_condition_it_is():
    condition = {"all": [{"interest": "Gaming"}, {"not": {"column": "gender", "equals": "Other"}}]}
    with pytest.raises(ConditionError, match=r"^condition\.all\[1\]\.not: unknown gender value"):
        compile_condition(condition, COLUMNS)


def test_profile_columns_are_classified_by_their_type_in_the_engine():
    with duckdb.connect() as connection:
        profile = connection.sql(
            "select 'u1' as user_id, '25-34' as age_band, 'Gaming' as top_interests,"
            " ['Gaming'] as interests, 7::bigint as likes_and_reactions,"
            " 30.5::float as age_midpoint_years, 1.5::decimal(18, 3) as amount,"
            " true as is_weekend_heavy, current_date as exported_on"
        )
        columns = ProfileColumns.from_kinds(column_kinds(profile), VOCABULARIES, INTERESTS)
    assert dict(columns.categorical) == {"age_band": VOCABULARIES["age_band"]}
    assert columns.numeric == {"likes_and_reactions", "age_midpoint_years", "amount"}
    assert columns.flags == {"is_weekend_heavy"}
    assert columns.other == {"user_id", "top_interests", "exported_on"}
    assert columns.interests == INTERESTS
    without_list = ProfileColumns.from_kinds({"user_id": "text"}, VOCABULARIES, INTERESTS)
    with pytest.raises(ConditionError, match="no 'interests' list column"):
        compile_condition({"interest": "Gaming"}, without_list)


# --- The definitions file -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Age 18-24", "age_18_24"),
        ("Interest: DIY Crafts", "interest_diy_crafts"),
        ("Mobile + Desktop", "mobile_plus_desktop"),
        ("  Weekend-heavy  ", "weekend_heavy"),
    ],
)
def test_slugify(name, expected):
    assert slugify(name) == expected


def test_segments_compile_in_file_order_with_ids():
    segments = compile_rule_segments(
        [
            entry(
                "Young women",
                {
                    "all": [
                        {"column": "age_band", "in": ["18-24"]},
                        {"column": "gender", "equals": "Female"},
                    ]
                },
            ),
            entry("Gamers", {"interest": "Gaming"}, id="gamers_v2"),
        ],
        COLUMNS,
        "test.yml",
    )
    assert [(s.position, s.rule_segment_id, s.name) for s in segments] == [
        (1, "young_women", "Young women"),
        (2, "gamers_v2", "Gamers"),
    ]
    assert segments[1].condition == {"interest": "Gaming"}


def test_every_problem_is_reported_with_its_segment_name():
    with pytest.raises(RuleSegmentError) as raised:
        compile_rule_segments(
            [
                entry("Fine", {"flag": "is_weekend_heavy"}),
                entry("Typo column", {"column": "gendr", "equals": "Male"}),
                entry("Typo value", {"any": [{"interest": "Gaming"}, {"interest": "Gamming"}]}),
            ],
            COLUMNS,
            "rules.yml",
        )
    message = str(raised.value)
    assert message.startswith("rules.yml: 2 problem(s)")
    assert "segment 'Typo column': condition: unknown column 'gendr'" in message
    assert "segment 'Typo value': condition.any[1]: unknown interest 'Gamming'" in message
    assert "'Fine'" not in message


@pytest.mark.parametrize(
    ("entries", "problem"),
    [
        (
            [{"name": "No condition", "description": "x"}],
            "segment 'No condition': entry: missing condition",
        ),
        ([entry("Extra", {"interest": "Gaming"}, sql="1=1")], "unexpected key(s) sql"),
        ([entry("", {"interest": "Gaming"})], "segment #1: name: must be non-empty text"),
        (
            [entry("Bad id", {"interest": "Gaming"}, id="Bad Id")],
            "segment 'Bad id': id: 'Bad Id' is not a valid id",
        ),
        ([entry("!!!", {"interest": "Gaming"})], "segment '!!!': id: '' is not a valid id"),
        (
            [entry("Gamers", {"interest": "Gaming"}), entry("gamers", {"interest": "Gaming"})],
            "segment 'gamers': name 'gamers' is also used by segment 'Gamers'",
        ),
        (
            [
                entry("Gamers", {"interest": "Gaming"}),
                entry("Players", {"interest": "Gaming"}, id="gamers"),
            ],
            "segment 'Players': id 'gamers' is also used by segment 'Gamers'",
        ),
        (["just text"], "segment #1: entry: must be a mapping"),
    ],
)
def test_invalid_entries_are_refused(entries, problem):
    with pytest.raises(RuleSegmentError) as raised:
        compile_rule_segments(entries, COLUMNS, "rules.yml")
    assert problem in str(raised.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("rule_segments: [ {name: x", "not valid YAML"),
        ("segments: []", "expected a top-level key 'rule_segments:'"),
        ("rule_segments: []", "must be a non-empty list"),
        ("rule_segments: [{name: x}]\nextra: 1", "unexpected top-level key(s) extra"),
        ("- name: x", "expected a top-level key"),
    ],
)
def test_a_file_that_does_not_parse_is_refused(text, problem):
    with pytest.raises(RuleSegmentError) as raised:
        parse_definitions(text, "rules.yml")
    assert str(raised.value).startswith("rules.yml: ")
    assert problem in str(raised.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(
        RuleSegmentError, match=r"nowhere\.yml \(var rule_segments_path\): no such file"
    ):
        load_rule_segments(tmp_path / "nowhere.yml", COLUMNS)


def matched_positions(users: pd.DataFrame, segments) -> dict[str, list[int]]:
    """Each user's rule_segment_positions as int_user_rule_segments_matched computes them on
    DuckDB: the SQL of macro duckdb__list_positions_where over the compiled conditions."""
    positions = render_macro(
        "engine/list_positions_where.sql",
        "duckdb__list_positions_where",
        [segment.position for segment in segments],
        [segment.condition_sql for segment in segments],
    )
    with duckdb.connect() as connection:
        connection.register("users", users)
        return dict(connection.sql(f"select user_id, {positions} from users").fetchall())


def test_each_user_gets_the_positions_of_the_segments_whose_condition_holds():
    segments = compile_rule_segments(
        [
            entry("Gamers", {"interest": "Gaming"}),
            entry("Nobody", {"column": "interest_count", "gt": 99}),
            entry("Young or unknown age", {"not": {"column": "age_band", "in": ["25-34", "65+"]}}),
        ],
        COLUMNS,
        "rules.yml",
    )
    # Every user has a list; "Nobody" (position 2) matches no one; user e's null age and null
    # interests make "Gamers" false and "not 25-34 or 65+" true.
    assert matched_positions(USERS, segments) == {
        "a": [1, 3],
        "b": [],
        "c": [1],
        "d": [1],
        "e": [3],
    }


def test_without_segments_every_user_gets_an_empty_list():
    assert matched_positions(USERS, []) == {user_id: [] for user_id in USERS.user_id}


def test_the_dbt_glue_defines_from_the_profiles_columns(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a relative rule_segments_path is taken from where dbt runs
    (tmp_path / "segments").mkdir()
    (tmp_path / "segments" / "rules.yml").write_text(
        yaml.safe_dump(
            {
                "rule_segments": [
                    entry("Gamers", {"interest": "Gaming"}),
                    entry("Young", {"column": "age_band", "in": ["18-24"]}),
                ]
            }
        ),
        encoding="utf-8",
    )
    with duckdb.connect() as connection:
        connection.register("users_frame", USERS)
        profiles = connection.sql(
            "select user_id, age_band, gender, weekly_hours_online, interests from users_frame"
        )
        kinds = column_kinds(profiles)
    definitions = define_rule_segments(kinds, "segments/rules.yml")
    assert definitions["rule_segment_id"].tolist() == ["gamers", "young"]
    assert definitions["rule_segment_position"].tolist() == [1, 2]
    segments = compile_rule_segments(
        [
            entry("Gamers", {"interest": "Gaming"}),
            entry("Young", {"column": "age_band", "in": ["18-24"]}),
        ],
        ProfileColumns.from_kinds(kinds, VOCABULARIES, INTERESTS),
        "rules.yml",
    )
    assert definitions["condition_sql"].tolist() == [s.condition_sql for s in segments]
    assert matched_positions(USERS, segments) == {
        user_id: [1, 2] if user_id == "a" else [1] if user_id in {"c", "d"} else []
        for user_id in USERS.user_id
    }
    # A profile without the column a definition names is refused.
    no_age = {name: kind for name, kind in kinds.items() if name != "age_band"}
    with pytest.raises(RuleSegmentError, match="unknown column 'age_band'"):
        define_rule_segments(no_age, "segments/rules.yml")
    with pytest.raises(RuleSegmentError, match=r"^segments/missing\.yml \(var rule_"):
        define_rule_segments(kinds, "segments/missing.yml")


def test_default_definitions_cover_the_brief():
    segments = load_rule_segments(DEFAULT_DEFINITIONS, COLUMNS)
    conditions = [segment.condition for segment in segments]
    single_values: dict[str, set[str]] = {}
    for condition in conditions:
        if "column" in condition and condition["column"] in VOCABULARIES:
            values = condition.get("in", [condition.get("equals")])
            single_values.setdefault(condition["column"], set()).update(values)
    for column in ("age_band", "gender", "income_band", "education_level", "device_usage"):
        assert single_values.get(column) == set(VOCABULARIES[column]), column
    for interest in INTERESTS:
        assert {"interest": interest} in conditions, interest
    assert {"flag": "is_weekend_heavy"} in conditions
    assert {"flag": "is_weekday_heavy"} in conditions
    for metric in ("click_through_rate_percentile", "conversion_rate_percentile"):
        tiers = [c for c in conditions if c.get("column") == metric]
        assert len(tiers) >= 3, metric


# --- Through dbt ---------------------------------------------------------------------------------


def definitions_count(path: Path = DEFAULT_DEFINITIONS) -> int:
    return len(parse_definitions(path.read_text(encoding="utf-8"), str(path)))


def percentile(values: pd.Series) -> pd.Series:
    """SQL percent_rank: (rank - 1) / (n - 1), ties sharing the lowest rank."""
    return (values.rank(method="min") - 1) / (len(values) - 1)


def expected_members(build) -> dict[str, set[str]]:
    """A few default segments recomputed in pandas from the staged columns, not the flags."""
    users = build.frame("select * from stg_platform__user_profiles")
    weekly = 5 * users["weekday_hours_online"] + 2 * users["weekend_hours_online"]
    weekend_share = 2 * users["weekend_hours_online"] / weekly.where(weekly > 0)
    ctr = percentile(users["click_through_rate"])
    conversion = percentile(users["conversion_rate"])
    interests = (
        users["top_interests"]
        .fillna("")
        .map(lambda text: {part.strip().lower() for part in text.split(",")})
    )

    def ids(mask) -> set[str]:
        return set(users.loc[mask.fillna(False).astype(bool), "user_id"])

    return {
        "age_25_34": ids(users["age_band"] == "25-34"),
        "age_55_and_over": ids(users["age_band"].isin(["55-64", "65+"])),
        "weekend_heavy": ids(weekend_share > 0.5),
        "ctr_top_quartile": ids(ctr >= 0.75),
        "conversion_middle_half": ids((conversion >= 0.25) & (conversion < 0.75)),
        "window_shoppers": ids((ctr >= 0.75) & (conversion < 0.5)),
        "non_english_speakers": ids(users["language"] != "English"),
        "young_urban_mobile": ids(
            users["age_band"].isin(["18-24", "25-34"])
            & (users["location"] == "Urban")
            & users["device_usage"].isin(["Mobile Only", "Mobile + Desktop"])
        ),
        "interest_gaming": ids(interests.map(lambda names: "gaming" in names)),
        "interest_diy_crafts": ids(interests.map(lambda names: "diy crafts" in names)),
    }


def actual_members(build, rule_segment_id: str) -> set[str]:
    rows = build.query(
        f"select user_id from fct_user_rule_segments where rule_segment_id = '{rule_segment_id}'"
    )
    return {user_id for (user_id,) in rows}


@pytest.mark.dbt
@pytest.mark.parametrize("build", ["demo_build", "real_export_build"])
def test_default_segments_build_and_match_a_recomputation(build, request):
    result = request.getfixturevalue(build)
    segments = result.frame("select * from dim_rule_segments order by rule_segment_position")
    assert len(segments) == definitions_count()
    for rule_segment_id, expected in expected_members(result).items():
        assert actual_members(result, rule_segment_id) == expected, rule_segment_id
        assert expected, f"{rule_segment_id} is empty on {build}: the comparison proves little"
    sizes = result.frame(
        "select rule_segment_id, count(*) as users from fct_user_rule_segments group by 1"
    ).set_index("rule_segment_id")["users"]
    published = segments.set_index("rule_segment_id")["users"]
    assert published.to_dict() == sizes.reindex(published.index, fill_value=0).to_dict()


@pytest.mark.dbt
@pytest.mark.parametrize("build", ["demo_build", "real_export_build"])
def test_user_profiles_hold_percentiles_flags_and_memberships(build, request):
    result = request.getfixturevalue(build)
    profiles = result.frame("select * from dim_user_profiles").set_index("user_id")
    valid = result.query("select count(*) from stg_platform__user_profiles")[0][0]
    assert len(profiles) == valid and profiles.index.is_unique
    for metric in ("weekend_hours_online", "likes_and_reactions", "ad_interaction_seconds"):
        assert profiles[f"{metric}_percentile"].to_numpy() == pytest.approx(
            percentile(profiles[metric]).to_numpy()
        ), metric
    assert (profiles["is_high_ctr"] == (profiles["click_through_rate_percentile"] >= 0.75)).all()
    assert (profiles["is_weekend_heavy"] == (profiles["weekend_share_of_hours_online"] > 0.5)).all()
    memberships = result.frame(
        "select fct.user_id, fct.rule_segment_name from fct_user_rule_segments as fct "
        "inner join dim_rule_segments as dim on fct.rule_segment_id = dim.rule_segment_id "
        "order by dim.rule_segment_position"
    )
    expected = memberships.groupby("user_id")["rule_segment_name"].agg(list)
    names = profiles["rule_segment_names"].map(list)
    assert (
        names.to_dict()
        == expected.reindex(profiles.index)
        .map(lambda value: value if isinstance(value, list) else [])
        .to_dict()
    )
    assert (profiles["rule_segment_count"] == names.map(len)).all()
    clusters = result.frame("select user_id, segment_id from fct_user_segments").set_index(
        "user_id"
    )
    assert profiles["segment_id"].to_dict() == clusters["segment_id"].to_dict()


@pytest.mark.dbt
def test_rule_segment_profiles_match_a_recomputation(demo_build):
    profiles = demo_build.frame("select * from dim_user_profiles")
    memberships = demo_build.frame("select user_id, rule_segment_id from fct_user_rule_segments")
    segments = demo_build.frame("select * from dim_rule_segments").set_index("rule_segment_id")
    for rule_segment_id in ("women", "weekend_heavy", "interest_gaming"):
        ids = set(memberships.loc[memberships["rule_segment_id"] == rule_segment_id, "user_id"])
        members_ = profiles[profiles["user_id"].isin(ids)]
        published = segments.loc[rule_segment_id]
        assert published["users"] == len(members_)
        assert published["share"] == pytest.approx(len(members_) / len(profiles))
        assert published["avg_click_through_rate"] == pytest.approx(
            members_["click_through_rate"].mean()
        )
        assert published["median_weekly_hours_online"] == pytest.approx(
            members_["weekly_hours_online"].median()
        )
        assert published["weekend_share_of_hours_online_index"] == pytest.approx(
            100
            * members_["weekend_share_of_hours_online"].mean()
            / profiles["weekend_share_of_hours_online"].mean()
        )
        modal = members_["income_band"].value_counts()
        assert published["modal_income_band_share"] == pytest.approx(modal.iloc[0] / len(members_))
        shares_in_segment = members_["interests"].explode().value_counts() / len(members_)
        shares_in_population = profiles["interests"].explode().value_counts() / len(profiles)
        lift = (
            shares_in_segment / shares_in_population.reindex(shares_in_segment.index)
        ).sort_values(ascending=False)
        assert list(published["top_interest_lifts"]) == pytest.approx(
            [value for value in lift.to_numpy() if value > 1][
                : len(published["top_interest_lifts"])
            ]
        )
        assert list(published["top_interests_by_lift"])[0] == lift.index[0]
    gamers = segments.loc["interest_gaming"]
    assert gamers["top_interests_by_lift"][0] == "Gaming"


@pytest.mark.dbt
def test_overlap_matches_a_recomputation(demo_build):
    memberships = demo_build.frame("select user_id, rule_segment_id from fct_user_rule_segments")
    clusters = demo_build.frame("select user_id, segment_id from fct_user_segments")
    overlap = demo_build.frame("select * from fct_segment_overlaps")
    by_segment = memberships.groupby("rule_segment_id")["user_id"].agg(set)
    n_rule = demo_build.query("select count(*) from dim_rule_segments")[0][0]
    n_cluster = demo_build.query("select count(*) from dim_segments")[0][0]
    assert len(overlap) == n_rule * (n_rule - 1) + n_rule * n_cluster

    rules = overlap[overlap["other_segment_type"] == "rule"].set_index(
        ["rule_segment_id", "other_rule_segment_id"]
    )
    for first, second in [("weekend_heavy", "women"), ("ctr_top_quartile", "window_shoppers")]:
        a, b = by_segment[first], by_segment[second]
        row = rules.loc[(first, second)]
        assert row["users_in_both"] == len(a & b)
        assert row["jaccard_index"] == pytest.approx(len(a & b) / len(a | b))
        assert row["share_of_rule_segment_in_other"] == pytest.approx(len(a & b) / len(a))
        assert row["share_of_other_segment_in_rule"] == pytest.approx(len(a & b) / len(b))
    assert rules.loc[("men", "women"), "users_in_both"] == 0
    assert rules.loc[("window_shoppers", "ctr_top_quartile"), "share_of_rule_segment_in_other"] == 1

    cluster_rows = overlap[overlap["other_segment_type"] == "cluster"].set_index(
        ["rule_segment_id", "other_cluster_segment_id"]
    )
    heavy = by_segment["weekend_heavy"]
    for segment_id, users in clusters.groupby("segment_id")["user_id"].agg(set).items():
        row = cluster_rows.loc[("weekend_heavy", segment_id)]
        assert row["users_in_both"] == len(heavy & users)
        assert row["share_of_other_segment_in_rule"] == pytest.approx(
            len(heavy & users) / len(users)
        )


def copy_warehouse(build, workdir: Path) -> Path:
    """A private copy of a built warehouse, to rebuild only the rule segment models in."""
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "warehouse.duckdb"
    shutil.copy(build.database, database)
    return database


def write_definitions(path: Path, extra_entries: list[dict]) -> Path:
    document = yaml.safe_load(DEFAULT_DEFINITIONS.read_text(encoding="utf-8"))
    document["rule_segments"].extend(extra_entries)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.dbt
def test_a_segment_added_to_the_definitions_file_appears(demo_build, tmp_path):
    definitions = write_definitions(
        tmp_path / "rules.yml",
        [
            entry(
                "Young gamers",
                {"all": [{"interest": "Gaming"}, {"column": "age_band", "in": ["18-24", "25-34"]}]},
            ),
            entry(
                "Nobody at all",
                {
                    "all": [
                        {"column": "gender", "equals": "Male"},
                        {"column": "gender", "equals": "Female"},
                    ]
                },
            ),
        ],
    )
    result = run_dbt(
        tmp_path / "dbt",
        "build",
        variables={
            "rule_segments_path": str(definitions),
            "profile_flag_thresholds": {"weekend_heavy_min_share": 0.6},
        },
        extra=["--select", "int_user_profiles_assembled+"],
        database=copy_warehouse(demo_build, tmp_path / "dbt"),
    )
    assert result.ok, result.output[-5000:]
    assert "rule segment(s) match no user: 'Nobody at all' (nobody_at_all)" in result.output

    segments = result.frame("select * from dim_rule_segments order by rule_segment_position")
    assert len(segments) == definitions_count() + 2
    assert segments["rule_segment_name"].iloc[-2:].tolist() == ["Young gamers", "Nobody at all"]
    assert segments["users"].iloc[-1] == 0

    profiles = result.frame("select * from dim_user_profiles")
    young_gamers = profiles[
        profiles["interests"].map(lambda names: "Gaming" in list(names))
        & profiles["age_band"].isin(["18-24", "25-34"])
    ]
    assert actual_members(result, "young_gamers") == set(young_gamers["user_id"])
    assert len(young_gamers) > 0
    assert (profiles["is_weekend_heavy"] == (profiles["weekend_share_of_hours_online"] > 0.6)).all()
    assert actual_members(result, "weekend_heavy") == set(
        profiles.loc[profiles["weekend_share_of_hours_online"] > 0.6, "user_id"]
    )


@pytest.mark.dbt
@pytest.mark.parametrize(
    ("bad_entry", "problem"),
    [
        (
            entry(
                "Weekend readers", {"all": [{"flag": "is_weekend_heavy"}, {"interest": "Reading"}]}
            ),
            "segment 'Weekend readers': condition.all[1]: unknown interest 'Reading'",
        ),
        (
            entry("Raw SQL", "age_band = '25-34' or 1 = 1"),
            "segment 'Raw SQL': condition: is text",
        ),
    ],
)
def test_a_bad_definition_fails_the_build_naming_the_segment(
    demo_build, tmp_path, bad_entry, problem
):
    definitions = write_definitions(tmp_path / "rules.yml", [bad_entry])
    result = run_dbt(
        tmp_path / "dbt",
        "build",
        variables={"rule_segments_path": str(definitions)},
        extra=["--select", "int_rule_segments_defined+"],
        database=copy_warehouse(demo_build, tmp_path / "dbt"),
    )
    assert not result.ok
    assert problem in result.output, result.output[-5000:]

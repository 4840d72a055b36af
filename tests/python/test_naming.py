"""Tests of segmentation.naming: persona catalogue, unique assignment, fallback, descriptions,
names kept across runs, and the caveats shown with a name (Rule 6).

Oracles come from README (tests/python/readme_spec.py and the literal numbers and wording
below), never from the module's constants."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from readme_spec import (
    PERSONAS,
    REFERENCE_PERSONAS,
    TRAIT_LABELS,
    VERDICT_ADVICE,
    condition_holds,
    name_is_true,
    persona_rule,
    qualifier,
)
from segmentation import naming
from segmentation.adapters import name_personas
from segmentation.naming import (
    CATALOGUE,
    caveat,
    describe,
    label,
    name_segments,
    rule_holds,
    run_caveat,
    with_note,
)

README = Path(__file__).resolve().parents[2] / "README.md"
METRICS = tuple(TRAIT_LABELS)
TRAITS: dict[str, tuple[str, ...]] = {
    "age_band": ("18-24", "25-34", "35-44", "45-54", "55-64", "65+"),
    "gender": ("Male", "Female"),
    "income_band": ("0-20k", "20k-40k", "40k-60k", "60k-80k", "80k-100k", "100k+"),
    "device_usage": ("Mobile Only", "Desktop Only", "Mobile + Desktop", "Tablet"),
    "location": ("Urban", "Suburban", "Rural"),
    "education_level": ("High School", "Bachelor", "Master", "PhD", "Technical"),
    "language": ("English", "Spanish", "Mandarin", "Hindi"),
}
NONE_ADVICE = (
    "the segments are an arbitrary cut of a continuum: use them as convenient bins, "
    "or use declarative segments"
)


def profile(segment_id: int, **overrides: Any) -> dict[str, Any]:
    """One profile row: every index 100, modal traits the first value with share 0.4."""
    row: dict[str, Any] = {"segment_id": segment_id, "users": 100, "share": 0.1}
    for metric in METRICS:
        row |= {f"avg_{metric}": 1.0, f"median_{metric}": 1.0, f"{metric}_index": 100.0}
    for trait, values in TRAITS.items():
        row |= {f"modal_{trait}": values[0], f"modal_{trait}_share": 0.4}
    unknown = set(overrides) - set(row)
    assert not unknown, unknown
    return row | overrides


def frame(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def by_id(result: pd.DataFrame) -> dict[int, str]:
    return dict(zip(result["segment_id"], result["segment_name"], strict=True))


def rules_by_id(result: pd.DataFrame) -> dict[int, str]:
    return dict(zip(result["segment_id"], result["persona_rule"], strict=True))


def name_of(row: dict[str, Any], previous: pd.DataFrame | None = None) -> str:
    return name_segments(frame(row), previous=previous).iloc[0]["segment_name"]


def previous_names(*rows: tuple[int, str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["segment_id", "segment_name", "persona_rule"])


def random_profiles(seed: int, n: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for segment_id in range(n):
        row = profile(segment_id)
        for metric in METRICS:
            row[f"{metric}_index"] = float(np.round(rng.uniform(60, 150), 1))
        for trait, values in TRAITS.items():
            row[f"modal_{trait}"] = str(rng.choice(values))
            row[f"modal_{trait}_share"] = float(rng.uniform(0.2, 0.9))
        rows.append(row)
    return frame(*rows)


def assert_all_names_true(profiles: pd.DataFrame, result: pd.DataFrame) -> None:
    """README's reading of every name holds, and rule_holds (which keeps names) agrees."""
    rows = profiles.set_index("segment_id", drop=False)
    for out in result.itertuples():
        row = rows.loc[out.segment_id].to_dict()
        assert name_is_true(out.segment_name, out.persona_rule, row), out
        assert rule_holds(out.segment_name, out.persona_rule, row), out


def at_threshold(name: str, segment_id: int = 1) -> dict[str, Any]:
    """A profile where every condition of persona `name` is exactly at its threshold."""
    return profile(segment_id, **{f"{m}_index": float(t) for m, _, t in PERSONAS[name]})


# --- The catalogue is README's --------------------------------------------------------------


def test_readme_states_the_spec() -> None:
    text = README.read_text()
    for name, conditions in PERSONAS.items():
        words = " and ".join(f"{m} {'≥' if op == '>=' else '≤'} {t:g}" for m, op, t in conditions)
        assert f"| {name} | {words} |" in text, name
    assert ", ".join(TRAIT_LABELS.values()) in " ".join(text.split())
    assert '"high" means ≥ 115, "low" ≤ 85' in text
    assert "*High-CTR 25-34 Males*" in text
    flat = " ".join(text.split())
    assert "at least 60% share one gender" in flat
    assert "at least 50% of the segment use that device" in flat
    for verdict, advice in VERDICT_ADVICE.items():
        assert f"| {advice} |" in text, verdict


def test_the_catalogue_is_readmes_in_readmes_order() -> None:
    catalogue = [
        (persona.name, tuple((c.metric, c.op, c.threshold) for c in persona.condition))
        for persona in CATALOGUE
    ]
    assert catalogue == list(PERSONAS.items())
    assert set(naming.REFERENCE_PERSONAS) == set(REFERENCE_PERSONAS)
    assert [persona.rule for persona in CATALOGUE] == [persona_rule(n) for n in PERSONAS]


def test_module_docstring_lists_the_catalogue() -> None:
    doc = " ".join(naming.__doc__.split())
    symbols = {115: "HIGH", 85: "LOW", 100: "AVERAGE"}
    for name, conditions in PERSONAS.items():
        clauses = " and ".join(f"{m} {op} {symbols[t]}" for m, op, t in conditions)
        assert f"{name} {clauses}" in doc, name


# --- Persona thresholds, at and around README's numbers --------------------------------------


@pytest.mark.parametrize("name", list(PERSONAS))
def test_each_persona_is_given_exactly_at_its_thresholds(name: str) -> None:
    row = at_threshold(name)
    holding = [other for other in PERSONAS if condition_holds(other, row)]
    # Only Affluent Users (income >= 115) rides along with Engaged Professionals, and the
    # reference persona goes first.
    assert holding == ([name, "Affluent Users"] if name == "Engaged Professionals" else [name])
    result = name_segments(frame(row)).iloc[0]
    assert result["segment_name"] == name
    assert result["persona_rule"] == persona_rule(name)


@pytest.mark.parametrize(
    ("name", "metric", "op", "threshold"),
    [(name, *condition) for name, conditions in PERSONAS.items() for condition in conditions],
)
def test_a_persona_is_not_given_just_past_a_threshold(
    name: str, metric: str, op: str, threshold: float
) -> None:
    past = threshold - 0.01 if op == ">=" else threshold + 0.01
    row = at_threshold(name) | {f"{metric}_index": past}
    assert name_of(row) != name
    assert name_of(row | {f"{metric}_index": math.nan}) != name


def test_readme_examples_of_conditions() -> None:
    # README: Weekend Warriors: weekend share >= 115; Low-Key Users: weekly hours <= 85 and
    # likes <= 85.
    assert name_of(profile(1, weekend_share_of_hours_online_index=115.0)) == "Weekend Warriors"
    assert name_of(profile(1, weekend_share_of_hours_online_index=114.9)) != "Weekend Warriors"
    low_key = profile(1, weekly_hours_online_index=85.0, likes_and_reactions_index=85.0)
    assert name_of(low_key) == "Low-Key Users"
    assert name_of(low_key | {"likes_and_reactions_index": 85.1}) != "Low-Key Users"


def test_weekend_heavy_segment_is_weekend_warriors() -> None:
    result = name_segments(frame(profile(1), profile(2, weekend_share_of_hours_online_index=140)))
    assert by_id(result)[2] == "Weekend Warriors"
    assert rules_by_id(result)[2] == "weekend_share_of_hours_online_index >= 115"
    assert by_id(result)[1] != "Weekend Warriors"


def test_higher_score_wins_a_contested_persona() -> None:
    profiles = frame(
        profile(1, weekend_share_of_hours_online_index=120),
        profile(2, weekend_share_of_hours_online_index=150),
    )
    names = by_id(name_segments(profiles))
    assert names[2] == "Weekend Warriors"
    assert names[1] != "Weekend Warriors"
    assert_all_names_true(profiles, name_segments(profiles))


def test_segment_takes_its_best_scoring_persona() -> None:
    # Both Silver Surfers (+40) and Power Followers (+20) hold; the larger margin wins.
    row = profile(1, age_midpoint_years_index=140, followed_accounts_index=120)
    assert name_of(row) == "Silver Surfers"
    row = profile(1, age_midpoint_years_index=120, followed_accounts_index=140)
    assert name_of(row) == "Power Followers"


def test_the_score_is_a_mean_over_the_conditions() -> None:
    # Click-Happy Shoppers: (140 - 100 + 120 - 100) / 2 = 30; Power Followers: 35 wins. With
    # followed accounts at 125 (25 < 30), Click-Happy Shoppers wins: a sum (60) would win both.
    row = profile(1, click_through_rate_index=140, conversion_rate_index=120)
    assert name_of(row | {"followed_accounts_index": 135}) == "Power Followers"
    assert name_of(row | {"followed_accounts_index": 125}) == "Click-Happy Shoppers"


def test_reference_personas_come_before_stronger_other_traits() -> None:
    # Low-Key Users (margins 30 and 30) holds, and Ad Skimmers (margin 70) scores higher:
    # the reference notebook's persona wins; without its condition the other one does.
    row = profile(
        1,
        weekly_hours_online_index=70,
        likes_and_reactions_index=70,
        ad_interaction_seconds_index=30,
    )
    assert name_of(row) == "Low-Key Users"
    row = profile(1, weekly_hours_online_index=95, ad_interaction_seconds_index=30)
    assert name_of(row) == "Ad Skimmers"


def test_ties_go_to_catalogue_order_then_segment_id() -> None:
    # Power Followers and Enthusiastic Likers both score 20: the earlier in the catalogue wins.
    row = profile(1, followed_accounts_index=120, likes_per_followed_account_index=120)
    assert name_of(row) == "Power Followers"
    # Two segments tie for Silver Surfers: the smaller segment_id gets it.
    profiles = frame(
        profile(7, age_midpoint_years_index=130), profile(3, age_midpoint_years_index=130)
    )
    assert by_id(name_segments(profiles))[3] == "Silver Surfers"


@pytest.mark.parametrize("seed", range(5))
def test_random_profiles_get_unique_true_names(seed: int) -> None:
    profiles = random_profiles(seed)
    result = name_segments(profiles)
    assert result["segment_name"].is_unique
    assert len(result) == len(profiles)
    assert_all_names_true(profiles, result)


def test_output_shape_and_order() -> None:
    profiles = frame(profile(3), profile(1), profile(2))
    result = name_segments(profiles)
    columns = ["segment_id", "segment_name", "description", "persona_rule"]
    assert list(result.columns) == columns
    assert list(result["segment_id"]) == [3, 1, 2]
    assert result.notna().all().all()
    assert list(name_segments(profiles.iloc[:0]).columns) == columns


def test_deterministic_and_independent_of_row_order() -> None:
    profiles = random_profiles(7)
    first = name_segments(profiles)
    pd.testing.assert_frame_equal(first, name_segments(profiles))
    shuffled = name_segments(profiles.sample(frac=1, random_state=3))
    assert by_id(shuffled) == by_id(first)


# --- Strongest-trait names ---------------------------------------------------------------------


def test_readmes_fallback_example() -> None:
    row = profile(1, click_through_rate_index=110, modal_age_band="25-34")
    row |= {"modal_gender": "Male", "modal_gender_share": 0.6}
    assert not any(condition_holds(name, row) for name in PERSONAS)
    result = name_segments(frame(row)).iloc[0]
    assert result["segment_name"] == "High-CTR 25-34 Males"
    assert result["persona_rule"] == "fallback: strongest trait click_through_rate_index = 110"
    assert name_of(row | {"modal_gender_share": 0.59}) == "High-CTR 25-34 Users"
    assert name_of(row | {"click_through_rate_index": 90}) == "Low-CTR 25-34 Males"


@pytest.mark.parametrize("metric", METRICS)
def test_fallback_labels_are_readmes(metric: str) -> None:
    # 112 and 88: off 100 but short of every persona threshold.
    assert name_of(profile(1, **{f"{metric}_index": 112.0})).startswith(
        f"High-{TRAIT_LABELS[metric]} "
    )
    assert name_of(profile(1, **{f"{metric}_index": 88.0})).startswith(
        f"Low-{TRAIT_LABELS[metric]} "
    )


def test_fallback_names_stay_unique() -> None:
    rows = [profile(i, likes_and_reactions_index=90, modal_location="Suburban") for i in (1, 2, 3)]
    names = by_id(name_segments(frame(*reversed(rows))))  # suffixes follow segment_id
    assert names == {
        1: "Low-Likes 18-24 Users",
        2: "Low-Likes Suburban 18-24 Users",
        3: "Low-Likes Suburban 18-24 Users 2",
    }


def test_fallback_adds_the_second_trait_before_a_number() -> None:
    rows = [
        profile(1, likes_and_reactions_index=90, modal_location="Urban"),
        profile(2, likes_and_reactions_index=90, modal_location="Urban"),
        profile(
            3, likes_and_reactions_index=90, modal_location="Urban", followed_accounts_index=95
        ),
    ]
    names = by_id(name_segments(frame(*rows)))
    assert names[3] == "Low-Likes Low-Follows Urban 18-24 Users"


def test_null_indices_do_not_crash_or_qualify() -> None:
    all_null = profile(1, **{f"{m}_index": math.nan for m in METRICS})
    weekend_null = profile(2, weekend_share_of_hours_online_index=math.nan)
    profiles = frame(all_null, weekend_null, profile(3, modal_gender=None))
    result = name_segments(profiles)
    assert result["segment_name"].is_unique and result.notna().all().all()
    assert "Weekend Warriors" not in set(result["segment_name"])
    assert by_id(result)[1].startswith("Typical ")
    assert rules_by_id(result)[1] == "fallback: no index deviates from 100"
    assert_all_names_true(profiles, result)
    assert not rule_holds("Weekend Warriors", persona_rule("Weekend Warriors"), weekend_null)


# --- Descriptions ----------------------------------------------------------------------------


def test_description_levels_and_demographics() -> None:
    row = profile(
        1,
        weekend_hours_online_index=130,
        weekday_hours_online_index=115,
        click_through_rate_index=80,
        conversion_rate_index=85,
        modal_gender="Female",
        modal_gender_share=0.7,
        modal_age_band="35-44",
        modal_income_band="80k-100k",
        modal_device_usage="Tablet",
        modal_device_usage_share=0.6,
    )
    text = describe(row)
    assert text == (
        "High weekend online activity, high weekday online activity, moderate likes and "
        "reactions, low click-through rate, low conversion rate, predominantly female, age "
        "group 35-44, income level 80k-100k, device usage mostly Tablet"
    )
    assert name_segments(frame(row)).iloc[0]["description"] == text


@pytest.mark.parametrize(
    ("index", "level"),
    [(115.0, "high"), (114.99, "moderate"), (100.0, "moderate"), (85.01, "moderate"),
     (85.0, "low"), (150.0, "high"), (20.0, "low")],
)  # fmt: skip
def test_description_level_words_at_readmes_thresholds(index: float, level: str) -> None:
    assert (
        describe(profile(1, click_through_rate_index=index)).find(f"{level} click-through rate")
        >= 0
    )


@pytest.mark.parametrize(("share", "words"), [(0.6, "predominantly male"), (0.59, "mixed gender")])
def test_gender_majority_is_sixty_percent(share: float, words: str) -> None:
    row = profile(1, modal_gender="Male", modal_gender_share=share)
    assert words in describe(row)


@pytest.mark.parametrize(("share", "shown"), [(0.5, True), (0.49, False)])
def test_device_is_mentioned_from_fifty_percent(share: float, shown: bool) -> None:
    row = profile(1, modal_device_usage="Tablet", modal_device_usage_share=share)
    assert ("device usage mostly Tablet" in describe(row)) is shown


def test_description_leaves_out_what_is_unknown() -> None:
    row = profile(1, modal_gender=None, modal_age_band=None, click_through_rate_index=math.nan)
    text = describe(row)
    assert "gender" not in text and "age group" not in text and "click-through" not in text


# --- rule_holds -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(PERSONAS))
def test_rule_holds_tracks_each_condition(name: str) -> None:
    row = at_threshold(name)
    rule = persona_rule(name)
    assert rule_holds(name, rule, row)
    assert not rule_holds(name, "some other rule", row)
    for metric, op, threshold in PERSONAS[name]:
        broken = threshold - 0.01 if op == ">=" else threshold + 0.01
        assert not rule_holds(name, rule, row | {f"{metric}_index": broken})
        assert not rule_holds(name, rule, row | {f"{metric}_index": None})


def test_rule_holds_rejects_broken_fallbacks() -> None:
    row = profile(1, click_through_rate_index=110, modal_age_band="25-34")
    row |= {"modal_gender": "Male", "modal_gender_share": 0.7, "modal_location": "Urban"}
    name, rule = "High-CTR 25-34 Males", "fallback: strongest trait click_through_rate_index = 110"
    assert rule_holds(name, rule, row)
    assert rule_holds("High-CTR Urban 25-34 Males", rule, row)
    second = row | {"followed_accounts_index": 99}
    assert rule_holds("High-CTR Low-Follows Urban 25-34 Males", rule, second)
    assert rule_holds("High-CTR Low-Follows Urban 25-34 Males 2", rule, second)
    assert rule_holds("High-CTR Low-Follows Urban 25-34 Males 12", rule, second)
    assert not rule_holds("High-CTR Low-Follows Urban 25-34 Males 02", rule, second)
    assert not rule_holds("High-CTR Low-Follows Urban 25-34 Males", rule, row)
    assert not rule_holds(name, rule, row | {"click_through_rate_index": 90})  # now low
    assert not rule_holds(name, rule, row | {"followed_accounts_index": 130})  # not strongest
    assert not rule_holds(name, rule, row | {"modal_gender_share": 0.5})  # no longer males
    assert not rule_holds(name, rule, row | {"modal_age_band": "35-44"})
    assert not rule_holds("High-CTR Rural 25-34 Males", rule, row)
    assert not rule_holds("High-CTR 25-34 Males 1", rule, row)
    assert not rule_holds(name, "fallback: strongest trait followed_accounts_index = 110", row)
    assert not rule_holds("Made-Up Name", "not a rule", row)
    typical = profile(1)
    assert rule_holds("Typical 18-24 Users", "fallback: no index deviates from 100", typical)
    assert not rule_holds("Typical 18-24 Users", "fallback: no index deviates from 100", row)


# --- Names across runs (Rule 5) -----------------------------------------------------------------

ACTIVE = persona_rule("Active Explorers")


def explorer_also_weekend(**overrides: Any) -> dict[str, Any]:
    # Active Explorers holds (score 10.5) and Weekend Warriors holds with a higher score (50).
    return profile(
        1,
        weekly_hours_online_index=120.0,
        click_through_rate_index=101.0,
        weekend_share_of_hours_online_index=150.0,
        **overrides,
    )


def test_a_name_is_kept_while_its_rule_holds_even_if_another_scores_higher() -> None:
    row = explorer_also_weekend()
    assert name_of(row) == "Weekend Warriors"  # what a first run would call it
    previous = previous_names((1, "Active Explorers", ACTIVE))
    result = name_segments(frame(row), previous=previous).iloc[0]
    assert result["segment_name"] == "Active Explorers"
    assert result["persona_rule"] == ACTIVE


@pytest.mark.parametrize(
    ("metric", "value", "kept"),
    [
        ("weekly_hours_online_index", 115.0, True),
        ("weekly_hours_online_index", 114.99, False),
        ("click_through_rate_index", 100.0, True),
        ("click_through_rate_index", 99.99, False),
        ("click_through_rate_index", math.nan, False),
    ],
)
def test_a_name_is_renamed_when_its_rule_stops_holding(
    metric: str, value: float, kept: bool
) -> None:
    row = explorer_also_weekend() | {metric: value}
    previous = previous_names((1, "Active Explorers", ACTIVE))
    assert name_of(row, previous) == ("Active Explorers" if kept else "Weekend Warriors")


def test_a_kept_name_is_not_given_to_another_segment() -> None:
    # Segment 2 would outscore segment 1 for Active Explorers; segment 1 keeps it.
    rows = [explorer_also_weekend(), profile(2, weekly_hours_online_index=150.0,
                                              click_through_rate_index=150.0)]  # fmt: skip
    fresh = by_id(name_segments(frame(*rows)))
    assert fresh == {1: "Weekend Warriors", 2: "Active Explorers"}
    kept = by_id(name_segments(frame(*rows), previous_names((1, "Active Explorers", ACTIVE))))
    assert kept[1] == "Active Explorers" and kept[2] != "Active Explorers"


def test_a_stale_rule_text_is_not_kept() -> None:
    # The name matches but the rule text is not the persona's (e.g. an older threshold).
    previous = previous_names((1, "Active Explorers", "weekly_hours_online_index >= 110"))
    assert name_of(explorer_also_weekend(), previous) == "Weekend Warriors"


def test_previous_names_of_other_segments_do_not_apply() -> None:
    previous = previous_names((9, "Active Explorers", ACTIVE))
    assert name_of(explorer_also_weekend(), previous) == "Weekend Warriors"
    assert name_of(explorer_also_weekend(), previous_names()) == "Weekend Warriors"


def test_a_fallback_name_is_kept_while_every_word_is_true() -> None:
    row = profile(1, click_through_rate_index=120.0, modal_age_band="25-34")
    row |= {"modal_gender": "Male", "modal_gender_share": 0.7, "modal_location": "Urban"}
    # Last run it needed its location to be unique; today it would not.
    previous = previous_names(
        (
            1,
            "High-CTR Urban 25-34 Males",
            "fallback: strongest trait click_through_rate_index = 131",
        )
    )
    result = name_segments(frame(row), previous=previous).iloc[0]
    assert result["segment_name"] == "High-CTR Urban 25-34 Males"
    assert result["persona_rule"] == "fallback: strongest trait click_through_rate_index = 120"
    assert name_of(row | {"modal_location": "Rural"}, previous) == "High-CTR 25-34 Males"
    assert name_of(row | {"modal_gender_share": 0.55}, previous) == "High-CTR 25-34 Users"
    assert name_of(row | {"ad_interaction_seconds_index": 130.0}, previous) == "Ad Lingerers"


def test_a_persona_that_now_holds_replaces_a_fallback_name_only_when_it_breaks() -> None:
    row = profile(1, click_through_rate_index=113.0, followed_accounts_index=112.0)
    previous = previous_names(
        (1, "High-CTR 18-24 Users", "fallback: strongest trait click_through_rate_index = 113")
    )
    # Power Followers holds from 115; the fallback still holds while CTR is the strongest trait.
    assert name_of(row | {"followed_accounts_index": 115.0}, previous) == "Power Followers"
    assert name_of(row, previous) == "High-CTR 18-24 Users"


# --- Rule 6: caveats, with README's wording ---------------------------------------------------


@pytest.mark.parametrize(
    ("verdict", "jaccard", "expected_qualifier", "expected_note"),
    [
        ("strong", 0.9, None, None),
        ("strong", 0.75, None, None),
        ("strong", 0.7499, "unstable",
         "Unstable (stability 0.75 < 0.75): don't build a campaign on this segment."),
        ("strong", 0.62, "unstable",
         "Unstable (stability 0.62 < 0.75): don't build a campaign on this segment."),
        ("weak", 0.9, "weak structure",
         "Caution (structure verdict weak): some structure; treat segments as useful slices, "
         "not types."),
        ("none", 0.8, "no structure found",
         f"Caution (structure verdict none): {NONE_ADVICE}."),
        ("none", 0.62, "no structure found, unstable",
         f"Caution (structure verdict none): {NONE_ADVICE}. Unstable (stability 0.62 < 0.75): "
         "don't build a campaign on this segment."),
        ("weak", math.nan, "weak structure, stability unknown",
         "Caution (structure verdict weak): some structure; treat segments as useful slices, "
         "not types. Stability not measured."),
        ("strong", None, "stability unknown", "Stability not measured."),
    ],
)  # fmt: skip
def test_caveat_wording_is_readmes(verdict, jaccard, expected_qualifier, expected_note) -> None:
    result = caveat(verdict, jaccard, 0.75)
    assert result.qualifier == expected_qualifier == qualifier(verdict, jaccard)
    assert result.note == expected_note


@pytest.mark.parametrize(
    ("jaccard", "threshold", "unstable"),
    [(0.75, 0.75, False), (0.7499, 0.75, True), (0.7501, 0.75, False), (0.0, 0.75, True),
     (0.6, 0.5, False), (0.49, 0.5, True), (0.0, 0.0, False), (math.nan, 0.75, False),
     (None, 0.75, False)],
)  # fmt: skip
def test_stability_flag_is_strictly_below_unstable_jaccard(jaccard, threshold, unstable) -> None:
    assert caveat("strong", jaccard, threshold).is_unstable is unstable


def test_caveat_refuses_an_unknown_verdict() -> None:
    with pytest.raises(ValueError, match="maybe"):
        caveat("maybe", 0.9, 0.75)
    with pytest.raises(ValueError, match="maybe"):
        run_caveat("maybe", 5, 0)


def test_label_and_note() -> None:
    assert label("Active Explorers", "no structure found, unstable") == (
        "Active Explorers (no structure found, unstable)"
    )
    assert label("Active Explorers", None) == "Active Explorers"
    assert with_note("High CTR", "Stability not measured.") == "High CTR. Stability not measured."
    assert with_note("High CTR", None) == "High CTR"
    assert with_note(None, "Stability not measured.") == "Stability not measured."


def test_run_caveat_is_readmes_example() -> None:
    assert run_caveat("none", 5, 5) == (
        f'Caution: {NONE_ADVICE} (structure verdict none; names say "no structure found"). '
        "5 of 5 segments are unstable: don't build a campaign on an unstable segment."
    )
    readme = " ".join(README.read_text().split())
    assert f"*{run_caveat('none', 5, 5)}*" in readme


@pytest.mark.parametrize(
    ("verdict", "unstable", "unmeasured", "expected"),
    [
        ("strong", 0, 0, None),
        ("strong", 2, 0, "2 of 6 segments are unstable: don't build a campaign on an unstable "
                         "segment."),
        ("weak", 0, 0, "Caution: some structure; treat segments as useful slices, not types "
                       "(structure verdict weak; names say \"weak structure\")."),
        ("strong", 0, 6, "The stability of 6 of 6 segments was not measured."),
    ],
)  # fmt: skip
def test_run_caveat(verdict, unstable, unmeasured, expected) -> None:
    assert run_caveat(verdict, 6, unstable, unmeasured) == expected


def test_personas_model_puts_the_caveat_with_each_name() -> None:
    """The adapter of int_segment_personas: name, qualifier, description with its note, flag."""
    profiles = frame(
        profile(1, weekend_share_of_hours_online_index=140.0),
        profile(2, weekly_hours_online_index=80.0, likes_and_reactions_index=80.0),
        profile(3),
    )
    trust = pd.DataFrame(
        {
            "segment_id": [1, 1, 2, 3],  # one row per model column in int_segment_centroids
            "structure_verdict": ["none"] * 4,
            "segment_stability_jaccard": [0.62, 0.62, 0.9, math.nan],
        }
    )
    connection = duckdb.connect()
    result = name_personas(connection.from_df(profiles), connection.from_df(trust), 0.75).set_index(
        "segment_id"
    )
    assert list(result.columns) == [
        "segment_name", "name_qualifier", "description", "persona_rule", "is_unstable",
    ]  # fmt: skip
    assert result.loc[1, "segment_name"] == "Weekend Warriors"
    assert result.loc[1, "name_qualifier"] == "no structure found, unstable"
    assert result.loc[2, "name_qualifier"] == "no structure found"
    assert result.loc[3, "name_qualifier"] == "no structure found, stability unknown"
    assert result["is_unstable"].tolist() == [True, False, False]
    assert result.loc[1, "description"] == (
        describe(profiles.iloc[0].to_dict())
        + f". Caution (structure verdict none): {NONE_ADVICE}. Unstable (stability 0.62 < 0.75):"
        " don't build a campaign on this segment."
    )
    # The var unstable_jaccard is what decides.
    relaxed = name_personas(connection.from_df(profiles), connection.from_df(trust), 0.5)
    assert relaxed["is_unstable"].tolist() == [False, False, False]
    strong = trust.assign(structure_verdict="strong", segment_stability_jaccard=0.9)
    plain = name_personas(connection.from_df(profiles), connection.from_df(strong), 0.75)
    assert plain["name_qualifier"].isna().all()
    # Still text to DuckDB (dim_segments' contract says varchar), though every value is null.
    types = {row[0]: row[1] for row in connection.sql("describe select * from plain").fetchall()}
    assert types["name_qualifier"] == "VARCHAR" and types["is_unstable"] == "BOOLEAN"
    assert plain["description"].tolist() == [describe(r) for r in profiles.to_dict("records")]


def test_readme_mentions_every_qualifier() -> None:
    text = README.read_text()
    for words in ("weak structure", "no structure found", "unstable", "stability unknown"):
        assert re.search(rf"\| {words} \|", text), words

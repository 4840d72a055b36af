"""Tests of segmentation.naming: persona catalogue, unique assignment, fallback, descriptions."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from segmentation import naming
from segmentation.naming import (
    AVERAGE,
    CATALOGUE,
    HIGH,
    LOW,
    METRICS,
    OUTPUT_COLUMNS,
    describe,
    name_segments,
    rule_holds,
)

TRAITS: dict[str, tuple[str, ...]] = {
    "age_band": ("18-24", "25-34", "35-44", "45-54", "55-64", "65+"),
    "gender": ("Male", "Female"),
    "income_band": ("0-20k", "20k-40k", "40k-60k", "60k-80k", "80k-100k", "100k+"),
    "device_usage": ("Mobile Only", "Desktop Only", "Mobile + Desktop", "Tablet"),
    "location": ("Urban", "Suburban", "Rural"),
    "education_level": ("High School", "Bachelor", "Master", "PhD", "Technical"),
    "language": ("English", "Spanish", "Mandarin", "Hindi"),
}


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


def assert_all_rules_hold(profiles: pd.DataFrame, result: pd.DataFrame) -> None:
    rows = profiles.set_index("segment_id", drop=False)
    for out in result.itertuples():
        assert rule_holds(out.segment_name, out.persona_rule, rows.loc[out.segment_id]), out


def test_output_shape_and_order() -> None:
    profiles = frame(profile(3), profile(1), profile(2))
    result = name_segments(profiles)
    assert list(result.columns) == list(OUTPUT_COLUMNS)
    assert list(result["segment_id"]) == [3, 1, 2]
    assert result.notna().all().all()
    assert list(name_segments(profiles.iloc[:0]).columns) == list(OUTPUT_COLUMNS)


def test_catalogue_is_well_formed() -> None:
    names = [persona.name for persona in CATALOGUE]
    assert len(names) == len(set(names)) >= 10
    for required in ("Weekend Warriors", "Engaged Professionals", "Low-Key Users"):
        assert required in names
    assert {"Active Explorers", "Budget Browsers"} <= set(names)
    assert all(clause.metric in METRICS for p in CATALOGUE for clause in p.condition)


def test_module_docstring_lists_the_catalogue() -> None:
    doc = " ".join(naming.__doc__.split())
    constants = {HIGH: "HIGH", LOW: "LOW", AVERAGE: "AVERAGE"}
    for persona in CATALOGUE:
        clauses = [f"{c.metric} {c.op} {constants[c.threshold]}" for c in persona.condition]
        assert f"{persona.name} {' and '.join(clauses)}" in doc, persona.name


def test_weekend_heavy_segment_is_weekend_warriors() -> None:
    result = name_segments(frame(profile(1), profile(2, weekend_share_of_hours_online_index=140)))
    assert by_id(result)[2] == "Weekend Warriors"
    assert result.set_index("segment_id").loc[2, "persona_rule"] == (
        f"weekend_share_of_hours_online_index >= {HIGH:g}"
    )
    assert by_id(result)[1] != "Weekend Warriors"


def test_higher_score_wins_a_contested_persona() -> None:
    profiles = frame(
        profile(1, weekend_share_of_hours_online_index=120),
        profile(2, weekend_share_of_hours_online_index=150),
    )
    names = by_id(name_segments(profiles))
    assert names[2] == "Weekend Warriors"
    assert names[1] != "Weekend Warriors"
    assert_all_rules_hold(profiles, name_segments(profiles))


def test_segment_takes_its_best_scoring_persona() -> None:
    # Both Silver Surfers (+40) and Power Followers (+20) hold; the larger margin wins.
    row = profile(1, age_midpoint_years_index=140, followed_accounts_index=120)
    assert by_id(name_segments(frame(row)))[1] == "Silver Surfers"
    row = profile(1, age_midpoint_years_index=120, followed_accounts_index=140)
    assert by_id(name_segments(frame(row)))[1] == "Power Followers"


def test_reference_personas_come_before_stronger_other_traits() -> None:
    # Low-Key Users (margins 30 and 30) holds, and Ad Skimmers (margin 70) scores higher:
    # the reference notebook's persona wins; without its condition the other one does.
    row = profile(
        1,
        weekly_hours_online_index=70,
        likes_and_reactions_index=70,
        ad_interaction_seconds_index=30,
    )
    assert by_id(name_segments(frame(row)))[1] == "Low-Key Users"
    row = profile(1, weekly_hours_online_index=95, ad_interaction_seconds_index=30)
    assert by_id(name_segments(frame(row)))[1] == "Ad Skimmers"


@pytest.mark.parametrize("seed", range(5))
def test_random_profiles_get_unique_true_names(seed: int) -> None:
    profiles = random_profiles(seed)
    result = name_segments(profiles)
    assert result["segment_name"].is_unique
    assert len(result) == len(profiles)
    assert_all_rules_hold(profiles, result)


def test_deterministic_and_independent_of_row_order() -> None:
    profiles = random_profiles(7)
    first = name_segments(profiles)
    pd.testing.assert_frame_equal(first, name_segments(profiles))
    shuffled = name_segments(profiles.sample(frac=1, random_state=3))
    assert by_id(shuffled) == by_id(first)


def test_fallback_when_nothing_qualifies() -> None:
    row = profile(1, click_through_rate_index=110, modal_age_band="25-34")
    row |= {"modal_gender": "Male", "modal_gender_share": 0.7}
    assert not any(persona.holds(row) for persona in CATALOGUE)
    result = name_segments(frame(row)).iloc[0]
    assert result["segment_name"] == "High-CTR 25-34 Males"
    assert result["persona_rule"] == "fallback: strongest trait click_through_rate_index = 110"
    assert rule_holds(result["segment_name"], result["persona_rule"], row)


def test_fallback_names_stay_unique() -> None:
    rows = [profile(i, likes_and_reactions_index=90, modal_location="Suburban") for i in (1, 2, 3)]
    names = by_id(name_segments(frame(*reversed(rows))))  # suffixes follow segment_id
    assert names == {
        1: "Low-Likes 18-24 Users",
        2: "Low-Likes Suburban 18-24 Users",
        3: "Low-Likes Suburban 18-24 Users 2",
    }


def test_null_indices_do_not_crash_or_qualify() -> None:
    all_null = profile(1, **{f"{m}_index": math.nan for m in METRICS})
    weekend_null = profile(2, weekend_share_of_hours_online_index=math.nan)
    profiles = frame(all_null, weekend_null, profile(3, modal_gender=None))
    result = name_segments(profiles)
    assert result["segment_name"].is_unique and result.notna().all().all()
    assert "Weekend Warriors" not in set(result["segment_name"])
    assert by_id(result)[1].startswith("Typical ")
    assert_all_rules_hold(profiles, result)
    assert not rule_holds("Weekend Warriors", CATALOGUE[0].rule, weekend_null)


def test_description_levels_and_demographics() -> None:
    row = profile(
        1,
        weekend_hours_online_index=130,
        weekday_hours_online_index=HIGH,
        click_through_rate_index=80,
        conversion_rate_index=LOW,
        modal_gender="Female",
        modal_gender_share=0.7,
        modal_age_band="35-44",
        modal_income_band="80k-100k",
        modal_device_usage="Tablet",
        modal_device_usage_share=0.6,
    )
    text = describe(row)
    assert text.startswith("High weekend online activity, high weekday online activity")
    for part in (
        "moderate likes and reactions",
        "low click-through rate",
        "low conversion rate",
        "predominantly female",
        "age group 35-44",
        "income level 80k-100k",
        "Tablet",
    ):
        assert part in text
    assert name_segments(frame(row)).iloc[0]["description"] == text
    mixed = describe(profile(1, modal_gender_share=0.5, modal_device_usage_share=0.3))
    assert "mixed gender" in mixed and "predominantly" not in mixed and "Mobile Only" not in mixed


def _satisfying(persona_index: int) -> dict[str, Any]:
    persona = CATALOGUE[persona_index]
    return profile(
        1,
        **{
            f"{c.metric}_index": c.threshold + (20 if c.op == ">=" else -20)
            for c in persona.condition
        },
    )


@pytest.mark.parametrize("k", range(len(CATALOGUE)), ids=[p.name for p in CATALOGUE])
def test_rule_holds_tracks_each_condition(k: int) -> None:
    persona = CATALOGUE[k]
    row = _satisfying(k)
    assert rule_holds(persona.name, persona.rule, row)
    assert not rule_holds(persona.name, "some other rule", row)
    for clause in persona.condition:
        broken = clause.threshold - 20 if clause.op == ">=" else clause.threshold + 20
        assert not rule_holds(persona.name, persona.rule, row | {f"{clause.metric}_index": broken})
        assert not rule_holds(persona.name, persona.rule, row | {f"{clause.metric}_index": None})


def test_rule_holds_rejects_broken_fallbacks() -> None:
    row = profile(1, click_through_rate_index=110)
    result = name_segments(frame(row)).iloc[0]
    name, rule = result["segment_name"], result["persona_rule"]
    assert rule_holds(name, rule, row)
    assert not rule_holds(name, rule, row | {"click_through_rate_index": 90})
    assert not rule_holds(name, rule, row | {"followed_accounts_index": 130})
    assert not rule_holds("Made-Up Name", "not a rule", row)

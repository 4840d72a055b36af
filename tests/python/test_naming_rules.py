"""More of segmentation.naming's rules, as its docstring and README ("Persona names") state them:
the catalogue as the module builds it, scores of "at most" conditions, the numbered fallback,
the fallback rule's number, names kept across runs whatever the row order, and descriptions
of unknown or mixed traits. test_naming.py holds the rest; oracles come from README
(readme_spec.py) and the literal values below, never from the module's constants."""

from __future__ import annotations

import importlib.util
import math

import pytest

from readme_spec import PERSONAS, persona_rule
from segmentation import naming
from segmentation.naming import describe, name_segments
from test_naming import by_id, frame, name_of, previous_names, profile, rules_by_id


def test_the_catalogue_the_module_builds_is_readmes():
    """The catalogue is built when the module is imported. This builds it again from the module's
    source, so that a change to the functions that build it is seen here even by a tool that
    changes them after the import (make mutation)."""
    spec = importlib.util.spec_from_file_location(naming.__name__, naming.__file__)
    fresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fresh)
    assert [(persona.name, persona.rule) for persona in fresh.CATALOGUE] == [
        (name, persona_rule(name)) for name in PERSONAS
    ]
    for persona in fresh.CATALOGUE:
        for clause in persona.condition:
            at = profile(1, **{f"{clause.metric}_index": clause.threshold})
            beyond = clause.threshold + (1 if clause.op == ">=" else -1)
            short = clause.threshold - (1 if clause.op == ">=" else -1)
            assert clause.holds(at) and clause.holds(
                profile(1, **{f"{clause.metric}_index": beyond})
            )
            assert not clause.holds(profile(1, **{f"{clause.metric}_index": short}))


# --- Scores: how far the indexes are from 100 in the persona's direction ---


def test_an_at_most_persona_scores_by_how_far_below_100_it_is():
    # Ad Skimmers (ad time <= 85) at 50 scores 50, Silver Surfers (age >= 115) at 120 scores 20.
    row = profile(1, ad_interaction_seconds_index=50.0, age_midpoint_years_index=120.0)
    assert name_of(row) == "Ad Skimmers"
    # Ad time at 80 scores 20, age at 130 scores 30.
    row = profile(1, ad_interaction_seconds_index=80.0, age_midpoint_years_index=130.0)
    assert name_of(row) == "Silver Surfers"


# --- The fallback: location, second trait, then " 2", " 3", ... ---


def test_numbers_follow_the_name_with_location_and_second_trait():
    rows = [
        profile(i, likes_and_reactions_index=90.0, followed_accounts_index=95.0)
        | {"modal_location": "Urban"}
        for i in range(1, 6)
    ]
    assert by_id(name_segments(frame(*rows))) == {
        1: "Low-Likes 18-24 Users",
        2: "Low-Likes Urban 18-24 Users",
        3: "Low-Likes Low-Follows Urban 18-24 Users",
        4: "Low-Likes Low-Follows Urban 18-24 Users 2",
        5: "Low-Likes Low-Follows Urban 18-24 Users 3",
    }


@pytest.mark.parametrize(("index", "shown"), [(113.26, "113.3"), (113.04, "113"), (88.95, "89")])
def test_the_fallback_rule_shows_the_index_to_one_decimal(index, shown):
    rules = rules_by_id(name_segments(frame(profile(1, click_through_rate_index=index))))
    assert rules[1] == f"fallback: strongest trait click_through_rate_index = {shown}"


# --- Names kept across runs (Rule 5) ---


def test_a_kept_fallback_rule_shows_todays_index_to_one_decimal():
    previous = previous_names(
        (1, "High-CTR 18-24 Users", "fallback: strongest trait click_through_rate_index = 113")
    )
    row = profile(1, click_through_rate_index=112.46)
    result = name_segments(frame(row), previous=previous)
    assert by_id(result) == {1: "High-CTR 18-24 Users"}
    assert rules_by_id(result) == {1: "fallback: strongest trait click_through_rate_index = 112.5"}


def test_a_fallback_name_whose_index_is_now_unknown_is_named_afresh():
    previous = previous_names(
        (1, "High-CTR 18-24 Users", "fallback: strongest trait click_through_rate_index = 113")
    )
    row = profile(1, click_through_rate_index=math.nan, likes_and_reactions_index=90.0)
    assert name_of(row, previous) == "Low-Likes 18-24 Users"


def test_kept_names_do_not_depend_on_the_row_order():
    # Both segments were called Silver Surfers (an older, inconsistent run) and both still hold:
    # the smaller segment_id keeps it, whatever the order of the rows.
    rule = persona_rule("Silver Surfers")
    previous = previous_names((7, "Silver Surfers", rule), (3, "Silver Surfers", rule))
    rows = [profile(3, age_midpoint_years_index=130.0), profile(7, age_midpoint_years_index=130.0)]
    for ordered in (rows, rows[::-1]):
        names = by_id(name_segments(frame(*ordered), previous=previous))
        assert names[3] == "Silver Surfers" and names[7] != "Silver Surfers"


def test_a_new_segment_does_not_stop_later_ones_keeping_their_names():
    # Segment 3 was Power Followers, which still holds; Silver Surfers now scores higher, so a
    # fresh run would pick it. Segment 2 is new.
    previous = previous_names(
        (1, "Ad Lingerers", persona_rule("Ad Lingerers")),
        (3, "Power Followers", persona_rule("Power Followers")),
    )
    rows = [
        profile(1, ad_interaction_seconds_index=130.0),
        profile(2, interest_count_index=130.0),
        profile(3, followed_accounts_index=120.0, age_midpoint_years_index=140.0),
    ]
    assert by_id(name_segments(frame(*rows)))[3] == "Silver Surfers"
    assert by_id(name_segments(frame(*rows), previous=previous)) == {
        1: "Ad Lingerers",
        2: "Curious Generalists",
        3: "Power Followers",
    }


# --- Descriptions (Rule 4) ---


def test_the_demographic_words_of_a_description():
    parts = describe(profile(1, modal_gender="Male", modal_gender_share=0.59)).split(", ")
    assert parts[-3:] == ["mixed gender", "age group 18-24", "income level 0-20k"]
    parts = describe(profile(1, modal_gender="Female", modal_gender_share=0.6)).split(", ")
    assert parts[-3:] == ["predominantly female", "age group 18-24", "income level 0-20k"]


def test_an_unknown_trait_read_as_nan_is_left_out():
    text = describe(
        profile(1, modal_gender=math.nan, modal_age_band=math.nan, modal_income_band=math.nan)
    )
    assert "gender" not in text and "age group" not in text and "income level" not in text
    assert "nan" not in text.lower()

"""README's rules and numbers for naming and trust, written out literally as the tests' oracles.

Nothing here comes from the package: the catalogue, thresholds, labels and wording below are
copied from README ("Persona names", "Reading the verdict", "Names carry the verdict"), and
`test_naming.test_readme_states_the_spec` checks that README still says them. A change to the
code that README does not describe, or to README that the code does not follow, fails a test.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

# README "Persona names": persona -> conditions (metric, operator, threshold on <metric>_index).
PERSONAS: dict[str, tuple[tuple[str, str, float], ...]] = {
    "Weekend Warriors": (("weekend_share_of_hours_online", ">=", 115),),
    "Engaged Professionals": (
        ("likes_and_reactions", ">=", 115),
        ("income_midpoint_usd", ">=", 115),
    ),
    "Low-Key Users": (("weekly_hours_online", "<=", 85), ("likes_and_reactions", "<=", 85)),
    "Active Explorers": (("weekly_hours_online", ">=", 115), ("click_through_rate", ">=", 100)),
    "Budget Browsers": (("income_midpoint_usd", "<=", 85), ("weekly_hours_online", ">=", 100)),
    "Click-Happy Shoppers": (("click_through_rate", ">=", 115), ("conversion_rate", ">=", 115)),
    "High-Value Converters": (
        ("conversions_per_click", ">=", 115),
        ("income_midpoint_usd", ">=", 100),
    ),
    "Window Shoppers": (("click_through_rate", ">=", 115), ("conversions_per_click", "<=", 85)),
    "Weekday Regulars": (
        ("weekday_hours_online", ">=", 115),
        ("weekend_share_of_hours_online", "<=", 100),
    ),
    "Young Socialites": (("age_midpoint_years", "<=", 85), ("likes_and_reactions", ">=", 100)),
    "Silver Surfers": (("age_midpoint_years", ">=", 115),),
    "Power Followers": (("followed_accounts", ">=", 115),),
    "Enthusiastic Likers": (("likes_per_followed_account", ">=", 115),),
    "Ad Lingerers": (("ad_interaction_seconds", ">=", 115),),
    "Ad Skimmers": (("ad_interaction_seconds", "<=", 85),),
    "Curious Generalists": (("interest_count", ">=", 115),),
    "Affluent Users": (("income_midpoint_usd", ">=", 115),),
}
# "The first five are the reference notebook's personas ... handed out first".
REFERENCE_PERSONAS = tuple(PERSONAS)[:5]

# README "Persona names": the labels of strongest-trait names, per metric (README's order).
TRAIT_LABELS: dict[str, str] = {
    "weekday_hours_online": "Weekday-Time",
    "weekend_hours_online": "Weekend-Time",
    "weekly_hours_online": "Online-Time",
    "weekend_share_of_hours_online": "Weekend-Share",
    "likes_and_reactions": "Likes",
    "followed_accounts": "Follows",
    "likes_per_followed_account": "Likes-per-Follow",
    "click_through_rate": "CTR",
    "conversion_rate": "Conversion",
    "conversions_per_click": "Conversions-per-Click",
    "ad_interaction_seconds": "Ad-Time",
    "interest_count": "Interests",
    "age_midpoint_years": "Age",
    "income_midpoint_usd": "Income",
}
GENDER_MAJORITY = 0.6  # "at least 60% share one gender"
DEVICE_MAJORITY = 0.5  # "at least 50% of the segment use that device"

# README "Reading the verdict": what to do, per verdict.
VERDICT_ADVICE = {
    "strong": "the segments are real groups; target them",
    "weak": "some structure; treat segments as useful slices, not types",
    "none": "the segments are an arbitrary cut of a continuum: use them as convenient bins, "
    "or use declarative segments",
}
UNSTABLE_JACCARD = 0.75  # README "Stability": `unstable_jaccard` (0.75)


def _index(profile: Mapping[str, Any], metric: str) -> float | None:
    value = profile.get(f"{metric}_index")
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def persona_rule(name: str) -> str:
    """persona_rule as README shows it, e.g. `weekend_share_of_hours_online_index >= 115`."""
    return " and ".join(f"{m}_index {op} {t:g}" for m, op, t in PERSONAS[name])


def condition_holds(name: str, profile: Mapping[str, Any]) -> bool:
    """Whether persona `name`'s condition holds (a missing index never satisfies one)."""
    for metric, op, threshold in PERSONAS[name]:
        value = _index(profile, metric)
        if value is None or not (value >= threshold if op == ">=" else value <= threshold):
            return False
    return True


def strongest_traits(profile: Mapping[str, Any]) -> set[str]:
    """The name leads ("High-CTR", ...) of the indexes farthest from 100 (several when tied)."""
    values = {m: v for m in TRAIT_LABELS if (v := _index(profile, m)) is not None and v != 100}
    if not values:
        return {"Typical"}
    farthest = max(abs(v - 100) for v in values.values())
    return {
        f"{'High' if v > 100 else 'Low'}-{TRAIT_LABELS[m]}"
        for m, v in values.items()
        if abs(v - 100) == farthest
    }


def people(profile: Mapping[str, Any]) -> str:
    """ "Males"/"Females" when at least 60% share the modal gender, else "Users"."""
    share = profile.get("modal_gender_share")
    gender = profile.get("modal_gender")
    if gender and share is not None and not math.isnan(share) and share >= GENDER_MAJORITY:
        return f"{gender}s"
    return "Users"


def name_is_true(name: str, rule: str, profile: Mapping[str, Any]) -> bool:
    """README's reading of a name: a catalogue persona's condition holds and persona_rule is its
    rule; a strongest-trait name starts with the strongest trait and names the segment's most
    common age band and its gender word."""
    if name in PERSONAS:
        return rule == persona_rule(name) and condition_holds(name, profile)
    lead = name.split(" ")[0]
    if lead not in strongest_traits(profile) or not rule.startswith("fallback: "):
        return False
    who = " ".join(filter(None, [profile.get("modal_age_band"), people(profile)]))
    return f" {who}" in f" {name.removeprefix(lead)}"


def qualifier(verdict: str, stability_jaccard: float | None, unstable_jaccard: float = 0.75):
    """README "Names carry the verdict": the words in brackets after a name, or None."""
    words = {"strong": [], "weak": ["weak structure"], "none": ["no structure found"]}[verdict]
    if stability_jaccard is None or math.isnan(stability_jaccard):
        words = [*words, "stability unknown"]
    elif stability_jaccard < unstable_jaccard:
        words = [*words, "unstable"]
    return ", ".join(words) or None

"""Persona names and descriptions for customer segments, derived from segment profiles by rules.

Input of :func:`name_segments` is ``profiles``: one row per segment with ``segment_id``,
``users``, ``share``; for each profiled metric ``m`` of the domain catalogue
(segmentation.catalogue: var ``catalogue`` of dbt_project.yml, or the one given) the columns
``avg_<m>``, ``median_<m>`` and ``<m>_index`` (segment mean / population mean x 100, so
100 = average; may be null); and for each trait ``t`` the modal value ``modal_<t>`` and its share
``modal_<t>_share`` (0..1). Output: ``segment_id``, ``segment_name``, ``description``,
``persona_rule`` (text of the rule behind the name), one row per input segment, input order.

Thresholds (index scale, 100 = population average):
    HIGH = 115            "well above average"
    LOW = 85              "well below average"
    AVERAGE = 100         "at or above / at or below average"
    MAJORITY_SHARE = 0.6  modal gender share to say "predominantly <gender>" / name "Males"
    DEVICE_SHARE = 0.5    modal device share to mention the device in the description

Rule 1 - catalogue. :data:`CATALOGUE` is an ordered tuple of personas; a persona's condition is
    a conjunction of clauses ``<m>_index >= t`` / ``<m>_index <= t``; its rule text is the
    clauses joined by " and ". A clause on a null index does not hold. A persona's score on a
    profile is the mean over its clauses of the index's distance from 100 in the clause's
    direction (``index - 100`` for ``>=``, ``100 - index`` for ``<=``): a mean, so that a
    persona with more clauses does not outbid a one-clause persona whose trait is stronger.
    The catalogue, in order (each on ``<metric>_index``):
        Weekend Warriors       weekend_share_of_hours_online >= HIGH
        Engaged Professionals  likes_and_reactions >= HIGH and income_midpoint_usd >= HIGH
        Low-Key Users          weekly_hours_online <= LOW and likes_and_reactions <= LOW
        Active Explorers       weekly_hours_online >= HIGH and click_through_rate >= AVERAGE
        Budget Browsers        income_midpoint_usd <= LOW and weekly_hours_online >= AVERAGE
        Click-Happy Shoppers   click_through_rate >= HIGH and conversion_rate >= HIGH
        High-Value Converters  conversions_per_click >= HIGH and income_midpoint_usd >= AVERAGE
        Window Shoppers        click_through_rate >= HIGH and conversions_per_click <= LOW
        Weekday Regulars       weekday_hours_online >= HIGH and
                               weekend_share_of_hours_online <= AVERAGE
        Young Socialites       age_midpoint_years <= LOW and likes_and_reactions >= AVERAGE
        Silver Surfers         age_midpoint_years >= HIGH
        Power Followers        followed_accounts >= HIGH
        Enthusiastic Likers    likes_per_followed_account >= HIGH
        Ad Lingerers           ad_interaction_seconds >= HIGH
        Ad Skimmers            ad_interaction_seconds <= LOW
        Curious Generalists    interest_count >= HIGH
        Affluent Users         income_midpoint_usd >= HIGH
Rule 2 - assignment. All (segment, persona) pairs whose condition holds are taken greedily:
    first the reference notebook's five personas (:data:`REFERENCE_PERSONAS`, the names the
    marketing team already uses), then the others; within each tier by score descending, ties
    by catalogue order then segment_id. Each persona and each segment is used at most once.
    The result does not depend on the row order of ``profiles``.
Rule 3 - fallback. Remaining segments, in segment_id order, are named after their strongest
    trait: the metric with the largest ``|index - 100|`` (ties: catalogue order), as
    ``High-<label>`` (index > 100) or ``Low-<label>`` (index < 100) (its ``naming_label``), then the
    modal age band and "Males"/"Females" when the modal gender share >= MAJORITY_SHARE, else
    "Users", e.g. "High-CTR 25-34 Males"; rule text "fallback: strongest trait
    click_through_rate_index = 131" (the index rounded to one decimal, trailing zeros dropped:
    131.26 gives "131.3", 131.04 "131"). If every index is null or exactly 100 the lead word is
    "Typical" (rule "fallback: no index deviates from 100"). If the name is taken, the modal
    location is inserted ("High-CTR Urban 25-34 Males"), then the second-strongest trait
    ("High-CTR Low-Likes Urban 25-34 Males"), and finally a numeric suffix " 2", " 3", ...
Rule 5 - continuity. Given the previous run's names (``previous``; segment ids are aligned
    across runs), a segment first keeps its previous name while that name's rule still holds
    on its new profile (re-checked with :func:`rule_holds`; a fallback's rule text is refreshed
    with today's index). Rules 2-3 then name the rest, never reusing a kept name.
Rule 4 - description. For the catalogue's described metrics (weekend hours, weekday hours, likes
    and reactions, click-through rate and conversion rate, in their ``described.order``, each
    with its words ``described.as``; skipped when the index is null) a level word: "high"
    if index >= HIGH, "low" if <= LOW, else "moderate"; then, if the modal gender is known,
    "predominantly male/female" when its share >= MAJORITY_SHARE else "mixed gender"; "age
    group <band>"; "income level <band>"; and "device usage mostly <device>" when the modal
    device's share >= DEVICE_SHARE. Null modal traits are left out.
Rule 6 - caveats. A name describes a segment's profile; it does not say the segment is a real
    group. :func:`caveat` turns the run's structure verdict (segmentation.quality) and the
    segment's stability into the words shown with the name wherever it appears:
    - qualifier (in brackets after the name, :func:`label`), in this order: "weak structure"
      (verdict weak) or "no structure found" (verdict none), then "unstable" (stability
      Jaccard < var unstable_jaccard) or "stability unknown" (stability not measured); none
      for a strong, stable segment;
    - note (appended to the description): "Caution (structure verdict <v>): <advice>." with
      README's advice for the verdict (:data:`VERDICT_ADVICE`), "Unstable (stability <j> <
      <threshold>): don't build a campaign on this segment.", "Stability not measured.".
    :func:`run_caveat` says the same of the whole segmentation in one line.
    The plain ``segment_name`` carries no qualifier: it is what Rule 5 keeps across runs.
Checking - :func:`rule_holds` re-evaluates a (name, rule) pair on a profile with the same code:
    catalogue personas re-run their condition; a fallback name must still be one Rule 3 gives
    the profile (its strongest trait in the right direction, its age band and gender word, its
    location and second trait when they are part of it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from segmentation.catalogue import Catalogue, load

HIGH = 115.0
LOW = 85.0
AVERAGE = 100.0
MAJORITY_SHARE = 0.6
DEVICE_SHARE = 0.5

OUTPUT_COLUMNS: tuple[str, ...] = ("segment_id", "segment_name", "description", "persona_rule")
_FALLBACK = re.compile(r"fallback: strongest trait (\w+)_index = ")
_TYPICAL_RULE = "fallback: no index deviates from 100"


def _num(profile: Mapping[str, Any], column: str) -> float | None:
    """The profile's value as a float, or None when missing, null or not numeric."""
    try:
        value = float(profile.get(column))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def _text(profile: Mapping[str, Any], column: str) -> str | None:
    value = profile.get(column)
    return None if value is None or pd.isna(value) else str(value)


@dataclass(frozen=True)
class Clause:
    """``<metric>_index <op> threshold`` with op ``>=`` or ``<=``."""

    metric: str
    op: str
    threshold: float

    def holds(self, profile: Mapping[str, Any]) -> bool:
        value = _num(profile, f"{self.metric}_index")
        if value is None:
            return False
        return value >= self.threshold if self.op == ">=" else value <= self.threshold

    def margin(self, profile: Mapping[str, Any]) -> float:
        value = _num(profile, f"{self.metric}_index")
        if value is None:
            return 0.0
        return value - AVERAGE if self.op == ">=" else AVERAGE - value

    def __str__(self) -> str:
        return f"{self.metric}_index {self.op} {self.threshold:g}"


@dataclass(frozen=True)
class Persona:
    """A named persona: its condition (a conjunction of clauses), score and rule text."""

    name: str
    condition: tuple[Clause, ...]

    @property
    def rule(self) -> str:
        return " and ".join(str(clause) for clause in self.condition)

    def holds(self, profile: Mapping[str, Any]) -> bool:
        return all(clause.holds(profile) for clause in self.condition)

    def score(self, profile: Mapping[str, Any]) -> float:
        return sum(clause.margin(profile) for clause in self.condition) / len(self.condition)


REFERENCE_PERSONAS: frozenset[str] = frozenset(
    {
        "Weekend Warriors",
        "Engaged Professionals",
        "Low-Key Users",
        "Active Explorers",
        "Budget Browsers",
    }
)


def _persona(name: str, *condition: Clause) -> Persona:
    return Persona(name, condition)


def _hi(metric: str, threshold: float = HIGH) -> Clause:
    return Clause(metric, ">=", threshold)


def _lo(metric: str, threshold: float = LOW) -> Clause:
    return Clause(metric, "<=", threshold)


CATALOGUE: tuple[Persona, ...] = (
    _persona("Weekend Warriors", _hi("weekend_share_of_hours_online")),
    _persona("Engaged Professionals", _hi("likes_and_reactions"), _hi("income_midpoint_usd")),
    _persona("Low-Key Users", _lo("weekly_hours_online"), _lo("likes_and_reactions")),
    _persona("Active Explorers", _hi("weekly_hours_online"), _hi("click_through_rate", AVERAGE)),
    _persona("Budget Browsers", _lo("income_midpoint_usd"), _hi("weekly_hours_online", AVERAGE)),
    _persona("Click-Happy Shoppers", _hi("click_through_rate"), _hi("conversion_rate")),
    _persona(
        "High-Value Converters", _hi("conversions_per_click"), _hi("income_midpoint_usd", AVERAGE)
    ),
    _persona("Window Shoppers", _hi("click_through_rate"), _lo("conversions_per_click")),
    _persona(
        "Weekday Regulars",
        _hi("weekday_hours_online"),
        _lo("weekend_share_of_hours_online", AVERAGE),
    ),
    _persona("Young Socialites", _lo("age_midpoint_years"), _hi("likes_and_reactions", AVERAGE)),
    _persona("Silver Surfers", _hi("age_midpoint_years")),
    _persona("Power Followers", _hi("followed_accounts")),
    _persona("Enthusiastic Likers", _hi("likes_per_followed_account")),
    _persona("Ad Lingerers", _hi("ad_interaction_seconds")),
    _persona("Ad Skimmers", _lo("ad_interaction_seconds")),
    _persona("Curious Generalists", _hi("interest_count")),
    _persona("Affluent Users", _hi("income_midpoint_usd")),
)
_BY_NAME: dict[str, Persona] = {persona.name: persona for persona in CATALOGUE}


def _deviations(profile: Mapping[str, Any], terms: Catalogue) -> list[tuple[str, float]]:
    """(metric, index) of non-null indices != 100, strongest |index - 100| first."""
    metrics = terms.profiled_metrics
    found = [(m, v) for m in metrics if (v := _num(profile, f"{m}_index")) is not None]
    return sorted((d for d in found if d[1] != AVERAGE), key=lambda d: -abs(d[1] - AVERAGE))


def _trait(metric: str, value: float, terms: Catalogue) -> str:
    return f"{'High' if value > AVERAGE else 'Low'}-{terms.naming_labels[metric]}"


def _fallback_options(profile: Mapping[str, Any], terms: Catalogue) -> tuple[list[str], str]:
    """The names Rule 3 may give `profile`, in order of preference, and the rule text."""
    gender, share = _text(profile, "modal_gender"), _num(profile, "modal_gender_share")
    people = f"{gender}s" if gender and share is not None and share >= MAJORITY_SHARE else "Users"
    who = " ".join(filter(None, [_text(profile, "modal_age_band"), people]))
    location = _text(profile, "modal_location")
    devs = _deviations(profile, terms)
    if devs:
        lead, rule = _trait(*devs[0], terms), f"fallback: strongest trait {devs[0][0]}_index = "
        rule += f"{round(devs[0][1], 1):g}"
    else:
        lead, rule = "Typical", _TYPICAL_RULE
    second = _trait(*devs[1], terms) if len(devs) > 1 else None
    options = [[lead, who], [lead, location, who], [lead, second, location, who]]
    return [" ".join(filter(None, words)) for words in options], rule


def _fallback(profile: Mapping[str, Any], taken: set[str], terms: Catalogue) -> tuple[str, str]:
    names, rule = _fallback_options(profile, terms)
    for name in names:
        if name not in taken:
            return name, rule
    suffix = 2
    while f"{names[-1]} {suffix}" in taken:
        suffix += 1
    return f"{names[-1]} {suffix}", rule


def _level(value: float) -> str:
    return "high" if value >= HIGH else "low" if value <= LOW else "moderate"


def describe(profile: Mapping[str, Any], catalogue: Catalogue | None = None) -> str:
    """The description of one segment profile (Rule 4)."""
    terms = catalogue or load()
    parts = [
        f"{_level(value)} {metric.described_as}"
        for metric in terms.described_metrics
        if (value := _num(profile, f"{metric.name}_index")) is not None
    ]
    if gender := _text(profile, "modal_gender"):
        share = _num(profile, "modal_gender_share")
        majority = share is not None and share >= MAJORITY_SHARE
        parts.append(f"predominantly {gender.lower()}" if majority else "mixed gender")
    if age := _text(profile, "modal_age_band"):
        parts.append(f"age group {age}")
    if income := _text(profile, "modal_income_band"):
        parts.append(f"income level {income}")
    device = _text(profile, "modal_device_usage")
    device_share = _num(profile, "modal_device_usage_share")
    if device and device_share is not None and device_share >= DEVICE_SHARE:
        parts.append(f"device usage mostly {device}")
    text = ", ".join(parts)
    return text[:1].upper() + text[1:]


def _kept_names(
    rows: list[dict[str, Any]], ids: list[int], previous: pd.DataFrame | None, terms: Catalogue
) -> dict[int, tuple[str, str]]:
    """Rule 5: previous names whose rule still holds, by row position."""
    if previous is None or previous.empty:
        return {}
    earlier = {
        int(row["segment_id"]): (row["segment_name"], row["persona_rule"])
        for row in previous.to_dict("records")
    }
    kept: dict[int, tuple[str, str]] = {}
    for i in sorted(range(len(rows)), key=lambda i: ids[i]):
        if ids[i] not in earlier:
            continue
        name, rule = earlier[ids[i]]
        match = _FALLBACK.match(rule)
        if match:
            value = _num(rows[i], f"{match.group(1)}_index")
            rule = f"fallback: strongest trait {match.group(1)}_index = " + (
                f"{round(value, 1):g}" if value is not None else "null"
            )
        taken = {name for name, _ in kept.values()}
        if name not in taken and rule_holds(name, rule, rows[i], terms):
            kept[i] = (name, rule)
    return kept


def name_segments(
    profiles: pd.DataFrame,
    previous: pd.DataFrame | None = None,
    catalogue: Catalogue | None = None,
) -> pd.DataFrame:
    """Name and describe each segment of ``profiles`` (Rules 1-5); one row per segment.

    ``previous``: the last run's ``segment_id``, ``segment_name`` and ``persona_rule`` (Rule 5).
    ``catalogue``: the metrics and their labels (default: the project's).
    """
    terms = catalogue or load()
    rows = profiles.to_dict("records")
    ids = [int(row["segment_id"]) for row in rows]
    named = _kept_names(rows, ids, previous, terms)
    used = {
        k for k, persona in enumerate(CATALOGUE) if persona.name in {n for n, _ in named.values()}
    }
    pairs = [
        (persona.name not in REFERENCE_PERSONAS, -persona.score(row), k, ids[i], i)
        for i, row in enumerate(rows)
        for k, persona in enumerate(CATALOGUE)
        if i not in named and persona.holds(row)
    ]
    for _, _, k, _, i in sorted(pairs):
        if i not in named and k not in used:
            named[i] = (CATALOGUE[k].name, CATALOGUE[k].rule)
            used.add(k)
    taken = {name for name, _ in named.values()}
    for i in sorted(set(range(len(rows))) - set(named), key=lambda i: (ids[i], i)):
        named[i] = _fallback(rows[i], taken, terms)
        taken.add(named[i][0])
    return pd.DataFrame(
        {
            "segment_id": ids,
            "segment_name": [named[i][0] for i in range(len(rows))],
            "description": [describe(row, terms) for row in rows],
            "persona_rule": [named[i][1] for i in range(len(rows))],
        },
        columns=list(OUTPUT_COLUMNS),
    )


def rule_holds(
    segment_name: str,
    persona_rule: str,
    profile: Mapping[str, Any],
    catalogue: Catalogue | None = None,
) -> bool:
    """Whether the rule behind ``segment_name`` is true of ``profile`` (e.g. a mart row).

    Catalogue personas: the rule text must be the persona's and its condition must hold.
    Fallback names: the named metric must be the profile's strongest trait ("Typical": no
    deviating index), and the name must be one Rule 3 gives the profile today, so that every
    word of it is still true (e.g. "High-CTR 25-34 Males": CTR is the strongest trait and above
    100, 25-34 the modal age band, and at least MAJORITY_SHARE are male).
    """
    terms = catalogue or load()
    if segment_name in _BY_NAME:
        persona = _BY_NAME[segment_name]
        return persona_rule == persona.rule and persona.holds(profile)
    devs = _deviations(profile, terms)
    if persona_rule == _TYPICAL_RULE:
        if devs:
            return False
    else:
        match = _FALLBACK.match(persona_rule)
        if match is None or not devs or devs[0][0] != match.group(1):
            return False
    names, _ = _fallback_options(profile, terms)
    numbered = re.fullmatch(rf"{re.escape(names[-1])} ([2-9]|[1-9][0-9]+)", segment_name)
    return segment_name in names or numbered is not None


# --- Rule 6: caveats ------------------------------------------------------------------------

#: What each structure verdict means for the segments: README's "what to do" column.
VERDICT_ADVICE: dict[str, str] = {
    "strong": "the segments are real groups; target them",
    "weak": "some structure; treat segments as useful slices, not types",
    "none": (
        "the segments are an arbitrary cut of a continuum: use them as convenient bins, "
        "or use declarative segments"
    ),
}
#: The words a verdict adds to every name (a strong verdict adds none).
VERDICT_QUALIFIERS: dict[str, str | None] = {
    "strong": None,
    "weak": "weak structure",
    "none": "no structure found",
}
UNSTABLE_QUALIFIER = "unstable"
UNMEASURED_QUALIFIER = "stability unknown"


@dataclass(frozen=True)
class Caveat:
    """What to say with a segment's name: see Rule 6."""

    is_unstable: bool
    qualifier: str | None
    note: str | None


def caveat(verdict: str, stability_jaccard: float | None, unstable_jaccard: float) -> Caveat:
    """The caveat of a segment from its run's structure verdict and its stability (Rule 6)."""
    if verdict not in VERDICT_ADVICE:
        raise ValueError(f"unknown structure verdict {verdict!r} (known: strong, weak, none)")
    measured = stability_jaccard is not None and not math.isnan(stability_jaccard)
    unstable = measured and stability_jaccard < unstable_jaccard  # type: ignore[operator]
    words, notes = [], []
    if VERDICT_QUALIFIERS[verdict]:
        words.append(VERDICT_QUALIFIERS[verdict])
        notes.append(f"Caution (structure verdict {verdict}): {VERDICT_ADVICE[verdict]}.")
    if unstable:
        words.append(UNSTABLE_QUALIFIER)
        notes.append(
            f"Unstable (stability {stability_jaccard:.2f} < {unstable_jaccard:g}): "
            "don't build a campaign on this segment."
        )
    elif not measured:
        words.append(UNMEASURED_QUALIFIER)
        notes.append("Stability not measured.")
    return Caveat(bool(unstable), ", ".join(words) or None, " ".join(notes) or None)


def label(segment_name: str, qualifier: str | None) -> str:
    """The name as shown to people: ``Active Explorers (no structure found, unstable)``."""
    return f"{segment_name} ({qualifier})" if qualifier else segment_name


def with_note(description: str | None, note: str | None) -> str | None:
    """A description followed by the caveat's note."""
    if not note:
        return description
    return f"{description}. {note}" if description else note


def run_caveat(verdict: str, segments: int, unstable: int, unmeasured: int = 0) -> str | None:
    """One line on the whole segmentation for `make build`'s summary and the report, or None
    when the verdict is strong and every segment is stable (Rule 6)."""
    if verdict not in VERDICT_ADVICE:
        raise ValueError(f"unknown structure verdict {verdict!r} (known: strong, weak, none)")
    parts = []
    if VERDICT_QUALIFIERS[verdict]:
        parts.append(
            f"Caution: {VERDICT_ADVICE[verdict]} (structure verdict {verdict}; "
            f'names say "{VERDICT_QUALIFIERS[verdict]}").'
        )
    if unstable:
        parts.append(
            f"{unstable} of {segments} segments are unstable: don't build a campaign on an "
            "unstable segment."
        )
    if unmeasured:
        parts.append(f"The stability of {unmeasured} of {segments} segments was not measured.")
    return " ".join(parts) or None

"""One typed, validated settings object per area: clustering, profiles, campaigns.

A setting is a dbt var: its default is in ``dbt_project.yml`` and nowhere else, and how it is
checked (range, choices, known names) is its rule in var ``settings_rules`` there, which the
on-run-start checks (``macros/settings.sql``) read too. :func:`problems` applies a rule with the
same messages as the macro ``setting_problems``. dbt hands each Python model its area's vars as
one JSON config value (macro ``area_settings``); ``<Area>Settings.from_vars`` checks them and
raises :class:`SettingsError` naming every var that is wrong.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, Self

from segmentation.catalogue import PROJECT_FILE, Catalogue, load, project_vars

RULES_VAR = "settings_rules"
# A table or schema name a var may give (type identifier): nothing that could end the name.
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A campaign key (type campaign_keys): safe in SQL literals and in audience file names.
CAMPAIGN_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")


#: dbt's connection profiles, beside the project file.
PROFILES_FILE = PROJECT_FILE.parent / "profiles.yml"


def profile_setting(variable: str, profiles: str | None = None) -> str | None:
    """A setting of profiles.yml that an environment variable sets (`env_var('NAME', 'default')`):
    the variable's value, else the default profiles.yml (or the text `profiles`) gives it, else
    None. Code outside dbt (publishing, the benchmark) reads the defaults here, so that each is
    written once, in profiles.yml."""
    if os.environ.get(variable):
        return os.environ[variable]
    text = PROFILES_FILE.read_text(encoding="utf-8") if profiles is None else profiles
    found = re.search(rf"env_var\(\s*'{re.escape(variable)}'\s*,\s*'([^']*)'\s*\)", text)
    return found.group(1) if found else None


class SettingsError(ValueError):
    """A setting (dbt var) that is not what it should be; the message names the var."""


@cache
def project_rules(path: Path = PROJECT_FILE) -> dict[str, dict[str, Any]]:
    """Var settings_rules of the project file: var name -> its rule."""
    return project_vars(path)[RULES_VAR]


def rule_choices(name: str) -> tuple[str, ...]:
    """The values a choice setting accepts (e.g. algorithm), from its rule."""
    return tuple(project_rules()[name]["choices"])


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(value: Any) -> str:
    """A value as Jinja's ``~`` writes it into a message."""
    return str(value)


def problems(name: str, value: Any, rule: Mapping[str, Any], catalogue: Catalogue) -> list[str]:
    """What is wrong with var ``name`` = ``value`` under its rule; [] when nothing is."""
    kind, least, most = rule["type"], rule.get("min"), rule.get("max")
    got = f"got '{_text(value)}'"
    if kind == "whole":
        if not (_is_whole(value) and value >= least):
            return [f"{name} must be a whole number >= {least}, {got}"]
    elif kind == "number" and rule.get("exclusive"):
        if not (_is_number(value) and least < value < most):
            return [f"{name} must be a number strictly between {least} and {most}, {got}"]
    elif kind == "number":
        if not (_is_number(value) and value >= least and (most is None or value <= most)):
            bounds = f">= {least}" if most is None else f"between {least} and {most}"
            return [f"{name} must be a number {bounds}, {got}"]
    elif kind == "boolean":
        if not isinstance(value, bool):
            return [f"{name} must be true or false, {got}"]
    elif kind == "choice":
        if value not in rule["choices"]:
            return [f"{name}: unknown '{_text(value)}' (known: {', '.join(rule['choices'])})"]
    elif kind == "k":
        if not (value == "auto" or (_is_whole(value) and value >= least)):
            return [f"{name} must be auto or a whole number of at least {least}, {got}"]
    elif kind == "k_range":
        ok = (
            isinstance(value, list | tuple)
            and len(value) == 2
            and all(_is_whole(v) for v in value)
            and least <= value[0] <= value[1]
        )
        if not ok:
            return [f"{name} must be [smallest, largest] whole numbers >= {least}, {got}"]
    elif kind in ("metrics", "vocabulary_columns"):
        what = "feature" if kind == "metrics" else "column"
        known = (
            [m.name for m in catalogue.metrics]
            if kind == "metrics"
            else list(catalogue.vocabularies)
        )
        if not isinstance(value, list | tuple):
            return [f"{name} must be a list of {what} names, got {_text(value)}"]
        return [
            f"{name}: unknown {what} '{item}' (known: {', '.join(known)})"
            for item in value
            if item not in known
        ]
    elif kind == "campaign_keys":
        if not isinstance(value, list | tuple):
            return [f"{name} must be a list of campaign keys, {got}"]
        found, seen = [], set()
        for item in value:
            if not (isinstance(item, str) and CAMPAIGN_KEY.fullmatch(item)):
                found.append(
                    f"{name}: '{_text(item)}' is not a campaign key (lowercase letters, digits"
                    " and _, starting with a letter, at most 40 characters)"
                )
            elif item in seen:
                found.append(f"{name} lists '{item}' more than once")
            seen.add(item)
        return found
    elif kind == "identifier":
        if not (isinstance(value, str) and (value == "" or IDENTIFIER.fullmatch(value))):
            return [
                f"{name} must be empty or a name of letters, digits and _"
                f" (not starting with a digit), {got}"
            ]
    elif kind in ("path", "folder"):
        if not (isinstance(value, str) and value.strip()):
            return [f"{name} must be a {'file' if kind == 'path' else 'folder'} path, {got}"]
    elif kind == "thresholds":
        if not isinstance(value, Mapping):
            return [f"{name} must be a mapping of threshold name to number, {got}"]
        found = []
        for key, number in value.items():
            if key not in rule["keys"]:
                known = ", ".join(rule["keys"])
                found.append(f"{name}: unknown threshold '{key}' (known: {known})")
            else:
                bounds = {"type": "number", **rule["keys"][key]}
                found.extend(problems(f"{name}.{key}", number, bounds, catalogue))
        return found
    else:
        return [f"{name}: settings_rules gives an unknown type '{kind}'"]
    return []


def resolved(value: Any, rule: Mapping[str, Any]) -> Any:
    """A var's value as the macro area_settings resolves it: an empty folder under
    $SEGMENTATION_BUILD_DIR (else build/), threshold keys left out at their defaults."""
    if rule["type"] == "folder" and value == "":
        return f"{os.environ.get('SEGMENTATION_BUILD_DIR', 'build')}/{rule['default']}"
    if rule["type"] == "thresholds" and isinstance(value, Mapping):
        return {**{key: bounds["default"] for key, bounds in rule["keys"].items()}, **value}
    return value


class _Area:
    """What every settings object shares: built from the vars of its area, all checked."""

    AREA: ClassVar[str]

    @classmethod
    def from_vars(
        cls,
        variables: Mapping[str, Any] | str,
        catalogue: Catalogue | None = None,
        rules: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Self:
        """The settings from dbt vars (a mapping, or the JSON text a model config holds).

        ``rules``: var settings_rules (default: the project's); ``catalogue``: the known
        metrics and vocabularies (default: the project's)."""
        if isinstance(variables, str):
            variables = json.loads(variables)
        rules = project_rules() if rules is None else rules
        catalogue = catalogue or load()
        names = [field.name for field in fields(cls)]  # type: ignore[arg-type]
        listed = sorted(name for name, rule in rules.items() if rule["area"] == cls.AREA)
        if sorted(names) != listed:
            raise SettingsError(
                f"var {RULES_VAR}: area {cls.AREA} lists {', '.join(listed)}; "
                f"{cls.__name__} has {', '.join(sorted(names))}"
            )
        found, values = [], {}
        for name in names:
            if name not in variables:
                found.append(f"var {name} is not set")
                continue
            values[name] = resolved(variables[name], rules[name])
            found.extend(problems(name, values[name], rules[name], catalogue))
        if found:
            raise SettingsError(
                f"Invalid {cls.AREA} settings (dbt vars):\n  - " + "\n  - ".join(found)
            )
        return cls(**{name: _typed(value) for name, value in values.items()})


def _typed(value: Any) -> Any:
    """Lists as tuples, so that a frozen settings object is immutable all the way down."""
    return tuple(value) if isinstance(value, list) else value


@dataclass(frozen=True)
class ClusteringSettings(_Area):
    """How segments are fitted; what a run records (dim_segmentation_runs.settings_json)."""

    AREA: ClassVar[str] = "clustering"

    numeric_features: tuple[str, ...]
    categorical_features: tuple[str, ...]
    interest_features: bool
    n_clusters: int | str
    n_clusters_range: tuple[int, int]
    quality_sweep: bool
    algorithm: str
    random_seed: int
    n_init: int
    fit_sample_size: int
    quality_sample_size: int
    quality_n_init: int
    null_draws: int
    stability_subsamples: int
    refit: bool
    drift_threshold: float
    identity_max_distance: float

    @property
    def candidates(self) -> list[int]:
        """The numbers of segments to measure: the whole range with n_clusters auto or the
        sweep on, else n_clusters alone."""
        if self.n_clusters == "auto" or self.quality_sweep:
            return list(range(self.n_clusters_range[0], self.n_clusters_range[1] + 1))
        return [int(self.n_clusters)]


@dataclass(frozen=True)
class ProfileSettings(_Area):
    """Segment and user profiles, names, declarative segments."""

    AREA: ClassVar[str] = "profiles"

    unstable_jaccard: float
    median_sample_size: int
    rule_segments_path: str
    rule_segment_top_interests: int
    profile_flag_thresholds: Mapping[str, float]


@dataclass(frozen=True)
class CampaignSettings(_Area):
    """Campaigns, audiences and publishing."""

    AREA: ClassVar[str] = "campaigns"

    min_segment_size: int
    audience_min_confidence: float
    interest_min_users: int
    interest_min_share_of_segment: float
    schedule_index_margin: float
    histogram_bins: int
    published_versions_to_keep: int
    audiences_dir: str
    published_dir: str
    campaigns: tuple[str, ...]
    holdout_control_share: float
    lift_min_users_per_arm: int
    lift_meaningful_effect: float
    balance_sample_size: int

    def __post_init__(self) -> None:
        if self.audiences_dir == self.published_dir:
            raise SettingsError(
                "Invalid campaigns settings (dbt vars):\n  - audiences_dir and published_dir "
                f"must be different folders, both are '{self.published_dir}'"
            )

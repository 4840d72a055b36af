"""The settings objects: README's defaults, validation naming the var, and the same rules and
messages as the on-run-start checks (var settings_rules)."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from conftest import PROJECT_DIR, run_dbt
from segmentation.catalogue import load, project_vars
from segmentation.settings import (
    CampaignSettings,
    ClusteringSettings,
    ProfileSettings,
    SettingsError,
    problems,
    profile_setting,
    project_rules,
)

README = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
AREAS = (ClusteringSettings, ProfileSettings, CampaignSettings)


def readme_value(text: str):
    """A default as README's tables write it: true/false, [a, b], a number or a word."""
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"\[\d+, \d+\]", text):
        return tuple(json.loads(text))
    if re.fullmatch(r"[a-z_]+", text):
        return text
    return float(text) if "." in text else int(text)


def readme_defaults() -> dict:
    """var -> default, from README's tables of vars (`var` | default | meaning) and of flag
    thresholds (flag | true when | `key` | default); rows with prose defaults are left out."""
    found: dict = {}
    for line in README.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) == 3 and cells[0].startswith("`"):
            names, values = re.findall(r"`(\w+)`", cells[0]), re.split(r", (?![^\[]*\])", cells[1])
        elif len(cells) == 4 and cells[2].startswith("`"):
            names, values = re.findall(r"`(\w+)`", cells[2]), cells[3].split(" / ")
        else:
            continue
        try:
            parsed = [readme_value(value) for value in values]
        except ValueError:
            continue
        if len(names) == len(parsed):
            found.update(zip(names, parsed, strict=True))
    return found


def test_the_project_defaults_are_readmes():
    expected = readme_defaults()
    settings = {}
    for area in AREAS:
        settings.update(dataclasses.asdict(area.from_vars(project_vars())))
    thresholds = settings.pop("profile_flag_thresholds")
    checked = 0
    for name, value in expected.items():
        actual = thresholds[name] if name in thresholds else settings.get(name)
        if name in settings or name in thresholds:
            assert actual == value, name
            checked += 1
    # README's clustering (13), campaign (6) and flag threshold (10) tables.
    assert checked >= 29, expected


def test_every_rule_has_its_default_in_the_project_and_belongs_to_one_object():
    variables = project_vars()
    fields = {f.name: area for area in AREAS for f in dataclasses.fields(area)}
    for name, rule in project_rules().items():
        assert name in variables, f"var {name} has a rule but no default in dbt_project.yml"
        if rule["area"] != "input":
            assert rule["area"] == fields[name].AREA


def test_no_second_default_in_macros_or_models():
    # A default is written once, in dbt_project.yml: var('x', default) would be a second one.
    second = re.compile(r"(?<!\w)var\(\s*'\w+'\s*,")
    for folder in ("macros", "models", "tests/dbt"):
        for path in (PROJECT_DIR / folder).rglob("*"):
            if path.suffix in (".sql", ".yml", ".py"):
                assert not second.search(path.read_text(encoding="utf-8")), path


def test_problems_name_every_wrong_var_at_once():
    variables = {
        **project_vars(),
        "n_init": 0,
        "algorithm": "dbscan",
        "numeric_features": ["weekday_hours_online", "shoe_size"],
        "n_clusters_range": [1, 3],
        "refit": "yes",
    }
    with pytest.raises(SettingsError) as raised:
        ClusteringSettings.from_vars(variables)
    lines = str(raised.value).splitlines()
    assert lines[0] == "Invalid clustering settings (dbt vars):"
    assert sorted(line.split()[1].rstrip(":") for line in lines[1:]) == [
        "algorithm",
        "n_clusters_range",
        "n_init",
        "numeric_features",
        "refit",
    ]
    assert "  - n_init must be a whole number >= 1, got '0'" in lines
    assert (
        "  - algorithm: unknown 'dbscan' (known: kmeans, minibatch_kmeans, gaussian_mixture)"
        in (lines)
    )


def test_a_missing_var_is_named():
    variables = {k: v for k, v in project_vars().items() if k != "unstable_jaccard"}
    with pytest.raises(SettingsError, match=r"- var unstable_jaccard is not set"):
        ProfileSettings.from_vars(variables)


def test_booleans_are_not_numbers_and_numbers_not_booleans():
    for name, value in (("n_init", True), ("drift_threshold", False), ("quality_sweep", 1)):
        with pytest.raises(SettingsError, match=rf"- {name} must be"):
            ClusteringSettings.from_vars({**project_vars(), name: value})


def test_flag_thresholds_change_key_by_key():
    # README: "give only the keys you change".
    variables = {**project_vars(), "profile_flag_thresholds": {"high_ctr_min_percentile": 0.9}}
    thresholds = ProfileSettings.from_vars(variables).profile_flag_thresholds
    assert thresholds["high_ctr_min_percentile"] == 0.9
    assert thresholds["low_ctr_max_percentile"] == 0.25
    assert thresholds["multi_interest_min_count"] == 3
    wrong = {
        **project_vars(),
        "profile_flag_thresholds": {"shoe_size": 1, "weekend_heavy_min_share": 2},
    }
    with pytest.raises(SettingsError) as raised:
        ProfileSettings.from_vars(wrong)
    assert "profile_flag_thresholds: unknown threshold 'shoe_size'" in str(raised.value)
    assert "profile_flag_thresholds.weekend_heavy_min_share must be a number between 0 and 1" in (
        str(raised.value)
    )


def test_folders_default_under_the_build_dir(monkeypatch):
    monkeypatch.setenv("SEGMENTATION_BUILD_DIR", "/srv/seg")
    settings = CampaignSettings.from_vars(project_vars())
    assert (settings.audiences_dir, settings.published_dir) == (
        "/srv/seg/audiences",
        "/srv/seg/published",
    )
    monkeypatch.delenv("SEGMENTATION_BUILD_DIR")
    assert CampaignSettings.from_vars(project_vars()).audiences_dir == "build/audiences"
    same = {**project_vars(), "audiences_dir": "out", "published_dir": "out"}
    with pytest.raises(SettingsError, match="must be different folders, both are 'out'"):
        CampaignSettings.from_vars(same)


def test_settings_come_as_the_json_text_of_a_model_config():
    text = json.dumps({name: project_vars()[name] for name in project_rules()})
    assert ClusteringSettings.from_vars(text) == ClusteringSettings.from_vars(project_vars())
    assert ClusteringSettings.from_vars(text).candidates == list(range(2, 11))


@pytest.mark.dbt
def test_the_on_run_start_checks_say_what_python_says(tmp_path):
    """One rule, two readers: dbt's on-run-start and the Python objects word each problem alike."""
    wrong = {
        "max_rejected_share": 2,
        "n_init": 0,
        "algorithm": "dbscan",
        "numeric_features": ["shoe_size"],
        "n_clusters": 1,
        "n_clusters_range": [3, 2],
        "quality_sweep": "yes",
        "drift_threshold": -1,
        "median_sample_size": 0.5,
        "rule_segments_path": "",
        "user_profiles_source_table": "raw users",
    }
    result = run_dbt(tmp_path, "run", variables=wrong, extra=["--select", "int_segmentation_run"])
    assert not result.ok
    said = {line.strip()[2:] for line in result.output.splitlines() if line.strip()[:2] == "- "}
    python = set()
    for area in (ClusteringSettings, ProfileSettings):
        with pytest.raises(SettingsError) as raised:
            area.from_vars({**project_vars(), **wrong})
        python |= {line.strip()[2:] for line in str(raised.value).splitlines()[1:]}
    # The input settings have no Python object; their rules are worded alike all the same.
    for name in ("max_rejected_share", "user_profiles_source_table"):
        python |= set(problems(name, wrong[name], project_rules()[name], load()))
    assert python <= said
    assert len(python) == len(wrong)
    assert "max_rejected_share must be a number between 0 and 1, got '2'" in said
    assert (
        "user_profiles_source_table must be empty or a name of letters, digits and _ "
        "(not starting with a digit), got 'raw users'"
    ) in said


def test_campaign_keys_are_checked_key_by_key():
    rule = project_rules()["campaigns"]
    assert problems("campaigns", ["demo_launch", "spring_2025"], rule, load()) == []
    assert problems("campaigns", [], rule, load()) == []
    found = problems(
        "campaigns", ["Spring", "2025_sale", "a" * 41, "ok", "ok", "x-y"], rule, load()
    )
    what = "(lowercase letters, digits and _, starting with a letter, at most 40 characters)"
    assert found == [
        f"campaigns: 'Spring' is not a campaign key {what}",
        f"campaigns: '2025_sale' is not a campaign key {what}",
        f"campaigns: '{'a' * 41}' is not a campaign key {what}",
        "campaigns lists 'ok' more than once",
        f"campaigns: 'x-y' is not a campaign key {what}",
    ]
    assert problems("campaigns", "demo_launch", rule, load()) == [
        "campaigns must be a list of campaign keys, got 'demo_launch'"
    ]


def test_the_control_share_is_strictly_between_0_and_1():
    rule = project_rules()["holdout_control_share"]
    assert problems("holdout_control_share", 0.5, rule, load()) == []
    for wrong in (0, 1, 1.5, True, "0.1"):
        assert problems("holdout_control_share", wrong, rule, load()) == [
            f"holdout_control_share must be a number strictly between 0 and 1, got '{wrong}'"
        ]
    settings = CampaignSettings.from_vars(project_vars())
    assert (settings.campaigns, settings.holdout_control_share) == (("demo_launch",), 0.1)
    assert (settings.lift_min_users_per_arm, settings.lift_meaningful_effect) == (30, 0.02)


@pytest.mark.dbt
def test_the_on_run_start_check_refuses_bad_campaign_settings_as_python_does(tmp_path):
    wrong = {
        "campaigns": ["Spring", "ok", "ok"],
        "holdout_control_share": 1,
        "lift_min_users_per_arm": 0,
        "lift_meaningful_effect": 0,
    }
    result = run_dbt(tmp_path, "run", variables=wrong, extra=["--select", "fct_campaign_holdouts"])
    assert not result.ok
    said = {line.strip()[2:] for line in result.output.splitlines() if line.strip()[:2] == "- "}
    with pytest.raises(SettingsError) as raised:
        CampaignSettings.from_vars({**project_vars(), **wrong})
    python = {line.strip()[2:] for line in str(raised.value).splitlines()[1:]}
    assert len(python) == 5
    assert python <= said


def test_a_profile_setting_is_the_environment_s_else_the_profiles_default(monkeypatch):
    # README, Performance: SEGMENTATION_DUCKDB_MEMORY_LIMIT sets DuckDB's memory_limit, default 1GB.
    monkeypatch.delenv("SEGMENTATION_DUCKDB_MEMORY_LIMIT", raising=False)
    assert profile_setting("SEGMENTATION_DUCKDB_MEMORY_LIMIT") == "1GB"
    monkeypatch.setenv("SEGMENTATION_DUCKDB_MEMORY_LIMIT", "3GB")
    assert profile_setting("SEGMENTATION_DUCKDB_MEMORY_LIMIT") == "3GB"
    text = "threads: \"{{ env_var('SEGMENTATION_DBT_THREADS', '4') | int }}\""
    monkeypatch.delenv("SEGMENTATION_DBT_THREADS", raising=False)
    assert profile_setting("SEGMENTATION_DBT_THREADS", text) == "4"
    assert profile_setting("SEGMENTATION_NOT_IN_THE_PROFILE", text) is None

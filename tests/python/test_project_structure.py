"""The project's structure by the rules dbt-project-evaluator checks (the package needs dbt's hub,
which this project does not reach), read from the manifest of `dbt parse`:

- every model has a test (a data test, or a unit test where a data test would rescan a view of
  hundreds of millions of rows);
- every model's key has a primary-key test in the form tools recognise: `unique` and `not_null`
  on one column, or `unique_combination_of_columns` on several;
- exposures depend on public models only;
- no staging model (stg_) reads another staging model;
- a view declares no constraint (dbt enforces constraints on tables only).

A deliberate exception is listed in README's Design section under "Structure exceptions", one
bullet per model; this test reads that list, so an exception without its reason fails.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import PROJECT_DIR, run_dbt

pytestmark = pytest.mark.dbt

PRIMARY_KEY_COMBINATION_TEST = "unique_combination_of_columns"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    workdir = tmp_path_factory.mktemp("parse")
    result = run_dbt(workdir, "parse")
    assert result.returncode == 0, result.output
    return json.loads((workdir / "target" / "manifest.json").read_text())


def models(manifest: dict) -> dict[str, dict]:
    return {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["package_name"] == "segmentation"
    }


def data_tests_by_model(manifest: dict) -> dict[str, list[dict]]:
    found = defaultdict(list)
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test":
            continue
        attached = node.get("attached_node")
        targets = [attached] if attached else node["depends_on"]["nodes"]
        for target in targets:
            found[target].append(node)
    return found


def documented_exceptions() -> dict[str, str]:
    """README's "Structure exceptions": `- \\`model\\`: reason` bullets, by model."""
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    match = re.search(r"Structure exceptions(.*?)\n\n", readme, re.S)
    assert match, "README's Design section has no 'Structure exceptions' list"
    exceptions = {}
    for line in match.group(1).splitlines():
        bullet = re.match(r"^- `([a-z0-9_]+)`[^:]*: (.+)$", line.strip())
        if bullet:
            exceptions[bullet.group(1)] = bullet.group(2)
    return exceptions


def primary_key_tested(tests: list[dict]) -> bool:
    by_column = defaultdict(set)
    for test in tests:
        metadata = test.get("test_metadata") or {}
        if metadata.get("name") == PRIMARY_KEY_COMBINATION_TEST:
            return True
        if test.get("column_name"):
            by_column[test["column_name"]].add(metadata.get("name"))
    return any({"unique", "not_null"} <= names for names in by_column.values())


def test_the_rules_see_a_model_without_tests():
    # The checks themselves, on a made-up model: no test, a unique without not_null, and both.
    assert not primary_key_tested([])
    unique_only = [{"column_name": "user_id", "test_metadata": {"name": "unique"}}]
    assert not primary_key_tested(unique_only)
    split = unique_only + [{"column_name": "run_id", "test_metadata": {"name": "not_null"}}]
    assert not primary_key_tested(split)
    both = unique_only + [{"column_name": "user_id", "test_metadata": {"name": "not_null"}}]
    assert primary_key_tested(both)
    assert primary_key_tested([{"test_metadata": {"name": PRIMARY_KEY_COMBINATION_TEST}}])


def test_every_model_has_tests(manifest):
    tests = data_tests_by_model(manifest)
    unit_tested = {unit["model"] for unit in manifest["unit_tests"].values()}
    untested = sorted(
        node["name"]
        for uid, node in models(manifest).items()
        if not tests[uid] and node["name"] not in unit_tested
    )
    assert untested == []


def test_every_model_key_has_a_primary_key_test(manifest):
    tests = data_tests_by_model(manifest)
    exceptions = documented_exceptions()
    missing = sorted(
        node["name"]
        for uid, node in models(manifest).items()
        if not primary_key_tested(tests[uid]) and node["name"] not in exceptions
    )
    assert missing == [], "no primary-key test and no reason in README's structure exceptions"


def test_every_documented_exception_is_still_needed(manifest):
    # An exception whose model is gone, or now has its key test, is a stale claim.
    tests = data_tests_by_model(manifest)
    by_name = {node["name"]: uid for uid, node in models(manifest).items()}
    for name in documented_exceptions():
        assert name in by_name, f"README lists an exception for {name}, which is not a model"
        assert not primary_key_tested(tests[by_name[name]]), f"{name} needs no exception now"


def test_exposures_depend_on_public_models(manifest):
    nodes = models(manifest)
    assert manifest["exposures"], "the project documents its consumers as exposures"
    for exposure in manifest["exposures"].values():
        for uid in exposure["depends_on"]["nodes"]:
            if uid in nodes:
                assert nodes[uid]["access"] == "public", (exposure["name"], nodes[uid]["name"])


def test_no_staging_model_reads_another(manifest):
    nodes = models(manifest)
    for node in nodes.values():
        if not node["name"].startswith("stg_"):
            continue
        for uid in node["depends_on"]["nodes"]:
            if uid in nodes:
                assert not nodes[uid]["name"].startswith("stg_"), (node["name"], uid)


def test_views_declare_no_constraints(manifest):
    for node in models(manifest).values():
        if node["config"]["materialized"] != "view":
            continue
        declared = list(node.get("constraints") or [])
        for column in node["columns"].values():
            declared += column.get("constraints") or []
        assert declared == [], f"{node['name']} is a view: dbt does not enforce {declared}"


def test_models_live_in_their_layer_folder(manifest):
    # Staging reads the input, intermediate shapes it, marts serve it: the folder says which.
    prefixes = {"staging": ("stg_", "base_"), "intermediate": ("int_",)}
    for node in models(manifest).values():
        layer = Path(node["original_file_path"]).parts[1]
        if layer in prefixes:
            assert node["name"].startswith(prefixes[layer]), node["name"]

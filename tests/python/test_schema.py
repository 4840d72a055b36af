"""The export contract in Python and the vocabularies dbt validates against must agree."""

from __future__ import annotations

import yaml

from conftest import PROJECT_DIR, REAL_EXPORT, require_shared
from segmentation.schema import EXPORT_COLUMNS, INTERESTS, STAGING_NAMES, VOCABULARIES


def dbt_vars() -> dict:
    return yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]


def test_vocabularies_equal_the_dbt_vars():
    variables = dbt_vars()
    assert {key: tuple(values) for key, values in variables["vocabularies"].items()} == VOCABULARIES
    assert tuple(variables["interests"]) == INTERESTS


def test_every_export_column_has_a_staging_name():
    assert tuple(STAGING_NAMES) == EXPORT_COLUMNS
    assert len(set(STAGING_NAMES.values())) == len(EXPORT_COLUMNS)


def test_export_header_is_the_real_exports():
    header = require_shared(REAL_EXPORT).read_text().splitlines()[0]
    assert tuple(header.split(",")) == EXPORT_COLUMNS

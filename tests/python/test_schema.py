"""The export contract in Python (segmentation.schema, read from the catalogue) is the real
export's; README's table of required columns is checked in test_catalogue.py."""

from __future__ import annotations

from conftest import REAL_EXPORT, require_shared
from segmentation.schema import EXPORT_COLUMNS, STAGING_NAMES


def test_every_export_column_has_a_staging_name():
    assert tuple(STAGING_NAMES) == EXPORT_COLUMNS
    assert len(set(STAGING_NAMES.values())) == len(EXPORT_COLUMNS)


def test_export_header_is_the_real_exports():
    header = require_shared(REAL_EXPORT).read_text().splitlines()[0]
    assert tuple(header.split(",")) == EXPORT_COLUMNS

"""The export's contract: its 16 columns, their vocabularies and ranges.

Read from the domain catalogue (var ``catalogue`` of ``dbt_project.yml``, see
segmentation.catalogue), the same definition the SQL staging models validate against.
"""

from __future__ import annotations

from segmentation.catalogue import load

_CATALOGUE = load()

# Header spelling of the platform's export, in order.
EXPORT_COLUMNS: tuple[str, ...] = tuple(c.header for c in _CATALOGUE.export_columns)

# Export header -> snake_case name used from staging on.
STAGING_NAMES: dict[str, str] = {c.header: c.name for c in _CATALOGUE.export_columns}

# Ordered vocabularies (order matters for the bands).
VOCABULARIES: dict[str, tuple[str, ...]] = dict(_CATALOGUE.vocabularies)

INTERESTS: tuple[str, ...] = _CATALOGUE.interests

# The generator's imitation of the real export, not part of the contract (valid ranges are the
# catalogue's): observed ranges of the real export (min, max) and the decimals it writes.
RANGES: dict[str, tuple[float, float, int]] = {
    "likes_and_reactions": (101, 9973, 0),
    "followed_accounts": (10, 498, 0),
    "weekday_hours_online": (0.5, 5.0, 1),
    "weekend_hours_online": (1.0, 8.0, 1),
    "click_through_rate": (0.0, 0.25, 3),
    "conversion_rate": (0.0, 0.10, 3),
    "ad_interaction_seconds": (5, 179, 0),
}

"""Names and describes each segment from its profile; see segmentation.naming.

Reads its own previous table (the last run's names) so that a segment keeps its name while
the rule behind it still holds. The run's structure verdict and each segment's stability
(int_segment_centroids) decide the caveat shown with the name (naming Rule 6).
"""

import duckdb

from segmentation.adapters import name_personas
from segmentation.catalogue import Catalogue
from segmentation.settings import ProfileSettings


def model(dbt, session):
    dbt.config(materialized="table")
    # dbt hands a Python model only the config keys it reads literally with dbt.config.get.
    catalogue = Catalogue.from_vars(dbt.config.get("catalogue"))
    settings = ProfileSettings.from_vars(dbt.config.get("settings"), catalogue)
    try:
        previous = session.sql(f"select segment_id, segment_name, persona_rule from {dbt.this}")
    except duckdb.Error:
        previous = None
    trust = dbt.ref("int_segment_centroids").select(
        "segment_id", "structure_verdict", "segment_stability_jaccard"
    )
    return name_personas(
        dbt.ref("int_segment_profiles"), trust, settings.unstable_jaccard, catalogue, previous
    )

"""Names and describes each segment from its profile; see segmentation.naming.

Reads its own previous table (the last run's names) so that a segment keeps its name while
the rule behind it still holds. The run's structure verdict and each segment's stability
(int_segment_centroids) decide the caveat shown with the name (naming Rule 6).
"""

from segmentation.adapters import name_personas, previous_relation
from segmentation.catalogue import Catalogue
from segmentation.settings import ProfileSettings


def model(dbt, session):
    dbt.config(materialized="table")
    # dbt hands a Python model only the config keys it reads literally with dbt.config.get.
    catalogue = Catalogue.from_vars(dbt.config.get("catalogue"))
    settings = ProfileSettings.from_vars(dbt.config.get("settings"), catalogue)
    previous = previous_relation(session, dbt.this, ["segment_id", "segment_name", "persona_rule"])
    return name_personas(
        dbt.ref("int_segment_profiles"),
        dbt.ref("int_segment_centroids"),
        settings.unstable_jaccard,
        catalogue,
        previous,
    )

"""Names and describes each segment from its profile; see segmentation.naming.

Reads its own previous table (the last run's names) so that a segment keeps its name while
the rule behind it still holds. The run's structure verdict and each segment's stability
(int_segment_centroids) decide the caveat shown with the name (naming Rule 6).
"""

import json

from segmentation.adapters import name_personas, previous_relation


def model(dbt, session):
    dbt.config(materialized="table")
    # dbt hands a Python model only the config keys it reads literally with dbt.config.get.
    unstable_jaccard = float(json.loads(dbt.config.get("unstable_jaccard")))
    previous = previous_relation(session, dbt.this, ["segment_id", "segment_name", "persona_rule"])
    profiles = dbt.ref("int_segment_profiles")
    trust = dbt.ref("int_segment_centroids")
    return name_personas(profiles, trust, unstable_jaccard, previous)

"""Names and describes each segment from its profile; see segmentation.naming.

Reads its own previous table (the last run's names) so that a segment keeps its name while
the rule behind it still holds.
"""

import duckdb

from segmentation.adapters import name_personas


def model(dbt, session):
    dbt.config(materialized="table")
    try:
        previous = session.sql(f"select segment_id, segment_name, persona_rule from {dbt.this}")
    except duckdb.Error:
        previous = None
    return name_personas(dbt.ref("int_segment_profiles"), previous)

"""Names and describes each segment from its profile; see segmentation.naming."""

from segmentation.adapters import name_personas


def model(dbt, session):
    dbt.config(materialized="table")
    return name_personas(dbt.ref("int_segment_profiles"))

"""Every (user, rule segment) pair whose condition holds, computed by the engine.

See segmentation.rule_segments.match_rule_segments: the compiled conditions run as one SQL
query over the profiles, and the result is returned as the engine's relation (DuckDB's, or a
Spark DataFrame: segmentation.adapters), never as pandas.
"""

from segmentation.adapters import match_rule_segments


def model(dbt, session):
    dbt.config(materialized="table")
    return match_rule_segments(
        dbt.ref("int_user_profiles_assembled"), dbt.ref("int_rule_segments_defined")
    )

"""Every (user, rule segment) pair whose condition holds, computed in DuckDB.

See segmentation.rule_segments.match_rule_segments: the compiled conditions run as one SQL
query over the profiles, and the result is returned as a DuckDB relation, never as pandas.
"""

from segmentation.rule_segments import match_rule_segments


def model(dbt, session):
    dbt.config(materialized="table")
    return match_rule_segments(
        dbt.ref("int_user_profiles_assembled"), dbt.ref("int_rule_segments_defined")
    )

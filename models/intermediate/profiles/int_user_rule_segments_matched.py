"""One row per user: the profile and the positions of the rule segments whose condition holds.

See segmentation.rule_segments.match_rule_segments: the compiled conditions run as one DuckDB
scan over the profiles, and the result is returned as a DuckDB relation, never as pandas. One
list per user rather than a row per (user, segment): at ten million users the pairs are over a
hundred million rows, and the marts stream them by unnesting the lists.
"""

from segmentation.rule_segments import match_rule_segments


def model(dbt, session):
    dbt.config(materialized="table")
    return match_rule_segments(
        dbt.ref("int_user_profiles_assembled"), dbt.ref("int_rule_segments_defined")
    )

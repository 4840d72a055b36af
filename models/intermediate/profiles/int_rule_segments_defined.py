"""The rule segment definitions file, validated against the profile and compiled to SQL.

See segmentation.rule_segments; a problem in any definition fails this model naming the segment.
"""

from segmentation.rule_segments import define_rule_segments


def model(dbt, session):
    dbt.config(materialized="table")
    # dbt hands a Python model only the config keys it reads literally with dbt.config.get.
    settings = {
        "rule_segments_path": dbt.config.get("rule_segments_path"),
        "vocabularies": dbt.config.get("vocabularies"),
        "interests": dbt.config.get("interests"),
    }
    return define_rule_segments(dbt.ref("int_user_profiles_assembled"), settings)

"""The rule segment definitions file, validated against the profile and compiled to SQL.

See segmentation.rule_segments; a problem in any definition fails this model naming the segment.
"""

from segmentation.adapters import column_kinds, sql_dialect
from segmentation.catalogue import Catalogue
from segmentation.rule_segments import define_rule_segments
from segmentation.settings import ProfileSettings


def model(dbt, session):
    dbt.config(materialized="table")
    # dbt hands a Python model only the config keys it reads literally with dbt.config.get.
    catalogue = Catalogue.from_vars(dbt.config.get("catalogue"))
    settings = ProfileSettings.from_vars(dbt.config.get("settings"), catalogue)
    profiles = dbt.ref("int_user_profiles_assembled")
    return define_rule_segments(
        column_kinds(profiles), settings.rule_segments_path, catalogue, sql_dialect(profiles)
    )

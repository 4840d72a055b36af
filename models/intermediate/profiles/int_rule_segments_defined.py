"""The rule segment definitions file, validated against the profile and compiled to SQL.

See segmentation.rule_segments; a problem in any definition fails this model naming the segment.
"""

from segmentation.adapters import define_rule_segments
from segmentation.catalogue import Catalogue
from segmentation.settings import ProfileSettings


def model(dbt, session):
    dbt.config(materialized="table")
    # dbt hands a Python model only the config keys it reads literally with dbt.config.get.
    catalogue = Catalogue.from_vars(dbt.config.get("catalogue"))
    settings = ProfileSettings.from_vars(dbt.config.get("settings"), catalogue)
    return define_rule_segments(
        dbt.ref("int_user_profiles_assembled"), settings.rule_segments_path, catalogue
    )

"""Every fitted model, one run after another; see segmentation.adapters.fit_run.

Incremental and never fully refreshed: the history is what keeps segment ids stable between
runs and lets `refit: false` score new users with the stored model.
"""

from segmentation.adapters import fit_run, previous_relation
from segmentation.catalogue import Catalogue
from segmentation.settings import ClusteringSettings


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append", full_refresh=False)
    # dbt hands a Python model only the config keys it reads literally with dbt.config.get.
    catalogue = Catalogue.from_vars(dbt.config.get("catalogue"))
    settings = ClusteringSettings.from_vars(dbt.config.get("settings"), catalogue)
    history = previous_relation(session, dbt.this) if dbt.is_incremental else None
    return fit_run(
        dbt.ref("int_segmentation_run"),
        dbt.ref("int_segmentation_fit_sample"),
        dbt.ref("int_segmentation_quality_sample"),
        history,
        settings,
    )

"""Every fitted model, one run after another; see segmentation.adapters.fit_run.

Incremental and never fully refreshed: the history is what keeps segment ids stable between
runs and lets `refit: false` score new users with the stored model.
"""

from segmentation.adapters import fit_run, previous_relation


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append", full_refresh=False)
    # dbt hands a Python model only the config keys it reads literally with dbt.config.get.
    settings = {
        "numeric_features": dbt.config.get("numeric_features"),
        "n_clusters": dbt.config.get("n_clusters"),
        "n_clusters_range": dbt.config.get("n_clusters_range"),
        "quality_sweep": dbt.config.get("quality_sweep"),
        "algorithm": dbt.config.get("algorithm"),
        "random_seed": dbt.config.get("random_seed"),
        "n_init": dbt.config.get("n_init"),
        "quality_n_init": dbt.config.get("quality_n_init"),
        "refit": dbt.config.get("refit"),
        "drift_threshold": dbt.config.get("drift_threshold"),
        "null_draws": dbt.config.get("null_draws"),
        "stability_subsamples": dbt.config.get("stability_subsamples"),
        "identity_max_distance": dbt.config.get("identity_max_distance"),
    }
    history = previous_relation(session, dbt.this) if dbt.is_incremental else None
    return fit_run(
        dbt.ref("int_segmentation_run"),
        dbt.ref("int_segmentation_fit_sample"),
        dbt.ref("int_segmentation_quality_sample"),
        history,
        settings,
    )

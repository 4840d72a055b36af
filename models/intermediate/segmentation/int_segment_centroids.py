"""Fits the segmentation (scaling and centroids) on the cluster inputs; see segmentation.clustering."""

from segmentation.adapters import fit_centroids


def model(dbt, session):
    dbt.config(materialized="table")
    # dbt hands a Python model only the config keys it reads literally with dbt.config.get.
    settings = {
        "numeric_features": dbt.config.get("numeric_features"),
        "n_clusters": dbt.config.get("n_clusters"),
        "algorithm": dbt.config.get("algorithm"),
        "random_seed": dbt.config.get("random_seed"),
        "n_init": dbt.config.get("n_init"),
        "fit_sample_size": dbt.config.get("fit_sample_size"),
    }
    return fit_centroids(dbt.ref("int_user_cluster_inputs"), settings)

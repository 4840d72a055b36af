"""Publishes the marts for BI: Parquet version + atomically swapped serving database; see
segmentation.publish. dbt reaches this model only after every mart below and its tests passed."""

import pandas as pd

from segmentation.publish import (
    PUBLICATION_COLUMNS,
    PublishSettings,
    dbt_invocation_id,
    new_run_id,
    publish,
)


def model(dbt, session):
    dbt.config(materialized="table")
    settings = PublishSettings.from_config(
        {
            "published_dir": dbt.config.get("published_dir"),
            "published_versions_to_keep": dbt.config.get("published_versions_to_keep"),
            "min_segment_size": dbt.config.get("min_segment_size"),
        }
    )
    segments = dbt.ref("dim_segments")
    tables = {
        "dim_segments": segments,
        "segment_interests": dbt.ref("segment_interests"),
        "segment_metric_indexes": dbt.ref("segment_metric_indexes"),
        "segment_recommendations": dbt.ref("segment_recommendations"),
        "user_base_distributions": dbt.ref("user_base_distributions"),
        "segmentation_quality": dbt.ref("segmentation_quality"),
    }
    # Publish only once the audiences are out too: this is the build's last step.
    dbt.ref("audience_exports")
    sizes = dict(segments.select("segment_id", "users").fetchall())
    invocation_id = dbt_invocation_id()
    rows = publish(tables, sizes, settings, new_run_id(invocation_id), invocation_id)
    return pd.DataFrame(rows, columns=PUBLICATION_COLUMNS)

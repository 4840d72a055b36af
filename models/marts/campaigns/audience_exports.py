"""Writes the campaign audiences, one file per segment and format; see segmentation.publish."""

from pathlib import Path

import pandas as pd

from segmentation.publish import dbt_invocation_id, export_audiences, new_run_id


def model(dbt, session):
    dbt.config(materialized="table")
    directory = Path(str(dbt.config.get("audiences_dir")))
    rows = export_audiences(
        dbt.ref("campaign_audiences"), directory, new_run_id(dbt_invocation_id())
    )
    return pd.DataFrame(rows, columns=["segment_id", "file_format", "file_path", "users"])

"""The glue between dbt Python models and the package: relations in, small DataFrames out.

Everything here reads only what it needs from DuckDB (a bounded, seeded sample as NumPy) so
that the Python side stays small however many users there are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from segmentation.clustering import CENTROID_DTYPES, SegmentationSettingError, fit_segments
from segmentation.naming import name_segments


def json_setting(config: Mapping[str, Any], key: str) -> Any:
    """A setting passed from dbt as JSON text (see the models' YAML)."""
    value = config.get(key)
    if value is None:
        raise SegmentationSettingError(f"model config {key} is not set")
    return json.loads(value) if isinstance(value, str) else value


def fit_sample(relation, sample_size: int, random_seed: int):
    """All rows when there are at most `sample_size`, else a seeded sample of that size.

    The sample is chosen by a hash of user id and seed, so it is the same on every run and
    mostly the same after users are added. Rows come back in input-file order.
    """
    total = relation.aggregate("count(*)").fetchall()[0][0]
    if total <= sample_size:
        return relation.order("source_row_number"), total
    sampled = relation.query(
        "cluster_inputs",
        "select * from cluster_inputs "
        f"order by hash(user_id || '#' || '{int(random_seed)}'), user_id "
        f"limit {int(sample_size)}",
    )
    return sampled.order("source_row_number"), total


def fit_centroids(relation, config: Mapping[str, Any]) -> pd.DataFrame:
    """int_segment_centroids: fit on the cluster inputs and return the parameter table."""
    numeric = json_setting(config, "numeric_features")
    n_clusters = int(json_setting(config, "n_clusters"))
    random_seed = int(json_setting(config, "random_seed"))
    sample, input_rows = fit_sample(
        relation, int(json_setting(config, "fit_sample_size")), random_seed
    )
    columns = [name for name in relation.columns if name not in ("user_id", "source_row_number")]
    matrix = _as_matrix(sample, columns)
    if input_rows == 0:
        # Only `dbt build --empty` gets here (an input with no valid rows stops at the
        # rejected-share check): build the table's shape, with no rows.
        return _empty_centroids()
    fitted = fit_segments(
        matrix,
        columns,
        numeric,
        n_clusters=n_clusters,
        algorithm=json_setting(config, "algorithm"),
        random_seed=random_seed,
        n_init=int(json_setting(config, "n_init")),
    )
    frame = fitted.to_frame()
    frame["fit_rows"] = matrix.shape[0]
    frame["input_rows"] = input_rows
    frame["inertia"] = fitted.inertia
    return frame


def _empty_centroids() -> pd.DataFrame:
    frame = pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in CENTROID_DTYPES.items()})
    for name in ("fit_rows", "input_rows"):
        frame[name] = pd.Series(dtype="int64")
    frame["inertia"] = pd.Series(dtype="float64")
    return frame


def _as_matrix(relation, columns: list[str]) -> np.ndarray:
    arrays = relation.select(*columns).fetchnumpy()
    if not columns:
        return np.empty((0, 0))
    return np.column_stack([np.asarray(arrays[name], dtype=np.float64) for name in columns])


def name_personas(relation) -> pd.DataFrame:
    """int_segment_personas: names and descriptions from the (small) segment profiles."""
    return name_segments(relation.df())

"""Inertia against a full-data fit and agreement between labellings, computed in DuckDB."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from bench import quality
from segmentation.clustering import fit_segments


def test_adjusted_rand_from_counts_equals_sklearn():
    rng = np.random.default_rng(7)
    cases = [
        (rng.integers(0, 5, 500), rng.integers(0, 4, 500)),
        (np.repeat(np.arange(5), 40), np.repeat([3, 1, 4, 0, 2], 40)),  # same partition
        (np.zeros(50, int), np.zeros(50, int)),
        (np.arange(30), np.arange(30)),
        (np.zeros(30, int), np.arange(30)),
    ]
    for a, b in cases:
        pairs, counts = np.unique(np.column_stack([a, b]), axis=0, return_counts=True)
        counted = [(x, y, n) for (x, y), n in zip(pairs, counts, strict=True)]
        assert quality.adjusted_rand_from_counts(counted) == pytest.approx(
            adjusted_rand_score(a, b), abs=1e-12
        )


@pytest.fixture()
def cluster_inputs():
    """A small int_user_cluster_inputs: two numeric columns and a 0/1 column, in DuckDB."""
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 3, 600)
    numeric = np.array([[0, 10], [5, 30], [9, 12]], dtype=float)[labels] + rng.normal(
        0, [1.0, 4.0], (600, 2)
    )
    flag = (labels == 1).astype(float)
    matrix = np.column_stack([numeric, flag])
    connection = duckdb.connect()
    frame = pd.DataFrame(
        {
            "user_id": [str(i) for i in range(600)],
            "source_row_number": np.arange(600),
            "hours": matrix[:, 0],
            "likes": matrix[:, 1],
            "gender__male": matrix[:, 2],
        }
    )
    connection.register("frame", frame)
    connection.sql("create table inputs as select * from frame")
    yield connection, matrix
    connection.close()


def _scaled_inertia(matrix, values, scales):
    distances = (((matrix[:, None, :] - values[None, :, :]) / scales) ** 2).sum(axis=2)
    return distances.min(axis=1).sum()


def test_centroid_inertia_matches_numpy_in_both_scalings(cluster_inputs):
    connection, matrix = cluster_inputs
    values = np.array([[0.0, 10.0, 0.0], [5.0, 30.0, 1.0], [8.0, 14.0, 0.0]])
    centroids = quality.FittedCentroids(
        columns=("hours", "likes", "gender__male"),
        is_scaled=(True, True, False),
        scales=np.array([2.0, 5.0, 1.0]),
        values=values,
    )
    full_scales = np.array([matrix[:, 0].std(), matrix[:, 1].std(), 1.0])
    assert quality.centroid_inertia(connection, "inputs", centroids) == pytest.approx(
        _scaled_inertia(matrix, values, full_scales), rel=1e-10
    )
    assert quality.centroid_inertia(
        connection, "inputs", centroids, centroids.scales
    ) == pytest.approx(_scaled_inertia(matrix, values, centroids.scales), rel=1e-10)
    # Both scalings in one query (one scan of the inputs for the distances), in the order asked.
    both = quality.centroid_inertias(connection, "inputs", centroids, [centroids.scales, None])
    assert both == pytest.approx(
        [
            _scaled_inertia(matrix, values, centroids.scales),
            _scaled_inertia(matrix, values, full_scales),
        ],
        rel=1e-10,
    )


def test_project_parameter_table_and_reference_fit_agree_on_all_rows(cluster_inputs):
    """Fitted on every row, the project's centroids score exactly the full-data fit's inertia."""
    connection, matrix = cluster_inputs
    columns = ["hours", "likes", "gender__male"]
    model = fit_segments(matrix, columns, ["hours", "likes"], n_clusters=3)
    table = model.to_frame()
    table["fit_rows"], table["input_rows"] = 600, 600
    connection.register("table_frame", table)
    connection.sql("create table centroids as select * from table_frame")
    fitted = quality.read_centroids(connection, "centroids")
    assert fitted.columns == tuple(columns) and fitted.is_scaled == (True, True, False)
    assert fitted.fit_rows == 600
    ours = quality.centroid_inertia(connection, "inputs", fitted)
    assert ours == pytest.approx(model.inertia, rel=1e-9)

    reference, sklearn_inertia = quality.reference_centroids(
        connection, "inputs", columns, [True, True, False], 3, random_seed=42, n_init=10
    )
    assert quality.centroid_inertia(connection, "inputs", reference) == pytest.approx(
        sklearn_inertia, rel=1e-9
    )
    assert ours / sklearn_inertia == pytest.approx(1.0, abs=1e-9)
    # A worse set of centroids scores a higher inertia: the ratio can exceed 1.
    moved = quality.FittedCentroids(
        fitted.columns, fitted.is_scaled, fitted.scales, fitted.values + [1.0, 3.0, 0.0]
    )
    assert quality.centroid_inertia(connection, "inputs", moved) > 1.05 * sklearn_inertia
    scaled = (matrix - matrix.mean(axis=0) * [1, 1, 0]) / (
        matrix.std(axis=0) * [1, 1, 0] + [0, 0, 1]
    )
    direct = KMeans(n_clusters=3, random_state=42, n_init=10).fit(scaled).inertia_
    assert sklearn_inertia == pytest.approx(direct, rel=1e-9)


def test_find_relation_looks_in_any_schema(cluster_inputs):
    connection, _ = cluster_inputs
    connection.sql("create schema analytics; create table analytics.fct_user_segments (x int)")
    assert quality.find_relation(connection, "fct_user_segments").endswith(
        '"analytics"."fct_user_segments"'
    )
    with pytest.raises(LookupError):
        quality.find_relation(connection, "no_such_table")

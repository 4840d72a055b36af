"""segmentation.clustering and the sampling adapter, without dbt."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

from segmentation.adapters import fit_centroids, fit_sample
from segmentation.clustering import SegmentationSettingError, fit_segments


def blobs(seed: int = 0, per_blob: int = 200) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0, 1], [10, 5, 0], [-8, 9, 1]], dtype=float)
    labels = np.repeat(np.arange(3), per_blob)
    numeric = centres[labels, :2] + rng.normal(0, 1, size=(labels.size, 2))
    flag = centres[labels, 2:]
    return np.column_stack([numeric, flag]), labels


def test_fit_matches_sklearn_pipeline_on_the_same_rows():
    matrix, _ = blobs()
    model = fit_segments(matrix, ["x", "y", "flag"], ["x", "y"], n_clusters=3)
    scaled = np.column_stack([StandardScaler().fit_transform(matrix[:, :2]), matrix[:, 2:]])
    reference = KMeans(n_clusters=3, random_state=42, n_init=10).fit(scaled)
    assert adjusted_rand_score(reference.labels_, model.labels) == 1.0
    assert model.inertia == pytest.approx(reference.inertia_, rel=1e-9)
    assert model.scales[2] == 1.0 and model.centers[2] == 0.0


def test_predict_and_parameter_table_reproduce_the_labels():
    matrix, truth = blobs()
    model = fit_segments(matrix, ["x", "y", "flag"], ["x", "y"], n_clusters=3)
    assert adjusted_rand_score(truth, model.labels) == 1.0
    assert (model.predict(matrix) == model.labels).all()
    frame = model.to_frame()
    assert len(frame) == 3 * 3
    centroid = frame[frame.segment_index == 1].sort_values("column_position")
    assert centroid["centroid_scaled"].to_numpy() == pytest.approx(model.centroids[1])
    unscaled = centroid["centroid_value"].to_numpy()
    assert unscaled[:2] == pytest.approx(model.centroids[1, :2] * model.scales[:2] + model.centers[:2])


@pytest.mark.parametrize("algorithm", ["kmeans", "minibatch_kmeans", "gaussian_mixture"])
def test_every_algorithm_is_seeded_and_deterministic(algorithm):
    matrix, truth = blobs(seed=3)
    first = fit_segments(matrix, ["x", "y", "flag"], ["x", "y"], 3, algorithm=algorithm)
    second = fit_segments(matrix, ["x", "y", "flag"], ["x", "y"], 3, algorithm=algorithm)
    assert (first.labels == second.labels).all()
    assert adjusted_rand_score(truth, first.labels) > 0.95


def test_guards_name_the_setting_to_change():
    matrix, _ = blobs(per_blob=1)
    with pytest.raises(SegmentationSettingError, match="n_clusters"):
        fit_segments(matrix, ["x", "y", "flag"], ["x", "y"], n_clusters=5)
    with pytest.raises(SegmentationSettingError, match="algorithm"):
        fit_segments(matrix, ["x", "y", "flag"], ["x", "y"], 2, algorithm="dbscan")
    with pytest.raises(SegmentationSettingError, match="numeric_features: z"):
        fit_segments(matrix, ["x", "y", "flag"], ["z"], 2)
    constant = matrix.copy()
    constant[:, 1] = 4.0
    with pytest.raises(SegmentationSettingError, match="numeric_features: y .*zero variance"):
        fit_segments(constant, ["x", "y", "flag"], ["x", "y"], 2)


def cluster_inputs(rows: int) -> duckdb.DuckDBPyRelation:
    connection = duckdb.connect()
    connection.sql(
        f"""
        create table inputs as
        select
            cast(i + 1000 as varchar) as user_id,
            i + 1 as source_row_number,
            cast(i % 7 as double) as x,
            cast((i * 13) % 11 as double) as y,
            case when i % 2 = 0 then 1.0 else 0.0 end as flag,
        from range({rows}) as t(i)
        """
    )
    return connection.table("inputs")


def test_sample_is_all_rows_in_file_order_below_the_limit():
    sample, total = fit_sample(cluster_inputs(50), sample_size=100, random_seed=42)
    order = [row[0] for row in sample.select("source_row_number").fetchall()]
    assert total == 50 and order == list(range(1, 51))


def test_sample_is_seeded_bounded_and_stable_when_users_are_added():
    first, total = fit_sample(cluster_inputs(1000), sample_size=100, random_seed=42)
    again, _ = fit_sample(cluster_inputs(1000), sample_size=100, random_seed=42)
    grown, _ = fit_sample(cluster_inputs(1020), sample_size=100, random_seed=42)
    other_seed, _ = fit_sample(cluster_inputs(1000), sample_size=100, random_seed=7)
    ids = {row[0] for row in first.select("user_id").fetchall()}
    assert total == 1000 and len(ids) == 100
    assert ids == {row[0] for row in again.select("user_id").fetchall()}
    assert len(ids & {row[0] for row in grown.select("user_id").fetchall()}) >= 90
    assert ids != {row[0] for row in other_seed.select("user_id").fetchall()}


def test_fit_centroids_reads_settings_as_dbt_passes_them():
    settings = {
        "numeric_features": '["x", "y"]',
        "n_clusters": "3",
        "algorithm": '"kmeans"',
        "random_seed": "42",
        "n_init": "4",
        "fit_sample_size": "500",
    }
    frame = fit_centroids(cluster_inputs(800), settings)
    assert set(frame["segment_index"]) == {0, 1, 2}
    assert (frame["fit_rows"] == 500).all() and (frame["input_rows"] == 800).all()
    scaled = frame[frame.model_column.isin(["x", "y"])]
    assert scaled["is_scaled"].all()
    assert not frame.loc[frame.model_column == "flag", "is_scaled"].any()

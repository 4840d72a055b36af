"""segmentation.clustering and the sampling adapter, without dbt."""

from __future__ import annotations

from dataclasses import replace
from io import StringIO

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

from segmentation.adapters import fit_run
from segmentation.clustering import SegmentationSettingError, fit_segments
from segmentation.settings import ClusteringSettings


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
    assert unscaled[:2] == pytest.approx(
        model.centroids[1, :2] * model.scales[:2] + model.centers[:2]
    )


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


def relations(matrix: np.ndarray, run_id: str = "run-1"):
    """In-memory stand-ins for the dbt refs fit_run reads."""
    connection = duckdb.connect()
    frame = pd.DataFrame(matrix, columns=["x", "y", "flag"])
    frame.insert(0, "user_id", [f"u{i}" for i in range(len(frame))])
    frame.insert(1, "source_row_number", range(1, len(frame) + 1))
    connection.register("inputs_frame", frame)
    inputs = connection.sql("select * from inputs_frame")
    run = connection.sql(
        f"select '{run_id}' as run_id, timestamp '2026-01-01' as run_started_at, "
        f"{len(frame)} as input_rows, 'fp' as input_fingerprint, '{{}}' as settings_json"
    )
    return connection, run, inputs


# Built directly, not from_vars: "x" and "y" are columns of these tests, not catalogue metrics.
SETTINGS = ClusteringSettings(
    numeric_features=("x", "y"),
    categorical_features=(),
    interest_features=False,
    n_clusters=3,
    n_clusters_range=(2, 5),
    quality_sweep=True,
    algorithm="kmeans",
    random_seed=42,
    n_init=4,
    fit_sample_size=200000,
    quality_sample_size=10000,
    quality_n_init=2,
    null_draws=3,
    stability_subsamples=2,
    refit=True,
    drift_threshold=0.2,
    identity_max_distance=1.0,
)


def test_fit_run_records_a_run_with_its_sweep_and_verdict():
    matrix, truth = blobs()
    _, run, inputs = relations(matrix)
    history = fit_run(run, inputs, inputs, None, SETTINGS)
    assert sorted(history["segment_id"].unique()) == [1, 2, 3]
    assert (history["refit_reason"] == "first run").all()
    assert history["structure_verdict"].iloc[0] == "strong"
    sweep = pd.read_json(StringIO(history["sweep_json"].iloc[0]))
    assert sweep["n_clusters"].tolist() == [2, 3, 4, 5]
    assert sweep.loc[sweep.is_selected, "n_clusters"].tolist() == [3]
    assert history.groupby("segment_id")["segment_fit_users"].first().sum() == len(matrix)


def test_refit_false_keeps_the_stored_model_until_it_drifts():
    matrix, _ = blobs()
    connection, run, inputs = relations(matrix)
    first = fit_run(run, inputs, inputs, None, SETTINGS)
    connection.register("history_frame", first)
    stored = connection.sql("select * from history_frame")
    keep = fit_run(run, inputs, inputs, stored, replace(SETTINGS, refit=False))
    assert keep.empty
    shifted = matrix.copy()
    shifted[:, 0] += 6.0
    connection2, run2, moved = relations(shifted, run_id="run-2")
    connection2.register("history_frame", first)
    stored2 = connection2.sql("select * from history_frame")
    refit = fit_run(run2, moved, moved, stored2, replace(SETTINGS, refit=False))
    assert not refit.empty
    assert refit["refit_reason"].iloc[0].startswith("drift ")


def test_a_refit_on_the_same_data_keeps_every_segment_id():
    matrix, _ = blobs()
    connection, run, inputs = relations(matrix)
    first = fit_run(run, inputs, inputs, None, SETTINGS)
    connection.register("history_frame", first)
    again = fit_run(
        run,
        inputs,
        inputs,
        connection.sql("select * from history_frame"),
        replace(SETTINGS, random_seed=7),
    )
    pairs = first.merge(again, on=["model_column", "segment_id"], suffixes=("", "_again"))
    assert len(pairs) == len(first)
    assert np.allclose(pairs["centroid_value"], pairs["centroid_value_again"], atol=1e-6)

"""segmentation.clustering against what README and the model docs state, without dbt.

README ("Changing the clustering"): the defaults reproduce the reference notebook's
StandardScaler + `KMeans(n_clusters, random_state=42, n_init=10)`; `minibatch_kmeans` uses
mini-batches of 4,096 users, `gaussian_mixture` diagonal covariances; `random_seed` and `n_init`
(restarts) apply to every algorithm; `n_clusters` is 2 or more and no more than the valid users.
The model's YAML (`int_segment_model_history`): `center` is the mean and `scale` the population
standard deviation of a numeric feature, 0 and 1 for a 0/1 column; `column_position` is the
1-based position of the column. The references below are built from those statements with
scikit-learn and NumPy directly.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.mixture import GaussianMixture

from segmentation.clustering import SegmentationSettingError, fit_segments


def uniform(rows: int, columns: int = 3, seed: int = 0) -> np.ndarray:
    """Structureless data: where the restarts and the seed visibly change the result."""
    return np.random.default_rng(seed).uniform(0, 1, size=(rows, columns))


def standard_scaled(matrix: np.ndarray) -> np.ndarray:
    return (matrix - matrix.mean(axis=0)) / matrix.std(axis=0)


COLUMNS = ["a", "b", "c"]


def test_the_defaults_are_the_reference_notebooks_kmeans():
    # On this data 11 restarts find a better optimum than 10, and seed 43 another one, so the
    # comparison pins both defaults, not only the algorithm.
    matrix = uniform(300)
    model = fit_segments(matrix, COLUMNS, COLUMNS, n_clusters=8)
    reference = KMeans(n_clusters=8, random_state=42, n_init=10).fit(standard_scaled(matrix))
    assert model.inertia == pytest.approx(reference.inertia_, rel=1e-9)
    assert np.allclose(model.centroids, reference.cluster_centers_, atol=1e-9)


def test_random_seed_and_restarts_reach_kmeans():
    matrix = uniform(300)
    model = fit_segments(matrix, COLUMNS, COLUMNS, 8, "kmeans", random_seed=7, n_init=3)
    reference = KMeans(n_clusters=8, random_state=7, n_init=3).fit(standard_scaled(matrix))
    assert np.allclose(model.centroids, reference.cluster_centers_, atol=1e-9)


def test_minibatch_kmeans_uses_batches_of_4096_users_and_the_restarts():
    matrix = uniform(5_000)
    model = fit_segments(matrix, COLUMNS, COLUMNS, 6, "minibatch_kmeans", random_seed=42, n_init=3)
    reference = MiniBatchKMeans(n_clusters=6, random_state=42, n_init=3, batch_size=4096).fit(
        standard_scaled(matrix)
    )
    assert np.allclose(model.centroids, reference.cluster_centers_, atol=1e-9)


def test_gaussian_mixture_has_diagonal_covariances_and_the_restarts():
    matrix = uniform(600)
    model = fit_segments(matrix, COLUMNS, COLUMNS, 6, "gaussian_mixture", random_seed=42, n_init=3)
    reference = GaussianMixture(
        n_components=6, covariance_type="diag", random_state=42, n_init=3
    ).fit(standard_scaled(matrix))
    assert np.allclose(model.centroids, reference.means_, atol=1e-9)


def test_numeric_features_are_standard_scaled_and_0_1_columns_kept_as_they_are():
    rng = np.random.default_rng(1)
    hours = rng.uniform(0, 40, size=50)
    ctr = rng.uniform(0, 0.2, size=50)
    is_female = np.tile([1.0, 0.0], 25)
    matrix = np.column_stack([hours, is_female, ctr])
    model = fit_segments(matrix, ["hours", "is_female", "ctr"], ["hours", "ctr"], n_clusters=2)
    assert model.is_scaled == (True, False, True)
    assert model.centers == pytest.approx([hours.mean(), 0.0, ctr.mean()], rel=1e-12)
    population_std = [np.sqrt(((values - values.mean()) ** 2).mean()) for values in (hours, ctr)]
    assert model.scales == pytest.approx([population_std[0], 1.0, population_std[1]], rel=1e-12)


def test_the_model_is_computed_in_double_precision_whatever_the_input():
    # The scoring SQL works in DOUBLE; a float32 input must not give a float32 model.
    values = uniform(200, seed=4) * 1000 + 0.1
    narrow = values.astype(np.float32)
    model = fit_segments(narrow, COLUMNS, COLUMNS, n_clusters=3)
    wide = narrow.astype(np.float64)
    assert model.centers.dtype == np.float64
    assert model.centers == pytest.approx(wide.mean(axis=0), rel=1e-13)
    assert model.scales == pytest.approx(wide.std(axis=0), rel=1e-13)


def test_the_parameter_table_numbers_columns_from_one():
    matrix = uniform(40)
    frame = fit_segments(matrix, COLUMNS, COLUMNS, n_clusters=2).to_frame()
    for _, rows in frame.groupby("segment_index"):
        assert rows["column_position"].tolist() == [1, 2, 3]
        assert rows["model_column"].tolist() == COLUMNS


# --- Settings that cannot work are refused, naming the var --------------------------------------


@pytest.mark.parametrize("n_clusters", [1, 0, 2.5, "3"])
def test_n_clusters_must_be_a_whole_number_of_at_least_two(n_clusters):
    with pytest.raises(SegmentationSettingError, match=rf"n_clusters .*{n_clusters}"):
        fit_segments(uniform(20), COLUMNS, COLUMNS, n_clusters)


def test_n_clusters_may_equal_the_number_of_users_but_not_exceed_it():
    # Issue 13: "n_clusters above the number of valid users" is the error; equal still fits.
    model = fit_segments(uniform(4), COLUMNS, COLUMNS, n_clusters=4)
    assert sorted(model.labels.tolist()) == [0, 1, 2, 3]
    assert fit_segments(uniform(4), COLUMNS, COLUMNS, n_clusters=np.int64(3)).n_clusters == 3
    with pytest.raises(SegmentationSettingError) as raised:
        fit_segments(uniform(4), COLUMNS, COLUMNS, n_clusters=5)
    message = str(raised.value)
    assert "only 4 valid users" in message and "n_clusters = 5" in message
    assert message.endswith("lower the dbt var n_clusters or supply more users")


def test_an_unknown_algorithm_lists_the_three_accepted_ones():
    with pytest.raises(SegmentationSettingError) as raised:
        fit_segments(uniform(20), COLUMNS, COLUMNS, 2, algorithm="dbscan")
    assert str(raised.value).startswith("algorithm: unknown 'dbscan'")
    assert str(raised.value).endswith("kmeans, minibatch_kmeans, gaussian_mixture")


def test_unknown_and_constant_features_are_all_named_with_the_var():
    with pytest.raises(SegmentationSettingError) as raised:
        fit_segments(uniform(20), COLUMNS, ["a", "x", "y"], 2)
    assert str(raised.value).startswith("numeric_features: x, y not among the model columns")
    constant = uniform(20)
    constant[:, 0] = 3.0
    constant[:, 2] = -1.0
    with pytest.raises(SegmentationSettingError) as raised:
        fit_segments(constant, COLUMNS, COLUMNS, 2)
    message = str(raised.value)
    assert message.startswith("numeric_features: a, c has the same value for every user")
    assert message.endswith("remove it from the dbt var numeric_features")


def test_a_matrix_of_the_wrong_shape_is_refused_with_its_shape():
    with pytest.raises(ValueError, match=r"\(6, 2\).*\(rows, 3\)"):
        fit_segments(uniform(6, columns=2), COLUMNS, COLUMNS, 2)
    with pytest.raises(ValueError, match=r"\(6,\).*\(rows, 3\)"):
        fit_segments(np.arange(6.0), COLUMNS, COLUMNS, 2)

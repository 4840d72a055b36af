"""Learning the segmentation: scaling, centroids and the parameter table SQL scores with.

Python fits, SQL scores. `fit_segments` learns on a (possibly sampled) matrix of the model
columns and returns a `SegmentModel`; `SegmentModel.to_frame()` is the small long table that
`int_segment_centroids` stores and `int_user_segment_assignments` reads to assign every user
to the nearest centroid in the scaled space.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.mixture import GaussianMixture

from segmentation.settings import SettingsError, rule_choices

#: What var algorithm accepts (its rule in var settings_rules); each has an estimator below.
ALGORITHMS: tuple[str, ...] = rule_choices("algorithm")

CENTROID_DTYPES: dict[str, str] = {
    "segment_index": "int64",
    "model_column": "object",
    "column_position": "int64",
    "is_scaled": "bool",
    "center": "float64",
    "scale": "float64",
    "centroid_scaled": "float64",
    "centroid_value": "float64",
}


class SegmentationSettingError(SettingsError):
    """A setting (dbt var) that cannot work with this data; the message names the var."""


@dataclass(frozen=True)
class SegmentModel:
    """A fitted segmentation: how to scale each model column and where the centroids are."""

    columns: tuple[str, ...]
    is_scaled: tuple[bool, ...]
    centers: np.ndarray  # per column: subtracted before scaling (0 for one-hot columns)
    scales: np.ndarray  # per column: divided by after centring (1 for one-hot columns)
    centroids: np.ndarray  # k x columns, in the scaled space
    labels: np.ndarray  # segment index of each fitted row
    inertia: float  # sum of squared distances of the fitted rows to their centroid

    @property
    def n_clusters(self) -> int:
        return int(self.centroids.shape[0])

    def transform(self, matrix: np.ndarray) -> np.ndarray:
        """The scaled space the centroids live in."""
        return (matrix - self.centers) / self.scales

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        """Nearest centroid of each row (what the SQL scoring computes)."""
        return squared_distances(self.transform(matrix), self.centroids).argmin(axis=1)

    def to_frame(self) -> pd.DataFrame:
        """One row per segment and model column, in the layout SQL scoring reads."""
        k, m = self.centroids.shape
        segment_index = np.repeat(np.arange(k), m)
        position = np.tile(np.arange(m), k)
        centroid_scaled = self.centroids.reshape(-1)
        return pd.DataFrame(
            {
                "segment_index": segment_index.astype("int64"),
                "model_column": np.array(self.columns, dtype=object)[position],
                "column_position": (position + 1).astype("int64"),
                "is_scaled": np.array(self.is_scaled)[position],
                "center": self.centers[position],
                "scale": self.scales[position],
                "centroid_scaled": centroid_scaled,
                "centroid_value": centroid_scaled * self.scales[position] + self.centers[position],
            },
            columns=list(CENTROID_DTYPES),
        )


def squared_distances(scaled: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """rows x k squared Euclidean distances, one centroid at a time to bound memory."""
    return np.stack([((scaled - centroid) ** 2).sum(axis=1) for centroid in centroids], axis=1)


def _estimator(algorithm: str, n_clusters: int, random_seed: int, n_init: int):
    if algorithm == "kmeans":
        return KMeans(n_clusters=n_clusters, random_state=random_seed, n_init=n_init)
    if algorithm == "minibatch_kmeans":
        return MiniBatchKMeans(
            n_clusters=n_clusters, random_state=random_seed, n_init=n_init, batch_size=4096
        )
    if algorithm == "gaussian_mixture":
        return GaussianMixture(
            n_components=n_clusters,
            covariance_type="diag",
            random_state=random_seed,
            n_init=n_init,
        )
    raise SegmentationSettingError(
        f"algorithm: unknown '{algorithm}'; set the dbt var algorithm to one of "
        + ", ".join(ALGORITHMS)
    )


def fit_segments(
    matrix: np.ndarray,
    columns: Sequence[str],
    scaled_columns: Sequence[str],
    n_clusters: int,
    algorithm: str = "kmeans",
    random_seed: int = 42,
    n_init: int = 10,
) -> SegmentModel:
    """Standard-scale `scaled_columns` (others, the 0/1 encodings, stay as they are) and cluster.

    The defaults reproduce the reference notebook: StandardScaler on the numeric features,
    one-hot columns unscaled, KMeans(n_clusters, random_state=42, n_init=10).
    Raises SegmentationSettingError, naming the dbt var to change, when the data can't support
    the settings.
    """
    columns = tuple(columns)
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] != len(columns):
        raise ValueError(f"matrix has shape {matrix.shape}, expected (rows, {len(columns)})")
    unknown = [name for name in scaled_columns if name not in columns]
    if unknown:
        raise SegmentationSettingError(
            f"numeric_features: {', '.join(unknown)} not among the model columns {columns}"
        )
    _estimator(algorithm, 2, random_seed, n_init)  # validates the name before any work
    if not isinstance(n_clusters, int | np.integer) or n_clusters < 2:
        raise SegmentationSettingError(f"n_clusters must be a whole number >= 2, got {n_clusters}")
    n_rows = matrix.shape[0]
    if n_rows < n_clusters:
        raise SegmentationSettingError(
            f"only {n_rows} valid users to fit, fewer than n_clusters = {n_clusters}; "
            "lower the dbt var n_clusters or supply more users"
        )

    is_scaled = tuple(name in set(scaled_columns) for name in columns)
    mask = np.array(is_scaled, dtype=bool)
    centers = np.where(mask, matrix.mean(axis=0), 0.0)
    stds = matrix.std(axis=0)
    constant = [
        name for name, flag, std in zip(columns, is_scaled, stds, strict=True) if flag and std == 0
    ]
    if constant:
        raise SegmentationSettingError(
            f"numeric_features: {', '.join(constant)} has the same value for every user "
            "(zero variance), so it cannot separate segments; remove it from the dbt var "
            "numeric_features"
        )
    scales = np.where(mask, stds, 1.0)
    scaled = (matrix - centers) / scales

    estimator = _estimator(algorithm, n_clusters, random_seed, n_init)
    labels = estimator.fit_predict(scaled)
    centroids = estimator.means_ if algorithm == "gaussian_mixture" else estimator.cluster_centers_
    # Labels as SQL will assign them: to the nearest centroid.
    distances = squared_distances(scaled, centroids)
    labels = distances.argmin(axis=1)
    inertia = float(distances[np.arange(n_rows), labels].sum())
    return SegmentModel(
        columns=columns,
        is_scaled=is_scaled,
        centers=centers,
        scales=scales,
        centroids=np.asarray(centroids, dtype=np.float64),
        labels=labels,
        inertia=inertia,
    )

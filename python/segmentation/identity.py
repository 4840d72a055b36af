"""Segments that keep their identity between runs, and when a stored model is still good enough.

- **Alignment**: a refit's segments are matched to the previous run's by centroid distance
  (Hungarian assignment, minimising the total distance). Distances are measured in the new
  run's scaled space over the model columns both runs share. A match farther than
  `max_distance` is no match: that segment gets a new id, one above every id used before.
- **Drift** (when scoring with a stored model, `refit: false`): the mean squared distance of
  today's users to their nearest stored centroid, relative to the same figure for the users the
  model was fitted on, minus 1. 0 means the model fits today's users as well as its own; 0.3
  means 30% worse. Above `drift_threshold` the model is refitted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment


def align_segment_ids(
    new_centroids: np.ndarray,
    new_columns: Sequence[str],
    new_scales: np.ndarray,
    new_centers: np.ndarray,
    previous: Mapping[int, Mapping[str, float]],
    used_ids: Sequence[int],
    max_distance: float,
) -> list[int]:
    """Segment id for each new centroid (row of `new_centroids`, in the scaled space).

    `previous` maps each of the previous run's segment ids to its centroid in original units
    (model column -> value). Returns ids in the order of `new_centroids`.
    """
    k = len(new_centroids)
    next_id = max([0, *used_ids]) + 1
    previous_ids = sorted(previous)
    shared = [
        position
        for position, name in enumerate(new_columns)
        if previous_ids and all(name in previous[segment] for segment in previous_ids)
    ]
    if not previous_ids or not shared:
        return list(range(next_id, next_id + k))

    names = [new_columns[position] for position in shared]
    old = np.array(
        [
            [
                (previous[segment][name] - new_centers[position]) / new_scales[position]
                for name, position in zip(names, shared, strict=True)
            ]
            for segment in previous_ids
        ]
    )
    new = new_centroids[:, shared]
    cost = np.sqrt(((new[:, None, :] - old[None, :, :]) ** 2).sum(axis=2))
    rows, cols = linear_sum_assignment(cost)
    ids: list[int | None] = [None] * k
    for row, col in zip(rows, cols, strict=True):
        if cost[row, col] <= max_distance:
            ids[row] = previous_ids[col]
    result = []
    for segment_id in ids:
        if segment_id is None:
            segment_id = next_id
            next_id += 1
        result.append(int(segment_id))
    return result


def drift(current_mean_sq_distance: float, fitted_mean_sq_distance: float) -> float:
    """How much worse the stored model fits today's users than its own (0 = as well)."""
    if fitted_mean_sq_distance <= 0:
        return 0.0 if current_mean_sq_distance <= 0 else float("inf")
    return current_mean_sq_distance / fitted_mean_sq_distance - 1.0

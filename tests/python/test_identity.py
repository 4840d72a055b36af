"""segmentation.identity: stable segment ids across refits and the drift of a stored model.

The expected ids and figures come from the rules README ("Segments you can trust": stable
identities, scoring without refitting) and the module's docstring state, worked out by hand on
small centroids whose distances are exact.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from segmentation.identity import align_segment_ids, drift


def align(
    new, previous, used_ids=(), max_distance=1.0, columns=("x", "y"), centers=None, scales=None
):
    new = np.asarray(new, dtype=float)
    width = len(columns)
    return align_segment_ids(
        new,
        list(columns),
        np.ones(width) if scales is None else np.asarray(scales, dtype=float),
        np.zeros(width) if centers is None else np.asarray(centers, dtype=float),
        previous,
        list(used_ids),
        max_distance,
    )


# --- Alignment -----------------------------------------------------------------------------------


def test_a_refit_near_the_old_centroids_keeps_their_ids_in_the_new_order():
    previous = {4: {"x": 0.0, "y": 0.0}, 9: {"x": 5.0, "y": 5.0}}
    assert align([[5.1, 4.9], [0.2, -0.1]], previous, used_ids=[4, 9]) == [9, 4]


def test_the_assignment_minimises_the_total_distance_not_each_nearest():
    # Old A at x=0, B at x=3. New p at 1.6 is nearest to B (1.4 < 1.6), but q at 4.5 is then
    # left with A (4.5): total 5.9. p -> A and q -> B costs 1.6 + 1.5 = 3.1, the minimum.
    previous = {1: {"x": 0.0}, 2: {"x": 3.0}}
    ids = align([[1.6], [4.5]], previous, used_ids=[1, 2], max_distance=2.0, columns=("x",))
    assert ids == [1, 2]


def test_a_match_exactly_at_the_maximum_distance_is_kept_and_farther_is_new():
    previous = {3: {"x": 0.0, "y": 0.0}}
    # (0.75, 1) is at distance 1.25 exactly (0.5625 + 1 = 1.5625 = 1.25^2).
    assert align([[0.75, 1.0]], previous, used_ids=[3], max_distance=1.25) == [3]
    assert align([[0.75, 1.0]], previous, used_ids=[3], max_distance=1.2) == [4]


def test_distance_is_euclidean_in_the_new_scaled_space():
    # (3, 4) from the origin: 5 (Euclidean), not 7 (sum) nor 25 (squared) nor 4 (largest).
    previous = {1: {"x": 0.0, "y": 0.0}}
    assert align([[3.0, 4.0]], previous, used_ids=[1], max_distance=5.0) == [1]
    assert align([[3.0, 4.0]], previous, used_ids=[1], max_distance=4.99) == [2]


def test_previous_centroids_are_scaled_with_the_new_runs_centers_and_scales():
    # Old centroid in original units (110, 40); new scaling: centre (100, 50), scale (5, 20),
    # so in the scaled space it sits at ((110-100)/5, (40-50)/20) = (2, -0.5).
    previous = {6: {"x": 110.0, "y": 40.0}}
    kwargs = {"used_ids": [6], "max_distance": 0.1, "centers": [100, 50], "scales": [5, 20]}
    assert align([[2.0, -0.5]], previous, **kwargs) == [6]
    # The unscaled position, or one scaled the wrong way, is far from it.
    assert align([[110.0, 40.0]], previous, **kwargs) == [7]
    assert align([[50.0, -200.0]], previous, **kwargs) == [7]


def test_only_the_columns_every_previous_centroid_has_are_compared():
    # The new model has a column z the previous run did not (e.g. a feature added): distances
    # use x and y only, so the huge z does not stop the match.
    previous = {1: {"x": 0.0, "y": 0.0}, 2: {"x": 10.0, "y": 0.0}}
    ids = align(
        [[10.0, 0.0, 999.0], [0.0, 0.0, -999.0]],
        previous,
        used_ids=[1, 2],
        columns=("x", "y", "z"),
    )
    assert ids == [2, 1]
    # y is missing from one previous centroid: it is not shared, so only x counts.
    partial = {1: {"x": 0.0, "y": 0.0}, 2: {"x": 10.0}}
    ids = align([[10.0, 50.0], [0.0, -50.0]], partial, used_ids=[1, 2], columns=("x", "y"))
    assert ids == [2, 1]


def test_no_shared_column_means_no_match():
    previous = {1: {"a": 0.0}, 2: {"a": 1.0}}
    assert align([[0.0, 0.0], [1.0, 0.0]], previous, used_ids=[1, 2], max_distance=1e9) == [3, 4]


def test_newcomers_get_distinct_ids_above_every_id_used_before():
    # Id 12 was used by an earlier run and retired: new ids start above it, one each.
    previous = {2: {"x": 0.0, "y": 0.0}}
    ids = align(
        [[40.0, 40.0], [0.0, 0.1], [-40.0, 40.0], [40.0, -40.0]],
        previous,
        used_ids=[2, 5, 12],
    )
    assert ids == [13, 2, 14, 15]
    assert all(type(segment_id) is int for segment_id in ids)


def test_the_first_run_numbers_segments_from_one():
    assert align([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]], {}) == [1, 2, 3]
    assert align([[0.0, 0.0], [1.0, 1.0]], {}, used_ids=[7]) == [8, 9]


def test_fewer_new_segments_than_old_keep_the_nearest_ids():
    previous = {1: {"x": 0.0, "y": 0.0}, 2: {"x": 10.0, "y": 0.0}, 3: {"x": 0.0, "y": 10.0}}
    assert align([[0.0, 9.5], [9.8, 0.3]], previous, used_ids=[1, 2, 3]) == [3, 2]


# --- Drift ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "fitted", "expected"),
    [
        (1.0, 1.0, 0.0),  # fits today's users as well as its own
        (1.3, 1.0, 0.3),  # README: 0.3 means 30% worse
        (6.0, 4.0, 0.5),
        (2.0, 4.0, -0.5),  # fits today's users better than its own
    ],
)
def test_drift_is_the_relative_misfit(current, fitted, expected):
    assert drift(current, fitted) == pytest.approx(expected)


def test_drift_against_a_perfect_fit():
    # Fitted users all on their centroids (distance 0): today's users on them too fit as well
    # (0); any distance is infinitely worse, so above every drift_threshold.
    assert drift(0.0, 0.0) == 0.0
    assert drift(0.5, 0.0) == math.inf

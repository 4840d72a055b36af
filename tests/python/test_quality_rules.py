"""segmentation.quality's rules on tiny data (tens of users, one restart): the silhouette sample,
the sweep and its columns, the choice of k, the null reference and stability as the module's
docstring and README ("Segments you can trust") state them. Fast enough for `make mutation` to
run for every mutant; test_trust.py covers the same functions on larger data and through dbt.

Expected values come from the definitions README names (silhouette, Calinski-Harabasz,
Davies-Bouldin and Jaccard, computed here independently or with scikit-learn's definitions),
never from the module's constants.
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from conftest import PROJECT_DIR
from segmentation import quality
from segmentation.clustering import fit_segments

COLUMNS = ["x", "y"]
SEED = 7


def blobs(per_blob: int = 12, seed: int = 0) -> np.ndarray:
    """Four well separated groups of `per_blob` users on two numeric columns."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0], [8, 1], [2, 9], [-7, 6]], dtype=float)
    return centres[np.repeat(np.arange(4), per_blob)] + rng.normal(0, 0.5, (4 * per_blob, 2))


def noise(rows: int = 40, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 1, size=(rows, 2))


def fit(matrix: np.ndarray, k: int = 4):
    return fit_segments(matrix, COLUMNS, COLUMNS, k, "kmeans", SEED, 1)


def mart_metric_columns() -> list[str]:
    """rpt_segmentation_quality's per-k figures, as the mart's YAML lists them (n_clusters up to
    davies_bouldin)."""
    path = PROJECT_DIR / "models" / "marts" / "segmentation" / "_segmentation__models.yml"
    models = yaml.safe_load(path.read_text())["models"]
    (mart,) = [model for model in models if model["name"] == "rpt_segmentation_quality"]
    names = [column["name"] for column in mart["columns"]]
    return names[names.index("n_clusters") : names.index("davies_bouldin") + 1]


class Spy:
    """Records the calls quality makes to fit_segments and silhouette, and what they return."""

    def __init__(self, monkeypatch):
        self.fits: list[dict] = []
        self.silhouettes: list[tuple[int, float]] = []  # (seed, value)
        real_fit, real_silhouette = quality.fit_segments, quality.silhouette

        def fit_spy(matrix, columns, scaled_columns, k, algorithm, random_seed, n_init):
            self.fits.append(
                {"matrix": matrix.copy(), "k": k, "algorithm": algorithm,
                 "seed": random_seed, "n_init": n_init}
            )  # fmt: skip
            return real_fit(matrix, columns, scaled_columns, k, algorithm, random_seed, n_init)

        def silhouette_spy(scaled, labels, random_seed):
            value = real_silhouette(scaled, labels, random_seed)
            self.silhouettes.append((random_seed, value))
            return value

        monkeypatch.setattr(quality, "fit_segments", fit_spy)
        monkeypatch.setattr(quality, "silhouette", silhouette_spy)


# --- Silhouette: on at most 3,000 seeded rows (README "Choosing k") ---


def test_silhouette_samples_3000_seeded_rows_above_that():
    rng = np.random.default_rng(0)
    matrix = rng.normal(0, 1, size=(3100, 2))
    labels = (matrix[:, 0] + rng.normal(0, 1, 3100) > 0).astype(int)
    first = quality.silhouette(matrix, labels, 1)
    assert quality.silhouette(matrix, labels, 1) == first  # seeded: repeatable
    assert quality.silhouette(matrix, labels, 2) != first  # a sample, not every row
    whole = silhouette_score(matrix, labels)
    assert first != whole and first == pytest.approx(whole, abs=0.05)


def test_silhouette_uses_every_row_up_to_3000():
    rng = np.random.default_rng(1)
    matrix = rng.normal(0, 1, size=(3000, 2))
    labels = (matrix[:, 0] > 0).astype(int)
    for seed in (1, 2):
        assert quality.silhouette(matrix, labels, seed) == pytest.approx(
            silhouette_score(matrix, labels), rel=1e-9
        )


def test_silhouette_needs_two_segments():
    matrix = np.array([[0.0], [0.1], [5.0], [5.1]])
    assert math.isnan(quality.silhouette(matrix, np.zeros(4, dtype=int), SEED))
    two = quality.silhouette(matrix, np.array([0, 0, 1, 1]), SEED)
    assert two == pytest.approx(silhouette_score(matrix, [0, 0, 1, 1]))


# --- The sweep and the choice of k ---


def test_sweep_records_the_marts_figures_for_each_candidate_k_below_the_users():
    matrix = blobs(per_blob=2)  # 8 users: k = 8 or more leaves no user to compare with
    metrics = quality.sweep(matrix, COLUMNS, COLUMNS, [8, 3, 9, 2], "kmeans", SEED, 1)
    assert list(metrics.columns) == mart_metric_columns()
    assert metrics["n_clusters"].tolist() == [3, 2]  # the candidates' order, 8 and 9 skipped
    for row in metrics.itertuples():
        model = fit(matrix, row.n_clusters)
        scaled = model.transform(matrix)
        assert row.inertia == pytest.approx(model.inertia)
        assert row.silhouette == pytest.approx(silhouette_score(scaled, model.labels))
        assert row.calinski_harabasz == pytest.approx(calinski_harabasz_score(scaled, model.labels))
        assert row.davies_bouldin == pytest.approx(davies_bouldin_score(scaled, model.labels))


@pytest.mark.filterwarnings("ignore:Number of distinct clusters")
def test_sweep_of_identical_users_has_no_defined_figures_but_inertia():
    # Six users with the same category (0/1 columns, not scaled): any k finds one group.
    matrix = np.tile([1.0, 0.0], (6, 1))
    metrics = quality.sweep(matrix, ["c__a", "c__b"], [], [2], "kmeans", SEED, 1)
    (row,) = metrics.to_dict("records")
    assert row["inertia"] == pytest.approx(0.0)
    for figure in ("silhouette", "calinski_harabasz", "davies_bouldin"):
        assert math.isnan(row[figure]), figure


def test_no_candidate_below_the_number_of_users_is_one_clear_error():
    metrics = quality.sweep(blobs(per_blob=1), COLUMNS, COLUMNS, [4, 5], "kmeans", SEED, 1)
    assert metrics.empty and list(metrics.columns) == mart_metric_columns()
    with pytest.raises(ValueError, match="^no candidate number of segments"):
        quality.choose_k(metrics)


def test_sweep_and_choice_use_the_builds_seed_and_restarts(monkeypatch):
    spy = Spy(monkeypatch)
    quality.sweep(blobs(), COLUMNS, COLUMNS, [2, 3], "kmeans", SEED, 2)
    assert [(f["k"], f["algorithm"], f["seed"], f["n_init"]) for f in spy.fits] == [
        (2, "kmeans", SEED, 2),
        (3, "kmeans", SEED, 2),
    ]
    assert [seed for seed, _ in spy.silhouettes] == [SEED, SEED]


def test_choose_k_reads_only_the_silhouette():
    metrics = pd.DataFrame(
        {
            "n_clusters": [2, 3, 4],
            "silhouette": [0.3, 0.6, float("nan")],
            "davies_bouldin": [0.5, float("nan"), 0.1],
        }
    )
    assert quality.choose_k(metrics) == 3


# --- The verdict's null reference (README "Reading the verdict") ---


def test_the_verdict_reports_the_null_spread_it_was_given():
    verdict = quality.classify(0.5, 0.25, 0.0625)
    assert (verdict.null_silhouette_mean, verdict.null_silhouette_std) == (0.25, 0.0625)
    assert verdict.z_score == 4.0


def test_numeric_columns_are_permuted_alone_whatever_their_name():
    columns = ["a__x", "a__y", "sex__f", "sex__m", "b"]
    groups = quality.feature_groups(columns, ["a__x", "a__y", "b"])
    assert groups == [[0], [1], [2, 3], [4]]


@pytest.mark.parametrize("draws", [2, 3])
def test_null_fits_are_the_same_pipeline_and_sd_is_the_sample_sd(monkeypatch, draws):
    matrix = blobs()
    model = fit(matrix)
    spy = Spy(monkeypatch)
    verdict = quality.structure_verdict(matrix, COLUMNS, COLUMNS, model, "kmeans", SEED, 1, draws)
    # Same algorithm, k, seed and restarts, on shuffled copies: each column keeps its values.
    assert [(f["k"], f["algorithm"], f["seed"], f["n_init"]) for f in spy.fits] == [
        (4, "kmeans", SEED, 1)
    ] * draws
    for call in spy.fits:
        assert not np.array_equal(call["matrix"], matrix)
        for column in range(matrix.shape[1]):
            assert sorted(call["matrix"][:, column]) == sorted(matrix[:, column])
    seeds, values = zip(*spy.silhouettes, strict=True)
    assert seeds == (SEED,) * (1 + draws)  # the real fit's, then each null fit's
    real, null = values[0], values[1:]
    assert verdict.silhouette == real
    assert verdict.null_silhouette_mean == pytest.approx(statistics.mean(null))
    assert verdict.null_silhouette_std == pytest.approx(statistics.stdev(null))
    assert verdict.verdict == "strong"


def test_one_null_draw_has_sd_zero_and_still_decides():
    matrix = blobs()
    verdict = quality.structure_verdict(matrix, COLUMNS, COLUMNS, fit(matrix), "kmeans", SEED, 1, 1)
    assert verdict.null_silhouette_std == 0.0
    assert verdict.verdict == "strong"  # sd counts as 0.001: z stays finite


def test_no_null_draw_means_the_verdict_is_none():
    matrix = blobs()
    verdict = quality.structure_verdict(matrix, COLUMNS, COLUMNS, fit(matrix), "kmeans", SEED, 1, 0)
    assert math.isnan(verdict.null_silhouette_mean)
    assert verdict.verdict == "none"


def test_the_verdict_is_seeded():
    matrix = noise()
    model = fit(matrix)
    first, second = (
        quality.structure_verdict(matrix, COLUMNS, COLUMNS, model, "kmeans", SEED, 1, 3)
        for _ in range(2)
    )
    assert first == second


# --- Stability ---


def test_jaccard_of_each_segment_with_its_best_match():
    reference = np.array([0, 0, 1, 1, 3, 3])  # segment 2 has no users here
    other = np.array([5, 5, 5, 1, 1, 1])
    scores = quality.best_match_jaccard(reference, other, 4)
    # {0,1} vs {0,1,2}: 2/3; {2,3} vs either: 1/4; {4,5} vs {3,4,5}: 2/3.
    assert scores[[0, 1, 3]] == pytest.approx([2 / 3, 1 / 4, 2 / 3])
    assert math.isnan(scores[2])
    assert quality.best_match_jaccard(np.array([0, 1]), np.array([1, 0]), 2) == pytest.approx(
        [1.0, 1.0]
    )


def test_refits_are_on_seeded_80_percent_subsamples_of_distinct_users(monkeypatch):
    matrix = blobs()  # 48 distinct users
    model = fit(matrix)
    spy = Spy(monkeypatch)
    stable = quality.stability(matrix, COLUMNS, COLUMNS, model, "kmeans", SEED, 1, 3)
    assert [(f["k"], f["algorithm"], f["seed"], f["n_init"]) for f in spy.fits] == [
        (4, "kmeans", SEED, 1)
    ] * 3
    rows = {tuple(row) for row in matrix}
    for call in spy.fits:
        sample = [tuple(row) for row in call["matrix"]]
        assert len(sample) == round(0.8 * 48) == len(set(sample))
        assert set(sample) <= rows
    assert stable.mean_ari == pytest.approx(1.0)
    assert stable.segment_jaccard == pytest.approx(np.ones(4))
    again = quality.stability(matrix, COLUMNS, COLUMNS, model, "kmeans", SEED, 1, 3)
    assert again.mean_ari == stable.mean_ari


def test_stability_of_noise_is_seeded():
    matrix = noise()
    model = fit(matrix, 6)
    first, second = (
        quality.stability(matrix, COLUMNS, COLUMNS, model, "kmeans", SEED, 1, 3) for _ in range(2)
    )
    assert first.mean_ari == second.mean_ari < 1
    assert np.array_equal(first.segment_jaccard, second.segment_jaccard)


@pytest.mark.parametrize(
    ("rows", "subsamples"), [(48, 0), (5, 3)], ids=["no subsamples", "subsample not above k"]
)
def test_stability_not_measured_is_unknown(monkeypatch, rows, subsamples):
    matrix = blobs(per_blob=12)[:rows]
    model = fit(blobs(), 4)
    spy = Spy(monkeypatch)
    stable = quality.stability(matrix, COLUMNS, COLUMNS, model, "kmeans", SEED, 1, subsamples)
    assert spy.fits == []
    assert math.isnan(stable.mean_ari)
    assert stable.segment_jaccard.shape == (4,)
    assert np.isnan(stable.segment_jaccard).all()

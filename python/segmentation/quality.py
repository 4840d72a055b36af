"""How far to trust a segmentation: quality per k, structure against a null reference, stability.

All of it runs on a bounded, seeded sample (the quality sample), so its cost does not grow with
the number of users.

Rules (README "Reading the verdict" repeats them for users):

- **Choosing k** (`n_clusters: auto`): the candidate k with the highest silhouette; ties go to
  the smaller k.
- **Structure verdict**: the same pipeline (same scaling, algorithm, k, seed) is run on
  `null_draws` copies of the sample in which each feature (a numeric column, or all 0/1 columns
  of one categorical feature together) is permuted independently: the marginals stay, any
  structure between features goes. With s the silhouette of the real fit and m, sd the mean and
  sample standard deviation (n - 1; 0 for a single draw) of the null silhouettes:
  **strong** when s - m >= 0.15 and s >= 0.25 and z = (s - m) / sd >= 3;
  **weak** when s - m >= 0.03 and z >= 2; **none** otherwise (also when s, m or sd is unknown).
  sd is taken as at least 0.001 (:data:`MIN_NULL_STD`), so that z stays finite when every
  shuffled copy scores the same; this never changes the verdict (a verdict above none needs
  s - m >= 0.03, i.e. z >= 30 at that floor). :func:`classify` applies these rules.
- **Stability**: `subsamples` refits on seeded 80% subsamples. For each, the adjusted Rand index
  between its labels and the full fit's labels on the same rows; the mean is the segmentation's
  stability. Per segment: the Jaccard index between the segment's rows and the best-matching
  refit segment, averaged over refits. A segment below var `unstable_jaccard` (default 0.75) is
  flagged unstable (segmentation.naming.caveat, with what that means for its name). Stability is
  unknown (NaN) when it is not measured: `subsamples` 0, or a subsample would not have more
  users than k.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)

from segmentation.clustering import SegmentModel, fit_segments

STRONG_GAIN = 0.15
STRONG_SILHOUETTE = 0.25
STRONG_Z = 3.0
WEAK_GAIN = 0.03
WEAK_Z = 2.0
MIN_NULL_STD = 1e-3
SILHOUETTE_SAMPLE = 3000


@dataclass(frozen=True)
class Verdict:
    verdict: str  # strong | weak | none
    silhouette: float
    null_silhouette_mean: float
    null_silhouette_std: float
    z_score: float


@dataclass(frozen=True)
class Stability:
    mean_ari: float
    segment_jaccard: np.ndarray  # per segment index of the full fit


def silhouette(scaled: np.ndarray, labels: np.ndarray, random_seed: int) -> float:
    """Silhouette on at most SILHOUETTE_SAMPLE seeded rows (it is quadratic in rows)."""
    if len(np.unique(labels)) < 2:
        return float("nan")
    size = min(len(labels), SILHOUETTE_SAMPLE)
    return float(silhouette_score(scaled, labels, sample_size=size, random_state=random_seed))


def sweep(
    matrix: np.ndarray,
    columns: Sequence[str],
    scaled_columns: Sequence[str],
    candidates: Sequence[int],
    algorithm: str,
    random_seed: int,
    n_init: int,
) -> pd.DataFrame:
    """Inertia, silhouette, Calinski-Harabasz and Davies-Bouldin for each candidate k."""
    rows = []
    for k in candidates:
        if k >= len(matrix):
            continue
        model = fit_segments(matrix, columns, scaled_columns, k, algorithm, random_seed, n_init)
        scaled = model.transform(matrix)
        distinct = len(np.unique(model.labels))
        rows.append(
            {
                "n_clusters": int(k),
                "inertia": model.inertia,
                "silhouette": silhouette(scaled, model.labels, random_seed),
                "calinski_harabasz": float(calinski_harabasz_score(scaled, model.labels))
                if distinct > 1
                else float("nan"),
                "davies_bouldin": float(davies_bouldin_score(scaled, model.labels))
                if distinct > 1
                else float("nan"),
            }
        )
    return pd.DataFrame(
        rows, columns=["n_clusters", "inertia", "silhouette", "calinski_harabasz", "davies_bouldin"]
    )


def choose_k(metrics: pd.DataFrame) -> int:
    """The k with the highest silhouette; ties to the smaller k."""
    usable = metrics.dropna(subset=["silhouette"])
    if usable.empty:
        raise ValueError("no candidate number of segments could be evaluated")
    best = usable.sort_values(["silhouette", "n_clusters"], ascending=[False, True]).iloc[0]
    return int(best["n_clusters"])


def feature_groups(columns: Sequence[str], scaled_columns: Sequence[str]) -> list[list[int]]:
    """Column positions that move together under permutation: each numeric column alone, the
    0/1 columns of one categorical feature (named `<feature>__<value>`) as one block."""
    groups: dict[str, list[int]] = {}
    for position, name in enumerate(columns):
        key = name if name in scaled_columns else name.split("__")[0]
        groups.setdefault(key, []).append(position)
    return list(groups.values())


def permuted(matrix: np.ndarray, groups: list[list[int]], rng: np.random.Generator) -> np.ndarray:
    """A copy with each feature group's rows shuffled independently."""
    result = matrix.copy()
    for group in groups:
        result[:, group] = matrix[rng.permutation(len(matrix))][:, group]
    return result


def structure_verdict(
    matrix: np.ndarray,
    columns: Sequence[str],
    scaled_columns: Sequence[str],
    model: SegmentModel,
    algorithm: str,
    random_seed: int,
    n_init: int,
    draws: int,
) -> Verdict:
    """Compare the model's silhouette on `matrix` with the same pipeline on permuted copies."""
    real = silhouette(model.transform(matrix), model.predict(matrix), random_seed)
    rng = np.random.default_rng(random_seed)
    groups = feature_groups(columns, scaled_columns)
    null = []
    for _ in range(draws):
        shuffled = permuted(matrix, groups, rng)
        null_model = fit_segments(
            shuffled, columns, scaled_columns, model.n_clusters, algorithm, random_seed, n_init
        )
        null.append(silhouette(null_model.transform(shuffled), null_model.labels, random_seed))
    mean = float(np.nanmean(null)) if null else float("nan")
    std = float(np.nanstd(null, ddof=1)) if draws > 1 else 0.0
    return classify(real, mean, std)


def classify(real: float, null_mean: float, null_std: float) -> Verdict:
    """The verdict for silhouette `real` against shuffled copies scoring `null_mean` +- `null_std`
    (the rules in the module docstring and README 'Reading the verdict')."""
    gain = real - null_mean
    z = gain / float(np.maximum(null_std, MIN_NULL_STD))  # NaN stays NaN: verdict none
    if gain >= STRONG_GAIN and real >= STRONG_SILHOUETTE and z >= STRONG_Z:
        verdict = "strong"
    elif gain >= WEAK_GAIN and z >= WEAK_Z:
        verdict = "weak"
    else:
        verdict = "none"
    return Verdict(verdict, real, null_mean, null_std, float(z))


def best_match_jaccard(reference: np.ndarray, other: np.ndarray, k: int) -> np.ndarray:
    """For each reference segment, the best Jaccard index with any segment of `other`."""
    scores = np.full(k, np.nan)
    for segment in range(k):
        members = reference == segment
        if not members.any():
            continue
        best = 0.0
        for candidate in np.unique(other):
            mates = other == candidate
            union = np.logical_or(members, mates).sum()
            best = max(best, np.logical_and(members, mates).sum() / union)
        scores[segment] = best
    return scores


def stability(
    matrix: np.ndarray,
    columns: Sequence[str],
    scaled_columns: Sequence[str],
    model: SegmentModel,
    algorithm: str,
    random_seed: int,
    n_init: int,
    subsamples: int,
    fraction: float = 0.8,
) -> Stability:
    """Refit on seeded subsamples of `matrix`; compare with the model's own labels there."""
    rng = np.random.default_rng(random_seed + 1)
    k = model.n_clusters
    labels = model.predict(matrix)
    aris, jaccards = [], []
    size = int(round(fraction * len(matrix)))
    for _ in range(subsamples if size > k else 0):
        rows = np.sort(rng.choice(len(matrix), size=size, replace=False))
        refit = fit_segments(
            matrix[rows], columns, scaled_columns, k, algorithm, random_seed, n_init
        )
        aris.append(adjusted_rand_score(labels[rows], refit.labels))
        jaccards.append(best_match_jaccard(labels[rows], refit.labels, k))
    if not aris:
        return Stability(float("nan"), np.full(k, np.nan))
    with np.errstate(all="ignore"):
        return Stability(float(np.mean(aris)), np.nanmean(np.array(jaccards), axis=0))

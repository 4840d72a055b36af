"""The glue between dbt Python models and the package: relations in, small DataFrames out.

Everything here reads only what it needs (bounded, seeded samples) so that the Python side
stays small however many users there are. A relation is read in one place, read_frame, and a
model's own previous table is found in one, previous_relation: another engine (a Spark
DataFrame instead of a DuckDB relation) is swapped in there.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import platform
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from segmentation import identity, quality
from segmentation.catalogue import Catalogue
from segmentation.clustering import (
    CENTROID_DTYPES,
    SegmentationSettingError,
    SegmentModel,
    fit_segments,
)
from segmentation.naming import caveat as naming_caveat
from segmentation.naming import name_segments, with_note
from segmentation.settings import ClusteringSettings

logger = logging.getLogger(__name__)

ID_COLUMNS = ("user_id", "source_row_number")

RUN_DTYPES: dict[str, str] = {
    "run_id": "object",
    "run_started_at": "datetime64[us]",
    "refit_reason": "object",
    "input_rows": "int64",
    "input_fingerprint": "object",
    "fit_rows": "int64",
    "quality_rows": "int64",
    "n_clusters": "int64",
    "algorithm": "object",
    "random_seed": "int64",
    "n_init": "int64",
    "inertia": "float64",
    "fit_mean_sq_distance": "float64",
    "silhouette": "float64",
    "null_silhouette_mean": "float64",
    "null_silhouette_std": "float64",
    "structure_z_score": "float64",
    "structure_verdict": "object",
    "stability_ari": "float64",
    "settings_json": "object",
    "versions_json": "object",
    "sweep_json": "object",
}

HISTORY_DTYPES: dict[str, str] = {
    **RUN_DTYPES,
    "segment_id": "int64",
    **{name: dtype for name, dtype in CENTROID_DTYPES.items() if name != "segment_index"},
    "segment_fit_users": "int64",
    "segment_stability_jaccard": "float64",
}


# --- the engine seam: the only code that reads a relation ------------------------------------


def is_spark(value: Any) -> bool:
    """Whether a relation or session is Spark's (dbt-spark, Databricks) rather than DuckDB's."""
    return type(value).__module__.startswith("pyspark.")


def read_frame(relation: Any, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A dbt relation as a pandas DataFrame, all its columns or the named ones, rows in the
    relation's order: a DuckDB relation's own, a Spark DataFrame's (which a table does not
    keep) by ``source_row_number`` where it has one. Every Python model reads its inputs
    through this function, so porting them to another engine changes this function only.

    A DataFrame with ``to_pandas`` (Snowpark on Snowflake, BigQuery DataFrames) is read with it,
    its column names in lower case (Snowflake upper-cases unquoted names), then put in
    ``source_row_number`` order in pandas. Neither is tested on its engine here (README,
    Engines)."""
    if is_spark(relation):
        if "source_row_number" in relation.columns:
            relation = relation.orderBy("source_row_number")
        selected = relation.select(*columns) if columns is not None else relation
        return selected.toPandas()
    if hasattr(relation, "to_pandas"):
        frame = relation.to_pandas()
        frame.columns = [str(name).lower() for name in frame.columns]
        if "source_row_number" in frame.columns:
            frame = frame.sort_values("source_row_number", kind="stable").reset_index(drop=True)
        return frame[list(columns)] if columns is not None else frame
    selected = relation.select(*columns) if columns is not None else relation
    return selected.df()


# Type names of DuckDB (upper case) and Spark (lower case) by kind; a decimal or a list has
# parameters, e.g. DECIMAL(18,3), VARCHAR[], decimal(18,3), array<string>.
_NUMBER_TYPES = frozenset(
    [
        "tinyint",
        "smallint",
        "integer",
        "int",
        "bigint",
        "hugeint",
        "utinyint",
        "usmallint",
        "uinteger",
        "ubigint",
        "uhugeint",
        "float",
        "real",
        "double",
        "decimal",
        "long",
        "short",
        "byte",
    ]
)
_TEXT_TYPES = frozenset({"varchar", "string", "text"})


def type_kind(type_name: str) -> str:
    """``number``, ``text``, ``boolean``, ``list`` or ``other`` for an engine's type name."""
    name = str(type_name).strip().lower()
    if name.endswith("[]") or name.startswith("array<"):
        return "list"
    base = name.split("(")[0].strip()
    if base == "boolean":
        return "boolean"
    if base in _NUMBER_TYPES:
        return "number"
    if base in _TEXT_TYPES:
        return "text"
    return "other"


def column_kinds(relation: Any) -> dict[str, str]:
    """Each column of a relation, by name, with its kind (type_kind), in column order."""
    if is_spark(relation):
        return {name: type_kind(kind) for name, kind in relation.dtypes}
    return {
        name: type_kind(str(kind))
        for name, kind in zip(relation.columns, relation.types, strict=True)
    }


def sql_dialect(relation: Any) -> str:
    """The SQL the rule segments' conditions are compiled to for a relation's engine."""
    return "spark" if is_spark(relation) else "duckdb"


def previous_relation(session: Any, this: Any, columns: Sequence[str] | None = None) -> Any:
    """The model's own table from the build before (``dbt.this``), or None when there is none
    yet: a query of the warehouse, so it is engine-specific and lives beside read_frame."""
    if is_spark(session):
        from pyspark.errors import AnalysisException as missing_table
    else:
        from duckdb import Error as missing_table

    selected = ", ".join(columns) if columns else "*"
    try:
        return session.sql(f"select {selected} from {this}")
    except missing_table:
        return None


def as_matrix(relation, columns: list[str]) -> np.ndarray:
    """The named numeric columns of a relation as a float64 matrix (rows in relation order)."""
    if not columns:
        return np.empty((0, 0))
    # Row-major, as the fits have always seen it: a column-major copy of the same values
    # changes the order sums are taken in, and so the last bits of the fitted centres.
    return np.ascontiguousarray(read_frame(relation, columns).to_numpy(dtype=np.float64))


def model_columns(relation) -> list[str]:
    return [name for name in relation.columns if name not in ID_COLUMNS]


def empty_history() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in HISTORY_DTYPES.items()})


def library_versions() -> dict[str, str]:
    import scipy
    import sklearn

    versions = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
        "scipy": scipy.__version__,
    }
    # The engine's: each virtualenv has one of them (.venv DuckDB, .venv-spark pyspark).
    for engine in ("duckdb", "pyspark"):
        with contextlib.suppress(ImportError):
            versions[engine] = importlib.import_module(engine).__version__
    return versions


def stored_model(history: pd.DataFrame) -> tuple[pd.DataFrame, SegmentModel | None]:
    """The latest run's rows of the history and the model they describe."""
    if history.empty:
        return history, None
    latest = history[history["run_id"] == history.sort_values("run_started_at")["run_id"].iloc[-1]]
    latest = latest.sort_values(["segment_id", "column_position"])
    segment_ids = sorted(latest["segment_id"].unique())
    first = latest[latest["segment_id"] == segment_ids[0]]
    centroids = np.vstack(
        [latest.loc[latest["segment_id"] == s, "centroid_scaled"].to_numpy() for s in segment_ids]
    )
    model = SegmentModel(
        columns=tuple(first["model_column"]),
        is_scaled=tuple(bool(flag) for flag in first["is_scaled"]),
        centers=first["center"].to_numpy(dtype=np.float64),
        scales=first["scale"].to_numpy(dtype=np.float64),
        centroids=centroids,
        labels=np.empty(0, dtype=int),
        inertia=float(first["inertia"].iloc[0]),
    )
    return latest, model


def stored_matrix(model: SegmentModel, relation, columns: list[str]) -> np.ndarray:
    """Today's inputs laid out in the stored model's columns. A category the model never saw
    (a 0/1 column it doesn't have) is dropped: such a user is equally far from every centroid on
    that feature. A numeric feature the model doesn't have can't be scored without a refit."""
    missing = [
        name
        for name, scaled in zip(model.columns, model.is_scaled, strict=True)
        if name not in columns and scaled
    ]
    new_numeric = [name for name in columns if "__" not in name and name not in model.columns]
    if missing or new_numeric:
        stored = [n for n, scaled in zip(model.columns, model.is_scaled, strict=True) if scaled]
        raise SegmentationSettingError(
            "refit: false, but numeric_features differ from the stored model's "
            f"({', '.join(stored)}); set the dbt var refit: true to fit a new model"
        )
    present = [name for name in model.columns if name in columns]
    matrix = as_matrix(relation, present)
    full = np.zeros((len(matrix), len(model.columns)))
    for position, name in enumerate(model.columns):
        if name in present:
            full[:, position] = matrix[:, present.index(name)]
    return full


def fit_run(
    run,
    fit_sample,
    quality_sample,
    history,
    settings: ClusteringSettings,
) -> pd.DataFrame:
    """int_segment_model_history: this run's fitted model, or no rows when the stored one is kept.

    `history` is the model's own earlier rows (None on the first run). See segmentation.quality
    and segmentation.identity for the rules.
    """
    run_row = read_frame(run).iloc[0] if run is not None else None
    if run_row is None or int(run_row["input_rows"]) == 0:
        # Only `dbt build --empty` gets here (an input with no valid rows stops at the
        # rejected-share check): keep the table's shape, add no rows.
        return empty_history()
    numeric = list(settings.numeric_features)
    requested_k = settings.n_clusters
    algorithm = settings.algorithm
    seed = settings.random_seed
    n_init = settings.n_init
    # The sweep, null reference and stability refits are many fits on the quality sample;
    # they use fewer restarts than the model itself (var quality_n_init).
    quality_n_init = settings.quality_n_init
    refit = settings.refit
    columns = model_columns(fit_sample)

    previous_rows = read_frame(history) if history is not None else empty_history()
    latest, stored = stored_model(previous_rows)
    quality_matrix = as_matrix(quality_sample, columns)

    if not refit and stored is not None:
        today = stored_matrix(stored, quality_sample, columns)
        scaled = stored.transform(today)
        nearest = np.min(
            np.stack([((scaled - c) ** 2).sum(axis=1) for c in stored.centroids], axis=1), axis=1
        )
        drift = identity.drift(float(nearest.mean()), float(latest["fit_mean_sq_distance"].iloc[0]))
        threshold = settings.drift_threshold
        if drift <= threshold:
            logger.info(
                "refit: false and drift %.3f <= %.3f: scoring with run %s",
                drift,
                threshold,
                latest["run_id"].iloc[0],
            )
            return empty_history()
        refit_reason = f"drift {drift:.3f} > drift_threshold {threshold}"
    elif stored is None:
        refit_reason = "first run" if refit else "refit: false, but no stored model yet"
    else:
        refit_reason = "refit: true"

    candidates = settings.candidates
    # One thread per fit: OpenMP threads contending with DuckDB (dbt runs models side by side)
    # for the cores made the fits several times slower, not faster.
    with threadpool_limits(limits=1):
        metrics = quality.sweep(
            quality_matrix, columns, numeric, candidates, algorithm, seed, quality_n_init
        )
    k = quality.choose_k(metrics) if requested_k == "auto" else int(requested_k)

    fit_matrix = as_matrix(fit_sample, columns)
    with threadpool_limits(limits=1):
        model = fit_segments(fit_matrix, columns, numeric, k, algorithm, seed, n_init)
        verdict = quality.structure_verdict(
            quality_matrix,
            columns,
            numeric,
            model,
            algorithm,
            seed,
            quality_n_init,
            settings.null_draws,
        )
        stable = quality.stability(
            quality_matrix,
            columns,
            numeric,
            model,
            algorithm,
            seed,
            quality_n_init,
            settings.stability_subsamples,
        )

    previous_centroids = {}
    if stored is not None:
        for segment_id, rows in latest.groupby("segment_id"):
            previous_centroids[int(segment_id)] = dict(
                zip(rows["model_column"], rows["centroid_value"], strict=True)
            )
    used_ids = [int(value) for value in previous_rows["segment_id"].unique()]
    segment_ids = identity.align_segment_ids(
        model.centroids,
        model.columns,
        model.scales,
        model.centers,
        previous_centroids,
        used_ids,
        settings.identity_max_distance,
    )

    metrics["is_selected"] = metrics["n_clusters"] == k
    frame = model.to_frame()
    index = frame.pop("segment_index").to_numpy()
    frame.insert(0, "segment_id", np.array(segment_ids)[index])
    frame["segment_fit_users"] = np.bincount(model.labels, minlength=k)[index]
    frame["segment_stability_jaccard"] = stable.segment_jaccard[index]
    run_values = {
        "run_id": str(run_row["run_id"]),
        "run_started_at": pd.Timestamp(run_row["run_started_at"]),
        "refit_reason": refit_reason,
        "input_rows": int(run_row["input_rows"]),
        "input_fingerprint": str(run_row["input_fingerprint"]),
        "fit_rows": len(fit_matrix),
        "quality_rows": len(quality_matrix),
        "n_clusters": k,
        "algorithm": algorithm,
        "random_seed": seed,
        "n_init": n_init,
        "inertia": model.inertia,
        "fit_mean_sq_distance": model.inertia / len(fit_matrix),
        "silhouette": verdict.silhouette,
        "null_silhouette_mean": verdict.null_silhouette_mean,
        "null_silhouette_std": verdict.null_silhouette_std,
        "structure_z_score": verdict.z_score,
        "structure_verdict": verdict.verdict,
        "stability_ari": stable.mean_ari,
        "settings_json": str(run_row["settings_json"]),
        "versions_json": json.dumps(library_versions(), sort_keys=True),
        "sweep_json": metrics.to_json(orient="records"),
    }
    for name, value in run_values.items():
        frame[name] = value
    return frame[list(HISTORY_DTYPES)].astype(HISTORY_DTYPES)


PERSONA_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "segment_name",
    "name_qualifier",
    "description",
    "persona_rule",
    "is_unstable",
)


def name_personas(
    profiles,
    trust,
    unstable_jaccard: float,
    catalogue: Catalogue | None = None,
    previous=None,
) -> pd.DataFrame:
    """int_segment_personas: names and descriptions from the (small) segment profiles; a
    segment keeps its previous name while that name's rule still holds. `trust` holds each
    segment's ``structure_verdict`` and ``segment_stability_jaccard`` (int_segment_centroids):
    the name's qualifier, the description's caution and ``is_unstable`` come from them
    (segmentation.naming.caveat, with var unstable_jaccard). ``catalogue``: the metrics names
    are made of (default: the project's)."""
    earlier = read_frame(previous) if previous is not None else None
    named = name_segments(read_frame(profiles), previous=earlier, catalogue=catalogue)
    trust_columns = ["segment_id", "structure_verdict", "segment_stability_jaccard"]
    runs = read_frame(trust, trust_columns).drop_duplicates("segment_id").set_index("segment_id")
    caveats = [
        naming_caveat(
            str(runs.loc[segment_id, "structure_verdict"]),
            _float_or_none(runs.loc[segment_id, "segment_stability_jaccard"]),
            unstable_jaccard,
        )
        for segment_id in named["segment_id"]
    ]
    # "str", not object: a column of nulls only must still be text (VARCHAR) in DuckDB.
    named["name_qualifier"] = pd.Series([c.qualifier for c in caveats], dtype="str")
    named["description"] = [
        with_note(text, c.note) for text, c in zip(named["description"], caveats, strict=True)
    ]
    named["is_unstable"] = pd.Series([c.is_unstable for c in caveats], dtype="bool")
    return named[list(PERSONA_COLUMNS)]


def _float_or_none(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)

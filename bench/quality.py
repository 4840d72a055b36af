"""Quality of the project's segments at a benchmark size.

Inertia of the fitted centroids on all users against a full-data KMeans, and agreement between
two labellings (adjusted Rand index) from their contingency counts: all computed in DuckDB, so
10M users is fine.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import yaml

from segmentation.settings import profile_setting

PROJECT_DIR = Path(__file__).resolve().parents[1]


def find_relation(connection, table: str, catalog: str | None = None) -> str:
    """Quoted name of `table` in whichever schema dbt built it (first schema alphabetically)."""
    sql = "select table_catalog, table_schema from information_schema.tables where table_name = ?"
    parameters: list[Any] = [table]
    if catalog is not None:
        sql += " and table_catalog = ?"
        parameters.append(catalog)
    rows = connection.execute(sql + " order by 2", parameters).fetchall()
    if not rows:
        raise LookupError(f"no table {table} in the warehouse")
    database, schema = rows[0]
    return f'"{database}"."{schema}"."{table}"'


@dataclass(frozen=True)
class FittedCentroids:
    """Centroids in the input (unscaled) space, with how the model scaled each column."""

    columns: tuple[str, ...]
    is_scaled: tuple[bool, ...]
    scales: np.ndarray  # per column (1 for unscaled columns)
    values: np.ndarray  # k x columns, unscaled
    fit_rows: int | None = None
    input_rows: int | None = None
    # Fit settings the table records about itself (random_seed, n_init, algorithm), if any.
    settings: dict[str, Any] = field(default_factory=dict)


def read_centroids(connection, relation: str) -> FittedCentroids:
    """int_segment_centroids as arrays (its long table: one row per segment and model column).

    Reads the columns scoring needs (model_column, column_position, is_scaled, scale,
    centroid_value, and segment_index or segment_id); fit_rows and input_rows when present.
    """
    available = {row[0] for row in connection.sql(f"describe {relation}").fetchall()}
    segment = next((name for name in ("segment_index", "segment_id") if name in available), None)
    needed = {"model_column", "column_position", "is_scaled", "scale", "centroid_value"}
    if segment is None or not needed <= available:
        missing = sorted(needed - available) + ([] if segment else ["segment_index"])
        raise LookupError(f"{relation} lacks the columns {', '.join(missing)}")
    rows = connection.sql(
        f"select {segment}, column_position, model_column, is_scaled, scale, centroid_value"
        f" from {relation} order by {segment}, column_position"
    ).fetchall()
    if not rows:
        raise LookupError(f"{relation} has no rows")
    columns = {
        position: (name, bool(scaled), scale) for _, position, name, scaled, scale, _ in rows
    }
    positions = sorted(columns)
    segments = sorted({row[0] for row in rows})
    values = np.full((len(segments), len(positions)), np.nan)
    for key, position, *_, value in rows:
        values[segments.index(key), positions.index(position)] = value
    counts = [
        connection.sql(f"select max({name}) from {relation}").fetchall()[0][0]
        if name in available
        else None
        for name in ("fit_rows", "input_rows")
    ]
    recorded = [name for name in ("random_seed", "n_init", "algorithm") if name in available]
    settings = {}
    if recorded:
        values_row = connection.sql(
            f"select {', '.join(f'max({name})' for name in recorded)} from {relation}"
        ).fetchall()[0]
        settings = {
            name: value
            for name, value in zip(recorded, values_row, strict=True)
            if value is not None
        }
    return FittedCentroids(
        columns=tuple(columns[position][0] for position in positions),
        is_scaled=tuple(columns[position][1] for position in positions),
        scales=np.array([columns[position][2] for position in positions], dtype=float),
        values=values,
        fit_rows=counts[0],
        input_rows=counts[1],
        settings=settings,
    )


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def centroid_inertias(
    connection,
    inputs_relation: str,
    centroids: FittedCentroids,
    scalings: Sequence[Sequence[float] | None],
) -> list[float]:
    """Sum over all users of the squared distance to the nearest centroid, in DuckDB, once per
    scaling in ``scalings``, all in one scan of the inputs (at 100M users the inputs are a view
    over the whole staging chain, so each scan is minutes).

    Distances are taken in a standard-scaled space. A scaling of ``None`` divides the scaled
    columns by every user's (population) deviation: the space a full-data fit minimises in; that
    needs one more scan, for the variances. A sequence of scales (one per column, e.g. the ones
    the model stored from its fit sample) is used as given. Since
    ``(x - m) / s - (v - m) / s = (x - v) / s``, centres don't matter.
    """
    population = [
        f"(1.0 / stats.{_quoted(name + '__var')})" if scaled else "1.0"
        for name, scaled in zip(centroids.columns, centroids.is_scaled, strict=True)
    ]
    sums = []
    for scales in scalings:
        weights = (
            population if scales is None else [f"{1.0 / float(scale) ** 2!r}" for scale in scales]
        )
        distances = []
        for centroid in centroids.values:
            terms = [
                f"{weight} * power(inputs.{_quoted(name)} - {float(value)!r}, 2)"
                for name, weight, value in zip(centroids.columns, weights, centroid, strict=True)
            ]
            distances.append(" + ".join(terms))
        sums.append(f"sum(least({', '.join(distances)}))")
    if not sums:
        return []
    if all(scales is not None for scales in scalings):
        sql = f"select {', '.join(sums)} from {inputs_relation} as inputs"
    else:
        variances = ", ".join(
            f"var_pop({_quoted(name)}) as {_quoted(name + '__var')}"
            for name, scaled in zip(centroids.columns, centroids.is_scaled, strict=True)
            if scaled
        )
        sql = (
            f"with stats as (select {variances or '1 as unused'} from {inputs_relation}) "
            f"select {', '.join(sums)} from {inputs_relation} as inputs cross join stats"
        )
    return [float(value) for value in connection.sql(sql).fetchall()[0]]


def centroid_inertia(
    connection,
    inputs_relation: str,
    centroids: FittedCentroids,
    scales: Sequence[float] | None = None,
) -> float:
    """`centroid_inertias` for one scaling: ``None`` (every user's deviations) or ``scales``."""
    return centroid_inertias(connection, inputs_relation, centroids, [scales])[0]


def reference_centroids(
    connection,
    inputs_relation: str,
    columns: Sequence[str],
    is_scaled: Sequence[bool],
    n_clusters: int,
    random_seed: int,
    n_init: int,
) -> tuple[FittedCentroids, float]:
    """A full-data fit: StandardScaler on the scaled columns of every user (in input-file order,
    as a notebook reading the file sees them), KMeans with the same settings. Returns the
    centroids in the input space and sklearn's inertia."""
    from sklearn.cluster import KMeans

    arrays = connection.sql(
        f"select {', '.join(_quoted(name) for name in columns)} from {inputs_relation} "
        "order by source_row_number"
    ).fetchnumpy()
    matrix = np.column_stack([np.asarray(arrays[name], dtype=np.float64) for name in columns])
    del arrays
    mask = np.array(is_scaled, dtype=bool)
    centers = np.where(mask, matrix.mean(axis=0), 0.0)
    scales = np.where(mask, matrix.std(axis=0), 1.0)
    matrix -= centers
    matrix /= scales
    fitted = KMeans(n_clusters=n_clusters, random_state=random_seed, n_init=n_init).fit(matrix)
    values = fitted.cluster_centers_ * scales + centers
    return (
        FittedCentroids(
            columns=tuple(columns),
            is_scaled=tuple(bool(flag) for flag in is_scaled),
            scales=scales,
            values=values,
            fit_rows=matrix.shape[0],
            input_rows=matrix.shape[0],
        ),
        float(fitted.inertia_),
    )


def _pairs(count: int) -> int:
    return count * (count - 1) // 2


def adjusted_rand_from_counts(counts: Iterable[tuple[Any, Any, int]]) -> float:
    """Adjusted Rand index from contingency counts (label a, label b, users with both).

    Same value as sklearn.metrics.adjusted_rand_score on the labellings behind the counts.
    """
    rows: dict[Any, int] = {}
    columns: dict[Any, int] = {}
    index = 0
    total = 0
    for label_a, label_b, count in counts:
        count = int(count)
        rows[label_a] = rows.get(label_a, 0) + count
        columns[label_b] = columns.get(label_b, 0) + count
        index += _pairs(count)
        total += count
    if total < 2:
        return 1.0
    sum_rows = sum(_pairs(count) for count in rows.values())
    sum_columns = sum(_pairs(count) for count in columns.values())
    expected = sum_rows * sum_columns / _pairs(total)
    maximum = (sum_rows + sum_columns) / 2
    if maximum == expected:
        # Both labellings put everyone together, or everyone apart: they agree.
        return 1.0
    return float((index - expected) / (maximum - expected))


def contingency_counts(connection, sql: str) -> list[tuple[Any, Any, int]]:
    """Run a `select label_a, label_b, count(*) … group by 1, 2` query."""
    return [(row[0], row[1], int(row[2])) for row in connection.sql(sql).fetchall()]


def clustering_settings(manifest_path: Path) -> tuple[dict[str, Any], str | None]:
    """random_seed, n_init, algorithm and fit_sample_size as the build used them.

    From the config of the model that fits (dbt hands Python models their settings as config),
    else from dbt_project.yml's vars, else the notebook's values.
    """
    settings: dict[str, Any] = {"random_seed": 42, "n_init": 10, "algorithm": "kmeans"}
    settings["fit_sample_size"] = None
    found: set[str] = set()
    try:
        project_vars = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        project_vars = {}
    for key in settings:
        if key in project_vars:
            settings[key] = project_vars[key]
            found.add(key)
    try:
        nodes = json.loads(manifest_path.read_text())["nodes"]
    except (OSError, ValueError, KeyError):
        nodes = {}
    preferred = ("int_segment_centroids", "int_segment_model_history")
    fitting = sorted(
        (
            node
            for node in nodes.values()
            if node.get("resource_type") == "model"
            and {"random_seed", "n_init"} <= set(node.get("config", {}))
        ),
        key=lambda node: (
            preferred.index(node["name"]) if node["name"] in preferred else len(preferred)
        ),
    )
    if fitting:
        config = fitting[0]["config"]
        for key in settings:
            if config.get(key) is not None:
                value = config[key]
                settings[key] = json.loads(value) if isinstance(value, str) else value
                found.add(key)
    missing = [key for key in ("random_seed", "n_init") if key not in found]
    note = f"{', '.join(missing)} not found in the build: assumed 42 / 10" if missing else None
    return settings, note


def read_verdict(database: Path) -> str | None:
    """The structure verdict (strong, weak, none) the build recorded: dim_segmentation_runs'
    latest run (None when the warehouse has no such table or row)."""
    if not Path(database).exists():
        return None
    with duckdb.connect() as connection:
        connection.execute(f"attach '{database}' as built (read_only)")
        try:
            relation = find_relation(connection, "dim_segmentation_runs", "built")
        except LookupError:
            return None
        columns = {row[0] for row in connection.sql(f"describe {relation}").fetchall()}
        order = "is_latest desc, " if "is_latest" in columns else ""
        rows = connection.sql(
            f"select structure_verdict from {relation} order by {order}run_started_at desc limit 1"
        ).fetchall()
    return rows[0][0] if rows else None


def measure_quality(entry: dict[str, Any], reference_max_size: int) -> dict[str, Any]:
    """Inertia on all users vs a full-data fit (up to `reference_max_size` users); ARI against
    the peer and between the builds (an entry without a CSV build: the Parquet build's alone)."""
    runs = entry["runs"]
    missing = {"status": "not run", "database": ""}
    csv_run, parquet_run = runs.get("csv") or missing, runs.get("parquet") or missing
    peer_run = runs.get("peer") or {}
    quality: dict[str, Any] = {}
    notes = []
    candidates = [run for run in (csv_run, parquet_run) if run["status"] == "ok"] or [
        run for run in (csv_run, parquet_run) if run["database"] and Path(run["database"]).exists()
    ]
    if not candidates:
        return {"note": "no warehouse to measure"}
    ours = candidates[0]
    if ours["status"] != "ok":
        notes.append(f"from the tables a failed build left ({ours['database']})")
    elif ours is parquet_run and csv_run is not missing:
        notes.append("measured on the Parquet build (the CSV build failed)")
    # Within the build's memory_limit: at 100M users the scans below spill rather than take
    # most of the machine.
    limit = profile_setting("SEGMENTATION_DUCKDB_MEMORY_LIMIT")
    with duckdb.connect(config={"memory_limit": limit} if limit else {}) as connection:
        connection.execute(f"attach '{ours['database']}' as ours (read_only)")
        centroids_relation = find_relation(connection, "int_segment_centroids", "ours")
        inputs_relation = find_relation(connection, "int_user_cluster_inputs", "ours")
        segments_relation = find_relation(connection, "fct_user_segments", "ours")
        fitted = read_centroids(connection, centroids_relation)
        settings, note = clustering_settings(Path(ours["manifest"]))
        settings.update(fitted.settings)  # what the fitted table says it used comes first
        if note and not {"random_seed", "n_init"} <= set(fitted.settings):
            notes.append(note)
        quality.update(
            fit_rows=fitted.fit_rows,
            input_rows=fitted.input_rows,
            n_clusters=len(fitted.values),
            settings=settings,
        )
        quality["project_inertia"], quality["project_inertia_model_scaling"] = centroid_inertias(
            connection, inputs_relation, fitted, [None, fitted.scales]
        )
        if entry["users"] <= reference_max_size:
            started = time.perf_counter()
            reference, sklearn_inertia = reference_centroids(
                connection,
                inputs_relation,
                fitted.columns,
                fitted.is_scaled,
                n_clusters=len(fitted.values),
                random_seed=int(settings["random_seed"]),
                n_init=int(settings["n_init"]),
            )
            quality["reference_seconds"] = time.perf_counter() - started
            quality["reference_inertia_sklearn"] = sklearn_inertia
            reference_inertia, reference_inertia_model_scaling = centroid_inertias(
                connection, inputs_relation, reference, [None, fitted.scales]
            )
            quality["reference_inertia"] = reference_inertia
            quality["inertia_ratio"] = quality["project_inertia"] / reference_inertia
            quality["inertia_ratio_model_scaling"] = (
                quality["project_inertia_model_scaling"] / reference_inertia_model_scaling
            )
        else:
            notes.append(f"reference fit not run above {reference_max_size:,} users")
        users = connection.sql(f"select count(*) from {segments_relation}").fetchall()[0][0]
        if peer_run.get("status") == "ok":
            counts = contingency_counts(
                connection,
                f"""
                select ours.segment_id, peer.cluster, count(*)
                from {segments_relation} as ours
                inner join (
                    select "User ID" as user_id, "Cluster" as cluster
                    from read_csv('{peer_run["assignments"]}', header = true, all_varchar = true)
                ) as peer
                    on ours.user_id = peer.user_id
                group by 1, 2
                """,
            )
            matched = sum(count for *_, count in counts)
            quality["ari_vs_peer"] = adjusted_rand_from_counts(counts)
            quality["peer_matched_users"] = matched
            if matched != users:
                notes.append(f"only {matched:,} of {users:,} users matched the peer's ids")
        if csv_run["status"] == "ok" and parquet_run["status"] == "ok":
            connection.execute(f"attach '{parquet_run['database']}' as theirs (read_only)")
            other = find_relation(connection, "fct_user_segments", "theirs")
            counts = contingency_counts(
                connection,
                f"""
                select ours.segment_id, theirs.segment_id, count(*)
                from {segments_relation} as ours
                inner join {other} as theirs
                    on ours.user_id = theirs.user_id
                group by 1, 2
                """,
            )
            quality["ari_csv_vs_parquet"] = adjusted_rand_from_counts(counts)
    quality["segmented_users"] = users
    quality["note"] = "; ".join(notes)
    return quality

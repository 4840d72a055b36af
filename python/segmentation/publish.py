"""Publishing the marts for BI tools and the audiences for campaigns, never half-built.

DuckDB lets one process write a database file or many read it, never both at once, so BI tools
do not read the warehouse dbt writes. At the end of a successful build they get their own copy:

1. every published mart is written to Parquet in a new version folder
   ``<published_dir>/<run_id>/`` (written under a dot-name and renamed once complete), with the
   privacy floor applied and a ``published_run_id`` column saying which build it comes from;
2. a small serving database of views over those files, ``<published_dir>/serving.duckdb``, is
   written to a temporary file and ``os.replace()``-d into place, an atomic swap: a reader that
   opens it sees the previous version or the new one, whole, never a mix;
3. versions beyond the newest ``versions_to_keep`` are deleted, so that readers still holding an
   older serving database keep reading its files for a while.

A build that fails before the publishing step leaves every file of the previous version as it was.

Privacy floor (k-anonymity): a segment with fewer users than ``min_segment_size`` is published
without its demographic breakdown: in tables with one row per segment its modal traits, medians,
age and income figures, description, persona rule, device and interest targets and
recommendation are nulled, its name replaced by "Segment <id>" (a persona name can spell out
demographics) and ``is_below_privacy_floor`` is true; from tables with several rows per segment
(its interests, its metrics) its rows are dropped.

Audiences (per-segment files of user ids for activation) are written the same careful way: to a
staging folder, then swapped in place of the previous folder.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

SERVING_DATABASE = "serving.duckdb"
PUBLICATION_TABLE = "publication"
RUN_ID_COLUMN = "published_run_id"
FLOOR_COLUMN = "is_below_privacy_floor"
RUN_ID_PATTERN = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{8}$")

#: Tables with several rows per segment: a small segment's rows are dropped.
SEGMENT_BREAKDOWN_TABLES = frozenset({"segment_interests", "segment_metric_indexes"})
#: Columns of one-row-per-segment tables nulled for a small segment (shell-style patterns).
SUPPRESSED_COLUMN_PATTERNS = (
    "modal_*",
    "median_*",
    "*age_midpoint_years*",
    "*income_midpoint_usd*",
    "description",
    "persona_rule",
    "target_device_usage*",
    "top_interest*",
    "recommendation",
)
#: The columns of the rows `publish` returns (the `published_tables` model).
PUBLICATION_COLUMNS = (
    RUN_ID_COLUMN,
    "table_name",
    "parquet_path",
    "serving_database_path",
    "invocation_id",
    "row_count",
    "suppressed_segments",
    "published_at",
)
AUDIENCE_COLUMNS = ("user_id", "segment_id", "segment_name", "assignment_confidence")
AUDIENCE_FORMATS = ("parquet", "csv")


class PublishSettingError(ValueError):
    """A publishing setting (dbt var) that cannot be used, naming the var."""


@dataclass(frozen=True)
class PublishSettings:
    directory: Path
    versions_to_keep: int = 3
    min_segment_size: int = 10

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> PublishSettings:
        """From a dbt Python model's config (vars published_dir, published_versions_to_keep,
        min_segment_size)."""
        directory = str(config.get("published_dir") or "").strip()
        if not directory:
            raise PublishSettingError("published_dir must be a folder path")
        keep = _whole_number(
            config.get("published_versions_to_keep", 3), "published_versions_to_keep"
        )
        floor = _whole_number(config.get("min_segment_size", 10), "min_segment_size")
        return cls(Path(directory), keep, floor)


def _whole_number(value: Any, name: str) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise PublishSettingError(f"{name} must be a whole number >= 1, got {value!r}") from None
    if number < 1:
        raise PublishSettingError(f"{name} must be a whole number >= 1, got {value!r}")
    return number


def dbt_invocation_id() -> str:
    """The running dbt invocation's id (a dbt Python model runs inside dbt's process)."""
    try:
        from dbt_common.invocation import get_invocation_id
    except ImportError:  # outside dbt
        return str(uuid.uuid4())
    return get_invocation_id()


def new_run_id(invocation_id: str, now: datetime | None = None) -> str:
    """A version name that sorts by time: UTC timestamp to the microsecond, then 8 hex digits of
    the invocation id, e.g. ``20250102T030405000006Z-1a2b3c4d``."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    suffix = re.sub(r"[^0-9a-f]", "", invocation_id.lower())[:8].ljust(8, "0")
    return f"{now:%Y%m%dT%H%M%S%f}Z-{suffix}"


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def is_suppressed_column(column: str) -> bool:
    """Whether a column of a one-row-per-segment table is nulled for a small segment."""
    return any(fnmatch.fnmatchcase(column, pattern) for pattern in SUPPRESSED_COLUMN_PATTERNS)


def small_segments(segment_sizes: Mapping[int, int], min_segment_size: int) -> list[int]:
    """The segments below the privacy floor, in id order."""
    return sorted(int(s) for s, users in segment_sizes.items() if users < min_segment_size)


def published_select(
    table: str,
    columns: Sequence[str],
    suppressed_segment_ids: Sequence[int],
    run_id: str,
    source: str = "published_source",
) -> str:
    """The query that publishes `table` (read from the relation named `source`): the privacy
    floor applied, the run id added as the last column."""
    run_id_value = f"{quote_literal(run_id)} as {RUN_ID_COLUMN}"
    if "segment_id" not in columns:
        listed = ", ".join(quote_identifier(c) for c in columns)
        return f"select {listed}, {run_id_value} from {source}"
    ids = ", ".join(str(int(s)) for s in suppressed_segment_ids)
    below = f"segment_id in ({ids})" if ids else "false"
    if table in SEGMENT_BREAKDOWN_TABLES:
        listed = ", ".join(quote_identifier(c) for c in columns)
        return f"select {listed}, {run_id_value} from {source} where not ({below})"
    selected = []
    for column in columns:
        quoted = quote_identifier(column)
        if column == "segment_name":
            selected.append(
                f"case when {below} then 'Segment ' || cast(segment_id as varchar) "
                f"else {quoted} end as {quoted}"
            )
        elif column != "segment_id" and is_suppressed_column(column):
            selected.append(f"case when {below} then null else {quoted} end as {quoted}")
        elif column != FLOOR_COLUMN:
            selected.append(quoted)
    selected.append(f"{below} as {FLOOR_COLUMN}")
    return f"select {', '.join(selected)}, {run_id_value} from {source}"


def publish(
    tables: Mapping[str, duckdb.DuckDBPyRelation],
    segment_sizes: Mapping[int, int],
    settings: PublishSettings,
    run_id: str,
    invocation_id: str,
    published_at: datetime | None = None,
) -> list[dict[str, Any]]:
    """Writes a new published version of `tables` and swaps the serving database to it.

    Returns one row per published table (what the `published_tables` model stores). With no
    segments at all (only `dbt build --empty` gets here) it publishes nothing and returns no
    row: the previous version stays."""
    if not RUN_ID_PATTERN.match(run_id):
        raise PublishSettingError(f"not a run id: {run_id!r}")
    if not segment_sizes:
        return []
    published_at = published_at or datetime.now(UTC).replace(tzinfo=None)
    directory = settings.directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    staging = directory / f".staging-{run_id}"
    version = directory / run_id
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    suppressed = small_segments(segment_sizes, settings.min_segment_size)

    rows = []
    for name, relation in sorted(tables.items()):
        query = published_select(name, relation.columns, suppressed, run_id)
        published = relation.query("published_source", query)
        published.to_parquet(str(staging / f"{name}.parquet"))
        rows.append(
            {
                RUN_ID_COLUMN: run_id,
                "table_name": name,
                "parquet_path": str(version / f"{name}.parquet"),
                "serving_database_path": str(directory / SERVING_DATABASE),
                "invocation_id": invocation_id,
                "row_count": int(published.aggregate("count(*)").fetchall()[0][0]),
                "suppressed_segments": len(suppressed),
                "published_at": published_at,
            }
        )
    staging.rename(version)
    write_serving_database(directory / SERVING_DATABASE, run_id, rows)
    prune_versions(directory, settings.versions_to_keep, current=run_id)
    return rows


def write_serving_database(path: Path, run_id: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """A DuckDB file of one view per published table (over its Parquet file, absolute path) and
    a `publication` table of `rows`, written beside `path` and atomically renamed onto it."""
    temporary = path.with_name(f"{path.name}.tmp-{run_id}")
    for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
        leftover.unlink(missing_ok=True)
    connection = duckdb.connect(str(temporary))
    try:
        for row in rows:
            connection.execute(
                f"create view {quote_identifier(row['table_name'])} as "
                f"select * from read_parquet({quote_literal(row['parquet_path'])})"
            )
        connection.execute(
            f"""
            create table {PUBLICATION_TABLE} (
                {RUN_ID_COLUMN} varchar,
                table_name varchar,
                parquet_path varchar,
                invocation_id varchar,
                row_count bigint,
                suppressed_segments integer,
                published_at timestamp
            )
            """
        )
        connection.executemany(
            f"insert into {PUBLICATION_TABLE} values (?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    row[RUN_ID_COLUMN],
                    row["table_name"],
                    row["parquet_path"],
                    row["invocation_id"],
                    row["row_count"],
                    row["suppressed_segments"],
                    row["published_at"],
                ]
                for row in rows
            ],
        )
        connection.execute("checkpoint")
    finally:
        connection.close()
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """Makes a rename in `directory` durable (where the platform allows it)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def published_versions(directory: Path) -> list[str]:
    """The version folders in `directory`, oldest first."""
    if not directory.is_dir():
        return []
    return sorted(
        p.name for p in directory.iterdir() if p.is_dir() and RUN_ID_PATTERN.match(p.name)
    )


def prune_versions(directory: Path, versions_to_keep: int, current: str) -> list[Path]:
    """Deletes version folders beyond the newest `versions_to_keep` (never `current`), and
    leftovers of builds that stopped while publishing. Returns what was deleted."""
    versions = published_versions(directory)
    keep = set(versions[-versions_to_keep:]) | {current}
    deleted = [directory / name for name in versions if name not in keep]
    deleted += [
        p
        for p in directory.iterdir()
        if (p.name.startswith(".staging-") or p.name.startswith(f"{SERVING_DATABASE}.tmp-"))
        and current not in p.name
    ]
    for path in deleted:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return deleted


def export_audiences(
    audiences: duckdb.DuckDBPyRelation,
    directory: Path,
    run_id: str,
    formats: Iterable[str] = AUDIENCE_FORMATS,
) -> list[dict[str, Any]]:
    """One file per segment and format, ``segment_<id>.parquet`` and ``segment_<id>.csv``, with
    the audience columns only, in `directory`, which is replaced whole (stale segments go).

    Returns one row per file written."""
    missing = [c for c in AUDIENCE_COLUMNS if c not in audiences.columns]
    if missing:
        raise PublishSettingError(f"the audiences lack columns {missing}")
    formats = list(formats)
    unknown = [f for f in formats if f not in AUDIENCE_FORMATS]
    if unknown:
        raise PublishSettingError(f"unknown audience formats {unknown} (known: {AUDIENCE_FORMATS})")
    directory = directory.resolve()
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = directory.with_name(f".{directory.name}.staging-{run_id}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    columns = ", ".join(AUDIENCE_COLUMNS)
    counts = audiences.query(
        "audiences", "select segment_id, count(*) from audiences group by 1 order by 1"
    ).fetchall()
    # Parquet first: the other formats are copied from its file, already sorted and typed, so
    # the audiences are filtered and sorted once per segment, not once per file. (DuckDB reads
    # a file back in its order while preserve_insertion_order is on, its default and the
    # project's setting.)
    formats.sort(key=lambda file_format: file_format != "parquet")
    rows = []
    for segment_id, users in counts:
        segment = audiences.query(
            "audiences",
            f"select {columns} from audiences where segment_id = {int(segment_id)} "
            "order by user_id",
        )
        for file_format in formats:
            path = staging / f"segment_{int(segment_id)}.{file_format}"
            if file_format == "parquet":
                segment.to_parquet(str(path))
                segment = audiences.query(
                    "audiences", f"select * from read_parquet({quote_literal(str(path))})"
                )
            else:
                segment.to_csv(str(path), header=True)
            rows.append(
                {
                    "segment_id": int(segment_id),
                    "file_format": file_format,
                    "file_path": str(directory / path.name),
                    "users": int(users),
                }
            )
    replace_directory(staging, directory)
    return rows


def replace_directory(new: Path, target: Path) -> None:
    """Puts folder `new` in place of `target`: two renames, then the old folder is deleted."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
        target.rename(old)
    new.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)

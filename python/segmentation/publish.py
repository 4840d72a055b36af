"""Publishing a successful build for BI tools and campaigns: all of it, or nothing.

    python -m segmentation.publish [--db WAREHOUSE] [--published-dir DIR] [--audiences-dir DIR]

`make build` runs it after `dbt build`; `make publish` runs it alone. It publishes the
warehouse's last dbt command only if that was a complete `dbt build` (every model selected)
whose every node succeeded, as the build log says (``segmentation_build_log``, written by the
project's on-run-start/on-run-end hooks; a killed build never completes its row). So a failure
anywhere in the build, in a branch publishing does not read included, publishes nothing.

What readers see, and how it changes together:

1. ``<published_dir>/<run_id>/``: the published marts as Parquet (privacy floor applied, every
   row carrying ``published_run_id``), one folder per published version;
2. ``<published_dir>/serving.duckdb``: views over one version's files and a ``publication``
   table naming it, what BI tools open read-only;
3. ``<published_dir>/CURRENT``: the current version's run id, one line;
4. ``<audiences_dir>/<campaign_key>.segment_<id>.parquet`` and ``.csv`` (the treatment arm of
   each campaign's audience), and ``<audiences_dir>/CURRENT``.

Everything is first written beside what readers see (temporary names inside the same folders):
a full disk, a read-only folder or any other error stops publishing there and removes what it
wrote, and readers see no change. Then the audience files are moved into place (each rename
atomic; the replaced files kept until the end), then the serving database is renamed over the
old one: the commit point. Last, the ``CURRENT`` files are written and superseded files removed.
A publish stopped before the commit point is undone by the next one, one stopped after it is
completed (both in :func:`recover`). Versions beyond the newest ``published_versions_to_keep``
are removed; a version folder that was never served never counts as kept and is removed too.

The project writes only into folders it owns (:mod:`segmentation.outputs`) and removes only
what it wrote there.

Privacy floor (k-anonymity): what is published is what the build's ``pub_`` models hold, and
they apply the floor in SQL (macro ``privacy_floor_withheld_columns``; README "Publishing for
BI"): a segment with fewer users than var ``min_segment_size`` is published without its
demographic breakdown. ``fct_campaign_audiences`` leaves such a segment out, so it gets no
audience file. Holdouts: the audience files are cut from ``fct_campaign_treatment_audiences``,
the treatment arm of each campaign; its control arm stays in the warehouse, to be measured
against. This module adds each version's run id and moves files; it decides nothing about what
a reader may see or which users a campaign activates.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from segmentation.outputs import OutputFolderError, OwnedFolder, claim, read_state
from segmentation.preflight import lock_message
from segmentation.settings import CAMPAIGN_KEY, CampaignSettings, SettingsError, profile_setting
from segmentation.summary import database_path

SERVING_DATABASE = "serving.duckdb"
CURRENT_FILE = "CURRENT"
PUBLICATION_TABLE = "publication"
RUN_ID_COLUMN = "published_run_id"
FLOOR_COLUMN = "is_below_privacy_floor"
#: The prefix of the models that hold what is published (the marts with the privacy floor).
PUBLISHED_MODEL_PREFIX = "pub_"
RUN_ID_PATTERN = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{8}$")
BUILD_LOG = "segmentation_build_log"

#: The marts published for BI tools, under these names, read from their pub_ models.
PUBLISHED_TABLES = (
    "dim_segments",
    "fct_segment_interests",
    "fct_segment_metric_indexes",
    "rpt_segment_recommendations",
    "rpt_user_base_distributions",
    "rpt_segmentation_quality",
    "fct_campaign_lift",
    "fct_campaign_balance",
)
#: The warehouse relation the audience files are cut from: each campaign's treatment arm.
AUDIENCE_SOURCE = "fct_campaign_treatment_audiences"
#: The columns of the serving database's `publication` table, one row per published table.
PUBLICATION_COLUMNS = (
    RUN_ID_COLUMN,
    "table_name",
    "parquet_path",
    "invocation_id",
    "row_count",
    "suppressed_segments",
    "published_at",
)
AUDIENCE_COLUMNS = (
    "campaign_key",
    "user_id",
    "segment_id",
    "segment_name",
    "assignment_confidence",
)
AUDIENCE_FORMATS = ("parquet", "csv")
#: An audience file: ``<campaign_key>.segment_<id>.<format>``; the campaign keys are checked
#: (lowercase letters, digits and _), so a key can neither hold the dot nor leave the folder.
#: Files without a campaign (``segment_<id>.<format>``, before issue 17) still count as ours, so
#: that the first publish after the upgrade removes them.
AUDIENCE_FILE = re.compile(r"^(?:[a-z][a-z0-9_]*\.)?segment_\d+\.(parquet|csv)$")
STAGING_PREFIX = ".staging-"
PREVIOUS_PREFIX = ".previous-"
SERVING_TEMPORARY_PREFIX = f"{SERVING_DATABASE}.tmp-"


class PublishSettingError(ValueError):
    """A publishing setting (dbt var) that cannot be used, naming the var."""


class PublishUnfinished(Exception):
    """The version was published (the serving database names it) but tidying up after it
    failed; the next publish finishes it."""

    def __init__(self, run_id: str, error: BaseException):
        super().__init__(
            f"published version {run_id}, but finishing up failed: {error}. Readers see the new "
            "version; the next `make publish` (or build) completes CURRENT, the audience "
            "folder's clean-up and the removal of old versions."
        )
        self.run_id = run_id


class PublishRefused(Exception):
    """The warehouse holds nothing publishable (no build, or a failed, partial, empty or
    unfinished one); nothing was changed."""


@dataclass(frozen=True)
class PublishSettings:
    """What publishing reads of the campaign settings (CampaignSettings)."""

    directory: Path
    versions_to_keep: int
    min_segment_size: int
    audiences_dir: Path | None = None


def settings_from_build(
    recorded: Mapping[str, Any],
    published_dir: Path | None = None,
    audiences_dir: Path | None = None,
) -> PublishSettings:
    """The publishing settings of a build: the campaign settings its build log recorded (var
    values, folders resolved), checked as the build checked them, with the command line's
    folders instead of the recorded ones where given."""
    variables = dict(recorded)
    if published_dir is not None:
        variables["published_dir"] = str(published_dir)
    if audiences_dir is not None:
        variables["audiences_dir"] = str(audiences_dir)
    try:
        settings = CampaignSettings.from_vars(variables)
    except SettingsError as error:
        raise PublishSettingError(
            f"{error}\n(the settings the last build recorded: fix them and run `make build`)"
        ) from None
    return PublishSettings(
        Path(settings.published_dir),
        settings.published_versions_to_keep,
        settings.min_segment_size,
        Path(settings.audiences_dir),
    )


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


# --- The privacy floor ---------------------------------------------------------------------


def published_select(columns: Sequence[str], run_id: str, source: str = "published_source") -> str:
    """The query that publishes the relation named `source` as version `run_id`: its columns as
    they are, the run id added as the last column."""
    listed = ", ".join(quote_identifier(c) for c in columns)
    return f"select {listed}, {quote_literal(run_id)} as {RUN_ID_COLUMN} from {source}"


# --- Writing a version, before anything is visible -------------------------------------------


def write_version(
    tables: Mapping[str, duckdb.DuckDBPyRelation],
    folder: Path,
    final_folder: Path,
    suppressed: Sequence[int],
    run_id: str,
    invocation_id: str,
    published_at: datetime,
) -> list[dict[str, Any]]:
    """Each table to `folder/<table>.parquet`; returns the `publication` rows, whose paths name
    `final_folder`, where the folder will be renamed to."""
    rows = []
    for name, relation in sorted(tables.items()):
        query = published_select(relation.columns, run_id)
        published = relation.query("published_source", query)
        published.to_parquet(str(folder / f"{name}.parquet"))
        rows.append(
            {
                RUN_ID_COLUMN: run_id,
                "table_name": name,
                "parquet_path": str(final_folder / f"{name}.parquet"),
                "invocation_id": invocation_id,
                "row_count": int(published.aggregate("count(*)").fetchall()[0][0]),
                "suppressed_segments": len(suppressed),
                "published_at": published_at,
            }
        )
    return rows


def write_serving_database(path: Path, rows: Sequence[Mapping[str, Any]]) -> None:
    """A DuckDB file at `path` of one view per published table (over its Parquet file, absolute
    path) and a `publication` table of `rows`, flushed to disk."""
    connection = duckdb.connect(str(path))
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
            [[row[column] for column in PUBLICATION_COLUMNS] for row in rows],
        )
        connection.execute("checkpoint")
    finally:
        connection.close()
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def write_audience_files(
    audiences: duckdb.DuckDBPyRelation, folder: Path, formats: Sequence[str] = AUDIENCE_FORMATS
) -> list[dict[str, Any]]:
    """One file per campaign, segment and format, ``<campaign_key>.segment_<id>.parquet`` and
    ``.csv``, with the audience columns only, ordered by user id, in `folder`. `audiences`: who
    each campaign activates (the treatment arm, AUDIENCE_SOURCE). Returns one row per file."""
    missing = [c for c in AUDIENCE_COLUMNS if c not in audiences.columns]
    if missing:
        raise PublishSettingError(f"the audiences lack columns {missing}")
    unknown = [f for f in formats if f not in AUDIENCE_FORMATS]
    if unknown:
        raise PublishSettingError(f"unknown audience formats {unknown} (known: {AUDIENCE_FORMATS})")
    # Parquet first: the other formats are copied from its file, already sorted and typed, so
    # the audiences are filtered and sorted once per file set, not once per file. (DuckDB reads
    # a file back in its order while preserve_insertion_order is on, its default.)
    ordered = sorted(formats, key=lambda file_format: file_format != "parquet")
    columns = ", ".join(AUDIENCE_COLUMNS)
    counts = audiences.query(
        "audiences",
        "select campaign_key, segment_id, count(*) from audiences group by 1, 2 order by 1, 2",
    ).fetchall()
    rows = []
    for campaign_key, segment_id, users in counts:
        if not CAMPAIGN_KEY.fullmatch(str(campaign_key)):
            raise PublishSettingError(f"not a campaign key: {campaign_key!r} (var campaigns)")
        cut = audiences.query(
            "audiences",
            f"select {columns} from audiences where campaign_key = {quote_literal(campaign_key)} "
            f"and segment_id = {int(segment_id)} order by user_id",
        )
        for file_format in ordered:
            path = folder / f"{campaign_key}.segment_{int(segment_id)}.{file_format}"
            if file_format == "parquet":
                cut.to_parquet(str(path))
                cut = audiences.query(
                    "audiences", f"select * from read_parquet({quote_literal(str(path))})"
                )
            else:
                cut.to_csv(str(path), header=True)
            rows.append(
                {
                    "campaign_key": campaign_key,
                    "segment_id": int(segment_id),
                    "file_format": file_format,
                    "file_name": path.name,
                    "users": int(users),
                }
            )
    return rows


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


# --- Publishing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Publication:
    run_id: str
    serving_database: Path
    tables: list[dict[str, Any]]
    audiences_dir: Path
    audience_files: list[dict[str, Any]]
    removed_versions: list[str]


def served_run_id(serving: Path) -> str | None:
    """The version the serving database at `serving` names, or None without one."""
    if not serving.is_file():
        return None
    with duckdb.connect(str(serving), read_only=True) as connection:
        rows = connection.sql(f"select distinct {RUN_ID_COLUMN} from {PUBLICATION_TABLE}")
        found = [row[0] for row in rows.fetchall()]
    return found[0] if len(found) == 1 else None


def published_versions(folder: OwnedFolder | Path) -> list[str]:
    """The versions readers were ever served that are still kept, oldest first (from the
    published folder's marker; a folder path is only read)."""
    state = folder.state if isinstance(folder, OwnedFolder) else read_state(folder)
    return sorted(state.get("published", []))


def recover(published: OwnedFolder, audiences: OwnedFolder) -> None:
    """Finishes or undoes a publish that stopped midway, and removes its leftovers.

    The serving database decides: a version it names was committed (its audiences are kept, it
    becomes a published version, CURRENT names it); anything else that publish started was not
    (the audience files it moved in are put back, its version folder is removed and never
    counts as kept)."""
    served = served_run_id(published.path / SERVING_DATABASE)
    versions = published_versions(published)
    if served and served not in versions:
        versions.append(served)
    # The published folder's leftovers first: they are the big files, and removing them makes
    # room for the markers on a full disk.
    never_served = [
        name
        for name in published.entries
        if (RUN_ID_PATTERN.match(name) and name not in versions)
        or name.startswith((STAGING_PREFIX, SERVING_TEMPORARY_PREFIX))
        or (name.startswith(f"{CURRENT_FILE}.tmp-"))
    ]
    published.remove(*never_served)
    commit = audiences.state.get("commit")
    if commit:
        if commit["run_id"] == served:
            _finish_audiences(audiences, commit)
        else:
            _undo_audiences(audiences, commit)
    audiences.remove(
        *(
            name
            for name in audiences.entries
            if name.startswith((STAGING_PREFIX, PREVIOUS_PREFIX)) or ".tmp-" in name
        )
    )
    published.record(published=sorted(versions), pending=None)
    if served and _read_current(published) != served:
        published.write_text(CURRENT_FILE, served + "\n")


def _undo(
    error: BaseException,
    published: OwnedFolder,
    audiences: OwnedFolder,
    commit: Mapping[str, Any] | None = None,
) -> None:
    """After `error` stopped a publish before its commit point: removes what it wrote and puts
    back what it replaced. If that fails too (say the folder turned read-only), the next publish
    does it; `error` stays the one reported."""
    try:
        if commit is not None:
            _undo_audiences(audiences, commit)
        recover(published, audiences)
    except Exception as cleanup_error:  # the first error is the one to report
        error.add_note(f"(clean-up deferred to the next publish: {cleanup_error})")


def _read_current(folder: OwnedFolder) -> str | None:
    path = folder.path / CURRENT_FILE
    return path.read_text().strip() if path.is_file() else None


def _move_audiences_in(audiences: OwnedFolder, run_id: str, files: Sequence[str]) -> dict:
    """Phase 1 of the commit, reversible: the new audience files replace the old ones (each
    rename atomic) and the old segments' files move out; what they replace is kept (a hard link
    or the file itself) in a folder of its own until the commit is finished or undone."""
    staging = STAGING_PREFIX + run_id
    previous = PREVIOUS_PREFIX + run_id
    old = sorted(name for name in audiences.entries if AUDIENCE_FILE.match(name))
    commit = {"run_id": run_id, "new": sorted(files), "old": old}
    audiences.record(previous, *files, commit=commit)
    (audiences.path / previous).mkdir()
    try:
        for name in files:
            if (audiences.path / name).exists():
                _link_or_copy(audiences.path / name, audiences.path / previous / name)
            os.replace(audiences.path / staging / name, audiences.path / name)
        for name in old:
            if name not in files and (audiences.path / name).exists():
                os.replace(audiences.path / name, audiences.path / previous / name)
    except BaseException:
        # If putting the files back fails too, publish's clean-up tries again from the commit
        # recorded above and notes that failure: the first error stays the one raised.
        with contextlib.suppress(Exception):
            _undo_audiences(audiences, commit)
        raise
    return commit


def _undo_audiences(audiences: OwnedFolder, commit: Mapping[str, Any]) -> None:
    """Puts back the audience files a stopped commit replaced or moved out, and removes those it
    added."""
    previous = audiences.path / (PREVIOUS_PREFIX + commit["run_id"])
    added = []
    for name in sorted({*commit["new"], *commit["old"]}):
        kept = previous / name
        if kept.exists():
            os.replace(kept, audiences.path / name)
        elif name not in commit["old"]:
            added.append(name)
    audiences.remove(*added)
    audiences.remove(PREVIOUS_PREFIX + commit["run_id"], STAGING_PREFIX + commit["run_id"])
    audiences.record(commit=None)


def _finish_audiences(audiences: OwnedFolder, commit: Mapping[str, Any]) -> None:
    """Phase 2, once the serving database names the new version: CURRENT names it, and the kept
    copies and the old segments' files go."""
    audiences.write_text(CURRENT_FILE, commit["run_id"] + "\n")
    stale = [name for name in commit["old"] if name not in commit["new"]]
    audiences.remove(PREVIOUS_PREFIX + commit["run_id"], STAGING_PREFIX + commit["run_id"])
    audiences.forget(*stale, commit=None)


def publish(
    tables: Mapping[str, duckdb.DuckDBPyRelation],
    audiences: duckdb.DuckDBPyRelation,
    suppressed: Sequence[int],
    settings: PublishSettings,
    run_id: str,
    invocation_id: str,
    published_at: datetime | None = None,
) -> Publication:
    """Publishes `tables` (each as it is, plus the run id) and the audience files of
    `audiences` as version `run_id`; all of it or, on any error, nothing (see the module's
    docstring). `suppressed`: the segments below the privacy floor, for the record."""
    if not RUN_ID_PATTERN.match(run_id):
        raise PublishSettingError(f"not a run id: {run_id!r}")
    if settings.audiences_dir is None:
        raise PublishSettingError("audiences_dir must be a folder path")
    published = claim(settings.directory, "published", "var published_dir")
    audience_folder = claim(settings.audiences_dir, "audiences", "var audiences_dir")
    published_at = published_at or datetime.now(UTC).replace(tzinfo=None)
    with published.lock():
        recover(published, audience_folder)
        staging = STAGING_PREFIX + run_id
        serving_temporary = SERVING_TEMPORARY_PREFIX + run_id

        # Prepare: everything written under names no reader looks at.
        for name in (SERVING_DATABASE, CURRENT_FILE):
            published.refuse_foreign(name)
        audience_folder.refuse_foreign(CURRENT_FILE)
        # (DuckDB may leave a write-ahead log beside a database it failed to write.)
        published.record(
            staging,
            run_id,
            serving_temporary,
            serving_temporary + ".wal",
            SERVING_DATABASE,
            pending=run_id,
        )
        audience_folder.record(staging)
        try:
            (published.path / staging).mkdir()
            rows = write_version(
                tables,
                published.path / staging,
                published.path / run_id,
                suppressed,
                run_id,
                invocation_id,
                published_at,
            )
            os.rename(published.path / staging, published.path / run_id)
            published.forget(staging)
            write_serving_database(published.path / serving_temporary, rows)
            (audience_folder.path / staging).mkdir()
            files = write_audience_files(audiences, audience_folder.path / staging)
            names = sorted(row["file_name"] for row in files)
            for name in names:
                audience_folder.refuse_foreign(name)
        except BaseException as error:
            _undo(error, published, audience_folder)
            raise

        # Commit: the audience files (undone on error), then the serving database.
        try:
            commit = _move_audiences_in(audience_folder, run_id, names)
        except BaseException as error:  # the audience files are back as they were
            _undo(error, published, audience_folder)
            raise
        try:
            os.replace(published.path / serving_temporary, published.path / SERVING_DATABASE)
        except BaseException as error:
            _undo(error, published, audience_folder, commit)
            raise
        _sync_directory(published.path)

        # Finish: what readers look up last, then what is superseded goes. The version is served
        # from here on: an error now leaves it published, and the next publish finishes the rest.
        try:
            versions = sorted({*published_versions(published), run_id})
            published.record(published=versions, pending=None)
            published.forget(serving_temporary, serving_temporary + ".wal")
            published.write_text(CURRENT_FILE, run_id + "\n")
            _finish_audiences(audience_folder, commit)
            removed = prune_versions(published, settings.versions_to_keep, current=run_id)
        except Exception as error:
            raise PublishUnfinished(run_id, error) from error
        return Publication(
            run_id=run_id,
            serving_database=published.path / SERVING_DATABASE,
            tables=rows,
            audiences_dir=audience_folder.path,
            audience_files=files,
            removed_versions=removed,
        )


def finish_served(settings: PublishSettings) -> None:
    """Completes what a publish left after its commit point (see :func:`recover`) and removes
    versions beyond `published_versions_to_keep`, without publishing anything new."""
    if settings.audiences_dir is None:
        raise PublishSettingError("audiences_dir must be a folder path")
    published = claim(settings.directory, "published", "var published_dir")
    audiences = claim(settings.audiences_dir, "audiences", "var audiences_dir")
    with published.lock():
        recover(published, audiences)
        served = served_run_id(published.path / SERVING_DATABASE)
        if served is not None:
            prune_versions(published, settings.versions_to_keep, current=served)


def prune_versions(published: OwnedFolder, versions_to_keep: int, current: str) -> list[str]:
    """Removes published versions beyond the newest `versions_to_keep` (never `current`)."""
    versions = published_versions(published)
    keep = set(versions[-versions_to_keep:]) | {current}
    removed = [name for name in versions if name not in keep]
    published.remove(*removed)
    published.record(published=[name for name in versions if name in keep])
    return removed


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


# --- The warehouse's last build ------------------------------------------------------------


@dataclass(frozen=True)
class BuildRecord:
    invocation_id: str
    command: str
    started_at: datetime
    status: str
    failed_nodes: int
    skipped_nodes: int
    failures: str
    is_full_build: bool
    is_empty: bool
    settings: dict[str, Any]


def last_build(connection: duckdb.DuckDBPyConnection) -> BuildRecord | None:
    """The warehouse's latest dbt command that changes data, from the build log."""
    exists = connection.sql(
        f"select count(*) from information_schema.tables where table_name = '{BUILD_LOG}'"
    ).fetchall()[0][0]
    if not exists:
        return None
    rows = connection.sql(
        "select invocation_id, command, started_at, status, coalesce(failed_nodes, 0), "
        "coalesce(skipped_nodes, 0), coalesce(failures, ''), coalesce(is_full_build, false), "
        f"coalesce(is_empty, false), publish_settings_json from {BUILD_LOG} "
        "order by started_at desc limit 1"
    ).fetchall()
    if not rows:
        return None
    *fields, settings_json = rows[0]
    return BuildRecord(*fields, settings=json.loads(settings_json or "{}"))


def check_publishable(build: BuildRecord | None, warehouse: Path) -> None:
    """Refuses (PublishRefused, one sentence) anything but a complete, successful, full build."""
    if build is None:
        raise PublishRefused(f"no dbt build recorded in {warehouse}: run `dbt build` first.")
    when = f"{build.started_at:%Y-%m-%d %H:%M:%S} UTC"
    if build.status == "running":
        raise PublishRefused(
            f"the last dbt command on {warehouse} (`dbt {build.command}`, started {when}) never "
            "finished: it was stopped or is still running. Run `dbt build` again."
        )
    if build.command != "build":
        raise PublishRefused(
            f"the last dbt command on {warehouse} was `dbt {build.command}` ({when}), not a "
            "`dbt build`: only a complete build, with its tests, is published."
        )
    if build.status != "success":
        failed = f"; failed: {build.failures}" if build.failures else ""
        raise PublishRefused(
            f"the last dbt build on {warehouse} ({when}) did not succeed: "
            f"{build.failed_nodes} node(s) failed, {build.skipped_nodes} skipped{failed}."
        )
    if build.is_empty:
        raise PublishRefused(f"the last dbt build on {warehouse} ({when}) ran with --empty.")
    if not build.is_full_build:
        raise PublishRefused(
            f"the last dbt build on {warehouse} ({when}) left out models or data tests; "
            "run `dbt build` without --select/--exclude to publish (leaving out unit tests, "
            "as `make build` does, is fine)."
        )


# DuckDB's memory budget while publishing: the build's, from the environment variable or the
# default that profiles.yml gives memory_limit. Without it DuckDB takes up to 80% of the machine:
# sorting 90 million audience members into files peaked at 6.9 GiB at 100M users.
MEMORY_LIMIT_VARIABLE = "SEGMENTATION_DUCKDB_MEMORY_LIMIT"


def open_warehouse(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """The warehouse, read-only, within the build's DuckDB memory_limit
    ($SEGMENTATION_DUCKDB_MEMORY_LIMIT, else profiles.yml's default), spilling to disk above it
    as the build does. A profiles.yml that names no default leaves DuckDB's own."""
    limit = profile_setting(MEMORY_LIMIT_VARIABLE)
    config = {"memory_limit": limit} if limit else {}
    return duckdb.connect(str(warehouse), read_only=True, config=config)


def publish_warehouse(
    warehouse: Path,
    published_dir: Path | None = None,
    audiences_dir: Path | None = None,
    force: bool = False,
) -> Publication | str:
    """Publishes the warehouse's last build if it is publishable (else PublishRefused). Returns
    the Publication, or the run id already serving that build when it was published before
    (unless `force`)."""
    with open_warehouse(warehouse) as connection:
        build = last_build(connection)
        check_publishable(build, warehouse)
        settings = settings_from_build(build.settings, published_dir, audiences_dir)
        serving = settings.directory.expanduser().resolve() / SERVING_DATABASE
        if not force and serving.is_file():
            with duckdb.connect(str(serving), read_only=True) as reader:
                done = reader.sql(
                    f"select distinct {RUN_ID_COLUMN} from {PUBLICATION_TABLE} "
                    f"where invocation_id = {quote_literal(build.invocation_id)}"
                ).fetchall()
            if done:
                # Served already; a publish of it that stopped after its commit point may have
                # left CURRENT, the audience clean-up or the pruning undone: finish them now.
                finish_served(settings)
                return done[0][0]
        tables = {
            name: connection.table(PUBLISHED_MODEL_PREFIX + name) for name in PUBLISHED_TABLES
        }
        segments = tables["dim_segments"]
        if not segments.aggregate("count(*)").fetchall()[0][0]:
            raise PublishRefused(f"the last dbt build on {warehouse} found no segments.")
        below_floor = segments.filter(FLOOR_COLUMN).select("segment_id").order("segment_id")
        suppressed = [int(row[0]) for row in below_floor.fetchall()]
        run_id = new_run_id(build.invocation_id)
        return publish(
            tables,
            connection.table(AUDIENCE_SOURCE),
            suppressed,
            settings,
            run_id,
            build.invocation_id,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Publish the warehouse's last successful dbt build for BI tools and campaigns."
    )
    parser.add_argument("--db", type=Path, default=None, help="warehouse (default: as dbt)")
    parser.add_argument(
        "--published-dir", type=Path, default=None, help="instead of the build's published_dir"
    )
    parser.add_argument(
        "--audiences-dir", type=Path, default=None, help="instead of the build's audiences_dir"
    )
    parser.add_argument(
        "--force", action="store_true", help="publish again a build that was already published"
    )
    args = parser.parse_args(argv)
    warehouse = (args.db or database_path()).resolve()
    if not warehouse.is_file():
        print(f"Nothing published: no warehouse at {warehouse}; run `make build`.", file=sys.stderr)
        return 1
    try:
        outcome = publish_warehouse(warehouse, args.published_dir, args.audiences_dir, args.force)
    except PublishRefused as refused:
        print(f"Nothing published: {refused} The published version is unchanged.", file=sys.stderr)
        return 1
    except PublishUnfinished as unfinished:
        print(f"Published, with a warning: {unfinished}", file=sys.stderr)
        return 1
    except (OutputFolderError, PublishSettingError) as error:
        print(f"Nothing published: {error}", file=sys.stderr)
        return 1
    except (OSError, duckdb.Error) as error:
        held = lock_message(warehouse, str(error), then="run `make publish`")
        if held is not None:
            print(f"Nothing published: {held}", file=sys.stderr)
            return 1
        print(
            f"Nothing published, the published version is unchanged: {error}. Fix the cause and "
            "run `make publish` to publish this build.",
            file=sys.stderr,
        )
        return 1
    if isinstance(outcome, str):
        print(f"Published: this build is already the published version {outcome}.")
        return 0
    users = sum(row["users"] for row in outcome.audience_files if row["file_format"] == "parquet")
    campaigns = len({row["campaign_key"] for row in outcome.audience_files})
    segments = len({row["segment_id"] for row in outcome.audience_files})
    print(
        f"Published version {outcome.run_id}: {outcome.serving_database} "
        f"({len(outcome.tables)} tables; open it read-only)."
    )
    print(
        f"Audiences: {outcome.audiences_dir} ({campaigns} campaign{'s' * (campaigns != 1)}, "
        f"{segments} segments, "
        f"{users:,} treatment-arm users)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

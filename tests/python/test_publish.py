"""Publishing for BI and audiences: the privacy floor, versions, the atomic swap, and, through
dbt, readers that never error nor see a mix while a build runs, and failed builds that publish
nothing."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_DIR, DbtResult, build_and_publish, run_dbt, run_publish
from segmentation import settings
from segmentation.publish import (
    AUDIENCE_COLUMNS,
    FLOOR_COLUMN,
    PUBLISHED_TABLES,
    RUN_ID_COLUMN,
    RUN_ID_PATTERN,
    SERVING_DATABASE,
    main,
    new_run_id,
    open_warehouse,
    published_select,
    published_versions,
)
from segmentation.schema import EXPORT_COLUMNS
from warehouses import (
    audience_generation,
    audience_state,
    fake_warehouse,
    served_run_id,
)

# --- A dbt build publishing into its own folders, shared by the campaign test modules ---


@dataclass
class CampaignBuild:
    result: DbtResult
    workdir: Path

    @property
    def variables(self) -> dict:
        return campaign_variables(self.workdir)

    @property
    def published_dir(self) -> Path:
        return self.workdir / "build" / "published"

    @property
    def serving(self) -> Path:
        return self.published_dir / SERVING_DATABASE

    @property
    def audiences_dir(self) -> Path:
        return self.workdir / "build" / "audiences"


def campaign_variables(workdir: Path) -> dict:
    return {
        "published_dir": str(workdir / "build" / "published"),
        "audiences_dir": str(workdir / "build" / "audiences"),
    }


def build_campaigns(tmp_path_factory) -> CampaignBuild:
    """`dbt build` on the demo seed and publishing, as `make build` runs them, under a throwaway
    folder; run once per session
    whichever test module asks first (the folder is the cache, a failure included)."""
    workdir = tmp_path_factory.getbasetemp() / "campaigns"
    marker = workdir / "build.json"
    if marker.exists():
        stored = json.loads(marker.read_text())
        result = DbtResult(stored["returncode"], stored["output"], workdir / "warehouse.duckdb")
    else:
        result = build_and_publish(workdir, variables=campaign_variables(workdir))
        marker.write_text(json.dumps({"returncode": result.returncode, "output": result.output}))
    assert result.ok, result.output[-5000:]
    return CampaignBuild(result, workdir)


@pytest.fixture(scope="session")
def campaign_build(tmp_path_factory) -> CampaignBuild:
    return build_campaigns(tmp_path_factory)


def serving_run_ids(serving: Path) -> dict[str, set[str]]:
    """Every published table's run ids, read in one connection."""
    with duckdb.connect(str(serving), read_only=True) as connection:
        tables = [row[0] for row in connection.sql("select table_name from publication").fetchall()]
        found = {
            table: {
                row[0]
                for row in connection.sql(
                    f"select distinct {RUN_ID_COLUMN} from {table}"
                ).fetchall()
            }
            for table in [*tables, "publication"]
        }
    return found


def folder_state(path: Path) -> dict[str, str]:
    """Every file under `path` with a hash of its content."""
    return {
        str(file.relative_to(path)): hashlib.sha256(file.read_bytes()).hexdigest()
        for file in sorted(path.rglob("*"))
        if file.is_file()
    }


# --- Unit tests ---


def test_run_ids_match_the_pattern_and_sort_by_time():
    start = datetime(2025, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    first = new_run_id("1A2B3C4D-0000-4000-8000-000000000000", start)
    later = new_run_id("00000000-0000-4000-8000-000000000000", start + timedelta(microseconds=1))
    assert first == "20250102T030405000006Z-1a2b3c4d"
    assert RUN_ID_PATTERN.match(first) and RUN_ID_PATTERN.match(later)
    assert sorted([later, first]) == [first, later]


def test_published_select_adds_the_run_id_last_and_changes_nothing_else():
    connection = duckdb.connect()
    relation = connection.sql(
        "select * from (values (1, 'Gaming', 3), (2, 'Pets', 1)) "
        "as t(segment_id, interest_name, users)"
    )
    published = relation.query("published_source", published_select(relation.columns, "run-1"))
    assert published.columns == [*relation.columns, RUN_ID_COLUMN]
    assert published.order("segment_id").fetchall() == [
        (1, "Gaming", 3, "run-1"),
        (2, "Pets", 1, "run-1"),
    ]


# --- Publishing a warehouse's last build (small warehouses, no dbt) ---


def _folders(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "out" / "published", tmp_path / "out" / "audiences"


def _publish_generation(tmp_path: Path, generation: int, **options) -> int:
    published_dir, audiences_dir = _folders(tmp_path)
    warehouse = fake_warehouse(
        tmp_path / "warehouse.duckdb", generation, published_dir, audiences_dir, **options
    )
    return main(["--db", str(warehouse)])


def test_publish_writes_a_version_a_serving_database_current_and_the_audiences(tmp_path, capsys):
    published_dir, audiences_dir = _folders(tmp_path)
    assert _publish_generation(tmp_path, 1) == 0
    run_id = served_run_id(published_dir)
    # The pointer, the serving database and the version folder name the same version.
    assert (published_dir / "CURRENT").read_text() == run_id + "\n"
    assert (audiences_dir / "CURRENT").read_text() == run_id + "\n"
    assert published_versions(published_dir) == [run_id]
    assert sorted(p.name for p in (published_dir / run_id).iterdir()) == sorted(
        f"{table}.parquet" for table in PUBLISHED_TABLES
    )
    # Segment 2 has 4 users, below the default floor of 10: masked, and no audience file.
    with duckdb.connect(str(published_dir / SERVING_DATABASE), read_only=True) as reader:
        segments = reader.sql(
            f"select segment_id, segment_name, modal_gender, {FLOOR_COLUMN} "
            "from dim_segments order by 1"
        ).fetchall()
        interests = reader.sql("select segment_id from fct_segment_interests order by 1").fetchall()
    assert segments == [
        (1, "Segment 1 gen 1", "Female", False),
        (2, "Segment 2", None, True),
        (3, "Segment 3 gen 1", "Female", False),
    ]
    assert interests == [(1,), (3,)]
    assert sorted(audience_state(audiences_dir)) == [
        "CURRENT",
        "demo_launch.segment_1.csv",
        "demo_launch.segment_1.parquet",
        "demo_launch.segment_3.csv",
        "demo_launch.segment_3.parquet",
    ]  # fmt: skip
    with duckdb.connect() as connection:
        parquet = connection.sql(
            f"select * from '{audiences_dir / 'demo_launch.segment_1.parquet'}'"
        )
        assert tuple(parquet.columns) == AUDIENCE_COLUMNS
        rows = parquet.fetchall()
        csv = connection.sql(
            f"select * from read_csv('{audiences_dir / 'demo_launch.segment_1.csv'}')"
        )
        assert csv.fetchall() == rows
    assert len(rows) == 50 and rows == sorted(rows)
    assert f"Published version {run_id}" in capsys.readouterr().out


def test_publishing_reads_the_warehouse_within_the_builds_memory_limit(tmp_path, monkeypatch):
    # README, Performance: DuckDB works within SEGMENTATION_DUCKDB_MEMORY_LIMIT, default 1GB;
    # publishing too, not within DuckDB's own default of 80% of the machine.
    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()

    def limit() -> str:
        with open_warehouse(warehouse) as connection:
            return connection.sql("select current_setting('memory_limit')").fetchall()[0][0]

    def duckdb_says(size: str) -> str:
        with duckdb.connect(config={"memory_limit": size}) as connection:
            return connection.sql("select current_setting('memory_limit')").fetchall()[0][0]

    monkeypatch.delenv("SEGMENTATION_DUCKDB_MEMORY_LIMIT", raising=False)
    assert limit() == duckdb_says("1GB")
    monkeypatch.setenv("SEGMENTATION_DUCKDB_MEMORY_LIMIT", "123MB")
    assert limit() == duckdb_says("123MB") != duckdb_says("1GB")
    # The default is profiles.yml's, not a second copy of it: change it there, publishing follows.
    monkeypatch.delenv("SEGMENTATION_DUCKDB_MEMORY_LIMIT")
    profiles = tmp_path / "profiles.yml"
    profiles.write_text(
        "memory_limit: \"{{ env_var('SEGMENTATION_DUCKDB_MEMORY_LIMIT', '256MB') }}\"\n"
    )
    monkeypatch.setattr(settings, "PROFILES_FILE", profiles)
    assert limit() == duckdb_says("256MB") != duckdb_says("1GB")


def test_publishing_the_same_build_again_changes_nothing(tmp_path, capsys):
    published_dir, audiences_dir = _folders(tmp_path)
    assert _publish_generation(tmp_path, 1) == 0
    before = folder_state(published_dir), audience_state(audiences_dir)
    assert main(["--db", str(tmp_path / "warehouse.duckdb")]) == 0
    assert "already the published version" in capsys.readouterr().out
    assert (folder_state(published_dir), audience_state(audiences_dir)) == before


def test_a_new_build_replaces_the_audiences_and_old_versions_are_pruned(tmp_path):
    published_dir, audiences_dir = _folders(tmp_path)
    run_ids = []
    for generation in (1, 2, 3, 4):
        assert _publish_generation(tmp_path, generation, keep=2) == 0
        run_ids.append(served_run_id(published_dir))
        assert audience_generation(audiences_dir) == {generation}
    # Generation 4 has segments 1 and 5 only: no stale file of segments 3 or 4 is left.
    assert sorted(audience_state(audiences_dir)) == [
        "CURRENT",
        "demo_launch.segment_1.csv",
        "demo_launch.segment_1.parquet",
        "demo_launch.segment_5.csv",
        "demo_launch.segment_5.parquet",
    ]  # fmt: skip
    assert published_versions(published_dir) == run_ids[-2:]
    versions = sorted(p.name for p in published_dir.iterdir() if RUN_ID_PATTERN.match(p.name))
    assert versions == run_ids[-2:]


def test_open_readers_keep_their_version_and_reconnecting_ones_get_the_new(tmp_path):
    published_dir, _ = _folders(tmp_path)
    assert _publish_generation(tmp_path, 1, keep=2) == 0
    first = served_run_id(published_dir)
    holder = duckdb.connect(str(published_dir / SERVING_DATABASE), read_only=True)
    try:
        assert _publish_generation(tmp_path, 2, keep=2) == 0
        second = (published_dir / "CURRENT").read_text().strip()
        assert second != first
        query = f"select distinct {RUN_ID_COLUMN} from dim_segments"
        # The connection that opened the first version still reads it, whole, after the swap...
        assert holder.sql(query).fetchall() == [(first,)]
        # ...and a new connection from another process (a BI tool reconnecting) reads the new
        # one. (Within one process DuckDB shares the open database: it reconnects to the new
        # file only once every connection of the process to the old one is closed.)
        assert _read_in_another_process(published_dir / SERVING_DATABASE) == second
        # Two publishes later the first version's files are gone (keep = 2): a connection held
        # that long fails, which is why README tells BI tools to reconnect after each build.
        assert _publish_generation(tmp_path, 3, keep=2) == 0
        with pytest.raises(duckdb.Error, match="No files found"):
            holder.sql(query).fetchall()
    finally:
        holder.close()


def _read_in_another_process(serving: Path) -> str:
    code = (
        "import duckdb, sys; "
        "connection = duckdb.connect(sys.argv[1], read_only=True); "
        f"query = 'select distinct {RUN_ID_COLUMN} from dim_segments'; "
        "print(connection.sql(query).fetchall()[0][0])"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code, str(serving)], capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"status": "failed"}, "did not succeed: 1 node(s) failed, 3 skipped; failed: assert_some"),
        ({"status": "running"}, "never finished"),
        ({"command": "run"}, "was `dbt run`"),
        ({"is_full_build": False}, "left out models or data tests"),
        ({"is_empty": True}, "ran with --empty"),
    ],
)
def test_a_build_that_is_not_complete_and_successful_is_not_published(
    tmp_path, capsys, options, message
):
    published_dir, audiences_dir = _folders(tmp_path)
    assert _publish_generation(tmp_path, 1) == 0
    before = folder_state(published_dir), audience_state(audiences_dir)
    capsys.readouterr()
    assert _publish_generation(tmp_path, 2, **options) == 1
    error = capsys.readouterr().err
    assert error.startswith("Nothing published: ")
    assert message in error
    assert "The published version is unchanged." in error
    assert (folder_state(published_dir), audience_state(audiences_dir)) == before


def test_a_warehouse_without_a_build_log_is_not_published(tmp_path, capsys):
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    assert main(["--db", str(warehouse)]) == 1
    assert "no dbt build recorded" in capsys.readouterr().err


def test_output_folders_holding_someone_elses_files_are_refused_and_left_alone(tmp_path, capsys):
    """Issue 13's fault: audiences_dir pointed at a user's folder emptied it, the warehouse
    file included, and the build reported success."""
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "plan.txt").write_text("mine")
    (documents / "sub").mkdir()
    (documents / "sub" / "photo.jpg").write_bytes(b"\xff\xd8")
    warehouse = fake_warehouse(documents / "warehouse.duckdb", 1, tmp_path / "pub", documents)
    before = folder_state(documents)
    assert main(["--db", str(warehouse)]) == 1
    error = capsys.readouterr().err
    assert f"var audiences_dir = {documents}" in error and "not empty" in error
    assert folder_state(documents) == before
    assert not (tmp_path / "pub" / SERVING_DATABASE).exists()  # nothing half-published


def test_files_a_user_adds_to_owned_folders_survive_every_publish(tmp_path):
    published_dir, audiences_dir = _folders(tmp_path)
    assert _publish_generation(tmp_path, 1, keep=1) == 0
    for folder in (published_dir, audiences_dir):
        (folder / "notes.txt").write_text("mine")
        (folder / "sub").mkdir()
        (folder / "sub" / "keep.txt").write_text("mine")
    for generation in (2, 3, 4):
        assert _publish_generation(tmp_path, generation, keep=1) == 0
    assert _publish_generation(tmp_path, 1, status="failed", keep=1) == 1
    for folder in (published_dir, audiences_dir):
        assert (folder / "notes.txt").read_text() == "mine"
        assert (folder / "sub" / "keep.txt").read_text() == "mine"


def test_a_user_file_in_the_way_of_an_audience_file_stops_publishing(tmp_path, capsys):
    published_dir, audiences_dir = _folders(tmp_path)
    assert _publish_generation(tmp_path, 1) == 0
    (audiences_dir / "demo_launch.segment_4.csv").write_text("the user's own file")
    before = folder_state(published_dir), audience_state(audiences_dir)
    assert _publish_generation(tmp_path, 2) == 1  # generation 2 has a segment 4
    assert "demo_launch.segment_4.csv was not written by this project" in capsys.readouterr().err
    assert (folder_state(published_dir), audience_state(audiences_dir)) == before
    assert [p.name for p in published_dir.iterdir() if p.name.startswith(".staging")] == []


def test_the_same_folder_for_both_settings_is_refused(tmp_path, capsys):
    folder = tmp_path / "out"
    warehouse = fake_warehouse(tmp_path / "w.duckdb", 1, folder, folder)
    assert main(["--db", str(warehouse)]) == 1
    error = capsys.readouterr().err
    assert "audiences_dir and published_dir must be different folders" in error
    assert not folder.exists()


# --- Through dbt ---

READER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    import duckdb

    serving, stop, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    reads, errors, sequence = 0, [], []
    last = False
    while True:
        last = stop.exists()
        try:
            with duckdb.connect(str(serving), read_only=True) as connection:
                listed = connection.sql("select table_name from publication").fetchall()
                tables = [r[0] for r in listed]
                seen = set()
                for table in [*tables, "publication"]:
                    query = f"select distinct published_run_id from {table}"
                    rows = connection.sql(query).fetchall()
                    seen |= {r[0] for r in rows}
                    connection.sql(f"select count(*) from {table}").fetchall()
            reads += 1
            if len(seen) != 1:
                errors.append(f"mixed versions in one read: {sorted(seen)}")
            elif not sequence or sequence[-1] != next(iter(seen)):
                sequence.append(next(iter(seen)))
        except Exception as error:  # every failure to read counts
            errors.append(repr(error))
        if last:
            break
        time.sleep(0.01)
    out.write_text(json.dumps({"reads": reads, "errors": errors[:20], "sequence": sequence}))
    """
)


@pytest.mark.dbt
def test_demo_build_publishes_every_mart_from_one_run(campaign_build):
    run_ids = serving_run_ids(campaign_build.serving)
    assert set(run_ids) == {*PUBLISHED_TABLES, "publication"}
    assert len(set().union(*run_ids.values())) == 1
    (run_id,) = set().union(*run_ids.values())
    assert published_versions(campaign_build.published_dir) == [run_id]
    assert (campaign_build.published_dir / "CURRENT").read_text() == run_id + "\n"
    assert (campaign_build.audiences_dir / "CURRENT").read_text() == run_id + "\n"
    # The version names the build it publishes.
    (invocation,) = campaign_build.result.query(
        "select distinct run_id from dim_segmentation_runs"
    )[0]
    with duckdb.connect(str(campaign_build.serving), read_only=True) as reader:
        assert reader.sql("select distinct invocation_id from publication").fetchall() == [
            (invocation,)
        ]


@pytest.mark.dbt
def test_published_marts_equal_the_warehouse_above_the_floor(campaign_build):
    with duckdb.connect(str(campaign_build.serving), read_only=True) as reader:
        published = reader.sql(
            "select segment_id, segment_name, users, modal_gender, description, "
            "is_below_privacy_floor "
            "from dim_segments order by 1"
        ).fetchall()
        interests = reader.sql("select count(*) from fct_segment_interests").fetchall()
    warehouse = campaign_build.result.query(
        "select segment_id, segment_name, users, modal_gender, description, users < 10 "
        "from dim_segments order by 1"
    )
    assert published == warehouse
    assert interests == campaign_build.result.query("select count(*) from fct_segment_interests")


@pytest.mark.dbt
def test_the_privacy_floor_holds_on_every_published_table_end_to_end(tmp_path):
    """A build whose floor (var min_segment_size) lies between the demo's segment sizes: what
    README promises for a segment below it, checked on every published table and file."""
    variables = {**campaign_variables(tmp_path), "min_segment_size": 200}
    result = build_and_publish(tmp_path, variables=variables)
    assert result.ok, result.output[-5000:]
    sizes = dict(result.query("select segment_id, users from dim_segments"))
    small = {s for s, users in sizes.items() if users < 200}
    assert small and len(small) < len(sizes), sizes  # the demo's sizes: 151 to 250
    serving = tmp_path / "build" / "published" / SERVING_DATABASE
    with duckdb.connect(str(serving), read_only=True) as reader:
        tables = [r[0] for r in reader.sql("select table_name from publication").fetchall()]
        assert set(tables) == set(PUBLISHED_TABLES)
        frames = {table: reader.sql(f"select * from {table}").df() for table in tables}
    # README: "its rows are removed from fct_segment_interests and fct_segment_metric_indexes".
    # The lift of a campaign too: its audience leaves such a segment out.
    for table in ("fct_segment_interests", "fct_segment_metric_indexes", "fct_campaign_lift"):
        assert not set(frames[table]["segment_id"]) & small, table
        assert set(frames[table]["segment_id"]) == set(sizes) - small, table

    # README: in dim_segments and rpt_segment_recommendations it keeps its size and behaviour
    # figures, but traits, medians, age and income figures, description, targets and
    # recommendation are empty, its name is "Segment <id>" and is_below_privacy_floor is true.
    def withheld(column: str) -> bool:
        return (
            column.startswith(("modal_", "median_", "target_device_usage", "top_interest"))
            or "age_midpoint_years" in column
            or "income_midpoint_usd" in column
            or column in ("description", "persona_rule", "recommendation")
        )

    for table in ("dim_segments", "rpt_segment_recommendations"):
        frame = frames[table].set_index("segment_id")
        assert set(frame.index) == set(sizes), table
        columns = [c for c in frame.columns if withheld(c)]
        assert len(columns) >= (20 if table == "dim_segments" else 5), columns
        for segment_id in small:
            row = frame.loc[segment_id]
            assert row["segment_name"] == f"Segment {segment_id}"
            assert bool(row["is_below_privacy_floor"]) is True
            assert row[columns].isna().all(), row[columns][row[columns].notna()]
            assert row["users"] == sizes[segment_id]
        for segment_id in set(sizes) - small:
            assert bool(frame.loc[segment_id, "is_below_privacy_floor"]) is False
    behaviour = frames["dim_segments"].set_index("segment_id")["avg_click_through_rate"]
    assert behaviour.loc[list(small)].notna().all()
    # Tables without a row per segment carry no segment at all.
    for table in (
        "rpt_user_base_distributions",
        "rpt_segmentation_quality",
        "fct_campaign_balance",
    ):
        assert not {"segment_id", "segment_name"} & set(frames[table].columns), table
    # README: "it gets no audience file".
    audience_files = {p.name for p in (tmp_path / "build" / "audiences").glob("*.segment_*")}
    assert audience_files == {
        f"demo_launch.segment_{s}.{ext}" for s in set(sizes) - small for ext in ("csv", "parquet")
    }


@pytest.mark.dbt
def test_audience_files_hold_the_campaign_audiences_and_nothing_else(campaign_build):
    expected = {
        (campaign_key, segment_id): users
        for campaign_key, segment_id, users in campaign_build.result.query(
            "select campaign_key, segment_id, count(*) from fct_campaign_holdouts "
            "where arm = 'treatment' group by 1, 2"
        )
    }
    assert {campaign_key for campaign_key, _ in expected} == {"demo_launch"}
    files = sorted(p.name for p in campaign_build.audiences_dir.glob("*.segment_*"))
    assert files == sorted(
        f"{c}.segment_{s}.{ext}" for c, s in expected for ext in ("csv", "parquet")
    )
    connection = duckdb.connect()
    for (campaign_key, segment_id), users in expected.items():
        for ext in ("parquet", "csv"):
            path = campaign_build.audiences_dir / f"{campaign_key}.segment_{segment_id}.{ext}"
            relation = connection.sql(f"select * from '{path}'")
            assert tuple(relation.columns) == AUDIENCE_COLUMNS
            rows = relation.fetchall()
            assert len(rows) == users
            assert {(row[0], row[2]) for row in rows} == {(campaign_key, segment_id)}


@pytest.mark.dbt
def test_no_control_user_is_in_an_audience_file(campaign_build):
    """Issue 17: the audience files carry the treatment arm only; the control arm is kept for
    measurement. Every audience member is in exactly one arm: the files hold the treatment arm
    whole, and not one control user."""
    holdouts = campaign_build.result.frame(
        "select campaign_key, user_id, arm from fct_campaign_holdouts"
    )
    control = holdouts[holdouts["arm"] == "control"]
    assert len(control) > 0  # the demo's control arm is not empty, or this proves nothing
    with duckdb.connect() as connection:
        in_files = connection.sql(
            f"select campaign_key, user_id from read_parquet("
            f"'{campaign_build.audiences_dir}/*.segment_*.parquet')"
        ).df()
        in_csv = connection.sql(
            f"select campaign_key, cast(user_id as varchar) as user_id from read_csv("
            f"'{campaign_build.audiences_dir}/*.segment_*.csv', all_varchar = true)"
        ).df()
    for found in (in_files, in_csv):
        pairs = set(zip(found["campaign_key"], found["user_id"], strict=True))
        assert not pairs & set(zip(control["campaign_key"], control["user_id"], strict=True))
        treatment = holdouts[holdouts["arm"] == "treatment"]
        assert pairs == set(zip(treatment["campaign_key"], treatment["user_id"], strict=True))


@pytest.mark.dbt
def test_readers_never_error_nor_see_a_mix_while_dbt_builds_and_publishes(campaign_build, tmp_path):
    before = set().union(*serving_run_ids(campaign_build.serving).values())
    stop, out = tmp_path / "stop", tmp_path / "reads.json"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(campaign_build.serving), str(stop), str(out)]
    )
    try:
        time.sleep(0.5)
        result = build_and_publish(campaign_build.workdir, variables=campaign_build.variables)
    finally:
        stop.touch()
        reader.wait(timeout=120)
    assert result.ok, result.output[-5000:]
    reads = json.loads(out.read_text())
    assert reads["errors"] == []
    assert reads["reads"] >= 20, reads
    after = set().union(*serving_run_ids(campaign_build.serving).values())
    assert len(after) == 1 and after != before
    # One switch, from the old version to the new one, never back.
    assert reads["sequence"] == [*before, *after]


def _visible(build: CampaignBuild) -> tuple:
    """Everything a reader can see: the serving database's contents, the published folder's
    files, the audience files."""
    return (
        serving_run_ids(build.serving),
        folder_state(build.published_dir),
        folder_state(build.audiences_dir),
    )


def _failing_project(tmp_path: Path, test_sql: str) -> Path:
    """A copy of the project (its tracked files) with one more singular data test."""
    copy = tmp_path / "project"
    listed = (
        subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_DIR, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = PROJECT_DIR / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    (copy / "tests" / "dbt" / "assert_injected_failure.sql").write_text(test_sql)
    return copy


@pytest.mark.dbt
def test_a_failed_build_publishes_nothing(campaign_build, tmp_path):
    """A build that fails anywhere, in a branch publishing does not read included, changes
    nothing readers see, and `make publish` afterwards refuses it."""
    before = _visible(campaign_build)
    rows = [
        f"u{i},not-an-age,Male,Urban,English,Bachelor,100,10,Mobile Only,2,3,0.1,0.05,30,"
        "20k-40k,Gaming"
        for i in range(40)
    ]
    bad_input = tmp_path / "bad.csv"
    bad_input.write_text("\n".join([",".join(EXPORT_COLUMNS), *rows]) + "\n")
    bad_rules = tmp_path / "rules.yml"
    bad_rules.write_text("rule_segments:\n  - name: x\n    condition: {flag: no_such_flag}\n")
    failures = {
        "too many rejected rows": ({"user_profiles_path": str(bad_input)}, {}),
        # The last node of a branch nothing published reads (the rule segments' overlap).
        "a failing test on an unpublished model": (
            {},
            {
                "project_dir": _failing_project(
                    tmp_path,
                    "select * from {{ ref('fct_segment_overlaps') }} where users_in_both >= 0",
                )
            },
        ),
        "a bad rule-segments file": ({"rule_segments_path": str(bad_rules)}, {}),
    }
    for failure, (variables, options) in failures.items():
        result = run_dbt(
            campaign_build.workdir, variables={**campaign_build.variables, **variables}, **options
        )
        assert not result.ok, failure
        assert _visible(campaign_build) == before, failure
        published = run_publish(campaign_build.result.database)
        assert published.returncode == 1, failure
        assert published.stderr.startswith("Nothing published: the last dbt build on"), failure
        assert "did not succeed" in published.stderr, failure
        assert _visible(campaign_build) == before, failure
    # A good build afterwards publishes again.
    rebuilt = build_and_publish(campaign_build.workdir, variables=campaign_build.variables)
    assert rebuilt.ok, rebuilt.output[-3000:]
    assert _visible(campaign_build)[0] != before[0]


@pytest.mark.dbt
def test_a_killed_build_publishes_nothing_and_a_users_folder_survives(tmp_path):
    """`kill -9` in the middle of `dbt build`: the build log keeps it 'running', so publishing
    refuses it; a user's folder given as audiences_dir survives that and a good build."""
    documents = tmp_path / "documents"
    (documents / "sub").mkdir(parents=True)
    (documents / "plan.txt").write_text("mine")
    (documents / "sub" / "photo.jpg").write_bytes(b"\xff\xd8")
    before = folder_state(documents)
    variables = {"published_dir": str(tmp_path / "published"), "audiences_dir": str(documents)}
    good = build_and_publish(tmp_path, variables=variables)
    assert not good.ok
    assert f"var audiences_dir = {documents}" in good.output and "not empty" in good.output
    assert folder_state(documents) == before

    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "SEGMENTATION_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"),
        "SEGMENTATION_BUILD_DIR": str(tmp_path / "build"),
    }
    log = tmp_path / "killed.log"
    with log.open("w") as handle:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("dbt")), "build",
                "--project-dir", str(PROJECT_DIR),
                "--target-path", str(tmp_path / "target-killed"),
                "--vars", json.dumps(variables),
            ],
            cwd=PROJECT_DIR, env=env, stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and log.read_text().count(" OK created ") < 15:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert log.read_text().count(" OK created ") >= 15, log.read_text()[-2000:]
    published = run_publish(tmp_path / "warehouse.duckdb")
    assert published.returncode == 1
    assert "never finished" in published.stderr
    assert folder_state(documents) == before
    assert not (tmp_path / "published" / SERVING_DATABASE).exists()


@pytest.mark.dbt
def test_campaign_settings_are_checked_naming_the_var(tmp_path):
    result = run_dbt(
        tmp_path,
        command="run-operation",
        variables={"min_segment_size": 0, "interest_min_share_of_segment": 2},
        extra=["check_campaign_settings"],
    )
    assert not result.ok
    assert "min_segment_size must be a whole number >= 1" in result.output
    assert "interest_min_share_of_segment must be a number between 0 and 1" in result.output


def test_a_warehouse_held_by_a_writer_gets_one_line_naming_the_process(tmp_path, capsys):
    published_dir, audiences_dir = _folders(tmp_path)
    warehouse = fake_warehouse(tmp_path / "warehouse.duckdb", 1, published_dir, audiences_dir)
    holder = subprocess.Popen(
        [
            sys.executable, "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', "
            "flush=True); time.sleep(60)",
            str(warehouse),
        ],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert main(["--db", str(warehouse)]) == 1
    finally:
        holder.kill()
        holder.wait()
    error = capsys.readouterr().err
    assert error.startswith(f"Nothing published: The warehouse {warehouse} is in use")
    assert f"PID {holder.pid}" in error and error.rstrip().endswith("then run `make publish`.")
    assert len(error.strip().splitlines()) == 1
    assert not (published_dir / SERVING_DATABASE).exists()


def _makefile_build_flags() -> list[str]:
    """The flags `make build` gives `dbt build` (the Makefile's DBT_BUILD_FLAGS)."""
    text = (PROJECT_DIR / "Makefile").read_text()
    found = re.search(r"^DBT_BUILD_FLAGS\s*:?=\s*(.*)$", text, re.MULTILINE)
    assert found, "the Makefile defines no DBT_BUILD_FLAGS"
    assert "$(BIN)/dbt build $(DBT_BUILD_FLAGS) " in text, "make build does not pass them"
    return found.group(1).split()


def test_the_production_build_publishes_and_a_build_without_data_tests_does_not(tmp_path):
    """Issue 16: `make build` leaves out the unit tests (README, "What make build runs"), and
    that build is published; one that also leaves out the data tests that guard the marts is
    refused, and what readers see stays as it was."""
    flags = _makefile_build_flags()
    assert flags == ["--exclude-resource-type", "unit_test"]
    production = run_dbt(tmp_path / "production", extra=flags)
    assert production.ok, production.output
    ran = [
        result["unique_id"].split(".")[0]
        for result in json.loads(
            (tmp_path / "production" / "target" / "run_results.json").read_text()
        )["results"]
    ]
    assert "unit_test" not in ran
    assert ran.count("test") > 100
    published = run_publish(production.database)
    assert published.returncode == 0, published.stdout + published.stderr
    untested = run_dbt(
        tmp_path / "production",
        extra=["--exclude-resource-type", "unit_test", "--exclude-resource-type", "test"],
        database=production.database,
    )
    assert untested.ok, untested.output
    refused = run_publish(production.database)
    assert refused.returncode == 1
    assert "left out models or data tests" in refused.stderr

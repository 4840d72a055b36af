"""Publishing for BI and audiences: the privacy floor, versions, the atomic swap, and, through
dbt, readers that never error nor see a mix while a build runs, and failed builds that publish
nothing."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from conftest import DbtResult, run_dbt
from segmentation.publish import (
    AUDIENCE_COLUMNS,
    FLOOR_COLUMN,
    PUBLICATION_COLUMNS,
    RUN_ID_COLUMN,
    RUN_ID_PATTERN,
    SERVING_DATABASE,
    PublishSettingError,
    PublishSettings,
    export_audiences,
    is_suppressed_column,
    new_run_id,
    prune_versions,
    publish,
    published_select,
    published_versions,
    small_segments,
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
    """`dbt build` on the demo seed, publishing under a throwaway folder; run once per session
    whichever test module asks first (the folder is the cache, a failure included)."""
    workdir = tmp_path_factory.getbasetemp() / "campaigns"
    marker = workdir / "build.json"
    if marker.exists():
        stored = json.loads(marker.read_text())
        result = DbtResult(stored["returncode"], stored["output"], workdir / "warehouse.duckdb")
    else:
        result = run_dbt(workdir, variables=campaign_variables(workdir))
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


def test_small_segments_are_those_below_the_floor():
    assert small_segments({1: 10, 2: 9, 3: 1000, 4: 0}, 10) == [2, 4]
    assert small_segments({1: 10}, 10) == []


@pytest.mark.parametrize(
    ("column", "suppressed"),
    [
        ("modal_gender", True),
        ("modal_gender_share", True),
        ("median_click_through_rate", True),
        ("avg_age_midpoint_years", True),
        ("income_midpoint_usd_index", True),
        ("description", True),
        ("target_device_usage_index", True),
        ("top_interest_2_lift", True),
        ("recommendation", True),
        ("avg_click_through_rate", False),
        ("users", False),
        ("schedule_on", False),
    ],
)
def test_demographic_columns_are_the_suppressed_ones(column, suppressed):
    assert is_suppressed_column(column) is suppressed


def _segments_relation(connection):
    return connection.sql(
        """
        select * from (values
            (1, 'Big Spenders', 'Female', 0.8::double, 35.0::double, 'Mostly women', 'Gaming',
             0.2::double, 50),
            (2, '25-34 Males', 'Male', 1.0::double, 29.5::double, 'Young men', 'Pet Care',
             0.1::double, 4)
        ) as t(segment_id, segment_name, modal_gender, modal_gender_share,
               median_age_midpoint_years, description, top_interest_1,
               avg_click_through_rate, users)
        """
    )


def test_one_row_per_segment_tables_mask_small_segments():
    connection = duckdb.connect()
    relation = _segments_relation(connection)
    query = published_select("dim_segments", relation.columns, [2], "run-1")
    rows = relation.query("published_source", query).order("segment_id")
    records = [dict(zip(rows.columns, row, strict=True)) for row in rows.fetchall()]
    big, small = records
    assert big["segment_name"] == "Big Spenders" and big["modal_gender"] == "Female"
    assert big[FLOOR_COLUMN] is False and big["description"] == "Mostly women"
    assert small["segment_name"] == "Segment 2"
    for column in ("modal_gender", "modal_gender_share", "median_age_midpoint_years",
                   "description", "top_interest_1"):  # fmt: skip
        assert small[column] is None, column
    assert small["avg_click_through_rate"] == 0.1 and small["users"] == 4
    assert small[FLOOR_COLUMN] is True
    assert {r[RUN_ID_COLUMN] for r in records} == {"run-1"}


def test_breakdown_tables_drop_small_segments_and_others_are_kept_whole():
    connection = duckdb.connect()
    interests = connection.sql(
        "select * from (values (1, 'Gaming', 3), (2, 'Gaming', 1), (2, 'Pets', 1)) "
        "as t(segment_id, interest_name, users)"
    )
    kept = interests.query(
        "published_source", published_select("segment_interests", interests.columns, [2], "r")
    ).fetchall()
    assert kept == [(1, "Gaming", 3, "r")]
    population = connection.sql("select * from (values ('gender', 'Male', 2)) as t(a, v, users)")
    whole = population.query(
        "published_source",
        published_select("user_base_distributions", population.columns, [2], "r"),
    ).fetchall()
    assert whole == [("gender", "Male", 2, "r")]


def test_no_small_segment_changes_nothing_but_the_run_id():
    connection = duckdb.connect()
    relation = _segments_relation(connection)
    published = relation.query(
        "published_source", published_select("dim_segments", relation.columns, [], "r")
    ).order("segment_id")
    original = relation.order("segment_id").fetchall()
    assert [row[: len(relation.columns)] for row in published.fetchall()] == original


def _tables(connection, users_of_small: int = 4):
    return {
        "dim_segments": connection.sql(
            f"select * from (values (1, 'A', 'Male', 50), (2, 'B', 'Female', {users_of_small})) "
            "as t(segment_id, segment_name, modal_gender, users)"
        ),
        "segment_interests": connection.sql(
            "select * from (values (1, 'Gaming'), (2, 'Pets')) as t(segment_id, interest_name)"
        ),
    }


def _publish(connection, directory: Path, moment: int, keep: int = 3) -> str:
    run_id = new_run_id(
        f"{moment:08x}", datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=moment)
    )
    tables = _tables(connection)
    publish(tables, {1: 50, 2: 4}, PublishSettings(directory, keep, 10), run_id, f"inv-{moment}")
    return run_id


def test_publish_writes_a_version_and_a_serving_database_of_views(tmp_path):
    connection = duckdb.connect()
    run_id = _publish(connection, tmp_path / "published", 1)
    serving = tmp_path / "published" / SERVING_DATABASE
    assert published_versions(tmp_path / "published") == [run_id]
    with duckdb.connect(str(serving), read_only=True) as reader:
        segments = reader.sql(
            f"select segment_id, segment_name, modal_gender, {FLOOR_COLUMN}, {RUN_ID_COLUMN} "
            "from dim_segments order by 1"
        ).fetchall()
        interests = reader.sql("select segment_id from segment_interests").fetchall()
        publication = reader.sql(
            "select table_name, row_count from publication order by 1"
        ).fetchall()
        views = {
            r[0]
            for r in reader.sql(
                "select view_name from duckdb_views() where not internal"
            ).fetchall()
        }
    assert segments == [(1, "A", "Male", False, run_id), (2, "Segment 2", None, True, run_id)]
    assert interests == [(1,)]
    assert publication == [("dim_segments", 2), ("segment_interests", 1)]
    assert views == {"dim_segments", "segment_interests"}
    leftovers = [p.name for p in (tmp_path / "published").iterdir() if p.name.startswith(".")]
    assert leftovers == []


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


def test_nothing_is_published_without_segments(tmp_path):
    connection = duckdb.connect()
    directory = tmp_path / "published"
    first = _publish(connection, directory, 1)
    before = folder_state(directory)
    rows = publish(
        _tables(connection), {}, PublishSettings(directory), new_run_id("abc"), "empty-build"
    )
    assert rows == []
    assert folder_state(directory) == before
    assert published_versions(directory) == [first]


def test_publish_rows_have_the_documented_columns(tmp_path):
    connection = duckdb.connect()
    rows = publish(
        _tables(connection), {1: 50}, PublishSettings(tmp_path), new_run_id("abc"), "inv"
    )
    assert all(tuple(row) == PUBLICATION_COLUMNS for row in rows)


def test_old_versions_are_pruned_and_open_readers_keep_their_version(tmp_path):
    connection = duckdb.connect()
    directory = tmp_path / "published"
    serving = directory / SERVING_DATABASE
    first = _publish(connection, directory, 1, keep=2)
    holder = duckdb.connect(str(serving), read_only=True)
    try:
        second = _publish(connection, directory, 2, keep=2)
        # The reader that opened the first version still reads it, whole, after the swap...
        assert holder.sql(f"select distinct {RUN_ID_COLUMN} from dim_segments").fetchall() == [
            (first,)
        ]
        # ...and a new connection from another process (a BI tool reconnecting) reads the new
        # one. (Within one process DuckDB shares the open database: it reconnects to the new
        # file only once every connection of the process to the old one is closed.)
        assert _read_in_another_process(serving) == second
        third = _publish(connection, directory, 3, keep=2)
    finally:
        holder.close()
    assert published_versions(directory) == [second, third]


def test_prune_removes_leftovers_of_stopped_builds_but_never_the_current_version(tmp_path):
    names = [new_run_id("abcdef12", datetime(2025, 1, day, tzinfo=UTC)) for day in (1, 2, 3)]
    for name in names:
        (tmp_path / name).mkdir()
    (tmp_path / ".staging-old").mkdir()
    (tmp_path / f"{SERVING_DATABASE}.tmp-old").write_text("x")
    (tmp_path / "notes").mkdir()
    deleted = prune_versions(tmp_path, 1, current=names[0])
    assert {p.name for p in deleted} == {names[1], ".staging-old", f"{SERVING_DATABASE}.tmp-old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([names[0], names[2], "notes"])


def test_export_audiences_writes_only_the_audience_columns_and_drops_stale_segments(tmp_path):
    connection = duckdb.connect()
    audiences = connection.sql(
        "select * from (values ('u2', 1, 'A', 0.5::double, 'secret'), "
        "('u1', 1, 'A', 0.9::double, 'secret'), ('u3', 3, 'C', 0.1::double, 'secret')) "
        "as t(user_id, segment_id, segment_name, assignment_confidence, gender)"
    )
    directory = tmp_path / "audiences"
    directory.mkdir()
    (directory / "segment_7.csv").write_text("stale")
    rows = export_audiences(audiences, directory, "run")
    assert sorted(p.name for p in directory.iterdir()) == [
        "segment_1.csv", "segment_1.parquet", "segment_3.csv", "segment_3.parquet",
    ]  # fmt: skip
    assert {(r["segment_id"], r["file_format"], r["users"]) for r in rows} == {
        (1, "parquet", 2), (1, "csv", 2), (3, "parquet", 1), (3, "csv", 1),
    }  # fmt: skip
    parquet = connection.sql(f"select * from read_parquet('{directory / 'segment_1.parquet'}')")
    assert tuple(parquet.columns) == AUDIENCE_COLUMNS
    assert parquet.fetchall() == [("u1", 1, "A", 0.9), ("u2", 1, "A", 0.5)]
    header = (directory / "segment_3.csv").read_text().splitlines()[0]
    assert header.split(",") == list(AUDIENCE_COLUMNS)
    # The CSV is copied from the Parquet file: the same rows, in the same (user id) order.
    csv = connection.sql(f"select * from read_csv('{directory / 'segment_1.csv'}')")
    assert csv.fetchall() == parquet.fetchall()
    assert [p.name for p in tmp_path.iterdir()] == ["audiences"]


def test_export_audiences_refuses_a_relation_without_the_audience_columns(tmp_path):
    relation = duckdb.connect().sql("select 'u1' as user_id")
    with pytest.raises(PublishSettingError, match="lack columns"):
        export_audiences(relation, tmp_path / "audiences", "run")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"published_dir": ""}, "published_dir"),
        ({"published_dir": "x", "published_versions_to_keep": "0"}, "published_versions_to_keep"),
        ({"published_dir": "x", "min_segment_size": "ten"}, "min_segment_size"),
    ],
)
def test_publish_settings_refuse_unusable_values(config, message):
    with pytest.raises(PublishSettingError, match=message):
        PublishSettings.from_config(config)


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
    assert set(run_ids) >= {
        "dim_segments", "segment_interests", "segment_metric_indexes",
        "segment_recommendations", "user_base_distributions", "publication",
    }  # fmt: skip
    assert len(set().union(*run_ids.values())) == 1
    (run_id,) = set().union(*run_ids.values())
    assert published_versions(campaign_build.published_dir)[-1] == run_id
    stored = campaign_build.result.query(f"select distinct {RUN_ID_COLUMN} from published_tables")
    assert stored == [(run_id,)]


@pytest.mark.dbt
def test_published_marts_equal_the_warehouse_above_the_floor(campaign_build):
    with duckdb.connect(str(campaign_build.serving), read_only=True) as reader:
        published = reader.sql(
            "select segment_id, segment_name, users, modal_gender, description, "
            "is_below_privacy_floor "
            "from dim_segments order by 1"
        ).fetchall()
        interests = reader.sql("select count(*) from segment_interests").fetchall()
    warehouse = campaign_build.result.query(
        "select segment_id, segment_name, users, modal_gender, description, users < 10 "
        "from dim_segments order by 1"
    )
    assert published == warehouse
    assert interests == campaign_build.result.query("select count(*) from segment_interests")


@pytest.mark.dbt
def test_the_privacy_floor_on_the_built_marts(campaign_build, tmp_path):
    """Publishing the demo warehouse with a floor between its segment sizes: small segments lose
    their demographics and breakdown rows, the others keep everything."""
    with duckdb.connect(str(campaign_build.result.database), read_only=True) as warehouse:
        sizes = dict(warehouse.sql("select segment_id, users from dim_segments").fetchall())
        floor = sorted(sizes.values())[len(sizes) // 2]
        small = set(small_segments(sizes, floor))
        assert small and len(small) < len(sizes)
        tables = {
            name: warehouse.table(name)
            for name in ("dim_segments", "segment_interests", "segment_recommendations")
        }
        run_id = new_run_id("feedbeef")
        publish(tables, sizes, PublishSettings(tmp_path, 3, floor), run_id, "test")
    with duckdb.connect(str(tmp_path / SERVING_DATABASE), read_only=True) as reader:
        segments = reader.sql("select * from dim_segments").df().set_index("segment_id")
        recommendations = (
            reader.sql("select * from segment_recommendations").df().set_index("segment_id")
        )
        interest_segments = {
            r[0] for r in reader.sql("select distinct segment_id from segment_interests").fetchall()
        }
    assert set(segments.index[segments[FLOOR_COLUMN]]) == small
    assert interest_segments == set(sizes) - small
    for segment_id in small:
        assert segments.loc[segment_id, "segment_name"] == f"Segment {segment_id}"
        assert (
            segments.loc[segment_id, ["modal_age_band", "modal_gender", "description"]].isna().all()
        )
        assert (
            recommendations.loc[segment_id, ["target_device_usage", "recommendation"]].isna().all()
        )
    for segment_id in set(sizes) - small:
        assert segments.loc[segment_id, ["modal_age_band", "description"]].notna().all()


@pytest.mark.dbt
def test_audience_files_hold_the_campaign_audiences_and_nothing_else(campaign_build):
    expected = dict(
        campaign_build.result.query(
            "select segment_id, count(*) from campaign_audiences group by 1"
        )
    )
    files = sorted(p.name for p in campaign_build.audiences_dir.iterdir())
    assert files == sorted(f"segment_{s}.{ext}" for s in expected for ext in ("csv", "parquet"))
    connection = duckdb.connect()
    for segment_id, users in expected.items():
        for ext in ("parquet", "csv"):
            path = campaign_build.audiences_dir / f"segment_{segment_id}.{ext}"
            relation = connection.sql(f"select * from '{path}'")
            assert tuple(relation.columns) == AUDIENCE_COLUMNS
            rows = relation.fetchall()
            assert len(rows) == users
            assert {row[1] for row in rows} == {segment_id}


@pytest.mark.dbt
def test_readers_never_error_nor_see_a_mix_while_dbt_builds(campaign_build, tmp_path):
    before = set().union(*serving_run_ids(campaign_build.serving).values())
    stop, out = tmp_path / "stop", tmp_path / "reads.json"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(campaign_build.serving), str(stop), str(out)]
    )
    try:
        time.sleep(0.5)
        result = run_dbt(campaign_build.workdir, variables=campaign_build.variables)
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


@pytest.mark.dbt
def test_a_failed_build_leaves_the_published_version_as_it_was(campaign_build, tmp_path):
    header = (
        "User ID,Age,Gender,Location,Language,Education Level,Likes and Reactions,"
        "Followed Accounts,Device Usage,Time Spent Online (hrs/weekday),"
        "Time Spent Online (hrs/weekend),Click-Through Rates (CTR),Conversion Rates,"
        "Ad Interaction Time (sec),Income Level,Top Interests"
    )
    rows = [
        f"u{i},not-an-age,Male,Urban,English,Bachelor,100,10,Mobile Only,2,3,0.1,0.05,30,"
        "20k-40k,Gaming"
        for i in range(40)
    ]
    bad_input = tmp_path / "bad.csv"
    bad_input.write_text("\n".join([header, *rows]) + "\n")
    published_before = folder_state(campaign_build.published_dir)
    audiences_before = folder_state(campaign_build.audiences_dir)

    result = run_dbt(
        tmp_path / "failing",
        variables={**campaign_build.variables, "user_profiles_path": str(bad_input)},
    )

    assert not result.ok
    assert "max_rejected_share" in result.output
    assert folder_state(campaign_build.published_dir) == published_before
    assert folder_state(campaign_build.audiences_dir) == audiences_before


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

"""More of publishing's rules, fast: its settings and their defaults (README's table), the
refusals and what they say, the command's options (README "Re-publishing"), the audience files'
header, the serving database's version, SQL quoting and run ids. test_publish.py and
test_publish_recovery.py hold the rest."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from segmentation import publish as publish_module
from segmentation.publish import (
    BuildRecord,
    PublishRefused,
    PublishSettingError,
    PublishSettings,
    check_publishable,
    last_build,
    main,
    new_run_id,
    quote_identifier,
    quote_literal,
    served_run_id,
    settings_from_build,
)
from warehouses import audience_state, fake_warehouse, generation_of
from warehouses import served_run_id as reader_sees

# --- Settings (README: published_dir, audiences_dir, published_versions_to_keep 3,
# min_segment_size 10) ---


RECORDED = {  # a valid campaigns area as a build log records it (folders resolved)
    "min_segment_size": 10,
    "audience_min_confidence": 0,
    "interest_min_users": 10,
    "interest_min_share_of_segment": 0.05,
    "schedule_index_margin": 5,
    "histogram_bins": 20,
    "published_versions_to_keep": 3,
    "audiences_dir": "build/audiences",
    "published_dir": "build/published",
    "campaigns": ["demo_launch"],
    "holdout_control_share": 0.1,
    "lift_min_users_per_arm": 30,
    "lift_meaningful_effect": 0.02,
    "balance_sample_size": 1000000,
}


def test_publishing_reads_the_settings_the_build_recorded():
    settings = settings_from_build(RECORDED)
    assert settings == PublishSettings(Path("build/published"), 3, 10, Path("build/audiences"))
    given = settings_from_build(
        {**RECORDED, "published_versions_to_keep": 5, "min_segment_size": 7}, Path("p"), Path("a")
    )
    assert given == PublishSettings(Path("p"), 5, 7, Path("a"))


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"published_versions_to_keep": 0}, "published_versions_to_keep must be a whole number"),
        ({"published_versions_to_keep": "two"}, "published_versions_to_keep must be a whole"),
        ({"min_segment_size": 1.5}, "min_segment_size must be a whole number >= 1, got '1.5'"),
        ({"min_segment_size": -1}, "min_segment_size must be a whole number >= 1, got '-1'"),
        ({"min_segment_size": None}, "var min_segment_size is not set"),
        ({"published_dir": "build/audiences"}, "audiences_dir and published_dir"),
    ],
)
def test_a_recorded_setting_that_cannot_be_used_is_named(change, says):
    recorded = {name: value for name, value in {**RECORDED, **change}.items() if value is not None}
    with pytest.raises(PublishSettingError) as refused:
        settings_from_build(recorded)
    message = str(refused.value)
    assert message.startswith("Invalid campaigns settings (dbt vars):")
    assert says in message
    assert message.endswith("fix them and run `make build`)")


# --- What a refusal says ---


def _build(**fields) -> BuildRecord:
    record = {
        "invocation_id": "i",
        "command": "build",
        "started_at": datetime(2025, 3, 4, 5, 6, 7),
        "status": "success",
        "failed_nodes": 0,
        "skipped_nodes": 0,
        "failures": "",
        "is_full_build": True,
        "is_empty": False,
        "settings": {},
    }
    return BuildRecord(**(record | fields))


WAREHOUSE = Path("/data/w.duckdb")


@pytest.mark.parametrize(
    ("fields", "says", "advice"),
    [
        ({"status": "running"}, "never finished", "Run `dbt build` again."),
        (
            {"command": "run"},
            "was `dbt run`",
            "only a complete build, with its tests, is published.",
        ),
        (
            {"status": "error", "failed_nodes": 2, "skipped_nodes": 1},
            "did not succeed: 2 node(s) failed, 1 skipped",
            "1 skipped.",
        ),
        (
            {"status": "error", "failed_nodes": 1, "failures": "test_a (fail)"},
            "did not succeed: 1 node(s) failed, 0 skipped",
            "; failed: test_a (fail).",
        ),
        ({"is_empty": True}, "ran with --empty", "ran with --empty."),
        (
            {"is_full_build": False},
            "left out models or data tests",
            "(leaving out unit tests, as `make build` does, is fine).",
        ),
    ],
)
def test_a_refusal_names_the_warehouse_when_and_why(fields, says, advice):
    with pytest.raises(PublishRefused) as refused:
        check_publishable(_build(**fields), WAREHOUSE)
    message = str(refused.value)
    assert str(WAREHOUSE) in message and "2025-03-04 05:06:07 UTC" in message
    assert says in message
    assert message.endswith(advice)


def test_no_build_and_a_good_build():
    with pytest.raises(PublishRefused, match=f"no dbt build recorded in {WAREHOUSE}"):
        check_publishable(None, WAREHOUSE)
    check_publishable(_build(), WAREHOUSE)  # no refusal


def test_the_build_log_is_read_newest_first_and_settings_may_be_missing(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        assert last_build(connection) is None
        connection.execute(
            "create table segmentation_build_log (invocation_id varchar, command varchar, "
            "started_at timestamp, status varchar, failed_nodes integer, skipped_nodes integer, "
            "failures varchar, is_full_build boolean, is_empty boolean, "
            "publish_settings_json varchar)"
        )
        assert last_build(connection) is None
        connection.execute(
            "insert into segmentation_build_log values "
            "('old', 'build', '2025-01-01', 'success', 0, 0, '', true, false, '{\"a\": 1}'), "
            "('new', 'run', '2025-01-02', 'running', null, null, null, null, null, null)"
        )
        build = last_build(connection)
    assert build == BuildRecord(
        "new", "run", datetime(2025, 1, 2), "running", 0, 0, "", False, False, {}
    )


def test_a_build_without_segments_is_not_published(tmp_path, capsys):
    warehouse = fake_warehouse(tmp_path / "w.duckdb", 1, tmp_path / "p", tmp_path / "a")
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("delete from pub_dim_segments")
    assert main(["--db", str(warehouse)]) == 1
    assert f"the last dbt build on {warehouse} found no segments." in capsys.readouterr().err
    assert not (tmp_path / "p" / "serving.duckdb").exists()


def test_the_command_names_the_warehouse_it_refuses(tmp_path, capsys):
    warehouse = fake_warehouse(
        tmp_path / "w.duckdb", 1, tmp_path / "p", tmp_path / "a", status="failed"
    )
    assert main(["--db", str(warehouse)]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"Nothing published: the last dbt build on {warehouse} (")
    assert error.endswith(" The published version is unchanged.\n")


def test_no_warehouse_is_one_line_saying_what_to_run(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "none.duckdb")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"Nothing published: no warehouse at {tmp_path / 'none.duckdb'}; run `make build`.\n"
    )


# --- The command's options (README "Re-publishing") ---


def test_publishing_into_other_folders_and_again_with_force(tmp_path, capsys):
    warehouse = fake_warehouse(tmp_path / "w.duckdb", 1, tmp_path / "p", tmp_path / "a")
    other_published, other_audiences = tmp_path / "other" / "p", tmp_path / "other" / "a"
    options = ["--published-dir", str(other_published), "--audiences-dir", str(other_audiences)]
    assert main(["--db", str(warehouse), *options]) == 0
    assert not (tmp_path / "p").exists() and not (tmp_path / "a").exists()
    first = reader_sees(other_published)
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"Published version {first}: {other_published / 'serving.duckdb'} (8 tables; open it "
        "read-only).",
        # 50 + 31 above the floor, all in the fake campaign's treatment arm
        f"Audiences: {other_audiences} (1 campaign, 2 segments, 81 treatment-arm users).",
    ]
    assert set(audience_state(other_audiences)) == {
        "CURRENT",
        "demo_launch.segment_1.csv",
        "demo_launch.segment_1.parquet",
        "demo_launch.segment_3.csv",
        "demo_launch.segment_3.parquet",
    }  # fmt: skip
    assert main(["--db", str(warehouse), *options]) == 0
    assert capsys.readouterr().out == (
        f"Published: this build is already the published version {first}.\n"
    )
    assert publish_module.publish_warehouse(warehouse, other_published, other_audiences) == first
    assert main(["--db", str(warehouse), *options, "--force"]) == 0
    second = reader_sees(other_published)
    assert second != first and generation_of(second, other_published) == 1


def test_publishing_only_reads_the_warehouse(tmp_path):
    """Publishing opens the warehouse read-only, so another reader of it (a DuckDB CLI, a
    notebook) does not stop it."""
    warehouse = fake_warehouse(tmp_path / "w.duckdb", 1, tmp_path / "p", tmp_path / "a")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print('open', flush=True); time.sleep(60)",
            str(warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        assert main(["--db", str(warehouse)]) == 0
    finally:
        holder.kill()
        holder.wait()


# --- Files and the serving database ---


def test_audience_csv_files_start_with_readmes_columns(tmp_path):
    warehouse = fake_warehouse(tmp_path / "w.duckdb", 1, tmp_path / "p", tmp_path / "a")
    assert main(["--db", str(warehouse)]) == 0
    lines = (tmp_path / "a" / "demo_launch.segment_1.csv").read_text().splitlines()
    assert lines[0] == "campaign_key,user_id,segment_id,segment_name,assignment_confidence"
    assert len(lines) == 1 + 50


def _serving(path: Path, run_ids: list[str]) -> Path:
    with duckdb.connect(str(path)) as connection:
        connection.execute("create table publication (published_run_id varchar)")
        for run_id in run_ids:
            connection.execute("insert into publication values (?)", [run_id])
    return path


def test_the_served_version_is_the_one_the_publication_table_names(tmp_path):
    assert served_run_id(tmp_path / "missing.duckdb") is None
    assert served_run_id(_serving(tmp_path / "one.duckdb", ["v1", "v1"])) == "v1"
    assert served_run_id(_serving(tmp_path / "none.duckdb", [])) is None
    assert served_run_id(_serving(tmp_path / "two.duckdb", ["v1", "v2"])) is None


@pytest.mark.parametrize(("text", "quoted"), [('a"b', '"a""b"'), ("plain", '"plain"')])
def test_identifiers_are_quoted_as_sql_says(text, quoted):
    assert quote_identifier(text) == quoted


@pytest.mark.parametrize(("text", "quoted"), [("it's", "'it''s'"), ("/p/x", "'/p/x'")])
def test_literals_are_quoted_as_sql_says(text, quoted):
    assert quote_literal(text) == quoted
    with duckdb.connect() as connection:
        assert connection.sql(f"select {quoted}").fetchall() == [(text,)]


def test_a_published_table_is_its_pub_model_as_it_is_plus_the_run_id():
    # The privacy floor is the pub_ models' (SQL); publishing changes no value, drops no row.
    with duckdb.connect() as connection:
        relation = connection.sql(
            "select * from (values (1, 'Segment 1', null, true), (2, 'B', 'Mostly women', false))"
            " as t(segment_id, segment_name, description, is_below_privacy_floor)"
        )
        query = publish_module.published_select(relation.columns, "r")
        rows = relation.query("published_source", query).order("segment_id").fetchall()
    assert rows == [(1, "Segment 1", None, True, "r"), (2, "B", "Mostly women", False, "r")]


# --- Run ids ---


def test_run_ids_are_in_utc_whatever_the_local_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        paris = timezone(timedelta(hours=2))
        run_id = new_run_id("1A2B3C4D-0000", datetime(2025, 6, 1, 3, 4, 5, 6, tzinfo=paris))
        assert run_id == "20250601T010405000006Z-1a2b3c4d"
        before = datetime.now(UTC).replace(microsecond=0)
        stamp = datetime.strptime(new_run_id("ab")[:21], "%Y%m%dT%H%M%S%f")
        assert before <= stamp.replace(tzinfo=UTC) <= datetime.now(UTC)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_commands_help_documents_each_option(monkeypatch, capsys):
    """`--help` is the command's documentation (README names the options): each option with
    what it does, one line each."""
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    expected = [
        "Publish the warehouse's last successful dbt build for BI tools and campaigns.",
        r"--db DB\s+warehouse \(default: as dbt\)",
        r"--published-dir PUBLISHED_DIR\s+instead of the build's published_dir",
        r"--audiences-dir AUDIENCES_DIR\s+instead of the build's audiences_dir",
        r"--force\s+publish again a build that was already published",
    ]
    for pattern in expected:
        assert re.search(rf"^\s*{pattern}$", text, re.MULTILINE), pattern

"""Small warehouses for the publishing tests: the tables publishing reads and the build log, with
content that differs by generation, so that every published file tells which build it is from."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb

from segmentation.catalogue import project_vars
from segmentation.outputs import LOCK, MARKER, read_state
from segmentation.publish import SERVING_DATABASE, main
from segmentation.settings import project_rules

#: The campaign of every fake build (the project's default var campaigns).
CAMPAIGN = "demo_launch"

#: Segment ids and sizes per generation. Segment 2 is below the default privacy floor (10).
SEGMENTS = {
    1: {1: 50, 2: 4, 3: 31},
    2: {1: 52, 2: 4, 4: 40},
    3: {1: 55, 3: 33},
    4: {1: 60, 5: 20},
}


def fake_warehouse(
    path: Path,
    generation: int,
    published_dir: Path,
    audiences_dir: Path,
    status: str = "success",
    command: str = "build",
    is_full_build: bool = True,
    is_empty: bool = False,
    keep: int = 3,
    min_segment_size: int = 10,
) -> Path:
    """A warehouse file whose last build (invocation `gen-<generation>`) is as given."""
    sizes = SEGMENTS[generation]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    rows = ", ".join(
        f"({s}, 'Segment {s} gen {generation}', 'Female', 'Gaming', 'desc {s}', {n}, "
        f"{str(n < min_segment_size).lower()})"
        for s, n in sizes.items()
    )
    audience_rows = ", ".join(
        f"('u{generation}-{s}-{i:03d}', {s}, 'Segment {s} gen {generation}', 0.5)"
        for s, n in sizes.items()
        if n >= min_segment_size
        for i in range(n)
    )
    # The campaigns area as a build records it: the project's vars, with these folders and sizes.
    rules = project_rules()
    settings = {
        **{
            name: value
            for name, value in project_vars().items()
            if name in rules and rules[name]["area"] == "campaigns"
        },
        "published_dir": str(published_dir),
        "audiences_dir": str(audiences_dir),
        "published_versions_to_keep": keep,
        "min_segment_size": min_segment_size,
    }
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            f"""
            create table dim_segments as select * from (values {rows})
                as t(segment_id, segment_name, modal_gender, top_interest_1, description, users,
                     is_below_privacy_floor);
            create table fct_segment_interests as
                select segment_id, 'Gaming' as interest_name, users from dim_segments;
            create table fct_segment_metric_indexes as
                select segment_id, 'likes' as metric_name, 100.0 as metric_index
                from dim_segments;
            create table rpt_segment_recommendations as
                select segment_id, segment_name, 'weekends' as schedule_on,
                    'Play ' || segment_id as recommendation, users, is_below_privacy_floor
                from dim_segments;
            create table rpt_user_base_distributions as
                select 'gender' as attribute_name, 'Female' as value_label,
                    sum(users) as users from dim_segments;
            create table rpt_segmentation_quality as
                select {generation} as n_clusters, 0.5 as silhouette;
            -- What the pub_ models hold: the privacy floor applied, as dbt would.
            create table pub_dim_segments as
                select segment_id,
                    case when is_below_privacy_floor then 'Segment ' || cast(segment_id as varchar)
                        else segment_name end as segment_name,
                    case when is_below_privacy_floor then null else modal_gender end
                        as modal_gender,
                    case when is_below_privacy_floor then null else top_interest_1 end
                        as top_interest_1,
                    case when is_below_privacy_floor then null else description end
                        as description,
                    users, is_below_privacy_floor
                from dim_segments;
            create table pub_fct_segment_interests as
                select * from fct_segment_interests where segment_id in
                    (select segment_id from dim_segments where not is_below_privacy_floor);
            create table pub_fct_segment_metric_indexes as
                select * from fct_segment_metric_indexes where segment_id in
                    (select segment_id from dim_segments where not is_below_privacy_floor);
            create table pub_rpt_segment_recommendations as
                select segment_id,
                    case when is_below_privacy_floor then 'Segment ' || cast(segment_id as varchar)
                        else segment_name end as segment_name,
                    schedule_on,
                    case when is_below_privacy_floor then null else recommendation end
                        as recommendation,
                    users, is_below_privacy_floor
                from rpt_segment_recommendations;
            create table pub_rpt_user_base_distributions as
                select * from rpt_user_base_distributions;
            create table pub_rpt_segmentation_quality as select * from rpt_segmentation_quality;
            create table fct_campaign_audiences as select * from (values {audience_rows})
                as t(user_id, segment_id, segment_name, assignment_confidence);
            -- One campaign whose treatment arm is the whole audience: which users are held
            -- back is dbt's business (fct_campaign_holdouts), publishing cuts what it is given.
            create table fct_campaign_treatment_audiences as
                select '{CAMPAIGN}' as campaign_key, * from fct_campaign_audiences;
            create table pub_fct_campaign_lift as
                select '{CAMPAIGN}' as campaign_key, segment_id, segment_name,
                    'too small to tell' as verdict
                from pub_dim_segments where not is_below_privacy_floor;
            create table pub_fct_campaign_balance as
                select '{CAMPAIGN}' as campaign_key, 'likes' as metric_name,
                    0.01 * {generation} as standardized_mean_difference;
            create table segmentation_build_log (
                invocation_id varchar, command varchar, started_at timestamp,
                finished_at timestamp, status varchar, nodes integer, failed_nodes integer,
                skipped_nodes integer, failures varchar, is_full_build boolean,
                is_empty boolean, publish_settings_json varchar
            );
            """
        )
        connection.execute(
            "insert into segmentation_build_log values "
            "(?, ?, timestamp '2025-01-01' + to_minutes(?), null, ?, 10, ?, ?, ?, ?, ?, ?)",
            [
                f"gen-{generation}",
                command,
                generation,
                status,
                0 if status == "success" else 1,
                0 if status == "success" else 3,
                "" if status == "success" else "assert_something (fail)",
                is_full_build,
                is_empty,
                json.dumps(settings),
            ],
        )
    return path


def audience_state(folder: Path) -> dict[str, str]:
    """Every file the audience folder shows readers (not hidden ones), with a content hash."""
    if not folder.is_dir():
        return {}
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.startswith(".")
    }


def served(published_dir: Path) -> dict[str, set]:
    """What a fresh reader of the serving database sees: every published table's run ids and
    row count, in one connection."""
    with duckdb.connect(str(published_dir / "serving.duckdb"), read_only=True) as connection:
        tables = [r[0] for r in connection.sql("select table_name from publication").fetchall()]
        seen = {}
        for table in [*tables, "publication"]:
            ids = connection.sql(f"select distinct published_run_id from {table}").fetchall()
            count = connection.sql(f"select count(*) from {table}").fetchall()[0][0]
            seen[table] = ({r[0] for r in ids}, count)
    return seen


def served_run_id(published_dir: Path) -> str:
    """The one run id every published table carries (asserts there is one)."""
    ids = set().union(*(ids for ids, _ in served(published_dir).values()))
    assert len(ids) == 1, f"a reader sees a mix of versions: {ids}"
    return ids.pop()


def generation_of(run_id: str, published_dir: Path) -> int:
    """The generation a published version was built from (its segment names say)."""
    with duckdb.connect() as connection:
        name = connection.sql(
            f"select min(segment_name) from '{published_dir / run_id / 'dim_segments.parquet'}'"
        ).fetchall()[0][0]
    return int(name.rsplit(" ", 1)[1])


def audience_generation(folder: Path) -> set[int]:
    """The generations the audience files visible in `folder` come from."""
    found = set()
    with duckdb.connect() as connection:
        for path in sorted(folder.glob("*.segment_*.parquet")):
            for (name,) in connection.sql(f"select distinct segment_name from '{path}'").fetchall():
                found.add(int(name.rsplit(" ", 1)[1]))
    return found


# --- Two generations, and what a reader and the folders must show ---


def setup_two_generations(tmp_path: Path, keep: int = 2) -> tuple[Path, Path, Path]:
    """Generation 1 published; user files inside both owned folders; generation 2 built."""
    published_dir, audiences_dir = tmp_path / "published", tmp_path / "audiences"
    warehouse = tmp_path / "warehouse.duckdb"
    fake_warehouse(warehouse, 1, published_dir, audiences_dir, keep=keep)
    assert main(["--db", str(warehouse)]) == 0
    for folder in (published_dir, audiences_dir):
        (folder / "user-notes.txt").write_text("mine")
    fake_warehouse(warehouse, 2, published_dir, audiences_dir, keep=keep)
    return warehouse, published_dir, audiences_dir


def assert_consistent(published_dir: Path, allowed: set[int]) -> int:
    """A fresh reader sees one whole version of an allowed generation, whose folder is complete;
    CURRENT names a complete version too. Returns the served generation."""
    run_id = served_run_id(published_dir)
    generation = generation_of(run_id, published_dir)
    assert generation in allowed
    current = (published_dir / "CURRENT").read_text().strip()
    assert generation_of(current, published_dir) in allowed
    for folder in (published_dir, published_dir.parent / "audiences"):
        assert (folder / "user-notes.txt").read_text() == "mine"
    return generation


def assert_tidy(published_dir: Path, audiences_dir: Path, generation: int, keep: int) -> None:
    """After a successful publish of `generation`: it is served, everywhere; only what the
    project needs is left, and every entry on disk that it wrote is on its inventory."""
    run_id = served_run_id(published_dir)
    assert generation_of(run_id, published_dir) == generation
    assert (published_dir / "CURRENT").read_text() == run_id + "\n"
    assert (audiences_dir / "CURRENT").read_text() == run_id + "\n"
    assert audience_generation(audiences_dir) == {generation}
    expected_files = {
        f"demo_launch.segment_{s}.{ext}" for s, n in SEGMENTS[generation].items() if n >= 10
        for ext in ("csv", "parquet")
    }  # fmt: skip
    assert set(audience_state(audiences_dir)) == expected_files | {"CURRENT", "user-notes.txt"}
    versions = read_state(published_dir)["published"]
    assert run_id in versions and len(versions) <= keep
    on_disk = {p.name for p in published_dir.iterdir()}
    assert on_disk == {
        MARKER, LOCK, "CURRENT", SERVING_DATABASE, "user-notes.txt", *versions,
    }  # fmt: skip
    assert {p.name for p in audiences_dir.iterdir()} == {
        MARKER, *expected_files, "CURRENT", "user-notes.txt",
    }  # fmt: skip
    for folder in (published_dir, audiences_dir):
        marker = json.loads((folder / MARKER).read_text())
        assert set(marker["entries"]) == on_disk - {MARKER, "user-notes.txt"} or (
            folder == audiences_dir and set(marker["entries"]) == {*expected_files, "CURRENT"}
        )
        assert marker["state"].get("commit") is None and marker["state"].get("pending") is None


def publish_killed_at(database: str, kill_at: int) -> None:
    """Publishes the warehouse's last build and dies (SIGKILL: no clean-up, no exit handlers) at
    the `kill_at`th rename or link publishing makes; with 0, exits with the count of them as its
    exit code. Run it in a process of its own."""
    import os
    import signal

    from segmentation.publish import main

    calls = 0
    for name in ("replace", "rename", "link"):
        original = getattr(os, name)

        def patched(*args, _original=original, **kwargs):
            nonlocal calls
            calls += 1
            if calls == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return _original(*args, **kwargs)

        setattr(os, name, patched)
    if main(["--db", database]) != 0:
        os._exit(255)
    os._exit(calls)

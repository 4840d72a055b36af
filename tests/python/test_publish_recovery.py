"""Publishing stopped at a chosen step, in-process and in seconds: what a reader sees right
after, and what the next publish's recovery keeps, puts back or removes (README, "Publishing for
BI": a publish stopped before the serving database is swapped is undone by the next one, one
stopped after it is finished; a version that was never served is removed and never counts as
kept).

test_publish_faults.py stops a publish at *every* rename, with real `kill -9`s in processes of
their own (minutes); these tests stop it at the steps README names, in this process, so that
`make mutation` can run them for every mutant of publishing and of the output folders.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from segmentation import publish as publish_module
from segmentation.outputs import LOCK, MARKER, claim, read_state
from segmentation.publish import RUN_ID_PATTERN, main, recover
from warehouses import (
    SEGMENTS,
    assert_tidy,
    audience_generation,
    audience_state,
    fake_warehouse,
    generation_of,
    served_run_id,
    setup_two_generations,
)

FLOOR = 10  # README: min_segment_size defaults to 10
USER_FILE = "user-notes.txt"  # setup_two_generations puts one in each folder


class Killed(BaseException):
    """Stands for `kill -9` at that step: nothing after it runs, no clean-up."""


Step = Callable[[str, Path], bool]  # (os function, target path) -> stop here?


def _stop_at(monkeypatch, step: Step, after: bool, error: BaseException | None = None) -> list:
    """Makes the first os.replace/rename/link whose call matches `step` raise (before the call,
    or just after it with `after`): `error` if given, as a failing file system would; else
    Killed, with publishing's clean-up switched off, as a kill leaves the folders. Returns the
    matched call, once it happened."""
    hit: list = []
    for name in ("replace", "rename", "link"):
        original = getattr(os, name)

        def patched(source, target, *args, _original=original, _name=name, **kwargs):
            if not hit and step(_name, Path(target)):
                hit.append((_name, Path(target)))
                if after:
                    _original(source, target, *args, **kwargs)
                raise error if error is not None else Killed(str(target))
            return _original(source, target, *args, **kwargs)

        monkeypatch.setattr(os, name, patched)
    if error is None:
        for cleanup in ("_undo", "_undo_audiences"):
            monkeypatch.setattr(publish_module, cleanup, lambda *args, **kwargs: None)
    return hit


def _expected_audience_files(generation: int) -> set[str]:
    """The audience files of a generation: one Parquet and one CSV file per segment with at
    least FLOOR users (README: a segment below the privacy floor gets no audience file)."""
    return {
        f"demo_launch.segment_{segment}.{extension}"
        for segment, users in SEGMENTS[generation].items()
        if users >= FLOOR
        for extension in ("parquet", "csv")
    }


def _recover(published_dir: Path, audiences_dir: Path) -> None:
    """What the next publish does first, as the other process it is (temporary files are named
    after the process id: a leftover must not be mistaken for the next publish's own)."""
    real_getpid = os.getpid
    os.getpid = lambda: real_getpid() + 1
    try:
        recover(
            claim(published_dir, "published", "var published_dir"),
            claim(audiences_dir, "audiences", "var audiences_dir"),
        )
    finally:
        os.getpid = real_getpid


def _assert_recovered(published_dir: Path, audiences_dir: Path, generation: int) -> None:
    """After recovery: `generation` is served, CURRENT in both folders names it, its audience
    files and nothing else are visible, the versions on disk are the served ones, nothing
    hidden or temporary is left and the inventories list exactly what is on disk."""
    run_id = served_run_id(published_dir)
    assert generation_of(run_id, published_dir) == generation
    for folder in (published_dir, audiences_dir):
        assert (folder / "CURRENT").read_text() == run_id + "\n"
        assert (folder / USER_FILE).read_text() == "mine"
    assert set(audience_state(audiences_dir)) == {
        *_expected_audience_files(generation),
        "CURRENT",
        USER_FILE,
    }
    assert audience_generation(audiences_dir) == {generation}
    versions = read_state(published_dir)["published"]
    assert run_id in versions
    on_disk = {path.name for path in published_dir.iterdir()}
    assert {name for name in on_disk if RUN_ID_PATTERN.match(name)} == set(versions)
    for folder in (published_dir, audiences_dir):
        names = {path.name for path in folder.iterdir()}
        leftovers = {n for n in names if n.startswith(".") or ".tmp-" in n} - {MARKER, LOCK}
        assert leftovers == set(), folder
        state = read_state(folder)
        assert state.get("commit") is None and state.get("pending") is None
        written = names - {MARKER, USER_FILE}
        assert claim(folder, folder.name, "var").entries == written, folder


def _replacing(name: str, folder: Callable[[str], bool]) -> Step:
    """The os.replace that writes `name` into a folder whose name passes `folder`."""

    def step(function: str, target: Path) -> bool:
        return function == "replace" and target.name == name and folder(target.parent.name)

    return step


def _in_audiences(name: str) -> Step:
    return _replacing(name, lambda folder: folder == "audiences")


def _in_published(name: str) -> Step:
    return _replacing(name, lambda folder: folder == "published")


def _moved_out(name: str) -> Step:
    """An old segment's audience file moved aside during the commit."""
    return _replacing(name, lambda folder: folder.startswith(".previous-"))


def _version_folder(function: str, target: Path) -> bool:
    return function == "rename" and RUN_ID_PATTERN.match(target.name) is not None


# (step, after the call?, generation a reader is served right after, generation after recovery)
# Generation 1 has audience files for segments 1 and 3, generation 2 for segments 1 and 4.
STOPS = {
    "version folder about to be renamed into place": (_version_folder, False, 1),
    "version folder renamed into place": (_version_folder, True, 1),
    "second new audience file": (_in_audiences("demo_launch.segment_1.parquet"), False, 1),
    "old segment's file moved aside": (_moved_out("demo_launch.segment_3.csv"), False, 1),
    "serving database about to be swapped": (_in_published("serving.duckdb"), False, 1),
    "serving database swapped": (_in_published("serving.duckdb"), True, 2),
    "published CURRENT about to be written": (_in_published("CURRENT"), False, 2),
    "audiences CURRENT about to be written": (_in_audiences("CURRENT"), False, 2),
}


@pytest.mark.parametrize("where", list(STOPS))
def test_a_publish_killed_at_a_step_is_undone_or_finished_by_the_next(tmp_path, monkeypatch, where):
    step, after, generation = STOPS[where]
    warehouse, published_dir, audiences_dir = setup_two_generations(tmp_path)
    before = audience_state(audiences_dir)
    first = served_run_id(published_dir)
    with monkeypatch.context() as patch:
        hit = _stop_at(patch, step, after)
        with pytest.raises(Killed):
            main(["--db", str(warehouse)])
    assert hit, f"publishing never reached the step: {where}"
    # Right after the kill a new reader of the serving database gets one whole version: the old
    # one before the swap, the new one from the swap on.
    served = served_run_id(published_dir)
    assert generation_of(served, published_dir) == generation
    _recover(published_dir, audiences_dir)
    _assert_recovered(published_dir, audiences_dir, generation)
    versions = read_state(published_dir)["published"]
    if generation == 1:
        assert audience_state(audiences_dir) == before  # every audience file as it was
        assert versions == [first]  # the unserved version is gone and does not count
    else:
        assert versions == sorted([first, served])


@pytest.mark.parametrize(
    "where", ["second new audience file", "old segment's file moved aside", "serving database"]
)
def test_a_failure_before_the_swap_publishes_nothing(tmp_path, monkeypatch, capsys, where):
    step = {
        "second new audience file": _in_audiences("demo_launch.segment_1.parquet"),
        "old segment's file moved aside": _moved_out("demo_launch.segment_3.csv"),
        "serving database": _in_published("serving.duckdb"),
    }[where]
    warehouse, published_dir, audiences_dir = setup_two_generations(tmp_path)
    before = audience_state(audiences_dir)
    capsys.readouterr()
    with monkeypatch.context() as patch:
        read_only = OSError(errno.EROFS, os.strerror(errno.EROFS), where)
        hit = _stop_at(patch, step, False, read_only)
        assert main(["--db", str(warehouse)]) == 1
    assert hit
    error = capsys.readouterr().err
    assert error.startswith("Nothing published, the published version is unchanged")
    assert error.endswith("Fix the cause and run `make publish` to publish this build.\n")
    assert "Read-only file system" in error and "clean-up deferred" not in error
    # Undone at once, not left for the next publish.
    _assert_recovered(published_dir, audiences_dir, 1)
    assert audience_state(audiences_dir) == before
    assert len(read_state(published_dir)["published"]) == 1
    assert main(["--db", str(warehouse)]) == 0  # the cause fixed, `make publish` publishes it
    assert_tidy(published_dir, audiences_dir, 2, keep=2)


def test_a_failure_while_writing_publishes_nothing(tmp_path, monkeypatch, capsys):
    warehouse, published_dir, audiences_dir = setup_two_generations(tmp_path)
    before = audience_state(audiences_dir)

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(publish_module, "write_audience_files", full_disk)
    capsys.readouterr()
    assert main(["--db", str(warehouse)]) == 1
    assert "No space left on device" in capsys.readouterr().err
    _assert_recovered(published_dir, audiences_dir, 1)
    assert audience_state(audiences_dir) == before


@pytest.mark.parametrize(
    "where",
    ["version folder renamed into place", "second new audience file", "serving database"],
)
def test_a_clean_up_that_fails_too_is_left_to_the_next_publish(tmp_path, monkeypatch, where):
    """The folders turn read-only at a step before the swap: the error raised is that step's,
    with a note that undoing failed as well; the next publish undoes what is left and
    publishes."""
    step = {
        "version folder renamed into place": _version_folder,
        "second new audience file": _in_audiences("demo_launch.segment_1.parquet"),
        "serving database": _in_published("serving.duckdb"),
    }[where]
    warehouse, published_dir, audiences_dir = setup_two_generations(tmp_path)
    before = audience_state(audiences_dir)
    failing = []

    with monkeypatch.context() as patch:
        for name in ("replace", "rename"):
            original = getattr(os, name)

            def read_only_from_there(source, target, *args, _original=original, _name=name):
                if failing or step(_name, Path(target)):
                    failing.append(target)
                    raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(target))
                return _original(source, target, *args)

            patch.setattr(os, name, read_only_from_there)
        with pytest.raises(OSError) as raised:
            publish_module.publish_warehouse(warehouse)
    assert Path(raised.value.filename) == Path(failing[0])
    notes = getattr(raised.value, "__notes__", [])
    assert len(notes) == 1 and notes[0].startswith("(clean-up deferred to the next publish: ")
    assert len(failing) > 1  # the clean-up did try, and failed
    assert generation_of(served_run_id(published_dir), published_dir) == 1
    _recover(published_dir, audiences_dir)
    _assert_recovered(published_dir, audiences_dir, 1)
    assert audience_state(audiences_dir) == before
    assert main(["--db", str(warehouse)]) == 0
    assert_tidy(published_dir, audiences_dir, 2, keep=2)


def test_a_failure_after_the_swap_leaves_the_new_version_published(tmp_path, monkeypatch, capsys):
    warehouse, published_dir, audiences_dir = setup_two_generations(tmp_path)
    capsys.readouterr()
    with monkeypatch.context() as patch:
        read_only = OSError(errno.EROFS, os.strerror(errno.EROFS), "CURRENT")
        _stop_at(patch, _in_published("CURRENT"), False, read_only)
        assert main(["--db", str(warehouse)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("Published, with a warning: published version ")
    assert generation_of(served_run_id(published_dir), published_dir) == 2
    # The next build's publish finishes it first, then publishes its own version.
    fake_warehouse(warehouse, 3, published_dir, audiences_dir, keep=2)
    assert main(["--db", str(warehouse)]) == 0
    assert_tidy(published_dir, audiences_dir, 3, keep=2)


def test_make_publish_after_a_failure_past_the_swap_completes_current(
    tmp_path, monkeypatch, capsys
):
    warehouse, published_dir, audiences_dir = setup_two_generations(tmp_path)
    with monkeypatch.context() as patch:
        read_only = OSError(errno.EROFS, os.strerror(errno.EROFS), "CURRENT")
        _stop_at(patch, _in_published("CURRENT"), False, read_only)
        assert main(["--db", str(warehouse)]) == 1
    assert main(["--db", str(warehouse)]) == 0  # `make publish`, the cause fixed
    _assert_recovered(published_dir, audiences_dir, 2)


def test_recovery_keeps_versions_that_were_served_and_only_those(tmp_path):
    """Versions are kept by what was served: a folder named like a version that the marker
    lists but no reader was ever served goes; the served ones stay, oldest first."""
    warehouse, published_dir, audiences_dir = setup_two_generations(tmp_path, keep=3)
    assert main(["--db", str(warehouse)]) == 0
    served = read_state(published_dir)["published"]
    assert len(served) == 2
    folder = claim(published_dir, "published", "var published_dir")
    ghost = "20000101T000000000000Z-00000000"  # sorts first: never served, never kept
    folder.record(ghost)
    (published_dir / ghost).mkdir()
    _recover(published_dir, audiences_dir)
    assert not (published_dir / ghost).exists()
    assert read_state(published_dir)["published"] == served
    assert_tidy(published_dir, audiences_dir, 2, keep=3)


# --- Smaller decisions of publishing ---


def test_a_file_system_without_hard_links_keeps_copies_to_put_back(tmp_path, monkeypatch, capsys):
    """The audience files a commit replaces are kept as hard links, or copies where the file
    system has none; either way a failure at the swap puts every one of them back."""
    warehouse, published_dir, audiences_dir = setup_two_generations(tmp_path)
    before = audience_state(audiences_dir)

    def no_links(source, target, *args, **kwargs):
        raise OSError(errno.EPERM, os.strerror(errno.EPERM), str(target))

    monkeypatch.setattr(os, "link", no_links)
    with monkeypatch.context() as patch:
        read_only = OSError(errno.EROFS, os.strerror(errno.EROFS), "serving.duckdb")
        _stop_at(patch, _in_published("serving.duckdb"), False, read_only)
        assert main(["--db", str(warehouse)]) == 1
    assert audience_state(audiences_dir) == before
    _assert_recovered(published_dir, audiences_dir, 1)
    assert main(["--db", str(warehouse)]) == 0
    assert_tidy(published_dir, audiences_dir, 2, keep=2)


def test_a_first_publish_killed_after_the_swap_gets_its_current_files(tmp_path, monkeypatch):
    published_dir, audiences_dir = tmp_path / "published", tmp_path / "audiences"
    warehouse = fake_warehouse(tmp_path / "warehouse.duckdb", 1, published_dir, audiences_dir)
    with monkeypatch.context() as patch:
        _stop_at(patch, _in_published("serving.duckdb"), True)
        with pytest.raises(Killed):
            main(["--db", str(warehouse)])
    assert not (published_dir / "CURRENT").exists()
    for folder in (published_dir, audiences_dir):
        (folder / USER_FILE).write_text("mine")
    _recover(published_dir, audiences_dir)
    _assert_recovered(published_dir, audiences_dir, 1)


def test_the_warning_after_the_swap_names_the_version_readers_now_see(tmp_path, monkeypatch):
    warehouse, published_dir, audiences_dir = setup_two_generations(tmp_path)
    with monkeypatch.context() as patch:
        read_only = OSError(errno.EROFS, os.strerror(errno.EROFS), "CURRENT")
        _stop_at(patch, _in_published("CURRENT"), False, read_only)
        with pytest.raises(publish_module.PublishUnfinished) as unfinished:
            publish_module.publish_warehouse(warehouse)
    run_id = served_run_id(published_dir)
    assert unfinished.value.run_id == run_id
    message = str(unfinished.value)
    assert message.startswith(f"published version {run_id}, but finishing up failed: ")
    assert "Read-only file system" in message
    assert "Readers see the new version" in message
    # What the next publish completes: step 3 of README's "Publishing for BI".
    assert message.endswith(
        "the next `make publish` (or build) completes CURRENT, the audience folder's clean-up "
        "and the removal of old versions."
    )
    assert unfinished.value.__cause__ is read_only


def test_the_warehouse_is_where_dbt_writes_it(tmp_path, monkeypatch):
    # README: the warehouse file is warehouse/segmentation.duckdb unless SEGMENTATION_DUCKDB_PATH
    # says otherwise.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SEGMENTATION_DUCKDB_PATH", raising=False)
    assert (
        publish_module.database_path() == tmp_path.resolve() / "warehouse" / "segmentation.duckdb"
    )
    monkeypatch.setenv("SEGMENTATION_DUCKDB_PATH", "elsewhere/w.duckdb")
    assert publish_module.database_path() == tmp_path.resolve() / "elsewhere" / "w.duckdb"


def test_audience_files_need_the_audience_columns_and_known_formats(tmp_path):
    with duckdb.connect() as connection:
        lacking = connection.sql(
            "select 'c' as campaign_key, 'u1' as user_id, 1 as segment_id, 0.5 as confidence"
        )
        with pytest.raises(publish_module.PublishSettingError) as refused:
            publish_module.write_audience_files(lacking, tmp_path)
        assert "segment_name" in str(refused.value)
        assert "assignment_confidence" in str(refused.value)
        assert "user_id" not in str(refused.value)
        audiences = connection.sql(
            "select 'spring' as campaign_key, 'u1' as user_id, 1 as segment_id, "
            "'One' as segment_name, "
            "0.5 as assignment_confidence"
        )
        with pytest.raises(publish_module.PublishSettingError, match="xlsx"):
            publish_module.write_audience_files(audiences, tmp_path, ["csv", "xlsx"])
        assert list(tmp_path.iterdir()) == []
        rows = publish_module.write_audience_files(audiences, tmp_path, ["csv"])
    assert rows == [
        {
            "campaign_key": "spring",
            "segment_id": 1,
            "file_format": "csv",
            "file_name": "spring.segment_1.csv",
            "users": 1,
        }
    ]


def test_a_first_publish_killed_before_the_swap_leaves_nothing_behind(tmp_path, monkeypatch):
    published_dir, audiences_dir = tmp_path / "published", tmp_path / "audiences"
    warehouse = fake_warehouse(tmp_path / "warehouse.duckdb", 1, published_dir, audiences_dir)
    with monkeypatch.context() as patch:
        _stop_at(patch, _in_published("serving.duckdb"), False)
        with pytest.raises(Killed):
            main(["--db", str(warehouse)])
    _recover(published_dir, audiences_dir)
    for folder in (published_dir, audiences_dir):
        assert sorted(p.name for p in folder.iterdir() if p.name != LOCK) == [MARKER], folder
    assert read_state(published_dir)["published"] == []


def test_a_write_ahead_log_left_beside_the_new_serving_database_is_removed(tmp_path, monkeypatch):
    """DuckDB may leave a .wal file beside a database it was writing when the process died."""
    warehouse, published_dir, audiences_dir = setup_two_generations(tmp_path)
    real = publish_module.write_serving_database

    def dies_after_logging(path, rows):
        real(path, rows)
        Path(f"{path}.wal").write_bytes(b"log")
        raise Killed(str(path))

    with monkeypatch.context() as patch:
        patch.setattr(publish_module, "write_serving_database", dies_after_logging)
        patch.setattr(publish_module, "_undo", lambda *args, **kwargs: None)
        with pytest.raises(Killed):
            main(["--db", str(warehouse)])
    assert [p.name for p in published_dir.glob("*.wal")]
    _recover(published_dir, audiences_dir)
    _assert_recovered(published_dir, audiences_dir, 1)


def test_the_new_version_is_kept_even_when_its_name_sorts_first(tmp_path, monkeypatch):
    """Versions beyond the newest published_versions_to_keep go, never the one just published
    (say the clock was set back). Later publishes remove it as usual."""
    warehouse, published_dir, audiences_dir = setup_two_generations(tmp_path, keep=1)
    first = served_run_id(published_dir)
    earlier = "19990101T000000000000Z-00000000"
    monkeypatch.setattr(publish_module, "new_run_id", lambda *args, **kwargs: earlier)
    monkeypatch.setenv("TZ", "Asia/Tokyo")  # published_at is UTC whatever the local zone
    time.tzset()
    before = datetime.now(UTC).replace(tzinfo=None)
    try:
        publication = publish_module.publish_warehouse(warehouse)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    # The newest one by name (the first) stays, and the one just published.
    assert publication.run_id == earlier and publication.removed_versions == []
    assert served_run_id(published_dir) == earlier
    assert (published_dir / earlier / "dim_segments.parquet").is_file()
    assert read_state(published_dir)["published"] == [earlier, first]
    with duckdb.connect(str(published_dir / "serving.duckdb"), read_only=True) as reader:
        [(published_at,)] = reader.sql("select distinct published_at from publication").fetchall()
    assert before <= published_at <= datetime.now(UTC).replace(tzinfo=None)  # UTC, as run ids


def test_a_run_id_and_an_audiences_folder_are_required(tmp_path):
    settings = publish_module.PublishSettings(tmp_path / "p", 3, 10, tmp_path / "a")
    with pytest.raises(publish_module.PublishSettingError, match="not a run id: 'latest'"):
        publish_module.publish({}, None, [], settings, "latest", "i")
    settings = publish_module.PublishSettings(tmp_path / "p", 3, 10)
    with pytest.raises(publish_module.PublishSettingError) as refused:
        publish_module.publish({}, None, [], settings, "20250101T000000000000Z-00000000", "i")
    assert str(refused.value) == "audiences_dir must be a folder path"
    assert not (tmp_path / "p").exists()


def test_a_foreign_published_folder_is_refused_naming_its_var(tmp_path, capsys):
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "plan.txt").write_text("mine")
    warehouse = fake_warehouse(tmp_path / "w.duckdb", 1, documents, tmp_path / "audiences")
    assert main(["--db", str(warehouse)]) == 1
    assert capsys.readouterr().err.startswith(f"Nothing published: var published_dir = {documents}")
    assert sorted(p.name for p in documents.iterdir()) == ["plan.txt"]

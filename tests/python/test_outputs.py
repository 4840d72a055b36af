"""Output folders: the project writes only into folders it created (or found empty) and marked,
and removes only what it wrote there (README, "Output folders")."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import PROJECT_DIR
from segmentation.outputs import MARKER, OutputFolderError, claim, clean, read_state


def user_folder(path: Path) -> Path:
    """A folder someone cares about: a file and a subfolder with a file."""
    path.mkdir(parents=True)
    (path / "notes.txt").write_text("mine")
    (path / "photos").mkdir()
    (path / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    return path


def snapshot(path: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(path)): p.read_bytes() if p.is_file() else b"<dir>"
        for p in sorted(path.rglob("*"))
    }


def test_a_new_folder_is_created_and_marked(tmp_path):
    folder = claim(tmp_path / "a" / "b", "audiences", "var audiences_dir")
    assert folder.path == (tmp_path / "a" / "b").resolve()
    assert (folder.path / MARKER).is_file()
    assert folder.entries == set()


def test_an_empty_folder_is_taken_and_marked(tmp_path):
    (tmp_path / "empty").mkdir()
    folder = claim(tmp_path / "empty", "published", "var published_dir")
    assert (folder.path / MARKER).is_file()


def test_a_folder_with_someone_elses_files_is_refused_naming_the_var_and_folder(tmp_path):
    target = user_folder(tmp_path / "documents")
    before = snapshot(target)
    with pytest.raises(OutputFolderError) as refused:
        claim(target, "audiences", "var audiences_dir")
    message = str(refused.value)
    assert "var audiences_dir" in message
    assert str(target) in message
    assert "not empty" in message
    assert snapshot(target) == before


@pytest.mark.parametrize(
    "target",
    [
        pytest.param(lambda tmp: Path("/"), id="root"),
        pytest.param(lambda tmp: Path.home(), id="home"),
        pytest.param(lambda tmp: PROJECT_DIR, id="project"),
        pytest.param(lambda tmp: PROJECT_DIR.parent, id="parent-of-project"),
    ],
)
def test_dangerous_targets_are_refused_whatever_they_hold(target, monkeypatch):
    monkeypatch.chdir(PROJECT_DIR)
    path = target(None)
    # (The folder may hold a marker already: `make mutation` runs the tests in a copy of the
    # project inside its own owned folder, which is then PROJECT_DIR's parent.)
    marker_before = _marker_text(path)
    with pytest.raises(OutputFolderError, match="refusing to write there") as refused:
        claim(path, "published", "var published_dir")
    assert "var published_dir" in str(refused.value)
    assert _marker_text(path) == marker_before


def _marker_text(folder: Path) -> str | None:
    return (folder / MARKER).read_text() if (folder / MARKER).is_file() else None


def test_a_file_is_not_a_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputFolderError, match="is a file"):
        claim(tmp_path / "file", "report", "--out")


def test_a_folder_owned_for_another_purpose_is_refused(tmp_path):
    claim(tmp_path / "out", "published", "var published_dir")
    with pytest.raises(OutputFolderError, match="published folder, not a audiences folder"):
        claim(tmp_path / "out", "audiences", "var audiences_dir")


def test_a_foreign_marker_does_not_make_a_folder_ours(tmp_path):
    target = user_folder(tmp_path / "x")
    (target / MARKER).write_text('{"owner": "someone-else"}')
    with pytest.raises(OutputFolderError, match="not empty"):
        claim(target, "audiences", "var audiences_dir")


def test_only_listed_entries_are_removed_and_user_files_in_an_owned_folder_stay(tmp_path):
    folder = claim(tmp_path / "out", "audiences", "var audiences_dir")
    folder.record("segment_1.csv", "sub")
    (folder.path / "segment_1.csv").write_text("ours")
    (folder.path / "sub").mkdir()
    (folder.path / "sub" / "inner.txt").write_text("ours")
    (folder.path / "readme.txt").write_text("the user's")
    removed = folder.remove("segment_1.csv", "sub", "readme.txt")
    assert removed == ["segment_1.csv", "sub"]
    assert sorted(p.name for p in folder.path.iterdir()) == [MARKER, "readme.txt"]
    assert folder.entries == set()


def test_the_project_never_writes_over_a_file_it_did_not_write(tmp_path):
    folder = claim(tmp_path / "out", "report", "--out")
    (folder.path / "segmentation_report.html").write_text("the user's own page")
    with pytest.raises(OutputFolderError, match="was not written by this project"):
        folder.write_text("segmentation_report.html", "<html>")
    assert (folder.path / "segmentation_report.html").read_text() == "the user's own page"


def test_the_inventory_and_state_survive_a_new_claim(tmp_path):
    folder = claim(tmp_path / "out", "published", "var published_dir")
    folder.write_text("CURRENT", "v1\n")
    folder.record(published=["v1"])
    again = claim(tmp_path / "out", "published", "var published_dir")
    assert again.owns("CURRENT")
    assert read_state(tmp_path / "out") == {"published": ["v1"]}
    assert [p.name for p in again.path.glob(f"{MARKER}.tmp-*")] == []


def test_a_second_writer_is_stopped_while_the_first_holds_the_folder(tmp_path):
    folder = claim(tmp_path / "out", "published", "var published_dir")
    other = claim(tmp_path / "out", "published", "var published_dir")
    # flock is per open file description: a second open of the lock file conflicts
    with (
        folder.lock(),
        pytest.raises(OutputFolderError, match="another process"),
        other.lock(),
    ):
        pass


def test_clean_removes_only_what_the_project_wrote(tmp_path):
    folder = claim(tmp_path / "published", "published", "var published_dir")
    folder.write_text("CURRENT", "v1\n")
    folder.record("v1")
    (folder.path / "v1").mkdir()
    (folder.path / "v1" / "t.parquet").write_bytes(b"PAR1")
    (folder.path / "mine.txt").write_text("mine")
    user = user_folder(tmp_path / "documents")
    before = snapshot(user)
    clean(folder.path)
    clean(user)
    assert sorted(p.name for p in folder.path.iterdir()) == ["mine.txt"]
    assert snapshot(user) == before
    clean_empty = claim(tmp_path / "empty-after", "report", "--out")
    clean_empty.write_text("r.html", "<html>")
    clean(clean_empty.path)
    assert not clean_empty.path.exists()

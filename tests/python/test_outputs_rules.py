"""More of segmentation.outputs' rules, as its docstring and README ("Output folders") state
them: what counts as dangerous, what an entry name may be, reading a marker that is missing,
foreign or damaged, the inventory and state as a journal, and `make clean`'s command line.
test_outputs.py holds the rest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from segmentation import outputs
from segmentation.outputs import (
    MARKER,
    OutputFolderError,
    claim,
    clean,
    dangerous_reason,
    read_marker_kind,
    read_state,
)

# --- Dangerous targets: /, a home folder or one of its parents, the project, protected ---


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/", "it is the root of the file system"),
        ("/home/alice", "it is a home folder"),
        ("/Users/alice", "it is a home folder"),
    ],
)
def test_dangerous_reasons_name_what_the_folder_is(path, reason):
    assert dangerous_reason(Path(path)) == reason


def test_home_its_parents_and_protected_folders_are_dangerous(tmp_path, monkeypatch):
    home = tmp_path / "people" / "alice"
    home.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)  # no dbt_project.yml above: no project folder to guard
    assert dangerous_reason(home) == "it is a home folder"
    assert dangerous_reason(home.parent) == f"it holds a home folder ({home})"
    assert dangerous_reason(home / "out") is None
    assert dangerous_reason(tmp_path / "elsewhere") is None
    kept = tmp_path / "kept" / "deep"
    assert dangerous_reason(kept, protected=[kept]) == "it is a protected folder"
    assert (
        dangerous_reason(kept.parent, protected=[kept]) == f"it holds a protected folder ({kept})"
    )
    assert dangerous_reason(kept / "inside", protected=[kept]) is None


def test_the_project_folder_is_found_from_the_working_directory(tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text("name: x\n")
    monkeypatch.chdir(project / "models")
    assert outputs.project_root() == project.resolve()
    assert dangerous_reason(project) == "it is the project folder"
    assert dangerous_reason(tmp_path) == f"it holds the project folder ({project.resolve()})"
    assert dangerous_reason(project / "build" / "published") is None
    monkeypatch.chdir(tmp_path)
    assert outputs.project_root() is None


def test_a_refusal_names_the_setting_the_folder_and_the_reason(tmp_path):
    kept = tmp_path / "kept"
    with pytest.raises(OutputFolderError) as refused:
        claim(kept, "report", "--out", protected=[kept])
    assert str(refused.value) == (
        f"--out = {kept}: refusing to write there, it is a protected folder. Give the project a "
        "folder of its own, e.g. a new subfolder."
    )
    assert not kept.exists()


# --- Entry names ---


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", MARKER])
def test_an_entry_is_a_plain_name_in_the_folder(tmp_path, name):
    folder = claim(tmp_path / "out", "report", "--out")
    with pytest.raises(ValueError, match="not an entry name"):
        folder.record(name)
    assert folder.entries == set()


# --- Reading markers ---


def test_a_folder_without_a_valid_marker_has_no_kind_and_no_state(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    assert read_marker_kind(plain) is None and read_state(plain) == {}
    (plain / MARKER).write_text("{not json")
    assert read_marker_kind(plain) is None and read_state(plain) == {}
    (plain / MARKER).write_text('["segmentation"]')
    assert read_marker_kind(plain) is None and read_state(plain) == {}
    (plain / MARKER).write_text(json.dumps({"owner": "someone-else", "kind": "report"}))
    assert read_marker_kind(plain) is None and read_state(plain) == {}
    (plain / MARKER).write_text(json.dumps({"owner": "segmentation", "kind": "report"}))
    assert read_marker_kind(plain) == "report" and read_state(plain) == {}


def test_kind_and_state_are_read_from_an_owned_folder(tmp_path):
    folder = claim(tmp_path / "published", "published", "var published_dir")
    folder.record("v1", published=["v1"], pending=None)
    assert read_marker_kind(folder.path) == "published"
    assert read_state(folder.path) == {"published": ["v1"], "pending": None}


# --- The inventory and the state: a journal ---


def test_record_and_forget_keep_the_other_entries_and_state(tmp_path):
    folder = claim(tmp_path / "out", "audiences", "var audiences_dir")
    folder.record("a", "b", step=1, commit={"run_id": "r"})
    folder.record("c", step=2)
    assert folder.entries == {"a", "b", "c"}
    assert folder.state == {"step": 2, "commit": {"run_id": "r"}}
    folder.forget("b", commit=None)
    assert folder.entries == {"a", "c"}
    assert folder.state == {"step": 2, "commit": None}
    again = claim(tmp_path / "out", "audiences", "var audiences_dir")  # as the next run reads it
    assert again.entries == {"a", "c"} and again.state == {"step": 2, "commit": None}
    assert again.owns("a") and not again.owns("b")


def test_write_text_lists_the_file_and_leaves_no_temporary(tmp_path):
    folder = claim(tmp_path / "out", "report", "--out")
    path = folder.write_text("report.html", "<p>one</p>")
    assert path == folder.path / "report.html" and path.read_text() == "<p>one</p>"
    folder.write_text("report.html", "<p>two</p>")  # its own file: rewritten
    assert path.read_text() == "<p>two</p>"
    assert folder.entries == {"report.html"}
    assert sorted(p.name for p in folder.path.iterdir()) == [MARKER, "report.html"]


def test_a_claim_removes_only_the_markers_own_temporary_files(tmp_path):
    folder = claim(tmp_path / "out", "report", "--out")
    (folder.path / f"{MARKER}.tmp-123").write_text("{}")  # left by a killed rewrite
    (folder.path / f"{MARKER}.tmp-dir").mkdir()
    (folder.path / "notes.tmp-1").write_text("the user's")
    claim(tmp_path / "out", "report", "--out")
    assert sorted(p.name for p in folder.path.iterdir()) == sorted(
        [MARKER, f"{MARKER}.tmp-dir", "notes.tmp-1"]
    )


def test_a_second_writer_is_told_which_setting_and_folder(tmp_path):
    folder = claim(tmp_path / "out", "published", "var published_dir")
    other = claim(tmp_path / "out", "published", "var published_dir")
    with folder.lock(), pytest.raises(OutputFolderError) as refused, other.lock():
        pass
    assert str(refused.value).startswith(
        f"var published_dir: another process is publishing into {folder.path}"
    )
    with other.lock():  # released: the next writer gets it
        pass


def test_removing_a_listed_symlink_removes_the_link_not_its_target(tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    folder = claim(tmp_path / "out", "mutation", "MUTATION_DIR")
    folder.record("link")
    (folder.path / "link").symlink_to(target)
    assert folder.remove("link") == ["link"]
    assert not (folder.path / "link").exists() and (target / "keep.txt").read_text() == "mine"


# --- clean: what `make clean` runs ---


def test_clean_returns_what_it_removed_marker_included(tmp_path):
    folder = claim(tmp_path / "out", "report", "--out")
    folder.write_text("report.html", "<p/>")
    (folder.path / "mine.txt").write_text("mine")
    assert sorted(clean(folder.path)) == sorted(["report.html", MARKER])
    assert sorted(p.name for p in folder.path.iterdir()) == ["mine.txt"]
    assert clean(folder.path) == []  # no marker any more: left alone
    (tmp_path / "a-file").write_text("x")
    assert clean(tmp_path / "a-file") == [] and (tmp_path / "a-file").read_text() == "x"
    assert clean(tmp_path / "missing") == []


def test_make_clean_command_cleans_each_folder_it_is_given(tmp_path, capsys):
    first = claim(tmp_path / "first", "report", "--out")
    first.write_text("report.html", "<p/>")
    second = claim(tmp_path / "second", "published", "var published_dir")
    second.write_text("CURRENT", "v1\n")
    (second.path / "mine.txt").write_text("mine")
    users = tmp_path / "users"
    users.mkdir()
    (users / "photo.jpg").write_bytes(b"\xff")
    assert outputs.main(["clean", str(first.path), str(second.path), str(users)]) == 0
    assert not first.path.exists()
    assert sorted(p.name for p in second.path.iterdir()) == ["mine.txt"]
    assert (users / "photo.jpg").read_bytes() == b"\xff"
    assert capsys.readouterr().out.splitlines() == [
        f"{first.path}: removed 2 entries the project wrote",
        f"{second.path}: removed 2 entries the project wrote",
    ]
    with pytest.raises(SystemExit):
        outputs.main(["remove", str(users)])
    assert "argument command: invalid choice: 'remove'" in capsys.readouterr().err
    assert os.listdir(users) == ["photo.jpg"]


def test_a_new_marker_says_who_owns_the_folder_for_what_and_lists_nothing_yet(tmp_path):
    claim(tmp_path / "out", "report", "--out")
    marker = json.loads((tmp_path / "out" / MARKER).read_text())
    assert marker == {"owner": "segmentation", "kind": "report", "entries": [], "state": {}}


@pytest.mark.parametrize("existing", [False, True], ids=["new folder", "owned folder"])
def test_an_owned_folder_names_its_setting_when_it_refuses(tmp_path, existing):
    if existing:
        claim(tmp_path / "out", "report", "--out")
    folder = claim(tmp_path / "out", "report", "--out")
    (folder.path / "page.html").write_text("the user's")
    with pytest.raises(OutputFolderError) as refused:
        folder.refuse_foreign("page.html")
    message = str(refused.value)
    assert message.startswith(f"--out: {folder.path / 'page.html'} was not written")
    assert message.endswith(". Move it elsewhere.")


def test_a_foreign_folder_is_refused_with_what_to_do(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "plan.txt").write_text("mine")
    with pytest.raises(OutputFolderError) as refused:
        claim(tmp_path / "docs", "audiences", "var audiences_dir")
    assert str(refused.value).endswith(": choose a new or empty folder.")


def test_make_clean_command_says_what_it_is(capsys):
    with pytest.raises(SystemExit):
        outputs.main(["--help"])
    assert "what `make clean` runs" in capsys.readouterr().out


def test_remove_skips_names_it_did_not_write_and_goes_on(tmp_path):
    folder = claim(tmp_path / "out", "audiences", "var audiences_dir")
    folder.record("a.csv", "b.csv")
    for name in ("mine.txt", "a.csv", "b.csv"):
        (folder.path / name).write_text(name)
    assert folder.remove("mine.txt", "a.csv", "b.csv") == ["a.csv", "b.csv"]
    assert sorted(p.name for p in folder.path.iterdir()) == [MARKER, "mine.txt"]


def test_an_interrupted_write_leaves_only_listed_files(tmp_path, monkeypatch):
    """write_text lists its temporary file before writing it, so the next run can remove what a
    write stopped halfway left behind."""
    folder = claim(tmp_path / "out", "report", "--out")

    replace = os.replace

    def stopped(source, target, *args, **kwargs):
        if Path(target).name == "report.html":
            raise KeyboardInterrupt
        return replace(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", stopped)
    with pytest.raises(KeyboardInterrupt):
        folder.write_text("report.html", "<p/>")
    monkeypatch.undo()
    again = claim(tmp_path / "out", "report", "--out")
    left = {p.name for p in again.path.iterdir()} - {MARKER}
    assert left and left <= again.entries
    again.remove(*again.entries)
    assert [p.name for p in again.path.iterdir()] == [MARKER]


def test_files_are_written_as_utf8_whatever_the_locale(tmp_path):
    """The report reads its own page back as UTF-8, and the page says so: the file must be
    UTF-8 also where the locale is ASCII."""
    code = textwrap.dedent(
        f"""\
        from segmentation.outputs import claim
        claim({str(tmp_path / "out")!r}, "report", "--out").write_text("r.html", "Z\\u00fcrich")
        """
    )
    env = {
        **os.environ,
        "LC_ALL": "C",
        "LANG": "C",
        "PYTHONUTF8": "0",
        "PYTHONCOERCECLOCALE": "0",
        "PYTHONPATH": str(Path(outputs.__file__).parents[1]),
    }
    completed = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert (tmp_path / "out" / "r.html").read_bytes() == "Zürich".encode()

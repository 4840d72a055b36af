"""Publishing under fault injection: a process killed at every rename, a read-only folder at
every rename, a file-size limit and a full or read-only file system. Whatever happens, a reader
sees one whole version, the old one or (past the commit point) the new one; user files survive;
the next publish finishes or undoes what was left and leaves nothing behind (README, "Publishing
for BI")."""

from __future__ import annotations

import errno
import multiprocessing
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from segmentation import outputs
from segmentation import publish as publish_module
from segmentation.outputs import claim, read_state
from segmentation.publish import RUN_ID_PATTERN, main, recover
from warehouses import (
    assert_consistent,
    assert_tidy,
    audience_generation,
    audience_state,
    fake_warehouse,
    publish_killed_at,
    served_run_id,
    setup_two_generations,
)


@pytest.fixture(scope="module")
def processes():
    """Processes forked from a server that has imported the publisher once (a fresh interpreter
    per kill would cost a second each)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["warehouses", "segmentation.publish"])
    return context


def _killer(processes, warehouse: Path, kill_at: int) -> int:
    """Exit code of a process publishing `warehouse` killed at its `kill_at`th rename (-9), or,
    with 0, the number of renames a whole publish makes."""
    process = processes.Process(target=publish_killed_at, args=(str(warehouse), kill_at))
    process.start()
    process.join(timeout=120)
    return process.exitcode


def test_a_publish_killed_at_any_rename_leaves_readers_a_whole_version(tmp_path, processes):
    warehouse, published_dir, audiences_dir = setup_two_generations(tmp_path / "count")
    total = _killer(processes, warehouse, 0)
    assert 10 <= total < 255  # the markers, the version, the audience files, the swap, CURRENT
    outcomes = {}
    for kill_at in range(1, total + 1):
        warehouse, published_dir, audiences_dir = setup_two_generations(
            tmp_path / f"kill-{kill_at}"
        )
        assert _killer(processes, warehouse, kill_at) == -9, kill_at
        served = assert_consistent(published_dir, {1, 2})
        outcomes[kill_at] = served
        # What the next publish does first, on its own: the audiences agree with the server.
        recover(
            claim(published_dir, "published", "var published_dir"),
            claim(audiences_dir, "audiences", "var audiences_dir"),
        )
        assert audience_generation(audiences_dir) == {served}
        assert (audiences_dir / "CURRENT").read_text().strip() == served_run_id(published_dir)
        # A version folder that was never served is gone and never counts as kept.
        for name in os.listdir(published_dir):
            if RUN_ID_PATTERN.match(name):
                assert name in read_state(published_dir)["published"]
        fake_warehouse(warehouse, 3, published_dir, audiences_dir, keep=2)
        assert main(["--db", str(warehouse)]) == 0
        assert_tidy(published_dir, audiences_dir, 3, keep=2)
    # Early kills leave the old version, late ones the new one: both happen.
    assert set(outcomes.values()) == {1, 2}, outcomes


def _fail_at(monkeypatch, fail_at: int, code: int = errno.EROFS) -> list[int]:
    """Makes the `fail_at`th rename or link raise OSError(code), as on a read-only folder.
    Returns [count, name of each call...]."""
    calls = [0]
    for name in ("replace", "rename", "link"):
        original = getattr(os, name)

        def patched(*args, _original=original, _name=name, **kwargs):
            calls[0] += 1
            calls.append(_name)
            if calls[0] == fail_at:
                raise OSError(code, os.strerror(code), str(args[-1]))
            return _original(*args, **kwargs)

        monkeypatch.setattr(os, name, patched)
    return calls


def test_a_failing_rename_at_any_point_publishes_all_or_nothing(tmp_path, monkeypatch, capsys):
    warehouse, published_dir, audiences_dir = setup_two_generations(tmp_path / "count")
    with monkeypatch.context() as patch:
        calls = _fail_at(patch, 0)
        assert main(["--db", str(warehouse)]) == 0
    total = calls[0]
    calls_are_links = {n: name == "link" for n, name in enumerate(calls[1:], 1)}
    seen = set()
    for fail_at in range(1, total + 1):
        warehouse, published_dir, audiences_dir = setup_two_generations(
            tmp_path / f"fail-{fail_at}"
        )
        before = audience_state(audiences_dir)
        capsys.readouterr()
        with monkeypatch.context() as patch:
            _fail_at(patch, fail_at)
            code = main(["--db", str(warehouse)])
        error = capsys.readouterr().err
        if code == 0:  # a failed hard link falls back to a copy: nothing to report
            assert calls_are_links[fail_at], (fail_at, error)
            assert_tidy(published_dir, audiences_dir, 2, keep=2)
            continue
        assert code == 1, fail_at
        served = assert_consistent(published_dir, {1, 2})
        seen.add(served)
        if served == 1:
            assert error.startswith("Nothing published"), error
            assert "Read-only file system" in error
            assert audience_state(audiences_dir) == before
        else:
            assert error.startswith("Published, with a warning"), error
            assert audience_generation(audiences_dir) == {2}
        assert main(["--db", str(warehouse), "--force"]) == 0
        assert_tidy(published_dir, audiences_dir, 2, keep=2)
    assert seen == {1, 2}


@pytest.mark.parametrize("limit", [2_000, 40_000])
def test_files_that_cannot_be_written_in_full_publish_nothing(tmp_path, limit):
    """A file-size limit (RLIMIT_FSIZE) makes writes fail part-way, as a full disk does."""
    warehouse, published_dir, audiences_dir = setup_two_generations(tmp_path)
    before = audience_state(audiences_dir), served_run_id(published_dir)
    code = textwrap.dedent(
        f"""
        import resource, signal, sys
        from segmentation.publish import main
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
        sys.exit(main(["--db", sys.argv[1]]))
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", code, str(warehouse)], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert completed.stderr.startswith("Nothing published, the published version is unchanged")
    assert (audience_state(audiences_dir), served_run_id(published_dir)) == before
    assert assert_consistent(published_dir, {1}) == 1
    assert main(["--db", str(warehouse)]) == 0
    assert_tidy(published_dir, audiences_dir, 2, keep=2)


@pytest.fixture
def small_file_system(tmp_path):
    """A 4 MiB tmpfs mounted for the test (needs root and mount; skipped elsewhere)."""
    mount_point = tmp_path / "fs"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_and_then_a_read_only_file_system_publish_nothing(small_file_system, capsys):
    published_dir, audiences_dir = small_file_system / "published", small_file_system / "audiences"
    warehouse = small_file_system.parent / "warehouse.duckdb"
    fake_warehouse(warehouse, 1, published_dir, audiences_dir)
    assert main(["--db", str(warehouse)]) == 0
    (audiences_dir / "user-notes.txt").write_text("mine")
    (published_dir / "user-notes.txt").write_text("mine")
    before = audience_state(audiences_dir), served_run_id(published_dir)
    # Fill the disk, leaving too little for the next version.
    filler = small_file_system / "filler.bin"
    free = shutil.disk_usage(small_file_system).free
    with open(filler, "wb") as handle:
        handle.write(b"\0" * max(free - 24_000, 0))
    fake_warehouse(warehouse, 2, published_dir, audiences_dir)
    capsys.readouterr()
    assert main(["--db", str(warehouse)]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert (audience_state(audiences_dir), served_run_id(published_dir)) == before
    assert_consistent(published_dir, {1})
    # Read-only: not even the marker can be written.
    filler.unlink()
    remount = subprocess.run(
        ["mount", "-o", "remount,ro", str(small_file_system)], capture_output=True, check=False
    )
    if remount.returncode != 0:
        pytest.skip("cannot remount read-only here")
    try:
        assert main(["--db", str(warehouse)]) == 1
        assert "Read-only file system" in capsys.readouterr().err
        assert (audience_state(audiences_dir), served_run_id(published_dir)) == before
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_file_system)], check=False)
    assert main(["--db", str(warehouse)]) == 0
    assert_tidy(published_dir, audiences_dir, 2, keep=3)


def test_fault_helpers_patch_the_functions_publishing_uses():
    """The injections above patch os.replace/rename/link: publishing must call them through
    the os module (not a bound import), or the tests would inject nothing."""
    for module in (publish_module, outputs):
        assert module.os is os

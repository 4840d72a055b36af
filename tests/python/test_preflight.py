"""`python -m segmentation.preflight`: a warehouse held by another process gets one line naming
the file, the process and what to do (issue 13, section 4), instead of dbt's tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from segmentation import preflight

# A process that opens the warehouse the way a BI tool or a second build would, says so, and
# holds it until its stdin closes. Its command line (a script of several lines) must be shown
# on one line.
HOLDER = (
    "import sys, duckdb\n"
    "connection = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == 'read-only')\n"
    "print('holding', flush=True)\n"
    "sys.stdin.read()\n"
)


def run_preflight(database: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "segmentation.preflight", "--db", str(database)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.sql("create table kept as select 1 as x")
    return path


@pytest.mark.parametrize("mode", ["read-write", "read-only"])
def test_a_held_warehouse_gets_one_line_naming_file_process_and_remedy(warehouse, mode):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(warehouse), mode],
        cwd=warehouse.parent,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        result = run_preflight(warehouse)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    message = lines[0]
    assert str(warehouse) in message
    assert f"PID {holder.pid}" in message
    assert "import sys, duckdb connection = duckdb.connect" in message, "its command line"
    assert "serving.duckdb" in message and "build again" in message
    assert "Traceback" not in result.stderr


def test_a_free_warehouse_passes_and_keeps_its_tables(warehouse):
    result = run_preflight(warehouse)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.sql("select x from kept").fetchall() == [(1,)]


def test_a_missing_warehouse_passes_and_is_not_created(tmp_path):
    missing = tmp_path / "not_yet" / "warehouse.duckdb"
    assert run_preflight(missing).returncode == 0
    assert not missing.exists()
    assert not missing.parent.exists()


# DuckDB's lock error, as DuckDB 2.0 words it.
LOCK_ERROR = (
    'IO Error: Could not set lock on file "/w/segmentation.duckdb": Conflicting lock is held in '
    "/usr/bin/python3.11 (PID 4242) by user ana. See also "
    "https://duckdb.org/docs/current/connect/concurrency"
)


def test_the_holders_command_line_comes_from_proc(tmp_path):
    (tmp_path / "4242").mkdir()
    (tmp_path / "4242" / "cmdline").write_bytes(b"duckdb\0-readonly\0/w/segmentation.duckdb\0")
    message = preflight.lock_message(Path("/w/segmentation.duckdb"), LOCK_ERROR, proc=tmp_path)
    assert "PID 4242 (duckdb -readonly /w/segmentation.duckdb)" in message


def test_a_long_command_line_is_shortened(tmp_path):
    (tmp_path / "4242").mkdir()
    (tmp_path / "4242" / "cmdline").write_bytes(b"python\0" + b"x" * 1000 + b"\0")
    message = preflight.lock_message(Path("/w/segmentation.duckdb"), LOCK_ERROR, proc=tmp_path)
    assert "PID 4242 (python xxx" in message
    assert len(message) < 600


def test_without_proc_the_program_duckdb_names_is_used(tmp_path):
    message = preflight.lock_message(Path("/w/segmentation.duckdb"), LOCK_ERROR, proc=tmp_path)
    assert "PID 4242 (/usr/bin/python3.11)" in message


def test_other_errors_are_not_taken_for_a_lock():
    assert (
        preflight.lock_holder('IO Error: Cannot open file "/w/x.duckdb": Permission denied') is None
    )
    assert preflight.lock_message(Path("/w/x.duckdb"), "Permission denied") is None

"""Checks `make build` runs right before `dbt build`, for what dbt cannot say clearly itself.

    python -m segmentation.preflight [--db PATH]

dbt opens the warehouse before any of the project's hooks run, so when another process holds
the file (a BI tool or DuckDB client that opened it, a second build) the user gets dbt's
tracebacks. This opens it first, the same way dbt will (read-write), and on a lock conflict
prints one line: the file, the process holding it and what to do. Exit status 1 then, else 0.
A warehouse that does not exist yet is not created here (dbt creates it).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import duckdb

from segmentation.summary import database_path

# DuckDB's message: ... Conflicting lock is held in /usr/bin/python3.11 (PID 1234) by user x.
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


def lock_holder(message: str) -> tuple[str, int] | None:
    """(program, PID) of the process holding the lock, from DuckDB's lock error; else None."""
    match = _LOCK_HOLDER.search(message)
    if match is None:
        return None
    return match["program"], int(match["pid"])


# Longest command line quoted in the message, so that it stays one readable line.
COMMAND_LINE_CHARS = 160


def command_line(pid: int, proc: Path = Path("/proc")) -> str | None:
    """The command line of a running process (/proc/<pid>/cmdline) on one line, shortened to
    COMMAND_LINE_CHARS, or None when unreadable (the process ended, or runs in another PID
    namespace)."""
    try:
        raw = (proc / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None
    words = " ".join(part.decode(errors="replace") for part in raw.split(b"\0")).split()
    text = " ".join(words)
    if len(text) > COMMAND_LINE_CHARS:
        text = text[: COMMAND_LINE_CHARS - 1] + "…"
    return text or None


def lock_message(
    path: Path, error: str, proc: Path = Path("/proc"), then: str = "build again"
) -> str | None:
    """The one line for a warehouse that another process holds, or None if `error` is not a
    lock conflict. `then` is what to do once it is free."""
    holder = lock_holder(error)
    if holder is None:
        return None
    program, pid = holder
    process = command_line(pid, proc) or program
    return (
        f"The warehouse {path} is in use by another process: PID {pid} ({process}). "
        "DuckDB lets one process write a database file and no one else open it meanwhile. "
        "Close that program's connection (BI tools and DuckDB clients should open "
        "build/published/serving.duckdb read-only instead) or wait for the other build to "
        f"finish, then {then}."
    )


def check_warehouse(path: Path, proc: Path = Path("/proc")) -> str | None:
    """None when dbt will be able to open the warehouse for writing (or it does not exist yet);
    else the message saying who holds it. Other errors are left to dbt to report."""
    if not path.exists():
        return None
    try:
        duckdb.connect(str(path)).close()
    except duckdb.IOException as error:
        return lock_message(path, str(error), proc)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None, help="warehouse file (default: as dbt)")
    args = parser.parse_args(argv)
    problem = check_warehouse(args.db or database_path())
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

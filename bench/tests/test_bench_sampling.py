"""Wall time and peak memory of a process tree, sampled from /proc.

No test here asserts a speed: the figures are the benchmark's output, not a pass mark.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from bench import runs, sampling

MIB = 1024**2


# Each child holds `size` MiB, then waits until every sibling holds its share before letting go,
# so the tree's total is resident at once for a while (however slowly the processes start).
TREE_SCRIPT = textwrap.dedent(
    """
    import subprocess, sys, time
    from pathlib import Path

    children, size, marks = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    if len(sys.argv) > 4:
        block = b"x" * (size << 20)
        (marks / sys.argv[4]).touch()
        while len(list(marks.iterdir())) < children:
            time.sleep(0.02)
        time.sleep(1.0)
        sys.exit(0)
    processes = [
        subprocess.Popen([sys.executable, __file__, *sys.argv[1:4], str(n)])
        for n in range(children)
    ]
    sys.exit(max(process.wait() for process in processes))
    """
)


def test_peak_memory_sums_the_whole_process_tree(tmp_path):
    script = tmp_path / "tree.py"
    script.write_text(TREE_SCRIPT)
    marks = tmp_path / "marks"
    marks.mkdir()
    measured = sampling.measure(
        [sys.executable, str(script), "3", "60", str(marks)], log_path=tmp_path / "tree.log"
    )
    assert measured.ok, (tmp_path / "tree.log").read_text()
    assert measured.samples > 0
    # Three children of 60 MiB each at once: more than any single process ever held.
    assert measured.peak_rss_bytes >= 3 * 60 * MIB


def test_process_tree_finds_grandchildren(tmp_path):
    # sh -> sh -> sleep: the tree of the outer shell holds all three.
    process = subprocess.Popen(
        ["sh", "-c", "sh -c 'sleep 30 & echo $!; wait' & wait"],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        grandchild = int(process.stdout.readline())
        tree = sampling.process_tree(process.pid)
        assert process.pid in tree and grandchild in tree and len(tree) == 3
        parents = sampling._parent_pids()
        assert parents[grandchild] in tree
        assert sampling.tree_resident_bytes(process.pid) > 0
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert sampling.process_tree(process.pid) == [process.pid]
    assert sampling.resident_bytes(process.pid) == 0


def test_measure_reports_failures_and_kills_on_timeout(tmp_path):
    failed = sampling.measure(
        [sys.executable, "-c", "print('oops'); raise SystemExit(3)"], log_path=tmp_path / "a.log"
    )
    assert failed.returncode == 3 and not failed.ok and not failed.timed_out
    assert "oops" in (tmp_path / "a.log").read_text()
    stuck = sampling.measure(["sleep", "60"], log_path=tmp_path / "b.log", timeout=0.3)
    assert stuck.timed_out and not stuck.ok and stuck.returncode == -signal.SIGTERM


def test_a_tree_past_the_memory_cap_is_stopped_and_says_so(tmp_path):
    # Issue 16's --peer-memory-cap: a tree growing past the cap (children of 60 MiB that would
    # wait a long time) is killed soon after, not at the timeout; one under the cap finishes.
    script = tmp_path / "tree.py"
    script.write_text(TREE_SCRIPT.replace("time.sleep(1.0)", "time.sleep(30.0)"))
    marks = tmp_path / "marks"
    marks.mkdir()
    capped = sampling.measure(
        [sys.executable, str(script), "3", "60", str(marks)],
        log_path=tmp_path / "capped.log",
        timeout=60,
        memory_cap=100 * MIB,
    )
    assert capped.stopped_at_cap and not capped.timed_out and not capped.ok
    assert capped.peak_rss_bytes > 100 * MIB and capped.wall_seconds < 20
    record = runs._run_record(capped, tmp_path / "capped.log")
    assert record["status"] == "stopped at cap" and record["reason"].startswith("stopped at cap")
    small = sampling.measure(
        [sys.executable, "-c", "pass"], log_path=tmp_path / "small.log", memory_cap=500 * MIB
    )
    assert small.ok and not small.stopped_at_cap


def test_the_peak_is_split_by_command_name(tmp_path):
    # Two processes named "holder" (a link to Python) of 80 MiB each under one shell.
    holder = tmp_path / "holder"
    holder.symlink_to(sys.executable)
    hold = f"{holder} -c 'import time; block = b\"x\" * (80 << 20); time.sleep(3)'"
    measured = sampling.measure(
        ["sh", "-c", f"{hold} & {hold} & wait"], log_path=tmp_path / "holders.log"
    )
    assert measured.ok, (tmp_path / "holders.log").read_text()
    split = measured.peak_by_command
    assert list(split)[0] == "holder" and split["holder"]["processes"] == 2
    assert split["holder"]["rss_bytes"] >= 2 * 80 * MIB
    assert split["sh"]["processes"] == 1
    assert sum(entry["rss_bytes"] for entry in split.values()) == measured.peak_rss_bytes


def test_by_command_groups_and_orders_by_memory():
    split = sampling.by_command([("python3", 50), ("java", 400), ("python3", 70), ("dbt", 300)])
    assert split == {
        "java": {"processes": 1, "rss_bytes": 400},
        "dbt": {"processes": 1, "rss_bytes": 300},
        "python3": {"processes": 2, "rss_bytes": 120},
    }
    assert list(split) == ["java", "dbt", "python3"]


# A process holding 100 MiB forks a child that does not exec: the child's RSS repeats the
# parent's pages (as a JVM's or Python's spawned child does until it execs).
FORK_SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    block = b"x" * (100 << 20)
    if os.fork() == 0:
        time.sleep(60)
        os._exit(0)
    print("forked", flush=True)
    time.sleep(60)
    """
)


def test_a_child_that_has_not_exec_d_counts_only_what_it_adds_to_its_parent(tmp_path):
    script = tmp_path / "fork.py"
    script.write_text(FORK_SCRIPT)
    process = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert process.stdout.readline().strip() == "forked"
        members = dict(sampling.tree_members(process.pid))
        (child,) = set(members) - {process.pid}
        # Each process's own RSS holds the 100 MiB: summed naively, the tree held 200.
        assert sampling.resident_bytes(child) >= 100 * MIB
        assert members[process.pid] >= 100 * MIB and members[child] < 10 * MIB
        assert sampling.tree_resident_bytes(process.pid) < 120 * MIB
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

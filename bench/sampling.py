"""Wall time and peak memory of a command's whole process tree, sampled from /proc.

`measure` runs a command in its own session and samples the resident memory of it and all its
descendants every interval (dbt, its threads and any process it starts count together), killing
exactly that process group on a timeout.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

MIB = 1024**2
GIB = 1024**3
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def child_pids(pid: int) -> list[int]:
    """Direct children of `pid` (empty when it is gone), from /proc/<pid>/task/*/children."""
    task_dir = Path(f"/proc/{pid}/task")
    try:
        tasks = list(task_dir.iterdir())
    except OSError:
        return []
    children: list[int] = []
    found_file = False
    for task in tasks:
        try:
            text = (task / "children").read_text()
        except FileNotFoundError:
            continue
        except OSError:
            continue
        found_file = True
        children.extend(int(token) for token in text.split())
    if not found_file and tasks:
        # Kernels without CONFIG_PROC_CHILDREN: scan every process's parent.
        return [child for child, parent in _parent_pids().items() if parent == pid]
    return children


def _parent_pids() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (2nd field) is in parentheses and may contain spaces.
        fields = stat[stat.rfind(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
    return parents


def process_tree(pid: int) -> list[int]:
    """`pid` and all its living descendants."""
    tree, queue = [], [pid]
    while queue:
        current = queue.pop()
        if current in tree:
            continue
        tree.append(current)
        queue.extend(child_pids(current))
    return tree


def resident_bytes(pid: int) -> int:
    """Resident set size of one process (0 when it is gone or a zombie)."""
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return 0
    return int(fields[1]) * PAGE_BYTES


# include/linux/sched.h: the process was forked and has not exec'd (yet).
PF_FORKNOEXEC = 0x40


def _flags_and_resident(pid: int) -> tuple[int, int] | None:
    """(kernel flags, resident bytes) of one process, from /proc/<pid>/stat; None when gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # After the command name (in parentheses): state is field 3, flags 9, rss (pages) 24.
    fields = stat[stat.rfind(")") + 2 :].split()
    return int(fields[6]), int(fields[21]) * PAGE_BYTES


def tree_members(pid: int) -> list[tuple[int, int]]:
    """(pid, resident bytes it adds to the tree) for `pid` and its living descendants.

    A process forked but not (yet) exec'd counts only what it holds beyond its parent: until it
    execs it runs in its parent's address space (vfork, posix_spawn: how the JVM and Python
    start commands) or in a copy-on-write copy of it, and its RSS repeats its parent's. Counted
    in full, each command Spark's JVM starts (Hadoop's chmod and the like, for the files it
    writes) doubled the tree's peak in the sample that caught it. A forked worker that rewrites
    pages it shares with its parent is counted low.
    """
    members: list[tuple[int, int]] = []
    resident_of: dict[int, int] = {}
    queue: list[tuple[int, int | None]] = [(pid, None)]
    while queue:
        current, parent = queue.pop()
        if current in resident_of:
            continue
        found = _flags_and_resident(current)
        if found is None:
            continue
        flags, resident = found
        resident_of[current] = resident
        if flags & PF_FORKNOEXEC and parent is not None:
            resident = max(0, resident - resident_of[parent])
        members.append((current, resident))
        queue.extend((child, current) for child in child_pids(current))
    return members


def tree_resident_bytes(pid: int) -> int:
    """Resident memory of `pid` and its descendants (each counted as tree_members says)."""
    return sum(resident for _, resident in tree_members(pid))


def command_name(pid: int) -> str:
    """The process's command name (/proc/<pid>/comm: java, dbt, python3, …)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() or "?"
    except OSError:
        return "(exited)"


def by_command(members: Sequence[tuple[str, int]]) -> dict[str, dict[str, int]]:
    """(command name, RSS bytes) per process -> per command name, its processes and their RSS,
    largest first: who held the memory (dbt's Python, Spark's JVM, its Python workers)."""
    grouped: dict[str, dict[str, int]] = {}
    for name, resident in members:
        entry = grouped.setdefault(name, {"processes": 0, "rss_bytes": 0})
        entry["processes"] += 1
        entry["rss_bytes"] += resident
    return dict(sorted(grouped.items(), key=lambda item: -item[1]["rss_bytes"]))


def load_average() -> float | None:
    """1-minute load average: how busy the shared machine was (figures are noisier above ~1)."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class Measurement:
    """One measured command: wall time and peak memory of its process tree."""

    command: list[str]
    returncode: int
    wall_seconds: float
    # Largest sum of RSS over the tree among the samples. (Not the kernel's ru_maxrss: after
    # fork + exec it also counts the pre-exec copy of the parent, i.e. the harness itself.)
    peak_rss_bytes: int
    samples: int
    timed_out: bool = False
    # Killed because its tree's resident memory passed `measure`'s memory_cap.
    stopped_at_cap: bool = False
    # At the peak sample, per command name: its processes and their RSS (see by_command).
    peak_by_command: dict[str, dict[str, int]] = field(default_factory=dict)
    load_average_at_start: float | None = None
    # (epoch seconds, tree RSS bytes) of every sample: lines memory up with dbt's node timings.
    timeline: list[tuple[float, int]] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.stopped_at_cap


class _TreeSampler(threading.Thread):
    def __init__(
        self,
        pid: int,
        interval: float,
        timeout: float | None,
        started: float,
        memory_cap: int | None = None,
    ):
        super().__init__(daemon=True)
        self.pid, self.interval, self.timeout, self.started = pid, interval, timeout, started
        self.memory_cap = memory_cap
        self.stopped_at_cap = False
        self.peak = 0
        self.peak_by_command: dict[str, dict[str, int]] = {}
        self.timeline: list[tuple[float, int]] = []  # (epoch seconds, tree RSS bytes)
        self.timed_out = False
        self.stopping = threading.Event()

    def run(self) -> None:
        killed_at = None
        while not self.stopping.is_set():
            members = tree_members(self.pid)
            resident = sum(size for _, size in members)
            if resident > self.peak:
                # Names are read at a new peak only: the breakdown of the peak sample.
                self.peak = resident
                self.peak_by_command = by_command(
                    [(command_name(pid), size) for pid, size in members if size]
                )
            self.timeline.append((time.time(), resident))
            elapsed = time.perf_counter() - self.started
            over_cap = self.memory_cap is not None and resident > self.memory_cap
            if over_cap and not self.timed_out:
                self.stopped_at_cap = True
            if (self.timeout is not None and elapsed > self.timeout) or self.stopped_at_cap:
                # The command runs in its own session: end exactly its process group.
                self.timed_out = self.timed_out or not self.stopped_at_cap
                kill = signal.SIGTERM if killed_at is None else signal.SIGKILL
                if killed_at is None or elapsed - killed_at > 10:
                    killed_at = elapsed
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(self.pid, kill)
            self.stopping.wait(self.interval)


def measure(
    command: Sequence[str],
    *,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float | None = None,
    poll_interval: float = 0.05,
    memory_cap: int | None = None,
) -> Measurement:
    """Run `command` (stdout and stderr to `log_path`), sampling its tree's RSS every interval.

    The command is killed (its own process group only) when it runs longer than `timeout`, or
    when a sample of its tree's resident memory passes `memory_cap` bytes (`stopped_at_cap`).
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    load = load_average()
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        sampler = _TreeSampler(process.pid, poll_interval, timeout, started, memory_cap)
        sampler.start()
        try:
            process.wait()
        except BaseException as error:
            # Interrupted (Ctrl-C, SIGTERM): don't leave the command running on its own, and
            # hand the figures so far to the caller (a lower bound of the whole run's).
            sampler.stopping.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            sampler.join()
            error.measurement = Measurement(
                command=list(command),
                returncode=process.returncode,
                wall_seconds=time.perf_counter() - started,
                peak_rss_bytes=sampler.peak,
                samples=len(sampler.timeline),
                load_average_at_start=load,
                peak_by_command=sampler.peak_by_command,
            )
            raise
        wall = time.perf_counter() - started
        sampler.stopping.set()
        sampler.join()
    return Measurement(
        command=list(command),
        returncode=process.returncode,
        wall_seconds=wall,
        peak_rss_bytes=sampler.peak,
        samples=len(sampler.timeline),
        timed_out=sampler.timed_out,
        stopped_at_cap=sampler.stopped_at_cap,
        load_average_at_start=load,
        peak_by_command=sampler.peak_by_command,
        timeline=sampler.timeline,
    )

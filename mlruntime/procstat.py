"""Run time: a process's ``/proc/<pid>/stat`` line as data (Linux; nothing elsewhere).

One parser for the two readers: the demo's CPU accounting (parent and CPU time of
every process) and the serving step's "is anything of this process group still
alive" after a stop (group and state).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class ProcessStat:
    pid: int
    state: str  # R running, S sleeping, Z zombie (exited, not yet reaped), ...
    parent: int
    group: int
    cpu_seconds: float  # user + system time of the process and of its reaped children


def read_stat(pid: int | str) -> ProcessStat | None:
    """Process ``pid``'s stat, or None when it is gone (or there is no ``/proc``)."""
    try:
        text = (PROC / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # "pid (comm) state ppid pgrp ...": comm may hold ") ", so split after the last one;
    # then (1-based, as in proc(5)) utime is field 14, stime 15, cutime 16, cstime 17
    fields = text.rpartition(") ")[2].split()
    try:
        ticks = sum(int(value) for value in fields[11:15])
        return ProcessStat(int(pid), fields[0], int(fields[1]), int(fields[2]), ticks / _TICKS)
    except (IndexError, ValueError):
        return None


def every_process() -> Iterator[ProcessStat]:
    """The stat of every process ``/proc`` shows (none without ``/proc``)."""
    if not PROC.is_dir():
        return
    with os.scandir(PROC) as entries:  # closed also when the caller stops early
        for entry in entries:
            if entry.name.isdigit():
                found = read_stat(entry.name)
                if found is not None:
                    yield found

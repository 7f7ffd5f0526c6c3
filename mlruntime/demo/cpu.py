"""Demo: the CPU time its whole process tree has used, for per-phase figures.

Wall time on a shared machine says how busy the machine was; CPU seconds say
what a phase costs. The total is this process's own user + system time, that
of every child it has waited for (``os.times``: each ``mlproject``/``dvc``
command with the stages it ran), and, on Linux, that of every descendant still
running (the MLServer processes, read from ``/proc``), each with its own
waited-for children. A process is counted once: by itself while it runs, by
its parent once reaped. Where ``/proc`` is missing, running descendants are
left out (the figure is then a lower bound until the servers stop).
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: str) -> tuple[int, float] | None:
    """``(parent pid, CPU seconds of the process and its reaped children)``."""
    try:
        text = (PROC / pid / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # fields after "pid (comm) ": state ppid ... utime(14) stime cutime cstime (1-based)
    fields = text.rpartition(") ")[2].split()
    try:
        parent = int(fields[1])
        ticks = sum(int(value) for value in fields[11:15])
    except (IndexError, ValueError):
        return None
    return parent, ticks / _TICKS


def _running_descendants() -> float:
    """CPU seconds of every running descendant of this process (0 without ``/proc``)."""
    if not PROC.is_dir():
        return 0.0
    children: dict[int, list[tuple[int, float]]] = {}
    for entry in os.scandir(PROC):
        if entry.name.isdigit():
            found = _stat(entry.name)
            if found is not None:
                children.setdefault(found[0], []).append((int(entry.name), found[1]))
    total, pending = 0.0, [os.getpid()]
    while pending:
        for pid, seconds in children.get(pending.pop(), []):
            total += seconds
            pending.append(pid)
    return total


def tree_seconds() -> float:
    """CPU seconds used so far by this process and its descendants, reaped or running."""
    times = os.times()
    own = times.user + times.system + times.children_user + times.children_system
    return own + _running_descendants()

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

from mlruntime import procstat


def _has_children() -> bool:
    """Whether this process has a child, running or exited (one system call, no reaping)."""
    if not hasattr(os, "waitid"):
        return True  # cannot tell: look
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    return True


def _running_descendants() -> float:
    """CPU seconds of every running descendant of this process (0 without ``/proc``).

    ``/proc`` is read whole only while this process has a child: without one it has
    no descendant (an orphaned grandchild belongs to init), and most calls, around a
    command that has been reaped by then, cost a system call instead of a scan.
    """
    if not procstat.PROC.is_dir() or not _has_children():
        return 0.0
    children: dict[int, list[tuple[int, float]]] = {}
    for process in procstat.every_process():
        children.setdefault(process.parent, []).append((process.pid, process.cpu_seconds))
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

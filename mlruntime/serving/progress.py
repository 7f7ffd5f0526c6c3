"""Serving runtime: a progress bar on stderr for long runs (rich when installed).

The bar counts requests when the run is bounded by a count, else seconds.
Without rich, or when told to be quiet, a plain line every tenth of the way.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from mlruntime.serving.loadgen import Progress


@contextlib.contextmanager
def progress_bar(
    label: str, requests: int | None, duration: float | None, enabled: bool = True
) -> Iterator[Progress]:
    """A progress callback ``(finished, elapsed)`` for :func:`~.loadgen.run_load`."""
    if not enabled:
        yield lambda finished, elapsed: None
        return
    by_count = requests is not None
    total = float(requests) if requests is not None else float(duration or 1.0)
    try:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
    except ImportError:
        yield from _plain(label, total, by_count)
        return
    columns = [BarColumn(), MofNCompleteColumn() if by_count else TimeElapsedColumn()]
    with Progress(
        "[progress.description]{task.description}",
        *columns,
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)

        def update(finished: int, elapsed: float) -> None:
            done = finished if by_count else min(elapsed, total)
            bar.update(task, completed=done, description=f"{label} ({finished} done)")

        yield update


def _plain(label: str, total: float, by_count: bool) -> Iterator[Progress]:
    shown = [-1]

    def update(finished: int, elapsed: float) -> None:
        done = (finished if by_count else elapsed) / total if total else 1.0
        tenth = min(int(done * 10), 10)
        if tenth > shown[0]:
            shown[0] = tenth
            print(f"{label}: {tenth * 10}% ({finished} done)", file=sys.stderr, flush=True)

    yield update

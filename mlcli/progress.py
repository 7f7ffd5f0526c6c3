"""The load test's progress bar on stderr (rich when installed), drawn by the CLI.

The runtime reports :class:`~mlruntime.serving.loadtest.LoadProgress` events;
this module turns them into a bar that counts requests when the run is bounded
by a count, else seconds. Without rich, a plain line every tenth of the way.
The bar appears with the first event, so the calibration and warm-up that
come before the measured run draw nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from mlruntime.serving.loadtest import LoadProgress

OnProgress = Callable[["LoadProgress"], None]


@contextlib.contextmanager
def progress_bar(label: str, enabled: bool = True) -> Iterator[OnProgress | None]:
    """A callback for ``LoadOptions.progress`` (None when disabled); the bar ends on exit."""
    if not enabled:
        yield None
        return
    try:
        import rich.console
        import rich.progress
    except ImportError:
        yield _plain(label)
        return
    with contextlib.ExitStack() as stack:
        state: dict[str, Any] = {}

        def update(event: LoadProgress) -> None:
            if not state:
                counter = (
                    rich.progress.MofNCompleteColumn()
                    if event.requests is not None
                    else rich.progress.TimeElapsedColumn()
                )
                bar = stack.enter_context(
                    rich.progress.Progress(
                        "[progress.description]{task.description}",
                        rich.progress.BarColumn(),
                        counter,
                        console=rich.console.Console(stderr=True),
                        transient=True,
                    )
                )
                state.update(bar=bar, task=bar.add_task(label, total=event.total))
            state["bar"].update(
                state["task"], completed=event.done, description=f"{label} ({event.finished} done)"
            )

        yield update


def _plain(label: str) -> OnProgress:
    shown = [-1]

    def update(event: LoadProgress) -> None:
        tenth = min(int(event.fraction * 10), 10)
        if tenth > shown[0]:
            shown[0] = tenth
            click.echo(f"{label}: {tenth * 10}% ({event.finished} done)", err=True)

    return update

"""Stopping a command with Ctrl-C or SIGTERM.

Every command: SIGTERM is read as Ctrl-C (:func:`terminate_as_interrupt`, set by the
console script), so a stopped command unwinds (temporary files removed, workers and
servers stopped) and exits 130, "interrupted", as the exit-code table says.

A long-running command (``serve``): the first SIGINT or SIGTERM raises
:class:`KeyboardInterrupt`, so the command
unwinds and stops what it started; any later one, while it is still stopping,
only calls ``on_repeat`` (a second Ctrl-C must not abandon a half-stopped
server). The previous handlers come back when the block ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


def raise_interrupt(signum: int, frame: FrameType | None) -> None:
    """A signal handler that stops the command the way Ctrl-C does."""
    raise KeyboardInterrupt


def terminate_as_interrupt() -> None:
    """SIGTERM raises :class:`KeyboardInterrupt` from now on (main thread only).

    Not in a forked child (compile's worker processes): there SIGTERM is how the parent
    stops a worker, and it must end the process, not unwind into the worker's loop."""
    signal.signal(signal.SIGTERM, raise_interrupt)


def _default_terminate_in_child() -> None:
    if signal.getsignal(signal.SIGTERM) is raise_interrupt:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


os.register_at_fork(after_in_child=_default_terminate_in_child)


@contextlib.contextmanager
def interrupt_once(on_repeat: Callable[[], None]) -> Iterator[None]:
    """Within the block, the first SIGINT/SIGTERM raises KeyboardInterrupt; later ones call
    ``on_repeat``."""
    stopping = False

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if stopping:
            on_repeat()
            return
        stopping = True
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, handler) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)

"""Stopping a long-running command (``serve``) with Ctrl-C or SIGTERM.

The first SIGINT or SIGTERM raises :class:`KeyboardInterrupt`, so the command
unwinds and stops what it started; any later one, while it is still stopping,
only calls ``on_repeat`` (a second Ctrl-C must not abandon a half-stopped
server). The previous handlers come back when the block ends.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


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

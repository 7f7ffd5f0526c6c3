"""Stopping ``serve`` echoes no ``CancelledError`` traceback from MLServer (issue 14).

MLServer's asyncio tasks end with CancelledError on Ctrl-C; while the server
is being stopped those tracebacks are held back (kept in the tail for a
failure report), and every other line and traceback is still echoed.
"""

from __future__ import annotations

import os

import pytest

from mlruntime.serving.server import _OutputPump

LOG = b"""INFO start
Traceback (most recent call last):
  File "x.py", line 1, in serve
    await server.serve()
asyncio.exceptions.CancelledError

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "z.py", line 2, in run
KeyboardInterrupt
ERROR:    Traceback (most recent call last):
  File "starlette/routing.py", line 699, in lifespan
2026-12-07 02:49:49,369 [mlserver.parallel] INFO - Shutdown of default inference pool complete
    await receive()
asyncio.exceptions.CancelledError
INFO after
Traceback (most recent call last):
  File "a.py", line 3, in predict
ValueError: a real problem
INFO end
"""


@pytest.mark.parametrize("stopping", [False, True])
def test_cancelled_tracebacks_are_dropped_only_while_stopping(stopping: bool) -> None:
    read, write = os.pipe()
    echoed: list[str] = []
    with os.fdopen(read, "rb") as stream:
        pump = _OutputPump(stream, echoed.append)
        pump.stopping = stopping  # before any line arrives
        with os.fdopen(write, "wb") as sink:
            sink.write(LOG)
        pump.thread.join(timeout=60)
    assert not pump.thread.is_alive()
    assert echoed[0] == "INFO start" and echoed[-1] == "INFO end"
    assert "ValueError: a real problem" in echoed and "INFO after" in echoed
    assert ("asyncio.exceptions.CancelledError" in echoed) is not stopping
    assert "asyncio.exceptions.CancelledError" in pump.text()  # kept for a failure report
    assert any(line.endswith("Shutdown of default inference pool complete") for line in echoed)
    if stopping:
        assert echoed.count("Traceback (most recent call last):") == 1  # the ValueError's

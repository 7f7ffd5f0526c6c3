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


POLLS = b"""INFO:     Uvicorn running on http://127.0.0.1:8080 (Press CTRL+C to quit)
INFO:     127.0.0.1:35316 - "GET /v2/health/ready HTTP/1.1" 400 Bad Request
INFO:     127.0.0.1:35328 - "GET /v2/health/ready HTTP/1.1" 400 Bad Request
2026-12-07 11:01:22,696 [mlserver][fraud:v0.1.0] INFO - Loaded model 'fraud' successfully.
INFO:     127.0.0.1:49788 - "GET /v2/health/ready HTTP/1.1" 200 OK
INFO:     127.0.0.1:49804 - "GET /v2/models/fraud/versions/v0.1.0/ready HTTP/1.1" 200 OK
INFO:     127.0.0.1:49810 - "POST /v2/models/fraud/infer HTTP/1.1" 200 OK
"""


@pytest.mark.parametrize("polling", [True, False])
def test_readiness_polls_are_not_echoed_while_waiting_for_the_server(polling: bool) -> None:
    """serve printed a '400 Bad Request' access-log line per poll (dozens, on a busy
    machine) before the model was loaded: they read like errors and are our own polls."""
    read, write = os.pipe()
    echoed: list[str] = []
    with os.fdopen(read, "rb") as stream:
        pump = _OutputPump(stream, echoed.append)
        pump.polling = polling
        with os.fdopen(write, "wb") as sink:
            sink.write(POLLS)
        pump.thread.join(timeout=60)
    shown = "\n".join(echoed)
    assert ("/ready HTTP/1.1" in shown) is not polling
    assert "Loaded model 'fraud' successfully." in shown and "POST /v2/models/fraud/infer" in shown
    assert "400 Bad Request" in pump.text()  # kept for a failure report

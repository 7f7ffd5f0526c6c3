"""Serving runtime: the load generator's own cost, measured against a trivial local server.

``python -m mlruntime.serving.calibration`` runs an HTTP/1.1 server on an
ephemeral 127.0.0.1 port that answers every request with the same small JSON
body and does no other work; it prints its port and serves until killed.
:func:`calibrate` drives it with the same client, bodies, rate and
concurrency as the real run: what it measures is the floor any server's
latency sits on in this run (client, loopback, the trivial server's own event
loop), reported beside the real figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import subprocess
import sys

from mlruntime.serving.errors import ServingError
from mlruntime.serving.loadgen import LoadPlan, LoadResult, run_load

HOST = "127.0.0.1"
MAX_SECONDS = 3.0
_BODY = b'{"outputs":[]}'
_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    + f"Content-Length: {len(_BODY)}\r\n\r\n".encode()
    + _BODY
)


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            writer.write(_RESPONSE)
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def _serve() -> None:
    server = await asyncio.start_server(_handle, HOST, 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


def calibrate(plan: LoadPlan, requests: int) -> LoadResult:
    """``plan`` (capped at ``requests`` and a few seconds) against the trivial server."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mlruntime.serving.calibration"],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.isdigit():
            raise ServingError("the calibration server did not start")
        duration = min(plan.duration or MAX_SECONDS, MAX_SECONDS)
        trivial = dataclasses.replace(
            plan,
            host=HOST,
            port=int(line),
            requests=min(plan.requests or requests, requests),
            duration=duration,
        )
        return run_load(trivial)
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve())

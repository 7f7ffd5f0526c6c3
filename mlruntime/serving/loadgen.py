"""Serving runtime: an open-loop HTTP load generator (asyncio, HTTP/1.1 keep-alive).

Open loop: request *i* is due at ``start + i / rate`` whether or not earlier
ones have answered. Its latency runs from the moment the dispatcher releases
it, so time spent waiting for a connection that the server still holds counts
(a server that falls behind shows it in the tail: no coordinated omission),
while the dispatcher's own lateness (timer granularity, a saturated client)
does not; both delays are recorded separately. Without a rate the loop is
closed: each of the ``concurrency`` connections sends as soon as its previous
answer arrives. A run stops at a request count or a duration, whichever comes
first, and every request has a timeout that runs from its release (waiting
for a connection included), so a run lasts at most its duration plus one
timeout however far behind the server falls.

The client is deliberately small: one persistent connection per worker,
request bytes built before the clock starts, responses framed by
``Content-Length`` (or chunked). Its own cost is measured by
:mod:`mlruntime.serving.loadtest` against a trivial local server in the same run.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Progress = Callable[[int, float], None]  # (requests finished, seconds elapsed)
# Not loop.time(): uvloop's clock ticks in whole milliseconds.
_now = time.perf_counter


@dataclass(frozen=True)
class LoadPlan:
    """What to send, where, how fast and for how long."""

    host: str
    port: int
    path: str
    bodies: tuple[bytes, ...]  # JSON request bodies, sent in turn
    rate: float | None  # requests per second; None: closed loop
    concurrency: int
    requests: int | None
    duration: float | None
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.requests is None and self.duration is None:
            raise ValueError("a load plan needs a request count or a duration")

    def payloads(self) -> tuple[bytes, ...]:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return tuple(
            (
                f"POST {self.path} HTTP/1.1\r\nHost: {host}:{self.port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode("ascii")
            + body
            for body in self.bodies
        )


@dataclass
class LoadResult:
    """Raw measurements of one run (seconds)."""

    latencies: list[float] = field(default_factory=list)  # successful requests only
    dispatch_lags: list[float] = field(default_factory=list)  # released - due (open loop)
    connection_waits: list[float] = field(default_factory=list)  # sent - released (open loop)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    elapsed: float = 0.0
    first_body: bytes | None = None

    @property
    def finished(self) -> int:
        return len(self.latencies) + sum(self.errors.values())


class _Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def exchange(self, payload: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(payload)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        headers = _headers(head)
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunked()
        else:
            body = await self.reader.read()
            self.close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        parts: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _headers(head: bytes) -> dict[str, str]:
    lines = head.decode("latin-1").split("\r\n")[1:]
    pairs = (line.split(":", 1) for line in lines if ":" in line)
    return {name.strip().lower(): value.strip() for name, value in pairs}


def _error_kind(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionError | asyncio.IncompleteReadError):
        return "connection lost"
    return type(exc).__name__


# A queued request: (index, due time, released at). Open loop: due is when the
# schedule wanted it sent, released when the dispatcher's timer let it go.
_Item = tuple[int, float, float]


async def _dispatch(plan: LoadPlan, queue: asyncio.Queue[_Item | None]) -> None:
    start = _now()
    deadline = start + plan.duration if plan.duration is not None else None
    index = 0
    while plan.requests is None or index < plan.requests:
        if plan.rate is None:
            if deadline is not None and _now() >= deadline:
                break
            now = _now()
            await queue.put((index, now, now))  # bounded queue: waits for a free worker
        else:
            due = start + index / plan.rate
            if deadline is not None and due >= deadline:
                break
            wait = due - _now()
            if wait > 0:
                await asyncio.sleep(wait)
            queue.put_nowait((index, due, _now()))
        index += 1
    for _ in range(plan.concurrency):
        await queue.put(None)


async def _work(
    plan: LoadPlan,
    payloads: tuple[bytes, ...],
    queue: asyncio.Queue[_Item | None],
    result: LoadResult,
) -> None:
    connection = _Connection(plan.host, plan.port)
    try:
        while (item := await queue.get()) is not None:
            index, due, released = item
            sent = _now()
            budget = plan.timeout - (sent - released)
            if budget <= 0:  # waited out its whole timeout for a connection: never sent
                result.errors["timeout"] += 1
                continue
            try:
                async with asyncio.timeout(budget):
                    status, body = await connection.exchange(payloads[index % len(payloads)])
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
                connection.close()
                result.errors[_error_kind(exc)] += 1
                continue
            finished = _now()
            if plan.rate is not None:
                # Waiting for a busy connection is the server's latency (no coordinated
                # omission); the timer's lateness (uvloop ticks in ms) is the client's.
                origin = released
                result.dispatch_lags.append(released - due)
                result.connection_waits.append(sent - released)
            else:
                origin = sent  # closed loop: nothing is due before a connection is free
            if 200 <= status < 300:
                result.latencies.append(finished - origin)
                if result.first_body is None:
                    result.first_body = body
            else:
                result.errors[f"HTTP {status}"] += 1
    finally:
        connection.close()


async def _report(result: LoadResult, progress: Progress, started: float) -> None:
    while True:
        progress(result.finished, _now() - started)
        await asyncio.sleep(0.1)


async def _run(plan: LoadPlan, progress: Progress | None) -> LoadResult:
    payloads = plan.payloads()
    result = LoadResult()
    bound = plan.concurrency if plan.rate is None else 0
    queue: asyncio.Queue[_Item | None] = asyncio.Queue(maxsize=bound)
    started = _now()
    ticker = asyncio.create_task(_report(result, progress, started)) if progress else None
    workers = [
        asyncio.create_task(_work(plan, payloads, queue, result)) for _ in range(plan.concurrency)
    ]
    await _dispatch(plan, queue)
    await asyncio.gather(*workers)
    result.elapsed = _now() - started
    if ticker is not None:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
        assert progress is not None
        progress(result.finished, result.elapsed)
    return result


def run_load(plan: LoadPlan, progress: Progress | None = None) -> LoadResult:
    """Run ``plan`` to completion (uvloop when installed, as MLServer itself uses)."""
    factory: Callable[[], asyncio.AbstractEventLoop]
    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - uvloop comes with MLServer
        factory = asyncio.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(_run(plan, progress))

"""Serving runtime: one MLServer process, from free ports to a clean stop.

``mlserver start DIR`` runs in its own session, hence its own process group:
a Ctrl-C in the terminal reaches ``mlproject serve`` only, which forwards it,
and the stop takes the whole group down (MLServer runs inference in worker
processes that a signal to the parent alone can leave behind). The stop
escalates SIGINT → SIGTERM → SIGKILL: MLServer 1.7 that failed to bind a port
keeps running and ignores SIGTERM.

A port that is taken is reported before starting. Since that check and the
bind can race, and since MLServer 1.7 does not exit when uvicorn cannot bind
(it logs ``[Errno 98] ... address already in use`` and carries on without
that server), its output is also watched while waiting for readiness.
Readiness is ``/v2/health/ready`` and the model's own version-specific
``ready`` route, so an older server still holding the port cannot pass for ours.

MLServer runs with ``OMP_NUM_THREADS=1`` unless the caller set it: online
requests carry a row or a few, where OpenMP's threads (scikit-learn's
HistGradientBoosting predicts with one per core) only add barrier spinning,
and on a busy machine that spinning multiplies single-row latency (measured in
docs/benchmarks.md, Serving). MLServer's parallel workers are the serving
concurrency.
"""

from __future__ import annotations

import collections
import contextlib
import http.client
import importlib.util
import ipaddress
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from mlruntime import procstat
from mlruntime.serving.errors import PortInUseError, ServingError
from mlruntime.serving.materialise import ServingDir

READY_TIMEOUT = 180.0  # a cold start on a loaded 2-core runner takes 10-20 s
INTERRUPT_GRACE = 20.0  # MLServer's own shutdown waits up to parallel_workers_timeout (5 s)
TERMINATE_GRACE = 5.0
BROKEN_GRACE = 1.0
_BIND_FAILURE = re.compile(r"\[Errno (98|48)\]|address already in use", re.IGNORECASE)
_TAIL = 40
THREADS_ENV = "OMP_NUM_THREADS"


def require_loopback(host: str) -> None:
    """Local serving binds a loopback address only; anything else is a deployment."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ServingError(
            f"--host {host} is not a loopback address: mlproject serves locally only",
            "use 127.0.0.1; to serve for others, deploy with the kserve target",
        )


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def taken_ports(host: str, ports: tuple[int, ...]) -> list[int]:
    """The ports among ``ports`` that cannot be bound on ``host`` right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    taken = []
    for port in ports:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            try:
                probe.bind((host, port))
            except OSError:
                taken.append(port)
    return taken


def group_alive(pgid: int) -> bool:
    """Whether any live (non-zombie) process is left in process group ``pgid``."""
    if not procstat.PROC.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return any(p.group == pgid and p.state != "Z" for p in procstat.every_process())


MLSERVER_ENV = "MLPROJECT_MLSERVER"


def mlserver_command(directory: Path, *, mlflow: bool = False) -> list[str]:
    """``mlserver start DIR`` of the MLServer installed beside this interpreter.

    ``MLPROJECT_MLSERVER`` names another ``mlserver`` executable: the MLflow model
    format needs ``mlserver-mlflow``, which needs the full ``mlflow`` package, which
    may not fit this environment (see the ``mlflow`` extra), so it may live in a venv.
    """
    other = os.environ.get(MLSERVER_ENV, "").strip()
    if other:
        if not Path(other).is_file():
            raise ServingError(f"{MLSERVER_ENV}={other}: no such file")
        return [other, "start", str(directory)]
    if mlflow and importlib.util.find_spec("mlserver_mlflow") is None:
        raise ServingError(
            "the spec serves the MLflow model format, but MLServer's MLflow runtime "
            "(mlserver-mlflow) is not installed here",
            f"pip install mlserver-mlflow==1.7.1, or set {MLSERVER_ENV} to the mlserver of a "
            "venv that has it",
        )
    if importlib.util.find_spec("mlserver") is None:
        raise ServingError("MLServer is not installed", "pip install 'mlproject[serve]'")
    script = Path(sys.executable).with_name("mlserver")
    if script.is_file():
        return [str(script), "start", str(directory)]
    runner = "import sys; from mlserver.cli import main; sys.exit(main())"
    return [sys.executable, "-c", runner, "start", str(directory)]


_TRACEBACK = "Traceback (most recent call last)"
_CHAINED = ("During handling of", "The above exception")


# The access-log line of a readiness request (uvicorn's format): wait_ready's polls.
_READINESS_POLL = re.compile(r'"GET /v2/(health/ready|models/[^ "]+/ready) HTTP/1\.[01]" \d{3}')
_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\b")


def _chained(line: str) -> bool:
    return _TRACEBACK in line or line.startswith(_CHAINED)


@dataclass
class _OutputPump:
    """Reads MLServer's output: keeps a tail, spots bind failures, optionally echoes."""

    stream: IO[bytes]
    echo: Callable[[str], None] | None
    tail: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=_TAIL))
    bind_failure: str | None = None
    stopping: bool = False  # set by MLServer.stop: shutdown noise is not echoed
    # Until MLServer.wait_ready returns, the access-log lines of its own readiness polls
    # (a "400 Bad Request" ten times a second while the model loads) are not echoed.
    polling: bool = True
    _block: list[str] = field(default_factory=list)  # a traceback being read
    _ended: bool = False  # the block's exception line was read (a chained one may follow)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._run, name="mlserver-output", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for raw in iter(self.stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip()
            self.tail.append(line)
            if self.bind_failure is None and _BIND_FAILURE.search(line):
                self.bind_failure = line
            if self.echo is not None:
                self._traceback_aware(line)
        self._flush()

    def _traceback_aware(self, line: str) -> None:
        """Echo ``line``, holding tracebacks back until their exception is known: a
        ``CancelledError`` raised while the server is being stopped is how MLServer's
        tasks end on Ctrl-C, not a failure, so that traceback is not echoed (the tail
        keeps it). Log records of other processes interleaved with a traceback pass."""
        if not self._block:
            if _TRACEBACK in line:  # also behind a log prefix ("ERROR:    Traceback ...")
                self._block.append(line)
            elif not (self.stopping and "CancelledError" in line) and not (
                self.polling and _READINESS_POLL.search(line)
            ):
                self._emit(line)
            return
        if not line or line[0].isspace() or _chained(line):
            self._block.append(line)
        elif _EXCEPTION.match(line):
            self._block.append(line)
            self._ended = True  # a chained traceback may follow
        elif self._ended:
            self._flush()
            self._traceback_aware(line)
        else:
            self._emit(line)  # another process's log record, between traceback lines

    def _flush(self) -> None:
        block, self._block, self._ended = self._block, [], False
        exceptions = [x for x in block if _EXCEPTION.match(x)]
        if self.stopping and any("CancelledError" in x for x in exceptions):
            return
        for line in block:
            self._emit(line)

    def _emit(self, line: str) -> None:
        if self.echo is not None:
            self.echo(line)

    def text(self) -> str:
        return "\n".join(self.tail)


class MLServer:
    """A running ``mlserver start``; always :meth:`stop` it (or use :func:`running`)."""

    def __init__(self, serving: ServingDir, echo: Callable[[str], None] | None = None) -> None:
        self.serving = serving
        command = mlserver_command(serving.path, mlflow=serving.mlflow)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.setdefault(THREADS_ENV, "1")  # see the module docstring
        self.process = subprocess.Popen(
            command,
            cwd=serving.path,  # MLServer writes .metrics/ and .envs/ into its cwd
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: see the module docstring
            env=env,
        )
        assert self.process.stdout is not None
        self._output = _OutputPump(self.process.stdout, echo)
        self.ready = False

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def pgid(self) -> int:
        return self.process.pid  # a session leader leads its process group

    @property
    def url(self) -> str:
        return f"http://{url_host(self.serving.host)}:{self.serving.ports.http}"

    @property
    def metrics_url(self) -> str:
        host = url_host(self.serving.host)
        return f"http://{host}:{self.serving.ports.metrics}{self.serving.metrics_endpoint}"

    @property
    def infer_path(self) -> str:
        return f"/v2/models/{self.serving.model_name}/infer"

    def output_tail(self) -> str:
        return self._output.text()

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> float:
        """Seconds until the server and this model version answer ready; raises otherwise."""
        started = time.monotonic()
        name, version = self.serving.model_name, self.serving.version
        model_ready = f"/v2/models/{name}/versions/{version}/ready"
        while True:
            if self._output.bind_failure is not None:
                raise PortInUseError(
                    f"MLServer could not bind its ports: {self._output.bind_failure.strip()}",
                    "another process took the port after the check; choose another with --port",
                )
            code = self.process.poll()
            if code is not None:
                self._output.thread.join(timeout=2)
                raise ServingError(
                    f"MLServer exited with code {code} before it was ready; its last output:\n"
                    + self.output_tail()
                )
            if self._get("/v2/health/ready") == 200 and self._get(model_ready) == 200:
                self.ready = True
                self._output.polling = False
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise ServingError(
                    f"MLServer was not ready after {timeout:.0f} s; its last output:\n"
                    + self.output_tail()
                )
            time.sleep(0.1)

    def _get(self, path: str) -> int | None:
        connection = http.client.HTTPConnection(self.serving.host, self.serving.ports.http, 2.0)
        try:
            connection.request("GET", path)
            return connection.getresponse().status
        except (OSError, http.client.HTTPException):
            return None
        finally:
            connection.close()

    def stop(self) -> int | None:
        """Stop MLServer and every process of its group; returns its exit code.

        A server that never became ready gets a short grace only (after a bind
        failure it would ignore SIGINT and SIGTERM). A Ctrl-C while stopping
        skips to the next, harsher signal instead of abandoning the stop; it is
        re-raised once the group is gone.
        """
        interrupted = False
        self._output.stopping = True
        grace = INTERRUPT_GRACE if self.ready else BROKEN_GRACE
        escalation = (
            (signal.SIGINT, grace),
            (signal.SIGTERM, min(grace, TERMINATE_GRACE)),
            (signal.SIGKILL, TERMINATE_GRACE),
        )
        for sig, grace in escalation:
            if self.process.poll() is not None:
                break
            try:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pgid, sig)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(grace)
            except KeyboardInterrupt:
                interrupted = True
        deadline = time.monotonic() + TERMINATE_GRACE
        while group_alive(self.pgid) and time.monotonic() < deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pgid, signal.SIGKILL)  # inference workers left behind
            time.sleep(0.05)
        self._output.thread.join(timeout=2)
        if not self._output.thread.is_alive() and self.process.stdout is not None:
            self.process.stdout.close()
        if interrupted:
            raise KeyboardInterrupt
        return self.process.poll()


def start(serving: ServingDir, echo: Callable[[str], None] | None = None) -> MLServer:
    """Start MLServer on ``serving`` after checking its ports; not yet ready."""
    require_loopback(serving.host)
    names = dict(zip(serving.ports.all(), ("HTTP", "gRPC", "metrics"), strict=True))
    if len(names) < len(serving.ports.all()):
        raise ServingError(
            f"the HTTP, gRPC and metrics ports must differ, got {serving.ports.all()}"
        )
    taken = taken_ports(serving.host, serving.ports.all())
    if taken:
        listed = ", ".join(f"{names[p]} port {p}" for p in taken)
        raise PortInUseError(
            f"{listed} on {serving.host} {'is' if len(taken) == 1 else 'are'} already in use "
            "(is another server running?)",
            "stop it, or choose free ports with --port, --grpc-port and --metrics-port",
        )
    return MLServer(serving, echo)


@contextlib.contextmanager
def running(
    serving: ServingDir, echo: Callable[[str], None] | None = None, timeout: float = READY_TIMEOUT
) -> Iterator[MLServer]:
    """A ready MLServer for the ``with`` block; stopped (whole group) however it ends."""
    server = start(serving, echo)
    try:
        server.wait_ready(timeout)
        yield server
    finally:
        server.stop()

"""Demo: ``mlproject serve`` in the background, and a stop that always happens.

The server runs as ``mlproject serve`` in a session of its own, so a Ctrl-C in
the terminal reaches only the demo, which then stops it: SIGINT to the serve
process (it stops MLServer's whole process group), escalating to SIGTERM and
SIGKILL; then, should MLServer outlive it, MLServer's own process group by the
PID that ``serve`` printed. :meth:`ServedModel.stop` runs from a ``finally``.
Once a server is no longer needed, :meth:`ServedModel.stop_soon` starts that
stop in a thread (MLServer's graceful shutdown takes seconds) while the demo
goes on; the final :meth:`~ServedModel.stop` waits for it.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

from mlruntime.demo import cpu
from mlruntime.demo.runner import DemoError, display

READY_TIMEOUT = 120.0  # seconds for MLServer to load the model
STOP_TIMEOUT = 20.0
_MLSERVER = re.compile(r"MLServer pid (\d+) \(process group (\d+)\)")
_READY_LINE = "Press Ctrl-C to stop."


def free_ports(count: int) -> list[int]:
    """``count`` distinct free TCP ports on 127.0.0.1 (held together while chosen)."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


class ServedModel:
    """One ``mlproject serve`` process and the MLServer it started."""

    def __init__(self, label: str, project_dir: Path, env: dict[str, str], log: Path) -> None:
        self.label = label
        self.project_dir = project_dir
        self.env = env
        self.log = log
        self.port = 0
        self.process: subprocess.Popen[str] | None = None
        self.mlserver_pid: int | None = None
        self.mlserver_pgid: int | None = None
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        self.start_cpu_seconds = 0.0  # CPU of the demo's process tree while it started
        self._stopper: threading.Thread | None = None

    def start(self, *selector: str) -> float:
        """Start serving (``--version V`` or ``--stage ENV``); wait until it is ready."""
        http_port, grpc_port, metrics_port = free_ports(3)
        self.port = http_port
        argv = [
            sys.executable,
            "-m",
            "mlcli",
            "serve",
            "--project-dir",
            ".",
            *selector,
            "--port",
            str(http_port),
            "--grpc-port",
            str(grpc_port),
            "--metrics-port",
            str(metrics_port),
        ]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        began, cpu_began = time.perf_counter(), cpu.tree_seconds()
        self.process = subprocess.Popen(
            argv,
            cwd=self.project_dir,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        assert self.process.stdout is not None
        reader = threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True)
        reader.start()
        self._wait_ready(argv, began)
        self.start_cpu_seconds = cpu.tree_seconds() - cpu_began
        return time.perf_counter() - began

    def _read(self, stream: IO[str]) -> None:
        with self.log.open("w", encoding="utf-8") as log:
            for line in stream:
                log.write(line)
                log.flush()
                self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _wait_ready(self, argv: list[str], began: float) -> None:
        deadline = began + READY_TIMEOUT
        while True:
            try:
                line = self.lines.get(timeout=max(deadline - time.perf_counter(), 0.01))
            except queue.Empty:
                raise self._failure(argv, f"not ready within {READY_TIMEOUT:.0f} s") from None
            if line is None:
                self._wait_exit()
                code = self.process.returncode if self.process else None
                raise self._failure(argv, f"exited {code} before it was ready")
            self.output.append(line)
            found = _MLSERVER.search(line)
            if found:
                self.mlserver_pid, self.mlserver_pgid = int(found[1]), int(found[2])
            if line.strip() == _READY_LINE:
                break
        if self.mlserver_pid is None:
            raise self._failure(argv, "did not print the MLServer pid")
        self._check_health(argv)

    def _check_health(self, argv: list[str]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", "/v2/health/ready")
            status = connection.getresponse().status
        except OSError as exc:
            raise self._failure(argv, f"said it was ready, but /v2/health/ready: {exc}") from exc
        finally:
            connection.close()
        if status != 200:
            raise self._failure(argv, f"said it was ready, but /v2/health/ready is {status}")

    def _wait_exit(self) -> None:
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)

    def _failure(self, argv: list[str], why: str) -> DemoError:
        self.stop()
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.output.append(line)
        return DemoError(
            f"serve {self.label}", f"`{display(argv)}` {why}", "\n".join(self.output[-60:])
        )

    def stop_soon(self) -> None:
        """Start stopping in the background; :meth:`stop` waits until it is done."""
        if self._stopper is None and self.running:
            self._stopper = threading.Thread(
                target=self._stop, name=f"stop serve {self.label}", daemon=True
            )
            self._stopper.start()

    def stop(self) -> None:
        """Stop ``serve`` by its PID, then MLServer's process group if it is still there."""
        if self._stopper is not None:
            self._stopper.join()
        self._stop()

    def _stop(self) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(sig)
                try:
                    process.wait(STOP_TIMEOUT)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self.mlserver_pgid is not None:
            _stop_group(self.mlserver_pgid)
        self.mlserver_pgid = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def _stop_group(pgid: int) -> None:
    """Signal a process group that should already be gone, escalating until it is."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except (ProcessLookupError, PermissionError):
                return
            time.sleep(0.1)

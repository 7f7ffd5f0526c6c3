"""Serving runtime: ``mlproject serve``, one model version behind a local MLServer.

Resolves the version (default: the one in the last environment of the
promotion order, i.e. production), materialises its model repository in a
temporary directory, starts MLServer on loopback ports, and waits until the
server and that model version answer ready. The CLI prints the endpoint and
a sample request, then waits for Ctrl-C; leaving :func:`session` stops the
whole process group and removes the temporary directory.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mlruntime.serving.artifacts import ModelArtifact, load_artifact
from mlruntime.serving.errors import PortInUseError
from mlruntime.serving.materialise import Ports, ServingDir, default_ports, materialise
from mlruntime.serving.project import CompiledProject, load_project
from mlruntime.serving.samples import Rows, sample_rows
from mlruntime.serving.server import MLServer, require_loopback, start, taken_ports


@dataclass(frozen=True)
class ServeOptions:
    project_dir: Path
    version: str | None  # a version, an environment, "workspace"; None: production
    host: str = "127.0.0.1"
    port: int | None = None
    grpc_port: int | None = None
    metrics_port: int | None = None


@dataclass(frozen=True)
class Session:
    """A served model version: what the CLI prints and tests talk to."""

    project: CompiledProject
    artifact: ModelArtifact
    serving: ServingDir
    server: MLServer
    ready_seconds: float
    sample: Rows


def _ports(project: CompiledProject, options: ServeOptions) -> Ports:
    defaults = default_ports(project)
    return Ports(
        http=options.port or defaults.http,
        grpc=options.grpc_port or defaults.grpc,
        metrics=options.metrics_port or defaults.metrics,
    )


@contextlib.contextmanager
def session(
    options: ServeOptions,
    echo: Callable[[str], None] | None = None,
    starting: Callable[[ModelArtifact, ServingDir], None] | None = None,
) -> Iterator[Session]:
    """Serve the chosen version for the ``with`` block; everything stops on exit."""
    require_loopback(options.host)
    project = load_project(options.project_dir)
    ports = _ports(project, options)
    taken = taken_ports(options.host, ports.all())
    if taken:  # before resolving a version: a busy port is the quickest answer
        listed = ", ".join(str(p) for p in taken)
        raise PortInUseError(
            f"port(s) {listed} on {options.host} already in use (is another server running?)",
            "stop it, or choose free ports with --port, --grpc-port and --metrics-port",
        )
    artifact = load_artifact(project, options.version)
    with tempfile.TemporaryDirectory(prefix="mlproject-serve-") as directory:
        serving = materialise(Path(directory), project, artifact, options.host, ports)
        if starting is not None:
            starting(artifact, serving)
        server = start(serving, echo)
        try:
            ready = server.wait_ready()
            sample = sample_rows(project, artifact.features)
            yield Session(project, artifact, serving, server, ready, sample)
        finally:
            server.stop()

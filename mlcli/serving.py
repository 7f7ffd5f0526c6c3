"""The ``serve`` and ``loadtest`` commands (runtime, not the compile path).

Thin: options in, :mod:`mlruntime.serving` does the work, this module prints.
A :class:`~mlruntime.serving.errors.ServingError` reaches the CLI's one error
handler (exit 1); a load test that misses a limit also exits 1, after its
table. ``serve`` exits 0 when stopped with Ctrl-C or SIGTERM, 1 when MLServer
fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mlcli.options import PROJECT_DIR, VERSION
from mlcli.signals import interrupt_once
from mlcontract.errors import ExitCode, UsageError
from mlruntime.serving.errors import ServingError

if TYPE_CHECKING:
    from mlruntime.serving.artifacts import ModelArtifact
    from mlruntime.serving.materialise import ServingDir
    from mlruntime.serving.serve import Session


def _announce(artifact: ModelArtifact, serving: ServingDir) -> None:
    ref = artifact.ref
    where = f"commit {ref.commit[:12]}" if ref.commit else "the work tree"
    stage = f", {ref.stage}" if ref.stage else ""
    click.echo(f"serving {ref.name} {ref.version} ({where}{stage}) from {artifact.origin}")
    click.echo(f"starting MLServer in {serving.path} ...", err=True)


def _print_endpoints(running: Session) -> None:
    from mlruntime.serving.samples import curl_command

    server = running.server
    infer = f"{server.url}{server.infer_path}"
    click.echo(
        f"MLServer pid {server.pid} (process group {server.pgid}), "
        f"ready in {running.ready_seconds:.1f} s"
    )
    click.echo(f"  inference  POST {infer}")
    click.echo(f"  metadata   GET  {server.url}/v2/models/{running.serving.model_name}")
    click.echo(f"  metrics    GET  {server.metrics_url}")
    click.echo(f"  gRPC       {running.serving.host}:{running.serving.ports.grpc}")
    click.echo(f"sample request ({running.sample.origin}):")
    click.echo("  " + curl_command(infer, running.sample.request()))
    click.echo("Press Ctrl-C to stop.")
    sys.stdout.flush()


@click.command()
@PROJECT_DIR
@VERSION
@click.option("--stage", metavar="ENV", default=None, help="Serve the version now in ENV.")
@click.option("--host", default="127.0.0.1", show_default=True, help="A loopback address.")
@click.option("--port", type=click.IntRange(1, 65535), help="HTTP port (default: settings.json).")
@click.option("--grpc-port", type=click.IntRange(1, 65535), help="gRPC port.")
@click.option("--metrics-port", type=click.IntRange(1, 65535), help="Prometheus metrics port.")
@click.option("-q", "--quiet", is_flag=True, help="Do not echo MLServer's log on stderr.")
def serve(
    project_dir: Path,
    version: str | None,
    stage: str | None,
    host: str,
    port: int | None,
    grpc_port: int | None,
    metrics_port: int | None,
    quiet: bool,
) -> None:
    """Serve the production model version (or another) locally with MLServer.

    Prints the endpoint and a sample request; Ctrl-C stops the server (exit 0).
    """
    from mlruntime.serving.serve import ServeOptions, session

    if version is not None and stage is not None:
        raise UsageError("give --version or --stage, not both")
    options = ServeOptions(project_dir, version or stage, host, port, grpc_port, metrics_port)
    echo = None if quiet else (lambda line: click.echo(line, err=True))
    try:
        with (
            interrupt_once(
                lambda: click.echo("mlproject serve: still stopping MLServer...", err=True)
            ),
            session(options, echo, _announce) as running,
        ):
            _print_endpoints(running)
            code = None
            while code is None:
                try:
                    code = running.server.process.wait(1.0)
                except subprocess.TimeoutExpired:
                    continue
            tail = running.server.output_tail()
        raise ServingError(f"MLServer exited unexpectedly (code {code}):\n{tail}")
    except KeyboardInterrupt:
        click.echo("mlproject serve: stopped", err=True)


@click.command()
@PROJECT_DIR
@click.option("--url", default="http://127.0.0.1:8080", show_default=True, help="Server URL.")
@click.option("--model", default=None, help="Model name (default: the spec's registry name).")
@click.option(
    "--rate", type=float, default=None, help="Requests/s (default: the spec's; 0: closed loop)."
)
@click.option("--concurrency", type=click.IntRange(1, 1024), default=8, show_default=True)
@click.option("--duration", type=click.FloatRange(min=0.1), default=None, help="Seconds [10].")
@click.option("--requests", type=click.IntRange(min=1), default=None, help="Request count.")
@click.option(
    "--data",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="Rows to send (CSV/Parquet; default: the training source). PII columns are dropped.",
)
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Per request, s.")
@click.option(
    "--calibration-requests",
    type=click.IntRange(min=0),
    default=200,
    show_default=True,
    help="Requests against a trivial local server to measure the client (0: skip).",
)
@click.option(
    "--warmup-requests",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="Unmeasured requests to the endpoint before the run (0: none).",
)
@click.option("--p50-ms", type=float, default=None, help="Override the spec's p50 limit.")
@click.option("--p95-ms", type=float, default=None, help="Override the spec's p95 limit.")
@click.option("--p99-ms", type=float, default=None, help="Override the spec's p99 limit.")
@click.option("--max-error-rate", type=float, default=None, help="Override the error-rate SLO.")
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report for people (text) or machines (json).",
)
def loadtest(
    project_dir: Path,
    url: str,
    model: str | None,
    rate: float | None,
    concurrency: int,
    duration: float | None,
    requests: int | None,
    data: Path | None,
    timeout: float,
    calibration_requests: int,
    warmup_requests: int,
    p50_ms: float | None,
    p95_ms: float | None,
    p99_ms: float | None,
    max_error_rate: float | None,
    no_progress: bool,
    fmt: str,
) -> None:
    """Load-test a V2 endpoint with real rows; exit 1 if the spec's limits are missed.

    Limits: deployment.latency (p50/p95/p99) and monitoring.slos.error_rate.
    """
    from mlcli.progress import progress_bar
    from mlruntime.serving.loadtest import LoadOptions, run_loadtest
    from mlruntime.serving.report import Limits, render_text

    with progress_bar("loadtest", enabled=not no_progress) as on_progress:
        report = run_loadtest(
            LoadOptions(
                project_dir=project_dir,
                url=url,
                model=model,
                rate=rate,
                concurrency=concurrency,
                duration=duration,
                requests=requests,
                data=data,
                timeout=timeout,
                calibration_requests=calibration_requests,
                overrides=Limits(p50_ms, p95_ms, p99_ms, max_error_rate),
                progress=on_progress,
                warmup_requests=warmup_requests,
            )
        )
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), indent=2, sort_keys=True))
    else:
        click.echo(render_text(report), nl=False)
    if not report.passed:
        click.get_current_context().exit(ExitCode.INVALID)

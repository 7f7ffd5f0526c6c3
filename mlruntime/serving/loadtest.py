"""Serving runtime: ``mlproject loadtest``, the spec's latency limits as a measured gate.

Drives a V2 inference endpoint (``mlproject serve``, or any MLServer/KServe
endpoint reachable from here) with real rows of the reference data, PII
columns dropped, one row per request. The rate defaults to the spec's
``deployment.throughput_rps`` (open loop); without one the loop is closed.
Before the real run the same client, at the same rate and concurrency, runs
briefly against a trivial local server (:mod:`.calibration`): its latency is
this client's own overhead, reported beside the figures it inflates.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from mlruntime.serving.calibration import calibrate
from mlruntime.serving.errors import ServingError
from mlruntime.serving.loadgen import LoadPlan, run_load
from mlruntime.serving.progress import progress_bar
from mlruntime.serving.project import load_project
from mlruntime.serving.report import Limits, LoadReport, evaluate, spec_limits, summarise
from mlruntime.serving.samples import reference_rows

DEFAULT_DURATION = 10.0
MAX_BODIES = 2000  # distinct request bodies kept in memory; rows beyond are not sent


@dataclass(frozen=True)
class LoadOptions:
    project_dir: Path
    url: str
    model: str | None
    rate: float | None
    concurrency: int
    duration: float | None
    requests: int | None
    data: Path | None
    timeout: float
    calibration_requests: int
    overrides: Limits
    progress: bool = True


def _endpoint(url: str) -> tuple[str, int, str]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ServingError(f"--url {url} is not an http:// URL", "e.g. http://127.0.0.1:8080")
    return parts.hostname, parts.port or 80, parts.path.rstrip("/")


def _check_ready(host: str, port: int, prefix: str, model: str) -> None:
    connection = http.client.HTTPConnection(host, port, timeout=5)
    path = f"{prefix}/v2/models/{model}/ready"
    try:
        connection.request("GET", path)
        status = connection.getresponse().status
    except OSError as exc:
        raise ServingError(
            f"nothing answers at http://{host}:{port} ({exc.strerror or exc})",
            "start the server first: `mlproject serve`, or pass --url",
        ) from None
    finally:
        connection.close()
    if status != 200:
        raise ServingError(
            f"model '{model}' is not ready at http://{host}:{port}{path} (HTTP {status})",
            "check --model and that the server finished loading it",
        )


def _served_version(body: bytes | None) -> str | None:
    try:
        version = json.loads(body or b"{}").get("model_version")
    except (ValueError, AttributeError):
        return None
    return str(version) if version else None


def run_loadtest(options: LoadOptions) -> LoadReport:
    """Check the endpoint, calibrate the client, run the load, judge the limits."""
    if options.concurrency < 1:
        raise ServingError("--concurrency must be at least 1")
    if options.rate is not None and options.rate < 0:
        raise ServingError("--rate must be positive (0: closed loop)")
    project = load_project(options.project_dir)
    model = options.model or project.model_name
    host, port, prefix = _endpoint(options.url)
    rows = reference_rows(project, options.data)
    count = min(len(rows.values), MAX_BODIES)
    bodies = tuple(
        json.dumps(rows.request(i), separators=(",", ":")).encode() for i in range(count)
    )
    declared = project.ir.deployment.throughput_rps
    rate = options.rate if options.rate is not None else declared
    rate = rate or None  # 0: closed loop
    duration = options.duration
    if duration is None and options.requests is None:
        duration = DEFAULT_DURATION
    plan = LoadPlan(
        host=host,
        port=port,
        path=f"{prefix}/v2/models/{model}/infer",
        bodies=bodies,
        rate=rate,
        concurrency=options.concurrency,
        requests=options.requests,
        duration=duration,
        timeout=options.timeout,
    )
    _check_ready(host, port, prefix, model)
    overhead = None
    if options.calibration_requests > 0:
        overhead = summarise(calibrate(plan, options.calibration_requests))
    with progress_bar("loadtest", options.requests, duration, options.progress) as progress:
        result = run_load(plan, progress)
    summary = summarise(result)
    limits = spec_limits(project.ir, options.overrides)
    return LoadReport(
        url=f"http://{host}:{port}{plan.path}",
        model=model,
        served_version=_served_version(result.first_body),
        data=rows.origin,
        rows=count,
        mode=f"open loop at {rate:g} rps" if rate is not None else "closed loop",
        concurrency=options.concurrency,
        summary=summary,
        overhead=overhead,
        declared_throughput_rps=declared,
        checks=evaluate(summary, limits),
    )

"""Serving runtime: ``mlproject loadtest``, the spec's latency limits as a measured gate.

Drives a V2 inference endpoint (``mlproject serve``, or any MLServer/KServe
endpoint reachable from here) with real rows of the reference data, PII
columns dropped, one row per request. The rate defaults to the spec's
``deployment.throughput_rps`` (open loop); without one the loop is closed.
Before the real run the same client, at the same rate and concurrency, runs
briefly against a trivial local server (:mod:`.calibration`): its latency is
this client's own overhead, reported beside the figures it inflates. Then
the real endpoint is warmed up (closed loop, same bodies and concurrency,
``--warmup-requests``): a fresh MLServer worker pays for its first requests
(lazy imports, caches, connection set-up), and those costs are not its latency.
Warm-up answers are not measured; the report says how many succeeded.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mlcontract.safe_text import printable
from mlruntime.features import Features, TrainedFeature
from mlruntime.serving.calibration import calibrate
from mlruntime.serving.errors import ServingError
from mlruntime.serving.loadgen import LoadPlan, run_load
from mlruntime.serving.project import load_project
from mlruntime.serving.report import Limits, LoadReport, evaluate, spec_limits, summarise
from mlruntime.serving.samples import reference_rows

DEFAULT_DURATION = 10.0
MAX_BODIES = 2000  # distinct request bodies kept in memory; rows beyond are not sent
DEFAULT_WARMUP_REQUESTS = 50


@dataclass(frozen=True)
class LoadProgress:
    """How far the measured run is: reported every 0.1 s and once at the end.

    The run is bounded by a request count (``requests``) or else by seconds
    (``duration``); :attr:`done` and :attr:`total` count in that unit.
    """

    finished: int  # requests answered so far
    elapsed: float  # seconds since the measured run began
    requests: int | None
    duration: float | None

    @property
    def total(self) -> float:
        """The bound: requests, or else seconds."""
        return float(self.requests if self.requests is not None else self.duration or 1.0)

    @property
    def done(self) -> float:
        """Requests answered, or else seconds elapsed (at most the bound)."""
        return float(self.finished) if self.requests is not None else min(self.elapsed, self.total)

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


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
    progress: Callable[[LoadProgress], None] | None = None  # the CLI renders it
    warmup_requests: int = DEFAULT_WARMUP_REQUESTS


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
    except http.client.HTTPException as exc:  # e.g. BadStatusLine: not an HTTP server
        raise ServingError(
            f"what answers at http://{host}:{port} does not speak HTTP "
            f"({type(exc).__name__}: {printable(str(exc), 80)})",
            "check --url: it must point at the MLServer HTTP port",
        ) from None
    finally:
        connection.close()
    if status != 200:
        raise ServingError(
            f"model '{model}' is not ready at http://{host}:{port}{path} (HTTP {status})",
            "check --model and that the server finished loading it",
        )


def _served_features(host: str, port: int, prefix: str, model: str) -> Features | None:
    """The inputs the served model declares (its metadata), None when it declares none."""
    connection = http.client.HTTPConnection(host, port, timeout=5)
    try:
        connection.request("GET", f"{prefix}/v2/models/{model}")
        response = connection.getresponse()
        body = response.read() if response.status == 200 else b"{}"
        inputs = json.loads(body or b"{}").get("inputs") or []
        features = tuple(TrainedFeature.from_v2(str(i["name"]), str(i["datatype"])) for i in inputs)
    except (OSError, http.client.HTTPException, ValueError, AttributeError, KeyError, TypeError):
        return None
    finally:
        connection.close()
    return features or None


def _served_version(body: bytes | None) -> str | None:
    try:
        version = json.loads(body or b"{}").get("model_version")
    except (ValueError, AttributeError):
        return None
    return str(version) if version else None


def warm_up(plan: LoadPlan, requests: int) -> int:
    """Send ``requests`` unmeasured requests (closed loop); how many succeeded."""
    if requests <= 0:
        return 0
    warm = dataclasses.replace(plan, rate=None, requests=requests, duration=None)
    return len(run_load(warm).latencies)


def run_loadtest(options: LoadOptions) -> LoadReport:
    """Check the endpoint, calibrate the client, run the load, judge the limits."""
    if options.concurrency < 1:
        raise ServingError("--concurrency must be at least 1")
    if options.warmup_requests < 0:
        raise ServingError("--warmup-requests must be 0 or more")
    if options.rate is not None and options.rate < 0:
        raise ServingError("--rate must be positive (0: closed loop)")
    project = load_project(options.project_dir)
    model = options.model or project.model_name
    host, port, prefix = _endpoint(options.url)
    _check_ready(host, port, prefix, model)
    rows = reference_rows(project, options.data, _served_features(host, port, prefix, model))
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
    overhead = None
    if options.calibration_requests > 0:
        overhead = summarise(calibrate(plan, options.calibration_requests))
    warmed = warm_up(plan, options.warmup_requests)
    report = options.progress
    result = run_load(
        plan,
        None
        if report is None
        else lambda finished, elapsed: report(
            LoadProgress(finished, elapsed, options.requests, duration)
        ),
    )
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
        warmup_requests=warmed,
        summary=summary,
        overhead=overhead,
        declared_throughput_rps=declared,
        checks=evaluate(summary, limits),
    )

"""Serving runtime: what a load test measured, judged against the spec's limits.

Percentiles are linearly interpolated between order statistics (NumPy's
default), over successful requests; latencies are reported in milliseconds.
The limits are the spec's ``deployment.latency`` (p50/p95/p99) and
``monitoring.slos.error_rate``, each overridable from the command line; a run
passes when every limit holds, and says by how much each one was missed.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from mlcontract import ir
from mlruntime.serving.loadgen import LoadResult

QUANTILES = {"p50": 0.50, "p95": 0.95, "p99": 0.99}
FRACTION = "fraction"  # the unit of rates: 0.01 is 1%


def percentile(ordered: list[float], q: float) -> float | None:
    """The ``q`` quantile of sorted ``ordered`` (linear interpolation), None when empty."""
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000.0, 3)


@dataclass(frozen=True)
class Summary:
    """One run in numbers (latencies in milliseconds)."""

    requests: int
    succeeded: int
    errors: int
    error_rate: float
    error_kinds: dict[str, int]
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    mean_ms: float | None
    throughput_rps: float
    elapsed_s: float
    dispatch_lag_p99_ms: float | None  # the client's timer behind schedule
    connection_wait_p99_ms: float | None  # released requests waiting for a free connection


def summarise(result: LoadResult) -> Summary:
    ordered = sorted(result.latencies)
    errors = sum(result.errors.values())
    finished = result.finished
    return Summary(
        requests=finished,
        succeeded=len(ordered),
        errors=errors,
        error_rate=round(errors / finished, 6) if finished else 0.0,
        error_kinds=dict(sorted(result.errors.items())),
        p50_ms=_ms(percentile(ordered, QUANTILES["p50"])),
        p95_ms=_ms(percentile(ordered, QUANTILES["p95"])),
        p99_ms=_ms(percentile(ordered, QUANTILES["p99"])),
        max_ms=_ms(ordered[-1] if ordered else None),
        mean_ms=_ms(sum(ordered) / len(ordered) if ordered else None),
        throughput_rps=round(len(ordered) / result.elapsed, 3) if result.elapsed else 0.0,
        elapsed_s=round(result.elapsed, 3),
        dispatch_lag_p99_ms=_ms(percentile(sorted(result.dispatch_lags), 0.99)),
        connection_wait_p99_ms=_ms(percentile(sorted(result.connection_waits), 0.99)),
    )


@dataclass(frozen=True)
class Limits:
    """What the run must meet; None: no limit."""

    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    error_rate: float | None = None


def spec_limits(project: ir.Project, overrides: Limits) -> Limits:
    """The spec's latency limits and error-rate SLO, with command-line overrides."""
    latency = project.deployment.latency

    def pick(override: float | None, declared: float | None) -> float | None:
        return override if override is not None else declared

    return Limits(
        p50_ms=pick(overrides.p50_ms, latency.p50_ms if latency else None),
        p95_ms=pick(overrides.p95_ms, latency.p95_ms if latency else None),
        p99_ms=pick(overrides.p99_ms, latency.p99_ms if latency else None),
        error_rate=pick(overrides.error_rate, project.monitoring.slos.error_rate),
    )


@dataclass(frozen=True)
class Check:
    """One limit: what was required, what was observed, by how much it was missed."""

    name: str
    limit: float
    observed: float | None
    unit: str  # "ms" or "fraction"
    passed: bool
    missed_by: float | None  # observed - limit when missed; None when passed or unmeasured


def evaluate(summary: Summary, limits: Limits) -> list[Check]:
    checks = []
    for name in QUANTILES:
        limit = getattr(limits, f"{name}_ms")
        if limit is None:
            continue
        observed = getattr(summary, f"{name}_ms")
        passed = observed is not None and observed <= limit
        missed = None if passed or observed is None else round(observed - limit, 3)
        checks.append(Check(f"{name} latency", limit, observed, "ms", passed, missed))
    if limits.error_rate is not None:
        passed = summary.requests > 0 and summary.error_rate <= limits.error_rate
        missed = None if passed else round(summary.error_rate - limits.error_rate, 6)
        checks.append(
            Check("error rate", limits.error_rate, summary.error_rate, FRACTION, passed, missed)
        )
    return checks


@dataclass(frozen=True)
class LoadReport:
    """A whole load test: target, plan, results, client overhead and verdicts."""

    url: str
    model: str
    served_version: str | None
    data: str
    rows: int
    mode: str  # "open loop at N rps" / "closed loop"
    concurrency: int
    summary: Summary
    overhead: Summary | None
    declared_throughput_rps: float | None
    checks: list[Check]
    warmup_requests: int = 0  # answered before measuring, not counted

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def to_json(self) -> dict[str, Any]:
        payload = asdict(self)
        payload["passed"] = self.passed
        return payload


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit == FRACTION:
        return f"{value:.2%}"
    if unit == "ms":
        return f"{value:.2f} ms" if value >= 1 or value == 0 else f"{value:.3g} ms"
    return f"{value:.6g}"


def _latencies(summary: Summary) -> str:
    parts = [f"{name} {_fmt(getattr(summary, f'{name}_ms'), 'ms')}" for name in QUANTILES]
    return "  ".join([*parts, f"max {_fmt(summary.max_ms, 'ms')}"])


def render_text(report: LoadReport) -> str:
    s = report.summary
    version = f" {report.served_version}" if report.served_version else ""
    declared = report.declared_throughput_rps
    lines = [
        f"target      {report.url} (model {report.model}{version})",
        f"load        {report.mode}, concurrency {report.concurrency}, "
        f"{s.requests} requests in {s.elapsed_s:.2f} s"
        + (f" after {report.warmup_requests} warm-up answers" if report.warmup_requests else ""),
        f"data        {report.rows} row(s) of {report.data} (PII columns dropped)",
        f"latency     {_latencies(s)}",
        f"throughput  {s.throughput_rps:.1f} rps"
        + (f" (spec: {declared:g} rps)" if declared else ""),
        f"errors      {s.errors} of {s.requests} ({s.error_rate:.2%})"
        + (": " + ", ".join(f"{k} x{v}" for k, v in s.error_kinds.items()) if s.errors else ""),
    ]
    if (s.connection_wait_p99_ms or 0.0) > 1.0:
        lines.append(
            f"queueing    p99 {s.connection_wait_p99_ms:.2f} ms waiting for a free connection "
            "(included in latency; raise --concurrency to tell server from client)"
        )
    if (s.dispatch_lag_p99_ms or 0.0) > 5.0:
        lines.append(
            f"client lag  p99 {s.dispatch_lag_p99_ms:.2f} ms behind schedule: this client "
            "cannot keep the rate (not counted in latency)"
        )
    if report.overhead is not None:
        lines.append(
            f"client      {_latencies(report.overhead)} against a trivial local server "
            "(this client's own overhead, same run)"
        )
    if not report.checks:
        lines.append("limits      none (the spec declares no latency limit or SLO)")
        return "\n".join(lines) + "\n"
    rows = [("check", "limit", "observed", "result", "missed by")]
    for c in report.checks:
        result = "pass" if c.passed else "MISSED"
        rows.append((c.name, _fmt(c.limit, c.unit), _fmt(c.observed, c.unit), result, _missed(c)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    table = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    table.insert(1, "  ".join("-" * w for w in widths))
    verdict = "all limits met" if report.passed else "limits missed"
    return "\n".join([*lines, "", *(line.rstrip() for line in table), "", verdict]) + "\n"


def _missed(check: Check) -> str:
    if check.passed:
        return "-"
    if check.missed_by is None:
        return "no successful request"
    if check.unit == "ms":
        ratio = f" ({check.observed / check.limit:.1f}x)" if check.limit and check.observed else ""
        return f"+{check.missed_by:.2f} ms{ratio}"
    return f"+{check.missed_by:.2%}"

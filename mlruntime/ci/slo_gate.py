"""``mlproject slo-gate``: the spec's latency limits as a gate before promotion (runtime, CI).

Without ``--url`` the version is served on the runner (``mlproject serve`` on
127.0.0.1, free ports) and load-tested there; with ``--url`` the test runs
against an environment's endpoint. Either way ``loadtest`` warms the server up
first, then sends the spec's ``deployment.throughput_rps`` (open loop) and
judges p50/p95/p99 and the error rate. A server that could not keep up is
reported as saturated, with the rate it did sustain: its latencies are then
queueing, not service time. The result goes to the step summary and to
``reports/latency-gate.json`` (run output: listed in the ``.gitignore`` beside it
inside a git work tree, like the monitor's reports); the exit code is the verdict.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlruntime.ci.actions import CiError, set_outputs, summary
from mlruntime.steps.gitignore import ignore_in_git

REPORT = "reports/latency-gate.json"
SATURATED_BELOW = 0.9  # sustained under 90% of the declared rate: the server is saturated
DEFAULT_DURATION = 20.0


@dataclass(frozen=True)
class GateResult:
    passed: bool
    saturated: bool
    sustained_rps: float
    declared_rps: float | None
    report: dict[str, Any]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _judge(payload: dict[str, Any]) -> GateResult:
    stats = payload["summary"]
    raw = payload.get("declared_throughput_rps")
    declared = float(raw) if raw else None
    sustained = float(stats.get("throughput_rps") or 0.0)
    saturated = declared is not None and sustained < SATURATED_BELOW * declared
    passed = bool(payload.get("passed")) and not saturated
    return GateResult(passed, saturated, sustained, declared, payload)


def markdown(result: GateResult, where: str) -> str:
    stats = result.report["summary"]
    rows = [
        f"| {c['name']} | {c['limit']:g} {c['unit']} | "
        + (f"{c['observed']:.4g}" if c["observed"] is not None else "-")
        + f" | {'pass' if c['passed'] else '**FAIL**'} |"
        for c in result.report["checks"]
    ]
    rate = f"{result.sustained_rps:.1f} rps sustained"
    if result.declared_rps:
        rate += f" of {result.declared_rps:g} rps declared"
    verdict = "passed" if result.passed else "FAILED"
    lines = [
        f"### Latency gate ({where}): **{verdict}**",
        "",
        f"{stats['requests']} requests after {result.report.get('warmup_requests', 0)} warm-up; "
        f"{rate}.",
    ]
    if result.saturated:
        lines += [
            "",
            f"**Saturated**: the server sustained only {result.sustained_rps:.1f} rps of the "
            f"{result.declared_rps:g} rps the spec declares; the latencies below are queueing.",
        ]
    lines += ["", "| limit | required | observed | |", "|---|---|---|---|", *rows]
    return "\n".join(lines)


def run_gate(
    project_dir: Path,
    *,
    version: str | None,
    url: str | None,
    duration: float = DEFAULT_DURATION,
    concurrency: int = 8,
) -> GateResult:
    from mlruntime.serving.errors import ServingError
    from mlruntime.serving.loadtest import LoadOptions, run_loadtest
    from mlruntime.serving.report import Limits

    def load(target: str) -> dict[str, Any]:
        options = LoadOptions(
            project_dir=project_dir,
            url=target,
            model=None,
            rate=None,
            concurrency=concurrency,
            duration=duration,
            requests=None,
            data=None,
            timeout=10.0,
            calibration_requests=200,
            overrides=Limits(None, None, None, None),
        )
        report: dict[str, Any] = run_loadtest(options).to_json()
        return report

    try:
        if url is not None:
            payload, where = load(url), url
        else:
            from mlruntime.serving.serve import ServeOptions, session

            ports = (_free_port(), _free_port(), _free_port())
            options = ServeOptions(project_dir, version, "127.0.0.1", *ports)
            with session(options) as running:
                del running
                payload, where = load(f"http://127.0.0.1:{ports[0]}"), "served on the runner"
    except ServingError as exc:
        raise CiError(exc.message, exc.hint) from None
    result = _judge(payload)
    path = project_dir / REPORT
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        **payload,
        "saturated": result.saturated,
        "gate_passed": result.passed,
        "where": where,
    }
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    ignore_in_git(path.parent, [path.name])  # run output, like the monitor's reports
    summary(markdown(result, where))
    set_outputs(
        passed=result.passed, saturated=result.saturated, sustained_rps=result.sustained_rps
    )
    return result

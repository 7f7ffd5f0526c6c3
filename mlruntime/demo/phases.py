"""Demo phases 1-4: project, training, release of v1, serving and load test.

Each phase is one function over the shared :class:`~mlruntime.demo.state.Demo`;
it runs real commands through the runner and sets its one-line outcome.
"""

from __future__ import annotations

import json
from typing import Any

from mlcontract import pipeline_layout
from mlruntime.demo import workspace
from mlruntime.demo.runner import DemoError, Result
from mlruntime.demo.serving import ServedModel
from mlruntime.demo.state import Demo
from mlruntime.demo.traffic import ModelInput, load_generator, model_inputs


def served_inputs(demo: Demo) -> list[ModelInput]:
    """The served model's V2 inputs, from the generated ``model-settings.json``."""
    from mlcontract.serving_contract import MODEL_SETTINGS_FILE, model_dir

    return model_inputs(demo.workdir / model_dir(demo.compiled) / MODEL_SETTINGS_FILE)


def _compiled_files(result: Result) -> str:
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return lines[-1] if lines else "compiled"


def project(demo: Demo) -> None:
    """1. A git repository from the example, compiled, its data under DVC; committed."""
    with demo.timeline.phase("project", f"git repository from {demo.example}") as phase:
        workspace.copy_example(demo.example, demo.workdir)
        demo.make_window = load_generator(demo.example)
        demo.runner.git("git init", "init", "-q", record=True)
        workspace.exclude_demo_files(demo.workdir)
        added = workspace.with_git_identity(demo.workdir, demo.env)
        if added:
            who = workspace.IDENTITY
            demo.timeline.note(
                "git has no user.name/user.email here: committing as "
                f"{who['GIT_AUTHOR_NAME']} <{who['GIT_AUTHOR_EMAIL']}>"
            )
        compiled = demo.runner.mlproject(
            "mlproject compile", "compile", "mlproject.yaml", outcome=_compiled_files
        )
        for source in demo.compiled.sources:
            if source.path is not None:
                demo.runner.dvc(
                    f"dvc add {source.path}",
                    "add",
                    "-q",
                    source.path,
                    outcome=lambda r: "tracked by DVC: the .dvc file goes to git, the data not",
                )
        demo.runner.commit("git commit", f"Project {demo.compiled.name} from {demo.example}")
        phase.outcome = f"{_compiled_files(compiled)}; data tracked by DVC, not git"


def _gate(demo: Demo, step: str) -> dict[str, Any]:
    report = demo.read_json(pipeline_layout.GATE_REPORT, step)
    if not isinstance(report, dict) or report.get(pipeline_layout.GATE_PASSED) is not True:
        raise DemoError(step, f"{pipeline_layout.GATE_REPORT} does not say the gate passed")
    return report


def _metric(demo: Demo, step: str) -> tuple[str, float]:
    metrics = demo.read_json(pipeline_layout.METRICS_MODEL, step)
    primary = demo.compiled.primary_metric
    if not isinstance(metrics, dict) or not isinstance(metrics.get(primary), int | float):
        raise DemoError(step, f"{pipeline_layout.METRICS_MODEL} has no {primary}")
    return primary, float(metrics[primary])


def train_gate_check(demo: Demo, step: str) -> str:
    """The gate passed and compared the challenger with the champion: how it compared."""
    report = _gate(demo, step)
    checks = [c for c in report.get("checks", []) if c.get("check") == "beat_champion"]
    if not checks or checks[0].get("status") != "pass":
        why = checks[0].get("reason") or checks[0].get("status") if checks else "no such check"
        raise DemoError(step, f"the gate did not compare the challenger with the champion: {why}")
    check = checks[0]
    margin = float(check.get("margin") or 0.0)
    lower = check.get("comparison") == "<="
    champion = float(check["required"]) + (margin if lower else -margin)
    # The champion stage scored both models on the same rows when the split changed.
    scored = demo.read_json(pipeline_layout.CHAMPION_METRICS, step)
    key = f"{pipeline_layout.CHAMPION_CHALLENGER_PREFIX}{check['metric']}"
    same = isinstance(scored, dict) and key in scored
    rows = "both on the same test rows" if same else "the champion's recorded value"
    return (
        f"challenger {check['metric']} {float(check['value']):.4f} vs champion "
        f"{champion:.4f} ({rows}) + margin {margin:g}: passed by "
        f"{float(check['difference']):+.4f}"
    )


def train(demo: Demo) -> None:
    """2. ``dvc repro``: validate the data, split, train, baseline, evaluate, gate."""
    with demo.timeline.phase("train", "dvc repro (validate, train, evaluate, gate)") as phase:
        demo.runner.dvc("dvc repro", "repro", outcome=lambda r: "pipeline ran, gate passed")
        _gate(demo, "dvc repro")
        name, value = _metric(demo, "dvc repro")
        demo.runner.commit("git commit", "Train the first model (dvc repro)")
        phase.outcome = f"{name} {value:.4f} on the test split; all gates passed"


def register(demo: Demo, key: str) -> None:
    """Register HEAD as the next major version (v1.0.0, v2.0.0)."""
    result = demo.runner.mlproject(
        f"mlproject register ({key})",
        "register",
        "--bump",
        "major",
        "--format",
        "json",
        outcome=lambda r: "registered " + str(json.loads(r.stdout).get("tag")),
    )
    try:
        payload = json.loads(result.stdout)
        demo.versions[key], demo.tags[key] = str(payload["version"]), str(payload["tag"])
    except (ValueError, KeyError, TypeError) as exc:
        raise DemoError(
            "register", "`mlproject register --format json`: unexpected output", str(exc)
        ) from exc
    # register wrote the evaluated part of the model card: commit it, as a team would
    demo.runner.commit("git commit", f"Evaluated model card for {demo.tags[key]}")


def release(demo: Demo) -> None:
    """3. Register v1; promote it through every environment (staging, production)."""
    order = " -> ".join(e.name for e in demo.compiled.deployment.environments)
    with demo.timeline.phase("release", f"register v1, promote {order}") as phase:
        register(demo, "v1")
        demo.promote_in_order("v1")
        phase.outcome = f"{demo.tags['v1']} in {order.split(' -> ')[-1]}"


def _measured(report: dict[str, Any]) -> str:
    """Percentiles and sustained rate against the spec's limits, in one line."""
    summary = report["summary"]
    limits = {c["name"].split()[0]: c["limit"] for c in report["checks"] if c["unit"] == "ms"}

    def against(name: str) -> str:
        value = f"{name} {summary[f'{name}_ms']:.1f} ms" if summary[f"{name}_ms"] else f"{name} -"
        return value + (f" (limit {limits[name]:g})" if name in limits else "")

    declared = report.get("declared_throughput_rps")
    rate = f"sustained {summary['throughput_rps']:.1f} rps" + (
        f" (spec {declared:g})" if declared else ""
    )
    return (
        ", ".join(against(name) for name in ("p50", "p95", "p99"))
        + f"; {rate}; {summary['errors']} errors in {summary['requests']} requests"
        + f" (after {report.get('warmup_requests', 0)} warm-up requests)"
    )


def _loadtest_outcome(result: Result) -> str:
    report = json.loads(result.stdout)
    verdict = "passed" if report.get("passed") else "MISSED"
    return f"{verdict}: {_measured(report)}"


def _missed_checks(result: Result) -> list[str]:
    """The checks the load test missed, one line each."""
    report = json.loads(result.stdout)
    return [
        f"{c['name']}: observed {c['observed']}, limit {c['limit']}, missed by {c['missed_by']}"
        for c in report["checks"]
        if not c["passed"]
    ]


def _loadtest_failure(result: Result) -> DemoError:
    """The checks the load test missed, one per line (the whole report is in the log)."""
    try:
        lines = [*_missed_checks(result), _loadtest_outcome(result)]
    except (ValueError, KeyError, TypeError):
        lines = [result.output]
    return DemoError(
        "mlproject loadtest",
        "the served model misses the spec's latency limits or error-rate SLO "
        "(deployment.latency, monitoring.slos)",
        "\n".join([*lines, result.stderr.strip()]).strip(),
    )


def _machine_only_misses(result: Result) -> bool:
    """True when every miss is this machine's speed: latency limits, or an error rate made
    only of timeouts. HTTP errors or refused connections are the model's or server's fault."""
    try:
        report = json.loads(result.stdout)
        summary = report["summary"]
        timeouts_only = set(summary["error_kinds"]) <= {"timeout"}
        missed = [c for c in report["checks"] if not c["passed"]]
        return bool(summary["succeeded"]) and all(
            c["unit"] == "ms" or timeouts_only for c in missed
        )
    except (ValueError, KeyError, TypeError):
        return False


def serve(demo: Demo) -> None:
    """4. Serve production (v1) with MLServer on 127.0.0.1; load-test the latency limit."""
    with demo.timeline.phase("serve", "MLServer on 127.0.0.1, load test") as phase:
        server = ServedModel("v1", demo.workdir, demo.env, demo.out / "logs" / "serve-v1.log")
        demo.stack.callback(server.stop)
        demo.servers["v1"] = server
        seconds = server.start("--stage", demo.compiled.deployment.environments[-1].name)
        demo.serving(server, demo.versions["v1"], seconds, "mlproject serve --stage production")
        # loadtest warms the fresh server up (closed loop, unmeasured) before it measures
        result = demo.runner.mlproject(
            "mlproject loadtest",
            "loadtest",
            "--url",
            f"http://127.0.0.1:{server.port}",
            "--requests",
            str(demo.plan.loadtest_requests),
            "--calibration-requests",
            str(demo.plan.calibration_requests),
            "--no-progress",
            "--format",
            "json",
            ok=(0, 1),
            outcome=_loadtest_outcome,
        )
        if result.returncode != 0 and (demo.strict or not _machine_only_misses(result)):
            raise _loadtest_failure(result)
        if result.returncode != 0:
            for line in _missed_checks(result):
                demo.timeline.note(f"this machine misses a limit: {line}")
            demo.timeline.note(
                "the latency gate failed here: this machine is too busy or too slow for the "
                "spec's limits (timeouts are latency too); the demo goes on "
                "(`mlproject demo --strict` stops on a miss)"
            )
        phase.outcome = (
            f"{demo.versions['v1']} on 127.0.0.1:{server.port}; {_loadtest_outcome(result)}"
        )

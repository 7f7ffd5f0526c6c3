"""Demo phases 5-9: traffic, monitoring, retraining, A/B test, promotion of v2; and
:func:`run`, every phase in order (1-4 are in :mod:`.phases`).

Traffic is a stream of daily windows whose distribution shifts more each day;
the monitor runs on each window, in order, until drift shows, and drift must
show on the plan's expected window and on no earlier one. The labels of those
windows then "arrive", are appended to the training data, and the pipeline
retrains; the gate compares the challenger with the champion in production.
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from mlcontract import monitoring_contract as contract
from mlcontract import pipeline_layout
from mlruntime.demo import phases
from mlruntime.demo.experiment import AB_LOG_COLUMNS, run_ab
from mlruntime.demo.phases import register, served_inputs, train_gate_check
from mlruntime.demo.runner import DemoError, Result
from mlruntime.demo.serving import ServedModel
from mlruntime.demo.state import Demo, iso
from mlruntime.demo.traffic import (
    PREDICTION_LOG_COLUMNS,
    SCORE,
    PredictionLog,
    V2Client,
    replay_window,
)
from mlruntime.demo.windows import append_labelled, closest_test, monitor_input
from mlruntime.steps.decide import attempt_tag


def traffic(demo: Demo) -> None:
    """5. Replay daily windows of production traffic against v1; log every prediction."""
    plan, model = demo.plan, demo.compiled.registry.model_name
    assert demo.make_window is not None
    with demo.timeline.phase("traffic", f"{len(plan.shifts)} daily windows of traffic") as phase:
        inputs = served_inputs(demo)
        log = PredictionLog(demo.out / "predictions.csv", PREDICTION_LOG_COLUMNS)
        client = V2Client(demo.servers["v1"].port, model, "traffic")
        try:
            for number, shift in enumerate(plan.shifts, start=1):
                day = demo.day(number)
                with demo.timeline.timed(f"window {number}: send {plan.window_rows} rows") as step:
                    frame = demo.make_window(
                        plan.window_rows,
                        seed=plan.seed + number,
                        shift=shift,
                        start=day.strftime("%Y-%m-%d"),
                        days=1,
                        first_id=1_000_000 * number,
                    )
                    sent = replay_window(
                        client,
                        frame,
                        inputs,
                        window=number,
                        batch_rows=plan.batch_rows,
                        timestamp=iso(day + timedelta(hours=12)),
                        model_name=model,
                        log=log,
                    )
                    if sent.versions != (demo.versions["v1"],):
                        raise DemoError(
                            "traffic",
                            f"window {number} was answered by {', '.join(sent.versions)}, "
                            f"not by the production version {demo.versions['v1']}",
                        )
                    path = demo.out / "windows" / f"window-{number}.csv"
                    monitor_input(demo.compiled, frame, sent.scores, path)
                    demo.windows.append(frame)
                    demo.window_files.append(path)
                    mean = sum(sent.scores) / len(sent.scores)
                    step.outcome = (
                        f"{day:%Y-%m-%d}, shift {shift:g}: {sent.requests} requests, "
                        f"{len(sent.scores)} predictions by {model} {sent.versions[0]}, "
                        f"mean score {mean:.3f}"
                    )
                demo.timeline.note(f"window {number}: {step.outcome}")
        finally:
            client.close()
        phase.outcome = (
            f"{log.rows} predictions logged with their model version -> "
            f"{log.path.relative_to(demo.workdir)}"
        )


def _monitor_outcome(result: Result) -> str:
    lines = [line for line in result.stdout.splitlines() if line.startswith("monitor:")]
    text = lines[0].removeprefix("monitor: ") if lines else f"exit {result.returncode}"
    return text.split("; reports in")[0]


def _monitor_window(demo: Demo, number: int, path: Path) -> Result:
    """``step monitor`` on one window, its reports in ``demo/windows/<number>``."""
    return demo.runner.mlproject(
        f"monitor window {number}",
        "step",
        "monitor",
        "--current",
        str(path.relative_to(demo.workdir)),
        "--predictions-col",
        SCORE,
        "--now",
        iso(demo.day(number + 1)),
        "--out-dir",
        str(_window_reports(demo, number).relative_to(demo.workdir)),
        ok=(contract.EXIT_HEALTHY, contract.EXIT_BREACH),
        outcome=_monitor_outcome,
        concurrent=True,
    )


def _window_reports(demo: Demo, number: int) -> Path:
    return demo.out / "windows" / str(number)


def monitor(demo: Demo) -> None:
    """6. Monitor each window against the training data until drift is detected.

    The windows' monitor runs are independent (each its own process and report
    directory), so they run side by side; their verdicts are then read in
    order, and the first breach ends the phase as if the runs had been daily.
    """
    expected = demo.plan.expected_drift_window
    windows: list[dict[str, Any]] = []
    demo.timeline.facts["drift"] = {"expected_window": expected, "windows": windows}
    with demo.timeline.phase("monitor", "each window vs the training reference") as phase:
        files = list(enumerate(demo.window_files, start=1))
        with ThreadPoolExecutor(max_workers=max(len(files), 1)) as pool:
            runs = [pool.submit(_monitor_window, demo, n, path) for n, path in files]
        demo.timeline.reorder([f"monitor window {number}" for number, _ in files])
        for (number, _), run in zip(files, runs, strict=True):
            result = run.result()  # a failed run raises its DemoError here, in window order
            reports = _window_reports(demo, number)
            report = demo.read_json(
                str(reports / Path(contract.REPORT_JSON).name), f"monitor window {number}"
            )
            breaches = sorted(k for k, v in report["breaches"].items() if v)
            closest = closest_test(report)
            windows.append(
                {
                    "window": number,
                    "shift": demo.plan.shifts[number - 1],
                    "status": report["status"],
                    "exit_code": result.returncode,
                    "breaches": breaches,
                    "drifted": report["drift"]["drifted"],
                    "closest": closest,
                }
            )
            demo.timeline.note(
                f"window {number} (shift {demo.plan.shifts[number - 1]:g}): "
                f"{_monitor_outcome(result)}; {closest}"
            )
            if result.returncode == contract.EXIT_HEALTHY and report["status"] == "healthy":
                continue
            if number < expected:
                raise DemoError(
                    f"monitor window {number}",
                    f"breach ({', '.join(breaches)}) on window {number}, before the expected "
                    f"window {expected}: the early windows must be healthy",
                    result.output,
                )
            if breaches != ["drift"]:
                raise DemoError(
                    f"monitor window {number}",
                    f"expected a drift breach on window {number}, got {breaches or 'none'}",
                    result.output,
                )
            demo.detected = number
            demo.timeline.facts["drift"]["first_breach_window"] = number
            # the breaching window's reports are the project's current ones (decide reads them)
            shutil.copytree(
                reports, demo.workdir / Path(contract.REPORT_JSON).parent, dirs_exist_ok=True
            )
            break
        if demo.detected is None:
            raise DemoError(
                "monitor",
                f"no drift detected in {len(demo.window_files)} windows: expected on window "
                f"{expected}",
            )
        phase.outcome = (
            f"healthy on windows 1-{demo.detected - 1}, drift on window {demo.detected}: "
            f"{', '.join(windows[-1]['drifted'])} -> {contract.REPORT_HTML}"
        )


def _decide_outcome(result: Result) -> str:
    payload = json.loads(result.stdout)
    return f"retrain {'yes' if payload['retrain'] else 'no'}: {payload['reason']}"


def retrain(demo: Demo) -> None:
    """7. decide -> retrain on the new labelled data; the gate checks the challenger."""
    assert demo.detected is not None
    with demo.timeline.phase("retrain", "decide, retrain, gate vs champion, v2") as phase:
        result = demo.runner.mlproject(
            "step decide",
            "step",
            "decide",
            "--monitor",
            contract.REPORT_JSON,
            "--now",
            iso(demo.day(demo.detected + 1)),
            "--format",
            "json",
            outcome=_decide_outcome,
        )
        decision = json.loads(result.stdout)
        demo.timeline.note(f"decide: {_decide_outcome(result)}")
        if decision.get("retrain") is not True or "drift" not in decision.get("triggers", []):
            raise DemoError("step decide", "expected a retrain triggered by drift", result.output)
        # As the generated retrain workflow does: an attempt marker, so that a retrain
        # whose challenger fails the gate still counts for cooldown and max retrains.
        model = demo.compiled.registry.model_name
        attempt = attempt_tag(model, "demo-1")
        # annotated, so that it is dated now (a lightweight tag carries its commit's date)
        demo.runner.run(
            "git tag (retrain attempt)",
            ["git", "tag", "--annotate", "--message", "retrain attempt demo-1", attempt],
            outcome=lambda r: attempt,
        )
        source = demo.compiled.training_source
        assert source.path is not None
        with demo.timeline.timed("labels arrive: append windows to the data") as step:
            rows = append_labelled(demo.workdir / source.path, demo.windows[: demo.detected])
            step.outcome = f"{rows} labelled rows from windows 1-{demo.detected} -> {source.path}"
        demo.timeline.note(step.outcome)
        demo.runner.dvc(
            f"dvc add {source.path}",
            "add",
            "-q",
            source.path,
            outcome=lambda r: "the new data version tracked by DVC",
        )
        demo.runner.dvc("dvc repro", "repro", outcome=lambda r: "pipeline ran, gate passed")
        versus = train_gate_check(demo, "dvc repro")
        demo.timeline.note(f"gate: {versus}")
        demo.runner.commit(
            "git commit",
            f"Retrain on production windows 1-{demo.detected} (drift on window {demo.detected})",
        )
        register(demo, "v2")
        phase.outcome = f"{demo.tags['v2']} registered; {versus}"


def abtest(demo: Demo) -> None:
    """8. Serve v2 beside v1, split live traffic, simulate outcomes; abtest decides."""
    config = demo.compiled.ab_test
    assert demo.make_window is not None
    assert demo.detected is not None
    if config is None:
        raise DemoError("abtest", "the spec has no experiments.ab_test")
    plan, model = demo.plan, demo.compiled.registry.model_name
    with demo.timeline.phase("abtest", f"champion v1 vs challenger v2 ({config.metric})") as phase:
        server = ServedModel("v2", demo.workdir, demo.env, demo.out / "logs" / "serve-v2.log")
        demo.stack.callback(server.stop)
        demo.servers["v2"] = server
        seconds = server.start("--version", demo.versions["v2"])
        step_name = f"mlproject serve --version {demo.versions['v2']}"
        demo.serving(server, demo.versions["v2"], seconds, step_name)
        first_day = demo.day(demo.detected + 2)
        log = PredictionLog(demo.out / "abtest.csv", AB_LOG_COLUMNS)
        clients = {
            "champion": V2Client(demo.servers["v1"].port, model, "abtest"),
            "challenger": V2Client(server.port, model, "abtest"),
        }
        try:
            with demo.timeline.timed(f"A/B traffic: {plan.ab_rows} rows") as step:
                frame = demo.make_window(
                    plan.ab_rows,
                    seed=plan.seed + 100,
                    shift=plan.ab_shift,
                    start=first_day.strftime("%Y-%m-%d"),
                    days=plan.ab_days,
                    first_id=50_000_000,
                )
                arms = run_ab(
                    clients,
                    frame,
                    served_inputs(demo),
                    plan=plan,
                    share=config.challenger_share,
                    model_name=model,
                    log=log,
                )
                step.outcome = "; ".join(
                    f"{a.variant} {'/'.join(a.versions)}: {a.rows} rows, "
                    f"{a.conversions / max(a.rows, 1):.1%} {config.metric}"
                    for a in arms.values()
                )
        finally:
            for client in clients.values():
                client.close()
        demo.timeline.note(f"A/B traffic: {step.outcome}")
        wanted = {"champion": demo.versions["v1"], "challenger": demo.versions["v2"]}
        for arm, version in wanted.items():
            if arms[arm].versions != (version,):
                raise DemoError(
                    "abtest", f"the {arm} arm was answered by {arms[arm].versions}, not {version}"
                )
        end = first_day + timedelta(days=plan.ab_days)
        result = demo.runner.mlproject(
            "step abtest",
            "step",
            "abtest",
            "--log",
            str(log.path.relative_to(demo.workdir)),
            "--now",
            iso(end),
            "--format",
            "json",
            outcome=lambda r: str(json.loads(r.stdout)["reason"]),
        )
        verdict = json.loads(result.stdout)
        demo.timeline.facts["abtest"] = {
            "decision": verdict["decision"],
            "reason": verdict["reason"],
            "arms": {arm: a.__dict__ for arm, a in arms.items()},
        }
        demo.timeline.note(f"abtest: {verdict['decision']}: {verdict['reason']}")
        if verdict["decision"] != "promote_challenger":
            raise DemoError("step abtest", "expected promote_challenger for v2", result.output)
        for server_running in demo.servers.values():
            server_running.stop_soon()  # both at once, while the demo promotes v2
        phase.outcome = f"{verdict['decision']} ({verdict['reason']})"


def promote(demo: Demo) -> str:
    """9. Promote v2 through every environment; lineage of production. Returns its text."""
    with demo.timeline.phase("promote", "v2 to staging, then production") as phase:
        demo.promote_in_order("v2")
        result = demo.runner.mlproject(
            "mlproject lineage production",
            "lineage",
            "production",
            "--format",
            "json",
            outcome=lambda r: "production: " + str(json.loads(r.stdout)["model"]["tag"]),
        )
        tag = json.loads(result.stdout)["model"]["tag"]
        if tag != demo.tags["v2"]:
            raise DemoError("lineage", f"production holds {tag}, not {demo.tags['v2']}")
        text = demo.runner.mlproject(
            "mlproject lineage production (text)",
            "lineage",
            "production",
            outcome=lambda r: "printed below",
        ).stdout
        demo.timeline.facts["versions"] = dict(demo.tags)
        demo.timeline.facts["production"] = tag
        phase.outcome = f"{tag} in production"
    return text


def where(demo: Demo) -> dict[str, str]:
    """What the run leaves for inspection, by name."""
    paths = {
        "working directory": demo.workdir,
        "drift report (HTML)": demo.workdir / contract.REPORT_HTML,
        "model card": demo.workdir / "MODEL_CARD.md",
        "prediction log": demo.out / "predictions.csv",
        "A/B log": demo.out / "abtest.csv",
        "per-window monitor reports": demo.out / "windows",
        "command logs": demo.out / "logs",
        "timeline (JSON)": demo.out / "timeline.json",
        "metrics": demo.workdir / pipeline_layout.METRICS_MODEL,
    }
    return {name: str(path) for name, path in paths.items()}


PHASES = (
    phases.project,
    phases.train,
    phases.release,
    phases.serve,
    traffic,
    monitor,
    retrain,
    abtest,
)
PHASE_COUNT = len(PHASES) + 1  # and the promotion of v2


def run(demo: Demo) -> str:
    """The whole lifecycle, phase after phase; the lineage of production at the end."""
    for phase in PHASES:
        phase(demo)
    return promote(demo)

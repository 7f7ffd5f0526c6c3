"""Runtime step ``gate``: may this model be registered?

Three kinds of check, each direction-aware: absolute thresholds on the model's
metrics, beating the baseline by a margin, and beating the champion (the model
in production) by a margin when champion metrics are available; with no
champion that check is reported as skipped. The report says, per check, the
value, what was required and by how much it passed or failed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from mlcontract import pipeline_layout as layout
from mlruntime.steps.config import ComparisonRule, StepContext
from mlruntime.steps.errors import StepError
from mlruntime.steps.outputs import StagedOutputs, rounded
from mlruntime.tracking.client import mirrored

log = logging.getLogger(__name__)

TOLERANCE = 1e-9  # metrics are rounded to 6 decimals; equal means equal
Status = Literal["pass", "fail", "skipped"]


@dataclass(frozen=True)
class GateCheck:
    """One gate check; ``difference`` is how far past (+) or short (-) of ``required``."""

    check: str
    metric: str
    value: float | None
    required: float | None
    comparison: str
    margin: float | None
    difference: float | None
    status: Status
    reason: str = ""

    def as_json(self) -> dict[str, object]:
        return {
            "check": self.check,
            "metric": self.metric,
            "value": rounded(self.value),
            "required": rounded(self.required),
            "comparison": self.comparison,
            "margin": rounded(self.margin),
            "difference": rounded(self.difference),
            "status": self.status,
            "reason": self.reason,
        }


@dataclass
class GateResult:
    checks: list[GateCheck] = field(default_factory=list)

    @property
    def failures(self) -> list[GateCheck]:
        return [c for c in self.checks if c.status == "fail"]

    @property
    def passed(self) -> bool:
        return not self.failures

    def as_json(self) -> dict[str, object]:
        return {
            layout.GATE_PASSED: self.passed,
            "failures": len(self.failures),
            "checks": [c.as_json() for c in self.checks],
        }


def read_metrics(path: Path, shown: str) -> dict[str, float | None]:
    """A flat ``{metric: value}`` file; a StepError if it is missing or malformed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StepError(f"{shown} not found: run `mlproject step evaluate` first") from None
    except (OSError, ValueError) as exc:
        raise StepError(f"cannot read {shown}: {exc}") from None
    if not isinstance(data, dict):
        raise StepError(f"{shown}: expected a JSON object of metric: value")
    values: dict[str, float | None] = {}
    for name, value in data.items():
        if isinstance(value, bool) or not isinstance(value, int | float | None):
            raise StepError(f"{shown}: metric '{name}' is not a number: {value!r}")
        values[str(name)] = None if value is None else float(value)
    return values


def run(ctx: StepContext, champion_metrics: Path | None = None) -> GateResult:
    rules = ctx.gates
    with StagedOutputs(ctx.root, [layout.GATE_REPORT, layout.GATE_METRICS]) as out:
        model = read_metrics(ctx.path(layout.METRICS_MODEL), layout.METRICS_MODEL)
        result = GateResult()
        for rule in rules.thresholds:
            for bound, comparison in ((rule.minimum, ">="), (rule.maximum, "<=")):
                if bound is None:
                    continue
                check = _bound("threshold", rule.metric, model.get(rule.metric), bound, comparison)
                result.checks.append(check if rule.metric in model else _not_computed(check))
        if rules.beat_baseline is not None:
            baseline = read_metrics(ctx.path(layout.METRICS_BASELINE), layout.METRICS_BASELINE)
            result.checks.append(_compare("beat_baseline", rules.beat_baseline, model, baseline))
        if rules.beat_champion is not None:
            result.checks.append(_champion(ctx, rules.beat_champion, model, champion_metrics))
        report = result.as_json()
        if mirrored(ctx.project) is not None:
            report["mlflow"] = _mirror(ctx, report, result.passed)
        out.write_json(layout.GATE_REPORT, report)
        verdict = {layout.GATE_PASSED: result.passed, "failures": len(result.failures)}
        out.write_json(layout.GATE_METRICS, verdict)
    log.info("gate: %d checks, %d failed", len(result.checks), len(result.failures))
    return result


def _bound(
    check: str, metric: str, value: float | None, required: float, comparison: str
) -> GateCheck:
    if value is None:
        return GateCheck(
            check, metric, None, required, comparison, None, None, "fail", "undefined on test set"
        )
    difference = value - required if comparison == ">=" else required - value
    status: Status = "pass" if difference >= -TOLERANCE else "fail"
    return GateCheck(check, metric, value, required, comparison, None, difference, status)


def _not_computed(check: GateCheck) -> GateCheck:
    return GateCheck(
        check.check,
        check.metric,
        None,
        check.required,
        check.comparison,
        check.margin,
        None,
        "fail",
        "not computed by evaluate: add it to evaluation.metrics",
    )


def _compare(
    check: str,
    rule: ComparisonRule,
    model: dict[str, float | None],
    other: dict[str, float | None],
    who: str = "baseline",
) -> GateCheck:
    reference = other.get(rule.metric)
    higher = rule.direction == "higher"
    comparison = ">=" if higher else "<="
    if reference is None:
        return GateCheck(
            check,
            rule.metric,
            model.get(rule.metric),
            None,
            comparison,
            rule.margin,
            None,
            "fail",
            f"the {who} has no value for {rule.metric}",
        )
    required = reference + rule.margin if higher else reference - rule.margin
    result = _bound(check, rule.metric, model.get(rule.metric), required, comparison)
    reason = f"{who} {rounded(reference)}"
    if rule.metric not in model:
        return _not_computed(result)
    return GateCheck(
        result.check,
        result.metric,
        result.value,
        result.required,
        comparison,
        rule.margin,
        result.difference,
        result.status,
        reason if result.value is not None else result.reason,
    )


def _champion(
    ctx: StepContext,
    rule: ComparisonRule,
    model: dict[str, float | None],
    champion_metrics: Path | None,
) -> GateCheck:
    comparison = ">=" if rule.direction == "higher" else "<="

    def skipped(reason: str) -> GateCheck:
        value = model.get(rule.metric)
        return GateCheck(
            "beat_champion",
            rule.metric,
            value,
            None,
            comparison,
            rule.margin,
            None,
            "skipped",
            reason,
        )

    if champion_metrics is None:
        return skipped("skipped: no champion")
    path = champion_metrics if champion_metrics.is_absolute() else ctx.root / champion_metrics
    if not path.is_file():
        return skipped(f"skipped: no champion ({champion_metrics} does not exist)")
    champion = read_metrics(path, str(champion_metrics))
    if not champion:  # `mlproject champion` writes {} when no version is in production yet
        return skipped("skipped: no champion")
    if champion.get(rule.metric) is None:
        return skipped(f"skipped: the champion has no value for {rule.metric}")
    same_rows = f"{layout.CHAMPION_CHALLENGER_PREFIX}{rule.metric}"
    if same_rows not in champion:
        return _compare("beat_champion", rule, model, champion, who="champion")
    # The test split changed since the champion's commit: `mlproject champion` scored both
    # models on the same current test rows, and that pair is compared (like for like).
    challenger = {rule.metric: champion[same_rows]}
    check = _compare("beat_champion", rule, challenger, champion, who="champion")
    return replace(check, reason=f"{check.reason} (both on the test rows it did not train on)")


def _mirror(ctx: StepContext, report: dict[str, Any], passed: bool) -> dict[str, str]:
    """Log the verdict and data hashes to this model's MLflow run and end it."""
    from mlruntime.tracking.client import connect
    from mlruntime.tracking.run import log_gate, read_run_file

    config = mirrored(ctx.project)
    assert config is not None
    conn = connect(config)
    run = read_run_file(ctx.root)
    log_gate(conn, ctx.root, report, passed, _locked_data(ctx))
    log.info("logged the gate verdict to MLflow run %s", run["run_id"])
    return {"run_id": run["run_id"], "experiment_id": run.get("experiment_id", "")}


def _locked_data(ctx: StepContext) -> dict[str, str]:
    """The data hashes DVC recorded in dvc.lock for the stages that ran before the gate."""
    import yaml

    from mlcontract import ir_codec
    from mlruntime.lineage.lineage import LOCK_FILE, data_hashes

    path = ctx.path(LOCK_FILE)
    try:
        lock = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, yaml.YAMLError):
        lock = None
    if not isinstance(lock, dict):
        return {}
    found: dict[str, str] = {}
    for item in data_hashes(ir_codec.dump(ctx.project), lock):
        found[f"{item.source}.path"] = item.path
        if item.md5:
            found[f"{item.source}.md5"] = item.md5
    return found

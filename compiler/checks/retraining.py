"""Check stage: retraining policy (MLP211, MLP212, MLP228).

Each trigger has the signal that fires it, the cooldown means something at the
pace monitoring runs, and automatic promotion never bypasses an environment
that requires a person's approval.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.checks.examples import spec
from compiler.checks.rule import CheckContext, Rule
from compiler.checks.schedules import shortest_interval
from compiler.diagnostics import Diagnostic
from compiler.spec.constraints import duration_seconds

_UNITS = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
# Triggers that fire from a monitoring run: their pace is the monitoring schedule.
_MONITORED = frozenset({"drift", "performance"})


def human_duration(seconds: int) -> str:
    """A duration in the spec's own notation: the largest unit that divides it (``90m``)."""
    for unit, size in _UNITS:
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"  # pragma: no cover - the last unit always divides


def _missing_signal(ctx: CheckContext, trigger: str) -> tuple[str, str] | None:
    """Why ``trigger`` can never fire and how to fix it, or None when it can."""
    spec_ = ctx.spec
    if trigger == "drift" and spec_.monitoring.drift is None:
        return "monitoring.drift is null", "configure monitoring.drift"
    if trigger == "performance" and spec_.monitoring.performance is None:
        return (
            "there is no monitoring.performance",
            "add monitoring.performance: {metric: ..., minimum: ...}",
        )
    if trigger == "schedule" and spec_.retraining.schedule is None:
        return "there is no retraining.schedule", "add retraining.schedule (a cron expression)"
    if trigger == "new_data" and all(s.freshness is None for s in spec_.data.sources):
        return (
            "no data source states its freshness",
            "set freshness: (e.g. 1d) on the source that receives new data",
        )
    return None


def _trigger_signal(ctx: CheckContext) -> Iterator[Diagnostic]:
    for i, trigger in enumerate(ctx.spec.retraining.triggers):
        missing = _missing_signal(ctx, trigger)
        if missing is not None:
            reason, fix = missing
            yield ctx.error(
                "MLP211",
                ("retraining", "triggers", i),
                f"trigger '{trigger}' can never fire: {reason}",
                f"{fix}, or remove the trigger",
            )


def _cooldown(ctx: CheckContext) -> Iterator[Diagnostic]:
    retraining = ctx.spec.retraining
    if not _MONITORED.intersection(retraining.triggers):
        return
    schedule = ctx.spec.monitoring.schedule
    interval = shortest_interval(schedule)
    if interval is None:
        return  # an invalid schedule is MLP210
    cooldown = duration_seconds(retraining.cooldown)
    if cooldown < interval:
        pointer = ("retraining", "cooldown")
        default = "" if ctx.written(pointer) else " (the default)"
        yield ctx.error(
            "MLP212",
            pointer,
            f"{retraining.cooldown}{default} is shorter than the {human_duration(interval)} "
            f"between monitoring runs ('{schedule}'), so it never holds a retrain back",
            f"set cooldown to at least {human_duration(interval)}",
        )


def _automatic_promotion(ctx: CheckContext) -> Iterator[Diagnostic]:
    approval = {e.name: e.approval for e in ctx.spec.deployment.environments}
    for name, policy in ctx.spec.retraining.promotion.items():
        if policy == "automatic" and approval.get(name, False):
            yield ctx.error(
                "MLP228",
                ("retraining", "promotion", name),
                f"automatic promotion into '{name}', which requires approval",
                "use 'approval' here, or remove approval: true from the environment",
            )


_MONITORING_DRIFT = """\
monitoring:
  schedule: "0 6 * * *"
"""

RULES = [
    Rule(
        "MLP211",
        "trigger-signal",
        "retraining trigger without its signal",
        "A trigger fires on a signal the spec must produce: `drift` needs `monitoring.drift`, "
        "`performance` needs `monitoring.performance`, `schedule` needs `retraining.schedule` "
        "and `new_data` needs a source with `freshness`.",
        spec("retraining:\n  triggers: [schedule]\n"),
        spec("retraining:\n  schedule: '0 4 * * 1'\n  triggers: [schedule]\n"),
        _trigger_signal,
    ),
    Rule(
        "MLP212",
        "cooldown-interval",
        "retraining cooldown shorter than the monitoring interval",
        "Drift and performance triggers fire from monitoring runs. A cooldown shorter than the "
        "shortest gap between two runs of `monitoring.schedule` never holds a retrain back; it "
        "is almost always a unit mistake.",
        spec(_MONITORING_DRIFT, "retraining:\n  triggers: [drift]\n  cooldown: 6h\n"),
        spec(_MONITORING_DRIFT, "retraining:\n  triggers: [drift]\n  cooldown: 3d\n"),
        _cooldown,
    ),
    Rule(
        "MLP228",
        "promotion-approval",
        "automatic promotion into an environment that requires approval",
        "An environment with `approval: true` is only deployed to after a person approves; "
        "`retraining.promotion` cannot make it automatic.",
        spec(
            "deployment:\n  environments:\n    - {name: staging}\n"
            "    - {name: production, approval: true}\n",
            "retraining:\n  promotion: {staging: automatic, production: automatic}\n",
        ),
        spec(
            "deployment:\n  environments:\n    - {name: staging}\n"
            "    - {name: production, approval: true}\n",
            "retraining:\n  promotion: {staging: automatic, production: approval}\n",
        ),
        _automatic_promotion,
    ),
]

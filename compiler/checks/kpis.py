"""Check stage: KPIs and model metrics (MLP201–MLP204).

Business KPIs must link to model metrics that are declared and computed;
exactly one metric is primary; every metric named anywhere exists and suits
the task; no threshold is impossible to meet.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.checks.examples import IRIS_COLUMNS, spec
from compiler.checks.rule import CheckContext, Rule
from compiler.diagnostics import Diagnostic, Pointer
from mlcontract.errors import did_you_mean
from mlcontract.metrics import METRICS, metrics_for


def _kpi_links(ctx: CheckContext) -> Iterator[Diagnostic]:
    kpis = ctx.spec.kpis
    declared = [metric.name for metric in kpis.metrics]
    for k, business in enumerate(kpis.business):
        for m, name in enumerate(business.metrics):
            if name not in declared:
                yield ctx.error(
                    "MLP201",
                    ("kpis", "business", k, "metrics", m),
                    f"business KPI '{business.name}' links metric '{name}', "
                    "which kpis.metrics does not declare",
                    did_you_mean(name, declared)
                    or f"declare '{name}' in kpis.metrics with its threshold",
                )
    computed = ctx.spec.evaluation.metrics
    if computed is None:
        return  # the default set includes every KPI metric
    for i, metric in enumerate(kpis.metrics):
        if metric.name not in computed:
            yield ctx.error(
                "MLP201",
                ("kpis", "metrics", i, "name"),
                f"metric '{metric.name}' is not computed: "
                + (
                    f"evaluation.metrics lists only {', '.join(computed)}"
                    if computed
                    else "evaluation.metrics is empty"
                ),
                f"add '{metric.name}' to evaluation.metrics, or leave evaluation.metrics out "
                "to compute the task's usual metrics plus the KPIs'",
            )


def _primary_metric(ctx: CheckContext) -> Iterator[Diagnostic]:
    metrics = ctx.spec.kpis.metrics
    primaries = [i for i, metric in enumerate(metrics) if metric.primary]
    if not primaries:
        yield ctx.error(
            "MLP202",
            ("kpis", "metrics"),
            "no metric is primary",
            f"mark the one champion and challenger are compared on: "
            f"{{name: {metrics[0].name}, primary: true}}",
            key=True,
        )
        return
    first = primaries[0]
    for i in primaries[1:]:
        yield ctx.error(
            "MLP202",
            ("kpis", "metrics", i, "primary"),
            f"'{metrics[i].name}' is a second primary metric; only one may be primary",
            f"'{metrics[first].name}' is already primary (line "
            f"{ctx.line_of(('kpis', 'metrics', first, 'primary'))}); "
            "remove 'primary: true' from all but one",
            key=True,
        )


def _metric_names(ctx: CheckContext) -> Iterator[tuple[Pointer, str, bool]]:
    """Every metric named in the spec: its pointer, its name, whether the name is a key."""
    for i, metric in enumerate(ctx.spec.kpis.metrics):
        yield ("kpis", "metrics", i, "name"), metric.name, False
    evaluation = ctx.spec.evaluation
    for i, name in enumerate(evaluation.metrics or []):
        yield ("evaluation", "metrics", i), name, False
    gates = evaluation.gates
    for name in gates.thresholds:
        yield ("evaluation", "gates", "thresholds", name), name, True
    for gate, section in (
        ("beat_baseline", gates.beat_baseline),
        ("beat_champion", gates.beat_champion),
    ):
        if section is not None and section.metric is not None:
            yield ("evaluation", "gates", gate, "metric"), section.metric, False
    performance = ctx.spec.monitoring.performance
    if performance is not None:
        yield ("monitoring", "performance", "metric"), performance.metric, False


def _metric_known(ctx: CheckContext) -> Iterator[Diagnostic]:
    task = ctx.spec.objective.task
    suited = metrics_for(task)
    for pointer, name, key in _metric_names(ctx):
        info = METRICS.get(name)
        if info is None:
            yield ctx.error(
                "MLP203",
                pointer,
                f"unknown metric '{name}'",
                did_you_mean(name, METRICS) or f"metrics for {task}: {', '.join(suited)}",
                key=key,
            )
        elif task not in info.tasks:
            yield ctx.error(
                "MLP203",
                pointer,
                f"metric '{name}' does not suit the task {task}",
                f"metrics for {task}: {', '.join(suited)}",
                key=key,
            )


def _bounds(
    ctx: CheckContext,
    pointer: Pointer,
    low: float | None,
    high: float | None,
    names: tuple[str, str],
) -> Iterator[Diagnostic]:
    if low is not None and high is not None and low > high:
        yield ctx.error(
            "MLP204",
            (*pointer, names[0]),
            f"{low:g} is greater than {names[1]} {high:g}: no value can satisfy both",
            f"swap them, or check which bound was meant ({names[0]} ≤ {names[1]})",
        )


def _contradictory_bounds(ctx: CheckContext) -> Iterator[Diagnostic]:
    threshold = ("minimum", "maximum")
    for i, metric in enumerate(ctx.spec.kpis.metrics):
        yield from _bounds(ctx, ("kpis", "metrics", i), metric.minimum, metric.maximum, threshold)
    for name, gate in ctx.spec.evaluation.gates.thresholds.items():
        pointer: Pointer = ("evaluation", "gates", "thresholds", name)
        yield from _bounds(ctx, pointer, gate.minimum, gate.maximum, threshold)
    performance = ctx.spec.monitoring.performance
    if performance is not None:
        pointer = ("monitoring", "performance")
        yield from _bounds(ctx, pointer, performance.minimum, performance.maximum, threshold)
    for source_pointer, source in ctx.sources():
        for c, column in enumerate(source.columns):
            pointer = (*source_pointer, "columns", c)
            yield from _bounds(ctx, pointer, column.min, column.max, ("min", "max"))


_BUSINESS = """\
  business:
    - name: correct_routing
      description: Orders reach the right greenhouse.
      target: fewer than 1 in 20 misrouted
      metrics: [{metric}]
"""

RULES = [
    Rule(
        "MLP201",
        "kpi-metric-link",
        "business KPI not linked to a computed metric",
        "Every business KPI names the model metrics that move it; each must be declared in "
        "`kpis.metrics`, and when `evaluation.metrics` is given explicitly, every KPI metric "
        "must be in it, or nothing would ever measure it.",
        spec(replace=("kpis:\n", "kpis:\n" + _BUSINESS.format(metric="acuracy"))),
        spec(replace=("kpis:\n", "kpis:\n" + _BUSINESS.format(metric="accuracy"))),
        _kpi_links,
    ),
    Rule(
        "MLP202",
        "one-primary-metric",
        "not exactly one primary metric",
        "Champion and challenger are compared on one metric: exactly one entry of "
        "`kpis.metrics` has `primary: true`.",
        spec(replace=("primary: true", "primary: false")),
        spec(),
        _primary_metric,
    ),
    Rule(
        "MLP203",
        "known-metric",
        "unknown metric, or one that does not suit the task",
        "Metric names (in `kpis.metrics`, `evaluation.metrics`, gate thresholds, "
        "`beat_baseline`/`beat_champion` and `monitoring.performance`) must be metrics mlproject "
        "computes, and suit `objective.task`: `roc_auc` means nothing for a regression.",
        spec("evaluation:\n  metrics: [accuracy, rmse]\n"),
        spec("evaluation:\n  metrics: [accuracy, f1_macro]\n"),
        _metric_known,
    ),
    Rule(
        "MLP204",
        "contradictory-bounds",
        "minimum above maximum",
        "A threshold (in `kpis.metrics`, gate thresholds or `monitoring.performance`) or a "
        "column range whose lower bound is above its upper bound can never be met.",
        spec(
            source=IRIS_COLUMNS.replace(
                "{name: sepal_length, type: float, min: 0}",
                "{name: sepal_length, type: float, min: 10, max: 1}",
            )
        ),
        spec(
            source=IRIS_COLUMNS.replace(
                "{name: sepal_length, type: float, min: 0}",
                "{name: sepal_length, type: float, min: 0, max: 10}",
            )
        ),
        _contradictory_bounds,
    ),
]

"""Data, model and monitoring alerts from the monitor step's gauges (target: pure IR → files).

The monitor step publishes its verdicts as gauges
(:mod:`mlcontract.monitoring_contract`); these rules compare them with the spec's
limits, or read the monitor's own verdict where the comparison depends on the
method (drift: a p-value falls below its threshold, a distance rises above it)
or on history (freshness, volume). Gauges keep their value between runs, so
each rule waits 5 minutes (``for``) only to ride out a half-written file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from mlcontract import ir
from mlcontract import monitoring_contract as contract
from targets.prometheus import scrape
from targets.prometheus.alert import (
    DATA,
    MODEL,
    MONITORING,
    Alert,
    Case,
    Series,
    above,
    below,
    flat,
    number,
    selector,
)
from targets.prometheus.schedule import duration, overdue_after

GAUGE_FOR_SECONDS = 300
_MODEL = ("model",)
_PER_FEATURE = ("model", "feature")


@dataclass
class GaugeCheck:
    """A gauge compared with a threshold: ``<min|max> by (by) (metric{...}) <op> threshold``."""

    name: str
    route: str
    severity: str
    metric: str
    op: str  # ">" or "<"
    threshold: float
    summary: str
    description: str
    by: tuple[str, ...] = _MODEL
    matchers: Mapping[str, str] = field(default_factory=dict)
    # a second condition joined by ``or``: (metric, label, regex), the gauge above 0 for
    # the series whose label matches (e.g. the columns a declared list holds strict)
    strict: tuple[str, str, str] | None = None

    def values(self) -> tuple[float, float]:
        """(firing, quiet) values of the gauge in the test cases."""
        if self.op == ">":
            return above(self.threshold), below(self.threshold)
        return below(self.threshold), above(self.threshold)


def _example_feature(project: ir.Project) -> str:
    drift = project.monitoring.drift
    if drift is not None and drift.features:
        return drift.features[0].feature
    return project.training.features[0] if project.training.features else "feature"


def gauge_alert(project: ir.Project, check: GaugeCheck) -> Alert:
    matchers = [(scrape.PROJECT_LABEL, "=", project.name)]
    matchers += [(label, "=", value) for label, value in sorted(check.matchers.items())]
    aggregate = "min" if check.op == "<" else "max"
    expr = (
        f"{aggregate} by ({', '.join(check.by)}) ({selector(check.metric, *matchers)}) "
        f"{check.op} {number(check.threshold)}"
    )
    if check.strict is not None:
        metric, label, regex = check.strict
        strict = selector(metric, *matchers, (label, "=~", regex))
        expr += f" or max by ({', '.join(check.by)}) ({strict}) > 0"
    labels = {
        scrape.PROJECT_LABEL: project.name,
        scrape.MODEL_LABEL: project.registry.model_name,
        **check.matchers,
    }
    if "feature" in check.by:
        labels["feature"] = _example_feature(project)
    grouped = {label: labels[label] for label in check.by}
    firing, quiet = check.values()
    return Alert(
        name=check.name,
        route=check.route,
        severity=check.severity,
        expr=expr,
        for_seconds=GAUGE_FOR_SECONDS,
        summary=f"{project.name}: {check.summary}",
        description=check.description,
        firing=Case((Series(check.metric, labels, flat(firing, 20)),), 10, grouped),
        quiet=Case((Series(check.metric, labels, flat(quiet, 20)),), 10, None),
    )


def _declared_categories(project: ir.Project) -> str | None:
    """A regex of the columns whose spec declares their categories: strict, any value
    outside the list counts (the others' categories are learnt from the reference)."""
    names = sorted({c.name for s in project.sources for c in s.columns if c.categories is not None})
    return "|".join(re.escape(name) for name in names) or None


def _severity(policy: str) -> str:
    return "critical" if policy == "error" else "warning"


def _data_checks(project: ir.Project) -> list[GaugeCheck]:
    quality = project.monitoring.data_quality
    checks = []
    if project.monitoring.drift is not None:
        checks.append(
            GaugeCheck(
                name="FeatureDrift",
                route=DATA,
                severity="warning",
                metric=contract.DRIFT_DETECTED,
                op=">",
                threshold=0,
                summary="a feature drifted",
                description=(
                    "The monitor found {{ $labels.feature }} drifted from the reference in the "
                    "last window: its drift score (mlproject_drift_score) against its limit "
                    "(mlproject_drift_threshold), with method auto also a significance test or "
                    "a change of its share of missing values; the monitor's report says which. "
                    "The feature 'prediction' is the model's output."
                ),
                by=_PER_FEATURE,
            )
        )
    missing, out_of_range = quality.max_missing_fraction, quality.max_range_violations
    checks += [
        GaugeCheck(
            name="DataMissingValues",
            route=DATA,
            severity="warning",
            metric=contract.MISSING_FRACTION,
            op=">",
            threshold=missing,
            summary="too many missing values",
            description=(
                f"More than {missing:.2%} of {{{{ $labels.feature }}}} was missing in the last "
                "monitoring window."
            ),
            by=_PER_FEATURE,
        ),
        GaugeCheck(
            name="DataRangeViolations",
            route=DATA,
            severity="warning",
            metric=contract.RANGE_VIOLATIONS,
            op=">",
            threshold=out_of_range,
            summary="values outside the declared range",
            description=(
                f"More than {out_of_range:.2%} of {{{{ $labels.feature }}}} fell outside its "
                "declared min/max in the last monitoring window."
            ),
            by=_PER_FEATURE,
        ),
        GaugeCheck(
            name="DataSchemaViolations",
            route=DATA,
            severity=_severity(quality.schema_violations),
            metric=contract.SCHEMA_VIOLATIONS,
            op=">",
            threshold=0,
            summary="input schema violated",
            description=(
                "Declared columns were missing or of the wrong type in the last monitoring window."
            ),
        ),
    ]
    if quality.new_categories != "ignore":
        declared = _declared_categories(project)
        checks.append(
            GaugeCheck(
                name="DataNewCategories",
                route=DATA,
                severity=_severity(quality.new_categories),
                metric=contract.NEW_CATEGORY_FRACTION,
                op=">",
                threshold=quality.max_new_category_fraction,
                summary="unseen categories",
                description=(
                    f"More than {quality.max_new_category_fraction:.2%} of the rows of "
                    "{{ $labels.feature }} took values never seen in the reference in the last "
                    "monitoring window (mlproject_data_new_categories counts them; a "
                    "declared categories list: any value outside it)."
                ),
                by=_PER_FEATURE,
                strict=None if declared is None else (contract.NEW_CATEGORIES, "feature", declared),
            )
        )
    if any(source.freshness_seconds is not None for source in project.sources):
        checks.append(
            GaugeCheck(
                name="DataFreshnessBreach",
                route=DATA,
                severity="warning",
                metric=contract.BREACH,
                op=">",
                threshold=0,
                summary="no new data",
                description=(
                    "A data source has had no new data for longer than its declared "
                    "freshness: the data flow may be broken."
                ),
                matchers={"kind": "freshness"},
            )
        )
    checks += [
        GaugeCheck(
            name="DataVolumeBreach",
            route=DATA,
            severity="warning",
            metric=contract.BREACH,
            op=">",
            threshold=0,
            summary="data volume far below usual",
            description=(
                "The last monitoring window held far fewer rows than usual: the data flow may "
                "be broken."
            ),
            matchers={"kind": "volume"},
        ),
        GaugeCheck(
            name="MonitorWindowTooSmall",
            route=DATA,
            severity="warning",
            metric=contract.WINDOW_ROWS,
            op="<",
            threshold=quality.min_rows,
            summary="too few rows to judge",
            description=(
                f"The last monitoring window held fewer than {quality.min_rows} rows: the "
                "monitor gave no verdict on drift or data quality."
            ),
        ),
    ]
    return checks


def _model_checks(project: ir.Project) -> list[GaugeCheck]:
    performance = project.monitoring.performance
    if performance is None:
        return []
    name = performance.metric
    limits = (
        ("Below", "<", performance.minimum, "fell below the spec's minimum of"),
        ("Above", ">", performance.maximum, "rose above the spec's maximum of"),
    )
    return [
        GaugeCheck(
            name=f"ModelPerformance{side}{'Minimum' if op == '<' else 'Maximum'}",
            route=MODEL,
            severity="critical",
            metric=contract.PERFORMANCE,
            op=op,
            threshold=limit,
            summary=f"{name} {side.lower()} {limit:g}",
            description=f"On the labelled rows of the last window, {name} {words} {limit:g}.",
            matchers={"metric": name},
        )
        for side, op, limit, words in limits
        if limit is not None
    ]


def monitor_run_alerts(project: ir.Project) -> list[Alert]:
    """The monitor has not run for longer than its schedule allows, or never ran."""
    schedule = project.monitoring.schedule
    overdue = overdue_after(schedule)
    last_run = selector(contract.LAST_RUN, (scrape.PROJECT_LABEL, "=", project.name))
    minutes = overdue // 60 + 10
    labels = {scrape.PROJECT_LABEL: project.name, scrape.MODEL_LABEL: project.registry.model_name}
    samples = minutes + 5
    stale = Series(contract.LAST_RUN, labels, f"0+0x{samples}")  # last ran at time 0
    fresh = Series(contract.LAST_RUN, labels, f"0+60x{samples}")  # ran a moment ago
    other = Series(contract.LAST_RUN, {**labels, "project": "another-project"}, f"0+60x{samples}")
    return [
        Alert(
            name="MonitorNotRunning",
            route=MONITORING,
            severity="warning",
            expr=f"time() - max by (model) ({last_run}) > {overdue}",
            for_seconds=GAUGE_FOR_SECONDS,
            summary=f"{project.name}: the monitor has not run for {duration(overdue)}",
            description=(
                f"The last completed monitor run is more than {duration(overdue)} old, though "
                f"its schedule '{schedule}' runs it more often: drift and data quality are no "
                "longer being checked."
            ),
            firing=Case((stale,), minutes, {"model": project.registry.model_name}),
            quiet=Case((fresh,), minutes, None),
        ),
        Alert(
            name="MonitorNeverRan",
            route=MONITORING,
            severity="warning",
            expr=f"absent({last_run})",
            for_seconds=overdue,
            summary=f"{project.name}: no monitor run recorded",
            description=(
                f"No monitor run has been recorded for {duration(overdue)} (schedule "
                f"'{schedule}'): the monitor workflow, or the publishing of its gauges, is "
                "broken."
            ),
            firing=Case((other,), minutes, {scrape.PROJECT_LABEL: project.name}),
            quiet=Case((fresh,), minutes, None),
        ),
    ]


def data_alerts(project: ir.Project) -> list[Alert]:
    return [gauge_alert(project, check) for check in _data_checks(project)]


def model_alerts(project: ir.Project) -> list[Alert]:
    return [gauge_alert(project, check) for check in _model_checks(project)]

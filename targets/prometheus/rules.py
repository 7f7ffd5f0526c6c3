"""The alert rules file: every alert of a project, by rule group (target: pure IR → files).

One rule group per route (serving, data, model, monitoring), named
``<project>-<route>`` so that several projects can share a Prometheus. Labels on
every alert: ``severity`` (critical | warning: Alertmanager routes on it),
``project`` and ``route`` (what failed; for grouping, silences and routing of
your own). Annotations: ``summary`` and ``description``.
"""

from __future__ import annotations

from typing import Any

from mlcontract import ir
from targets.prometheus.alert import DATA, MODEL, MONITORING, SERVING, Alert
from targets.prometheus.monitor_rules import data_alerts, model_alerts, monitor_run_alerts
from targets.prometheus.schedule import duration
from targets.prometheus.serving_rules import serving_alerts

ROUTES = (SERVING, DATA, MODEL, MONITORING)


def alerts(project: ir.Project) -> dict[str, list[Alert]]:
    """The project's alerts by route, in a fixed order; empty routes left out."""
    found = {
        SERVING: serving_alerts(project),
        DATA: data_alerts(project),
        MODEL: model_alerts(project),
        MONITORING: monitor_run_alerts(project),
    }
    return {route: found[route] for route in ROUTES if found[route]}


def rule_labels(project: ir.Project, alert: Alert) -> dict[str, str]:
    return {"project": project.name, "route": alert.route, "severity": alert.severity}


def rule(project: ir.Project, alert: Alert) -> dict[str, Any]:
    """One alerting rule, as Prometheus and the PrometheusRule CRD read it."""
    return {
        "alert": alert.name,
        "annotations": {"description": alert.description, "summary": alert.summary},
        "expr": alert.expr,
        "for": duration(alert.for_seconds),
        "labels": rule_labels(project, alert),
    }


def group_name(project: ir.Project, route: str) -> str:
    return f"{project.name}-{route}"


def rule_groups(project: ir.Project) -> list[dict[str, Any]]:
    return [
        {"name": group_name(project, route), "rules": [rule(project, a) for a in group]}
        for route, group in alerts(project).items()
    ]

"""The promtool unit tests of the alert rules (target: pure IR → files).

For every alert, two tests: one whose input series cross the alert's threshold
and expect it to fire with exact labels and annotations, one whose series stay
on the healthy side and expect silence. ``promtool test rules`` runs them
against the generated rules file (named relative to the tests file).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mlcontract import ir
from targets.prometheus.alert import Alert, Case
from targets.prometheus.rules import alerts, rule_labels

EVALUATION_INTERVAL = "1m"
_LABEL_REF = re.compile(r"\{\{ \$labels\.([a-zA-Z_][a-zA-Z0-9_]*) \}\}")


def expand(template: str, labels: Mapping[str, str]) -> str:
    """An annotation as Prometheus renders it for an alert carrying ``labels``."""
    return _LABEL_REF.sub(lambda m: labels.get(m.group(1), ""), template)


def _test(project: ir.Project, alert: Alert, case: Case) -> dict[str, Any]:
    expected: list[dict[str, Any]] = []
    if case.fires_with is not None:
        labels = {**case.fires_with, **rule_labels(project, alert)}
        expected.append(
            {
                "exp_annotations": {
                    "description": expand(alert.description, labels),
                    "summary": expand(alert.summary, labels),
                },
                "exp_labels": labels,
            }
        )
    verdict = "fires" if case.fires_with is not None else "stays silent"
    return {
        "alert_rule_test": [
            {"alertname": alert.name, "eval_time": f"{case.eval_minutes}m", "exp_alerts": expected}
        ],
        "input_series": [{"series": s.notation(), "values": s.values} for s in case.series],
        "interval": "1m",
        "name": f"{alert.name} {verdict}",
    }


def rule_tests(project: ir.Project, rules_file: str) -> dict[str, Any]:
    """The tests file; ``rules_file`` is the rules file's path relative to it."""
    tests = [
        _test(project, alert, case)
        for group in alerts(project).values()
        for alert in group
        for case in (alert.firing, alert.quiet)
    ]
    return {"evaluation_interval": EVALUATION_INTERVAL, "rule_files": [rules_file], "tests": tests}

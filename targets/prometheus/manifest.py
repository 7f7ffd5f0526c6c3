"""Kubernetes metadata and the PrometheusRule manifest (target: pure IR → files).

:func:`common_labels` are the labels every Kubernetes object mlproject
generates carries (the ``kserve`` target uses them too). The PrometheusRule
holds exactly the groups of the plain rules file, so ``promtool`` tests prove
both. It lives in the namespace of the last environment (production, in
promotion order); a Prometheus Operator picks it up when its ``ruleSelector``
and ``ruleNamespaceSelector`` match, which is cluster configuration.
"""

from __future__ import annotations

from typing import Any

from mlcontract import ir
from targets.prometheus.rules import rule_groups

LABEL_DOMAIN = "mlproject.dev"
PROMETHEUS_RULE_API = "monitoring.coreos.com/v1"


def common_labels(project: ir.Project) -> dict[str, str]:
    return {
        "app.kubernetes.io/managed-by": "mlproject",
        "app.kubernetes.io/part-of": project.name,
        f"{LABEL_DOMAIN}/project": project.name,
    }


def prometheus_rule(project: ir.Project) -> dict[str, Any]:
    return {
        "apiVersion": PROMETHEUS_RULE_API,
        "kind": "PrometheusRule",
        "metadata": {
            "labels": common_labels(project),
            "name": f"{project.name}-alerts",
            "namespace": project.deployment.environments[-1].namespace,
        },
        "spec": {"groups": rule_groups(project)},
    }

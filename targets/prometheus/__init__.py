"""Target ``prometheus``: alert rules, their unit tests and alert routing (target: pure IR → files).

A target: a pure function IR → files; no disk, no clock, no environment.

- ``monitoring/prometheus/rules.yaml``: the alert rules
  (:mod:`targets.prometheus.rules`): serving latency, errors and availability
  from MLServer's metrics; drift, data quality, performance, freshness and
  volume from the monitor step's gauges; a monitor that has stopped running.
- ``monitoring/prometheus/rules.test.yaml``: ``promtool test rules`` cases
  proving each alert fires past its threshold and stays silent before it
  (:mod:`targets.prometheus.rule_tests`).
- ``monitoring/prometheus/alertmanager.yaml``: routes and receivers for the
  spec's alert channels, secrets by reference
  (:mod:`targets.prometheus.alertmanager`); only when the spec has channels.
- ``deploy/kserve/prometheusrule.yaml``: the same rules as a Prometheus
  Operator ``PrometheusRule`` (:mod:`targets.prometheus.manifest`).
"""

from __future__ import annotations

import posixpath

from compiler.generated import GeneratedFile
from mlcontract import ir
from targets.prometheus.alertmanager import alertmanager_config
from targets.prometheus.manifest import prometheus_rule
from targets.prometheus.rule_tests import rule_tests
from targets.prometheus.rules import rule_groups
from targets.prometheus.yamlout import to_yaml

NAME = "prometheus"
DESCRIPTION = "Prometheus alert rules with promtool tests, Alertmanager routes, PrometheusRule"

MONITORING_DIR = "monitoring/prometheus"
RULES_FILE = f"{MONITORING_DIR}/rules.yaml"
RULES_TEST_FILE = f"{MONITORING_DIR}/rules.test.yaml"
ALERTMANAGER_FILE = f"{MONITORING_DIR}/alertmanager.yaml"
PROMETHEUS_RULE_FILE = "deploy/kserve/prometheusrule.yaml"


def render(project: ir.Project) -> list[GeneratedFile]:
    rules_from_tests = posixpath.relpath(RULES_FILE, posixpath.dirname(RULES_TEST_FILE))
    files = [
        (RULES_FILE, {"groups": rule_groups(project)}),
        (RULES_TEST_FILE, rule_tests(project, rules_from_tests)),
        (PROMETHEUS_RULE_FILE, prometheus_rule(project)),
    ]
    if project.monitoring.alerts:
        files.append((ALERTMANAGER_FILE, alertmanager_config(project)))
    return [
        GeneratedFile(path=project.layout.in_project(path), content=to_yaml(data), comment="hash")
        for path, data in sorted(files)
    ]

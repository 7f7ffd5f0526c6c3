"""The PodMonitor that lets Prometheus scrape the model servers (target: pure IR → files).

A Prometheus Operator ``PodMonitor`` per environment selects the predictor
pods of the environment's InferenceServices by the label KServe puts on them
(``serving.kserve.io/inferenceservice: <name>``) and scrapes MLServer's
metrics server. That server listens on its own port
(:data:`targets.mlserver.METRICS_PORT`), which the KServe runtime does not
declare on the container, so the endpoint keeps the ``kserve-container``
targets and rewrites their address to ``<pod IP>:<metrics port>`` (IPv4 pod
addresses). Relabelling attaches the labels the alert rules select and group
by (:mod:`targets.prometheus.scrape`): ``project``, ``model``,
``environment`` and ``role`` (champion or challenger).
"""

from __future__ import annotations

from typing import Any

from mlcontract import ir
from mlcontract.deploy_layout import experiment_environment
from mlcontract.serving_contract import METRICS_ENDPOINT, METRICS_PORT
from targets.kserve.inference_service import CHALLENGER, CHAMPION, service_name
from targets.prometheus import scrape
from targets.prometheus.manifest import common_labels

API_VERSION = "monitoring.coreos.com/v1"
ISVC_POD_LABEL = "serving.kserve.io/inferenceservice"
CONTAINER = "kserve-container"
SCRAPE_INTERVAL = "30s"
_ISVC_META = "__meta_kubernetes_pod_label_serving_kserve_io_inferenceservice"


def _set(label: str, value: str) -> dict[str, Any]:
    return {"action": "replace", "replacement": value, "targetLabel": label}


def pod_monitor(project: ir.Project, environment: ir.Environment) -> dict[str, Any]:
    services = [service_name(project, CHAMPION)]
    if experiment_environment(project) == environment:
        services.append(service_name(project, CHALLENGER))
    relabelings = [
        {
            "action": "keep",
            "regex": CONTAINER,
            "sourceLabels": ["__meta_kubernetes_pod_container_name"],
        },
        {
            "action": "replace",
            "regex": "(.+)",
            "replacement": f"$1:{METRICS_PORT}",
            "sourceLabels": ["__meta_kubernetes_pod_ip"],
            "targetLabel": "__address__",
        },
        _set(scrape.PROJECT_LABEL, project.name),
        _set(scrape.MODEL_LABEL, project.registry.model_name),
        _set(scrape.ENVIRONMENT_LABEL, environment.name),
        _set(scrape.ROLE_LABEL, CHAMPION),
        {
            "action": "replace",
            "regex": service_name(project, CHALLENGER),
            "replacement": CHALLENGER,
            "sourceLabels": [_ISVC_META],
            "targetLabel": scrape.ROLE_LABEL,
        },
    ]
    return {
        "apiVersion": API_VERSION,
        "kind": "PodMonitor",
        "metadata": {
            "labels": common_labels(project),
            "name": f"{project.registry.model_name}-mlserver",
            "namespace": environment.namespace,
        },
        "spec": {
            "podMetricsEndpoints": [
                {
                    "interval": SCRAPE_INTERVAL,
                    "path": METRICS_ENDPOINT,
                    "relabelings": relabelings,
                    "scheme": "http",
                }
            ],
            "selector": {
                "matchExpressions": [
                    {"key": ISVC_POD_LABEL, "operator": "In", "values": services},
                ]
            },
        },
    }

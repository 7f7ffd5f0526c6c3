"""Target ``kserve``: Kubernetes manifests for online serving (target: pure IR → files).

A target: a pure function IR → files; no disk, no clock, no environment.
Per environment of an online deployment, under ``deploy/kserve/<env>/``:

- ``inferenceservice.yaml``: the champion
  (:mod:`targets.kserve.inference_service`);
- ``podmonitor.yaml``: Prometheus scrapes its MLServer metrics
  (:mod:`targets.kserve.pod_monitor`);
- with an A/B test or shadow mode, in the last environment only, in a
  sub-directory (``ab-test/`` or ``shadow/``) the deploy job applies after the
  champion is Ready: ``inferenceservice-challenger.yaml`` and
  ``inferencegraph.yaml``, the Splitter (or shadow Sequence) in front of both
  (:mod:`targets.kserve.graph`).

A batch deployment is scored by a workflow, not served: no files. The alert
rules' PrometheusRule (``deploy/kserve/prometheusrule.yaml``) comes from the
``prometheus`` target. Versions are placeholders the deploy step fills in
(:data:`VERSION_PLACEHOLDER`, :data:`CHALLENGER_VERSION_PLACEHOLDER`); where a
version's files live is :func:`model_artifact_uri`. Every manifest validates
against the strict CRD schemas in ``shared/vendor/k8s-crds`` (see the tests).
"""

from __future__ import annotations

from typing import Any

from compiler.generated import GeneratedFile
from mlcontract import ir
from mlcontract.deploy_layout import (
    CHALLENGER_VERSION_PLACEHOLDER,
    DEPLOY_DIR,
    EXPERIMENT_DIRS,
    VERSION_PLACEHOLDER,
    experiment_dir,
    experiment_environment,
)
from targets.kserve.graph import inference_graph
from targets.kserve.inference_service import (
    CHALLENGER,
    inference_service,
)
from targets.kserve.pod_monitor import pod_monitor
from targets.kserve.storage import model_artifact_uri
from targets.prometheus.yamlout import to_yaml

__all__ = [
    "CHALLENGER_VERSION_PLACEHOLDER",
    "DEPLOY_DIR",
    "DESCRIPTION",
    "EXPERIMENT_DIRS",
    "NAME",
    "VERSION_PLACEHOLDER",
    "experiment_dir",
    "model_artifact_uri",
    "render",
]

NAME = "kserve"
DESCRIPTION = "KServe InferenceServices, A/B or shadow InferenceGraph, PodMonitor (deploy/kserve/)"


def manifests(project: ir.Project) -> dict[str, dict[str, Any]]:
    """Every manifest by its path under the project directory."""
    if project.deployment.mode != "online":
        return {}
    found: dict[str, dict[str, Any]] = {}
    live = experiment_environment(project)
    for environment in project.deployment.environments:
        folder = f"{DEPLOY_DIR}/{environment.name}"
        found[f"{folder}/inferenceservice.yaml"] = inference_service(project, environment)
        found[f"{folder}/podmonitor.yaml"] = pod_monitor(project, environment)
        if environment == live:
            experiment = f"{folder}/{experiment_dir(project)}"
            found[f"{experiment}/inferenceservice-challenger.yaml"] = inference_service(
                project, environment, CHALLENGER
            )
            found[f"{experiment}/inferencegraph.yaml"] = inference_graph(project, environment)
    return found


def render(project: ir.Project) -> list[GeneratedFile]:
    return [
        GeneratedFile(path=project.layout.in_project(path), content=to_yaml(data), comment="hash")
        for path, data in sorted(manifests(project).items())
    ]

"""The InferenceService of one environment (target: pure IR → files).

``serving.kserve.io/v1beta1`` InferenceService: the ``sklearn`` model format on
KServe's ``kserve-mlserver`` runtime (named explicitly, so the server is the
same MLServer as ``mlproject serve``), Open Inference Protocol (``v2``), the
model from :func:`targets.kserve.storage.model_artifact_uri`, and the same
MLServer model parameters as the local ``model-settings.json``, passed as
``MLSERVER_MODEL_*`` variables (:func:`targets.mlserver.runtime_environment`).

Versions are placeholders: the manifest names :data:`VERSION_PLACEHOLDER` (the
champion) or :data:`CHALLENGER_VERSION_PLACEHOLDER` wherever the registry
version goes (storageUri, a label, ``MLSERVER_MODEL_VERSION``). The deploy step
replaces the token with the version it deploys, a validated tag version such
as ``v1.2.0``; a manifest applied unreplaced fails to load its model rather than
serve an unknown one.

Autoscaling (Knative's concurrency metric, so Serverless mode): with the
spec's sustained throughput ``λ`` (requests/s) and latency limit ``W`` (p95,
else p99, else p50, in seconds), Little's law puts ``λ·W`` requests in flight
at once. The per-replica target is the lowest concurrency that still carries
them within the replica budget, ``max(1, ceil(λ·W / maxReplicas))``: the
autoscaler adds replicas before requests queue inside one. Without both
figures, KServe's defaults apply.

The payload ``logger`` appears only where the environment logs payloads, which
the IR already forbids for confidential or PII data.
"""

from __future__ import annotations

import math
import posixpath
from typing import Any

from mlcontract import ir
from mlcontract.deploy_layout import CHALLENGER_VERSION_PLACEHOLDER, VERSION_PLACEHOLDER
from mlcontract.pipeline_layout import MLFLOW_MODEL_DIR, MODEL_DIR
from mlcontract.serving_contract import serves_mlflow
from targets.kserve.storage import STORAGE_NOTE_ANNOTATION, model_artifact_uri, storage_note
from targets.mlserver import runtime_environment
from targets.prometheus.manifest import LABEL_DOMAIN, common_labels

API_VERSION = "serving.kserve.io/v1beta1"
RUNTIME = "kserve-mlserver"
MODEL_FORMAT = {"name": "sklearn", "version": "1"}
# deployment.model_format: mlflow — KServe's MLServer runtime serves the MLflow format
# (MLflow model format 2), from the MLflow model directory inside the published model dir.
MLFLOW_MODEL_FORMAT = {"name": "mlflow", "version": "2"}
MLFLOW_IN_MODEL_DIR = posixpath.relpath(MLFLOW_MODEL_DIR, MODEL_DIR)  # "mlflow"
PROTOCOL = "v2"
CHAMPION, CHALLENGER = "champion", "challenger"


def service_name(project: ir.Project, role: str) -> str:
    """The champion is served under the registry model name; the challenger beside it."""
    model = project.registry.model_name
    return model if role == CHAMPION else f"{model}-{CHALLENGER}"


def logger_url(project: ir.Project, environment: ir.Environment) -> str:
    """The payload sink: a service the platform runs in the namespace (no IR field names one)."""
    return f"http://{project.name}-payload-logger.{environment.namespace}.svc.cluster.local"


def design_latency_seconds(project: ir.Project) -> float | None:
    latency = project.deployment.latency
    if latency is None:
        return None
    limits = (latency.p95_ms, latency.p99_ms, latency.p50_ms)
    limit = next((value for value in limits if value is not None), None)
    return None if limit is None else limit / 1000


def concurrency_target(throughput_rps: float, latency_s: float, max_replicas: int) -> int:
    """Per-replica in-flight requests: ``max(1, ceil(λ·W / maxReplicas))``."""
    return max(1, math.ceil(throughput_rps * latency_s / max(1, max_replicas)))


def replicas(project: ir.Project, environment: ir.Environment, role: str) -> tuple[int, int]:
    """(min, max): the challenger gets its traffic share of the champion's maximum."""
    if role == CHAMPION:
        return environment.min_replicas, environment.max_replicas
    most = max(1, math.ceil(environment.max_replicas * challenger_share(project)))
    return min(environment.min_replicas, most), most


def challenger_share(project: ir.Project) -> float:
    if project.ab_test is not None:
        return project.ab_test.challenger_share
    return project.shadow.sample if project.shadow is not None else 0.0


def _resources(resources: ir.Resources) -> dict[str, Any]:
    amounts: dict[str, Any] = {"cpu": resources.cpu, "memory": resources.memory}
    limits = dict(amounts)
    if resources.gpu:
        limits["nvidia.com/gpu"] = resources.gpu
    return {"limits": limits, "requests": amounts}


def _scaling(project: ir.Project, role: str, max_replicas: int) -> dict[str, Any]:
    throughput = project.deployment.throughput_rps
    latency = design_latency_seconds(project)
    if throughput is None or latency is None:
        return {}
    if role == CHALLENGER:
        throughput *= challenger_share(project)
    target = concurrency_target(throughput, latency, max_replicas)
    return {"scaleMetric": "concurrency", "scaleTarget": target}


def inference_service(
    project: ir.Project, environment: ir.Environment, role: str = CHAMPION
) -> dict[str, Any]:
    version = VERSION_PLACEHOLDER if role == CHAMPION else CHALLENGER_VERSION_PLACEHOLDER
    low, high = replicas(project, environment, role)
    predictor: dict[str, Any] = {
        "maxReplicas": high,
        "minReplicas": low,
        "model": {
            "env": runtime_environment(project, version),
            "modelFormat": dict(MLFLOW_MODEL_FORMAT if serves_mlflow(project) else MODEL_FORMAT),
            "protocolVersion": PROTOCOL,
            "resources": _resources(environment.resources),
            "runtime": RUNTIME,
            "storageUri": model_artifact_uri(project, version)
            + (f"/{MLFLOW_IN_MODEL_DIR}" if serves_mlflow(project) else ""),
        },
        **_scaling(project, role, high),
    }
    if project.registry.service_account:  # its secret lets the storage initializer read
        predictor["serviceAccountName"] = project.registry.service_account
    if environment.payload_logging:
        predictor["logger"] = {"mode": "all", "url": logger_url(project, environment)}
    metadata: dict[str, Any] = {
        "labels": {
            **common_labels(project),
            "app.kubernetes.io/name": project.registry.model_name,
            f"{LABEL_DOMAIN}/environment": environment.name,
            f"{LABEL_DOMAIN}/model": project.registry.model_name,
            f"{LABEL_DOMAIN}/model-version": version,
            f"{LABEL_DOMAIN}/role": role,
        },
        "name": service_name(project, role),
        "namespace": environment.namespace,
    }
    note = storage_note(project)
    if note is not None:
        metadata["annotations"] = {STORAGE_NOTE_ANNOTATION: note}
    return {
        "apiVersion": API_VERSION,
        "kind": "InferenceService",
        "metadata": metadata,
        "spec": {"predictor": predictor},
    }

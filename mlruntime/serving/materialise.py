"""Serving runtime: a self-contained MLServer model repository for one model version.

``mlproject compile`` writes the serving configuration (``targets.mlserver``:
``serving/mlserver/settings.json`` and ``<model>/model-settings.json``); this
module copies it into a fresh directory beside the version's model file and
changes only what a local run must decide:

- ``host`` and the three ports (HTTP, gRPC, metrics) of this run;
- ``parameters.uri``: the copied model file (or, with ``deployment.model_format:
  mlflow``, the MLflow model directory), next to its model-settings;
- ``parameters.version``: the registry version, so every MLServer response
  carries ``model_version`` and a prediction names the model that made it;
- ``inputs``, when the spec declares no column types or declares other features
  than the served version was trained on (a feature renamed or added since): the
  features the model was trained on, from its sidecar (:mod:`mlruntime.features`),
  so requests are decoded into the columns the model expects.

When the project was not compiled with the ``mlserver`` target (a batch
project, or ``--target`` without it) the same documents are built from the IR
with that target's functions, so ``serve`` runs exactly what compile would write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlcontract import serving_contract as contract
from mlruntime.features import v2_inputs
from mlruntime.serving.artifacts import ModelArtifact, mlflow_model_files
from mlruntime.serving.errors import ServingError
from mlruntime.serving.project import CompiledProject

SETTINGS_FILE = "settings.json"
MODEL_SETTINGS_FILE = "model-settings.json"
MODEL_FILE_NAME = "model.joblib"
MLFLOW_DIR_NAME = "mlflow"  # deployment.model_format: mlflow: the MLflow model directory


@dataclass(frozen=True)
class Ports:
    http: int
    grpc: int
    metrics: int

    def all(self) -> tuple[int, int, int]:
        return (self.http, self.grpc, self.metrics)


@dataclass(frozen=True)
class ServingDir:
    """A model repository ``mlserver start`` can load as it is."""

    path: Path
    model_name: str
    version: str
    host: str
    ports: Ports
    metrics_endpoint: str
    settings: dict[str, Any]
    model_settings: dict[str, Any]
    mlflow: bool = False  # served by MLServer's MLflow runtime


def default_ports(project: CompiledProject) -> Ports:
    """The ports the compiled ``settings.json`` names (the mlserver target's defaults)."""
    settings, _ = _documents(project)
    return Ports(
        int(settings["http_port"]), int(settings["grpc_port"]), int(settings["metrics_port"])
    )


def materialise(
    directory: Path, project: CompiledProject, artifact: ModelArtifact, host: str, ports: Ports
) -> ServingDir:
    """Write settings, model settings and the model file into ``directory`` (must be empty)."""
    settings, model_settings = _documents(project)
    name = str(model_settings.get("name") or project.model_name)
    settings.update(
        host=host, http_port=ports.http, grpc_port=ports.grpc, metrics_port=ports.metrics
    )
    settings.setdefault("metrics_endpoint", "/metrics")
    parameters = dict(model_settings.get("parameters") or {})
    mlflow_files = None
    if project.ir.deployment.model_format == "mlflow":
        mlflow_files = mlflow_model_files(project, artifact)
    served = MLFLOW_DIR_NAME if mlflow_files is not None else MODEL_FILE_NAME
    parameters.update(uri=f"./{served}", version=artifact.ref.version)
    model_settings = {**model_settings, "name": name, "parameters": parameters}
    if artifact.features and _names(model_settings.get("inputs")) != {
        f.name for f in artifact.features
    }:
        model_settings["inputs"] = v2_inputs(artifact.features)
    model_dir = directory / name
    model_dir.mkdir(parents=True)
    if mlflow_files is not None:
        for inner, content in mlflow_files.items():
            target = model_dir / MLFLOW_DIR_NAME / inner
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    else:
        (model_dir / MODEL_FILE_NAME).write_bytes(artifact.content)
    (model_dir / MODEL_SETTINGS_FILE).write_bytes(_json(model_settings))
    (directory / SETTINGS_FILE).write_bytes(_json(settings))
    return ServingDir(
        path=directory,
        model_name=name,
        version=artifact.ref.version,
        host=host,
        ports=ports,
        metrics_endpoint=str(settings["metrics_endpoint"]),
        settings=settings,
        model_settings=model_settings,
        mlflow=mlflow_files is not None,
    )


def _names(inputs: Any) -> set[str]:
    return {str(i.get("name")) for i in inputs or () if isinstance(i, dict)}


def _documents(project: CompiledProject) -> tuple[dict[str, Any], dict[str, Any]]:
    """The compiled settings and model settings: from disk, else built from the IR."""
    serving = project.path / contract.SERVING_DIR
    settings_path = serving / contract.SETTINGS_FILE
    model_path = project.path / contract.model_dir(project.ir) / contract.MODEL_SETTINGS_FILE
    if settings_path.is_file() and model_path.is_file():
        return _read(settings_path), _read(model_path)
    return contract.settings_document(), contract.model_settings_document(project.ir)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ServingError(
            f"cannot read {path}: {exc}", "run `mlproject compile` to regenerate it"
        ) from None
    if not isinstance(data, dict):
        raise ServingError(f"{path} is not a JSON object", "run `mlproject compile`")
    return data


def _json(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()

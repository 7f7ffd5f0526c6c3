"""Target ``mlserver``: local serving configuration (target: pure IR → files).

A target: a pure function IR → files; no disk, no clock, no environment.

- ``serving/mlserver/settings.json``: the server, bound to 127.0.0.1, with its
  HTTP, gRPC and metrics ports and the Prometheus metrics endpoint.
- ``serving/mlserver/<model>/model-settings.json``: the registry model, served
  by MLServer's scikit-learn runtime from the file the training pipeline writes
  (:data:`mlcontract.pipeline_layout.MODEL_FILE`, relative to the model-settings
  directory: MLServer resolves a relative ``uri`` against that directory).

Only an online deployment is served; a batch project gets no files here.

The model **version** is deliberately not written. MLServer reads
``MLSERVER_MODEL_VERSION`` from the environment for any model-settings field the
file leaves out (a value in the file wins over the environment), so
``mlproject serve`` sets that variable to the registry version it serves. The
KServe target passes the same variable (see :func:`runtime_environment`), so a
model answers with its version locally and on Kubernetes alike.

The documents themselves (ports, paths, V2 inputs) are the serving contract in
:mod:`mlcontract.serving_contract`, which the runtime's ``serve`` reads too.
This module imports neither MLServer package: the compile path stays free of it.
"""

from __future__ import annotations

import json
from typing import Any

from compiler.generated import GeneratedFile
from compiler.serialize import dump_json
from mlcontract import ir
from mlcontract.serving_contract import (
    MLFLOW_IMPLEMENTATION,
    MODEL_SETTINGS_FILE,
    SERVING_DIR,
    SETTINGS_FILE,
    VERSION_ENV,
    model_dir,
    model_inputs,
    model_parameters,
    model_settings_document,
    serves_mlflow,
    serves_online,
    settings_document,
)

NAME = "mlserver"
DESCRIPTION = "MLServer settings and model settings for local serving (serving/mlserver/)"


def runtime_environment(project: ir.Project, version: str) -> list[dict[str, str]]:
    """``MLSERVER_MODEL_*`` variables that configure the same model without a settings file.

    MLServer builds a model from these when its repository holds no
    ``model-settings.json`` (as under KServe, where the storage initializer
    downloads only the model file); complex values are JSON, the inputs one tensor per
    line so that the manifest reads as a list rather than one escaped line.
    """
    parameters = model_parameters(project)
    env = {
        "MLSERVER_MODEL_CONTENT_TYPE": str(parameters["content_type"]),
        VERSION_ENV: version,
        # One OpenMP thread per worker: one-row predictions are much faster with one
        # thread than with the default pool (docs/benchmarks.md, Serving); concurrency
        # comes from replicas and MLServer's workers instead.
        "OMP_NUM_THREADS": "1",
    }
    if "extra" in parameters:
        env["MLSERVER_MODEL_EXTRA"] = _json(parameters["extra"])
    if serves_mlflow(project):
        env["MLSERVER_MODEL_IMPLEMENTATION"] = MLFLOW_IMPLEMENTATION
    inputs = model_inputs(project)
    if inputs:
        env["MLSERVER_MODEL_INPUTS"] = _json_lines(inputs)
    return [{"name": name, "value": env[name]} for name in sorted(env)]


def _json_lines(items: list[Any]) -> str:
    """A JSON array with one item per line: a readable block in YAML, the same JSON to MLServer."""
    lines = (json.dumps(item, sort_keys=True, separators=(", ", ": ")) for item in items)
    return "[\n" + ",\n".join(f"  {line}" for line in lines) + "\n]"


def _json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def render(project: ir.Project) -> list[GeneratedFile]:
    if not serves_online(project):
        return []
    return [
        GeneratedFile(
            path=project.layout.in_project(SERVING_DIR, SETTINGS_FILE),
            content=dump_json(settings_document()),
            comment="none",
        ),
        GeneratedFile(
            path=project.layout.in_project(model_dir(project), MODEL_SETTINGS_FILE),
            content=dump_json(model_settings_document(project)),
            comment="none",
        ),
    ]

"""How MLServer serves a compiled project: the files, ports and documents both sides use.

The ``mlserver`` target writes these documents (``serving/mlserver/``); the
runtime's ``serve`` rebuilds them from the IR when the files are not there and
reads the declared V2 inputs to build requests. Pure: IR in, dicts out.

The field names, and what MLServer 1.7 does with them, were checked against the
installed ``mlserver`` and ``mlserver_sklearn`` sources (strict models of the
subset written here: :mod:`targets.mlserver.schema`). This module imports
neither package.
"""

from __future__ import annotations

import posixpath
from typing import Any

from mlcontract import ir
from mlcontract.pipeline_layout import MLFLOW_MODEL_DIR, MODEL_FILE

SERVING_DIR = "serving/mlserver"
SETTINGS_FILE = "settings.json"
MODEL_SETTINGS_FILE = "model-settings.json"

HOST = "127.0.0.1"
HTTP_PORT = 8080
GRPC_PORT = 8081
METRICS_PORT = 8082
METRICS_ENDPOINT = "/metrics"
# Prefix of the REST metrics MLServer exports through starlette_exporter:
# <prefix>_requests_total, <prefix>_request_duration_seconds (histogram), ...
METRICS_REST_PREFIX = "rest_server"

IMPLEMENTATION = "mlserver_sklearn.SKLearnModel"
PLATFORM = "sklearn"
# deployment.model_format: mlflow — MLServer's MLflow runtime (mlserver-mlflow) serves the
# MLflow model directory train saves (MLFLOW_MODEL_DIR); its MLmodel names the predict function.
MLFLOW_IMPLEMENTATION = "mlserver_mlflow.MLflowRuntime"
MLFLOW_PLATFORM = "mlflow"
# The request codec MLServer applies when a request names none: one input per
# column, decoded into a pandas DataFrame, as the trained pipeline expects.
CONTENT_TYPE = "pd"
# mlserver_sklearn reads parameters.extra["predict_fn"] to pick the default output.
PREDICT_FN_KEY = "predict_fn"
PREDICT_PROBA = "predict_proba"
VERSION_ENV = "MLSERVER_MODEL_VERSION"

_CLASSIFICATION = frozenset({"binary_classification", "multiclass_classification"})
# V2 datatypes of the declared column types; texts are sent as BYTES and decoded to str.
_DATATYPES = {
    "integer": "INT64",
    "float": "FP64",
    "boolean": "BOOL",
    "string": "BYTES",
    "category": "BYTES",
    "datetime": "BYTES",
}


def serves_online(project: ir.Project) -> bool:
    return project.deployment.mode == "online"


def predicts_scores(project: ir.Project) -> bool:
    """A classifier answers with ``predict_proba`` when a KPI metric needs scores."""
    return project.task in _CLASSIFICATION and any(m.needs_scores for m in project.metrics)


def model_dir(project: ir.Project) -> str:
    """The model-settings directory, relative to the project directory."""
    return f"{SERVING_DIR}/{project.registry.model_name}"


def serves_mlflow(project: ir.Project) -> bool:
    """The spec chose the MLflow model format (MLServer's MLflow runtime)."""
    return project.deployment.model_format == "mlflow"


def implementation(project: ir.Project) -> str:
    return MLFLOW_IMPLEMENTATION if serves_mlflow(project) else IMPLEMENTATION


def model_uri(project: ir.Project) -> str:
    """The trained model (file, or MLflow model directory), relative to the model settings."""
    served = MLFLOW_MODEL_DIR if serves_mlflow(project) else MODEL_FILE
    return posixpath.relpath(served, model_dir(project))


def model_parameters(project: ir.Project) -> dict[str, Any]:
    """``parameters`` shared by local serving and KServe (everything but uri and version).

    The MLflow runtime takes its predict function from ``MLmodel``, not from ``extra``.
    """
    parameters: dict[str, Any] = {"content_type": CONTENT_TYPE}
    if predicts_scores(project) and not serves_mlflow(project):
        parameters["extra"] = {PREDICT_FN_KEY: PREDICT_PROBA}
    return parameters


def integer_codes(column: ir.Column) -> bool:
    """A category declared with integer codes (region 0..4): served as INT64, and read as
    text inside the model (``mlruntime.steps.model``), as training read it."""
    categories = column.categories or ()
    return (
        column.type == "category"
        and bool(categories)
        and all(isinstance(c, int) for c in categories)
    )


def _datatype(column: ir.Column) -> str:
    if integer_codes(column):
        return "INT64"
    return _DATATYPES[column.type]


def model_inputs(project: ir.Project) -> list[dict[str, Any]]:
    """Input metadata in training order, or nothing when a feature's type is not declared.

    Text columns carry ``content_type: str`` so that BYTES sent over gRPC are
    decoded to ``str`` (over REST JSON they already are), as the encoders saw
    them in training.
    """
    columns = {c.name: c for c in project.training_source.columns}
    features = project.training.features
    if not features or any(f not in columns for f in features):
        return []
    inputs = []
    for feature in features:
        datatype = _datatype(columns[feature])
        tensor: dict[str, Any] = {"datatype": datatype, "name": feature, "shape": [-1, 1]}
        if datatype == "BYTES":
            tensor["parameters"] = {"content_type": "str"}
        inputs.append(tensor)
    return inputs


def settings_document() -> dict[str, Any]:
    return {
        "grpc_port": GRPC_PORT,
        "host": HOST,
        "http_port": HTTP_PORT,
        "load_models_at_startup": True,
        "metrics_endpoint": METRICS_ENDPOINT,
        "metrics_port": METRICS_PORT,
        "metrics_rest_server_prefix": METRICS_REST_PREFIX,
    }


def model_settings_document(project: ir.Project) -> dict[str, Any]:
    document: dict[str, Any] = {
        "implementation": implementation(project),
        "name": project.registry.model_name,
        "parameters": {**model_parameters(project), "uri": model_uri(project)},
        "platform": MLFLOW_PLATFORM if serves_mlflow(project) else PLATFORM,
    }
    inputs = model_inputs(project)
    if inputs:
        document["inputs"] = inputs
    return document

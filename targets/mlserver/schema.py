"""Strict models of the MLServer settings this target writes (target: pure IR → files).

MLServer's own ``Settings`` and ``ModelSettings`` ignore unknown keys, so a
misspelt field would be dropped without a word. These models cover only the
subset the ``mlserver`` target generates, with ``extra="forbid"``; tests
validate every generated file against them, and also load the files with
MLServer's own classes to prove each field name exists there (field names and
types follow ``mlserver/settings.py`` and ``mlserver/types`` of MLServer 1.7).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Strict):
    """``settings.json``: the subset of ``mlserver.settings.Settings`` written here."""

    host: str
    http_port: int = Field(ge=1, le=65535)
    grpc_port: int = Field(ge=1, le=65535)
    metrics_port: int = Field(ge=1, le=65535)
    metrics_endpoint: str = Field(pattern=r"^/")
    metrics_rest_server_prefix: str = Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")
    load_models_at_startup: bool


class TensorParameters(_Strict):
    content_type: Literal["str"]


class InputTensor(_Strict):
    """``mlserver.types.MetadataTensor``."""

    name: str
    datatype: Literal["BOOL", "INT64", "FP64", "BYTES"]
    shape: list[int]
    parameters: TensorParameters | None = None


class SklearnExtra(_Strict):
    """``parameters.extra`` as ``mlserver_sklearn.SKLearnModel`` reads it."""

    predict_fn: Literal["predict", "predict_proba", "transform"]


class ModelParameters(_Strict):
    """The subset of ``mlserver.settings.ModelParameters`` written here (no version)."""

    uri: str = Field(min_length=1)
    content_type: Literal["pd", "np"]
    extra: SklearnExtra | None = None


class ModelSettings(_Strict):
    """``model-settings.json``: the subset of ``mlserver.settings.ModelSettings`` written here."""

    name: str = Field(pattern=r"^[a-z]([a-z0-9-]*[a-z0-9])?$")
    implementation: Literal["mlserver_sklearn.SKLearnModel", "mlserver_mlflow.MLflowRuntime"]
    platform: Literal["sklearn", "mlflow"]
    parameters: ModelParameters
    inputs: list[InputTensor] | None = None

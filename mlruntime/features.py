"""Runtime: the trained model's features, the contract between training and serving.

``step train`` writes the feature list it trained on beside the model
(:data:`mlcontract.pipeline_layout.MODEL_SIDECAR`: name, pandas dtype and role
of each column, in model-input order). When the spec lists no columns, that
list is the only place the features are known, so serving (``model-settings``
inputs, the sample request), ``loadtest``, ``step score`` and ``step monitor``
read it instead of guessing from the data.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlcontract import pipeline_layout as layout

SIDECAR_IN_DIR = posixpath.relpath(layout.MODEL_SIDECAR, layout.MODEL_DIR)  # "model.json"


@dataclass(frozen=True)
class TrainedFeature:
    """One model input as the model was trained on it."""

    name: str
    dtype: str  # pandas dtype at training ("int64", "float64", "object", "category", ...)
    kind: str  # "numeric" or "categorical"

    @property
    def datatype(self) -> str:
        """The V2 inference datatype that carries this column."""
        dtype = self.dtype.lower()
        if dtype.startswith("bool"):
            return "BOOL"
        if dtype.startswith(("int", "uint")):
            return "INT64"
        if dtype.startswith("float"):
            return "FP64"
        return "BYTES"

    @classmethod
    def from_v2(cls, name: str, datatype: str) -> TrainedFeature:
        """A feature known only by its V2 input metadata (a served model's)."""
        dtype = _V2_DTYPES.get(datatype, "object")
        kind = "categorical" if dtype == "object" else "numeric"
        return cls(name, dtype, kind)


_V2_DTYPES = {"BOOL": "bool", "FP32": "float32", "FP64": "float64", "INT32": "int32"}
_V2_DTYPES |= {"INT64": "int64", "BYTES": "object"}

Features = tuple[TrainedFeature, ...]


def parse_sidecar(content: bytes | None) -> Features | None:
    """The features a model sidecar records; None when absent or not a sidecar."""
    if not content:
        return None
    try:
        document: Any = json.loads(content)
        entries = document["features"]
        features = tuple(
            TrainedFeature(str(f["name"]), str(f.get("dtype", "")), str(f.get("kind", "")))
            for f in entries
        )
    except (ValueError, KeyError, TypeError):
        return None
    return features or None


def workspace_features(project_dir: Path) -> Features | None:
    """The features of the work tree's trained model, if it was trained."""
    try:
        return parse_sidecar((project_dir / layout.MODEL_SIDECAR).read_bytes())
    except OSError:
        return None


def v2_inputs(features: Features) -> list[dict[str, Any]]:
    """MLServer ``model-settings.json`` inputs for the trained features (training order)."""
    inputs = []
    for feature in features:
        tensor: dict[str, Any] = {
            "datatype": feature.datatype,
            "name": feature.name,
            "shape": [-1, 1],
        }
        if feature.datatype == "BYTES":
            tensor["parameters"] = {"content_type": "str"}
        inputs.append(tensor)
    return inputs

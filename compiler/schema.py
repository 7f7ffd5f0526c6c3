"""The JSON Schema of mlproject.yaml, generated from the spec models.

``schemas/mlproject.v1.json`` is this module's output, committed so editors
(yaml-language-server) show docs on hover and CI can validate without
mlproject installed; a test fails when the committed file is stale.
"""

from __future__ import annotations

import json
from typing import Any

from compiler.spec import SUPPORTED_VERSIONS

SCHEMA_VERSIONS: dict[str, str] = {v: f"mlproject.{v.split('/')[1]}.json" for v in SUPPORTED_VERSIONS}
SCHEMA_ID_BASE = "https://mlproject.dev/schemas/"


def schema_document(api_version: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) for one apiVersion."""
    model = SUPPORTED_VERSIONS[api_version]
    schema = model.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID_BASE + SCHEMA_VERSIONS[api_version]
    schema["title"] = f"mlproject.yaml ({api_version})"
    schema["description"] = (
        "One machine-learning project, stated once: objective and KPIs, data and its "
        "sensitivity, training, release gates, deployment, monitoring, experiments and "
        "retraining. Compiled by `mlproject compile`."
    )
    return schema


def render_schema(api_version: str) -> str:
    return json.dumps(schema_document(api_version), indent=2, sort_keys=True) + "\n"

"""The spec: versioned models of mlproject.yaml (validate stage).

Each ``apiVersion`` has one module of pydantic models (``v1.py``): they
validate a document, and the JSON Schema, docs/spec.md and the error
diagnostics come from them. A future v2 adds its module, an entry here, and a
``migrate`` step from v1.

Nothing here imports pydantic: ``spec_model`` does, when it is called.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import BaseModel

# apiVersion -> the module of its models (document: ``ProjectSpec``)
VERSIONS: dict[str, str] = {"mlproject/v1": "compiler.spec.v1"}
LATEST = "mlproject/v1"


def spec_model(api_version: str) -> type[BaseModel]:
    """The pydantic model of a whole document of ``api_version`` (imports pydantic)."""
    model: type[BaseModel] = importlib.import_module(VERSIONS[api_version]).ProjectSpec
    return model


__all__ = ["LATEST", "VERSIONS", "spec_model"]

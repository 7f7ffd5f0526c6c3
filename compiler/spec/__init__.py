"""The spec: versioned models of mlproject.yaml (validate stage).

Each ``apiVersion`` has two modules. The pydantic models (``v1.py``) are the
source of truth: the JSON Schema, docs/spec.md and the error diagnostics come
from them. ``v1_compiled.py`` is generated from them (``python -m
compiler.schema``): plain classes and the models' pydantic-core schema, so that
validating a valid spec builds no pydantic model at all (see ``validate.py``).
A future v2 adds both modules, an entry here, and a ``migrate`` step from v1.

Nothing here imports pydantic: ``spec_model`` does, when it is called.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import BaseModel


class SpecVersion:
    """Where one apiVersion is defined: its models and the validator generated from them.

    (A plain class: a dataclass would cost every ``mlproject validate`` half a millisecond.)
    """

    __slots__ = ("compiled", "models")

    def __init__(self, models: str, compiled: str) -> None:
        self.models = models  # the pydantic models (the source of truth); document: ProjectSpec
        self.compiled = compiled  # generated from them by ``python -m compiler.schema``

    def __repr__(self) -> str:
        return f"SpecVersion(models={self.models!r}, compiled={self.compiled!r})"


VERSIONS: dict[str, SpecVersion] = {
    "mlproject/v1": SpecVersion("compiler.spec.v1", "compiler.spec.v1_compiled"),
}
LATEST = "mlproject/v1"


def spec_model(api_version: str) -> type[BaseModel]:
    """The pydantic model of a whole document of ``api_version`` (imports pydantic)."""
    model: type[BaseModel] = importlib.import_module(VERSIONS[api_version].models).ProjectSpec
    return model


__all__ = ["LATEST", "VERSIONS", "SpecVersion", "spec_model"]

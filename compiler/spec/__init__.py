"""The spec: versioned pydantic models of mlproject.yaml (validate stage).

One module per spec version; ``SUPPORTED_VERSIONS`` maps an ``apiVersion`` to
the model that reads it. A future v2 adds a module and an entry here, and a
``migrate`` step from v1.
"""

from __future__ import annotations

from pydantic import BaseModel

from compiler.spec.v1 import ProjectSpec as ProjectSpecV1

SUPPORTED_VERSIONS: dict[str, type[BaseModel]] = {"mlproject/v1": ProjectSpecV1}
LATEST = "mlproject/v1"

__all__ = ["LATEST", "SUPPORTED_VERSIONS", "ProjectSpecV1"]

"""Registry and lineage: model versions as git tags (GTO), their history from git and DVC.

Runtime, not the compile path: ``mlproject register``, ``promote`` and
``lineage`` use it, and serving configs read a version through
:func:`resolve_version`. GTO and DVC are imported lazily, inside the functions
that need them; importing this package costs nothing.

- :mod:`mlruntime.lineage.project`: which project, which git repository, what
  the compiled configuration says (model name, environments);
- :mod:`mlruntime.lineage.registry`: register, promote, resolve a version;
- :mod:`mlruntime.lineage.lineage`: what produced a version (commit, data
  hashes, params, spec hash, metrics), read from git at that commit.
"""

from __future__ import annotations

from mlruntime.lineage.errors import RegistryError
from mlruntime.lineage.registry import ModelVersion, resolve_version

__all__ = ["ModelVersion", "RegistryError", "resolve_version"]

"""Registry and lineage: the one error they raise, with a message and a hint for the CLI."""

from __future__ import annotations

from mlcontract.errors import MlprojectError


class RegistryError(MlprojectError):
    """A registry or lineage request cannot be satisfied; ``hint`` says what to do instead."""


class NoHistoryError(RegistryError):
    """The project is not in a git repository, or the repository has no commit yet."""


class NoVersionError(RegistryError):
    """No version answers the request: none registered, or none in that environment."""

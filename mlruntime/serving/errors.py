"""Serving runtime: the one error it raises, with a hint for the CLI to print."""

from __future__ import annotations

from mlcontract.errors import MlprojectError


class ServingError(MlprojectError):
    """A serve, load test or scoring request cannot be satisfied; ``hint`` says what to do."""


class PortInUseError(ServingError):
    """A port the server needs is already bound by another process."""


class ModelMissingError(ServingError):
    """The model file of the requested version is not available locally."""

"""Serving runtime: the one error it raises, with a hint for the CLI to print."""

from __future__ import annotations


class ServingError(Exception):
    """A serve, load test or scoring request cannot be satisfied; ``hint`` says what to do."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class PortInUseError(ServingError):
    """A port the server needs is already bound by another process."""


class ModelMissingError(ServingError):
    """The model file of the requested version is not available locally."""

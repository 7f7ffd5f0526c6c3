"""Registry and lineage: the one error they raise, with a message and a hint for the CLI."""

from __future__ import annotations


class RegistryError(Exception):
    """A registry or lineage request cannot be satisfied; ``hint`` says what to do instead."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class NoHistoryError(RegistryError):
    """The project is not in a git repository, or the repository has no commit yet."""


class NoVersionError(RegistryError):
    """No version answers the request: none registered, or none in that environment."""

"""The error shape the CLI prints as one line plus an optional ``hint:`` line."""

from __future__ import annotations


class HintedError(Exception):
    """A request that cannot be satisfied: ``message`` says why, ``hint`` what to do instead."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message

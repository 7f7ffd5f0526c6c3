"""The one error model: :class:`MlprojectError` and the documented :class:`ExitCode`.

Every error mlproject raises for bad input, bad state or a refused request is
an :class:`MlprojectError` (or a subclass): a one-line ``message``, an optional
``hint`` saying what to do instead, and the ``exit_code`` the command ends
with. Code that raises never prints; the CLI's one handler
(:mod:`mlcli.errors`) prints ``mlproject <command>: error: <message>`` and
``hint: <hint>`` and exits with the code. Anything else escaping a command is a
bug (:attr:`ExitCode.INTERNAL`).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum


class ExitCode(IntEnum):
    """Every exit code of the ``mlproject`` command; documented numbers never change."""

    OK = 0
    INVALID = 1
    USAGE = 2
    DRIFT = 3
    CONFLICT = 4
    BREACH = 10
    INTERNAL = 70
    INTERRUPTED = 130

    @property
    def meaning(self) -> str:
        """One line for the README, ``docs/diagnostics.md`` and ``mlproject --help``."""
        return _MEANINGS[self]


_MEANINGS = {
    ExitCode.OK: "success",
    ExitCode.INVALID: "the spec or the input has errors, or a check failed "
    "(diagnostics or an `error:` line printed)",
    ExitCode.USAGE: "command-line usage error",
    ExitCode.DRIFT: "`compile --check` / `plan --detailed-exitcode`: generated files are "
    "out of date",
    ExitCode.CONFLICT: "a generated file was edited by hand, a file mlproject did not "
    "write is in the way, or a manifest names a file mlproject cannot prove it wrote "
    "(`plan` too: compile would refuse)",
    ExitCode.BREACH: "`step monitor`: a monitoring limit is breached",
    ExitCode.INTERNAL: "internal error in mlproject (a bug: please report it)",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C or SIGTERM)",
}


class MlprojectError(Exception):
    """A request mlproject cannot satisfy: ``message`` says why, ``hint`` what to do instead."""

    exit_code: ExitCode = ExitCode.INVALID

    def __init__(
        self, message: str, hint: str | None = None, exit_code: ExitCode | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class UsageError(MlprojectError):
    """The command line asks for something that does not exist (a target, an apiVersion...)."""

    exit_code = ExitCode.USAGE


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A ``did you mean`` hint for a misspelt key, name or enum value, or None."""
    import difflib  # the error path only: a valid spec never needs it

    matches = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None

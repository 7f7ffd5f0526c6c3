"""Runtime errors: what a built-in step raises when its input is bad.

A ``StepError`` carries a one-line message and an exit code; the CLI prints the
message and exits with the code, never a traceback. Anything else escaping a
step is a bug in mlproject.
"""

from __future__ import annotations

EXIT_FAILED = 1  # bad data, bad configuration or a failed gate
EXIT_USAGE = 2  # wrong command-line usage


class StepError(Exception):
    """A step cannot run on its input; the message names the cause and, when possible, a fix."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message

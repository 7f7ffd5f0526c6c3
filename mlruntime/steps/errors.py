"""Runtime errors: what a built-in step raises when its input is bad.

A :class:`StepError` is an :class:`~mlcontract.errors.MlprojectError`: the CLI
prints its message (and hint) on one line and exits with its code (1 unless
given), never a traceback. Anything else escaping a step is a bug in mlproject.
"""

from __future__ import annotations

from mlcontract.errors import MlprojectError


class StepError(MlprojectError):
    """A step cannot run on its input; the message names the cause and, when possible, a fix."""

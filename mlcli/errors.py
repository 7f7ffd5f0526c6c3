"""The one error handler: an :class:`~mlcontract.errors.MlprojectError` becomes two lines.

``mlproject <command>: error: <message>`` and, when the error has one,
``hint: <hint>`` on stderr, then the error's exit code. Every command group of
the CLI is a :class:`Group`, so the handler names the command that failed
(``mlproject step gate``); nothing else in the tree formats an error line.
"""

from __future__ import annotations

from typing import Any

import click

from mlcontract.errors import ExitCode, MlprojectError

_FAILED_IN = "mlproject.failed_in"  # ctx.meta is shared by the whole context chain


def report(error: MlprojectError, command: str) -> None:
    """Print ``error`` as the CLI's one error format."""
    click.echo(f"{command}: error: {error.message}", err=True)
    if error.hint:
        click.echo(f"hint: {error.hint}", err=True)


def _command_name(ctx: click.Context) -> str:
    """``mlproject step gate``: the program, then the names of the commands invoked."""
    names = [ctx.invoked_subcommand] if ctx.invoked_subcommand else []
    while ctx.parent is not None:
        names.insert(0, ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(["mlproject", *names])


class Group(click.Group):
    """A command group whose commands' :class:`MlprojectError` is reported, never a traceback.

    Ctrl-C ends the outermost group with ``interrupted`` and exit 130, as the
    exit-code table says, also at a prompt: left to click, a
    :class:`KeyboardInterrupt` would print ``Aborted!`` and exit 1, the code of a
    spec with errors.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            if ctx.parent is not None:
                raise
            click.echo("interrupted", err=True)
            ctx.exit(ExitCode.INTERRUPTED)
        except click.exceptions.Abort as exc:
            # click.prompt/confirm turn Ctrl-C into Abort (Ctrl-D too: that stays "Aborted!").
            if ctx.parent is not None or not isinstance(exc.__context__, KeyboardInterrupt):
                raise
            click.echo("\ninterrupted", err=True)  # the prompt's line has no newline yet
            ctx.exit(ExitCode.INTERRUPTED)
        except MlprojectError as exc:
            # The innermost group knows which command failed; the outermost reports.
            ctx.meta.setdefault(_FAILED_IN, _command_name(ctx))
            if ctx.parent is not None:
                raise
            report(exc, ctx.meta[_FAILED_IN])
            ctx.exit(exc.exit_code)

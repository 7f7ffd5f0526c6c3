"""Commands imported only when they run or show their help (keeps start-up light)."""

from __future__ import annotations

import importlib
from typing import Any

import click


class LazyCommand(click.Command):
    """A command whose module is imported only when it runs or shows its help."""

    def __init__(self, name: str, module: str, attribute: str, short_help: str) -> None:
        super().__init__(name, short_help=short_help, add_help_option=False)
        self._target = (module, attribute)

    def _load(self) -> click.Command:
        module, attribute = self._target
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        return self._load().make_context(info_name, args, parent, **extra)

    def get_short_help_str(self, limit: int = 45) -> str:
        return self.short_help or ""


def add_lazy(group: click.Group, commands: dict[str, tuple[str, str, str]]) -> None:
    """Add each ``name: (module, attribute, short help)`` to ``group`` as a :class:`LazyCommand`."""
    for name, (module, attribute, short_help) in commands.items():
        group.add_command(LazyCommand(name, module, attribute, short_help))

"""Target registry: the explicit built-ins plus third-party targets from entry points.

A target is a module (or object) with ``NAME``, ``DESCRIPTION`` and a pure
``render(project: ir.Project) -> list[GeneratedFile]``. Built-ins are listed
here, one line each, and imported only when used; third-party targets register
in the ``mlproject.targets`` entry-point group.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, cast

from mlcontract.errors import UsageError, did_you_mean

if TYPE_CHECKING:
    from compiler.generated import GeneratedFile
    from mlcontract import ir

ENTRY_POINT_GROUP = "mlproject.targets"

# name -> module; the order is the order targets run and are listed in.
BUILTIN_TARGETS: dict[str, str] = {
    "config": "targets.config",
    "docs": "targets.docs",
    "dvc": "targets.dvc",
    "github": "targets.github",
    "mlserver": "targets.mlserver",
    "kserve": "targets.kserve",
    "prometheus": "targets.prometheus",
}


class Target(Protocol):
    NAME: str
    DESCRIPTION: str

    def render(self, project: ir.Project) -> Sequence[GeneratedFile]: ...


class UnknownTargetError(UsageError):
    """A target name that no built-in and no installed plugin provides."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        self.name = name
        self.known = tuple(known)
        hint = did_you_mean(name, self.known) or f"known targets: {', '.join(self.known)}"
        super().__init__(f"unknown target '{name}' ({hint})")


@functools.cache
def _third_party() -> dict[str, str]:
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available_targets() -> dict[str, str]:
    """Every target name → where it is defined (built-ins first); reads the entry points."""
    found = dict(BUILTIN_TARGETS)
    for name, value in sorted(_third_party().items()):
        found.setdefault(name, value)
    return found


def check_names(names: Sequence[str]) -> None:
    """Raise :class:`UnknownTargetError` for the first name no target answers to.

    Built-in names need no lookup; the entry points are read only when a name
    is not built in (a third-party target runs only when named).
    """
    for name in names:
        if name not in BUILTIN_TARGETS and name not in available_targets():
            raise UnknownTargetError(name, list(available_targets()))


def selected_targets(names: Sequence[str]) -> tuple[list[str], bool]:
    """The targets a compile runs for ``--target`` ``names``, and whether that is a subset.

    Every built-in target when none is named; otherwise the names, checked
    (:func:`check_names`), once each, in the order given.
    """
    check_names(names)
    chosen = list(dict.fromkeys(names)) if names else list(BUILTIN_TARGETS)
    return chosen, bool(names) and set(chosen) != set(BUILTIN_TARGETS)


def load_target(name: str) -> Target:
    """The target ``name``: a built-in, else a third-party one from the entry points."""
    where = BUILTIN_TARGETS.get(name) or available_targets().get(name)
    if where is None:
        raise UnknownTargetError(name, list(available_targets()))
    module_name, _, attribute = where.partition(":")
    loaded: object = importlib.import_module(module_name)
    if attribute:
        loaded = getattr(loaded, attribute)
    return cast("Target", loaded)

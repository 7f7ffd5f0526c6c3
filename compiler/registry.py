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

if TYPE_CHECKING:
    from compiler import ir
    from compiler.emit import GeneratedFile

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


class UnknownTargetError(LookupError):
    def __init__(self, name: str, known: Sequence[str]) -> None:
        self.name = name
        self.known = tuple(known)
        super().__init__(name)


@functools.cache
def _third_party() -> dict[str, str]:
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available_targets() -> dict[str, str]:
    """Every target name → where it is defined (built-ins first)."""
    found = dict(BUILTIN_TARGETS)
    for name, value in sorted(_third_party().items()):
        found.setdefault(name, value)
    return found


def load_target(name: str, known: dict[str, str] | None = None) -> Target:
    known = known if known is not None else available_targets()
    if name not in known:
        raise UnknownTargetError(name, sorted(known))
    module_name, _, attribute = known[name].partition(":")
    loaded: object = importlib.import_module(module_name)
    if attribute:
        loaded = getattr(loaded, attribute)
    return cast("Target", loaded)

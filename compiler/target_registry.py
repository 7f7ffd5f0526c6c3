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


_SECTION = f"[{ENTRY_POINT_GROUP}]"


def _may_declare_targets() -> bool:
    """False only when no installed distribution can declare an ``mlproject.targets`` entry point.

    ``importlib.metadata.entry_points()`` costs a cold compile ~30 ms (its import,
    then parsing every distribution's metadata), and almost every environment has
    no third-party target. Distributions on ``sys.path`` directories are found
    the way ``importlib.metadata`` finds them (``*.dist-info`` / ``*.egg-info``
    folders) and only their ``entry_points.txt`` is searched for the group's
    section. Anything this does not read the same way (a zip or other file on
    ``sys.path``, an import hook that provides distributions) answers True, and
    ``importlib.metadata`` decides.
    """
    import os
    import sys

    for finder in sys.meta_path:
        if (
            hasattr(finder, "find_distributions")
            and finder.__module__ != "_frozen_importlib_external"
        ):
            return True
    for entry in sys.path:
        folder = entry or "."
        try:
            with os.scandir(folder) as children:
                names = [
                    c.name for c in children if c.name.lower().endswith((".dist-info", ".egg-info"))
                ]
        except NotADirectoryError:
            return True  # a zip on sys.path: let importlib.metadata read it
        except OSError:
            continue  # a missing folder holds no distribution
        for name in names:
            try:
                with open(os.path.join(folder, name, "entry_points.txt"), "rb") as handle:
                    if _SECTION.encode() in handle.read():
                        return True
            except OSError:
                continue
    return False


@functools.cache
def _third_party() -> dict[str, str]:
    if not _may_declare_targets():
        return {}
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

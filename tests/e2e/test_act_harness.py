"""The act harness's copy of the tree keeps every package the wheel must hold."""

from __future__ import annotations

import os
from pathlib import Path

from tests.e2e.act_harness import ROOT, _not_packaged

PACKAGES = ("compiler", "targets", "mlcontract", "mlruntime", "mlcli")


def _copied(top: Path) -> set[Path]:
    """Every folder the harness's copytree would take, walking as it does."""
    kept: set[Path] = set()
    for directory, names, _ in os.walk(top):
        ignored = _not_packaged(directory, names)
        names[:] = [n for n in names if n not in ignored]
        kept.update(Path(directory, n) for n in names)
    return kept


def test_every_package_folder_is_copied_for_the_wheel() -> None:
    """A package folder named like a top-level folder the wheel leaves out (targets/docs,
    the model card's target) is still copied: the PR-check job imports it."""
    copied = _copied(ROOT)
    packages = {
        init.parent
        for name in PACKAGES
        for init in (ROOT / name).rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert ROOT / "targets" / "docs" in packages
    assert packages <= copied
    assert not {ROOT / "tests", ROOT / "docs", ROOT / "bench", ROOT / "examples"} & copied

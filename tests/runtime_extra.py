"""Test modules that need the runtime extra skip, with the reason, when it is not installed.

``tests/runtime`` and ``tests/e2e`` import scikit-learn, pandas, NumPy, DVC...
at module level. With only the base install (``pip install -e .``) each of their
modules is reported as skipped with the command that installs what it needs,
instead of failing to import (``tests/unit`` collects with the base install).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

RUNTIME_MODULES = ("numpy", "pandas", "pyarrow", "scipy", "sklearn", "joblib", "dvc", "gto")
REASON = "needs the runtime extra ({}): pip install -e '.[runtime]'"


def missing() -> list[str]:
    return [name for name in RUNTIME_MODULES if importlib.util.find_spec(name) is None]


class NeedsRuntime(pytest.File):
    """A test module collected as one skip: the runtime extra is missing."""

    def collect(self) -> list[pytest.Item]:
        raise pytest.skip.Exception(REASON.format(", ".join(missing())), allow_module_level=True)


def skip_without_runtime(module_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """The ``pytest_pycollect_makemodule`` hook of the runtime and e2e folders."""
    if missing():
        return NeedsRuntime.from_parent(parent, path=module_path)
    return None

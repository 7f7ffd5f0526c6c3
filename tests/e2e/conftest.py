"""Without the runtime extra, every module here is one skip with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runtime_extra import skip_without_runtime


def pytest_pycollect_makemodule(
    module_path: Path, parent: pytest.Collector
) -> pytest.Collector | None:
    return skip_without_runtime(module_path, parent)

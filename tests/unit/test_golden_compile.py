"""Golden trees: every example compiled with every target, compared as bytes.

Refresh deliberately with ``python -m pytest tests/unit/test_golden_compile.py --update-goldens``
and review the diff like any other change.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compiler.pipeline import compile_specs
from compiler.target_registry import available_targets
from tests.goldens import check_golden_tree

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "compile"
EXAMPLES = sorted(p.parent.name for p in (ROOT / "examples").glob("*/mlproject.yaml"))


def _generated(work: Path, inputs: set[Path]) -> dict[str, bytes]:
    return {
        p.relative_to(work).as_posix(): p.read_bytes()
        for p in sorted(work.rglob("*"))
        if p.is_file() and p not in inputs and ".git" not in p.relative_to(work).parts
    }


@pytest.mark.parametrize("example", EXAMPLES)
def test_golden_tree(example: str, tmp_path: Path, update_goldens: bool) -> None:
    work = tmp_path / example
    shutil.copytree(ROOT / "examples" / example, work)
    (work / ".git").mkdir()
    inputs = {p for p in work.rglob("*") if p.is_file()}
    report = compile_specs([work / "mlproject.yaml"], work, list(available_targets()))
    assert not report.has_errors, report.all_diagnostics
    produced = _generated(work, inputs)
    golden = GOLDEN / example
    check_golden_tree(produced, golden, update=update_goldens)

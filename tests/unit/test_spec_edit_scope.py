"""A one-value spec edit changes only the generated files that depend on that value.

Headers name the spec but not its hash (the manifest keeps hashes), so a pull
request that edits one value lists only the files the value reaches.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compiler.pipeline import compile_specs
from compiler.target_registry import available_targets

ROOT = Path(__file__).resolve().parents[2]


def _tree(work: Path) -> dict[str, bytes]:
    return {
        p.relative_to(work).as_posix(): p.read_bytes()
        for p in work.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(work).parts
    }


def _compile(work: Path) -> dict[str, bytes]:
    report = compile_specs([work / "mlproject.yaml"], work, list(available_targets()))
    assert not report.has_errors, report.all_diagnostics
    return _tree(work)


# (old text, new text, the files that must change: the spec and its manifest aside)
EDITS = [
    pytest.param(
        "p95_ms: 50",
        "p95_ms: 60",
        {
            "MODEL_CARD.md",  # states the latency limits
            "mlproject.compiled.json",  # the resolved project the steps read
            "monitoring/prometheus/rules.yaml",  # the p95 latency alert
            "monitoring/prometheus/rules.test.yaml",  # its promtool unit test
            "deploy/kserve/prometheusrule.yaml",  # the same rules as a PrometheusRule
        },
        id="latency-limit",
    ),
    pytest.param(
        "default: {method: psi, threshold: 0.2}",
        "default: {method: psi, threshold: 0.25}",
        {"MODEL_CARD.md", "mlproject.compiled.json"},
        id="drift-threshold",
    ),
]


@pytest.mark.parametrize(("old", "new", "affected"), EDITS)
def test_a_one_value_edit_changes_only_the_files_it_affects(
    tmp_path: Path, old: str, new: str, affected: set[str]
) -> None:
    work = tmp_path / "churn"
    shutil.copytree(ROOT / "examples" / "churn", work)
    (work / ".git").mkdir()
    before = _compile(work)
    spec = work / "mlproject.yaml"
    text = spec.read_text(encoding="utf-8")
    assert text.count(old) == 1
    spec.write_text(text.replace(old, new), encoding="utf-8")
    after = _compile(work)
    changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    assert changed == affected | {"mlproject.yaml", ".mlproject/manifest.json"}
    assert len(after) - len(changed) > 10  # most of the tree is untouched

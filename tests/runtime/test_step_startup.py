"""What a pipeline step process pays before its work: the imports and the frame stack.

``dvc repro`` starts one ``mlproject`` process per stage. The light ones (the
gate, and the ``champion`` stage that runs on every repro) must not import the
ML stack, the compile path or, with nothing promoted, GTO and PyYAML; and every
command runs with room on CPython's frame stack (see
``mlcli.app._with_stack_headroom``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.pipeline import compile_specs
from mlcontract import pipeline_layout as layout
from tests.probes import cli_modules, probe, within

ROOT = Path(__file__).resolve().parents[2]
# Neither light stage needs any of these: the ML stack, GTO, and the compile path.
NOT_NEEDED = (
    "sklearn",
    "pandas",
    "numpy",
    "scipy",
    "pyarrow",
    "joblib",
    "dvc",
    "gto",
    "mlserver",
    "pydantic",
    "jinja2",
    "jsonschema",
    "croniter",
    "compiler.spec",
    "compiler.lower",
    "compiler.pipeline",
    "compiler.emit",
    "targets",
)


@pytest.fixture(scope="module")
def churn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Compiled churn (config + dvc targets) in a git repository with nothing promoted."""
    project = tmp_path_factory.mktemp("startup") / "churn"
    shutil.copytree(ROOT / "examples" / "churn", project)
    report = compile_specs([project / "mlproject.yaml"], project, ["config", "dvc"])
    assert not report.has_errors
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    (project / "metrics").mkdir()
    model = {"roc_auc": 0.83, "brier": 0.15, "precision": 0.63, "recall": 0.59}
    (project / layout.METRICS_MODEL).write_text(json.dumps(model))
    (project / layout.METRICS_BASELINE).write_text(json.dumps({"roc_auc": 0.5, "brier": 0.25}))
    return project


def imported(project: Path, *args: str) -> set[str]:
    code, modules = cli_modules(*args, cwd=project)
    assert code in (0, None), code
    return modules


def test_gate_step_imports_neither_the_ml_stack_nor_the_compile_path(churn: Path) -> None:
    champion = str(churn / layout.CHAMPION_METRICS)
    modules = imported(churn, "step", "gate", "--champion-metrics", champion)
    assert "mlruntime.steps.gate" in modules
    assert within(modules, NOT_NEEDED) == []
    assert within(modules, ("mlruntime.lineage", "mlcli.models")) == []


def test_champion_stage_with_nothing_promoted_asks_git_only(churn: Path) -> None:
    modules = imported(churn, "champion", "--out", layout.CHAMPION_METRICS)
    assert json.loads((churn / layout.CHAMPION_METRICS).read_text()) == {}
    assert "mlruntime.lineage.champion" in modules
    assert within(modules, NOT_NEEDED) == []
    # GTO, PyYAML (dvc.lock) and the lineage readers only once a version is promoted.
    lazy = ("yaml", "mlruntime.lineage.lineage", "mlcli.steps", "mlruntime.steps")
    assert within(modules, lazy) == []


# `leaf` has a frame of ~60 words, more than one level of `down`: whichever depth puts
# `loop` last in a chunk, some depth then leaves too little room for `leaf` after it.
LEAF = "def leaf():\n    " + " = ".join(f"v{i}" for i in range(48)) + " = None\n"
HEADROOM_PROBE = (
    """
import json, resource
from mlcli.app import _with_stack_headroom

CALLS = 2000
"""
    + LEAF
    + """
def loop():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(CALLS):
        leaf()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

def down(depth):
    return down(depth - 1) if depth else loop()

def worst():
    # Most page faults of CALLS calls at any depth: ~1 per call where each call
    # needs a fresh CPython frame chunk and frees it on return.
    return max(down(depth) for depth in range(400))

found = {"plain": worst()}
_with_stack_headroom(lambda: found.update(headroom=worst()))
print("RESULT=" + json.dumps(found))
"""
)


@pytest.mark.skipif(sys.platform == "win32", reason="page-fault counts need resource")
def test_commands_run_clear_of_frame_chunk_boundaries() -> None:
    faults = probe(HEADROOM_PROBE, cwd=ROOT)
    if faults["plain"] < 1000:
        pytest.skip(f"this interpreter does not free frame chunks on return ({faults})")
    assert faults["headroom"] < 100, faults

"""The compile path stays light: validate and compile never import the runtime stack,
and a valid spec is validated and compiled without defining a pydantic model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.examples import with_mlflow
from tests.probes import probe

ROOT = Path(__file__).resolve().parents[2]
HEAVY = (
    "sklearn",
    "pandas",
    "dvc",
    "mlserver",
    "scipy",
    "numpy",
    "joblib",
    "pyarrow",
    "gto",
    "mlflow",
)

# argv: the mlproject command line. Prints every module the command imported.
PROBE = """
import json, sys
from mlcli.app import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print("RESULT=" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def imported(*args: str, cwd: Path) -> list[str]:
    result = probe(PROBE, *args, cwd=cwd)
    assert result["code"] in (0, None), result["code"]
    modules: list[str] = result["modules"]
    return modules


def copy_example(name: str, tmp_path: Path) -> Path:
    work = tmp_path / name
    shutil.copytree(ROOT / "examples" / name, work)
    (work / ".git").mkdir()  # its own output root
    return work


@pytest.mark.parametrize("mirrored", [False, True], ids=["plain", "mlflow"])
@pytest.mark.parametrize("command", ["validate", "compile"])
def test_compile_path_imports_no_runtime_library(
    command: str, mirrored: bool, tmp_path: Path
) -> None:
    work = copy_example("churn", tmp_path)
    if mirrored:  # an mlflow: section and the MLflow model format import no MLflow either
        spec = work / "mlproject.yaml"
        spec.write_text(with_mlflow(spec.read_text()))
    args = [command, str(work / "mlproject.yaml")]
    if command == "compile":
        args += ["--root", str(work)]
    modules = imported(*args, cwd=tmp_path)
    assert sorted({m.split(".")[0] for m in modules} & set(HEAVY)) == []


def pydantic_models_and_croniter(modules: list[str]) -> list[str]:
    """What a valid spec must not need: pydantic's model machinery, croniter."""
    return [
        m
        for m in modules
        if m in ("pydantic.main", "pydantic.fields")
        or m.startswith(("pydantic._internal", "croniter"))
    ]


@pytest.mark.parametrize("example", ["churn", "demand", "minimal"])
def test_valid_spec_is_validated_without_building_pydantic_models(example: str) -> None:
    """The valid path runs the generated validator (compiler/spec/v1_compiled.py): pydantic-core
    only. Defining the spec models alone costs ~90 ms, most of a cold ``mlproject validate``;
    every schedule of the examples is read without croniter."""
    spec = ROOT / "examples" / example / "mlproject.yaml"
    assert pydantic_models_and_croniter(imported("validate", str(spec), cwd=ROOT)) == []


@pytest.mark.parametrize("example", ["churn", "demand", "minimal"])
def test_compile_builds_no_pydantic_model_and_reads_schedules_without_croniter(
    example: str, tmp_path: Path
) -> None:
    """Spec (generated validator) and IR (dataclasses) are pydantic-free; the monitoring
    schedules of the examples are read by compiler.cron, not croniter (~10 ms to import)."""
    work = copy_example(example, tmp_path)
    args = ["compile", "--no-cache", "--root", str(work), str(work / "mlproject.yaml")]
    assert pydantic_models_and_croniter(imported(*args, cwd=ROOT)) == []

"""The compile path stays light: validate and compile never import the runtime stack,
and the schedules of the examples are read without croniter."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.examples import with_mlflow
from tests.probes import cli_modules

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


def imported(*args: str, cwd: Path) -> list[str]:
    code, modules = cli_modules(*args, cwd=cwd)
    assert code in (0, None), code
    return sorted(modules)


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


def croniter_modules(modules: list[str]) -> list[str]:
    return [m for m in modules if m.startswith("croniter")]


@pytest.mark.parametrize("example", ["churn", "demand", "minimal"])
def test_validate_and_compile_read_schedules_without_croniter(example: str, tmp_path: Path) -> None:
    """The examples' schedules are read by compiler.cron, not croniter (docs/benchmarks.md)."""
    spec = ROOT / "examples" / example / "mlproject.yaml"
    assert croniter_modules(imported("validate", str(spec), cwd=ROOT)) == []
    work = copy_example(example, tmp_path)
    args = ["compile", "--no-cache", "--root", str(work), str(work / "mlproject.yaml")]
    assert croniter_modules(imported(*args, cwd=ROOT)) == []


def test_validate_does_not_build_the_ir(tmp_path: Path) -> None:
    """validate stops before lower: it imports neither the IR, its codec nor a target."""
    modules = imported("validate", str(ROOT / "examples" / "churn" / "mlproject.yaml"), cwd=ROOT)
    assert [m for m in modules if m in {"mlcontract.ir", "mlcontract.ir_codec"}] == []
    assert [m for m in modules if m == "targets" or m.startswith("targets.")] == []

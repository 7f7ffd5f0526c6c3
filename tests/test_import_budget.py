"""The compile path stays light: validate and compile never import the runtime stack."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("sklearn", "pandas", "dvc", "mlserver", "scipy", "numpy", "joblib", "pyarrow", "gto")

PROBE = """
import json, sys
from compiler.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
heavy = sorted({m.split('.')[0] for m in sys.modules} & set(json.loads(HEAVY)))
print("HEAVY=" + json.dumps(heavy))
"""


@pytest.mark.parametrize("command", ["validate", "compile"])
def test_compile_path_imports_no_runtime_library(command: str, tmp_path: Path) -> None:
    work = tmp_path / "churn"
    shutil.copytree(ROOT / "examples" / "churn", work)
    args = [command, str(work / "mlproject.yaml")]
    if command == "compile":
        args += ["--root", str(work)]
    probe = PROBE.replace("json.loads(HEAVY)", f"json.loads({json.dumps(json.dumps(HEAVY))})")
    out = subprocess.run(
        [sys.executable, "-c", probe, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith("HEAVY="))
    assert json.loads(line.removeprefix("HEAVY=")) == [], out.stdout + out.stderr


VALID_PATH_PROBE = """
import json, sys
from compiler.cli import main
try:
    main(["validate", sys.argv[1]])
except SystemExit as exc:
    assert exc.code == 0, exc.code
loaded = sorted(m for m in sys.modules if m.startswith(("pydantic", "croniter")))
print("MODULES=" + json.dumps(loaded))
"""


@pytest.mark.parametrize("example", ["churn", "demand", "minimal"])
def test_valid_spec_is_validated_without_building_pydantic_models(example: str) -> None:
    """The valid path runs the generated validator (compiler/spec/v1_compiled.py): pydantic-core
    only. Defining the spec models alone costs ~90 ms, most of a cold ``mlproject validate``."""
    spec = ROOT / "examples" / example / "mlproject.yaml"
    out = subprocess.run(
        [sys.executable, "-c", VALID_PATH_PROBE, str(spec)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    line = next((x for x in out.stdout.splitlines() if x.startswith("MODULES=")), None)
    assert line is not None, out.stdout + out.stderr
    modules = json.loads(line.removeprefix("MODULES="))
    assert "pydantic.main" not in modules and "pydantic.fields" not in modules, modules
    assert not [m for m in modules if m.startswith("pydantic._internal")], modules
    assert "croniter" not in modules, "every schedule of the examples is read without croniter"


COMPILE_PROBE = """
import json, sys
from compiler.cli import main
try:
    main(["compile", "--no-cache", "--root", sys.argv[1], sys.argv[2]])
except SystemExit as exc:
    assert exc.code == 0, exc.code
loaded = sorted(m for m in sys.modules if m.startswith(("pydantic", "croniter")))
print("MODULES=" + json.dumps(loaded))
"""


@pytest.mark.parametrize("example", ["churn", "demand", "minimal"])
def test_compile_builds_no_pydantic_model_and_reads_schedules_without_croniter(
    example: str, tmp_path: Path
) -> None:
    """Spec (generated validator) and IR (dataclasses) are pydantic-free; the monitoring
    schedules of the examples are read by compiler.cron, not croniter (~10 ms to import)."""
    work = tmp_path / example
    shutil.copytree(ROOT / "examples" / example, work)
    (work / ".git").mkdir()
    out = subprocess.run(
        [sys.executable, "-c", COMPILE_PROBE, str(work), str(work / "mlproject.yaml")],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    line = next((x for x in out.stdout.splitlines() if x.startswith("MODULES=")), None)
    assert line is not None, out.stdout + out.stderr
    modules = json.loads(line.removeprefix("MODULES="))
    assert "pydantic.main" not in modules and "pydantic.fields" not in modules, modules
    assert "croniter" not in modules, modules

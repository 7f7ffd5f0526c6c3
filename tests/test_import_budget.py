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

"""Run a snippet of Python in a fresh interpreter and read back what it found.

Import-cost tests must look at ``sys.modules`` of a new process: the test
process has imported everything already. A probe prints one line
``RESULT=<json>``; :func:`probe` returns that JSON, or fails the test with the
probe's whole output when there is no such line (a traceback, a wrong exit).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MARKER = "RESULT="

# argv: an ``mlproject`` command line. Prints its exit code and every module it imported.
CLI_MODULES = """
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


def probe(code: str, *args: str, cwd: Path, env: Mapping[str, str] | None = None) -> Any:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=dict(env) if env is not None else None,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith(MARKER)), None)
    assert line is not None, f"exit {done.returncode}\n{done.stdout}{done.stderr}"
    return json.loads(line.removeprefix(MARKER))


def cli_modules(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None
) -> tuple[Any, set[str]]:
    """(exit code, modules imported) of ``mlproject ARGS`` run in a fresh interpreter."""
    result = probe(CLI_MODULES, *args, cwd=cwd, env=env)
    return result["code"], set(result["modules"])


def within(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    """The modules that are one of ``packages`` or inside one, sorted."""
    return sorted(m for m in modules if any(m == n or m.startswith(f"{n}.") for n in packages))

"""The layers of docs/architecture.md hold: import-linter's contracts in pyproject.toml, and
only the CLI prints (an AST scan of every other package)."""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = (  # the `lint-imports` command, with this interpreter
    "import sys; from importlinter.cli import lint_imports_command as run; sys.exit(run())"
)


def test_import_contracts_are_kept() -> None:
    if importlib.util.find_spec("importlinter") is None:
        pytest.skip("import-linter is not installed: pip install -e '.[test]'")
    done = subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--no-cache"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


# Packages below the CLI: they return results and raise MlprojectError, never print or exit.
SILENT_PACKAGES = ("compiler", "targets", "mlcontract", "mlruntime")
TERMINAL_MODULES = {"click", "rich", "typer", "colorama"}
TERMINAL_NAMES = {"print", "exit", "quit", "breakpoint"}
SYS_TERMINAL = {"stdout", "stderr", "__stdout__", "__stderr__", "exit"}
ALLOWED = {  # (file, finding) -> why it is not output for a person
    ("mlruntime/serving/calibration.py", "print()"): (
        "the calibration server is a subprocess whose first stdout line is its port, "
        "read by its parent through a pipe"
    ),
}


def _terminal_uses(tree: ast.AST) -> list[tuple[int, str]]:
    """Each print/exit call, sys.stdout/stderr/exit use and click-like import, with its line."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in TERMINAL_NAMES:
                found.append((node.lineno, f"{node.func.id}()"))
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "sys" and node.attr in SYS_TERMINAL:
                found.append((node.lineno, f"sys.{node.attr}"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.partition(".")[0] in TERMINAL_MODULES:
                    found.append((node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            top = node.module.partition(".")[0]
            names = {alias.name for alias in node.names}
            if top in TERMINAL_MODULES or (top == "sys" and names & SYS_TERMINAL):
                found.append((node.lineno, f"from {node.module} import ..."))
    return found


def test_only_the_cli_prints_exits_or_imports_click() -> None:
    """Runtime and compile-time code return results and raise; ``mlcli/`` renders and exits."""
    offending: list[str] = []
    allowed_seen: set[tuple[str, str]] = set()
    for package in SILENT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            tree = ast.parse(path.read_text(encoding="utf-8"), relative)
            for line, what in _terminal_uses(tree):
                if (relative, what) in ALLOWED:
                    allowed_seen.add((relative, what))
                else:
                    offending.append(f"{relative}:{line}: {what}")
    assert not offending, "only mlcli/ may print, exit or draw:\n" + "\n".join(offending)
    assert allowed_seen == set(ALLOWED), "an allowed exception is gone: drop it from ALLOWED"


def test_the_terminal_scan_finds_what_it_forbids() -> None:
    source = (
        "import sys\nimport click\nfrom rich.console import Console\nfrom sys import exit\n"
        "print('x')\nsys.stderr.write('x')\nsys.exit(2)\n"
    )
    found = [what for _, what in _terminal_uses(ast.parse(source))]
    assert sorted(found) == sorted(
        [
            "import click",
            "from rich.console import ...",
            "from sys import ...",
            "print()",
            "sys.stderr",
            "sys.exit",
        ]
    )
    assert _terminal_uses(ast.parse("text = 'print(1); sys.exit(2)'\nlog.print = 1\n")) == []

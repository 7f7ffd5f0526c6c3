"""The shared set-ups that tests/conftest.py groups on one xdist worker still exist.

A renamed or moved fixture would silently drop its group (the set-up then runs once
per worker again): each entry must name a module- or session-scoped fixture where
it says. Read with ``ast``, so that the base install checks the e2e modules too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import SHARED_SETUPS

ROOT = Path(__file__).resolve().parents[2]


def _fixture_scope(function: ast.FunctionDef) -> str | None:
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "pytest.fixture":
            for keyword in decorator.keywords:
                if keyword.arg == "scope" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
            return "function"
        if ast.unparse(decorator) == "pytest.fixture":
            return "function"
    return None


@pytest.mark.parametrize("setup", SHARED_SETUPS)
def test_each_shared_setup_is_a_module_or_session_fixture(setup: str) -> None:
    module, _, name = setup.rpartition(".")
    path = ROOT.joinpath(*module.split(".")).with_suffix(".py")
    assert path.is_file(), f"{setup}: no {path.relative_to(ROOT)}"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
    assert functions, f"{setup}: no function {name} in {path.relative_to(ROOT)}"
    assert _fixture_scope(functions[0]) in {"module", "session"}, setup

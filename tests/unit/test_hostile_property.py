"""Property: any spec the validator accepts compiles, all the way to disk, without a crash.

A crash is exit 70 ("internal error"): any exception other than the coded
diagnostics. Specs are the examples with one to three edits whose values come
from the ordinary mutations plus hostile ones (shell and expression injection,
control and bidi characters, huge and non-finite numbers, paths that escape,
long text). Whatever validates must then render every built-in target and be
emitted into a fresh output tree; whatever does not must say why with a code.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.pipeline import compile_specs, validate_text
from compiler.target_registry import BUILTIN_TARGETS
from tests.mutations import VALUES, mutate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.parent.name for p in (ROOT / "examples").glob("*/mlproject.yaml"))

HOSTILE = st.one_of(
    VALUES,
    st.sampled_from(
        [
            "$(id)",
            "`id`",
            "${{ github.token }}",
            "'; rm -rf / #",
            '"\n  evil: true',
            "a\u202eb",
            "\u00e9\u4e2d\U0001f600",
            "../../etc/passwd",
            "/etc/passwd",
            ".git/HEAD",
            "C:\\x",
            "x" * 3000,
            "*/1 * * * *",
            "0 0 31 2 *",
            "{{ 7*7 }}",
            "<script>alert(1)</script>",
            "-->",
            "--",
            "| cat /etc/passwd",
            "null",
            "",
        ]
    ),
    st.sampled_from([2**31, 2**32, 2**63, 2**64, -(2**63), 0, -1, 1e308, -1e308, 5e-324]),
    st.text(min_size=1, max_size=40),
)
EDIT = st.tuples(
    st.integers(0, 10**6),
    st.sampled_from(("delete", "replace", "add_key", "rename", "replace", "replace")),
    HOSTILE,
    st.text(min_size=1, max_size=12),
)


@settings(
    max_examples=int(os.environ.get("MLPROJECT_HOSTILE_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(example=st.sampled_from(EXAMPLES), edits=st.lists(EDIT, min_size=1, max_size=3))
def test_accepted_specs_compile_without_exit_70(
    tmp_path_factory: Any, example: str, edits: list[tuple[int, str, Any, str]]
) -> None:
    data = yaml.safe_load((ROOT / "examples" / example / "mlproject.yaml").read_text("utf-8"))
    mutate(data, edits)
    try:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    except (yaml.YAMLError, ValueError):
        return  # not a document YAML can write (e.g. a lone surrogate): nothing to compile
    result = validate_text(text, "mlproject.yaml")
    if not result.ok:
        assert result.diagnostics
        assert all(d.code.startswith("MLP") and d.message for d in result.diagnostics)
        return
    work = tmp_path_factory.mktemp("spec")
    shutil.copytree(ROOT / "examples" / example / "data", work / "data")
    (work / ".git").mkdir()
    (work / "mlproject.yaml").write_text(text, encoding="utf-8")
    report = compile_specs([work / "mlproject.yaml"], work, list(BUILTIN_TARGETS), jobs=1)
    for diagnostic in report.all_diagnostics:  # e.g. a path check after rendering: coded
        assert diagnostic.code.startswith("MLP") and diagnostic.message
        assert "internal error" not in diagnostic.message

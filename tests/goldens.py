"""Golden trees: generated files compared as bytes with a committed copy.

Refreshed only by pytest's explicit ``--update-goldens`` flag, never silently.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from compiler.emit import with_header
from compiler.generated import GeneratedFile

# One golden tree per example: what `mlproject compile` writes for it
# (tests/unit/test_golden_compile.py refreshes it with --update-goldens).
COMPILE_GOLDEN = Path(__file__).resolve().parent / "golden" / "compile"


def check_golden_tree(produced: Mapping[str, bytes], golden: Path, *, update: bool) -> None:
    """Assert ``produced`` (relative POSIX path → bytes) equals the tree under ``golden``.

    With ``update``, rewrite ``golden`` from ``produced`` instead.
    """
    if update:
        shutil.rmtree(golden, ignore_errors=True)
        for rel, content in produced.items():
            (golden / rel).parent.mkdir(parents=True, exist_ok=True)
            (golden / rel).write_bytes(content)
        return
    # an empty output has no directory in git: then the comparison below decides
    assert golden.is_dir() or not produced, (
        f"no golden tree at {golden}: run pytest with --update-goldens"
    )
    expected = {
        p.relative_to(golden).as_posix(): p.read_bytes()
        for p in sorted(golden.rglob("*"))
        if p.is_file()
    }
    assert sorted(produced) == sorted(expected), "generated file set changed (--update-goldens)"
    for rel, content in expected.items():
        assert produced[rel] == content, f"{golden.name}/{rel} differs from its golden copy"


def check_compile_golden(files: Iterable[GeneratedFile], example: str, prefix: str = "") -> None:
    """Each of a target's ``files``, as compile writes it, equals its copy in the example's
    compile golden tree (one tree per example, refreshed by test_golden_compile).

    ``prefix``: the project's directory in the paths the target rendered, if any.
    """
    golden = COMPILE_GOLDEN / example
    for file in files:
        relative = file.path.removeprefix(prefix)
        path = golden / relative
        assert path.is_file(), f"{relative} not in {golden}: run pytest with --update-goldens"
        assert with_header(file, "mlproject.yaml") == path.read_bytes(), (
            f"{example}/{relative} differs from its golden copy (--update-goldens)"
        )

"""Negative cases as files: each invalid spec beside the exact diagnostics it produces.

``tests/negative/<case>.yaml`` is validated (load → validate → check) and its
diagnostics, rendered as text without excerpts, must equal
``tests/negative/<case>.expected`` byte for byte. ``pytest --update-goldens``
rewrites the expected files instead; review the diff like any other change.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from compiler.diagnostics import format_text
from compiler.pipeline import validate_file

NEGATIVE = Path(__file__).parents[1] / "negative"
CASES = sorted(NEGATIVE.glob("*.yaml"))


def _render(case: Path) -> str:
    result = validate_file(case, display=f"tests/negative/{case.name}")
    return format_text(result.diagnostics, excerpt=False)


@pytest.mark.parametrize("case", CASES, ids=lambda path: path.stem)
def test_negative_case(case: Path, update_goldens: bool) -> None:
    actual = _render(case)
    assert actual, f"{case.name} is a negative case but produces no diagnostics"
    expected_file = case.with_suffix(".expected")
    if update_goldens:
        expected_file.write_text(actual, encoding="utf-8", newline="\n")
        return
    assert expected_file.is_file(), f"missing {expected_file}; run pytest --update-goldens"
    expected = expected_file.read_text(encoding="utf-8")
    assert actual == expected, f"diagnostics of {case.name} changed; see --update-goldens"


def test_every_expected_file_has_its_case() -> None:
    orphans = {p.stem for p in NEGATIVE.glob("*.expected")} - {p.stem for p in CASES}
    assert not orphans


def test_cases_cover_every_schema_and_rule_code() -> None:
    assert len(CASES) >= 45
    covered = {
        code
        for expected in NEGATIVE.glob("*.expected")
        for code in re.findall(r"\[(MLP\d{3})\]", expected.read_text(encoding="utf-8"))
    }
    wanted = {f"MLP{n}" for n in [*range(100, 106), *range(201, 232), 234]}
    assert not wanted - covered, sorted(wanted - covered)

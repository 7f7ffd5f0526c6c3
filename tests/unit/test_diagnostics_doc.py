"""docs/diagnostics.md is generated from the code catalogue; the committed file must be current."""

from __future__ import annotations

from pathlib import Path

from compiler.codes import REGENERATE_DIAGNOSTICS_DOC, all_codes, render_diagnostics_markdown

DOC = Path(__file__).parents[2] / "docs" / "diagnostics.md"


def test_committed_diagnostics_doc_is_current() -> None:
    rendered = render_diagnostics_markdown()
    committed = DOC.read_text(encoding="utf-8") if DOC.is_file() else ""
    assert committed == rendered, (
        f"docs/diagnostics.md is stale; regenerate it with:\n  {REGENERATE_DIAGNOSTICS_DOC}"
    )


def test_every_code_has_a_section_and_the_exit_codes_are_listed() -> None:
    rendered = render_diagnostics_markdown()
    for code, doc in all_codes().items():
        assert f"### {code}: {doc.title}\n" in rendered
    for row in ("| 0 |", "| 1 |", "| 2 |", "| 3 |", "| 4 |"):
        assert row in rendered
    assert rendered.endswith("\n")
    assert not rendered.endswith("\n\n")
    assert "\r" not in rendered

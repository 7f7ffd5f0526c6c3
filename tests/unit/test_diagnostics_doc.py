"""docs/diagnostics.md is generated from the code catalogue; the committed file must be current."""

from __future__ import annotations

from pathlib import Path

from compiler.codes import (
    REGENERATE_DIAGNOSTICS_DOC,
    all_codes,
    exit_code_table,
    render_diagnostics_markdown,
)
from mlcontract.errors import ExitCode

DOC = Path(__file__).parents[2] / "docs" / "diagnostics.md"
README = Path(__file__).parents[2] / "README.md"


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
    for code in ExitCode:
        assert f"| {code.value} | {code.meaning} |" in rendered
    assert rendered.endswith("\n")
    assert not rendered.endswith("\n\n")
    assert "\r" not in rendered


def test_readme_lists_every_exit_code_of_the_enum() -> None:
    readme = README.read_text(encoding="utf-8")
    table = readme[readme.index("## Exit codes") :].split("\n\n")[1].splitlines()
    assert table[2:] == exit_code_table()
    documented = {0: "success", 1: "", 2: "usage", 3: "out of date", 4: "edited by hand", 70: "bug"}
    for number, word in documented.items():  # documented numbers never change
        assert word in ExitCode(number).meaning

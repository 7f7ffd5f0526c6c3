"""The monitor's reports are run output: a ``git add -A`` after ``step monitor`` commits none.

Kept out of git the way DVC keeps its cached outputs out: ``/<name>`` lines in the
``.gitignore`` beside them (``mlruntime/steps/gitignore.py``), checked with real git.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mlcli.app import cli
from mlcontract import monitoring_contract as contract
from mlruntime.steps.gitignore import ignore_in_git
from tests.runtime.test_monitor_support import NOW_AFTER_REFERENCE, baskets, git, make_project

REPORTS = [Path(report).name for report in contract.REPORTS]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("shop") / "shop")
    baskets(500, seed=2, start="2024-07-01", days=1).to_csv(root / "window.csv", index=False)
    return root


def step_monitor(project: Path) -> None:
    args = ["--project-dir", str(project), "--now", NOW_AFTER_REFERENCE]
    args += ["--current", str(project / "window.csv")]
    result = CliRunner().invoke(cli, ["step", "monitor", *args], catch_exceptions=False)
    assert result.exit_code in (0, 10), result.output
    assert (project / contract.REPORT_JSON).is_file()


def untracked(repo: Path) -> list[str]:
    out = git(repo, "status", "--porcelain", "--untracked-files=all")
    return sorted(line[3:] for line in out.splitlines())


def test_a_monitor_run_leaves_nothing_to_commit_but_its_ignore_lines(shop: Path) -> None:
    git(shop, "init", "-q")
    git(shop, "add", "-A")
    git(shop, "commit", "-q", "-m", "compiled")
    reports = shop / "reports"
    reports.mkdir(exist_ok=True)
    (reports / ".gitignore").write_text("/features.html")  # DVC's line, no final newline
    git(shop, "add", "-A")
    git(shop, "commit", "-q", "-m", "a cached custom output")

    step_monitor(shop)
    assert untracked(shop) == ["reports/.gitignore"]  # modified: our lines added
    lines = (reports / ".gitignore").read_text().splitlines()
    assert lines == ["/features.html", *(f"/{name}" for name in REPORTS)]
    step_monitor(shop)  # a second run adds nothing
    assert (reports / ".gitignore").read_text().splitlines() == lines
    git(shop, "add", "-A")
    committed = git(shop, "diff", "--cached", "--name-only").split()
    assert committed == ["reports/.gitignore"]


def test_outside_git_no_ignore_file_is_written(tmp_path: Path) -> None:
    ignore_in_git(tmp_path, REPORTS)
    assert not (tmp_path / ".gitignore").exists()


def test_an_unwritable_ignore_file_is_no_error(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").mkdir()  # not a file: cannot be read or appended to
    assert ignore_in_git(tmp_path, REPORTS) == []

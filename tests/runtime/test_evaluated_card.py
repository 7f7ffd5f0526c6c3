"""The evaluated part of the model card, written by `mlproject register`.

Real git and GTO tags in temporary repositories (the helpers of
test_registry_lineage); the pipeline's results are written by hand there.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler.pipeline import compile_specs
from mlcli.app import cli
from mlcontract import pipeline_layout as layout
from mlruntime.lineage.evaluated import render_evaluated, write_evaluated
from tests.runtime.test_registry_lineage import DATA, MODEL, commit, git, make_repo, reg
from tests.runtime.test_registry_lineage import write_results as train


@pytest.fixture(autouse=True)
def _hermetic_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")


def _sections(text: str) -> list[str]:
    return [line[3:] for line in text.splitlines() if line.startswith("## ")]


def test_the_card_records_what_each_version_measured(tmp_path: Path) -> None:
    repo, project = make_repo(tmp_path)
    assert "No version is registered yet." in render_evaluated(project)
    first = reg(project)
    card = write_evaluated(project)
    assert card == project / layout.EVALUATED_CARD
    text = card.read_text(encoding="utf-8")
    assert _sections(text) == [f"{MODEL}@v0.1.0"]
    data_md5 = hashlib.md5((project / DATA).read_bytes()).hexdigest()
    config = json.loads((project / layout.CONFIG).read_text())
    for expected in (
        f"| Commit | `{first.commit}` |",
        f"sha256 `{config['spec_sha256']}`",
        f"| Model | md5 `{'a' * 32}.dir` |",
        "| `roc_auc` (primary) | 0.83 |",
        f"| `customers` | `{DATA}` | `{data_md5}` |",
    ):
        assert expected in text, expected
    assert write_evaluated(project).read_text(encoding="utf-8") == text  # same bytes again

    # The card is left uncommitted: the next registration does not count it as a change.
    assert git(repo, "status", "--porcelain") == f"?? examples/churn/{layout.EVALUATED_CARD}"
    train(project, model_md5="b" * 32 + ".dir", auc=0.9)
    git(repo, "add", "examples/churn/dvc.lock", "examples/churn/metrics", "examples/churn/reports")
    second_commit = commit(repo, "retrain")
    second = reg(project)
    assert second.commit == second_commit
    text = write_evaluated(project).read_text(encoding="utf-8")
    assert _sections(text) == [f"{MODEL}@v0.2.0", f"{MODEL}@v0.1.0"]  # newest first
    assert "| `roc_auc` (primary) | 0.9 |" in text


def test_the_card_breaks_neither_compile_check_nor_register(tmp_path: Path) -> None:
    repo, project = make_repo(tmp_path)
    reg(project)
    write_evaluated(project)
    commit(repo, "evaluated card")
    report = compile_specs([project / "mlproject.yaml"], repo, ["config", "dvc"], mode="check")
    assert not report.has_errors, report.all_diagnostics
    assert {plan.action for plan in report.plans} == {"identical"}


def test_cli_register_card_only(tmp_path: Path) -> None:
    _, project = make_repo(tmp_path)
    reg(project)
    runner = CliRunner()
    args = ["register", "--card-only", "--project-dir", str(project), "--format", "json"]
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    written = Path(json.loads(result.stdout)["card"])
    assert written.resolve() == (project / layout.EVALUATED_CARD).resolve()
    assert f"## {MODEL}@v0.1.0" in written.read_text(encoding="utf-8")

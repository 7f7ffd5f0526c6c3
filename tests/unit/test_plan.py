"""`mlproject plan`: what compile would change, per file and as a unified diff; writes nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from compiler.pipeline import compile_specs
from compiler.target_registry import BUILTIN_TARGETS
from mlcli.app import cli

ROOT = Path(__file__).resolve().parents[2]


def _tree(work: Path) -> dict[str, bytes]:
    return {p.relative_to(work).as_posix(): p.read_bytes() for p in work.rglob("*") if p.is_file()}


@pytest.fixture
def churn(tmp_path: Path) -> Path:
    """The churn example, compiled, in its own (empty) git work tree."""
    work = tmp_path / "churn"
    shutil.copytree(ROOT / "examples" / "churn", work)
    (work / ".git").mkdir()
    report = compile_specs([work / "mlproject.yaml"], work, list(BUILTIN_TARGETS))
    assert not report.has_errors, report.all_diagnostics
    return work


def plan(work: Path, *args: str) -> Result:
    before = _tree(work)
    result = CliRunner().invoke(
        cli, ["plan", str(work / "mlproject.yaml"), *args], catch_exceptions=False
    )
    assert _tree(work) == before  # plan writes nothing, not even the stat cache
    return result


def test_a_clean_tree_has_nothing_to_change(churn: Path) -> None:
    result = plan(churn, "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("No changes: ")
    payload = json.loads(plan(churn, "--format", "json").stdout)
    assert {f["change"] for f in payload["files"]} == {"unchanged"}
    assert payload["summary"]["update"] == 0


def test_a_spec_edit_shows_each_affected_file_and_its_diff(churn: Path) -> None:
    spec = churn / "mlproject.yaml"
    spec.write_text(spec.read_text().replace("p95_ms: 50", "p95_ms: 60"))
    assert plan(churn).exit_code == 0  # like terraform: changes alone are not a failure
    result = plan(churn, "--detailed-exitcode")
    assert result.exit_code == 3
    text = result.stdout
    assert "   update  monitoring/prometheus/rules.yaml\n" in text
    rules = "monitoring/prometheus/rules.yaml"
    assert f"--- a/{rules}\n+++ b/{rules}\n" in text
    assert '-      summary: "churn: p95 latency above 50 ms"\n' in text
    assert '+      summary: "churn: p95 latency above 60 ms"\n' in text
    assert "dvc.yaml" not in text  # unaffected files are not listed
    assert "manifest.json  (mlproject's record of the generated files" in text
    assert text.endswith("Plan: 0 to create, 6 to update, 0 to delete; 18 unchanged.\n")


def test_json_lists_every_file_with_its_change_and_diff(churn: Path) -> None:
    (churn / "MODEL_CARD.md").unlink()
    spec = churn / "mlproject.yaml"
    spec.write_text(spec.read_text().replace("p95_ms: 50", "p95_ms: 60"))
    payload = json.loads(plan(churn, "--format", "json").stdout)
    files = {f["path"]: f for f in payload["files"]}
    assert files["MODEL_CARD.md"]["change"] == "create"
    assert files["MODEL_CARD.md"]["diff"].startswith("--- /dev/null\n+++ b/MODEL_CARD.md\n")
    assert files["monitoring/prometheus/rules.yaml"]["change"] == "update"
    assert "+" in files["monitoring/prometheus/rules.yaml"]["diff"]
    assert files["dvc.yaml"] == {
        "path": "dvc.yaml",
        "change": "unchanged",
        "spec": "mlproject.yaml",
        "reason": None,
        "diff": "",
        "binary": False,
    }
    assert payload["summary"]["create"] == 1
    # churn keeps the offline default remote on purpose: the one finding is that warning
    found = [(d["code"], d["severity"]) for d in payload["diagnostics"]]
    assert found == [("MLP232", "warning")]


def test_a_hand_edit_is_shown_and_would_be_refused(churn: Path) -> None:
    pipeline = churn / "dvc.yaml"
    pipeline.write_text(pipeline.read_text().replace('desc: "Release gates', 'desc: "Gates'))
    result = plan(churn)
    assert result.exit_code == 4  # compile would refuse: MLP301
    assert "modified  dvc.yaml  (edited by hand since mlproject generated it)" in result.stdout
    assert '-    desc: "Gates: fail' in result.stdout
    assert '+    desc: "Release gates: fail' in result.stdout
    forced = plan(churn, "--force", "--detailed-exitcode")
    assert forced.exit_code == 3
    assert "(overwritten: --force)" in forced.stdout


def test_an_experiments_params_are_kept_not_refused(churn: Path) -> None:
    params = churn / "params.yaml"
    params.write_text(params.read_text().replace("max_iter: 200", "max_iter: 50"))
    result = plan(churn, "--detailed-exitcode")
    assert result.exit_code == 3, result.output
    assert "kept  params.yaml  (an experiment's values (dvc exp run -S): " in result.stdout
    assert "1 kept with an experiment's values" in result.stdout
    assert "warning[MLP308]: params.yaml sets train.params.max_iter = 50" in result.stderr


def test_markdown_collapses_each_file(churn: Path) -> None:
    spec = churn / "mlproject.yaml"
    spec.write_text(spec.read_text().replace("p95_ms: 50", "p95_ms: 60"))
    text = plan(churn, "--format", "markdown").stdout
    assert text.count("<details>") == text.count("</details>") == 6
    assert "<summary><code>update</code> monitoring/prometheus/rules.yaml (+" in text
    assert "```diff\n--- a/monitoring/prometheus/rules.yaml\n" in text


def test_an_invalid_spec_is_reported_not_planned(churn: Path) -> None:
    spec = churn / "mlproject.yaml"
    spec.write_text(spec.read_text().replace("task: binary_classification", "task: guessing"))
    result = plan(churn)
    assert result.exit_code == 1
    assert "error[" in result.stderr
    assert result.stdout == ""

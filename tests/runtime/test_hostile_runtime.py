"""Hostile runtime inputs: each gives a one-line error naming the problem, never a traceback.

The compile side rejects a spec path that escapes the project (MLP229); the steps
check again before they write, since a compiled config may be older than the rule
or edited by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mlcli.app import cli
from mlcontract import pipeline_layout as layout
from mlcontract.project_paths import inside_project
from mlruntime.steps.errors import StepError
from mlruntime.steps.outputs import StagedOutputs
from tests.runtime.test_serve_support import SERVED_SPEC, served_project, train

BATCH_SPEC = SERVED_SPEC.replace(
    "  mode: online\n",
    "  mode: batch\n  batch: {schedule: '0 5 * * *', input: customers, output: scored}\n",
).replace("  latency: {p50_ms: 2000, p95_ms: 5000, p99_ms: 10000}\n", "")


@pytest.fixture(scope="module")
def batch_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = served_project(tmp_path_factory.mktemp("hostile") / "p", BATCH_SPEC)
    train(project)
    return project


def _step(*args: str, code: int) -> Result:
    result = CliRunner(env={"SOURCE_DATE_EPOCH": "1700000000"}).invoke(
        cli, ["step", *args], catch_exceptions=False
    )
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result


def _set_batch_output(project: Path, output: str) -> None:
    config = project / layout.CONFIG
    data = json.loads(config.read_text())
    data["deployment"]["batch"]["output"] = output
    config.write_text(json.dumps(data))


@pytest.mark.parametrize("output", ["../../escaped", "/tmp/escaped", ".git/hooks"])
def test_score_refuses_a_batch_output_outside_the_project(
    batch_project: Path, output: str, tmp_path: Path
) -> None:
    _set_batch_output(batch_project, output)
    try:
        result = _step(
            "score", "--project-dir", str(batch_project), "--version", "workspace", code=1
        )
    finally:
        _set_batch_output(batch_project, "scored")
    assert "deployment.batch.output" in result.stderr
    assert not (batch_project.parent.parent / "escaped").exists()
    assert not (batch_project / ".git").exists()


def test_score_output_under_a_file_is_a_clear_error(batch_project: Path, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x\n")
    out = tmp_path / "afile" / "scored.csv"
    result = _step(
        "score",
        "--project-dir",
        str(batch_project),
        "--version",
        "workspace",
        "--output",
        str(out),
        code=1,
    )
    assert "is a file, not a directory" in result.stderr


def test_staged_outputs_check_before_writing(tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to("/tmp")
    (tmp_path.parent / "x.json").write_text("keep\n")
    for bad in ("../x.json", "link/x.json", ".git/x"):
        with (
            pytest.raises(StepError, match="refusing to write"),
            StagedOutputs(tmp_path, [bad]) as staged,
        ):
            staged.write_bytes(bad, b"{}")
    assert (tmp_path.parent / "x.json").read_text() == "keep\n"  # not even unlinked
    assert inside_project(tmp_path, "reports/x.json") is None

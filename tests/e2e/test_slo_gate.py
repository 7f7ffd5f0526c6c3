"""``mlproject slo-gate`` end to end: a registered version served by a real MLServer on
127.0.0.1 (free ports), warmed up and load-tested, the verdict in the report, the step
summary and the exit code. Timing-independent: the verdict is read, not predicted.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlcli.app import cli
from tests.runtime.test_serve_support import Registered, needs_mlserver, registered

__all__ = ["registered"]


@pytest.mark.slow
@needs_mlserver
def test_slo_gate_serves_the_version_here_and_reports(
    registered: Registered, tmp_path: Path
) -> None:
    # A copy: the gate writes reports/latency-gate.json into the project.
    shutil.copytree(registered.project.parent, tmp_path / "copy")
    project = tmp_path / "copy" / registered.project.name
    summary = tmp_path / "summary.md"
    outputs = tmp_path / "outputs"
    args = ["slo-gate", "--project-dir", str(project), "--version", registered.version]
    result = CliRunner().invoke(
        cli,
        [*args, "--duration", "2", "--concurrency", "2"],
        env={"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(outputs)},
        catch_exceptions=False,
    )
    report = json.loads((project / "reports" / "latency-gate.json").read_text())
    assert report["where"] == "served on the runner"
    assert report["served_version"] == registered.version
    assert report["warmup_requests"] > 0  # warmed up before measuring
    assert result.exit_code == (0 if report["gate_passed"] else 1), result.output
    assert "### Latency gate (served on the runner)" in summary.read_text()
    assert f"passed={'true' if report['gate_passed'] else 'false'}" in outputs.read_text()
    if report["saturated"]:
        assert "**Saturated**" in summary.read_text()

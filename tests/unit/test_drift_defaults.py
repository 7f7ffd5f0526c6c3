"""Drift defaults after lowering: auto at 0.01; specs written before auto keep their meaning."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.lower import lower
from compiler.pipeline import validate_file
from mlcontract import ir

ROOT = Path(__file__).resolve().parents[2]


def _drift(tmp_path: Path, monitoring: str) -> ir.Drift:
    text = (ROOT / "examples" / "minimal" / "mlproject.yaml").read_text()
    spec = tmp_path / "mlproject.yaml"
    spec.write_text(text + monitoring)
    result = validate_file(spec, display="mlproject.yaml")
    assert result.spec is not None, result.diagnostics
    project = lower(result.spec, result.document, spec_file="mlproject.yaml", spec_sha256="0")
    assert project.monitoring.drift is not None
    return project.monitoring.drift


@pytest.mark.parametrize(
    ("test", "method", "threshold"),
    [
        ("{}", "auto", 0.01),
        ("{method: auto}", "auto", 0.01),
        ("{method: auto, threshold: 0.001}", "auto", 0.001),
        ("{threshold: 0.1}", "psi", 0.1),  # a lone threshold meant psi before auto
        ("{method: psi}", "psi", 0.2),
        ("{method: ks}", "ks", 0.2),
    ],
)
def test_default_test_lowers_to(tmp_path: Path, test: str, method: str, threshold: float) -> None:
    drift = _drift(
        tmp_path, f"monitoring:\n  drift:\n    default: {test}\n    prediction: {test}\n"
    )
    assert (drift.default_method, drift.default_threshold) == (method, threshold)
    assert drift.prediction is not None
    assert (drift.prediction.method, drift.prediction.threshold) == (method, threshold)


def test_engine_lowers_into_the_ir(tmp_path: Path) -> None:
    text = (ROOT / "examples" / "minimal" / "mlproject.yaml").read_text()
    spec = tmp_path / "mlproject.yaml"
    spec.write_text(text + "monitoring:\n  engine: spark\n")
    result = validate_file(spec, display="mlproject.yaml")
    assert result.spec is not None, result.diagnostics
    project = lower(result.spec, result.document, spec_file="mlproject.yaml", spec_sha256="0")
    assert project.monitoring.engine == "spark"
    from compiler.install import extras

    assert "spark" in extras(project)  # the generated jobs install pyspark

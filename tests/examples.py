"""What several target tests share: the examples lowered to IR, and the vendored CRD schemas."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from compiler.lower import lower
from compiler.pipeline import validate_file
from mlcontract import ir

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ("churn", "demand", "minimal")
# Strict JSON Schemas converted from the upstream CRDs (shared/vendor/k8s-crds beside the repo,
# or beside the directory of its git worktrees).
CRDS = next(
    (
        base / "shared" / "vendor" / "k8s-crds"
        for base in (ROOT.parent, ROOT.parent.parent)
        if (base / "shared" / "vendor" / "k8s-crds").is_dir()
    ),
    ROOT.parent / "shared" / "vendor" / "k8s-crds",
)


@functools.cache
def example_project(name: str) -> ir.Project:
    """examples/<name>/mlproject.yaml, validated and lowered as compile does."""
    result = validate_file(ROOT / "examples" / name / "mlproject.yaml", display="mlproject.yaml")
    assert result.spec is not None, result.diagnostics
    return lower(
        result.spec, result.document, spec_file="mlproject.yaml", spec_sha256=result.sha256
    )


@functools.cache
def crd_schema(filename: str) -> dict[str, Any]:
    """One CRD's schema; the test skips, saying why, when the vendored schemas are absent."""
    path = CRDS / filename
    if not path.is_file():
        pytest.skip(f"CRD schemas not found at {CRDS} (shared/vendor/k8s-crds beside the repo)")
    schema: dict[str, Any] = json.loads(path.read_text())
    return schema


# The churn example with the MLflow mirror switched on and the MLflow model format
# (tests of issue 16): the tracking URI and token come from secrets.
MLFLOW_SECTION = """
mlflow:
  tracking_uri: {secret: MLFLOW_TRACKING_URI}
  experiment: churn-experiments
  token: {secret: MLFLOW_TRACKING_TOKEN}
"""


def with_mlflow(
    spec_text: str, *, model_format: str = "mlflow", section: str = MLFLOW_SECTION
) -> str:
    """A spec text with an ``mlflow:`` section and ``deployment.model_format`` added."""
    marker = "\ndeployment:\n"
    assert marker in spec_text
    text = spec_text.replace(marker, f"{marker}  model_format: {model_format}\n", 1)
    return text + section

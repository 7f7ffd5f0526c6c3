"""The MLflow mirror on the compile side (issue 16): spec, IR, diagnostics, serving targets.

The runtime side runs against a real MLflow server in tests/e2e/test_mlflow.py.
"""

from __future__ import annotations

import json
import posixpath
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler.lower import lower
from compiler.pipeline import validate_text
from mlcontract import ir, ir_codec
from mlcontract import pipeline_layout as layout
from mlcontract import serving_contract as mlserver
from targets import kserve
from targets.dvc.inputs import stage_inputs
from targets.mlserver.schema import ModelSettings
from tests.examples import ROOT, crd_schema, example_project, with_mlflow

SPEC_FILE = "examples/churn/mlproject.yaml"


def churn_text() -> str:
    return (ROOT / "examples" / "churn" / "mlproject.yaml").read_text()


def lowered(text: str) -> ir.Project:
    result = validate_text(text, SPEC_FILE)
    assert result.ok, result.diagnostics
    assert result.spec is not None and result.document is not None
    return lower(result.spec, result.document, spec_file=SPEC_FILE, spec_sha256=result.sha256)


def test_the_section_is_lowered_with_defaults_and_secret_names_only() -> None:
    project = lowered(with_mlflow(churn_text()))
    assert project.mlflow == ir.Mlflow(
        tracking_uri=None,
        tracking_uri_secret="MLFLOW_TRACKING_URI",
        experiment="churn-experiments",
        registered_model=project.registry.model_name,
        token_secret="MLFLOW_TRACKING_TOKEN",
        username_secret=None,
        password_secret=None,
    )
    assert project.mlflow.secrets == ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN")
    assert project.deployment.model_format == "mlflow"
    # the compiled configuration round-trips and holds no value of a secret
    dumped = ir_codec.dump(project)
    assert ir_codec.load(ir.Project, json.loads(json.dumps(dumped))) == project


def test_a_literal_url_and_the_defaults() -> None:
    section = "\nmlflow:\n  tracking_uri: https://mlflow.example.com\n"
    project = lowered(churn_text() + section)
    assert project.mlflow is not None
    assert project.mlflow.tracking_uri == "https://mlflow.example.com"
    assert project.mlflow.experiment == project.name
    assert project.mlflow.secrets == ()
    assert project.deployment.model_format == "sklearn"


def test_without_the_section_nothing_changes() -> None:
    plain = example_project("churn")
    assert plain.mlflow is None
    # the train stage's fingerprint ignores an absent section; switching it on retrains
    mirrored = lowered(with_mlflow(churn_text(), model_format="sklearn"))
    assert stage_inputs(mirrored)["train"] != stage_inputs(plain)["train"]
    assert stage_inputs(mirrored)["gate"] == stage_inputs(plain)["gate"]


@pytest.mark.parametrize(
    ("section", "code"),
    [
        ("  tracking_uri: https://me:hunter22x@mlflow.example.com\n", "MLP217"),
        (
            "  tracking_uri: https://mlflow.example.com\n"
            "  token: ghp_0123456789abcdefghijklmnopqrstuvwxyz01\n",
            "MLP217",
        ),
        ("  tracking_uri: {secret: lower_case}\n", "MLP103"),
        ("  tracking_uri: ftp://mlflow.example.com\n", "MLP105"),
        ("  experiment: x\n", "MLP102"),
    ],
)
def test_credentials_only_by_secret_name(section: str, code: str) -> None:
    result = validate_text(churn_text() + "\nmlflow:\n" + section, SPEC_FILE)
    codes = {d.code for d in result.diagnostics}
    assert code in codes, result.diagnostics
    for d in result.diagnostics:  # a diagnostic never repeats a credential
        assert "hunter22x" not in str(d.message)
        assert "ghp_0123456789" not in str(d.message)


def test_mlserver_serves_the_mlflow_directory_with_the_mlflow_runtime() -> None:
    project = lowered(with_mlflow(churn_text()))
    document = mlserver.model_settings_document(project)
    ModelSettings.model_validate(document)  # the strict model of what we write
    assert document["implementation"] == "mlserver_mlflow.MLflowRuntime"
    assert document["platform"] == "mlflow"
    uri = document["parameters"]["uri"]
    assert posixpath.normpath(posixpath.join(mlserver.model_dir(project), uri)) == (
        layout.MLFLOW_MODEL_DIR
    )
    assert "extra" not in document["parameters"]  # MLmodel names the predict function

    pytest.importorskip("mlserver", reason="mlserver is the oracle here: pip install -e '.[serve]'")
    from mlserver.settings import ModelSettings as MLServerModelSettings

    parsed = MLServerModelSettings.model_validate(json.loads(json.dumps(document)))
    assert parsed.parameters is not None and parsed.parameters.uri == uri


def _inference_service(project: ir.Project) -> dict[str, Any]:
    files = {f.path: f.content for f in kserve.render(project)}
    path = next(p for p in files if p.endswith("production/inferenceservice.yaml"))
    manifest: dict[str, Any] = yaml.safe_load(files[path])
    return manifest


def test_kserve_uses_the_mlflow_model_format() -> None:
    from jsonschema import Draft202012Validator

    project = lowered(with_mlflow(churn_text()))
    manifest = _inference_service(project)
    errors = list(
        Draft202012Validator(
            crd_schema("inferenceservice.serving.kserve.io.v1beta1.json")
        ).iter_errors(manifest)
    )
    assert not errors, errors
    model = manifest["spec"]["predictor"]["model"]
    assert model["modelFormat"] == {"name": "mlflow", "version": "2"}
    plain = _inference_service(example_project("churn"))["spec"]["predictor"]["model"]
    assert model["storageUri"] == plain["storageUri"] + "/mlflow"
    env = {e["name"]: e["value"] for e in model["env"]}
    assert env["MLSERVER_MODEL_IMPLEMENTATION"] == "mlserver_mlflow.MLflowRuntime"
    assert "MLSERVER_MODEL_EXTRA" not in env


def test_the_committed_schema_documents_the_section() -> None:
    schema = json.loads((ROOT / "schemas" / "mlproject.v1.json").read_text())
    assert "mlflow" in schema["properties"]
    assert "model_format" in schema["$defs"]["Deployment"]["properties"]
    assert Path(ROOT / "docs" / "spec.md").read_text().count("tracking_uri") >= 1


def test_the_latency_gate_of_the_mlflow_format_installs_mlservers_mlflow_runtime() -> None:
    """The deploy workflow serves the version on the runner before promotion: with the
    MLflow model format its jobs install the serve-mlflow extra (mlserver-mlflow, pinned)."""
    from compiler.install import extras, needs_serving, requirement

    mlflow_format = lowered(with_mlflow(churn_text()))
    assert needs_serving(mlflow_format) and mlflow_format.deployment.model_format == "mlflow"
    assert extras(mlflow_format)[-1] == "serve-mlflow"
    assert requirement(mlflow_format, "1.2.3").endswith(",serve-mlflow]==1.2.3")
    # the sklearn format, or no gate (no latency limits): no MLflow runtime
    assert "serve-mlflow" not in extras(lowered(with_mlflow(churn_text(), model_format="sklearn")))
    limits = "  latency:\n    p50_ms: 20\n    p95_ms: 50\n    p99_ms: 100\n"
    ungated = lowered(with_mlflow(churn_text().replace(limits, "")))
    assert not needs_serving(ungated) and "serve-mlflow" not in extras(ungated)

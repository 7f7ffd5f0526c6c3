"""Runtime steps end to end: validate-data → split → train → baseline → evaluate → gate.

Each test builds a small compiled project in a temporary directory and runs the
steps through the real CLI, then checks what they wrote.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import joblib
import pandas as pd
import pytest
import sklearn
from click.testing import CliRunner

from mlcli.app import cli
from mlcontract import monitoring_contract as contract
from mlcontract import pipeline_layout as layout
from tests.runtime.test_runtime_support import (
    BINARY_SPEC,
    MULTICLASS_SPEC,
    REGRESSION_SPEC,
    STEPS,
    binary_project,
    churn_frame,
    flowers_frame,
    make_project,
    run_pipeline,
    run_step,
    sales_frame,
    set_params,
)

REPO = Path(__file__).resolve().parents[2]


def _json(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_binary_pipeline_writes_every_output(tmp_path: Path) -> None:
    project = binary_project(tmp_path / "p")
    results = run_pipeline(project)
    assert "26 checks passed" in results["validate-data"].stdout
    assert "stratified" in results["split"].stdout

    train = pd.read_parquet(project / layout.TRAIN_SET)
    test = pd.read_parquet(project / layout.TEST_SET)
    assert (len(train), len(test)) == (320, 80)
    assert "customer_id" not in train.columns  # PII never reaches the model
    assert train["churned"].mean() == pytest.approx(test["churned"].mean(), abs=0.02)

    model = joblib.load(project / layout.MODEL_FILE)
    sidecar = _json(project / layout.MODEL_SIDECAR)
    assert [f["name"] for f in sidecar["features"]] == ["age", "income", "plan", "active"]
    assert sidecar["classes"] == [0, 1]
    assert sidecar["positive_class"] == 1
    assert sidecar["sklearn_version"] == sklearn.__version__
    assert sidecar["params"] == {"max_iter": 500}
    digest = hashlib.sha256((project / layout.TRAIN_SET).read_bytes()).hexdigest()
    assert sidecar["training_set"] == {"path": layout.TRAIN_SET, "rows": 320, "sha256": digest}
    assert model.predict(test[["age", "income", "plan", "active"]]).shape == (80,)

    metrics = _json(project / layout.METRICS_MODEL)
    baseline = _json(project / layout.METRICS_BASELINE)
    assert (
        set(metrics)
        == set(baseline)
        == {
            "accuracy",
            "average_precision",
            "brier",
            "f1",
            "log_loss",
            "precision",
            "recall",
            "roc_auc",
        }
    )
    assert all(isinstance(v, float) and round(v, 6) == v for v in metrics.values())
    assert baseline["roc_auc"] == 0.5
    assert metrics["roc_auc"] > 0.75

    roc = _csv(project / layout.PLOT_ROC)
    assert roc[0] == {"fpr": "0.0", "tpr": "0.0"} and roc[-1] == {"fpr": "1.0", "tpr": "1.0"}
    assert list(_csv(project / layout.PLOT_PRECISION_RECALL)[0]) == ["recall", "precision"]
    confusion = _csv(project / layout.PLOT_CONFUSION)
    assert len(confusion) == 80 and set(confusion[0]) == {"actual", "predicted"}
    predictions = _csv(project / layout.PREDICTIONS)
    assert set(predictions[0]) == {
        "actual",
        "prediction",
        "probability_0",
        "probability_1",
        "score",
    }
    assert not (project / layout.PLOT_RESIDUALS).exists()

    gate = _json(project / layout.GATE_REPORT)
    assert gate[layout.GATE_PASSED] is True
    statuses = {c["check"]: c["status"] for c in gate["checks"]}
    assert statuses == {"threshold": "pass", "beat_baseline": "pass", "beat_champion": "skipped"}
    assert "skipped: no champion" in results["gate"].stdout
    assert "positive class 1 (the last of the sorted labels)" in results["evaluate"].stderr


def test_a_binary_evaluation_names_its_positive_label(tmp_path: Path) -> None:
    """With text labels the positive class is not obvious: evaluate says which one it is."""
    frame = churn_frame()
    frame["churned"] = frame["churned"].map({0: "stayed", 1: "left"})
    spec = BINARY_SPEC.replace("{name: churned, type: integer}", "{name: churned, type: string}")
    assert spec != BINARY_SPEC
    project = make_project(tmp_path / "p", spec, {"data/customers.csv": frame})
    results = run_pipeline(project, ("split", "train", "baseline", "evaluate"))
    assert "positive class 'stayed' (the last of the sorted labels)" in (results["evaluate"].stderr)


def test_reports_name_columns_and_counts_never_values(tmp_path: Path) -> None:
    project = binary_project(tmp_path / "p")
    run_step(project, "validate-data")
    report = (project / layout.VALIDATION_REPORT).read_text(encoding="utf-8")
    data = json.loads(report)
    assert data["sensitive"] is True and data["rows"] == 400
    assert {c["rule"] for c in data["checks"]} >= {"present", "type", "not_null", "min", "classes"}
    assert "C00001" not in report and "examples" not in report


def test_regression_time_split_from_parquet(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", REGRESSION_SPEC, {"data/sales.parquet": sales_frame()})
    results = run_pipeline(project)
    assert "split (time)" in results["split"].stdout
    train = pd.read_parquet(project / layout.TRAIN_SET)
    test = pd.read_parquet(project / layout.TEST_SET)
    assert len(test) == 75 and train["day"].max() < test["day"].min()
    metrics = _json(project / layout.METRICS_MODEL)
    assert set(metrics) == {"mae", "mape", "mse", "r2", "rmse"}
    assert metrics["rmse"] == pytest.approx(metrics["mse"] ** 0.5, abs=1e-5)
    residuals = _csv(project / layout.PLOT_RESIDUALS)
    points = _csv(project / layout.PLOT_PREDICTED_VS_ACTUAL)
    assert len(residuals) == len(points) == 75
    first = points[0]
    expected = float(first["actual"]) - float(first["predicted"])
    assert float(residuals[0]["residual"]) == pytest.approx(expected, abs=1e-5)
    assert not (project / layout.PLOT_ROC).exists()
    assert _json(project / layout.GATE_REPORT)[layout.GATE_PASSED] is True


def test_multiclass_without_declared_columns_infers_features(tmp_path: Path) -> None:
    frame = flowers_frame()
    project = make_project(tmp_path / "p", MULTICLASS_SPEC, {"data/flowers.csv": frame})
    run_pipeline(project)
    sidecar = _json(project / layout.MODEL_SIDECAR)
    assert [f["kind"] for f in sidecar["features"]] == ["numeric", "numeric"]
    assert sidecar["classes"] == ["setosa", "versicolor", "virginica"]
    assert sidecar["positive_class"] is None
    metrics = _json(project / layout.METRICS_MODEL)
    assert metrics["accuracy"] > 0.8
    assert 0.5 < metrics["roc_auc_ovr"] <= 1.0
    # micro-averaged one-vs-rest curves, per the contract
    assert _csv(project / layout.PLOT_ROC)[-1] == {"fpr": "1.0", "tpr": "1.0"}
    assert len(_csv(project / layout.PLOT_CONFUSION)) == 30
    evaluated = set(_csv(project / layout.PREDICTIONS)[0])
    assert {"prediction", "probability_setosa", "probability_virginica"} <= evaluated


def test_scored_rows_drift_against_the_evaluated_predictions(tmp_path: Path) -> None:
    """`--reference training` has no predictions; evaluate's hold the same columns as scores."""
    project = binary_project(tmp_path / "p")
    run_pipeline(project)
    scored = tmp_path / "scored.csv"
    run_step(
        project, "score", "--version", "workspace",
        "--input", "data/customers.csv", "--output", str(scored),
    )  # fmt: skip
    evaluated = set(_csv(project / layout.PREDICTIONS)[0])
    assert evaluated - {"actual", "score"} <= set(_csv(scored)[0])
    done = CliRunner().invoke(
        cli,
        ["step", "monitor", "--project-dir", str(project), "--reference", "training",
         "--current", str(scored)],
        catch_exceptions=False,
    )  # fmt: skip
    assert done.exit_code in (0, 10), done.output
    report = _json(project / contract.REPORT_JSON)
    assert not [n for n in report["notes"] if "prediction" in str(n)], report["notes"]
    prediction = report["drift"]["prediction"]
    assert prediction["feature"] == "prediction" and prediction["reference_values"] == 80
    # A log of positive-class scores (the demo's) finds its reference there too.
    frame = pd.read_csv(scored)
    frame["score"] = frame.pop("probability_1")
    frame.to_csv(scored, index=False)
    done = CliRunner().invoke(
        cli,
        ["step", "monitor", "--project-dir", str(project), "--current", str(scored),
         "--predictions-col", "score"],
        catch_exceptions=False,
    )  # fmt: skip
    assert done.exit_code in (0, 10), done.output
    report = _json(project / contract.REPORT_JSON)
    assert report["drift"]["prediction"]["kind"] == "numeric", report["notes"]


def test_params_yaml_overrides_the_compiled_values(tmp_path: Path) -> None:
    """What ``dvc exp run -S`` relies on: params.yaml, not the IR, decides what runs."""
    project = binary_project(tmp_path / "p")
    run_pipeline(project, ("split", "train", "baseline", "evaluate"))
    before = _json(project / layout.METRICS_MODEL)
    set_params(project, "split.test_size", 0.3)
    set_params(project, "train.params.C", 0.001)
    set_params(project, "baseline.strategy", "most_frequent")
    run_pipeline(project, ("split", "train", "baseline", "evaluate"))
    assert len(pd.read_parquet(project / layout.TEST_SET)) == 120
    assert _json(project / layout.MODEL_SIDECAR)["params"] == {"max_iter": 500, "C": 0.001}
    assert _json(project / layout.METRICS_MODEL) != before


def test_estimator_swapped_in_params(tmp_path: Path) -> None:
    project = binary_project(tmp_path / "p")
    set_params(project, "train.estimator", "sklearn.ensemble.RandomForestClassifier")
    set_params(project, "train.params", {"n_estimators": 10, "random_state": 0})
    run_pipeline(project, ("split", "train"))
    assert _json(project / layout.MODEL_SIDECAR)["estimator"].endswith("RandomForestClassifier")


def test_same_inputs_give_byte_identical_outputs(tmp_path: Path) -> None:
    first = binary_project(tmp_path / "a")
    second = binary_project(tmp_path / "b")
    run_pipeline(first)
    run_pipeline(second)
    for relative in (
        layout.TRAIN_SET,
        layout.METRICS_MODEL,
        layout.METRICS_BASELINE,
        layout.PLOT_ROC,
        layout.PREDICTIONS,
        layout.MODEL_SIDECAR,
        layout.GATE_REPORT,
        layout.VALIDATION_REPORT,
    ):
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative


def test_steps_leave_no_temporary_files(tmp_path: Path) -> None:
    project = binary_project(tmp_path / "p")
    run_pipeline(project)
    leftovers = list(project.rglob("*.tmp"))
    assert leftovers == []


def test_real_subprocess_runs_in_the_project_directory(tmp_path: Path) -> None:
    project = binary_project(tmp_path / "p")
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "error"}
    for name in STEPS:
        done = subprocess.run(
            [sys.executable, "-m", "mlcli", "step", name],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, (name, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
    assert _json(project / layout.GATE_REPORT)[layout.GATE_PASSED] is True
    assert "done in" in done.stderr


def test_compile_path_does_not_import_the_runtime() -> None:
    code = (
        "import sys, mlcli.app, compiler.pipeline; "
        "heavy = {m for m in sys.modules if m.split('.')[0] in {'sklearn', 'pandas', 'numpy'}}; "
        "heavy |= {m for m in sys.modules if m.startswith('mlruntime.steps')}; "
        "print(sorted(heavy))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("spec", [BINARY_SPEC])
def test_quiet_keeps_stderr_empty(tmp_path: Path, spec: str) -> None:
    project = make_project(tmp_path / "p", spec, {"data/customers.csv": churn_frame()})
    from click.testing import CliRunner

    from mlcli.app import cli

    result = CliRunner().invoke(
        cli, ["step", "-q", "split", "--project-dir", str(project)], catch_exceptions=False
    )
    assert result.exit_code == 0 and result.stderr == ""

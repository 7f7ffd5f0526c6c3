"""The contract between the ``dvc`` target and the built-in training steps.

Where each stage reads and writes (paths relative to the project directory),
and the shape of ``params.yaml``: the dvc target writes these, the runtime
steps read them. Pure data: compile-path safe.
"""

from __future__ import annotations

from typing import Any

from compiler import ir

CONFIG = "mlproject.compiled.json"
PARAMS = "params.yaml"

SPLIT_DIR = "build/split"
TRAIN_SET = "build/split/train.parquet"
TEST_SET = "build/split/test.parquet"
MODEL_DIR = "build/model"
MODEL_FILE = "build/model/model.joblib"
MODEL_SIDECAR = "build/model/model.json"
BASELINE_DIR = "build/baseline"
BASELINE_FILE = "build/baseline/model.joblib"
PREDICTIONS = "build/eval/predictions.csv"
METRICS_MODEL = "metrics/model.json"
METRICS_BASELINE = "metrics/baseline.json"
PLOTS_DIR = "plots"
VALIDATION_REPORT = "reports/data-validation.json"
GATE_REPORT = "reports/gate.json"


def default_params(project: ir.Project) -> dict[str, Any]:
    """params.yaml: every tunable value, so ``dvc exp run -S key=value`` works.

    Keys: ``split.{method,test_size,validation_size,seed,stratify}``,
    ``train.{estimator,params.*}``, ``baseline.{strategy|estimator,params.*}``,
    ``gate.thresholds.<metric>.{minimum,maximum}``, ``gate.beat_baseline.margin``,
    ``gate.beat_champion.margin``.
    """
    t = project.training
    params: dict[str, Any] = {
        "split": t.split.model_dump(),
    }
    if t.estimator is not None:
        params["train"] = {"estimator": t.estimator.class_path, "params": dict(t.estimator.params)}
    if t.baseline_estimator is not None:
        params["baseline"] = {
            "estimator": t.baseline_estimator.class_path,
            "params": dict(t.baseline_estimator.params),
        }
    else:
        params["baseline"] = {"strategy": t.baseline_strategy}
    gate: dict[str, Any] = {
        "thresholds": {
            th.metric: {
                k: v for k, v in (("minimum", th.minimum), ("maximum", th.maximum)) if v is not None
            }
            for th in project.gates.thresholds
        }
    }
    if project.gates.beat_baseline is not None:
        gate["beat_baseline"] = {"margin": project.gates.beat_baseline.margin}
    if project.gates.beat_champion is not None:
        gate["beat_champion"] = {"margin": project.gates.beat_champion.margin}
    params["gate"] = gate
    return params

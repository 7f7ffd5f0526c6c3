"""The contract between the ``dvc`` target and the built-in training steps.

Where each stage reads and writes (paths relative to the project directory),
and the shape of ``params.yaml``: the dvc target writes these, the runtime
steps read them. Pure data: compile-path safe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # validate reads the paths below and never needs the IR
    from mlcontract import ir

CONFIG = "mlproject.compiled.json"
PARAMS = "params.yaml"

SPLIT_DIR = "build/split"
TRAIN_SET = "build/split/train.parquet"
TEST_SET = "build/split/test.parquet"
MODEL_DIR = "build/model"
MODEL_FILE = "build/model/model.joblib"
MODEL_SIDECAR = "build/model/model.json"
# With ``deployment.model_format: mlflow`` or an ``mlflow:`` section, train also saves
# the model as an MLflow model (a directory: MLmodel, model.pkl, ...), and with
# ``mlflow:`` the id of the MLflow run this pipeline execution logs to.
MLFLOW_MODEL_DIR = "build/model/mlflow"
MLFLOW_RUN_FILE = "build/model/mlflow-run.json"
# ``MLPROJECT_MLFLOW=off`` in the environment: the steps log nothing to MLflow (a pull
# request's check gets no secrets); the MLflow model format is still saved.
MLFLOW_SWITCH = "MLPROJECT_MLFLOW"
BASELINE_DIR = "build/baseline"
BASELINE_FILE = "build/baseline/model.joblib"
PREDICTIONS = "build/eval/predictions.csv"
METRICS_MODEL = "metrics/model.json"
METRICS_BASELINE = "metrics/baseline.json"
CHAMPION_METRICS = "metrics/champion.json"  # `mlproject champion` writes it; {} = none to beat
# When the test split changed since the champion's commit, champion.json holds both models
# scored on the same current test rows; the new model's values under this prefix.
CHAMPION_CHALLENGER_PREFIX = "challenger."
PLOTS_DIR = "plots"
VALIDATION_REPORT = "reports/data-validation.json"  # the training source's (split reads it)
VALIDATE_STAGE = "validate"  # the training source's validation stage
GATE_REPORT = "reports/gate.json"
GATE_PASSED = "passed"  # the gate report is a JSON object; this boolean key is the verdict
# The verdict alone as a DVC metric ({"passed": bool, "failures": int}): `dvc exp show` lists
# it per experiment, so a failing gate marks the experiment instead of stopping DVC.
GATE_METRICS = "metrics/gate.json"
# Set by `dvc exp run` in every stage's environment: the gate records a failure, exits 0.
DVC_EXPERIMENT_ENV = "DVC_EXP_NAME"
# What each registered version measured: `mlproject register` writes it (it names the
# version's commit, so it cannot be in that commit); the compiled model card links it.
EVALUATED_CARD = "MODEL_CARD.evaluated.md"

# Scored rows (`step score`, the demo's prediction log): the predicted label, and for a
# classifier one score column per class; `step monitor` reads the same names by default.
PREDICTION_COLUMN = "prediction"
PROBABILITY_PREFIX = "probability_"  # + the class label, in the model's class order
# Binary: the positive-class probability alone, the prediction column of a score log (the
# demo's); evaluate writes it too, so either column finds its reference there.
SCORE_COLUMN = "score"

# Remote sources (``uri:``) are imported into the workspace by the dvc target's
# ``import-<source>`` stage; every step reads a source's rows from data_path(source).
IMPORT_DIR = "data/imported"

# Plot data the evaluate step writes: CSV, one header row, these columns. For both
# classification tasks all three classification files (multiclass: ROC and
# precision-recall micro-averaged one-vs-rest), for regression both regression files.
PLOT_ROC = "plots/roc.csv"  # fpr,tpr
PLOT_PRECISION_RECALL = "plots/precision_recall.csv"  # recall,precision
PLOT_CONFUSION = "plots/confusion.csv"  # actual,predicted (one row per test row)
PLOT_PREDICTED_VS_ACTUAL = "plots/predicted_vs_actual.csv"  # actual,predicted (per test row)
PLOT_RESIDUALS = "plots/residuals.csv"  # predicted,residual (residual = actual - predicted)
PER_ROW_PLOTS = (PLOT_CONFUSION, PLOT_PREDICTED_VS_ACTUAL, PLOT_RESIDUALS)

# The built-in steps' outputs that DVC caches (the dvc target declares them without
# ``cache: false``): gitignored, never in git; for a sensitive project the per-row plots
# too. The steps list them in the .gitignore beside them as DVC does (``/name``), because
# DVC takes back the lines it added when a later stage of the same ``dvc repro`` fails
# (treeverse/dvc#11091), e.g. a gate that rejects the model, and skips the unchanged
# stages next time: ``git add -A`` would then commit the split data and the model.
CACHED_OUTPUTS: dict[str, tuple[str, ...]] = {
    "split": (SPLIT_DIR,),
    "train": (MODEL_DIR,),
    "baseline": (BASELINE_DIR,),
    "evaluate": (PREDICTIONS,),
}


def data_path(source: ir.Source) -> str:
    """Where a source's file is in the workspace: its path, or where its import lands."""
    if source.path is not None:
        return source.path
    return f"{IMPORT_DIR}/{source.name}.{source.format}"


def default_params(project: ir.Project) -> dict[str, Any]:
    """params.yaml: every tunable value, so ``dvc exp run -S key=value`` works.

    Keys: ``split.{method,test_size,validation_size,seed,stratify}``,
    ``train.{estimator,params.*}``, ``baseline.{strategy|estimator,params.*}``,
    ``gate.thresholds.<metric>.{minimum,maximum}``, ``gate.beat_baseline.margin``,
    ``gate.beat_champion.margin``.
    """
    from mlcontract import ir_codec

    t = project.training
    params: dict[str, Any] = {
        "split": ir_codec.dump(t.split),
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


# Every source with a local path is validated by the pipeline: the training source by
# the ``validate`` stage (after its ``import-<source>`` stage when it is remote; split
# depends on its report), every other one by a ``validate-<source>`` stage of its own,
# with its own report, so that neither overwrites the other and editing one file reruns
# its check alone. A remote source other than the training one is read by no stage.


def validated_sources(project: ir.Project) -> tuple[ir.Source, ...]:
    """The sources the generated pipeline validates: the training source first."""
    training = project.training_source
    others = (s for s in project.sources if s.name != training.name and s.path is not None)
    return (training, *others)


def import_stage(source: str) -> str:
    """The stage downloading a remote training source (a hyphen: no custom stage has one)."""
    return f"import-{source}"


def validation_stage(source: str, training_source: str) -> str:
    """The name of the stage validating ``source`` (a hyphen: no custom stage has one)."""
    return VALIDATE_STAGE if source == training_source else f"{VALIDATE_STAGE}-{source}"


def validation_report(source: str, training_source: str) -> str:
    """Where the validation of ``source`` is written (``step validate-data --source``)."""
    if source == training_source:
        return VALIDATION_REPORT
    return f"reports/data-validation-{source}.json"

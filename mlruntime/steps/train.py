"""Runtime steps ``train`` and ``baseline``: fit the project's model and its naive rival.

``train`` fits the estimator params.yaml names (every random_state it leaves
unset seeded with split.seed: the same commit, the same model) behind the standard
preprocessing and saves it with joblib, plus a JSON sidecar that serving and
lineage read: feature names and dtypes in order, target, task, classes,
estimator, params, scikit-learn version and the training set's sha256.
``baseline`` fits a DummyClassifier/DummyRegressor (or the spec's baseline
estimator) behind the same preprocessing.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import sklearn
from sklearn.dummy import DummyClassifier, DummyRegressor

from mlcontract import pipeline_layout
from mlruntime.steps import estimators
from mlruntime.steps.config import StepContext
from mlruntime.steps.errors import StepError
from mlruntime.steps.model import fit, read_split, training_data, with_preprocessing
from mlruntime.steps.outputs import StagedOutputs, file_sha256
from mlruntime.tracking.client import mirrored
from mlruntime.tracking.run import open_connection, start_run

log = logging.getLogger(__name__)

RANDOM_STRATEGIES = frozenset({"stratified", "uniform"})
_MLFLOW_OUTPUTS = (pipeline_layout.MLFLOW_MODEL_DIR, pipeline_layout.MLFLOW_RUN_FILE)


@dataclass(frozen=True)
class TrainResult:
    estimator: str
    rows: int
    features: int
    classes: int | None


def run_train(ctx: StepContext) -> TrainResult:
    """Fit the model; write the joblib file and its sidecar, or neither."""
    outputs = [pipeline_layout.MODEL_FILE, pipeline_layout.MODEL_SIDECAR, *_MLFLOW_OUTPUTS]
    mirror = mirrored(ctx.project)
    with StagedOutputs(ctx.root, outputs) as out:
        conn = open_connection(mirror) if mirror is not None else None
        choice = ctx.estimator
        estimator = estimators.build(choice, ctx.project.task)
        _seed(estimator, ctx.split.seed, choice.path)
        frame = read_split(ctx, pipeline_layout.TRAIN_SET)
        data = training_data(ctx, frame)
        model = with_preprocessing(estimator, data.numeric, data.categorical)
        fit(model, data, f"{choice.path}")
        classes = _classes(model) if ctx.is_classification else None
        sidecar = {
            "project": ctx.project.name,
            "spec_sha256": ctx.project.spec_sha256,
            "task": ctx.project.task,
            "target": ctx.project.training.target,
            "features": [
                {
                    "name": name,
                    "dtype": str(data.features[name].dtype),
                    "kind": "numeric" if name in data.numeric else "categorical",
                }
                for name in data.features.columns
            ],
            "classes": classes,
            "positive_class": classes[-1] if classes and len(classes) == 2 else None,
            "estimator": choice.path,
            "params": _jsonable(choice.params),
            "sklearn_version": sklearn.__version__,
            "training_set": {
                "path": pipeline_layout.TRAIN_SET,
                "rows": len(frame),
                "sha256": file_sha256(ctx.path(pipeline_layout.TRAIN_SET)),
            },
        }
        out.write_joblib(pipeline_layout.MODEL_FILE, model)
        out.write_json(pipeline_layout.MODEL_SIDECAR, sidecar)
        mlflow_dir = None
        if mirror is not None or ctx.project.deployment.model_format == "mlflow":
            from mlcontract.serving_contract import predicts_scores
            from mlruntime.tracking import model_format

            mlflow_dir = out.temp_dir(pipeline_layout.MLFLOW_MODEL_DIR)
            model_format.save(
                ctx.project, model, data.features, mlflow_dir, predicts_scores(ctx.project)
            )
        if conn is not None:
            run = start_run(
                conn, ctx.project, ctx.root, dict(ctx.params), mlflow_dir, f"train {choice.path}"
            )
            out.write_json(pipeline_layout.MLFLOW_RUN_FILE, run)
            log.info("MLflow run %s in experiment '%s'", run["run_id"], run["experiment"])
    log.info(
        "trained %s on %d rows, %d numeric and %d categorical features",
        choice.path,
        len(frame),
        len(data.numeric),
        len(data.categorical),
    )
    return TrainResult(
        choice.path, len(frame), len(data.features.columns), len(classes) if classes else None
    )


def run_baseline(ctx: StepContext) -> TrainResult:
    """Fit the baseline the gate compares the model with."""
    with StagedOutputs(ctx.root, [pipeline_layout.BASELINE_FILE]) as out:
        choice = ctx.baseline
        if choice.estimator is not None:
            estimator = estimators.build(choice.estimator, ctx.project.task)
            name = choice.estimator.path
            _seed(estimator, ctx.split.seed, f"baseline {name}")
        else:
            estimator, name = _dummy(ctx, str(choice.strategy), choice.params)
        frame = read_split(ctx, pipeline_layout.TRAIN_SET)
        data = training_data(ctx, frame)
        model = with_preprocessing(estimator, data.numeric, data.categorical)
        fit(model, data, f"baseline {name}")
        out.write_joblib(pipeline_layout.BASELINE_FILE, model)
    log.info("trained baseline %s on %d rows", name, len(frame))
    classes = len(_classes(model)) if ctx.is_classification else None
    return TrainResult(name, len(frame), len(data.features.columns), classes)


def _seed(estimator: Any, seed: int, what: str) -> None:
    """The same commit trains the same model: seed what the params leave unset."""
    seeded = estimators.seed_unset(estimator, seed)
    if seeded:
        log.info(
            "%s: %s = %d (split.seed; set it in the params to choose another)",
            what,
            ", ".join(seeded),
            seed,
        )


def _dummy(ctx: StepContext, strategy: str, params: dict[str, Any]) -> tuple[Any, str]:
    dummy = DummyClassifier if ctx.is_classification else DummyRegressor
    accepted = ("constant", "random_state") if ctx.is_classification else ("constant", "quantile")
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise StepError(
            f"baseline.params: {dummy.__name__} does not accept "
            f"{', '.join(repr(u) for u in unknown)}; accepted: {', '.join(accepted)}"
        )
    options = dict(params)
    if ctx.is_classification and strategy in RANDOM_STRATEGIES:
        options.setdefault("random_state", ctx.split.seed)
    return dummy(strategy=strategy, **options), f"{dummy.__name__}({strategy})"


def _classes(model: Any) -> list[Any]:
    return [_plain(c) for c in model.classes_]


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value JSON can hold."""
    return value.item() if hasattr(value, "item") else value


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)

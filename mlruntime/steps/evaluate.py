"""Runtime step ``evaluate``: model and baseline on the test set → metrics and plot data.

Writes flat ``{metric: value}`` JSON files (floats rounded for stable diffs, None
where a metric is undefined), plot data as CSV in the columns the ``dvc``
target declares (``mlcontract.pipeline_layout.PLOT_*``), and the test-set
predictions. No file carries a feature value: only labels, predictions and
scores, and the test set holds no PII columns (``split`` drops them).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_curve, roc_curve
from sklearn.preprocessing import label_binarize

from mlcontract import pipeline_layout as layout
from mlruntime.steps import scoring
from mlruntime.steps.config import StepContext
from mlruntime.steps.errors import StepError
from mlruntime.steps.model import integral_labels, read_split
from mlruntime.steps.outputs import StagedOutputs, rounded
from mlruntime.tracking.client import mirrored

log = logging.getLogger(__name__)

OUTPUTS = (
    layout.METRICS_MODEL,
    layout.METRICS_BASELINE,
    layout.PREDICTIONS,
    layout.PLOT_ROC,
    layout.PLOT_PRECISION_RECALL,
    layout.PLOT_CONFUSION,
    layout.PLOT_PREDICTED_VS_ACTUAL,
    layout.PLOT_RESIDUALS,
)


@dataclass(frozen=True)
class EvaluationResult:
    rows: int
    model: dict[str, float | None]
    baseline: dict[str, float | None]


def load_model(ctx: StepContext, relative: str, step: str) -> Any:
    import joblib

    path = ctx.path(relative)
    if not path.is_file():
        raise StepError(f"{relative} not found: run `mlproject step {step}` first")
    try:
        return joblib.load(path)
    except (ImportError, AttributeError, EOFError, ValueError, OSError) as exc:
        raise StepError(
            f"cannot load {relative}: {type(exc).__name__}: {exc}; "
            f"run `mlproject step {step}` again with this environment"
        ) from None


def run(ctx: StepContext) -> EvaluationResult:
    """Score model and baseline; write metrics, predictions and plot data together."""
    classification = ctx.is_classification
    names = ctx.project.evaluation_metrics
    with StagedOutputs(ctx.root, OUTPUTS) as out:
        model = load_model(ctx, layout.MODEL_FILE, "train")
        baseline = load_model(ctx, layout.BASELINE_FILE, "baseline")
        x, actual = scored_rows(ctx, feature_names(ctx.path(layout.MODEL_SIDECAR)))
        y = scoring.predict(model, x, actual, classification)
        y_base = scoring.predict(baseline, x, actual, classification)
        model_metrics = scoring.compute(names, y, "model")
        baseline_metrics = scoring.compute(names, y_base, "baseline")
        out.write_json(layout.METRICS_MODEL, {k: rounded(v) for k, v in model_metrics.items()})
        out.write_json(
            layout.METRICS_BASELINE, {k: rounded(v) for k, v in baseline_metrics.items()}
        )
        if classification:
            _classification_plots(out, y)
        else:
            _regression_plots(out, y)
        _predictions(out, y, classification)
        if mirrored(ctx.project) is not None:
            _mirror(ctx, out, model_metrics, baseline_metrics)
    log.info("evaluated model and baseline on %d test rows: %s", len(x), ", ".join(names))
    if classification and len(y.classes) == 2:
        log.info(
            "positive class %r (the last of the sorted labels): precision, recall, f1 and the "
            "curves are about it",
            getattr(y.positive, "item", lambda: y.positive)(),  # 1, not np.int64(1)
        )
    return EvaluationResult(len(x), model_metrics, baseline_metrics)


def _mirror(
    ctx: StepContext,
    out: StagedOutputs,
    model_metrics: dict[str, float | None],
    baseline_metrics: dict[str, float | None],
) -> None:
    """Log to the MLflow run of this model what was just written (before it is committed)."""
    from mlruntime.tracking.client import connect
    from mlruntime.tracking.run import log_evaluation, read_run_file

    config = mirrored(ctx.project)
    assert config is not None
    conn = connect(config)
    run_id = read_run_file(ctx.root)["run_id"]
    log_evaluation(conn, ctx.project, run_id, out.staged(), model_metrics, baseline_metrics)
    log.info("logged metrics and evaluation files to MLflow run %s", run_id)


def scored_rows(
    ctx: StepContext, features: list[str], unseen_by: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """The test split's ``features`` and its labels, as evaluate scores every model on them.

    ``unseen_by``: a training set; the test rows it holds (every shared column
    equal) are left out, so a model trained on it is not scored on rows it learnt.
    """
    test = read_split(ctx, layout.TEST_SET)
    if test.empty:
        raise StepError(f"{layout.TEST_SET} has no rows")
    target = ctx.project.training.target
    missing = [f for f in [*features, target] if f not in test.columns]
    if missing:
        raise StepError(f"column(s) missing from {layout.TEST_SET}: {', '.join(missing)}")
    if unseen_by is not None:
        test = _unseen(test, unseen_by, target)
        if test.empty:
            raise StepError(f"every row of {layout.TEST_SET} is in the other model's training set")
    actual = test[target]
    actual = integral_labels(actual) if ctx.is_classification else actual.astype("float64")
    return test[features], actual.to_numpy()


def _unseen(test: pd.DataFrame, train: pd.DataFrame, target: str) -> pd.DataFrame:
    """The rows of ``test`` not in ``train``, compared on every column both have."""
    shared = [c for c in test.columns if c in train.columns]
    if target not in shared:
        return test  # no labels to match on: no row of it was learnt
    # Compared as text: the two sets may come from parquet files with other dtypes.
    seen = set(map(tuple, train[shared].astype(str).to_numpy().tolist()))
    keys = map(tuple, test[shared].astype(str).to_numpy().tolist())
    return test.loc[[key not in seen for key in keys]]


def score_on_test_set(
    ctx: StepContext, models: list[tuple[Any, Path]], unseen_by: pd.DataFrame | None = None
) -> tuple[int, list[dict[str, float | None]]]:
    """Score trained models (each with its model.json sidecar) on the same test rows.

    The same reading, prediction and metrics as :func:`run`, rounded as evaluate
    writes them: the champion stage scores an older model and the new one with it.
    """
    names = [(model, feature_names(sidecar)) for model, sidecar in models]
    # The test split read and the training rows left out once, for every model.
    every = list(dict.fromkeys(f for _, features in names for f in features))
    x, actual = scored_rows(ctx, every, unseen_by)
    scored: list[dict[str, float | None]] = []
    for model, features in names:
        y = scoring.predict(model, x[features], actual, ctx.is_classification)
        found = scoring.compute(ctx.project.evaluation_metrics, y, "model")
        scored.append({k: rounded(v) for k, v in found.items()})
    return len(x), scored


def feature_names(path: Path) -> list[str]:
    try:
        sidecar = json.loads(path.read_text(encoding="utf-8"))
        return [str(f["name"]) for f in sidecar["features"]]
    except FileNotFoundError:
        raise StepError(f"{layout.MODEL_SIDECAR} not found: run `mlproject step train`") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise StepError(f"{layout.MODEL_SIDECAR} is not a model sidecar: {exc}") from None


def _label(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _curve_rows(first: np.ndarray, second: np.ndarray) -> list[tuple[Any, Any]]:
    rows = [(rounded(float(a)), rounded(float(b))) for a, b in zip(first, second, strict=True)]
    return [row for i, row in enumerate(rows) if i == 0 or row != rows[i - 1]]


def _classification_plots(out: StagedOutputs, y: scoring.Predictions) -> None:
    out.write_csv(
        layout.PLOT_CONFUSION,
        ["actual", "predicted"],
        ((_label(a), _label(p)) for a, p in zip(y.actual, y.predicted, strict=True)),
    )
    truth, scores = _one_vs_rest(y)
    roc: list[tuple[Any, Any]] = []
    prc: list[tuple[Any, Any]] = []
    if scores is not None and 0 < truth.sum() < len(truth):
        fpr, tpr, _ = roc_curve(truth, scores)
        precision, recall, _ = precision_recall_curve(truth, scores, drop_intermediate=True)
        roc = _curve_rows(fpr, tpr)
        prc = _curve_rows(recall[::-1], precision[::-1])
    else:
        log.warning("no ROC or precision-recall curve: no scores, or one class in the test set")
    out.write_csv(layout.PLOT_ROC, ["fpr", "tpr"], roc)
    out.write_csv(layout.PLOT_PRECISION_RECALL, ["recall", "precision"], prc)


def _one_vs_rest(y: scoring.Predictions) -> tuple[np.ndarray, np.ndarray | None]:
    """Binary: the positive class. Multiclass: every class one-vs-rest, micro-averaged."""
    if len(y.classes) == 2:
        return np.asarray(y.actual == y.positive, dtype=int), y.positive_scores
    truth = label_binarize(y.actual, classes=y.classes)
    if y.proba is None:
        return truth.ravel(), None
    return truth.ravel(), np.asarray(y.proba).ravel()


def _regression_plots(out: StagedOutputs, y: scoring.Predictions) -> None:
    actual = y.actual.astype("float64")
    predicted = y.predicted.astype("float64")
    out.write_csv(
        layout.PLOT_PREDICTED_VS_ACTUAL,
        ["actual", "predicted"],
        ((rounded(a), rounded(p)) for a, p in zip(actual, predicted, strict=True)),
    )
    out.write_csv(
        layout.PLOT_RESIDUALS,
        ["predicted", "residual"],
        ((rounded(p), rounded(a - p)) for a, p in zip(actual, predicted, strict=True)),
    )


def _predictions(out: StagedOutputs, y: scoring.Predictions, classification: bool) -> None:
    # The column names of `step score` (the contract's): the monitor takes this file as the
    # reference of prediction drift, so its columns must be the ones scored windows carry.
    predicted = layout.PREDICTION_COLUMN
    frame = pd.DataFrame({"actual": y.actual, predicted: y.predicted})
    if classification and y.proba is not None:
        for i, label in enumerate(y.classes):
            frame[f"{layout.PROBABILITY_PREFIX}{label}"] = np.round(y.proba[:, i], 6)
        if len(y.classes) == 2 and y.positive_scores is not None:
            frame[layout.SCORE_COLUMN] = np.round(y.positive_scores, 6)
    elif not classification:
        frame[predicted] = np.round(frame[predicted].astype("float64"), 6)
    out.write_bytes(layout.PREDICTIONS, frame.to_csv(index=False, lineterminator="\n").encode())

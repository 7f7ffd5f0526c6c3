"""Monitor step: model performance on the labelled rows of the window (runtime).

Labels arrive late (``monitoring.performance.label_delay``), so only rows with
both a label and a prediction count. The prediction column holds either
labels, or for binary classification the positive-class score in [0, 1]
(the label is then ``score >= 0.5``); metrics that need scores say so when
they get labels. The metric names map onto scikit-learn through
:mod:`mlruntime.steps.scoring`, the same functions the evaluate step uses.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from mlcontract import ir, pipeline_layout
from mlcontract.metrics import METRICS
from mlruntime.steps.errors import StepError
from mlruntime.steps.monitor.result import MonitorResult
from mlruntime.steps.monitor.tables import Window

if TYPE_CHECKING:
    from mlruntime.steps.scoring import Predictions


# In the message: the monitor reports its errors as lines of its reports, without hints.
_UNSCORED_HINT = (
    "score the window first: mlproject step score --input WINDOW --output SCORED, then "
    "monitor SCORED with --labels; or name the column that holds them with --predictions-col"
)


def check_performance(
    project: ir.Project,
    current: Window,
    result: MonitorResult,
    *,
    target: str,
    predictions: str,
) -> None:
    """Compute the configured metric; breach when it is outside its minimum/maximum."""
    config = project.monitoring.performance
    if config is None:
        result.notes.append("performance not checked: the spec sets no monitoring.performance")
        return
    for column, what in ((target, "label"), (predictions, "prediction")):
        if not current.has(column):
            how = f"; {_UNSCORED_HINT}" if what == "prediction" else ""
            raise StepError(f"--labels: the current window has no {what} column '{column}'{how}")
    import pyarrow.compute as pc  # with --labels only (see the note in tables)

    valid = [pc.is_valid(current.table.column(c)) for c in (target, predictions)]
    labelled = current.table.filter(pc.and_(*valid))
    rows = labelled.num_rows
    result.performance = {"metric": config.metric, "labelled_rows": rows}
    if rows == 0:
        result.warn("performance", "no row of the window has both a label and a prediction yet")
        return
    actual = np.asarray(labelled.column(target).to_numpy(zero_copy_only=False))
    predicted = np.asarray(labelled.column(predictions).to_numpy(zero_copy_only=False))
    from mlruntime.steps import scoring

    y = _predictions(project.task, actual, predicted)
    if METRICS[config.metric].needs_scores and y.proba is None:
        y = _scored(project.task, labelled, actual, y)
    if METRICS[config.metric].needs_scores and y.proba is None:
        raise StepError(
            f"{config.metric} needs scores but the prediction column '{predictions}' holds "
            "labels: log the positive-class score, or monitor a label metric"
        )
    with warnings.catch_warnings():
        # A window lacks a class the model predicts whenever that class is rare or the
        # window small: scikit-learn warns about it on stderr, which is no finding.
        warnings.filterwarnings("ignore", "y_pred contains classes not in y_true")
        value = scoring.compute((config.metric,), y, "logged predictions")[config.metric]
    result.performance |= {
        "value": value,
        "minimum": config.minimum,
        "maximum": config.maximum,
        "direction": config.direction,
    }
    if value is None:
        result.warn("performance", f"{config.metric} is undefined on the labelled rows")
        return
    if config.minimum is not None and value < config.minimum:
        result.breach(
            "performance", f"{config.metric} = {value:.4g}, below the minimum {config.minimum:g}"
        )
    if config.maximum is not None and value > config.maximum:
        result.breach(
            "performance", f"{config.metric} = {value:.4g}, above the maximum {config.maximum:g}"
        )


def _predictions(task: str, actual: np.ndarray, predicted: np.ndarray) -> Predictions:
    from mlruntime.steps.scoring import Predictions as make  # noqa: N813

    if task == "regression":
        return make(actual.astype(float), predicted.astype(float), [], None, None)
    classes: list[Any] = sorted({*actual.tolist()})
    is_score = (
        task == "binary_classification"
        and predicted.dtype.kind == "f"
        and bool(np.all((predicted >= 0) & (predicted <= 1)))
        and not np.all(np.isin(predicted, (0.0, 1.0)))
    )
    if is_score:
        if len(classes) > 2:
            raise StepError("the labels have more than two classes but the task is binary")
        classes = classes if len(classes) == 2 else _pair(classes)
        labels = np.asarray(np.where(predicted >= 0.5, classes[-1], classes[0]))
        proba = np.column_stack([1.0 - predicted, predicted])
        return make(actual, labels, classes, proba, None)
    if predicted.dtype.kind == "f" and actual.dtype.kind in "iub":
        predicted = predicted.astype(actual.dtype)
    classes = sorted({*classes, *predicted.tolist()})
    return make(actual, predicted, classes, None, None)


def _scored(task: str, labelled: Any, actual: np.ndarray, y: Predictions) -> Predictions:
    """``y`` with class scores from ``probability_<class>`` columns (``step score``'s naming)."""
    from mlruntime.steps.scoring import Predictions as make  # noqa: N813

    prefix = pipeline_layout.PROBABILITY_PREFIX
    columns = [c for c in labelled.column_names if c.startswith(prefix)]
    if task == "regression" or len(columns) < 2:
        return y
    labels = [c[len(prefix) :] for c in columns]
    by_text = {str(v): v for v in actual.tolist()}
    classes = [by_text.get(label, label) for label in labels]
    proba = np.column_stack(
        [np.asarray(labelled.column(c).to_numpy(zero_copy_only=False), float) for c in columns]
    )
    if np.isnan(proba).any():
        return y
    return make(actual, y.predicted, classes, proba, None)


def _pair(classes: list[Any]) -> list[Any]:
    only = classes[0] if classes else 1
    if only in (0, 1, True, False):
        return [0, 1]
    raise StepError("binary scores need both classes among the labels to name the positive one")

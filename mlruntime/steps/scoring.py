"""Runtime metrics: the names of ``mlcontract.metrics.METRICS`` mapped onto scikit-learn.

A metric that needs scores uses ``predict_proba`` (``decision_function`` is
enough for the ranking metrics roc_auc and average_precision). A metric that
is undefined on this test set (e.g. ROC AUC with one class present) is None,
never NaN, so the metrics files stay valid JSON and the gate can say why.
For binary tasks the positive class is the last of the sorted classes (1, True,
or the alphabetically last label).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn import metrics as skm

from mlcontract.metrics import METRICS
from mlruntime.steps.errors import StepError

log = logging.getLogger(__name__)

PROBABILITY_METRICS = frozenset({"log_loss", "brier", "roc_auc_ovr"})


@dataclass(frozen=True)
class Predictions:
    """What one model said about the test set."""

    actual: np.ndarray
    predicted: np.ndarray
    classes: list[Any]
    proba: np.ndarray | None  # (rows, classes), columns in ``classes`` order
    decision: np.ndarray | None  # binary: (rows,)

    @property
    def positive(self) -> Any:
        return self.classes[-1]

    @property
    def positive_scores(self) -> np.ndarray | None:
        if self.proba is not None:
            return np.asarray(self.proba[:, -1])
        return self.decision


def predict(model: Any, features: Any, actual: np.ndarray, classification: bool) -> Predictions:
    """Labels (or values), plus scores when the model has them."""
    predicted = np.asarray(model.predict(features))
    if not classification:
        return Predictions(actual, predicted, [], None, None)
    classes = list(model.classes_)
    proba = np.asarray(model.predict_proba(features)) if hasattr(model, "predict_proba") else None
    decision = None
    if proba is None and hasattr(model, "decision_function") and len(classes) == 2:
        decision = np.asarray(model.decision_function(features))
    return Predictions(actual, predicted, classes, proba, decision)


def _binary(y: Predictions) -> np.ndarray:
    return np.asarray(y.actual == y.positive, dtype=int)


def _two_classes(y: Predictions) -> bool:
    return len(np.unique(y.actual)) >= 2


def _roc_auc(y: Predictions) -> float | None:
    scores = y.positive_scores
    if scores is None or not _two_classes(y):
        return None
    return float(skm.roc_auc_score(_binary(y), scores))


def _average_precision(y: Predictions) -> float | None:
    scores = y.positive_scores
    if scores is None or not _binary(y).any():
        return None
    return float(skm.average_precision_score(_binary(y), scores))


def _roc_auc_ovr(y: Predictions) -> float | None:
    if y.proba is None or len(np.unique(y.actual)) != len(y.classes):
        return None  # one-vs-rest AUC needs every class in the test set
    return float(skm.roc_auc_score(y.actual, y.proba, multi_class="ovr", labels=y.classes))


def _log_loss(y: Predictions) -> float | None:
    if y.proba is None:
        return None
    return float(skm.log_loss(y.actual, y.proba, labels=y.classes))


def _brier(y: Predictions) -> float | None:
    scores = y.positive_scores
    if y.proba is None or scores is None:
        return None
    return float(skm.brier_score_loss(_binary(y), scores))


def _label(score: Callable[..., Any], **options: Any) -> Callable[[Predictions], float | None]:
    def metric(y: Predictions) -> float | None:
        return float(score(y.actual, y.predicted, **options))

    return metric


def _positive(score: Callable[..., Any]) -> Callable[[Predictions], float | None]:
    def metric(y: Predictions) -> float | None:
        return float(score(_binary(y), y.predicted == y.positive, zero_division=0))

    return metric


def _rmse(y: Predictions) -> float | None:
    return math.sqrt(float(skm.mean_squared_error(y.actual, y.predicted)))


METRIC_FUNCTIONS: dict[str, Callable[[Predictions], float | None]] = {
    "accuracy": _label(skm.accuracy_score),
    "balanced_accuracy": _label(skm.balanced_accuracy_score),
    "precision": _positive(skm.precision_score),
    "recall": _positive(skm.recall_score),
    "f1": _positive(skm.f1_score),
    "roc_auc": _roc_auc,
    "average_precision": _average_precision,
    "log_loss": _log_loss,
    "brier": _brier,
    "f1_macro": _label(skm.f1_score, average="macro", zero_division=0),
    "f1_weighted": _label(skm.f1_score, average="weighted", zero_division=0),
    "precision_macro": _label(skm.precision_score, average="macro", zero_division=0),
    "recall_macro": _label(skm.recall_score, average="macro", zero_division=0),
    "roc_auc_ovr": _roc_auc_ovr,
    "rmse": _rmse,
    "mse": _label(skm.mean_squared_error),
    "mae": _label(skm.mean_absolute_error),
    "mape": _label(skm.mean_absolute_percentage_error),
    "r2": _label(skm.r2_score),
}


def compute(names: tuple[str, ...], y: Predictions, who: str) -> dict[str, float | None]:
    """Each named metric of ``who`` on the test set; None where it is undefined."""
    values: dict[str, float | None] = {}
    for name in names:
        if name not in METRIC_FUNCTIONS:
            raise StepError(f"unknown metric '{name}' in the compiled configuration")
        if METRICS[name].needs_scores and y.proba is None and y.decision is None:
            raise StepError(
                f"metric '{name}' needs scores but the {who} has neither predict_proba nor "
                "decision_function; choose a probabilistic estimator or drop the metric"
            )
        if name in PROBABILITY_METRICS and y.proba is None:
            raise StepError(
                f"metric '{name}' needs probabilities but the {who} has no predict_proba"
            )
        try:
            value = METRIC_FUNCTIONS[name](y)
        except ValueError as exc:
            log.warning("%s: metric %s is undefined on the test set: %s", who, name, exc)
            value = None
        else:
            if value is None or not math.isfinite(value):
                log.warning("%s: metric %s is undefined on the test set", who, name)
                value = None
        values[name] = value
    return values

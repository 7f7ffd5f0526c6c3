"""The model-metric vocabulary shared by the spec, the checks and the runtime steps.

This is compile-path code: it knows names, task types and directions only; the
runtime (``mlruntime.steps``) maps the same names onto scikit-learn functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TaskType = Literal["binary_classification", "multiclass_classification", "regression"]
Direction = Literal["higher", "lower"]

CLASSIFICATION: frozenset[str] = frozenset({"binary_classification", "multiclass_classification"})


@dataclass
class MetricInfo:
    """What a metric means: which tasks it suits, which way is better, what it needs."""

    name: str
    tasks: frozenset[str]
    direction: Direction
    needs_scores: bool = False
    description: str = ""


_BIN = frozenset({"binary_classification"})
_MULTI = frozenset({"multiclass_classification"})
_REG = frozenset({"regression"})

METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in (
        MetricInfo("accuracy", CLASSIFICATION, "higher", description="share of correct labels"),
        MetricInfo(
            "balanced_accuracy", CLASSIFICATION, "higher", description="mean recall per class"
        ),
        MetricInfo("precision", _BIN, "higher", description="precision of the positive class"),
        MetricInfo("recall", _BIN, "higher", description="recall of the positive class"),
        MetricInfo("f1", _BIN, "higher", description="F1 of the positive class"),
        MetricInfo("roc_auc", _BIN, "higher", True, "area under the ROC curve"),
        MetricInfo("average_precision", _BIN, "higher", True, "area under the PR curve"),
        MetricInfo("log_loss", CLASSIFICATION, "lower", True, "cross-entropy of the scores"),
        MetricInfo("brier", _BIN, "lower", True, "Brier score of the positive-class score"),
        MetricInfo("f1_macro", _MULTI, "higher", description="unweighted mean F1 over classes"),
        MetricInfo("f1_weighted", _MULTI, "higher", description="support-weighted mean F1"),
        MetricInfo("precision_macro", _MULTI, "higher", description="mean precision"),
        MetricInfo("recall_macro", _MULTI, "higher", description="mean recall"),
        MetricInfo("roc_auc_ovr", _MULTI, "higher", True, "one-vs-rest ROC AUC"),
        MetricInfo("rmse", _REG, "lower", description="root mean squared error"),
        MetricInfo("mse", _REG, "lower", description="mean squared error"),
        MetricInfo("mae", _REG, "lower", description="mean absolute error"),
        MetricInfo("mape", _REG, "lower", description="mean absolute percentage error"),
        MetricInfo("r2", _REG, "higher", description="coefficient of determination"),
    )
}

DEFAULT_METRICS: dict[str, tuple[str, ...]] = {
    "binary_classification": ("accuracy", "f1", "precision", "recall", "roc_auc"),
    "multiclass_classification": ("accuracy", "balanced_accuracy", "f1_macro"),
    "regression": ("mae", "r2", "rmse"),
}


def metrics_for(task: str) -> list[str]:
    """Names of the metrics that suit a task type, sorted."""
    return sorted(name for name, info in METRICS.items() if task in info.tasks)

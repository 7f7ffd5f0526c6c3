"""Target ``dvc``: the evaluate stage's plots, as DVC plot outputs with their properties.

The evaluate step writes the CSV files named in :mod:`mlcontract.pipeline_layout`;
this module says how DVC draws them (``dvc plots show`` / ``dvc plots diff``):
ROC and precision-recall curves and a confusion matrix for classification,
predicted-vs-actual and residuals for regression.

Curves are aggregates and are kept in git (``cache: false``), so ``dvc plots
diff`` compares commits without the DVC cache. The per-row files (confusion,
predicted-vs-actual, residuals) hold one line per test row: for a sensitive
project they go to the DVC cache instead, never into git.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlcontract import ir
from mlcontract import pipeline_layout as layout


@dataclass
class Plot:
    """One plot file: its columns, the DVC template that draws it, and labels."""

    path: str
    x: str
    y: str
    template: str
    title: str
    x_label: str
    y_label: str
    per_row: bool

    def output(self, *, sensitive: bool) -> dict[str, dict[str, Any]]:
        """The entry under a stage's ``plots:``."""
        return {
            self.path: {
                "cache": self.per_row and sensitive,
                "template": self.template,
                "x": self.x,
                "y": self.y,
                "title": self.title,
                "x_label": self.x_label,
                "y_label": self.y_label,
            }
        }


CLASSIFICATION_PLOTS = (
    Plot(
        layout.PLOT_ROC,
        "fpr",
        "tpr",
        "simple",
        "ROC curve (test set)",
        "false positive rate",
        "true positive rate",
        per_row=False,
    ),
    Plot(
        layout.PLOT_PRECISION_RECALL,
        "recall",
        "precision",
        "simple",
        "Precision-recall curve (test set)",
        "recall",
        "precision",
        per_row=False,
    ),
    Plot(
        layout.PLOT_CONFUSION,
        "actual",
        "predicted",
        "confusion",
        "Confusion matrix (test set)",
        "actual class",
        "predicted class",
        per_row=True,
    ),
)
REGRESSION_PLOTS = (
    Plot(
        layout.PLOT_PREDICTED_VS_ACTUAL,
        "actual",
        "predicted",
        "scatter",
        "Predicted vs actual (test set)",
        "actual",
        "predicted",
        per_row=True,
    ),
    Plot(
        layout.PLOT_RESIDUALS,
        "predicted",
        "residual",
        "scatter",
        "Residuals (test set)",
        "predicted",
        "actual - predicted",
        per_row=True,
    ),
)


def plots_for(task: str) -> tuple[Plot, ...]:
    return REGRESSION_PLOTS if task == "regression" else CLASSIFICATION_PLOTS


def plot_outputs(project: ir.Project) -> list[dict[str, dict[str, Any]]]:
    """The evaluate stage's ``plots:`` list for the project's task."""
    return [plot.output(sensitive=project.sensitive) for plot in plots_for(project.task)]

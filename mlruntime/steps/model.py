"""Runtime model assembly: preprocessing around an estimator, and fitting it safely.

Numeric columns get median imputation (and standard scaling in front of
scale-sensitive estimators: linear models, SVMs, neighbours, neural networks);
categorical columns get most-frequent imputation, their values as text, and a
one-hot encoding that ignores categories unseen in training. Training reads a
category as text, while serving sends a category declared with integer codes
as INT64 (``mlcontract.serving_contract``): read as text inside the model, the
code 3 and the text "3" are the same category, not an unknown value. The cast
is ``numpy.asarray`` in scikit-learn's ``FunctionTransformer``, so the pickled
model needs nothing but scikit-learn and NumPy to load (KServe's sklearn server).
A Pipeline whose first step is a ColumnTransformer already handles its columns
and is used as it is.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from mlcontract import pipeline_layout
from mlruntime.steps.config import StepContext
from mlruntime.steps.data import training_columns
from mlruntime.steps.errors import StepError

log = logging.getLogger(__name__)

SCALE_SENSITIVE = (
    "sklearn.linear_model",
    "sklearn.svm",
    "sklearn.neighbors",
    "sklearn.neural_network",
)


@dataclass(frozen=True)
class TrainingData:
    """Features and labels of one split, with the column roles the model uses."""

    features: pd.DataFrame
    labels: pd.Series
    numeric: list[str]
    categorical: list[str]


def read_split(ctx: StepContext, relative: str) -> pd.DataFrame:
    path = ctx.path(relative)
    if not path.is_file():
        raise StepError(f"{relative} not found: run `mlproject step split` first")
    try:
        return pd.read_parquet(path)
    except (ValueError, OSError) as exc:
        raise StepError(f"cannot read {relative}: {exc}") from None


def training_data(ctx: StepContext, frame: pd.DataFrame) -> TrainingData:
    """Split a frame into features and labels, checking the labels suit the task."""
    target = ctx.project.training.target
    if target not in frame.columns:
        raise StepError(f"target column '{target}' is not in {pipeline_layout.TRAIN_SET}")
    if frame.empty:
        raise StepError(f"{pipeline_layout.TRAIN_SET} has no rows")
    ordered, numeric, categorical = training_columns(ctx.project, frame)
    labels = frame[target]
    if ctx.is_classification:
        labels = integral_labels(labels)
        classes = labels.nunique()
        if classes < 2:
            raise StepError(
                f"target '{target}' has {classes} class in the {len(labels)} training rows: "
                "a classifier needs at least two"
            )
    elif not pd.api.types.is_numeric_dtype(labels.dtype) or pd.api.types.is_bool_dtype(
        labels.dtype
    ):
        raise StepError(f"regression target '{target}' is not numeric ({labels.dtype})")
    return TrainingData(frame[ordered], labels, numeric, categorical)


def integral_labels(labels: pd.Series) -> pd.Series:
    """Float labels that are all whole numbers (e.g. 0.0/1.0) become integers."""
    if pd.api.types.is_float_dtype(labels.dtype):
        values = labels.to_numpy(dtype="float64")
        if np.all(np.isfinite(values)) and np.all(np.floor(values) == values):
            return labels.astype("int64")
    return labels


def final_step(estimator: Any) -> Any:
    return estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator


def with_preprocessing(estimator: Any, numeric: list[str], categorical: list[str]) -> Any:
    """The estimator behind the standard preprocessing, unless it brings its own."""
    if isinstance(estimator, Pipeline) and isinstance(estimator.steps[0][1], ColumnTransformer):
        return estimator
    scale = type(final_step(estimator)).__module__.startswith(SCALE_SENSITIVE)
    numeric_steps: list[tuple[str, Any]] = [("impute", SimpleImputer(strategy="median"))]
    if scale:
        numeric_steps.append(("scale", StandardScaler()))
    transformers: list[tuple[str, Any, list[str]]] = []
    if numeric:
        transformers.append(("numeric", Pipeline(numeric_steps), numeric))
    if categorical:
        encode = Pipeline(
            [
                ("impute", SimpleImputer(strategy="most_frequent")),
                ("as_text", _as_text()),
                ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
            ]
        )
        transformers.append(("categorical", encode, categorical))
    return Pipeline(
        [
            ("preprocess", ColumnTransformer(transformers, remainder="drop")),
            ("estimator", estimator),
        ]
    )


def _as_text() -> FunctionTransformer:
    """Every value as text, whatever type a request decoded it to."""
    return FunctionTransformer(np.asarray, kw_args={"dtype": str}, feature_names_out="one-to-one")


def fit(model: Any, data: TrainingData, what: str) -> None:
    """Fit, turning the errors bad parameters or data cause into a StepError."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            model.fit(data.features, data.labels)
        except (ValueError, TypeError) as exc:
            message = " ".join(str(exc).split())
            raise StepError(f"fitting {what} failed: {message}") from None
    for warning in caught:
        if issubclass(warning.category, ConvergenceWarning):
            log.warning("%s: %s", what, " ".join(str(warning.message).split()))
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )

"""Runtime: the trained model saved in the MLflow model format (train step).

``mlflow.sklearn.save_model`` writes the directory MLServer's MLflow runtime
(``mlserver-mlflow``) and KServe's ``mlflow`` format load: ``MLmodel``,
``model.pkl`` and the environment files. What goes in it is decided here:

- the **signature** comes from the feature contract: the features in training
  order, each with the type the model was trained on (a category declared with
  integer codes: long, the INT64 requests send it as), required unless the
  spec declares the column nullable; the output is inferred from one prediction;
- the **input example** is synthetic, never a row of the data: the median of a
  numeric feature, the first declared category of a categorical one (else the
  most frequent value, and for a confidential/PII source a placeholder), so no
  raw row of a sensitive source reaches a model file or an MLflow server;
- the **requirements** are pinned to this environment's scikit-learn and
  cloudpickle, so MLflow need not spawn a process to infer them;
- a classifier answers with ``predict_proba`` when a KPI metric needs scores,
  as the scikit-learn runtime does (``mlcontract.serving_contract.predicts_scores``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlcontract import ir
from mlruntime.tracking.client import TrackingError

PLACEHOLDER = "example"
_INSTALL_HINT = "pip install 'mlproject-gitops[mlflow]' (mlflow-skinny)"


def _mlflow_type(dtype: Any) -> str:
    kind = getattr(dtype, "kind", "O")
    if kind == "b":
        return "boolean"
    if kind in "iu":
        return "long"
    if kind == "f":
        return "double"
    if kind == "M":
        return "datetime"
    return "string"


def input_example(project: ir.Project, features: Any) -> Any:
    """One synthetic row (a DataFrame) in training order, built from the contract and aggregates."""
    import pandas as pd

    source = project.training_source
    columns = {c.name: c for c in source.columns}
    row: dict[str, Any] = {}
    for name in features.columns:
        series = features[name]
        column = columns.get(name)
        kind = getattr(series.dtype, "kind", "O")
        if kind in "iuf" and kind != "b":
            median = series.median()
            value: Any = 0 if pd.isna(median) else median
            row[name] = round(value) if kind in "iu" else float(value)
        elif kind == "b":
            row[name] = False
        elif column is not None and column.categories:
            row[name] = column.categories[0]  # an integer code stays one (signed long)
        elif source.sensitive or (column is not None and column.pii):
            row[name] = PLACEHOLDER
        else:
            mode = series.mode(dropna=True)
            row[name] = str(mode.iloc[0]) if len(mode) else PLACEHOLDER
    frame = pd.DataFrame([row], columns=list(features.columns))
    codes = _integer_codes(project)
    trained = {name: features[name].dtype for name in frame.columns if name not in codes}
    return frame.astype(trained, errors="ignore")


def _integer_codes(project: ir.Project) -> frozenset[str]:
    """Category columns declared with integer codes: requests send them as INT64
    (``serving_contract.integer_codes``), so the signature takes them as long."""
    from mlcontract.serving_contract import integer_codes

    return frozenset(c.name for c in project.training_source.columns if integer_codes(c))


def save(
    project: ir.Project, model: Any, features: Any, directory: Path, predict_scores: bool
) -> None:
    """Save ``model`` (fitted on ``features``) as an MLflow model into ``directory`` (empty)."""
    try:
        import cloudpickle
        import mlflow.sklearn
        import sklearn
        from mlflow.models import ModelSignature, infer_signature
        from mlflow.types import ColSpec, Schema
    except ImportError as exc:
        raise TrackingError(
            f"the MLflow model format needs the MLflow client: {exc}", _INSTALL_HINT
        ) from None

    declared = {c.name: c for c in project.training_source.columns}
    codes = _integer_codes(project)
    inputs = Schema(
        [
            ColSpec(
                "long" if name in codes else _mlflow_type(features[name].dtype),
                name,
                required=not (declared[name].nullable if name in declared else True),
            )
            for name in features.columns
        ]
    )
    example = input_example(project, features)
    output = model.predict_proba(example) if predict_scores else model.predict(example)
    signature = ModelSignature(inputs=inputs, outputs=infer_signature(example, output).outputs)
    if directory.is_dir():
        directory.rmdir()  # MLflow refuses an existing path, even an empty one
    mlflow.sklearn.save_model(
        model,
        str(directory),
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,
        signature=signature,
        input_example=example,
        pip_requirements=[
            f"scikit-learn=={sklearn.__version__}",
            f"cloudpickle=={cloudpickle.__version__}",
        ],
        pyfunc_predict_fn="predict_proba" if predict_scores else "predict",
    )

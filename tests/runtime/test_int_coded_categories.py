"""A category whose declared values are integers (region 0..4) is served as INT64.

The serving contract (model-settings inputs, the sample request, KServe, the
load test) sends such a column as V2 INT64, while the train step reads every
category as text. The trained model must give an integer code the category it
was trained on, not take it for an unknown value (the one-hot encoder ignores
unknown values, so the answer is a valid but wrong probability).
"""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from mlcontract import pipeline_layout as layout
from mlruntime.serving.artifacts import load_artifact
from mlruntime.serving.project import WORKSPACE, load_project
from mlruntime.serving.samples import reference_rows
from mlruntime.steps.data import apply_schema, read_source
from tests.runtime.test_runtime_support import HEADER, make_project, run_step

SPEC = (
    HEADER.format(name="tiny-fraud")
    + """\
objective:
  problem: Flag fraud.
  task: binary_classification
kpis:
  metrics:
    - {name: roc_auc, minimum: 0.5, primary: true}
data:
  sources:
    - name: transactions
      path: data/raw/2026/transactions.parquet
      format: parquet
      target: is_fraud
      timestamp: event_time
      columns:
        - {name: event_time, type: datetime}
        - {name: region_code, type: category, categories: [0, 1, 2, 3, 4]}
        - {name: is_member, type: boolean}
        - {name: amount, type: float, min: 0}
        - {name: is_fraud, type: integer}
training:
  estimator:
    class: sklearn.linear_model.LogisticRegression
    params: {max_iter: 500}
"""
)


def transactions(rows: int = 600, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    region = rng.integers(0, 5, rows)
    member = rng.random(rows) < 0.3
    amount = rng.lognormal(3, 1, rows).round(2)
    fraud = (rng.random(rows) < np.where(region == 3, 0.6, 0.05)).astype("int64")
    return pd.DataFrame(
        {
            "event_time": pd.date_range("2026-10-01", periods=rows, freq="h"),
            "region_code": region.astype("int64"),
            "is_member": member,
            "amount": amount,
            "is_fraud": fraud,
        }
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("intcodes") / "p"
    project = make_project(root, SPEC, {"data/raw/2026/transactions.parquet": transactions()})
    run_step(project, "split")
    run_step(project, "train")
    return project


def test_the_served_request_of_integer_codes_gets_the_trained_answer(trained: Path) -> None:
    codecs = pytest.importorskip("mlserver.codecs")
    types = pytest.importorskip("mlserver.types")
    compiled = load_project(trained)
    artifact = load_artifact(compiled, WORKSPACE)
    rows = reference_rows(compiled, trained=artifact.features)
    assert rows.datatypes[rows.columns.index("region_code")] == "INT64"
    model = joblib.load(trained / layout.MODEL_FILE)
    source = compiled.ir.training_source
    typed = apply_schema(read_source(trained, source), source).frame[list(rows.columns)]
    # One row per region: what MLServer's pandas codec hands the model for each request.
    first = {int(code): i for i, code in reversed(list(enumerate(typed["region_code"])))}
    for code, index in sorted(first.items()):
        request = types.InferenceRequest(**rows.request(start=index))
        served = codecs.PandasCodec.decode_request(request)
        assert served["region_code"].tolist() == [code]
        expected = model.predict_proba(typed.iloc[[index]])
        assert model.predict_proba(served) == pytest.approx(expected), code


def test_a_text_code_is_the_same_category_as_the_integer(trained: Path) -> None:
    """A client that sends the code as text ("3") gets the same answer as one sending 3."""
    model = joblib.load(trained / layout.MODEL_FILE)
    row = pd.DataFrame({"region_code": [3], "is_member": [False], "amount": [20.0]})
    as_text = row.astype({"region_code": str})
    assert model.predict_proba(row) == pytest.approx(model.predict_proba(as_text))
    other = row.assign(region_code=[0])
    assert model.predict_proba(row)[0, 1] > model.predict_proba(other)[0, 1]


def test_codes_stored_as_floats_because_of_gaps_are_the_declared_categories(
    tmp_path: Path,
) -> None:
    """pandas writes an integer column with missing values as float64 (3.0, NaN): the
    codes are still 0..4, not the texts "3.0" that would break `categories` on every row,
    count as new categories in the monitor, and miss the INT64 code a request sends."""
    frame = transactions()
    region = frame["region_code"].astype("float64")
    region[::25] = np.nan
    frame["region_code"] = region
    spec = SPEC.replace(
        "type: category, categories: [0, 1, 2, 3, 4]}",
        "type: category, nullable: true, categories: [0, 1, 2, 3, 4]}",
    )
    project = make_project(tmp_path / "p", spec, {"data/raw/2026/transactions.parquet": frame})
    source = load_project(project).ir.training_source
    typed = apply_schema(read_source(project, source), source)
    assert typed.type_failures == {}
    codes = typed.frame["region_code"]
    assert set(codes.dropna()) == {"0", "1", "2", "3", "4"} and codes.isna().sum() == 24
    run_step(project, "validate-data")
    run_step(project, "split")
    run_step(project, "train")
    model = joblib.load(project / layout.MODEL_FILE)
    row = pd.DataFrame({"region_code": [3], "is_member": [False], "amount": [20.0]})
    other = row.assign(region_code=[0])
    assert model.predict_proba(row)[0, 1] > model.predict_proba(other)[0, 1] + 0.2
    # The monitor reads the same window: no schema violation, no new category; a code
    # 2.5 is a value outside the categories (as on the SQL engines), not a type error.
    window = tmp_path / "window.parquet"
    frame.to_parquet(window, index=False)
    run_step(project, "monitor", "--reference", "training", "--current", str(window))
    report = json.loads((project / "reports" / "monitor.json").read_text())
    quality = report["data_quality"]
    assert report["errors"] == [] and quality["schema_violations"] == [], report
    assert report["breaches"]["data_quality"] is False, quality
    frame.loc[frame.index[1:4], "region_code"] = 2.5
    frame.to_parquet(window, index=False)
    run_step(project, "monitor", "--reference", "training", "--current", str(window))
    report = json.loads((project / "reports" / "monitor.json").read_text())
    quality = report["data_quality"]
    assert report["errors"] == [] and quality["schema_violations"] == [], report
    region = next(q for q in quality["columns"] if q["column"] == "region_code")
    assert region["new_categories"] == 1, region


def test_a_value_that_is_no_code_is_not_sent_rather_than_a_crash(tmp_path: Path) -> None:
    """`serve` (its sample request) and `loadtest` send rows of the data as INT64 codes:
    a value the declared codes do not cover ("x", which data validation reports) leaves
    its row out, instead of an internal error that stopped `mlproject serve`."""
    frame = transactions(rows=40)
    frame["region_code"] = frame["region_code"].astype(str)
    frame.loc[0, "region_code"] = "x"
    project = make_project(
        tmp_path / "p",
        SPEC.replace("data/raw/2026/transactions.parquet", "data/transactions.csv").replace(
            "      format: parquet\n", ""
        ),
        {"data/transactions.csv": frame},
    )
    rows = reference_rows(load_project(project))
    column = rows.columns.index("region_code")
    assert rows.datatypes[column] == "INT64"
    assert len(rows.values) == 39
    assert [row[column] for row in rows.values] == frame["region_code"][1:].astype(int).tolist()


# MLflow 3.17 itself compares a string column with a range when it saves the input example.
@pytest.mark.filterwarnings("ignore:Operation with range is deprecated")
def test_the_mlflow_format_takes_the_integer_codes_serving_sends(tmp_path: Path) -> None:
    """deployment.model_format: mlflow. MLflow enforces the model's signature on every
    request (MLServer's MLflow runtime, KServe's mlflow format): the codes are signed as
    long, as model-settings declares them (INT64), not as the text training read."""
    mlflow_pyfunc = pytest.importorskip("mlflow.pyfunc", reason="pip install -e '.[mlflow]'")
    spec = SPEC.replace("training:\n", "deployment:\n  model_format: mlflow\ntraining:\n")
    project = make_project(
        tmp_path / "p", spec, {"data/raw/2026/transactions.parquet": transactions()}
    )
    run_step(project, "split")
    run_step(project, "train")
    model = mlflow_pyfunc.load_model(str(project / layout.MLFLOW_MODEL_DIR))
    signed = {c.name: c.type for c in model.metadata.get_input_schema().inputs}
    assert signed["region_code"].name == "long", signed
    row = pd.DataFrame({"region_code": [3], "is_member": [False], "amount": [20.0]})
    plain = joblib.load(project / layout.MODEL_FILE)
    assert np.asarray(model.predict(row)) == pytest.approx(plain.predict_proba(row))

"""Shared helpers for the runtime-step tests: small projects with seeded data.

A project here is what the steps see after ``mlproject compile``: the spec, the
compiled configuration (lowered from the spec, rendered by the ``config``
target), ``params.yaml`` from ``default_params`` and a data file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from click.testing import CliRunner, Result

from compiler.lower import lower
from compiler.pipeline import validate_text
from mlcli.app import cli
from mlcontract import pipeline_layout
from targets import config

HEADER = """\
apiVersion: mlproject/v1
metadata:
  name: {name}
  owners: [{{name: Ada Lovelace, email: ada@example.com}}]
"""

BINARY_SPEC = (
    HEADER.format(name="tiny-churn")
    + """\
objective:
  problem: Predict churn.
  task: binary_classification
kpis:
  metrics:
    - {name: roc_auc, minimum: 0.7, primary: true}
data:
  sources:
    - name: customers
      path: data/customers.csv
      target: churned
      timestamp: signup
      pii: [customer_id]
      columns:
        - {name: customer_id, type: string}
        - {name: signup, type: datetime}
        - {name: age, type: integer, min: 18, max: 100}
        - {name: income, type: float, nullable: true, min: 0}
        - {name: plan, type: category, categories: [basic, plus, pro]}
        - {name: active, type: boolean}
        - {name: churned, type: integer}
training:
  estimator:
    class: sklearn.linear_model.LogisticRegression
    params: {max_iter: 500}
evaluation:
  metrics: [roc_auc, accuracy, f1, precision, recall, average_precision, log_loss, brier]
  gates:
    beat_baseline: {margin: 0.1}
    beat_champion: {margin: 0.01}
"""
)

REGRESSION_SPEC = (
    HEADER.format(name="tiny-demand")
    + """\
objective:
  problem: Forecast units sold.
  task: regression
kpis:
  metrics:
    - {name: rmse, maximum: 30, primary: true}
    - {name: r2, minimum: 0.5}
data:
  sources:
    - name: sales
      path: data/sales.parquet
      format: parquet
      target: units
      timestamp: day
      columns:
        - {name: day, type: datetime}
        - {name: store, type: category, categories: [north, south]}
        - {name: price, type: float, min: 0}
        - {name: promo, type: boolean}
        - {name: units, type: float, min: 0}
training:
  split: {method: time, test_size: 0.25}
  estimator:
    class: sklearn.ensemble.RandomForestRegressor
    params: {n_estimators: 20, random_state: 0}
evaluation:
  metrics: [rmse, mae, mse, mape, r2]
"""
)

MULTICLASS_SPEC = (
    HEADER.format(name="tiny-iris")
    + """\
objective:
  problem: Classify flowers.
  task: multiclass_classification
kpis:
  metrics:
    - {name: accuracy, minimum: 0.8, primary: true}
data:
  sources:
    - {name: flowers, path: data/flowers.csv, target: species}
evaluation:
  metrics: [accuracy, balanced_accuracy, f1_macro, f1_weighted, precision_macro,
            recall_macro, roc_auc_ovr, log_loss]
"""
)

STEPS = ("validate-data", "split", "train", "baseline", "evaluate", "gate")


def churn_frame(rows: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, rows)
    income = rng.gamma(4.0, 800.0, rows).round(2)
    income[rng.random(rows) < 0.05] = np.nan
    plan = rng.choice(["basic", "plus", "pro"], rows)
    active = rng.random(rows) < 0.7
    logit = -0.04 * (age - 50) + 1.5 * (plan == "basic") - 1.2 * active - 0.3
    churned = (rng.random(rows) < 1.0 / (1.0 + np.exp(-2.0 * logit))).astype(int)
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(rows)],
            "signup": pd.date_range("2023-01-01", periods=rows, freq="D").strftime("%Y-%m-%d"),
            "age": age,
            "income": income,
            "plan": plan,
            "active": active,
            "churned": churned,
        }
    )


def sales_frame(rows: int = 300, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    store = rng.choice(["north", "south"], rows)
    price = rng.uniform(1.0, 10.0, rows).round(2)
    promo = rng.random(rows) < 0.3
    units = 120 - 8 * price + 25 * promo + 15 * (store == "north") + rng.normal(0, 4, rows)
    return pd.DataFrame(
        {
            "day": pd.date_range("2024-01-01", periods=rows, freq="D"),
            "store": store,
            "price": price,
            "promo": promo,
            "units": units.clip(0).round(1),
        }
    )


def flowers_frame(rows: int = 150, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    species = np.repeat(["setosa", "versicolor", "virginica"], rows // 3)
    centre = {"setosa": 1.5, "versicolor": 4.5, "virginica": 6.0}
    length = np.array([centre[s] for s in species]) + rng.normal(0, 0.4, len(species))
    width = length / 3 + rng.normal(0, 0.2, len(species))
    return pd.DataFrame({"petal_length": length, "petal_width": width, "species": species})


def write_data(project: Path, relative: str, frame: pd.DataFrame) -> None:
    path = project / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if relative.endswith(".parquet"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


def make_project(
    root: Path, spec: str, data: dict[str, pd.DataFrame], params: dict[str, Any] | None = None
) -> Path:
    """A compiled project in ``root``: spec, configuration, params.yaml and data files."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "mlproject.yaml").write_text(spec, encoding="utf-8")
    result = validate_text(spec, "mlproject.yaml")
    assert result.ok and result.spec is not None and result.document is not None, [
        str(d) for d in result.diagnostics
    ]
    project = lower(result.spec, result.document, spec_file="mlproject.yaml", spec_sha256="0" * 64)
    for generated in config.render(project):
        path = root / generated.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(generated.content)
    values = pipeline_layout.default_params(project)
    for section, overrides in (params or {}).items():
        values.setdefault(section, {}).update(overrides)
    (root / pipeline_layout.PARAMS).write_text(yaml.safe_dump(values), encoding="utf-8")
    for relative, frame in data.items():
        write_data(root, relative, frame)
    return root


def set_params(project: Path, dotted: str, value: object) -> None:
    """What ``dvc exp run -S dotted=value`` does to params.yaml."""
    path = project / pipeline_layout.PARAMS
    params = yaml.safe_load(path.read_text(encoding="utf-8"))
    *parents, leaf = dotted.split(".")
    node = params
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value
    path.write_text(yaml.safe_dump(params), encoding="utf-8")


def run_step(project: Path, name: str, *args: str, code: int = 0) -> Result:
    """Run ``mlproject step NAME`` in-process; assert the exit code."""
    result = CliRunner().invoke(
        cli, ["step", name, "--project-dir", str(project), *args], catch_exceptions=False
    )
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    return result


def run_pipeline(project: Path, steps: tuple[str, ...] = STEPS) -> dict[str, Result]:
    return {name: run_step(project, name) for name in steps}


def binary_project(root: Path, frame: pd.DataFrame | None = None) -> Path:
    data = churn_frame() if frame is None else frame
    return make_project(root, BINARY_SPEC, {"data/customers.csv": data})

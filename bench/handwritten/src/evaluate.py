"""Score model and baseline on the test set: metrics, plot data and predictions."""

import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import yaml
from sklearn import metrics

TARGET = yaml.safe_load(Path("params.yaml").read_text())["data"]["target"]
features = [f["name"] for f in json.loads(Path("build/model/model.json").read_text())["features"]]
test = pd.read_parquet("build/split/test.parquet")
X, y = test[features], test[TARGET].to_numpy()


def scores(model):
    predicted = model.predict(X)
    proba = model.predict_proba(X)[:, -1]
    values = {
        "roc_auc": metrics.roc_auc_score(y, proba),
        "average_precision": metrics.average_precision_score(y, proba),
        "recall": metrics.recall_score(y, predicted, zero_division=0),
        "precision": metrics.precision_score(y, predicted, zero_division=0),
        "f1": metrics.f1_score(y, predicted, zero_division=0),
        "accuracy": metrics.accuracy_score(y, predicted),
        "brier": metrics.brier_score_loss(y, proba),
    }
    return {k: round(float(v), 6) for k, v in values.items()}, predicted, proba


def curve(first, second, names):
    frame = pd.DataFrame({names[0]: np.round(first, 6), names[1]: np.round(second, 6)})
    return frame[frame.ne(frame.shift()).any(axis=1)]  # drop repeated points


model_metrics, predicted, proba = scores(joblib.load("build/model/model.joblib"))
baseline_metrics, _, _ = scores(joblib.load("build/baseline/model.joblib"))
for path, values in (
    ("metrics/model.json", model_metrics),
    ("metrics/baseline.json", baseline_metrics),
):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(values, indent=2, sort_keys=True) + "\n")

Path("plots").mkdir(exist_ok=True)
fpr, tpr, _ = metrics.roc_curve(y, proba)
curve(fpr, tpr, ("fpr", "tpr")).to_csv("plots/roc.csv", index=False)
precision, recall, _ = metrics.precision_recall_curve(y, proba, drop_intermediate=True)
curve(recall[::-1], precision[::-1], ("recall", "precision")).to_csv(
    "plots/precision_recall.csv", index=False
)
pd.DataFrame({"actual": y, "predicted": predicted}).to_csv("plots/confusion.csv", index=False)
Path("build/eval").mkdir(parents=True, exist_ok=True)
pd.DataFrame({"actual": y, "predicted": predicted, "score": np.round(proba, 6)}).to_csv(
    "build/eval/predictions.csv", index=False
)
for name, value in model_metrics.items():
    print(f"{name:<18} {value:<10.6g} {baseline_metrics[name]:.6g}")

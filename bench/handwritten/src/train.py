"""Fit the HistGradientBoostingClassifier; write build/model/model.joblib and a sidecar."""

import json
from pathlib import Path

import joblib
from common import CATEGORICAL, FEATURES, PARAMS, training_set, with_preprocessing
from sklearn.ensemble import HistGradientBoostingClassifier

X, y = training_set()
model = with_preprocessing(HistGradientBoostingClassifier(**PARAMS["train"]["params"]))
model.fit(X, y)
out = Path("build/model")
out.mkdir(parents=True, exist_ok=True)
joblib.dump(model, out / "model.joblib")
features = [
    {
        "name": name,
        "dtype": str(X[name].dtype),
        "kind": "categorical" if name in CATEGORICAL else "numeric",
    }
    for name in FEATURES
]
sidecar = {"features": features, "classes": [int(c) for c in model.classes_]}
(out / "model.json").write_text(json.dumps(sidecar, indent=2, sort_keys=True) + "\n")
print(f"trained on {len(X)} rows, {len(FEATURES)} features")

"""Fit the DummyClassifier baseline behind the same preprocessing."""

from pathlib import Path

import joblib
from common import PARAMS, training_set, with_preprocessing
from sklearn.dummy import DummyClassifier

X, y = training_set()
model = with_preprocessing(DummyClassifier(strategy=PARAMS["baseline"]["strategy"]))
model.fit(X, y)
out = Path("build/baseline")
out.mkdir(parents=True, exist_ok=True)
joblib.dump(model, out / "model.joblib")
print(f"trained baseline on {len(X)} rows")

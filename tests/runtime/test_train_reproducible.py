"""The same commit trains the same model: an estimator's unset random_state is seeded.

A user who names an estimator with randomness (a random forest, or
HistGradientBoosting, whose early stopping draws a validation split on more
than 10,000 rows) and no ``random_state`` got a different model from every
``dvc repro -f`` or ``dvc exp run`` of one commit: metrics and the gate verdict
moved without any change. The train step seeds every ``random_state`` left unset
with ``training.split.seed`` (as the split and the random baselines are); a value
the user sets is kept.
"""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from mlcontract import pipeline_layout as layout
from tests.runtime.test_runtime_support import binary_project, run_step, set_params


def _probabilities(project: Path) -> np.ndarray:
    model = joblib.load(project / layout.MODEL_FILE)
    test = pd.read_parquet(project / layout.TEST_SET)
    return np.asarray(model.predict_proba(test[list(model.feature_names_in_)]))


def _random_state(project: Path) -> object:
    model = joblib.load(project / layout.MODEL_FILE)
    return model.named_steps["estimator"].get_params()["random_state"]


def test_an_unseeded_forest_trains_the_same_model_twice(tmp_path: Path) -> None:
    project = binary_project(tmp_path / "p")
    set_params(project, "train.estimator", "sklearn.ensemble.RandomForestClassifier")
    set_params(project, "train.params", {"n_estimators": 5, "max_features": 1})
    set_params(project, "split.seed", 7)
    run_step(project, "split")
    run_step(project, "train")
    first = _probabilities(project)
    run_step(project, "train")
    assert np.array_equal(first, _probabilities(project))
    assert _random_state(project) == 7


def test_a_seed_in_the_params_is_kept(tmp_path: Path) -> None:
    project = binary_project(tmp_path / "p")
    set_params(project, "train.estimator", "sklearn.ensemble.RandomForestClassifier")
    set_params(project, "train.params", {"n_estimators": 5, "random_state": 123})
    run_step(project, "split")
    run_step(project, "train")
    assert _random_state(project) == 123


def test_a_pipeline_of_the_users_own_is_seeded_inside(tmp_path: Path) -> None:
    project = binary_project(tmp_path / "p")
    estimator = "tests.runtime.test_train_reproducible.forest_pipeline"
    set_params(project, "train.estimator", estimator)
    set_params(project, "train.params", {})
    run_step(project, "split")
    run_step(project, "train")
    first = _probabilities(project)
    run_step(project, "train")
    assert np.array_equal(first, _probabilities(project))


def forest_pipeline() -> object:
    """A user's factory: a Pipeline whose forest has no seed."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline

    return make_pipeline(RandomForestClassifier(n_estimators=5, max_features=1))

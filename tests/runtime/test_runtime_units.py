"""Runtime building blocks: metrics, estimator resolution, typed data, atomic outputs."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from mlcontract import ir, ir_codec
from mlcontract.metrics import METRICS
from mlruntime.steps import estimators, scoring
from mlruntime.steps.config import EstimatorChoice, load_context
from mlruntime.steps.data import apply_schema
from mlruntime.steps.errors import StepError
from mlruntime.steps.outputs import StagedOutputs, rounded
from tests.runtime.test_runtime_support import (
    binary_project,
    run_pipeline,
    run_step,
    set_params,
)


def test_every_metric_name_has_a_runtime_function() -> None:
    assert set(scoring.METRIC_FUNCTIONS) == set(METRICS)


def _binary() -> scoring.Predictions:
    actual = np.array([0, 0, 1, 1, 1, 0])
    proba1 = np.array([0.1, 0.6, 0.7, 0.9, 0.4, 0.2])
    proba = np.column_stack([1 - proba1, proba1])
    return scoring.Predictions(actual, (proba1 >= 0.5).astype(int), [0, 1], proba, None)


def test_binary_metrics_match_sklearn() -> None:
    y = _binary()
    names = tuple(sorted(n for n, m in METRICS.items() if "binary_classification" in m.tasks))
    values = scoring.compute(names, y, "model")
    assert values["roc_auc"] == pytest.approx(skm.roc_auc_score(y.actual, y.proba[:, 1]))
    assert values["brier"] == pytest.approx(skm.brier_score_loss(y.actual, y.proba[:, 1]))
    assert values["log_loss"] == pytest.approx(skm.log_loss(y.actual, y.proba))
    assert values["f1"] == pytest.approx(skm.f1_score(y.actual, y.predicted))
    assert values["accuracy"] == pytest.approx(4 / 6)


def test_regression_metrics_and_explicit_rmse() -> None:
    actual = np.array([10.0, 20.0, 30.0])
    y = scoring.Predictions(actual, np.array([12.0, 18.0, 33.0]), [], None, None)
    values = scoring.compute(("rmse", "mse", "mae", "mape", "r2"), y, "model")
    assert values["mse"] == pytest.approx(17 / 3)
    assert values["rmse"] == pytest.approx(math.sqrt(17 / 3))
    assert values["mape"] == pytest.approx((0.2 + 0.1 + 0.1) / 3)


def test_undefined_metric_is_none_not_nan() -> None:
    y = scoring.Predictions(
        np.array([1, 1]), np.array([1, 0]), [0, 1], np.array([[0.2, 0.8], [0.6, 0.4]]), None
    )
    values = scoring.compute(("roc_auc", "accuracy"), y, "model")
    assert values == {"roc_auc": None, "accuracy": 0.5}


def test_metrics_that_need_probabilities_say_so() -> None:
    y = scoring.Predictions(np.array([0, 1]), np.array([0, 1]), [0, 1], None, np.array([-1.0, 1]))
    assert scoring.compute(("roc_auc",), y, "model") == {"roc_auc": 1.0}
    with pytest.raises(StepError, match="metric 'brier' needs probabilities"):
        scoring.compute(("brier",), y, "model")
    without = scoring.Predictions(np.array([0, 1]), np.array([0, 1]), [0, 1], None, None)
    with pytest.raises(StepError, match="neither predict_proba nor decision_function"):
        scoring.compute(("roc_auc",), without, "baseline")


def test_rounded_is_stable_and_json_safe() -> None:
    assert rounded(0.1234567) == 0.123457
    assert rounded(float("nan")) is None and rounded(float("inf")) is None
    assert str(rounded(-0.0000001)) == "0.0"


USER_MODULE = """
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

PIPELINE = make_pipeline(StandardScaler(), LogisticRegression())
OWN_COLUMNS = Pipeline([
    ("columns", ColumnTransformer([("numbers", StandardScaler(), ["age"])])),
    ("model", LogisticRegression()),
])


def make(C=1.0):
    return LogisticRegression(C=C)
"""


@pytest.fixture
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    package = tmp_path / "userpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(textwrap.dedent(USER_MODULE))
    (package / "broken.py").write_text("raise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return "userpkg"


def _choice(path: str, **params: object) -> EstimatorChoice:
    return EstimatorChoice(path=path, params=dict(params), origin="train")


def test_instances_are_cloned_and_factories_called(user_module: str) -> None:
    from userpkg import models

    built = estimators.build(
        _choice("userpkg.models.PIPELINE", logisticregression__C=0.5), "binary_classification"
    )
    assert isinstance(built, Pipeline) and built is not models.PIPELINE
    assert built.get_params()["logisticregression__C"] == 0.5
    assert models.PIPELINE.get_params()["logisticregression__C"] == 1.0
    made = estimators.build(_choice("userpkg.models.make", C=3.0), "binary_classification")
    assert isinstance(made, LogisticRegression) and made.C == 3.0
    with pytest.raises(StepError, match=r"does not accept parameter 'c' \(did you mean 'C'\?\)"):
        estimators.build(_choice("userpkg.models.make", c=3.0), "binary_classification")


def test_unknown_params_hint_at_removing_them_in_an_experiment() -> None:
    """An experiment swapping the estimator (-S train.estimator=...) keeps the spec's params
    of the old one: the hint says how to drop them (a null value would be passed as None)."""
    choice = _choice("sklearn.ensemble.RandomForestClassifier", max_iter=1000, tol=0.1)
    with pytest.raises(StepError) as raised:
        estimators.build(choice, "binary_classification")
    assert raised.value.hint == (
        "in an experiment, remove them with `dvc exp run -S '~train.params.max_iter' "
        "-S '~train.params.tol' ...`; else fix the estimator's params in the spec"
    )


def test_import_failures_name_the_path(user_module: str) -> None:
    with pytest.raises(StepError, match=r"'userpkg\.broken\.Model' does not import: RuntimeError"):
        estimators.resolve("userpkg.broken.Model", "train.estimator")
    with pytest.raises(StepError, match=r"'userpkg\.models' has no attribute 'Pipe'"):
        estimators.resolve("userpkg.models.Pipe", "train.estimator")


def test_a_pipeline_with_its_own_columns_is_used_as_is(user_module: str, tmp_path: Path) -> None:
    project = binary_project(tmp_path / "p")
    set_params(project, "train.estimator", "userpkg.models.OWN_COLUMNS")
    set_params(project, "train.params", {})
    run_pipeline(project, ("split", "train"))
    import joblib

    model = joblib.load(project / "build/model/model.joblib")
    assert [name for name, _ in model.steps] == ["columns", "model"]


def test_scale_sensitive_estimators_get_scaling(tmp_path: Path) -> None:
    project = binary_project(tmp_path / "p")
    run_pipeline(project, ("split", "train"))
    import joblib

    model = joblib.load(project / "build/model/model.joblib")
    numeric = model.named_steps["preprocess"].named_transformers_["numeric"]
    assert [name for name, _ in numeric.steps] == ["impute", "scale"]


def test_decision_function_models_get_ranking_metrics_only(tmp_path: Path) -> None:
    project = binary_project(tmp_path / "p")
    set_params(project, "train.estimator", "sklearn.svm.LinearSVC")
    set_params(project, "train.params", {"random_state": 0})
    run_pipeline(project, ("split", "train", "baseline"))
    result = run_step(project, "evaluate", code=1)
    assert "metric 'brier' needs probabilities but the model has no predict_proba" in result.stderr
    assert not (project / "metrics/model.json").exists()


def _source(*columns: ir.Column) -> ir.Source:
    return ir.Source(
        name="s",
        path="s.csv",
        uri=None,
        format="csv",
        target=None,
        timestamp=None,
        columns=columns,
        sensitivity="internal",
        pii=(),
        freshness_seconds=None,
        sensitive=False,
    )


def _column(name: str, kind: str) -> ir.Column:
    return ir_codec.load(
        ir.Column,
        {
            "name": name,
            "type": kind,
            "nullable": True,
            "min": None,
            "max": None,
            "categories": None,
            "pii": False,
        },
    )


def test_apply_schema_converts_and_counts_failures() -> None:
    frame = pd.DataFrame(
        {
            "n": ["1", "2.5", "x", None],
            "b": ["yes", "False", "1", "perhaps"],
            "d": ["2024-01-02", "2024-01-03T10:00:00", "soon", None],
        }
    )
    source = _source(_column("n", "integer"), _column("b", "boolean"), _column("d", "datetime"))
    typed = apply_schema(frame, source)
    assert typed.type_failures == {"n": 2, "b": 1, "d": 1}
    assert typed.type_examples["n"] == ["2.5", "x"]
    assert typed.frame["b"].tolist()[:3] == [True, False, True]
    assert pd.api.types.is_datetime64_any_dtype(typed.frame["d"].dtype)


def test_staged_outputs_all_or_nothing(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out/a.json").write_text("stale")

    def fail_half_way() -> None:
        with StagedOutputs(tmp_path, ["out/a.json", "out/b.json"]) as out:
            out.write_json("out/a.json", {"x": 1})
            raise RuntimeError("step failed half-way")

    with pytest.raises(RuntimeError):
        fail_half_way()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == []
    with StagedOutputs(tmp_path, ["out/a.json", "out/b.json"]) as out:
        out.write_json("out/a.json", {"x": 1})
        out.write_json("out/b.json", {"y": 2.5})
        assert not (tmp_path / "out/a.json").exists()  # nothing visible before the commit
    assert json.loads((tmp_path / "out/b.json").read_text()) == {"y": 2.5}
    with StagedOutputs(tmp_path, []) as staged, pytest.raises(ValueError, match="not declared"):
        staged.write_json("other.json", {})


def test_staged_outputs_stale_until_exit_replaces_or_removes_at_the_end(tmp_path: Path) -> None:
    (tmp_path / "a.prom").write_text("last run")
    (tmp_path / "b.md").write_text("last run")
    with StagedOutputs(tmp_path, ["a.prom", "b.md"], stale_until_exit=True) as out:
        assert (tmp_path / "a.prom").read_text() == "last run"  # readers never see it missing
        out.write_bytes("a.prom", b"this run")
        assert (tmp_path / "a.prom").read_text() == "last run"  # nothing new before the commit
    assert (tmp_path / "a.prom").read_text() == "this run"
    assert not (tmp_path / "b.md").exists()  # not written this run: last run's copy is gone

    def fail_half_way() -> None:
        with StagedOutputs(tmp_path, ["a.prom", "b.md"], stale_until_exit=True) as out:
            out.write_bytes("b.md", b"half")
            raise RuntimeError("step failed half-way")

    with pytest.raises(RuntimeError):
        fail_half_way()
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # a failed run leaves nothing stale


_MODES = """
import os, stat, sys
from pathlib import Path
import pandas as pd
from mlruntime.serving.score import _write_atomic
from mlruntime.steps.outputs import StagedOutputs
root = Path(sys.argv[1])
with StagedOutputs(root, ["reports/monitor.prom", "build/model"]) as out:
    out.write_bytes("reports/monitor.prom", b"x 1\\n")
    out.temp_dir("build/model")
_write_atomic(pd.DataFrame({"a": [1]}), root / "scored.csv")
for name in ("reports/monitor.prom", "build/model", "scored.csv"):
    print(name, oct(stat.S_IMODE((root / name).stat().st_mode)))
"""


@pytest.mark.parametrize(
    ("umask", "file_mode", "dir_mode"), [(0o022, "0o644", "0o755"), (0o077, "0o600", "0o700")]
)
def test_outputs_renamed_into_place_have_the_mode_of_a_plain_write(
    tmp_path: Path, umask: int, file_mode: str, dir_mode: str
) -> None:
    """mkstemp's 0600 must not survive the rename: a Prometheus textfile collector running
    as another user could not read monitor.prom. The umask still rules, as for open()."""
    done = subprocess.run(
        [sys.executable, "-c", _MODES, str(tmp_path)],
        capture_output=True, text=True, check=True, preexec_fn=lambda: os.umask(umask),
    )  # fmt: skip
    modes = dict(line.split() for line in done.stdout.splitlines())
    assert modes == {
        "reports/monitor.prom": file_mode, "build/model": dir_mode, "scored.csv": file_mode,
    }  # fmt: skip


def test_missing_params_yaml_falls_back_to_the_compiled_values(tmp_path: Path) -> None:
    project = binary_project(tmp_path / "p")
    (project / "params.yaml").unlink()
    ctx = load_context(project)
    assert ctx.estimator.path == "sklearn.linear_model.LogisticRegression"
    assert ctx.estimator.params == {"max_iter": 500}
    assert ctx.split.test_size == 0.2
    assert ctx.gates.beat_baseline is not None and ctx.gates.beat_baseline.margin == 0.1


def test_baseline_estimator_from_params(tmp_path: Path) -> None:
    project = binary_project(tmp_path / "p")
    set_params(project, "baseline", {"estimator": "sklearn.tree.DecisionTreeClassifier"})
    set_params(project, "baseline.params", {"max_depth": 1, "random_state": 0})
    run_pipeline(project, ("split", "baseline"))
    assert "baseline sklearn.tree.DecisionTreeClassifier" in run_step(project, "baseline").stdout


def test_parquet_errors_name_the_column_not_the_value(tmp_path: Path) -> None:
    frame = pd.DataFrame({"code": pd.Series([1, "secret-value"], dtype=object)})
    with (
        pytest.raises(StepError, match="column 'code' holds values of mixed types") as caught,
        StagedOutputs(tmp_path, ["x.parquet"]) as out,
    ):
        out.write_parquet("x.parquet", frame)
    assert "secret" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []

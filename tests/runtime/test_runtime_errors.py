"""Bad input to the runtime steps: a clear one-line error, exit 1, no output left behind."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from mlcontract import pipeline_layout as layout
from tests.runtime.test_runtime_support import (
    BINARY_SPEC,
    binary_project,
    churn_frame,
    make_project,
    run_pipeline,
    run_step,
    set_params,
)

SPLIT_OUTPUTS = (layout.TRAIN_SET, layout.TEST_SET)
MODEL_OUTPUTS = (layout.MODEL_FILE, layout.MODEL_SIDECAR)


def _error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if ": error: " in line]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def _absent(project: Path, *relative: str) -> None:
    present = [r for r in relative if (project / r).exists()]
    assert present == []


def test_missing_data_file(tmp_path: Path) -> None:
    project = binary_project(tmp_path / "p")
    (project / "data/customers.csv").unlink()
    for step in ("validate-data", "split"):
        line = _error_line(run_step(project, step, code=1).stderr)
        assert "data file data/customers.csv of source 'customers' does not exist" in line
    _absent(project, layout.VALIDATION_REPORT, *SPLIT_OUTPUTS)


def test_wrong_column_types(tmp_path: Path) -> None:
    frame = churn_frame().astype({"age": "object", "active": "object"})
    frame.loc[[3, 7, 11], "age"] = "forty"
    frame.loc[[5], "active"] = "maybe"
    project = binary_project(tmp_path / "p", frame)
    result = run_step(project, "validate-data", code=1)
    assert "2 of 26 checks failed for source 'customers'" in _error_line(result.stderr)
    assert re.search(r"^age +type +integer +3 +-$", result.stderr, re.MULTILINE), result.stderr
    report = json.loads((project / layout.VALIDATION_REPORT).read_text())
    failed = {(c["column"], c["rule"]): c["rows"] for c in report["checks"] if not c["passed"]}
    assert failed == {("age", "type"): 3, ("active", "type"): 1}
    assert "forty" not in json.dumps(report)  # a source with PII never shows values
    line = _error_line(run_step(project, "split", code=1).stderr)
    assert "active (1 rows), age (3 rows)" in line and "validate-data" in line
    _absent(project, *SPLIT_OUTPUTS)


def test_schema_violations_are_counted_per_rule(tmp_path: Path) -> None:
    frame = churn_frame()
    frame.loc[[0, 1], "age"] = 12
    frame.loc[[2], "age"] = 130
    frame.loc[[4, 5, 6], "plan"] = "gold"
    frame["active"] = frame["active"].astype("object")
    frame.loc[[8], "active"] = None
    frame = frame.drop(columns=["signup"])
    project = binary_project(tmp_path / "p", frame)
    result = run_step(project, "validate-data", code=1)
    report = json.loads((project / layout.VALIDATION_REPORT).read_text())
    failed = {(c["column"], c["rule"]): c["rows"] for c in report["checks"] if not c["passed"]}
    assert failed == {
        ("signup", "present"): 400,
        ("age", "min"): 2,
        ("age", "max"): 1,
        ("plan", "categories"): 3,
        ("active", "not_null"): 1,
    }
    assert "gold" not in result.stderr


def test_examples_shown_only_for_non_sensitive_sources(tmp_path: Path) -> None:
    spec = BINARY_SPEC.replace("      pii: [customer_id]\n", "")
    frame = churn_frame()
    frame.loc[[4], "plan"] = "gold"
    project = make_project(tmp_path / "p", spec, {"data/customers.csv": frame})
    result = run_step(project, "validate-data", code=1)
    assert "gold" in result.stderr
    report = json.loads((project / layout.VALIDATION_REPORT).read_text())
    assert report["sensitive"] is False
    assert [c["examples"] for c in report["checks"] if "examples" in c] == [["gold"]]


@pytest.mark.parametrize("content", ["", "customer_id,signup,age,income,plan,active,churned\n"])
def test_empty_data(tmp_path: Path, content: str) -> None:
    project = binary_project(tmp_path / "p")
    (project / "data/customers.csv").write_text(content)
    validate = run_step(project, "validate-data", code=1)
    split = run_step(project, "split", code=1)
    if content:
        assert "non_empty" in validate.stderr
        assert "has no labelled rows" in _error_line(split.stderr)
    else:
        assert "data/customers.csv of source 'customers' is empty" in _error_line(split.stderr)
    _absent(project, *SPLIT_OUTPUTS)


def test_one_class_target(tmp_path: Path) -> None:
    frame = churn_frame().assign(churned=0)
    project = binary_project(tmp_path / "p", frame)
    validate = run_step(project, "validate-data", code=1)
    assert "at least 2 classes in the target (found 1)" in validate.stderr
    line = _error_line(run_step(project, "split", code=1).stderr)
    assert "target 'churned' has 1 class" in line and "at least two" in line
    _absent(project, *SPLIT_OUTPUTS)


def test_one_class_training_set(tmp_path: Path) -> None:
    project = binary_project(tmp_path / "p")
    run_step(project, "split")
    train = pd.read_parquet(project / layout.TRAIN_SET)
    train.assign(churned=1).to_parquet(project / layout.TRAIN_SET, index=False)
    line = _error_line(run_step(project, "train", code=1).stderr)
    assert "target 'churned' has 1 class in the 320 training rows" in line
    _absent(project, *MODEL_OUTPUTS)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("sklearn.linear_model.LogisticRegresion", "(did you mean 'LogisticRegression'?)"),
        ("sklearnx.linear_model.LogisticRegression", "No module named 'sklearnx'"),
        ("sklearn.ensemble", "is a module, not a scikit-learn estimator"),
        ("sklearn.metrics.accuracy_score", "is not an estimator class, instance or factory"),
        ("sklearn.preprocessing.StandardScaler", "has no predict(): it is a transformer"),
        ("sklearn.linear_model.LinearRegression", "is a regressor but the task is binary"),
        ("not a path", "must be an import path"),
    ],
)
def test_bad_estimator(tmp_path: Path, path: str, message: str) -> None:
    project = binary_project(tmp_path / "p")
    run_pipeline(project, ("split", "train"))
    set_params(project, "train.estimator", path)
    set_params(project, "train.params", {})
    line = _error_line(run_step(project, "train", code=1).stderr)
    assert message in line
    _absent(project, *MODEL_OUTPUTS)  # the stale model of the earlier run is gone too


def test_unknown_estimator_params(tmp_path: Path) -> None:
    project = binary_project(tmp_path / "p")
    run_step(project, "split")
    set_params(project, "train.params", {"max_iters": 10, "colour": "red"})
    line = _error_line(run_step(project, "train", code=1).stderr)
    assert (
        "LogisticRegression does not accept parameters 'colour', 'max_iters' "
        "(did you mean 'max_iter'?); accepted: C, class_weight, dual"
    ) in line
    _absent(project, *MODEL_OUTPUTS)


def test_invalid_param_value_fails_the_fit(tmp_path: Path) -> None:
    project = binary_project(tmp_path / "p")
    run_step(project, "split")
    set_params(project, "train.params", {"C": -1.0})
    line = _error_line(run_step(project, "train", code=1).stderr)
    assert "fitting sklearn.linear_model.LogisticRegression failed: The 'C' parameter" in line


def test_bad_baseline_strategy(tmp_path: Path) -> None:
    project = binary_project(tmp_path / "p")
    run_step(project, "split")
    set_params(project, "baseline.strategy", "prio")
    line = _error_line(run_step(project, "baseline", code=1).stderr)
    assert "'prio' is not a DummyClassifier strategy (did you mean 'prior'?)" in line
    _absent(project, layout.BASELINE_FILE)


def test_remote_source_needs_import_first(tmp_path: Path) -> None:
    spec = BINARY_SPEC.replace("path: data/customers.csv", "uri: s3://bucket/customers.csv")
    project = make_project(tmp_path / "p", spec, {})
    line = _error_line(run_step(project, "validate-data", code=1).stderr)
    assert "dvc import-url" in line and "data/imported/customers.csv" in line
    (project / "data/imported").mkdir(parents=True)
    churn_frame().to_csv(project / "data/imported/customers.csv", index=False)
    run_step(project, "validate-data")


def test_steps_need_the_compiled_configuration(tmp_path: Path) -> None:
    project = binary_project(tmp_path / "p")
    (project / layout.CONFIG).unlink()
    line = _error_line(run_step(project, "split", code=1).stderr)
    assert "run `mlproject compile` first" in line


def test_broken_params_yaml(tmp_path: Path) -> None:
    project = binary_project(tmp_path / "p")
    (project / layout.PARAMS).write_text("split: [unclosed\n")
    assert "params.yaml:2:1: not valid YAML" in _error_line(
        run_step(project, "split", code=1).stderr
    )
    (project / layout.PARAMS).write_text("split: {test_size: 1.5}\n")
    assert "test_size must be between 0 and 1" in run_step(project, "split", code=1).stderr
    (project / layout.PARAMS).write_text("split: {tset_size: 0.5}\n")
    assert "params.yaml: split.tset_size: unknown key" in run_step(project, "split", code=1).stderr


def test_steps_out_of_order_say_what_to_run(tmp_path: Path) -> None:
    project = binary_project(tmp_path / "p")
    assert "run `mlproject step split` first" in run_step(project, "train", code=1).stderr
    assert "run `mlproject step train` first" in run_step(project, "evaluate", code=1).stderr
    assert "run `mlproject step evaluate` first" in run_step(project, "gate", code=1).stderr
    _absent(project, layout.GATE_REPORT, layout.METRICS_MODEL)


def test_unknown_source_and_usage_errors(tmp_path: Path) -> None:
    project = binary_project(tmp_path / "p")
    line = _error_line(run_step(project, "validate-data", "--source", "nope", code=1).stderr)
    assert "unknown source 'nope'; this project has: customers" in line
    assert "No such option" in run_step(project, "split", "--bogus", code=2).stderr

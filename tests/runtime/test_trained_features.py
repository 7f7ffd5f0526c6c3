"""The trained model's features are the contract when the spec lists no columns (issue 14).

A spec without ``columns:`` trains on the data's columns; ``step train``
records them beside the model, and serving (model-settings inputs, the sample
request), ``step score`` and ``step monitor`` read that record instead of the
empty feature list of the compiled config. MLServer itself answers in
tests/e2e/test_user_projects.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from mlcontract import pipeline_layout as layout
from mlruntime.features import TrainedFeature, parse_sidecar, v2_inputs, workspace_features
from mlruntime.serving.artifacts import load_artifact
from mlruntime.serving.materialise import Ports, materialise
from mlruntime.serving.project import WORKSPACE, load_project
from mlruntime.serving.samples import reference_rows, sample_rows
from tests.runtime.test_runtime_support import (
    MULTICLASS_SPEC,
    REGRESSION_SPEC,
    flowers_frame,
    make_project,
    run_step,
    sales_frame,
)

FEATURES = ["petal_length", "petal_width"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frame = flowers_frame()
    frame["colour"] = ["red", "blue", "white"] * (len(frame) // 3)  # a text feature too
    project = make_project(
        tmp_path_factory.mktemp("nocolumns") / "p", MULTICLASS_SPEC, {"data/flowers.csv": frame}
    )
    run_step(project, "split")
    run_step(project, "train")
    return project


def test_the_compiled_config_lists_no_feature_but_the_sidecar_does(trained: Path) -> None:
    compiled = load_project(trained)
    assert compiled.ir.training.features == ()
    features = workspace_features(trained)
    assert features is not None
    assert [f.name for f in features] == [*FEATURES, "colour"]
    assert [f.datatype for f in features] == ["FP64", "FP64", "BYTES"]


def test_serving_declares_the_trained_features_as_model_inputs(
    trained: Path, tmp_path: Path
) -> None:
    compiled = load_project(trained)
    artifact = load_artifact(compiled, WORKSPACE)
    assert artifact.features == workspace_features(trained)
    serving = materialise(tmp_path / "serve", compiled, artifact, "127.0.0.1", Ports(1, 2, 3))
    inputs = serving.model_settings["inputs"]
    assert [i["name"] for i in inputs] == [*FEATURES, "colour"]
    assert inputs[2]["parameters"] == {"content_type": "str"}
    written = json.loads((serving.path / serving.model_name / "model-settings.json").read_text())
    assert written["inputs"] == inputs


def test_sample_request_and_load_rows_carry_the_features(trained: Path) -> None:
    compiled = load_project(trained)
    artifact = load_artifact(compiled, WORKSPACE)
    sample = sample_rows(compiled, artifact.features).request()
    assert [i["name"] for i in sample["inputs"]] == [*FEATURES, "colour"]
    assert all(len(i["data"]) == 1 for i in sample["inputs"])
    rows = reference_rows(compiled)  # no record at hand: the data's columns, as training
    assert rows.columns == (*FEATURES, "colour")


def test_score_uses_the_trained_features(trained: Path, tmp_path: Path) -> None:
    out = tmp_path / "scored.csv"
    model = str(trained / layout.MODEL_FILE)
    run_step(
        trained, "score", "--model", model, "--input", "data/flowers.csv", "--output", str(out)
    )
    scored = pd.read_csv(out)
    assert len(scored) == 150 and set(scored["prediction"]) <= {"setosa", "versicolor", "virginica"}


def test_sidecar_parsing_is_tolerant() -> None:
    assert parse_sidecar(None) is None and parse_sidecar(b"not json") is None
    assert parse_sidecar(b'{"features": []}') is None
    assert parse_sidecar(b'{"features": [{"name": "a", "dtype": "int64", "kind": "numeric"}]}') == (
        TrainedFeature("a", "int64", "numeric"),
    )
    served = (TrainedFeature.from_v2("b", "BOOL"), TrainedFeature.from_v2("t", "BYTES"))
    assert [i["datatype"] for i in v2_inputs(served)] == ["BOOL", "BYTES"]


def test_a_version_trained_before_a_rename_is_served_with_its_own_inputs(tmp_path: Path) -> None:
    """A spec edit renames a feature after a version was trained: serving that version
    (an older registered one, or the work tree before `dvc repro`) declares the inputs
    the model was trained on, and the sample request sends them, not the renamed ones
    the model would reject ('columns are missing')."""
    project = make_project(tmp_path / "p", REGRESSION_SPEC, {"data/sales.parquet": sales_frame()})
    run_step(project, "split")
    run_step(project, "train")
    renamed = REGRESSION_SPEC.replace("{name: price,", "{name: unit_price,")
    sales = sales_frame().rename(columns={"price": "unit_price"})
    make_project(project, renamed, {"data/sales.parquet": sales})
    compiled = load_project(project)
    assert "unit_price" in [c.name for c in compiled.ir.training_source.columns]
    artifact = load_artifact(compiled, WORKSPACE)
    trained_names = [f.name for f in artifact.features or ()]
    assert "price" in trained_names
    serving = materialise(tmp_path / "serve", compiled, artifact, "127.0.0.1", Ports(1, 2, 3))
    assert [i["name"] for i in serving.model_settings["inputs"]] == trained_names
    sample = sample_rows(compiled, artifact.features).request()
    assert [i["name"] for i in sample["inputs"]] == trained_names

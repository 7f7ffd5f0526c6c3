"""Serving without a server: where a version's model comes from, what MLServer is given.

The model of a registered version is found in the DVC cache, the work tree (same
md5) or a local DVC remote; the materialised repository is checked with
MLServer's own settings classes; sample rows drop PII and are synthetic for
sensitive data.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlcontract import pipeline_layout as layout
from mlruntime.serving.artifacts import load_artifact
from mlruntime.serving.materialise import Ports, materialise
from mlruntime.serving.project import load_project
from mlruntime.serving.samples import reference_rows, sample_rows
from tests.runtime.test_serve_support import (
    FEATURES,
    MODEL_NAME,
    SENSITIVE_SPEC,
    Registered,
    mlserver_importable,
    registered,
    served_project,
)

__all__ = ["registered"]  # a session fixture shared with test_serve.py and test_score.py


def test_registered_model_is_found_in_cache_work_tree_or_local_remote(
    registered: Registered, tmp_path: Path
) -> None:
    project = load_project(registered.project)
    artifact = load_artifact(project, "production")
    assert artifact.content == registered.registered_model
    assert artifact.origin.startswith("DVC cache ")
    assert artifact.ref.version == registered.version and artifact.ref.stage == "production"

    copy = tmp_path / "copy"
    shutil.copytree(registered.project, copy)
    (copy / layout.MODEL_FILE).write_bytes(registered.registered_model)
    found = load_artifact(load_project(copy), registered.version)
    assert found.origin.startswith(layout.MODEL_FILE)  # same md5: no copy needed

    (copy / layout.MODEL_FILE).write_bytes(b"another model")
    remote = tmp_path / "remote"
    shutil.move(copy / ".dvc" / "cache", remote)
    with (copy / ".dvc" / "config").open("a") as config:
        config.write(f"[core]\n    remote = storage\n['remote \"storage\"']\n    url = {remote}\n")
    from_remote = load_artifact(load_project(copy), "production")
    assert from_remote.origin == f"DVC remote {remote}"
    assert from_remote.content == registered.registered_model


def test_materialised_repository_is_what_mlserver_reads(
    registered: Registered, tmp_path: Path
) -> None:
    if not mlserver_importable():
        pytest.skip("mlserver not installed: its settings classes are the oracle here")
    from mlserver.settings import ModelSettings, Settings

    project = load_project(registered.project)
    artifact = load_artifact(project, "production")
    serving = materialise(
        tmp_path / "repo", project, artifact, "127.0.0.1", Ports(9001, 9002, 9003)
    )
    settings = Settings.model_validate(json.loads((serving.path / "settings.json").read_text()))
    assert (settings.host, settings.http_port, settings.grpc_port) == ("127.0.0.1", 9001, 9002)
    assert (settings.metrics_port, settings.metrics_endpoint) == (9003, "/metrics")
    model = ModelSettings.parse_file(str(serving.path / MODEL_NAME / "model-settings.json"))
    assert model.name == MODEL_NAME and model.version == registered.version
    assert model.implementation_ == "mlserver_sklearn.SKLearnModel"
    assert model.parameters is not None and model.parameters.uri == "./model.joblib"
    assert model.parameters.extra == {"predict_fn": "predict_proba"}  # roc_auc needs scores
    assert (serving.path / MODEL_NAME / "model.joblib").read_bytes() == artifact.content


def test_sensitive_project_samples_are_synthetic_and_rows_drop_pii(tmp_path: Path) -> None:
    project = load_project(served_project(tmp_path / "p", SENSITIVE_SPEC))
    sample = sample_rows(project)
    assert sample.origin.startswith("a synthetic row built from the declared schema")
    assert sample.columns == tuple(FEATURES)
    assert sample.values == ((59, 0.0, "basic", False),)  # mid-range, first category
    rows = reference_rows(project)
    assert "customer_id" not in rows.columns and rows.columns == tuple(FEATURES)
    assert len(rows.values) == 400  # income may be null: FP64 carries it as null

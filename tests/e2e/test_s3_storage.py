"""A real S3-compatible server as DVC remote and model store (issue 13, point 3).

moto's standalone S3 server on 127.0.0.1 plays the bucket; DVC's own S3
remote (``dvc-s3``) talks to it. One clone runs the pipeline and pushes, a
fresh clone pulls the same outputs. The generated train workflow (run with
act) publishes the registered model directory under the model store's
prefix; the directory the rendered InferenceService's ``storageUri`` names is
then fetched back the way KServe's storage initializer does (list the prefix,
GET every object into the model directory) and MLServer is started on it the
way KServe's ``kserve-mlserver`` runtime does (``mlserver start <model dir>``,
model settings from the ``MLSERVER_MODEL_*`` environment of the
InferenceService), and answers a real V2 inference request.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlcontract import pipeline_layout as layout
from tests.e2e.act_harness import (
    BUCKET,
    GIT,
    ActRun,
    ProjectRepo,
    RunnerPython,
    S3Server,
    _run,
    act_marks,
    free_port,
)

pytestmark = act_marks()


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def pushed(churn: ProjectRepo) -> ProjectRepo:
    """One clone ran ``dvc repro`` and ``dvc push`` to the bucket (see make_project_repo)."""
    return churn


def test_dvc_push_from_one_clone_and_pull_into_a_fresh_one(
    pushed: ProjectRepo, runner_python: RunnerPython, s3: S3Server, tmp_path: Path
) -> None:
    assert (pushed.path / ".dvc" / "config").read_text().count(f"s3://{BUCKET}/") == 1
    assert any("/files/md5/" in key for key in s3.list_keys(f"{pushed.name}/"))
    fresh = ProjectRepo(tmp_path / "fresh", pushed.origin, pushed.name)
    _run([*GIT, "clone", "--quiet", pushed.origin, fresh.path])
    # The commit the first clone pushed (other tests may have pushed to main since).
    fresh.git("checkout", "--quiet", pushed.git("rev-parse", "HEAD").strip())
    assert not (fresh.path / layout.MODEL_DIR).exists()
    fresh.dvc(runner_python, s3, "pull", "--quiet")
    model_dir = Path(layout.MODEL_DIR)
    assert _digests(fresh.path / model_dir) == _digests(pushed.path / model_dir)
    assert _digests(fresh.path / model_dir)  # not two empty folders
    # Nothing to recompute: the pulled outputs are the ones dvc.lock records.
    # (The champion stage is always run: it asks the registry, which DVC cannot hash.)
    status = json.loads(fresh.dvc(runner_python, s3, "status", "--json"))
    assert {stage: why for stage, why in status.items() if why != ["always changed"]} == {}


def _inference_service(pushed: ProjectRepo, version: str) -> dict[str, Any]:
    """The staging InferenceService as the deploy job renders it for ``version``."""
    manifest = pushed.path / "deploy" / "kserve" / "staging" / "inferenceservice.yaml"
    service: dict[str, Any] = yaml.safe_load(
        manifest.read_text().replace("MLPROJECT_MODEL_VERSION", version)
    )
    return service


def _kserve_env(service: dict[str, Any]) -> dict[str, str]:
    """The MLSERVER_MODEL_* environment the InferenceService gives the predictor."""
    model = service["spec"]["predictor"]["model"]
    env = {item["name"]: item["value"] for item in model["env"]}
    assert model["modelFormat"]["name"] == "sklearn"
    assert model["protocolVersion"] == "v2"
    env["MLSERVER_MODEL_NAME"] = service["metadata"]["name"]
    # What KServe's kserve-mlserver ClusterServingRuntime sets for modelFormat sklearn.
    env["MLSERVER_MODEL_IMPLEMENTATION"] = "mlserver_sklearn.SKLearnModel"
    return env


def _v2_request(rows: list[dict[str, Any]], inputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "inputs": [
            {
                "name": spec["name"],
                "datatype": spec["datatype"],
                "shape": [len(rows), 1],
                "data": [row[spec["name"]] for row in rows],
                **({"parameters": spec["parameters"]} if "parameters" in spec else {}),
            }
            for spec in inputs
        ]
    }


def test_published_model_fetched_like_the_storage_initializer_serves_v2_requests(
    pushed: ProjectRepo,
    churn_trained: ActRun,
    s3: S3Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("mlserver_sklearn", reason="the serve extra (MLServer) is not installed")
    from mlruntime.serving.materialise import Ports, ServingDir
    from mlruntime.serving.server import running

    # The train workflow registered a version and published its model directory.
    assert churn_trained.returncode == 0, churn_trained.explain()
    tags = [t for t in pushed.origin_tags() if "@v" in t]
    assert len(tags) == 1, tags
    version = tags[0].partition("@")[2]
    service = _inference_service(pushed, version)
    uri = service["spec"]["predictor"]["model"]["storageUri"]
    assert uri.startswith(f"s3://{BUCKET}/"), uri
    mounted = tmp_path / "mnt" / "models"
    fetched = s3.download_prefix(uri, mounted)
    assert fetched, s3.list_keys()
    assert _digests(mounted) == _digests(pushed.path / layout.MODEL_DIR)

    env = _kserve_env(service)
    ports = Ports(free_port(), free_port(), free_port())
    env.update(
        MLSERVER_HOST="127.0.0.1",
        MLSERVER_HTTP_PORT=str(ports.http),
        MLSERVER_GRPC_PORT=str(ports.grpc),
        MLSERVER_METRICS_PORT=str(ports.metrics),
        MLSERVER_MODEL_URI=str(mounted),
    )
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    serving = ServingDir(
        path=mounted,
        model_name=env["MLSERVER_MODEL_NAME"],
        version=version,
        host="127.0.0.1",
        ports=ports,
        metrics_endpoint="/metrics",
        settings={},
        model_settings={},
    )
    inputs = json.loads(env["MLSERVER_MODEL_INPUTS"])
    frame = _rows(pushed, [spec["name"] for spec in inputs])
    with running(serving) as server:
        request = urllib.request.Request(
            f"{server.url}{server.infer_path}",
            json.dumps(_v2_request(frame, inputs)).encode(),
            {"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.loads(response.read())
    assert answer["model_name"] == "churn-classifier"
    assert answer["model_version"] == version
    (output,) = answer["outputs"]
    assert output["shape"][0] == len(frame)
    probabilities = output["data"]
    assert all(0.0 <= p <= 1.0 for p in probabilities), probabilities


def _rows(pushed: ProjectRepo, features: list[str]) -> list[dict[str, Any]]:
    """Three complete rows of the example's data, typed as JSON."""
    import pandas as pd

    frame = pd.read_csv(pushed.path / "data" / "customers.csv").dropna().head(3)
    return json.loads(frame[features].to_json(orient="records"))


def test_pull_from_a_missing_bucket_is_an_error_not_a_silent_miss(
    pushed: ProjectRepo, runner_python: RunnerPython, s3: S3Server, tmp_path: Path
) -> None:
    """The remote really is the bucket: an unknown bucket is an error, not a silent miss."""
    clone = tmp_path / "clone"
    _run([*GIT, "clone", "--quiet", pushed.origin, clone])
    config = clone / ".dvc" / "config"
    config.write_text(config.read_text().replace(f"s3://{BUCKET}/", "s3://no-such-bucket/"))
    repo = ProjectRepo(clone, pushed.origin, pushed.name)
    with pytest.raises(RuntimeError, match=r"(?i)bucket|not exist|404"):
        repo.dvc(runner_python, s3, "pull")
    shutil.rmtree(clone)

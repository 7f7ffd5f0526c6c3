"""Target ``kserve``: every manifest checked against the strict CRD schemas.

The InferenceService, InferenceGraph and PodMonitor schemas converted from the
upstream CRDs live in ``shared/vendor/k8s-crds`` beside the repository (unknown
keys are errors there); the tests that need them skip with the reason when the
folder is absent. MLServer's own settings classes check that the environment
passed to the KServe container configures the same model as the local
``model-settings.json``.

Refresh the golden files deliberately with
``python -m pytest tests/unit/test_target_kserve.py --update-goldens``.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlcontract import ir, serving_contract
from targets import kserve, mlserver
from targets.kserve.graph import percent
from targets.kserve.inference_service import concurrency_target
from targets.prometheus import scrape
from tests.examples import EXAMPLES, crd_schema, example_project
from tests.goldens import check_compile_golden

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = {
    "InferenceService": "inferenceservice.serving.kserve.io.v1beta1.json",
    "InferenceGraph": "inferencegraph.serving.kserve.io.v1alpha1.json",
    "PodMonitor": "podmonitor.monitoring.coreos.com.v1.json",
}
# A Kubernetes label value (validation.IsValidLabelValue).
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def rendered(project: ir.Project) -> dict[str, bytes]:
    return {f.path: f.content for f in kserve.render(project)}


def manifests(project: ir.Project) -> dict[str, dict[str, Any]]:
    return {path: yaml.safe_load(content) for path, content in rendered(project).items()}


@functools.cache
def validator(kind: str) -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(crd_schema(SCHEMAS[kind]))


def assert_valid(manifest: dict[str, Any]) -> None:
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(manifest["kind"]).iter_errors(manifest)
    ]
    assert errors == []


def _replace(project: ir.Project, **changes: Any) -> ir.Project:
    return replace(project, **changes)


def _with_environments(project: ir.Project, **changes: Any) -> ir.Project:
    environments = tuple(replace(e, **changes) for e in project.deployment.environments)
    deployment = replace(project.deployment, environments=environments)
    return _replace(project, deployment=deployment)


def _shadowed(sample: float) -> ir.Project:
    return _replace(example_project("churn"), ab_test=None, shadow=ir.Shadow(sample=sample))


# ── CRD schemas ─────────────────────────────────────────────────────────────


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_manifest_is_valid(example: str) -> None:
    for manifest in manifests(example_project(example)).values():
        assert_valid(manifest)


@pytest.mark.parametrize("sample", [0.1, 1.0])
def test_shadow_graph_is_valid(sample: float) -> None:
    for manifest in manifests(_shadowed(sample)).values():
        assert_valid(manifest)


def test_the_schemas_are_strict() -> None:
    service = manifests(example_project("churn"))["deploy/kserve/production/inferenceservice.yaml"]
    service["spec"]["predictor"]["model"]["storageURI"] = "s3://typo"
    assert list(validator("InferenceService").iter_errors(service))


# ── which files ─────────────────────────────────────────────────────────────


def test_files_per_environment_and_experiment() -> None:
    assert rendered(example_project("demand")) == {}  # batch: scored by a workflow
    assert sorted(rendered(example_project("churn"))) == [
        "deploy/kserve/production/ab-test/inferencegraph.yaml",
        "deploy/kserve/production/ab-test/inferenceservice-challenger.yaml",
        "deploy/kserve/production/inferenceservice.yaml",
        "deploy/kserve/production/podmonitor.yaml",
        "deploy/kserve/staging/inferenceservice.yaml",
        "deploy/kserve/staging/podmonitor.yaml",
    ]
    assert sorted(rendered(example_project("minimal"))) == [
        "deploy/kserve/production/inferenceservice.yaml",
        "deploy/kserve/production/podmonitor.yaml",
    ]


# ── InferenceService ────────────────────────────────────────────────────────


def test_inference_service_serves_sklearn_v2_on_mlserver() -> None:
    project = example_project("churn")
    service = manifests(project)["deploy/kserve/production/inferenceservice.yaml"]
    assert service["metadata"]["name"] == "churn-classifier"
    assert service["metadata"]["namespace"] == "churn-prod"
    predictor = service["spec"]["predictor"]
    model = predictor["model"]
    assert model["modelFormat"]["name"] == "sklearn"
    assert model["protocolVersion"] == "v2"
    assert model["runtime"] == "kserve-mlserver"
    assert (predictor["minReplicas"], predictor["maxReplicas"]) == (2, 4)
    assert model["resources"]["requests"] == {"cpu": "2", "memory": "2Gi"}


def test_no_payload_logger_for_confidential_pii_data() -> None:
    project = example_project("churn")
    assert project.sensitive
    assert project.training_source.sensitivity == "confidential"
    assert project.training_source.pii
    for manifest in manifests(project).values():
        assert "logger" not in manifest["spec"].get("predictor", {})


def test_payload_logger_only_where_the_environment_logs() -> None:
    project = _with_environments(example_project("minimal"), payload_logging=True)
    service = manifests(project)["deploy/kserve/production/inferenceservice.yaml"]
    assert_valid(service)
    logger = service["spec"]["predictor"]["logger"]
    assert logger["mode"] == "all"
    assert logger["url"].endswith(".iris-production.svc.cluster.local")


def test_scale_target_from_throughput_and_latency() -> None:
    # churn: 50 requests/s within 50 ms (p95): 2.5 in flight, spread over max replicas.
    found = manifests(example_project("churn"))
    staging = found["deploy/kserve/staging/inferenceservice.yaml"]["spec"]["predictor"]
    production = found["deploy/kserve/production/inferenceservice.yaml"]["spec"]["predictor"]
    assert (staging["scaleMetric"], staging["scaleTarget"]) == ("concurrency", 3)  # 1 replica
    assert production["scaleTarget"] == 1  # 4 replicas
    minimal = manifests(example_project("minimal"))[
        "deploy/kserve/production/inferenceservice.yaml"
    ]
    assert "scaleTarget" not in minimal["spec"]["predictor"]  # no throughput or latency
    assert concurrency_target(200, 0.1, 2) == 10
    assert concurrency_target(1, 0.01, 5) == 1


def test_version_placeholders_are_replaceable_everywhere() -> None:
    found = rendered(example_project("churn"))
    champion = found["deploy/kserve/production/inferenceservice.yaml"].decode()
    challenger = found["deploy/kserve/production/ab-test/inferenceservice-challenger.yaml"].decode()
    assert champion.count(kserve.VERSION_PLACEHOLDER) == 3  # label, env, storageUri
    assert kserve.CHALLENGER_VERSION_PLACEHOLDER not in champion
    assert challenger.count(kserve.CHALLENGER_VERSION_PLACEHOLDER) == 3
    deployed = yaml.safe_load(champion.replace(kserve.VERSION_PLACEHOLDER, "v1.2.0"))
    assert_valid(deployed)
    assert deployed["spec"]["predictor"]["model"]["storageUri"].endswith("/churn-classifier/v1.2.0")
    for value in deployed["metadata"]["labels"].values():
        assert LABEL_VALUE.match(value) and len(value) <= 63, value


def test_storage_uri_from_the_model_store() -> None:
    project = example_project("churn")
    assert project.registry.remote_is_default
    local = manifests(project)["deploy/kserve/production/inferenceservice.yaml"]
    uri = local["spec"]["predictor"]["model"]["storageUri"]
    assert uri == f"pvc://churn-models/models/churn-classifier/{kserve.VERSION_PLACEHOLDER}"
    assert "churn-models" in local["metadata"]["annotations"]["mlproject.dev/storage-note"]
    registry = replace(
        project.registry,
        remote_url="s3://ml-artifacts/churn/",
        remote_is_default=False,
        model_store="s3://ml-artifacts/churn/models",
        service_account="churn-models-reader",
    )
    remote = manifests(_replace(project, registry=registry))
    service = remote["deploy/kserve/production/inferenceservice.yaml"]
    assert service["spec"]["predictor"]["model"]["storageUri"] == (
        f"s3://ml-artifacts/churn/models/churn-classifier/{kserve.VERSION_PLACEHOLDER}"
    )
    assert service["spec"]["predictor"]["serviceAccountName"] == "churn-models-reader"
    assert "annotations" not in service["metadata"]
    assert not list(validator("InferenceService").iter_errors(service))
    assert kserve.model_artifact_uri(_replace(project, registry=registry), "v3") == (
        "s3://ml-artifacts/churn/models/churn-classifier/v3"
    )


@pytest.mark.filterwarnings("ignore:The `parse_file` method is deprecated")
def test_container_environment_configures_the_local_model(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """MLServer builds the same model from the env as from model-settings.json."""
    pytest.importorskip("mlserver", reason="mlserver is the oracle here: pip install -e '.[serve]'")
    from mlserver.repository.load import load_model_settings
    from mlserver.settings import ModelParameters, ModelSettings

    project = example_project("churn")
    service = manifests(project)["deploy/kserve/production/inferenceservice.yaml"]
    env = {v["name"]: v["value"] for v in service["spec"]["predictor"]["model"]["env"]}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # What KServe sets itself for the mlserver runtime (SetMlServerDefaults).
    monkeypatch.setenv("MLSERVER_MODEL_NAME", service["metadata"]["name"])
    monkeypatch.setenv("MLSERVER_MODEL_IMPLEMENTATION", serving_contract.IMPLEMENTATION)
    monkeypatch.setenv("MLSERVER_MODEL_URI", "/mnt/models")
    from_env = ModelSettings()
    from_env.parameters = ModelParameters()

    for file in mlserver.render(project):
        (tmp_path / file.path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file.path).write_bytes(file.content)
    monkeypatch.setenv("MLSERVER_MODEL_VERSION", kserve.VERSION_PLACEHOLDER)
    local_path = tmp_path / mlserver.model_dir(project) / mlserver.MODEL_SETTINGS_FILE
    local = load_model_settings(str(local_path))
    assert from_env.name == local.name
    assert from_env.inputs == local.inputs
    assert from_env.parameters is not None
    assert local.parameters is not None
    assert from_env.parameters.content_type == local.parameters.content_type == "pd"
    assert from_env.parameters.extra == local.parameters.extra == {"predict_fn": "predict_proba"}
    assert from_env.parameters.version == kserve.VERSION_PLACEHOLDER


def test_model_inputs_read_as_one_tensor_per_line() -> None:
    """Not a ~900-character escaped JSON line: a block with one input per line."""
    project = example_project("churn")
    path = "deploy/kserve/production/inferenceservice.yaml"
    text = next(f for f in kserve.render(project) if f.path == path).content.decode()
    block = text.split("- name: MLSERVER_MODEL_INPUTS\n", 1)[1].split("\n      - name:", 1)[0]
    lines = block.splitlines()
    assert lines[0].strip() == "value: |-"
    assert lines[1].strip() == "[" and lines[-1].strip() == "]"
    tensors = [json.loads(line.strip().rstrip(",")) for line in lines[2:-1]]
    assert [t["name"] for t in tensors] == list(project.training.features)
    assert max(len(line) for line in lines) < 120
    assert '\\"' not in block


# ── A/B test and shadow ─────────────────────────────────────────────────────


def test_ab_test_splits_between_champion_and_challenger() -> None:
    found = manifests(example_project("churn"))
    graph = found["deploy/kserve/production/ab-test/inferencegraph.yaml"]
    root = graph["spec"]["nodes"]["root"]
    assert root["routerType"] == "Splitter"
    weights = {step["serviceName"]: step["weight"] for step in root["steps"]}
    assert weights == {"churn-classifier": 80, "churn-classifier-challenger": 20}
    challenger = found["deploy/kserve/production/ab-test/inferenceservice-challenger.yaml"]
    assert challenger["metadata"]["name"] == "churn-classifier-challenger"
    assert challenger["metadata"]["labels"]["mlproject.dev/role"] == "challenger"
    assert challenger["metadata"]["namespace"] == graph["metadata"]["namespace"]
    assert percent(0.2) == 20
    assert percent(0.004) == 1
    assert percent(0.125) == 13


def test_shadow_mirrors_a_sample_and_answers_with_the_champion() -> None:
    nodes = manifests(_shadowed(0.1))["deploy/kserve/production/shadow/inferencegraph.yaml"]["spec"]
    root, sequence = nodes["nodes"]["root"], nodes["nodes"]["shadowed"]
    assert {s.get("nodeName") or s["serviceName"]: s["weight"] for s in root["steps"]} == {
        "shadowed": 10,
        "churn-classifier": 90,
    }
    assert sequence["routerType"] == "Sequence"
    shadow, answer = sequence["steps"]
    assert (shadow["serviceName"], shadow["dependency"]) == ("churn-classifier-challenger", "Soft")
    assert (answer["serviceName"], answer["data"], answer["dependency"]) == (
        "churn-classifier",
        "$request",
        "Hard",
    )
    everything = manifests(_shadowed(1.0))["deploy/kserve/production/shadow/inferencegraph.yaml"]
    assert everything["spec"]["nodes"]["root"]["routerType"] == "Sequence"


# ── PodMonitor ──────────────────────────────────────────────────────────────


def test_pod_monitor_scrapes_mlserver_metrics_with_the_rules_labels() -> None:
    found = manifests(example_project("churn"))
    monitor = found["deploy/kserve/production/podmonitor.yaml"]
    (values,) = [e["values"] for e in monitor["spec"]["selector"]["matchExpressions"]]
    assert values == ["churn-classifier", "churn-classifier-challenger"]
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    assert endpoint["path"] == serving_contract.METRICS_ENDPOINT
    relabelings = endpoint["relabelings"]
    address = next(r for r in relabelings if r.get("targetLabel") == "__address__")
    assert address["replacement"] == f"$1:{serving_contract.METRICS_PORT}"
    targets = {r.get("targetLabel") for r in relabelings}
    rule_labels = {
        scrape.PROJECT_LABEL,
        scrape.MODEL_LABEL,
        scrape.ENVIRONMENT_LABEL,
        scrape.ROLE_LABEL,
    }
    assert rule_labels <= targets
    staging = found["deploy/kserve/staging/podmonitor.yaml"]
    assert staging["spec"]["selector"]["matchExpressions"][0]["values"] == ["churn-classifier"]


# ── bytes ───────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("example", EXAMPLES)
def test_golden_files(example: str) -> None:
    produced = rendered(example_project(example))
    assert produced == rendered(example_project(example))  # deterministic
    check_compile_golden(kserve.render(example_project(example)), example)

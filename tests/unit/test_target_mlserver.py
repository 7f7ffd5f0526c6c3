"""Target ``mlserver``: settings checked by strict models and by MLServer's own classes.

MLServer's settings classes ignore unknown keys, so the generated files are
validated twice: against the strict models of :mod:`targets.mlserver.schema`
(``extra="forbid"``), and with ``mlserver.settings`` to prove every key is a
field MLServer knows and reads as intended. A model trained here is then
loaded from the generated ``model-settings.json`` by MLServer's scikit-learn
runtime, in process, and answers a V2 request (no server or port: the real
``mlserver start`` is tested with ``mlproject serve``).

Refresh the golden files deliberately with
``python -m pytest tests/unit/test_target_mlserver.py --update-goldens``.
"""

from __future__ import annotations

import asyncio
import json
import posixpath
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from mlcontract import ir, serving_contract
from mlcontract.pipeline_layout import MODEL_FILE
from targets import mlserver
from targets.mlserver.schema import ModelSettings, ServerSettings
from tests.examples import EXAMPLES, example_project
from tests.goldens import check_compile_golden

ROOT = Path(__file__).resolve().parents[2]
ONLINE = ("churn", "minimal")
SETTINGS = f"{mlserver.SERVING_DIR}/{mlserver.SETTINGS_FILE}"
# mlserver.settings.ModelSettings.parse_file is deprecated in pydantic 2; MLServer still calls it.
pydantic_parse_file = pytest.mark.filterwarnings("ignore:The `parse_file` method is deprecated")


def rendered(project: ir.Project) -> dict[str, bytes]:
    return {f.path: f.content for f in mlserver.render(project)}


def model_settings_path(project: ir.Project) -> str:
    return f"{mlserver.model_dir(project)}/{mlserver.MODEL_SETTINGS_FILE}"


def documents(example: str) -> tuple[dict[str, Any], dict[str, Any]]:
    project = example_project(example)
    files = rendered(project)
    return json.loads(files[SETTINGS]), json.loads(files[model_settings_path(project)])


def test_batch_mode_serves_nothing() -> None:
    assert mlserver.render(example_project("demand")) == []


@pytest.mark.parametrize("example", ONLINE)
def test_files_validate_against_the_strict_models(example: str) -> None:
    project = example_project(example)
    files = rendered(project)
    assert sorted(files) == sorted([SETTINGS, model_settings_path(project)])
    settings = ServerSettings.model_validate_json(files[SETTINGS])
    assert settings.host == "127.0.0.1"
    model = ModelSettings.model_validate_json(files[model_settings_path(project)])
    assert model.name == project.registry.model_name
    assert model.implementation == "mlserver_sklearn.SKLearnModel"


def test_strict_models_reject_what_mlserver_would_ignore() -> None:
    settings, model = documents("churn")
    with pytest.raises(ValidationError, match="metric_port"):
        ServerSettings.model_validate({**settings, "metric_port": 9000})
    parameters = {**model["parameters"], "versoin": "v1"}
    with pytest.raises(ValidationError, match="versoin"):
        ModelSettings.model_validate({**model, "parameters": parameters})


def _known(fields: dict[str, Any]) -> set[str]:
    return {info.alias or name for name, info in fields.items()} | set(fields)


@pytest.mark.parametrize("example", ONLINE)
def test_every_key_is_a_field_of_mlservers_own_settings(example: str) -> None:
    pytest.importorskip("mlserver", reason="mlserver is the oracle here: pip install -e '.[serve]'")
    from mlserver.settings import ModelParameters, Settings
    from mlserver.settings import ModelSettings as MLServerModelSettings
    from mlserver.types import MetadataTensor

    settings, model = documents(example)
    assert set(settings) <= _known(Settings.model_fields)
    loaded = Settings.model_validate(settings)
    assert (loaded.host, loaded.http_port, loaded.grpc_port) == ("127.0.0.1", 8080, 8081)
    assert (loaded.metrics_port, loaded.metrics_endpoint) == (8082, "/metrics")
    assert loaded.metrics_rest_server_prefix == serving_contract.METRICS_REST_PREFIX

    implementation = MLServerModelSettings.model_fields["implementation_"]
    assert implementation.serialization_alias == "implementation"
    assert set(model) - {"implementation"} <= _known(MLServerModelSettings.model_fields)
    assert set(model["parameters"]) <= _known(ModelParameters.model_fields)
    for tensor in model.get("inputs", []):
        assert set(tensor) <= _known(MetadataTensor.model_fields)
    parsed = MLServerModelSettings.model_validate(json.loads(json.dumps(model)))
    assert parsed.name == example_project(example).registry.model_name
    assert parsed.parameters is not None
    assert parsed.parameters.uri == model["parameters"]["uri"]
    assert parsed.parameters.content_type == "pd"


def test_version_is_left_to_the_serve_command() -> None:
    _, model = documents("churn")
    assert "version" not in model["parameters"]
    assert mlserver.VERSION_ENV == "MLSERVER_MODEL_VERSION"


@pytest.mark.parametrize("example", ONLINE)
def test_uri_points_at_the_trained_model(example: str) -> None:
    project = example_project(example)
    uri = json.loads(rendered(project)[model_settings_path(project)])["parameters"]["uri"]
    assert posixpath.normpath(posixpath.join(mlserver.model_dir(project), uri)) == MODEL_FILE


def test_scores_only_for_classifiers_whose_kpis_need_them() -> None:
    _, churn = documents("churn")  # roc_auc is a KPI metric
    assert churn["parameters"]["extra"] == {"predict_fn": "predict_proba"}
    _, minimal = documents("minimal")  # accuracy only
    assert "extra" not in minimal["parameters"]


def test_inputs_follow_the_declared_columns() -> None:
    project = example_project("churn")
    _, model = documents("churn")
    assert [t["name"] for t in model["inputs"]] == list(project.training.features)
    by_name = {t["name"]: t for t in model["inputs"]}
    assert by_name["tenure_months"]["datatype"] == "INT64"
    assert by_name["contract"] == {
        "datatype": "BYTES",
        "name": "contract",
        "parameters": {"content_type": "str"},
        "shape": [-1, 1],
    }
    _, minimal = documents("minimal")  # no declared columns: no input metadata
    assert "inputs" not in minimal


def _train_churn_like_model(project: ir.Project, destination: Path) -> None:
    import joblib
    import numpy as np
    import pandas as pd
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    rows = 60
    columns = {c.name: c for c in project.training_source.columns}
    frame = pd.DataFrame(
        {
            name: rng.choice([str(c) for c in columns[name].categories or ()], rows)
            if name in project.training.categorical_features
            else rng.integers(0, 10, rows)
            for name in project.training.features
        }
    )
    encoder = OneHotEncoder(handle_unknown="ignore")
    model = make_pipeline(
        make_column_transformer(
            (encoder, list(project.training.categorical_features)), remainder="passthrough"
        ),
        LogisticRegression(),
    )
    model.fit(frame, rng.integers(0, 2, rows))
    destination.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, destination)


@pydantic_parse_file
def test_mlserver_loads_the_model_and_answers_v2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("mlserver", reason="mlserver is the oracle here: pip install -e '.[serve]'")
    from mlserver.repository.load import load_model_settings
    from mlserver.types import InferenceRequest
    from mlserver_sklearn import SKLearnModel

    project = example_project("churn")
    for path, content in rendered(project).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(content)
    _train_churn_like_model(project, tmp_path / MODEL_FILE)
    monkeypatch.setenv(mlserver.VERSION_ENV, "v7")
    settings = load_model_settings(str(tmp_path / model_settings_path(project)))
    assert settings.version == "v7"

    columns = {c.name: c for c in project.training_source.columns}
    inputs = []
    for tensor in json.loads(rendered(project)[model_settings_path(project)])["inputs"]:
        name = tensor["name"]
        # BYTES as gRPC delivers them: the declared content type decodes them to str.
        data: list[Any] = (
            [str(c).encode() for c in (columns[name].categories or ())[:2]]
            if tensor["datatype"] == "BYTES"
            else [1, 2]
        )
        inputs.append({"name": name, "datatype": tensor["datatype"], "shape": [2, 1], "data": data})

    async def infer() -> Any:
        model = SKLearnModel(settings)
        await model.load()
        return await model.predict(InferenceRequest.model_validate({"inputs": inputs}))

    response = asyncio.run(infer())
    assert (response.model_name, response.model_version) == ("churn-classifier", "v7")
    (output,) = response.outputs
    assert output.name == "predict_proba"
    assert output.shape == [2, 2]


@pytest.mark.parametrize("example", EXAMPLES)
def test_golden_files(example: str) -> None:
    produced = rendered(example_project(example))
    assert produced == rendered(example_project(example))  # deterministic
    check_compile_golden(mlserver.render(example_project(example)), example)

"""Target ``dvc``: dvc.yaml, params.yaml, stage fingerprints and .dvc/config from the IR.

DVC itself is the oracle: its own dvc.yaml schema (``dvc.dvcfile.ProjectFile``),
its pipeline loader (stage names, overlapping outputs, cycles) and its config
reader. Goldens of ``dvc.yaml``/``params.yaml``/``.dvc/config`` per example are
compared as bytes and refreshed only with ``--update-goldens``. Running the
pipeline for real is ``tests/e2e/test_dvc_e2e.py``.
"""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler.generated import GeneratedFile
from compiler.lower import lower
from compiler.pipeline import validate_file, validate_text
from compiler.target_registry import available_targets, load_target
from mlcontract import ir
from mlcontract import pipeline_layout as layout
from targets import dvc
from targets.dvc import inputs, repo_config

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "dvc"
EXAMPLES = sorted(p.parent.name for p in (ROOT / "examples").glob("*/mlproject.yaml"))
GOLDEN_FILES = ("dvc.yaml", "params.yaml", ".dvc/config")


def example(name: str, spec_file: str | None = None) -> ir.Project:
    """The IR of ``examples/<name>``, laid out at ``spec_file`` (default: where it is)."""
    path = ROOT / "examples" / name / "mlproject.yaml"
    shown = spec_file or f"examples/{name}/mlproject.yaml"
    result = validate_file(path, display=shown)
    assert result.ok, result.diagnostics
    assert result.spec is not None
    assert result.document is not None
    return lower(result.spec, result.document, spec_file=shown, spec_sha256=result.sha256)


def lowered(text: str, spec_file: str = "mlproject.yaml") -> ir.Project:
    result = validate_text(text, spec_file)
    assert result.ok, result.diagnostics
    assert result.spec is not None
    assert result.document is not None
    return lower(result.spec, result.document, spec_file=spec_file, spec_sha256=result.sha256)


def files(project: ir.Project) -> dict[str, GeneratedFile]:
    rendered = dvc.render(project)
    prefix = f"{project.layout.project_dir}/" if project.layout.project_dir else ""
    return {f.path.removeprefix(prefix): f for f in rendered}


def pipeline(project: ir.Project) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(files(project)["dvc.yaml"].content)
    return loaded


def with_training(project: ir.Project, **changes: Any) -> ir.Project:
    return replace(project, training=replace(project.training, **changes))


def custom(name: str, after: str | None = None, **fields: Any) -> ir.CustomStage:
    values: dict[str, Any] = {"deps": (), "outs": (), "params": (), "metrics": ()}
    values.update(fields)
    return ir.CustomStage(name=name, cmd=f"python scripts/{name}.py", after=after, **values)


def remote(project: ir.Project, uri: str) -> ir.Project:
    source = replace(project.training_source, path=None, uri=uri)
    others = tuple(s for s in project.sources if s.name != source.name)
    return replace(project, sources=(source, *others))


MINIMAL_SPEC = """\
apiVersion: mlproject/v1
metadata:
  name: iris
  owners: [{name: Ada Lovelace, email: ada@example.com}]
objective:
  problem: Classify iris flowers.
  task: multiclass_classification
kpis:
  metrics:
    - {name: accuracy, minimum: 0.9, primary: true}
data:
  sources:
    - {name: iris, path: data/iris.csv, target: species}
training:
  estimator:
    class: sklearn.linear_model.LogisticRegression
    params: {C: 1.0, max_iter: 500, tol: 0.0001}
"""


# ── the target as a whole ──────────────────────────────────────────────────


def test_registered_as_a_builtin_target() -> None:
    assert available_targets()["dvc"] == "targets.dvc"
    assert load_target("dvc").NAME == "dvc"


def test_files_sit_beside_the_spec_and_take_hash_headers() -> None:
    project = example("churn")
    rendered = dvc.render(project)
    assert [f.path for f in rendered] == [
        "examples/churn/dvc.yaml",
        "examples/churn/params.yaml",
        "examples/churn/stage-inputs.yaml",
        "examples/churn/.dvc/config",
    ]
    assert {f.comment for f in rendered} == {"hash"}
    assert not any(f.executable for f in rendered)


@pytest.mark.parametrize("name", EXAMPLES)
def test_same_ir_same_bytes(name: str) -> None:
    assert dvc.render(example(name)) == dvc.render(example(name))


def test_estimator_param_order_in_the_spec_does_not_change_the_bytes() -> None:
    shuffled = MINIMAL_SPEC.replace(
        "{C: 1.0, max_iter: 500, tol: 0.0001}", "{tol: 0.0001, C: 1.0, max_iter: 500}"
    )
    assert dvc.render(lowered(MINIMAL_SPEC)) == dvc.render(lowered(shuffled))


def test_yaml_is_data_not_anchors_and_never_folded() -> None:
    project = with_training(
        example("churn"),
        custom_stages=(custom("report", "split", deps=("x" * 300,), outs=("out.txt",)),),
    )
    text = files(project)["dvc.yaml"].content.decode()
    assert "&id" not in text
    assert "*id" not in text
    assert f"      - {'x' * 300}\n" in text


def test_the_compile_path_imports_no_dvc_sklearn_or_pandas() -> None:
    code = (
        "import sys\n"
        "from compiler.pipeline import compile_specs\n"
        "from compiler.pipeline import build_outputs, CompileReport\n"
        "from pathlib import Path\n"
        "report = CompileReport()\n"
        "spec = Path('examples/churn/mlproject.yaml')\n"
        "out = build_outputs([spec], Path.cwd(), ['dvc'], report)\n"
        "assert out and not report.has_errors, report.all_diagnostics\n"
        "print(','.join(m for m in ('dvc', 'gto', 'sklearn', 'pandas') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == ""


# ── DVC as the oracle ───────────────────────────────────────────────────────


def variants() -> dict[str, ir.Project]:
    churn = example("churn")
    return {
        **{name: example(name) for name in EXAMPLES},
        "custom": with_training(
            churn,
            custom_stages=(
                custom("features", "validate", deps=("data/customers.csv",), outs=("build/f",)),
                custom("report", None, deps=("build/f",), metrics=("metrics/report.json",)),
                custom("probe", "train", params=("train.params.max_iter", "extra.yaml:window")),
            ),
        ),
        "custom-train": with_training(
            churn,
            estimator=None,
            custom_stages=(
                custom("train", "split", deps=("build/split",), outs=(layout.MODEL_DIR,)),
            ),
        ),
        # https: DVC reads it without a plugin (s3/gs/azure need dvc-s3/dvc-gs/dvc-azure)
        "remote": remote(churn, "https://data.example.com/churn/customers.csv"),
        "at-root": example("minimal", spec_file="mlproject.yaml"),
    }


@pytest.mark.parametrize("case", sorted(variants()))
def test_dvc_yaml_passes_dvcs_own_schema(case: str) -> None:
    pytest.importorskip("dvc", reason="dvc is the oracle here: pip install -e '.[runtime]'")
    from dvc.dvcfile import ProjectFile

    data = pipeline(variants()[case])
    assert ProjectFile.validate(data, "dvc.yaml") == data


def test_the_schema_oracle_rejects_what_dvc_rejects() -> None:
    pytest.importorskip("dvc", reason="dvc is the oracle here: pip install -e '.[runtime]'")
    from dvc.dvcfile import ProjectFile
    from dvc.utils.strictyaml import YAMLValidationError

    with pytest.raises(YAMLValidationError):
        ProjectFile.validate({"stages": {"train": {"cmd": "x", "out": ["m"]}}}, "dvc.yaml")


def _dvc_project(tmp_path: Path, project: ir.Project) -> Path:
    """The rendered files in a fresh git repository, as emit would lay them out."""
    root = tmp_path / "repo"
    for f in dvc.render(project):
        target = root / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.content)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root / project.layout.project_dir if project.layout.project_dir else root


def dag(directory: Path) -> tuple[set[str], set[tuple[str, str]]]:
    """The stages and edges DVC builds from the pipeline (``dvc dag --dot``)."""
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    done = subprocess.run(
        ["dvc", "dag", "--dot"], cwd=directory, capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    edges = set(re.findall(r'^"([^"]+)" -> "([^"]+)";$', done.stdout, re.MULTILINE))
    nodes = set(re.findall(r'^"([^"]+)";$', done.stdout, re.MULTILINE))
    return nodes, edges


@pytest.mark.parametrize("case", ["churn", "demand", "custom", "remote", "at-root"])
def test_dvc_loads_the_pipeline_and_links_its_stages(case: str, tmp_path: Path) -> None:
    """DVC's loader checks what its schema cannot: names, overlapping outputs, cycles."""
    project = variants()[case]
    nodes, edges = dag(_dvc_project(tmp_path, project))
    assert nodes == set(pipeline(project)["stages"])
    chain = {("validate", "split"), ("split", "train"), ("train", "evaluate"), ("evaluate", "gate")}
    assert chain <= edges
    if case == "remote":
        assert ("import-customers", "validate") in edges


# ── stages ──────────────────────────────────────────────────────────────────


def test_builtin_stages_in_pipeline_order_call_the_builtin_steps() -> None:
    data = pipeline(example("churn"))["stages"]
    assert list(data) == ["validate", "split", "train", "baseline", "evaluate", "champion", "gate"]
    assert data["validate"]["cmd"] == "mlproject step validate-data"
    for name in ("split", "train", "baseline", "evaluate"):
        assert data[name]["cmd"] == f"mlproject step {name}"
    assert data["gate"]["cmd"].startswith("mlproject step gate")


def test_stage_paths_follow_the_pipeline_contract() -> None:
    data = pipeline(example("churn"))["stages"]
    assert data["validate"]["deps"] == ["data/customers.csv"]
    assert data["validate"]["outs"] == [{layout.VALIDATION_REPORT: {"cache": False}}]
    assert data["split"]["outs"] == [layout.SPLIT_DIR]
    assert data["train"]["outs"] == [layout.MODEL_DIR]
    assert data["baseline"]["outs"] == [layout.BASELINE_DIR]
    assert layout.PREDICTIONS in data["evaluate"]["outs"]
    assert data["evaluate"]["metrics"] == [
        {layout.METRICS_MODEL: {"cache": False}},
        {layout.METRICS_BASELINE: {"cache": False}},
    ]
    assert data["gate"]["outs"] == [{layout.GATE_REPORT: {"cache": False}}]
    assert {layout.METRICS_MODEL, layout.METRICS_BASELINE} <= set(data["gate"]["deps"])


def test_every_tunable_section_is_a_param_of_the_stage_that_reads_it() -> None:
    project = example("churn")
    data = pipeline(project)["stages"]
    sections = set(layout.default_params(project))
    used = {p for stage in data.values() for p in stage.get("params", []) if isinstance(p, str)}
    assert sections == used == {"split", "train", "baseline", "gate"}
    assert "train" in data["train"]["params"]
    assert "split" in data["split"]["params"]


def test_params_yaml_holds_every_default_param_with_nested_keys_sorted() -> None:
    project = example("churn")
    params = yaml.safe_load(files(project)["params.yaml"].content)
    assert params == layout.default_params(project)
    assert list(params) == list(layout.default_params(project))  # sections in pipeline order
    assert list(params["train"]["params"]) == sorted(params["train"]["params"])
    assert params["train"]["params"]["max_iter"] == 200  # `dvc exp run -S train.params.max_iter=50`


def test_a_regression_params_yaml_does_not_claim_a_stratified_split() -> None:
    """The split step stratifies classification targets only; split.stratify defaults to true."""
    text = (ROOT / "examples" / "minimal" / "mlproject.yaml").read_text()
    text = text.replace("task: multiclass_classification", "task: regression")
    text = text.replace("{name: accuracy, minimum: 0.9", "{name: rmse, maximum: 1.0")
    params = yaml.safe_load(files(lowered(text))["params.yaml"].content)
    assert params["split"]["method"] == "random" and params["split"]["stratify"] is False
    classification = yaml.safe_load(files(example("minimal"))["params.yaml"].content)
    assert classification["split"]["stratify"] is True


def test_beat_the_champion_adds_an_always_changed_champion_stage_before_the_gate() -> None:
    data = pipeline(example("churn"))["stages"]
    champion = data["champion"]
    assert champion["cmd"] == f"mlproject champion --out {layout.CHAMPION_METRICS}"
    assert champion["always_changed"] is True
    assert champion["metrics"] == [{layout.CHAMPION_METRICS: {"cache": False}}]
    assert layout.CHAMPION_METRICS in data["gate"]["deps"]
    assert data["gate"]["cmd"] == (
        f"mlproject step gate --champion-metrics {layout.CHAMPION_METRICS}"
    )
    assert "always_changed" not in data["gate"]


def test_without_a_champion_gate_there_is_no_champion_stage() -> None:
    project = example("churn")
    gates = replace(project.gates, beat_champion=None)
    data = pipeline(replace(project, gates=gates))["stages"]
    assert "champion" not in data
    assert data["gate"]["cmd"] == "mlproject step gate"


def _plot_props(project: ir.Project) -> dict[str, dict[str, Any]]:
    plots = pipeline(project)["stages"]["evaluate"]["plots"]
    return {path: props for entry in plots for path, props in entry.items()}


def test_classification_plots_roc_precision_recall_and_confusion() -> None:
    props = _plot_props(example("churn"))
    axes = {path: (p["template"], p["x"], p["y"]) for path, p in props.items()}
    assert axes == {
        layout.PLOT_ROC: ("simple", "fpr", "tpr"),
        layout.PLOT_PRECISION_RECALL: ("simple", "recall", "precision"),
        layout.PLOT_CONFUSION: ("confusion", "actual", "predicted"),
    }
    assert all(p["title"] and p["x_label"] and p["y_label"] for p in props.values())


def test_regression_plots_predicted_vs_actual_and_residuals() -> None:
    props = _plot_props(example("demand"))
    axes = {path: (p["template"], p["x"], p["y"]) for path, p in props.items()}
    assert axes == {
        layout.PLOT_PREDICTED_VS_ACTUAL: ("scatter", "actual", "predicted"),
        layout.PLOT_RESIDUALS: ("scatter", "predicted", "residual"),
    }


def test_per_row_plots_of_sensitive_data_stay_out_of_git() -> None:
    churn = example("churn")  # confidential, with PII
    assert churn.sensitive
    cache = {path: p["cache"] for path, p in _plot_props(churn).items()}
    assert cache == {
        layout.PLOT_ROC: False,
        layout.PLOT_PRECISION_RECALL: False,
        layout.PLOT_CONFUSION: True,
    }
    public = _plot_props(replace(churn, sensitive=False))
    assert not any(p["cache"] for p in public.values())


def test_custom_stages_run_after_the_stage_they_name() -> None:
    project = with_training(
        example("churn"),
        custom_stages=(
            custom("features", "validate", deps=("data/customers.csv",), outs=("build/f",)),
            custom("report", None, deps=("build/f",), metrics=("metrics/report.json",)),
            custom(
                "probe",
                "train",
                params=("train.params.max_iter", "extra.yaml:window", "extra.yaml:lag"),
            ),
            custom("explain", "evaluate"),
        ),
    )
    data = pipeline(project)["stages"]
    assert list(data) == [
        "validate",
        "features",
        "split",
        "train",
        "probe",
        "baseline",
        "evaluate",
        "explain",
        "champion",
        "gate",
        "report",
    ]
    assert data["features"] == {
        "cmd": "python scripts/features.py",
        "deps": ["data/customers.csv"],
        "outs": ["build/f"],
    }
    assert data["report"]["metrics"] == [{"metrics/report.json": {"cache": False}}]
    assert data["probe"]["params"] == ["train.params.max_iter", {"extra.yaml": ["window", "lag"]}]
    assert data["explain"] == {"cmd": "python scripts/explain.py"}


def test_a_custom_stage_named_like_a_builtin_replaces_it_in_place() -> None:
    project = with_training(
        example("churn"),
        estimator=None,
        custom_stages=(custom("train", "split", deps=("build/split",), outs=(layout.MODEL_DIR,)),),
    )
    data = pipeline(project)["stages"]
    assert list(data)[:4] == ["validate", "split", "train", "baseline"]
    assert data["train"] == {
        "cmd": "python scripts/train.py",
        "deps": ["build/split"],
        "outs": [layout.MODEL_DIR],
    }
    assert "train" not in yaml.safe_load(files(project)["params.yaml"].content)


def test_a_remote_source_is_imported_by_a_stage_with_import_url_semantics() -> None:
    project = remote(example("churn"), "s3://ml-data/churn/customers.csv")
    data = pipeline(project)["stages"]
    local = f"{layout.IMPORT_DIR}/customers.csv"
    assert next(iter(data)) == "import-customers"
    assert data["import-customers"]["deps"] == ["s3://ml-data/churn/customers.csv"]
    assert data["import-customers"]["outs"] == [local]
    assert (
        data["import-customers"]["cmd"] == f"dvc get-url s3://ml-data/churn/customers.csv {local}"
    )
    assert data["validate"]["deps"] == [local]
    assert layout.data_path(project.training_source) == local


def test_a_hostile_uri_reaches_the_shell_quoted() -> None:
    uri = "https://example.com/data.csv?a=1&b=$(touch${IFS}pwned);`id`"
    cmd = pipeline(remote(example("churn"), uri))["stages"]["import-customers"]["cmd"]
    assert cmd == f"dvc get-url '{uri}' {layout.IMPORT_DIR}/customers.csv"


# ── stage fingerprints ──────────────────────────────────────────────────────


def test_each_builtin_stage_tracks_its_own_fingerprint_of_the_compiled_configuration() -> None:
    project = example("churn")
    data = pipeline(project)["stages"]
    fingerprints = yaml.safe_load(files(project)["stage-inputs.yaml"].content)
    assert set(fingerprints) == set(inputs.CONFIG_KEYS)
    for stage, value in fingerprints.items():
        assert len(value) == inputs.FINGERPRINT_CHARS
        assert {inputs.INPUTS_FILE: [stage]} in data[stage]["params"]


def _fingerprints(project: ir.Project) -> dict[str, str]:
    return inputs.stage_inputs(project)


def test_editing_what_no_step_reads_reruns_nothing() -> None:
    project = example("churn")
    edited = replace(
        project,
        spec_sha256="0" * 64,
        description="edited",
        monitoring=replace(project.monitoring, alerts=()),
    )
    assert _fingerprints(edited) == _fingerprints(project)


def test_editing_the_features_reruns_the_stages_that_read_them() -> None:
    project = example("churn")
    edited = with_training(project, features=project.training.features[:-1])
    before, after = _fingerprints(project), _fingerprints(edited)
    changed = {stage for stage in before if before[stage] != after[stage]}
    assert changed == {"validate", "split", "train", "baseline", "evaluate"}


def test_declaring_or_dropping_another_source_reruns_nothing() -> None:
    """A source the training steps do not read (a custom stage's input, a lookup table):
    adding it, or removing it again, leaves every training stage's fingerprint as it
    was; it brings its own validation stage's entry."""
    project = example("churn")
    extra = replace(project.training_source, name="weather", path="data/weather.csv")
    edited = replace(project, sources=(*project.sources, extra))
    after = _fingerprints(edited)
    assert after.pop("validate-weather") and after == _fingerprints(project)


def with_sources(project: ir.Project) -> ir.Project:
    """churn plus a local source (weather) and a remote one (scoring)."""
    weather = replace(project.training_source, name="weather", path="data/weather.csv")
    scoring = replace(project.training_source, name="scoring", path=None, uri="s3://b/s.csv")
    return replace(project, sources=(*project.sources, weather, scoring))


def test_every_local_source_has_its_validation_stage_with_its_own_report(
    tmp_path: Path,
) -> None:
    """dvc repro checks every declared source it can read: the training source in
    ``validate`` (split depends on its report), each other local one in
    ``validate-<source>`` with its own report and its own file as the only data dep, so
    editing it reruns that check alone. A remote source other than the training one is
    read by no stage (validate --data says so)."""
    project = with_sources(example("churn"))
    stages = pipeline(project)["stages"]
    names = list(stages)
    assert names[names.index("validate") + 1] == "validate-weather"
    assert not any("scoring" in name for name in names)
    assert stages["validate-weather"] == {
        "desc": "Check source 'weather' against its declared schema",
        "cmd": "mlproject step validate-data --source weather",
        "deps": ["data/weather.csv"],
        "params": [{inputs.INPUTS_FILE: ["validate-weather"]}],
        "outs": [{"reports/data-validation-weather.json": {"cache": False}}],
    }
    assert stages["validate"]["outs"] == [{layout.VALIDATION_REPORT: {"cache": False}}]
    fingerprints = _fingerprints(project)
    assert set(fingerprints) == {*_fingerprints(example("churn")), "validate-weather"}
    weather = replace(project.sources[1], columns=project.sources[1].columns[:-1])
    edited = replace(project, sources=(project.sources[0], weather, project.sources[2]))
    changed = {k for k, v in _fingerprints(edited).items() if v != fingerprints[k]}
    assert changed == {"validate-weather"}
    nodes, edges = dag(_dvc_project(tmp_path, project))  # DVC's own loader
    assert "validate-weather" in nodes
    assert not any("validate-weather" in edge for edge in edges)  # training does not wait


def test_editing_a_gate_reruns_only_the_gate() -> None:
    project = example("churn")
    gates = replace(project.gates, thresholds=project.gates.thresholds[:1])
    before, after = (
        _fingerprints(project),
        _fingerprints(replace(project, gates=gates)),
    )
    assert {stage for stage in before if before[stage] != after[stage]} == {"gate"}


# ── .dvc/config ─────────────────────────────────────────────────────────────


def _dvc_config(tmp_path: Path, project: ir.Project) -> tuple[Path, Any]:
    pytest.importorskip("dvc", reason="dvc is the oracle here: pip install -e '.[runtime]'")
    from dvc.config import Config

    directory = _dvc_project(tmp_path, project)
    return directory, Config(dvc_dir=str(directory / ".dvc"), validate=True)


def test_dvc_reads_the_settings_and_the_default_remote_lands_outside_the_work_tree(
    tmp_path: Path,
) -> None:
    directory, config = _dvc_config(tmp_path, example("churn"))
    assert config["core"]["analytics"] is False
    assert config["core"]["check_update"] is False
    assert config["core"]["remote"] == repo_config.REMOTE_NAME
    url = Path(config["remote"][repo_config.REMOTE_NAME]["url"])
    assert url == (tmp_path / ".dvc-storage" / "churn").resolve()
    assert not url.is_relative_to(tmp_path / "repo")
    assert directory == tmp_path / "repo" / "examples" / "churn"


def test_default_remote_for_a_project_at_the_root(tmp_path: Path) -> None:
    _, config = _dvc_config(tmp_path, example("minimal", spec_file="mlproject.yaml"))
    url = Path(config["remote"][repo_config.REMOTE_NAME]["url"])
    assert url == (tmp_path / ".dvc-storage" / "iris").resolve()
    assert example("minimal", "mlproject.yaml").registry.remote_url == "../.dvc-storage/iris"


def with_remote(project: ir.Project, url: str) -> ir.Project:
    registry = replace(project.registry, remote_url=url, remote_is_default=False)
    return replace(project, registry=registry)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("s3://ml-artifacts/churn", "s3://ml-artifacts/churn"),
        ("azure://container/churn", "azure://container/churn"),
        ("/mnt/dvc/churn", "/mnt/dvc/churn"),
        ("../shared-storage", "../../shared-storage"),  # relative to the spec, written from .dvc/
    ],
)
def test_the_specs_remote_is_the_default_remote(url: str, expected: str) -> None:
    project = with_remote(example("churn"), url)
    assert repo_config.remote_url(project) == expected
    config = files(project)[".dvc/config"].content.decode()
    assert f"    url = {expected}\n" in config


@pytest.mark.parametrize(
    "url",
    ["s3://bucket/with space/x", 's3://bucket/quote"d', "s3://a,b/c", "s3://bucket/#frag"],
)
def test_awkward_remote_urls_survive_dvcs_config_parser(tmp_path: Path, url: str) -> None:
    _, config = _dvc_config(tmp_path, with_remote(example("churn"), url))
    read = config["remote"][repo_config.REMOTE_NAME]["url"]
    assert read == url.replace('"', "%22")


def test_config_is_ini_shaped_with_dvcs_quoted_remote_section() -> None:
    text = files(example("churn"))[".dvc/config"].content.decode()
    parser = configparser.ConfigParser()
    parser.read_string(text)
    assert parser.sections() == ["core", "'remote \"storage\"'"]


# ── goldens ─────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("name", EXAMPLES)
def test_golden_files(name: str, update_goldens: bool) -> None:
    rendered = files(example(name))
    golden = GOLDEN / name
    if update_goldens:
        for rel in GOLDEN_FILES:
            (golden / rel).parent.mkdir(parents=True, exist_ok=True)
            (golden / rel).write_bytes(rendered[rel].content)
        return
    for rel in GOLDEN_FILES:
        path = golden / rel
        assert path.is_file(), f"no golden {path}: run pytest with --update-goldens"
        assert rendered[rel].content == path.read_bytes(), f"{name}/{rel} differs from its golden"


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_steps_know_which_of_their_outputs_dvc_caches(name: str) -> None:
    """``pipeline_layout.CACHED_OUTPUTS`` (the steps gitignore them themselves, as DVC
    would) is what dvc.yaml caches: every built-in out and plot without ``cache: false``."""
    project = example(name)
    stages = pipeline(project)["stages"]
    steps = {"split", "train", "baseline", "evaluate"}
    cached: dict[str, list[str]] = {}
    for stage in steps:
        for entry in [*stages[stage].get("outs", []), *stages[stage].get("plots", [])]:
            path, options = (entry, {}) if isinstance(entry, str) else next(iter(entry.items()))
            if options.get("cache", True):
                cached.setdefault(stage, []).append(path)
    per_row = [p for p in cached.get("evaluate", []) if p in layout.PER_ROW_PLOTS]
    assert bool(per_row) == project.sensitive  # every task writes a per-row plot
    expected = {step: list(layout.CACHED_OUTPUTS[step]) for step in steps}
    expected["evaluate"] += per_row
    assert cached == expected

"""The IR codec: dump and load ``mlproject.compiled.json`` without pydantic."""

from __future__ import annotations

import copy
import datetime
import json
import pickle
import shutil
from dataclasses import fields, is_dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from mlcontract import ir, ir_codec
from mlcontract import pipeline_layout as layout
from mlruntime.compiled import CompiledProjectError
from mlruntime.steps.config import load_context
from mlruntime.steps.errors import StepError
from tests.probes import probe

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "compile"
EXAMPLES = sorted(p.name for p in GOLDEN.iterdir() if (p / layout.CONFIG).is_file())


def compiled_text(example: str) -> str:
    return (GOLDEN / example / layout.CONFIG).read_text(encoding="utf-8")


def churn_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(compiled_text("churn"))
    return data


def load_error(data: object, cls: type[ir.Node] = ir.Project) -> str:
    with pytest.raises(ir_codec.LoadError) as caught:
        ir_codec.load(cls, data)
    return str(caught.value)


def test_every_example_is_compiled() -> None:
    assert {"churn", "demand", "minimal"} <= set(EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES)
def test_round_trip_is_exact(example: str) -> None:
    text = compiled_text(example)
    project = ir_codec.load_project_json(text)
    assert isinstance(project, ir.Project)
    assert ir_codec.dump(project) == json.loads(text)
    # byte for byte, as the config target writes it
    dumped = json.dumps(ir_codec.dump(project), indent=2, sort_keys=True, ensure_ascii=False)
    assert dumped + "\n" == text
    assert ir_codec.load(ir.Project, json.loads(text)) == project


def test_dump_keeps_declaration_order_and_lists() -> None:
    project = ir_codec.load_project_json(compiled_text("churn"))
    dumped = ir_codec.dump(project)
    assert list(dumped) == list(ir.Project.__dataclass_fields__)
    assert isinstance(dumped["sources"], list)
    assert isinstance(dumped["training"]["features"], list)


def test_positions_stay_out_of_dumps_and_equality() -> None:
    project = ir_codec.load_project_json(compiled_text("churn"))
    metric = project.metrics[0]
    placed = replace(metric, at=ir.SourceRef(line=3, col=5))
    assert placed == metric
    assert "at" not in ir_codec.dump(placed)
    assert ir_codec.dump(placed) == ir_codec.dump(metric)


def test_nodes_are_slotted_and_copyable() -> None:
    project = ir_codec.load_project_json(compiled_text("churn"))
    with pytest.raises(AttributeError):
        project.nmae = "x"  # type: ignore[attr-defined]  # slots: a misspelt field is an error
    assert copy.deepcopy(project) == project
    assert replace(project, name="other").name == "other"
    assert project.name != "other"


def test_the_type_checker_keeps_nodes_read_only(tmp_path: Path) -> None:
    """Not frozen at run time, frozen to mypy (``ir.node``, PEP 681): a field
    assignment in code that uses the IR fails ``mypy --strict``; ``replace`` does not."""
    api = pytest.importorskip("mypy.api", reason="mypy (the test extra) checks the IR's types")
    user = tmp_path / "ir_user.py"
    user.write_text(
        "from dataclasses import replace\n"
        "from mlcontract import ir\n"
        "def rename(project: ir.Project) -> ir.Project:\n"
        "    project.name = 'other'\n"
        "    return replace(project, name='other')\n"
    )
    out, _, status = api.run(
        [
            "--strict",
            "--no-incremental",
            "--follow-imports=silent",
            "--python-version=3.11",
            str(user),
        ]
    )
    assert status == 1, out
    (error,) = [line for line in out.splitlines() if ": error:" in line]
    assert (
        error.startswith(f"{user}:4:")
        and 'Property "name" defined in "Project" is read-only' in error
    )


def test_every_node_is_a_slotted_keyword_only_dataclass() -> None:
    """One record type: the IR is standard-library dataclasses, nothing hand-written.

    Pinned on purpose: value equality, not ``frozen`` at run time (nothing hashes a node; the
    type checker still treats nodes as frozen, see the test above; and the
    three generated methods of a frozen class cost every compile ~62 M instructions
    over the 33 classes: docs/benchmarks.md, "Issue 11: one record type").
    """
    nodes = [v for v in vars(ir).values() if isinstance(v, type) and issubclass(v, ir.Node)]
    assert len(nodes) > 30
    for cls in nodes:
        assert is_dataclass(cls), cls
        params = cls.__dataclass_params__  # type: ignore[attr-defined]
        assert params.eq and not params.frozen, cls
        assert all("__slots__" in base.__dict__ for base in cls.__mro__[:-1]), cls
        assert all(f.kw_only for f in fields(cls)), cls
    with pytest.raises(TypeError):
        ir.SourceRef(1, 2)  # type: ignore[call-arg]
    ref = ir.SourceRef(line=1, col=2)
    assert pickle.loads(pickle.dumps(ref)) == ref
    assert repr(ref) == "SourceRef(line=1, col=2)"


def test_an_int_for_a_float_becomes_a_float() -> None:
    """As pydantic's lax mode did: the serialised IR says 1.0 whatever the spec said."""
    built = ir.Threshold(metric="roc_auc", minimum=1, maximum=None)
    assert built.minimum == 1.0
    assert type(built.minimum) is float
    loaded = ir_codec.load(ir.Threshold, {"metric": "roc_auc", "minimum": 1, "maximum": None})
    assert type(loaded.minimum) is float
    assert (
        json.dumps(ir_codec.dump(loaded))
        == '{"metric": "roc_auc", "minimum": 1.0, "maximum": null}'
    )
    split = ir_codec.load(
        ir.Split,
        {"method": "random", "test_size": 0.2, "validation_size": 0, "seed": 7.0, "stratify": True},
    )
    assert type(split.validation_size) is float
    assert type(split.seed) is int


def test_defaults_fill_missing_keys_that_have_one() -> None:
    data = churn_data()
    del data["ir_version"]
    assert ir_codec.load(ir.Project, data).ir_version == ir.IR_VERSION


def test_wrong_type_names_the_path() -> None:
    data = churn_data()
    data["training"]["split"]["seed"] = "x"
    assert load_error(data) == "training.split.seed: expected an integer, got 'x'"
    data["training"]["split"]["seed"] = True
    assert load_error(data) == "training.split.seed: expected an integer, got True"


def test_wrong_type_inside_a_list_names_the_index() -> None:
    data = churn_data()
    data["sources"][0]["columns"][1]["nullable"] = "yes"
    assert load_error(data) == "sources.0.columns.1.nullable: expected a boolean, got 'yes'"


def test_unknown_key() -> None:
    data = churn_data()
    data["training"]["split"]["sede"] = 1
    assert load_error(data) == "training.split.sede: unknown key"
    assert load_error({**churn_data(), "extra": 1}) == "extra: unknown key"


def test_missing_key() -> None:
    data = churn_data()
    del data["gates"]["beat_baseline"]
    assert load_error(data) == "gates.beat_baseline: missing key"


def test_bad_literal() -> None:
    data = churn_data()
    data["task"] = "clasification"
    assert load_error(data) == (
        "task: expected one of 'binary_classification', 'multiclass_classification', "
        "'regression', got 'clasification'"
    )


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("gates", "beat_baseline"), 3, "gates.beat_baseline: expected an object or null, got 3"),
        (("sources", 0, "path"), 1, "sources.0.path: expected a string or null, got 1"),
        (("training", "features"), "age", "training.features: expected a list, got 'age'"),
        (("training", "estimator", "params"), [], "training.estimator.params: expected an object"),
        (("layout",), None, "layout: expected an object, got None"),
        (("gates", "thresholds", 0, "minimum"), "0.5", "expected a number or null, got '0.5'"),
    ],
)
def test_unions_containers_and_nodes(
    path: tuple[str | int, ...], value: object, message: str
) -> None:
    data = churn_data()
    target: Any = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    assert message in load_error(data)


def test_categories_hold_strings_or_integers() -> None:
    column = {
        "name": "plan",
        "type": "category",
        "nullable": False,
        "min": None,
        "max": None,
        "categories": ["basic", 2],
        "pii": False,
    }
    assert ir_codec.load(ir.Column, column).categories == ("basic", 2)
    column["categories"] = ["basic", 2.5]
    assert load_error(column, ir.Column) == (
        "categories.1: expected a string or an integer, got 2.5"
    )


def test_not_json_and_not_an_object() -> None:
    with pytest.raises(ir_codec.LoadError, match="not valid JSON"):
        ir_codec.load_project_json("{")
    with pytest.raises(ir_codec.LoadError, match=r"^expected an object, got \[\]$"):
        ir_codec.load_project_json("[]")


def test_dump_of_any_values_is_json_ready() -> None:
    """As pydantic's ``model_dump(mode="json")`` rendered what YAML can put in params."""
    params = {
        "a": (1, 2),
        "b": float("inf"),
        "c": {1: "one"},
        "d": datetime.date(2024, 7, 1),
        "e": datetime.datetime(2024, 7, 1, 3, 4, 5, tzinfo=datetime.UTC),
        "f": b"raw",
    }
    assert ir_codec.dump(ir.Estimator(class_path="x.Y", params=params)) == {
        "class_path": "x.Y",
        "params": {
            "a": [1, 2],
            "b": None,
            "c": {"1": "one"},
            "d": "2024-07-01",
            "e": "2024-07-01T03:04:05Z",
            "f": "raw",
        },
    }


# ── the runtime's loaders ───────────────────────────────────────────────────


@pytest.fixture
def churn_project(tmp_path: Path) -> Path:
    project = tmp_path / "churn"
    shutil.copytree(GOLDEN / "churn", project)
    return project


def test_params_override_of_the_split_is_checked(churn_project: Path) -> None:
    (churn_project / layout.PARAMS).write_text("split: {seed: x}\n")
    with pytest.raises(StepError, match=r"params\.yaml: split\.seed: expected an integer, got 'x'"):
        load_context(churn_project).split  # noqa: B018
    (churn_project / layout.PARAMS).write_text("split: {seed: 7, validation_size: 0}\n")
    split = load_context(churn_project).split
    assert (split.seed, split.validation_size, split.method) == (7, 0.0, "random")


def test_at_a_monorepos_root_the_error_names_the_compiled_projects_below(
    churn_project: Path, tmp_path: Path
) -> None:
    root = tmp_path / "mono"
    for below in ("b-model", "teams/a-model"):
        (root / below).mkdir(parents=True)
        shutil.copy(churn_project / layout.CONFIG, root / below / layout.CONFIG)
    with pytest.raises(CompiledProjectError) as raised:
        load_context(root)
    assert raised.value.message.endswith("compiled projects below it: b-model, teams/a-model")
    assert raised.value.hint == "pass --project-dir b-model (or run the command in that directory)"
    with pytest.raises(CompiledProjectError, match=r"below it: a-model$"):
        load_context(root / "teams")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CompiledProjectError, match="run `mlproject compile` first"):
        load_context(tmp_path / "empty")


def test_a_broken_compiled_configuration_is_a_clear_error(churn_project: Path) -> None:
    data = churn_data()
    data["training"]["split"]["seed"] = "x"
    (churn_project / layout.CONFIG).write_text(json.dumps(data))
    with pytest.raises(CompiledProjectError, match=r"training\.split\.seed: expected an integer"):
        load_context(churn_project)


PROBE = """
import json, subprocess, sys
from pathlib import Path
project = Path(sys.argv[1])
import mlcontract.ir
from mlruntime.steps.config import load_context
context = load_context(project)
assert context.project.name == "churn", context.project.name
assert context.split.seed == 42
from mlruntime.serving.project import load_project as serving_project
assert serving_project(project).model_name == "churn-classifier"
subprocess.run(["git", "init", "-q", str(project)], check=True)
from mlruntime.lineage.project import load_project
assert load_project(project).model_name == "churn-classifier"
print("RESULT=" + json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "pydantic")))
"""


def test_loading_a_compiled_project_does_not_import_pydantic(churn_project: Path) -> None:
    assert probe(PROBE, str(churn_project), cwd=ROOT) == []

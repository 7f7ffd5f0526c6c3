"""The generated validator (compiler/spec/v1_compiled.py) is the pydantic models, faster.

- the committed module is what the generator writes today;
- on every spec the tests and examples hold, and on random mutations of the
  examples, it accepts what the models accept, with the same values (field by
  field, type by type), and rejects what they reject, with the same errors;
- when it cannot be used (another pydantic-core), the models validate and the
  result is the same plain objects;
- the generator refuses what it does not understand.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any, Literal

import pydantic_core
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError, field_validator

from compiler.checks import RULES
from compiler.pipeline import validate_file, validate_text
from compiler.schema import compiled_module_path
from compiler.spec import LATEST, VERSIONS, spec_model, validate
from compiler.spec import v1 as models_v1
from compiler.spec import v1_compiled as compiled
from compiler.spec.codegen import GeneratorError, render_compiled_module, render_module
from compiler.spec.plain import PlainSpec, build
from compiler.spec.validate import SCHEMA_CODES
from tests.mutations import mutate, mutations

ROOT = Path(__file__).resolve().parents[2]
MODEL = spec_model(LATEST)
EXAMPLES = sorted((ROOT / "examples").glob("*/mlproject.yaml"))
NEGATIVE = sorted((ROOT / "tests" / "negative").glob("*.yaml"))


def _spec_texts() -> dict[str, str]:
    """Every spec the repository holds as a file or as a documented example."""
    texts = {f"examples/{p.parent.name}": p.read_text("utf-8") for p in EXAMPLES}
    texts |= {f"negative/{p.stem}": p.read_text("utf-8") for p in NEGATIVE}
    for rule in RULES:
        texts[f"{rule.code}/bad"], texts[f"{rule.code}/good"] = rule.bad, rule.good
    for doc in SCHEMA_CODES:
        texts[f"{doc.code}/bad"], texts[f"{doc.code}/good"] = doc.bad, doc.good
    return texts


SPECS = _spec_texts()


def _data(text: str) -> Any:
    return yaml.safe_load(text)


def assert_same_tree(plain: Any, model: Any, where: str = "spec") -> None:
    """The plain object tree equals the pydantic one field by field, scalar types included."""
    if isinstance(model, BaseModel):
        assert isinstance(plain, PlainSpec), where
        assert type(plain).__name__ == type(model).__name__, where
        assert plain._fields == tuple(type(model).model_fields), where
        assert plain.__dict__["__pydantic_fields_set__"] == model.model_fields_set, where
        for name in plain._fields:
            assert_same_tree(getattr(plain, name), getattr(model, name), f"{where}.{name}")
    elif isinstance(model, list):
        assert type(plain) is list and len(plain) == len(model), where
        for i, (a, b) in enumerate(zip(plain, model, strict=True)):
            assert_same_tree(a, b, f"{where}[{i}]")
    elif isinstance(model, dict):
        assert type(plain) is dict and list(plain) == list(model), where
        for key in model:
            assert_same_tree(plain[key], model[key], f"{where}.{key}")
    else:
        assert type(plain) is type(model), where
        same_nan = isinstance(model, float) and math.isnan(model) and math.isnan(plain)
        assert same_nan or plain == model, where


def _errors(exc: ValidationError) -> str:
    """Errors as compared: exceptions in ``ctx`` (new objects each time) by their repr."""
    return repr(exc.errors(include_url=False)) + f" title={exc.title}"


def _outcome(validate_python: Any, data: Any) -> tuple[Any, str | None]:
    try:
        return validate_python(copy.deepcopy(data)), None
    except ValidationError as exc:
        return None, _errors(exc)


def assert_same_outcome(data: Any) -> None:
    """Both validators accept ``data`` with the same values, or reject it with the same errors."""
    validator = validate.compiled_validator(LATEST)
    assert validator is not None
    expected, expected_errors = _outcome(MODEL.model_validate, data)
    actual, actual_errors = _outcome(validator.validate_python, data)
    assert actual_errors == expected_errors
    if expected_errors is None:
        assert_same_tree(actual, expected)


# ── the committed module ────────────────────────────────────────────────────


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_committed_compiled_module_is_fresh(version: str) -> None:
    path = compiled_module_path(version, ROOT)
    assert path.read_text("utf-8") == render_compiled_module(version), (
        f"{path.relative_to(ROOT)} is stale; regenerate with: python -m compiler.schema"
    )


def test_compiled_module_is_in_use() -> None:
    assert validate.compiled_validator(LATEST) is not None, (
        "the installed pydantic-core is not the one compiler/spec/v1_compiled.py was generated "
        "for; regenerate with: python -m compiler.schema"
    )


def test_every_model_has_its_plain_class() -> None:
    def subclasses(module: Any, base: type) -> dict[str, type]:
        return {
            name: cls
            for name, cls in vars(module).items()
            if isinstance(cls, type) and issubclass(cls, base) and cls.__module__ == module.__name__
        }

    models = subclasses(models_v1, BaseModel)
    plain = subclasses(compiled, PlainSpec)
    assert set(plain) == set(models) - {"Spec"}
    for name, cls in plain.items():
        assert cls._fields == tuple(models[name].model_fields), name


# ── equivalence ─────────────────────────────────────────────────────────────


@pytest.mark.parametrize("name", sorted(SPECS))
def test_same_outcome_on_every_known_spec(name: str) -> None:
    assert_same_outcome(_data(SPECS[name]))


def test_known_specs_cover_both_outcomes() -> None:
    valid = 0
    for text in SPECS.values():
        try:
            MODEL.model_validate(_data(text))
            valid += 1
        except ValidationError:
            pass
    assert valid >= 50 and len(SPECS) - valid >= 10, (valid, len(SPECS))


def test_defaults_are_the_models_defaults() -> None:
    factories = [n for n in vars(compiled) if n.startswith("_default_")]
    assert len(factories) >= 15
    for name in factories:
        plain = getattr(compiled, name)()
        assert_same_tree(plain, getattr(models_v1, type(plain).__name__)(), name)
        assert getattr(compiled, name)() is not plain  # a fresh default each time


@settings(max_examples=300, deadline=None)
@given(example=st.sampled_from(EXAMPLES), edits=st.lists(mutations(), min_size=1, max_size=3))
def test_same_outcome_on_mutated_examples(
    example: Path, edits: list[tuple[int, str, Any, str]]
) -> None:
    assert_same_outcome(mutate(_data(example.read_text("utf-8")), edits))


# ── the fallback ────────────────────────────────────────────────────────────


@pytest.fixture
def without_compiled(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The generated module stamped with another pydantic-core: the models must validate."""
    monkeypatch.setattr(compiled, "PYDANTIC_CORE_VERSION", "0.0.0")
    validate.compiled_validator.cache_clear()
    yield
    validate.compiled_validator.cache_clear()


@pytest.mark.usefixtures("without_compiled")
def test_other_pydantic_core_falls_back_to_the_models() -> None:
    assert validate.compiled_validator(LATEST) is None
    for name in ("examples/churn", "examples/demand", "MLP201/good"):
        data = _data(SPECS[name])
        fallback = validate.validate_data(LATEST, data)
        assert isinstance(fallback, compiled.ProjectSpec)
        assert_same_tree(fallback, MODEL.model_validate(data))


def test_fallback_gives_the_same_objects_and_diagnostics(without_compiled: None) -> None:
    del without_compiled
    paths = [*EXAMPLES, *NEGATIVE]
    fallback = [validate_file(path) for path in paths]
    validate.compiled_validator.cache_clear()
    compiled.PYDANTIC_CORE_VERSION = pydantic_core.__version__  # the fixture restores it anyway
    assert validate.compiled_validator(LATEST) is not None
    for path, slow in zip(paths, fallback, strict=True):
        fast = validate_file(path)
        assert fast.diagnostics == slow.diagnostics, path
        assert fast.spec == slow.spec, path
    assert {slow.spec is None for slow in fallback} == {True, False}  # both outcomes compared


def test_schema_that_does_not_build_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("an unknown schema")

    monkeypatch.setattr(validate, "SchemaValidator", broken)
    validate.compiled_validator.cache_clear()
    try:
        assert validate.compiled_validator(LATEST) is None
        result = validate_text(SPECS["examples/churn"], "mlproject.yaml")
        assert result.ok and isinstance(result.spec, compiled.ProjectSpec)
    finally:
        validate.compiled_validator.cache_clear()


# ── the plain objects ───────────────────────────────────────────────────────


def test_plain_objects_are_immutable_values() -> None:
    spec = validate_text(SPECS["examples/churn"], "mlproject.yaml").spec
    again = validate_text(SPECS["examples/churn"], "mlproject.yaml").spec
    assert spec is not None and again is not None
    assert spec == again and spec is not again
    assert spec != validate_text(SPECS["examples/demand"], "mlproject.yaml").spec
    with pytest.raises(AttributeError, match="immutable"):
        spec.metadata.name = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del spec.training.split
    assert repr(spec.training.split) == (
        "Split(method='random', test_size=0.2, validation_size=0.0, seed=42, stratify=True)"
    )
    assert hash(spec.training.split) == hash(again.training.split)
    with pytest.raises(TypeError):
        build(compiled.Split, {"method": "random"})


@pytest.mark.parametrize("fallback", [False, True], ids=["compiled", "models"])
def test_plain_constructor_validates_like_the_models(
    fallback: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if fallback:
        monkeypatch.setattr(compiled, "PYDANTIC_CORE_VERSION", "0.0.0")
    validate.compiled_validator.cache_clear()
    validate._section_validator.cache_clear()
    try:
        for cls, data in [
            ("Environment", {"name": "production"}),
            ("Estimator", {"class_": "sklearn.dummy.DummyClassifier"}),
            ("DataSource", {"name": "x", "uri": "s3://bucket/key"}),
            ("Monitoring", {}),
        ]:
            plain = getattr(compiled, cls)(**data)
            assert_same_tree(plain, getattr(models_v1, cls)(**data), cls)
        for cls, data in [
            ("Environment", {"name": "Bad Name", "extra": 1}),
            ("DataSource", {"name": "x"}),
        ]:
            expected = _outcome(lambda d, c=cls: getattr(models_v1, c)(**d), data)[1]
            actual = _outcome(lambda d, c=cls: getattr(compiled, c)(**d), data)[1]
            assert expected is not None and actual == expected
    finally:
        validate.compiled_validator.cache_clear()
        validate._section_validator.cache_clear()


# ── the generator refuses what it does not know ─────────────────────────────


class Stamped(BaseModel):
    """A model with a field type the generator does not copy."""

    model_config = ConfigDict(extra="forbid")
    at: Any = Field(default_factory=lambda: 0)


class Checked(BaseModel):
    """A model whose validator lives outside compiler.spec.constraints."""

    name: str

    @field_validator("name")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class Tagged(BaseModel):
    """A model with a Literal the generator reads, and a serialisation-only setting."""

    model_config = ConfigDict(extra="forbid", ser_json_timedelta="float")
    kind: Literal["a", "b"] = "a"


class Numbers(RootModel[list[int]]):
    """A root model: its instances hold ``root``, not fields."""


class Initialised(BaseModel):
    """A model with a post-init hook, which plain classes would not run."""

    name: str = "x"

    def model_post_init(self, context: Any, /) -> None:
        del context


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (Stamped, "is not one of the spec models"),
        (Checked, "must be a module-level function of compiler.spec.constraints"),
        (Tagged, "has keys other than"),
        (Numbers, "only False is supported"),
        (Initialised, "key 'post_init' of a 'model' schema is not supported"),
    ],
)
def test_generator_fails_loudly(model: type[BaseModel], message: str) -> None:
    with pytest.raises(GeneratorError, match=message):
        render_module(model, "test/v0")

"""Committed generated docs and schemas must match the models that produce them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from compiler.schema import SCHEMA_VERSIONS, render_schema, render_spec_reference

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = "regenerate with: python -m compiler.schema"


def test_committed_schema_is_fresh() -> None:
    for version, name in SCHEMA_VERSIONS.items():
        committed = (ROOT / "schemas" / name).read_text(encoding="utf-8")
        assert committed == render_schema(version), f"schemas/{name} is stale; {REGENERATE}"


def test_spec_reference_is_fresh() -> None:
    committed = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
    assert committed == render_spec_reference(), f"docs/spec.md is stale; {REGENERATE}"


def test_schema_is_valid_and_accepts_every_example() -> None:
    schema = json.loads((ROOT / "schemas" / "mlproject.v1.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    examples = sorted((ROOT / "examples").glob("*/mlproject.yaml"))
    assert len(examples) >= 3
    for spec in examples:
        errors = list(validator.iter_errors(yaml.safe_load(spec.read_text(encoding="utf-8"))))
        assert not errors, f"{spec}: {errors[0].message}"


def test_schema_rejects_unknown_keys() -> None:
    schema = json.loads((ROOT / "schemas" / "mlproject.v1.json").read_text(encoding="utf-8"))
    spec = yaml.safe_load((ROOT / "examples/minimal/mlproject.yaml").read_text(encoding="utf-8"))
    spec["metadata"]["owner"] = "typo"
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(spec))


def test_every_example_points_editors_at_the_schema() -> None:
    for spec in sorted((ROOT / "examples").glob("*/mlproject.yaml")):
        first = spec.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../schemas/mlproject.v1.json", spec


def test_schema_documents_fields_for_editors() -> None:
    schema = json.loads(render_schema("mlproject/v1"))
    described = [name for name, node in schema["$defs"].items() if node.get("description")]
    assert len(described) == len(schema["$defs"]), "every section needs a docstring"

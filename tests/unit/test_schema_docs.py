"""Committed generated docs and schemas must match the models that produce them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from compiler.schema import (
    SCHEMA_VERSIONS,
    render_schema,
    render_schema_digest,
    render_spec_reference,
    schema_document,
)

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = "regenerate with: python -m compiler.schema"


def test_committed_schema_is_fresh() -> None:
    for version, name in SCHEMA_VERSIONS.items():
        committed = (ROOT / "schemas" / name).read_text(encoding="utf-8")
        assert committed == render_schema(version), f"schemas/{name} is stale; {REGENERATE}"


def test_schema_digest_is_fresh() -> None:
    """compile tells an up-to-date editor schema by this digest (compiler.editor_schema)."""
    committed = (ROOT / "compiler" / "schema_digest.py").read_text(encoding="utf-8")
    assert committed == render_schema_digest(), f"compiler/schema_digest.py is stale; {REGENERATE}"


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


def test_every_property_is_described_for_editor_hover() -> None:
    schema = json.loads(render_schema("mlproject/v1"))
    nodes = {"the document": schema, **schema["$defs"]}
    properties = [
        (f"{name}.{key}", prop)
        for name, node in nodes.items()
        for key, prop in node.get("properties", {}).items()
    ]
    assert len(properties) > 150
    undescribed = [path for path, prop in properties if not prop.get("description")]
    assert undescribed == [], "add Field(description=...) in compiler/spec/v1.py"


def test_spec_reference_follows_the_order_of_a_spec() -> None:
    text = render_spec_reference()
    headings = [line[3:] for line in text.splitlines() if line.startswith("## ")]
    assert headings[0] == "The document"
    paths = [heading.split("`")[1] for heading in headings[1:]]
    top = [path.split(".")[0].removesuffix("[]") for path in paths]
    # The top-level sections in the order the document declares them, each followed by its parts.
    declared = list(schema_document("mlproject/v1")["properties"])  # the models' order
    assert list(dict.fromkeys(top)) == [key for key in declared if key in top]
    assert paths.index("data.sources[]") < paths.index("data.sources[].columns[]")
    assert paths.index("data.sources[].columns[]") < paths.index("training")
    schema = json.loads(render_schema("mlproject/v1"))
    assert len(headings) == len(schema["$defs"]) + 1  # every section, once

"""What is generated from the spec models: JSON Schema and reference docs.

``python -m compiler.schema`` writes, for every apiVersion,

- ``schemas/mlproject.v1.json``, committed so editors (yaml-language-server) show
  docs on hover and CI can validate without mlproject installed;
- ``docs/spec.md``, the reference of every key.

Tests fail when a committed file is stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from compiler.spec import VERSIONS, spec_model

SCHEMA_VERSIONS: dict[str, str] = {v: f"mlproject.{v.split('/')[1]}.json" for v in VERSIONS}
SCHEMA_ID_BASE = "https://mlproject.dev/schemas/"


def schema_document(api_version: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) for one apiVersion."""
    model = spec_model(api_version)
    schema = model.model_json_schema(by_alias=True, mode="validation")
    _describe_references(schema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID_BASE + SCHEMA_VERSIONS[api_version]
    schema["title"] = f"mlproject.yaml ({api_version})"
    schema["description"] = (
        "One machine-learning project, stated once: objective and KPIs, data and its "
        "sensitivity, training, release gates, deployment, monitoring, experiments and "
        "retraining. Compiled by `mlproject compile`."
    )
    return schema


def _describe_references(schema: dict[str, Any]) -> None:
    """Give a property that only refers to a section that section's description.

    pydantic leaves out a field description equal to its model's docstring; editors
    show a property's own description on hover, so it is copied back.
    """
    defs: dict[str, Any] = schema.get("$defs", {})
    for node in [schema, *defs.values()]:
        for prop in node.get("properties", {}).values():
            refs = _refs(prop)
            if not prop.get("description") and refs and refs[0] in defs:
                prop["description"] = defs[refs[0]].get("description", "")


def render_schema(api_version: str) -> str:
    return json.dumps(schema_document(api_version), indent=2, sort_keys=True) + "\n"


def _type_name(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    if "const" in prop:
        return json.dumps(prop["const"])
    if "enum" in prop:
        return " | ".join(json.dumps(v) for v in prop["enum"])
    if "anyOf" in prop:
        return " or ".join(_type_name(p) for p in prop["anyOf"])
    kind = prop.get("type", "any")
    if kind == "array":
        return f"list of {_type_name(prop.get('items', {}))}"
    if kind == "object" and "additionalProperties" in prop:
        extra = prop["additionalProperties"]
        return f"map of {_type_name(extra) if isinstance(extra, dict) else 'any'}"
    if kind == "object" and prop.get("patternProperties"):
        values = list(prop["patternProperties"].values())
        return f"map of {' or '.join(_type_name(value) for value in values)}"
    return str(kind)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _refs(node: Any) -> list[str]:
    """The names of the definitions a property refers to, in the order they appear."""
    if isinstance(node, dict):
        found = [str(node["$ref"]).rsplit("/", 1)[-1]] if "$ref" in node else []
        for key in ("anyOf", "oneOf", "allOf", "items", "additionalProperties"):
            found += _refs(node.get(key))
        return found + _refs(list(node.get("patternProperties", {}).values()))
    if isinstance(node, list):
        return [name for item in node for name in _refs(item)]
    return []


def document_order(schema: dict[str, Any]) -> list[tuple[str, str]]:
    """(definition, the key path it first appears at) in the order a spec is read:
    depth first through the properties as the models declare them."""
    defs: dict[str, Any] = schema["$defs"]
    order: list[tuple[str, str]] = []
    seen: set[str] = set()

    def visit(node: dict[str, Any], path: str) -> None:
        for key, prop in node.get("properties", {}).items():
            many = prop.get("type") == "array" or any(
                option.get("type") == "array" for option in prop.get("anyOf", [])
            )
            mapped = any(
                "additionalProperties" in option or "patternProperties" in option
                for option in [prop, *prop.get("anyOf", [])]
            )
            child = f"{path}.{key}" if path else key
            child += "[]" if many else ".<name>" if mapped else ""
            for name in _refs(prop):
                if name not in seen and name in defs:
                    seen.add(name)
                    order.append((name, child))
                    visit(defs[name], child)

    visit(schema, "")
    order += [(name, "") for name in sorted(defs) if name not in seen]
    return order


def render_spec_reference(api_version: str = "mlproject/v1") -> str:
    """docs/spec.md: every section and key of the spec in document order, from the models."""
    schema = schema_document(api_version)
    defs: dict[str, Any] = schema["$defs"]
    out = [
        f"# mlproject.yaml reference ({api_version})",
        "",
        "<!-- Generated from the spec models by `python -m compiler.schema`; do not edit. -->",
        "",
        "Every key of the spec, section by section, in the order a spec is written. Keys",
        "without a default are required. Unknown keys are errors (`MLP101`). Examples:",
        "`examples/`. Diagnostics: [diagnostics.md](diagnostics.md).",
        "",
    ]
    sections = [("The document", schema)] + [
        (f"`{path}` ({name})" if path else name, defs[name])
        for name, path in document_order(schema)
    ]
    for name, node in sections:
        out += [f"## {name}", ""]
        if node.get("description"):
            out += [_cell(str(node["description"])), ""]
        props: dict[str, Any] = node.get("properties", {})
        if not props:
            continue
        required = set(node.get("required", []))
        out += ["| key | type | default | description |", "|---|---|---|---|"]
        for key, prop in props.items():
            if key in required:
                default = "required"
            elif "default" in prop:
                default = json.dumps(prop["default"])
            else:
                default = "see section"
            description = str(prop.get("description", ""))
            ref = prop.get("$ref") or next(
                (p["$ref"] for p in prop.get("anyOf", []) if "$ref" in p), None
            )
            if not description and ref:
                description = str(defs[ref.rsplit("/", 1)[-1]].get("description", ""))
            if prop.get("examples"):
                description += " Examples: " + ", ".join(json.dumps(e) for e in prop["examples"])
            out.append(
                f"| `{key}` | {_cell(_type_name(prop))} | `{_cell(default)}` | "
                f"{_cell(description)} |"
            )
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def render_schema_digest() -> str:
    """``compiler/schema_digest.py``: each schema's file name and SHA-256, so that compile
    can tell an up-to-date editor schema without rendering one (:mod:`compiler.editor_schema`)."""
    import hashlib

    entries = "".join(
        f'    "{version}": (\n        "{name}",\n'
        f'        "{hashlib.sha256(render_schema(version).encode()).hexdigest()}",\n    ),\n'
        for version, name in SCHEMA_VERSIONS.items()
    )
    return (
        '"""Generated by ``python -m compiler.schema``: the JSON Schema of each apiVersion, as\n'
        'its file name and the SHA-256 of its bytes (``schemas/``). Do not edit."""\n\n'
        f"SCHEMAS: dict[str, tuple[str, str]] = {{\n{entries}}}\n"
    )


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    for version, file_name in SCHEMA_VERSIONS.items():
        (root / "schemas" / file_name).write_text(render_schema(version), encoding="utf-8")
    (root / "docs" / "spec.md").write_text(render_spec_reference(), encoding="utf-8")
    (root / "compiler" / "schema_digest.py").write_text(render_schema_digest(), encoding="utf-8")

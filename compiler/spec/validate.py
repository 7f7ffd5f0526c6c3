"""Validate stage: a loaded document → the spec's plain objects, or diagnostics with positions.

Two validators, one engine. The pydantic models (``compiler.spec.v1``) are the
source of truth; ``compiler.spec.v1_compiled`` is generated from them: plain
classes plus the models' pydantic-core schema. A valid spec is validated by a
``pydantic_core.SchemaValidator`` built from that schema, which fills the plain
classes directly: no pydantic model is defined, which is most of what a cold
``mlproject validate`` would otherwise spend. When the installed pydantic-core
is not the one the module was generated for (or the schema does not build), the
models validate instead and their result is converted to the same plain
objects: slower, never different.

On a validation error the models are imported after all: pydantic reports
errors by location; this module maps each location back onto the document's
line and column, names the error in the user's terms (key paths as written in
the YAML) and adds "did you mean" hints for misspelt keys and enum values,
read from the models' fields.
"""

from __future__ import annotations

import importlib
import re
import types
import typing
from collections.abc import Iterator, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, Union, cast, get_args, get_origin

import pydantic_core
from pydantic_core import ErrorDetails, SchemaValidator, ValidationError

from compiler.diagnostics import CodeDoc, Diagnostic, DiagnosticError, Pointer
from compiler.load import Document
from compiler.spec import LATEST, VERSIONS, spec_model
from compiler.spec.plain import PlainSpec, build
from compiler.spec.v1_compiled import ProjectSpec
from mlcontract.errors import did_you_mean

if TYPE_CHECKING:
    from pydantic import BaseModel
    from pydantic_core import CoreSchema

_Plain = TypeVar("_Plain", bound=PlainSpec)

_MINIMAL = """\
apiVersion: mlproject/v1
metadata:
  name: iris
  owners: [{name: Ada, email: ada@example.com}]
objective:
  problem: Classify iris flowers by species.
  task: multiclass_classification
kpis:
  metrics:
    - {name: accuracy, minimum: 0.9, primary: true}
data:
  sources:
    - {name: iris, path: data/iris.csv, target: species}
"""

SCHEMA_CODES: list[CodeDoc] = [
    CodeDoc(
        "MLP100",
        "missing or unsupported apiVersion",
        "Every spec starts with `apiVersion`; the compiler reads only the versions it knows "
        "and lists them. A newer spec needs a newer mlproject.",
        _MINIMAL.replace("mlproject/v1", "mlproject/v9"),
        _MINIMAL,
    ),
    CodeDoc(
        "MLP101",
        "unknown key",
        "Spec sections are closed: a key the schema does not define is an error, usually a typo. "
        "The hint suggests the closest known key.",
        _MINIMAL.replace("  owners:", "  owner:"),
        _MINIMAL,
    ),
    CodeDoc(
        "MLP102",
        "missing required key",
        "A key without a sensible default must be stated.",
        _MINIMAL.replace("  task: multiclass_classification\n", ""),
        _MINIMAL,
    ),
    CodeDoc(
        "MLP103",
        "wrong type",
        "A value has the wrong type, e.g. a list where a mapping is expected or text where a "
        "number is expected.",
        _MINIMAL.replace("minimum: 0.9", "minimum: high"),
        _MINIMAL,
    ),
    CodeDoc(
        "MLP104",
        "value not among the allowed ones",
        "An enumerated value is not one of its allowed values; the hint suggests the closest.",
        _MINIMAL.replace("multiclass_classification", "multiclass_clasification"),
        _MINIMAL,
    ),
    CodeDoc(
        "MLP105",
        "invalid value",
        "A value has the right type but breaks a constraint: a pattern (names must be slugs), a "
        "range, a length, or a rule between keys of one section (a source needs path or uri).",
        _MINIMAL.replace("name: iris\n", "name: Iris Flowers\n"),
        _MINIMAL,
    ),
]

_TYPE_ERRORS = {
    "string_type",
    "int_type",
    "int_parsing",
    "int_from_float",
    "float_type",
    "float_parsing",
    "bool_type",
    "bool_parsing",
    "list_type",
    "dict_type",
    "model_type",
    "model_attributes_type",
    "none_required",
}
_ENUM_ERRORS = {"literal_error", "enum"}


def dotted(pointer: Pointer) -> str:
    """A pointer written as the user reads it: ``data.sources[0].name``."""
    out = ""
    for part in pointer:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(root)"


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types an annotation may hold (through Optional, Union, Annotated)."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [t for arg in get_args(annotation) for t in _unwrap(arg)]
    return [annotation]


def _model_at(model: type[BaseModel], pointer: Pointer) -> type[BaseModel] | None:
    """The model class that reads the mapping at ``pointer``, if any."""
    from pydantic import BaseModel  # the error path only

    current: Any = model
    for part in pointer:
        found: Any = None
        for candidate in _unwrap(current):
            origin = get_origin(candidate)
            if isinstance(part, int) and origin is list:
                found = get_args(candidate)[0]
            elif isinstance(part, str) and origin is dict:
                found = get_args(candidate)[1]
            elif (
                isinstance(part, str)
                and isinstance(candidate, type)
                and issubclass(candidate, BaseModel)
            ):
                for name, info in candidate.model_fields.items():
                    if part in (name, info.alias):
                        found = info.annotation
            if found is not None:
                break
        if found is None:
            return None
        current = found
    for candidate in _unwrap(current):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _keys_of(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _document_pointer(data: Any, loc: tuple[int | str, ...], missing: bool) -> Pointer:
    """The part of a pydantic location that exists in the document.

    Union branches add tags (``literal['training']``) that are not keys; they
    are dropped. A missing key keeps its name as the last part.
    """
    pointer: list[str | int] = []
    node = data
    for part in loc:
        in_mapping = isinstance(node, dict) and isinstance(part, str) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_mapping or in_list:
            node = node[part]
        elif missing and part == loc[-1]:
            pointer.append(part)
            break
        else:
            continue
        pointer.append(part)
    return tuple(pointer)


def _expected_values(error: ErrorDetails) -> list[str]:
    expected = str((error.get("ctx") or {}).get("expected", ""))
    return re.findall(r"'([^']*)'", expected)


def _diagnose(doc: Document, model: type[BaseModel], error: ErrorDetails) -> Diagnostic:
    kind = error["type"]
    pointer = _document_pointer(doc.data, tuple(error["loc"]), kind == "missing")
    where = dotted(pointer)
    hint: str | None = None
    if kind == "extra_forbidden":
        key = str(pointer[-1]) if pointer else "?"
        allowed = _keys_of(_model_at(model, pointer[:-1]))
        hint = did_you_mean(key, allowed) or (
            f"allowed keys here: {', '.join(sorted(allowed))}" if allowed else None
        )
        return Diagnostic(
            "MLP101",
            f"unknown key '{key}' in {dotted(pointer[:-1])}",
            doc.file,
            doc.position_of(pointer, key=True),
            hint,
            pointer=pointer,
        )
    if kind == "missing":
        parent = pointer[:-1]
        return Diagnostic(
            "MLP102",
            f"missing required key '{pointer[-1]}' in {dotted(parent)}",
            doc.file,
            doc.position_of(parent, key=bool(parent)),
            pointer=pointer,
        )
    value = error.get("input")
    shown = repr(value) if isinstance(value, str | int | float | bool) else type(value).__name__
    if kind in _ENUM_ERRORS:
        allowed = _expected_values(error)
        hint = did_you_mean(str(value), allowed) or f"allowed: {', '.join(allowed)}"
        return Diagnostic(
            "MLP104",
            f"{where}: {shown} is not one of the allowed values",
            doc.file,
            doc.position_of(pointer),
            hint,
            pointer=pointer,
        )
    if kind in _TYPE_ERRORS:
        return Diagnostic(
            "MLP103",
            f"{where}: {error['msg'][0].lower()}{error['msg'][1:]}, got {shown}",
            doc.file,
            doc.position_of(pointer),
            pointer=pointer,
        )
    message = error["msg"].removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        described = _field_description(model, pointer)
        message = f"{shown} does not match the required pattern"
        hint = described
    return Diagnostic(
        "MLP105", f"{where}: {message}", doc.file, doc.position_of(pointer), hint, pointer=pointer
    )


def _field_description(model: type[BaseModel], pointer: Pointer) -> str | None:
    parent = _model_at(model, pointer[:-1])
    if parent is None or not pointer:
        return None
    for name, info in parent.model_fields.items():
        if pointer[-1] in (name, info.alias):
            if info.description:
                return info.description
            for meta in info.metadata:
                description = getattr(meta, "description", None)
                if description:
                    return str(description)
    return None


def _iter_diagnostics(
    doc: Document, model: type[BaseModel], exc: ValidationError
) -> Iterator[Diagnostic]:
    seen: set[Pointer] = set()
    found: list[Diagnostic] = []
    for error in exc.errors(include_url=False):
        diagnostic = _diagnose(doc, model, error)
        if diagnostic.pointer in seen:
            continue  # one message per value: a union reports each of its branches
        seen.add(diagnostic.pointer)
        found.append(diagnostic)
    # A misspelt required key is reported once, as the typo (MLP101 with its
    # "did you mean"), not again as the missing key it was meant to be.
    suggested = {
        (*d.pointer[:-1], match[1])
        for d in found
        if d.code == "MLP101" and d.hint and (match := re.match(r"did you mean '(.+)'\?", d.hint))
    }
    for diagnostic in found:
        if diagnostic.code == "MLP102" and diagnostic.pointer in suggested:
            continue
        yield diagnostic


# ── validating ──────────────────────────────────────────────────────────────


@cache
def compiled_validator(api_version: str) -> SchemaValidator | None:
    """The generated validator of ``api_version``, or None when it cannot be used.

    None when the installed pydantic-core is not the version the module was
    generated for, or when the schema does not build: the models validate then.
    """
    module = importlib.import_module(VERSIONS[api_version].compiled)
    if pydantic_core.__version__ != module.PYDANTIC_CORE_VERSION:
        return None
    try:
        return SchemaValidator(cast("CoreSchema", module.SCHEMA))
    except Exception:  # any failure means: use the models, which are always right
        return None


def _plain(value: Any, module: types.ModuleType) -> Any:
    """A pydantic model tree as the generated module's plain objects (the fallback)."""
    fields = getattr(type(value), "model_fields", None)
    if fields is not None:
        cls: type[PlainSpec] = getattr(module, type(value).__name__)
        values = {name: _plain(getattr(value, name), module) for name in fields}
        return build(cls, values, value.model_fields_set)
    if isinstance(value, list):
        return [_plain(item, module) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item, module) for key, item in value.items()}
    return value


def _version_of(module_name: str) -> str:
    return next(v for v, where in VERSIONS.items() if where.compiled == module_name)


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


@cache
def _section_validator(module_name: str, class_name: str) -> SchemaValidator | None:
    """A validator of one section, or None.

    A section's schema is the node of the generated schema that carries the model's
    ``ref``: the model, with its model validators when it has some.
    """
    if compiled_validator(_version_of(module_name)) is None:
        return None
    module = importlib.import_module(module_name)
    node = next(n for n in _nodes(module.SCHEMA) if n.get("ref") == class_name)
    definitions = module.SCHEMA.get("definitions", [])
    schema = {"type": "definitions", "schema": node, "definitions": definitions}
    return SchemaValidator(cast("CoreSchema", schema), {"title": class_name})


def validate_section(cls: type[_Plain], data: Mapping[str, Any]) -> _Plain:
    """``data`` validated as the spec section ``cls`` (a plain class): the constructor of
    the plain classes. Raises pydantic_core.ValidationError."""
    validator = _section_validator(cls.__module__, cls.__name__)
    if validator is not None:
        section = validator.validate_python(data)
    else:
        models = importlib.import_module(VERSIONS[_version_of(cls.__module__)].models)
        model = getattr(models, cls.__name__)
        section = _plain(model.model_validate(data), importlib.import_module(cls.__module__))
    assert isinstance(section, cls)
    return section


def validate_data(api_version: str, data: Any) -> Any:
    """``data`` validated as a document of ``api_version``: its plain objects.

    Raises pydantic_core.ValidationError, the same with either validator.
    """
    validator = compiled_validator(api_version)
    if validator is not None:
        return validator.validate_python(data)
    compiled = importlib.import_module(VERSIONS[api_version].compiled)
    return _plain(spec_model(api_version).model_validate(data), compiled)


def validate_document(doc: Document) -> ProjectSpec:
    """The spec's plain objects of a loaded document; raises DiagnosticError with every problem."""
    version = doc.data.get("apiVersion")
    supported = ", ".join(sorted(VERSIONS))
    if not isinstance(version, str) or version not in VERSIONS:
        has_key = "apiVersion" in doc.data
        message = (
            f"unsupported apiVersion {version!r}"
            if has_key
            else "missing required key 'apiVersion'"
        )
        raise DiagnosticError(
            [
                Diagnostic(
                    "MLP100",
                    message,
                    doc.file,
                    doc.position_of(("apiVersion",) if has_key else ()),
                    f"supported versions: {supported}; start the file with 'apiVersion: {LATEST}'",
                    pointer=("apiVersion",),
                )
            ]
        )
    try:
        spec = validate_data(version, doc.data)
    except ValidationError as exc:
        model = spec_model(version)  # the error path: hints come from the models' fields
        raise DiagnosticError(list(_iter_diagnostics(doc, model, exc))) from None
    assert isinstance(spec, ProjectSpec)
    return spec

"""Validate stage: a loaded document → the spec's models, or diagnostics with positions.

The pydantic models (``compiler.spec.v1``) validate; the checks and the lower
stage read the frozen models they return. On a validation error pydantic
reports errors by location; this module maps each location back onto the
document's line and column, names the error in the user's terms (key paths as
written in the YAML) and adds "did you mean" hints for misspelt keys and enum
values, read from the models' fields.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin

from pydantic_core import ErrorDetails, ValidationError

from compiler.diagnostics import MINIMAL_SPEC, CodeDoc, Diagnostic, DiagnosticError, Pointer
from compiler.load import Document
from compiler.spec import LATEST, VERSIONS, spec_model
from compiler.spec.v1 import ProjectSpec
from mlcontract.errors import did_you_mean

if TYPE_CHECKING:
    from pydantic import BaseModel


_MINIMAL = MINIMAL_SPEC

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


def validate_data(api_version: str, data: Any) -> Any:
    """``data`` validated as a document of ``api_version``: its (frozen) models.

    Raises pydantic_core.ValidationError.
    """
    return spec_model(api_version).model_validate(data)


def validate_document(doc: Document) -> ProjectSpec:
    """The spec's models of a loaded document; raises DiagnosticError with every problem."""
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

"""The IR as JSON: dump IR nodes to JSON-ready data and load them back, checked.

:func:`dump` gives exactly what the former pydantic models gave with
``model_dump(mode="json")``: fields in declaration order, tuples as lists,
fields whose metadata says ``exclude`` (source positions) left out, non-finite
floats as ``null``. :func:`load` builds the dataclasses from parsed JSON and
checks every value against the declared type (``str``, ``int``, ``float``,
``bool``, ``None``, ``Literal``, tuples, dicts, nested nodes and unions of
these); the first mismatch, unknown key or missing key raises one
:class:`LoadError` naming its path (``training.split.seed: expected an
integer, got 'x'``). An ``int`` is accepted for a ``float`` and becomes a
float, and an integral float for an ``int``, as pydantic's lax mode did.

Type hints are resolved once, on first use, and cached (each distinct
annotation is evaluated once, instead of ``typing.get_type_hints`` per class).
Nothing here imports pydantic: runtime steps load ``mlproject.compiled.json``
without it (the gain: docs/benchmarks.md).
"""

from __future__ import annotations

import enum
import json
import math
import sys
import types
import typing
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from pathlib import PurePath
from typing import Any, Literal, TypeVar

from mlcontract import ir
from mlcontract.errors import MlprojectError

N = TypeVar("N", bound=ir.Node)

Converter = Callable[[Any], Any]


class LoadError(MlprojectError, ValueError):
    """A value that does not fit the IR; ``path`` locates it (keys and list indexes)."""

    def __init__(self, problem: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path: tuple[str | int, ...] = ()
        self.prepend(*path)

    def prepend(self, *parts: str | int) -> None:
        """Locate the value inside ``parts`` (the caller's key or index comes first)."""
        self.path = (*parts, *self.path)
        self.message = f"{self.where}: {self.problem}" if self.path else self.problem

    @property
    def where(self) -> str:
        """The dotted path of the value (``training.split.seed``); "" for the top level."""
        return ".".join(str(part) for part in self.path)


# ── dump ────────────────────────────────────────────────────────────────────

_DUMPED: dict[type, tuple[str, ...]] = {}


def _dumped_fields(cls: type[ir.Node]) -> tuple[str, ...]:
    names = _DUMPED.get(cls)
    if names is None:
        names = _DUMPED[cls] = tuple(f.name for f in fields(cls) if not f.metadata.get("exclude"))
    return names


def dump(node: ir.Node) -> dict[str, Any]:
    """JSON-ready data of ``node`` (what ``json.dumps`` takes as is)."""
    return {name: _dump_value(getattr(node, name)) for name in _dumped_fields(type(node))}


def _dump_value(value: Any) -> Any:
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if isinstance(value, ir.Node):
        return dump(value)
    if isinstance(value, tuple | list | set | frozenset):
        return [_dump_value(item) for item in value]
    if isinstance(value, dict):
        return {_dump_key(key): _dump_value(item) for key, item in value.items()}
    # What YAML or a caller may put in an ``Any`` (estimator params), as pydantic rendered it.
    import datetime  # rare: not worth an import on every load

    if isinstance(value, enum.Enum):
        return _dump_value(value.value)
    for base in (bool, int, str, float):  # subclasses of the JSON scalars
        if isinstance(value, base):
            return _dump_value(base(value))
    if isinstance(value, datetime.datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, PurePath):
        return str(value)
    raise TypeError(f"cannot serialise {kind.__name__} value {value!r} as JSON")


def _dump_key(key: object) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(_dump_value(key))


# ── load ────────────────────────────────────────────────────────────────────


def load(cls: type[N], data: object) -> N:
    """The ``cls`` node that ``data`` (parsed JSON) describes; :class:`LoadError` if it cannot."""
    node: N = _node_converter(cls)[0](data)
    return node


def load_project_json(text: str | bytes) -> ir.Project:
    """The project of a ``mlproject.compiled.json`` text."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise LoadError(f"not valid JSON: {exc}") from None
    return load(ir.Project, data)


@dataclass
class _Field:
    """How to load one field of a node."""

    name: str
    convert: Converter
    required: bool


@dataclass
class _Plan:
    """How to load every field of a node class."""

    fields: tuple[_Field, ...]
    names: frozenset[str]


_PLANS: dict[type, _Plan] = {}
_NODE_CONVERTERS: dict[type, tuple[Converter, str]] = {}


_BY_ANNOTATION: dict[tuple[str, str], tuple[Converter, str]] = {}


def _annotation_converter(cls: type[ir.Node], annotation: object) -> tuple[Converter, str]:
    """The converter of a field annotation of ``cls`` (a string: ``from __future__``).

    What ``typing.get_type_hints`` does, but each distinct annotation (``str``,
    ``str | None``, ``tuple[str, ...]`` ...) of a module is evaluated once.
    """
    if not isinstance(annotation, str):
        return _converter(annotation)
    key = (cls.__module__, annotation)
    found = _BY_ANNOTATION.get(key)
    if found is None:
        namespace = vars(sys.modules[cls.__module__])
        hint = eval(annotation, namespace)  # noqa: S307 - the module's own annotations
        found = _BY_ANNOTATION[key] = _converter(hint)
    return found


def _plan(cls: type[ir.Node]) -> _Plan:
    """How to load each field of ``cls``: type hints resolved once, then cached."""
    plan = _PLANS.get(cls)
    if plan is None:
        loaded = tuple(
            _Field(
                name=f.name,
                convert=_annotation_converter(cls, f.type)[0],
                required=f.default is MISSING and f.default_factory is MISSING,
            )
            for f in fields(cls)
        )
        plan = _PLANS[cls] = _Plan(loaded, frozenset(f.name for f in loaded))
    return plan


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _mismatch(expected: str, value: object) -> LoadError:
    return LoadError(f"expected {expected}, got {_show(value)}")


def _node_converter(cls: type[ir.Node]) -> tuple[Converter, str]:
    cached = _NODE_CONVERTERS.get(cls)
    if cached is not None:
        return cached

    def convert(value: Any) -> Any:
        if not isinstance(value, dict):
            raise _mismatch("an object", value)
        plan = _plan(cls)
        if not plan.names.issuperset(value):
            unknown = sorted(set(value) - plan.names, key=str)
            raise LoadError("unknown key", (unknown[0],))
        kwargs: dict[str, Any] = {}
        for f in plan.fields:
            if f.name in value:
                try:
                    kwargs[f.name] = f.convert(value[f.name])
                except LoadError as exc:
                    exc.prepend(f.name)
                    raise
            elif f.required:
                raise LoadError("missing key", (f.name,))
        return cls(**kwargs)

    _NODE_CONVERTERS[cls] = (convert, "an object")
    return _NODE_CONVERTERS[cls]


def _convert_str(value: Any) -> Any:
    if isinstance(value, str):
        return value
    raise _mismatch("a string", value)


def _convert_int(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise _mismatch("an integer", value)


def _convert_float(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise _mismatch("a number", value)


def _convert_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    raise _mismatch("a boolean", value)


def _convert_none(value: Any) -> Any:
    if value is None:
        return value
    raise _mismatch("null", value)


def _convert_any(value: Any) -> Any:
    return value


_SCALARS: dict[object, tuple[Converter, str]] = {
    str: (_convert_str, "a string"),
    int: (_convert_int, "an integer"),
    float: (_convert_float, "a number"),
    bool: (_convert_bool, "a boolean"),
    type(None): (_convert_none, "null"),
    Any: (_convert_any, "any value"),
}


def _converter(hint: Any) -> tuple[Converter, str]:
    """A function checking and converting one JSON value to ``hint``, and its description."""
    scalar = _SCALARS.get(hint)
    if scalar is not None:
        return scalar
    if isinstance(hint, type) and issubclass(hint, ir.Node):
        return _node_converter(hint)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Literal:
        return _literal_converter(args)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _tuple_converter(_converter(args[0])[0])
    if origin is dict:
        return _dict_converter(_converter(args[0])[0], _converter(args[1])[0])
    if origin is types.UnionType or origin is typing.Union:
        return _union_converter([_converter(arg) for arg in args])
    raise TypeError(f"the IR codec does not handle the type {hint!r}")


def _literal_converter(values: tuple[Any, ...]) -> tuple[Converter, str]:
    allowed = {(type(v), v) for v in values}
    description = "one of " + ", ".join(repr(v) for v in values)

    def convert(value: Any) -> Any:
        if (type(value), value) in allowed:
            return value
        raise _mismatch(description, value)

    return convert, description


def _tuple_converter(item: Converter) -> tuple[Converter, str]:
    def convert(value: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise _mismatch("a list", value)
        out = []
        for index, element in enumerate(value):
            try:
                out.append(item(element))
            except LoadError as exc:
                exc.prepend(index)
                raise
        return tuple(out)

    return convert, "a list"


def _dict_converter(key: Converter, item: Converter) -> tuple[Converter, str]:
    def convert(value: Any) -> Any:
        if not isinstance(value, dict):
            raise _mismatch("an object", value)
        out = {}
        for k, v in value.items():
            try:
                out[key(k)] = item(v)
            except LoadError as exc:
                exc.prepend(k)
                raise
        return out

    return convert, "an object"


def _union_converter(members: list[tuple[Converter, str]]) -> tuple[Converter, str]:
    description = " or ".join(d for _, d in members)
    nullable = any(c is _convert_none for c, _ in members)
    others = [c for c, _ in members if c is not _convert_none]

    def convert(value: Any) -> Any:
        if value is None and nullable:
            return None
        for candidate in others:
            try:
                return candidate(value)
            except LoadError as exc:
                # A problem inside a nested node or list is the answer when only one
                # kind of container fits; a mismatch here means "try the next member".
                if exc.path and len(others) == 1:
                    raise
        raise _mismatch(description, value)

    return convert, description

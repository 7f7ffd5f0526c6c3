"""Generate the pydantic-free validator of a spec version from its pydantic models.

``python -m compiler.schema`` writes ``compiler/spec/v1_compiled.py`` with
:func:`render_compiled_module`; a test fails when the committed file is stale.

The generated module holds

- a plain class (:class:`compiler.spec.plain.PlainSpec`) per spec model: same
  name, same fields, annotated with the same types, so consumers type-check;
- the models' pydantic-core schema as a Python literal, each ``cls`` replaced
  by its plain class, each custom validator by the same pydantic-free function
  (``compiler.spec.constraints``), each model ``default_factory`` by a function
  building the plain default; what only serialisation or JSON Schema use is
  dropped;
- the pydantic-core version it was generated for: at run time another version
  means the pydantic models validate instead (``compiler.spec.validate``).

Given that schema, pydantic-core's ``SchemaValidator`` is the same engine that
validates the models, so it accepts and rejects exactly the same documents
with exactly the same errors, and it builds plain instances. The generator
knows each construct it copies; anything else in the schema (a new pydantic
version, a new kind of field or validator) stops it with an error rather than
produce a validator that might differ.
"""

from __future__ import annotations

import importlib
import inspect
import keyword
import math
import re
import sys
import types
import typing
from dataclasses import dataclass
from typing import Any

import pydantic
import pydantic_core
from pydantic import BaseModel

from compiler.spec import spec_model

FUNCTIONS_MODULE = "compiler.spec.constraints"  # where custom validators must live
LINE_LENGTH = 100  # the project's ruff line length


class GeneratorError(Exception):
    """The schema holds a construct the generator does not know how to copy."""


@dataclass(frozen=True)
class _Code:
    """Python source emitted as is (a name), not as a literal."""

    text: str


def _fail(where: str, message: str) -> typing.NoReturn:
    raise GeneratorError(f"{where}: {message}; extend compiler/spec/codegen.py to support it")


# ── the core schema ─────────────────────────────────────────────────────────

# What validation reads, per core-schema node type, and in what role. Keys listed in
# _DROPPED are for serialisation or JSON Schema only; any other key stops the generator.
_SCHEMA, _SCHEMAS, _FIELDS, _DATA, _CLS, _REF, _CONFIG, _FUNCTION, _FACTORY, _EMPTY, _FIXED = range(
    11
)
_NODES: dict[str, dict[str, int]] = {
    "definitions": {"definitions": _SCHEMAS, "schema": _SCHEMA},
    "definition-ref": {"schema_ref": _REF},
    "model": {
        "cls": _CLS,
        "schema": _SCHEMA,
        "config": _CONFIG,
        "ref": _REF,
        "custom_init": _FIXED,
        "root_model": _FIXED,
    },
    "model-fields": {"fields": _FIELDS, "model_name": _DATA, "computed_fields": _EMPTY},
    "model-field": {"schema": _SCHEMA, "validation_alias": _DATA},
    "default": {
        "schema": _SCHEMA,
        "default": _DATA,
        "default_factory": _FACTORY,
        "default_factory_takes_data": _FIXED,
    },
    "nullable": {"schema": _SCHEMA},
    "union": {"choices": _SCHEMAS},
    "list": {"items_schema": _SCHEMA, "min_length": _DATA, "max_length": _DATA},
    "dict": {
        "keys_schema": _SCHEMA,
        "values_schema": _SCHEMA,
        "min_length": _DATA,
        "max_length": _DATA,
    },
    "literal": {"expected": _DATA},
    "str": {"pattern": _DATA, "min_length": _DATA, "max_length": _DATA},
    "int": {"ge": _DATA, "gt": _DATA, "le": _DATA, "lt": _DATA, "strict": _DATA},
    "float": {"ge": _DATA, "gt": _DATA, "le": _DATA, "lt": _DATA, "allow_inf_nan": _DATA},
    "bool": {},
    "any": {},
    "function-after": {"function": _FUNCTION, "schema": _SCHEMA, "ref": _REF},
}
_DROPPED = frozenset({"metadata", "serialization", "serialization_alias"})
# pydantic-core's defaults, left out of the module (smaller, same validator). A _FIXED key
# must hold its default: the plain classes rely on it (no __init__, no root, no-argument
# default factories).
_CORE_DEFAULTS: dict[str, object] = {
    "custom_init": False,
    "root_model": False,
    "default_factory_takes_data": False,
    "validate_by_alias": True,
}
_CONFIG_KEYS = frozenset(
    {"allow_inf_nan", "extra_fields_behavior", "title", "validate_by_alias", "validate_by_name"}
)
_FUNCTION_KINDS = frozenset({"no-info"})


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class _Converter:
    """The core schema with plain-class, function and factory references, a constant a model."""

    def __init__(self, classes: dict[type[BaseModel], str], functions: types.ModuleType) -> None:
        self.classes = classes
        self.functions = functions
        self.refs: dict[str, str] = {}
        # class name → its section: the node pydantic marks with the model's ref (the model
        # node, or the model validators wrapping it), converted; one constant each
        self.sections: dict[str, dict[str, Any]] = {}
        self.bare_models: list[dict[str, Any]] = []  # model nodes inside such a wrapper
        self.factories: list[str] = []  # classes whose default a factory builds
        self.used_functions: set[str] = set()

    def class_name(self, value: object, where: str) -> str:
        if not isinstance(value, type) or value not in self.classes:
            _fail(where, f"{value!r} is not one of the spec models")
        return self.classes[value]

    def ref(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            _fail(where, f"a ref must be a string, not {value!r}")
        if value not in self.refs:
            # pydantic's refs end in an id(): replace them by the (unique) class name
            name = value.split(":", 1)[0].rsplit(".", 1)[-1]
            if name not in self.classes.values() or name in self.refs.values():
                _fail(where, f"cannot name the ref {value!r} after a spec model")
            self.refs[value] = name
        return self.refs[value]

    def node(self, node: object, where: str) -> Any:
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            _fail(where, f"expected a core-schema node, got {node!r}")
        kind: str = node["type"]
        if kind not in _NODES:
            _fail(where, f"core-schema type {kind!r} is not supported")
        out: dict[str, Any] = {"type": kind}
        for key, value in node.items():
            if key == "type" or key in _DROPPED:
                continue
            if key not in _NODES[kind]:
                _fail(where, f"key {key!r} of a {kind!r} schema is not supported")
            converted = self.value(_NODES[kind][key], value, f"{where}.{key}")
            if converted is not _OMIT and not _is_core_default(key, converted):
                out[key] = converted
        if kind == "model" and "ref" not in out:
            self.bare_models.append(out)
        if "ref" in out:
            return self.section(out, where)
        return out

    def value(self, role: int, value: object, where: str) -> Any:
        if role == _SCHEMA:
            return self.node(value, where)
        if role == _SCHEMAS:
            if not isinstance(value, list):
                _fail(where, f"expected a list of schemas, got {value!r}")
            return [self.node(item, f"{where}[{i}]") for i, item in enumerate(value)]
        if role == _FIELDS:
            if not isinstance(value, dict):
                _fail(where, f"expected fields, got {value!r}")
            return {name: self.node(field, f"{where}.{name}") for name, field in value.items()}
        if role == _DATA:
            return _data(value, where)
        if role == _CLS:
            return _Code(self.class_name(value, where))
        if role == _REF:
            return self.ref(value, where)
        if role == _CONFIG:
            if not isinstance(value, dict) or set(value) - _CONFIG_KEYS:
                _fail(where, f"config {value!r} has keys other than {sorted(_CONFIG_KEYS)}")
            return {
                key: _data(item, f"{where}.{key}")
                for key, item in value.items()
                if not _is_core_default(key, item)
            }
        if role == _FUNCTION:
            return self.function(value, where)
        if role == _FACTORY:
            return self.factory(value, where)
        if role == _FIXED:
            key = where.rsplit(".", 1)[-1]
            if not _is_core_default(key, value):
                _fail(where, f"only {_CORE_DEFAULTS[key]!r} is supported, not {value!r}")
            return _OMIT
        if value:  # _EMPTY: allowed only when it holds nothing
            _fail(where, f"expected nothing here, got {value!r}")
        return _OMIT

    def function(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict) or set(value) != {"type", "function"}:
            _fail(where, f"expected a validator function, got {value!r}")
        if value["type"] not in _FUNCTION_KINDS:  # with-info validators would need a context
            _fail(where, f"validator functions of type {value['type']!r} are not supported")
        function = value["function"]
        name = getattr(function, "__name__", "")
        if (
            getattr(function, "__module__", None) != self.functions.__name__
            or getattr(self.functions, name, None) is not function
        ):
            _fail(
                where,
                f"validator {function!r} must be a module-level function of {FUNCTIONS_MODULE} "
                "(pydantic-free, so that both validators run it)",
            )
        self.used_functions.add(name)
        return {"type": value["type"], "function": _Code(name)}

    def factory(self, value: object, where: str) -> _Code:
        if value is list or value is dict:
            return _Code(value.__name__)
        name = self.class_name(value, where)
        if name not in self.factories:
            self.factories.append(name)
        return _Code(f"_default_{_snake(name)}")

    def section(self, out: dict[str, Any], where: str) -> _Code:
        name = out["ref"]
        inner = out
        while inner["type"] == "function-after":
            inner = inner["schema"]
        if inner["type"] != "model" or inner["cls"] != _Code(name):
            _fail(where, f"the ref {name!r} does not mark the schema of model {name}")
        if name in self.sections and self.sections[name] != out:
            _fail(where, f"model {name} appears twice with different schemas")
        self.sections.setdefault(name, out)
        return _Code(_constant(name))

    def check_complete(self) -> None:
        """Every model node is a section or directly wrapped by one (its model validators)."""
        wrapped = [section.get("schema") for section in self.sections.values()]
        if any(all(model is not w for w in wrapped) for model in self.bare_models):
            _fail("SCHEMA", "a model schema without its ref, outside its model validators")


_OMIT = object()


def _is_core_default(key: str, value: object) -> bool:
    default = _CORE_DEFAULTS.get(key, _OMIT)
    return type(value) is type(default) and value == default


def _constant(class_name: str) -> str:
    return f"_{_snake(class_name).upper()}"


def _data(value: object, where: str) -> Any:
    """Plain data copied as a literal: strings, numbers, booleans, None, lists of them."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            _fail(where, f"non-finite number {value!r}")
        return value
    if isinstance(value, list):
        return [_data(item, f"{where}[{i}]") for i, item in enumerate(value)]
    return _fail(where, f"cannot copy {value!r} as a literal")


# ── annotations ─────────────────────────────────────────────────────────────


def _annotation(tp: Any, classes: dict[type[BaseModel], str], where: str) -> str:
    """The source text of a field's type, through Annotated, with plain classes for models."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is type(None):
        return "None"
    if tp in (str, int, float, bool):
        return str(tp.__name__)
    if tp is Any:
        return "Any"
    if isinstance(tp, type) and tp in classes:
        return classes[tp]
    if origin is typing.Annotated:
        return _annotation(args[0], classes, where)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_annotation(arg, classes, where) for arg in args)
    if origin is list and len(args) == 1:
        return f"list[{_annotation(args[0], classes, where)}]"
    if origin is dict and len(args) == 2:
        key, value = (_annotation(arg, classes, where) for arg in args)
        return f"dict[{key}, {value}]"
    if origin is typing.Literal and all(isinstance(arg, str) for arg in args):
        return f"Literal[{', '.join(_string(arg, where) for arg in args)}]"
    return _fail(where, f"cannot write the annotation {tp!r}")


# ── emitting ruff-formatted source ──────────────────────────────────────────


def _string(text: str, where: str) -> str:
    if '"' in text:
        _fail(where, f"strings with double quotes are not supported: {text!r}")
    return '"' + repr(text)[1:-1] + '"'


def _flat(value: Any, where: str) -> str:
    if isinstance(value, _Code):
        return value.text
    if isinstance(value, str):
        return _string(value, where)
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, dict):
        items = (f"{_string(k, where)}: {_flat(v, where)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flat(v, where) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(_flat(v, where) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return _fail(where, f"cannot write {value!r}")


def _lines(value: Any, indent: int, prefix: str, suffix: str, where: str) -> list[str]:
    """``prefix + value + suffix`` at ``indent``, as ruff formats it: flat when it fits,
    else one item a line with a trailing comma."""
    pad = " " * indent
    flat = f"{pad}{prefix}{_flat(value, where)}{suffix}"
    if len(flat) <= LINE_LENGTH or not isinstance(value, dict | list | tuple) or not value:
        if len(flat) > LINE_LENGTH:
            _fail(where, f"line longer than {LINE_LENGTH} characters: {flat.strip()!r}")
        return [flat]
    opening, closing = {dict: ("{", "}"), list: ("[", "]"), tuple: ("(", ")")}[type(value)]
    out = [f"{pad}{prefix}{opening}"]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _lines(item, indent + 4, f"{_string(key, where)}: ", ",", f"{where}.{key}")
    else:
        for i, item in enumerate(value):
            out += _lines(item, indent + 4, "", ",", f"{where}[{i}]")
    out.append(f"{pad}{closing}{suffix}")
    return out


def _docstring(text: str | None, indent: int, where: str) -> list[str]:
    cleaned = inspect.cleandoc(text or "")
    if not cleaned:
        _fail(where, "every spec model needs a docstring")
    if '"""' in cleaned or "\\" in cleaned or cleaned.endswith('"'):
        _fail(where, "docstrings with backslashes or triple quotes are not supported")
    pad = " " * indent
    lines = cleaned.splitlines()
    if len(lines) == 1:
        out = [f'{pad}"""{lines[0]}"""']
    else:
        out = [f'{pad}"""{lines[0]}', *[f"{pad}{x}".rstrip() for x in lines[1:]], f'{pad}"""']
    if any(len(line) > LINE_LENGTH for line in out):
        _fail(where, f"docstring line longer than {LINE_LENGTH} characters")
    return out


# ── the module ──────────────────────────────────────────────────────────────


def _spec_classes(model: type[BaseModel]) -> dict[type[BaseModel], str]:
    """Every model class reachable from ``model``'s core schema, in definition order."""
    found: set[type[BaseModel]] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for value in node.values():
                if isinstance(value, type) and issubclass(value, BaseModel):
                    found.add(value)
                else:
                    walk(value)
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item)

    walk(model.__pydantic_core_schema__)
    module = sys.modules[model.__module__]
    ordered = [c for c in vars(module).values() if isinstance(c, type) and c in found]
    if set(ordered) != found:
        strays = sorted(c.__qualname__ for c in found - set(ordered))
        _fail(model.__module__, f"models defined outside the module: {strays}")
    names = [c.__name__ for c in ordered]
    if len(set(names)) != len(names) or any(keyword.iskeyword(n) for n in names):
        _fail(model.__module__, "model class names must be unique identifiers")
    return {c: c.__name__ for c in ordered}


def _class_source(cls: type[BaseModel], classes: dict[type[BaseModel], str]) -> list[str]:
    name = classes[cls]
    fields = list(cls.model_fields)
    out = [f"class {name}(PlainSpec):", *_docstring(cls.__doc__, 4, name), ""]
    out += _lines(tuple(fields), 4, "_fields = ", "", f"{name}._fields")
    for field, info in cls.model_fields.items():
        where = f"{name}.{field}"
        line = f"    {field}: {_annotation(info.annotation, classes, where)}"
        if len(line) > LINE_LENGTH:
            _fail(where, f"annotation line longer than {LINE_LENGTH} characters")
        out.append(line)
    return out


def _factory_source(name: str, section: dict[str, Any]) -> list[str]:
    """A function building the default instance of ``name``: every field at its default."""
    if section["type"] != "model":
        _fail(name, "a default_factory model must not have model validators")
    values: dict[str, Any] = {}
    for field, node in section["schema"]["fields"].items():
        where = f"{name}.{field}"
        default = node["schema"]
        if default["type"] != "default" or default.get("default_factory_takes_data"):
            _fail(where, "a default_factory model needs a plain default for every field")
        if "default_factory" in default:
            factory: _Code = default["default_factory"]
            empty = {"list": "[]", "dict": "{}"}.get(factory.text)
            values[field] = _Code(empty or f"{factory.text}()")
        else:
            value = default["default"]
            if isinstance(value, list | dict):
                _fail(where, "mutable defaults are not supported; use a default_factory")
            values[field] = value
    function = f"_default_{_snake(name)}"
    out = [f"def {function}() -> {name}:"]
    out += _lines(values, 4, "values: dict[str, Any] = ", "", function)
    out.append(f"    return build({name}, values)")
    return out


def render_compiled_module(api_version: str) -> str:
    """The source of the generated validator module of ``api_version``."""
    return render_module(spec_model(api_version), api_version)


def render_module(model: type[BaseModel], api_version: str) -> str:
    """The source of a validator module for the document model ``model``."""
    classes = _spec_classes(model)
    functions = importlib.import_module(FUNCTIONS_MODULE)
    converter = _Converter(classes, functions)
    schema = converter.node(model.__pydantic_core_schema__, model.__name__)
    converter.check_complete()
    models_module = model.__module__

    body: list[str] = []
    for cls in classes:
        body += ["", "", *_class_source(cls, classes)]
    body += ["", "", "# ── defaults of the sections that have one " + "─" * 36]
    order = [name for name in classes.values() if name in converter.factories]
    for name in order:
        body += ["", "", *_factory_source(name, converter.sections[name])]
    body += ["", "", "# ── the core schema, one section (model) a constant " + "─" * 27, ""]
    for name in _dependency_order(converter.sections, list(classes.values())):
        constant = f"{_constant(name)}: dict[str, Any] = "
        body += _lines(converter.sections[name], 0, constant, "", name)
        body.append("")
    body += _lines(schema, 0, "SCHEMA: dict[str, Any] = ", "", "SCHEMA")

    source = "\n".join(body)
    typing_names = sorted(n for n in ("Any", "Literal") if re.search(rf"\b{n}\[|\b{n}\b", source))
    functions_used = ", ".join(sorted(converter.used_functions))
    header = [
        f'"""Generated from {models_module.replace(".", "/")}.py by `python -m compiler.schema`; '
        "do not edit.",
        "",
        f"The pydantic-free validator of {api_version}: a plain class per spec model and",
        "the models' pydantic-core schema, with those classes in it. ``compiler.spec.validate``",
        "builds a ``pydantic_core.SchemaValidator`` from ``SCHEMA`` when the installed",
        "pydantic-core is ``PYDANTIC_CORE_VERSION``, else it validates with the models.",
        f"Regenerate after changing {models_module} (a test fails when this file is stale):",
        "",
        "    python -m compiler.schema",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        f"from typing import {', '.join(typing_names)}",
        "",
        f"from {FUNCTIONS_MODULE} import {functions_used}",
        "from compiler.spec.plain import PlainSpec, build",
        "",
        f'PYDANTIC_CORE_VERSION = "{pydantic_core.__version__}"  # the engine SCHEMA is for',
        f'PYDANTIC_VERSION = "{pydantic.VERSION}"  # generated the schema from the models',
    ]
    return "\n".join([*header, *body]) + "\n"


def _dependency_order(models: dict[str, dict[str, Any]], names: list[str]) -> list[str]:
    """Model constants in class order, each moved before the first constant that uses it."""
    constants = {_constant(name): name for name in models}

    def uses(value: Any) -> set[str]:
        if isinstance(value, _Code):
            return {constants[value.text]} if value.text in constants else set()
        if isinstance(value, dict):
            return set().union(*(uses(v) for v in value.values()))
        if isinstance(value, list):
            return set().union(*(uses(v) for v in value))
        return set()

    ordered: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in ordered:
            return
        if name in path:
            _fail(name, "recursive models are not supported")
        for child in sorted(uses(models[name])):
            visit(child, (*path, name))
        ordered.append(name)

    for name in names:
        if name in models:
            visit(name, ())
    return ordered

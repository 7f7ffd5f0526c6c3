"""The base of the generated plain spec classes (``compiler.spec.v1_compiled``).

The valid path of ``mlproject validate`` never defines a pydantic model: the
generated module mirrors every spec model as a plain class of this base, and
pydantic-core's validator, given the models' core schema with those classes in
it, fills instances of them directly (their ``__dict__``; like pydantic, it
also records ``__pydantic_fields_set__``, ``__pydantic_extra__`` and
``__pydantic_private__`` there). This module gives them what the checks and
the lower stage use: attribute access, equality over the fields, a readable
``repr``, immutability, and a constructor that validates like the model's
(``Environment(name="production")``, defaults filled). It imports nothing from
pydantic.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, NoReturn, TypeVar

_T = TypeVar("_T", bound="PlainSpec")


class PlainSpec:
    """A validated, immutable spec section: fields are attributes, compared by value."""

    _fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **data: Any) -> None:
        """Validate ``data`` as this section, as the pydantic model's constructor does.

        Raises pydantic_core.ValidationError. (The validator itself never calls
        ``__init__``: it fills new instances directly.)
        """
        from compiler.spec.validate import validate_section

        self.__dict__.update(validate_section(type(self), data).__dict__)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is immutable (cannot set '{name}')")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is immutable (cannot delete '{name}')")

    def _values(self) -> Iterator[object]:
        values = self.__dict__
        return (values[name] for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, PlainSpec)
        return all(a == b for a, b in zip(self._values(), other._values(), strict=True))

    def __hash__(self) -> int:  # like a frozen pydantic model: fails on list or dict fields
        return hash((type(self), *self._values()))

    def __repr__(self) -> str:
        values = self.__dict__
        inner = ", ".join(f"{name}={values[name]!r}" for name in self._fields)
        return f"{type(self).__name__}({inner})"


def build(cls: type[_T], values: Mapping[str, Any], fields_set: set[str] | None = None) -> _T:
    """An instance of ``cls`` holding ``values`` (every field), without validation.

    For defaults (``default_factory`` of a section) and for converting pydantic
    models when the generated validator cannot be used; the instance looks
    exactly like one the validator builds.
    """
    if set(values) != set(cls._fields):
        raise TypeError(f"{cls.__name__} takes exactly the fields {cls._fields}, got {set(values)}")
    instance = object.__new__(cls)
    state = instance.__dict__
    state.update(values)
    state["__pydantic_extra__"] = None
    state["__pydantic_private__"] = None
    state["__pydantic_fields_set__"] = set() if fields_set is None else set(fields_set)
    return instance

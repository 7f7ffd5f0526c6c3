"""Records: dataclasses whose methods are shared instead of generated per class.

``@dataclass`` writes ``__init__``, ``__repr__``, ``__eq__`` (and, frozen,
``__hash__``, ``__setattr__``, ``__delattr__``; with ``order``, four
comparisons) as source text and ``exec``\\s it, for every class. On the compile
path that code generation cost ~20 ms of a ~170 ms cold ``mlproject compile``
(measured by timing ``dataclasses._process_class``). :func:`record` lets
``dataclasses`` collect the fields (so ``fields``, ``replace``, ``asdict`` and
``is_dataclass`` work as usual) and installs the same generic methods on every
class; they read a per-class plan of the fields.

Semantics follow ``@dataclass``: positional or keyword arguments in field order,
defaults and ``field(default_factory=...)``, ``field(init=False)``,
``field(repr=False)``, ``field(compare=False)``, ``__post_init__``; with
``frozen=True`` assignment raises :class:`dataclasses.FrozenInstanceError` and
instances hash by their compared fields; without it they are unhashable; with
``order=True`` they compare as tuples of their compared fields. Not supported
(use ``@dataclass``): ``slots``, ``kw_only``, ``InitVar`` and class variables
that shadow fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, Field, FrozenInstanceError, dataclass, field, fields
from typing import Any, TypeVar, dataclass_transform, overload

_T = TypeVar("_T")

# (name, default, default_factory) of each field __init__ takes, in order
_Plan = tuple[tuple[str, Any, Any], ...]


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    cls = type(self)
    plan: _Plan = cls.__record_init__
    if len(args) > len(plan):
        raise TypeError(
            f"{cls.__name__}.__init__() takes {len(plan) + 1} positional arguments "
            f"but {len(args) + 1} were given"
        )
    set_field = object.__setattr__
    for index, (name, default, factory) in enumerate(plan):
        if index < len(args):
            if name in kwargs:
                raise TypeError(f"{cls.__name__}.__init__() got multiple values for {name!r}")
            value = args[index]
        elif name in kwargs:
            value = kwargs.pop(name)
        elif default is not MISSING:
            value = default
        elif factory is not MISSING:
            value = factory()
        else:
            raise TypeError(f"{cls.__name__}.__init__() missing required argument: {name!r}")
        set_field(self, name, value)
    if kwargs:
        raise TypeError(
            f"{cls.__name__}.__init__() got an unexpected keyword argument {next(iter(kwargs))!r}"
        )
    for name, factory in cls.__record_late__:  # field(init=False) with a default
        set_field(self, name, factory())
    post_init = getattr(self, "__post_init__", None)
    if post_init is not None:
        post_init()


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in type(self).__record_repr__)
    return f"{type(self).__qualname__}({shown})"


def _key(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name in type(self).__record_compare__)


def _eq(self: Any, other: object) -> Any:  # bool, or NotImplemented
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _key(self) == _key(other)


def _hash(self: Any) -> int:
    return hash(_key(self))


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _comparison(compare: Callable[[tuple[Any, ...], tuple[Any, ...]], bool]) -> Any:
    def method(self: Any, other: object) -> Any:  # bool, or NotImplemented
        if other.__class__ is not self.__class__:
            return NotImplemented
        return compare(_key(self), _key(other))

    return method


_ORDER = {
    "__lt__": _comparison(lambda a, b: a < b),
    "__le__": _comparison(lambda a, b: a <= b),
    "__gt__": _comparison(lambda a, b: a > b),
    "__ge__": _comparison(lambda a, b: a >= b),
}


# repr, equality, hash and immutability of a frozen record; they read the class's
# ``__record_repr__`` and ``__record_compare__`` (see ``set_plans``). ``ir.Node`` uses them too.
FROZEN_METHODS: dict[str, Any] = {
    "__repr__": _repr,
    "__eq__": _eq,
    "__hash__": _hash,
    "__setattr__": _frozen_setattr,
    "__delattr__": _frozen_delattr,
}


def set_plans(made: type[Any], declared: tuple[Field[Any], ...]) -> None:
    """Record on the class which fields its ``repr`` shows and its equality compares."""
    made.__record_repr__ = tuple(f.name for f in declared if f.repr)
    made.__record_compare__ = tuple(f.name for f in declared if f.compare)


def _make(cls: type[_T], frozen: bool, order: bool) -> type[_T]:
    made = dataclass(init=False, repr=False, eq=False)(cls)
    declared = fields(made)  # type: ignore[arg-type]
    made.__record_init__ = tuple(  # type: ignore[attr-defined]
        (f.name, f.default, f.default_factory) for f in declared if f.init
    )
    late = []
    for f in declared:
        if not f.init:
            if f.default_factory is not MISSING:
                late.append((f.name, f.default_factory))
            elif f.default is not MISSING:
                late.append((f.name, lambda value=f.default: value))
    made.__record_late__ = tuple(late)  # type: ignore[attr-defined]
    set_plans(made, declared)
    methods: dict[str, Any] = {"__init__": _init}
    if frozen:
        methods |= FROZEN_METHODS
    else:  # as @dataclass(eq=True): mutable records are unhashable
        methods |= {"__repr__": _repr, "__eq__": _eq, "__hash__": None}
    if order:
        methods |= _ORDER
    for name, method in methods.items():
        if name not in cls.__dict__:  # a method the class defines itself wins, as with dataclass
            setattr(made, name, method)
    return made


@overload
def record(cls: type[_T], /) -> type[_T]: ...


@overload
def record(*, frozen: bool = False, order: bool = False) -> Callable[[type[_T]], type[_T]]: ...


@dataclass_transform(field_specifiers=(field,))
def record(
    cls: type[_T] | None = None, /, *, frozen: bool = False, order: bool = False
) -> type[_T] | Callable[[type[_T]], type[_T]]:
    """Declare a record: ``@record``, ``@record(frozen=True)``, ``@record(order=True, ...)``.

    ``dataclass_transform`` tells type checkers that a record is a dataclass.
    """
    if cls is not None:
        return _make(cls, frozen=False, order=False)
    return lambda inner: _make(inner, frozen=frozen, order=order)

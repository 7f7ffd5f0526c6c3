"""``mlcontract.records.record`` behaves as ``@dataclass`` for everything the code uses.

Each case declares the same class twice, with ``@dataclass`` and with ``@record``,
and checks both answer alike.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import dataclass, field
from typing import Any

import pytest

from mlcontract.records import record


@dataclass(frozen=True, order=True)
class DPoint:
    """A point."""

    x: int
    y: int = 0
    tags: tuple[str, ...] = ()
    note: str = field(default="", compare=False, repr=False)


@record(frozen=True, order=True)
class RPoint:
    """A point."""

    x: int
    y: int = 0
    tags: tuple[str, ...] = ()
    note: str = field(default="", compare=False, repr=False)


@dataclass
class DBag:
    """A bag."""

    name: str
    items: list[int] = field(default_factory=list)
    total: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.total = sum(self.items)


@record
class RBag:
    """A bag."""

    name: str
    items: list[int] = field(default_factory=list)
    total: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.total = sum(self.items)


def outcome(call: Any) -> Any:
    try:
        return ("ok", call())
    except Exception as exc:  # the exception type is what must match
        return ("raised", type(exc))


CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((1,), {}),
    ((1, 2), {}),
    ((1,), {"y": 5, "note": "n"}),
    ((), {"x": 3, "tags": ("a",)}),
    ((), {}),
    ((1, 2, (), "n", "extra"), {}),
    ((1,), {"x": 2}),
    ((1,), {"z": 2}),
]


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_construction_repr_and_errors_match(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    d = outcome(lambda: DPoint(*args, **kwargs))
    r = outcome(lambda: RPoint(*args, **kwargs))
    assert d[0] == r[0]
    if d[0] == "raised":
        assert d[1] is r[1]
    else:
        assert repr(r[1]) == repr(d[1]).replace("DPoint", "RPoint")
        assert dataclasses.astuple(r[1]) == dataclasses.astuple(d[1])


def test_equality_hash_order_and_frozen_match() -> None:
    values = [(2, 1), (1, 2), (1, 1), (2, 1)]
    ds = [DPoint(x, y, note=str(i)) for i, (x, y) in enumerate(values)]
    rs = [RPoint(x, y, note=str(i)) for i, (x, y) in enumerate(values)]
    assert [d.x for d in sorted(ds)] == [r.x for r in sorted(rs)]
    assert [(d.x, d.y) for d in sorted(ds)] == [(r.x, r.y) for r in sorted(rs)]
    assert (rs[0] == rs[3]) and (ds[0] == ds[3])  # note does not take part
    assert hash(rs[0]) == hash(rs[3])
    assert len({*rs}) == len({*ds}) == 3
    assert rs[0] != ds[0]  # type: ignore[comparison-overlap]  # other class: not equal
    assert (RPoint(1) < RPoint(2)) and not (RPoint(2) <= RPoint(1))
    with pytest.raises(TypeError):
        _ = RPoint(1) < DPoint(2)  # type: ignore[operator]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rs[0].x = 5  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del rs[0].x


def test_mutable_record_factory_init_false_and_post_init() -> None:
    d, r = DBag("a", [1, 2]), RBag("a", [1, 2])
    assert (r.name, r.items, r.total) == (d.name, d.items, d.total) == ("a", [1, 2], 3)
    assert RBag("b").items is not RBag("b").items  # a new list each time
    assert RBag("b") == RBag("b") and RBag("b") != RBag("c")
    r.name = "z"
    assert r.name == "z"
    with pytest.raises(TypeError):
        hash(r)  # mutable records are unhashable, as mutable dataclasses
    with pytest.raises(TypeError):
        RBag("a", [1], 3)  # type: ignore[call-arg]


def test_dataclass_helpers_pickle_and_copy_work() -> None:
    point = RPoint(1, 2, ("t",), "n")
    assert dataclasses.is_dataclass(point)
    assert [f.name for f in dataclasses.fields(point)] == ["x", "y", "tags", "note"]
    assert dataclasses.asdict(point) == {"x": 1, "y": 2, "tags": ("t",), "note": "n"}
    moved = dataclasses.replace(point, y=9)
    assert (moved.x, moved.y, moved.note) == (1, 9, "n")
    assert pickle.loads(pickle.dumps(point)) == point
    assert copy.deepcopy(point) == point
    bag = RBag("a", [1])
    assert pickle.loads(pickle.dumps(bag)) == bag


def test_a_method_the_class_defines_wins() -> None:
    @record(frozen=True)
    class Shown:
        """Shown."""

        value: int

        def __repr__(self) -> str:
            return f"<{self.value}>"

    assert repr(Shown(3)) == "<3>"

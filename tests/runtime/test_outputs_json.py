"""json_bytes: the bytes (or the error) of json.dumps(indent=2, sort_keys=True, ...)."""

from __future__ import annotations

import enum
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlruntime.steps.outputs import json_bytes


class Level(enum.IntEnum):
    LOW = 1


class Name(str):
    pass


class Share(float):
    pass


def reference(payload: object) -> bytes:
    text = json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def outcome(encode: Any, payload: object) -> tuple[str, object]:
    try:
        return "ok", encode(payload)
    except (TypeError, ValueError) as exc:
        return type(exc).__name__, str(exc)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(),  # NaN and the infinities: json refuses them, so must json_bytes
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=-1e-300, max_value=1e-300),
    st.text(),  # any code point but a lone surrogate: quotes, controls, newlines, emoji
    st.sampled_from(["", "\n", '"', "\\", ",\n  ", '",\n  "x": 1', "\u2028", "é", "a}]"]),
    st.sampled_from([Level.LOW, Name("sub"), Share(0.25), Share(math.inf), b"bytes", {1, 2}]),
)
keys = st.one_of(st.text(), st.sampled_from([",\n", "a", "b", "\x00"]))
odd_keys = st.one_of(st.integers(), st.floats(), st.booleans(), st.none(), st.text())
payloads = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=6),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(keys, children, max_size=6),
        st.dictionaries(odd_keys, children, max_size=3),  # json converts or refuses the keys
    ),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(payloads)
def test_json_bytes_is_json_dumps_on_random_payloads(payload: object) -> None:
    assert outcome(json_bytes, payload) == outcome(reference, payload)


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(scalars, lambda c: st.dictionaries(keys, c, min_size=1, max_size=5), max_leaves=30)
)
def test_json_bytes_nested_dicts_of_scalars(payload: object) -> None:
    assert outcome(json_bytes, payload) == outcome(reference, payload)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        [],
        (),
        {"a": {}, "b": [], "c": [{}], "d": [[[]]]},
        {"z": 1, "a": {"m": [1, 2.5, None], "b": "x"}, "k": True, "e": [{"x": 1}, 2, "s"]},
        {"deep": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]},
        {"level": Level.LOW, "name": Name("n"), "share": Share(0.5)},
        {"nan": math.nan},
        [1, [math.inf]],
        {1: "int key", "1": "str key"},
        {"x": object()},
        "top-level string",
        3.5,
        None,
    ],
)
def test_json_bytes_edge_cases(payload: object) -> None:
    assert outcome(json_bytes, payload) == outcome(reference, payload)


def test_json_bytes_cycle_is_json_dumps_error() -> None:
    cycle: list[object] = [1]
    cycle.append({"again": cycle})
    assert outcome(json_bytes, cycle) == outcome(reference, cycle)
    assert outcome(json_bytes, cycle)[0] == "ValueError"


def test_json_bytes_without_the_c_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlruntime.steps import outputs

    monkeypatch.setattr(json.encoder, "c_make_encoder", None)
    monkeypatch.setattr(outputs, "_FLAT", [])
    payload = {"z": [1, 2.5, "é\n"], "a": {"b": None, "c": [{"d": True}], "e": Level.LOW}}
    assert json_bytes(payload) == reference(payload)
    assert outcome(json_bytes, {"a": [math.nan]}) == outcome(reference, {"a": [math.nan]})

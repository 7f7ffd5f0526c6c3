"""The YAML emitter every target uses (:func:`compiler.serialize.dump_yaml`).

Properties, with adversarial strings (YAML keywords, indicators, ``: ``, `` #``,
blanks at either end, tabs, line breaks of both YAML versions, control
characters, lone surrogates): whatever the data, the bytes read back as the same
data with PyYAML (YAML 1.1), with ruamel.yaml's pure safe loader (YAML 1.2) and
with libyaml; the same data always gives the same bytes; key order is kept
unless sorted. Examples pin the formatting choices.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import serialize
from compiler.serialize import dump_yaml


def _yaml_1_2_loader() -> Callable[[str], Any] | None:
    """ruamel.yaml's pure safe loader (YAML 1.2), when installed (DVC brings it)."""
    try:
        from ruamel.yaml import YAML
    except ImportError:  # pragma: no cover
        return None
    loader: Callable[[str], Any] = YAML(typ="safe", pure=True).load
    return loader


_YAML12 = _yaml_1_2_loader()
_LIBYAML = getattr(yaml, "CSafeLoader", None)
_SURROGATE_ESCAPE = re.compile(r"\\ud[89a-f]", re.IGNORECASE)

# Pieces that make strings hard to write: keywords of YAML 1.1 and 1.2, numbers
# and timestamps of either, indicators, comment and mapping markers, blanks,
# line breaks (YAML 1.1 also breaks at U+0085, U+2028, U+2029), control
# characters, a BOM, lone surrogates, non-printables, wide characters.
FRAGMENTS = [
    *("on", "off", "yes", "no", "y", "n", "Y", "N", "true", "False", "NULL", "null", "~"),
    *("=", "<<", ".inf", "-.Inf", ".NaN", "0", "1", "-1", "+1", "0x1F", "0o17", "0b101"),
    *("1_000", "1:20", "190:20:30.15", "1e5", "1.0", ".5", "3.11", "2001-12-14", "t", "Z"),
    *("-", "?", ":", ",", "[", "]", "{", "}", "#", "&", "*", "!", "|", ">", "'", '"'),
    *("%", "@", "`", "\\", "/", ".", "...", "---", ": ", " #", "- ", "? ", "${{", "}}"),
    *(" ", "  ", "\t", "\n", "\n\n", "\r", "\r\n", "\x85", "\u2028", "\u2029", "\ufeff"),
    *("\x00", "\x07", "\x1b", "\x7f", "\x9f", "\ud800", "\udfff", "\ufffe", "\uffff"),
    *("\u00a0", "\u3000", "é", "ß", "\u0130", "日本", "😀", "a", "key", "x y", "run"),
]
strings = st.one_of(
    st.text(max_size=12),
    st.sampled_from(FRAGMENTS),
    st.lists(st.sampled_from(FRAGMENTS), max_size=6).map("".join),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=3)), max_size=8).map("".join),
)
scalars = st.one_of(
    strings, st.integers(), st.floats(), st.booleans(), st.none(), st.integers(-(10**30), 10**30)
)
keys = st.one_of(strings, st.integers(), st.floats(allow_nan=False), st.booleans(), st.none())
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(keys, children, max_size=5)
    ),
    max_leaves=25,
)
PROPERTY = settings(max_examples=400, deadline=None)


def same(a: Any, b: Any) -> bool:
    """Equal, type for type (``True`` is not ``1``, ``1.0`` is not ``1``), NaN equal to
    NaN, -0.0 not 0.0, and dict key order included; a str subclass is a str."""
    if isinstance(a, str) and isinstance(b, str):
        return str(a) == str(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return len(a) == len(b) and all(
            same(ka, kb) and same(va, vb)
            for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True)
        )
    return bool(a == b)


def loaders(text: str) -> list[tuple[str, Any]]:
    """``text`` read by each YAML parser at hand."""
    found = [("PyYAML (YAML 1.1)", yaml.load(text, Loader=yaml.SafeLoader))]
    if _YAML12 is not None:
        found.append(("ruamel.yaml (YAML 1.2)", _YAML12(text)))
    # libyaml (and the Go and C parsers built like it) reject an escaped surrogate:
    # such a string cannot be written in UTF-8 at all, so it is only escaped.
    if _LIBYAML is not None and not _SURROGATE_ESCAPE.search(text):
        found.append(("libyaml", yaml.load(text, Loader=_LIBYAML)))
    return found


def sorted_keys(data: Any) -> Any:
    if isinstance(data, dict):
        return {key: sorted_keys(data[key]) for key in sorted(data)}
    if isinstance(data, list):
        return [sorted_keys(item) for item in data]
    return data


def check_round_trip(data: Any, **options: Any) -> bytes:
    out = dump_yaml(data, **options)
    text = out.decode("utf-8")
    expected = sorted_keys(data) if options.get("sort_keys") else data
    for name, loaded in loaders(text):
        assert same(loaded, expected), f"{name} read back {loaded!r}\nfrom\n{text}"
    return out


@PROPERTY
@given(data=documents, indent_sequences=st.booleans())
def test_round_trip_under_yaml_1_1_and_1_2(data: Any, indent_sequences: bool) -> None:
    check_round_trip(data, indent_sequences=indent_sequences)


@PROPERTY
@given(data=st.dictionaries(strings, st.lists(strings, max_size=3), max_size=6))
def test_round_trip_of_keys_and_values_in_every_layout(data: dict[str, Any]) -> None:
    for indent_sequences in (False, True):
        check_round_trip(data, indent_sequences=indent_sequences)
        check_round_trip([data, [data]], indent_sequences=indent_sequences)
        check_round_trip({"outer": [data, {"inner": data}]}, indent_sequences=indent_sequences)


@PROPERTY
@given(data=documents, indent_sequences=st.booleans())
def test_output_shape(data: Any, indent_sequences: bool) -> None:
    text = dump_yaml(data, indent_sequences=indent_sequences).decode("utf-8")
    assert text.endswith("\n")
    assert not text.endswith("\n\n")
    assert "\r" not in text
    for line in text.split("\n"):
        assert line == line.rstrip(" \t"), f"blank at the end of {line!r}"
        assert not line.startswith("\t")
    for char in "\x85\u2028\u2029\ufeff\x00\x1b":
        assert char not in text


@PROPERTY
@given(data=documents)
def test_same_data_same_bytes(data: Any) -> None:
    first = dump_yaml(data)
    assert dump_yaml(data) == first  # with the string caches warm
    serialize._values.clear()
    serialize._keys.clear()
    assert dump_yaml(data) == first  # and cold


@PROPERTY
@given(data=st.dictionaries(strings, scalars, max_size=8))
def test_key_order_kept_unless_sorted(data: dict[str, Any]) -> None:
    assert list(yaml.safe_load(dump_yaml(data)) or {}) == list(data)
    assert list(yaml.safe_load(dump_yaml(data, sort_keys=True)) or {}) == sorted(data)


class Quoted(str):
    __slots__ = ()


class Level(str):
    __slots__ = ()


@PROPERTY
@given(text=strings)
def test_a_quoted_type_is_one_double_quoted_line(text: str) -> None:
    out = check_round_trip({"env": {"VALUE": Quoted(text)}}, quoted=(Quoted,)).decode()
    assert out.count("\n") == 2
    line = out.split("\n")[1]
    assert line.startswith('  VALUE: "')
    assert line.endswith('"')


# ── examples: the formatting choices ───────────────────────────────────────


def dump(data: Any, **options: Any) -> str:
    return check_round_trip(data, **options).decode()


@pytest.mark.parametrize(
    "value",
    [
        *("on", "On", "OFF", "yes", "No", "y", "N", "true", "False", "null", "Null", "~", ""),
        *("=", "<<", "1", "-1", "+1", "0x1F", "0o17", "017", "1_000", "1:20", "1e5", "1.0"),
        *(".5", "3.11", ".inf", "-.inf", ".NaN", "2001-12-14", "2001-12-14 21:59:43.10 -5"),
        *("- a", "-a", "?a", ":a", "#a", "&a", "*a", "!a", "|a", ">a", "'a", '"a', "%a"),
        *("@a", "`a", "[a", "{a", ",a", "a: b", "a #b", "a:", " a", "a ", "a\tb", "..."),
        *("\x85", "\u2028", "\ufeff", "\x1b", "\x7f"),
    ],
)
def test_strings_that_are_quoted(value: str) -> None:
    assert dump({"k": value}).startswith('k: "')


@pytest.mark.parametrize(
    "value",
    [
        *("churn", "a b", "a:b", "a#b", "5m", "1Gi", "500m", "v1.2.3", "3d-model", "é"),
        *("${{ secrets.TOKEN }}", "actions/checkout@08c6903", "rate(x[5m]) > 0.1"),
        *(".github/workflows", "a-b", "+a", "a, b", "mlproject step gate", "日本"),
    ],
)
def test_strings_that_stay_plain(value: str) -> None:
    assert dump({"k": value}) == f"k: {value}\n"


def test_escapes_are_json_compatible() -> None:
    text = 'a"b\\c\n\t\r\x08\x0c\x00\x1b\x7f\x85\u2028\u2029\ufeff\ud800\ufffe é😀'
    out = dump_yaml({"k": Quoted(text)}, quoted=(Quoted,)).decode()
    assert out == (
        'k: "a\\"b\\\\c\\n\\t\\r\\b\\f\\u0000\\u001b\\u007f\\u0085\\u2028\\u2029\\ufeff'
        '\\ud800\\ufffe é😀"\n'
    )
    assert yaml.safe_load(out) == {"k": text}


def test_block_layout() -> None:
    data = {
        "map": {"a": 1, "empty_map": {}, "empty_list": []},
        "list": [1, {"b": 2, "c": [3]}, [4, 5], [], {}],
    }
    assert dump(data) == (
        "map:\n  a: 1\n  empty_map: {}\n  empty_list: []\n"
        "list:\n- 1\n- b: 2\n  c:\n  - 3\n- - 4\n  - 5\n- []\n- {}\n"
    )
    assert dump(data, indent_sequences=True) == (
        "map:\n  a: 1\n  empty_map: {}\n  empty_list: []\n"
        "list:\n  - 1\n  - b: 2\n    c:\n      - 3\n  - - 4\n    - 5\n  - []\n  - {}\n"
    )


def test_scalars() -> None:
    data = [1, -7, 10**20, 0.5, 1e-05, 1e16, -0.0, math.inf, -math.inf, True, False, None]
    assert dump(data) == (
        "- 1\n- -7\n- 100000000000000000000\n- 0.5\n- 1.0e-05\n- 1.0e+16\n- -0.0\n"
        "- .inf\n- -.inf\n- true\n- false\n- null\n"
    )
    assert dump_yaml([math.nan]) == b"- .nan\n"


def test_literal_blocks() -> None:
    assert dump({"run": "a\nb\n"}) == "run: |\n  a\n  b\n"
    assert dump({"run": "a\nb"}) == "run: |-\n  a\n  b\n"
    assert dump({"run": "a\n\nb\n\n", "next": 1}) == "run: |+\n  a\n\n  b\n\nnext: 1\n"
    assert dump({"run": "  a\nb\n"}) == "run: |2\n    a\n  b\n"
    assert dump(["\nb"]) == "- |2-\n\n  b\n"
    assert dump({"k": ["x\n"]}, indent_sequences=True) == "k:\n  - |\n    x\n"
    assert dump({"run": "a\tb\n"}) == "run: |\n  a\tb\n"
    # A block whose first line starts with a tab names its indentation: libyaml
    # (and parsers built like it) reject a tab where they would detect it.
    for data, text in [
        ("\t0\n", "|2\n  \t0\n"),
        ({"run": "\tx\ny\n"}, "run: |2\n  \tx\n  y\n"),
        (["\tx\n"], "- |2\n  \tx\n"),
    ]:
        assert check_round_trip(data) == text.encode()


def test_text_a_block_cannot_carry_is_double_quoted() -> None:
    assert dump({"k": "a \nb"}) == 'k: "a \\nb"\n'  # a blank at the end of a line
    assert dump({"k": "a\r\nb"}) == 'k: "a\\r\\nb"\n'
    assert dump({"k": "a\n\x1b"}) == 'k: "a\\n\\u001b"\n'
    assert dump({"k": "\n\n"}) == 'k: "\\n\\n"\n'
    # "|+" as the last scalar would end the file in blank lines, which emit trims
    assert dump({"k": "a\n\n"}) == 'k: "a\\n\\n"\n'


def test_keys() -> None:
    assert dump({"on": 1, "y": 2, "a b": 3, "a\nb": 4, 1: 5, None: 6, 1.5: 7}) == (
        '"on": 1\n"y": 2\na b: 3\n"a\\nb": 4\n1: 5\nnull: 6\n1.5: 7\n'
    )
    assert dump({True: 1, False: 2}) == "true: 1\nfalse: 2\n"
    long_key = "k" * 2000
    assert dump({long_key: {"a": 1}}) == f"? {long_key}\n:\n  a: 1\n"
    assert dump([{long_key: 1, "b": 2}]) == f"- ? {long_key}\n  : 1\n  b: 2\n"


def test_sort_keys() -> None:
    data = {"b": 1, "a": {"d": 1, "c": 2}}
    assert dump(data, sort_keys=True) == "a:\n  c: 2\n  d: 1\nb: 1\n"
    assert dump(data) == "b: 1\na:\n  d: 1\n  c: 2\n"


def test_documents_that_are_not_mappings() -> None:
    assert dump({}) == "{}\n"
    assert dump([]) == "[]\n"
    assert dump(None) == "null\n"
    assert dump("text") == "text\n"
    assert dump("on") == '"on"\n'
    assert dump("a\nb") == "|-\n  a\n  b\n"
    assert dump(" a\nb") == '" a\\nb"\n'


def test_str_subclasses() -> None:
    data = {"level": Level("read"), "text": Quoted("plain"), "t": Level("on")}
    assert dump(data, quoted=(Quoted,)) == 'level: read\ntext: "plain"\nt: "on"\n'
    assert dump({Quoted("k"): 1}, quoted=(Quoted,)) == '"k": 1\n'
    assert dump({"t": Quoted("plain")}) == "t: plain\n"  # only the named types are quoted


def test_tuples_are_sequences() -> None:
    assert dump_yaml({"k": (1, "a")}) == b"k:\n- 1\n- a\n"


@pytest.mark.parametrize("value", [b"bytes", {1, 2}, object(), 1j])
def test_other_types_are_refused(value: object) -> None:
    with pytest.raises(TypeError, match="cannot serialise"):
        dump_yaml({"k": value})
    with pytest.raises(TypeError, match="cannot serialise"):
        dump_yaml([value])


def test_collection_keys_are_refused() -> None:
    with pytest.raises(TypeError, match="mapping key"):
        dump_yaml({(1, 2): 1})


class Noted(str):
    __slots__ = ("why",)
    why: str

    def __new__(cls, value: str, why: str) -> Noted:
        self = super().__new__(cls, value)
        self.why = why
        return self


def _why(value: str) -> str | None:
    return value.why if isinstance(value, Noted) else None


def test_comment_hook() -> None:
    data = {"permissions": {"contents": Noted("read", "check out the code")}, "x": ["a"]}
    out = dump(data, comment=_why)
    assert out == "permissions:\n  contents: read  # check out the code\nx:\n- a\n"
    assert dump([Noted("on", "a keyword")], comment=_why) == '- "on"  # a keyword\n'
    # a multi-line value has no line to carry a comment
    assert dump({"k": Noted("a\nb", "note")}, comment=_why) == "k: |-\n  a\n  b\n"
    with pytest.raises(ValueError, match="one line"):
        dump_yaml({"k": Noted("v", "two\nlines")}, comment=_why)


# Prose: words of printable text and punctuation, single or double spaces, long enough to fold.
_WORDS = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\n"
    ),
    min_size=1,
    max_size=30,
)
_PROSE = st.lists(_WORDS, min_size=1, max_size=30).map(" ".join)


@PROPERTY
@given(
    data=st.dictionaries(strings, st.one_of(_PROSE, st.lists(_PROSE, max_size=3)), max_size=4),
    fold=st.integers(1, 120),
)
def test_folded_strings_read_back_as_written(data: dict[str, Any], fold: int) -> None:
    check_round_trip(data, fold=fold)
    check_round_trip({"outer": [data, {"inner": data}]}, fold=fold, indent_sequences=True)


def test_folding_layout() -> None:
    text = "The p95 latency of the model has been above the limit for ten minutes: page someone."
    assert dump_yaml({"rule": {"description": text}}, fold=40).decode() == (
        "rule:\n"
        "  description: >-\n"
        "    The p95 latency of the model has been\n"  # at most 40 columns of text
        "    above the limit for ten minutes: page\n"
        "    someone.\n"
    )
    assert dump_yaml({"a": text}, fold=200) == dump_yaml({"a": text})  # short enough: one line
    spaced = "two  spaces stay on one line " * 5
    assert b">-" not in dump_yaml({"a": spaced.strip()}, fold=20)

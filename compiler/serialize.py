"""Deterministic serialisers for generated YAML and JSON (used by every target).

Targets build artifacts as data and serialise them here, never by templating
text. :func:`dump_yaml` is a small emitter for plain data (dict, list, str, int,
float, bool, None) written for this one job, because PyYAML's Python
representer and serializer (even with libyaml's C emitter) took most of a
compile (figures in ``docs/benchmarks.md``). Its output reads back as the
same data under both YAML 1.1 (PyYAML, Go's yaml.v2) and YAML 1.2 (GitHub
Actions, DVC's ruamel.yaml, Kubernetes); ``tests/unit/test_serialize.py`` checks that
with PyYAML, ruamel.yaml and libyaml.

Output: block style, 2-space indentation, sequences indentless (PyYAML's
default) or indented under their key; ``{}``/``[]`` for empty containers; no
anchors, aliases, tags or line folding; LF; exactly one final newline; unicode
kept. Scalars:

- a string is plain only when it is provably a string under both YAML versions
  (not a keyword such as ``on``/``no``/``null``, nothing that could read as a
  number, date or sexagesimal, no indicator first, no ``: `` or `` #``, no
  leading or trailing space, only printable characters); otherwise
  double-quoted with JSON's escapes, every non-printable or line-break
  character escaped. Keys follow the same rules.
- a multi-line string is a literal block (``|``, ``|-`` or ``|+`` by its trailing
  newlines, ``|2`` when it starts with a space or a tab: libyaml rejects a tab where
  it detects the indentation), or double-quoted when a block
  cannot carry it exactly (trailing blanks on a line, non-printables).
- ints in decimal, floats in a form both versions read back as the same float
  (``1.0e-05``, ``.inf``, ``-.inf``, ``.nan``), ``true``/``false``, ``null``.

Key order: as built, or sorted with ``sort_keys``; and, with ``key_order``, the
order a reader of the format expects (:data:`KUBERNETES`, :data:`PROMETHEUS`,
:data:`DVC`, :data:`GITHUB_ACTIONS`): a mapping recognised by a key only its
kind holds (``apiVersion``, ``alert``, ``cmd``, ``runs-on``...) has its
conventional keys first, in the conventional order, then the others.

Two hooks for ``str`` subclasses: one named in ``quoted`` (e.g. free spec text
in a workflow) is always double-quoted on one line, any other is a plain
string; and ``comment`` may give such a value a ``#`` comment on its line (e.g.
why a workflow job holds a permission).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

__all__ = [
    "DVC",
    "GITHUB_ACTIONS",
    "KUBERNETES",
    "PROMETHEUS",
    "KeyOrder",
    "double_quoted",
    "dump_json",
    "dump_yaml",
]


@dataclass
class KeyOrder:
    """The conventional key order of one kind of mapping.

    A mapping holding ``marker`` is of this kind: its ``keys`` come first, in this
    order, then its other keys (as built, or sorted). ``children`` gives the order of
    the mapping under one of its keys (a Kubernetes object's ``metadata``).
    """

    marker: str
    keys: tuple[str, ...]
    children: tuple[tuple[str, tuple[str, ...]], ...] = ()


_K8S_METADATA = ("name", "namespace", "labels", "annotations")
KUBERNETES = (
    KeyOrder(
        "apiVersion", ("apiVersion", "kind", "metadata", "spec"), (("metadata", _K8S_METADATA),)
    ),
)
PROMETHEUS = (
    KeyOrder("alert", ("alert", "expr", "for", "labels", "annotations")),
    KeyOrder("record", ("record", "expr", "labels")),
    KeyOrder("rules", ("name", "interval", "rules")),  # a rule group
)
# ``desc`` is a stage's title: first, like a job's or a step's name.
_DVC_STAGE = ("desc", "cmd", "wdir", "deps", "params", "outs", "metrics", "plots")
DVC = (KeyOrder("cmd", (*_DVC_STAGE, "frozen", "always_changed")),)
_JOB = (
    "name",
    "runs-on",
    "needs",
    "if",
    "permissions",
    "environment",
    "concurrency",
    "timeout-minutes",
    "outputs",
    "defaults",
    "env",
    "steps",
)
_STEP = ("name", "id", "if", "uses", "with", "env", "run", "continue-on-error")
GITHUB_ACTIONS = (
    KeyOrder("jobs", ("name", "on", "permissions", "concurrency", "env", "defaults", "jobs")),
    KeyOrder("runs-on", _JOB),
    KeyOrder("steps", _JOB),
    KeyOrder("uses", _STEP),
    KeyOrder("run", _STEP),
)


_Rank = dict[str, int]


def _rank(keys: tuple[str, ...]) -> _Rank:
    return {key: i for i, key in enumerate(keys)}


def _in_order(items: Iterable[tuple[Any, Any]], rank: _Rank) -> list[tuple[Any, Any]]:
    """``items`` with the ranked keys first, in rank order; the others after, as they came."""
    last = len(rank)
    return sorted(items, key=lambda item: rank.get(item[0], last))  # stable: the rest keep order


# Characters that may not begin a plain scalar (YAML's indicators, and blanks).
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@` \t")
# Strings that some YAML 1.1 or 1.2 resolver reads as something else (compared in
# lower case: quoting ``nULL`` too is harmless). ``y``/``n`` are YAML 1.1 booleans
# (Go's yaml.v2); ``=`` and ``<<`` are PyYAML's value and merge keys.
_KEYWORDS = frozenset(
    {
        "",
        "~",
        "=",
        "<<",
        "null",
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        ".inf",
        "+.inf",
        ".nan",
    }
)
# Not printable in YAML (either version), or a line break in YAML 1.1: never raw. Tab
# and line feed are the two controls a literal block may hold as they are.
_NON_PRINTABLE_BEYOND_ASCII = "\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff"
_ESCAPE = re.compile(f"[\x00-\x1f{_NON_PRINTABLE_BEYOND_ASCII}]")
_BLOCK_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f{_NON_PRINTABLE_BEYOND_ASCII}]")
# Something that starts like a number, and uses only the characters of YAML 1.1/1.2
# ints, floats, sexagesimals and timestamps (``0x1F``, ``1_000``, ``1:20``, ``1e5``,
# ``2001-12-14 21:59:43.10 -5``): quoted, whatever a given resolver would make of it.
_NUMBER_START = re.compile(r"[-+]?\.?[0-9]")
_NUMBER_CHARS = re.compile(r"[0-9a-fA-FxXoObBtTzZ_.:+\- ]+")
# A simple key must be shorter than 1024 characters; longer ones are written "? key".
_MAX_SIMPLE_KEY = 1000
_BLOCK = "|"  # cache marker: a multi-line string written as a literal block
_CACHE_LIMIT = 1 << 17

_values: dict[str, str] = {}  # str -> its inline form, or _BLOCK
_keys: dict[str, str] = {}  # str -> its form as a mapping key


def double_quoted(text: str) -> str:
    """``text`` as one YAML double-quoted scalar (JSON's escapes, non-printables escaped)."""
    quoted = encode_basestring(text)  # JSON's escapes: '"', '\\', C0 controls
    return quoted if quoted.isprintable() else _ESCAPE.sub(_escape_char, quoted)


def _escape_char(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


# str.isprintable() (one C loop) is False for every character YAML cannot carry raw,
# so the regular expressions only run on the rare text that fails it.


def _is_plain(text: str) -> bool:
    """Whether one line of text reads back as the same string when written plain."""
    return not (
        (len(text) <= 5 and text.lower() in _KEYWORDS)  # "" included
        or text[0] in _INDICATORS
        or (not text.isprintable() and _ESCAPE.search(text))
        or ": " in text
        or " #" in text
        or text[-1] in ": "
        or (_NUMBER_START.match(text) and _NUMBER_CHARS.fullmatch(text))
        or text.startswith("...")
    )


def _fits_block(text: str) -> bool:
    """Whether a literal block carries multi-line ``text`` exactly."""
    if not text.strip("\n") or " \n" in text or "\t\n" in text or text[-1] in " \t":
        return False
    return text.replace("\n", "").replace("\t", "").isprintable() or not _BLOCK_UNSAFE.search(text)


def _string_value(text: str) -> str:
    """Inline form of ``text`` as a value, or ``_BLOCK``; cached."""
    if "\n" in text and _fits_block(text):
        form = _BLOCK
    else:
        form = text if "\n" not in text and _is_plain(text) else double_quoted(text)
    if len(_values) >= _CACHE_LIMIT:
        _values.clear()
    _values[text] = form
    return form


def _literal(text: str, pad: str, keep: bool) -> str:
    """``text`` as a literal block whose lines are indented by ``pad`` (2 more than its
    parent collection), or double-quoted when the block would need ``|+`` and ``keep``
    is false."""
    body = text.rstrip("\n")
    trailing = len(text) - len(body)
    if trailing > 1 and not keep:
        return double_quoted(text)
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    indicator = "2" if text[0] in " \t\n" else ""
    lines = text[:-1].split("\n") if trailing else text.split("\n")
    content = "\n".join([pad + line if line else "" for line in lines])
    return f"|{indicator}{chomp}\n{content}"


_folds: dict[tuple[str, str, int], str | None] = {}  # (text, pad, width) -> folded form


def _folded(text: str, pad: str, width: int) -> str | None:
    """:func:`_fold`, cached."""
    key = (text, pad, width)
    form = _folds.get(key, _BLOCK)
    if form is _BLOCK:
        if len(_folds) >= _CACHE_LIMIT:
            _folds.clear()
        form = _folds[key] = _fold(text, pad, width)
    return form


def _fold(text: str, pad: str, width: int) -> str | None:
    """One line of ``text`` as a folded block (``>-``) whose lines, indented by ``pad``,
    fit ``width`` where the words allow; None when folding could change the text.

    A folded block reads each line break between two lines of content as one space,
    so ``text`` is broken only at single spaces, and only when it has no other
    whitespace and is printable: then every YAML 1.1 and 1.2 parser reads it back as is.
    """
    if not text.isprintable() or text != text.strip() or "  " in text:
        return None
    room = max(width - len(pad), 40)
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > room:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    if len(lines) < 2:
        return None
    return ">-\n" + "\n".join(pad + line for line in lines)


def _float(value: float) -> str:
    if value != value:  # noqa: PLR0124 (NaN)
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    # YAML 1.1 floats need a dot (and a signed exponent, which repr always writes).
    if "e" in text and "." not in text:
        mantissa, _, exponent = text.partition("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def _scalar(value: object, quoted: tuple[type[str], ...]) -> str | None:
    """Inline form of a non-``str`` scalar (or a ``str`` subclass); ``_BLOCK`` for a
    multi-line string; None when ``value`` is a collection."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return _float(float(value))
    if isinstance(value, str):
        text = str.__str__(value)
        if quoted and isinstance(value, quoted):
            return double_quoted(text)
        form = _values.get(text)
        return form if form is not None else _string_value(text)
    if isinstance(value, dict | list | tuple):
        return None
    raise TypeError(f"cannot serialise {type(value).__name__} as YAML: {value!r}")


def _key(key: object, quoted: tuple[type[str], ...], pad: str) -> str:
    """``key`` as written before its ``:``; an explicit ``? key`` when it is too long."""
    if type(key) is str:
        form = key if _is_plain(key) else double_quoted(key)
        if len(form) <= _MAX_SIMPLE_KEY:
            if len(_keys) >= _CACHE_LIMIT:
                _keys.clear()
            _keys[key] = form
    elif isinstance(key, str):
        text = str.__str__(key)
        quote = (quoted and isinstance(key, quoted)) or not _is_plain(text)
        form = double_quoted(text) if quote else text
    elif isinstance(key, dict | list | tuple):
        raise TypeError(f"cannot serialise a {type(key).__name__} as a YAML mapping key")
    else:
        form = _scalar(key, quoted) or ""
    if len(form) > _MAX_SIMPLE_KEY:
        return f"? {form}\n{pad}"
    return form


class _Emitter:
    """One document's lines; methods append whole lines to ``out``."""

    __slots__ = (
        "comment",
        "fold",
        "indent_sequences",
        "keep",
        "out",
        "quoted",
        "rules",
        "sort_keys",
    )

    def __init__(
        self,
        *,
        sort_keys: bool,
        indent_sequences: bool,
        quoted: tuple[type[str], ...],
        comment: Callable[[str], str | None] | None,
        keep: bool,
        key_order: tuple[KeyOrder, ...] = (),
        fold: int = 0,
    ) -> None:
        self.out: list[str] = []
        # (marker, rank of its keys, ranks of its children's keys) per rule, made once.
        self.rules = tuple(
            (rule.marker, _rank(rule.keys), {key: _rank(keys) for key, keys in rule.children})
            for rule in key_order
        )
        self.fold = fold
        self.sort_keys = sort_keys
        self.indent_sequences = indent_sequences
        self.quoted = quoted
        self.comment = comment
        self.keep = keep

    def mapping(self, data: dict[Any, Any], pad: str, rank: _Rank | None = None) -> None:
        out = self.out
        append = out.append
        values, keys_seen = _values, _keys
        inner = pad + "  "
        seq_pad = inner if self.indent_sequences else pad
        children: dict[str, _Rank] = {}
        if rank is None:
            for marker, rule_rank, rule_children in self.rules:  # key_order's rules
                if marker in data:
                    rank, children = rule_rank, rule_children
                    break
        items: Iterable[tuple[Any, Any]] = sorted(data.items()) if self.sort_keys else data.items()
        if rank is not None:
            items = _in_order(items, rank)
        for key, value in items:
            kind = type(key)
            text = keys_seen.get(key) if kind is str else None
            if text is None:
                text = _key(key, self.quoted, pad)
            kind = type(value)
            if kind is str:
                form = values.get(value)
                if form is None:
                    form = _string_value(value)
                if form is _BLOCK:
                    form = _literal(value, inner, self.keep)
                elif self.fold and len(value) > self.fold:
                    form = _folded(value, inner, self.fold) or form
                append(f"{pad}{text}: {form}\n")
            elif kind is dict:
                if value:
                    append(f"{pad}{text}:\n")
                    self.mapping(value, inner, children.get(key) if children else None)
                else:
                    append(f"{pad}{text}: {{}}\n")
            elif kind is list:
                if value:
                    append(f"{pad}{text}:\n")
                    self.sequence(value, seq_pad)
                else:
                    append(f"{pad}{text}: []\n")
            elif kind is int:
                append(f"{pad}{text}: {value}\n")
            else:
                self.other(f"{pad}{text}:", value, inner, seq_pad)

    def sequence(self, data: list[Any] | tuple[Any, ...], pad: str) -> None:
        out = self.out
        append = out.append
        values = _values
        inner = pad + "  "
        for item in data:
            kind = type(item)
            if kind is str:
                form = values.get(item)
                if form is None:
                    form = _string_value(item)
                if form is _BLOCK:
                    form = _literal(item, inner, self.keep)
                elif self.fold and len(item) > self.fold:
                    form = _folded(item, inner, self.fold) or form
                append(f"{pad}- {form}\n")
            elif kind is dict and item:
                start = len(out)
                self.mapping(item, inner)
                out[start] = f"{pad}- {out[start][len(inner) :]}"
            else:
                self.other(f"{pad}-", item, inner, inner)

    def other(self, head: str, value: object, inner: str, seq_pad: str) -> None:
        """Anything but the common cases: ``head`` is ``pad + key + ':'`` or ``pad + '-'``."""
        out = self.out
        if isinstance(value, dict):
            if not value:
                out.append(f"{head} {{}}\n")
            elif head.endswith("-"):
                start = len(out)
                self.mapping(value, inner)
                out[start] = f"{head} {out[start][len(inner) :]}"
            else:
                out.append(f"{head}\n")
                self.mapping(value, inner)
        elif isinstance(value, list | tuple):
            if not value:
                out.append(f"{head} []\n")
            elif head.endswith("-"):  # a sequence in a sequence: "- - item"
                start = len(out)
                self.sequence(value, inner)
                out[start] = f"{head} {out[start][len(inner) :]}"
            else:
                out.append(f"{head}\n")
                self.sequence(value, seq_pad)
        else:
            form = _scalar(value, self.quoted)
            if isinstance(value, str):
                if form is _BLOCK:
                    form = _literal(str.__str__(value), inner, self.keep)
                elif self.comment is not None:
                    note = self.comment(value)
                    if note is not None:
                        form = f"{form}  # {_comment_text(note)}"
            out.append(f"{head} {form}\n")

    def document(self, data: object) -> str:
        if isinstance(data, dict) and data:
            self.mapping(data, "")
        elif isinstance(data, list | tuple) and data:
            self.sequence(data, "")
        elif isinstance(data, dict):
            self.out.append("{}\n")
        elif isinstance(data, list | tuple):
            self.out.append("[]\n")
        else:
            form = _scalar(data, self.quoted)
            if form is _BLOCK and isinstance(data, str):
                # A block at the root: YAML 1.1 and 1.2 parsers place an indentation
                # indicator differently there, so a text that needs one is quoted.
                text = str.__str__(data)
                quote = text[0] in " \n"
                form = double_quoted(text) if quote else _literal(text, "  ", False)
            self.out.append(f"{form}\n")
        return "".join(self.out)


def _comment_text(note: str) -> str:
    if not note or _ESCAPE.search(note):
        raise ValueError(f"a YAML comment is one line of printable text, not {note!r}")
    return note


def dump_yaml(
    data: Any,
    *,
    sort_keys: bool = False,
    indent_sequences: bool = False,
    quoted: tuple[type[str], ...] = (),
    comment: Callable[[str], str | None] | None = None,
    key_order: tuple[KeyOrder, ...] = (),
    fold: int = 0,
) -> bytes:
    """YAML bytes of plain data (dicts, lists, str, int, float, bool, None).

    Key order as given, or sorted with ``sort_keys``; with ``key_order``, a mapping
    one of its rules recognises has that rule's keys first (see :class:`KeyOrder`).
    With ``fold``, a one-line string longer than ``fold`` characters is written as a
    folded block (``>-``) of lines that fit ``fold`` columns (at least 40 characters
    of text each), broken at spaces, when
    that reads back as the same string (plain ``str`` only; see :func:`_folded`).
    ``indent_sequences`` writes a
    sequence that is a mapping value indented under its key (``deps:\\n  - a``)
    rather than level with it. Strings whose type is in ``quoted`` are always
    double-quoted on one line. ``comment`` is asked about every value that is an
    instance of a ``str`` subclass; the one line it returns is written after the
    value as a ``#`` comment (a multi-line value gets none). Anything else than
    plain data (a date, a set, bytes) is a TypeError.
    """
    emitter = _Emitter(
        sort_keys=sort_keys,
        indent_sequences=indent_sequences,
        quoted=quoted,
        comment=comment,
        keep=True,
        key_order=key_order,
        fold=fold,
    )
    text = emitter.document(data)
    if text.endswith("\n\n"):
        # The last scalar is a "|+" block whose kept newlines would end the file, and
        # emit (and editors) trim a file to one final newline: quote those instead.
        emitter.out.clear()
        emitter.keep = False
        text = emitter.document(data)
    return text.encode("utf-8")


def dump_json(data: Any, *, sort_keys: bool = True) -> bytes:
    """Pretty JSON bytes with a final newline."""
    return (json.dumps(data, indent=2, sort_keys=sort_keys, ensure_ascii=False) + "\n").encode()

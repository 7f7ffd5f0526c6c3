"""Load stage: bytes of ``mlproject.yaml`` → a :class:`Document` with a position for every node.

First the file-level checks (size, binary, UTF-8, merge-conflict markers, tabs),
then PyYAML's *event stream* (libyaml when available) is folded into plain Python
values with an explicit stack: no recursion, no constructors, no custom tags ever
executed. Plain scalars resolve by the YAML 1.2 core schema, so ``on``/``no``
and dates stay strings. Every problem found becomes a :class:`Diagnostic`; all of
them are raised together in one :class:`DiagnosticError`.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from compiler.diagnostics import (
    MINIMAL_SPEC,
    CodeDoc,
    Diagnostic,
    DiagnosticError,
    Pointer,
    Position,
)

MAX_BYTES = 1_000_000
MAX_DEPTH = 64
MAX_NODES = 100_000
_CONTROL_CHAR = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_EXPANDED_CHARS = 2 * MAX_BYTES  # text after alias expansion: a small file cannot amplify

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BOM = b"\xef\xbb\xbf"
_CORE = "tag:yaml.org,2002:"
_WORDS: dict[str, Any] = {"": None, "~": None, "null": None, "Null": None, "NULL": None}
_WORDS.update(dict.fromkeys(("true", "True", "TRUE"), True))
_WORDS.update(dict.fromkeys(("false", "False", "FALSE"), False))
_WORDS.update(dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf))
_WORDS.update(dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf))
_WORDS.update(dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan))
_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", re.ASCII)
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?", re.ASCII)
_NUMBER_START = frozenset("0123456789+-.")
_CONFLICT = re.compile(r"^(?:<{7}|>{7}|\|{7})(?: [^\n]*)?\r?$|^={7}\r?$", re.MULTILINE)
_TAB_INDENT = re.compile(r"^( *)\t[ \t]*[^ \t\r\n]", re.MULTILINE)
_CONTENT = re.compile(r"^[ \t]*[^\s#]", re.MULTILINE)
_BLOCK_SCALAR = re.compile(r"(?:^|[ \t])[|>][-+1-9]{0,2}[ \t]*(?:#.*)?$")
# compiled only on the error path (the cost saved: docs/benchmarks.md)
_NOT_PRINTABLE = "[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
_START = "start from a complete example, e.g. one of the projects in examples/"
_SYNTAX_HINTS = {
    "mapping values are not allowed": "a value containing ': ' must be quoted, "
    "or this line is indented deeper than its siblings",
    "could not find expected ':'": "every entry of a mapping needs 'key: value'; "
    "check for a missing colon or an unclosed quote above",
    "cannot start any token": "quote values that start with '@', '`', '%' or '|'",
    "did not find expected key": "entries of one mapping must start in the same column",
    "did not find expected '-'": "items of one list must start in the same column",
    "end of stream": "a quote or bracket opened here is never closed",
}


@dataclass
class Document:
    """A loaded spec: plain data plus where each node came from."""

    file: str
    text: str
    data: dict[str, Any]
    value_positions: Mapping[Pointer, Position] = field(repr=False)
    key_positions: Mapping[Pointer, Position] = field(repr=False)

    def position_of(self, pointer: Pointer, *, key: bool = False) -> Position | None:
        """Where ``pointer`` is; if it is not in the file, where its nearest ancestor is."""
        for end in range(len(pointer), -1, -1):
            prefix = pointer[:end]
            if key and prefix in self.key_positions:
                return self.key_positions[prefix]
            if prefix in self.value_positions:
                return self.value_positions[prefix]
        return None


def load_document(path: Path, display: str | None = None) -> Document:
    """Read and load one spec file; every problem is raised as a :class:`DiagnosticError`."""
    file = display or str(path)
    return load_text(read_spec(path, file), file)


def read_spec(path: Path, file: str | None = None) -> bytes:
    """The bytes of a spec file: a regular file, read at most ``MAX_BYTES`` + 1 bytes.

    Opened without blocking and checked on the open descriptor, so a FIFO, a device
    (``/dev/zero``) or a file swapped for one after a look-up never hangs the read.
    """
    file = file or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as stream:
            info = os.fstat(stream.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(21, "it is a directory")
            if not stat.S_ISREG(info.st_mode):
                raise OSError(0, "it is not a regular file")
            if info.st_size > MAX_BYTES:
                raise DiagnosticError([_too_big(file, info.st_size)])
            raw = stream.read(MAX_BYTES + 1)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        reason = getattr(exc, "strerror", None) or str(exc)
        hint = "check the path and that the file is readable by this user"
        if isinstance(exc, IsADirectoryError):
            hint = "pass the spec file itself, e.g. mlproject.yaml inside that directory"
        message = f"cannot read the file: {reason.lower()}"
        raise DiagnosticError([Diagnostic("MLP001", message, file, None, hint)]) from None
    if len(raw) > MAX_BYTES:  # grew after the fstat
        raise DiagnosticError([_too_big(file, len(raw))])
    return raw


def load_text(source: str | bytes, file: str) -> Document:
    """Load spec text; every problem is raised together as one :class:`DiagnosticError`."""
    raw = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    text, problems = _check_file(raw, file)
    if problems:
        raise DiagnosticError(problems)
    data, value_positions, key_positions = _Builder(file, text).build()
    return Document(file, text, data, value_positions, key_positions)


def _too_big(file: str, size: int) -> Diagnostic:
    message = f"the file is {size:,} bytes; the limit is {MAX_BYTES:,}"
    hint = "a spec describes one project; move data and long text into referenced files"
    return Diagnostic("MLP002", message, file, None, hint)


def _position(text: str, offset: int) -> Position:
    """Line and column (1-based, in characters) of a character offset."""
    return Position(text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset))


def _byte_position(raw: bytes, offset: int) -> Position:
    """Line and column (1-based, in characters) of a byte offset."""
    start = raw.rfind(b"\n", 0, offset) + 1
    width = len(raw[start:offset].decode("utf-8", "replace"))
    return Position(raw.count(b"\n", 0, offset) + 1, width + 1)


def _check_file(raw: bytes, file: str) -> tuple[str, list[Diagnostic]]:
    """The checks that need no YAML: size, binary, encoding, conflict markers, tabs, empty."""
    if len(raw) > MAX_BYTES:
        return "", [_too_big(file, len(raw))]
    raw = raw.removeprefix(_BOM)
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        hint = "save the file as UTF-8 (most editors: 'Save with encoding')"
        return "", [Diagnostic("MLP003", "the file is UTF-16, not UTF-8", file, None, hint)]
    nul = raw.find(b"\0")
    if nul >= 0:
        hint = "this looks like a binary file; a spec is UTF-8 YAML text"
        message = "the file contains NUL bytes"
        return "", [Diagnostic("MLP004", message, file, _byte_position(raw, nul), hint)]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.start + 1].hex()
        hint = "save the file as UTF-8 (most editors: 'Save with encoding')"
        message = f"the file is not valid UTF-8 (byte 0x{bad})"
        return "", [Diagnostic("MLP003", message, file, _byte_position(raw, exc.start), hint)]
    problems: list[Diagnostic] = []
    if any(marker in text for marker in ("<<<<<<<", "=======", ">>>>>>>", "|||||||")):
        for match in _CONFLICT.finditer(text):
            message = f"merge-conflict marker {match.group()[:7]!r}"
            hint = "finish resolving the merge: keep one side, delete the markers"
            problems.append(
                Diagnostic("MLP006", message, file, _position(text, match.start()), hint)
            )
    if "\t" in text:
        problems.extend(_tab_problems(text, file))
    if not problems and not _CONTENT.search(text):
        message = "the file is empty (only whitespace or comments)"
        problems.append(Diagnostic("MLP005", message, file, None, _START))
    return text, problems


def _tab_problems(text: str, file: str) -> list[Diagnostic]:
    """Tabs used as indentation; tabs inside a block scalar's content are data, not indentation."""
    problems: list[Diagnostic] = []
    scalar_indent = -1  # indentation of the line that opened a block scalar, -1: none open
    for number, line in enumerate(text.split("\n"), start=1):
        indent = len(line) - len(line.lstrip(" "))
        if scalar_indent >= 0 and (indent > scalar_indent or not line.strip()):
            continue
        scalar_indent = indent if _BLOCK_SCALAR.search(line.rstrip("\r")) else -1
        if match := _TAB_INDENT.match(line):
            where = Position(number, len(match.group(1)) + 1)
            hint = "YAML indents with spaces only; replace the tab with spaces"
            problems.append(Diagnostic("MLP007", "tab character in indentation", file, where, hint))
    return problems


def _resolve_plain(value: str) -> Any:
    """A plain scalar by the YAML 1.2 core schema: only the core forms are not strings."""
    if value in _WORDS:
        return _WORDS[value]
    if value[0] in _NUMBER_START:
        if _INT.fullmatch(value):
            try:
                return int(value, 0) if value[:2] in ("0x", "0o") else int(value, 10)
            except ValueError:  # more digits than int() accepts: keep the text
                return value
        if _FLOAT.fullmatch(value):
            return float(value)
    return value


class _Frame:
    """An open mapping or sequence while its events are folded in."""

    __slots__ = ("anchor", "chars", "container", "discard", "key", "key_ok", "pointer", "start")

    def __init__(
        self, container: Any, pointer: Pointer, discard: bool, start: int, chars: int = 0
    ) -> None:
        self.container, self.pointer, self.start = container, pointer, start
        self.chars = chars  # the builder's expanded characters when this frame opened
        self.discard = discard  # inside a complex key or a rejected entry: built, not kept
        self.anchor: str | None = None
        self.key: str | None = None  # mappings: None while a key is expected next
        self.key_ok = True  # mappings: False when the pending value's key was rejected


class _GiveUpError(Exception):
    """Loading cannot usefully go on; the diagnostics already say why."""


class _Builder:
    """Folds PyYAML events into plain values and position tables, with an explicit stack."""

    def __init__(self, file: str, text: str) -> None:
        self.file, self.text = file, text
        self.problems: list[Diagnostic] = []
        self.values: dict[Pointer, Position] = {}
        self.keys: dict[Pointer, Position] = {}
        self.anchors: dict[str, tuple[Any, int]] = {}  # name -> (value, node count)
        self.open_anchors: set[str] = set()
        self.stack: list[_Frame] = []
        self.nodes = 0  # after alias expansion
        self.chars = 0  # characters of scalar text, after alias expansion
        self.anchor_chars: dict[str, int] = {}
        self.root: Any = None

    def problem(self, code: str, message: str, pos: Position | None, hint: str, **kw: Any) -> None:
        self.problems.append(Diagnostic(code, message, self.file, pos, hint, **kw))

    def build(self) -> tuple[dict[str, Any], dict[Pointer, Position], dict[Pointer, Position]]:
        documents = 0
        loader = None
        try:
            loader = _Loader(self.text)  # the pure-Python reader may already fail here
            get_event, node, close = loader.get_event, self.node, self.close
            while (event := get_event()) is not None:
                kind = type(event)  # exact types, not isinstance chains (docs/benchmarks.md)
                if kind in _NODE_EVENTS:
                    node(event, kind)
                elif kind in _END_EVENTS:
                    close()
                elif kind is yaml.DocumentStartEvent:
                    documents += 1
                    if documents > 1:
                        hint = "one spec per file: remove this '---' and what follows it"
                        message = "the file holds more than one YAML document"
                        self.problem("MLP014", message, _mark(event.start_mark), hint)
                        break
                elif kind is yaml.StreamEndEvent:
                    break
        except yaml.MarkedYAMLError as exc:
            self.syntax_error(exc)
        except yaml.YAMLError:  # a reader error: a character that YAML does not allow
            found = re.search(_NOT_PRINTABLE, self.text)
            where = _position(self.text, found.start()) if found else None
            shown = f"U+{ord(found.group()):04X}" if found else "a character"
            hint = "remove it, or write it as an escape in a double-quoted string"
            self.problem("MLP008", f"invalid YAML: {shown} is not allowed", where, hint)
        except _GiveUpError:
            pass
        finally:
            if loader is not None:
                loader.dispose()
        if not self.problems and self.root is None:
            self.problem("MLP005", "the file has no content", self.values.get(()), _START)
        elif not self.problems and not isinstance(self.root, dict):
            shape = "a list" if isinstance(self.root, list) else "a single value"
            message = f"the top level must be a mapping of keys to values, not {shape}"
            hint = "start the file with 'key: value' lines, e.g. 'apiVersion: ...'"
            self.problem("MLP013", message, self.values.get(()), hint)
        if self.problems:
            raise DiagnosticError(self.problems)
        return self.root, self.values, self.keys

    def syntax_error(self, exc: yaml.MarkedYAMLError) -> None:
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        mark = exc.problem_mark or exc.context_mark
        if "nesting depth" in problem:  # PyYAML >= 6.0.4 caps nesting in its scanner
            where = _mark(mark) if mark else None
            flatten = "flatten the structure; no spec needs this depth"
            self.problem("MLP012", f"nesting is deeper than {MAX_DEPTH} levels", where, flatten)
            return
        hint = next((h for k, h in _SYNTAX_HINTS.items() if k in problem), None)
        hint = hint or "check indentation and quoting at this position"
        mark, context = exc.problem_mark or exc.context_mark, exc.context_mark
        if exc.context and context and mark and context.line != mark.line:
            hint += f" ({exc.context} that started on line {context.line + 1})"
        self.problem("MLP008", f"invalid YAML: {problem}", _mark(mark) if mark else None, hint)

    def node(self, event: Any, kind: type[yaml.NodeEvent]) -> None:
        mark, anchor = event.start_mark, event.anchor
        pos = Position(mark.line + 1, mark.column + 1)
        self.nodes += 1
        value: Any
        if kind is yaml.ScalarEvent:
            value = self.scalar(event, pos)
        elif kind is yaml.AliasEvent:
            value = self.alias(anchor or "", pos)
        else:
            value = self.collection(event, pos)
        if self.nodes > MAX_NODES or self.chars > MAX_EXPANDED_CHARS:
            hint = "anchors and aliases may share small blocks, not multiply them"
            message = (
                f"the document expands to more than {MAX_NODES:,} values"
                if self.nodes > MAX_NODES
                else f"the document expands to more than {MAX_EXPANDED_CHARS:,} characters"
            )
            self.problem("MLP010", message, pos, hint)
            raise _GiveUpError
        if anchor is not None and kind is not yaml.AliasEvent:
            if isinstance(value, dict | list):
                self.stack[-1].anchor = anchor
                self.open_anchors.add(anchor)
            else:
                self.anchors[anchor] = (value, 1)
                self.anchor_chars[anchor] = len(value) if isinstance(value, str) else 8

    def attach(self, value: Any, pos: Position, text: str | None = None) -> Pointer | None:
        """Put ``value`` where its parent expects it: its pointer, or None when not kept.

        ``text`` is the source of a plain scalar, to name a rejected key as written.
        """
        if not self.stack:
            self.root, self.values[()] = value, pos
            return ()
        parent = self.stack[-1]
        if isinstance(parent.container, list):
            if parent.discard:
                return None
            pointer: Pointer = (*parent.pointer, len(parent.container))
            parent.container.append(value)
        elif parent.key is None:
            self.add_key(parent, value, pos, text)
            return None
        elif parent.discard or not parent.key_ok:
            parent.key, parent.key_ok = None, True
            return None
        else:
            pointer = (*parent.pointer, parent.key)
            parent.container[parent.key], parent.key = value, None
        self.values[pointer] = pos
        return pointer

    def add_key(self, parent: _Frame, key: Any, pos: Position, text: str | None) -> None:
        parent.key, parent.key_ok = "", False  # until proven good, its value is dropped
        if parent.discard:
            return
        if isinstance(key, str) and not (key == "<<" and text == "<<"):
            pointer = (*parent.pointer, key)
            if (first := self.keys.get(pointer)) is not None:
                hint = f"the first {key!r} is on line {first.line}; keep only one"
                self.problem("MLP009", f"duplicate key {key!r}", pos, hint, pointer=pointer)
                return
            self.keys[pointer] = pos
            parent.key, parent.key_ok = key, True
            return
        if isinstance(key, str):
            message, hint = "merge keys '<<' are not supported", "write the merged keys out"
        elif isinstance(key, dict | list):
            message, hint = "a list or mapping cannot be a key", "keys must be plain strings"
        else:
            text = text or repr(key)
            kind = "null" if key is None else "a boolean" if isinstance(key, bool) else "a number"
            message, hint = f"key {text} reads as {kind}, not a string", f"quote it: '{text}':"
        self.problem("MLP015", message, pos, hint)

    def scalar(self, event: yaml.ScalarEvent, pos: Position) -> Any:
        tag, value, plain = event.tag, event.value, not event.style  # libyaml: '', Python: None
        resolved: Any = value
        self.chars += len(value or "")
        if value and _CONTROL_CHAR.search(value):
            found = _CONTROL_CHAR.search(value)
            code = f"\\x{ord(found.group()):02x}" if found else "?"
            message = f"a string holds the control character {code} (written as an escape)"
            hint = "remove the escape: spec text is printable (tabs and newlines are fine)"
            self.problem("MLP016", message, pos, hint)
        if tag is None and plain:
            resolved = _resolve_plain(value)
        elif tag is not None and tag not in ("!", _CORE + "str"):
            resolved = self.tagged(tag, value, pos)
        self.attach(resolved, pos, value if tag is None and plain else None)
        return resolved

    def tagged(self, tag: str, value: str | None, pos: Position) -> Any:
        """A scalar (or, with ``value`` None, a collection) with an explicit tag."""
        kind = tag.removeprefix(_CORE) if tag.startswith(_CORE) else ""
        if value is not None and kind in _TAGGED:
            resolved = _resolve_plain(value)
            if _TAGGED[kind](resolved):
                return float(resolved) if kind == "float" else resolved
            message = f"{value!r} is not a valid !!{kind}"
        else:
            message = f"tag {'!!' + kind if kind else tag} is not allowed here"
        hint = "only the core tags !!str !!int !!float !!bool !!null !!map !!seq; remove the tag"
        self.problem("MLP011", message, pos, hint)
        return value

    def collection(self, event: yaml.NodeEvent, pos: Position) -> Any:
        is_map = isinstance(event, yaml.MappingStartEvent)
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in ("!", _CORE + ("map" if is_map else "seq")):
            self.tagged(tag, None, pos)
        if len(self.stack) >= MAX_DEPTH:
            hint = "flatten the structure; no spec needs this depth"
            self.problem("MLP012", f"nesting is deeper than {MAX_DEPTH} levels", pos, hint)
            raise _GiveUpError
        value: dict[str, Any] | list[Any] = {} if is_map else []
        pointer = self.attach(value, pos)
        self.stack.append(_Frame(value, pointer or (), pointer is None, self.nodes, self.chars))
        return value

    def close(self) -> None:
        frame = self.stack.pop()
        if frame.anchor is not None:
            self.open_anchors.discard(frame.anchor)
            self.anchors[frame.anchor] = (frame.container, self.nodes - frame.start + 1)
            self.anchor_chars[frame.anchor] = self.chars - frame.chars

    def alias(self, name: str, pos: Position) -> Any:
        if name in self.open_anchors:
            hint = "a recursive alias would expand forever; copy the values instead"
            self.problem("MLP010", f"alias *{name} refers to a node that contains it", pos, hint)
            raise _GiveUpError
        if name not in self.anchors:
            hint = f"define '&{name}' on an earlier value before using '*{name}'"
            self.problem("MLP008", f"invalid YAML: undefined alias *{name}", pos, hint)
            value, size = None, 1
        else:
            value, size = self.anchors[name]
            self.chars += self.anchor_chars.get(name, 0)
        self.nodes += size - 1
        self.attach(value, pos)
        return value


_NODE_EVENTS = frozenset(
    (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent, yaml.AliasEvent)
)
_END_EVENTS = frozenset((yaml.MappingEndEvent, yaml.SequenceEndEvent))
_TAGGED: dict[str, Callable[[Any], bool]] = {
    "null": lambda value: value is None,
    "bool": lambda value: isinstance(value, bool),
    "int": lambda value: type(value) is int,
    "float": lambda value: type(value) in (int, float),
}


def _mark(mark: Any) -> Position:
    return Position(mark.line + 1, mark.column + 1)


_GOOD = MINIMAL_SPEC


def _bad(old: str, new: str) -> str:
    return _GOOD.replace(old, new, 1)


# fmt: off
LOAD_CODES: list[CodeDoc] = [
    CodeDoc("MLP001", "file cannot be read",
            "The spec path does not exist, is a directory or another non-regular file, or this "
            "user may not read it.",
            "(a path such as mlproject.yaml that does not exist, or a directory)", _GOOD),
    CodeDoc("MLP002", "file too large",
            f"A spec is limited to {MAX_BYTES:,} bytes so that a stray data file or generated "
            "dump fails fast instead of being parsed; a real spec is a few kilobytes.",
            f"(any file larger than {MAX_BYTES:,} bytes)", _GOOD),
    CodeDoc("MLP003", "not valid UTF-8",
            "Specs are UTF-8 (a byte-order mark is accepted). The position is the first byte "
            "that is not UTF-8, typically Latin-1 text saved by an old editor; UTF-16 is named.",
            "(the spec with 'owners: [{name: Ad\\xe9}]' saved as Latin-1: byte 0xE9)", _GOOD),
    CodeDoc("MLP004", "binary file",
            "The file contains NUL bytes: a binary file (a model, an archive) was given where "
            "the YAML spec was expected.",
            "(a binary file, e.g. model.pkl)", _GOOD),
    CodeDoc("MLP005", "empty spec",
            "The file holds nothing but whitespace, comments or an empty document.",
            "# mlproject spec, to be written\n", _GOOD),
    CodeDoc("MLP006", "merge-conflict marker",
            "A line starts with '<<<<<<< ', '=======' or '>>>>>>> ': a git merge was left "
            "half resolved. Each marker is reported.",
            _bad("  task: multiclass_classification\n", "<<<<<<< HEAD\n  task: "
                 "multiclass_classification\n=======\n  task: regression\n>>>>>>> tune\n"),
            _GOOD),
    CodeDoc("MLP007", "tab in indentation",
            "YAML indents with spaces only. Tabs inside a block scalar's text are allowed.",
            _bad("  name: iris", "\tname: iris"), _GOOD),
    CodeDoc("MLP008", "invalid YAML syntax",
            "The YAML parser stopped here: usually an unquoted ': ' inside a value, a bad "
            "indent, an unclosed quote or bracket, or an alias to an undefined anchor.",
            _bad("problem: Classify", "problem: Goal: classify"), _GOOD),
    CodeDoc("MLP009", "duplicate key",
            "A key appears twice in one mapping; YAML would silently keep only one value. "
            "Reported at the second occurrence; the hint names the line of the first.",
            _bad("  name: iris\n", "  name: iris\n  name: irises\n"), _GOOD),
    CodeDoc("MLP010", "too many values after alias expansion",
            f"The document expands to more than {MAX_NODES:,} values or "
            f"{MAX_EXPANDED_CHARS:,} characters of text (a 'billion laughs' "
            "bomb of nested aliases), or an alias refers to a node that contains it.",
            _GOOD + "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c]\n"
            "e: &e [*d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e]\n",
            _GOOD),
    CodeDoc("MLP011", "unsupported tag",
            "Only the core tags (!!str, !!int, !!float, !!bool, !!null, !!map, !!seq) are "
            "understood; any other tag is rejected and never constructed, and a core tag must "
            "fit its value.",
            _bad("problem: Classify", "problem: !!python/object/apply:os.system ['id'] #"),
            _GOOD),
    CodeDoc("MLP012", "nesting too deep",
            f"Mappings and lists nest at most {MAX_DEPTH} levels deep.",
            _GOOD + "x: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n", _GOOD),
    CodeDoc("MLP013", "top level is not a mapping",
            "The spec is a mapping of sections (apiVersion, metadata, ...), not a list or "
            "a single value.",
            "- apiVersion: mlproject/v1\n- metadata: {name: iris}\n", _GOOD),
    CodeDoc("MLP014", "more than one YAML document",
            "One file holds one spec; a second '---' starts a second document.",
            _GOOD + "---\napiVersion: mlproject/v1\n", _GOOD),
    CodeDoc("MLP015", "key is not a string",
            "Keys are strings. Unquoted 1, 1.5, true or null read as other types; lists and "
            "mappings cannot be keys; YAML merge keys ('<<') are not supported.",
            _bad("    - {name: accuracy,", "    - {1: accuracy,"), _GOOD),
    CodeDoc("MLP016", "control character in a string",
            "A quoted string holds a control character written as an escape (\\0, \\x07, "
            "\\e, ...). It would reach generated files, shells and terminals unseen; tabs and "
            "newlines are the only ones allowed.",
            _bad("Classify iris flowers by species.", '"Classify \\0 iris flowers by species."'),
            _GOOD),
]
# fmt: on

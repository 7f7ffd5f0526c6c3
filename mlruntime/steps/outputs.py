"""Atomic step outputs: all of a step's files appear together, or none of them do.

A step declares every path it may write. On entry the stale copies from an
earlier run are removed (a failed step must not leave last run's model behind
for DVC to pick up); each write goes to a temporary file beside its target; on
success every temporary file is renamed over its target with ``os.replace``;
on any exception the temporary files are deleted.

With ``stale_until_exit`` the stale copies stay until the step ends instead:
replaced on success (a reader such as a Prometheus textfile collector never
sees a report missing, and no file is removed only to be written again),
removed on failure, so a failed run still leaves none of last run's files.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shutil
import tempfile
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from itertools import compress
from operator import not_
from pathlib import Path
from types import TracebackType
from typing import Any

from mlcontract.project_paths import inside_project
from mlruntime.steps.errors import StepError

FLOAT_DIGITS = 6


def rounded(value: float | None, digits: int = FLOAT_DIGITS) -> float | None:
    """A float fit for a stable diff: rounded, with NaN and infinities as None."""
    if value is None or not math.isfinite(value):
        return None
    result = round(float(value), digits)
    return 0.0 if result == 0 else result  # no "-0.0" in diffs


def json_bytes(payload: object) -> bytes:
    """Deterministic JSON: sorted keys, two-space indent, LF, a final newline.

    The bytes of ``json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False,
    allow_nan=False)``, built by :func:`_indented` in a fraction of the time (with an
    indent, ``json`` runs its pure-Python encoder, a generator call per value); what
    that does not take (a non-string key, a non-finite float, a type ``json`` refuses,
    a cycle) is left to ``json.dumps``, for its exact output or error.
    """
    try:
        text = _indented(payload, 0)
    except (_NotPlainError, RecursionError):
        text = json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


class _NotPlainError(Exception):
    """A value :func:`_indented` leaves to ``json.dumps``."""


_encode_str = json.encoder.encode_basestring  # json's own (C) string encoder, no ASCII escapes
_SCALARS = frozenset({str, int, float, bool, type(None)})  # exactly these types
_STR = frozenset({str})
_NEWLINES = ["\n" + "  " * level for level in range(16)]
_FLAT: list[Callable[[object, int], Sequence[str]]] = []  # per level, see _flat


def _flat(level: int) -> Callable[[object, int], Sequence[str]]:
    """json's C encoder for the scalars of a container at ``level``: ``json.dumps``
    uses it when there is no indent, and it takes any item separator, so
    ``",\n" + indent`` puts one item a line, as the indented layout does."""
    make = getattr(json.encoder, "c_make_encoder", None)  # not in typeshed
    while len(_FLAT) <= level:
        separator = "," + _newline(len(_FLAT) + 1)
        if make is None:  # a Python without _json: the same bytes, slower
            _FLAT.append(_python_flat(separator))
        else:  # json.JSONEncoder.iterencode's call, with its arguments in that order
            _FLAT.append(
                make(None, _not_plain, _encode_str, None, ": ", separator, True, False, False)
            )
    return _FLAT[level]


def _python_flat(separator: str) -> Callable[[object, int], Sequence[str]]:
    encoder = json.JSONEncoder(
        ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(separator, ": ")
    )
    return lambda value, _: (encoder.encode(value),)


def _not_plain(value: object) -> object:
    raise _NotPlainError  # json's default(): not reached, _flat is given plain scalars only


def _newline(level: int) -> str:
    while len(_NEWLINES) <= level:
        _NEWLINES.append("\n" + "  " * len(_NEWLINES))
    return _NEWLINES[level]


def _indented(value: object, level: int) -> str:
    """``value`` at nesting ``level`` in json's ``indent=2, sort_keys=True`` layout.

    The plain scalars of a container (most of a report) are encoded in one C call by
    :func:`_flat`, one item a line: a container of scalars only is then done, once its
    brackets are on lines of their own. Its other items (containers, and scalars of
    subclasses such as an ``IntEnum``) are encoded apart and put in among those lines
    at their key's place: the lines are split at the item separator, which is never
    inside an encoded string (json escapes a newline).
    """
    if not isinstance(value, (dict, list, tuple)):
        return _scalar(value)
    if not value:
        return "{}" if isinstance(value, dict) else "[]"
    inner = _newline(level + 1)
    if isinstance(value, dict):
        if not _STR.issuperset(map(type, value)):
            raise _NotPlainError  # json turns other keys into strings: let it
        if _SCALARS.issuperset(map(type, value.values())):
            return _wrapped(_flat_raw(value, level), level)
        others = sorted(
            compress(value, map(not_, map(_SCALARS.__contains__, map(type, value.values()))))
        )
        scalars = dict(value)
        for key in others:
            del scalars[key]
        keys = sorted(scalars)
        lines = _flat_raw(scalars, level)[1:-1].split("," + inner) if scalars else []
        for key in reversed(others):  # from the last: the places before stay right
            lines.insert(
                bisect_left(keys, key), _encode_str(key) + ": " + _indented(value[key], level + 1)
            )
        return "{" + inner + ("," + inner).join(lines) + _newline(level) + "}"
    if _SCALARS.issuperset(map(type, value)):
        return _wrapped(_flat_raw(value, level), level)
    items = [_indented(item, level + 1) for item in value]
    return "[" + inner + ("," + inner).join(items) + _newline(level) + "]"


def _flat_raw(value: object, level: int) -> str:
    """A container of plain scalars at ``level``: one item a line, brackets not yet."""
    try:
        return "".join(_flat(level)(value, 0))
    except ValueError:  # a NaN or an infinity
        raise _NotPlainError from None


def _wrapped(text: str, level: int) -> str:
    """``_flat_raw``'s text with its brackets on their own lines."""
    return text[0] + _newline(level + 1) + text[1:-1] + _newline(level) + text[-1]


def _scalar(value: object) -> str:
    """A scalar as json writes it, subclasses included (its order of type tests)."""
    if isinstance(value, str):
        return _encode_str(value)
    if value is None or value is True or value is False:
        return "null" if value is None else "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float) and math.isfinite(value):
        return float.__repr__(value)
    raise _NotPlainError  # a non-finite float, or a type json hands to default()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


@cache
def _umask() -> int:
    """The process's umask (read once: reading it means setting it for a moment)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def public_mode(path: Path | int, *, directory: bool = False) -> None:
    """Give a temporary file (a path or an open descriptor) or directory the mode a plain
    ``open`` or ``mkdir`` would have: ``mkstemp`` and ``mkdtemp`` make them private
    (0600, 0700) and ``os.replace`` keeps that, so a report renamed into place would be
    unreadable to a Prometheus textfile collector or a web server running as another user."""
    mode = (0o777 if directory else 0o666) & ~_umask()
    if isinstance(path, int):
        os.fchmod(path, mode)
    else:
        os.chmod(path, mode)


def file_sha256(path: Path) -> str:
    import hashlib  # only train hashes a file: the gate need not load OpenSSL

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class StagedOutputs:
    """The outputs of one step run, replaced together when the run succeeds.

    Use as a context manager; writes are only visible after a clean exit.
    """

    def __init__(
        self, root: Path, declared: Iterable[str], *, stale_until_exit: bool = False
    ) -> None:
        self.root = root
        self.declared = tuple(dict.fromkeys(declared))
        self.stale_until_exit = stale_until_exit
        self._staged: dict[str, Path] = {}

    def __enter__(self) -> StagedOutputs:
        for relative in self.declared:
            self._check(relative)  # before the stale copy is removed, too
        if not self.stale_until_exit:
            self._remove_stale()
        return self

    def _remove_stale(self, outputs: Iterable[str] | None = None) -> None:
        for relative in self.declared if outputs is None else outputs:
            path = self.root / relative
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)  # a directory output (temp_dir)
            else:
                path.unlink(missing_ok=True)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()
            if self.stale_until_exit:
                self._remove_stale()

    def _check(self, relative: str) -> None:
        unsafe = inside_project(self.root, relative)
        if unsafe is not None:
            raise StepError(f"refusing to write {relative}: the path {unsafe}")

    def temp_path(self, relative: str) -> Path:
        """A fresh temporary file beside ``relative``; it becomes ``relative`` on commit."""
        fd, path = self._temp_file(relative)
        os.close(fd)
        return path

    def _temp_file(self, relative: str) -> tuple[int, Path]:
        if relative not in self.declared:
            raise ValueError(f"{relative} is not declared as an output of this step")
        self._check(relative)
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if relative in self._staged:
            self._staged.pop(relative).unlink(missing_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        self._staged[relative] = Path(name)
        public_mode(fd)
        return fd, Path(name)

    def temp_dir(self, relative: str) -> Path:
        """A fresh temporary directory beside ``relative``; it becomes ``relative`` on commit."""
        if relative not in self.declared:
            raise ValueError(f"{relative} is not declared as an output of this step")
        self._check(relative)
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if relative in self._staged:
            _remove(self._staged.pop(relative))
        path = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
        self._staged[relative] = path
        public_mode(path, directory=True)
        return path

    def write_bytes(self, relative: str, content: bytes) -> None:
        fd, _ = self._temp_file(relative)
        with open(fd, "wb") as handle:  # the descriptor mkstemp opened: no second open
            handle.write(content)

    def write_json(self, relative: str, payload: object) -> None:
        self.write_bytes(relative, json_bytes(payload))

    def write_csv(
        self, relative: str, header: Sequence[str], rows: Iterable[Sequence[object]]
    ) -> None:
        self.write_bytes(relative, csv_bytes(header, rows))

    def write_parquet(self, relative: str, frame: Any) -> None:
        try:
            frame.to_parquet(self.temp_path(relative), index=False)
        except (ValueError, TypeError) as exc:  # pyarrow: a column of mixed types
            # pyarrow's message quotes the offending value: name the column only.
            found = re.search(r"for column (.+?) with type", str(exc))
            what = f"column '{found.group(1)}'" if found else "a column"
            raise StepError(
                f"cannot write {relative} as Parquet: {what} holds values of mixed types"
            ) from None

    def write_joblib(self, relative: str, obj: object) -> None:
        import joblib

        joblib.dump(obj, self.temp_path(relative))

    def staged(self) -> dict[str, Path]:
        """What was written so far: declared path → its temporary file (or directory)."""
        return dict(self._staged)

    def commit(self) -> None:
        if self.stale_until_exit:  # a declared output this run did not write is stale too
            unwritten = [r for r in self.declared if r not in self._staged]
            self._remove_stale(unwritten)
        for relative, temp in self._staged.items():
            os.replace(temp, self.root / relative)
        self._staged.clear()

    def discard(self) -> None:
        for temp in self._staged.values():
            _remove(temp)
        self._staged.clear()


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)

"""Markdown formatting for the ``docs`` target: escaping user strings and rendering values.

Part of a target (pure IR → files). Every spec string is user input: these
filters make it safe in the place the template puts it (a paragraph, a table
cell, a code span) so that a ``|``, a newline or a stray ``<!--`` cannot break
the page's structure. Values are rendered deterministically (no locale, no clock).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

EMPTY_CELL = "—"

_LINE_BREAKS = re.compile(r"\s*(?:\r\n|\r|\n)\s*")
_BLOCK_MARKER = re.compile(r"^(?:[#>+*=\-]|\d+[.)])")
_BACKTICK_RUNS = re.compile(r"`+")
# Largest unit first; a duration is shown in the largest unit that divides it exactly.
_DURATION_UNITS = (("d", 86400), ("h", 3600), ("m", 60))


def _one_line(value: object) -> str:
    return _LINE_BREAKS.sub(" ", str(value)).strip()


def text(value: object) -> str:
    """A user string inside a paragraph or list item: one line, no raw HTML, no block markup."""
    out = _one_line(value).replace("<", "&lt;")
    if _BLOCK_MARKER.match(out):
        out = "\\" + out  # "# x" or "1. x" at a line start would become a heading or a list
    return out


def cell(value: object) -> str:
    """A user string inside a table cell: pipes and backslashes escaped, breaks as ``<br>``."""
    raw = str(value).strip()
    if not raw:
        return EMPTY_CELL
    escaped = raw.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")
    return "<br>".join(part.strip() for part in re.split(r"\r\n|\r|\n", escaped))


def code(value: object) -> str:
    """A user string as an inline code span, fenced by more backticks than it contains."""
    raw = _one_line(value)
    longest = max((len(run) for run in _BACKTICK_RUNS.findall(raw)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if raw.startswith("`") or raw.endswith("`") or not raw else ""
    return f"{fence}{pad}{raw}{pad}{fence}"


def code_cell(value: object) -> str:
    """An inline code span inside a table cell (GFM unescapes ``\\|`` even in code spans)."""
    return code(value).replace("|", "\\|")


def duration(seconds: int) -> str:
    """Seconds as the spec writes them: 86400 → ``1d``, 3600 → ``1h``, 90 → ``90s``."""
    if seconds > 0:
        for unit, size in _DURATION_UNITS:
            if seconds % size == 0:
                return f"{seconds // size}{unit}"
    return f"{seconds}s"


def number(value: float | None) -> str:
    """A number without float noise: ``0.9``, ``1000``, ``1e-05``; ``—`` when absent."""
    if value is None:
        return EMPTY_CELL
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def percent(fraction: float) -> str:
    """A fraction as a percentage: 0.1 → ``10%``, 0.995 → ``99.5%``."""
    return f"{fraction * 100:.10g}%"


def json_value(value: Any) -> str:
    """An estimator parameter as canonical JSON (sorted keys, no locale)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def join(values: Iterable[str], separator: str = ", ") -> str:
    """Already-formatted items joined, or ``—`` when there are none."""
    items = list(values)
    return separator.join(items) if items else EMPTY_CELL


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"

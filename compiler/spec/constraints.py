"""The spec's patterns and custom validators, free of pydantic (validate stage).

The pydantic models (``compiler.spec.v1``) call these functions; the checks
and the lower stage use them too (``duration_seconds``), so they are plain
functions with no pydantic import.
"""

from __future__ import annotations

import re
from typing import Protocol, TypeVar

SLUG_PATTERN = r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$"
IDENT_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
SECRET_PATTERN = r"^[A-Z][A-Z0-9_]{0,99}$"  # noqa: S105 - a name pattern, not a secret
DURATION_PATTERN = r"^[1-9][0-9]{0,5}[smhdw]$"

_DURATION_RE = re.compile(r"^(?P<n>[1-9][0-9]{0,5})(?P<unit>[smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def duration_seconds(text: str) -> int:
    """Seconds in a duration such as ``30m``, ``12h``, ``7d`` or ``2w``."""
    match = _DURATION_RE.match(text)
    if match is None:
        raise ValueError(f"'{text}' is not a duration such as 30m, 12h, 7d or 2w")
    return int(match["n"]) * _UNIT_SECONDS[match["unit"]]


def check_duration(text: str) -> str:
    """The after-validator of ``Duration``: ``text`` unchanged, or ValueError."""
    duration_seconds(text)
    return text


class _Located(Protocol):
    @property
    def path(self) -> str | None: ...

    @property
    def uri(self) -> str | None: ...


_Source = TypeVar("_Source", bound=_Located)


def check_data_source_location(source: _Source) -> _Source:
    """The model validator of ``DataSource``: exactly one of path/uri, a path inside the project."""
    if (source.path is None) == (source.uri is None):
        raise ValueError("a data source needs exactly one of 'path' or 'uri'")
    if source.path is not None and (source.path.startswith("/") or ".." in source.path.split("/")):
        raise ValueError("'path' must be relative to the spec and stay inside the project")
    return source

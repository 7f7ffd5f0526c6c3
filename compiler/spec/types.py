"""Constrained scalar types shared by the spec models (validate stage)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

# Frozen, closed models: an unknown key is an error, never silently ignored.
STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

SLUG_PATTERN = r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$"
IDENT_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
SECRET_PATTERN = r"^[A-Z][A-Z0-9_]{0,99}$"  # noqa: S105 - a name pattern, not a secret

Slug = Annotated[
    str,
    StringConstraints(pattern=SLUG_PATTERN),
    Field(
        description=(
            "Lower-case letters, digits and '-', starting with a letter, at most 40 characters: "
            "safe as a file name, a DNS label and a workflow identifier."
        ),
        examples=["churn"],
    ),
]
Identifier = Annotated[
    str,
    StringConstraints(pattern=IDENT_PATTERN),
    Field(description="A column or metric identifier: letters, digits and '_'."),
]

DURATION_PATTERN = r"^[1-9][0-9]{0,5}[smhdw]$"
_DURATION_RE = re.compile(r"^(?P<n>[1-9][0-9]{0,5})(?P<unit>[smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def duration_seconds(text: str) -> int:
    """Seconds in a duration such as ``30m``, ``12h``, ``7d`` or ``2w``."""
    match = _DURATION_RE.match(text)
    if match is None:
        raise ValueError(f"'{text}' is not a duration such as 30m, 12h, 7d or 2w")
    return int(match["n"]) * _UNIT_SECONDS[match["unit"]]


def _check_duration(text: str) -> str:
    duration_seconds(text)
    return text


Duration = Annotated[
    str,
    AfterValidator(_check_duration),
    Field(
        description="A duration: a positive integer and a unit (s, m, h, d, w).",
        examples=["30m", "12h", "7d", "2w"],
        json_schema_extra={"pattern": DURATION_PATTERN},
    ),
]

Cron = Annotated[
    str,
    Field(
        description="A five-field cron expression in UTC (minute hour day month weekday).",
        examples=["0 * * * *", "0 3 * * 1"],
        min_length=9,
        max_length=100,
    ),
]

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]

"""Constrained scalar types shared by the spec models (validate stage)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

# Re-exported: the patterns and validators themselves are pydantic-free (constraints.py).
from compiler.spec.constraints import (
    DURATION_PATTERN,
    IDENT_PATTERN,
    SECRET_PATTERN,
    SLUG_PATTERN,
    check_duration,
    duration_seconds,
)

# Frozen, closed models: an unknown key is an error, never silently ignored; numbers are
# finite (`.inf` or `.nan` is never a meaningful limit).
STRICT = ConfigDict(
    extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False, defer_build=True
)

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

Duration = Annotated[
    str,
    AfterValidator(check_duration),
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

__all__ = [
    "DURATION_PATTERN",
    "IDENT_PATTERN",
    "SECRET_PATTERN",
    "SLUG_PATTERN",
    "STRICT",
    "Cron",
    "Duration",
    "Fraction",
    "Identifier",
    "Slug",
    "duration_seconds",
]

"""The contract of ``mlproject validate --data``: what the data check found, in the spec's terms.

The run-time side (:mod:`mlruntime.datacheck`) reads the data files and builds
the estimators from the IR; it does not know where anything is written in the
spec. So each finding names what it is about as a spec path with *names* in
place of list indices: ``("data", "sources", "customers", "columns", "age",
"type")``, ``("training", "features", "tenure")``. The compile-time side
(:mod:`compiler.checks.data_findings`) resolves that path against the document
to a line and column and makes the coded diagnostic (MLP260-MLP266).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

NamedPath = tuple[str, ...]  # a spec path; after a list key, the name of the element


@dataclass(frozen=True, slots=True)
class DataFinding:
    """One problem of the spec against its data, before it has a position."""

    code: str  # MLP260-MLP266 (documented in compiler.checks.data_codes)
    path: NamedPath
    message: str  # without the path: the diagnostic prefixes its dotted pointer
    hint: str | None = None
    severity: Literal["error", "warning"] = "error"
    at_key: bool = False  # point at the key itself rather than its value

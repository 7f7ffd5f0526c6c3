"""Diagnostic codes: the stable catalogue behind ``mlproject explain`` and docs/diagnostics.md.

Each stage documents the codes it emits next to the code that emits them (a
``*_CODES`` list of :class:`CodeDoc`); this module only gathers them. Codes are
never renumbered: a retired code stays reserved.

Ranges: MLP0xx load, MLP1xx schema, MLP2xx semantic rules, MLP3xx emit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CodeDoc:
    """Documentation of one diagnostic code, with a failing and a passing example."""

    code: str
    title: str
    summary: str
    bad: str
    good: str


def all_codes() -> dict[str, CodeDoc]:
    """Every documented code, ordered by code."""
    from compiler.checks import CHECK_CODES
    from compiler.emit import EMIT_CODES
    from compiler.load import LOAD_CODES
    from compiler.spec.validate import SCHEMA_CODES

    docs = [*LOAD_CODES, *SCHEMA_CODES, *CHECK_CODES, *EMIT_CODES]
    return {doc.code: doc for doc in sorted(docs, key=lambda d: d.code)}

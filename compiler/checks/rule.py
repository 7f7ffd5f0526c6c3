"""Check stage: what a semantic rule is, and what it is given to look at.

A rule is a pure function of the validated spec and the loaded document: it
yields diagnostics and never raises for bad input (the schema has already
guaranteed every shape it relies on). Positions come from the document, so a
finding points at the line the user wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from compiler.diagnostics import Diagnostic, Pointer, Severity
from compiler.load import Document
from compiler.spec.v1 import DataSource, ProjectSpec
from compiler.spec.validate import dotted

# Data that must not leak: the classes that need approval, no payload logging.
SENSITIVE_CLASSES = frozenset({"confidential", "restricted"})


@dataclass
class CheckContext:
    """What a rule may read: the spec models, the document, and a way to report."""

    spec: ProjectSpec
    doc: Document

    def error(
        self,
        code: str,
        pointer: Pointer,
        message: str,
        hint: str | None = None,
        *,
        key: bool = False,
        severity: Severity = "error",
    ) -> Diagnostic:
        """A diagnostic at ``pointer``, its message prefixed with the key path.

        ``key=True`` points at the key rather than its value (a name that is
        wrong as a key, a section that should not be there). A pointer that is
        not written in the file (a default) points at the key of its nearest
        written ancestor: the section the default belongs to. ``severity``:
        "warning" for a finding that does not stop compile.
        """
        return Diagnostic(
            code,
            f"{dotted(pointer)}: {message}",
            self.doc.file,
            self.doc.position_of(pointer, key=key or not self.written(pointer)),
            hint,
            severity,
            pointer=pointer,
        )

    def written(self, pointer: Pointer) -> bool:
        """True when ``pointer`` is written in the document (not a default)."""
        node: Any = self.doc.data
        for part in pointer:
            in_mapping = isinstance(node, dict) and isinstance(part, str) and part in node
            in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
            if not (in_mapping or in_list):
                return False
            node = node[part]
        return True

    def line_of(self, pointer: Pointer) -> int | None:
        """The line ``pointer`` is written on, for hints such as "first declared on line 12"."""
        position = self.doc.position_of(pointer)
        return position.line if position else None

    def training_source(self) -> tuple[int, DataSource] | None:
        """The source the model trains on (``training.source``, default the first), or None."""
        sources = self.spec.data.sources
        wanted = self.spec.training.source
        if wanted is None:
            return 0, sources[0]
        for index, source in enumerate(sources):
            if source.name == wanted:
                return index, source
        return None

    def sources(self) -> Iterator[tuple[Pointer, DataSource]]:
        """Every data source with its pointer."""
        for index, source in enumerate(self.spec.data.sources):
            yield ("data", "sources", index), source


def sensitivity_reasons(spec: ProjectSpec) -> list[str]:
    """Why the project's data is sensitive, one phrase per source; empty when it is not."""
    reasons: list[str] = []
    for source in spec.data.sources:
        traits: list[str] = []
        if source.sensitivity in SENSITIVE_CLASSES:
            traits.append(f"is {source.sensitivity}")
        if source.pii:
            traits.append(f"has PII columns ({', '.join(source.pii)})")
        if traits:
            reasons.append(f"source '{source.name}' {' and '.join(traits)}")
    return reasons


@dataclass
class Rule:
    """A semantic rule with its stable code and the examples that document it.

    ``bad`` is a complete spec that produces ``code``; ``good`` is the same
    project written correctly, which produces no diagnostics at all.
    """

    code: str
    name: str
    title: str
    summary: str
    bad: str
    good: str
    check: Callable[[CheckContext], Iterable[Diagnostic]]

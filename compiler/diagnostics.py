"""Diagnostics: the one format every stage reports problems in.

Stages never print. They return (or raise, wrapped in :class:`DiagnosticError`)
:class:`Diagnostic` values; the CLI collects them and renders them once, as text
(``path:line:col: error[CODE]: message`` + ``hint:`` + numbered excerpt) or JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

from mlcontract.errors import MlprojectError

Severity = Literal["error", "warning"]
Pointer = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Position:
    """A 1-based line and column in a source file."""

    line: int
    col: int


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in one file, with a stable code."""

    code: str
    message: str
    file: str
    position: Position | None = None
    hint: str | None = None
    severity: Severity = "error"
    pointer: Pointer = ()

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        pos = self.position or Position(0, 0)
        return (self.file, pos.line, pos.col, self.code, self.message)

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["position"] = asdict(self.position) if self.position else None
        data["pointer"] = list(self.pointer)
        return data


@dataclass
class CodeDoc:
    """Documentation of one diagnostic code, with a failing and a passing example."""

    code: str
    title: str
    summary: str
    bad: str
    good: str


# The smallest valid spec: the passing example of the load and schema codes, whose
# failing examples are this text with one thing broken.
MINIMAL_SPEC = """\
apiVersion: mlproject/v1
metadata:
  name: iris
  owners: [{name: Ada, email: ada@example.com}]
objective:
  problem: Classify iris flowers by species.
  task: multiclass_classification
kpis:
  metrics:
    - {name: accuracy, minimum: 0.9, primary: true}
data:
  sources:
    - {name: iris, path: data/iris.csv, target: species}
"""


class DiagnosticError(MlprojectError):
    """Carries diagnostics out of a stage that cannot go on (the CLI reports them all)."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__("; ".join(d.message for d in self.diagnostics))


@dataclass
class DiagnosticSink:
    """Collects diagnostics so that all of them are reported, then once."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.items.extend(diagnostics)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(set(self.items), key=lambda d: d.sort_key)


def _excerpt(source_lines: Sequence[str], position: Position, context: int = 1) -> list[str]:
    first = max(1, position.line - context)
    last = min(len(source_lines), position.line + context)
    width = len(str(last))
    out: list[str] = []
    for number in range(first, last + 1):
        text = source_lines[number - 1].rstrip("\r\n").expandtabs(1)
        marker = ">" if number == position.line else " "
        out.append(f" {marker} {number:>{width}} | {text}")
        if number == position.line:
            out.append(f"   {' ' * width} | {' ' * (position.col - 1)}^")
    return out


def format_text(
    diagnostics: Sequence[Diagnostic],
    sources: dict[str, str] | None = None,
    *,
    excerpt: bool = True,
    color: bool = False,
) -> str:
    """Render diagnostics for people: one block per diagnostic."""
    sources = sources or {}
    red, yellow, cyan, bold, reset = (
        ("\x1b[31m", "\x1b[33m", "\x1b[36m", "\x1b[1m", "\x1b[0m") if color else ("",) * 5
    )
    blocks: list[str] = []
    for d in diagnostics:
        where = d.file
        if d.position is not None:
            where += f":{d.position.line}:{d.position.col}"
        sev_color = red if d.severity == "error" else yellow
        lines = [f"{bold}{where}{reset}: {sev_color}{d.severity}[{d.code}]{reset}: {d.message}"]
        if d.hint:
            lines.append(f"  {cyan}hint:{reset} {d.hint}")
        text = sources.get(d.file)
        if excerpt and text is not None and d.position is not None:
            source_lines = text.splitlines()
            if 1 <= d.position.line <= len(source_lines):
                lines.extend(_excerpt(source_lines, d.position))
        blocks.append("\n".join(lines))
    return "\n".join(blocks) + ("\n" if blocks else "")


def format_json(diagnostics: Sequence[Diagnostic]) -> str:
    """Render diagnostics for machines: a stable JSON document."""
    errors = sum(1 for d in diagnostics if d.severity == "error")
    payload = {
        "diagnostics": [d.to_json() for d in diagnostics],
        "summary": {"errors": errors, "warnings": len(diagnostics) - errors},
    }
    return json.dumps(payload, indent=2, sort_keys=True) + "\n"

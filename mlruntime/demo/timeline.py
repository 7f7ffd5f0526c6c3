"""Demo: what happened when, reported as it happens and as one table at the end.

Every phase reports one progress line when it ends
(``[3/9] release ... (2.1 s, CPU 3.4 s)``): its wall time and the CPU seconds
the demo's whole process tree spent on it (:mod:`.cpu`; on a shared machine
the wall time says how busy it was, the CPU time what the phase costs).
Notes (an approval, a window's verdict) come indented beneath it as they
occur. The lines go to a :class:`TimelineView` the CLI gives (``mlcli/demo.py``
draws them on the terminal): this module never writes to one. Every command
and simulated step is a :class:`StepRecord`; the whole record is also written
as JSON (``demo/timeline.json``) for tests and tools.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from mlruntime.demo import cpu

OK = "ok"
FAILED = "FAILED"


@dataclass(frozen=True)
class StepRecord:
    """One command or simulated step: where it belongs, how long it took, what came out."""

    phase: str
    step: str
    seconds: float
    outcome: str
    ok: bool = True
    cpu_seconds: float | None = None  # None: not told apart (a simulated or concurrent step)


@dataclass(frozen=True)
class PhaseRecord:
    """One of the demo's phases, with its summary."""

    number: int
    name: str
    title: str
    seconds: float
    outcome: str
    ok: bool
    cpu_seconds: float


@dataclass
class PhaseHandle:
    """What a running phase may set: its one-line outcome."""

    outcome: str = OK


class TimelineView(Protocol):
    """Where the timeline's lines go while the demo runs."""

    def line(self, text: str) -> None:
        """A line that stays."""

    def running(self, text: str) -> None:
        """What is running now: shown until the next line replaces it (or not at all)."""


@dataclass
class Timeline:
    """Progress lines while the demo runs; the timeline table and JSON when it ends."""

    view: TimelineView
    total_phases: int
    steps: list[StepRecord] = field(default_factory=list)
    phases: list[PhaseRecord] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    current: str = "setup"
    started: float = field(default_factory=time.perf_counter)
    running: str = ""  # the running phase's line
    cpu_started: float = field(default_factory=cpu.tree_seconds)

    def echo(self, text: str) -> None:
        self.view.line(text)

    def note(self, text: str) -> None:
        """An indented line under the current phase (a decision, a verdict, a path)."""
        self.echo(f"      {text}")
        if self.running:
            self.view.running(self.running)

    def step(
        self, step: str, seconds: float, outcome: str, *, ok: bool = True, cpu: float | None = None
    ) -> None:
        used = None if cpu is None else round(cpu, 2)
        self.steps.append(StepRecord(self.current, step, round(seconds, 3), outcome, ok, used))

    def reorder(self, names: list[str]) -> None:
        """Put the records of steps that ran side by side (finished in any order) in
        the order of ``names``, where the first of them stands."""
        chosen = [s for s in self.steps if s.step in names]
        if not chosen:
            return
        first = self.steps.index(chosen[0])
        rest = [s for s in self.steps if s.step not in names]
        chosen.sort(key=lambda s: names.index(s.step))
        self.steps = rest[:first] + chosen + rest[first:]

    @contextlib.contextmanager
    def timed(self, step: str) -> Iterator[PhaseHandle]:
        """Time an in-process step (traffic, data generation) and record it."""
        handle = PhaseHandle()
        began, cpu_began = time.perf_counter(), cpu.tree_seconds()
        try:
            yield handle
        except BaseException:
            self.step(step, time.perf_counter() - began, FAILED, ok=False)
            raise
        used = cpu.tree_seconds() - cpu_began
        self.step(step, time.perf_counter() - began, handle.outcome, cpu=used)

    @contextlib.contextmanager
    def phase(self, name: str, title: str) -> Iterator[PhaseHandle]:
        """Run one phase; print its progress line (also when it fails) and record it."""
        number = len(self.phases) + 1
        self.current = name
        handle = PhaseHandle()
        began, cpu_began = time.perf_counter(), cpu.tree_seconds()
        ok = False
        self.running = f"[{number}/{self.total_phases}] {name:<10} {title} ..."
        self.view.running(self.running)
        try:
            yield handle
            ok = True
        finally:
            seconds = time.perf_counter() - began
            used = cpu.tree_seconds() - cpu_began
            self.running = ""
            outcome = handle.outcome if ok else FAILED
            self.phases.append(
                PhaseRecord(number, name, title, round(seconds, 3), outcome, ok, round(used, 2))
            )
            self.echo(
                f"[{number}/{self.total_phases}] {name:<10} {title}: {outcome}  "
                f"({seconds:.1f} s, CPU {used:.1f} s)"
            )

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    @property
    def cpu_used(self) -> float:
        """CPU seconds of the demo's process tree since it started."""
        return cpu.tree_seconds() - self.cpu_started

    def render_phases(self) -> str:
        """Wall and CPU seconds per phase, with each phase's share of the CPU."""
        total = sum(p.cpu_seconds for p in self.phases) or 1.0
        rows = [("phase", "wall s", "CPU s", "CPU share")]
        rows += [
            (p.name, f"{p.seconds:.1f}", f"{p.cpu_seconds:.1f}", f"{p.cpu_seconds / total:.0%}")
            for p in self.phases
        ]
        rows.append(("total", f"{self.elapsed:.1f}", f"{self.cpu_used:.1f}", ""))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        return "\n".join(
            "  ".join(
                cell.ljust(width) if i == 0 else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
            for row in rows
        )

    def render(self) -> str:
        """The timeline table: every step with its phase, duration and outcome."""
        rows = [("phase", "step", "seconds", "CPU s", "outcome")]
        rows += [
            (
                s.phase,
                s.step,
                f"{s.seconds:.1f}",
                "-" if s.cpu_seconds is None else f"{s.cpu_seconds:.1f}",
                s.outcome,
            )
            for s in self.steps
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = []
        for index, row in enumerate(rows):
            head = "  ".join(
                cell.rjust(w) if i >= 2 else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=False))
            )
            lines.append(f"{head}  {row[4]}".rstrip())
            if index == 0:
                lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 7)
        lines.append(f"total {self.elapsed:.1f} s, CPU {self.cpu_used:.1f} s")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": "mlproject.demo/v1",
            "seconds": round(self.elapsed, 3),
            "cpu_seconds": round(self.cpu_used, 2),
            "ok": bool(self.phases) and all(p.ok for p in self.phases),
            "phases": [asdict(p) for p in self.phases],
            "steps": [asdict(s) for s in self.steps],
            **self.facts,
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n"
        path.write_text(text, encoding="utf-8")

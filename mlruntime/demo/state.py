"""Demo: the state one run carries from phase to phase, and the simulated clock.

Production days are simulated: the first window is the first UTC day after
the run starts, one window per day (``monitoring.drift.window``), so the
registry's real tag times lie before every simulated event, and ``decide``'s
cooldown since the v1 release has passed when drift shows.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mlcontract import ir, ir_codec, pipeline_layout
from mlruntime.demo.plan import Plan
from mlruntime.demo.runner import DemoError, Runner
from mlruntime.demo.serving import ServedModel
from mlruntime.demo.timeline import Timeline
from mlruntime.demo.workspace import DEMO_DIR


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_midnight(now: datetime) -> datetime:
    today = datetime(now.year, now.month, now.day, tzinfo=UTC)
    return today + timedelta(days=1)


@dataclass
class Demo:
    """Everything the phases share."""

    workdir: Path
    example: Path
    plan: Plan
    env: dict[str, str]
    timeline: Timeline
    runner: Runner
    stack: contextlib.ExitStack
    strict: bool = False  # a missed latency limit stops the demo
    make_window: Callable[..., Any] | None = None
    project: ir.Project | None = None
    versions: dict[str, str] = field(default_factory=dict)  # "v1"/"v2" -> "v1.0.0"
    tags: dict[str, str] = field(default_factory=dict)  # "v1" -> "churn-classifier@v1.0.0"
    servers: dict[str, ServedModel] = field(default_factory=dict)
    day0: datetime = field(default_factory=lambda: next_midnight(datetime.now(UTC)))
    windows: list[Any] = field(default_factory=list)  # labelled frames, as generated
    window_files: list[Path] = field(default_factory=list)  # what the monitor reads
    detected: int | None = None

    @property
    def out(self) -> Path:
        """The demo's own files: logs, traffic, prediction and A/B logs, timeline."""
        return self.workdir / DEMO_DIR

    @property
    def compiled(self) -> ir.Project:
        if self.project is None:
            path = self.workdir / pipeline_layout.CONFIG
            try:
                self.project = ir_codec.load_project_json(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise DemoError("project", f"cannot read the compiled {path}: {exc}") from exc
        return self.project

    def day(self, window: int) -> datetime:
        """The start of simulated day ``window`` (1-based) of production traffic."""
        return self.day0 + timedelta(days=window - 1)

    def read_json(self, relative: str, step: str) -> Any:
        path = self.workdir / relative
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DemoError(step, f"cannot read {path}: {exc}") from exc

    def approve(self, tag: str, environment: str) -> None:
        """Say out loud that the demo approves a promotion the spec guards."""
        guarded = {e.name for e in self.compiled.deployment.environments if e.approval}
        if environment in guarded:
            self.timeline.note(
                f"approval: '{environment}' requires a person's approval "
                f"(deployment.environments: approval: true); the demo approves the "
                f"promotion of {tag} explicitly, on your behalf"
            )
            self.timeline.step(f"approve {tag} for {environment}", 0.0, "approved by the demo")

    def serving(self, server: ServedModel, version: str, seconds: float, step: str) -> None:
        """Record a started server: its MLServer PID (stopped by PID at the end) and port."""
        what = (
            f"MLServer pid {server.mlserver_pid} serves {version} on http://127.0.0.1:{server.port}"
        )
        self.timeline.note(what)
        self.timeline.step(step, seconds, what, cpu=server.start_cpu_seconds)
        self.timeline.facts.setdefault("mlserver_pids", []).append(server.mlserver_pid)

    def promote_in_order(self, key: str) -> None:
        """Promote version ``key`` through every environment, in the spec's order."""
        version, tag = self.versions[key], self.tags[key]
        for environment in self.compiled.deployment.environments:
            self.approve(tag, environment.name)
            self.runner.mlproject(
                f"promote {version} to {environment.name}",
                "promote",
                version,
                "--to",
                environment.name,
            )

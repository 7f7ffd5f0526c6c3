"""``mlproject demo``: the command line of the end-to-end demo (:mod:`mlruntime.demo`).

Registered lazily in :data:`mlcli.app.LAZY_COMMANDS`. Exit codes: 0 the whole
lifecycle ran; 1 a step misbehaved (its output is shown, then the error line);
2 usage, including a non-empty working directory without ``--force``; 130
interrupted. MLServer is stopped in every case.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from pathlib import Path
from typing import TextIO

import click

from mlcli.signals import raise_interrupt
from mlcontract.errors import ExitCode
from mlruntime.demo import lifecycle
from mlruntime.demo.plan import DEFAULT, QUICK, Plan
from mlruntime.demo.runner import DemoError, Runner
from mlruntime.demo.state import Demo
from mlruntime.demo.timeline import Timeline
from mlruntime.demo.workspace import DEMO_DIR, environment, prepare

OUTPUT_LINES = 80  # of the failing step's output
_BUNDLED_EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "churn"


def _example(path: Path) -> Path:
    if (path / "mlproject.yaml").is_file():
        return path
    if path == Path("examples/churn") and (_BUNDLED_EXAMPLE / "mlproject.yaml").is_file():
        return _BUNDLED_EXAMPLE  # run from outside a clone: the example beside the package
    raise click.BadParameter(f"{path} holds no mlproject.yaml", param_hint="--example")


class TerminalView:
    """The demo's timeline on ``stream``: on a terminal, what is running shows on the
    last line until the next line replaces it; elsewhere (a log, a pipe) only lines."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.transient = False  # a "running..." line is on screen, erased by the next output

    def _erase(self) -> None:
        if self.transient:
            self.stream.write("\r\033[K")
            self.transient = False

    def line(self, text: str) -> None:
        self._erase()
        self.stream.write(text + "\n")
        self.stream.flush()

    def running(self, text: str) -> None:
        isatty = getattr(self.stream, "isatty", None)
        if isatty is not None and isatty():
            self._erase()
            self.stream.write(text)
            self.stream.flush()
            self.transient = True


def _describe(plan: Plan) -> str:
    shifts = ", ".join(f"{s:g}" for s in plan.shifts)
    return (
        f"{plan.name} plan: {len(plan.shifts)} daily windows of {plan.window_rows} requests "
        f"(shift {shifts}; drift expected on window {plan.expected_drift_window}), "
        f"{plan.ab_rows} A/B requests"
    )


def _show_output(error: DemoError) -> None:
    """The tail of the failing step's output, above the error line."""
    if error.output.strip():
        lines = error.output.rstrip().splitlines()
        shown = lines[-OUTPUT_LINES:]
        skipped = f" (last {len(shown)} of {len(lines)} lines)" if len(lines) > len(shown) else ""
        click.echo(f"\n--- output of the failing step{skipped}:", err=True)
        click.echo("\n".join(shown), err=True)
        click.echo("---", err=True)


@click.command(name="demo")
@click.option(
    "--workdir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("runs/churn"),
    show_default=True,
    help="Fresh working directory: becomes the project's git repository, left for inspection.",
)
@click.option(
    "--example",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("examples/churn"),
    show_default=True,
    help="The example project to run (its make_data.py generates the traffic).",
)
@click.option("--force", is_flag=True, help="Replace a previous run in --workdir.")
@click.option("--quick", is_flag=True, help="Smaller traffic windows and load test (for CI).")
@click.option(
    "--strict",
    is_flag=True,
    help="Stop when the load test misses the spec's latency limits (default: report and go on).",
)
def demo(workdir: Path, example: Path, force: bool, quick: bool, strict: bool) -> None:
    """Run the whole lifecycle of the example end to end, offline, with real tools.

    In a fresh git repository: compile, dvc repro (validate, train, evaluate,
    gate), register v1 and promote it to production, serve it with MLServer and
    load-test it, replay drifting traffic, monitor each window until drift,
    decide to retrain, retrain and gate against the champion, A/B test v2
    against v1, promote v2. Prints a timeline and the lineage of production.

    The load test shows the measured percentiles and sustained rate against the
    spec's limits; a latency miss (this machine too busy or too slow) is said
    plainly and the demo goes on, unless --strict. Errors always stop it.
    """
    plan = QUICK if quick else DEFAULT
    source = _example(example).resolve()
    workdir = workdir.absolute()
    prepare(workdir, force=force)
    env = environment()
    timeline = Timeline(TerminalView(sys.stdout), lifecycle.PHASE_COUNT)
    timeline.facts["plan"] = {"name": plan.name, "shifts": list(plan.shifts)}
    timeline.echo(f"mlproject demo: the lifecycle of {source} in {workdir}")
    timeline.echo(f"  {_describe(plan)}")
    previous = signal.signal(signal.SIGTERM, raise_interrupt)
    failure: DemoError | None = None
    interrupted = False
    lineage_text = ""
    out = workdir / DEMO_DIR
    with contextlib.ExitStack() as stack:
        state = Demo(
            workdir=workdir,
            example=source,
            plan=plan,
            env=env,
            timeline=timeline,
            runner=Runner(workdir, env, out / "logs", timeline),
            stack=stack,
            strict=strict,
        )
        try:
            lineage_text = lifecycle.run(state)
        except DemoError as exc:
            failure = exc
        except KeyboardInterrupt:
            interrupted = True
        finally:
            stack.close()  # stops every MLServer, also on Ctrl-C
            signal.signal(signal.SIGTERM, previous)
            timeline.write(out / "timeline.json")
    if interrupted:
        click.echo("mlproject demo: interrupted; MLServer stopped", err=True)
        click.get_current_context().exit(ExitCode.INTERRUPTED)
    if failure is not None:
        _show_output(failure)
        failure.hint = f"every command's output: {out / 'logs'}"
        raise failure
    timeline.echo("\nTimeline")
    timeline.echo(timeline.render())
    timeline.echo("\nWhere the time went (CPU: the demo's whole process tree, servers included)")
    timeline.echo(timeline.render_phases())
    timeline.echo("\n$ mlproject lineage production")
    timeline.echo(lineage_text.rstrip())
    timeline.echo("\nLeft for inspection")
    for name, path in lifecycle.where(state).items():
        timeline.echo(f"  {name:<27} {path}")
    timeline.echo(
        f"\nmlproject demo: the whole lifecycle ran in {timeline.elapsed:.0f} s "
        f"(CPU {timeline.cpu_used:.0f} s)"
    )
